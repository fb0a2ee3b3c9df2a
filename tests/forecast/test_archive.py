"""Issued forecasts are immutable and re-computable byte-for-byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ionoquake.forecast.archive import read_forecast, write_forecast
from ionoquake.forecast.grid import ForecastError, Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import issue_times, run_daily

GRID = Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5)


def _catalog(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 300
    return pd.DataFrame({
        "time": pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.uniform(0, 600, n), unit="D"),
        "latitude": rng.uniform(30, 40, n), "longitude": rng.uniform(130, 145, n),
        "magnitude": 4.5 + rng.exponential(0.43, n)})


def _alarms() -> pd.DataFrame:
    return pd.DataFrame({
        "issued": pd.to_datetime(["2020-06-01 12:00"]), "start": pd.to_datetime(["2020-06-02"]),
        "end": pd.to_datetime(["2020-06-05"]), "lat": [35.5], "lon": [138.5],
        "radius_km": [200.0], "score": [3.0]})


CFG = ForecastConfig(name="gain3", grid=GRID, learning_days=365, alarm_gain=3.0)


def test_recomputing_gives_the_same_bytes(tmp_path: Path) -> None:
    paths = []
    for store in (tmp_path / "a", tmp_path / "b"):
        run_daily(_catalog(), CFG, "2020-06-01", "2020-06-04", alarms=_alarms(), store=store)
        paths.append(sorted((store / "forecasts" / "gain3").glob("*.parquet")))
    assert [p.name for p in paths[0]] == ["2020-06-01T000000.parquet", "2020-06-02T000000.parquet",
                                          "2020-06-03T000000.parquet"]
    for a, b in zip(*paths, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_alarm_gain_applies_only_once_the_alarm_is_issued_and_active(tmp_path: Path) -> None:
    days = run_daily(_catalog(), CFG, "2020-06-01", "2020-06-04", alarms=_alarms())
    ratio = [float((d["spatial_rate"] / d["baseline_rate"]).max()) for d in days]
    # 06-01: alarm not yet issued; 06-02 and 06-03: active, gain 3 in cells within 200 km
    assert ratio == pytest.approx([1.0, 3.0, 3.0], rel=1e-12)
    inside = days[1]["spatial_rate"] / days[1]["baseline_rate"] > 2.0
    assert bool(inside.sel(lat=35.5, lon=138.5)) and not bool(inside.sel(lat=39.5, lon=130.5))
    assert days[1].attrs["config_sha256"] == CFG.sha256()


def test_a_stored_forecast_cannot_be_replaced(tmp_path: Path) -> None:
    ds = run_daily(_catalog(), CFG, "2020-06-01", "2020-06-02")[0]
    first = write_forecast(tmp_path, ds)
    assert first.written and not write_forecast(tmp_path, ds).written
    changed = ds.copy(deep=True)
    changed["spatial_rate"] = changed["spatial_rate"] * 1.01
    with pytest.raises(ForecastError, match="issued forecasts are immutable"):
        write_forecast(tmp_path, changed)
    xr.testing.assert_equal(read_forecast(first.path), ds)


def test_issue_times_are_midnights() -> None:
    assert list(issue_times("2020-01-01 05:00", "2020-01-03").strftime("%d %H")) == ["01 00",
                                                                                     "02 00"]
    with pytest.raises(ForecastError, match="empty forecast period"):
        issue_times("2020-01-02", "2020-01-01")
