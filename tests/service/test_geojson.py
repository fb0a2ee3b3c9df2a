"""GeoJSON as RFC 7946 says, opened in shapely; every query parameter checked.

RFC 7946 (Butler et al. 2016): positions are [longitude, latitude] (§3.1.1); a linear
ring is closed, its first and last positions equivalent (§3.1.6); exterior rings are
counter-clockwise, holes clockwise (§3.1.6); a geometry crossing the antimeridian is cut
in two, none of its parts crossing it (§3.1.9); the media type is
``application/geo+json`` (§12). Checked on every feature of ``passes.geojson`` of the
demo's zones (the M ≥ 6 preparation zones of 2019-10-11 .. 12-25, four of which cross
180°) and of the API's GeoJSON answers.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LinearRing, shape

from ionoquake.orbits.zones import event_zones, grid_zones, polygon_zones, zone_geometry
from ionoquake.pipeline.passes import run_passes
from ionoquake.pipeline.sync import sync_clusters, sync_database
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.sources import catalog
from ionoquake.store import database, maps
from ionoquake.store.catalogs import ingest_files
from ionoquake.store.tles import ingest_tle_files

TLE = "tle/celestrak_science_20191118.tle"
DEMO_EVENTS = "catalogs/usgs_comcat_M5_2019-10-01_2019-12-31.csv"


def _ring_ok(ring: list[list[float]], exterior: bool) -> None:
    assert len(ring) >= 4 and ring[0] == ring[-1], "a ring is closed"
    assert all(a != b for a, b in itertools.pairwise(ring)), "no repeated position"
    assert ring[-2] != ring[0], "closed once"
    assert LinearRing(ring).is_ccw is exterior, "exterior CCW, holes CW"
    _positions_ok(ring)


def _positions_ok(line: list[list[float]]) -> None:
    assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in line)
    # no segment across the antimeridian (a jump of more than 180° in longitude)
    assert all(abs(b[0] - a[0]) <= 180 for a, b in itertools.pairwise(line))


def check_rfc7946(geometry: dict[str, Any]) -> None:
    """Assert that ``geometry`` is RFC 7946 GeoJSON and a valid shapely geometry."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        _positions_ok([coords])
    elif kind == "LineString":
        _positions_ok(coords)
    elif kind == "MultiLineString":
        for line in coords:
            _positions_ok(line)
    elif kind in ("Polygon", "MultiPolygon"):
        for polygon in [coords] if kind == "Polygon" else coords:
            _ring_ok(polygon[0], exterior=True)
            for hole in polygon[1:]:
                _ring_ok(hole, exterior=False)
    else:
        raise AssertionError(f"unexpected geometry {kind}")
    assert shape(geometry).is_valid, geometry


def test_zone_outlines_are_ccw_closed_once_and_split_at_180() -> None:
    across = zone_geometry(-20.0, 179.5, 800.0)
    assert across["type"] == "MultiPolygon"
    check_rfc7946(across)
    edges = sorted({x for poly in across["coordinates"] for x, _ in poly[0]
                    if abs(x) == 180})
    assert edges == [-180.0, 180.0]  # the parts meet on the antimeridian
    # area kept: the two parts of a circle across 180° equal the same circle at 0°
    whole = shape(zone_geometry(-20.0, 0.0, 800.0)).area
    assert shape(across).area == pytest.approx(whole, rel=1e-3)
    polar = zone_geometry(85.0, 10.0, 1500.0)  # contains the North Pole: the cap
    check_rfc7946(polar)
    assert max(y for _, y in polar["coordinates"][0]) == 90.0
    for g in (zone_geometry(-88.0, 100.0, 600.0), zone_geometry(0.0, 180.0, 100.0)):
        check_rfc7946(g)
    clockwise = polygon_zones([[[170.0, 0.0], [170.0, 5.0], [-175.0, 5.0], [-175.0, 0.0]]])
    row = clockwise.iloc[0]
    g = zone_geometry(row["lat"], row["lon"], row["radius_km"], row["vertices"])
    assert g["type"] == "MultiPolygon"
    check_rfc7946(g)
    cells = grid_zones(30.0)
    for _, cell in cells.iterrows():
        check_rfc7946(zone_geometry(cell["lat"], cell["lon"], cell["radius_km"],
                                    cell["vertices"]))


def test_passes_geojson_of_the_demo_zones(bundled_data: Path, tmp_path: Path) -> None:
    events = catalog.read(bundled_data / DEMO_EVENTS)
    events = events[(events["magnitude"] >= 6.0) & (events["time"] >= "2019-10-11")
                    & (events["time"] < "2019-12-26")]
    zones = event_zones(events)
    written = run_passes([bundled_data / TLE], zones, "2019-11-18", "2019-11-19", tmp_path,
                         norad_ids=(43194, 39452), figure=False)
    text = written["geojson"].read_text()
    geo = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in strict JSON"))
    polygons = [f for f in geo["features"] if f["geometry"]["type"] != "Point"]
    points = [f for f in geo["features"] if f["geometry"]["type"] == "Point"]
    assert len(polygons) == len(zones) == 35
    assert sum(f["geometry"]["type"] == "MultiPolygon" for f in polygons) == 4
    for feature in geo["features"]:
        check_rfc7946(feature["geometry"])
    assert points, "passes of CSES and Swarm A on 2019-11-18"
    times = pd.to_datetime(pd.Series([p["properties"]["closest_time"] for p in points]))
    assert str(times.dt.tz) == "UTC"
    table = pd.read_csv(written["csv"])
    for column in ("entry", "exit", "closest_time"):
        assert table[column].str.len().eq(24).all() and table[column].str.endswith("Z").all()
        assert str(pd.to_datetime(table[column]).dt.tz) == "UTC"


