"""Receiver TEC of a network on a real Dask cluster equals the in-process result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ionoquake.scale.gnss import network_tec_on
from tests.conftest import SHARED_DATA
from tests.scale.conftest import Cluster

RTK = SHARED_DATA / "rinex/rtklib"


def test_two_geonet_receivers_on_two_workers_equal_in_process(cluster: Cluster) -> None:
    from distributed import Client

    files = [RTK / "07590920.05o", RTK / "30400920.05o"]
    local = network_tec_on(None, files, [RTK / "07590920.05n"])
    seen: list[Path] = []
    with Client(cluster.address, timeout="30s") as client:
        spread = network_tec_on(client, files, [RTK / "07590920.05n"], on_file=seen.append)
    assert seen == files
    assert sorted(spread["receiver"].values) == ["0759", "3040"]
    for name in ("stec", "vtec", "elevation", "ipp_lat", "ipp_lon", "arc"):
        np.testing.assert_array_equal(spread[name].values, local[name].values, err_msg=name)
    assert np.isfinite(spread["stec"].values).sum() > 1000
    xr.testing.assert_equal(spread["time"], local["time"])
