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


def test_other_cdf_is_refused(shared_data: Path) -> None:
    swarm = next((shared_data / "insitu/swarm").glob("*.cdf"))
    assert not gim_cdf.can_read(swarm)
    with pytest.raises(GimCdfError, match="no tec.*/Epoch/lat/lon variables"):
        gim_cdf.read(swarm)
