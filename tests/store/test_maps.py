"""The map archive: idempotent, atomic, and read back as the files read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionoquake.errors import StoreError
from ionoquake.sources.gim import read_days
from ionoquake.sources.ionex import IonexError
from ionoquake.store import maps

JPL_2012 = "ionex/jpl_2012267-273"


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_reading_the_archive_back_gives_what_the_files_give(shared_data: Path,
                                                            tmp_path: Path) -> None:
    files = sorted((shared_data / JPL_2012).glob("*.gz"))
    for f in files:
        assert maps.ingest_file(tmp_path, f).status == "added"
    stored = maps.open_maps(tmp_path, "jplg")
    direct = read_days(files)
    assert np.array_equal(stored["time"].values, direct["time"].values)
    for var in ("tec", "rms"):
        assert stored[var].equals(direct[var])
    part = maps.partitions(tmp_path)
    assert list(part["n_maps"]) == [13] * 7
    assert part["sha256"].str.len().eq(64).all()
    week = maps.open_maps(tmp_path, "jplg", start="2012-09-25", end="2012-09-26")
    assert str(week["time"].values[0])[:10] == "2012-09-25"


def test_reingesting_a_file_changes_nothing(shared_data: Path, tmp_path: Path) -> None:
    f = shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz"
    maps.ingest_file(tmp_path, f)
    before = _snapshot(tmp_path)
    again = maps.ingest_file(tmp_path, f)
    assert again.status == "unchanged"
    assert _snapshot(tmp_path) == before


def test_producers_of_the_same_day_are_kept_apart(shared_data: Path, tmp_path: Path) -> None:
    for name in ("codg0080.20i.gz", "esag0080.20i.gz"):
        maps.ingest_file(tmp_path, shared_data / "ionex/code_esa_2020008-010" / name)
    assert maps.products(tmp_path) == ["codg", "esag"]
    assert maps.open_maps(tmp_path, "codg").sizes["time"] == 25
    assert maps.open_maps(tmp_path, "esag").sizes["time"] == 13
    with pytest.raises(StoreError, match=r"no maps of product 'igsg' \(stored products: codg, esag"):
        maps.open_maps(tmp_path, "igsg")


def test_a_changed_file_replaces_its_day(shared_data: Path, tmp_path: Path) -> None:
    from ionoquake.sources.ionex_write import write

    src = shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz"
    maps.ingest_file(tmp_path, src)
    ds = maps.open_maps(tmp_path, "esag")
    ds["tec"] = ds["tec"] + 1.0
    edited = tmp_path / "in" / "esag0080.20i.gz"
    write(ds, edited)
    result = maps.ingest_file(tmp_path, edited)
    assert result.status == "replaced"
    np.testing.assert_allclose(maps.open_maps(tmp_path, "esag")["tec"], ds["tec"], atol=1e-4)


def test_a_bad_file_leaves_the_archive_untouched(shared_data: Path, tmp_path: Path) -> None:
    maps.ingest_file(tmp_path, shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz")
    before = _snapshot(tmp_path)
    bad = tmp_path / "in" / "esag0090.20i"
    bad.parent.mkdir()
    text = (shared_data / "ionex/edge_cases/orekit_jammed-fields.14i").read_text()
    bad.write_text(text.replace(" 8917 8768", " 89x7 8768", 1))
    with pytest.raises(IonexError, match="esag0090.20i line 23"):
        maps.ingest_file(tmp_path, bad)
    assert _snapshot(tmp_path) == {**before, **{str(bad): bad.stat().st_mtime_ns}}


def test_an_error_while_writing_leaves_no_partial_day(shared_data: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: xr.Dataset, store: Path, **kwargs: object) -> None:
        Path(store).mkdir(parents=True)
        (Path(store) / "half-written").write_text("x")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_zarr", explode)
    with pytest.raises(OSError, match="disk full"):
        maps.ingest_file(tmp_path, shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz")
    assert not list((tmp_path / "maps").rglob("*.zarr"))
    assert not list((tmp_path / "maps").rglob("half-written"))


def test_a_killed_ingest_leaves_whole_days_and_the_next_run_completes(
        shared_data: Path, tmp_path: Path) -> None:
    files = sorted((shared_data / "ionex/jpl_2000326-2001014").glob("*.gz"))
    store = tmp_path / "store"
    cmd = [sys.executable, "-m", "ionoquake.cli", "ingest", "--store", str(store),
           *map(str, files)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "80"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list(store.glob("maps/jplg/*/*.zarr"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = sorted(store.glob("maps/jplg/*/*.zarr"))
    assert 3 <= len(written) < len(files)
    for part in written:  # every day present is complete
        assert xr.open_zarr(part).sizes["time"] == 12
    subprocess.run(cmd, check=True, capture_output=True)
    assert len(maps.partitions(store)) == len(files)
    assert not [p for p in store.rglob(".*tmp-*")]
    assert maps.open_maps(store, "jplg").sizes["time"] == 55 * 12


def test_a_misnamed_ionex_file_goes_to_the_product_its_header_names(bundled_data: Path,
                                                                     tmp_path: Path) -> None:
    # Issue J: the name decided the product ("a JPL file uploaded as codg0080.20i became
    # codg"); the CLI, the API and the distributed ingest now all ask the header first.
    real = bundled_data / "ionex/jpl_2000326-2001014/jplg3260.00i.gz"
    misnamed = tmp_path / "codg3260.00i.gz"
    misnamed.write_bytes(real.read_bytes())
    first = maps.ingest_file(tmp_path / "store", misnamed)
    assert (first.product, first.day, first.status) == ("jplg", "2000-11-21", "added")
    assert maps.ingest_file(tmp_path / "store", real).status == "unchanged"
    assert maps.ingest_file(tmp_path / "store", misnamed).status == "unchanged"
    assert maps.products(tmp_path / "store") == ["jplg"]


def test_a_damaged_day_is_named_with_what_to_do(shared_data: Path, tmp_path: Path) -> None:
    import shutil

    source = sorted((shared_data / JPL_2012).glob("*.gz"))[0]
    maps.ingest_file(tmp_path, source)
    part = next((tmp_path / "maps").rglob("*.zarr"))
    chunk = next(p for p in (part / "tec" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:20])  # a full disk or a killed copy
    with pytest.raises(StoreError, match=rf"{part}: damaged, cannot be decoded \(RuntimeError: "
                                         r".*\); delete it and ingest its source file again"):
        maps.open_maps(tmp_path, "jplg")
    shutil.rmtree(part)  # what the message says works
    assert maps.ingest_file(tmp_path, source).status == "added"
    assert maps.open_maps(tmp_path, "jplg")["tec"].equals(read_days([source])["tec"])
