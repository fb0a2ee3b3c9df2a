"""Walk the epochs of a RINEX 2 or 3 observation body: one record per satellite and epoch.

The body is read in one pass (the only Python loop is over epochs and satellite lines);
the numbers are decoded afterwards, column by column, by
:func:`ionoquake.sources.rinex_text.fixed_width_floats`.

Epoch flags (RINEX 2.11 §5.2 / RINEX 3.05 Table A13): 0 OK and 1 power failure since the
previous epoch are data epochs (flag 1 is noted); 2-5 (antenna moving, new site, header
information, external event) are followed by special records, which are skipped (their
COMMENTs and the event times are noted); 6 (cycle-slip records) repeats observations of
earlier epochs and is skipped. georinex does not read the special records either: in
RINEX 2 it skips the lines it cannot parse as epochs, in RINEX 3 it stops reading at the
first line after an event that does not start with ``>``. A change of observation types
inside the body (flag 3/4 with ``# / TYPES OF OBSERV``) is refused with a clear error.
Blank lines between epochs are skipped (georinex stops reading a RINEX 3 body at one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ionoquake.sources.rinex_header import RinexHeader
from ionoquake.sources.rinex_text import fail

#: Satellite systems georinex keeps in RINEX 2 files (its ``use`` default).
SYSTEMS_V2 = frozenset("CEGJRS")
_EPOCH_TEMPLATE_V2 = " yy mm dd hh mm ss.sssssss  f nnnG01G02..."
_EPOCH_TEMPLATE_V3 = "> yyyy mm dd hh mm ss.sssssss  f nnn"


@dataclass
class ObsRecords:
    """The satellite records of an observation body, before decoding the numbers."""

    times: list[np.datetime64] = field(default_factory=list)  # one per data epoch
    epoch: list[int] = field(default_factory=list)  # per record: index into times
    text: list[bytes] = field(default_factory=list)  # per record: satellite + observations
    line: list[int] = field(default_factory=list)  # per record: 1-based line number
    clock_offsets: list[float] = field(default_factory=list)  # RINEX 3 epoch lines
    power_failures: list[np.datetime64] = field(default_factory=list)  # epoch flag 1
    events: list[str] = field(default_factory=list)  # flags 2-6, in words
    skipped_systems: set[str] = field(default_factory=set)  # systems without obs types


def _time(text: str, yy: tuple[int, int], rest: int, path: Path, number: int,
          template: str, two_digit_year: bool) -> np.datetime64:
    """The epoch time, to the nanosecond as written (georinex truncates, see :mod:`rinex_obs`)."""
    try:
        year = int(text[yy[0]:yy[1]])
        if two_digit_year:
            year += 2000 if year < 80 else 1900
        fields = [int(text[rest + 3 * i:rest + 3 * i + 3]) for i in range(4)]
        whole, _, fraction = text[rest + 12:rest + 23].strip().partition(".")
        if fraction and not fraction.isdigit():
            raise ValueError(fraction)
        nanoseconds = int(fraction[:9].ljust(9, "0")) if fraction else 0
        start = datetime(year, fields[0], fields[1], fields[2], fields[3], int(whole))
    except (ValueError, OverflowError):
        raise fail(path, number, f"unparsable epoch line {text.rstrip()!r}; expected "
                                 f"{template!r}") from None
    return np.datetime64(start, "ns") + np.timedelta64(nanoseconds, "ns")


def walk_v2(lines: list[bytes], header: RinexHeader) -> ObsRecords:
    """The records of a RINEX 2 body: ``text`` is the ``ceil(n_obs/5)`` lines of a
    satellite, each cut or padded to 80 columns, joined."""
    out = ObsRecords()
    path = header.path
    n_obs = len(header.obs_types[""])
    per_sat = -(-n_obs // 5)
    i, n = header.n_lines, len(lines)
    while i < n:
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        text = raw.decode("ascii", "replace")
        number = i + 1
        flag, count = _flag_count(text, 28, 29, 32, path, number, _EPOCH_TEMPLATE_V2)
        if 2 <= flag <= 5:
            i = _special(lines, i, count, flag, header, out, text[:26].strip())
            continue
        time = _time(text, (1, 3), 3, path, number, _EPOCH_TEMPLATE_V2, True)
        svs = [text[32 + 3 * k:35 + 3 * k] for k in range(min(12, count))]
        i += 1
        while len(svs) < count:
            if i >= n:
                raise fail(path, number, f"file ends inside the satellite list of the epoch "
                                         f"{time} ({count} satellites declared)")
            more = lines[i].decode("ascii", "replace")
            svs += [more[32 + 3 * k:35 + 3 * k] for k in range(min(12, count - len(svs)))]
            i += 1
        end = i + count * per_sat
        if end > n:
            raise fail(path, n, f"file ends inside the epoch {time} of line {number} "
                                f"({count} satellites x {per_sat} lines expected)")
        if flag == 6:
            out.events.append(f"{time}: cycle-slip records (flag 6), skipped")
            i = end
            continue
        if flag == 1:
            out.power_failures.append(time)
        out.times.append(time)
        epoch = len(out.times) - 1
        prefixes = [sv.encode("ascii", "replace") for sv in svs]
        if per_sat == 1:
            out.text.extend(p + lines[i + k] for k, p in enumerate(prefixes))
        else:
            out.text.extend(p + b"".join(lines[j][:80].ljust(80)
                                         for j in range(i + k * per_sat, i + (k + 1) * per_sat))
                            for k, p in enumerate(prefixes))
        out.line.extend(range(i + 1, end + 1, per_sat))
        out.epoch.extend([epoch] * count)
        i = end
    return out


def walk_v3(lines: list[bytes], header: RinexHeader) -> ObsRecords:
    """The records of a RINEX 3 body: ``text`` is a satellite line from column 4 on."""
    out = ObsRecords()
    path = header.path
    i, n = header.n_lines, len(lines)
    while i < n:
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        text = raw.decode("ascii", "replace")
        number = i + 1
        if not text.startswith(">"):
            raise fail(path, number, f"expected an epoch line starting with '>', found "
                                     f"{text[:40].rstrip()!r}")
        flag, count = _flag_count(text, 31, 32, 35, path, number, _EPOCH_TEMPLATE_V3)
        if 2 <= flag <= 5:
            i = _special(lines, i, count, flag, header, out, text[1:29].strip())
            continue
        time = _time(text, (2, 6), 6, path, number, _EPOCH_TEMPLATE_V3, False)
        end = i + 1 + count
        if end > n:
            raise fail(path, n, f"file ends inside the epoch {time} of line {number} "
                                f"({count} satellite lines expected)")
        if flag == 6:
            out.events.append(f"{time}: cycle-slip records (flag 6), skipped")
            i = end
            continue
        if flag == 1:
            out.power_failures.append(time)
        try:
            out.clock_offsets.append(float(text[41:56]))
        except ValueError:
            pass
        out.times.append(time)
        out.text.extend(lines[i + 1:end])
        out.line.extend(range(i + 2, end + 1))
        out.epoch.extend([len(out.times) - 1] * count)
        i = end
    return out


def _flag_count(text: str, flag_col: int, count_start: int, count_end: int, path: Path,
                number: int, template: str) -> tuple[int, int]:
    flag_text, count_text = text[flag_col:flag_col + 1], text[count_start:count_end]
    try:
        flag = int(flag_text) if flag_text.strip() else 0
        count = int(count_text)
    except (ValueError, OverflowError):
        raise fail(path, number, f"unparsable epoch line {text.rstrip()!r}; expected "
                                 f"{template!r}") from None
    if not 0 <= flag <= 6 or count < 0:
        raise fail(path, number, f"epoch flag {flag_text!r} / count {count_text.strip()!r} out "
                                 "of range (flags 0-6)")
    return flag, count


def _special(lines: list[bytes], i: int, count: int, flag: int, header: RinexHeader,
             out: ObsRecords, when: str) -> int:
    """Skip the ``count`` special records after an event epoch line (flags 2-5)."""
    words = {2: "start moving antenna", 3: "new site occupation", 4: "header information",
             5: "external event"}[flag]
    if i + 1 + count > len(lines):
        raise fail(header.path, len(lines), f"file ends inside the {count} special records of "
                                            f"the event epoch of line {i + 1}")
    notes = []
    for j in range(i + 1, i + 1 + count):
        record = lines[j].decode("ascii", "replace")
        label = record[60:80].strip()
        if label in ("# / TYPES OF OBSERV", "SYS / # / OBS TYPES"):
            raise fail(header.path, j + 1, "the observation types change inside the file "
                                           f"({label}); split the file at line {i + 1}")
        if label == "COMMENT":
            notes.append(record[:60].strip())
    out.events.append(f"{when or 'line ' + str(i + 1)}: {words} (flag {flag})"
                      + (f": {'; '.join(notes)}" if notes else ""))
    return i + 1 + count


def satellite_names(prefix: np.ndarray, line: np.ndarray, path: Path, *, v2: bool,
                    ) -> np.ndarray:
    """``(n, 3)`` bytes ``"G 5"``, ``"G05"``, ``" 5"`` (RINEX 2: blank system is GPS) ->
    ``"G05"`` strings; a malformed satellite raises naming its line."""
    names, inverse = satellite_table(prefix, line, path, v2=v2)
    return names[inverse]


def satellite_table(prefix: np.ndarray, line: np.ndarray, path: Path, *, v2: bool,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`satellite_names`, as the sorted distinct names and each row's index in them."""
    system = prefix[:, 0].copy()
    if v2:
        system[system == 32] = ord("G")
    digits = prefix[:, 1:3].astype(np.int64) - 48
    blank = prefix[:, 1:3] == 32
    ok = (((system >= 65) & (system <= 90)) & (((digits >= 0) & (digits <= 9)) | blank).all(axis=1)
          & ~blank[:, 1])
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        sv = prefix[row].tobytes().decode("ascii", "replace")
        raise fail(path, int(line[row]), f"satellite {sv!r} is not a satellite number like 'G05'")
    prn = np.where(blank[:, 0], 0, digits[:, 0]) * 10 + digits[:, 1]
    return satellites_of_keys(system.astype(np.int64) * 100 + prn)


def satellites_of_keys(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Satellite keys ``100 * ord(system) + prn`` (< 9100) -> the sorted distinct names
    (``"G05"``) and each key's index in them (as ``np.unique``, without sorting)."""
    present = np.zeros(9100, dtype=bool)
    present[key] = True
    unique = np.flatnonzero(present)
    inverse = (np.cumsum(present) - 1)[key]
    names = np.array([f"{chr(k // 100)}{k % 100:02d}" for k in unique.tolist()], dtype="<U3")
    return names, inverse
