"""The receiver-level jobs as a user runs them: ``ionoquake tec`` and ``ionoquake cid``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from ionoquake.cli import app
from tests.store.test_cf_compliance import _offline, high_priority_failures  # noqa: F401

runner = CliRunner()
NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"


def test_tec_of_two_geonet_receivers_into_a_file_and_the_archive(shared_data: Path,
                                                                tmp_path: Path) -> None:
    rtk = shared_data / "rinex/rtklib"
    result = runner.invoke(app, [
        "tec", str(rtk / "07590920.05o"), str(rtk / "30400920.05o"),
        "--orbits", str(rtk / "07590920.05n"), "--out", str(tmp_path / "out"),
        "--ingest", "--network", "geonet", "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert "2 receiver(s)" in result.output and "stored" in result.output
    with xr.open_dataset(tmp_path / "out" / "tec.nc") as tec:
        assert sorted(tec["receiver"].values) == ["0759", "3040"]
        assert tec.attrs["shell_height_km"] == 350.0
        stec = tec["stec"].values
        assert np.isfinite(stec).sum() > 1000
        # elevations respect the mask wherever a slant TEC is given
        assert np.nanmin(np.where(np.isfinite(stec), tec["elevation"].values, np.nan)) >= 20.0
    assert list((tmp_path / "store").rglob("*.nc")) or list((tmp_path / "store").rglob("*.zarr"))
    assert high_priority_failures(tmp_path / "out" / "tec.nc") == []  # CF-1.8


def test_tec_on_dask_workers_writes_the_same_file(shared_data: Path, tmp_path: Path) -> None:
    rtk = shared_data / "rinex/rtklib"
    args = ["tec", str(rtk / "07590920.05o"), str(rtk / "30400920.05o"),
            "--orbits", str(rtk / "07590920.05n")]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    spread = runner.invoke(app, [*args, "--out", str(tmp_path / "spread"), "--workers", "2"])
    assert local.exit_code == 0 and spread.exit_code == 0, spread.output
    assert "Dask scheduler" in spread.output and "2 workers" in spread.output
    with xr.open_dataset(tmp_path / "local/tec.nc") as a, \
            xr.open_dataset(tmp_path / "spread/tec.nc") as b:
        xr.testing.assert_identical(a.load(), b.load())


def test_cid_on_the_noto_export(shared_data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "cid", str(shared_data / NOTO), "--time", "2024-01-01T07:10:09Z", "--lat", "37.498",
        "--lon", "137.242", "--mag", "7.5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # docs/gnss.md: 21 pairs over SNR 3, up to 0.90 TECU; 9-12 pairs at the fake origins
    assert "21 of 49 receiver-satellite pairs over SNR 3" in result.output
    summary = json.loads((tmp_path / "cid.json").read_text(),
                         parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert summary["detected"] == 21
    assert 0.8 < summary["largest_amplitude_tecu"] < 1.0
    null = summary["null_at_fake_origins"]
    assert max(null["n_over"]) < summary["detected"]
    assert max(null["max_amplitude_tecu"]) < summary["largest_amplitude_tecu"]
    fit = summary["travel_time_fits"]["SNR >= 5 within 500 km, peak time"]
    assert 0.3 < fit["velocity_km_s"] < 1.3
    for name in ("cid_picks.csv", "cid_wiggles.png", "cid_travel_time.png", "cid_ipp_map.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_cid_outside_the_data_and_rinex_without_orbits_are_one_line_errors(
        shared_data: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ionoquake.cli", *args],
                              capture_output=True, text=True, timeout=300)

    late = run("cid", str(shared_data / NOTO), "--time", "2024-01-02T07:10:09", "--lat", "37.5",
               "--lon", "137.2", "--mag", "7.5", "--out", str(tmp_path))
    assert late.returncode == 2 and len(late.stderr.strip().splitlines()) == 1
    assert "is outside the data (2024-01-01T07:00:00.000Z" in late.stderr
    rinex = run("cid", str(shared_data / "rinex/rtklib/07590920.05o"), "--time",
                "2005-04-02T00:30:00", "--lat", "35", "--lon", "139", "--mag", "6",
                "--out", str(tmp_path))
    assert rinex.returncode == 2 and "need `ionoquake tec` with their orbits first" in rinex.stderr


@pytest.mark.parametrize("cluster", [[], ["--workers", "1"]], ids=["in-process", "dask"])
def test_tec_warnings_are_one_readable_line_each(shared_data: Path, tmp_path: Path,
                                                 cluster: list[str]) -> None:
    georust = shared_data / "rinex/georust"
    result = subprocess.run([sys.executable, "-m", "ionoquake.cli", "tec",
                             str(georust / "OBS_V2_delf0010.21o"), "--orbits",
                             str(georust / "NAV_V2_cbw10010.21n.gz"), "--out", str(tmp_path),
                             *cluster], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # given on the worker, said again by the client, as the in-process run says them
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("warning: OBS_V2_delf0010.21o: ") for line in lines)
    assert any("no ephemeris for GPS (11:" in line for line in lines)
    assert "105 slant TEC values" in result.stdout  # docs/gnss.md: one satellite has an arc


def test_cid_origin_time_with_an_offset_is_the_same_instant(shared_data: Path,
                                                            tmp_path: Path) -> None:
    # 16:10:09 in Japan (+09:00) is 07:10:09 UTC
    result = runner.invoke(app, [
        "cid", str(shared_data / NOTO), "--time", "2024-01-01T16:10:09+09:00", "--lat", "37.498",
        "--lon", "137.242", "--mag", "7.5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "21 of 49 receiver-satellite pairs over SNR 3" in result.output
    bad = runner.invoke(app, ["cid", str(shared_data / NOTO), "--time", "yesterday", "--lat", "1",
                              "--lon", "1", "--mag", "7"])
    assert bad.exit_code == 2


def test_a_broken_receiver_on_the_workers_is_one_line_and_nothing_written(
        shared_data: Path, tmp_path: Path) -> None:
    rtk = shared_data / "rinex/rtklib"
    lines = (rtk / "30400920.05o").read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.05o"
    cut.write_text("".join(lines[:60]))  # the file ends inside an epoch
    result = subprocess.run([sys.executable, "-m", "ionoquake.cli", "tec",
                             str(rtk / "07590920.05o"), str(cut), "--orbits",
                             str(rtk / "07590920.05n"), "--workers", "1", "--ingest",
                             "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "cut.05o line 60: file ends inside the epoch" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "tec.nc").exists()
    assert not list((tmp_path / "store").rglob("*.nc"))
