"""Space-time clusters of anomalous map cells, as a table.

Anomalous cells (``positive`` or ``negative`` of
:func:`ionoquake.detect.anomalies.detect_anomalies`) that touch in time, latitude or
longitude form one cluster: connected-component labelling (``scipy.ndimage.label``) of
the ``(time, lat, lon)`` mask, positive and negative anomalies apart. Longitude wraps
around on a global grid (the duplicated 180° column of IONEX grids, equal to -180°, is
left out so that no cell counts twice); epochs are neighbours only if no map is missing
between them.

The table has one row per cluster, columns :data:`CLUSTER_COLUMNS`, times naive
UTC, angles in degrees, areas in km² (cells on a sphere of radius 6371 km).
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ionoquake.detect.quiet import CLASSES

EARTH_RADIUS_KM = 6371.0
CLUSTER_COLUMNS = (
    "cluster", "sign", "start", "end", "duration_h", "n_epochs", "n_cells", "max_area_km2",
    "lat_min", "lat_max", "lon_west", "lon_east", "peak_time", "peak_lat", "peak_lon",
    "peak_dtec", "peak_dtec_percent", "peak_severity", "geomag", "disturbed_fraction")
#: Units and meaning of each of :data:`CLUSTER_COLUMNS` (``docs/data.md`` is made of these).
CLUSTER_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "cluster": ("1", "cluster number, 1.. in order of start (and positive first)"),
    "sign": ("1", "+1 positive (TEC above the upper bound), -1 negative (below the lower)"),
    "start": ("UTC", "first epoch of the cluster"),
    "end": ("UTC", "last epoch of the cluster"),
    "duration_h": ("h", "end minus start (0 for one map)"),
    "n_epochs": ("1", "epochs with at least one cell of the cluster"),
    "n_cells": ("1", "cell-epochs of the cluster"),
    "max_area_km2": ("km2", "largest area of the cluster at one epoch (6371 km sphere)"),
    "lat_min": ("degrees_north", "southernmost cell centre"),
    "lat_max": ("degrees_north", "northernmost cell centre"),
    "lon_west": ("degrees_east", "western edge: the extent runs east from here (may cross 180°)"),
    "lon_east": ("degrees_east", "eastern edge of the extent"),
    "peak_time": ("UTC", "epoch of the peak cell (largest |dtec|)"),
    "peak_lat": ("degrees_north", "latitude of the peak cell"),
    "peak_lon": ("degrees_east", "longitude of the peak cell"),
    "peak_dtec": ("TECU", "TEC minus background at the peak cell"),
    "peak_dtec_percent": ("%", "peak_dtec relative to the background"),
    "peak_severity": ("1", "peak_dtec in units of the distance from background to bound"),
    "geomag": ("", "disturbed if any epoch is, quiet if all are, else unknown"),
    "disturbed_fraction": ("1", "fraction of the cluster's epochs that are disturbed"),
}


def global_longitudes(lon: npt.NDArray[np.float64]) -> tuple[bool, bool]:
    """``(wraps, duplicated)``: whether the grid closes around the globe, and whether its
    last column repeats the first (-180 and 180)."""
    if len(lon) < 2:
        return False, False
    step = float(np.median(np.diff(lon)))
    span = float(lon[-1] - lon[0])
    duplicated = bool(np.isclose(span, 360.0))
    return duplicated or bool(np.isclose(span + step, 360.0)), duplicated


def segment_starts(times: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    """Indices where a run of evenly spaced epochs starts (after a gap longer than 1.5 times
    the shortest step, the map interval)."""
    if len(times) < 2:
        return np.array([0], np.int64)
    step = np.diff(times.astype("datetime64[s]").astype(np.int64))
    return np.concatenate([[0], np.flatnonzero(step > 1.5 * step.min()) + 1])


def label_clusters(mask: npt.NDArray[np.bool_], *, wrap_lon: bool = True,
                   starts: npt.NDArray[np.int64] | None = None,
                   connectivity: int = 1) -> tuple[npt.NDArray[np.int32], int]:
    """Label the connected ``True`` cells of a ``(time, lat, lon)`` mask.

    Parameters
    ----------
    mask
        Anomalous cells.
    wrap_lon
        Connect the first and last longitude columns.
    starts
        Time indices that begin a new run (no neighbour before them); default none.
    connectivity
        1: cells sharing a face (6 neighbours); 2: also an edge; 3: also a corner.

    Returns
    -------
    labels, n
        ``labels`` 0 outside clusters, 1..n numbered by first epoch.
    """
    structure = ndimage.generate_binary_structure(3, connectivity)
    labels = np.zeros(mask.shape, np.int32)
    bounds = [*([] if starts is None else list(starts)), 0, mask.shape[0]]
    edges = sorted(set(bounds))
    n = 0
    for a, b in itertools.pairwise(edges):
        part, count = ndimage.label(mask[a:b], structure=structure)
        labels[a:b] = np.where(part > 0, part + n, 0)
        n += count
    if wrap_lon and n and mask.shape[2] > 1:
        labels, n = _merge_across_dateline(labels, n, structure)
    return labels, n


def _merge_across_dateline(labels: npt.NDArray[np.int32], n: int,
                           structure: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int32], int]:
    first, last = labels[:, :, 0], labels[:, :, -1]
    pairs = []
    for dt, dy in zip(*np.nonzero(structure[:, :, 0]), strict=True):  # neighbours across the seam
        dt, dy = dt - 1, dy - 1
        a = first[max(dt, 0):first.shape[0] + min(dt, 0), max(dy, 0):first.shape[1] + min(dy, 0)]
        b = last[max(-dt, 0):last.shape[0] + min(-dt, 0), max(-dy, 0):last.shape[1] + min(-dy, 0)]
        both = (a > 0) & (b > 0)
        pairs.append(np.stack([a[both], b[both]]))
    edges = np.concatenate(pairs, axis=1)
    if edges.size == 0:
        return labels, n
    graph = coo_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=(n + 1, n + 1))
    _, component = connected_components(graph, directed=False)
    # Renumber the merged components 1..m in order of their smallest old label (first epoch).
    first_label = np.full(component.max() + 1, n + 1)
    np.minimum.at(first_label, component[1:], np.arange(1, n + 1))
    order = np.argsort(first_label)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    new = np.concatenate([[0], rank[component[1:]] + 1]).astype(np.int32)
    return new[labels], len(np.unique(component[1:]))


def cell_areas_km2(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
                   ) -> npt.NDArray[np.float64]:
    """Areas (km²) of grid cells centred on ``lat`` (per latitude row, one longitude step)."""
    dlat = float(np.abs(np.median(np.diff(lat)))) if len(lat) > 1 else 180.0
    dlon = float(np.abs(np.median(np.diff(lon)))) if len(lon) > 1 else 360.0
    top = np.radians(np.clip(lat + dlat / 2, -90, 90))
    bottom = np.radians(np.clip(lat - dlat / 2, -90, 90))
    return EARTH_RADIUS_KM**2 * np.radians(dlon) * (np.sin(top) - np.sin(bottom))


def anomaly_clusters(anomalies: xr.Dataset, *, connectivity: int = 1,
                     min_cells: int = 1) -> pd.DataFrame:
    """The space-time clusters of positive and of negative anomalies, one row each.

    Parameters
    ----------
    anomalies
        The output of :func:`~ionoquake.detect.anomalies.detect_anomalies` on maps.
    connectivity
        As in :func:`label_clusters`.
    min_cells
        Leave out clusters of fewer cells (cell-epochs).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLUSTER_COLUMNS`: ``sign`` +1/-1; ``start``/``end`` first and
        last epoch, ``duration_h`` their distance (0 for one map), ``n_epochs``;
        ``n_cells`` cell-epochs, ``max_area_km2`` the largest area at one epoch;
        latitude extent and the longitude extent going east from ``lon_west`` to
        ``lon_east`` (it may cross 180°); the peak cell (largest ``|dtec|``);
        ``geomag`` ``"disturbed"`` if any of its epochs is, ``"quiet"`` if all are,
        else ``"unknown"``, and the fraction of its epochs that are disturbed.
    """
    lat = anomalies["lat"].values.astype(np.float64)
    lon = anomalies["lon"].values.astype(np.float64)
    wraps, duplicated = global_longitudes(lon)
    keep = slice(0, len(lon) - 1 if duplicated else len(lon))
    times = anomalies["time"].values
    starts = segment_starts(times)
    tables = []
    for sign, name in ((1, "positive"), (-1, "negative")):
        mask = anomalies[name].transpose("time", "lat", "lon").values[:, :, keep]
        labels, n = label_clusters(mask, wrap_lon=wraps, starts=starts,
                                   connectivity=connectivity)
        if n:
            tables.append(_describe(labels, sign, anomalies, lat, lon[keep], wraps))
    if not tables:
        return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, float)) for c in CLUSTER_COLUMNS})
    table = pd.concat(tables, ignore_index=True)
    table = table[table["n_cells"] >= min_cells].sort_values(["start", "sign"], ascending=[
        True, False], kind="stable").reset_index(drop=True)
    table["cluster"] = np.arange(1, len(table) + 1)
    return table.loc[:, list(CLUSTER_COLUMNS)]


_DTYPES = {"cluster": "int64", "sign": "int64", "start": "datetime64[ns]",
           "end": "datetime64[ns]", "peak_time": "datetime64[ns]", "n_epochs": "int64",
           "n_cells": "int64", "geomag": "object"}


def _describe(labels: npt.NDArray[np.int32], sign: int, anomalies: xr.Dataset,
              lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
              wraps: bool) -> pd.DataFrame:
    t, y, x = np.nonzero(labels)
    lab = labels[t, y, x]
    times = anomalies["time"].values
    cube = {v: anomalies[v].transpose("time", "lat", "lon").values for v in
            ("dtec", "dtec_percent", "severity")}
    cells = pd.DataFrame({"label": lab, "t": t, "y": y, "x": x,
                          "area": cell_areas_km2(lat, lon)[y],
                          **{v: cube[v][t, y, x] for v in cube}})
    groups = cells.groupby("label", sort=True)
    out = groups.agg(t0=("t", "min"), t1=("t", "max"), y0=("y", "min"), y1=("y", "max"),
                     n_cells=("t", "size"))
    out["n_epochs"] = cells.groupby(["label", "t"]).size().groupby("label").size()
    out["max_area_km2"] = cells.groupby(["label", "t"])["area"].sum().groupby("label").max()
    peak = cells.loc[cells["dtec"].abs().groupby(cells["label"]).idxmax()].set_index("label")
    west, east = _lon_extent(lab, x, len(lon), wraps, out.index.to_numpy())
    codes = anomalies["geomag"].values
    first = times[out["t0"].to_numpy()]
    table = pd.DataFrame({
        "sign": sign, "start": first, "end": times[out["t1"].to_numpy()],
        "duration_h": (times[out["t1"].to_numpy()] - first) / np.timedelta64(1, "h"),
        "n_epochs": out["n_epochs"].to_numpy(), "n_cells": out["n_cells"].to_numpy(),
        "max_area_km2": out["max_area_km2"].to_numpy(),
        "lat_min": lat[out["y0"].to_numpy()], "lat_max": lat[out["y1"].to_numpy()],
        "lon_west": lon[west], "lon_east": lon[east],
        "peak_time": times[peak["t"].to_numpy()], "peak_lat": lat[peak["y"].to_numpy()],
        "peak_lon": lon[peak["x"].to_numpy()], "peak_dtec": peak["dtec"].to_numpy(),
        "peak_dtec_percent": peak["dtec_percent"].to_numpy(),
        "peak_severity": peak["severity"].to_numpy()})
    epochs = cells[["label", "t"]].drop_duplicates()
    code = codes[epochs["t"].to_numpy()]
    epochs["disturbed"], epochs["quiet"] = code == 1, code == 0
    by = epochs.groupby("label", sort=True)
    disturbed = by["disturbed"].mean().to_numpy()
    all_quiet = by["quiet"].all().to_numpy()
    table["geomag"] = np.where(disturbed > 0, CLASSES[1],
                               np.where(all_quiet, CLASSES[0], CLASSES[2]))
    table["disturbed_fraction"] = disturbed
    return table


def _lon_extent(lab: npt.NDArray[np.int32], x: npt.NDArray[np.int64], n_lon: int, wraps: bool,
                labels: npt.NDArray[np.int64]) -> tuple[np.ndarray, np.ndarray]:
    """West and east longitude index of each cluster: the shortest eastward arc holding it."""
    occupied = np.zeros((int(labels.max()) + 1, n_lon), bool)
    occupied[lab, x] = True
    occupied = occupied[labels]
    west = np.argmax(occupied, axis=1)
    east = n_lon - 1 - np.argmax(occupied[:, ::-1], axis=1)
    if wraps:
        for i in np.flatnonzero(occupied[:, 0] & occupied[:, -1] & ~occupied.all(axis=1)):
            cols = np.flatnonzero(occupied[i])
            gaps = np.diff(cols)
            widest = int(np.argmax(gaps))  # the largest empty run is outside the cluster
            if gaps[widest] > 1:
                west[i], east[i] = cols[widest + 1], cols[widest]
    return west, east
