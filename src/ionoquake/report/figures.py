"""Matplotlib figures: TEC maps over an offline coastline, series at a point.

The coastline is Natural Earth 1:110m land (public domain), as GeoJSON built
from the npm package ``world-atlas`` 2.0.2 (ISC licence); it ships inside the
package, so no figure needs the network.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


@cache
def land_rings() -> tuple[np.ndarray, ...]:
    """The outer rings of the Natural Earth 110m land polygons, as (n, 2) lon/lat arrays."""
    text = resources.files("ionoquake.report").joinpath("land_110m.geojson").read_text()
    rings: list[np.ndarray] = []
    for feature in json.loads(text)["features"]:
        geom = feature["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings.extend(np.asarray(poly[0], dtype=float) for poly in polys)
    return tuple(rings)


def _coastline(ax: plt.Axes) -> None:
    for ring in land_rings():
        ax.plot(ring[:, 0], ring[:, 1], color="0.15", linewidth=0.5)


def circle_outline(lat_deg: float, lon_deg: float, radius_km: float,
                   n: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (degrees) of the small circle at ``radius_km`` around a point
    on a sphere of radius 6371 km; longitudes wrapped to -180..180 with NaN at the jump."""
    d = radius_km / 6371.0
    phi1, lam1 = np.radians(lat_deg), np.radians(lon_deg)
    az = np.linspace(0, 2 * np.pi, n)
    phi2 = np.arcsin(np.sin(phi1) * np.cos(d) + np.cos(phi1) * np.sin(d) * np.cos(az))
    lam2 = lam1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(phi1),
                             np.cos(d) - np.sin(phi1) * np.sin(phi2))
    lats = np.degrees(phi2)
    lons = (np.degrees(lam2) + 180.0) % 360.0 - 180.0
    jumps = np.flatnonzero(np.abs(np.diff(lons)) > 180) + 1
    return np.insert(lats, jumps, np.nan), np.insert(lons, jumps, np.nan)


def save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save a figure as PNG (150 dpi) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
