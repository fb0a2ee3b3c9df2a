"""The dashboard end to end in a real headless Chromium (Debian's package, no browser download).

A real server (uvicorn) on 127.0.0.1 serves the API and the pages over an archive of the
bundled JPL maps, the ComCat M7 catalogue and the bundled TLEs; Playwright's Python client
drives /usr/bin/chromium: load the map, click an event, see its chart, turn the ground tracks
on and click a pass; screenshots must not be blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ionoquake.pipeline.sync import sync_database
from ionoquake.store import database, maps
from ionoquake.store.catalogs import ingest_files
from ionoquake.store.tles import ingest_tle_files
from tests.service.live import not_blank, serve


@pytest.fixture(scope="module")
def server(bundled_data: Path, shared_data: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("dash")
    files = sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("*.gz"),
                   key=lambda p: (p.name[9:11] != "00", p.name[4:7]))  # 2000 first, by day
    for f in files[-16:]:  # 2000-12-30 .. 2001-01-14, El Salvador on 2001-01-13
        maps.ingest_file(root, f)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    ingest_tle_files(root, [bundled_data / "tle/celestrak_science_20191118.tle"])
    from ionoquake.store.ingest import ingest_path

    ingest_path(root, shared_data / "tec_los_madrigal/"
                "madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz")  # the CID page
    engine = database.connect(database.database_url(root))
    sync_database(root, engine)
    import pandas as pd

    from ionoquake.forecast.alarm_rules import AlarmRules
    from ionoquake.orbits.passes import passes_over
    from ionoquake.orbits.zones import circle_zones
    from ionoquake.pipeline.sync import sync_alarms, sync_clusters, sync_passes
    from ionoquake.sources import tle

    sets = tle.read(bundled_data / "tle/celestrak_science_20191118.tle")
    sync_passes(engine, passes_over(circle_zones([13.0], [-88.7], [2000.0], zone_id=["z1"]),
                                    sets[sets["norad_id"] == 43194], "2019-11-18",
                                    "2019-11-19"))
    sync_clusters(engine, "jplg", pd.DataFrame([{  # one cluster active at the last epoch
        "cluster": 1, "sign": 1, "start": "2001-01-14 13:00", "end": "2001-01-14 23:00",
        "lat_min": 0.0, "lat_max": 20.0, "lon_west": -100.0, "lon_east": -80.0,
        "peak_time": "2001-01-14 17:00", "peak_lat": 10.0, "peak_lon": -90.0,
        "peak_severity": 2.0, "n_cells": 50, "geomag": "quiet"}]))
    sync_alarms(engine, pd.DataFrame({
        "issued": pd.to_datetime(["2001-01-14 23:00"]), "start": pd.to_datetime(["2001-01-14 23:00"]),
        "end": pd.to_datetime(["2001-01-24 23:00"]), "lat": [10.0], "lon": [-90.0],
        "radius_km": [380.2], "score": [2.0], "gain": [3.0]}), AlarmRules().to_dict())
    # one stored daily forecast: the baseline everywhere, gain 3 inside the alarm's circle
    import xarray as xr

    from ionoquake.forecast.archive import write_forecast
    from ionoquake.pipeline.sync import sync_forecasts

    lat, lon = np.arange(-89.0, 90, 2), np.arange(-179.0, 180, 2)
    base = np.full((lat.size, lon.size), 1e-6)
    near = (np.abs(lat[:, None] - 10) < 4) & (np.abs(lon[None, :] + 90) < 4)
    write_forecast(root, xr.Dataset(
        {"spatial_rate": (("lat", "lon"), np.where(near, 3e-6, 1e-6)),
         "baseline_rate": (("lat", "lon"), base),
         "alarm_score": (("lat", "lon"), np.where(near, 2.0, -np.inf)),
         "magnitude_fraction": ("magnitude", np.array([0.8, 0.2]))},
        coords={"lat": lat, "lon": lon, "magnitude": [6.0, 6.1]},
        attrs={"model": "test-alarms", "issue_time": "2001-01-15T00:00:00",
               "horizon_days": 1.0, "config": '{"learning_days": 60, "grid": {"step_deg": 2.0}}',
               "inputs_sha256": "0" * 64}))
    sync_forecasts(engine, root)
    with serve(root) as url:
        yield url


def _m7_between(start: str, end: str) -> int:
    """Events of the ComCat M7 file in [start, end] (UTC)."""
    import pandas as pd

    from tests.conftest import SHARED_DATA

    cat = pd.read_csv(SHARED_DATA / "catalogs/usgs_comcat_M7_2000-2018.csv")
    t = pd.to_datetime(cat["time"], utc=True)
    return int(((t >= pd.Timestamp(start, tz="UTC")) & (t <= pd.Timestamp(end, tz="UTC"))
                & (cat["mag"] >= 6)).sum())


def test_map_then_event_page(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_selector("#events li.event", timeout=30_000)
    page.wait_for_function("document.querySelector('#legend').textContent.includes('TECU')",
                           timeout=30_000)
    # One epoch drives every layer: the earthquakes listed are those from 10 days before to
    # 30 days after the map's epoch (the last, 2001-01-14 23:00), counted here from the file.
    page.wait_for_function(f"document.querySelectorAll('#events li.event').length === "
                           f"{_m7_between('2001-01-04T23:00', '2001-02-13T23:00')}")
    assert "epoch" in page.locator("#epoch-label").inner_text()
    assert "preparation zone" in page.locator("#events-legend").inner_text()
    shot = page.screenshot(path=str(tmp_path / "map.png"))
    assert not_blank(shot) > 0.05
    assert page.locator("path.leaflet-interactive").count() > 0  # epicentre markers drawn
    clusters = page.locator("#cluster-info").inner_text()
    assert clusters.startswith("1 anomaly clusters (≥ 20 cell-epochs) active at this epoch")
    assert "red positive, blue negative" in clusters  # the boxes' legend
    page.select_option("#layer", "dtec")
    page.wait_for_function("document.querySelector('#legend').textContent.includes('ΔTEC')",
                           timeout=60_000)
    ticks = [float(t.replace("−", "-")) for t in page.locator(".legend-ticks span").all_inner_texts()]
    assert ticks[0] == -ticks[-1] and ticks[1] == 0  # symmetric, with its zero, as drawn
    page.check("#show-passes")
    page.wait_for_function("document.querySelector('#passes-info').textContent.includes('passes')")
    passes = page.locator("#passes-info").inner_text()
    assert "ZHANGZHENG-1" in passes and "another period than the maps" in passes
    page.uncheck("#show-passes")  # the passes' text hides with its layer
    page.wait_for_function("document.querySelector('#passes-info').textContent === ''")
    # an earlier epoch: the earthquakes follow it
    page.eval_on_selector("#epoch", "e => { e.value = '0'; e.dispatchEvent(new Event('change')); }")
    page.wait_for_function(f"document.querySelectorAll('#events li.event').length === "
                           f"{_m7_between('2000-12-20T01:00', '2001-01-29T01:00')}")
    assert not_blank(page.screenshot(path=str(tmp_path / "dtec.png"))) > 0.05
    page.locator("li.event[data-id='usp000a7m5']").click()
    page.wait_for_url("**/event.html?id=usp000a7m5")
    page.wait_for_selector("body[data-chart='drawn']", timeout=30_000)
    assert "El Salvador" in page.locator("#title").inner_text()
    chart = page.locator("#chart").screenshot(path=str(tmp_path / "event.png"))
    assert not_blank(chart) > 0.02
    # the conjugate-point panel of the static figure (detect/event.py: 35.02°S 94.78°W)
    assert "35.02°S 94.78°W" in page.locator("#conjugate-title").inner_text()
    assert not_blank(page.locator("#conjugate").screenshot()) > 0.02
    csv = page.evaluate("fetch(document.querySelector('#download-csv').href).then(r => r.text())")
    lines = csv.strip().splitlines()
    assert lines[1].startswith("time,tec_epicentre_tecu,background_epicentre_tecu")
    assert len(lines) == 2 + 16 * 24  # hourly over the 16 stored days
    assert lines[2].split(",")[0].endswith("Z")
    assert page.locator("#downloads a[download$='_chart.png']").count() == 1
    page.goto(server + "/forecasts.html")
    page.wait_for_selector("body[data-forecasts='drawn']", timeout=30_000)
    page.wait_for_function("document.querySelector('#alarms tbody').textContent.includes('380')")
    assert "10.0°N 90.0°W" in page.locator("#alarms tbody").inner_text()
    # the gridded forecast as a map layer, with its scale and what it is
    assert "expected number of target events" in page.locator("#forecast-legend").inner_text()
    page.select_option("#variable", "gain")
    page.wait_for_function("document.querySelector('#forecast-legend').textContent"
                           ".includes('gain')")
    ticks = page.locator("#forecast-legend .legend-ticks span").all_inner_texts()
    assert ticks[0] == "1.00" and ticks[-1] == "3.00"
    assert "test-alarms: issued 2001-01-15 00:00 UTC" in page.locator("#forecast-info").inner_text()
    assert not_blank(page.locator("#forecast-map").screenshot()) > 0.02
    # the cells are drawn, and shown at their size (a page rule once shrank Leaflet's canvas)
    shown = page.evaluate("Array.from(document.querySelectorAll('#forecast-map canvas'))"
                          ".map(c => c.getBoundingClientRect().width / c.width)")
    assert shown and all(abs(ratio - 1) < 0.01 for ratio in shown)
    assert errors == []


def test_ground_tracks_and_the_orbit_around_a_pass(server: str, browser: object,
                                                   tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_function("document.querySelector('#legend').textContent.includes('TECU')",
                           timeout=30_000)
    tracks = page.locator(".leaflet-overlay-pane path.track")
    assert tracks.count() == 0
    page.check("#show-tracks")
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path.track')"
                           ".length > 0", timeout=30_000)
    # The satellite with passes (CSES) on the day of its TLE epoch, 2019-11-18.
    info = page.locator("#track-info").inner_text()
    assert info.startswith("ground tracks of 2019-11-18 (another period than the maps)")
    assert info.endswith("ZHANGZHENG-1 (CSES)")
    assert tracks.count() == 1  # one MultiLineString, split at the antimeridian
    page.check("#show-passes")
    page.wait_for_selector("path.pass")
    page.wait_for_function("document.querySelector('#track-info').textContent"
                           ".startsWith('ground tracks of 2019-11-18')")
    pass_marker = page.locator("path.pass").first
    assert pass_marker.get_attribute("stroke") == tracks.first.get_attribute("stroke")
    pass_marker.dispatch_event("click")
    page.wait_for_selector("path.pass-track", timeout=30_000)
    assert "around its pass over zone z1" in page.locator("#track-info").inner_text()
    assert pass_marker.get_attribute("stroke-width") == "3"  # the clicked pass is highlighted
    shot = page.screenshot(path=str(tmp_path / "dashboard-tracks.png"))
    assert not_blank(shot) > 0.05
    assert errors == []


def test_cid_page_animates_the_pierce_points_and_draws_the_travel_times(
        server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/cid.html")  # analyses the stored Noto export with its defaults
    page.wait_for_function("document.querySelector('#cid-status').textContent"
                           ".includes('receiver–satellite pairs')", timeout=90_000)
    assert page.locator("#cid-status").inner_text().startswith("21 of 49")
    assert "fake origin" in page.locator("#cid-null").inner_text()
    assert page.locator("#travel circle").count() > 20  # one dot per pick
    assert "km/s" in page.locator("#cid-fits").inner_text()
    before = page.locator("#minute-label").inner_text()
    page.eval_on_selector("#minute", "e => { e.value = String(Number(e.value) + 10); "
                                     "e.dispatchEvent(new Event('input')); }")
    assert page.locator("#minute-label").inner_text() != before  # the slider moves the points
    assert page.locator("path.leaflet-interactive").count() > 5
    shot = page.screenshot(path=str(tmp_path / "cid.png"))
    assert not_blank(shot) > 0.05
    assert errors == []


def test_api_docs_render_offline_from_the_package(server: str, browser: object) -> None:
    """/docs is Swagger UI from ``static/vendor/swagger-ui``: no request leaves 127.0.0.1."""
    from urllib.parse import urlsplit

    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    outside: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def local_only(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and \
                urlsplit(url).hostname != "127.0.0.1":
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", local_only)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = {page.locator(".opblock-summary-path").nth(i).get_attribute("data-path")
             for i in range(page.locator(".opblock-summary-path").count())}
    assert {"/api/events", "/api/tracks", "/api/ingest", "/api/run/daily"} <= paths
    assert "ionoquake" in page.locator(".info .title").inner_text()
    assert outside == [] and errors == []
    assert page.evaluate("document.querySelector('link[rel=stylesheet]').href").endswith(
        "/static/vendor/swagger-ui/swagger-ui.css")
