"""SP3-a/c/d precise orbit files (IGS final, rapid, ultra-rapid), plain, ``.gz`` or ``.Z``.

Specification: SP3-c (Hilla 2010) and SP3-d (Hilla 2016), IGS/NGS. The result has the layout
of ``georinex.load`` on an SP3 file (``georinex.sp3.load_sp3``): dimensions ``time``
(epochs, datetime64[ns], in the file's time system, ``attrs["time_system"]``), ``sv``
(``"G01"``, in the header's order) and ``ECEF`` (``x``, ``y``, ``z``); variables

* ``position`` (time, sv, ECEF): satellite centre of mass, **km**, in the file's frame
  (``attrs["coord_sys"]``, e.g. IGb08);
* ``clock`` (time, sv): satellite clock offset, **microseconds**;
* ``velocity`` (time, sv, ECEF): **dm/s**, and ``dclock`` (time, sv): clock rate,
  **1e-4 µs/s**, where the file has ``V`` records (NaN otherwise);
* ``x``, ``y``, ``z`` (time, sv): the three position components again, km, for
  convenience; ``t0``: the start time of the header's first line (as georinex).

Bad or missing values, written as ``0.000000`` (position) and ``999999.999999`` (clock)
in the file, are NaN (georinex keeps them as numbers). Records are matched to satellites
by their own satellite field (georinex assumes the header's order in every epoch).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.sources.registry import register
from ionoquake.sources.rinex_text import (
    RinexError,
    byte_matrix,
    fail,
    first_line,
    fixed_width_floats,
    rinex_lines,
)

__all__ = ["RinexError", "can_read", "read"]

#: Position value meaning "no position" and clock value meaning "no clock" (SP3-c §2).
BAD_POSITION_KM = 0.0
BAD_CLOCK_US = 999999.0


def can_read(path: Path) -> bool:
    """True if the file starts with an SP3 first line (``#a``, ``#c`` or ``#d``, P or V)."""
    line = first_line(path)
    return len(line) >= 60 and line[:1] == b"#" and line[1:2] in b"acd" and line[2:3] in b"PV"


def read(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read an SP3-a/c/d file; positions in km, clocks in µs, bad values NaN."""
    path = Path(path)
    lines = rinex_lines(path)
    if not lines or lines[0][:1] != b"#" or lines[0][1:2] not in (b"a", b"c", b"d"):
        raise fail(path, 1, "not an SP3 file: the first line does not start with #a, #c or #d")
    first = lines[0].decode("ascii", "replace")
    start = _time(first, 3, path, 1)
    svs, body = _satellites(lines, path)
    epochs: list[np.datetime64] = []
    p_rows: list[bytes] = []
    p_epoch: list[int] = []
    p_line: list[int] = []
    v_rows: list[bytes] = []
    v_epoch: list[int] = []
    v_line: list[int] = []
    for i in range(body, len(lines)):
        raw = lines[i]
        tag = raw[:1]
        if tag == b"*":
            epochs.append(_time(raw.decode("ascii", "replace"), 3, path, i + 1))
        elif tag in (b"P", b"V"):
            if not epochs:
                raise fail(path, i + 1, "a satellite record before the first epoch line")
            rows, epoch, line = (p_rows, p_epoch, p_line) if tag == b"P" else (
                v_rows, v_epoch, v_line)
            rows.append(raw)
            epoch.append(len(epochs) - 1)
            line.append(i + 1)
        elif raw.startswith(b"EOF"):
            break
        elif raw[:2] in (b"EP", b"EV", b"/*") or not raw.strip():
            continue
        else:
            record = raw[:20].decode("ascii", "replace")
            raise fail(path, i + 1, f"unexpected SP3 record {record!r}")
    if not epochs:
        raise fail(path, len(lines), "no epoch ('*') lines: the file is truncated")
    shape = (len(epochs), len(svs))
    index = {sv: k for k, sv in enumerate(svs)}
    position, clock = _records(p_rows, p_epoch, p_line, index, shape, path, "position")
    velocity, dclock = _records(v_rows, v_epoch, v_line, index, shape, path, "velocity")
    position[(position == BAD_POSITION_KM).all(axis=2) | np.isnan(position).any(axis=2)] = np.nan
    clock[clock >= BAD_CLOCK_US] = np.nan
    dclock[dclock >= BAD_CLOCK_US] = np.nan
    time = np.array(epochs, dtype="datetime64[ns]")
    if time.size > 1 and not (np.diff(time) > np.timedelta64(0, "ns")).all():
        raise fail(path, None, "epoch times are not strictly increasing")
    ds = xr.Dataset(coords={"time": time, "sv": svs, "ECEF": ["x", "y", "z"]})
    ds["position"] = (("time", "sv", "ECEF"), position, {"units": "km"})
    ds["clock"] = (("time", "sv"), clock, {"units": "microseconds"})
    ds["velocity"] = (("time", "sv", "ECEF"), velocity, {"units": "dm/s"})
    ds["dclock"] = (("time", "sv"), dclock, {"units": "1e-4 microseconds/s"})
    for k, name in enumerate("xyz"):
        ds[name] = (("time", "sv"), position[:, :, k], {"units": "km"})
    ds["t0"] = start  # georinex's scalar: the start time of the first line
    ds.attrs = _attrs(first, lines, start, path)
    return ds


def _time(text: str, offset: int, path: Path, number: int) -> np.datetime64:
    """``yyyy mm dd hh mm ss.ssssssss`` from column ``offset`` (hour 24 / second 60 roll over)."""
    try:
        year, month, day, hour, minute = (int(text[offset + k:offset + k + w]) for k, w in
                                          ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2)))
        whole, _, fraction = text[offset + 17:offset + 28].strip().partition(".")
        if fraction and not fraction.isdigit():
            raise ValueError(fraction)
        moment = datetime(year, month, day) + timedelta(hours=hour, minutes=minute,
                                                        seconds=int(whole))
        ns = int(fraction[:9].ljust(9, "0")) if fraction else 0
    except (ValueError, OverflowError):
        raise fail(path, number, f"unparsable SP3 epoch {text[:31].rstrip()!r}; expected "
                                 "'*  yyyy mm dd hh mm ss.ssssssss'") from None
    return np.datetime64(moment, "ns") + np.timedelta64(ns, "ns")


def _satellites(lines: list[bytes], path: Path) -> tuple[list[str], int]:
    """The header's satellite list (``+`` lines) and the index of the first epoch line."""
    svs: list[str] = []
    declared = -1
    for i, raw in enumerate(lines[1:], start=1):
        text = raw.decode("ascii", "replace")
        if text.startswith("*"):
            if declared < 0:
                raise fail(path, i + 1, "no satellite list ('+' lines) before the first epoch")
            return svs[:declared], i
        if text.startswith("+") and not text.startswith("++"):
            if declared < 0:
                try:
                    declared = int(text[3:6])
                except ValueError:
                    raise fail(path, i + 1, f"number of satellites {text[3:6]!r} is not an "
                                            "integer") from None
            for k in range(17):
                sv = text[9 + 3 * k:12 + 3 * k]
                if sv.strip() and sv.strip() != "0" and len(svs) < declared:
                    svs.append(_sv(sv, path, i + 1))
    raise fail(path, len(lines), "no epoch ('*') lines: the file is truncated")


def _sv(text: str, path: Path, number: int) -> str:
    system = "G" if text[0] == " " else text[0]
    try:
        return f"{system}{int(text[1:3]):02d}"
    except ValueError:
        raise fail(path, number, f"satellite {text!r} is not like 'G01'") from None


def _records(rows: list[bytes], epoch: list[int], line: list[int], index: dict[str, int],
             shape: tuple[int, int], path: Path, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode P (or V) records into (time, sv, 3) vectors and (time, sv) clocks."""
    vectors = np.full((*shape, 3), np.nan)
    clocks = np.full(shape, np.nan)
    if not rows:
        return vectors, clocks
    matrix = byte_matrix(rows, 60)
    numbers = np.asarray(line, dtype=np.int64)
    sv = [_sv(r[1:4].decode("ascii", "replace").ljust(3), path, n)
          for r, n in zip(rows, line, strict=True)]
    unknown = [k for k, s in enumerate(sv) if s not in index]
    if unknown:
        raise fail(path, line[unknown[0]], f"satellite {sv[unknown[0]]} is not in the header's "
                                           "satellite list")
    t = np.asarray(epoch, dtype=np.int64)
    s = np.array([index[x] for x in sv], dtype=np.int64)
    for k, (start, name) in enumerate(((4, "x"), (18, "y"), (32, "z"))):
        vectors[t, s, k] = fixed_width_floats(matrix, start, 14, path=path, line_numbers=numbers,
                                              what=f"{what} {name} (column {start + 1})")
    clocks[t, s] = fixed_width_floats(matrix, 46, 14, path=path, line_numbers=numbers,
                                      what="clock (column 47)")
    return vectors, clocks


def _attrs(first: str, lines: list[bytes], start: np.datetime64, path: Path) -> dict[str, Any]:
    second = lines[1].decode("ascii", "replace") if len(lines) > 1 else ""
    time_system = next((x.decode("ascii", "replace")[9:12].strip() for x in lines[:40]
                        if x.startswith(b"%c")), "")
    try:
        n_epochs = int(first[32:39])
        interval = float(second[24:38])
    except ValueError:
        raise fail(path, 1, "SP3 header: number of epochs or epoch interval is not a number"
                   ) from None
    return {"version": first[1], "rinextype": "sp3", "filename": path.name,
            "Nepoch": n_epochs, "coord_sys": first[46:51], "orbit_type": first[52:55],
            "agency": first[56:60], "t0": str(start), "interval": interval,
            "time_system": time_system, "units": "position km, clock microseconds"}


register("sp3", "ephemeris", can_read, read, "SP3-a/c/d precise GNSS orbits and clocks")
