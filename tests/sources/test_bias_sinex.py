"""Bias-SINEX DCB files (CAS and GFZ, 2024-01-10): records, satellite DCBs in ns and TECU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionoquake.errors import InputError
from ionoquake.sources import bias_sinex, registry
from ionoquake.sources.rinex_text import RinexError

DAY = "rinex/pygnss_tec_2024-01-10"
CAS = f"{DAY}/CAS0OPSRAP_20240100000_01D_01D_DCB.BIA.gz"
GFZ = f"{DAY}/GFZ0OPSRAP_20240100000_01D_01D_DCB.BIA.gz"


def test_records_copied_from_the_file(shared_data: Path) -> None:
    table = bias_sinex.read(shared_data / CAS)
    assert list(table.columns) == bias_sinex.COLUMNS
    # " DSB  G063 G01           C1C  C1W  2024:010:00000 2024:011:00000 ns  -0.9030  0.0060"
    first = table.iloc[0]
    assert (first.prn, first.station, first.obs1, first.obs2) == ("G01", "", "C1C", "C1W")
    assert (first.value_ns, first.std_ns) == (-0.9030, 0.0060)
    assert first.start == np.datetime64("2024-01-10") and first.end == np.datetime64("2024-01-11")
    assert table.attrs["time_system"] == "G" and table.attrs["agency"] == "CAS"
    receivers = table[table.station != ""]
    assert len(receivers) and (receivers.station.str.len() == 4).all()


def test_satellite_dcb_in_ns_and_tecu(shared_data: Path) -> None:
    cas = bias_sinex.read(shared_data / CAS)
    # " DSB  G050 G05           C1C  C2W  2024:010:00000 2024:011:00000 ns   2.8870  0.0190"
    dcb = bias_sinex.satellite_dcb(cas, "G05", "C1C", "C2W", "2024-01-10T12:00")
    assert (dcb.ns, dcb.std_ns, dcb.how) == (2.887, 0.019, "direct")
    # 1 ns of GPS P1-P2 bias is 2.854 TECU (c / (40.3e16 (1/f2^2 - 1/f1^2)), f1 1575.42 MHz,
    # f2 1227.60 MHz; the "~2.85 TECU/ns" of Sardón et al. 1994)
    assert bias_sinex.ns_to_tecu(1.0, "G", "1", "2") == pytest.approx(2.854, abs=5e-4)
    assert dcb.tecu == pytest.approx(2.887 * 2.8539, rel=1e-4)
    reversed_ = bias_sinex.satellite_dcb(cas, "G05", "C2W", "C1C", "2024-01-10T12:00")
    assert reversed_.ns == -2.887 and reversed_.how == "reversed"
    gfz = bias_sinex.read(shared_data / GFZ)
    # GFZ has only C1W-C2W for GPS: C1C-C2W is not there, and nothing to chain through
    with pytest.raises(InputError, match="no satellite DCB C1C-C2W for G05"):
        bias_sinex.satellite_dcb(gfz, "G05", "C1C", "C2W", "2024-01-10T12:00")
    # chained: CAS C1C-C1W (-0.761) + C1W-C2W (4.116) for G05; CAS also has it directly
    w = bias_sinex.satellite_dcb(cas[~((cas.obs1 == "C1C") & (cas.obs2 == "C2W"))], "G05",
                                 "C1C", "C2W", "2024-01-10T12:00")
    assert w.how == "via C1W" and w.ns == pytest.approx(-0.761 + 4.116)
    with pytest.raises(InputError, match="no satellite DCB"):
        bias_sinex.satellite_dcb(cas, "G05", "C1C", "C2W", "2024-01-12T00:00")


def test_glonass_needs_its_channel(shared_data: Path) -> None:
    cas = bias_sinex.read(shared_data / CAS)
    with pytest.raises(InputError, match="frequency channel"):
        bias_sinex.satellite_dcb(cas, "R01", "C1C", "C2C", "2024-01-10T12:00")
    dcb = bias_sinex.satellite_dcb(cas, "R01", "C1C", "C2C", "2024-01-10T12:00",
                                   glonass_channel=1)
    assert np.isfinite(dcb.tecu)


def test_registry_and_bad_input(shared_data: Path, tmp_path: Path) -> None:
    for name in (CAS, GFZ):
        found = registry.sniff(shared_data / name)
        assert found is not None and found.name == "bias-sinex"
    import gzip

    lines = gzip.decompress((shared_data / CAS).read_bytes()).decode().splitlines()
    row = next(i for i, x in enumerate(lines) if x.startswith(" DSB"))
    lines[row] = lines[row][:70] + "          -0.9x30" + lines[row][87:]
    bad = tmp_path / "bad.BIA"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(RinexError, match=rf"bad.BIA line {row + 1}: bias value"):
        bias_sinex.read(bad)
