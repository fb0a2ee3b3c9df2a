"""Triggering the daily step over the API: token, one run at a time, followed by its job."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ionoquake.service.api import create_app
from ionoquake.service.jobs import jobs_folder
from ionoquake.service.settings import Settings
from ionoquake.store import database
from tests.pipeline.test_daily import _archive

TOKEN = "run-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DAILY = {"date": "2001-01-13", "product": "jplg", "offline": "true", "window_days": 10,
         "learning_days": 90}


@pytest.fixture
def store(bundled_data: Path, tmp_path: Path) -> Path:
    _archive(bundled_data, tmp_path, 13)
    return tmp_path


def _client(store: Path, token: str | None = TOKEN) -> TestClient:
    return TestClient(create_app(Settings(store, database.database_url(store), token)))


def _wait(client: TestClient, job: str, seconds: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record: dict[str, Any] = client.get(f"/api/jobs/{job}").json()
        if record["status"] != "running":
            return record
        time.sleep(0.2)
    raise AssertionError(f"job {job} still running after {seconds} s")


def test_a_triggered_daily_step_runs_and_its_job_tells_how_it_went(store: Path) -> None:
    client = _client(store)
    started = client.post("/api/run/daily", params=DAILY, headers=AUTH)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] == "running" and started.headers["location"] == f"/api/jobs/{job['job']}"
    done = _wait(client, job["job"])
    assert done["status"] == "done", done
    assert done["forecast"] == "2001-01-14T000000.parquet" and done["error"] is None
    assert any("forecast" in step for step in done["steps"])
    # The forecast is now in the database the API reads; the job record is in the store.
    assert client.get("/api/forecasts").json()["total"] == 1
    assert (jobs_folder(store) / f"{job['job']}.json").is_file()
    # Running it again is safe: the forecast is already issued and stays as it was.
    again = _wait(client, client.post("/api/run/daily", params=DAILY, headers=AUTH).json()["job"])
    assert again["status"] == "done" and "already issued, unchanged" in again["steps"][-1]


def test_a_failed_run_says_why(store: Path) -> None:
    client = _client(store)
    job = client.post("/api/run/daily", params={**DAILY, "date": "2001-01-20"}, headers=AUTH)
    failed = _wait(client, job.json()["job"])
    assert failed["status"] == "failed"
    assert "no jplg maps of 2001-01-20 in the archive" in failed["error"]


def test_one_run_at_a_time(store: Path) -> None:
    jobs_folder(store).mkdir(parents=True)
    with open(jobs_folder(store) / ".lock", "a+") as held:  # as a run in another process
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = _client(store).post("/api/run/daily", params=DAILY, headers=AUTH)
    assert busy.status_code == 409 and "a run is already going on" in busy.text


@pytest.mark.parametrize(("token", "headers", "params", "status", "text"), [
    (None, AUTH, DAILY, 403, "no API token is configured"),
    (TOKEN, {"Authorization": "Bearer wrong"}, DAILY, 401, "valid 'Authorization"),
    (TOKEN, AUTH, {**DAILY, "date": "2999-01-01"}, 400, "is in the future"),
    # Was 202 and a job that failed with OverflowError.
    (TOKEN, AUTH, {**DAILY, "date": "0001-01-01"}, 400,
     "date 0001-01-01 is too early: with learning_days=90 and window_days=10 the daily step "
     "runs for dates from 1678-04-12 to "),
    (TOKEN, AUTH, {**DAILY, "date": "1700-01-01", "learning_days": 36525}, 400,
     "runs for dates from 1778-01-13 to "),
    (TOKEN, {"Authorization": TOKEN}, DAILY, 401, "valid 'Authorization"),  # no scheme
    (TOKEN, AUTH, {**DAILY, "product": "../etc"}, 422, "String should match pattern"),
    (TOKEN, AUTH, {**DAILY, "window_days": 100}, 422, "less than or equal to 60"),
])
def test_bad_triggers_are_refused(store: Path, token: str | None, headers: dict[str, str],
                                  params: dict[str, Any], status: int, text: str) -> None:
    r = _client(store, token).post("/api/run/daily", params=params, headers=headers)
    assert r.status_code == status and text in r.text
    assert not jobs_folder(store).exists() or not list(jobs_folder(store).glob("*.json"))


def test_unknown_and_malformed_job_ids(store: Path) -> None:
    client = _client(store)
    assert client.get("/api/jobs/0123456789abcdef").status_code == 404
    assert client.get("/api/jobs/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/api/jobs/XYZ").status_code == 422
