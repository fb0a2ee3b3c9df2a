"""The event page's travel-time diagram in a real headless Chromium (tests/service/live.py).

An archive like the demo's for its receiver-level step: the Madrigal export of the
2024-01-01 Noto earthquake as receiver TEC, the event in the catalogue ``cid-events``, and
the ComCat M7 catalogue (El Salvador 2001 has no receiver TEC and no stored maps here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ionoquake.pipeline.demo import CID_CATALOG, cid_catalog
from ionoquake.pipeline.sync import sync_database
from ionoquake.store import database
from ionoquake.store.catalogs import ingest_catalog, ingest_files
from ionoquake.store.ingest import ingest_path
from tests.service.live import not_blank, serve

NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"


@pytest.fixture(scope="module")
def server(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("event-cid")
    ingest_path(root, shared_data / NOTO)
    ingest_catalog(root, cid_catalog(), [], name=CID_CATALOG)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    sync_database(root, database.connect(database.database_url(root)))
    with serve(root) as url:
        yield url


def test_event_page_draws_the_travel_times_and_links_the_cid_page(
        server: str, browser: object, tmp_path: Path) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(server + "/api/events/us6000m0xl/cid") as r:
        api = json.load(r)
    drawable = [p for p in api["picks"]
                if p["peak_min"] is not None and p["distance_km"] is not None
                and p["distance_km"] <= 1500]
    page = browser.new_page(viewport={"width": 1100, "height": 1000})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/event.html?id=us6000m0xl")
    page.wait_for_function("document.body.dataset.cid === 'drawn'", timeout=90_000)
    assert page.locator("#cid").is_visible()
    summary = page.locator("#cid-summary").inner_text()
    assert "21 of 49 receiver–satellite pairs over SNR 3" in summary  # docs/gnss.md
    assert "largest 0.90 TECU" in summary
    # one dot per pick within 1500 km, the 21 detected ones red, as the API gives them
    assert page.locator("#travel circle").count() == len(drawable)
    assert page.locator("#travel circle[fill='#d62728']").count() == \
        sum(p["detected"] for p in drawable)
    # the two fits as solid lines, the acoustic and Rayleigh bounds dashed
    assert page.locator("#travel line[stroke='#000']").count() == 2
    assert page.locator("#travel line[stroke-dasharray]").count() == 4
    fits = page.locator("#cid-fits").inner_text()
    fit = api["summary"]["travel_time_fits"]["SNR >= 5 within 500 km, peak time"]
    assert (f"(2) SNR >= 5 within 500 km, peak time: {fit['velocity_km_s']:.2f} ± "
            f"{fit['velocity_error_km_s']:.2f} km/s (95 % {fit['velocity_ci95_km_s'][0]:.2f}–"
            f"{fit['velocity_ci95_km_s'][1]:.2f}), 6 picks") in fits
    assert "one point source does not fit" in fits  # the all-picks fit's warning
    assert "at 4 fake origin times 9–12 pairs" in page.locator("#cid-null").inner_text()
    assert page.locator("#map-panels").is_hidden()  # no stored maps of 2023-12 .. 2024-01
    shot = page.screenshot(path=str(tmp_path / "event-cid.png"), full_page=True)
    assert not_blank(shot) > 0.05
    # the link opens the CID page on the same analysis
    page.locator("#cid-link").click()
    page.wait_for_url("**/cid.html?network=madrigal&time=2024-01-01T07*")
    page.wait_for_function("document.querySelector('#cid-status').textContent"
                           ".includes('receiver–satellite pairs')", timeout=90_000)
    assert page.locator("#cid-status").inner_text().startswith("21 of 49")
    assert page.locator("input[name=time]").input_value() == "2024-01-01T07:10:09.000Z"
    assert page.locator("input[name=depth_km]").input_value() == "10.0"
    assert page.locator("#travel circle").count() == len(drawable)  # the same drawing
    assert errors == []


def test_event_page_without_receiver_tec_shows_no_cid_section(
        server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/event.html?id=usp000a7m5")  # El Salvador 2001-01-13
    page.wait_for_function("document.body.dataset.cid === 'none'", timeout=30_000)
    page.wait_for_function("document.querySelector('#chart-note').textContent.length > 0")
    assert page.locator("#cid").is_hidden()
    assert "No stored maps cover" in page.locator("#chart-note").inner_text()
    assert errors == []
