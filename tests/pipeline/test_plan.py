"""The plan job: the demo's day for CSES and Swarm, its files, the CLI command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ionoquake.orbits.oem import read_oem
from ionoquake.pipeline.plan import PlanResult, demo_plan


@pytest.fixture(scope="module")
def demo(bundled_data: Path, tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    alarms = pd.DataFrame({"issued": [pd.Timestamp("2001-01-10")],
                           "start": [pd.Timestamp("2001-01-10")],
                           "end": [pd.Timestamp("2001-01-20")], "lat": [13.0], "lon": [-88.7],
                           "radius_km": [1000.0], "score": [3.0]})
    return demo_plan(bundled_data, tmp_path_factory.mktemp("plan"), alarms, figure=True)


def test_the_demo_plans_a_day_of_cses_and_swarm_and_writes_every_file(demo: PlanResult) -> None:
    assert set(demo.written) == {"contacts", "segments", "orbits", "downlinks", "memory",
                                 "tasking", "oem", "czml", "png", "json"}
    assert all(p.stat().st_size > 0 for p in demo.written.values())
    summary = json.loads(demo.written["json"].read_text())
    assert {s["satellite"] for s in summary["satellites"]} == {
        "ZHANGZHENG-1 (CSES)", "SWARM A", "SWARM B", "SWARM C"}
    assert "moved to the plan day" in summary["note"]
    for s in summary["satellites"]:  # recorded = downlinked + lost + what is left aboard
        np.testing.assert_allclose(s["recorded_mbit"],
                                   s["downlink_mbit"] + s["lost_mbit"] + s["memory_end_mbit"],
                                   rtol=1e-9)
    assert set(demo.plan.segments["zone"]) == {"survey", "belt", "alarm"}
    assert summary["first_passes"][0]["alarm_id"] == "alarm-0"


def test_the_oem_reads_back_with_one_segment_per_satellite(demo: PlanResult) -> None:
    segments = read_oem(demo.written["oem"])
    assert len(segments) == 4
    for seg in segments:
        assert seg.ref_frame == "TEME"
        assert seg.times[0] == np.datetime64("2019-11-18T00:00")
        assert seg.times.size == 24 * 60 + 1
        radius = np.linalg.norm(seg.r_km, axis=1)
        assert ((radius > 6700) & (radius < 7000)).all()  # 330-620 km above the equator


def test_the_czml_is_json_with_the_expected_packets(demo: PlanResult) -> None:
    packets = json.loads(demo.written["czml"].read_text())
    ids = [p["id"] for p in packets]
    assert ids[0] == "document" and packets[0]["version"] == "1.0"
    assert {"sat-43194", "sat-39451", "sat-39452", "sat-39453"} <= set(ids)
    assert {"station-Miyun", "station-Kiruna", "alarm-0"} <= set(ids)
    assert sum(i.startswith("contact-") for i in ids) == demo.summary["n_contacts"]
    sat = packets[ids.index("sat-43194")]
    assert sat["position"]["referenceFrame"] == "FIXED"
    samples = np.asarray(sat["position"]["cartesian"]).reshape(-1, 4)
    assert samples[0, 0] == 0 and samples[-1, 0] == 86400
    assert (np.linalg.norm(samples[:, 1:], axis=1) > 6.7e6).all()


def test_the_plan_command_writes_its_files_and_reports_bad_alarms_in_one_line(
        bundled_data: Path, tmp_path: Path) -> None:
    import ionoquake.cli.plan  # noqa: F401  (registers the command)
    from ionoquake.cli import app

    runner = CliRunner()
    tle = str(bundled_data / "tle" / "celestrak_science_20191118.tle")
    alarms = tmp_path / "alarms.csv"
    alarms.write_text("issued,start,end,lat,lon,radius_km,score\n"
                      "2019-11-18,2019-11-18,2019-11-19,35.7,139.7,500,1\n")
    result = runner.invoke(app, ["plan", tle, "--start", "2019-11-18", "--norad", "43194",
                                 "--alarms", str(alarms), "--memory-mbit", "2000",
                                 "--no-figure", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "contacts" in result.output and "would overflow; trimmed" in result.output
    assert (tmp_path / "out" / "contacts.csv").exists()
    alarms.write_text("issued,start,end,lat,lon,radius_km,score\n"
                      "2019-11-18,2019-11-18,2019-11-19,95,139.7,500,1\n")
    result = runner.invoke(app, ["plan", tle, "--start", "2019-11-18", "--norad", "43194",
                                 "--alarms", str(alarms), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "alarms.csv" in result.output and len(result.output.strip().splitlines()) == 1


def test_the_plan_endpoints_answer_from_the_stored_tles(bundled_data: Path,
                                                        tmp_path: Path) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ionoquake.service import plan_routes
    from ionoquake.service.tracks import StoredTles
    from ionoquake.store.tles import ingest_tle_files

    ingest_tle_files(tmp_path, [bundled_data / "tle" / "celestrak_science_20191118.tle"])
    app = FastAPI()
    app.state.tles = StoredTles(tmp_path)
    app.include_router(plan_routes.router)
    client = TestClient(app)
    assert {s["name"] for s in client.get("/api/plan/stations").json()} >= {"Kiruna", "Miyun"}
    span = {"norad_id": [43194, 39452], "start": "2019-11-18T00:00:00Z",
            "end": "2019-11-18T06:00:00Z"}
    got = client.get("/api/plan/contacts", params=span)
    assert got.status_code == 200
    rows = got.json()["contacts"]
    assert rows and rows[0]["aos"].endswith("Z") and {"station", "track_s"} <= set(rows[0])
    got = client.get("/api/plan/timeline",
                     params={**span, "lat": 35.7, "lon": 139.7, "radius_km": 1000})
    assert got.status_code == 200 and got.json()["burst"]
    got = client.get("/api/plan/tasking", params={"norad_id": [43194], "lat": 35.7,
                                                   "lon": 139.7, "radius_km": 1000,
                                                   "issued": "2019-11-18T00:00:00Z"})
    assert got.status_code == 200 and len(got.json()["passes"]) == 3
    bad = client.get("/api/plan/contacts", params={**span, "end": "2019-11-25T00:00:00Z"})
    assert bad.status_code == 400 and "at most 2 days" in bad.json()["detail"]
    assert client.get("/api/plan/contacts", params={**span, "norad_id": [1]}).status_code == 404


def test_the_report_section_shows_each_satellite_and_the_trims(demo: PlanResult) -> None:
    from ionoquake.report.plan_figures import plan_html_section

    html = plan_html_section(demo.summary, "plan/plan.png")
    assert html.startswith('<section id="plan">') and html.endswith("</section>")
    for s in demo.summary["satellites"]:
        assert s["satellite"].replace("(", "").split()[0] in html
    assert 'src="plan/plan.png"' in html
    assert ("would overflow; trimmed" in html) == any(
        "trimmed" in m for m in demo.summary["messages"])
