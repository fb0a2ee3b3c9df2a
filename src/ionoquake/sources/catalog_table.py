"""The earthquake-catalogue table: one column set, built in one place.

Every catalogue reader (ComCat CSV, FDSN text, ISC-GEM, USGS Centennial, NOAA,
QuakeML) returns the DataFrame that :func:`catalog_frame` builds, so all of them
have the same leading columns, in the same order, with the same types:

=================  ===================  =============================================
column             dtype                meaning
=================  ===================  =============================================
``time``           datetime64[ns]       origin time, naive UTC (the project's rule)
``latitude``       float64              degrees north, -90..90
``longitude``      float64              degrees east, -180..180 (wrapped if 180..360)
``depth_km``       float64              hypocentre depth below sea level, km (NaN: none)
``magnitude``      float64              preferred magnitude (NaN: none given)
``magnitude_type`` string               e.g. ``mww``, ``mb``, ``Mw``, ``Ms``
``event_id``       string               the producer's id, unique within ``source``
``source``         string               which catalogue: ``usgs-comcat``, ``isc-gem``, ...
=================  ===================  =============================================

followed by whatever else the source has (snake_case names, units in the name).

Values are checked here, once for all readers: a magnitude outside
:data:`MAGNITUDE_RANGE`, a depth outside :data:`DEPTH_RANGE_KM`, a latitude or
longitude off the globe raise :class:`CatalogError` naming the file, the line and
the field, so that nothing half-read is ever stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError

__all__ = [
    "CORE_COLUMNS",
    "DEPTH_RANGE_KM",
    "MAGNITUDE_RANGE",
    "CatalogError",
    "catalog_frame",
    "concat_catalogs",
    "empty_catalog",
    "parse_numbers",
    "parse_times",
    "text_column",
]

CORE_COLUMNS = ("time", "latitude", "longitude", "depth_km", "magnitude", "magnitude_type",
                "event_id", "source")

#: Plausible magnitudes: the largest instrumentally recorded is Mw 9.5 (Chile 1960);
#: ComCat lists micro-earthquakes down to about M -2.
MAGNITUDE_RANGE = (-3.0, 10.0)
#: Depth in km: negative above sea level (high mountains), deepest known events ~750 km.
DEPTH_RANGE_KM = (-15.0, 1000.0)
_RANGES = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 360.0),
           "depth_km": DEPTH_RANGE_KM, "magnitude": MAGNITUDE_RANGE}


class CatalogError(IonoquakeError):
    """An earthquake catalogue file is malformed: the message names file, line and field."""


def _where(name: str, lines: NDArray[np.int64] | None, row: int) -> str:
    if lines is None:
        return f"{name} event {row + 1}: "
    return f"{name} line {int(lines[row])}: "


def parse_numbers(
    values: pd.Series | Sequence[Any] | NDArray[Any], *, name: str, field: str,
    lines: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """Convert a column of text to floats; blanks become NaN, anything else raises.

    Raises
    ------
    CatalogError
        ``"<file> line <n>: field '<field>': '<text>' is not a number"``.
    """
    series = pd.Series(values, copy=False)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    text = series.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna().to_numpy() & text.fillna("").ne("").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CatalogError(f"{_where(name, lines, row)}field {field!r}: "
                           f"{text.iloc[row]!r} is not a number")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def parse_times(
    values: pd.Series | Sequence[Any] | NDArray[Any], *, name: str, field: str,
    lines: NDArray[np.int64] | None = None, format: str = "ISO8601",
) -> NDArray[np.datetime64]:
    """Parse time stamps to naive UTC ``datetime64[ns]``; blanks become NaT.

    Stamps with an offset (``Z``, ``+00:00``) are converted to UTC; stamps without
    one are taken as UTC.

    Raises
    ------
    CatalogError
        ``"<file> line <n>: field '<field>': '<text>' is not a time"``.
    """
    text = pd.Series(values, copy=False).astype("string").str.strip()
    try:
        times = pd.DatetimeIndex(pd.to_datetime(text, format=format, errors="coerce",
                                                utc=True))
    except (ValueError, OverflowError):  # mixed offsets pandas cannot reconcile
        times = pd.DatetimeIndex(pd.to_datetime(text.to_list(), format=format,
                                                errors="coerce", utc=True))
    bad = np.asarray(times.isna()) & text.fillna("").ne("").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CatalogError(f"{_where(name, lines, row)}field {field!r}: "
                           f"{text.iloc[row]!r} is not a time")
    naive = times.tz_convert("UTC").tz_localize(None)
    outside = np.asarray((naive < pd.Timestamp.min) | (naive > pd.Timestamp.max))
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise CatalogError(f"{_where(name, lines, row)}field {field!r}: {text.iloc[row]!r} "
                           f"is outside the years 1678..2261 that datetime64[ns] holds")
    return naive.as_unit("ns").to_numpy()


def catalog_frame(
    columns: Mapping[str, Any],
    extra: pd.DataFrame | None = None,
    *,
    name: str = "<catalog>",
    lines: ArrayLike | None = None,
    fields: Mapping[str, str] | None = None,
    required: Sequence[str] = ("time", "latitude", "longitude"),
) -> pd.DataFrame:
    """Build the catalogue table from the core columns and the source's other columns.

    Parameters
    ----------
    columns
        The eight :data:`CORE_COLUMNS`, already parsed (``time`` as datetime64,
        numbers as floats, the rest as text); all of equal length.
    extra
        Further columns of the source, in the order to keep them.
    name
        File name for error messages.
    lines
        Line number in the file of each row, for error messages.
    fields
        The file's own name of each core column (``{"magnitude": "mag"}``), for messages.
    required
        Core columns that may not be missing (NaN/NaT/empty).

    Returns
    -------
    pandas.DataFrame
        Core columns first (see the module docstring), then ``extra``; index 0..n-1.

    Raises
    ------
    CatalogError
        A value is missing where required, or out of its physical range.
    """
    missing = [c for c in CORE_COLUMNS if c not in columns]
    if missing:
        raise CatalogError(f"{name}: catalogue is missing column(s) {missing}")
    line_no = None if lines is None else np.asarray(lines, dtype=np.int64)
    fields = dict(fields or {})
    data: dict[str, Any] = {
        "time": pd.to_datetime(pd.Series(columns["time"])).dt.as_unit("ns").to_numpy(),
        **{c: np.asarray(columns[c], dtype=float)
           for c in ("latitude", "longitude", "depth_km", "magnitude")},
        **{c: text_column(columns[c]) for c in ("magnitude_type", "event_id", "source")},
    }
    frame = pd.DataFrame(data, columns=list(CORE_COLUMNS))
    for column in required:
        absent = frame[column].isna().to_numpy()
        if absent.any():
            row = int(np.flatnonzero(absent)[0])
            raise CatalogError(f"{_where(name, line_no, row)}field "
                               f"{fields.get(column, column)!r}: no value")
    for column, (low, high) in _RANGES.items():
        values = frame[column].to_numpy()
        bad = ~np.isnan(values) & ((values < low) | (values > high))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise CatalogError(
                f"{_where(name, line_no, row)}field {fields.get(column, column)!r}: "
                f"{column.replace('_km', '')} {values[row]:g} is outside {low:g}..{high:g}")
    lon = frame["longitude"].to_numpy()
    if np.nanmax(lon, initial=-np.inf) > 180.0:
        frame["longitude"] = np.where(lon > 180.0, lon - 360.0, lon)
    if extra is not None and len(extra.columns):
        extra = extra.reset_index(drop=True)
        clash = [c for c in extra.columns if c in CORE_COLUMNS]
        if clash:
            raise CatalogError(f"{name}: extra columns {clash} clash with the core columns")
        frame = pd.concat([frame, extra], axis=1)
    return frame


def text_column(values: Any) -> Any:
    """A pandas string array; missing values (None, NaN, "") become <NA>."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        strings = values.astype("string")
        return strings.mask(strings.eq("").fillna(False)).array
    series = pd.Series(values, dtype="object")
    return series.where(pd.notna(series) & series.ne(""), None).astype("string").array


