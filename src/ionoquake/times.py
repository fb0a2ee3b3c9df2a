"""The one time convention of every output: ISO 8601, UTC, a ``Z``, fixed precision.

Every time ionoquake writes for someone else to read — API responses, CSV and JSON files,
the database mirror's text columns, report tables — is written by :func:`iso_utc` (one value)
or :func:`iso_utc_series` (a column) as ``YYYY-MM-DDTHH:MM:SS.fffZ``: always 24 characters,
milliseconds (the precision of ComCat and ISC origin times; GNSS epochs and map times are whole
seconds), so ``pandas.to_datetime`` reads every column without a format and a text comparison
sorts like the times. Binary containers keep real time types instead: Parquet timestamps are
UTC-aware (``timestamp[ms, tz=UTC]`` or finer), NetCDF ``time`` has CF units
``"seconds since 1970-01-01T00:00:00Z"``-style encodings chosen by xarray.

Times inside ionoquake are timezone-naive ``datetime64`` values in UTC (the xarray/pandas
habit of the field); aware inputs are converted to UTC, naive ones are taken as UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

#: What :func:`iso_utc` writes.
ISO_UTC_EXAMPLE = "2001-01-13T04:33:37.500Z"


def _utc_naive(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def iso_utc(value: Any) -> str | None:
    """``value`` (datetime, numpy/pandas time, ISO text) as ``YYYY-MM-DDTHH:MM:SS.fffZ``.

    None, NaT and NaN give None (JSON ``null``; empty in CSV). Sub-millisecond parts are
    rounded to the nearest millisecond.
    """
    if value is None or (not isinstance(value, str | dt.date) and pd.isna(value)):
        return None
    ts = _utc_naive(value).round("ms")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def iso_utc_series(values: Any) -> pd.Series:
    """A column of times as :func:`iso_utc` text (``None`` where missing), vectorised."""
    series = pd.Series(values)
    times = pd.to_datetime(series, utc=True).dt.tz_localize(None).dt.round("ms")
    text = (times.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z").astype(object)
    text[times.isna()] = None
    return text


def utc_aware(values: Any) -> pd.Series:
    """A column of times as UTC-aware pandas timestamps (for Parquet and Arrow)."""
    return pd.to_datetime(pd.Series(values), utc=True)


def as_datetime64(values: Any) -> np.ndarray:
    """Times (aware or naive, text or values) as naive UTC ``datetime64[ns]``."""
    return np.asarray(pd.to_datetime(pd.Series(values), utc=True).dt.tz_localize(None),
                      dtype="datetime64[ns]")