@pytest.fixture(scope="module")
def client(shared_data: Path, bundled_data: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("store")
    for f in sorted((shared_data / "ionex/jpl_2012267-273").glob("*.gz"))[:2]:
        maps.ingest_file(root, f)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    ingest_tle_files(root, [bundled_data / TLE])
    engine = database.connect(database.database_url(root))
    sync_database(root, engine)
    sync_clusters(engine, "jplg", pd.DataFrame({  # a box, one across 180°, one cell row
        "cluster": [1, 2, 3], "sign": [1, -1, 1],
        "start": pd.to_datetime(["2012-09-24 01:00"] * 3),
        "end": pd.to_datetime(["2012-09-24 05:00"] * 3),
        "lat_min": [10.0, -20.0, 40.0], "lat_max": [17.5, -15.0, 40.0],
        "lon_west": [-95.0, 175.0, 10.0], "lon_east": [-80.0, -175.0, 20.0],
        "peak_time": pd.to_datetime(["2012-09-24 03:00"] * 3), "peak_lat": [12.5, -17.5, 40.0],
        "peak_lon": [-90.0, 180.0, 15.0], "peak_severity": [2.5, -2.0, 1.5],
        "n_cells": [40, 12, 3], "geomag": ["quiet"] * 3}))
    with TestClient(create_app(Settings(root, database.database_url(root)))) as c:
        yield c


@pytest.mark.parametrize(("path", "params"), [
    ("/api/events", {"format": "geojson", "limit": 10000}),
    ("/api/clusters", {"format": "geojson"}),
    ("/api/maps/jplg/grid", {"time": "2012-09-24T10:00:00Z", "format": "geojson",
                             "stride": 2}),
    ("/api/tracks", {"norad_id": [43194, 39452], "start": "2019-11-18T00:00:00Z",
                     "end": "2019-11-18T12:00:00+00:00", "format": "geojson"}),
])
def test_api_geojson_is_rfc7946(client: TestClient, path: str,
                                params: dict[str, Any]) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geo+json"
    geo = json.loads(r.text, parse_constant=lambda c: pytest.fail(f"{c} in strict JSON"))
    assert geo["type"] == "FeatureCollection" and geo["features"]
    for feature in geo["features"]:
        check_rfc7946(feature["geometry"])
    kinds = [f["geometry"]["type"] for f in geo["features"]]
    if path == "/api/tracks":  # the tracks cross 180° and are cut there
        assert set(kinds) == {"MultiLineString"}
    if path == "/api/clusters":  # the box across 180° in two parts meeting on it
        assert kinds == ["Polygon", "MultiPolygon", "LineString"]
        parts = geo["features"][1]["geometry"]["coordinates"]
        assert [p[0][0][0] for p in parts] == [175.0, -180.0]


def _valid_params(path: str) -> dict[str, Any]:
    """Values that make each GET endpoint answer (or fail for want of data, not input)."""
    span = {"start": "2012-09-24T00:00:00Z", "end": "2012-09-25T00:00:00Z"}
    return {
        "/api/indices": span,
        "/api/maps/{product}/grid": {"time": "2012-09-24T10:00:00Z"},
        "/api/maps/{product}/series": {"lat": 0, "lon": 0, **span},
        "/api/maps/{product}/anomalies": {"lat": 0, "lon": 0, **span},
        "/api/tracks": {"norad_id": 43194, "start": "2019-11-18T00:00:00Z",
                        "end": "2019-11-18T01:00:00Z"},
        "/api/conjugate": {"lat": 13.0, "lon": -88.7, "date": "2012-09-24"},
        "/api/gnss/cid": {"network": "none", "time": "2024-01-01T07:10:09Z", "lat": 37.5,
                          "lon": 137.2, "mag": 7.5},
        "/api/plan/contacts": {"norad_id": 43194, "start": "2019-11-18T00:00:00Z",
                               "end": "2019-11-18T06:00:00Z"},
        "/api/plan/timeline": {"norad_id": 43194, "start": "2019-11-18T00:00:00Z",
                               "end": "2019-11-18T06:00:00Z"},
        "/api/plan/tasking": {"norad_id": 43194, "issued": "2019-11-18T00:00:00Z", "lat": 35.0,
                              "lon": 139.0, "radius_km": 500},
    }.get(path, {})


def test_unknown_query_parameters_are_refused_on_every_endpoint(client: TestClient) -> None:
    operations = [(path, method.upper()) for path, ops in
                  client.get("/openapi.json").json()["paths"].items() for method in ops]
    assert len(operations) >= 20
    for path, method in operations:
        url = (path.replace("{product}", "jplg").replace("{event_id}", "usp000a7m5")
               .replace("{job_id}", "0123456789abcdef").replace("{forecast_id}", "0" * 64))
        good = _valid_params(path) if method == "GET" else {}
        if method == "GET":
            assert client.get(url, params=good).status_code in (200, 404), path
        r = client.request(method, url, params={**good, "bogus": "1"})
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "unknown query parameter 'bogus'" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/api/passes", "/api/alarms", "/api/anomalies",
                                  "/api/indices", "/api/maps/jplg/series"])
def test_geojson_where_there_is_none_is_a_400(client: TestClient, path: str) -> None:
    r = client.get(path, params={**_valid_params(path.replace("jplg", "{product}")),
                                 "format": "geojson"})
    # a listing without a format parameter names the unknown one; one whose formats are
    # others (CSV, NetCDF) refuses the value, naming the parameter
    assert r.status_code in (400, 422), r.text
    assert "format" in r.text
    if r.status_code == 400:
        assert "unknown query parameter 'format'" in r.json()["detail"]
        assert "it takes: " in r.json()["detail"]
