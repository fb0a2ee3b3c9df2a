"""A stored forecast as a map grid, and an evaluation's HTML report served from the archive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from fastapi.testclient import TestClient

from ionoquake.forecast.archive import write_forecast
from ionoquake.pipeline.demo import keep_report
from ionoquake.pipeline.sync import sync_forecasts
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.store import database


@pytest.fixture()
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    lat, lon = np.arange(-89.0, 90, 2), np.arange(-179.0, 180, 2)
    rate = np.full((lat.size, lon.size), 1e-6)
    rate[50, 45] = 4e-6
    write_forecast(tmp_path, xr.Dataset(
        {"spatial_rate": (("lat", "lon"), rate),
         "baseline_rate": (("lat", "lon"), np.full((lat.size, lon.size), 1e-6)),
         "alarm_score": (("lat", "lon"), np.where(rate > 1e-6, 1.0, -np.inf)),
         "magnitude_fraction": ("magnitude", np.array([1.0]))},
        coords={"lat": lat, "lon": lon, "magnitude": [6.0]},
        attrs={"model": "m", "issue_time": "2001-01-15T00:00:00", "horizon_days": 1.0}))
    engine = database.connect(database.database_url(tmp_path))
    sync_forecasts(engine, tmp_path)
    report = tmp_path / "evaluation.html"
    report.write_text("<html><body>verdict: no skill</body></html>")
    assert keep_report(tmp_path, "run-1", report) == "reports/run-1.html"
    with TestClient(create_app(Settings(tmp_path, database.database_url(tmp_path)))) as c:
        yield c


def test_forecast_grid_as_rate_and_gain(client: TestClient) -> None:
    [f] = client.get("/api/forecasts").json()["items"]
    rate = client.get(f"/api/forecasts/{f['forecast_id']}/grid").json()
    assert rate["issue_time"] == "2001-01-15T00:00:00.000Z" and rate["units"] == "log10(events)"
    values = np.array(rate["values"], dtype=float)
    assert values.shape == (90, 180) and values[50, 45] == pytest.approx(np.log10(4e-6), abs=1e-3)
    gain = np.array(client.get(f"/api/forecasts/{f['forecast_id']}/grid",
                               params={"variable": "gain"}).json()["values"], dtype=float)
    assert gain[50, 45] == 4.0 and (gain == 1.0).sum() == 90 * 180 - 1
    assert client.get(f"/api/forecasts/{'0' * 64}/grid").status_code == 404
    assert client.get(f"/api/forecasts/{f['forecast_id']}/grid",
                      params={"variable": "x"}).status_code == 422


def test_the_report_an_evaluation_kept_is_served(client: TestClient) -> None:
    r = client.get("/reports/run-1.html")
    assert r.status_code == 200 and "no skill" in r.text
    assert client.get("/reports/nope.html").status_code == 404
    assert client.get("/reports/..%2Fevaluation.html").status_code == 404
