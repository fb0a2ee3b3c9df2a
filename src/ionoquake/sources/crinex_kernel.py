"""Compiled (numba) Hatanaka CRINEX 1/3 decoder: compressed bytes straight to observation arrays.

:func:`ionoquake.sources.rinex_obs.read` calls :func:`decode` for a Hatanaka-compressed
file when numba imports and the environment variable ``IONOQUAKE_KERNEL`` is not
``numpy``. The reference path (the ``hatanaka`` package's C ``crx2rnx`` to RINEX text,
then the text reader of :mod:`ionoquake.sources.rinex_epochs`) stays the reference and
the fallback: the tests compare both, value for value, on every CRINEX file in
``../shared/data/rinex`` and on generated files (made with ``hatanaka.rnx2crx``).

Method (Hatanaka 2008, "A compression format and tools for GNSS observation data",
Bulletin of the GSI 55; the decoder follows crx2rnx 4.1.0 statement by statement):
epoch lines are text differences against the previous epoch line (a blank keeps the
old character, ``&`` writes a blank, an initialised epoch starts with ``&`` in CRINEX 1
and ``>`` in CRINEX 3); the receiver clock line and every observation field are integer
differences of order up to 5 (``"n&value"`` starts an arc of order ``n``; values are
in units of the last printed digit, 0.001 for observations), the LLI/SSI flags a text
difference like the epoch line. An observation printed by crx2rnx as ``F14.3`` text is
exactly ``k/1000`` for the integer ``k``; ``k / 1000.0`` in float64 and ``float(text)``
are both the correctly rounded value of that rational, so they are equal bit for bit.

The kernel is deliberately strict: anything crx2rnx would refuse or warn about, and
anything the text reader would read differently or refuse (event epochs, flags 2-6,
malformed numbers, times or satellites, values out of the F14.3 range, NUL or
non-ASCII bytes, over-long lines, a truncated file), makes :func:`decode` return None,
and the caller falls back to the reference path, which gives the result or the
one-line error naming the file and line exactly as before.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    import numba
    from numba import njit
except ImportError:  # pragma: no cover - exercised on machines without the "fast" extra
    numba = None  # type: ignore[assignment]

__all__ = ["ENV", "CrinexBody", "available", "decode", "scatter"]

ENV = "IONOQUAKE_KERNEL"
#: crx2rnx 4.1.0 limits (MAXSAT, MAXTYPE, MAXCLM, MAX_DIFF_ORDER).
MAXSAT, MAXTYPE, MAXCLM, MAX_DIFF_ORDER = 100, 100, 2048, 5
#: Kernel status codes (0: decoded; anything else: use the reference path).
OK = 0


def available() -> bool:
    """True if the compiled decoder is to be used (numba imports, ``IONOQUAKE_KERNEL`` != numpy)."""
    return numba is not None and os.environ.get(ENV, "").strip().lower() != "numpy"


@dataclass
class CrinexBody:
    """The decoded body of a CRINEX file, per epoch and per (epoch, satellite) record.

    ``header_lines`` are the RINEX header lines as crx2rnx writes them (trailing blanks
    removed); ``sv`` the satellite of each record as a key (``"G05"``, and in RINEX 2
    ``" 5"`` or ``"G 5"``, are ``100 * ord("G") + 5``); ``values`` float64 ``(n, ntype)``
    (NaN where blank); ``flags`` the ``(n, 2 ntype)`` LLI/SSI characters as printed.
    """

    header_lines: list[bytes]
    epoch_ns: np.ndarray  # per epoch, ns since 1970 (int64)
    epoch_flag: np.ndarray  # per epoch, 0 or 1 (power failure)
    clock_offsets: list[float]  # RINEX 3 epochs with a receiver clock offset, s
    sv: np.ndarray  # per record, 100 * ord(system) + prn (RINEX 2: blank system is GPS)
    epoch: np.ndarray  # per record, index into epoch_ns
    values: np.ndarray
    flags: np.ndarray
    types: dict[str, int]  # observation types per system as crx2rnx counts them ("" in RINEX 2)


_COUNT = re.compile(rb"\s*([+-]?\d+)")


def _atoi(text: bytes) -> int:
    """C ``atoi``: leading blanks, sign and digits; 0 if none."""
    found = _COUNT.match(text)
    return int(found.group(1)) if found else 0


def _chop_blank(line: bytes) -> bytes:
    """crx2rnx's CHOP_BLANK: trailing blanks removed, the first character always kept."""
    return line[:1] + line[1:].rstrip(b" ")


