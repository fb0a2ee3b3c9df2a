"""SGP4 propagation of TLE tables, vectorised and chunked, to WGS84 geodetic positions.

The TEME states come from :mod:`ionoquake.orbits.sgp4`.
:func:`geodetic` converts to latitude, longitude and height in chunks (memory stays
  bounded for a year at 1 s), either calling SGP4 at every time or, with
  ``node_step_s``, at nodes with cubic Hermite interpolation in between
  (:mod:`ionoquake.orbits.dense`).

Times are naive-UTC ``datetime64`` arrays throughout. sgp4 is fed UTC (as the TLE
epochs are UTC); the Earth's rotation uses UT1 (see :mod:`ionoquake.orbits.frames`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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
from ionoquake.orbits.sgp4 import (
    nearest_epoch_index,
    one_satellite,
    teme_states,
    warn_tle_ages,
)
from ionoquake.sources.tle import MAX_AGE_DAYS

__all__ = ["CHUNK", "Geodetic", "geodetic"]

Float = NDArray[np.float64]
#: Epochs per chunk: 2**20 keeps each temporary array at 8 MB (25 MB for vectors).
CHUNK = 1 << 20


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
    tles = one_satellite(tles)
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
