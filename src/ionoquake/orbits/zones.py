"""Zones on the ground that satellites pass over: circles, polygons, grid cells.

One table, built here (:data:`ZONE_COLUMNS`):

==============  ==========  ==========================================================
column          units       meaning
==============  ==========  ==========================================================
``zone_id``     —           the caller's id (an event id, a cell label, ...), a string
``lat``         deg         centre latitude (geodetic)
``lon``         deg         centre longitude, −180..180
``radius_km``   km          circle radius; for polygons the circumscribed radius
``kind``        —           ``circle``, ``polygon`` or ``cell``
``vertices``    deg         polygons: (n, 2) array of (lon, lat); cells: their corners
==============  ==========  ==========================================================

Distances are great-circle on the 6371 km sphere (:func:`ionoquake.geo.great_circle_km`)
between geodetic coordinates, the convention of the rest of ionoquake. Polygons are
tested for containment in the (lon, lat) plane, which suits zones of a few hundred km
that do not cross the antimeridian or contain a pole; grid cells are exact.

:func:`zone_geometry` gives a zone's outline as GeoJSON (RFC 7946): longitude-latitude
positions, the exterior ring counter-clockwise and closed once (first position repeated
at the end, §3.1.6), and a zone that crosses 180° split there into a MultiPolygon whose
parts end on ±180 (§3.1.9). A circle containing a pole becomes the cap above (or below)
its outline, from −180 to 180.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.geo import EARTH_RADIUS_KM, great_circle_km, preparation_zone_radius_km

__all__ = ["ZONE_COLUMNS", "circle_zones", "event_zones", "grid_zones", "inside",
           "polygon_zones", "zone_geometry", "zone_outline"]

ZONE_COLUMNS = ("zone_id", "lat", "lon", "radius_km", "kind", "vertices")


def _frame(ids: ArrayLike, lat: ArrayLike, lon: ArrayLike, radius: ArrayLike, kind: str,
           vertices: Sequence[object] | None = None) -> pd.DataFrame:
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    lon_a = (np.atleast_1d(np.asarray(lon, dtype=float)) + 180.0) % 360.0 - 180.0
    rad = np.broadcast_to(np.asarray(radius, dtype=float), lat_a.shape).copy()
    if np.any(np.abs(lat_a) > 90) or not np.all(rad > 0):
        raise IonoquakeError("zones need latitudes in −90..90 and positive radii")
    frame = pd.DataFrame({
        "zone_id": pd.array([str(i) for i in np.atleast_1d(np.asarray(ids))], dtype="string"),
        "lat": lat_a, "lon": lon_a, "radius_km": rad,
        "kind": pd.array([kind] * lat_a.size, dtype="string"),
        "vertices": list(vertices) if vertices is not None else [None] * lat_a.size,
    })
    if frame["zone_id"].duplicated().any():
        raise IonoquakeError("zone ids must be unique")
    return frame


def circle_zones(lat: ArrayLike, lon: ArrayLike, radius_km: ArrayLike, *,
                 zone_id: ArrayLike | None = None) -> pd.DataFrame:
    """Circular zones of given centres (degrees) and radii (km)."""
    n = np.atleast_1d(np.asarray(lat)).size
    return _frame(np.arange(n) if zone_id is None else zone_id, lat, lon, radius_km, "circle")


def event_zones(events: pd.DataFrame, *, fixed_radius_km: float | None = None) -> pd.DataFrame:
    """Earthquake preparation zones: Dobrovolsky circles (10^(0.43 M) km) of catalogue events.

    ``zone_id`` is the event's ``event_id``.
    """
    radius = preparation_zone_radius_km(events["magnitude"].to_numpy(),
                                        fixed_radius_km=fixed_radius_km)
    return circle_zones(events["latitude"].to_numpy(), events["longitude"].to_numpy(), radius,
                        zone_id=events["event_id"].astype(str).to_numpy())


def polygon_zones(polygons: Sequence[ArrayLike], *,
                  zone_id: ArrayLike | None = None) -> pd.DataFrame:
    """Polygon zones from (n, 2) arrays of (lon, lat) vertices in degrees."""
    verts = [np.asarray(p, dtype=float) for p in polygons]
    if any(v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 3 for v in verts):
        raise IonoquakeError("each polygon needs at least 3 (lon, lat) vertices")
    lat, lon, rad = _circumscribe(verts)
    ids = np.arange(len(verts)) if zone_id is None else zone_id
    return _frame(ids, lat, lon, rad, "polygon", verts)


def grid_zones(cell_deg: float, *, lat_range: tuple[float, float] = (-90.0, 90.0),
               lon_range: tuple[float, float] = (-180.0, 180.0)) -> pd.DataFrame:
    """Latitude-longitude cells of ``cell_deg`` degrees; ``zone_id`` is ``"lat,lon"`` of the
    cell centre."""
    lat_c = np.arange(lat_range[0] + cell_deg / 2, lat_range[1], cell_deg)
    lon_c = np.arange(lon_range[0] + cell_deg / 2, lon_range[1], cell_deg)
    la, lo = (a.ravel() for a in np.meshgrid(lat_c, lon_c, indexing="ij"))
    h = cell_deg / 2
    verts = [np.array([[o - h, a - h], [o + h, a - h], [o + h, a + h], [o - h, a + h]])
             for a, o in zip(la, lo, strict=True)]
    lat, lon, rad = _circumscribe(verts, centres=(la, lo))
    ids = [f"{a:g},{o:g}" for a, o in zip(la, lo, strict=True)]
    return _frame(ids, lat, lon, rad, "cell", verts)


def _circumscribe(verts: Sequence[NDArray[np.float64]],
                  centres: tuple[ArrayLike, ArrayLike] | None = None
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Centre (mean of unit vectors unless given) and radius through the farthest vertex."""
    if centres is None:
        lat_c, lon_c = [], []
        for v in verts:
            lo, la = np.radians(v[:, 0]), np.radians(v[:, 1])
            m = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]).mean(1)
            lat_c.append(np.degrees(np.arctan2(m[2], np.hypot(m[0], m[1]))))
            lon_c.append(np.degrees(np.arctan2(m[1], m[0])))
        centres = (lat_c, lon_c)
    lat = np.asarray(centres[0], dtype=float)
    lon = np.asarray(centres[1], dtype=float)
    rad = np.array([great_circle_km(a, o, v[:, 1], v[:, 0]).max() * 1.0001 + 1e-3
                    for a, o, v in zip(lat, lon, verts, strict=True)])
    return lat, lon, rad


