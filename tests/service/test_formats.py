"""CSV of every table endpoint and NetCDF of grids and series, opened in their clients
(pandas without a format, xarray, the IOOS compliance-checker ``cf:1.8``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from fastapi.testclient import TestClient

from ionoquake.pipeline.sync import sync_database
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.store import database, maps
from ionoquake.store.catalogs import ingest_files
from ionoquake.store.indices import ingest_indices
from tests.store.test_cf_compliance import _offline, high_priority_failures  # noqa: F401

TABLES = ["events", "clusters", "alarms", "anomalies", "passes", "forecasts", "evaluations"]


@pytest.fixture(scope="module")
def client(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("formats")
    for f in sorted((shared_data / "ionex/jpl_2012267-273").glob("*.gz"))[:3]:
        maps.ingest_file(root, f)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    ingest_indices(root, [shared_data / "indices/omniweb_hourly_indices_2011.csv"])
    sync_database(root, database.connect(database.database_url(root)))
    with TestClient(create_app(Settings(root, database.database_url(root)))) as c:
        yield c


@pytest.mark.parametrize("table", TABLES)
def test_every_table_endpoint_answers_csv(client: TestClient, table: str) -> None:
    js = client.get(f"/api/{table}", params={"limit": 50}).json()
    r = client.get(f"/api/{table}", params={"limit": 50, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert int(r.headers["x-total-count"]) == js["total"]
    if not js["items"]:
        return
    df = pd.read_csv(io.StringIO(r.text))
    assert list(df.columns) == list(js["items"][0]) and len(df) == len(js["items"])
    for column in df.columns:
        if str(js["items"][0][column]).endswith("Z") and "T" in str(js["items"][0][column]):
            assert pd.to_datetime(df[column]).dt.tz is not None  # no format needed


def test_indices_csv_and_unknown_formats(client: TestClient) -> None:
    r = client.get("/api/indices", params={"start": "2011-03-01", "end": "2011-03-02",
                                           "format": "csv"})
    df = pd.read_csv(io.StringIO(r.text))
    assert len(df) == 24 and str(pd.to_datetime(df["time"]).dt.tz) == "UTC"
    assert client.get("/api/passes", params={"format": "netcdf"}).status_code == 422
    assert client.get("/api/maps/jplg/grid", params={"time": "2012-09-24T10:00Z",
                                                     "format": "csv"}).status_code == 422


@pytest.mark.parametrize(("path", "params", "variable"), [
    ("/api/maps/jplg/grid", {"time": "2012-09-24T10:00:00Z"}, "tec"),
    ("/api/maps/jplg/series", {"lat": 13.0, "lon": -88.7, "start": "2012-09-24T00:00Z",
                               "end": "2012-09-25T00:00Z"}, "tec"),
    ("/api/maps/jplg/anomalies", {"lat": 13.0, "lon": -88.7, "start": "2012-09-25T00:00Z",
                                  "end": "2012-09-26T00:00Z", "window_days": 3}, "lower"),
])
def test_grids_and_series_as_cf_netcdf(client: TestClient, tmp_path: Path, path: str,
                                       params: dict[str, object], variable: str) -> None:
    js = client.get(path, params=params).json()
    r = client.get(path, params={**params, "format": "netcdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-netcdf"
    target = tmp_path / "answer.nc"
    target.write_bytes(r.content)
    with xr.open_dataset(target) as ds:
        assert ds[variable].attrs["units"] == "1e16 m-2"  # TECU, as CF writes it
        values = ds[variable].values.ravel()
        want = pd.Series(js.get("values", js.get(variable)), dtype=object).explode()
        assert values.size == want.size
    assert high_priority_failures(target) == []
