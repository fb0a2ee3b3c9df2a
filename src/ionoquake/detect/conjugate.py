"""The magnetically conjugate point of a place, by tracing the IGRF field line.

A field line through the ionospheric pierce point of an earthquake region at the
shell height of the maps (450 km for JPL and CODE GIMs) comes down again in the
other hemisphere at the *conjugate point*; seismo-ionospheric studies look there
for a mirrored anomaly (e.g. Pulinets & Boyarchuk 2004, "Ionospheric Precursors
of Earthquakes", §5; Liu et al. 2010, Nat. Hazards Earth Syst. Sci.).

:func:`conjugate_point` with ``method="igrf"`` (default) integrates the field-line
equation ``dx/ds = B/|B|`` of the IGRF-14 main field (Alken et al. 2021, Earth
Planets Space 73, 49; coefficients from the ``ppigrf`` package, degree 13, at the
date of the event) with fourth-order Runge-Kutta steps of 50 km (0.5 km near the end) from the
point at ``altitude_km`` until the line returns to that altitude, on a sphere of
radius 6371.2 km (the IGRF reference radius). ``method="dipole"`` mirrors the
magnetic latitude in the centred-dipole frame of the same IGRF date (a rough
check; it misses tens of degrees of longitude where the field is not dipolar).
Latitudes are geocentric, as are those of IONEX maps; degrees throughout.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from ionoquake.errors import IonoquakeError

IGRF_RADIUS_KM = 6371.2
STEP_KM = 50.0
FINE_STEP_KM = 0.5


class ConjugateError(IonoquakeError):
    """A field line that cannot be traced (too long, or through the Earth)."""


@lru_cache(maxsize=16)
def _coefficients(day: dt.date) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """IGRF Gauss coefficients g, h (nT) interpolated linearly in time to ``day``."""
    from ppigrf import ppigrf as model

    g, h = model.read_shc(model.shc_fn)
    when = pd.Timestamp(day)
    if not g.index[0] <= when <= g.index[-1]:
        raise ConjugateError(f"{day} is outside IGRF ({g.index[0].date()} .. "
                             f"{g.index[-1].date()})")
    index = g.index.union([when])
    g_t = g.reindex(index).interpolate(method="time").loc[when]
    h_t = h.reindex(index).interpolate(method="time").loc[when]
    return g_t.to_numpy(float), h_t.to_numpy(float), list(g.columns)


def schmidt_legendre(colat_deg: float, nmax: int) -> tuple[dict[tuple[int, int], float],
                                                            dict[tuple[int, int], float]]:
    """Schmidt semi-normalised ``P_n^m(cos theta)`` and ``dP/dtheta`` for one colatitude.

    The recursions of Langel (1987, "The main field", in Geomagnetism vol. 1, eqs. 17-19)
    for n = 0..nmax, 0 <= m <= n.
    """
    th = math.radians(colat_deg)
    c, s = math.cos(th), math.sin(th)
    p = {(0, 0): 1.0}
    dp = {(0, 0): 0.0}
    for n in range(1, nmax + 1):
        f = 1.0 if n == 1 else math.sqrt((2 * n - 1) / (2 * n))
        p[n, n] = f * s * p[n - 1, n - 1]
        dp[n, n] = f * (s * dp[n - 1, n - 1] + c * p[n - 1, n - 1])
        for m in range(n):
            a = math.sqrt(n * n - m * m)
            b = math.sqrt((n - 1) ** 2 - m * m) if n - 1 >= m else 0.0
            p2 = p.get((n - 2, m), 0.0)
            dp2 = dp.get((n - 2, m), 0.0)
            p[n, m] = ((2 * n - 1) * c * p[n - 1, m] - b * p2) / a
            dp[n, m] = ((2 * n - 1) * (c * dp[n - 1, m] - s * p[n - 1, m]) - b * dp2) / a
    return p, dp


def igrf_field(r_km: float, colat_deg: float, lon_deg: float,
               day: dt.date) -> tuple[float, float, float]:
    """IGRF main field ``(B_r, B_theta, B_phi)`` in nT at one point (geocentric: up, south,
    east); the series of ``ppigrf.igrf_gc`` (checked in the tests), coefficients read once."""
    g, h, keys = _coefficients(day)
    n, m = _degrees(tuple(keys))
    p_nm, dp_nm = schmidt_legendre(colat_deg, int(n.max()))
    p = np.array([p_nm[k] for k in keys])
    dp = np.array([dp_nm[k] for k in keys])
    phi = math.radians(lon_deg)
    cos_m, sin_m = np.cos(phi * m), np.sin(phi * m)
    ratio = (IGRF_RADIUS_KM / r_km) ** (n + 2)
    b_r = float((ratio * (n + 1) * p * (g * cos_m + h * sin_m)).sum())
    b_t = float(-(ratio * dp * (g * cos_m + h * sin_m)).sum())
    b_p = float(-(ratio * m * p * (-g * sin_m + h * cos_m)).sum()
                / math.sin(math.radians(colat_deg)))
    return b_r, b_t, b_p


@lru_cache(maxsize=4)
def _degrees(keys: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    n, m = np.array(keys, dtype=float).T
    return n, m


def _unit_field(x: np.ndarray, day: dt.date) -> np.ndarray:
    r = float(np.linalg.norm(x))
    colat = np.degrees(np.arccos(x[2] / r))
    lon = np.degrees(np.arctan2(x[1], x[0]))
    b_r, b_t, b_p = igrf_field(r, colat, lon, day)
    th, ph = np.radians(colat), np.radians(lon)
    e_r = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    e_t = np.array([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)])
    e_p = np.array([-np.sin(ph), np.cos(ph), 0.0])
    b = b_r * e_r + b_t * e_t + b_p * e_p
    return b / np.linalg.norm(b)


def _cartesian(lat: float, lon: float, r: float) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return r * np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _spherical(x: np.ndarray) -> tuple[float, float]:
    r = float(np.linalg.norm(x))
    return float(np.degrees(np.arcsin(x[2] / r))), float(np.degrees(np.arctan2(x[1], x[0])))


def trace_conjugate(lat_deg: float, lon_deg: float, day: dt.date, altitude_km: float = 450.0,
                    max_steps: int = 20000) -> tuple[float, float]:
    """Follow the IGRF field line from a point to where it returns to the same altitude."""
    r0 = IGRF_RADIUS_KM + altitude_km
    x = _cartesian(lat_deg, lon_deg, r0)
    u0 = _unit_field(x, day)
    radial = x / r0
    if abs(float(u0 @ radial)) < 1e-6:  # on the dip equator the point is its own conjugate
        return lat_deg, lon_deg
    sense = 1.0 if float(u0 @ radial) > 0 else -1.0  # start upward along the line

    def f(y: np.ndarray) -> np.ndarray:
        return sense * _unit_field(y, day)

    h = STEP_KM
    for _ in range(max_steps):
        r = float(np.linalg.norm(x))
        k1 = f(x)
        k2 = f(x + 0.5 * h * k1)
        k3 = f(x + 0.5 * h * k2)
        k4 = f(x + h * k3)
        nxt = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        r_next = float(np.linalg.norm(nxt))
        if r_next < r0 and r_next < r:  # crossed the shell on the way down
            if h > FINE_STEP_KM:  # redo the last stretch in finer steps
                h /= 10.0
                continue
            w = (r - r0) / (r - r_next)
            return _spherical(x + w * (nxt - x))
        x = nxt
    raise ConjugateError(f"field line from {lat_deg:.2f}N {lon_deg:.2f}E did not come back to "
                         f"{altitude_km} km within {max_steps} steps (too close to the pole?)")


def dipole_conjugate(lat_deg: float, lon_deg: float, day: dt.date) -> tuple[float, float]:
    """Mirror the magnetic latitude in the IGRF centred-dipole frame of ``day``."""
    g, h, keys = _coefficients(day)
    coef = {key: (gv, hv) for key, gv, hv in zip(keys, g, h, strict=True)}
    g10, g11, h11 = coef[(1, 0)][0], coef[(1, 1)][0], coef[(1, 1)][1]
    # Dipole axis (north geomagnetic pole direction) is -(g11, h11, g10) / |.|.
    axis = -np.array([g11, h11, g10]) / np.sqrt(g10**2 + g11**2 + h11**2)
    x = _cartesian(lat_deg, lon_deg, 1.0)
    mirrored = x - 2.0 * float(x @ axis) * axis
    return _spherical(mirrored)


def conjugate_point(lat_deg: float, lon_deg: float, when: dt.date | np.datetime64 | str, *,
                    altitude_km: float = 450.0,
                    method: Literal["igrf", "dipole"] = "igrf") -> tuple[float, float]:
    """Geocentric latitude and longitude (degrees) of the magnetically conjugate point.

    Parameters
    ----------
    lat_deg, lon_deg
        The point (degrees; geocentric latitude).
    when
        The date of the IGRF coefficients.
    altitude_km
        The height at which both ends of the field line are taken (the map shell).
    method
        ``"igrf"``: trace the IGRF-14 field line (default); ``"dipole"``: mirror in
        the centred-dipole frame.

    Returns
    -------
    tuple of float
        ``(latitude, longitude)``, longitude in -180..180.

    Examples
    --------
    >>> lat, lon = conjugate_point(13.049, -88.660, "2001-01-13")
    >>> round(lat), round(lon)  # El Salvador 2001: the south-east Pacific, west of Chile
    (-35, -95)
    """
    day = pd.Timestamp(when).date()
    if method == "igrf":
        return trace_conjugate(lat_deg, lon_deg, day, altitude_km)
    if method == "dipole":
        return dipole_conjugate(lat_deg, lon_deg, day)
    raise ConjugateError(f"conjugate method {method!r} is not 'igrf' or 'dipole'")
