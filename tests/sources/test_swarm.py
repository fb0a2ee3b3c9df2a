"""Swarm L1b CDF reader: the real calibration sub-file, and MAG LR / EFI LP files written here."""

from __future__ import annotations

from pathlib import Path

import cdflib
import numpy as np
import pytest
from cdflib.cdfwrite import CDF

from ionoquake.sources import registry, swarm
from ionoquake.sources.insitu import MEAN_EARTH_RADIUS_KM, check_track
from ionoquake.sources.swarm import SwarmError

CALIBRATION = "insitu/swarm/SW_OPER_MAGA_HR_1B_20160311T000000_20160311T235959_0602_ASM_VFM_IC.cdf"
ORBIT_S = 5640.0  # Swarm A period, ~94 min at ~460 km


def _orbit(n: int, step_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times, geocentric lat/lon and radius (m) of a 87.35° circular orbit from the ascending node."""
    t = np.arange(n) * step_s
    u = 2 * np.pi * t / ORBIT_S
    inc = np.radians(87.35)
    lat = np.degrees(np.arcsin(np.sin(inc) * np.sin(u)))
    lon = (np.degrees(np.arctan2(np.cos(inc) * np.sin(u), np.cos(u))) - 360 * t / 86164.0 + 180
           ) % 360 - 180
    radius = (MEAN_EARTH_RADIUS_KM + 460.0) * 1000 + 5000 * np.sin(u)
    epochs = cdflib.cdfepoch.compute_epoch([2016, 3, 11, 0, 0, 0, 0]) + t * 1000.0
    return epochs, lat, lon, radius


def _var(name: str, dtype: int, dims: list[int]) -> dict:
    return {"Variable": name, "Data_Type": dtype, "Num_Elements": 1, "Rec_Vary": True,
            "Dim_Sizes": dims}


def _write(path: Path, file_type: str, data: dict[str, tuple[np.ndarray, str]],
           n: int, step_s: float) -> Path:
    epochs, lat, lon, radius = _orbit(n, step_s)
    cdf = CDF(str(path), cdf_spec={"Majority": "row_major"}, delete=True)
    cdf.write_globalattrs({"File_Type": {0: file_type}, "Abs_Orbit_Start": {0: "012880"},
                           "Ref_Doc": {0: "SW-RS-DSC-SY-0007"}, "Mission": {0: "Swarm"}})
    cdf.write_var(_var("Timestamp", CDF.CDF_EPOCH, []),
                  var_attrs={"DESCRIPTION": "Time stamp", "UNITS": "-"}, var_data=epochs)
    for name, values, units in (("Latitude", lat, "deg"), ("Longitude", lon, "deg"),
                                ("Radius", radius, "m")):
        cdf.write_var(_var(name, CDF.CDF_DOUBLE, []),
                      var_attrs={"DESCRIPTION": name, "UNITS": units}, var_data=values)
    for name, (values, units) in data.items():
        kind = CDF.CDF_UINT2 if values.dtype.kind == "u" else CDF.CDF_DOUBLE
        cdf.write_var(_var(name, kind, list(values.shape[1:])),
                      var_attrs={"DESCRIPTION": name, "UNITS": units}, var_data=values)
    cdf.close()
    return path


@pytest.fixture()
def mag_lr(tmp_path: Path) -> Path:
    n = 5700  # one orbit and a bit at 1 Hz
    rng = np.random.default_rng(3)
    b_nec = np.column_stack([20000 + rng.normal(0, 1, n), 500 + rng.normal(0, 1, n),
                             40000 + rng.normal(0, 1, n)])
    return _write(tmp_path / "SW_OPER_MAGA_LR_1B_20160311T000000_20160311T235959_0602_MDR_MAG_LR.cdf",
                  "MAGA_LR_1B", {"F": (np.linalg.norm(b_nec, axis=1), "nT"), "B_NEC": (b_nec, "nT"),
                                 "Flags_F": (np.ones(n, np.uint16), "-")}, n, 1.0)


def test_mag_lr_file_reads_into_the_track_model(mag_lr: Path) -> None:
    ds = swarm.read(mag_lr)
    check_track(ds)
    assert ds.attrs["mission"] == "Swarm A" and ds.attrs["product"] == "MAGA_LR_1B"
    assert ds.sizes["time"] == 5700
    assert ds["time"].values[0] == np.datetime64("2016-03-11T00:00:00")
    assert ds["time"].values[1] - ds["time"].values[0] == np.timedelta64(1, "s")
    np.testing.assert_allclose(ds["f"].values, np.sqrt(ds["b_n"] ** 2 + ds["b_e"] ** 2
                                                       + ds["b_c"] ** 2))
    assert ds["b_c"].attrs["units"] == "nT" and ds["Flags_F"].values[0] == 1
    # Radius (m) → height above 6371.2 km: 460 km ± 5 km
    assert 454.9 < float(ds["alt_km"].min()) < float(ds["alt_km"].max()) < 465.1
    # starts at the ascending node: orbit 12880 for one period, then 12881
    assert ds["orbit"].values[0] == 12880 and ds["orbit"].values[-1] == 12881
    assert ds["direction"].values[10] == 1
    # half-orbits: ascending to the north turning point, descending, ascending again
    assert len(np.unique(ds["half_orbit"].values)) == 3
    assert ds["mag_lat"].attrs["source"].startswith("centred dipole")


def test_efi_lp_file_reads_ne_te_vs(tmp_path: Path) -> None:
    n = 1200  # 10 min at 2 Hz
    ne = np.full(n, 3.2e5)
    te = np.full(n, 1800.0)
    vs = np.full(n, -2.1)
    path = _write(tmp_path / "SW_OPER_EFIA_LP_1B_20160311T000000_20160311T235959_0602_MDR_EFI_LP.cdf",
                  "EFIA_LP_1B", {"Ne": (ne, "cm^-3"), "Te": (te, "K"), "Vs": (vs, "V"),
                                 "Ne_error": (ne * 0.01, "cm^-3")}, n, 0.5)
    ds = swarm.read(path)
    check_track(ds)
    assert ds["ne"].values[0] == 3.2e5 and ds["ne"].attrs["units"] == "cm^-3"
    assert ds["te"].attrs["units"] == "K" and ds["vs"].values[5] == -2.1
    assert ds["Ne_error"].values[0] == pytest.approx(3.2e3)
    assert ds["time"].values[1] - ds["time"].values[0] == np.timedelta64(500, "ms")
    assert registry.read(path).attrs["product"] == "EFIA_LP_1B"


def test_real_calibration_file_is_reported_not_read_as_a_series(shared_data: Path) -> None:
    path = shared_data / CALIBRATION
    with pytest.raises(SwarmError, match=r"a Swarm MAGA_HR_1B ASM-VFM in-flight calibration "
                                         r"record \(Bias, Scale, Non_orth; 1 record\), not a time "
                                         r"series; read it with .*read_calibration"):
        swarm.read(path)
    cal = swarm.read_calibration(path)
    # values copied from the CDF: Bias[0], Scale[0], Non_orth[0], Rms[0], Samples[0]
    np.testing.assert_allclose(cal["bias"].values, [0.788, -1.609, 0.527], rtol=0, atol=1e-12)
    assert cal["bias"].attrs["units"] == "nT" and cal["non_orth"].attrs["units"] == "mdeg"
    assert cal["non_orth"].values[1] == -1.3744
    assert float(cal["rms"]) == 0.3 and int(cal["samples"]) == 87010
    assert cal.attrs["valid_from"].startswith("2015-12-01")  # Timestamp[0] = 6.36161472e13 ms
    assert cal.attrs["valid_to"].startswith("2016-04-01")
    assert registry.read(path).attrs["title"].endswith("(not a time series)")


def test_cdf_without_positions_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "SW_OPER_XXXA_1B.cdf"
    cdf = CDF(str(path), delete=True)
    cdf.write_var(_var("Other", CDF.CDF_DOUBLE, []), var_attrs={"UNITS": "-"},
                  var_data=np.ones(3))
    cdf.close()
    with pytest.raises(SwarmError, match="expected variables Timestamp, Latitude, Longitude, "
                                         "Radius; missing Timestamp, Latitude, Longitude, Radius"):
        swarm.read(path)
    bad = tmp_path / "SW_bad.cdf"
    bad.write_bytes(b"not a cdf")
    with pytest.raises(SwarmError, match="not a readable CDF file"):
        swarm.read(bad)


@pytest.mark.parametrize("offset", [2231, 2910, 3783, 4462, 5917, 6111])
def test_a_damaged_file_is_one_error_line_under_info(shared_data: Path, tmp_path: Path,
                                                     offset: int) -> None:
    # Four bytes overwritten: cdflib raised MemoryError, TypeError, OverflowError or
    # ValueError, and `ionoquake info` printed a traceback.
    from typer.testing import CliRunner

    from ionoquake.cli import app

    raw = bytearray((shared_data / CALIBRATION).read_bytes())
    raw[offset:offset + 4] = b"\xff\xff\xff\x7f"
    path = tmp_path / Path(CALIBRATION).name
    path.write_bytes(bytes(raw))
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "not a readable CDF file, damaged or truncated" in result.output
