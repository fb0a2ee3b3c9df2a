"""From SGP4's TEME frame to the Earth-fixed frame and WGS84 geodetic coordinates.

SGP4 returns positions in the True Equator, Mean Equinox (TEME) frame. Following
Vallado, Crawford, Hujsak & Kelso (2006), "Revisiting Spacetrack Report #3",
AIAA 2006-6753, Appendix C, the Earth-fixed (pseudo-Earth-fixed, PEF) position is
TEME rotated about z by the Greenwich mean sidereal time of the IAU-82 model
(GMST82, Aoki et al. 1982) evaluated at UT1:

    r_PEF = R3(GMST82(UT1)) r_TEME

Polar motion (|x_p|, |y_p| < 0.5", i.e. < 15 m at the surface) is neglected, so PEF is
taken as ITRS. This is exactly what skyfield does for ``EarthSatellite`` positions
when no polar-motion table is installed (its ``TEME`` frame cancels the equation of
the equinoxes between GCRS and ITRS). The one input that matters is UT1 - UTC
(|DUT1| < 0.9 s, up to 0.42 km east-west at the equator): :func:`dut1_seconds` takes it
from skyfield's built-in IERS table (no download); passing ``dut1_s=0`` instead costs
that much accuracy.

Geodetic coordinates are on the WGS84 ellipsoid (a = 6378.137 km, 1/f = 298.257223563)
by Bowring's (1976) iteration, converged to < 1 mm after two steps at LEO heights, written
with one arctangent per angle because numpy's trigonometric functions dominate the cost.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "WGS84_A_KM",
    "WGS84_F",
    "dut1_seconds",
    "geodetic_up",
    "gmst82_rad",
    "itrs_to_geodetic",
    "julian_dates",
    "teme_to_itrs",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
_E2 = WGS84_F * (2.0 - WGS84_F)
_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
_EP2 = _E2 / (1.0 - _E2)
_UNIX_EPOCH_JD = 2440587.5
_NS_PER_DAY = 86_400 * 10**9

Float = NDArray[np.float64]


def julian_dates(times: ArrayLike) -> tuple[Float, Float]:
    """Split naive-UTC ``datetime64`` times into Julian date (whole .5 days) + fraction.

    The pair keeps nanosecond precision, as sgp4's ``sgp4(jd, fr)`` expects.
    """
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    days = np.floor_divide(ns, _NS_PER_DAY)
    return days + _UNIX_EPOCH_JD, (ns - days * _NS_PER_DAY) / _NS_PER_DAY


def gmst82_rad(jd_ut1: Float, fr_ut1: Float) -> Float:
    """Greenwich mean sidereal time of the IAU-82 model, radians in [0, 2π).

    Aoki et al. (1982); Vallado et al. (2006), eq. C-5; the same polynomial as
    sgp4's ``gstime`` and skyfield's ``theta_GMST1982``.

    Parameters
    ----------
    jd_ut1, fr_ut1
        Julian date of UT1 as whole part and fraction (days).
    """
    days = jd_ut1 - 2451545.0
    t = (days + fr_ut1) / 36525.0
    # The (876600 h)·T term of GMST82 is 86400 s per day since J2000: modulo one day,
    # only the day fraction counts, which keeps full precision.
    g = (67310.54841 + (8640184.812866 + (0.093104 - 6.2e-6 * t) * t) * t
         + 86400.0 * ((days % 1.0) + fr_ut1))
    return np.asarray((g % 86400.0) * (2.0 * np.pi / 86400.0))


def teme_to_itrs(r_teme: Float, theta_rad: Float) -> Float:
    """Rotate TEME vectors (..., 3) to Earth-fixed by the sidereal angle (..., ) in rad."""
    c, s = np.cos(theta_rad), np.sin(theta_rad)
    x, y = r_teme[..., 0], r_teme[..., 1]
    out = np.empty_like(r_teme)
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = r_teme[..., 2]
    return out


def _bowring(x: Float, y: Float, z: Float) -> tuple[Float, Float, Float, Float, Float]:
    """(sin φ, cos φ, p, num, den) of the geodetic latitude φ = atan(num/den)."""
    p = np.hypot(x, y)
    cb, sb = (1.0 - WGS84_F) * p, z
    for _ in range(2):
        norm = np.sqrt(cb * cb + sb * sb)
        cb, sb = cb / norm, sb / norm
        num = z + (_EP2 * _B_KM) * sb * sb * sb
        den = p - (_E2 * WGS84_A_KM) * cb * cb * cb
        cb, sb = den, (1.0 - WGS84_F) * num
    norm = np.sqrt(num * num + den * den)
    return num / norm, den / norm, p, num, den


def itrs_to_geodetic(x: Float, y: Float, z: Float) -> tuple[Float, Float, Float]:
    """WGS84 latitude, longitude (degrees, −180..180] and height (km) of ITRS points (km).

    Bowring's (1976) iteration, twice, carried as (cos, sin) pairs; the angles come from
    one arctangent each (longitude by the half-angle form 2·atan(y / (p + x))).
    """
    sphi, cphi, p, num, den = _bowring(x, y, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        lat = np.degrees(np.arctan(num / den))
        lon = np.degrees(2.0 * np.arctan(y / (p + x)))
    lon[(p + x == 0.0) & (p > 0.0)] = 180.0
    height = p * cphi + z * sphi - WGS84_A_KM * np.sqrt(1.0 - _E2 * sphi * sphi)
    return lat, lon, height


def geodetic_up(x: Float, y: Float, z: Float) -> tuple[Float, Float, Float]:
    """Unit vector of the sub-satellite point's geodetic (lat, lon) on a sphere.

    The angle between two such vectors is the great-circle distance that
    :func:`ionoquake.geo.great_circle_km` computes from geodetic latitude and longitude;
    it needs no trigonometric function.
    """
    sphi, cphi, p, _, _ = _bowring(x, y, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(p > 0.0, cphi / p, 0.0)
    return f * x, f * y, sphi


@cache
def _dut1_table() -> tuple[Float, Float]:
    """Daily UT1 − UTC (s) from skyfield's built-in IERS table, 1973 to its end."""
    from skyfield.api import load

    ts = load.timescale(builtin=True)
    days = np.arange(np.datetime64("1973-01-02"), np.datetime64("2030-01-01"))
    jd, fr = julian_dates(days)
    dut1 = ts.utc(1973, 1, 2 + np.arange(days.size)).dut1
    return jd + fr, np.asarray(dut1, dtype=float)


def dut1_seconds(jd: Float, fr: Float) -> Float:
    """UT1 − UTC in seconds at the given UTC Julian dates (skyfield's built-in table).

    Linear interpolation between days of UT1 − TAI (which is smooth); the 1 s step of
    UT1 − UTC at a leap second is put back at 0 h UTC of the day after the leap.
    """
    key, table = _dut1_table()
    leaps = np.concatenate([[0.0], np.cumsum(np.round(np.diff(table)))])
    day = np.clip(np.searchsorted(key, jd + fr, side="right") - 1, 0, key.size - 1)
    return np.interp(jd + fr, key, table - leaps) + leaps[day]
