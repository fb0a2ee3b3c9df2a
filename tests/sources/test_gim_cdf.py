"""CDAWeb GPS_TEC15MIN_IGS CDF maps (UPC UQRG, 15 min) read like IONEX maps."""

from __future__ import annotations

from pathlib import Path

import cdflib
import numpy as np
import pytest

from ionoquake.sources import gim_cdf, read
from ionoquake.sources.gim_cdf import GimCdfError
from ionoquake.store import maps

CDF = "ionex/other_formats/gps_tec15min_igs_20230303_v01.cdf"


def test_values_equal_the_cdf_variables(shared_data: Path) -> None:
    ds = read(shared_data / CDF)
    raw = cdflib.CDF(str(shared_data / CDF))
    tec = raw.varget("tecUQR")  # (96, 71, 73), lat descending from 87.5 as stored
    assert raw.varget("lat")[0] == 87.5
    np.testing.assert_array_equal(ds["tec"].values[:, ::-1, :], tec)
    assert ds.sizes == {"time": 96, "lat": 71, "lon": 73}
    assert (np.diff(ds["time"].values) == np.timedelta64(15, "m")).all()
    assert str(ds["time"].values[0]) == "2023-03-03T00:00:00.000000000"
    # SOURCES.md: the UQRG maps hold small negative TEC, minimum -2.4 TECU; kept as published.
    assert float(ds["tec"].min()) == pytest.approx(-2.4, abs=1e-5)
    assert int(ds["n_stations"][0]) == 243
    assert ds.attrs["product"] == "uqrg_cdaweb"


def test_ingests_into_the_archive(shared_data: Path, tmp_path: Path) -> None:
    r = maps.ingest_file(tmp_path, shared_data / CDF)
    assert (r.product, r.day, r.n_maps, r.status) == ("uqrg_cdaweb", "2023-03-03", 96, "added")
    assert maps.ingest_file(tmp_path, shared_data / CDF).status == "unchanged"
    assert maps.open_maps(tmp_path, "uqrg_cdaweb")["tec"].equals(gim_cdf.read(shared_data / CDF)["tec"])


def test_a_renamed_file_is_recognised_by_its_content(shared_data: Path, tmp_path: Path) -> None:
    # Issue J: an upload saved under another name was refused (the sniff read the name only).
    renamed = tmp_path / "map.cdf"
    renamed.write_bytes((shared_data / CDF).read_bytes())
    assert gim_cdf.can_read(renamed)
    assert maps.is_map_file(renamed)
    r = maps.ingest_file(tmp_path / "store", renamed)
    assert (r.product, r.n_maps) == ("uqrg_cdaweb", 96)
    damaged = tmp_path / "damaged.cdf"
    damaged.write_bytes((shared_data / CDF).read_bytes()[:2000])
    assert not gim_cdf.can_read(damaged)  # a sniff never raises


def test_other_cdf_is_refused(shared_data: Path) -> None:
    swarm = next((shared_data / "insitu/swarm").glob("*.cdf"))
    assert not gim_cdf.can_read(swarm)
    with pytest.raises(GimCdfError, match="no tec.*/Epoch/lat/lon variables"):
        gim_cdf.read(swarm)


def _write_gim_cdf(path: Path, *, hours: list[float] | None = None, lat: list[float] | None = None,
                   tec: float = 20.0) -> Path:
    """A small CDF in the CDAWeb GPS_TEC15MIN_IGS layout (3 maps of 3 x 4 points)."""
    from cdflib.cdfwrite import CDF as CdfWriter

    hours = [0.0, 0.25, 0.5] if hours is None else hours
    lat = [87.5, 0.0, -87.5] if lat is None else lat
    lon = [-180.0, -90.0, 0.0, 90.0]
    epoch0 = cdflib.cdfepoch.compute_epoch([2023, 3, 3, 0, 0, 0, 0])
    epochs = np.array([epoch0 + h * 3_600_000.0 for h in hours])
    values = np.full((len(hours), len(lat), len(lon)), 20.0, dtype=np.float32)
    values[-1, 1, 2] = tec
    cdf = CdfWriter(str(path), cdf_spec={"Majority": "row_major"}, delete=True)

    def var(name: str, kind: int, dims: list[int], data: np.ndarray, **attrs: object) -> None:
        cdf.write_var({"Variable": name, "Data_Type": kind, "Num_Elements": 1,
                       "Rec_Vary": name in ("Epoch", "tecUQR"), "Dim_Sizes": dims},
                      var_attrs=attrs, var_data=data)

    var("Epoch", CdfWriter.CDF_EPOCH, [], epochs)
    var("lat", CdfWriter.CDF_REAL4, [len(lat)], np.array(lat, np.float32))
    var("lon", CdfWriter.CDF_REAL4, [len(lon)], np.array(lon, np.float32))
    var("tecUQR", CdfWriter.CDF_REAL4, [len(lat), len(lon)], values,
        FILLVAL=np.float32(-1e31), UNITS="TECU")
    cdf.close()
    return path


NAME = "gps_tec15min_igs_20230303_v01.cdf"


def test_a_small_clean_file_reads(tmp_path: Path) -> None:
    ds = read(_write_gim_cdf(tmp_path / NAME))
    assert ds.sizes == {"time": 3, "lat": 3, "lon": 4}
    assert float(ds["tec"].max()) == 20.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lat": [1000.0, 0.0, -87.5]}, r"latitude 1000 deg is outside -90\.\.90"),
    ({"tec": 1e30}, r"TEC map of 2023-03-03T00:30:00: value 1e\+30 TECU is outside the "
                    r"accepted range -10\.\.1000 TECU"),
    ({"tec": -500.0}, r"value -500 TECU is outside the accepted range -10\.\.1000 TECU"),
    ({"hours": [0.0, 0.25, 0.25]}, r"map 3 at 2023-03-03T00:15:00 repeats map 2"),
    ({"hours": [0.5, 0.25, 0.0]}, r"map 2 at 2023-03-03T00:15:00 comes before map 1"),
])
def test_impossible_values_and_epochs_are_errors(tmp_path: Path, kwargs: dict,
                                                 message: str) -> None:
    path = _write_gim_cdf(tmp_path / NAME, **kwargs)
    with pytest.raises(GimCdfError, match=message):
        read(path)


def test_damaged_files_raise_the_one_line_error(shared_data: Path, tmp_path: Path) -> None:
    # Once: ValueError "read length must be non-negative", gzip.BadGzipFile, zlib.error.
    raw = (shared_data / CDF).read_bytes()
    rng = np.random.default_rng(3)
    damaged = [raw[:n] for n in (100, 5_000, len(raw) // 2, len(raw) - 10)]
    for start in rng.integers(1_000, len(raw), 6):
        flipped = bytearray(raw)
        flipped[int(start):int(start) + 8] = rng.integers(0, 256, 8).astype(np.uint8).tobytes()
        damaged.append(bytes(flipped))
    for i, data in enumerate(damaged):
        path = tmp_path / str(i) / NAME
        path.parent.mkdir()
        path.write_bytes(data)
        try:
            read(path)
        except GimCdfError as exc:
            assert str(exc).startswith(f"{path}: ")
            assert "\n" not in str(exc)
