"""Indices in the archive: one table per source, idempotent ingest, merged reads."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ionoquake.errors import StoreError
from ionoquake.store.indices import ingest_indices, read_indices, stored_sources
from ionoquake.store.tables import table_path


def _slice(shared_data: Path, name: str, keep: str, dest: Path) -> Path:
    """Write the lines of a real file that start with ``keep`` (plus the CelesTrak frame)."""
    raw = gzip.decompress((shared_data / "indices" / name).read_bytes()).decode()
    lines = raw.splitlines()
    if lines[0].startswith("DATATYPE"):
        begin = lines.index("BEGIN OBSERVED")
        lines = [*lines[: begin + 1], *(ln for ln in lines if ln.startswith(keep)),
                 "END OBSERVED"]
    else:
        lines = [ln for ln in lines if ln.startswith(keep)]
    dest.write_text("\n".join(lines) + "\n")
    return dest


@pytest.fixture()
def march_2015(shared_data: Path, tmp_path: Path) -> list[Path]:
    return [
        _slice(shared_data, "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz",
               "2015 03", tmp_path / "sw-2015-03.txt"),
        _slice(shared_data, "kyoto_wdc_dst_2006-2022.dat.gz", "DST1503",
               tmp_path / "dst1503.dat"),
    ]


def test_reingesting_index_files_changes_nothing(march_2015: list[Path], tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = ingest_indices(store, march_2015)
    assert [r.changed for r in first] == [True, True]
    assert [r.rows_total for r in first] == [31 * 24, 31 * 24]
    path = table_path(store, "indices", "wdc-dst")
    before = path.stat().st_mtime_ns, path.read_bytes()
    again = ingest_indices(store, march_2015)
    assert [r.changed for r in again] == [False, False]
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
    assert stored_sources(store) == ["wdc-dst", "celestrak-sw"]


def test_stored_indices_merge_sources_and_keep_provenance(
        march_2015: list[Path], tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest_indices(store, march_2015)
    df = read_indices(store, "2015-03-17", "2015-03-18")
    assert len(df) == 24 and str(df["time"].dtype) == "datetime64[ns]"
    row = df.set_index("time").loc[pd.Timestamp("2015-03-17 22:00")]
    assert row["dst_nT"] == -234 and row["kp"] == pytest.approx(23 / 3)  # Kyoto; CelesTrak 77
    files = {rec["file"]: rec for rec in df.attrs["provenance"]}
    assert set(files) == {"sw-2015-03.txt", "dst1503.dat"}
    assert files["dst1503.dat"]["format"] == "wdc-dst" and len(files["dst1503.dat"]["sha256"]) == 64
    assert df.attrs["sources"] == ["wdc-dst", "celestrak-sw"]


def test_reading_an_empty_archive_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no indices in the archive; ingest index files first"):
        read_indices(tmp_path)
