"""JSON and GeoJSON renderings of tables and grids for the API."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (timestamps in ISO 8601 UTC, NaN as null)."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict("records")]


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
            "properties": {"time": str(grid["time"].values)[:19] if "time" in grid.coords
                           else None, "units": grid.attrs.get("units", "")}}
