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


def lat_text(lat: float) -> str:
    """``35.02°S`` for -35.02."""
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'}"


def lon_text(lon: float) -> str:
    """``94.78°W`` for -94.78."""
    return f"{abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def time_text(t: object, unit: str = "s") -> str:
    """A UTC time for a title: ``2001-01-13 17:33:32 UTC`` (no fractions of a second)."""
    import pandas as pd

    return pd.Timestamp(str(t)).strftime("%Y-%m-%d %H:%M" if unit == "m"
                                         else "%Y-%m-%d %H:%M:%S") + " UTC"


def geo_axes(ax: plt.Axes, *, left: bool = True, bottom: bool = True) -> None:
    """A global lon/lat map frame: −180..180 × −90..90, ticks in degrees E/W and N/S, axis
    labels on the outer panels, the bundled coastline."""
    from matplotlib.ticker import FuncFormatter

    _coastline(ax)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(np.arange(-180, 181, 60))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: "180°" if abs(v) == 180 else "0°" if v == 0
        else f"{abs(v):.0f}°{'E' if v > 0 else 'W'}"))
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: "0°" if v == 0 else f"{abs(v):.0f}°{'N' if v > 0 else 'S'}"))
    ax.tick_params(labelsize=8)
    if bottom:
        ax.set_xlabel("longitude", fontsize=8)
    if left:
        ax.set_ylabel("latitude", fontsize=8)
    ax.set_aspect("equal")


def caption(fig: Figure, text: str) -> None:
    """A caption in words under the figure (wrapped to its width)."""
    import textwrap

    width = int(fig.get_figwidth() * 14)
    fig.text(0.01, 0.0, textwrap.fill(text, width), ha="left", va="top", fontsize=8,
             color="0.2", wrap=True)


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
    fig.savefig(path, dpi=150, bbox_inches="tight", pad_inches=0.15)  # keeps the caption
    plt.close(fig)
    return path