def _header(raw: bytes) -> tuple[list[bytes], int, int, int, np.ndarray] | None:
    """The RINEX header lines, body offset, CRINEX and RINEX major versions and the number
    of observation types per system letter (-1 where undefined), as crx2rnx reads them."""
    if len(raw) < 80 or b"COMPACT RINEX" not in raw[:80] or b"\r" in raw or b"\x00" in raw:
        return None
    lines: list[bytes] = []
    pos = 0
    ntype_gnss = np.full(256, -1, dtype=np.int64)
    ntype = -1
    while True:
        end = raw.find(b"\n", pos)
        if end < 0 or end - pos >= MAXCLM - 1:
            return None
        line = raw[pos:end]
        pos = end + 1
        number = len(lines)
        if number == 0:
            if line[:3] not in (b"1.0", b"3.0") or line[60:79] != b"CRINEX VERS   / TYPE"[:19]:
                return None
            crinex = int(line[:1])
        if number >= 2:
            if not line.strip():
                return None
            line = _chop_blank(line)
            if number == 2 and (line[60:80] != b"RINEX VERSION / TYPE" or line[5:6] not in
                                (b"2", b"3")):
                return None
            label = line[60:79]
            if label == b"# / TYPES OF OBSERV" and line[5:6] != b" ":
                ntype = _atoi(line)
            elif label == b"SYS / # / OBS TYPES" and line[:1] != b" ":
                ntype_gnss[line[0]] = _atoi(line[3:])
        lines.append(line)
        if number >= 2 and line[60:73] == b"END OF HEADER":
            break
    rinex = int(lines[2][5:6])
    if (crinex, rinex) not in ((1, 2), (3, 3)):
        return None
    if rinex == 2:
        ntype_gnss[:] = ntype
    if (ntype_gnss > MAXTYPE).any():
        return None
    return lines[2:], pos, crinex, rinex, ntype_gnss


def decode(raw: bytes) -> CrinexBody | None:
    """Decode a (gzip/Z-decompressed) CRINEX 1/3 file, or None where the reference path
    must decide (see the module docstring)."""
    head = _header(raw)
    if head is None:
        return None
    header_lines, start, crinex, rinex, ntype_gnss = head
    buf = np.frombuffer(raw, dtype=np.uint8)
    n_lines = raw.count(b"\n", start) + 1
    width = int(max(ntype_gnss.max(), 1))
    values = np.empty((n_lines, width), dtype=np.float64)
    flags = np.empty((n_lines, 2 * width), dtype=np.uint8)
    sv = np.empty(n_lines, dtype=np.int64)
    epoch = np.empty(n_lines, dtype=np.int64)
    epoch_ns = np.empty(n_lines, dtype=np.int64)
    epoch_flag = np.empty(n_lines, dtype=np.int8)
    clock = np.empty(n_lines, dtype=np.int64)
    has_clock = np.empty(n_lines, dtype=np.bool_)
    status, n_epochs, n_records = _decode(buf, start, rinex == 2, crinex == 1, ntype_gnss,
                                          values, flags, sv, epoch, epoch_ns, epoch_flag,
                                          clock, has_clock)
    if status != OK:
        return None
    offsets = clock_offsets(clock[:n_epochs][has_clock[:n_epochs]]) if rinex == 3 else []
    types = ({"": int(ntype_gnss[0])} if rinex == 2 else
             {chr(c): int(ntype_gnss[c]) for c in np.flatnonzero(ntype_gnss >= 0).tolist()})
    return CrinexBody(header_lines, epoch_ns[:n_epochs], epoch_flag[:n_epochs], offsets,
                      sv[:n_records], epoch[:n_records], values[:n_records], flags[:n_records],
                      types)


