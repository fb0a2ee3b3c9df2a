"""GNSS time scales: GPS time, UTC, BeiDou time, and seconds of the GPS week.

RINEX observation epochs of GPS and mixed files are in GPS time (the ``TIME OF FIRST
OBS`` record says so); the container of :mod:`ionoquake.gnss` is in UTC. GPS time runs
ahead of UTC by the leap seconds inserted since 1980-01-06 (IERS Bulletin C; 18 s since
2017-01-01). BeiDou time (BDT) is GPS time − 14 s (BDS-SIS-ICD-2.1 §3.3); Galileo system
time is aligned to GPS time to within tens of ns (Galileo OS-SIS-ICD 2.0 §5.1.2), so
seconds of week are the same. GLONASS broadcast epochs are given in UTC in RINEX.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Days on which GPS − UTC increased by one second (IERS Bulletin C; 1981–2017).
_LEAP_DAYS = np.array([
    "1981-07-01", "1982-07-01", "1983-07-01", "1985-07-01", "1988-01-01", "1990-01-01",
    "1991-01-01", "1992-07-01", "1993-07-01", "1994-07-01", "1996-01-01", "1997-07-01",
    "1999-01-01", "2006-01-01", "2009-01-01", "2012-07-01", "2015-07-01", "2017-01-01",
], dtype="datetime64[ns]")

#: GPS time epoch (IS-GPS-200N §3.3.4): 1980-01-06 00:00:00 UTC.
GPS_EPOCH = np.datetime64("1980-01-06T00:00:00", "ns")
SECONDS_PER_WEEK = 604800.0
#: GPS − BDT, s (BDS-SIS-ICD-B1I-3.0 §4.1.2: BDT started 2006-01-01 00:00:00 UTC).
GPS_MINUS_BDT_S = 14.0


def gps_minus_utc_s(utc: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """GPS − UTC, seconds, at the UTC instants ``utc`` (0 before 1981-07-01)."""
    t = np.asarray(utc, dtype="datetime64[ns]")
    return np.searchsorted(_LEAP_DAYS, t, side="right").astype(np.float64)


def gps_to_utc(gps: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    """UTC of GPS-time instants (leap-second table above; exact except within a leap)."""
    t = np.asarray(gps, dtype="datetime64[ns]")
    first = gps_minus_utc_s(t)  # GPS − UTC is at most 18 s off at the right instant
    leap = gps_minus_utc_s(t - (first * 1e9).astype("timedelta64[ns]"))
    return t - (leap * 1e9).astype("timedelta64[ns]")


def utc_to_gps(utc: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    """GPS time of UTC instants."""
    t = np.asarray(utc, dtype="datetime64[ns]")
    return t + (gps_minus_utc_s(t) * 1e9).astype("timedelta64[ns]")


def seconds_since_gps_epoch(gps: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """Seconds of GPS time since 1980-01-06 (float; µs resolution over decades)."""
    t = np.asarray(gps, dtype="datetime64[ns]")
    return (t - GPS_EPOCH).astype("timedelta64[ns]").astype(np.int64) / 1e9


def seconds_of_week(gps: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """GPS seconds of week (0 ≤ s < 604 800) of GPS-time instants."""
    return np.mod(seconds_since_gps_epoch(gps), SECONDS_PER_WEEK)


def round_epochs(times: NDArray[np.datetime64], resolution_ms: int = 1) -> NDArray[np.datetime64]:
    """Epochs rounded to ``resolution_ms`` (readers that go through float seconds return
    ``00:59:29.999999`` for ``00:59:30``; receivers at 1 Hz or slower sit on whole ms)."""
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    step = resolution_ms * 1_000_000
    return ((t + step // 2) // step * step).astype("datetime64[ns]")
