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
on the first year, threads of one process), then ``detect_archive`` on a
``LocalCluster`` of 1 and 2 single-thread workers: samples/s, speed-up, and the
peak process memory of each worker as the scheduler reports it, and where the tasks'
time goes (read / detect / write / finish, :attr:`DetectionRun.phases`). The machine
may be shared with other work: the load average is printed at the start and the end.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--store", type=Path, default=Path("/tmp/ionoquake_bench_scale"))
    parser.add_argument("--memory-limit", default="768MiB",
                        help="per worker (the compiled kernel's numba and LLVM add ~155 MiB "
                             "to a worker; with IONOQUAKE_KERNEL=numpy 512MiB suffice)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    from dask.utils import format_bytes, parse_bytes
    from distributed import Client, LocalCluster

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"kernel: {os.environ.get('IONOQUAKE_KERNEL') or 'compiled if numba is installed'}")
    t0 = time.perf_counter()
    n_days = build_archive(args.store, int(args.years) if args.years >= 1 else 1)
    n_days = len(maps.partitions(args.store, "synh"))
    samples = n_days * 24 * 71 * 73
    size = sum(p.stat().st_size for p in (args.store / "maps").rglob("*") if p.is_file())
    print(f"archive: {n_days} days of SYNTHETIC hourly 2.5x5 deg maps (built from real CODE and "
          f"JPL days), {samples:,} samples, {format_bytes(samples * 4)} of float32 TEC "
          f"({format_bytes(size)} compressed on disk); built/checked in "
          f"{time.perf_counter() - t0:.0f} s")
    year_end = str(np.datetime64("2015-01-01") + np.timedelta64(min(n_days, 365) - 1, "D"))
    t = time.perf_counter()
    in_memory = detect_anomalies(maps.open_maps(args.store, "synh", end=year_end))
    seconds = time.perf_counter() - t
    memory_rate = in_memory["tec"].size / seconds
    print(f"in-memory path (open_maps + detect_anomalies, first {min(n_days, 365)} days, one "
          f"process, all threads): {memory_rate:,.0f} samples/s")
    del in_memory
    rates = {}
    for n in args.workers:
        out = args.store / "anomalies"
        shutil.rmtree(out, ignore_errors=True)
        with LocalCluster(n_workers=n, threads_per_worker=1, memory_limit=args.memory_limit,
                          dashboard_address=None) as cluster, Client(cluster) as client, \
                MemoryPeaks(client) as peaks:
            run = detect_archive(args.store, "synh", client=client, period="month")
        rates[n] = run.samples / run.seconds
        busy = sum(run.phases.values()) or 1.0
        profile = ", ".join(f"{name} {seconds:.1f} s ({seconds / busy:.0%})"
                            for name, seconds in run.phases.items())
        peak = max(peaks.peaks.values()) if peaks.peaks else 0
        print(f"{n} worker(s), limit {args.memory_limit} each: {run.samples:,} samples in "
              f"{run.seconds:.1f} s = {rates[n]:,.0f} samples/s "
              f"({rates[n] / n:,.0f} per worker); peak worker memory {format_bytes(peak)} "
              f"({peak / parse_bytes(args.memory_limit):.0%} of the limit, archive "
              f"{format_bytes(samples * 4)} of TEC); ratio to in-memory path "
              f"{rates[n] / memory_rate:.2f}; per worker {rates[n] / n / memory_rate:.2f} "
              "(target >= 0.8)")
        print(f"  where the tasks' time goes (summed over tasks): {profile}")
    if 1 in rates and 2 in rates:
        print(f"speed-up on 2 workers: {rates[2] / rates[1]:.2f}x (target >= 1.7x; other "
              "processes on this machine may load it)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