def clock_offsets(k: np.ndarray) -> list[float]:
    """RINEX 3 receiver clock offsets (s) of the integers ``k`` (ps) as the text reader
    reads crx2rnx's text (:func:`_clock_text`): ``k / 1e12``, except where crx2rnx's
    ``print_clock`` misprints a negative offset whose lower 8 digits are 0: it writes
    the upper digits of ``k + 10**8`` with a minus sign (``-0.0003`` as ``-.0002...``)."""
    quirk = (k < 0) & (k % 10**8 == 0)
    shown = np.where(quirk, k + 10**8, k) / 1e12
    shown[quirk & (shown == 0)] = -0.0
    return [float(v) for v in shown.tolist()]


def _clock_text(k: int, shift: int) -> str:
    """The receiver clock offset ``k`` (units of the last digit) as crx2rnx's
    ``print_clock`` writes it: ``F15.12`` in RINEX 3 (``shift`` 4), digits as crx2rnx
    places them, including its ``yl == 0`` quirk for negative offsets."""
    yu = -(-k // 10**8) if k < 0 else k // 10**8
    yl = k - yu * 10**8
    sgn = -1 if yl < 0 else 1
    v = yu * 10 + sgn
    tmp = ("-" if v < 0 else "") + str(abs(v)).zfill(shift + 1)
    n = len(tmp) - 1
    tmp = tmp[:n]
    out = list("  ." + tmp[n - shift:n])
    if n > shift:
        out[1] = tmp[n - shift - 1]
        if n > shift + 1:
            out[0] = tmp[n - shift - 2]
    return "".join(out) + f"{abs(yl):08d}"


if numba is not None:
    _kernel: Any = njit(cache=True, nogil=True)
else:  # pragma: no cover
    def _kernel(f: Any) -> Any:
        return f

_BLANK, _AMP, _ZERO, _NINE, _MINUS = 32, 38, 48, 57, 45
_FAIL = 1


@_kernel
def _line_end(buf: Any, pos: int) -> int:  # pragma: no cover - compiled
    """Index of the '\\n' ending the line at ``pos`` (-1: none, or a bad byte on the way)."""
    n = buf.shape[0]
    i = pos
    while i < n:
        c = buf[i]
        if c == 10:
            return i if i - pos < MAXCLM - 2 else -1
        if c < 32 or c > 126:
            return -1
        i += 1
    return -1


@_kernel
def _int_field(s: Any, a: int, b: int) -> int:  # pragma: no cover
    """Python ``int(s[a:b])`` for blanks, digits, blanks (at least one digit); -1 otherwise."""
    p = a
    while p < b and s[p] == _BLANK:
        p += 1
    if p == b:
        return -1
    value = 0
    while p < b and _ZERO <= s[p] <= _NINE:
        value = value * 10 + (s[p] - _ZERO)
        p += 1
    while p < b:
        if s[p] != _BLANK:
            return -1
        p += 1
    return value


@_kernel
def _number(buf: Any, a: int, b: int, split: int, out: Any) -> int:  # pragma: no cover
    """crx2rnx's split of a difference ``-?digits`` into upper and lower ``split`` digits
    (``getdiff``: 5, ``read_clock``: 8), recombined as ``u * 10**split + l`` in ``out[0]``;
    1 if not strictly ``-?[0-9]{1,15}``."""
    negative = b > a and buf[a] == _MINUS
    p1 = a + 1 if negative else a
    length = b - p1
    if length < 1 or length > 15:
        return _FAIL
    for p in range(p1, b):
        if not _ZERO <= buf[p] <= _NINE:
            return _FAIL
    scale = 10 ** split
    if length < split + 1:
        v = 0
        for p in range(p1, b):
            v = v * 10 + (buf[p] - _ZERO)
        out[0] = -v if negative else v
        return 0
    low = 0
    for p in range(b - split, b):
        low = low * 10 + (buf[p] - _ZERO)
    up = 0
    for p in range(p1, b - split):
        up = up * 10 + (buf[p] - _ZERO)
    if negative:
        up = -up
    if up < 0:
        low = -low
    out[0] = up * scale + low
    return 0


@_kernel
def _days_from_civil(y: int, m: int, d: int) -> int:  # pragma: no cover
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@_kernel
def _epoch_time(line: Any, v2: bool) -> int:  # pragma: no cover
    """ns since 1970 of the epoch line as ``rinex_epochs._time`` reads it; -1 if it would
    not read it (or reads it to something the kernel does not vouch for)."""
    if v2:
        year = _int_field(line, 1, 3)
        rest = 3
    else:
        year = _int_field(line, 2, 6)
        rest = 6
    if year < 0:
        return -1
    if v2:
        year += 2000 if year < 80 else 1900
    if year < 1900 or year > 2200:
        return -1
    f = np.empty(4, np.int64)
    for i in range(4):
        f[i] = _int_field(line, rest + 3 * i, rest + 3 * i + 3)
        if f[i] < 0:
            return -1
    month, day, hour, minute = f[0], f[1], f[2], f[3]
    if month < 1 or month > 12 or hour > 23 or minute > 59 or day < 1:
        return -1
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    dim = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    if day > dim:
        return -1
    a, b = rest + 12, rest + 23
    while a < b and line[a] == _BLANK:
        a += 1
    while b > a and line[b - 1] == _BLANK:
        b -= 1
    whole = 0
    n_whole = 0
    p = a
    while p < b and _ZERO <= line[p] <= _NINE:
        whole = whole * 10 + (line[p] - _ZERO)
        n_whole += 1
        p += 1
    if n_whole == 0 or n_whole > 6 or whole > 59:
        return -1
    nanoseconds = 0
    if p < b:
        if line[p] != 46:  # '.'
            return -1
        p += 1
        digits = 0
        while p < b:
            if not _ZERO <= line[p] <= _NINE:
                return -1
            if digits < 9:
                nanoseconds = nanoseconds * 10 + (line[p] - _ZERO)
            digits += 1
            p += 1
        for _ in range(digits, 9):
            nanoseconds *= 10
    days = _days_from_civil(year, month, day)
    seconds = days * 86400 + hour * 3600 + minute * 60 + whole
    return seconds * 1_000_000_000 + nanoseconds


@_kernel
def _clock_overflows(k: int, shift: int) -> bool:  # pragma: no cover
    """crx2rnx ``print_clock``'s "out of range" error for the clock ``k``."""
    yu = -((-k) // 100000000) if k < 0 else k // 100000000
    yl = k - yu * 100000000
    sgn = -1 if yl < 0 else 1
    v = yu * 10 + sgn
    digits = 1
    a = abs(v)
    while a >= 10:
        a //= 10
        digits += 1
    length = max(digits, shift + 1) + (1 if v < 0 else 0)
    return length - 1 > shift + 2


@_kernel
def _valid_sv(line: Any, p: int, v2: bool) -> bool:  # pragma: no cover
    """The satellite as ``rinex_epochs.satellite_names`` accepts it."""
    system, tens, units = line[p], line[p + 1], line[p + 2]
    if not (65 <= system <= 90 or (v2 and system == _BLANK)):
        return False
    if not (tens == _BLANK or _ZERO <= tens <= _NINE):
        return False
    return _ZERO <= units <= _NINE


@_kernel
def _decode(buf: Any, start: int, v2: bool, crinex1: bool, ntype_gnss: Any, values: Any,
            flags: Any, sv: Any, epoch: Any, epoch_ns: Any, epoch_flag: Any, clock: Any,
            has_clock: Any) -> tuple[int, int, int]:  # pragma: no cover
    """Decode the body from ``buf[start:]``; (status, epochs, records)."""
    n = buf.shape[0]
    top_from = _AMP if v2 else 62  # '&' / '>'
    top_to = _BLANK if v2 else 62
    p_event = 28 if v2 else 31
    p_nsat = 29 if v2 else 32
    p_satlst = 32 if v2 else 41
    offset = 3 if v2 else 6
    shift_clk = 1 if v2 else 4
    ndiff = MAX_DIFF_ORDER + 1
    line = np.zeros(MAXCLM + 8, np.uint8)
    line_len = 0
    sat_old = np.zeros(MAXSAT * 3, np.uint8)
    nsat1 = 0
    y0 = np.zeros((MAXSAT, MAXTYPE, ndiff), np.int64)
    y1 = np.zeros((MAXSAT, MAXTYPE, ndiff), np.int64)
    ord0 = np.full((MAXSAT, MAXTYPE), -1, np.int64)
    ord1 = np.full((MAXSAT, MAXTYPE), -1, np.int64)
    arc0 = np.full((MAXSAT, MAXTYPE), -1, np.int64)
    arc1 = np.full((MAXSAT, MAXTYPE), -1, np.int64)
    prev_record = np.zeros(MAXSAT, np.int64)  # record of each satellite of the last epoch
    record_of = np.zeros(MAXSAT, np.int64)
    dflag_a = np.zeros(MAXSAT, np.int64)
    dflag_b = np.zeros(MAXSAT, np.int64)
    ntype_record = np.zeros(MAXSAT, np.int64)
    sattbl = np.zeros(MAXSAT, np.int64)
    clk0 = np.zeros(ndiff, np.int64)
    clk1 = np.zeros(ndiff, np.int64)
    clk_order = 0
    clk_arc_order = 0
    number = np.zeros(1, np.int64)
    limit = 10 ** 17
    n_epochs = 0
    n_records = 0
    width = values.shape[1]
    pos = start
    while pos < n:
        end = _line_end(buf, pos)
        if end < 0:
            return _FAIL, 0, 0
        a, b = pos, end
        pos = end + 1
        if not v2:  # CRINEX 3 escape lines
            while buf[a] == _AMP and b > a:
                if pos >= n:
                    return _FAIL, 0, 0  # crx2rnx ends here without error; let it decide
                end = _line_end(buf, pos)
                if end < 0:
                    return _FAIL, 0, 0
                a, b = pos, end
                pos = end + 1
        init = b > a and buf[a] == top_from
        if init:
            if b - a <= p_event:
                return _FAIL, 0, 0
            ev = buf[a + p_event]
            if ev != 48 and ev != 49:
                return _FAIL, 0, 0  # event epochs: the reference path handles them
            line_len = 0
            nsat1 = 0
        # repair(line, dline), dline[0] replaced by top_to on initialisation
        m = min(line_len, b - a)
        for p in range(m):
            c = buf[a + p]
            if p == 0 and init:
                c = top_to
            if c == _BLANK:
                continue
            line[p] = _BLANK if c == _AMP else c
        if b - a > line_len:
            for p in range(line_len, b - a):
                c = buf[a + p]
                if p == 0 and init:
                    c = top_to
                line[p] = _BLANK if c == _AMP else c
            line_len = b - a
            line[line_len] = 0
        if (line_len < 26 + offset or line[0] != top_to or line[offset + 23] != _BLANK
                or line[offset + 24] != _BLANK or not _ZERO <= line[offset + 25] <= _NINE):
            return _FAIL, 0, 0
        while line_len > 1 and line[line_len - 1] == _BLANK:
            line_len -= 1
        line[line_len] = 0
        ev = line[p_event]
        if ev != 48 and ev != 49:
            return _FAIL, 0, 0
        # satellite count: Python int(text[p_nsat:p_nsat+3]) == C atoi(&line[p_nsat])
        nsat = _int_field(line, p_nsat, min(p_nsat + 3, line_len))
        if nsat < 0 or nsat > MAXSAT:
            return _FAIL, 0, 0
        if p_nsat + 3 < line_len and _ZERO <= line[p_nsat + 3] <= _NINE:
            return _FAIL, 0, 0
        if nsat > 0 and line_len < p_satlst + 3 * nsat:
            return _FAIL, 0, 0
        t_ns = _epoch_time(line, v2)
        if t_ns < 0:
            return _FAIL, 0, 0
        for i in range(nsat):
            q = p_satlst + 3 * i
            if not _valid_sv(line, q, v2):
                return _FAIL, 0, 0
            nt = ntype_gnss[line[q]]
            if nt <= 0:
                return _FAIL, 0, 0
            ntype_record[i] = nt
            sattbl[i] = -1
            for j in range(nsat1):
                if (sat_old[3 * j] == line[q] and sat_old[3 * j + 1] == line[q + 1]
                        and sat_old[3 * j + 2] == line[q + 2]):
                    sattbl[i] = j
                    break
        # the clock line
        if pos >= n:
            return _FAIL, 0, 0
        end = _line_end(buf, pos)
        if end < 0:
            return _FAIL, 0, 0
        ca, cb = pos, end
        pos = end + 1
        clock_nonempty = cb > ca
        if clock_nonempty:
            if cb - ca >= 2 and buf[ca + 1] == _AMP:
                d = buf[ca] - _ZERO
                if d < 0 or d > MAX_DIFF_ORDER:
                    return _FAIL, 0, 0
                clk_arc_order = d
                clk_order = -1
                ca += 2
            if _number(buf, ca, cb, 8, number) != 0:
                return _FAIL, 0, 0
            clk1[0] = number[0]
        else:
            clk_order = -1
        # the satellite lines: fields split at single blanks (crx2rnx getdiff), read in
        # one pass with their numbers; the rest of the line after ntype fields is the flags
        for i in range(nsat):
            nt = ntype_record[i]
            i0 = sattbl[i]
            s = pos
            p = pos
            ended = False  # the line ended: the remaining fields are blank
            for j in range(nt):
                if not ended:
                    if p >= n:
                        return _FAIL, 0, 0
                    c = buf[p]
                    if c == 10:
                        ended = True
                if ended or c == _BLANK:
                    arc1[i, j] = -1
                    ord1[i, j] = -1
                    if not ended:
                        p += 1
                    continue
                if p + 1 < n and buf[p + 1] == _AMP:
                    d = np.int64(c) - _ZERO
                    if d < 0 or d > MAX_DIFF_ORDER:
                        return _FAIL, 0, 0
                    ord1[i, j] = -1
                    arc1[i, j] = d
                    p += 2
                elif i0 < 0 or arc0[i0, j] < 0:
                    return _FAIL, 0, 0  # crx2rnx errors 11/12
                else:
                    ord1[i, j] = ord0[i0, j]
                    arc1[i, j] = arc0[i0, j]
                negative = p < n and buf[p] == _MINUS
                if negative:
                    p += 1
                v = np.int64(0)
                length = 0
                while p < n:
                    c = buf[p]
                    if c < _ZERO or c > _NINE:
                        break
                    v = v * 10 + (np.int64(c) - _ZERO)
                    length += 1
                    p += 1
                if length < 1 or length > 15 or p >= n:
                    return _FAIL, 0, 0
                if c == _BLANK:
                    p += 1
                elif c == 10:
                    ended = True
                else:
                    return _FAIL, 0, 0
                # crx2rnx splits 6+ digits into upper digits and lower 5 (a "-0" upper
                # part loses the sign); u * 100000 + l is the value
                y1[i, j, 0] = -v if negative and (length <= 5 or v >= 100000) else v
            if ended:
                dflag_a[i] = p
                dflag_b[i] = p
            else:
                dflag_a[i] = p
                while p < n and buf[p] != 10:
                    c = buf[p]
                    if c < 32 or c > 126:
                        return _FAIL, 0, 0
                    p += 1
                if p >= n:
                    return _FAIL, 0, 0
                dflag_b[i] = p
            if p - s >= MAXCLM - 2 or dflag_b[i] - dflag_a[i] > 2 * nt:
                return _FAIL, 0, 0
            pos = p + 1
        # the clock (crx2rnx process_clock)
        if clock_nonempty:
            if clk_order < clk_arc_order:
                clk_order += 1
                for k in range(clk_order):
                    clk1[k + 1] = clk1[k] + clk0[k]
            else:
                for k in range(clk_order):
                    clk1[k + 1] = clk1[k] + clk0[k + 1]
            if abs(clk1[clk_order]) > limit:
                return _FAIL, 0, 0
        present = clk_order >= 0
        if present:
            if _clock_overflows(clk1[clk_order], shift_clk):
                return _FAIL, 0, 0
            if not v2 and line_len < 41:
                return _FAIL, 0, 0
        epoch_ns[n_epochs] = t_ns
        epoch_flag[n_epochs] = line[p_event] - _ZERO
        has_clock[n_epochs] = present
        clock[n_epochs] = clk1[clk_order] if present else 0
        # data(): recover the values and flags
        for i in range(nsat):
            nt = ntype_record[i]
            i0 = sattbl[i]
            # The flags (crx2rnx strncpy/sprintf + repair on C strings): the state of a
            # satellite after a decoded epoch is always its 2 ntype characters without a
            # NUL (a shorter one makes crx2rnx print a NUL, and the kernel decline), so
            # the state is the record's own output row: flags[r, :2 nt].
            r = n_records
            row = flags[r]
            da, db = dflag_a[i], dflag_b[i]
            if i0 < 0:
                if not v2 and db - da < 2 * nt:
                    return _FAIL, 0, 0  # CRINEX 3 new satellite: flag string too short
                for p in range(db - da):
                    c = buf[da + p]
                    row[p] = _BLANK if c == _AMP else c
                for p in range(db - da, 2 * nt):
                    row[p] = _BLANK
            else:
                src = flags[prev_record[i0]]
                for p in range(2 * nt):
                    row[p] = src[p]
                for p in range(db - da):
                    c = buf[da + p]
                    if c != _BLANK:
                        row[p] = _BLANK if c == _AMP else c
            record_of[i] = r
            q = p_satlst + 3 * i
            system = line[q]
            if system == _BLANK:
                system = 71  # 'G'
            tens = 0 if line[q + 1] == _BLANK else np.int64(line[q + 1]) - _ZERO
            sv[r] = np.int64(system) * 100 + tens * 10 + (np.int64(line[q + 2]) - _ZERO)
            epoch[r] = n_epochs
            for j in range(nt):
                if arc1[i, j] >= 0:
                    o = ord1[i, j]
                    if o < arc1[i, j]:
                        o += 1
                        for k in range(o):
                            y1[i, j, k + 1] = y1[i, j, k] + y0[i0, j, k]
                            if abs(y1[i, j, k + 1]) > limit:
                                return _FAIL, 0, 0
                    else:
                        for k in range(o):
                            y1[i, j, k + 1] = y1[i, j, k] + y0[i0, j, k + 1]
                            if abs(y1[i, j, k + 1]) > limit:
                                return _FAIL, 0, 0
                    ord1[i, j] = o
                    v = y1[i, j, o]
                    if v >= 10_000_000_000_000 or v <= -1_000_000_000_000:
                        return _FAIL, 0, 0  # crx2rnx: "out of range allowed in RINEX"
                    values[r, j] = v / 1000.0
                else:
                    values[r, j] = np.nan
                    if crinex1:  # CRINEX 1: a blank field has blank flags
                        row[2 * j] = _BLANK
                        row[2 * j + 1] = _BLANK
            for j in range(nt, width):
                values[r, j] = np.nan
                flags[r, 2 * j] = _BLANK
                flags[r, 2 * j + 1] = _BLANK
            n_records += 1
        # save the epoch
        nsat1 = nsat
        clk0[:] = clk1
        for p in range(3 * nsat):
            sat_old[p] = line[p_satlst + p]
        prev_record, record_of = record_of, prev_record
        # dy0 = dy1 (crx2rnx copies; only rows < nsat and fields < ntype are read later)
        y0, y1 = y1, y0
        ord0, ord1 = ord1, ord0
        arc0, arc1 = arc1, arc0
        n_epochs += 1
    return OK, n_epochs, n_records


@_kernel
def scatter(block: Any, table: Any, system_id: Any, flat_index: Any,
            values: Any) -> None:  # pragma: no cover - compiled
    """``block[table[system_id[r], j], flat_index[r]] = values[r, j]`` for every record
    ``r`` of a known system and field ``j`` with a slot (``table >= 0``)."""
    for r in range(values.shape[0]):
        s = system_id[r]
        if s < 0:
            continue
        where = flat_index[r]
        for j in range(table.shape[1]):
            slot = table[s, j]
            if slot >= 0:
                block[slot, where] = values[r, j]
