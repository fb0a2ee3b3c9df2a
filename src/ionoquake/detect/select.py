"""Select events from a catalogue table: time, magnitude, depth and region.

Regions are a latitude-longitude box (which may cross the antimeridian: a box
from 170°E to 170°W is given as ``min_longitude=170, max_longitude=-170``), a
polygon (vertices in degrees; edges are straight in longitude-latitude, and a
polygon spanning the antimeridian is unwrapped so that it works there too), or a
circle (great-circle distance, haversine, R = 6371.0 km).

The masks are plain numpy functions (:func:`in_box`, :func:`in_polygon`,
:func:`within_km`); :func:`select_events` applies them to the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.geo import great_circle_km

__all__ = ["in_box", "in_polygon", "select_events", "within_km"]

Box = tuple[float, float, float, float]
Circle = tuple[float, float, float]


def _wrap(longitude: NDArray[np.float64]) -> NDArray[np.float64]:
    """Longitudes into [-180, 180)."""
    return (longitude + 180.0) % 360.0 - 180.0


def in_box(latitude: ArrayLike, longitude: ArrayLike, box: Box) -> NDArray[np.bool_]:
    """True for points inside ``box = (min_lat, max_lat, min_lon, max_lon)`` (degrees).

    Edges are included. ``min_lon > max_lon`` means the box crosses the antimeridian.
    """
    min_lat, max_lat, min_lon, max_lon = (float(v) for v in box)
    if min_lat > max_lat:
        raise IonoquakeError(f"box: min latitude {min_lat} is above max latitude {max_lat}")
    lat = np.asarray(latitude, dtype=float)
    lon = np.asarray(longitude, dtype=float)
    if max_lon - min_lon >= 360.0:
        in_lon = np.isfinite(lon)
    else:
        # Eastward from the west edge: inside if no further than the box is wide.
        width = (max_lon - min_lon) % 360.0
        in_lon = (lon - min_lon) % 360.0 <= width
    return (lat >= min_lat) & (lat <= max_lat) & in_lon


def in_polygon(latitude: ArrayLike, longitude: ArrayLike,
               vertices: Sequence[tuple[float, float]]) -> NDArray[np.bool_]:
    """True for points inside the polygon of ``vertices`` = [(lat, lon), ...] (degrees).

    Even-odd rule with edges straight in longitude-latitude. Consecutive vertices
    are taken the short way round, so a polygon may span the antimeridian.
    """
    if len(vertices) < 3:
        raise IonoquakeError(f"polygon needs at least 3 vertices, got {len(vertices)}")
    v_lat = np.array([v[0] for v in vertices], dtype=float)
    v_lon = np.array([v[1] for v in vertices], dtype=float)
    # Unwrap: each vertex within 180 degrees of the previous one.
    v_lon = v_lon[0] + np.concatenate([[0.0], np.cumsum(_wrap(np.diff(v_lon)))])
    centre = (v_lon.min() + v_lon.max()) / 2.0
    lat = np.asarray(latitude, dtype=float)
    lon = centre + _wrap(np.asarray(longitude, dtype=float) - centre)
    inside = np.zeros(np.broadcast(lat, lon).shape, dtype=bool)
    for k in range(len(v_lat)):
        lat1, lon1 = v_lat[k - 1], v_lon[k - 1]
        lat2, lon2 = v_lat[k], v_lon[k]
        straddles = (lat1 > lat) != (lat2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
        inside ^= straddles & (lon < crossing)
    return inside


def within_km(latitude: ArrayLike, longitude: ArrayLike, circle: Circle) -> NDArray[np.bool_]:
    """True for points within ``circle = (lat, lon, radius_km)`` (great-circle distance)."""
    centre_lat, centre_lon, radius_km = circle
    if not radius_km >= 0:
        raise IonoquakeError(f"circle radius must be >= 0 km, got {radius_km}")
    distance = great_circle_km(latitude, longitude, centre_lat, centre_lon)
    return np.asarray(distance <= radius_km)


def select_events(
    catalog: pd.DataFrame,
    *,
    start: dt.datetime | str | None = None,
    end: dt.datetime | str | None = None,
    min_magnitude: float | None = None,
    max_magnitude: float | None = None,
    min_depth_km: float | None = None,
    max_depth_km: float | None = None,
    box: Box | None = None,
    polygon: Sequence[tuple[float, float]] | None = None,
    circle: Circle | None = None,
) -> pd.DataFrame:
    """The events of ``catalog`` that meet every criterion given.

    Parameters
    ----------
    catalog
        A catalogue table.
    start, end
        Time range ``[start, end)``, naive UTC.
    min_magnitude, max_magnitude
        Inclusive magnitude range; events without a magnitude fail either.
    min_depth_km, max_depth_km
        Inclusive depth range, km; events without a depth fail either.
    box
        ``(min_lat, max_lat, min_lon, max_lon)`` in degrees (see :func:`in_box`).
    polygon
        ``[(lat, lon), ...]`` in degrees (see :func:`in_polygon`).
    circle
        ``(lat, lon, radius_km)`` (see :func:`within_km`).

    Returns
    -------
    pandas.DataFrame
        The selected rows, index reset, same columns.
    """
    keep = np.ones(len(catalog), dtype=bool)
    time = catalog["time"]
    if start is not None:
        keep &= (time >= pd.Timestamp(start)).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= (time < pd.Timestamp(end)).to_numpy(dtype=bool, na_value=False)
    for column, low, high in (("magnitude", min_magnitude, max_magnitude),
                              ("depth_km", min_depth_km, max_depth_km)):
        values = catalog[column].to_numpy(dtype=float)
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
    lat = catalog["latitude"].to_numpy(dtype=float)
    lon = catalog["longitude"].to_numpy(dtype=float)
    if box is not None:
        keep &= in_box(lat, lon, box)
    if polygon is not None:
        keep &= in_polygon(lat, lon, polygon)
    if circle is not None:
        keep &= within_km(lat, lon, circle)
    return catalog[keep].reset_index(drop=True)
