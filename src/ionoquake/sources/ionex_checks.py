"""Checks on the maps an IONEX file holds, against its own header and physics.

* Values: raw ``9999`` is the specification's "no value" marker (Schaer, Gurtner &
  Feltens 1998, section 5: "9999, if no value available"), in file units whatever the
  EXPONENT; it becomes NaN before scaling. Every other TEC or RMS value, scaled by its
  map's EXPONENT, must lie in
  :data:`ionoquake.sources.map_checks.TEC_RANGE_TECU`.
* Epochs: each kind of map (TEC, RMS, HEIGHT) strictly increasing in file order, all
  inside the span the header declares (EPOCH OF FIRST MAP .. EPOCH OF LAST MAP); the
  TEC maps start at EPOCH OF FIRST MAP and end at EPOCH OF LAST MAP (a file whose maps
  stop earlier is truncated), and with an INTERVAL their number is
  ``(last - first) / interval + 1``, so a file cut after whole maps is caught even
  without its ``# OF MAPS IN FILE`` record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ionoquake.errors import where
from ionoquake.sources.ionex_header import IonexError, IonexHeader, parse_epoch
from ionoquake.sources.map_checks import TEC_RANGE_TECU


def header_epoch(text: str, label: str, name: str) -> np.datetime64 | None:
    """``EPOCH OF FIRST MAP``/``EPOCH OF LAST MAP`` as datetime64[ns], or None if absent."""
    return parse_epoch(text, label, name) if text.strip() else None


def check_values(scaled: np.ndarray, kinds: np.ndarray, mstart: np.ndarray, name: str,
                 lineno: Callable[[Any], int],
                 reversed_axes: tuple[bool, bool] | None = None) -> None:
    """Every TEC and RMS value inside the physical range (NaN: no value).

    One pass over all the maps; the error names the first map (in file order) with a
    value outside the range, and the first such value in it, by its row and column in
    the file. ``reversed_axes``: whether ``scaled`` has its rows, columns in the reverse
    of the file's order (None: as in the file).
    """
    low, high = TEC_RANGE_TECU
    checked = np.flatnonzero((kinds == "tec") | (kinds == "rms"))
    if not len(checked):
        return
    values = scaled if len(checked) == len(scaled) else scaled[checked]
    with np.errstate(invalid="ignore"):
        bad = (values < low) | (values > high)  # False for NaN
    if not bad.any():
        return
    i = int(np.flatnonzero(bad.reshape(len(checked), -1).any(axis=1))[0])
    m = int(checked[i])
    rows, cols = reversed_axes or (False, False)
    as_in_file = (slice(None, None, -1 if rows else 1), slice(None, None, -1 if cols else 1))
    lat_row, lon_col = np.argwhere(bad[i][as_in_file])[0]
    value = scaled[m][as_in_file][lat_row, lon_col]
    raise IonexError(
        f"{where(name, lineno(mstart[m]))}{str(kinds[m]).upper()} map: value "
        f"{value:g} TECU (row {lat_row + 1}, value {lon_col + 1}) "
        f"is outside the accepted range {low:g}..{high:g} TECU; 9999 in file units "
        f"marks no value")


def check_epochs(times: np.ndarray, kinds: np.ndarray, mstart: np.ndarray, hdr: IonexHeader,
                 name: str, lineno: Callable[[Any], int]) -> None:
    """Map epochs strictly increasing, inside the header's span, and all of it covered.

    The error names the first map, in each kind's file order, that breaks a rule.
    """
    first = header_epoch(hdr.first_epoch, "EPOCH OF FIRST MAP", name)
    last = header_epoch(hdr.last_epoch, "EPOCH OF LAST MAP", name)
    for kind in ("tec", "rms", "height"):
        sel = np.flatnonzero(kinds == kind)
        t = times[sel]
        backwards = np.zeros(len(t), dtype=bool)
        backwards[1:] = t[1:] <= t[:-1]
        outside = np.zeros(len(t), dtype=bool)
        if first is not None:
            outside |= t < first
        if last is not None:
            outside |= t > last
        wrong = np.flatnonzero(backwards | outside)
        if not len(wrong):
            continue
        i = int(wrong[0])
        at = where(name, lineno(mstart[sel[i]]))
        if backwards[i]:
            what = "repeats" if t[i] == t[i - 1] else "comes before"
            raise IonexError(f"{at}{kind.upper()} map at {_show(t[i])} {what} the previous "
                             f"one at {_show(t[i - 1])}; map epochs must be strictly "
                             "increasing")
        raise IonexError(f"{at}{kind.upper()} map at {_show(t[i])} is outside the "
                         f"file's span {_show(first)} .. {_show(last)} (EPOCH OF "
                         "FIRST MAP / EPOCH OF LAST MAP)")
    tec = times[kinds == "tec"]
    if first is not None and tec[0] != first:
        raise IonexError(f"{name}: the first TEC map is at {_show(tec[0])}, the header's "
                         f"EPOCH OF FIRST MAP is {_show(first)}")
    if last is not None and tec[-1] != last:
        raise IonexError(f"{name}: truncated file: the last TEC map is at {_show(tec[-1])}, "
                         f"the header's EPOCH OF LAST MAP is {_show(last)}")
    if first is not None and last is not None and hdr.interval_s and hdr.interval_s > 0:
        span_s = (last - first) / np.timedelta64(1, "s")
        expected = span_s / hdr.interval_s + 1
        if abs(expected - round(expected)) < 1e-6 and len(tec) != round(expected):
            raise IonexError(f"{name}: {len(tec)} TEC maps, but {_show(first)} .. {_show(last)} "
                             f"every {hdr.interval_s:g} s (INTERVAL) makes "
                             f"{round(expected)}: maps are missing (truncated file?)")


def _show(t: np.datetime64 | None) -> str:
    return "?" if t is None else str(t)[:19]
