"""A GNSS network day, RINEX → detrended slant TEC: one process against a 2-worker Dask cluster.

GEONET has ~1,300 receivers at 30 s. No such network is in ../shared/data, so it is
**synthesised** from the real BELE day (CRINEX 3, 2,880 epochs, GPS + GLONASS formed, with
the broadcast navigation and the CAS DCBs of 2024-01-10): receiver ``i`` is BELE with its
approximate position moved by ``i`` × 10 km east (so its elevations and pierce points
differ) and its own name. Each receiver is read from its file (CRINEX decompression and
parsing, the real cost), its slant TEC formed (:func:`ionoquake.scale.gnss.receiver_task`)
and detrended over the day (cubic per arc and the 1.5–8 mHz band-pass,
:func:`ionoquake.gnss.disturbances.detrend`).

What a network run does once, before its receivers, is done once here and timed apart:
the orbits of every satellite on the day's 30-s grid
(:meth:`~ionoquake.gnss.ephemeris.OrbitCache.fill_day`) and the digested bias table
(:class:`~ionoquake.gnss.bias_lookup.NetworkBiases`), on the client; for the cluster they
are then broadcast to the workers (timed, printed) instead of each worker computing them.
Both sides load what a process loads once before their clock: the compiled arc kernel
(numba's on-disk cache) and the reader's compiled parts, by reading the file once.

The same receivers are processed in one process and on a local cluster of 2 single-thread
worker processes (without Dask's ``MALLOC_TRIM_THRESHOLD_`` and statistical profiler, so
that a task runs as in the single process: :data:`WORKER_SETTINGS`; ``--dask-defaults``
keeps them); the cluster's clock stops when every receiver is done on the workers, and
the time to gather the results to the client (to compare them) is printed beside it, with
the speed-up including it; beside it, two plain processes (no Dask) doing half the
receivers each give this machine's ceiling for the work (its two cores do not each run
as fast with the other busy). The results are compared value for value, the time per
receiver printed with its read / slant TEC / detrend parts, each worker's first task
beside its median task, and the network day extrapolated to 1,300 receivers (the
per-receiver cost is flat; the once-per-network orbits added). Targets of issue I:
≤ 10 min for the network day in one process, and ≥ 1.7× on 2 workers.

    python benchmarks/bench_gnss_network.py [--receivers 24] [--dask-defaults]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.gnss import arc_kernel
from ionoquake.gnss.bias_lookup import NetworkBiases
from ionoquake.gnss.disturbances import detrend
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.gnss.tec_files import read_orbits
from ionoquake.scale.gnss import receiver_task
from ionoquake.sources import bias_sinex, rinex_obs

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rinex" / "pygnss_tec_2024-01-10"
OBS = DATA / "BELE00BRA_R_20240100000_01D_30S_MO.crx.gz"
NAV = [DATA / "brdc0100.24n.gz", DATA / "brdc0100.24g.gz"]
BIAS = DATA / "CAS0OPSRAP_20240100000_01D_01D_DCB.BIA.gz"
GEONET_RECEIVERS = 1300


def moved(obs: xr.Dataset, i: int) -> xr.Dataset:
    """BELE moved ``i`` × 10 km east (ECEF rotation about the pole), named ``s<i>``."""
    out = obs.copy()
    x, y, z = (float(v) for v in obs.attrs["position"])
    angle = i * 10.0 / 6378.0
    c, s = np.cos(angle), np.sin(angle)
    out.attrs = {**obs.attrs, "position": [c * x - s * y, s * x + c * y, z],
                 "marker_name": f"S{i:03d}"}
    return out


#: Two Dask defaults that cost a Python-heavy task time, turned off on the workers (the
#: single process has neither): the nanny's MALLOC_TRIM_THRESHOLD_=65536, which also turns
#: off glibc's adaptive mmap threshold, so every array above 128 kB is mapped and unmapped
#: afresh (page faults: ~25 ms more per receiver here, measured with and without it in one
#: process), and the statistical profiler that samples the task's stack every 10 ms.
WORKER_SETTINGS = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                   "distributed.worker.profile.enabled": False}

#: A receiver's detrended STEC, its times (s: read, slant TEC, detrend) and its worker
#: (a plain tuple: it travels back from the workers).
Timed = tuple[xr.DataArray, tuple[float, float, float], str]


def one_receiver(i: int, orbits: OrbitCache, biases: NetworkBiases) -> Timed:
    """Receiver ``i``: read, slant TEC, detrended over the day (what a network run does)."""
    marks: list[float] = []

    def move(obs: xr.Dataset) -> xr.Dataset:
        marks.append(time.perf_counter())  # the file is read: the slant TEC starts
        return moved(obs, i)

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Galileo/BeiDou without ephemerides: said once below
        tec = receiver_task(str(OBS), orbits, biases, [], {"receiver": f"s{i:03d}"},
                            transform=move)
        t1 = time.perf_counter()
        out = detrend(tec, method="both")
    t2 = time.perf_counter()
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "local"
    return out, (marks[0] - t0, t1 - marks[0], t2 - t1), worker


def warm() -> None:
    """What a process loads once before its receivers: the modules, the compiled arc
    kernel, and the reader's compiled parts (by reading the file once, result unused)."""
    arc_kernel.warm_up()
    rinex_obs.read(OBS)


