"""CCSDS Orbit Ephemeris Messages (OEM) in KVN text form: write and read back.

Follows CCSDS 502.0-B-3 "Orbit Data Messages" (Blue Book, 2023), section 5 (OEM):
a header (``CCSDS_OEM_VERS = 3.0``, ``CREATION_DATE``, ``ORIGINATOR``), then per
satellite one metadata block between ``META_START`` and ``META_STOP`` (``OBJECT_NAME``,
``OBJECT_ID`` -- the international designator, ``CENTER_NAME = EARTH``,
``REF_FRAME = TEME``, ``TIME_SYSTEM = UTC``, ``START_TIME``, ``STOP_TIME``) followed
by ephemeris lines ``epoch x y z vx vy vz`` in km and km/s. TEME is the frame SGP4
works in (CCSDS 502.0-B-3, Annex A lists it); other tools (GMAT, Orekit, STK) convert
it as they need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.orbits.passes import TimeLike
from ionoquake.orbits.sgp4 import teme_states

__all__ = ["OemError", "OemSegment", "oem_segments", "read_oem", "write_oem"]

Float = NDArray[np.float64]
_VERSION = "3.0"


class OemError(IonoquakeError):
    """An OEM file is malformed."""


@dataclass(frozen=True)
class OemSegment:
    """One satellite's ephemeris: metadata and (n,) times, (n, 3) positions and velocities."""

    object_name: str
    object_id: str
    ref_frame: str
    time_system: str
    times: NDArray[np.datetime64]
    r_km: Float
    v_km_s: Float


def _epoch(t: np.datetime64) -> str:
    return str(np.asarray(t, dtype="datetime64[ms]"))


def _object_id(intl: str, norad: int) -> str:
    """COSPAR id as CCSDS recommends (``2018-015C``) from the TLE's ``18015C``."""
    intl = intl.strip()
    if len(intl) >= 6 and intl[:5].isdigit():
        year = int(intl[:2])
        return f"{1900 + year if year >= 57 else 2000 + year}-{intl[2:5]}{intl[5:]}"
    return intl or str(norad)


def oem_segments(tles: pd.DataFrame, start: TimeLike, end: TimeLike, *,
                 step_s: float = 60.0) -> list[OemSegment]:
    """TEME ephemerides of each satellite of ``tles`` every ``step_s`` over [start, end]."""
    t0, t1 = pd.Timestamp(start).to_datetime64(), pd.Timestamp(end).to_datetime64()
    step = np.timedelta64(round(step_s * 1e9), "ns")
    times = np.arange(t0.astype("datetime64[ns]"), t1.astype("datetime64[ns]") + step // 2, step)
    out = []
    for _, sat in tles.groupby("norad_id", sort=False):
        r, v, _ = teme_states(sat.reset_index(drop=True), times)
        ok = np.isfinite(r).all(axis=1)
        row = sat.iloc[0]
        intl = _object_id(str(row.get("intl_designator", "") or ""), int(row["norad_id"]))
        out.append(OemSegment(str(row["name"]).strip(), intl, "TEME",
                              "UTC", times[ok], r[ok], v[ok]))
    return out


def write_oem(segments: Iterable[OemSegment], path: str | PathLike[str], *,
              originator: str = "ionoquake") -> Path:
    """Write the segments as one OEM (KVN); returns the path."""
    from ionoquake.atomic import atomic_path

    lines = [f"CCSDS_OEM_VERS = {_VERSION}",
             f"CREATION_DATE = {dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()[:23]}",
             f"ORIGINATOR = {originator}", ""]
    for seg in segments:
        if seg.times.size == 0:
            continue
        lines += ["META_START", f"OBJECT_NAME = {seg.object_name}",
                  f"OBJECT_ID = {seg.object_id}", "CENTER_NAME = EARTH",
                  f"REF_FRAME = {seg.ref_frame}", f"TIME_SYSTEM = {seg.time_system}",
                  f"START_TIME = {_epoch(seg.times[0])}", f"STOP_TIME = {_epoch(seg.times[-1])}",
                  "META_STOP", ""]
        for t, r, v in zip(seg.times, seg.r_km, seg.v_km_s, strict=True):
            lines.append(f"{_epoch(t)} {r[0]:.6f} {r[1]:.6f} {r[2]:.6f} "
                         f"{v[0]:.9f} {v[1]:.9f} {v[2]:.9f}")
        lines.append("")
    out = Path(path)
    with atomic_path(out) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n", encoding="ascii")
    return out


def read_oem(path: str | PathLike[str]) -> list[OemSegment]:
    """Read an OEM in KVN form (ephemeris lines only; covariance blocks are refused)."""
    p = Path(path)
    lines = p.read_text(encoding="ascii", errors="replace").splitlines()
    if not lines or not lines[0].replace(" ", "").startswith("CCSDS_OEM_VERS="):
        raise OemError(f"{p.name} line 1: expected CCSDS_OEM_VERS = ...")
    segments: list[OemSegment] = []
    meta: dict[str, str] | None = None
    rows: list[tuple[str, list[float]]] = []
    in_meta = False

    def close() -> None:
        if meta is None:
            return
        missing = [k for k in ("OBJECT_NAME", "OBJECT_ID", "REF_FRAME", "TIME_SYSTEM")
                   if k not in meta]
        if missing:
            raise OemError(f"{p.name}: metadata block without {missing[0]}")
        times = np.array([np.datetime64(t, "ns") for t, _ in rows], dtype="datetime64[ns]")
        data = np.array([x for _, x in rows], dtype=float).reshape(-1, 6)
        segments.append(OemSegment(meta["OBJECT_NAME"], meta["OBJECT_ID"], meta["REF_FRAME"],
                                   meta["TIME_SYSTEM"], times, data[:, :3], data[:, 3:]))

    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line == "META_START":
            close()
            meta, rows, in_meta = {}, [], True
        elif line == "META_STOP":
            in_meta = False
        elif line.startswith("COVARIANCE_START"):
            raise OemError(f"{p.name} line {no}: covariance blocks are not supported")
        elif in_meta or "=" in line:
            key, _, value = line.partition("=")
            if in_meta and meta is not None:
                meta[key.strip()] = value.strip()
        else:
            if meta is None:
                raise OemError(f"{p.name} line {no}: ephemeris line before META_START")
            parts = line.split()
            if len(parts) not in (7, 10):
                raise OemError(f"{p.name} line {no}: expected epoch and 6 (or 9) numbers, "
                               f"found {len(parts) - 1}")
            try:
                rows.append((parts[0], [float(x) for x in parts[1:7]]))
            except ValueError:
                raise OemError(f"{p.name} line {no}: not a number in {line!r}") from None
    close()
    return segments
