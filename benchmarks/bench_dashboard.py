"""What a user of the dashboard waits for, in Chromium (Playwright), on the bundled archive.

The archive: the 55 bundled JPL days (2000-11-21 .. 2001-01-14), the ComCat catalogue and the
CelesTrak indices, mirrored in SQLite (what the demo builds, without its outputs). The
server is ``ionoquake serve`` on 127.0.0.1. Timed from navigation:

* first paint of the map: the TEC layer and its legend drawn for the last epoch;
* the first ΔTEC map of the product: from choosing "ΔTEC" to its legend being drawn.

Targets of issue L: first paint ≤ 1.5 s, first ΔTEC map ≤ 300 ms. The peer is the same
server without the start-up warm-up (``MapData.warm``: the last day of each product opened
and its ΔTEC computed while the server starts), run in the same process on the same
archive — what the dashboard did before.

    python benchmarks/bench_dashboard.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def build_store(root: Path) -> Path:
    from ionoquake.pipeline.sync import sync_database
    from ionoquake.store import database
    from ionoquake.store.ingest import ingest_paths

    store = root / "store"
    files = [*sorted((DATA / "ionex/jpl_2000326-2001014").glob("*.gz")),
             DATA / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv",
             DATA / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"]
    ingest_paths(store, files)
    sync_database(store, database.connect(database.database_url(store)))
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(store: Path, warm: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "IONOQUAKE_STORE": str(store)}
    code = ("import uvicorn, sys; from ionoquake.service import api, map_data; "
            + ("" if warm else "map_data.MapData.warm = lambda self: None; ")
            + f"uvicorn.run(api.app_from_env(), host='127.0.0.1', port={port}, log_level='error')")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    time.sleep(3.0)  # what a server gets between its start and its first user
    return proc, url


def measure(url: str) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        t0 = time.perf_counter()
        page.goto(url + "/")
        page.wait_for_function("document.querySelector('#legend').textContent.includes('TECU')",
                               timeout=60_000)
        paint = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.select_option("#layer", "dtec")
        page.wait_for_function("document.querySelector('#legend').textContent.includes('ΔTEC')",
                               timeout=60_000)
        dtec = time.perf_counter() - t1
        browser.close()
    return paint, dtec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp))
        results = {}
        for warm in (False, True):
            best = (float("inf"), float("inf"))
            for _ in range(args.repeat):  # a fresh server each time: the first ΔTEC is cold
                proc, url = serve(store, warm)
                try:
                    paint, dtec = measure(url)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                best = (min(best[0], paint), min(best[1], dtec))
            results[warm] = best
        (p0, d0), (p1, d1) = results[False], results[True]
        print(f"without warm-up (before): first paint {p0:.2f} s, "
              f"first ΔTEC map {d0 * 1000:.0f} ms")
        print(f"with warm-up (now):       first paint {p1:.2f} s, "
              f"first ΔTEC map {d1 * 1000:.0f} ms")
        print(f"ratio: first ΔTEC {d0 / d1:.1f}× faster; targets first paint ≤ 1.5 s: "
              f"{'met' if p1 <= 1.5 else 'NOT met'}, first ΔTEC ≤ 300 ms: "
              f"{'met' if d1 <= 0.3 else 'NOT met'} (best of {args.repeat})")


if __name__ == "__main__":
    main()
