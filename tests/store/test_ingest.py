"""``ingest_path`` stores each file by the kind of the registry's reader that recognises it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ionoquake.errors import IonoquakeError
from ionoquake.sources import gim, ionex, registry
from ionoquake.store import maps
from ionoquake.store.ingest import ingest_path

CODG = "ionex/code_esa_2020008-010/codg0080.20i.gz"
CSES = "insitu/cses/CSES_01_HPM_5_L02_A2_096791_20191101_001933_20191101_005555_000.h5"


def test_an_along_track_file_is_refused_with_what_can_be_ingested(shared_data: Path,
                                                                   tmp_path: Path) -> None:
    with pytest.raises(IonoquakeError) as error:
        ingest_path(tmp_path, shared_data / CSES)
    text = str(error.value)
    assert text.startswith(f"{shared_data / CSES}: cses-l2 (CSES-1 Level-2 half-orbit HDF5")
    assert "the archive does not store along-track satellite data" in text
    assert text.endswith("ionoquake can ingest global ionosphere maps: gim-cdf, ionex; "
                         "space-weather indices: celestrak-sw, gfz-kp, wdc-dst, iri-apf107, "
                         "omni-hourly; two-line element sets: tle; earthquake catalogues: "
                         "comcat-csv, fdsn-text, iscgem, centennial, noaa-signif, catalog-csv, "
                         "quakeml; line-of-sight TEC per receiver and satellite: madrigal-los")
    assert not (tmp_path / "maps").exists() and not (tmp_path / "tables").exists()


def test_a_new_reader_needs_only_its_registration(shared_data: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A toy map format: "TOYMAPS" and the path of an IONEX file whose maps it holds.
    toy = tmp_path / "day.toy"
    toy.write_text(f"TOYMAPS\n{shared_data / CODG}\n")

    def can_read(path: Path) -> bool:
        return path.read_bytes()[:8] == b"TOYMAPS\n"

    def read(path: Path) -> object:
        return ionex.read(path.read_text().splitlines()[1])

    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    registry.register("toy-maps", "maps", can_read, read, "toy maps for a test")
    result = ingest_path(tmp_path / "store", toy)
    assert (result.kind, result.status, result.detail) == ("maps", "added",
                                                           "codg 2020-01-08: 25 maps")
    assert maps.open_maps(tmp_path / "store", "codg")["tec"].equals(ionex.read(
        shared_data / CODG)["tec"])
    assert gim.read_days([toy])["tec"].equals(ionex.read(shared_data / CODG)["tec"])
