"""The one registry of readers: each real file is recognised as its format and kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ionoquake.errors import IonoquakeError
from ionoquake.sources import registry

# One real file of ../shared/data per kind (see its SOURCES.md), and the reader it needs.
REAL_FILES = {
    "ionex/code_esa_2020008-010/codg0080.20i.gz": ("ionex", "maps"),
    "ionex/other_formats/gps_tec15min_igs_20230303_v01.cdf": ("gim-cdf", "maps"),
    "indices/omniweb_hourly_indices_2011.csv": ("omni-hourly", "indices"),
    "tle/celestrak_science_20191118.tle": ("tle", "tle"),
    "catalogs/usgs_comcat_M7_2000-2018.csv": ("comcat-csv", "catalog"),
    "catalogs/quakeml/usgs_event.xml": ("quakeml", "catalog"),
    "insitu/cses/CSES_01_HPM_5_L02_A2_096791_20191101_001933_20191101_005555_000.h5": (
        "cses-l2", "track"),
    "insitu/swarm/SW_OPER_MAGA_HR_1B_20160311T000000_20160311T235959_0602_ASM_VFM_IC.cdf": (
        "swarm-calibration", "calibration"),
}


@pytest.mark.parametrize("relpath", REAL_FILES, ids=lambda p: Path(p).name)
def test_each_real_file_is_recognised_by_its_content(shared_data: Path, relpath: str) -> None:
    reader = registry.reader_for(shared_data / relpath)
    assert (reader.name, reader.kind) == REAL_FILES[relpath]
    assert registry.sniff(shared_data / relpath, kind=reader.kind) == reader


def test_sniffs_are_asked_kind_by_kind() -> None:
    # store.ingest relies on it: maps and indices first, then TLE, then the catalogues.
    kinds = [r.kind for r in registry.readers()]
    assert kinds == sorted(kinds, key=registry.KINDS.index)
    assert registry.KINDS[:4] == ("maps", "indices", "tle", "catalog")
    assert list(registry.formats("maps")) == ["gim-cdf", "ionex"]


def test_a_file_of_another_kind_is_named(shared_data: Path) -> None:
    with pytest.raises(IonoquakeError, match=r"usgs_comcat_M7_2000-2018.csv: not global "
                                             r"ionosphere maps in a format ionoquake reads \(it "
                                             r"is comcat-csv: .*\); known formats: gim-cdf, ionex$"):
        registry.read(shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv", kind="maps")


def test_register_refuses_an_unknown_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    with pytest.raises(ValueError, match="unknown kind 'grid'; kinds: maps, indices, tle"):
        registry.register("x", "grid", bool, bool, "x")  # type: ignore[arg-type]
