"""Receiver-TEC endpoints and the CID page, on the Madrigal export of the Noto earthquake."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ionoquake.pipeline.demo import CID_CATALOG, cid_catalog
from ionoquake.pipeline.sync import sync_database
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.store import database
from ionoquake.store.catalogs import ingest_catalog, ingest_files
from ionoquake.store.ingest import ingest_path

NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"
QUERY = {"network": "madrigal", "time": "2024-01-01T07:10:09Z", "lat": 37.498,
         "lon": 137.242, "mag": 7.5}


@pytest.fixture(scope="module")
def client(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("gnss")
    assert ingest_path(root, shared_data / NOTO).status == "added"
    assert ingest_path(root, shared_data / NOTO).status == "unchanged"  # idempotent
    # the events: Noto (the demo's catalogue of CID events) and the ComCat M7 file
    # (El Salvador 2001, usp000a7m5, has no receiver TEC)
    ingest_catalog(root, cid_catalog(), [], name=CID_CATALOG)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    sync_database(root, database.connect(database.database_url(root)))
    with TestClient(create_app(Settings(root, database.database_url(root)))) as c:
        yield c


def test_days_and_the_disturbances_of_noto(client: TestClient) -> None:
    days = client.get("/api/gnss/days").json()
    assert days == [{"network": "madrigal", "day": "2024-01-01", "receivers": 5,
                     "satellites": 24, "epochs": 240}]
    r = client.get("/api/gnss/cid", params=QUERY)
    assert r.status_code == 200, r.text
    body = json.loads(r.text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    s = body["summary"]
    assert s["detected"] == 21 and s["pairs"] == 49  # as `ionoquake cid` (docs/gnss.md)
    assert max(s["null_at_fake_origins"]["n_over"]) < s["detected"]
    picks = pd.DataFrame(body["picks"])
    assert picks["detected"].sum() == 21
    tracks = body["tracks"]
    assert tracks["minutes"][0] >= -10 and tracks["minutes"][-1] <= 40
    assert pd.to_datetime(pd.Series(tracks["times"])).dt.tz is not None  # ISO with Z
    pair = tracks["pairs"][0]
    assert len(pair["lat"]) == len(pair["dstec"]) == len(tracks["minutes"])


def test_unknown_network_and_a_day_without_data(client: TestClient) -> None:
    assert client.get("/api/gnss/cid", params={**QUERY, "network": "geonet"}).status_code == 404
    late = client.get("/api/gnss/cid", params={**QUERY, "time": "2024-01-01T23:00:00Z"})
    assert late.status_code == 400 and "outside the data" in late.json()["detail"]
    assert client.get("/api/gnss/cid", params={**QUERY, "lat": 95}).status_code == 422


def test_an_events_cid_is_the_analysis_at_its_catalogue_origin(client: TestClient) -> None:
    r = client.get("/api/events/us6000m0xl/cid")
    assert r.status_code == 200, r.text
    body = r.json()
    same = client.get("/api/gnss/cid", params={**QUERY, "depth_km": 10.0}).json()
    assert body["network"] == "madrigal" and body["networks"] == ["madrigal"]
    assert body["summary"]["earthquake"].pop("name") == "Noto Peninsula, Japan"  # its place
    same["summary"]["earthquake"].pop("name")
    assert body["summary"] == same["summary"] and body["picks"] == same["picks"]
    assert body["summary"]["detected"] == 21
    assert body["cid_page"] == ("/cid.html?network=madrigal&time=2024-01-01T07%3A10%3A09.000Z"
                                "&lat=37.498&lon=137.242&mag=7.5&depth_km=10.0")
    higher = client.get("/api/events/us6000m0xl/cid", params={"snr": 5}).json()
    assert higher["summary"]["detected"] < 21  # docs/gnss.md: 9 pairs over SNR 5
    assert higher["summary"]["detected"] == 9


def test_an_event_without_receiver_tec_or_unknown_is_404(client: TestClient) -> None:
    r = client.get("/api/events/usp000a7m5/cid")  # El Salvador 2001-01-13
    assert r.status_code == 404
    assert "no receiver TEC stored around event 'usp000a7m5'" in r.json()["detail"]
    assert client.get("/api/events/nosuchevent/cid").status_code == 404
    assert client.get("/api/events/us6000m0xl/cid", params={"snr": 0}).status_code == 422
