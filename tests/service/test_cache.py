"""The API's response cache: served again until the data change, never after."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ionoquake.pipeline.sync import sync_database
from ionoquake.service.api import create_app
from ionoquake.service.cache import ResponseCache, store_generation
from ionoquake.service.settings import Settings
from ionoquake.store import database, maps, schema
from ionoquake.store.catalogs import ingest_files

JPL = "ionex/jpl_2012267-273"


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


@pytest.fixture
def store(shared_data: Path, tmp_path: Path) -> Path:
    for f in sorted((shared_data / JPL).glob("*.gz"))[:2]:
        maps.ingest_file(tmp_path, f)
    ingest_files(tmp_path, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    sync_database(tmp_path, database.connect(database.database_url(tmp_path)))
    return tmp_path


@pytest.fixture
def client(store: Path) -> TestClient:
    return TestClient(create_app(Settings(store, database.database_url(store))))


def test_second_answer_is_the_cached_bytes_and_etag_gives_304(client: TestClient) -> None:
    url = "/api/events?min_magnitude=7.5&limit=5"
    first, second = client.get(url), client.get(url)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert second.headers["content-type"] == "application/json"
    assert second.json()["total"] == first.json()["total"] > 0
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get(url, headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.content == first.content
    # The query is part of the key.
    assert client.get("/api/events?min_magnitude=7.5&limit=4").headers["x-cache"] == "miss"


def test_a_database_write_invalidates(client: TestClient, store: Path) -> None:
    url = "/api/events?start=2030-01-01&end=2030-12-31"
    assert client.get(url).json()["total"] == 0
    assert client.get(url).headers["x-cache"] == "hit"
    engine = database.connect(database.database_url(store))
    before = database.revision(engine)
    database.upsert(engine, schema.events, pd.DataFrame({
        "event_id": ["test2030"], "time": [pd.Timestamp("2030-06-01")], "latitude": [10.0],
        "longitude": [20.0], "depth_km": [10.0], "magnitude": [6.1], "mag_type": ["mw"],
        "place": ["nowhere"], "source": ["test"]}))
    assert database.revision(engine) == before + 1
    r = client.get(url)
    assert r.headers["x-cache"] == "miss" and r.json()["total"] == 1
    database.log_ingest(engine, "catalog", "x.csv", "0" * 64, "added")
    assert database.revision(engine) == before + 2
    database.read(engine, schema.events)  # reading changes nothing
    assert database.revision(engine) == before + 2


def test_a_new_day_of_maps_invalidates(client: TestClient, store: Path,
                                       shared_data: Path) -> None:
    assert [m["days"] for m in client.get("/api/maps").json()] == [2]
    assert client.get("/api/maps").headers["x-cache"] == "hit"
    generation = store_generation(store)
    maps.ingest_file(store, sorted((shared_data / JPL).glob("*.gz"))[2])
    assert store_generation(store) != generation
    r = client.get("/api/maps")
    assert r.headers["x-cache"] == "miss" and [m["days"] for m in r.json()] == [3]


def test_errors_are_not_cached(client: TestClient) -> None:
    for _ in range(2):
        r = client.get("/api/events?min_magnitude=11")
        assert r.status_code == 422 and "x-cache" not in r.headers


def test_least_recently_used_answers_leave_first() -> None:
    bodies = {f"/api/{i}": bytes([65 + i]) * 100 for i in range(4)}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = bodies[scope["path"]]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    cache = ResponseCache(app, generation=lambda: 0, max_bytes=250)

    async def get(path: str) -> bytes:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await cache({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
        return dict(sent[0]["headers"])[b"x-cache"]

    assert [asyncio.run(get(p)) for p in ("/api/0", "/api/1", "/api/0", "/api/2")] == [
        b"miss", b"miss", b"hit", b"miss"]
    assert list(cache.entries) == [("/api/0", b""), ("/api/2", b"")] and cache.size == 200
    assert asyncio.run(get("/api/1")) == b"miss"  # it was the least recently used


def test_concurrent_misses_compute_once() -> None:
    calls = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await asyncio.sleep(0.05)
        status = 200 if scope["path"] == "/api/ok" else 404
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})

    cache = ResponseCache(app, generation=lambda: 0)

    async def get(path: str) -> int:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await cache({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
        return int(sent[0]["status"])

    async def many() -> list[int]:
        return list(await asyncio.gather(*(get(p) for p in ["/api/ok"] * 5 + ["/api/no"] * 3)))

    assert asyncio.run(many()) == [200] * 5 + [404] * 3
    # One computation of the answer that is kept; the error is computed by each in turn.
    assert calls.count("/api/ok") == 1 and calls.count("/api/no") == 3 and not cache.pending


def test_serve_with_two_worker_processes(store: Path) -> None:
    """``ionoquake serve --workers 2``: each process answers from its own cache."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "IONOQUAKE_DATABASE_URL"}
    server = subprocess.Popen([sys.executable, "-m", "ionoquake.cli", "serve", "--store",
                               str(store), "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/events?min_magnitude=7.5"
    try:
        for _ in range(300):
            try:
                first = urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                time.sleep(0.1)
        body = first.read()
        answers = [urllib.request.urlopen(url, timeout=5) for _ in range(6)]
        assert all(a.read() == body for a in answers)
        assert {a.headers["etag"] for a in answers} == {first.headers["etag"]}
        assert "hit" in {a.headers["x-cache"] for a in answers}
    finally:
        server.terminate()
        out = server.communicate(timeout=30)[0].decode()
    assert "with 2 worker processes" in out
