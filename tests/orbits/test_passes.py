"""Passes over zones against a brute-force search at 1 s; coverage; the CLI function."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.geo import great_circle_km
from ionoquake.orbits.coverage import (
    coverage_map,
    next_passes,
    observations_before_events,
    revisit_statistics,
)
from ionoquake.orbits.passes import PASS_COLUMNS, passes_over
from ionoquake.orbits.propagate import geodetic
from ionoquake.orbits.zones import circle_zones, grid_zones, inside, polygon_zones
from ionoquake.pipeline.passes import run_passes
from ionoquake.sources import tle

START, END = np.datetime64("2019-11-18T00:00", "ns"), np.datetime64("2019-11-19T12:00", "ns")
ONE_S = np.timedelta64(1, "s")


@pytest.fixture(scope="module")
def sats(shared_data: Path) -> pd.DataFrame:
    sets = tle.read(shared_data / "tle" / "celestrak_science_20191118.tle")
    return sets[sets.norad_id.isin([43194, 39452])]


@pytest.fixture(scope="module")
def tracks_1s(sats: pd.DataFrame) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    times = np.arange(START, END, ONE_S)
    out = {}
    for nid, sat in sats.groupby("norad_id"):
        g = geodetic(sat, times)
        out[int(nid)] = (times, g.lat_deg, g.lon_deg)
    return out


def _brute(tracks, inside_fn):  # type: ignore[no-untyped-def]
    """Passes by testing every second: (norad_id, entry, exit) of each run inside."""
    rows = []
    for nid, (times, lat, lon) in tracks.items():
        hit = inside_fn(lat, lon)
        edges = np.diff(np.concatenate([[0], hit.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1,
                        strict=True):
            rows.append((nid, times[a], times[b], a, b))
    return rows


def test_circle_passes_match_a_brute_force_search_at_1_s(sats, tracks_1s) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(-86, 86, 25), rng.uniform(-180, 180, 25)
    radius = rng.uniform(80, 1200, 25)
    zones = circle_zones(lat, lon, radius)
    fast = passes_over(zones, sats, START + 600 * ONE_S, END - 600 * ONE_S)
    assert tuple(fast.columns) == PASS_COLUMNS
    n_brute = 0
    for i in range(25):
        def within(la, lo, i=i):  # type: ignore[no-untyped-def]
            return great_circle_km(la, lo, lat[i], lon[i]) <= radius[i]
        for nid, entry, exit_, a, b in _brute(tracks_1s, within):
            times, la, lo = tracks_1s[nid]
            d = great_circle_km(la[a:b + 1], lo[a:b + 1], lat[i], lon[i])
            closest = times[a + np.argmin(d)]
            if not START + 600 * ONE_S <= closest < END - 600 * ONE_S:
                continue
            n_brute += 1
            mine = fast[(fast.zone_id == str(i)) & (fast.norad_id == nid)
                        & ((fast.closest_time - closest).abs() < pd.Timedelta(minutes=5))]
            assert len(mine) == 1
            p = mine.iloc[0]
            # Brute force sees the first and last whole second inside the zone.
            assert -0.1 <= (entry - p.entry) / ONE_S < 1.1
            assert -0.1 <= (p.exit - exit_) / ONE_S < 1.1
            assert abs((closest - p.closest_time) / ONE_S) < 0.6
            assert p.closest_km <= d.min() + 0.05
    assert n_brute == len(fast) > 30


def test_polygon_and_cell_passes_match_brute_force(sats, tracks_1s) -> None:  # type: ignore[no-untyped-def]
    tri = np.array([[10.0, 30.0], [25.0, 32.0], [15.0, 45.0]])
    zones = pd.concat([polygon_zones([tri], zone_id=["tri"]),
                       grid_zones(10.0, lat_range=(-20, 0), lon_range=(100, 120))],
                      ignore_index=True)
    fast = passes_over(zones, sats, START, END)
    for z in zones.itertuples():
        expected = _brute(tracks_1s, lambda la, lo, z=z: inside(z.vertices, lo, la))
        mine = fast[fast.zone_id == z.zone_id].sort_values("entry")
        full = [e for e in expected if e[1] > START and e[2] < END - ONE_S]
        assert len(mine) == len(full), z.zone_id
        for (_, entry, exit_, _, _), p in zip(sorted(full, key=lambda e: e[1]),
                                              mine.itertuples(), strict=True):
            assert -0.1 <= (entry - p.entry) / ONE_S < 1.1
            assert -0.1 <= (p.exit - exit_) / ONE_S < 1.1


def test_revisits_next_passes_and_coverage(sats) -> None:  # type: ignore[no-untyped-def]
    zones = circle_zones([35.0, 0.0], [140.0, 0.0], [500.0, 50.0], zone_id=["tokyo", "tiny"])
    found = passes_over(zones, sats, START, END)
    stats = revisit_statistics(found, zones, START, END)
    assert stats.loc["tokyo", "n_passes"] == (found.zone_id == "tokyo").sum() > 2
    assert stats.loc["tokyo", "max_gap_h"] >= stats.loc["tokyo", "median_gap_h"]
    upcoming = next_passes(zones, sats, "2019-11-18T06:00", count=2, horizon_days=1)
    assert (upcoming.groupby("zone_id", observed=True).size() <= 2).all()
    assert (upcoming.entry >= pd.Timestamp("2019-11-18T06:00")).all()
    cover = coverage_map(sats, START, START + 86400 * ONE_S, cell_deg=10.0,
                         local_time_bins=4)
    assert cover.visits.dims == ("satellite", "lat", "lon", "local_time")
    cses = cover.visits.sel(satellite="ZHANGZHENG-1 (CSES) (43194)", lat=slice(-50, 50))
    cses = cses.sum(("lat", "lon"))
    # Away from the poles, a sun-synchronous orbit with nodes at 02 h/14 h visits only
    # the 00-06 h and 12-18 h bins (near the poles it sweeps every local time).
    assert cses.sel(local_time=[3.0, 15.0]).sum() > 0.97 * cses.sum()


def test_each_event_zone_counts_its_passes_in_the_30_days_before(sats) -> None:  # type: ignore[no-untyped-def]
    events = pd.DataFrame({"time": pd.to_datetime(["2019-11-25", "2019-11-26"]),
                           "latitude": [38.0, -20.0], "longitude": [142.0, -70.0],
                           "magnitude": [6.0, 5.0], "event_id": ["a", "b"]})
    out = observations_before_events(events, sats, days_before=5)
    assert list(out["radius_km"].round()) == [380, 141]
    assert (out["n_passes"] == out["n_passes_43194"] + out["n_passes_39452"]).all()
    assert (out["n_passes"] > 0).all()


def test_run_passes_writes_csv_geojson_and_a_map(shared_data: Path, tmp_path: Path) -> None:
    zones = circle_zones([35.0], [140.0], [380.0], zone_id=["tohoku"])
    paths = run_passes([shared_data / "tle" / "celestrak_science_20191118.tle"], zones,
                       "2019-11-18", "2019-11-19", tmp_path, norad_ids=[43194, 39451])
    table = pd.read_csv(paths["csv"])
    assert set(table.columns) == set(PASS_COLUMNS) and len(table) > 0
    geo = json.loads(paths["geojson"].read_text())
    assert geo["features"][0]["properties"] == {"zone_id": "tohoku", "radius_km": 380.0,
                                                "n_passes": len(table)}
    assert paths["png"].stat().st_size > 10_000
