"""Index downloads against a local HTTP server holding slices of the real files.

The slices are written into the test's temporary folder (served on 127.0.0.1),
never into the repository: the Kyoto file must not be redistributed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest

from ionoquake.errors import IonoquakeError
from ionoquake.sources import indices
from ionoquake.sources.indices_fetch import dst_url, fetch, last_day

D = dt.date


def _lines(shared_data: Path, name: str) -> list[str]:
    path = shared_data / "indices" / name
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    return raw.decode().splitlines()


def _celestrak_slice(shared_data: Path, first: str, last: str) -> str:
    """Header, the OBSERVED records from ``first`` to ``last`` ('YYYY MM DD'), END OBSERVED."""
    lines = _lines(shared_data, "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz")
    begin = lines.index("BEGIN OBSERVED")
    records = [ln for ln in lines[begin + 1:] if first <= ln[:10] <= last]
    return "\n".join([*lines[: begin + 1], *records, "END OBSERVED"]) + "\n"


def _dst_month(shared_data: Path, yymm: str) -> str:
    lines = _lines(shared_data, "kyoto_wdc_dst_2006-2022.dat.gz")
    return "\n".join(ln for ln in lines if ln.startswith(f"DST{yymm}*")) + "\n"


def test_celestrak_is_downloaded_once_then_read_from_the_cache(
        shared_data: Path, local_archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (local_archive.root / "SW-All.txt").write_text(
        _celestrak_slice(shared_data, "2003 10 01", "2003 11 30"))
    cache = tmp_path / "cache"
    got = fetch(D(2003, 10, 29), D(2003, 10, 30), cache, source="celestrak",
                base_url=local_archive.url)
    assert [f.status for f in got] == ["downloaded"]
    assert got[0].path == cache / "indices" / "celestrak" / "SW-All.txt"
    again = fetch(D(2003, 10, 29), D(2003, 10, 30), cache, source="celestrak",
                  base_url=local_archive.url)
    assert [f.status for f in again] == ["cached"] and len(local_archive.requests) == 1
    df = indices.read(got[0].path).set_index("time")
    assert df.loc["2003-10-29 06:00", "kp"] == 9.0  # line 16854: ... 47 40 90 ...
    assert last_day(got[0].path) == D(2003, 11, 30)


def test_a_cached_file_that_does_not_reach_the_end_is_renewed_once_stale(
        shared_data: Path, local_archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gfz = (shared_data / "indices" / "gfz_Kp_ap_Ap_SN_F107_nowcast_20250107-20250205.txt")
    lines = gfz.read_text().splitlines()
    served = local_archive.root / "Kp_ap_Ap_SN_F107_since_1932.txt"
    served.write_text("\n".join(lines[:50]) + "\n")  # to 2025-01-16
    cache = tmp_path / "cache"
    first = fetch(D(2025, 1, 10), D(2025, 2, 1), cache, source="gfz", base_url=local_archive.url)
    assert first[0].status == "downloaded" and last_day(first[0].path) == D(2025, 1, 16)
    served.write_text("\n".join(lines) + "\n")
    fresh = fetch(D(2025, 1, 10), D(2025, 2, 1), cache, source="gfz", base_url=local_archive.url)
    assert fresh[0].status == "cached"  # younger than STALE_AFTER: not asked again
    old = dt.datetime.now().timestamp() - 4 * 3600
    os.utime(first[0].path, (old, old))
    renewed = fetch(D(2025, 1, 10), D(2025, 2, 1), cache, source="gfz",
                    base_url=local_archive.url)
    assert renewed[0].status == "downloaded" and last_day(renewed[0].path) == D(2025, 2, 5)
    forced = fetch(D(2025, 1, 10), D(2025, 1, 11), cache, source="gfz",
                   base_url=local_archive.url, refresh=True)
    assert forced[0].status == "downloaded" and len(local_archive.requests) == 3


def test_kyoto_months_come_from_the_best_tier_on_the_server(
        shared_data: Path, local_archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = local_archive.root
    (root / "dst_final" / "201503").mkdir(parents=True)
    (root / "dst_final" / "201503" / "dst1503.for.request").write_text(
        _dst_month(shared_data, "1503"))
    (root / "dst_provisional" / "202112").mkdir(parents=True)
    (root / "dst_provisional" / "202112" / "dst2112.for.request").write_text(
        _dst_month(shared_data, "2112"))
    (root / "dst_realtime" / "202201").mkdir(parents=True)
    (root / "dst_realtime" / "202201" / "dst2201.for.request").write_text("")  # maintenance
    cache = tmp_path / "cache"
    got = fetch(D(2015, 3, 17), D(2015, 4, 2), cache, source="kyoto", base_url=local_archive.url)
    assert [f.status for f in got] == ["downloaded", "missing"]
    march = indices.read(got[0].path).set_index("time")
    assert march.loc["2015-03-17 22:00", "dst_nT"] == -234
    got = fetch(D(2021, 12, 1), D(2022, 1, 31), cache, source="kyoto",
                base_url=local_archive.url)
    assert [f.status for f in got] == ["downloaded", "missing"]
    assert got[0].path == cache / "indices" / "kyoto" / "provisional" / "dst2112.for.request"
    assert "/dst_final/202112/dst2112.for.request" in local_archive.requests
    assert not (cache / "indices" / "kyoto" / "realtime" / "dst2201.for.request").exists()
    n = len(local_archive.requests)
    again = fetch(D(2015, 3, 1), D(2015, 3, 31), cache, source="kyoto",
                  base_url=local_archive.url)
    assert [f.status for f in again] == ["cached"] and len(local_archive.requests) == n


def test_kyoto_urls_follow_the_wdc_layout() -> None:
    assert dst_url(D(2015, 3, 1), "final") == (
        "https://wdc.kugi.kyoto-u.ac.jp/dst_final/201503/dst1503.for.request")
    assert dst_url(D(2025, 11, 1), "realtime", today=D(2025, 11, 21)) == (
        "https://wdc.kugi.kyoto-u.ac.jp/dst_realtime/presentmonth/dst2511.for.request")


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IonoquakeError, match="unknown index source 'noaa'; known: gfz, "):
        fetch(D(2015, 1, 1), D(2015, 1, 2), tmp_path, source="noaa")
    with pytest.raises(IonoquakeError, match="--end 2015-01-01 is before --start 2015-01-02"):
        fetch(D(2015, 1, 2), D(2015, 1, 1), tmp_path)
