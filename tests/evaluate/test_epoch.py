"""Superposed epoch analysis: planted precursors are found, unrelated anomalies are not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ionoquake.evaluate.epoch import NULL_CATALOGS, null_statistic, superposed_epoch
from ionoquake.evaluate.results import EpochResult
from ionoquake.geo import great_circle_km

START = pd.Timestamp("2020-01-01")
DAYS = 240.0


def _background(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "time": START + pd.to_timedelta(rng.uniform(0, DAYS, n), unit="D"),
        "lat": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
        "lon": rng.uniform(-180, 180, n)})


def _events(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "time": START + pd.to_timedelta(rng.uniform(35, DAYS - 15, n), unit="D"),
        "latitude": rng.uniform(-50, 50, n), "longitude": rng.uniform(-180, 180, n)})


def _planted(rng: np.random.Generator, events: pd.DataFrame, per_event: int) -> pd.DataFrame:
    n = len(events) * per_event
    src = events.loc[events.index.repeat(per_event)]
    return pd.DataFrame({  # 1-5 days before, within ~200 km
        "time": src["time"].to_numpy() - pd.to_timedelta(rng.uniform(1, 5, n), unit="D"),
        "lat": src["latitude"].to_numpy() + rng.normal(0, 1, n),
        "lon": src["longitude"].to_numpy() + rng.normal(0, 1, n)})


COVER = (START, START + pd.Timedelta(days=DAYS))


def test_counts_by_hand() -> None:
    events = pd.DataFrame({"time": [START + pd.Timedelta(days=50)], "latitude": [0.0],
                           "longitude": [0.0]})
    anomalies = pd.DataFrame({
        "time": START + pd.to_timedelta([47.5, 49.9, 50.0, 58.0, 70.0], unit="D"),
        "lat": [0.0, 0.0, 0.0, 0.0, 0.0], "lon": [1.0, 6.0, 20.0, 1.0, 1.0]})
    res = superposed_epoch(anomalies, events, nulls=(), n_bootstrap=10, coverage=COVER)
    table = res.rate_table()
    assert table.shape == (40, 4)
    # day -2.5 at 111 km -> bin (-3, 0); day -0.1 at 667 km -> (-1, 1); day 0 at 2224 km -> (30, 3);
    # day +8 at 111 km -> (38, 0); day +20 is outside the window
    expected = {(27, 0): 1, (29, 1): 1, (30, 3): 1, (38, 0): 1}
    assert {k: int(v) for k, v in np.ndenumerate(table) if v} == expected
    assert great_circle_km(0, 0, 0, 20) == pytest.approx(2223.9, abs=0.1)
    assert res.tests == {}


def test_planted_precursors_are_found_against_every_null() -> None:
    rng = np.random.default_rng(1)
    events = _events(rng, 40)
    anomalies = pd.concat([_background(rng, 4000), _planted(rng, events, 3)])
    res = superposed_epoch(anomalies, events, n_null=199, n_bootstrap=1000, coverage=COVER)
    for name in NULL_CATALOGS:
        assert res.tests[name].p_value <= 0.01, name
    table = res.rate_table()
    assert table[25:29, 0].sum() > 2.5  # ≈ 3 planted anomalies per event, days -5..-1
    low, high = (np.asarray(b).reshape(table.shape) for b in (res.band_low, res.band_high))
    assert (low <= table + 1e-12).all() and (table <= high + 1e-12).all()


def test_unrelated_anomalies_are_not_significant_in_95_percent_of_seeds() -> None:
    hits = {name: 0 for name in NULL_CATALOGS}
    n_seeds = 20
    for seed in range(n_seeds):
        rng = np.random.default_rng(100 + seed)
        res = superposed_epoch(_background(rng, 1500), _events(rng, 25), n_null=99,
                               n_bootstrap=100, coverage=COVER, seed=seed)
        for name in NULL_CATALOGS:
            hits[name] += res.tests[name].p_value <= 0.05
    # 95 % of seeds not significant: at most one false positive in 20 per null
    assert all(h <= 1 for h in hits.values()), hits


def test_null_realisations_do_not_depend_on_the_order_they_run_in() -> None:
    rng = np.random.default_rng(3)
    events = _events(rng, 10)
    anomalies = _background(np.random.default_rng(4), 500)
    setup = _setup(anomalies, events)
    forward = [null_statistic(setup, n, i, seed=7) for n in NULL_CATALOGS for i in range(5)]
    backward = [null_statistic(setup, n, i, seed=7)
                for n in reversed(NULL_CATALOGS) for i in reversed(range(5))]
    assert forward == list(reversed(backward))
    # the fast window count is the binned statistic
    counts = setup.counts(setup.event_day, setup.event_lat, setup.event_lon)
    window = setup.window_counts(setup.event_day, setup.event_lat, setup.event_lon)
    assert setup.statistic(counts) == pytest.approx(window.mean())


def _setup(anomalies: pd.DataFrame, events: pd.DataFrame):  # type: ignore[no-untyped-def]
    from ionoquake.evaluate.epoch import EpochSetup, _days

    a = anomalies.sort_values("time")
    return EpochSetup(_days(a["time"], START), a["lat"].to_numpy(), a["lon"].to_numpy(),
                      _days(events["time"], START), events["latitude"].to_numpy(),
                      events["longitude"].to_numpy(), np.arange(-30.0, 11.0),
                      np.array([0.0, 500, 1000, 2000, 3000]), (0.0, DAYS), (-10.0, 0.0), 1000.0)


def test_same_seed_same_p_values_and_json_round_trip() -> None:
    rng = np.random.default_rng(5)
    events, anomalies = _events(rng, 15), _background(rng, 800)
    a = superposed_epoch(anomalies, events, n_null=50, n_bootstrap=50, coverage=COVER, seed=2)
    b = superposed_epoch(anomalies.sample(frac=1, random_state=0), events, n_null=50,
                         n_bootstrap=50, coverage=COVER, seed=2)
    assert a == b
    assert EpochResult.from_dict(json.loads(json.dumps(a.to_dict(), allow_nan=False))) == a