def empty_catalog() -> pd.DataFrame:
    """A catalogue table with no events (the core columns, correctly typed)."""
    return catalog_frame({c: [] for c in CORE_COLUMNS}, required=())


def concat_catalogs(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate catalogue tables, drop repeated events, sort by time.

    An event read twice (same ``source`` and ``event_id``, e.g. from overlapping
    exports) is kept once: the row with the latest ``updated`` time where the
    source gives one, else the row read last. Events without a time come last.
    """
    frames = [f for f in frames if len(f)] or [empty_catalog()]
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if merged["event_id"].duplicated(keep=False).any():
        key = merged["source"].astype(str) + "\x1f" + merged["event_id"].astype(str)
        # Keep the latest revision of each repeated event (or the one read last).
        ranks = np.arange(len(merged))
        if "updated" in merged.columns:
            ranks = np.argsort(np.argsort(merged["updated"].to_numpy().astype("int64"),
                                          kind="stable"), kind="stable")
        order = np.lexsort((ranks, key.to_numpy()))
        last = np.ones(len(order), dtype=bool)
        last[:-1] = key.to_numpy()[order][1:] != key.to_numpy()[order][:-1]
        merged = merged.iloc[np.sort(order[last])]
    times = merged["time"].to_numpy().astype("int64")  # NaT sorts first as int64 min
    order = np.argsort(np.where(np.isnat(merged["time"].to_numpy()), np.iinfo(np.int64).max,
                                times), kind="stable")
    return merged.iloc[order].reset_index(drop=True)