def in_process(n: int, orbits: OrbitCache, biases: NetworkBiases) -> tuple[list[Timed], float]:
    warm()
    t0 = time.perf_counter()
    out = [one_receiver(i, orbits, biases) for i in range(n)]
    return out, time.perf_counter() - t0


def on_cluster(n: int, orbits: OrbitCache, biases: NetworkBiases, workers: int,
               dask_defaults: bool) -> tuple[list[Timed], float, float, float]:
    """Results, time until every receiver is done on the workers, broadcast time before,
    gather time after (the results brought to the client to be compared)."""
    import dask
    from distributed import Client, LocalCluster, wait

    with dask.config.set({} if dask_defaults else WORKER_SETTINGS), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(warm)  # imports and the compiled kernel before the clock
        t0 = time.perf_counter()
        [orbit_future] = client.scatter([orbits], broadcast=True)
        [table_future] = client.scatter([biases], broadcast=True)
        t_scatter = time.perf_counter() - t0
        t0 = time.perf_counter()
        futures = [client.submit(one_receiver, i, orbit_future, table_future, pure=False)
                   for i in range(n)]
        wait(futures)  # every receiver done: a network run stores them from the workers
        t_done = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = client.gather(futures)  # here, to compare them with the single process
        return out, t_done, t_scatter, time.perf_counter() - t0


_POOL: tuple[OrbitCache, NetworkBiases] | None = None


def _pool_init(orbits: OrbitCache, biases: NetworkBiases, ready: Any) -> None:
    global _POOL
    _POOL = (orbits, biases)
    warm()
    ready.wait()


def _pool_work(i: int) -> float:
    assert _POOL is not None
    return sum(one_receiver(i, *_POOL)[1])


