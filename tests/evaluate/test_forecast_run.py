"""A whole run: daily forecasts with alarms → evaluation; planted alarms found, random not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ionoquake.evaluate.forecast_run import evaluate_run
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily

GRID = Grid(20, 50, 120, 160, 2.0, 4.5, 7.0, 0.5)
START, END = pd.Timestamp("2020-03-01"), pd.Timestamp("2020-03-21")


def _catalog(rng: np.random.Generator) -> pd.DataFrame:
    n = 900
    t = pd.Timestamp("2019-03-01") + pd.to_timedelta(rng.uniform(0, 386, n), unit="D")
    return pd.DataFrame({"time": t, "latitude": rng.normal(36, 5, n).clip(20.1, 49.9),
                         "longitude": rng.normal(140, 8, n).clip(120.1, 159.9),
                         "magnitude": 4.5 + rng.exponential(0.43, n)}).sort_values("time")


def _alarms_around(events: pd.DataFrame, rng: np.random.Generator, planted: bool) -> pd.DataFrame:
    n = len(events)
    if planted:  # an alarm issued 1-2 days before each event, centred on it
        t = events["time"].dt.floor("D") - pd.to_timedelta(rng.integers(1, 3, n), unit="D")
        lat, lon = events["latitude"].to_numpy(), events["longitude"].to_numpy()
    else:
        t = START + pd.to_timedelta(rng.integers(-2, 20, n), unit="D")
        lat, lon = rng.uniform(21, 49, n), rng.uniform(121, 159, n)
    return pd.DataFrame({"issued": t - pd.Timedelta(hours=1), "start": t,
                         "end": t + pd.Timedelta(days=3), "lat": lat, "lon": lon,
                         "radius_km": 150.0, "score": rng.uniform(1, 2, n)})


@pytest.mark.parametrize("planted", [True, False])
def test_run_evaluation_finds_planted_alarms_and_not_random_ones(planted: bool) -> None:
    rng = np.random.default_rng(11)
    cat = _catalog(rng)
    targets = cat[(cat["time"] >= START) & (cat["time"] < END)]
    cfg = ForecastConfig(name="gain", grid=GRID, learning_days=360, alarm_gain=5.0)
    forecasts = run_daily(cat, cfg, START, END, alarms=_alarms_around(targets, rng, planted))
    ev = evaluate_run(forecasts, cat, n_simulations=2000, csep_simulations=100)
    assert ev.n_forecasts == 20 and ev.n_target_events == len(targets)
    assert ev.molchan_alarms is not None
    if planted:
        assert ev.molchan_alarms.ass.p_value < 0.01
        assert ev.csep["T"].statistic > 0
    else:
        assert ev.molchan_alarms.ass.p_value > 0.05
    json.dumps(ev.to_dict(), allow_nan=False)
