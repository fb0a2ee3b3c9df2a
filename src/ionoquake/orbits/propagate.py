"""SGP4 propagation of TLE tables, vectorised and chunked, to WGS84 geodetic positions.

* :func:`propagate_teme` runs sgp4's ``SatrecArray`` over all satellites × all times in
  one call (Vallado et al. 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753, via
  the ``sgp4`` package's C++ core). An element set that fails at some time (sgp4 error
  codes 1-6: decayed, eccentricity out of range, ...) gives NaN at that time and its
  code in ``error``; nothing raises half-way.
* :func:`teme_states` does the same for one satellite with a TLE *history*, each time
  using the element set nearest in epoch.
* :func:`geodetic` converts to latitude, longitude and height in chunks (memory stays
  bounded for a year at 1 s), either calling SGP4 at every time or, with
  ``node_step_s``, at nodes with cubic Hermite interpolation in between
  (:mod:`ionoquake.orbits.dense`).

Times are naive-UTC ``datetime64`` arrays throughout. sgp4 is fed UTC (as the TLE
epochs are UTC); the Earth's rotation uses UT1 (see :mod:`ionoquake.orbits.frames`).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.orbits.dense import earth_fixed_nodes
from ionoquake.orbits.frames import (
    dut1_seconds,
    gmst82_rad,
    itrs_to_geodetic,
    julian_dates,
    teme_to_itrs,
)
from ionoquake.sources.tle import MAX_AGE_DAYS, TleAgeWarning, TleError

__all__ = ["CHUNK", "Geodetic", "geodetic", "nearest_epoch_index", "propagate_teme",
           "satrecs", "teme_states", "warn_tle_ages"]

Float = NDArray[np.float64]
#: Epochs per chunk: 2**20 keeps each temporary array at 8 MB (25 MB for vectors).
CHUNK = 1 << 20


def satrecs(tles: pd.DataFrame) -> list[Any]:
    """sgp4 ``Satrec`` objects for the rows of a TLE table (WGS-72, improved mode)."""
    from sgp4.api import Satrec

    return [Satrec.twoline2rv(str(a), str(b)) for a, b in zip(tles["line1"], tles["line2"],
                                                              strict=True)]


def propagate_teme(tles: pd.DataFrame, times: ArrayLike) -> tuple[Float, Float, Any]:
    """TEME position and velocity of every element set at every time, in one call.

    Parameters
    ----------
    tles
        Table from :func:`ionoquake.sources.tle.read`; each row is propagated.
    times
        Naive-UTC ``datetime64`` times.

    Returns
    -------
    r_km, v_km_s : numpy.ndarray
        Shape (n_sets, n_times, 3), km and km/s in TEME; NaN where sgp4 failed.
    error : numpy.ndarray
        Shape (n_sets, n_times), uint8 sgp4 error codes (0: fine).
    """
    from sgp4.api import SatrecArray

    jd, fr = julian_dates(times)
    error, r, v = SatrecArray(satrecs(tles)).sgp4(jd, fr)
    r[error != 0] = np.nan
    v[error != 0] = np.nan
    return r, v, error


def nearest_epoch_index(epochs: ArrayLike, times: ArrayLike) -> NDArray[np.intp]:
    """For each time, the index into ``epochs`` (any order) of the nearest epoch."""
    ep = np.asarray(epochs, dtype="datetime64[ns]").astype(np.int64)
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    order = np.argsort(ep, kind="stable")
    sorted_ep = ep[order]
    hi = np.clip(np.searchsorted(sorted_ep, t), 1, max(sorted_ep.size - 1, 1))
    lo = hi - 1
    if sorted_ep.size == 1:
        return np.zeros(t.shape, dtype=np.intp)
    pick = np.where(np.abs(t - sorted_ep[lo]) <= np.abs(sorted_ep[hi] - t), lo, hi)
    return np.asarray(order[pick], dtype=np.intp)


def _one_satellite(tles: pd.DataFrame) -> pd.DataFrame:
    if tles.empty:
        raise TleError("no element set given")
    ids = tles["norad_id"].unique()
    if ids.size != 1:
        raise TleError(f"expected the TLEs of one satellite, got NORAD ids {list(ids)[:5]}")
    return tles.reset_index(drop=True)


def warn_tle_ages(tles: pd.DataFrame, times: NDArray[np.datetime64], which: NDArray[np.intp],
               max_age_days: float) -> None:
    age = np.abs(times - tles["epoch"].to_numpy()[which]) / np.timedelta64(1, "D")
    far = age > max_age_days
    if far.any():
        row = tles.iloc[0]
        warnings.warn(
            f"TLE of NORAD {row['norad_id']} ({str(row['name']).strip() or 'no name'}): "
            f"{far.sum()} of {far.size} times are more than {max_age_days:g} days from the "
            f"nearest TLE epoch (up to {age.max():.1f} days); SGP4 errors grow by km per day",
            TleAgeWarning, stacklevel=3)
    flagged = tles["problem"].to_numpy()[np.unique(which)]
    for problem in {str(p) for p in flagged if p}:
        warnings.warn(f"TLE of NORAD {tles.iloc[0]['norad_id']}: {problem}", TleAgeWarning,
                      stacklevel=3)


def teme_states(tles: pd.DataFrame, times: ArrayLike, *, max_age_days: float = MAX_AGE_DAYS,
                warn: bool = True) -> tuple[Float, Float, Any]:
    """TEME states of one satellite, each time from the element set nearest in epoch.

    Parameters
    ----------
    tles
        The element sets of one satellite (a history or a single set).
    times
        Naive-UTC ``datetime64`` times.
    max_age_days
        Warn (:class:`~ionoquake.sources.tle.TleAgeWarning`) for times farther than
        this from every epoch.
    warn
        Set False when the caller has warned already.

    Returns
    -------
    r_km, v_km_s : numpy.ndarray
        Shape (n_times, 3); NaN where sgp4 failed.
    error : numpy.ndarray
        uint8 sgp4 error codes, shape (n_times,).
    """
    tles = _one_satellite(tles)
    t = np.asarray(times, dtype="datetime64[ns]")
    which = nearest_epoch_index(tles["epoch"].to_numpy(), t)
    if warn:
        warn_tle_ages(tles, t, which, max_age_days)
    sats = satrecs(tles)
    r = np.empty((t.size, 3))
    v = np.empty((t.size, 3))
    error = np.zeros(t.size, dtype=np.uint8)
    for k in np.unique(which):
        sel = which == k
        jd, fr = julian_dates(t[sel])
        e, r[sel], v[sel] = sats[k].sgp4_array(jd, fr)
        error[sel] = e
    r[error != 0] = np.nan
    v[error != 0] = np.nan
    return r, v, error


@dataclass(frozen=True)
class Geodetic:
    """Sub-satellite points of one satellite: arrays of the times' length.

    ``lat_deg``/``lon_deg`` are WGS84 geodetic (lon in −180..180), ``alt_km`` the height
    above the ellipsoid, ``geocentric_lat_deg`` the angle above the equator seen from the
    Earth's centre, ``vz_km_s`` the northward (z) velocity, the same in TEME and ITRS.
    """

    lat_deg: Float
    lon_deg: Float
    alt_km: Float
    geocentric_lat_deg: Float
    vz_km_s: Float


def geodetic(tles: pd.DataFrame, times: ArrayLike, *, node_step_s: float | None = None,
             chunk: int = CHUNK, dut1_s: float | None = None,
             max_age_days: float = MAX_AGE_DAYS, threads: int | None = None) -> Geodetic:
    """Sub-satellite points of one satellite at many times, computed in chunks.

    Parameters
    ----------
    tles
        Element sets of one satellite; each time uses the set nearest in epoch.
    times
        Naive-UTC ``datetime64`` times (any order; a year at 1 s is fine).
    node_step_s
        None: SGP4 at every time. A number: SGP4 at nodes this many seconds apart and
        cubic Hermite interpolation in between (:mod:`ionoquake.orbits.dense`; 60 s
        keeps the error below 1 m in LEO and is ~10× faster).
    chunk
        Times per chunk; bounds the temporary memory (~40 bytes × chunk × 10).
    dut1_s
        UT1 − UTC in seconds; None reads skyfield's built-in IERS table.
    max_age_days
        Warn for times farther than this from every TLE epoch.
    threads
        Chunks computed in parallel (numpy releases the GIL); default: CPU count, ≤ 4.

    Returns
    -------
    Geodetic
        Arrays of the times' length; NaN where SGP4 failed.
    """
    tles = _one_satellite(tles)
    t = np.asarray(times, dtype="datetime64[ns]").ravel()
    which = nearest_epoch_index(tles["epoch"].to_numpy(), t)
    warn_tle_ages(tles, t, which, max_age_days)
    out = Geodetic(*(np.empty(t.size) for _ in range(5)))
    nodes = None
    if node_step_s is not None and t.size:
        nodes = earth_fixed_nodes(tles, t.min(), t.max(), step_s=node_step_s, dut1_s=dut1_s)

    def one_chunk(start: int) -> None:
        part = slice(start, start + chunk)
        if nodes is None:
            r, v, _ = teme_states(tles, t[part], warn=False)
            jd, fr = julian_dates(t[part])
            dut1 = dut1_seconds(jd, fr) if dut1_s is None else dut1_s
            r_f = teme_to_itrs(r, gmst82_rad(jd, fr + dut1 / 86400.0))
            x, y, z, vz = r_f[:, 0], r_f[:, 1], r_f[:, 2], v[:, 2]
        else:
            x, y, z, vz = nodes.position(nodes.seconds(t[part]))
        out.lat_deg[part], out.lon_deg[part], out.alt_km[part] = itrs_to_geodetic(x, y, z)
        out.geocentric_lat_deg[part] = np.degrees(np.arctan(z / np.hypot(x, y)))
        out.vz_km_s[part] = vz

    n_threads = threads or min(os.cpu_count() or 1, 4)
    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(one_chunk, range(0, t.size, chunk)))
    return out
