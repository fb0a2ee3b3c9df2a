"""JSON and GeoJSON renderings of tables and grids for the API.

Times are written by :func:`ionoquake.times.iso_utc` (``YYYY-MM-DDTHH:MM:SS.fffZ``), so
``pandas.to_datetime`` reads every time column of every answer without a format. GeoJSON
follows RFC 7946: [longitude, latitude] positions, exterior rings counter-clockwise and
closed once, nothing across the antimeridian (grid cells end on ±180).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.times import iso_utc, iso_utc_series


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | np.datetime64):
        return iso_utc(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (times ISO 8601 UTC with Z, NaN as null)."""
    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = iso_utc_series(out[column]).to_numpy()
    return [{str(k): _plain(v) for k, v in row.items()} for row in out.to_dict("records")]


def times(values: Any) -> list[str | None]:
    """A sequence of times as :func:`~ionoquake.times.iso_utc` strings."""
    return list(iso_utc_series(pd.Series(np.asarray(values))))


def events_geojson(page: dict[str, Any]) -> dict[str, Any]:
    """A page of events as a GeoJSON FeatureCollection of points (lon, lat, -depth km)."""
    features = []
    for item in page["items"]:
        coords = [item["longitude"], item["latitude"]]
        features.append({"type": "Feature", "id": item["event_id"],
                         "geometry": {"type": "Point", "coordinates": coords},
                         "properties": item})
    return {"type": "FeatureCollection", "features": features,
            "total": page["total"], "limit": page["limit"], "offset": page["offset"]}


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A lon-lat box as RFC 7946 geometry: split at 180° when ``west > east``; a line or a
    point when it has no width or height (a cluster of cells along one row or column)."""
    parts = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
    parts = [(w, e) for w, e in parts if not (w == e == 180.0 or w == e == -180.0)] or parts
    if south == north or any(w == e for w, e in parts):
        lines = [[[w, south], [e, north]] if (w, south) != (e, north) else [[w, south]]
                 for w, e in parts]
        if all(len(line) == 1 for line in lines):
            return {"type": "Point", "coordinates": lines[0][0]}
        lines = [line for line in lines if len(line) == 2]
        return ({"type": "LineString", "coordinates": lines[0]} if len(lines) == 1
                else {"type": "MultiLineString", "coordinates": lines})
    rings = [[[w, south], [e, south], [e, north], [w, north], [w, south]] for w, e in parts]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings}
    return {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}


def clusters_geojson(page: dict[str, Any]) -> dict[str, Any]:
    """A page of clusters as GeoJSON: each its lat-lon extent (split at 180° if it crosses)."""
    features = []
    for item in page["items"]:
        geometry = None
        if None not in (item["lon_west"], item["lat_min"], item["lon_east"], item["lat_max"]):
            geometry = _box(item["lon_west"], item["lat_min"], item["lon_east"],
                            item["lat_max"])
        features.append({"type": "Feature", "id": item["cluster_id"], "geometry": geometry,
                         "properties": item})
    return {"type": "FeatureCollection", "features": features,
            "total": page["total"], "limit": page["limit"], "offset": page["offset"]}


def grid_geojson(grid: xr.DataArray) -> dict[str, Any]:
    """A (lat, lon) grid as GeoJSON cells (polygons centred on the grid points)."""
    lat = grid["lat"].values
    lon = grid["lon"].values
    dlat = float(np.abs(np.diff(lat)).min()) if len(lat) > 1 else 1.0
    dlon = float(np.abs(np.diff(lon)).min()) if len(lon) > 1 else 1.0
    values = grid.transpose("lat", "lon").values
    features = []
    for i, la in enumerate(lat):
        for j, lo in enumerate(lon):
            v = values[i, j]
            if not np.isfinite(v):
                continue
            s, n = max(la - dlat / 2, -90.0), min(la + dlat / 2, 90.0)
            w, e = max(lo - dlon / 2, -180.0), min(lo + dlon / 2, 180.0)
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            features.append({"type": "Feature",
                             "geometry": {"type": "Polygon", "coordinates": [ring]},
                             "properties": {"value": round(float(v), 2), "lat": float(la),
                                            "lon": float(lo)}})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"time": iso_utc(grid["time"].values) if "time" in grid.coords
                           else None, "units": grid.attrs.get("units", "")}}
