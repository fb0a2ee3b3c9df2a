"""Distributed detection on a multi-year hourly archive: throughput, speed-up, worker memory.

The archive is **synthesised** (no real multi-year hourly series is at hand here): day
``d`` is a real CODE hourly day (codg0080/0090.20i, 24 maps, 71 x 73 cells) scaled per
cell by the day-to-day variation of the real 55-day JPL series (day ``d mod 55``: its
daily-mean map over the 55-day mean), by an annual cycle (+-20 %) and by a solar-cycle
trend over 11 years, with 3 % multiplicative noise. Values are synthetic; the
volumes, cadence, grid and variability are realistic.

Run::

    .venv/bin/python benchmarks/bench_scale.py --years 5 --memory-limit 768MiB

(512MiB workers sufficed before the compiled kernel: numba and LLVM add ~155 MiB of
resident memory to each worker; ``IONOQUAKE_KERNEL=numpy`` runs the numpy path.)

It prints the archive size, the in-memory path (``open_maps`` + ``detect_anomalies``
on the first year, threads of one process, timed before and after the cluster runs,
the best kept), then ``detect_archive`` on a ``LocalCluster`` of 1 and 2
single-thread workers (best of ``--repeat`` runs each): samples/s, the ratio to the
in-memory path per worker against the goal of issue O (>= 0.8), the speed-up, the
peak process memory of each worker as the scheduler reports it, the output's size
on disk, and where the tasks' time goes (read / detect / write / finish,
:attr:`DetectionRun.phases`). The machine may be shared with other work: the load
average is printed at the start and the end. ``--years 1`` uses the first year of
a store built for more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import xarray as xr

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.scale.cluster import MemoryPeaks
from ionoquake.scale.detect import detect_archive
from ionoquake.sources import gim
from ionoquake.store import maps

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ionex"


def build_archive(store: Path, years: int, start: str = "2015-01-01") -> int:
    """Write the synthetic hourly archive (see the module docstring); return its days."""
    codg = [gim.read_days([SHARED / "code_esa_2020008-010" / f"codg00{d}0.20i.gz"])
            for d in (8, 9)]
    jpl = gim.read_days(sorted((SHARED / "jpl_2000326-2001014").glob("jplg*.gz")))
    daily = jpl["tec"].resample(time="1D").mean().values
    ratio = np.clip(daily / np.nanmean(daily, axis=0), 0.3, 3.0).astype(np.float32)
    rng = np.random.default_rng(2015)
    first = np.datetime64(start, "D")
    n_days = round(365.25 * years)
    for d in range(n_days):
        day = first + np.timedelta64(d, "D")
        target = maps.partition_path(store, "synh", day)
        if target.exists():
            continue
        template = codg[d % 2].isel(time=slice(0, 24))
        factor = ratio[d % len(ratio)] * np.float32(
            (1 + 0.2 * np.sin(2 * np.pi * d / 365.25)) * (1 + 0.4 * np.sin(2 * np.pi * d / 4018)))
        tec = template["tec"].values * factor * rng.lognormal(0, 0.03, template["tec"].shape)
        ds = xr.Dataset({"tec": (("time", "lat", "lon"), tec.astype(np.float32),
                                 {"units": "TECU"})},
                        coords={"time": day + (template["time"].values
                                               - template["time"].values.astype("datetime64[D]")),
                                "lat": template["lat"], "lon": template["lon"]})
        digest = hashlib.sha256(tec.tobytes()).hexdigest()
        ds.attrs = {"product": "synh", "producer": "synthetic (bench_scale.py)",
                    "interval_s": 3600, "gaps": "[]",
                    "provenance": json.dumps({"file": f"synthetic {day}", "sha256": digest})}
        maps._write_partition(ds, target)
    return n_days


def in_memory_rate(store: Path, days: int) -> tuple[float, float, float]:
    """The in-memory path on the first ``days`` days: (samples/s, open s, detect s)."""
    year_end = str(np.datetime64("2015-01-01") + np.timedelta64(days - 1, "D"))
    t = time.perf_counter()
    series = maps.open_maps(store, "synh", end=year_end)
    opened = time.perf_counter() - t
    found = detect_anomalies(series)
    seconds = time.perf_counter() - t
    return found["tec"].size / seconds, opened, seconds - opened


def output_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--store", type=Path, default=Path("/tmp/ionoquake_bench_scale"))
    parser.add_argument("--memory-limit", default="768MiB",
                        help="per worker (the compiled kernel's numba and LLVM add ~155 MiB "
                             "to a worker; with IONOQUAKE_KERNEL=numpy 512MiB suffice)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per cluster size (the best is kept; the in-memory path is "
                             "timed before and after them, the best kept)")
    args = parser.parse_args()
    from dask.utils import format_bytes, parse_bytes
    from distributed import Client, LocalCluster

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"kernel: {os.environ.get('IONOQUAKE_KERNEL') or 'compiled if numba is installed'}")
    t0 = time.perf_counter()
    n_days = build_archive(args.store, int(args.years) if args.years >= 1 else 1)
    # The store may hold more years (built by an earlier, longer run): use the first n_days.
    n_days = min(n_days, len(maps.partitions(args.store, "synh")))
    last_day = str(np.datetime64("2015-01-01") + np.timedelta64(n_days - 1, "D"))
    samples = n_days * 24 * 71 * 73
    size = sum(p.stat().st_size for p in (args.store / "maps").rglob("*") if p.is_file()
               and p.relative_to(args.store / "maps" / "synh").parts[1][:10] <= last_day)
    print(f"archive: {n_days} days of SYNTHETIC hourly 2.5x5 deg maps (built from real CODE and "
          f"JPL days), {samples:,} samples, {format_bytes(samples * 4)} of float32 TEC "
          f"({format_bytes(size)} compressed on disk); built/checked in "
          f"{time.perf_counter() - t0:.0f} s")
    memory_days = min(n_days, 365)
    memory_runs = [in_memory_rate(args.store, memory_days)]
    rate, opened, detected = memory_runs[0]
    print(f"in-memory path (open_maps + detect_anomalies, first {memory_days} days, one "
          f"process, all threads): {rate:,.0f} samples/s (open_maps {opened:.1f} s, "
          f"detect_anomalies {detected:.1f} s)")
    runs = {}
    for n in args.workers:
        for _ in range(args.repeat):
            out = args.store / "anomalies"
            shutil.rmtree(out, ignore_errors=True)
            with LocalCluster(n_workers=n, threads_per_worker=1, memory_limit=args.memory_limit,
                              dashboard_address=None) as cluster, Client(cluster) as client, \
                    MemoryPeaks(client) as peaks:
                run = detect_archive(args.store, "synh", client=client, period="month",
                                     end=last_day)
            peak = max(peaks.peaks.values()) if peaks.peaks else 0
            print(f"  {n} worker(s): {run.seconds:.1f} s")
            if n not in runs or run.seconds < runs[n][0].seconds:
                runs[n] = (run, peak, output_bytes(run.output))
    memory_runs.append(in_memory_rate(args.store, memory_days))
    rate, opened, detected = memory_runs[1]
    print(f"in-memory path again: {rate:,.0f} samples/s (open_maps {opened:.1f} s, "
          f"detect_anomalies {detected:.1f} s)")
    memory_rate = max(r[0] for r in memory_runs)
    print(f"in-memory path, best of {len(memory_runs)}: {memory_rate:,.0f} samples/s")
    rates = {}
    for n, (run, peak, written) in runs.items():
        rates[n] = run.samples / run.seconds
        busy = sum(run.phases.values()) or 1.0
        profile = ", ".join(f"{name} {seconds:.1f} s ({seconds / busy:.0%})"
                            for name, seconds in run.phases.items())
        per_worker = rates[n] / n / memory_rate
        print(f"{n} worker(s), limit {args.memory_limit} each, best of {args.repeat}: "
              f"{run.samples:,} samples in {run.seconds:.1f} s = {rates[n]:,.0f} samples/s "
              f"({rates[n] / n:,.0f} per worker); peak worker memory {format_bytes(peak)} "
              f"({peak / parse_bytes(args.memory_limit):.0%} of the limit); output "
              f"{format_bytes(written)} on disk ({written / run.samples:.1f} bytes a sample)")
        print(f"  ratio to the in-memory path {rates[n] / memory_rate:.2f}; per worker "
              f"{per_worker:.2f} (target >= 0.8: {'met' if per_worker >= 0.8 else 'NOT met'})")
        print(f"  where the tasks' time goes (summed over tasks): {profile}")
    if 1 in rates and 2 in rates:
        speed_up = rates[2] / rates[1]
        print(f"speed-up on 2 workers: {speed_up:.2f}x (target >= 1.7x: "
              f"{'met' if speed_up >= 1.7 else 'NOT met'}; 1 worker has a spare core for its "
              "writes, 2 have none; other processes on this machine may load it)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
