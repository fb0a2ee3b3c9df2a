"""SGP4 on TLE tables: TEME states of many element sets, or of one satellite's history.

* :func:`propagate_teme` runs sgp4's ``SatrecArray`` over all satellites × all times in
  one call (Vallado et al. 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753, via
  the ``sgp4`` package's C++ core). An element set that fails at some time (sgp4 error
  codes 1-6: decayed, eccentricity out of range, ...) gives NaN at that time and its
  code in ``error``; nothing raises half-way.
* :func:`teme_states` does the same for one satellite with a TLE *history*, each time
  using the element set nearest in epoch.

Times are naive-UTC ``datetime64`` arrays; sgp4 is fed UTC (as the TLE epochs are UTC).
The conversion to the Earth-fixed frame and to geodetic coordinates is in
:mod:`ionoquake.orbits.dense` and :mod:`ionoquake.orbits.propagate`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.orbits.frames import julian_dates
from ionoquake.sources.tle import MAX_AGE_DAYS, TleAgeWarning, TleError

__all__ = ["nearest_epoch_index", "one_satellite", "propagate_teme", "satrecs", "teme_states",
           "warn_tle_ages"]

Float = NDArray[np.float64]


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


def one_satellite(tles: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``tles``, checked to hold element sets of exactly one satellite."""
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
    tles = one_satellite(tles)
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
