"""Receiver–satellite geometry: geodetic position, elevation/azimuth, thin-shell pierce point.

* ECEF → geodetic on WGS-84 (a = 6 378 137 m, f = 1/298.257223563; NIMA TR8350.2) by
  Bowring's iteration (converges to < 1 mm in 3 steps for the Earth's surface).
* Elevation and azimuth from the local east-north-up frame at the receiver.
* Pierce point on a spherical shell of height h above a sphere of radius
  R = 6371 km (the single-layer model; Schaer 1999, *Mapping and predicting the Earth's
  ionosphere using GPS*, §2.3; also IONEX 1.1 §2): Earth-centred angle
  ψ = π/2 − e − z′ with sin z′ = R/(R+h)·cos e, then the great-circle step ψ from the
  receiver along azimuth A. Mapping function M(e) = 1/cos z′ (STEC = M·VTEC).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Float = NDArray[np.float64]

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
#: Mean Earth radius of the single-layer model, km (IONEX files' BASE RADIUS 6371 km).
EARTH_RADIUS_KM = 6371.0


def geodetic_from_ecef(xyz_m: Float) -> tuple[float, float, float]:
    """(latitude °N, longitude °E, height m) on WGS-84 of an ECEF point (m)."""
    x, y, z = (float(v) for v in np.asarray(xyz_m, float))
    e2 = WGS84_F * (2 - WGS84_F)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(5):
        n = WGS84_A_M / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1 - e2 * n / (n + h)))
    n = WGS84_A_M / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    h = p / np.cos(lat) - n
    return float(np.degrees(lat)), float(np.degrees(np.arctan2(y, x))), float(h)


def elevation_azimuth(receiver_m: Float, satellites_m: Float) -> tuple[Float, Float]:
    """Elevation and azimuth (degrees, azimuth clockwise from north) of ECEF satellite
    positions ``(..., 3)`` (m) seen from an ECEF receiver position (m)."""
    lat, lon, _ = geodetic_from_ecef(receiver_m)
    phi, lam = np.radians(lat), np.radians(lon)
    d = np.asarray(satellites_m, float) - np.asarray(receiver_m, float)
    east = -np.sin(lam) * d[..., 0] + np.cos(lam) * d[..., 1]
    north = (-np.sin(phi) * np.cos(lam) * d[..., 0] - np.sin(phi) * np.sin(lam) * d[..., 1]
             + np.cos(phi) * d[..., 2])
    up = (np.cos(phi) * np.cos(lam) * d[..., 0] + np.cos(phi) * np.sin(lam) * d[..., 1]
          + np.sin(phi) * d[..., 2])
    elev = np.degrees(np.arctan2(up, np.hypot(east, north)))
    azim = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    return elev, azim


def _zenith_at_shell(elevation_deg: Float, shell_height_km: float) -> Float:
    ratio = EARTH_RADIUS_KM / (EARTH_RADIUS_KM + shell_height_km)
    return np.arcsin(ratio * np.cos(np.radians(elevation_deg)))


def mapping_function(elevation_deg: Float, shell_height_km: float) -> Float:
    """Single-layer mapping M(e) = 1/cos z′, sin z′ = R/(R+h)·cos e (STEC/VTEC)."""
    return 1.0 / np.cos(_zenith_at_shell(elevation_deg, shell_height_km))


def pierce_point(lat_deg: float | Float, lon_deg: float | Float, elevation_deg: Float,
                 azimuth_deg: Float,
                 shell_height_km: float) -> tuple[Float, Float]:
    """Latitude and longitude (degrees; longitude in [−180, 180)) of the pierce point on
    the shell, for a receiver at ``lat_deg``, ``lon_deg`` (geodetic taken as spherical)."""
    psi = np.pi / 2 - np.radians(elevation_deg) - _zenith_at_shell(elevation_deg,
                                                                   shell_height_km)
    phi, az = np.radians(lat_deg), np.radians(azimuth_deg)
    lat = np.arcsin(np.sin(phi) * np.cos(psi) + np.cos(phi) * np.sin(psi) * np.cos(az))
    dlon = np.arctan2(np.sin(az) * np.sin(psi) * np.cos(phi),
                      np.cos(psi) - np.sin(phi) * np.sin(lat))
    lon = np.mod(lon_deg + np.degrees(dlon) + 180.0, 360.0) - 180.0
    return np.degrees(lat), lon
