"""Benchmark of the anomaly detector (issue C).

1. On the real 55-day JPL series (../shared/data/ionex/jpl_2000326-2001014, 660 maps of
   71 x 73 cells): ionoquake over all 5183 cells against the peer quakeion 0.1.1
   ``detect_anomalies`` applied cell by cell (a sample of cells timed, scaled to all).
   Both use N = 15; quakeion's band is the symmetric IQR form, so ionoquake runs with
   ``form="iqr", min_days=5`` to do the same work (and the default form for reference).
2. One year of hourly global maps (8760 x 71 x 73): SYNTHESISED, since no year of real
   maps is at hand: the 24 hourly maps of the real CODE day 2020-01-08 (codg0080.20i),
   each day scaled by a day-to-day factor (AR(1), 10 % standard deviation, as
   solar-rotation and storm-time variability) plus cell noise of 1 TECU. Timed against
   a plain pandas ``rolling(15).median()`` + quantile approach (shifted by one day).

Run: ``.venv/bin/python benchmarks/bench_detect.py`` (about two minutes).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.background import BackgroundConfig
from ionoquake.sources import gim, ionex

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ionex"


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def peer_ratio() -> None:
    from quakeion.anomalies import detect_anomalies as peer

    maps = gim.read_days(sorted((SHARED / "jpl_2000326-2001014").glob("jplg*.gz")))
    n_cells = maps.sizes["lat"] * maps.sizes["lon"]
    iqr = BackgroundConfig(form="iqr", min_days=5)
    ours = best_of(3, lambda: detect_anomalies(maps, iqr))
    ours_default = best_of(3, lambda: detect_anomalies(maps))
    rng = np.random.default_rng(0)
    sample = rng.choice(n_cells, 40, replace=False)
    tec = maps["tec"].values.reshape(maps.sizes["time"], -1)
    index = pd.DatetimeIndex(maps["time"].values)
    t = time.perf_counter()
    for c in sample:
        peer(pd.DataFrame({"tec": tec[:, c].astype(float)}, index=index), baseline_days=15)
    per_cell = (time.perf_counter() - t) / len(sample)
    theirs = per_cell * n_cells
    # Same answer on the sampled cells (symmetric IQR bounds, >= 5 reference days).
    got = detect_anomalies(maps, iqr)["upper"].values.reshape(maps.sizes["time"], -1)
    ref = peer(pd.DataFrame({"tec": tec[:, sample[0]].astype(float)}, index=index))
    agree = np.allclose(got[:, sample[0]], ref["upper"], atol=1e-4, equal_nan=True)
    print(f"JPL 55 days, {maps.sizes['time']} maps x {n_cells} cells "
          f"({maps['tec'].size / 1e6:.1f} M samples)")
    print(f"  ionoquake detect_anomalies (iqr, min 5 days): {ours:.3f} s; "
          f"default quartile form: {ours_default:.3f} s")
    print(f"  quakeion 0.1.1 detect_anomalies per cell: {per_cell * 1e3:.1f} ms x {n_cells} "
          f"= {theirs:.0f} s (from {len(sample)} cells)")
    print(f"  ratio: {theirs / ours:.0f}x (upper bounds agree on a sampled cell: {agree})")


def synthetic_year() -> xr.DataArray:
    day = ionex.read(SHARED / "code_esa_2020008-010" / "codg0080.20i.gz")["tec"].values[:24]
    rng = np.random.default_rng(1)
    n_days = 365
    factor = np.empty(n_days)
    factor[0] = 1.0
    for d in range(1, n_days):
        factor[d] = 1.0 + 0.8 * (factor[d - 1] - 1.0) + rng.normal(0, 0.06)
    cube = (day[None] * factor[:, None, None, None]).astype(np.float32)
    cube += rng.normal(0, 1.0, cube.shape).astype(np.float32)
    np.maximum(cube, 0, out=cube)
    cube = cube.reshape(n_days * 24, *day.shape[1:])
    times = pd.date_range("2020-01-01", periods=n_days * 24, freq="h")
    return xr.DataArray(cube, coords={"time": times, "lat": np.arange(-87.5, 88, 2.5),
                                      "lon": np.arange(-180, 181, 5.0)},
                        dims=("time", "lat", "lon"), attrs={"units": "TECU"})


def pandas_rolling(cube: xr.DataArray) -> None:
    """Plain pandas: per hour of day, rolling median and quartiles of the 15 days before."""
    values = cube.values.reshape(365, 24, -1)
    for hour in range(24):
        frame = pd.DataFrame(values[:, hour])
        rolling = frame.rolling(15, min_periods=15)
        rolling.median().shift(1)
        rolling.quantile(0.25).shift(1)
        rolling.quantile(0.75).shift(1)


def year_timing() -> None:
    cube = synthetic_year()
    n = cube.size
    print(f"One year of hourly global maps, {cube.shape} ({n / 1e6:.1f} M samples), "
          "SYNTHESISED from the real CODE maps of 2020-01-08 with AR(1) day-to-day factors "
          "(10 % sd) and 1 TECU noise")
    ours = best_of(2, lambda: detect_anomalies(cube))
    print(f"  ionoquake detect_anomalies (quartile bounds, N=15, all products): {ours:.2f} s, "
          f"{n / ours / 1e6:.1f} M samples/s  (target <= 5 s)")
    t = time.perf_counter()
    pandas_rolling(cube)
    pd_time = time.perf_counter() - t
    print(f"  pandas rolling(15).median() + quartiles (bounds only): {pd_time:.2f} s, "
          f"{n / pd_time / 1e6:.1f} M samples/s; ratio {pd_time / ours:.1f}x")


def main() -> None:
    peer_ratio()
    year_timing()


if __name__ == "__main__":
    main()
