"""Evaluation's Monte Carlo on the cluster: the same nulls and p-values on 2 workers, 1, or none.

Anomalies: the positive cells with severity > 8 of the 55-day JPL series (N = 15,
quartile bounds); events: USGS ComCat M >= 5.5 of that period
(../shared/data/catalogs/usgs_comcat_M4.5_1999-2017/1999-2004.csv.gz).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.evaluate.epoch import superposed_epoch
from ionoquake.scale.montecarlo import ass_null_on, superposed_epoch_on
from ionoquake.sources import catalog
from ionoquake.store import maps
from tests.scale.conftest import Cluster

OPTIONS = {"day_edges": np.arange(-10.0, 6.0), "precursor_days": (-5.0, 0.0), "window_km": 1000.0,
           "nulls": ("random-times", "longitude-shift"), "n_null": 200, "n_bootstrap": 200,
           "seed": 7}


@pytest.fixture(scope="module")
def case(jpl_store: Path, shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ds = detect_anomalies(maps.open_maps(jpl_store, "jplg"))
    strong = (ds["positive"] & (ds["severity"] > 8)).values
    t, i, j = np.nonzero(strong)
    anomalies = pd.DataFrame({"time": ds["time"].values[t], "lat": ds["lat"].values[i],
                              "lon": ds["lon"].values[j]})
    quakes = catalog.read(shared_data / "catalogs/usgs_comcat_M4.5_1999-2017/1999-2004.csv.gz")
    events = quakes[(quakes["magnitude"] >= 5.5) & (quakes["time"] >= "2000-11-21")
                    & (quakes["time"] < "2001-01-15")]
    return anomalies, events


def test_nulls_on_two_workers_then_one_equal_the_in_process_ones(
        case: tuple[pd.DataFrame, pd.DataFrame], cluster: Cluster) -> None:
    from distributed import Client

    anomalies, events = case
    assert len(anomalies) > 1000 and len(events) > 5
    local = superposed_epoch(anomalies, events, **OPTIONS)  # type: ignore[arg-type]
    ass_local = ass_null_on(None, np.linspace(0, 1, 50), 12, 5000, seed=3)
    with Client(cluster.address, timeout="30s") as client:
        on_two = superposed_epoch_on(client, anomalies, events, **OPTIONS)
        ass_two = ass_null_on(client, np.linspace(0, 1, 50), 12, 5000, seed=3)
        cluster.kill(1)
        client.wait_for_workers(1)
        on_one = superposed_epoch_on(client, anomalies, events, **OPTIONS)
        ass_one = ass_null_on(client, np.linspace(0, 1, 50), 12, 5000, seed=3)
    assert on_two.to_dict() == local.to_dict() == on_one.to_dict()
    assert {t.p_value for t in on_two.tests.values()} == {t.p_value for t in local.tests.values()}
    assert np.array_equal(ass_two, ass_local) and np.array_equal(ass_one, ass_local)
