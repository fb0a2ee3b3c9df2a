"""Distances on the Earth and the earthquake preparation zone.

Everything here is a small, vectorised function on numpy arrays (scalars work
too), in degrees and kilometres:

* :func:`great_circle_km` -- the haversine great-circle distance on a sphere of
  radius :data:`EARTH_RADIUS_KM` = 6371.0 km (the IUGG mean radius);
* :func:`dobrovolsky_radius_km` -- the radius of the earthquake preparation zone
  of Dobrovolsky, Zubkov & Miachkin (1979), ``10**(0.43 M)`` km;
* :func:`preparation_zone_radius_km` -- that radius, or a fixed one, for a set of
  events.

Other geometric helpers (local time, magnetic coordinates) belong here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError

__all__ = [
    "EARTH_RADIUS_KM",
    "dobrovolsky_radius_km",
    "great_circle_km",
    "preparation_zone_radius_km",
]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0

#: Dobrovolsky et al. (1979), Pure Appl. Geophys. 117, 1025-1044: log10 R[km] = 0.43 M.
DOBROVOLSKY_SLOPE = 0.43


def great_circle_km(
    latitude1: ArrayLike, longitude1: ArrayLike, latitude2: ArrayLike, longitude2: ArrayLike
) -> Any:
    """Great-circle distance between points, by the haversine formula.

    Parameters
    ----------
    latitude1, longitude1, latitude2, longitude2
        Coordinates in degrees; arrays broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        Distance in km on a sphere of radius 6371.0 km (a float for scalar input).

    Examples
    --------
    >>> round(great_circle_km(0.0, 0.0, 0.0, 1.0), 3)  # one degree of the equator
    111.195
    """
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (latitude1, longitude1, latitude2, longitude2))
    h = (np.sin((lat2 - lat1) / 2.0) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2)
    # Rounding can push h a hair above 1 for antipodal points; clip keeps arcsin real.
    distance = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return distance.item() if distance.ndim == 0 else distance


def dobrovolsky_radius_km(magnitude: ArrayLike) -> Any:
    """Radius of the earthquake preparation zone, ``10**(0.43 M)`` km.

    Dobrovolsky, Zubkov & Miachkin (1979): M5 -> 141 km, M6 -> 380 km, M7 -> 1023 km.

    Parameters
    ----------
    magnitude
        Earthquake magnitude (dimensionless).

    Returns
    -------
    float or numpy.ndarray
        Radius in km (a float for scalar input).

    Examples
    --------
    >>> round(dobrovolsky_radius_km(6.0))
    380
    """
    radius = 10.0 ** (DOBROVOLSKY_SLOPE * np.asarray(magnitude, dtype=float))
    return radius.item() if radius.ndim == 0 else radius


def preparation_zone_radius_km(
    magnitude: ArrayLike, *, fixed_radius_km: float | None = None
) -> NDArray[np.float64]:
    """Radius of the zone around each event: Dobrovolsky's, or one fixed radius for all.

    Parameters
    ----------
    magnitude
        Magnitudes of the events.
    fixed_radius_km
        If given, every event gets this radius (km) instead of the Dobrovolsky radius.

    Returns
    -------
    numpy.ndarray
        One radius in km per event.
    """
    mag = np.atleast_1d(np.asarray(magnitude, dtype=float))
    if fixed_radius_km is not None:
        if not fixed_radius_km > 0:
            raise IonoquakeError(f"fixed_radius_km must be positive, got {fixed_radius_km}")
        return np.full(mag.shape, float(fixed_radius_km))
    return np.asarray(dobrovolsky_radius_km(mag), dtype=float)
