"""A bounded load test of the API on 127.0.0.1: 50 concurrent clients, fixed count and time.

Builds an archive from the bundled JPL maps and the ComCat M7 catalogue, starts
``ionoquake serve`` in a subprocess on a free loopback port, then sends REQUESTS
requests (or stops after MAX_SECONDS, whichever first) from CLIENTS concurrent
clients over a mix of map and event endpoints; prints p50/p99 latency and errors
per endpoint. The same mix is also sent to the bare static-file route (the
dashboard's leaflet.js) as a floor: the ratio says what the data endpoints cost
above serving a file.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CLIENTS, REQUESTS, MAX_SECONDS = 50, 3000, 60.0


def build_store(root: Path) -> None:
    files = sorted((REPO / "data/ionex/jpl_2000326-2001014").glob("*.gz"))
    subprocess.run([sys.executable, "-m", "ionoquake.cli", "ingest", "--store", str(root),
                    *map(str, files), str(SHARED / "catalogs/usgs_comcat_M7_2000-2018.csv")],
                   check=True, capture_output=True)


async def run(base: str, paths: list[str]) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(paths[i % len(paths)])
    deadline = time.monotonic() + MAX_SECONDS

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty() and time.monotonic() < deadline:
            path = queue.get_nowait()
            key = path.split("?")[0].rsplit("/", 1)[-1] if "grid" in path else path.split("?")[0]
            t0 = time.perf_counter()
            r = await http.get(base + path)
            latencies.setdefault(key, []).append(time.perf_counter() - t0)
            if r.status_code != 200:
                errors[key] = errors.get(key, 0) + 1

    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=CLIENTS)) as h:
        await asyncio.gather(*(client(h) for _ in range(CLIENTS)))
    for key, values in latencies.items():
        values.sort()
        p50 = statistics.median(values) * 1e3
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))] * 1e3
        print(f"  {key:32s} n={len(values):5d}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
              f"errors {errors.get(key, 0)}")
    return latencies


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build_store(store)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "IONOQUAKE_DATABASE_URL"}
        server = subprocess.Popen([sys.executable, "-m", "ionoquake.cli", "serve", "--store",
                                   str(store), "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(base + "/api/health", timeout=1.0)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            data = ["/api/events?min_magnitude=7&start=2000-11-01&end=2001-02-01",
                    "/api/events/usp000a7m5",
                    "/api/maps/jplg/grid?time=2001-01-13T17:00:00",
                    "/api/maps/jplg/grid?time=2000-12-06T17:00:00&format=geojson&stride=2"]
            print(f"data endpoints: {CLIENTS} clients, up to {REQUESTS} requests / "
                  f"{MAX_SECONDS:.0f} s")
            t0 = time.perf_counter()
            lat = asyncio.run(run(base, data))
            elapsed = time.perf_counter() - t0
            n = sum(len(v) for v in lat.values())
            print(f"  {n} requests in {elapsed:.1f} s = {n / elapsed:.0f} req/s")
            print("static floor (/static/vendor/leaflet/leaflet.js):")
            floor = asyncio.run(run(base, ["/static/vendor/leaflet/leaflet.js"]))
            worst = max(sorted(v)[int(0.99 * len(v)) - 1] for v in lat.values())
            floor_p99 = sorted(next(iter(floor.values())))[int(0.99 * REQUESTS) - 1]
            print(f"worst data-endpoint p99 / static p99 = {worst / floor_p99:.1f}x "
                  f"(target p99 <= 100 ms: {'met' if worst <= 0.1 else 'NOT met'})")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
