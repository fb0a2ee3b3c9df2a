"""Sub-satellite ground tracks as ``xarray.Dataset(time)``.

A track holds, along ``time`` (naive UTC):

=========================  =====  =========================================================
name                       units  meaning
=========================  =====  =========================================================
``lat``, ``lon`` (coords)  deg    WGS84 geodetic latitude, longitude (−180..180)
``alt`` (coord)            km     height above the WGS84 ellipsoid
``local_mean_time``        h      local mean solar time, UTC + lon/15
``local_apparent_time``    h      local apparent solar time, mean time + equation of time
``ascending``              bool   moving north (z-velocity > 0)
``magnetic_latitude``      deg    centred-dipole latitude, IGRF-13 2020.0 dipole terms
``orbit_number``           1      revolution number, +1 at each ascending node
=========================  =====  =========================================================

The conventions are those of :mod:`ionoquake.orbits.frames` (TEME → ITRS by GMST82 at
UT1, polar motion neglected), :func:`ionoquake.geo.local_mean_time_h`,
:func:`ionoquake.geo.equation_of_time_min` and :func:`ionoquake.geo.dipole_latitude_deg`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ionoquake.geo import dipole_latitude_deg, equation_of_time_min, local_mean_time_h
from ionoquake.orbits.propagate import geodetic
from ionoquake.orbits.sgp4 import nearest_epoch_index, satrecs
from ionoquake.sources.tle import MAX_AGE_DAYS

__all__ = ["ground_track", "orbit_numbers"]


def _epoch_phase(satrec: Any) -> tuple[float, float, float]:
    """Argument of latitude at epoch (deg), its rate (deg/s), inclination (deg)."""
    _, r, v = satrec.sgp4_tsince(0.0)
    r, v = np.asarray(r), np.asarray(v)
    h = np.cross(r, v)
    node = np.cross([0.0, 0.0, 1.0], h)
    u = np.degrees(np.arctan2(np.dot(np.cross(node, r), h) / np.linalg.norm(h),
                              np.dot(node, r))) % 360.0
    incl = float(np.degrees(np.arccos(h[2] / np.linalg.norm(h))))
    rate = np.degrees(satrec.mdot + satrec.argpdot) / 60.0  # rad/min -> deg/s
    return float(u), float(rate), incl


def orbit_numbers(tles: pd.DataFrame, times: ArrayLike, geocentric_lat_deg: ArrayLike,
                  ascending: ArrayLike) -> NDArray[np.int64]:
    """Revolution numbers: the TLE's ``rev_number`` plus ascending nodes passed since.

    The argument of latitude u is recovered from the geocentric latitude and the
    direction of motion (sin φ = sin i sin u); the whole number of turns since the TLE
    epoch from the secular rate of SGP4 (mean anomaly + perigee rates, ignoring drag),
    which is right to well under half a turn for months around the epoch. TLE
    revolution numbers have five digits and wrap at 100000.
    """
    t = np.asarray(times, dtype="datetime64[ns]")
    lat = np.radians(np.asarray(geocentric_lat_deg, dtype=float))
    asc = np.asarray(ascending, dtype=bool)
    tles = tles.reset_index(drop=True)
    which = nearest_epoch_index(tles["epoch"].to_numpy(), t)
    out = np.zeros(t.size, dtype=np.int64)
    for k, sat in enumerate(satrecs(tles)):
        sel = which == k
        if not sel.any():
            continue
        u0, rate, incl = _epoch_phase(sat)
        s = np.clip(np.sin(lat[sel]) / np.sin(np.radians(incl)), -1.0, 1.0)
        u = np.degrees(np.arcsin(s))
        u = np.where(asc[sel], u, 180.0 - u) % 360.0
        dt_s = (t[sel] - tles["epoch"].to_numpy()[k]) / np.timedelta64(1, "s")
        turns = np.round((u0 + rate * dt_s - u) / 360.0).astype(np.int64)
        out[sel] = int(tles["rev_number"].iloc[k]) + turns
    return out


def ground_track(tles: pd.DataFrame, times: ArrayLike, *, node_step_s: float | None = None,
                 dut1_s: float | None = None,
                 max_age_days: float = MAX_AGE_DAYS) -> xr.Dataset:
    """The ground track of one satellite at the given times.

    Parameters
    ----------
    tles
        Element sets of one satellite (a history or one set); each time uses the
        set nearest in epoch, with a :class:`~ionoquake.sources.tle.TleAgeWarning`
        beyond ``max_age_days``.
    times
        Naive-UTC ``datetime64`` times.
    node_step_s, dut1_s
        See :func:`ionoquake.orbits.propagate.geodetic`.
    max_age_days
        Warn for times farther than this from every TLE epoch.

    Returns
    -------
    xarray.Dataset
        Dimension ``time``; variables as in the module docstring, units in ``attrs``.

    Examples
    --------
    >>> from ionoquake.sources import tle  # doctest: +SKIP
    >>> sets = tle.read("../shared/data/tle/celestrak_science_20191118.tle")  # doctest: +SKIP
    >>> cses = sets[sets.norad_id == 43194]  # doctest: +SKIP
    >>> times = np.arange("2019-11-18", "2019-11-19", np.timedelta64(10, "s"),
    ...                   dtype="datetime64[ns]")  # doctest: +SKIP
    >>> ground_track(cses, times).alt.max().item()  # doctest: +SKIP
    541.49...
    """
    t = np.asarray(times, dtype="datetime64[ns]").ravel()
    g = geodetic(tles, t, node_step_s=node_step_s, dut1_s=dut1_s, max_age_days=max_age_days)
    ascending = g.vz_km_s > 0
    lmt = local_mean_time_h(t, g.lon_deg)
    lat_ = (lmt + equation_of_time_min(t) / 60.0) % 24.0
    row = tles.iloc[0]
    ds = xr.Dataset(
        {
            "local_mean_time": ("time", lmt, {"units": "h",
                                              "long_name": "local mean solar time"}),
            "local_apparent_time": ("time", lat_, {
                "units": "h", "long_name": "local apparent solar time",
                "comment": "mean time + equation of time (Astronomical Almanac low-"
                           "precision Sun)"}),
            "ascending": ("time", ascending, {"long_name": "moving north"}),
            "magnetic_latitude": ("time", dipole_latitude_deg(g.geocentric_lat_deg, g.lon_deg),
                                  {"units": "degrees_north",
                                   "long_name": "centred-dipole magnetic latitude",
                                   "comment": "IGRF-13 epoch 2020.0 dipole (g10, g11, h11)"}),
            "orbit_number": ("time", orbit_numbers(tles, t, g.geocentric_lat_deg, ascending),
                             {"long_name": "revolution number (TLE convention, +1 at "
                                           "each ascending node)"}),
        },
        coords={
            "time": ("time", t),
            "lat": ("time", g.lat_deg, {"units": "degrees_north",
                                        "long_name": "WGS84 geodetic latitude"}),
            "lon": ("time", g.lon_deg, {"units": "degrees_east"}),
            "alt": ("time", g.alt_km, {"units": "km",
                                       "long_name": "height above the WGS84 ellipsoid"}),
        },
        attrs={
            "norad_id": int(row["norad_id"]),
            "satellite": str(row["name"]).strip(),
            "tle_epochs": ", ".join(str(e) for e in tles["epoch"]),
            "propagator": "SGP4 (sgp4 package, WGS-72, Vallado et al. 2006)"
                          + ("" if node_step_s is None else
                             f"; cubic Hermite between nodes every {node_step_s:g} s"),
            "frame": "TEME -> ITRS by GMST82(UT1), polar motion neglected; WGS84 geodetic",
        },
    )
    return ds
