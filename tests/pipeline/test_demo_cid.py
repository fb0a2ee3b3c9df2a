"""The demo's receiver-level step: the Noto CID on the bundled Madrigal export, into the
archive (receiver TEC and the event) and into the report's section, whose numbers are those
of the step's JSON."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ionoquake.pipeline.demo import CID_CATALOG, NOTO_EXPORT, demo_cid
from ionoquake.report.demo_report import MADRIGAL_ACKNOWLEDGEMENT, cid_html_section
from ionoquake.store import database, schema
from ionoquake.store.catalogs import read_catalog


@pytest.fixture(scope="module")
def run(bundled_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo")
    store = out / "store"
    engine = database.connect(database.database_url(store))
    cid = demo_cid(bundled_data, store, out / "cid", engine)
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*")
              if p.is_file() and p.suffix != ".sqlite"}
    again = demo_cid(bundled_data, store, out / "cid", engine)
    after = {p: p.stat().st_mtime_ns for p in store.rglob("*")
             if p.is_file() and p.suffix != ".sqlite"}
    return {"out": out, "store": store, "engine": engine, "cid": cid, "again": again,
            "unchanged": before == after}


def _text(section: str) -> str:
    """The section's text: tags dropped, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", section)))


def test_the_bundled_export_is_the_shared_file_byte_for_byte(bundled_data: Path,
                                                             shared_data: Path) -> None:
    # data/README.md: copied unchanged from ../shared/data/tec_los_madrigal (SOURCES.md §2)
    name = Path(NOTO_EXPORT).name
    assert (bundled_data / NOTO_EXPORT).read_bytes() == \
        (shared_data / "tec_los_madrigal" / name).read_bytes()


def test_the_step_stores_the_day_and_the_event_and_is_idempotent(run: dict[str, Any]) -> None:
    assert run["cid"]["ingested"] == "added" and run["again"]["ingested"] == "unchanged"
    assert run["unchanged"]  # the archive is not written again
    assert (run["store"] / "gnss_tec" / "madrigal" / "2024" / "2024-01-01.nc").is_file()
    events = read_catalog(run["store"], CID_CATALOG)
    assert list(events["event_id"]) == ["us6000m0xl"]
    row = database.read(run["engine"], schema.events,
                        where=[schema.events.c.event_id == "us6000m0xl"])
    assert len(row) == 1 and row["magnitude"].iloc[0] == 7.5
    # the evaluation's catalogue is not touched
    assert not (run["store"] / "tables" / "catalog" / "events.parquet").exists()


def test_the_step_finds_the_noto_cid_and_its_null(run: dict[str, Any]) -> None:
    cid = run["cid"]
    s = json.loads(Path(cid["json"]).read_text())
    assert s == cid["summary"]
    # docs/gnss.md: 21 of 49 pairs over SNR 3, largest 0.90 TECU (aira G18); the fake
    # origins 08:10-08:25 give 9-12 pairs, largest 0.25 TECU
    assert (s["detected"], s["pairs"]) == (21, 49)
    assert round(s["largest_amplitude_tecu"], 2) == 0.90
    null = s["null_at_fake_origins"]
    assert null["n_over"] == [11, 11, 12, 9]
    assert set(cid["figures"]) == {"wiggles", "travel_time", "ipp_map", "null"}
    for path in cid["figures"].values():
        assert path.is_file() and path.stat().st_size > 10_000
    # the export starts 10 min before the origin: the reference-curve test refuses
    assert cid["precursor"].startswith("not testable on this export")
    assert "at least 19 are needed" in cid["precursor"]


def test_the_report_section_says_what_the_json_says(run: dict[str, Any]) -> None:
    cid, out = run["cid"], run["out"]
    section = cid_html_section(cid, out)
    text = _text(section)
    s = cid["summary"]
    assert (f"Detected: {s['detected']} of {s['pairs']} receiver–satellite pairs over SNR "
            f"{s['snr_threshold']:g}; the first onset {s['first_onset_min']:.1f} min after the "
            f"origin, the largest amplitude {s['largest_amplitude_tecu']:.2f} TECU") in text
    # one table row per detected pick, with its numbers from the picks CSV
    picks = pd.read_csv(cid["picks_csv"])
    detected = picks[picks["detected"]]
    for r in detected.itertuples():
        assert (f"{r.receiver} {r.satellite} {r.distance_km:.0f} {r.onset_min:.1f} "
                f"{r.peak_min:.1f} {r.amplitude_tecu:.2f} {r.snr:.1f}") in text
    assert section.count("</td></tr>") >= len(detected) + len(s["travel_time_fits"])
    # each fit: speed ± error, its 95 % interval, t0, residual RMS and its warnings
    for label, f in s["travel_time_fits"].items():
        lo, hi = f["velocity_ci95_km_s"]
        assert (f"{label} {f['n_picks']} {f['velocity_km_s']:.2f} ± "
                f"{f['velocity_error_km_s']:.2f} km/s {lo:.2f}–{hi:.2f} {f['t0_min']:.1f} "
                f"{f['residual_rms_s']:.0f} {'; '.join(f['warnings']) or 'none'}") in text
    null = s["null_at_fake_origins"]
    assert (f"puts {min(null['n_over'])}–{max(null['n_over'])} pairs over SNR "
            f"{null['snr_threshold']:g} (observed: {null['observed_n_over']})") in text
    assert (f"largest amplitudes {min(null['max_amplitude_tecu']):.2f}–"
            f"{max(null['max_amplitude_tecu']):.2f} TECU (observed: "
            f"{null['observed_max_amplitude_tecu']:.2f} TECU)") in text
    assert ("Line-of-sight TEC of 5 receivers (aira, mtka, smst, tskb, usud; systems G, R), "
            "2024-01-01 07:00:00 … 08:59:30 UTC") in text  # data/README.md
    assert "The disturbance is there" in text  # 21 > 12 pairs and 0.90 > 0.25 TECU
    assert cid["precursor"] in text
    assert _text(MADRIGAL_ACKNOWLEDGEMENT) in text and "AGS-1952737" in text
    # the four figures, by relative paths that exist
    sources = re.findall(r'<img src="([^"]+)"', section)
    assert len(sources) == 4
    for src in sources:
        assert (out / src).is_file()


def test_cid_command_finds_the_event_in_the_demo_catalogue(run: dict[str, Any],
                                                           bundled_data: Path) -> None:
    # `ionoquake cid --event ID` looks in every stored catalogue, `events` first: the Noto
    # event is in the demo's `cid-events` only; the numbers are those of the demo step.
    from typer.testing import CliRunner

    from ionoquake.cli import app

    out = run["out"] / "cid-command"
    result = CliRunner().invoke(app, ["cid", str(bundled_data / NOTO_EXPORT), "--event",
                                      "us6000m0xl", "--store", str(run["store"]),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "21 of 49 receiver-satellite pairs over SNR 3" in result.output
    missing = CliRunner().invoke(app, ["cid", str(bundled_data / NOTO_EXPORT), "--event",
                                       "us0000none", "--store", str(run["store"])])
    assert missing.exit_code == 2
    assert "no event 'us0000none' in the archive's catalogues (cid-events)" in missing.output
