"""TLEs in the archive: idempotent, atomic ingest keyed by (norad_id, epoch), and the reader."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ionoquake.errors import IonoquakeError, StoreError
from ionoquake.sources import tle
from ionoquake.store.ingest import ingest_path
from ionoquake.store.tles import ingest_tle_files, read_tles, satellites, tles_path

SCIENCE = "tle/celestrak_science_20191118.tle"


def test_reingesting_a_tle_file_changes_nothing(bundled_data: Path, tmp_path: Path) -> None:
    first = ingest_path(tmp_path, bundled_data / SCIENCE)
    assert (first.kind, first.status, first.detail) == ("tle", "added", "66 element sets")
    path = tles_path(tmp_path)
    assert path == tmp_path / "tables" / "tle" / "elements.parquet"
    before = path.stat().st_mtime_ns, path.read_bytes()
    again = ingest_path(tmp_path, bundled_data / SCIENCE)
    assert again.status == "unchanged"
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
    assert [p.name for p in path.parent.iterdir()] == ["elements.parquet"]  # no temporaries


def test_stored_tles_read_back_as_parsed_with_provenance(bundled_data: Path,
                                                         tmp_path: Path) -> None:
    ingest_tle_files(tmp_path, [bundled_data / SCIENCE])
    stored = read_tles(tmp_path)
    parsed = tle.read(bundled_data / SCIENCE)
    assert list(stored.columns) == list(tle.TLE_COLUMNS)
    assert not stored.duplicated(["norad_id", "epoch"]).any()
    expected = parsed.sort_values(["norad_id", "epoch"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, expected)
    (record,) = stored.attrs["provenance"]
    assert record["file"] == "celestrak_science_20191118.tle"
    assert record["format"] == "tle" and record["element_sets"] == 66
    assert len(record["sha256"]) == 64
    # Lines 196-198 of the file: ZHANGZHENG-1 (CSES), epoch 19322.55091545.
    cses = satellites(stored).set_index("norad_id").loc[43194]
    assert cses["name"] == "ZHANGZHENG-1 (CSES)" and cses["n_tles"] == 1
    assert cses["first_epoch"] == pd.Timestamp("2019-11-18 13:13:19.094880")


def test_a_snapshot_repeating_stored_sets_adds_no_rows(bundled_data: Path,
                                                       tmp_path: Path) -> None:
    """A gzipped copy holds the same 66 sets: its provenance is added, no row is rewritten,
    and ingesting the first file again afterwards still changes nothing."""
    copy = tmp_path / "science_copy.tle.gz"
    copy.write_bytes(gzip.compress((bundled_data / SCIENCE).read_bytes()))
    store = tmp_path / "store"
    ingest_path(store, bundled_data / SCIENCE)
    w = ingest_tle_files(store, [copy])
    assert (w.rows_added, w.rows_total) == (0, 66)
    stored = read_tles(store)
    assert set(stored["source"]) == {"celestrak_science_20191118.tle"}
    assert [r["file"] for r in stored.attrs["provenance"]] == [
        "celestrak_science_20191118.tle", "science_copy.tle.gz"]
    assert ingest_path(store, bundled_data / SCIENCE).status == "unchanged"
    assert ingest_path(store, copy).status == "unchanged"


def test_a_history_file_keeps_every_epoch(shared_data: Path, bundled_data: Path,
                                          tmp_path: Path) -> None:
    ingest_path(tmp_path, bundled_data / SCIENCE)
    result = ingest_path(tmp_path, shared_data / "tle/orekit_spot-5_series.tle")
    assert (result.kind, result.status, result.detail) == ("tle", "added", "316 element sets")
    spot5 = satellites(read_tles(tmp_path)).set_index("norad_id").loc[27421]
    # Orekit's SPOT-5 series: 250 sets, first line 1 epoch 02124.48976499, last 02175.75884944.
    assert spot5["n_tles"] == 250 and spot5["name"] == ""
    assert spot5["first_epoch"] == pd.Timestamp("2002-05-04 11:45:15.695136")
    assert spot5["last_epoch"] == pd.Timestamp("2002-06-24 18:12:44.591616")


def test_a_malformed_tle_file_is_refused_naming_the_file_and_line(bundled_data: Path,
                                                                  tmp_path: Path) -> None:
    bad = tmp_path / "broken.tle"
    lines = (bundled_data / SCIENCE).read_text().splitlines()
    lines[1] = lines[1][:-1] + "0"  # line 2: the AKEBONO line 1, checksum 2 -> 0
    bad.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    with pytest.raises(IonoquakeError) as err:
        ingest_path(store, bad)
    assert str(err.value).startswith(f"{bad} line 2: checksum is 0 but the line tallies to 2")
    assert tle.LINE1_TEMPLATE in str(err.value)
    assert not tles_path(store).exists()


def test_tle_sniff_claims_no_map_index_or_catalogue_file(bundled_data: Path) -> None:
    others = [p for p in bundled_data.rglob("*") if p.is_file() and p.parent.name != "tle"]
    assert len(others) > 50
    assert [p for p in others if tle.can_read(p)] == []


def test_reading_an_archive_without_tles_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no TLEs in the archive; ingest a TLE file first"):
        read_tles(tmp_path)


def test_ingest_refuses_an_unknown_file_and_names_the_kinds(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("1 satellite, 2 orbits: not a TLE\n")
    with pytest.raises(IonoquakeError, match="notes.txt: not a file ionoquake can ingest .*"
                                             "two-line element sets"):
        ingest_path(tmp_path, notes)
