"""Space-time clusters: labels against a slow flood-fill reference, the dateline, time gaps,
and a planted block on the real JPL cube."""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.clusters import CLUSTER_COLUMNS, anomaly_clusters, label_clusters
from tests.detect.jpl_maps import jpl_maps


def flood_fill(mask: np.ndarray, wrap: bool) -> np.ndarray:
    """Obviously correct: breadth-first search over the 6 face neighbours, longitude wrapping."""
    labels = np.zeros(mask.shape, int)
    n = 0
    nt, ny, nx = mask.shape
    for start in zip(*np.nonzero(mask), strict=True):
        if labels[start]:
            continue
        n += 1
        labels[start] = n
        queue = deque([start])
        while queue:
            t, y, x = queue.popleft()
            for dt, dy, dx in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
                tt, yy, xx = t + dt, y + dy, x + dx
                if wrap:
                    xx %= nx
                if 0 <= tt < nt and 0 <= yy < ny and 0 <= xx < nx and mask[tt, yy, xx] \
                        and not labels[tt, yy, xx]:
                    labels[tt, yy, xx] = n
                    queue.append((tt, yy, xx))
    return labels


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a[a > 0].tolist(), b[b > 0].tolist(), strict=True))
    return (np.array_equal(a > 0, b > 0) and len(pairs) == len(np.unique(a[a > 0]))
            == len(np.unique(b[b > 0])))


@settings(max_examples=60, deadline=None)
@given(mask=arrays(bool, st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 7))),
       wrap=st.booleans())
def test_labels_match_a_flood_fill(mask: np.ndarray, wrap: bool) -> None:
    labels, n = label_clusters(mask, wrap_lon=wrap)
    ref = flood_fill(mask, wrap)
    assert n == ref.max()
    assert same_partition(labels, ref)
    assert set(np.unique(labels[labels > 0])) == set(range(1, n + 1))


def _dataset(positive: np.ndarray, lon: np.ndarray, times: pd.DatetimeIndex) -> xr.Dataset:
    lat = np.arange(positive.shape[1]) * 2.5 - 10
    dims = ("time", "lat", "lon")
    zeros = np.zeros(positive.shape, np.float32)
    return xr.Dataset({"positive": (dims, positive), "negative": (dims, np.zeros_like(positive)),
                       "dtec": (dims, zeros + positive * 5), "dtec_percent": (dims, zeros),
                       "severity": (dims, zeros + positive * 2),
                       "geomag": ("time", np.zeros(len(times), np.int8))},
                      coords={"time": times, "lat": lat, "lon": lon})


def test_a_cluster_across_the_dateline_is_one_and_180_is_not_counted_twice() -> None:
    lon = np.arange(-180, 181, 5.0)  # 73 columns, -180 and 180 the same meridian
    mask = np.zeros((3, 4, 73), bool)
    mask[1, 1, [71, 72, 0, 1]] = True  # 175E, 180, -180, 175W
    table = anomaly_clusters(_dataset(mask, lon, pd.date_range("2001-01-01", periods=3,
                                                               freq="2h")))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["lon_west"], row["lon_east"], row["n_cells"]) == (175.0, -175.0, 3)
    assert tuple(table.columns) == CLUSTER_COLUMNS


def test_a_missing_map_splits_a_cluster_in_time() -> None:
    lon = np.arange(-180, 180, 5.0)
    times = pd.DatetimeIndex(["2001-01-01T01", "2001-01-01T03", "2001-01-01T07"])  # 05 missing
    mask = np.zeros((3, 3, 72), bool)
    mask[:, 1, 10] = True
    table = anomaly_clusters(_dataset(mask, lon, times))
    assert table["n_epochs"].tolist() == [2, 1]
    assert table["duration_h"].tolist() == [2.0, 0.0]


def test_planted_block_on_real_maps_is_one_cluster_with_its_extent() -> None:
    maps = jpl_maps().isel(lat=slice(30, 50)).copy(deep=True)
    block = {"time": slice("2000-12-26T05:00", "2000-12-26T11:00"), "lat": slice(10, 20),
             "lon": slice(-100, -80)}
    maps["tec"].loc[block] += 60.0
    table = anomaly_clusters(detect_anomalies(maps))
    hit = table[(table["sign"] == 1) & (table["start"] <= "2000-12-26T05:00")
                & (table["end"] >= "2000-12-26T11:00") & (table["lat_min"] <= 10)
                & (table["lat_max"] >= 20)]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert row["lon_west"] <= -100 and row["lon_east"] >= -80
    assert row["n_cells"] >= 4 * 5 * 5
    assert -100 <= row["peak_lon"] <= -80 and 10 <= row["peak_lat"] <= 20
    assert row["geomag"] == "unknown"  # no index table given
