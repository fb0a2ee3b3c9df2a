"""The compiled (numba) pass over the body of an IONEX file: structure, epochs, values.

:func:`scan_body` reads the maps of a well-formed body in one pass over its bytes:
it follows the record structure of the specification (Schaer, Gurtner & Feltens,
"IONEX: The IONosphere Map EXchange Format Version 1", 1998, section 5 and the
example files of its appendix) --

``START OF <kind> MAP``, ``EPOCH OF CURRENT MAP``, optional ``EXPONENT``, then per
latitude a ``LAT/LON1/LON2/DLON/H`` record and its lines of ``16I5`` values, then
``END OF <kind> MAP`` --

decodes the ``I5`` fields, scales them by the map's exponent (raw ``9999``: NaN) and
turns the epoch records into nanoseconds. It accepts only what the numpy path of
:mod:`ionoquake.sources.ionex` (the reference) reads to the same result, and gives
up (returns -1) on anything else: an unknown or shifted record, a damaged field, a
row written off the header grid, float seconds... The numpy path then reads the file
or raises the error naming the line. So the compiled path can make a file faster,
never different (the tests compare both on every real file and on damaged ones).

numba compiles with ``cache=True``: the first use on a machine pays the compilation
(a few seconds, measured by ``benchmarks/bench_ionex.py``), later processes load it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from ionoquake.sources.ionex_header import IonexHeader

numba: Any
try:
    import numba
except ImportError:  # pragma: no cover - the numpy path of ionex.py is used
    numba = None

__all__ = ["LABEL_CODES", "compiled", "decode_rows", "label_table", "read_maps", "scan_body"]

FIELD_WIDTH = 5
FIELDS_PER_LINE = 16
MISSING = 9999
LABEL_COLUMN = 60  # labels start in column 61
_BAD = -(10**6)  # what the helpers return for a field or record they do not read

#: Body records the compiled pass knows, by code (kinds: 0 TEC, 1 RMS, 2 HEIGHT).
LABEL_CODES = (
    "START OF TEC MAP", "START OF RMS MAP", "START OF HEIGHT MAP",
    "END OF TEC MAP", "END OF RMS MAP", "END OF HEIGHT MAP",
    "EPOCH OF CURRENT MAP", "LAT/LON1/LON2/DLON/H", "EXPONENT", "END OF FILE",
)
_EPOCH, _ROW, _EXPONENT, _EOF = 6, 7, 8, 9
#: Exponents whose divisors :func:`divisors` tabulates (the specification uses -1, -2).
MAX_EXPONENT = 30


def _jit(func: Any) -> Any:
    """``numba.njit(cache=True)``: compiled at the first call, then cached on disk."""
    return func if numba is None else numba.njit(cache=True, nogil=True)(func)


@functools.lru_cache(maxsize=1)
def label_table() -> tuple[np.ndarray, np.ndarray]:
    """The labels of :data:`LABEL_CODES` as a ``(n, 20)`` byte table and their lengths."""
    table = np.frombuffer(b"".join(label.encode().ljust(20) for label in LABEL_CODES),
                          np.uint8).reshape(len(LABEL_CODES), 20).copy()
    lengths = np.array([len(label) for label in LABEL_CODES], np.int64)
    table.flags.writeable = False
    return table, lengths


@functools.lru_cache(maxsize=1)
def divisors() -> np.ndarray:
    """``float32(10.0 ** -e)`` for ``e`` in ``-MAX_EXPONENT..MAX_EXPONENT`` (index ``e + 30``).

    Computed by numpy exactly as the numpy path scales a map (a value ``v`` becomes
    ``float32(v) / float32(10.0 ** -e)``: ``341 / 10`` is the float32 nearest 34.1).
    """
    out = (10.0 ** -np.arange(-MAX_EXPONENT, MAX_EXPONENT + 1)).astype(np.float32)
    out.flags.writeable = False
    return out


@_jit
def decode_rows(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, k: int, nlon: int,
                out: np.ndarray) -> int:  # pragma: no cover - compiled by numba
    """Decode the ``I5`` fields of the rows' data lines in one pass (numba source).

    Line ``l`` of row ``r`` is ``buf[starts[r k + l]:ends[r k + l]]`` and holds
    ``min(16, nlon - 16 l)`` fields, then blanks only (files that pad lines to 80
    columns). A field is blanks, an optional minus sign, and one or more digits to its
    end (a right-justified ``I5``, as the numpy path accepts). Returns -1, or the first
    row that is not so (the numpy path then raises the error naming the line).
    """
    for r in range(out.shape[0]):
        f = 0
        for line in range(k):
            pos = starts[r * k + line]
            end = ends[r * k + line]
            n_fields = min(FIELDS_PER_LINE, nlon - line * FIELDS_PER_LINE)
            if pos + n_fields * FIELD_WIDTH > end:
                return r
            for i in range(n_fields):
                value = _field(buf, pos + i * FIELD_WIDTH)
                if value == _BAD:
                    return r
                out[r, f] = value
                f += 1
            for p in range(pos + n_fields * FIELD_WIDTH, end):
                if buf[p] != 32:
                    return r
    return -1


@_jit
def _field(buf: np.ndarray, p: int) -> int:  # pragma: no cover - compiled by numba
    """The right-justified ``I5`` field at ``buf[p:p + 5]``, or ``_BAD``: blanks, an
    optional minus sign, and one or more digits to the end of the field."""
    j = 0
    while j < FIELD_WIDTH and buf[p + j] == 32:
        j += 1
    negative = j < FIELD_WIDTH and buf[p + j] == 45
    if negative:
        j += 1
    if j == FIELD_WIDTH:
        return _BAD
    value = 0
    while j < FIELD_WIDTH:
        digit = np.int32(buf[p + j]) - 48
        if digit < 0 or digit > 9:
            return _BAD
        value = value * 10 + int(digit)
        j += 1
    return -value if negative else value


@_jit
def _line_end(buf: np.ndarray, pos: int) -> int:  # pragma: no cover - compiled by numba
    """Index of the newline ending the line that starts at ``pos`` (or ``len(buf)``)."""
    n = len(buf)
    while pos < n and buf[pos] != 10:
        pos += 1
    return pos


@_jit
def _label(buf: np.ndarray, pos: int, end: int, table: np.ndarray,
           lengths: np.ndarray) -> int:  # pragma: no cover - compiled by numba
    """Code of the line's record (see :data:`LABEL_CODES`); -1 blank line; -2 anything else.

    A record has a capital letter in column 61 and its label, alone, from there to the
    end of the line (trailing blanks allowed): what the numpy path takes for a record.
    """
    if end - pos <= LABEL_COLUMN or not 65 <= buf[pos + LABEL_COLUMN] <= 90:
        for p in range(pos, end):
            if buf[p] != 32:
                return -2
        return -1
    stop = end
    while buf[stop - 1] == 32:
        stop -= 1
    width = stop - pos - LABEL_COLUMN
    for code in range(table.shape[0]):
        if lengths[code] != width:
            continue
        same = True
        for j in range(width):
            if buf[pos + LABEL_COLUMN + j] != table[code, j]:
                same = False
                break
        if same:
            return code
    return -2


@_jit
def _epoch_ns(buf: np.ndarray, pos: int, end: int) -> int:  # pragma: no cover - numba
    """``EPOCH OF CURRENT MAP`` (year, month, day, hour, minute, second in columns 1-60,
    blank-separated integers) as nanoseconds since 1970, or ``_BAD``.

    Only what the numpy path's :func:`~ionoquake.sources.ionex_header.parse_epoch`
    reads to the same instant: plain digits, a real calendar date of years 1-9999,
    hour 0-24 (24: next day), minute 0-59, second 0-60.
    """
    stop = min(end, pos + LABEL_COLUMN)
    fields = np.zeros(6, np.int64)
    n = 0
    p = pos
    while n < 6:
        while p < stop and buf[p] == 32:
            p += 1
        if p == stop:
            return _BAD
        value = 0
        digits = 0
        while p < stop and buf[p] != 32:
            digit = int(buf[p]) - 48
            if digit < 0 or digit > 9 or digits == 9:
                return _BAD
            value = value * 10 + digit
            digits += 1
            p += 1
        fields[n] = value
        n += 1
    y, mo, d, h, mi, s = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
    if not (1 <= y <= 9999 and 1 <= mo <= 12 and 0 <= h <= 24 and 0 <= mi < 60 and s < 61):
        return _BAD
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= d <= month_days[mo - 1]:
        return _BAD
    # Days from 1970-01-01 (H. Hinnant, "chrono-compatible low-level date algorithms").
    yy = y - 1 if mo <= 2 else y
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return (days * 86400 + h * 3600 + mi * 60 + s) * 1_000_000_000


@_jit
def _exponent(buf: np.ndarray, pos: int, end: int) -> int:  # pragma: no cover - numba
    """The first blank-separated integer of columns 1-60 (``EXPONENT``), or ``_BAD``."""
    stop = min(end, pos + LABEL_COLUMN)
    p = pos
    while p < stop and buf[p] == 32:
        p += 1
    sign = 1
    if p < stop and (buf[p] == 45 or buf[p] == 43):
        sign = -1 if buf[p] == 45 else 1
        p += 1
    value = 0
    digits = 0
    while p < stop and buf[p] != 32:
        digit = int(buf[p]) - 48
        if digit < 0 or digit > 9 or digits == 3:
            return _BAD
        value = value * 10 + digit
        digits += 1
        p += 1
    if digits == 0 or value > MAX_EXPONENT:
        return _BAD
    return sign * value


@_jit
def scan_body(buf: np.ndarray, nlat: int, nlon: int, exponent0: int, rows_text: np.ndarray,
              table: np.ndarray, lengths: np.ndarray, scale: np.ndarray, flip_lat: bool,
              flip_lon: bool, values: np.ndarray,
              kinds: np.ndarray, start_lines: np.ndarray,
              times: np.ndarray) -> int:  # pragma: no cover - compiled by numba
    """Read every map of the body ``buf`` (numba source); the number of maps, or -1.

    ``rows_text[v, r]`` are the 24 bytes columns 3-26 of the ``LAT/LON1/LON2/DLON/H``
    record of row ``r`` must hold (two spellings ``v``). Fills, per map in file order,
    ``values`` (scaled float32, NaN for 9999; rows, columns in reverse order where
    ``flip_lat``, ``flip_lon``, so that latitudes and longitudes ascend), ``kinds``
    (0 TEC, 1 RMS, 2 HEIGHT), ``start_lines`` (0-based body line of ``START OF ... MAP``)
    and ``times`` (ns since 1970). -1: the body is not read here (see the module docstring).
    """
    n = len(buf)
    k = (nlon + FIELDS_PER_LINE - 1) // FIELDS_PER_LINE
    pos = 0
    line = 0
    m = -1  # the open map, or -1
    n_maps = 0
    row = 0
    epoch_seen = False
    exponent = exponent0
    after_row = False
    while pos < n:
        end = _line_end(buf, pos)
        code = _label(buf, pos, end, table, lengths)
        if code == -2:
            return -1
        if code == -1:
            if after_row:
                return -1  # the numpy path wants a record right after a row's lines
        elif m < 0:
            if code <= 2:
                if n_maps == values.shape[0]:
                    return -1
                m = n_maps
                n_maps += 1
                kinds[m] = code
                start_lines[m] = line
                row = 0
                epoch_seen = False
                exponent = exponent0
            elif code != _EOF:
                return -1
        elif code == _EPOCH:
            if epoch_seen or row:
                return -1
            t = _epoch_ns(buf, pos, end)
            if t == _BAD:
                return -1
            times[m] = t
            epoch_seen = True
        elif code == _EXPONENT:
            if row:
                return -1
            exponent = _exponent(buf, pos, end)
            if exponent == _BAD:
                return -1
        elif code == _ROW:
            if row == nlat or end - pos < 26:
                return -1
            same = False
            for v in range(rows_text.shape[0]):
                same = True
                for j in range(24):
                    if buf[pos + 2 + j] != rows_text[v, row, j]:
                        same = False
                        break
                if same:
                    break
            if not same:
                return -1
            divisor = scale[exponent + MAX_EXPONENT]
            out_row = nlat - 1 - row if flip_lat else row
            f = nlon - 1 if flip_lon else 0
            step = -1 if flip_lon else 1
            for i_line in range(k):
                # The fields first (a newline is not a valid field character), then
                # the line's end: blanks only up to the newline.
                pos = end + 1
                line += 1
                n_fields = min(FIELDS_PER_LINE, nlon - i_line * FIELDS_PER_LINE)
                end = pos + n_fields * FIELD_WIDTH
                if end > n:
                    return -1
                for i in range(n_fields):
                    value = _field(buf, pos + i * FIELD_WIDTH)
                    if value == _BAD:
                        return -1
                    if value == MISSING:
                        values[m, out_row, f] = np.nan
                    else:
                        values[m, out_row, f] = np.float32(value) / divisor
                    f += step
                while end < n and buf[end] != 10:
                    if buf[end] != 32:
                        return -1
                    end += 1
            row += 1
            after_row = True
            pos = end + 1
            line += 1
            continue
        elif code == kinds[m] + 3:
            if row != nlat or not epoch_seen:
                return -1
            m = -1
        else:
            return -1
        after_row = False
        pos = end + 1
        line += 1
    if m >= 0:
        return -1
    return n_maps


_KIND_NAMES = np.array(["tec", "rms", "height"])


def read_maps(body: np.ndarray, hdr: IonexHeader, rows_text: np.ndarray,
              reversed_axes: tuple[bool, bool]) -> tuple[np.ndarray, ...] | None:
    """The maps of the body ``body`` (bytes as uint8) by :func:`scan_body`, or None.

    ``rows_text``: the LAT records of the header grid (see :func:`scan_body`);
    ``reversed_axes``: whether the file's latitudes, longitudes descend. Returns scaled
    values ``(map, lat, lon)`` (maps in file order, latitudes and longitudes ascending),
    kinds (``"tec"``...), 0-based body lines of the ``START OF ... MAP`` records and
    epochs (datetime64[ns]); None without numba, with ``IONOQUAKE_KERNEL=numpy``, or for
    a body the compiled pass leaves to the numpy path.
    """
    scan = compiled("scan_body")
    if scan is None or abs(hdr.exponent) > MAX_EXPONENT:
        return None
    nlat, nlon = hdr.nlat, hdr.nlon
    k = -(-nlon // FIELDS_PER_LINE)
    # Each map has nlat rows of a LAT record (>= 81 bytes) and nlon fields on k lines.
    max_maps = len(body) // (nlat * (81 + FIELD_WIDTH * nlon + k)) + 1
    values = np.empty((max_maps, nlat, nlon), np.float32)
    kinds = np.empty(max_maps, np.int8)
    mstart = np.empty(max_maps, np.int64)
    times = np.empty(max_maps, np.int64)
    table, lengths = label_table()
    n = scan(body, nlat, nlon, hdr.exponent, rows_text, table, lengths, divisors(),
             *reversed_axes, values, kinds, mstart, times)
    if n < 0:
        return None
    return (values[:n], _KIND_NAMES[kinds[:n]], mstart[:n],
            times[:n].view("datetime64[ns]"))


def compiled(name: str) -> Any:
    """The numba-compiled :func:`scan_body` or :func:`decode_rows`, or None.

    None when numba is not installed or ``IONOQUAKE_KERNEL=numpy`` (the numpy path, the
    reference, is then used).
    """
    if numba is None or os.environ.get("IONOQUAKE_KERNEL", "").strip().lower() == "numpy":
        return None
    return {"scan_body": scan_body, "decode_rows": decode_rows}[name]
