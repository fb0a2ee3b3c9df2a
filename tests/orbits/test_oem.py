"""CCSDS OEM (KVN) export: written, parsed back, numbers equal to SGP4's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.orbits.oem import OemError, oem_segments, read_oem, write_oem
from ionoquake.orbits.sgp4 import teme_states
from ionoquake.sources import tle


@pytest.fixture(scope="module")
def tles(bundled_data: Path) -> pd.DataFrame:
    table = tle.read(bundled_data / "tle" / "celestrak_science_20191118.tle")
    return table[table["norad_id"].isin([43194, 39452])].reset_index(drop=True)


def test_an_oem_round_trips_to_a_millimetre(tles: pd.DataFrame, tmp_path: Path) -> None:
    segments = oem_segments(tles, "2019-11-18", "2019-11-18T01:00", step_s=60.0)
    path = write_oem(segments, tmp_path / "orbits.oem")
    text = path.read_text()
    assert text.startswith("CCSDS_OEM_VERS = 3.0\n")
    assert "REF_FRAME = TEME" in text and "CENTER_NAME = EARTH" in text
    back = read_oem(path)
    back = sorted(back, key=lambda s: s.object_name != "ZHANGZHENG-1 (CSES)")
    assert [s.object_name for s in back] == ["ZHANGZHENG-1 (CSES)", "SWARM A"]
    assert back[0].object_id == "2018-015C"
    for seg in back:
        assert seg.times.size == 61
        assert seg.times[0] == np.datetime64("2019-11-18T00:00")
    cses = tles[tles["norad_id"] == 43194]
    r, v, _ = teme_states(cses, back[0].times)
    np.testing.assert_allclose(back[0].r_km, r, atol=1e-6)  # 1 mm (6 decimals)
    np.testing.assert_allclose(back[0].v_km_s, v, atol=1e-9)


def test_a_broken_ephemeris_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.oem"
    path.write_text("CCSDS_OEM_VERS = 3.0\nMETA_START\nOBJECT_NAME = X\nOBJECT_ID = 1\n"
                    "REF_FRAME = TEME\nTIME_SYSTEM = UTC\nMETA_STOP\n"
                    "2019-11-18T00:00:00.000 1 2 3\n")
    with pytest.raises(OemError, match="bad.oem line 8: expected epoch and 6"):
        read_oem(path)
    path.write_text("hello\n")
    with pytest.raises(OemError, match="bad.oem line 1: expected CCSDS_OEM_VERS"):
        read_oem(path)
