"""Distances on the Earth and the earthquake preparation zone.

Everything here is a small, vectorised function on numpy arrays (scalars work
too), in degrees and kilometres:

* :func:`great_circle_km` -- the haversine great-circle distance on a sphere of
  radius :data:`EARTH_RADIUS_KM` = 6371.0 km (the IUGG mean radius);
* :func:`dobrovolsky_radius_km` -- the radius of the earthquake preparation zone
  of Dobrovolsky, Zubkov & Miachkin (1979), ``10**(0.43 M)`` km;
* :func:`preparation_zone_radius_km` -- that radius, or a fixed one, for a set of
  events.

* :func:`local_mean_time_h`, :func:`local_apparent_time_h`,
  :func:`equation_of_time_min` -- local solar time, both conventions;
* :func:`dipole_latitude_deg` -- centred-dipole magnetic latitude (IGRF-13, 2020.0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError

__all__ = [
    "DIPOLE_POLE_LAT_DEG",
    "DIPOLE_POLE_LON_DEG",
    "EARTH_RADIUS_KM",
    "IGRF2020_DIPOLE_NT",
    "dipole_latitude_deg",
    "dobrovolsky_radius_km",
    "equation_of_time_min",
    "great_circle_km",
    "local_apparent_time_h",
    "local_mean_time_h",
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

# --- local solar time ---------------------------------------------------------------------
# Two conventions are in use (see the project's science notes): local mean solar time
# (LMT) = UTC + longitude/15 h, what most satellite papers call "local time" (e.g. CSES's
# "14:00 LT descending node"); local apparent solar time (sundial time) = LMT + the equation
# of time, which differs by up to about +16.4 min (early November) and -14.2 min (mid
# February). The equation of time uses the low-precision solar coordinates of the
# Astronomical Almanac (section C, "Low-precision formulas for the Sun"; 0.01 deg in right
# ascension 1950-2050, i.e. ~2.4 s of time).

Float = NDArray[np.float64]
_J2000 = np.datetime64("2000-01-01T12:00:00", "ns")


def _utc(times: ArrayLike) -> NDArray[np.datetime64]:
    return np.asarray(times, dtype="datetime64[ns]")


def _hours_utc(times: ArrayLike) -> Float:
    t = _utc(times)
    return np.asarray((t - t.astype("datetime64[D]")) / np.timedelta64(1, "h"), dtype=float)


def equation_of_time_min(times: ArrayLike) -> Float:
    """Apparent minus mean solar time, minutes (Astronomical Almanac low-precision Sun).

    Examples
    --------
    >>> round(float(equation_of_time_min(np.datetime64("2019-11-03T12:00"))), 1)
    16.4
    """
    n = np.asarray((_utc(times) - _J2000) / np.timedelta64(86400, "s"), dtype=float)
    if n.size > 4096:  # hourly knots: interpolation error < 1e-5 min, far cheaper
        knots = np.arange(np.floor(n.min() * 24), np.ceil(n.max() * 24) + 1) / 24.0
        return np.interp(n, knots, _eot_min(knots))
    return _eot_min(n)


def _eot_min(n: Float) -> Float:
    """Equation of time (min) at ``n`` days since J2000 (UTC as an approximation of TT)."""
    mean_lon = np.radians((280.460 + 0.9856474 * n) % 360.0)
    g = np.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl_lon = mean_lon + np.radians(1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 4.0e-7 * n)
    ra = np.arctan2(np.cos(eps) * np.sin(ecl_lon), np.cos(ecl_lon))
    diff = (mean_lon - ra + np.pi) % (2 * np.pi) - np.pi
    return np.asarray(np.degrees(diff) * 4.0)


def local_mean_time_h(times: ArrayLike, longitude_deg: ArrayLike) -> Float:
    """Local mean solar time in hours [0, 24): UTC + longitude/15."""
    return np.asarray((_hours_utc(times) + np.asarray(longitude_deg) / 15.0) % 24.0)


def local_apparent_time_h(times: ArrayLike, longitude_deg: ArrayLike) -> Float:
    """Local apparent (true) solar time in hours [0, 24): LMT + equation of time."""
    lmt = local_mean_time_h(times, longitude_deg)
    return np.asarray((lmt + equation_of_time_min(times) / 60.0) % 24.0)


# --- magnetic latitude ---------------------------------------------------------------------
# A centred (tilted) dipole: the first-degree part of IGRF-13 at epoch 2020.0 (Alken et
# al. 2021, Earth Planets Space 73:49): g10 = -29404.8 nT, g11 = -1450.9 nT, h11 =
# 4652.5 nT, which put the boreal geomagnetic pole at 80.59 N, 72.68 W (geocentric).
# Magnetic latitude is the angular distance from the dipole equator, computed from the
# geocentric latitude. A dipole misplaces the real (quasi-dipole / apex) latitudes by up
# to several degrees, more near the South Atlantic Anomaly: use it for binning and for
# the +-50 deg cuts of along-track studies, not for conjugacy (see detect/conjugate.py).

#: IGRF-13, epoch 2020.0, degree-1 Gauss coefficients (g10, g11, h11), nT.
IGRF2020_DIPOLE_NT = (-29404.8, -1450.9, 4652.5)
_G10, _G11, _H11 = IGRF2020_DIPOLE_NT
_B0 = float(np.sqrt(_G10**2 + _G11**2 + _H11**2))
#: Geocentric latitude and longitude of the boreal geomagnetic (dipole) pole, degrees.
DIPOLE_POLE_LAT_DEG = float(90.0 - np.degrees(np.arccos(-_G10 / _B0)))
DIPOLE_POLE_LON_DEG = float(np.degrees(np.arctan2(-_H11, -_G11)))


def dipole_latitude_deg(geocentric_lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
    """Centred-dipole magnetic latitude (degrees) of points given geocentrically.

    Examples
    --------
    >>> round(float(dipole_latitude_deg(DIPOLE_POLE_LAT_DEG, DIPOLE_POLE_LON_DEG)), 6)
    90.0
    """
    lat, lon = np.radians(geocentric_lat_deg), np.radians(lon_deg)
    p_lat, p_lon = np.radians(DIPOLE_POLE_LAT_DEG), np.radians(DIPOLE_POLE_LON_DEG)
    s = np.sin(lat) * np.sin(p_lat) + np.cos(lat) * np.cos(p_lat) * np.cos(lon - p_lon)
    return np.asarray(np.degrees(np.arcsin(np.clip(s, -1.0, 1.0))))
