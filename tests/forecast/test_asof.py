"""The as-of view: a forecast cannot see data stamped at or after its issue time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ionoquake.forecast.asof import AsOfView, LookAheadError
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig, build_forecast

ISSUE = pd.Timestamp("2020-06-01")


def _catalog() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame({
        "time": pd.Timestamp("2019-06-01") + pd.to_timedelta(rng.uniform(0, 730, n), unit="D"),
        "latitude": rng.uniform(30, 40, n), "longitude": rng.uniform(130, 145, n),
        "magnitude": 4.5 + rng.exponential(0.43, n)}).sort_values("time", ignore_index=True)


def test_table_hides_rows_at_and_after_the_issue_time() -> None:
    cat = _catalog()
    cat.loc[0, "time"] = ISSUE  # stamped exactly at the issue time: not visible
    view = AsOfView(ISSUE).with_table("catalog", cat)
    seen = view.table("catalog")
    assert (seen["time"] < ISSUE).all()
    assert len(seen) == int((cat["time"] < ISSUE).sum())
    assert seen.attrs["as_of"] == ISSUE.isoformat()


def test_latency_moves_the_limit_back() -> None:
    view = AsOfView(ISSUE).with_table("catalog", _catalog(), latency="2D")
    assert view.table("catalog")["time"].max() < ISSUE - pd.Timedelta(days=2)


def test_asking_for_the_future_is_an_error() -> None:
    view = AsOfView(ISSUE).with_table("catalog", _catalog())
    with pytest.raises(LookAheadError, match="catalog: asked for data until 2020-06-02 00:00:00, "
                       "but a forecast issued at 2020-06-01 00:00:00 sees only data stamped "
                       "before 2020-06-01 00:00:00"):
        view.table("catalog", until="2020-06-02")


def test_a_model_that_tries_to_cheat_gets_an_error() -> None:
    def cheating_model(view: AsOfView) -> float:
        # "peek at tomorrow's earthquakes" -- what a look-ahead bug does
        future = view.table("catalog", until=view.issue_time + pd.Timedelta(days=1))
        return float(len(future))

    with pytest.raises(LookAheadError):
        cheating_model(AsOfView(ISSUE).with_table("catalog", _catalog()))


def test_datasets_are_cut_too() -> None:
    times = pd.date_range("2020-05-30", periods=6, freq="12h")
    ds = xr.Dataset({"tec": (("time",), np.arange(6.0))}, coords={"time": times})
    view = AsOfView(ISSUE).with_dataset("gim", ds)
    assert view.dataset("gim")["time"].to_numpy().max() < np.datetime64(ISSUE)
    assert view.dataset("gim").sizes["time"] == 4
    with pytest.raises(LookAheadError):
        view.dataset("gim", until=ISSUE + pd.Timedelta(hours=1))


def test_forecast_does_not_change_when_the_future_changes() -> None:
    # No look-ahead, end to end: scrambling everything after the issue time leaves
    # the forecast (values and input hash) identical.
    cat = _catalog()
    future = cat["time"] >= ISSUE
    scrambled = cat.copy()
    scrambled.loc[future, "magnitude"] = 8.0
    scrambled.loc[future, "latitude"] = 31.0
    cfg = ForecastConfig(grid=Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5), learning_days=365)
    a = build_forecast(AsOfView(ISSUE).with_table("catalog", cat), cfg)
    b = build_forecast(AsOfView(ISSUE).with_table("catalog", scrambled), cfg)
    xr.testing.assert_identical(a, b)
    c = build_forecast(AsOfView(ISSUE + pd.Timedelta(days=30)).with_table("catalog", scrambled),
                       cfg)
    assert c.attrs["inputs_sha256"] != a.attrs["inputs_sha256"]


def test_unknown_input_names_what_there_is() -> None:
    view = AsOfView(ISSUE).with_table("catalog", _catalog())
    with pytest.raises(Exception, match=r"no input 'gim' in the as-of view; it has \['catalog'\]"):
        view.dataset("gim")
