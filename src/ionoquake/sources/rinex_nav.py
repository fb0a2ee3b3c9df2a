"""Broadcast navigation (ephemeris) RINEX files: RINEX 2 GPS/GLONASS/Galileo, RINEX 3 mixed,
RINEX 4 (the legacy message types), plain, ``.gz`` or ``.Z``.

Specifications: RINEX 2.11 §6 and Table A4, RINEX 3.04/3.05 §6 and Tables A5-A18, RINEX
4.00 §6 (IGS/RTCM-SC104). The result has the layout of ``georinex.load(path)`` on a
navigation file: dimensions ``time`` (time of clock, datetime64[ns]) and ``sv``
(``"G05"``); one float64 variable per ephemeris field, named as georinex names them
(:mod:`ionoquake.sources.rinex_nav_fields`: ``SVclockBias`` s, ``sqrtA`` m^½,
``Eccentricity``, ``Toe`` s of week, ..., GLONASS ``X``, ``dX``, ``dX2`` in m, m/s, m/s²
and ``FreqNum``, the frequency channel k), NaN where a satellite has no record at a
time or a field is blank.

Systems: GPS, GLONASS, Galileo, BeiDou, QZSS, SBAS and IRNSS records are read (with
georinex's field names); records of any other system letter are skipped and listed in
``attrs["skipped"]``. RINEX 4: the ``> EPH`` messages of the legacy types (GPS/QZSS
LNAV, Galileo INAV/FNAV, BeiDou D1/D2, GLONASS FDMA, SBAS) are read; CNAV/CNV1-3,
``STO``, ``EOP`` and ``ION`` messages are skipped and counted in ``attrs["skipped"]``.

Differences from georinex 1.16, where it is lossy: a record repeated for one satellite
and time is kept once (georinex 3 makes extra satellites ``G01_1``; georinex 2 drops
the satellite); a blank field is NaN (georinex 3 makes the whole record NaN); RINEX 4
is read (georinex refuses it).

``attrs``: ``version``, ``svtype`` (systems in order of appearance), ``rinextype``
("nav"), ``filename``, ``ionospheric_corr_GPS`` (α0-3, β0-3) and the other systems' when
the header has them, ``glonass_channels`` (``{"R01": k}`` from ``FreqNum``),
``duplicates`` (number of repeated records dropped), ``skipped``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.sources.registry import register
from ionoquake.sources.rinex_header import RinexHeader, parse_header
from ionoquake.sources.rinex_nav_fields import (
    CONTINUATION_LINES,
    FIELDS_V2,
    FIELDS_V3,
    KILOMETRES,
    LEGACY_V4,
)
from ionoquake.sources.rinex_text import (
    RINEX_LABEL,
    RinexError,
    byte_matrix,
    fail,
    first_line,
    fixed_width_floats,
    rinex_lines,
)

__all__ = ["RinexError", "can_read", "read"]

_V2_SYSTEM = {"N": "G", "G": "R", "E": "E"}


def can_read(path: Path) -> bool:
    """True if the file starts with a RINEX navigation header (type N or NAV; G in RINEX 2)."""
    first = first_line(path)
    return (RINEX_LABEL in first and len(first) > 20
            and (first[20:21] in (b"N", b"G") or b"NAV" in first[20:40].upper()))


@dataclass
class _Records:
    """Navigation records of one system, before decoding."""

    text: list[bytes] = field(default_factory=list)  # lines joined, each padded to 80
    sv: list[str] = field(default_factory=list)
    time: list[np.datetime64] = field(default_factory=list)
    line: list[int] = field(default_factory=list)


def read(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a RINEX 2/3/4 navigation file into georinex's navigation layout.

    Raises :class:`RinexError` naming the file and line for a header that is not
    navigation data, a truncated record, an unparsable epoch or a value that is not a
    number.
    """
    path = Path(path)
    lines = rinex_lines(path)
    header = parse_header(lines, path, expect="NGE")
    if header.file_type not in ("N", "G", "E") and int(header.version) == 2:
        raise fail(path, 1, f"RINEX 2 navigation type {header.file_type!r} is not read "
                            "(GPS N, GLONASS G, Galileo E)")
    skipped: Counter[str] = Counter()
    major = int(header.version)
    if major == 2:
        records = _walk_v2(lines, header)
    elif major in (3, 4):
        records = _walk_v3(lines, header, skipped, v4=major == 4)
    else:
        raise fail(path, 1, f"RINEX navigation version {header.version} is not supported")
    return _assemble(records, header, skipped)


