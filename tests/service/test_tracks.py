"""Ground tracks over HTTP: checked against skyfield, split at the antimeridian, validated.

The reference positions come from skyfield's ``EarthSatellite`` (its own SGP4 call, its
TEME -> GCRS -> ITRS chain with IAU 2000 nutation, its WGS84 ``latlon_of``), an
implementation independent of :mod:`ionoquake.orbits.frames`. Both neglect polar motion
and take UT1 from skyfield's built-in IERS table, so they agree to the rounding of the
answer (1e-5 degree, 1 m in height).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.service.tracks import antimeridian_pieces
from ionoquake.sources import tle
from ionoquake.store import database
from ionoquake.store.tles import ingest_tle_files

SCIENCE = "tle/celestrak_science_20191118.tle"
CSES, SWARM_A, SPOT5 = 43194, 39452, 27421
#: Ground distance the answers may differ from skyfield: the rounding to 1e-5 degree
#: (<= 1.1 m per coordinate) with a margin.
TWO_METRES_KM = 0.002
ONE_METRE_KM = 0.001


@pytest.fixture(scope="module")
def store(bundled_data: Path, shared_data: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tracks")
    ingest_tle_files(root, [bundled_data / SCIENCE, shared_data / "tle/orekit_spot-5_series.tle"])
    return root


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store, database.database_url(store)))) as c:
        yield c


def _client_of(store: Path) -> TestClient:
    return TestClient(create_app(Settings(store, database.database_url(store))))


def _skyfield_track(line1: str, line2: str, times: list[str]) -> tuple[Any, Any, Any]:
    """Geodetic latitude, longitude (deg) and height (km) from skyfield, independently."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t64 = pd.to_datetime(times, utc=True).tz_localize(None).to_numpy("datetime64[ns]")
    day = t64[0].astype("datetime64[D]")
    seconds = (t64 - day) / np.timedelta64(1, "s")
    y, m, d = (int(v) for v in str(day).split("-"))
    position = EarthSatellite(line1, line2, ts=ts).at(ts.utc(y, m, d, 0, 0, seconds))
    lat, lon = wgs84.latlon_of(position)
    return lat.degrees, lon.degrees, wgs84.height_of(position).km


