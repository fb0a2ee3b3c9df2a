"""A GNSS network day, RINEX → detrended slant TEC: one process against a 2-worker Dask cluster.

GEONET has ~1,300 receivers at 30 s. No such network is in ../shared/data, so it is
**synthesised** from the real BELE day (CRINEX 3, 2,880 epochs, GPS + GLONASS formed, with
the broadcast navigation and the CAS DCBs of 2024-01-10): receiver ``i`` is BELE with its
approximate position moved by ``i`` × 10 km east (so its pierce points differ) and its own
name. Each receiver is read from its file (CRINEX decompression and parsing, the real cost),
its slant TEC formed (orbits shared per worker, :mod:`ionoquake.scale.gnss`) and detrended
over the day (cubic per arc and the 1.5–8 mHz band-pass,
:func:`ionoquake.gnss.disturbances.detrend`).

The same receivers are processed in one process and on a local cluster of 2 single-thread
workers; the results are compared value for value, the time per receiver printed, and the
network day extrapolated to 1,300 receivers (the per-receiver cost is flat: the shared
orbits are computed once per process). Targets of issue I: ≤ 10 min for the network day in
one process, and ≥ 1.7× on 2 workers.

    python benchmarks/bench_gnss_network.py [--receivers 6]
"""

from __future__ import annotations

import argparse
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.gnss.disturbances import detrend
from ionoquake.gnss.tec_files import read_orbits
from ionoquake.scale.gnss import receiver_task
from ionoquake.sources import bias_sinex

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


def one_receiver(i: int, key: str, orbits: list[xr.Dataset], table: Any) -> xr.DataArray:
    """Receiver ``i``: read, slant TEC, detrended over the day (what a network run does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Galileo/BeiDou without ephemerides: said once below
        tec = receiver_task(str(OBS), key, orbits, table, [], {"receiver": f"s{i:03d}"},
                            transform=partial(moved, i=i))
        return detrend(tec, method="both")


def in_process(n: int, orbits: list[xr.Dataset], table: Any) -> tuple[list[xr.DataArray], float]:
    t0 = time.perf_counter()
    out = [one_receiver(i, "local", orbits, table) for i in range(n)]
    return out, time.perf_counter() - t0


def on_cluster(n: int, orbits: list[xr.Dataset], table: Any,
               workers: int) -> tuple[list[xr.DataArray], float]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(lambda: __import__("ionoquake.scale.gnss"))  # imports before the clock
        [orbit_future] = client.scatter([orbits], broadcast=True)
        [table_future] = client.scatter([table], broadcast=True)
        t0 = time.perf_counter()
        futures = [client.submit(one_receiver, i, "bench", orbit_future, table_future,
                                 pure=False) for i in range(n)]
        out = client.gather(futures)
        return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receivers", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    orbits = [read_orbits(p) for p in NAV]
    table = bias_sinex.read(BIAS)
    n = args.receivers
    print(f"synthetic network: {n} copies of BELE (2880 epochs, 30 s) moved 10 km apart")
    local, t_local = in_process(n, orbits, table)
    spread, t_cluster = on_cluster(n, orbits, table, args.workers)
    for a, b in zip(local, spread, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
    values = int(sum(np.isfinite(d.values).sum() for d in local))
    print(f"equal value for value on {args.workers} workers: {values} detrended STEC values")
    per = t_local / n
    print(f"one process: {t_local:.1f} s for {n} receivers, {per:.2f} s per receiver; "
          f"{GEONET_RECEIVERS} receivers ≈ {per * GEONET_RECEIVERS / 60:.1f} min "
          f"(target ≤ 10 min: {'met' if per * GEONET_RECEIVERS <= 600 else 'NOT met'})")
    speedup = t_local / t_cluster
    print(f"{args.workers} workers: {t_cluster:.1f} s, speed-up {speedup:.2f}× "
          f"(target ≥ 1.7×: {'met' if speedup >= 1.7 else 'NOT met'}); "
          f"{GEONET_RECEIVERS} receivers ≈ {t_cluster / n * GEONET_RECEIVERS / 60:.1f} min")


if __name__ == "__main__":
    main()