def _walk_v2(lines: list[bytes], header: RinexHeader) -> dict[str, _Records]:
    """RINEX 2: records of 1 + 7 (GPS, Galileo) or 1 + 3 (GLONASS) lines, fields at 3+19m."""
    system = _V2_SYSTEM[header.file_type]
    n_lines = 1 + CONTINUATION_LINES[system]
    out = _Records()
    i, n = header.n_lines, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        text = lines[i].decode("ascii", "replace")
        if i + n_lines > n:
            raise fail(header.path, n, f"file ends inside the record of line {i + 1} "
                                       f"({n_lines} lines expected)")
        try:
            prn = int(text[:2])
            year = int(text[2:5])
            year += 2000 if year < 80 else 1900
            when = _epoch(year, text[5:17], text[17:22])
        except (ValueError, OverflowError):
            raise fail(header.path, i + 1, f"unparsable navigation epoch {text[:22]!r}; "
                                           "expected 'PP YY MM DD HH MM SS.S'") from None
        out.sv.append(f"{system}{prn:02d}")
        out.time.append(when)
        out.text.append(b"".join(lines[j][:80].ljust(80) for j in range(i, i + n_lines)))
        out.line.append(i + 1)
        i += n_lines
    return {system: out}


def _walk_v3(lines: list[bytes], header: RinexHeader, skipped: Counter[str], *,
             v4: bool) -> dict[str, _Records]:
    """RINEX 3/4: a record starts with its satellite in column 1, fields at 4+19m."""
    out: dict[str, _Records] = {}
    i, n = header.n_lines, len(lines)
    while i < n:
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        text = raw.decode("ascii", "replace")
        end = n
        if v4:
            if not text.startswith(">"):
                raise fail(header.path, i + 1, f"expected a RINEX 4 message line '> EPH G01 "
                                               f"LNAV', found {text[:30].rstrip()!r}")
            words = text[1:].split()
            end = i + 1
            while end < n and not lines[end].startswith(b">"):
                end += 1
            if (len(words) < 3 or words[0] != "EPH" or words[1][:1] not in
                    LEGACY_V4.get(words[2], "")):
                skipped[" ".join(words[:1] + words[2:3]) or "blank message"] += 1
                i = end
                continue
            i += 1
        system = lines[i][:1].decode("ascii", "replace") if i < n else ""
        if system not in FIELDS_V3:
            skipped[f"system {system}"] += 1
            i += 1
            while i < n and lines[i][:1] in (b" ", b""):
                i += 1
            continue
        n_lines = 1 + CONTINUATION_LINES[system] + (1 if v4 and system == "R" else 0)
        if i + n_lines > end:
            raise fail(header.path, min(end, n), f"file ends inside the record of line {i + 1} "
                                                 f"({n_lines} lines expected)"
                       if end == n else f"record of line {i + 1} has {end - i} lines, "
                                        f"{n_lines} expected")
        first = lines[i].decode("ascii", "replace")
        try:
            prn = int(first[1:3])
            when = _epoch(int(first[4:8]), first[8:20], first[20:23])
        except (ValueError, OverflowError):
            raise fail(header.path, i + 1, f"unparsable navigation epoch {first[:23]!r}; "
                                           "expected 'G01 YYYY MM DD HH MM SS'") from None
        records = out.setdefault(system, _Records())
        records.sv.append(f"{system}{prn:02d}")
        records.time.append(when)
        records.text.append(b"".join(lines[j][:80].ljust(80) for j in range(i, i + n_lines)))
        records.line.append(i + 1)
        i += n_lines
    return out


def _epoch(year: int, month_to_minute: str, seconds: str) -> np.datetime64:
    """Time of clock from ``year``, ``" MM DD HH MM"`` and the seconds field (to 0.1 s)."""
    month, day, hour, minute = (int(month_to_minute[3 * k:3 * k + 3]) for k in range(4))
    from datetime import datetime

    start = datetime(year, month, day, hour, minute)
    tenths = round(float(seconds) * 10)
    if not 0 <= tenths < 610:
        raise ValueError(seconds)
    return np.datetime64(start, "ns") + np.timedelta64(tenths * 100, "ms")