def two_processes(n: int, orbits: OrbitCache, biases: NetworkBiases) -> float:
    """The machine's ceiling for this work without Dask: two plain processes started
    side by side (multiprocessing, spawned, warmed up as the workers are), half of the
    receivers each; the wall time until both are done."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(3)
    with ctx.Pool(2, initializer=_pool_init, initargs=(orbits, biases, ready)) as pool:
        ready.wait()
        t0 = time.perf_counter()
        pool.map(_pool_work, range(n), chunksize=-(-n // 2))
        return time.perf_counter() - t0


def _parts(results: list[Timed]) -> str:
    read, tec, dtr = (float(np.mean([r[1][k] for r in results])) for k in range(3))
    return (f"read {read:.3f} s + slant TEC {tec:.3f} s + detrend {dtr:.3f} s "
            f"(after reading: {tec + dtr:.3f} s, target ≤ 0.2 s: "
            f"{'met' if tec + dtr <= 0.2 else 'NOT met'}; reading is "
            f"{read / (read + tec + dtr):.0%} of a receiver)")


def _per_worker(results: list[Timed]) -> str:
    lines = []
    for worker in sorted({r[2] for r in results}):
        parts = [r[1] for r in results if r[2] == worker]
        mine = [sum(p) for p in parts]
        read, tec, dtr = (float(np.median([p[k] for p in parts])) for k in range(3))
        lines.append(f"    {worker}: {len(mine)} receivers, first {mine[0]:.2f} s, "
                     f"median {float(np.median(mine)):.2f} s (read {read:.3f} + slant TEC "
                     f"{tec:.3f} + detrend {dtr:.3f})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receivers", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask-defaults", action="store_true",
                        help="keep Dask's MALLOC_TRIM_THRESHOLD_ and profiler on the workers")
    args = parser.parse_args()
    t0 = time.perf_counter()
    orbits = OrbitCache([read_orbits(p) for p in NAV])
    grid = orbits.fill_day()
    biases = NetworkBiases(bias_sinex.read(BIAS))
    t_once = time.perf_counter() - t0
    n = args.receivers
    print(f"synthetic network: {n} copies of BELE (2880 epochs, 30 s) moved 10 km apart")
    print(f"once per network, on the client: navigation and bias files read, "
          f"{len(orbits.satellites())} satellites on {grid.size} epochs, bias table: "
          f"{t_once:.2f} s")
    local, t_local = in_process(n, orbits, biases)
    spread, t_cluster, t_scatter, t_gather = on_cluster(n, orbits, biases, args.workers,
                                                        args.dask_defaults)
    for a, b in zip(local, spread, strict=True):
        np.testing.assert_array_equal(a[0].values, b[0].values)
        xr.testing.assert_identical(a[0], b[0])
    values = int(sum(np.isfinite(d[0].values).sum() for d in local))
    print(f"equal value for value on {args.workers} workers: {values} detrended STEC values")
    per = t_local / n
    day = t_once + per * GEONET_RECEIVERS
    print(f"one process: {t_local:.1f} s for {n} receivers, {per:.3f} s per receiver: "
          f"{_parts(local)}")
    print(f"  {GEONET_RECEIVERS} receivers ≈ {t_once:.1f} s once + {GEONET_RECEIVERS} × "
          f"{per:.3f} s = {day / 60:.1f} min (target ≤ 10 min: "
          f"{'met' if day <= 600 else 'NOT met'})")
    speedup = t_local / t_cluster
    print(f"{args.workers} workers: {t_cluster:.1f} s until every receiver is done "
          f"(broadcast of orbits and biases before: {t_scatter:.2f} s; gathering the results "
          f"to the client after: {t_gather:.2f} s), speed-up {speedup:.2f}× "
          f"(target ≥ 1.7×: {'met' if speedup >= 1.7 else 'NOT met'}; "
          f"{t_local / (t_cluster + t_gather):.2f}× with the gathering); "
          f"{GEONET_RECEIVERS} receivers ≈ "
          f"{(t_once + t_scatter + t_cluster / n * GEONET_RECEIVERS) / 60:.1f} min")
    if args.workers == 2:
        t_two = two_processes(n, orbits, biases)
        print(f"  this machine's ceiling for the work: two plain processes side by side "
              f"(no Dask), half the receivers each: {t_two:.1f} s, {t_local / t_two:.2f}×; "
              f"the Dask path reaches {t_two / t_cluster:.0%} of it")
    setting = ("Dask's defaults (MALLOC_TRIM_THRESHOLD_=65536, profiler on)"
               if args.dask_defaults else "no MALLOC_TRIM_THRESHOLD_, no profiler")
    print(f"  workers with {setting}; per worker (s per receiver, read + slant TEC + "
          "detrend):")
    print(_per_worker(spread))


if __name__ == "__main__":
    main()
