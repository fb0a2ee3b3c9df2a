"""Downloading GIMs, tested against recorded files served on 127.0.0.1 (never the network)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import ncompress
import pytest

from ionoquake.errors import FetchError, IonoquakeError
from ionoquake.sources import ionex
from ionoquake.sources.download import download
from ionoquake.sources.ionex_fetch import fetch, url_for
from tests.conftest import LocalArchive

CODE = "ionex/code_esa_2020008-010"


def _record_code_days(shared_data: Path, archive: LocalArchive) -> None:
    """Lay out the recorded CODE files as AIUB serves them: CODE/2020/CODGDDD0.20I.Z."""
    folder = archive.root / "CODE" / "2020"
    folder.mkdir(parents=True)
    for doy in (8, 9):
        text = gzip.decompress((shared_data / CODE / f"codg{doy:03d}0.20i.gz").read_bytes())
        (folder / f"CODG{doy:03d}0.20I.Z").write_bytes(ncompress.compress(text))


def test_url_templates_switch_to_long_names_in_week_2238() -> None:
    assert url_for("code", dt.date(2020, 1, 8)) == "http://ftp.aiub.unibe.ch/CODE/2020/CODG0080.20I.Z"
    assert url_for("code", dt.date(2024, 2, 4)) == (
        "http://ftp.aiub.unibe.ch/CODE/2024/COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz")
    assert url_for("igs", dt.date(2012, 12, 6), base_url="http://127.0.0.1:1/m") == (
        "http://127.0.0.1:1/m/2012/341/igsg3410.12i.Z")
    with pytest.raises(IonoquakeError, match="unknown GIM producer 'xyz'"):
        url_for("xyz", dt.date(2020, 1, 1))


def test_fetch_downloads_caches_and_reports_missing_days(shared_data: Path, tmp_path: Path,
                                                         local_archive: LocalArchive) -> None:
    _record_code_days(shared_data, local_archive)
    base = local_archive.url + "/CODE/"
    out = fetch(dt.date(2020, 1, 8), dt.date(2020, 1, 10), tmp_path / "cache", base_url=base)
    assert [o.status for o in out] == ["downloaded", "downloaded", "missing"]
    ds = ionex.read(out[0].path)  # type: ignore[arg-type]
    direct = ionex.read(shared_data / CODE / "codg0080.20i.gz")
    assert ds["tec"].equals(direct["tec"])
    n_requests = len(local_archive.requests)
    again = fetch(dt.date(2020, 1, 8), dt.date(2020, 1, 9), tmp_path / "cache", base_url=base)
    assert [o.status for o in again] == ["cached", "cached"]
    assert len(local_archive.requests) == n_requests


def test_an_interrupted_download_resumes_where_it_stopped(shared_data: Path, tmp_path: Path,
                                                          local_archive: LocalArchive) -> None:
    _record_code_days(shared_data, local_archive)
    whole = (local_archive.root / "CODE/2020/CODG0080.20I.Z").read_bytes()
    dest = tmp_path / "CODG0080.20I.Z"
    Path(str(dest) + ".part").write_bytes(whole[:1000])
    download(local_archive.url + "/CODE/2020/CODG0080.20I.Z", dest)
    assert dest.read_bytes() == whole
    assert not Path(str(dest) + ".part").exists()


def test_unreachable_server_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"127.0.0.1:9/x.Z: download failed .*run again to resume"):
        download("http://127.0.0.1:9/x.Z", tmp_path / "x.Z", timeout_s=2)
    assert not (tmp_path / "x.Z").exists()


def test_absurd_requests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IonoquakeError, match="before --start"):
        fetch(dt.date(2020, 1, 9), dt.date(2020, 1, 8), tmp_path)
    with pytest.raises(IonoquakeError, match="at most 3660 days"):
        fetch(dt.date(1990, 1, 1), dt.date(2020, 1, 8), tmp_path)