def _ground_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Small ground distances (equirectangular, mean Earth radius 6371 km)."""
    dlon = (np.asarray(lon1) - lon2 + 180.0) % 360.0 - 180.0
    return 6371.0 * np.hypot(np.radians(np.asarray(lat1) - lat2),
                             np.radians(dlon) * np.cos(np.radians(lat2)))


def _line(sets: Any, norad_id: int, epoch: str | None = None) -> tuple[str, str]:
    rows = sets[sets["norad_id"] == norad_id]
    if epoch is not None:
        rows = rows[rows["epoch"] == np.datetime64(epoch)]
    (row,) = rows.itertuples()
    return str(row.line1), str(row.line2)


def test_satellites_lists_stored_element_sets(client: TestClient) -> None:
    body = client.get("/api/satellites").json()
    assert len(body) == 67  # 66 in the CelesTrak science snapshot + SPOT-5
    by_id = {s["norad_id"]: s for s in body}
    # data/tle/celestrak_science_20191118.tle lines 196-198 (epoch 19322.55091545).
    assert by_id[CSES] == {"norad_id": CSES, "name": "ZHANGZHENG-1 (CSES)",
                           "first_epoch": "2019-11-18T13:13:19.095Z",
                           "last_epoch": "2019-11-18T13:13:19.095Z", "n_tles": 1}
    assert by_id[SPOT5]["n_tles"] == 250
    assert [s["norad_id"] for s in body] == sorted(by_id)


def test_tracks_agree_with_skyfield(client: TestClient, bundled_data: Path) -> None:
    sets = tle.read(bundled_data / SCIENCE)
    r = client.get("/api/tracks", params={"norad_id": [CSES, SWARM_A], "start": "2019-11-18",
                                          "end": "2019-11-19", "step_s": 60, "format": "json"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["time"]) == 1441 and body["time"][-1] == "2019-11-19T00:00:00.000Z"
    for track, norad_id in zip(body["tracks"], (CSES, SWARM_A), strict=True):
        assert track["norad_id"] == norad_id and track["warning"] == ""
        lat, lon, alt = _skyfield_track(*_line(sets, norad_id), body["time"])
        assert _ground_km(track["lat"], track["lon"], lat, lon).max() < TWO_METRES_KM
        assert np.abs(np.array(track["alt_km"]) - alt).max() < ONE_METRE_KM
    cses = body["tracks"][0]
    # Middle of the span 2019-11-18 12:00, epoch 13:13:19.09488: 0.0509 days before it.
    assert cses["tle_epoch"] == "2019-11-18T13:13:19.095Z" and cses["tle_age_days"] == -0.051
    assert 495 < min(cses["alt_km"]) < max(cses["alt_km"]) < 545  # CSES flies at ~507 km


def test_one_element_set_per_track_the_one_nearest_the_middle(client: TestClient,
                                                              shared_data: Path) -> None:
    """SPOT-5 sets at 2002-05-04 21:51:26 and 05-05 04:35:34; the span's middle is 00:00,
    so the whole track, 04:35 included, comes from the 21:51 set."""
    sets = tle.read(shared_data / "tle/orekit_spot-5_series.tle")
    r = client.get("/api/tracks", params={"norad_id": SPOT5, "start": "2002-05-04T18:00",
                                          "end": "2002-05-05T06:00", "step_s": 120,
                                          "format": "json"})
    body = r.json()
    (track,) = body["tracks"]
    assert track["tle_epoch"] == "2002-05-04T21:51:26.570Z"  # 02124.91072419
    assert track["tle_age_days"] == pytest.approx(0.089, abs=0.001)
    lat, lon, alt = _skyfield_track(*_line(sets, SPOT5, "2002-05-04T21:51:26.570016"),
                                    body["time"])
    assert _ground_km(track["lat"], track["lon"], lat, lon).max() < TWO_METRES_KM
    assert np.abs(np.array(track["alt_km"]) - alt).max() < ONE_METRE_KM


def test_geojson_tracks_are_split_at_the_antimeridian(client: TestClient) -> None:
    params = {"norad_id": CSES, "start": "2019-11-18", "end": "2019-11-19"}
    geo = client.get("/api/tracks", params=params).json()
    points = client.get("/api/tracks", params={**params, "format": "json"}).json()
    assert geo["type"] == "FeatureCollection"
    (feature,) = geo["features"]
    assert feature["properties"] == {
        "norad_id": CSES, "name": "ZHANGZHENG-1 (CSES)", "tle_epoch": "2019-11-18T13:13:19.095Z",
        "tle_age_days": -0.051, "warning": "", "start": "2019-11-18T00:00:00.000Z",
        "end": "2019-11-19T00:00:00.000Z", "step_s": 60}
    assert feature["geometry"]["type"] == "MultiLineString"
    pieces = feature["geometry"]["coordinates"]
    # 15.2 revolutions a day: the track crosses 180 deg about once per revolution.
    assert 14 <= len(pieces) - 1 <= 17
    for piece in pieces:
        lon = np.array([p[0] for p in piece])
        assert np.abs(np.diff(lon)).max() < 60  # nothing like a line across the map
    for before, after in itertools.pairwise(pieces):
        assert abs(before[-1][0]) == 180 and after[0][0] == -before[-1][0]
        assert after[0][1] == before[-1][1]
    # Apart from the interpolated crossings, the vertices are the track's points in order.
    vertices = [p for piece in pieces for p in piece if abs(p[0]) != 180]
    (track,) = points["tracks"]
    assert vertices == [[x, y] for x, y in zip(track["lon"], track["lat"], strict=True)]


def test_antimeridian_pieces_interpolate_the_crossing_and_break_at_gaps() -> None:
    pieces = antimeridian_pieces([170.0, -170.0, -160.0, math.nan, 10.0, 20.0, 30.0],
                                 [0.0, 10.0, 20.0, 25.0, 30.0, math.nan, 40.0])
    assert pieces == [[[170.0, 0.0], [180.0, 5.0]], [[-180.0, 5.0], [-170.0, 10.0],
                                                     [-160.0, 20.0]]]
    assert antimeridian_pieces([-175.0, 177.0], [-4.0, 4.0]) == [[[-175.0, -4.0], [-180.0, 1.0]],
                                                                [[180.0, 1.0], [177.0, 4.0]]]


def test_old_element_sets_are_flagged_in_the_answer(client: TestClient) -> None:
    r = client.get("/api/tracks", params={"norad_id": CSES, "start": "2019-12-10",
                                          "end": "2019-12-10T02:00"})
    props = r.json()["features"][0]["properties"]
    assert props["tle_age_days"] == pytest.approx(21.5, abs=0.1)
    assert "the TLE epoch is 21.5 days from the middle of the span (more than 14)" in \
        props["warning"]


@pytest.mark.parametrize(("params", "status", "text"), [
    ({"start": "2019-11-18", "end": "2019-11-19T00:00:01"}, 400,
     "time span 24.0003 h exceeds the maximum of 24 h"),
    ({"start": "2019-11-18T06:00", "end": "2019-11-18T06:00"}, 400,
     "end 2019-11-18T06:00:00 is not after start 2019-11-18T06:00:00"),
    ({"start": "2019-11-18", "end": "2019-11-17"}, 400, "is not after start"),
    ({"start": "0001-01-01T00:00:00+00:01", "end": "0001-01-01T01:00"}, 400,
     "time 0001-01-01T00:00:00+00:01 is out of range in UTC"),  # was a 500
    # Outside pandas' Timestamp bounds (1677-09-21 .. 2262-04-11): both were 500s.
    ({"start": "1677-09-21T00:00", "end": "1677-09-21T06:00"}, 400,
     "start 1677-09-21T00:00:00 is outside the times the maps and tracks can hold: "
     "1678-01-01 to 2261-12-31 (UTC)"),
    ({"start": "2262-04-11T20:00", "end": "2262-04-12T06:00"}, 400,
     "start 2262-04-11T20:00:00 is outside the times"),
    ({"step_s": 5}, 422, "greater than or equal to 10"),
    ({"step_s": 601}, 422, "less than or equal to 600"),
    ({"norad_id": list(range(1, 12))}, 422, "at most 10 items"),
    ({"norad_id": [CSES, 99999]}, 404, "no TLE of NORAD 99999 in the archive; stored: 19822, "),
    ({"norad_id": "../../etc/passwd"}, 422, "valid integer"),
    ({"norad_id": None}, 422, "Field required"),
    ({"end": None}, 422, "Field required"),
    ({"format": "kml"}, 422, "String should match pattern"),
])
def test_bad_track_requests_say_what_is_wrong(client: TestClient, params: dict[str, Any],
                                              status: int, text: str) -> None:
    query = {"norad_id": CSES, "start": "2019-11-18", "end": "2019-11-18T12:00", **params}
    r = client.get("/api/tracks", params={k: v for k, v in query.items() if v is not None})
    assert r.status_code == status
    assert text in r.text


def test_unknown_satellite_answer_lists_the_first_stored_ones(client: TestClient) -> None:
    detail = client.get("/api/tracks", params={"norad_id": 1, "start": "2019-11-18",
                                               "end": "2019-11-18T01:00"}).json()["detail"]
    listed, more = detail.split("stored: ")[1].split(" and ")
    stored = sorted(s["norad_id"] for s in client.get("/api/satellites").json())
    assert len(stored) == 67 and CSES in stored and SPOT5 in stored
    # The first 20 ids, then how many more: a full catalogue would make an 80 kB message.
    assert [int(v) for v in listed.split(", ")] == stored[:20]
    assert more == "47 more (GET /api/satellites)"


def test_without_tles_both_endpoints_answer_404(tmp_path: Path) -> None:
    with _client_of(tmp_path) as c:
        for url in ("/api/satellites", "/api/tracks?norad_id=43194&start=2019-11-18"
                                       "&end=2019-11-18T01:00"):
            r = c.get(url)
            assert r.status_code == 404
            assert r.json()["detail"].startswith("no TLEs in the archive; ingest a TLE file")


def test_newly_ingested_tles_are_served_without_a_restart(bundled_data: Path,
                                                          shared_data: Path,
                                                          tmp_path: Path) -> None:
    ingest_tle_files(tmp_path, [bundled_data / SCIENCE])
    with _client_of(tmp_path) as c:
        assert len(c.get("/api/satellites").json()) == 66
        assert c.get("/api/tracks", params={"norad_id": SPOT5, "start": "2002-05-05",
                                            "end": "2002-05-05T01:00"}).status_code == 404
        ingest_tle_files(tmp_path, [shared_data / "tle/orekit_spot-5_series.tle"])
        assert len(c.get("/api/satellites").json()) == 67
        assert c.get("/api/tracks", params={"norad_id": SPOT5, "start": "2002-05-05",
                                            "end": "2002-05-05T01:00"}).status_code == 200
