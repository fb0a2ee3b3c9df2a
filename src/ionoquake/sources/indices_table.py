"""The space-weather index table: one row per UT hour, the layout of NASA's OMNI2 hourly data.

Every index reader returns this table, built by :func:`indices_frame` and nothing
else, so that the columns, their order, dtypes and units are the same whatever
the source. The layout is the one space physicists know from OMNI2 (King &
Papitashvili 2005, J. Geophys. Res. 110, A02104; OMNI2 format description at
https://omniweb.gsfc.nasa.gov/html/ow_data.html): a row for each UT hour,
``time`` the **start** of the hour (naive UTC), and

* hourly quantities (Dst, IMF Bz) the value of the hour ``[time, time + 1 h)``;
* 3-hourly quantities (Kp, ap) the value of the 3-hour interval that contains
  the hour (00–03, 03–06, … UT): the same value on three consecutive rows;
* daily quantities (Ap, F10.7, sunspot number) the value of the UT day, the
  same on 24 rows.

So a time series of any one index is read from the table at its own cadence
(``df.kp.iloc[::3]``), and any epoch is matched to the indices valid at that
moment by flooring it to the hour (see :mod:`ionoquake.detect.quiet`).

Kp is stored as a float in thirds: ``3-`` = 2.667, ``3o`` = 3.0, ``3+`` = 3.333
(Bartels 1957; Matzka et al. 2021, Space Weather 19, e2020SW002641). CelesTrak and
OMNI write Kp×10 rounded to an integer (``33`` is 3+, ``37`` is 4-), GFZ writes it
with three decimals (``3.333``); both are converted to exact thirds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ionoquake.errors import IonoquakeError, where


class IndicesError(IonoquakeError):
    """A space-weather index file is malformed, out of range or of another kind."""


@dataclass(frozen=True)
class Column:
    """One column of the index table: name, pandas dtype, units and meaning."""

    name: str
    dtype: str
    units: str
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("time", "datetime64[ns]", "UTC", "start of the UT hour (naive UTC)"),
    Column("kp", "float64", "1", "Kp of the 3-h interval holding the hour, in thirds (3+ = 3.333)"),
    Column("ap", "float64", "2 nT", "ap of the 3-h interval holding the hour"),
    Column("ap_daily", "float64", "2 nT", "daily Ap of the UT day (mean of its eight ap)"),
    Column("dst_nT", "float64", "nT", "Dst of the hour (Kyoto hour 1 = 00-01 UT -> 00:00)"),
    Column("bz_gsm_nT", "float64", "nT", "IMF Bz, GSM, hourly mean (OMNI)"),
    Column("f107_obs_sfu", "float64", "sfu", "observed F10.7 of the UT day (noon, Penticton)"),
    Column("f107_adj_sfu", "float64", "sfu", "F10.7 of the day adjusted to 1 AU"),
    Column("f107_obs_81c_sfu", "float64", "sfu", "81-day centred average of observed F10.7"),
    Column("f107_adj_81c_sfu", "float64", "sfu", "81-day centred average of adjusted F10.7"),
    Column("f107_obs_81l_sfu", "float64", "sfu", "average of observed F10.7 over the last 81 days"),
    Column("f107_adj_81l_sfu", "float64", "sfu", "average of adjusted F10.7 over the last 81 days"),
    Column("f107_adj_365_sfu", "float64", "sfu", "365-day average of adjusted F10.7 (IRI apf107)"),
    Column("sunspot_number", "float64", "1", "daily international sunspot number, version 2"),
    Column("kp_status", "str", "", "Kp/ap: definitive, preliminary, predicted or unknown"),
    Column("dst_status", "str", "", "Dst: final, provisional, realtime or unknown"),
    Column("predicted", "bool", "", "True on rows from a forecast (CelesTrak predicted blocks)"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
UNITS: dict[str, str] = {c.name: c.units for c in COLUMNS}
_STATUS = ("kp_status", "dst_status")

# Kp×10 codes of the 28 Kp values 0o, 0+, 1-, ..., 9o: round(10 k / 3), k = 0..27.
KP_TENTHS_CODES = np.round(np.arange(28) * 10 / 3).astype(int)
HOUR = np.timedelta64(1, "h")


def indices_frame(
    time: npt.ArrayLike, columns: Mapping[str, npt.ArrayLike], *, source: str
) -> pd.DataFrame:
    """Build the index table: every column of :data:`COLUMNS`, in order, with its dtype.

    Parameters
    ----------
    time
        Start of each UT hour (naive UTC), strictly increasing.
    columns
        Values of some of the columns, each as long as ``time``; the others are
        filled with NaN (numbers), missing (status) or False (``predicted``).
    source
        Name of the format the values came from, kept in ``attrs["source"]``.

    Returns
    -------
    pandas.DataFrame
        Units of every column in ``attrs["units"]``.
    """
    unknown = set(columns) - set(COLUMN_NAMES) - {"time"}
    if unknown:
        raise IndicesError(f"unknown index column(s) {sorted(unknown)}")
    times = pd.DatetimeIndex(np.asarray(time, dtype="datetime64[ns]"))
    n = len(times)
    data: dict[str, object] = {"time": times.to_numpy()}
    for col in COLUMNS[1:]:
        values = columns.get(col.name)
        if values is None:
            values = np.zeros(n, bool) if col.dtype == "bool" else np.full(n, np.nan)
        series = pd.Series(np.asarray(values))
        if len(series) != n:
            raise IndicesError(f"column {col.name!r} has {len(series)} values for {n} times")
        data[col.name] = series.astype(col.dtype).array  # type: ignore[call-overload]
    df = pd.DataFrame(data, columns=list(COLUMN_NAMES))
    # A status describes values: none where the values are missing.
    df.loc[df["kp"].isna() & df["ap"].isna(), "kp_status"] = np.nan
    df.loc[df["dst_nT"].isna(), "dst_status"] = np.nan
    df.attrs = {"units": dict(UNITS), "source": source}
    return df


def hourly_times(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
    """The 24 hour starts of each day of ``days`` (datetime64[D]), day after day."""
    d = np.asarray(days, dtype="datetime64[ns]")
    return np.asarray((d[:, None] + np.arange(24) * HOUR).ravel(), dtype="datetime64[ns]")


def per_hour(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Spread daily values (n,) or 3-hourly values (n, 8) over the 24 hours of each day."""
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:
        return np.repeat(a, 24)
    return np.repeat(a, 24 // a.shape[1], axis=1).ravel()


def kp_from_tenths(
    codes: npt.ArrayLike, name: str | os.PathLike[str], lines: Sequence[int], field: str
) -> npt.NDArray[np.float64]:
    """Kp in thirds from Kp×10 codes (``33`` -> 3.333); NaN stays NaN; bad codes raise.

    ``lines`` gives the file line of each row of ``codes`` (n, 8), for the message.
    """
    a = np.asarray(codes, dtype=float)
    ok = np.isnan(a) | np.isin(a, KP_TENTHS_CODES)
    if not ok.all():
        row, k = np.argwhere(~ok)[0]
        label = field if a.shape[1] == 1 else f"{field}{k + 1}"
        raise IndicesError(
            f"{where(name, lines[row])}field '{label}': Kp×10 value {a[row, k]:g} is not "
            "one of 0, 3, 7, 10, ..., 87, 90 (Kp 0o..9o in thirds)"
        )
    return np.round(a * 3 / 10) / 3


def kp_from_decimal(
    kp: npt.ArrayLike, name: str | os.PathLike[str], lines: Sequence[int], field: str
) -> npt.NDArray[np.float64]:
    """Kp in exact thirds from decimals like ``3.333``; NaN stays NaN; others raise."""
    a = np.asarray(kp, dtype=float)
    thirds = np.round(a * 3)
    ok = np.isnan(a) | ((np.abs(a * 3 - thirds) < 0.01) & (a >= 0) & (a <= 9))
    if not ok.all():
        row, k = np.argwhere(~ok)[0]
        raise IndicesError(
            f"{where(name, lines[row])}field '{field}{k + 1}': Kp {a[row, k]:g} is not a "
            "Kp value in thirds between 0 and 9"
        )
    return thirds / 3


def check_range(
    values: npt.ArrayLike, low: float, high: float, name: str | os.PathLike[str],
    lines: Sequence[int], field: str, units: str = "",
) -> None:
    """Raise :class:`IndicesError` naming the first value outside ``[low, high]``."""
    a = np.asarray(values, dtype=float)
    bad = ~np.isnan(a) & ((a < low) | (a > high))
    if bad.any():
        idx = np.argwhere(bad)[0]
        row = int(idx[0])
        label = field if a.ndim == 1 else f"{field}{int(idx[1]) + 1}"
        unit = f" {units}" if units else ""
        raise IndicesError(
            f"{where(name, lines[row])}field '{label}': {a[tuple(idx)]:g}{unit} is outside "
            f"the possible range {low:g}..{high:g}{unit}"
        )


def check_increasing(
    days: npt.NDArray[np.datetime64], name: str | os.PathLike[str], lines: Sequence[int]
) -> None:
    """Raise naming the line whose date repeats or goes back (files are in time order)."""
    if len(days) < 2:
        return
    back = np.flatnonzero(np.diff(days) <= np.timedelta64(0, "D"))
    if back.size:
        i = int(back[0]) + 1
        raise IndicesError(
            f"{where(name, lines[i])}field 'date': {days[i]} does not follow "
            f"{days[i - 1]} of line {lines[i - 1]}: dates must increase"
        )


@dataclass(frozen=True)
class Field:
    """A fixed-width field: name, 0-based first column, width, integer or real, ruler label."""

    name: str
    start: int
    width: int
    real: bool = False
    label: str = ""


def fixed_layout(spec: Sequence[tuple[str, int, bool, str]]) -> tuple[Field, ...]:
    """Consecutive fields from ``(name, width, real, label)``, as a Fortran FORMAT lays them."""
    fields, start = [], 0
    for name, width, real, label in spec:
        fields.append(Field(name, start, width, real, label))
        start += width
    return tuple(fields)


def column_template(fields: Sequence[Field]) -> str:
    """A ruler of field names, each right-aligned in its columns (shown above a bad line)."""
    ruler = [" "] * max(f.start + f.width for f in fields)
    for f in fields:
        room = f.width - (f.start > 0)  # keep a blank between labels
        ruler[f.start : f.start + f.width] = (f.label or f.name)[:room].rjust(f.width)
    return "".join(ruler).rstrip()


_INT = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


def number(text: str, *, real: bool = True) -> float | None:
    """``text`` as a float if it is a plain decimal (integer when ``real`` is False), else None.

    Stricter than ``float()``: no ``nan``, ``inf``, exponents or ``1_000``.
    """
    return float(text) if (_REAL if real else _INT).fullmatch(text) else None


def number_rows(rows: Iterable[tuple[int, Sequence[str]]], columns: Sequence[str],
                name: str | os.PathLike[str], *,
                real: Callable[[str], bool] = lambda column: True,
                ) -> tuple[npt.NDArray[np.float64], list[int]]:
    """Rows of delimited numbers, given as ``(line number, tokens)``, as a float array.

    Every row must have one token per column, each a plain number (an integer where
    ``real(column)`` is False); the first offence raises :class:`IndicesError` naming
    the line and field. Returns the array and the line numbers of its rows.
    """
    linenos, values = [], []
    for lineno, tokens in rows:
        if len(tokens) != len(columns):
            field = columns[min(len(tokens), len(columns) - 1)]
            raise IndicesError(f"{where(name, lineno)}field '{field}': expected "
                               f"{len(columns)} values, found {len(tokens)}")
        row = []
        for col, token in zip(columns, tokens, strict=True):
            is_real = real(col)
            value = number(token, real=is_real)
            if value is None:
                raise IndicesError(f"{where(name, lineno)}field '{col}': {token!r} is not "
                                   + ("a number" if is_real else "an integer"))
            row.append(value)
        linenos.append(lineno)
        values.append(row)
    return np.array(values, dtype=float).reshape(-1, len(columns)), linenos


def read_fixed(
    line: str, fields: Sequence[Field], name: str | os.PathLike[str], lineno: int,
    template: str | None = None,
) -> list[float]:
    """The values of ``fields`` in ``line``; a blank or non-numeric field raises.

    The message names the file, line, field and its columns, and shows the
    expected column layout above the line, as sgp4 does for a broken TLE.
    """
    values = []
    for f in fields:
        text = line[f.start : f.start + f.width].strip()
        value = number(text, real=f.real)
        if value is not None:
            values.append(value)
            continue
        what = "a number" if f.real else "an integer"
        problem = "is blank" if not text else f"{text!r} is not {what}"
        raise IndicesError(
            f"{where(name, lineno)}field '{f.name}' (columns {f.start + 1}-{f.start + f.width}) "
            f"{problem}\n  expected: {template or column_template(fields)}\n  found:    {line}"
        )
    return values
