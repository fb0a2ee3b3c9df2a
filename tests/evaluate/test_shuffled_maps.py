"""The time-shuffled ionosphere null: permutations, the same arithmetic as the real score,
calibration on days that are exchangeable by construction, and power on a planted precursor.

Real case: the 55-day JPL GIM series of ../shared/data/ionex/jpl_2000326-2001014 with the
USGS ComCat M >= 4.5 catalogue bundled in data/catalogs (2000-10 .. 2001-02), as in the demo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.clusters import anomaly_clusters
from ionoquake.detect.decluster import decluster
from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.forecast_run import evaluate_run
from ionoquake.evaluate.shuffled_maps import (
    AlarmCube,
    MapsNull,
    ShuffledMaps,
    season_permutation,
)
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.scale.montecarlo import shuffled_maps_null_on
from ionoquake.sources import catalog, gim


@given(st.integers(2, 120), st.integers(2, 40), st.integers(0, 1000))
def test_permutations_stay_inside_their_season(n_days: int, season: int, i: int) -> None:
    perm = season_permutation(n_days, i, seed=5, season_days=season)
    assert sorted(perm.tolist()) == list(range(n_days))
    assert np.array_equal(perm // season, np.arange(n_days) // season)
    assert np.array_equal(perm, season_permutation(n_days, i, seed=5, season_days=season))


def test_maps_must_be_whole_days() -> None:
    t = pd.date_range("2001-01-01", periods=30, freq="5h")
    tec = xr.DataArray(np.ones((30, 2, 2)), dims=("time", "lat", "lon"),
                       coords={"time": t, "lat": [0.0, 5.0], "lon": [0.0, 5.0]})
    cube = AlarmCube(pd.DatetimeIndex([]), 1.0, Grid(), np.ones((0, 1, 1)), np.ones((0, 1, 1)))
    with pytest.raises(IonoquakeError, match="whole days with the same epochs"):
        ShuffledMaps.build(xr.Dataset({"tec": tec}), cube, background=BackgroundConfig(),
                           rules=AlarmRules())


# --- the real case -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(shared_data: Path, bundled_data: Path) -> tuple[ShuffledMaps, float, pd.DataFrame]:
    files = sorted((shared_data / "ionex" / "jpl_2000326-2001014").glob("jplg*"))
    maps = gim.read_days(files)
    config = BackgroundConfig(window_days=15, form="quartile")
    rules = AlarmRules(geomagnetic="any")  # no index file here: every epoch is "unknown"
    alarms = alarms_from_clusters(anomaly_clusters(detect_anomalies(maps, config)), rules)
    mainshocks = decluster(catalog.read(
        bundled_data / "catalogs" / "usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"))
    forecasts = run_daily(mainshocks, ForecastConfig(grid=Grid(step_deg=2.0), learning_days=60,
                                                     alarm_gain=rules.gain),
                          "2000-12-06", "2001-01-15", alarms=alarms)
    ev = evaluate_run(forecasts, mainshocks, n_simulations=0, csep_simulations=10,
                      magnitude_min=6.0)
    assert ev.molchan_alarms is not None
    cube = AlarmCube.from_forecasts(forecasts, mainshocks, magnitude_min=6.0)
    null = ShuffledMaps.build(maps, cube, background=config, rules=rules)
    return null, ev.molchan_alarms.ass.statistic, alarms


def test_the_observed_score_is_the_real_runs_ass(
        real: tuple[ShuffledMaps, float, pd.DataFrame]) -> None:
    null, ass, alarms = real
    assert len(alarms) > 10
    assert null.statistic(None) == ass  # bit for bit: the same cells, scores and arithmetic
    pd.testing.assert_frame_equal(null.alarms(np.arange(null.n_days)), null.alarms(None))


def test_clusters_of_other_maps_or_settings_are_refused(
        real: tuple[ShuffledMaps, float, pd.DataFrame]) -> None:
    null, ass, _ = real
    spec = MapsNull(xr.Dataset({"tec": null.tec}), null.background, n_null=3)
    assert spec.build(null.cube, null.rules, ass).statistic(None) == ass
    other = MapsNull(xr.Dataset({"tec": null.tec}), BackgroundConfig(window_days=10), n_null=3)
    with pytest.raises(IonoquakeError, match="not detected on these maps with this background"):
        other.build(null.cube, null.rules, ass)


def test_shuffled_null_in_process_and_in_batches(
        real: tuple[ShuffledMaps, float, pd.DataFrame]) -> None:
    null, ass, _ = real
    sims = null.statistics(range(3), seed=2)
    assert len(set(sims.tolist())) > 1  # the shuffles really change the alarms
    batched = shuffled_maps_null_on(None, null, 3, seed=2, batch=1)
    assert batched.statistic == ass and batched.null.n_samples == 3
    assert batched.null.values == tuple(sorted(sims.tolist()))
    assert batched.p_value == (1 + np.count_nonzero(sims >= ass)) / 4


# --- calibration and power on synthetic maps ----------------------------------------------

GRID = Grid(-20.0, 20.0, -40.0, 40.0, 10.0)  # 4 x 8 cells
DAYS = 48
RULES = AlarmRules(min_cells=1, min_duration_h=0.0, max_area_km2=1e9, geomagnetic="any",
                   region="fixed", radius_km=600.0, duration_days=4.0, lead_days=0.0)
BACKGROUND = BackgroundConfig(window_days=8, form="quartile", k=4.0, min_days=6)


def _synthetic(seed: int, planted: float) -> tuple[ShuffledMaps, float]:
    """i.i.d. days of noisy maps (4 epochs a day); 12 events; ``planted`` TECU above the
    background at each event's cell on the 2 days before it."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2001-03-01", periods=DAYS * 4, freq="6h")
    tec = 20.0 + rng.normal(0.0, 1.0, (times.size, GRID.lat.size, GRID.lon.size))
    n_events = 12
    day = rng.integers(12, DAYS - 1, n_events)
    i, j = rng.integers(0, GRID.lat.size, n_events), rng.integers(0, GRID.lon.size, n_events)
    events = np.zeros((DAYS, GRID.lat.size, GRID.lon.size))
    for d, y, x in zip(day, i, j, strict=True):
        events[d, y, x] += 1
        tec[(d - 2) * 4:d * 4, y, x] += planted
    maps = xr.Dataset({"tec": (("time", "lat", "lon"), tec)},
                      coords={"time": times, "lat": GRID.lat, "lon": GRID.lon})
    issue = pd.date_range("2001-03-01", periods=DAYS, freq="D")
    cube = AlarmCube(issue, 1.0, GRID, np.ones(events.shape), events)
    null = ShuffledMaps.build(maps, cube, background=BACKGROUND, rules=RULES, season_days=48)
    return null, null.statistic(None)


def test_a_planted_precursor_is_found() -> None:
    null, ass = _synthetic(1, planted=8.0)
    result = shuffled_maps_null_on(None, null, 39, seed=1)
    assert ass > 0.6 and result.p_value <= 0.05


def test_calibrated_when_days_are_exchangeable() -> None:
    # No signal and i.i.d. days: the real order is one more draw of the permutation null, so
    # p is uniform on {1/20, ..., 1}: P(p <= 0.1) = 0.1 and E[p] = 0.525 (the full-size
    # check is in benchmarks/bench_calibration.py).
    p = np.array([shuffled_maps_null_on(None, _synthetic(s, 0.0)[0], 19, seed=s).p_value
                  for s in range(20)])
    assert np.mean(p <= 0.1) <= 0.35  # binomial(20, 0.1): P(X >= 8) ≈ 0.0004
    assert 0.3 < p.mean() < 0.75  # sd of the mean of 20 ≈ 0.065
