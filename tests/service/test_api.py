"""The HTTP API on real data: filters, paging, validation, tokens, and no path from a request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ionoquake.pipeline.sync import sync_database
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.store import database, maps
from ionoquake.store.catalogs import ingest_files
from ionoquake.store.indices import ingest_indices

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    for f in sorted((shared_data / "ionex/jpl_2012267-273").glob("*.gz"))[:3]:
        maps.ingest_file(root, f)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    ingest_indices(root, [shared_data / "indices/omniweb_hourly_indices_2011.csv"])
    sync_database(root, database.connect(database.database_url(root)))
    return root


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    settings = Settings(store, database.database_url(store), TOKEN)
    with TestClient(create_app(settings)) as c:
        yield c


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/events", "/api/maps/{product}/grid", "/api/ingest"} <= set(paths)


def test_events_filters_and_paging(client: TestClient) -> None:
    r = client.get("/api/events", params={"start": "2000-11-21", "end": "2001-01-15",
                                          "min_magnitude": 7.0})
    body = r.json()
    # usgs_comcat_M7_2000-2018.csv: 5 events M>=7 in the window (Turkmenistan, Mindanao,
    # Vanuatu, Kodiak Island, El Salvador).
    assert body["total"] == 5
    assert body["items"][-1]["event_id"] == "usp000a7m5"
    assert body["items"][-1]["time"].startswith("2001-01-13T17:33:32")
    page = client.get("/api/events", params={"limit": 10, "offset": 290}).json()
    assert page["total"] == 296 and len(page["items"]) == 6
    box = client.get("/api/events", params={"bbox": "-100,0,-80,20", "start": "2001-01-01",
                                            "end": "2001-02-01"}).json()
    assert [e["event_id"] for e in box["items"]] == ["usp000a7m5"]
    across = client.get("/api/events", params={"bbox": "170,-90,-170,90", "limit": 10000}).json()
    assert all(abs(e["longitude"]) >= 170 for e in across["items"]) and across["total"] > 0
    geo = client.get("/api/events", params={"format": "geojson", "limit": 3}).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
    assert client.get("/api/events/usp000a7m5").json()["magnitude"] == 7.7


@pytest.mark.parametrize(("params", "status", "text"), [
    ({"min_magnitude": 11}, 422, "less than or equal to 10"),
    ({"limit": 20000}, 422, "less than or equal to 10000"),
    ({"bbox": "1,2,3"}, 400, "bbox must be four numbers"),
    ({"bbox": "0,50,10,40"}, 400, "bbox out of range"),
    ({"start": "2001-01-02", "end": "2001-01-01"}, 400, "is not after start"),
    ({"start": "yesterday"}, 422, "valid datetime"),
    ({"format": "kml"}, 422, "String should match pattern"),
    # Found by tests/service/test_api_fuzz.py (both were 500s):
    ({"end": "0001-01-01T00:00:00+00:01"}, 400, "is out of range in UTC"),
    ({"offset": 2**63}, 422, "less than or equal to 2147483647"),
])
def test_bad_parameters_say_what_is_wrong(client: TestClient, params: dict[str, object],
                                          status: int, text: str) -> None:
    r = client.get("/api/events", params=params)
    assert r.status_code == status
    assert text in r.text


def test_indices_need_a_bounded_span(client: TestClient) -> None:
    r = client.get("/api/indices", params={"start": "2011-03-11", "end": "2011-03-12"})
    items = r.json()["items"]
    assert len(items) == 24 and items[0]["time"] == "2011-03-11T00:00:00.000Z"
    assert client.get("/api/indices").status_code == 400
    long = client.get("/api/indices", params={"start": "2001-01-01", "end": "2011-01-01"})
    assert long.status_code == 400 and "exceeds the maximum of 366 days" in long.text


def test_map_grid_and_series(client: TestClient, store: Path) -> None:
    assert client.get("/api/maps").json()[0]["product"] == "jplg"
    r = client.get("/api/maps/jplg/grid", params={"time": "2012-09-24T10:00:00"}).json()
    ds = maps.open_maps(store, "jplg")
    want = ds["tec"].sel(time="2012-09-24T10:00").values
    np.testing.assert_allclose(np.array(r["values"]), want, atol=0.006)
    geo = client.get("/api/maps/jplg/grid", params={"time": "2012-09-24T10:00:00",
                                                    "format": "geojson", "stride": 5}).json()
    assert len(geo["features"]) == 15 * 15
    series = client.get("/api/maps/jplg/series", params={
        "lat": 13.0, "lon": -88.7, "start": "2012-09-24T00:00", "end": "2012-09-25T00:00"}).json()
    assert len(series["tec"]) == 24 and all(v is not None for v in series["tec"])
    bands = client.get("/api/maps/jplg/anomalies", params={
        "lat": 13.0, "lon": -88.7, "start": "2012-09-25T00:00", "end": "2012-09-26T00:00",
        "window_days": 3}).json()
    # The archive holds 2012-09-23..25 only: a 3-day window for 09-25 needs 09-22..24, so there
    # is no band yet (the default needs all N days), and the API says null, not a made-up bound.
    assert len(bands["time"]) == 13 and bands["upper"][0] is None
    assert bands["method"].startswith("UB = M + k (UQ - M)")


def test_unknown_products_never_reach_the_file_system(client: TestClient) -> None:
    for product in ("codg", "..", "..%2F..%2Fetc", "jplg/../../x"):
        r = client.get(f"/api/maps/{product}/grid", params={"time": "2012-09-24T10:00:00"})
        assert r.status_code == 404


def test_ingest_needs_the_token(client: TestClient, shared_data: Path) -> None:
    path = shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz"
    files = {"files": ("../../esag0080.20i.gz", path.read_bytes())}
    assert client.post("/api/ingest", files=files).status_code == 401
    bad = client.post("/api/ingest", files=files, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    ok = client.post("/api/ingest", files=files, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()[0]["status"] == "added" and ok.json()[0]["detail"].startswith("esag ")
    assert "esag" in [m["product"] for m in client.get("/api/maps").json()]


@pytest.mark.parametrize("authorization", [
    TOKEN,  # the bare token, without its scheme, was accepted
    f"Basic {TOKEN}", f"Bearer{TOKEN}", "Bearer", "Bearer ",
    "Bearer s3cret-tok\xe9n".encode("latin-1"),  # a non-ASCII byte was a 500
    "Bearer \xff\xfe".encode("latin-1"),
])
def test_only_a_bearer_header_with_the_token_may_write(client: TestClient,
                                                       authorization: str | bytes) -> None:
    r = client.post("/api/ingest", files={"files": ("x", b"x")},
                    headers={"Authorization": authorization})  # type: ignore[dict-item]
    assert r.status_code == 401, r.text
    assert "a valid 'Authorization: Bearer <token>' header is needed" in r.text
    assert r.headers["www-authenticate"] == "Bearer"


def test_the_bearer_scheme_is_matched_without_regard_to_case(client: TestClient) -> None:
    r = client.post("/api/ingest", files={"files": ("x.txt", b"x")},
                    headers={"Authorization": f"bearer {TOKEN}"})
    assert r.status_code == 400 and "not a file ionoquake can ingest" in r.text


@pytest.mark.parametrize(("path", "params"), [
    ("/api/maps/jplg/grid", {"time": "1677-09-21T00:00"}),
    ("/api/maps/jplg/series", {"lat": 0, "lon": 0, "start": "0001-01-01", "end": "0001-01-02"}),
    ("/api/maps/jplg/anomalies", {"lat": 0, "lon": 0, "start": "0001-01-01",
                                  "end": "0001-01-02"}),  # was a 500
])
def test_times_the_maps_cannot_hold_are_refused(client: TestClient, path: str,
                                                params: dict[str, object]) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 400
    assert "is outside the times the maps and tracks can hold: 1678-01-01 to 2261-12-31" in r.text


def test_errors_never_show_the_archive_folder(client: TestClient, store: Path) -> None:
    r = client.get("/api/maps/jplg/times", params={"start": "1990-01-01", "end": "1990-01-02"})
    assert r.status_code == 400
    assert r.json()["detail"] == "archive: no jplg maps between 1990-01-01 and 1990-01-02"
    assert str(store) not in r.text


def test_writing_is_off_without_a_configured_token(store: Path) -> None:
    with TestClient(create_app(Settings(store, database.database_url(store), None))) as c:
        r = c.post("/api/ingest", files={"files": ("x", b"x")},
                   headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "no API token is configured" in r.text


def test_passes_alarms_and_clusters_filter_by_box(tmp_path: Path) -> None:
    import pandas as pd

    from ionoquake.store import schema

    engine = database.connect(database.database_url(tmp_path))
    entry = pd.Timestamp("2019-11-18 07:00")
    rows = [(1, 13.0, -88.7), (2, 10.0, 179.0), (3, -5.0, -179.5), (4, 60.0, 20.0)]
    database.upsert(engine, schema.passes, pd.DataFrame({
        "satellite": "CSES", "norad_id": 43194, "zone_id": [f"z{i}" for i, _, _ in rows],
        "entry": entry, "exit": entry + pd.Timedelta(minutes=3), "closest_lat": [r[1] for r in rows],
        "closest_lon": [r[2] for r in rows]}), key=["norad_id", "zone_id", "entry"])
    with TestClient(create_app(Settings(tmp_path, database.database_url(tmp_path)))) as c:
        def zones(bbox: str) -> list[str]:
            r = c.get("/api/passes", params={"bbox": bbox})
            assert r.status_code == 200, r.text
            return [p["zone_id"] for p in r.json()["items"]]

        assert zones("-100,0,-80,20") == ["z1"]
        assert sorted(zones("170,-10,-170,20")) == ["z2", "z3"]  # across the antimeridian
        assert len(zones("-180,-90,180,90")) == 4
        assert c.get("/api/passes", params={"bbox": "0,50,10,40"}).status_code == 400
        assert "bbox" in c.get("/openapi.json").json()["paths"]["/api/alarms"]["get"][
            "parameters"][2]["name"]
        assert all(p["name"] != "bbox" for p in
                   c.get("/openapi.json").json()["paths"]["/api/forecasts"]["get"]["parameters"])
        assert c.get("/api/clusters", params={"bbox": "-100,0,-80,20"}).json()["total"] == 0