def inside(vertices: NDArray[np.float64], lon: NDArray[np.float64],
           lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Even-odd (ray casting) containment of points in one (lon, lat) polygon.

    Longitudes are unwrapped to within ±180° of the first vertex.
    """
    ref = vertices[0, 0]
    lon = (lon - ref + 180.0) % 360.0 - 180.0 + ref
    vx = (vertices[:, 0] - ref + 180.0) % 360.0 - 180.0 + ref
    vy = vertices[:, 1]
    result = np.zeros(lon.shape, dtype=bool)
    for i in range(vx.size):
        x1, y1, x2, y2 = vx[i - 1], vy[i - 1], vx[i], vy[i]
        if y1 == y2:
            continue
        crosses = (y1 > lat) != (y2 > lat)
        x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        result ^= crosses & (lon < x_at)
    return result


#: Decimal places of degrees in GeoJSON positions: 1e-4 deg is 11 m on the ground.
GEOJSON_DIGITS = 4


def zone_outline(lat: float, lon: float, radius_km: float, vertices: ArrayLike | None = None,
                 *, n: int = 72) -> NDArray[np.float64]:
    """The zone's outline as an open ``(m, 2)`` ring of (lon, lat) degrees, counter-clockwise.

    Circles are ``n`` points of the small circle of ``radius_km`` (spherical Earth of
    :data:`ionoquake.geo.EARTH_RADIUS_KM`); longitudes are continuous (unwrapped around
    the centre, so they may pass ±180). A circle that contains a pole is returned as
    the cap (see :func:`zone_geometry`).
    """
    if vertices is not None:
        ring = np.asarray(vertices, dtype=float).copy()
        if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
            ring = ring[:-1]
        ring[:, 0] = np.degrees(np.unwrap(np.radians(ring[:, 0])))
        return ring if _signed_area(ring) >= 0 else ring[::-1]
    d = radius_km / EARTH_RADIUS_KM
    phi1, lam1 = np.radians(lat), np.radians(lon)
    az = -np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)  # north, west, south, east: CCW
    phi2 = np.arcsin(np.sin(phi1) * np.cos(d) + np.cos(phi1) * np.sin(d) * np.cos(az))
    lam2 = lam1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(phi1),
                             np.cos(d) - np.sin(phi1) * np.sin(phi2))
    ring = np.column_stack([np.degrees(lam2), np.degrees(phi2)])
    if d >= np.radians(90.0 - abs(lat)):
        return _polar_cap(ring, north=lat > 0)
    return ring


def _signed_area(ring: NDArray[np.float64]) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2.0


def _polar_cap(ring: NDArray[np.float64], *, north: bool) -> NDArray[np.float64]:
    """The cap beyond a circle around a pole, −180..180, counter-clockwise."""
    lon = (ring[:, 0] + 180.0) % 360.0 - 180.0
    order = np.argsort(lon)
    lon, lat = lon[order], ring[order, 1]
    # the outline's latitude at ±180, between its last and first point (across 180)
    span = lon[0] + 360.0 - lon[-1]
    edge = lat[-1] + (180.0 - lon[-1]) / span * (lat[0] - lat[-1]) if span > 0 else lat[0]
    curve = np.column_stack([np.r_[-180.0, lon, 180.0], np.r_[edge, lat, edge]])
    pole = 90.0 if north else -90.0
    # along the pole line through 0°, so that no edge spans more than 180° of longitude
    if north:  # along the outline eastwards, then along the top westwards
        return np.vstack([curve, [[180.0, pole], [0.0, pole], [-180.0, pole]]])
    return np.vstack([[[-180.0, pole], [0.0, pole], [180.0, pole]], curve[::-1]])


def _clip(ring: NDArray[np.float64], x0: float, keep_above: bool) -> NDArray[np.float64]:
    """Sutherland-Hodgman: the part of ``ring`` with x ≥ x0 (or ≤ x0), points on x0 exact."""
    out: list[list[float]] = []
    inside_ = (ring[:, 0] >= x0) if keep_above else (ring[:, 0] <= x0)
    for i in range(len(ring)):
        a, b = ring[i - 1], ring[i]
        a_in, b_in = inside_[i - 1], inside_[i]
        if a_in != b_in:
            t = (x0 - a[0]) / (b[0] - a[0])
            out.append([x0, float(a[1] + t * (b[1] - a[1]))])
        if b_in:
            out.append([float(b[0]), float(b[1])])
    return np.asarray(out, dtype=float).reshape(-1, 2)


def _closed(ring: NDArray[np.float64]) -> list[list[float]] | None:
    """A ring rounded to GEOJSON_DIGITS, repeats dropped, closed once; None if degenerate."""
    pts = np.round(ring, GEOJSON_DIGITS) + 0.0  # + 0.0: no -0.0
    keep = np.r_[True, np.any(np.diff(pts, axis=0) != 0, axis=1)]
    pts = pts[keep]
    if len(pts) > 1 and np.array_equal(pts[0], pts[-1]):
        pts = pts[:-1]
    if len(pts) < 3 or abs(_signed_area(pts)) == 0.0:
        return None
    return [*pts.tolist(), pts[0].tolist()]


def zone_geometry(lat: float, lon: float, radius_km: float, vertices: ArrayLike | None = None,
                  *, n: int = 72) -> dict[str, object]:
    """A zone as a GeoJSON Polygon, or a MultiPolygon split at the antimeridian (RFC 7946).

    The outline (:func:`zone_outline`) is cut along ±180° (Sutherland-Hodgman against
    the meridian, exact for circles, which cross a meridian at most twice) and each
    part is shifted into −180..180; the cut edges lie exactly on ±180.
    """
    ring = zone_outline(lat, lon, radius_km, vertices, n=n)
    parts: list[NDArray[np.float64]] = []
    for shift in (-360.0, 0.0, 360.0):  # the window -180..180 of the ring shifted by 'shift'
        piece = _clip(_clip(ring + np.array([shift, 0.0]), -180.0, True), 180.0, False)
        if len(piece) >= 3:
            parts.append(piece)
    rings = [r for r in (_closed(p) for p in parts) if r is not None]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings}
    return {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}