def _assemble(records: dict[str, _Records], header: RinexHeader,
              skipped: Counter[str]) -> xr.Dataset:
    major = int(header.version)
    base = 3 if major == 2 else 4
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    all_sv = sorted({sv for r in records.values() for sv in r.sv})
    time_axis = np.unique(np.array([t for r in records.values() for t in r.time],
                                   dtype="datetime64[ns]"))
    shape = (time_axis.size, len(all_sv))
    sv_index = {sv: k for k, sv in enumerate(all_sv)}
    data: dict[str, np.ndarray] = {}
    duplicates = 0
    for system, recs in records.items():
        names = FIELDS_V2[header.file_type] if major == 2 else FIELDS_V3[system]
        matrix = byte_matrix(recs.text, len(recs.text[0]) if recs.text else 0).copy()
        matrix[(matrix == ord("D")) | (matrix == ord("d"))] = ord("E")
        rows_t = np.searchsorted(time_axis, np.array(recs.time, dtype="datetime64[ns]"))
        rows_s = np.array([sv_index[s] for s in recs.sv], dtype=np.int64)
        first = _first_of_each(rows_t, rows_s)
        duplicates += int(rows_t.size - first.size)
        line = np.asarray(recs.line, dtype=np.int64)
        for k, name in enumerate(names):
            slot = k + 1  # the epoch takes the place of the first field
            start = 80 * (slot // 4) + base + 19 * (slot % 4)
            values = fixed_width_floats(matrix, start, 19, path=header.path,
                                        line_numbers=line + slot // 4,
                                        what=f"{system} field {name} (column {start % 80 + 1})")
            if name.startswith("spare") and np.isnan(values).all():
                continue
            if name in KILOMETRES and system in "RS":
                values = values * 1e3
            columns[f"{system}:{name}"] = (values, rows_t, rows_s)
            out = data.setdefault(name, np.full(shape, np.nan))
            out[rows_t[first], rows_s[first]] = values[first]
    ds = xr.Dataset({name: (("time", "sv"), values) for name, values in data.items()},
                    coords={"time": time_axis, "sv": all_sv})
    ds.attrs = _attrs(ds, header, records, skipped, duplicates)
    return ds


def _first_of_each(rows_t: np.ndarray, rows_s: np.ndarray) -> np.ndarray:
    """Indices of the first record of each (time, satellite)."""
    key = rows_t * 100_000 + rows_s
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


def _attrs(ds: xr.Dataset, header: RinexHeader, records: dict[str, _Records],
           skipped: Counter[str], duplicates: int) -> dict[str, Any]:
    order = [system for system, _ in sorted(records.items(), key=lambda kv: min(kv[1].line))]
    attrs: dict[str, Any] = {"version": header.version, "svtype": order, "rinextype": "nav",
                             "filename": header.path.name}
    attrs.update(_iono_corrections(header))
    if "FreqNum" in ds:
        channels = ds.FreqNum.max("time")
        pairs = zip(ds.sv.values, channels.values, strict=True)
        attrs["glonass_channels"] = {str(sv): int(k) for sv, k in pairs if np.isfinite(k)}
    attrs["duplicates"] = duplicates
    if skipped:
        attrs["skipped"] = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
    return attrs


def _iono_corrections(header: RinexHeader) -> dict[str, Any]:
    """Klobuchar/NeQuick coefficients (RINEX 2 ION ALPHA/BETA, RINEX 3 IONOSPHERIC CORR)."""
    out: dict[str, Any] = {}

    def numbers(text: str, start: int, n: int) -> list[float]:
        return [float(text[start + 12 * i:start + 12 * (i + 1)].replace("D", "E"))
                for i in range(n)]
    try:
        if "ION ALPHA" in header.labels and "ION BETA" in header.labels:
            out["ionospheric_corr_GPS"] = np.hstack((numbers(header.get("ION ALPHA"), 2, 4),
                                                     numbers(header.get("ION BETA"), 2, 4)))
        corr: dict[str, list[float]] = {}
        text = header.get("IONOSPHERIC CORR")
        for k in range(0, len(text), 61):
            record = text[k:k + 60]
            kind = record[:4].strip()
            if kind:
                corr[kind] = numbers(record, 5, 3 if kind == "GAL" else 4)
    except ValueError:
        return out
    for name, a, b in (("GPS", "GPSA", "GPSB"), ("QZS", "QZSA", "QZSB"),
                       ("BDS", "BDSA", "BDSB"), ("IRN", "IRNA", "IRNB")):
        if a in corr and b in corr:
            out[f"ionospheric_corr_{name}"] = np.hstack((corr[a], corr[b]))
    if "GAL" in corr:
        out["ionospheric_corr_GAL"] = corr["GAL"]
    return out


register("rinex-nav", "ephemeris", can_read, read,
         "RINEX 2/3/4 broadcast navigation (GPS, GLONASS, Galileo, BeiDou, QZSS, SBAS)")
