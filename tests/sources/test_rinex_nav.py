"""RINEX 2/3/4 broadcast navigation: equal to georinex on every file it reads, and bad input.

The reference is ``georinex.load(path)`` (georinex 1.16). georinex's variable order in
RINEX 3 follows a Python ``set`` of satellites (it changes from run to run), so variables
are compared as a set; values must be equal, NaN where georinex has NaN. georinex does
not read RINEX 4 (``LookupError``); that file is checked against lines copied from it.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionoquake.sources import registry, rinex_nav
from ionoquake.sources.rinex_text import RinexError

GEORINEX_READS = [
    "georust/NAV_V2_cbw10010.21n.gz",
    "georust/NAV_V3_AMEL00NLD_R_20210010000_01D_MN.rnx",
    "georust/NAV_V3_CBW100NLD_R_20210010000_01D_MN.rnx",
    "rtklib/07590920.05n",
    "rtklib/30400920.05n",
    "rtklib/brdc1820.10n",
    "pygnss_tec_2024-01-10/brdc0100.24g.gz",
    "pygnss_tec_2024-01-10/brdc0100.24n.gz",
]
V4 = "georust/NAV_V4_KMS300DNK_R_20221591000_01H_MN.rnx.gz"


@pytest.mark.parametrize("name", GEORINEX_READS)
def test_equal_to_georinex_value_for_value(name: str, shared_data: Path) -> None:
    import georinex

    path = shared_data / "rinex" / name
    ours = rinex_nav.read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = georinex.load(path)
    assert set(ours.data_vars) == set(ref.data_vars)
    assert ours.sv.values.tolist() == ref.sv.values.tolist()
    assert np.array_equal(ours.time.values, ref.time.values)
    for var in ref.data_vars:
        a, b = ours[var].values, ref[var].values
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        assert same.all(), f"{var}: {np.count_nonzero(~same)} values differ"
    assert ours.attrs["svtype"] == list(ref.attrs["svtype"])
    assert ours.attrs["version"] == ref.attrs["version"]
    assert ours.attrs["duplicates"] == 0
    if "ionospheric_corr_GPS" in ref.attrs:
        assert np.array_equal(ours.attrs["ionospheric_corr_GPS"], ref.attrs["ionospheric_corr_GPS"])


def test_glonass_frequency_channels(shared_data: Path) -> None:
    """brdc0100.24g: R01 channel 1, R02 -4 (the 11th field, line 3 col 61 of each record),
    the same as the GLONASS SLOT / FRQ # header of the BELE observations that day."""
    ds = rinex_nav.read(shared_data / "rinex/pygnss_tec_2024-01-10/brdc0100.24g.gz")
    channels = ds.attrs["glonass_channels"]
    assert (channels["R01"], channels["R02"], channels["R03"], channels["R10"]) == (1, -4, 5, -7)
    # first record, copied from the file: " 1 24  1 10  0 15  0.0 0.741844996810D-04 ..."
    first = ds.sel(sv="R01", time="2024-01-10T00:15")
    assert first.SVclockBias.item() == 0.741844996810e-04
    assert first.X.item() == 0.141816733398e05 * 1e3  # km in the file, m here (as georinex)
    assert first.dX.item() == 0.237214183807e01 * 1e3


def test_rinex4_legacy_messages_read_others_skipped(shared_data: Path) -> None:
    ds = rinex_nav.read(shared_data / "rinex" / V4)
    assert ds.attrs["version"] == 4.0
    assert set(ds.attrs["svtype"]) >= {"G", "R", "E", "C"}
    assert "STO" in ds.attrs["skipped"] and "ION" in ds.attrs["skipped"]
    # "> EPH R03 FDMA" / "R03 2022 06 08 09 45 00 5.807634443045E-05 ..." (copied from the file)
    r03 = ds.sel(sv="R03", time="2022-06-08T09:45:00")
    assert r03.SVclockBias.item() == 5.807634443045e-05
    assert r03.X.item() == -1.158823828125e04 * 1e3
    assert r03.FreqNum.item() == 5.0


def test_registry_sniffs_navigation_files(shared_data: Path) -> None:
    for name in [*GEORINEX_READS, V4]:
        found = registry.sniff(shared_data / "rinex" / name)
        assert found is not None and found.name == "rinex-nav", name
    meteo = registry.sniff(shared_data / "rinex/georust/MET_V3_POTS00DEU_R_20232540000_01D_05M_MM.rnx.gz")
    assert meteo is None or meteo.name != "rinex-nav"


def test_observation_file_is_refused(shared_data: Path) -> None:
    with pytest.raises(RinexError, match=r"07590920.05o line 1: RINEX file type 'O.*' is not "
                                         r"NAVIGATION DATA"):
        rinex_nav.read(shared_data / "rinex/rtklib/07590920.05o")


def test_truncated_record_and_bad_number(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "rinex/rtklib/07590920.05n").read_text().splitlines()
    body = next(i for i, x in enumerate(lines) if "END OF HEADER" in x) + 1
    cut = tmp_path / "cut.05n"
    cut.write_text("\n".join(lines[:body + 5]) + "\n")
    with pytest.raises(RinexError, match=rf"cut.05n line {body + 5}: file ends inside the record "
                                         rf"of line {body + 1}"):
        rinex_nav.read(cut)
    lines[body + 1] = lines[body + 1][:4] + "1.40000000x000D+02" + lines[body + 1][22:]
    bad = tmp_path / "bad.05n.gz"
    bad.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with pytest.raises(RinexError, match=rf"bad.05n.gz line {body + 2}: G field IODE .* is not a "
                                         "number"):
        rinex_nav.read(bad)


def test_layout_matches_the_georinex_navigation_dataset(shared_data: Path) -> None:
    ds = rinex_nav.read(shared_data / "rinex/georust/NAV_V3_CBW100NLD_R_20210010000_01D_MN.rnx")
    assert isinstance(ds, xr.Dataset)
    assert ds.sqrtA.dims == ("time", "sv")
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    assert ds.attrs["rinextype"] == "nav"
