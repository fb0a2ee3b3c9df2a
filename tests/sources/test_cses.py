"""CSES Level-2 HDF5 reader: the real HPM half-orbit, and LAP/PAP/EFD/SCM files written here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.sources import cses, registry
from ionoquake.sources.cses import CsesError, parse_utc_time, verse_time_to_utc
from ionoquake.sources.insitu import check_track

HPM = "insitu/cses/CSES_01_HPM_5_L02_A2_096791_20191101_001933_20191101_005555_000.h5"
ONE_NT = 1.0
FLOAT32_DEG = 1e-5


@pytest.fixture(scope="module")
def hpm(shared_data: Path):  # type: ignore[no-untyped-def]
    return cses.read(shared_data / HPM)


def test_real_hpm_file_follows_the_track_model(hpm) -> None:  # type: ignore[no-untyped-def]
    check_track(hpm)
    assert hpm.sizes["time"] == 2079
    assert hpm.attrs["mission"] == "CSES-1" and hpm.attrs["instrument"] == "HPM"
    assert hpm.attrs["product"] == "HPM_5_L02"
    assert hpm.attrs["source_file"] == Path(HPM).name
    assert "ORBITNUM=009679" in hpm.attrs["cses_file_attrs"]


def test_real_hpm_values_are_those_of_the_file(hpm) -> None:  # type: ignore[no-untyped-def]
    # values copied from the HDF5 datasets (h5py, row index in brackets)
    assert hpm["b_x"].values[0] == 9017.829106069872  # A221[0, 0]
    assert hpm["b_y"].values[0] == -10598.06581859884  # A222[0, 0]
    assert hpm["b_z"].values[-1] == 40535.71707206371  # A223[2078, 0]
    assert hpm["b_x"].values[1000] == 21444.05130290322  # A221[1000, 0]
    np.testing.assert_array_equal(  # B_FGM[0, :]
        hpm["b_fgm"].values[0], [-6948.971166642915, -30264.95814839564, 12105.348499473237])
    assert hpm["lat"].values[0] == pytest.approx(-64.85267639160156, abs=FLOAT32_DEG)  # GEO_LAT[0]
    assert hpm["lon"].values[-1] == pytest.approx(-1.2526590824127197, abs=FLOAT32_DEG)
    assert hpm["mag_lat"].values[0] == pytest.approx(-66.85547637939453, abs=FLOAT32_DEG)
    assert hpm["alt_km"].values[0] == pytest.approx(520.4981079101562, abs=1e-4)  # ALTITUDE[0]
    assert hpm["flag_mt"].values[:3].tolist() == [1, 1, 1]  # FLAG_MT[0:3]
    assert int(hpm["flag_shw"].values.sum()) == 1707
    assert hpm["b_x"].attrs["units"] == "nT"
    assert hpm["b_x"].attrs["long_name"] == "FGM2 Magnetic field X component"
    # A221-A223 and B_FGM are one field in two frames: same magnitude
    np.testing.assert_allclose(hpm["b_total"].values,
                               np.linalg.norm(hpm["b_fgm"].values, axis=1), atol=ONE_NT)


def test_real_hpm_time_and_clock_cross_check(hpm) -> None:  # type: ignore[no-untyped-def]
    times = hpm["time"].values
    assert times[0] == np.datetime64("2019-11-01T00:21:08")  # UTC_TIME[0] = 20191101002108000
    assert times[-1] == np.datetime64("2019-11-01T00:55:46")  # UTC_TIME[2078]
    assert np.all(np.diff(times) == np.timedelta64(1, "s"))  # SAMPLERATE FMAG:1Hz, no gap
    assert hpm.attrs["verse_minus_utc_max_s"] == 0.0  # VERSE_TIME[0] = 341799668000 ms


def test_real_hpm_orbit_facts(hpm) -> None:  # type: ignore[no-untyped-def]
    # an ascending (night-side) half-orbit from -64.85° to +64.35° at ~510-525 km
    assert set(np.unique(hpm["direction"].values)) == {1}
    assert set(np.unique(hpm["half_orbit"].values)) == {0}
    assert set(np.unique(hpm["orbit"].values)) == {9679}
    assert hpm.attrs["cses_half_orbit_code"] == 1
    assert 509.0 < float(hpm["alt_km"].min()) < float(hpm["alt_km"].max()) < 525.0
    # local mean time of the first sample: 00:21:08 UTC + 39.2453°/15 = 2.9686 h
    assert hpm["local_mean_time"].values[0] == pytest.approx(21 / 60 + 8 / 3600 + 39.24525833 / 15,
                                                             abs=1e-6)
    # ascending node (index 1044, 00:38:32 UTC, 18.79°E) near 02:00 LT as CSES's orbit
    # (descending node 14:00 LT) implies; apparent time 16.4 min later in early November
    node = int(np.flatnonzero(np.diff(np.sign(hpm["lat"].values)) > 0)[0])
    assert node == 1044
    assert hpm["local_mean_time"].values[node] == pytest.approx(1.895, abs=0.001)
    eot_h = hpm["local_apparent_time"].values[node] - hpm["local_mean_time"].values[node]
    assert eot_h * 60 == pytest.approx(16.4, abs=0.1)


def test_registry_dispatches_the_real_file(shared_data: Path) -> None:
    ds = registry.read(shared_data / HPM)
    assert ds.attrs["product"] == "HPM_5_L02"


def _write(path: Path, datasets: dict[str, np.ndarray], n: int, *, units: dict[str, str],
           fill: float = -9999.0, start_ms: int = 20200315120000000) -> Path:
    """A file in the CSES Level-2 layout: geolocation + ``datasets``, attrs as the real file."""
    t0 = np.datetime64("2020-03-15T12:00:00", "ms")
    times = t0 + np.arange(n).astype("timedelta64[s]") * 3
    utc = np.array([int(str(t).replace("-", "").replace("T", "").replace(":", "")
                        .replace(".", "")) for t in times], dtype=np.int64)
    verse = (times - np.datetime64("2009-01-01", "ms")).astype(np.int64)
    lat = np.linspace(60.0, -60.0, n, dtype=np.float32)
    base = {"UTC_TIME": (utc, "YYYYMMDDHHMMSS.mmm"), "VERSE_TIME": (verse, "ms"),
            "GEO_LAT": (lat, "deg"), "GEO_LON": (np.linspace(100, 80, n, dtype=np.float32), "deg"),
            "ALTITUDE": (np.full(n, 507.0, np.float32), "km"),
            "MAG_LAT": (lat - 5, "deg"), "MAG_LON": (np.full(n, 170.0, np.float32), "deg")}
    with h5py.File(path, "w") as f:
        f.attrs["ORBITNUM"] = np.bytes_(b"012345")
        for name, (values, unit) in base.items():
            d = f.create_dataset(name, data=np.asarray(values).reshape(n, 1))
            d.attrs["Units"] = np.bytes_(unit.encode())
            d.attrs["FillValue"] = np.array([-9999.0])
        for name, values in datasets.items():
            values = np.asarray(values)
            d = f.create_dataset(name, data=values.reshape(n, -1))
            d.attrs["Units"] = np.bytes_(units.get(name, "").encode())
            d.attrs["LongName"] = np.bytes_(name.encode())
            d.attrs["FillValue"] = np.array([fill])
            d.attrs["ValidRange"] = np.array([-1e12, 1e12])
    return path


def test_lap_file_electron_density_and_temperature(tmp_path: Path) -> None:
    n = 50
    ne = np.full(n, 2.5e5)
    ne[7] = -9999.0  # fill value
    ne[8] = 5e12  # outside ValidRange
    te = np.linspace(1500, 2500, n)
    path = _write(tmp_path / "CSES_01_LAP_1_L02_A3_123450_20200315_120000_20200315_124000_000.h5",
                  {"A311": ne, "A321": te}, n, units={"A311": "cm^-3", "A321": "K"})
    ds = cses.read(path)
    check_track(ds)
    assert np.isnan(ds["ne"].values[[7, 8]]).all() and ds["ne"].values[0] == 2.5e5
    assert ds["ne"].attrs["n_fill"] == 1 and ds["ne"].attrs["n_out_of_range"] == 1
    assert ds["ne"].attrs["units"] == "cm^-3" and ds["te"].attrs["units"] == "K"
    assert ds["te"].values[-1] == 2500.0
    assert set(np.unique(ds["direction"].values)) == {-1}  # 60° → -60°: descending
    assert ds.attrs["instrument"] == "LAP" and int(ds["orbit"].values[0]) == 12345
    assert ds["time"].values[1] - ds["time"].values[0] == np.timedelta64(3, "s")


def test_pap_file_ion_composition(tmp_path: Path) -> None:
    n = 30
    data = {"A313": np.full(n, 1e3), "A314": np.full(n, 50.0), "A315": np.full(n, 1e5),
            "A322": np.full(n, 1100.0), "A331": np.zeros(n), "A332": np.ones(n),
            "A333": np.full(n, 2.0)}
    path = _write(tmp_path / "CSES_01_PAP_0_L02_A4_123450_20200315_120000_20200315_124000_000.h5",
                  data, n, units={"A313": "cm^-3", "A322": "K", "A331": "m/s"})
    ds = cses.read(path)
    assert ds["n_o"].values[0] == 1e5 and ds["n_h"].values[0] == 1e3
    assert ds["ti"].values[0] == 1100.0 and ds["v_z"].values[0] == 2.0
    assert ds["n_h"].attrs["cses_name"] == "A313"


@pytest.mark.parametrize(("payload", "prefix", "quantity", "rate"),
                         [("EFD", "A11", "e", 125.0), ("SCM", "A23", "b", 1024.0)])
def test_waveform_and_spectrum_files(tmp_path: Path, payload: str, prefix: str, quantity: str,
                                     rate: float) -> None:
    n, m, nf = 20, 256, 64
    rng = np.random.default_rng(0)
    data = {f"{prefix}{a}_W": rng.normal(size=(n, m)) for a in "123"}
    data |= {f"{prefix}{a}_P": rng.random(size=(n, nf)) for a in "123"}
    path = _write(tmp_path / f"CSES_01_{payload}_1_L02_A1_123450_20200315_120000_20200315_124000_000.h5",
                  data, n, units={k: "mV/m" for k in data})
    with h5py.File(path, "a") as f:
        f.create_dataset("FREQ", data=np.arange(nf, dtype=np.float64).reshape(1, nf) * rate / 2 / nf)
    ds = cses.read(path)
    check_track(ds)
    assert ds[f"{quantity}_x"].dims == ("time", "sample")
    np.testing.assert_array_equal(ds[f"{quantity}_y"].values, data[f"{prefix}2_W"])
    np.testing.assert_array_equal(ds[f"{quantity}_z_psd"].values, data[f"{prefix}3_P"])
    assert ds["frequency"].values[1] == pytest.approx(rate / 2 / nf)
    assert ds["sample_offset_s"].values[1] == pytest.approx(1 / rate)


def test_unknown_layout_names_expected_and_found(tmp_path: Path) -> None:
    path = _write(tmp_path / "CSES_01_LAP_1_L02_A3_123450_20200315_120000_20200315_124000_000.h5",
                  {"A311": np.ones(10)}, 10, units={})
    with pytest.raises(CsesError, match=r"not a CSES Level-2 LAP file of a known layout: "
                                        r"expected datasets UTC_TIME, GEO_LAT, GEO_LON, ALTITUDE, "
                                        r"A311, A321; missing A321; found A311, ALTITUDE, GEO_LAT"):
        cses.read(path)
    other = _write(tmp_path / "mystery.h5", {"X1": np.ones(10)}, 10, units={})
    with pytest.raises(CsesError, match=r"mystery.h5: not a CSES Level-2 file of a known layout: expected datasets UTC_TIME, GEO_LAT, GEO_LON, ALTITUDE, A221/A311/A313"):
        cses.read(other)


def test_not_hdf5_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "CSES_01_LAP_1_L02_A3_123450_20200315_120000_20200315_124000_000.h5"
    path.write_text("hello")
    with pytest.raises(CsesError, match="not a readable HDF5 file"):
        cses.read(path)


def test_bad_utc_time_and_clock_disagreement(tmp_path: Path) -> None:
    name = "CSES_01_LAP_1_L02_A3_123450_20200315_120000_20200315_124000_000.h5"
    path = _write(tmp_path / name, {"A311": np.ones(10), "A321": np.ones(10)}, 10, units={})
    with h5py.File(path, "a") as f:
        utc = f["UTC_TIME"][()]
        utc[4, 0] = 20201131000000000  # 31 November
        f["UTC_TIME"][...] = utc
    with pytest.raises(CsesError, match=r"UTC_TIME\[4\] = 20201131000000000 is not a valid"):
        cses.read(path)
    path = _write(tmp_path / name, {"A311": np.ones(10), "A321": np.ones(10)}, 10, units={})
    with h5py.File(path, "a") as f:
        verse = f["VERSE_TIME"][()]
        verse[2, 0] += 5000
        f["VERSE_TIME"][...] = verse
    with pytest.raises(CsesError, match=r"VERSE_TIME\[2\] .* by 5.000 s"):
        cses.read(path)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2049, 12, 31, 23, 59, 59)))
def test_utc_time_integers_round_trip(when: datetime) -> None:
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    encoded = int(when.strftime("%Y%m%d%H%M%S")) * 1000 + when.microsecond // 1000
    parsed = parse_utc_time([encoded])[0]
    assert parsed == np.datetime64(when, "ms")
    verse_ms = int((np.datetime64(when, "ms") - np.datetime64("2009-01-01", "ms")).astype(int))
    assert verse_time_to_utc([verse_ms])[0] == parsed


@pytest.mark.parametrize("offset", [194, 679, 873, 1164, 2231, 2910, 4462, 6111])
def test_a_damaged_file_is_one_error_line_under_info(shared_data: Path, tmp_path: Path,
                                                     offset: int) -> None:
    # Four bytes overwritten: h5py raised KeyError, RuntimeError, OSError, MemoryError,
    # TypeError, OverflowError or ValueError, and `ionoquake info` printed a traceback.
    from typer.testing import CliRunner

    from ionoquake.cli import app

    raw = bytearray((shared_data / HPM).read_bytes())
    raw[offset:offset + 4] = b"\xff\xff\xff\x7f"
    path = tmp_path / Path(HPM).name
    path.write_bytes(bytes(raw))
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert isinstance(result.exception, SystemExit)
        assert f"{path}: " in result.output
