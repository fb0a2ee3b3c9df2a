"""Contact windows against skyfield's ``EarthSatellite.find_events``; antenna conflicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.orbits.contacts import CONTACT_COLUMNS, assign_antennas, contacts
from ionoquake.orbits.stations import read_stations, station_frame
from ionoquake.sources import tle

ONE_SECOND = pd.Timedelta(seconds=1)
SATELLITES = (43194, 39452, 39451, 39453)  # CSES, Swarm A, B, C


@pytest.fixture(scope="module")
def tles(bundled_data: Path) -> pd.DataFrame:
    table = tle.read(bundled_data / "tle" / "celestrak_science_20191118.tle")
    return table[table["norad_id"].isin(SATELLITES)].reset_index(drop=True)


def _skyfield_windows(row: pd.Series, station: pd.Series, start: str, end: str) -> pd.DataFrame:
    """(rise, culmination, set) triples of skyfield over [start − 1 h, end + 1 h]."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(row["line1"], row["line2"], ts=ts)
    topo = wgs84.latlon(station["lat"], station["lon"], elevation_m=station["height_m"])
    t0 = pd.Timestamp(start) - pd.Timedelta(hours=1)
    t1 = pd.Timestamp(end) + pd.Timedelta(hours=1)
    t, kind = sat.find_events(topo, ts.from_datetime(t0.tz_localize("UTC")),
                              ts.from_datetime(t1.tz_localize("UTC")),
                              altitude_degrees=float(station["elevation_mask_deg"]))
    when = pd.to_datetime([x.utc_datetime() for x in t]).tz_convert(None)
    rows = []
    for k in range(len(kind) - 2):
        if tuple(kind[k:k + 3]) == (0, 1, 2):
            rows.append({"rise": when[k], "culminate": when[k + 1], "set": when[k + 2]})
    return pd.DataFrame(rows)


def test_every_window_agrees_with_skyfield_within_one_second(tles: pd.DataFrame) -> None:
    stations = read_stations()
    start, end = "2019-11-18", "2019-11-19"
    ours = contacts(tles, stations, start, end)
    assert len(ours) > 100
    for norad in SATELLITES:
        row = tles[tles["norad_id"] == norad].iloc[0]
        for _, station in stations.iterrows():
            ref = _skyfield_windows(row, station, start, end)
            ref = ref[(ref["culminate"] >= start) & (ref["culminate"] < end)]
            mine = ours[(ours["norad_id"] == norad) & (ours["station"] == station["name"])]
            assert len(mine) == len(ref), (norad, station["name"])
            mine = mine.sort_values("aos")
            for col, ref_col in (("aos", "rise"), ("max_elevation_time", "culminate"),
                                 ("los", "set")):
                diff = (mine[col].to_numpy() - ref[ref_col].to_numpy())
                assert np.all(np.abs(diff) < ONE_SECOND.to_timedelta64()), (
                    norad, station["name"], col, diff)


def test_contact_table_has_documented_columns_and_volumes(tles: pd.DataFrame) -> None:
    stations = read_stations()
    table = contacts(tles, stations, "2019-11-18", "2019-11-18T06:00")
    assert tuple(table.columns) == CONTACT_COLUMNS
    rate = table["station"].map(dict(zip(stations["name"], stations["downlink_mbps"],
                                                 strict=True)))
    np.testing.assert_allclose(table["volume_mbit"], table["duration_s"] * rate)
    np.testing.assert_allclose(table["duration_s"],
                               (table["los"] - table["aos"]).dt.total_seconds(), atol=1e-6)
    assert (table["max_elevation_deg"] >= 5.0).all()
    assert (table["track_s"] <= table["duration_s"] + 1e-9).all()


def test_a_grazing_pass_shorter_than_the_grid_step_is_found(tles: pd.DataFrame) -> None:
    """A mask just below a pass's culmination leaves a window of a few seconds."""
    stations = read_stations()
    kiruna = stations[stations["name"] == "Kiruna"].reset_index(drop=True)
    cses = tles[tles["norad_id"] == 43194]
    full = contacts(cses, kiruna, "2019-11-18", "2019-11-18T03:00")
    low = full["max_elevation_deg"].min()  # the 01:54 pass, 9.17°
    kiruna.loc[0, "elevation_mask_deg"] = low - 0.01
    short = contacts(cses, kiruna, "2019-11-18", "2019-11-18T03:00")
    assert len(short) == len(full) == 2
    grazing = short.loc[short["max_elevation_deg"].idxmin()]
    assert 0 < grazing["duration_s"] < 30.0
    assert abs(grazing["max_elevation_time"]
               - full.loc[full["max_elevation_deg"].idxmin(), "max_elevation_time"]) < ONE_SECOND


def _window(station: str, norad: int, name: str, aos: str, los: str,
            elevation: float) -> dict[str, object]:
    return {"station": station, "norad_id": norad, "satellite": name,
            "aos": pd.Timestamp(aos), "los": pd.Timestamp(los),
            "duration_s": (pd.Timestamp(los) - pd.Timestamp(aos)).total_seconds(),
            "max_elevation_deg": elevation, "max_elevation_time": pd.Timestamp(aos),
            "volume_mbit": 0.0}


def test_an_overlap_goes_to_the_priority_satellite_and_the_other_keeps_the_rest() -> None:
    stations = station_frame([{"name": "S", "agency": "x", "lat": 0.0, "lon": 0.0,
                               "height_m": 0.0, "elevation_mask_deg": 5.0,
                               "downlink_mbps": 10.0}])
    table = pd.DataFrame([
        _window("S", 1, "A", "2020-01-01T00:00", "2020-01-01T00:10", 20.0),
        _window("S", 2, "B", "2020-01-01T00:06", "2020-01-01T00:14", 80.0),
        _window("S", 3, "C", "2020-01-01T00:07", "2020-01-01T00:09", 50.0),
    ])
    out = assign_antennas(table, stations, priority=[1, 2, 3]).set_index("satellite")
    assert out.loc["A", "track_s"] == 600.0  # first in the list: its whole window
    assert out.loc["B", "track_start"] == pd.Timestamp("2020-01-01T00:10")
    assert out.loc["B", "downlink_mbit"] == 240 * 10.0
    assert out.loc["C", "track_s"] == 0.0  # inside A's window: nothing left
    assert out.loc["C", "conflict_with"] == "A;B"
    # Without a list, the higher culmination wins: B takes 00:06-00:14, A keeps 00:00-00:06.
    out = assign_antennas(table, stations, priority=[]).set_index("satellite")
    assert out.loc["B", "track_s"] == 480.0
    assert out.loc["A", "track_end"] == pd.Timestamp("2020-01-01T00:06")
    assert out.loc["C", "track_s"] == 0.0


def test_an_old_tle_warns_naming_the_satellite_and_its_age(tles: pd.DataFrame) -> None:
    from ionoquake.sources.tle import TleAgeWarning

    cses = tles[tles["norad_id"] == 43194]
    with pytest.warns(TleAgeWarning, match=r"NORAD 43194 \(ZHANGZHENG-1 \(CSES\)\).*up to 43\.5 days"):
        contacts(cses, read_stations(), "2020-01-01", "2020-01-01T02:00")
