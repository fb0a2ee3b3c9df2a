"""A bounded load test of the API on 127.0.0.1: 50 concurrent clients, fixed count and time.

Builds an archive from the bundled JPL maps and the ComCat M7 catalogue, starts
``ionoquake serve --workers W`` in a subprocess on a free loopback port, then runs
the load generator in a *separate process* (so that it does not share the server's
event loop): CLIENTS keep-alive connections, each sending its next request as soon
as the last answer is read (closed loop, no think time), until REQUESTS requests
are answered or MAX_SECONDS pass. The mix is the dashboard's: TEC and ΔTEC grids
of many epochs (JSON and GeoJSON), events filtered by time, magnitude and box, one
event, and clusters. Prints p50/p99 latency, errors and the cache hit ratio per
endpoint, the throughput, and the same figures for the bare static-file route
(the dashboard's leaflet.js) as a floor.

The load generator is a minimal HTTP/1.1 client on asyncio streams: httpx costs
about a millisecond of client CPU a request, which on this 2-core machine would
measure the client, not the server.

Run: ``.venv/bin/python benchmarks/bench_api.py [--workers W]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CLIENTS, REQUESTS, MAX_SECONDS = 50, 20_000, 60.0
TARGET_P99_S = 0.100


def build_store(root: Path) -> None:
    files = sorted((REPO / "data/ionex/jpl_2000326-2001014").glob("*.gz"))
    subprocess.run([sys.executable, "-m", "ionoquake.cli", "ingest", "--store", str(root),
                    *map(str, files), str(SHARED / "catalogs/usgs_comcat_M7_2000-2018.csv")],
                   check=True, capture_output=True)


def data_paths() -> list[str]:
    """The dashboard's mix: 40 grid epochs (TEC/ΔTEC, JSON/GeoJSON), events, clusters."""
    paths = []
    for day in range(5, 15):  # 2001-01-05 .. 14: the days before El Salvador (13 Jan)
        for hour in (1, 7, 13, 19):
            t = f"2001-01-{day:02d}T{hour:02d}:00:00"
            paths.append(f"/api/maps/jplg/grid?time={t}")
            paths.append(f"/api/maps/jplg/grid?time={t}&variable=dtec")
            paths.append(f"/api/maps/jplg/grid?time={t}&format=geojson&stride=2")
    paths += [f"/api/events?min_magnitude={m}&start=2000-11-01&end=2001-02-01"
              for m in (7.0, 7.2, 7.5)]
    paths += ["/api/events?bbox=-100,0,-80,20&start=2000-01-01&end=2002-01-01",
              "/api/events?format=geojson&start=2000-01-01&end=2019-01-01&limit=500",
              "/api/events/usp000a7m5", "/api/clusters?limit=1000",
              "/api/maps/jplg/times"]
    return paths


def endpoint(path: str) -> str:
    route = path.split("?")[0]
    if "/grid" in route:
        kind = "dtec" if "variable=dtec" in path else "tec"
        return f"{route} {kind}{' geojson' if 'geojson' in path else ''}"
    return "/api/events/{id}" if route.startswith("/api/events/") else route


# --- the load generator (runs in its own process) ---------------------------------------


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
               path: str) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
    if b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    elif fields.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status, fields.get(b"x-cache", b"")


async def _load(host: str, port: int, paths: list[str], clients: int, requests: int,
                max_seconds: float) -> dict[str, object]:
    results: list[tuple[str, float, int, str]] = []
    next_request = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in next_request:
                if time.monotonic() > deadline:
                    break
                path = paths[i % len(paths)]  # the list in turn: a cold pass covers it all
                t0 = time.perf_counter()
                try:
                    status, cache = await _get(reader, writer, host, path)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status, cache = 0, b""
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                results.append((endpoint(path), time.perf_counter() - t0, status,
                                cache.decode()))
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"elapsed_s": time.perf_counter() - t0, "results": results}


def load_main(argv: list[str]) -> int:
    host, port, clients, requests, max_seconds = argv[0], int(argv[1]), *map(int, argv[2:4]), \
        float(argv[4])
    paths = argv[5:]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out = asyncio.run(_load(host, port, paths, clients, requests, max_seconds))
    json.dump(out, sys.stdout)
    return 0


# --- the benchmark ---------------------------------------------------------------------------


def run_load(port: int, paths: list[str], requests: int) -> tuple[float, list[list[object]]]:
    argv = [sys.executable, __file__, "--load", "127.0.0.1", str(port), str(CLIENTS),
            str(requests), str(MAX_SECONDS), *paths]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    out = json.loads(done.stdout)
    return float(out["elapsed_s"]), out["results"]


def report(elapsed: float, results: list[list[object]]) -> float:
    """Print the table; returns the worst per-endpoint p99 in seconds."""
    by: dict[str, list[list[object]]] = {}
    for r in results:
        by.setdefault(str(r[0]), []).append(r)
    worst = 0.0
    for key in sorted(by):
        rows = by[key]
        lat = sorted(float(str(r[1])) for r in rows)
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        errors = sum(r[2] != 200 for r in rows)
        hits = sum(r[3] == "hit" for r in rows)
        worst = max(worst, p99)
        print(f"  {key:40s} n={len(rows):6d}  p50 {p50 * 1e3:6.1f} ms  p99 {p99 * 1e3:6.1f} ms"
              f"  errors {errors}  cache hits {hits / len(rows):4.0%}")
    lat = sorted(float(str(r[1])) for r in results)
    print(f"  all: {len(results)} requests in {elapsed:.1f} s = {len(results) / elapsed:.0f} req/s,"
          f" p50 {lat[len(lat) // 2] * 1e3:.1f} ms, p99 {lat[int(0.99 * len(lat))] * 1e3:.1f} ms,"
          f" errors {sum(r[2] != 200 for r in results)}")
    return worst


def wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            urllib.request.urlopen(base + "/api/health", timeout=1.0).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (1: the load generator has the other core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build_store(store)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "IONOQUAKE_DATABASE_URL"}
        server = subprocess.Popen([sys.executable, "-m", "ionoquake.cli", "serve", "--store",
                                   str(store), "--port", str(port), "--workers",
                                   str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base, server)
            paths = data_paths()
            print(f"{args.workers} server process(es), {CLIENTS} clients (closed loop, separate "
                  f"process), {len(paths)} URLs, up to {REQUESTS} requests / {MAX_SECONDS:.0f} s; "
                  f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
            print("cold (each URL once per server process: every answer computed):")
            elapsed, results = run_load(port, paths * args.workers, len(paths) * args.workers)
            report(elapsed, results)
            print("steady state (the dashboard's mix, answers cached until the data change):")
            elapsed, results = run_load(port, paths, REQUESTS)
            worst = report(elapsed, results)
            print("static floor (/static/vendor/leaflet/leaflet.js, 147 kB):")
            f_elapsed, floor = run_load(port, ["/static/vendor/leaflet/leaflet.js"], REQUESTS // 4)
            floor_p99 = report(f_elapsed, floor)
            print(f"worst data-endpoint p99 {worst * 1e3:.1f} ms = {worst / floor_p99:.2f}x the "
                  f"static p99; target p99 <= {TARGET_P99_S * 1e3:.0f} ms: "
                  f"{'met' if worst <= TARGET_P99_S else 'NOT met'}")
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        sys.exit(load_main(sys.argv[2:]))
    sys.exit(main())
