"""Ground-station tables: reading TOML/CSV, range checks, Earth-fixed vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionoquake.orbits.stations import (
    STATION_COLUMNS,
    StationError,
    read_stations,
    station_frame,
    station_vectors,
)

ROW = {"name": "Kiruna", "agency": "ESA", "lat": 67.86, "lon": 20.96, "height_m": 400.0,
       "elevation_mask_deg": 5.0, "downlink_mbps": 6.0}


def test_the_bundled_table_reads_with_the_documented_columns() -> None:
    stations = read_stations()
    assert tuple(stations.columns) == STATION_COLUMNS
    assert {"Miyun", "Kashi", "Sanya", "Kiruna", "Svalbard"} <= set(stations["name"])
    assert stations["lat"].between(-90, 90).all()


def test_a_csv_table_reads_like_the_toml_one(tmp_path: Path) -> None:
    path = tmp_path / "st.csv"
    path.write_text("# comment\n" + ",".join(STATION_COLUMNS) + "\n"
                    + ",".join(str(ROW[c]) for c in STATION_COLUMNS) + "\n")
    assert read_stations(path).to_dict("records") == station_frame([ROW]).to_dict("records")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("lat", 91.0, "station Kiruna: lat = 91 is not in -90..90"),
    ("lon", -200.0, "station Kiruna: lon = -200 is not in -180..180"),
    ("elevation_mask_deg", -1.0, "station Kiruna: elevation_mask_deg = -1 is not in 0..90"),
    ("downlink_mbps", 0.0, "station Kiruna: downlink_mbps = 0 is not > 0"),
    ("height_m", "high", "station Kiruna: height_m = 'high'"),
])
def test_a_value_out_of_range_is_one_line_naming_station_and_field(
        tmp_path: Path, field: str, value: object, message: str) -> None:
    path = tmp_path / "bad.toml"
    shown = f'"{value}"' if isinstance(value, str) else value
    body = "\n".join(f"{k} = {shown if k == field else repr(v).replace(chr(39), chr(34))}"
                     for k, v in ROW.items())
    path.write_text("[[station]]\n" + body + "\n")
    with pytest.raises(StationError, match=message) as info:
        read_stations(path)
    assert str(info.value).startswith("bad.toml: ")
    assert "\n" not in str(info.value)


def test_missing_field_and_duplicate_names_are_refused() -> None:
    with pytest.raises(StationError, match="station Kiruna: missing field 'lat'"):
        station_frame([{k: v for k, v in ROW.items() if k != "lat"}])
    with pytest.raises(StationError, match="station Kiruna: name used twice"):
        station_frame([ROW, ROW])


def test_station_vectors_match_skyfield_wgs84() -> None:
    """skyfield's ``wgs84.latlon(...).itrs_xyz`` is the reference (WGS84, NIMA TR8350.2)."""
    from skyfield.api import wgs84

    stations = read_stations()
    pos, up = station_vectors(stations)
    for k, row in stations.iterrows():
        ref = wgs84.latlon(row["lat"], row["lon"], elevation_m=row["height_m"]).itrs_xyz.km
        np.testing.assert_allclose(pos[int(str(k))], ref, atol=1e-6)  # 1 mm
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0)
