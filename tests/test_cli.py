"""The ``ionoquake`` command as a user runs it: help, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ionoquake.cli import app
from tests.conftest import LocalArchive
from tests.sources.test_ionex_fetch import _record_code_days

runner = CliRunner()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ionoquake.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "info", "fetch", "demo"):
        assert command in result.output


def test_ingest_then_info(shared_data: Path, tmp_path: Path) -> None:
    files = sorted((shared_data / "ionex/code_esa_2020008-010").glob("*.gz"))
    result = runner.invoke(app, ["ingest", "--store", str(tmp_path), *map(str, files)])
    assert result.exit_code == 0, result.output
    assert "5 files: 5 added, 0 replaced, 0 unchanged" in result.output
    again = runner.invoke(app, ["ingest", "--store", str(tmp_path), *map(str, files)])
    assert "0 added, 0 replaced, 5 unchanged" in again.output
    info = runner.invoke(app, ["info", "--store", str(tmp_path)])
    assert "codg" in info.output and "esag" in info.output
    assert "3 days 2020-01-08 .. 2020-01-10" in info.output
    one = runner.invoke(app, ["info", str(files[0])])
    assert "maps      25  2020-01-08T00:00 .. 2020-01-09T00:00 UTC, every 60 min" in one.output


def test_bad_file_is_one_line_and_exit_2(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "codg0080.20i"
    bad.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    result = _run("ingest", "--store", str(tmp_path / "store"), str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: ") and "codg0080.20i" in lines[0]
    assert not (tmp_path / "store" / "maps").exists() or not list(
        (tmp_path / "store" / "maps").rglob("*.zarr"))


def test_ingest_keeps_going_past_a_bad_file_and_says_what_it_kept(bundled_data: Path,
                                                                  tmp_path: Path) -> None:
    good = sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("*.gz"))[:2]
    truncated = tmp_path / "jplg0030.01i.gz"
    data = (bundled_data / "ionex/jpl_2000326-2001014/jplg0030.01i.gz").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    store = tmp_path / "store"
    result = _run("ingest", "--store", str(store), str(good[0]), str(truncated), str(good[1]))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {truncated}: corrupt or truncated gzip data (Compressed file ended before the "
        "end-of-stream marker was reached)"]
    assert result.stdout.splitlines() == [
        f"added     {good[0]}: maps jplg 2001-01-01: 12 maps",
        f"added     {good[1]}: maps jplg 2001-01-02: 12 maps",
        f"3 files: 2 added, 0 replaced, 0 unchanged, 1 refused -> {store}"]
    from ionoquake.store import maps

    assert [str(d) for d in maps.stored_days(store, "jplg")] == ["2001-01-01", "2001-01-02"]


def test_ingest_refuses_a_product_name_outside_the_store(shared_data: Path,
                                                          tmp_path: Path) -> None:
    store = tmp_path / "a" / "b" / "store"
    for option in ("--product", "--catalog"):
        result = _run("ingest", "--store", str(store), option, "../../x",
                      str(shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz"))
        assert result.returncode == 2
        what = "product" if option == "--product" else "table name"
        assert result.stderr.strip() == (f"error: invalid {what} '../../x': use 1 to 64 ASCII "
                                         "letters, digits, '_' or '-', not starting with '-'")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_missing_file_and_bad_date_are_one_line_errors(tmp_path: Path) -> None:
    result = _run("ingest", "--store", str(tmp_path), str(tmp_path / "nope.20i"))
    assert result.returncode == 2 and "nope.20i: no such file" in result.stderr
    result = _run("fetch", "gim", "--start", "2020-13-01", "--store", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --start '2020-13-01' is not a date YYYY-MM-DD"


def test_fetch_gim_from_a_local_mirror_and_ingest(shared_data: Path, tmp_path: Path,
                                                 local_archive: LocalArchive) -> None:
    _record_code_days(shared_data, local_archive)
    result = runner.invoke(app, ["fetch", "gim", "--start", "2020-01-08", "--end", "2020-01-10",
                                 "--base-url", local_archive.url + "/CODE/",
                                 "--store", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 files (2 downloaded); not on the server: 2020-01-10" in result.output
    info = runner.invoke(app, ["info", "--store", str(tmp_path)])
    assert "codg" in info.output and "2 days" in info.output


def test_demo_runs_offline_and_is_idempotent(tmp_path: Path) -> None:
    # 19 shuffled ionospheres instead of 99 keep the two runs short; the null is the same code.
    first = _run("demo", "--output", str(tmp_path), "--shuffled-ionospheres", "19")
    assert first.returncode == 0, first.stderr
    # 55 IONEX files + the catalogue + the index file.
    assert "57 files written, 0 already there" in first.stdout
    assert "passes over 35 zones" in first.stdout
    assert "38 alarms, 15 targets" in first.stdout
    report = (tmp_path / "report.html").read_text()
    assert "What this shows:" in report and "offshore El Salvador" in report
    assert (tmp_path / "evaluate" / "evaluation.html").exists()
    # the receiver-level step: the Noto CID (docs/gnss.md), its report section and figures
    assert "21 of 49 receiver-satellite pairs over SNR 3" in first.stdout
    assert '<section id="cid">' in report and "AGS-1952737" in report  # Madrigal's credit
    for name in ("wiggles", "travel_time", "ipp_map", "null"):
        assert f'src="cid/noto_{name}.png"' in report
        assert (tmp_path / "cid" / f"noto_{name}.png").is_file()
    store = tmp_path / "store"
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*")
              if p.is_file() and p.suffix != ".sqlite"}
    assert store / "tables" / "ledger" / "evaluations.parquet" in before  # the run is counted
    database = (store / "ionoquake.sqlite").read_bytes()
    second = _run("demo", "--output", str(tmp_path), "--shuffled-ionospheres", "19")
    assert second.returncode == 0, second.stderr
    assert "0 files written, 57 already there" in second.stdout
    after = {p: p.stat().st_mtime_ns for p in store.rglob("*")
             if p.is_file() and p.suffix != ".sqlite"}
    assert after == before  # archive and issued forecasts untouched
    assert (store / "ionoquake.sqlite").read_bytes() == database  # no row, no change counter
    assert (tmp_path / "report.html").read_text() == report


def test_ingest_recognises_index_files(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / "indices/gfz_Kp_ap_Ap_SN_F107_nowcast_20250107-20250205.txt",
             shared_data / "indices/omniweb_hourly_indices_2011.csv",
             shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz"]
    result = runner.invoke(app, ["ingest", "--store", str(tmp_path), *map(str, files)])
    assert result.exit_code == 0, result.output
    assert "3 files: 3 added" in result.output
    again = runner.invoke(app, ["ingest", "--store", str(tmp_path), *map(str, files)])
    assert "0 added, 0 replaced, 3 unchanged" in again.output
    from ionoquake.store.indices import read_indices

    kp = read_indices(tmp_path, "2011-03-11", "2011-03-12")["kp"]
    assert len(kp) == 24 and kp.notna().all()


def test_unknown_file_kind_is_named(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    result = _run("ingest", "--store", str(tmp_path / "s"), str(other))
    assert result.returncode == 2
    assert "notes.txt: not a file ionoquake can ingest" in result.stderr


def test_detect_reads_cdf_map_files(shared_data: Path, tmp_path: Path) -> None:
    from ionoquake.sources import gim_cdf

    # SOURCES.md: UPC UQRG maps of 2023-03-03 every 15 min (96), CDAWeb GPS_TEC15MIN_IGS CDF.
    cdf = shared_data / "ionex/other_formats/gps_tec15min_igs_20230303_v01.cdf"
    # one day of maps can give no background: an error that says so, no empty outputs
    det = _run("detect", str(cdf), "--store", str(tmp_path / "store"), "--window-days", "3",
               "--out", str(tmp_path / "det"))
    assert det.returncode == 2
    assert "no epoch of 2023-03-03 .. 2023-03-03 has a background" in det.stderr
    assert not (tmp_path / "det" / "anomalies.nc").exists()
    # the CDF maps read through the registry, as IONEX does
    maps = gim_cdf.read(cdf)
    assert maps.sizes["time"] == 96 and float(maps["tec"].max()) > 0


def test_fetch_catalog_from_a_local_fdsn_service(shared_data: Path, tmp_path: Path) -> None:
    from tests.sources.test_fdsn import M7, RecordedService

    service = RecordedService(shared_data / M7)
    try:
        result = runner.invoke(app, ["fetch", "catalog", "--start", "2000-11-21", "--end",
                                     "2001-01-14", "--min-magnitude", "7", "--url", service.url,
                                     "--store", str(tmp_path)])
    finally:
        service.server.shutdown()
        service.server.server_close()
    assert result.exit_code == 0, result.output
    # usgs_comcat_M7_2000-2018.csv: Turkmenistan 2000-12-06 M7.0, Mindanao 2001-01-01 M7.5,
    # Vanuatu 2001-01-09 M7.1, Kodiak Island 2001-01-10 M7.0, El Salvador 2001-01-13 M7.7.
    assert "5 events in 2 windows; 5 new, 5 in catalogue 'events'" in result.output
    from ionoquake.store.catalogs import read_catalog

    assert "usp000a7m5" in set(read_catalog(tmp_path)["event_id"])


def test_ingest_recognises_catalogues(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv",
             shared_data / "catalogs/quakeml/usgs_event.xml"]
    result = runner.invoke(app, ["ingest", "--store", str(tmp_path), *map(str, files)])
    assert result.exit_code == 0, result.output
    assert "2 files: 2 added" in result.output
    from ionoquake.store.catalogs import read_catalog

    assert len(read_catalog(tmp_path)) == 296 + 2  # usgs_event.xml holds 2 events


def test_detect_and_event_commands(bundled_data: Path, tmp_path: Path) -> None:
    files = sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("jplg0*.01i.gz"))  # 2001
    files += [bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv",
              bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"]
    store = tmp_path / "store"
    assert runner.invoke(app, ["ingest", "--store", str(store), *map(str, files)]).exit_code == 0
    det = runner.invoke(app, ["detect", "--store", str(store), "--window-days", "10",
                              "--out", str(tmp_path / "det")])
    assert det.exit_code == 0, det.output
    # 14 days x 12 maps; the first 10 days have no background.
    assert det.output.startswith("168 epochs (48 with a background)")
    assert (tmp_path / "det" / "anomalies.nc").stat().st_size > 0
    ev = runner.invoke(app, ["event", "usp000a7m5", "--store", str(store), "--window-days", "10",
                             "--out", str(tmp_path / "ev")])
    assert ev.exit_code == 0, ev.output
    assert "offshore El Salvador M7.7" in ev.output
    assert (tmp_path / "ev" / "event_usp000a7m5_days.csv").exists()
    # --start inside the archive: the stored days before it are the background ...
    later = _run("detect", "--store", str(store), "--window-days", "10", "--start", "2001-01-12",
                 "--out", str(tmp_path / "det2"))
    assert later.returncode == 0, later.stderr
    assert later.stdout.startswith("36 epochs (36 with a background)")
    assert "background from the 132 stored maps before --start 2001-01-12" in later.stderr
    # ... and a span that no stored day can give a background is an error, not 0 epochs
    early = _run("detect", "--store", str(store), "--window-days", "10", "--start", "2001-01-02",
                 "--end", "2001-01-05", "--out", str(tmp_path / "det3"))
    assert early.returncode == 2
    assert "no epoch of 2001-01-02 .. 2001-01-05 has a background" in early.stderr
    missing = _run("event", "nope", "--store", str(store))
    assert missing.returncode == 2 and "no event 'nope'" in missing.stderr
    bad = _run("detect", "--store", str(store), "--form", "median")
    assert bad.returncode == 2 and "--form 'median': use quartile, iqr or sigma" in bad.stderr
    # the clusters' alarms against time-shuffled ionospheres: the same maps and settings ...
    evaluate = ["evaluate", "--clusters", str(tmp_path / "det" / "anomalies_clusters.csv"),
                "--start", "2001-01-11", "--end", "2001-01-15", "--store", str(store),
                "--learning-days", "90", "--no-sensitivity", "--shuffled-ionospheres", "3"]
    ok = runner.invoke(app, [*evaluate, "--window-days", "10", "--out", str(tmp_path / "e1")])
    assert ok.exit_code == 0, ok.output
    assert "against 3 time-shuffled ionospheres: p = " in ok.output
    # ... or a clear refusal
    other = _run(*evaluate, "--window-days", "8", "--out", str(tmp_path / "e2"))
    assert other.returncode == 2
    assert "the clusters were not detected on these maps with this background" in other.stderr


def test_passes_command(bundled_data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "passes", str(bundled_data / "tle/celestrak_science_20191118.tle"),
        "--start", "2019-11-18", "--end", "2019-11-18", "--norad", "43194",
        "--lat", "13.0", "--lon", "-88.7", "--radius-km", "1000", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # CSES is sun-synchronous at ~507 km: a 1000-km zone at 13N sees it on 1-3 passes a day.
    n = int(result.output.split()[0])
    assert 1 <= n <= 3
    assert {p.name for p in tmp_path.iterdir()} == {"passes.csv", "passes.geojson", "passes.png"}
    none = _run("passes", str(bundled_data / "tle/celestrak_science_20191118.tle"),
                "--start", "2019-11-18", "--norad", "43194")
    assert none.returncode == 2 and "give zones" in none.stderr
    unknown = _run("passes", str(bundled_data / "tle/celestrak_science_20191118.tle"),
                   "--start", "2019-11-18", "--norad", "1", "--lat", "13", "--lon", "-88.7",
                   "--radius-km", "1000", "--out", str(tmp_path / "x"))
    assert unknown.returncode == 2
    assert "--norad [1]: no TLE of these in the 1 file(s) given" in unknown.stderr


def test_track_command_on_the_real_cses_file(shared_data: Path, tmp_path: Path) -> None:
    path = next((shared_data / "insitu/cses").glob("*.h5"))
    result = runner.invoke(app, ["track", str(path), "--variable", "b_total",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # a quiet half-orbit once IGRF is subtracted (see tests/detect/test_main_field.py)
    assert "0 anomalies in b_total (IGRF-14 main field subtracted)" in result.output
    import xarray as xr

    stem = tmp_path / f"{path.name.split('.')[0]}_b_total"
    with xr.open_dataset(stem.with_suffix(".nc")) as nc:  # the NetCDF --help promises
        assert nc.attrs["Conventions"] == "CF-1.8" and "IGRF-14" in nc.attrs["main_field"]
        assert nc["residual"].attrs["units"] == "nT" and int(nc["flag"].sum()) == 0
    assert stem.with_name(stem.name + "_anomalies.csv").exists()
    bad = _run("track", str(path), "--variable", "ne")
    assert bad.returncode == 2 and "no variable 'ne'" in bad.stderr
    vector = _run("track", str(path), "--variable", "b_fgm")  # was a bare ValueError, exit 1
    assert vector.returncode == 2
    assert vector.stderr.strip() == (f"error: {path}: 'b_fgm' has dimensions ('time', "
                                     "'component'); scan one component or the magnitude "
                                     "(e.g. b_total)")
    igrf = _run("track", str(path), "--variable", "b_x", "--main-field", "igrf")
    assert igrf.returncode == 2 and "'b_x' is not a field magnitude" in igrf.stderr


def test_evaluate_command(bundled_data: Path, tmp_path: Path) -> None:
    import pandas as pd

    store = tmp_path / "store"
    runner.invoke(app, ["ingest", "--store", str(store),
                        str(bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv")])
    clusters = pd.DataFrame({  # one quiet positive cluster just before El Salvador
        "cluster": [1], "sign": [1], "start": ["2001-01-10 01:00"], "end": ["2001-01-10 09:00"],
        "duration_h": [8.0], "n_epochs": [5], "n_cells": [40], "max_area_km2": [1e6],
        "lat_min": [10.0], "lat_max": [17.5], "lon_west": [-95.0], "lon_east": [-80.0],
        "peak_time": ["2001-01-10 05:00"], "peak_lat": [12.5], "peak_lon": [-90.0],
        "peak_dtec": [12.0], "peak_dtec_percent": [30.0], "peak_severity": [2.5],
        "geomag": ["quiet"], "disturbed_fraction": [0.0]})
    clusters.to_csv(tmp_path / "clusters.csv", index=False)
    rules = tmp_path / "alarms.toml"
    rules.write_text("[alarms]\ntarget_magnitude = 6.0\nduration_days = 5.0\n")
    result = runner.invoke(app, ["evaluate", "--clusters", str(tmp_path / "clusters.csv"),
                                 "--start", "2001-01-05", "--end", "2001-01-20",
                                 "--rules", str(rules), "--store", str(store),
                                 "--learning-days", "90", "--out", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 alarms, ")
    # this run and the 4 alarm-rule variations of its sensitivity grid (same targets)
    assert "5 configurations tried on these targets, retrospective, exploratory)" in result.output
    assert (tmp_path / "ev" / "evaluation.html").exists()
    info = runner.invoke(app, ["info", "--store", str(store)])
    assert "ledger                   5 evaluation records: 5 configurations tried on 1 target set" in (
        info.output)
    rules.write_text("[alarms]\ntarget_magnitud = 6.0\n")
    bad = _run("evaluate", "--clusters", str(tmp_path / "clusters.csv"), "--start", "2001-01-05",
               "--end", "2001-01-20", "--rules", str(rules), "--store", str(store))
    assert bad.returncode == 2 and "unknown alarm rule(s) ['target_magnitud']" in bad.stderr


def test_detect_on_a_local_dask_cluster_equals_in_process(bundled_data: Path,
                                                          tmp_path: Path) -> None:
    files = sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("jplg0*.01i.gz"))
    store = tmp_path / "store"
    assert runner.invoke(app, ["ingest", "--store", str(store), *map(str, files)]).exit_code == 0
    local = _run("detect", "--store", str(store), "--window-days", "10",
                 "--out", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    dist = _run("detect", "--store", str(store), "--window-days", "10", "--workers", "2",
                "--out", str(tmp_path / "dist"))
    assert dist.returncode == 0, dist.stderr
    assert "2 workers" in dist.stdout or "workers" in dist.stdout
    a = (tmp_path / "local" / "anomalies_clusters.csv").read_text()
    b = (tmp_path / "dist" / "anomalies_clusters.csv").read_text()
    assert a == b and len(a.splitlines()) > 1
    assert dist.stdout.splitlines()[-1] == local.stdout.splitlines()[-1].replace(
        str(tmp_path / "local"), str(tmp_path / "dist"))


def test_an_object_store_url_as_store_is_one_line_error(tmp_path: Path) -> None:
    result = _run("info", "--store", "s3://bucket/iono")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: --store s3://bucket/iono: the archive the commands write must be a local or "
        "network file system path; object stores are read with "
        "ionoquake.scale.archive.open_archive (docs/scale.md)")
    files = sorted(Path(__file__).parents[1].glob("data/ionex/*/*.gz"))[:1]
    ok = _run("ingest", "--store", f"file://{tmp_path}", *map(str, files))
    assert ok.returncode == 0 and (tmp_path / "maps").is_dir()


def test_help_shows_bracketed_defaults_and_flags_without_values() -> None:
    # Rich markup swallowed "[default: ...]" ("Archive folder .") and printed "<bool>" on flags.
    detect = runner.invoke(app, ["detect", "--help"], terminal_width=200)
    assert "Archive folder [default: $IONOQUAKE_STORE or ~/.local/share/ionoquake]" in (
        detect.output)
    assert "[default: the only one stored]" in detect.output
    evaluate = runner.invoke(app, ["evaluate", "--help"], terminal_width=200)
    assert "Alarm rules (TOML, [alarms] table)" in evaluate.output
    assert "--sensitivity / --no-sensitivity" in evaluate.output
    for command in ("detect", "evaluate", "daily", "ingest"):
        text = runner.invoke(app, [command, "--help"], terminal_width=200).output
        assert "<bool>" not in text, command


def test_long_and_short_code_names_are_one_product(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz",
             shared_data / "ionex/single_days/COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz"]
    store = tmp_path / "store"
    result = runner.invoke(app, ["ingest", "--store", str(store), *map(str, files)])
    assert result.exit_code == 0, result.output
    info = runner.invoke(app, ["info", "--store", str(store)]).output
    assert "maps/codg" in info and "cod0opsfin" not in info
    # the long name is accepted wherever a product is asked for
    det = runner.invoke(app, ["detect", "--store", str(store), "--product", "COD0OPSFIN",
                              "--start", "2024-02-04", "--end", "2024-02-04",
                              "--out", str(tmp_path / "det")])
    assert "no maps of product" not in det.output


def test_info_lists_every_table_with_provenance(bundled_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    files = [bundled_data / "ionex/jpl_2000326-2001014/jplg0010.01i.gz",
             bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv",
             bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt",
             bundled_data / "tle/celestrak_science_20191118.tle"]
    assert runner.invoke(app, ["ingest", "--store", str(store), *map(str, files)]).exit_code == 0
    info = runner.invoke(app, ["info", "--store", str(store)], terminal_width=200).output
    assert "maps/jplg" in info
    assert "catalog/events" in info and "2244 rows  2000-10-01 00:02 .. 2001-02-28 23:07" in info
    assert "indices/celestrak-sw" in info and "tle/elements" in info
    # each table says where it came from: file, SHA-256 prefix, time of ingest
    assert "from usgs_comcat_M4.5_2000-10-01_2001-02-28.csv  sha256 24e27ec9510b" in info
    catalogue = runner.invoke(app, ["info", str(files[1])], terminal_width=200).output
    assert "events    2244  2000-10-01 00:02 .. 2001-02-28 23:07 UTC" in catalogue
    assert "magnitude 4.5 .. 8.0" in catalogue and "(comcat-csv)" in catalogue
    indices = runner.invoke(app, ["info", str(files[2])], terminal_width=200).output
    assert "records   5088" in indices and "every 01:00:00" in indices
    tles = runner.invoke(app, ["info", str(files[3])], terminal_width=200).output
    assert "satellites 66:" in tles


def test_event_on_a_store_with_several_products_chooses_by_coverage(
        bundled_data: Path, shared_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    jpl = sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("jplg0*.01i.gz"))
    other = [shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz"]
    cat = bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
    assert runner.invoke(app, ["ingest", "--store", str(store), *map(str, [*jpl, *other, cat])]
                         ).exit_code == 0
    ev = _run("event", "usp000a7m5", "--store", str(store), "--window-days", "10",
              "--out", str(tmp_path / "ev"))
    assert ev.returncode == 0, ev.stderr
    assert "--product jplg: the stored product with the most days" in ev.stderr
    assert "codg 0" in ev.stderr


def test_an_end_before_the_start_is_said_as_such(tmp_path: Path) -> None:
    store = str(tmp_path)
    for args in (["detect", "--store", store, "--start", "2001-01-05", "--end", "2001-01-01"],
                 ["fetch", "indices", "--start", "2001-01-05", "--end", "2001-01-01"],
                 ["evaluate", "--clusters", store, "--start", "2001-01-05", "--end",
                  "2001-01-01", "--store", store]):
        result = _run(*args)
        assert result.returncode == 2, args
        assert result.stderr.strip() == "error: --end 2001-01-01 is before --start 2001-01-05"
    same = _run("evaluate", "--clusters", store, "--start", "2001-01-05", "--end", "2001-01-05",
                "--store", store)
    assert "--end 2001-01-05 is the same day as (the end is exclusive) --start" in same.stderr


def test_export_ionex_and_netcdf_round_trip(bundled_data: Path, tmp_path: Path) -> None:
    import numpy as np
    import xarray as xr

    from ionoquake.sources import ionex

    source = bundled_data / "ionex/jpl_2000326-2001014/jplg0130.01i.gz"
    store = tmp_path / "store"
    assert runner.invoke(app, ["ingest", "--store", str(store), str(source)]).exit_code == 0
    result = runner.invoke(app, ["export", "jplg", "--start", "2001-01-13", "--store", str(store),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written, original = ionex.read(tmp_path / "out/jplg0130.01i"), ionex.read(source)
    np.testing.assert_allclose(written["tec"].values, original["tec"].values, atol=0.05)
    assert "DIFFERENTIAL CODE BIASES" in (tmp_path / "out/jplg0130.01i").read_text()
    nc = runner.invoke(app, ["export", "jplg", "--start", "2001-01-13", "--format", "netcdf",
                             "--store", str(store), "--out", str(tmp_path / "out")])
    assert nc.exit_code == 0, nc.output
    with xr.open_dataset(tmp_path / "out/jplg_2001-01-13_2001-01-13.nc") as ds:
        assert ds.attrs["Conventions"].startswith("CF-1.8") and ds.sizes["time"] == 12
    missing = _run("export", "jplg", "--start", "2005-01-01", "--store", str(store))
    assert missing.returncode == 2 and "no jplg maps from 2005-01-01" in missing.stderr
