"""Declustering: Gardner-Knopoff windows and mainshocks, Reasenberg clusters."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.detect.decluster import (
    GARDNER_KNOPOFF_TABLE,
    decluster,
    earthquake_clusters,
    gardner_knopoff_mainshocks,
    gardner_knopoff_windows,
)
from ionoquake.detect.reasenberg import interaction_radius_km
from ionoquake.geo import great_circle_km
from ionoquake.sources import catalog

# Gardner & Knopoff (1974), BSSA 64(5), 1363-1367, Table 1 (as reproduced in van Stiphout,
# Zhuang & Marsan 2012, CORSSA, Table 1): M, L (km), T (days).
PUBLISHED = [(2.5, 19.5, 6), (3.0, 22.5, 11.5), (3.5, 26, 22), (4.0, 30, 42), (4.5, 35, 83),
             (5.0, 40, 155), (5.5, 47, 290), (6.0, 54, 510), (6.5, 61, 790), (7.0, 70, 915),
             (7.5, 81, 960), (8.0, 94, 985)]


def test_the_table_is_the_published_one() -> None:
    np.testing.assert_array_equal(GARDNER_KNOPOFF_TABLE, np.array(PUBLISHED, dtype=float))
    m = np.array([row[0] for row in PUBLISHED])
    distance, days = gardner_knopoff_windows(m, windows="table")
    np.testing.assert_array_equal(distance, [row[1] for row in PUBLISHED])
    np.testing.assert_array_equal(days, [row[2] for row in PUBLISHED])


@pytest.mark.parametrize(("magnitude", "distance_km", "days"), PUBLISHED)
def test_the_fit_follows_the_published_table(magnitude: float, distance_km: float,
                                             days: float) -> None:
    distance, window = gardner_knopoff_windows(magnitude)
    # The fit reproduces the table's distances within 3 %, its times within 9 %, except
    # at M6.5 where it switches branch (885 days against 790, 12 %).
    assert distance == pytest.approx(distance_km, rel=0.03)
    assert window == pytest.approx(days, rel=0.13 if magnitude == 6.5 else 0.09)


def test_the_fit_values_themselves() -> None:
    distance, days = gardner_knopoff_windows([4.5, 6.0, 6.5, 7.0])
    np.testing.assert_allclose(distance, 10 ** (0.1238 * np.array([4.5, 6, 6.5, 7]) + 0.983))
    np.testing.assert_allclose(days, [10 ** (0.5409 * 4.5 - 0.547), 10 ** (0.5409 * 6 - 0.547),
                                      10 ** (0.032 * 6.5 + 2.7389), 10 ** (0.032 * 7 + 2.7389)])


def brute_force_gardner_knopoff(t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                                mag: np.ndarray) -> np.ndarray:
    """The definition, written out plainly: largest first, claim everything in the window.

    Independent of the k-d tree: a time-sorted scan of every event in the time window.
    """
    distance = 10 ** (0.1238 * mag + 0.983)
    window = np.where(mag >= 6.5, 10 ** (0.032 * mag + 2.7389), 10 ** (0.5409 * mag - 0.547))
    by_time = np.argsort(t, kind="stable")
    sorted_t = t[by_time]
    mainshock = np.full(len(t), -1)
    for i in np.lexsort((t, -mag)):
        if mainshock[i] >= 0:
            continue
        mainshock[i] = i
        lo, hi = np.searchsorted(sorted_t, [t[i] - window[i], t[i] + window[i]], side="left"), \
            np.searchsorted(sorted_t, t[i] + window[i], side="right")
        candidates = by_time[lo[0]:hi]
        candidates = candidates[mainshock[candidates] < 0]
        d = great_circle_km(lat[i], lon[i], lat[candidates], lon[candidates])
        mainshock[candidates[d <= distance[i]]] = i
    return mainshock


def pure_python_gardner_knopoff(rows: list[tuple[float, float, float, float]]) -> list[int]:
    """O(n^2) over plain tuples (t, lat, lon, mag), no numpy: for a small region."""
    import math

    def km(a: tuple[float, ...], b: tuple[float, ...]) -> float:
        p1, p2 = math.radians(a[1]), math.radians(b[1])
        h = (math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2)
             * math.sin(math.radians(b[2] - a[2]) / 2) ** 2)
        return 2 * 6371.0 * math.asin(math.sqrt(min(h, 1.0)))

    owner = [-1] * len(rows)
    for i in sorted(range(len(rows)), key=lambda k: (-rows[k][3], rows[k][0])):
        if owner[i] >= 0:
            continue
        owner[i] = i
        m = rows[i][3]
        d_max = 10 ** (0.1238 * m + 0.983)
        t_max = 10 ** (0.032 * m + 2.7389) if m >= 6.5 else 10 ** (0.5409 * m - 0.547)
        for j, other in enumerate(rows):
            if owner[j] < 0 and abs(other[0] - rows[i][0]) <= t_max and km(rows[i],
                                                                            other) <= d_max:
                owner[j] = i
    return owner


@pytest.fixture(scope="module")
def comcat(shared_data: Path) -> pd.DataFrame:
    files = sorted((shared_data / "catalogs/usgs_comcat_M4.5_1999-2017").glob("*.csv.gz"))
    return catalog.read(files)


def _arrays(df: pd.DataFrame) -> tuple[np.ndarray, ...]:
    t = (df["time"] - df["time"].min()).dt.total_seconds().to_numpy() / 86400.0
    return (t, df["latitude"].to_numpy(), df["longitude"].to_numpy(),
            df["magnitude"].to_numpy())


def test_japan_2011_agrees_with_a_pure_python_brute_force(comcat: pd.DataFrame) -> None:
    from ionoquake.detect.select import select_events

    japan = select_events(comcat, start="2011-01-01", end="2012-01-01",
                          box=(30.0, 45.0, 135.0, 150.0))
    assert len(japan) > 500  # the Tohoku sequence
    t, lat, lon, mag = _arrays(japan)
    ours = gardner_knopoff_mainshocks(t, lat, lon, mag)
    rows = list(zip(t.tolist(), lat.tolist(), lon.tolist(), mag.tolist(), strict=True))
    np.testing.assert_array_equal(ours, pure_python_gardner_knopoff(rows))


@pytest.mark.slow
def test_comcat_mainshocks_agree_with_brute_force(comcat: pd.DataFrame) -> None:
    t, lat, lon, mag = _arrays(comcat)
    ours = gardner_knopoff_mainshocks(t, lat, lon, mag)
    theirs = brute_force_gardner_knopoff(t, lat, lon, mag)
    np.testing.assert_array_equal(ours, theirs)
    # 114,987 ComCat M>=4.5 events of 1999-2017 (2004 mostly missing, see SOURCES.md).
    assert int((ours == np.arange(len(ours))).sum()) == 36021


def test_decluster_is_fast_and_keeps_the_big_ones(comcat: pd.DataFrame) -> None:
    started = time.perf_counter()
    mainshocks = decluster(comcat)
    elapsed = time.perf_counter() - started
    assert len(mainshocks) == 36021
    assert elapsed < 6.0  # target 2 s on an idle machine; generous for shared CI runners
    ids = set(mainshocks["event_id"])
    # Tohoku 2011-03-11 M9.1 (official20110311054624120_30), El Salvador M7.7 (usp000a7m5).
    assert {"official20110311054624120_30", "usp000a7m5"} <= ids
    labelled = earthquake_clusters(comcat)
    tohoku = labelled[labelled["mainshock_id"] == "official20110311054624120_30"]
    assert len(tohoku) > 1000 and tohoku["magnitude"].max() == 9.1


def test_a_planted_sequence_is_one_cluster() -> None:
    # A M6 mainshock with 30 aftershocks within 20 km and 100 days, and 5 far events.
    rng = np.random.default_rng(1)
    t = np.concatenate([[10.0], 10.0 + rng.uniform(0.01, 100, 30), rng.uniform(0, 500, 5)])
    lat = np.concatenate([[0.0], rng.uniform(-0.1, 0.1, 30), [20.0, 30.0, 40.0, -20.0, -40.0]])
    lon = np.concatenate([[0.0], rng.uniform(-0.1, 0.1, 30), [50.0, 60.0, 70.0, 80.0, 90.0]])
    mag = np.concatenate([[6.0], rng.uniform(4.5, 5.5, 30), np.full(5, 5.0)])
    df = pd.DataFrame({"time": pd.Timestamp("2020-01-01") + pd.to_timedelta(t, unit="D"),
                       "latitude": lat, "longitude": lon, "depth_km": 10.0,
                       "magnitude": mag, "event_id": [f"e{k}" for k in range(36)]})
    for method in ("gardner-knopoff", "reasenberg"):
        labelled = earthquake_clusters(df, method=method)
        assert labelled["is_mainshock"].iloc[31:].all()
        if method == "gardner-knopoff":
            assert (labelled["mainshock_id"].iloc[:31] == "e0").all()
    assert len(decluster(df)) == 6


def test_reasenberg_interaction_radius() -> None:
    # ZMAP funInteract.m: rmain = 0.011 * 10**(0.4 M) km, r1 = rfact * rmain.
    assert interaction_radius_km(5.0, 1.0) == pytest.approx(1.1)
    assert interaction_radius_km(7.0) == pytest.approx(10 * 0.011 * 10 ** 2.8)


@pytest.mark.slow
def test_reasenberg_on_comcat(comcat: pd.DataFrame) -> None:
    labelled = earthquake_clusters(comcat, method="reasenberg")
    n = int(labelled["is_mainshock"].sum())
    assert 36021 < n < len(comcat)  # short look-ahead: fewer events removed than by GK
    assert "official20110311054624120_30" in set(labelled.loc[labelled["is_mainshock"], "event_id"])
    tohoku = labelled[labelled["mainshock_id"] == "official20110311054624120_30"]
    assert len(tohoku) > 100
