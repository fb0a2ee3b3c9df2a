"""Bias-SINEX 1.00 files of differential code biases (CAS, GFZ, CODE ``...DCB.BIA``).

Specification: Schaer (2016), "SINEX BIAS — Solution (Software/technique) INdependent
EXchange Format for GNSS Biases, Version 1.00", IGS. Each ``+BIAS/SOLUTION`` record is one
bias of one satellite (station blank) or one receiver (station given) between two
observables, valid from ``start`` to ``end``.

:func:`read` returns a DataFrame with the columns of :data:`COLUMNS`: ``bias`` (DSB, ISB,
OSB), ``svn``, ``prn`` (``"G05"``; a system letter only for receiver biases),
``station`` (empty for satellite biases), ``obs1``, ``obs2`` (``"C1C"``), ``start``,
``end`` (UTC-less datetime64, the file's time system, ``attrs["time_system"]``),
``unit``, ``value_ns`` and ``std_ns`` (NaN for biases not in ns).
:func:`satellite_dcb` gives one satellite's DCB at a time in ns and in TECU.

TECU conversion: a code bias of ``b`` ns is ``c·b`` metres, and 1 TECU delays ``obs2``
more than ``obs1`` by ``40.3e16 (1/f2² − 1/f1²)`` m, so ``b`` ns is
``c·b / (40.3e16 (1/f2² − 1/f1²))`` TECU; for GPS L1/L2 1 ns ≈ 2.85 TECU
(Sardón et al. 1994, Radio Sci. 29, 577; Hofmann-Wellenhof et al. 2008, §5.3.2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.errors import InputError
from ionoquake.sources.registry import register
from ionoquake.sources.rinex_text import fail, first_line, rinex_lines

__all__ = ["COLUMNS", "DCB", "can_read", "frequency_hz", "read", "satellite_dcb"]

COLUMNS = ["bias", "svn", "prn", "station", "obs1", "obs2", "start", "end", "unit",
           "value_ns", "std_ns"]
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Ionospheric refraction constant, m³/s² per electron/m² (40.3 = e²/(8π²ε₀mₑ)).
K_IONO = 40.3
TECU = 1e16

#: Carrier frequencies, Hz, by system and RINEX band (RINEX 3.05 Table 4; ICDs).
FREQUENCIES_HZ: dict[str, dict[str, float]] = {
    "G": {"1": 1575.42e6, "2": 1227.60e6, "5": 1176.45e6},
    "J": {"1": 1575.42e6, "2": 1227.60e6, "5": 1176.45e6, "6": 1278.75e6},
    "E": {"1": 1575.42e6, "5": 1176.45e6, "7": 1207.14e6, "8": 1191.795e6, "6": 1278.75e6},
    "C": {"2": 1561.098e6, "1": 1575.42e6, "5": 1176.45e6, "7": 1207.14e6, "8": 1191.795e6,
          "6": 1268.52e6},
    "S": {"1": 1575.42e6, "5": 1176.45e6},
    "I": {"5": 1176.45e6, "9": 2492.028e6},
}
#: GLONASS FDMA: f = base + k·step, k the frequency channel (GLONASS ICD 5.1, 2008).
GLONASS_FDMA_HZ = {"1": (1602.0e6, 0.5625e6), "2": (1246.0e6, 0.4375e6)}
GLONASS_CDMA_HZ = {"3": 1202.025e6, "4": 1600.995e6, "6": 1248.06e6}


def frequency_hz(system: str, band: str, glonass_channel: int | None = None) -> float:
    """The carrier frequency of ``band`` ("1", "2", ...) of ``system``, Hz."""
    if system == "R":
        if band in GLONASS_FDMA_HZ:
            if glonass_channel is None:
                raise InputError(f"GLONASS band {band} needs the satellite's frequency channel")
            base, step = GLONASS_FDMA_HZ[band]
            return base + glonass_channel * step
        if band in GLONASS_CDMA_HZ:
            return GLONASS_CDMA_HZ[band]
    try:
        return FREQUENCIES_HZ[system][band]
    except KeyError:
        raise InputError(f"no carrier frequency known for system {system!r} band {band!r}"
                         ) from None


def can_read(path: Path) -> bool:
    """True if the file starts with a Bias-SINEX header line ``%=BIA``."""
    return first_line(path).startswith(b"%=BIA")


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the ``+BIAS/SOLUTION`` block of a Bias-SINEX file (plain, .gz, .Z)."""
    path = Path(path)
    lines = rinex_lines(path)
    if not lines or not lines[0].startswith(b"%=BIA"):
        raise fail(path, 1, "not a Bias-SINEX file: the first line does not start with '%=BIA'")
    rows: list[dict[str, Any]] = []
    time_system = ""
    block = ""
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("ascii", "replace")
        if text.startswith("+"):
            block = text[1:].strip()
        elif text.startswith("-"):
            block = ""
        elif text.startswith(("*", "%")) or not text.strip():
            continue
        elif block == "BIAS/DESCRIPTION" and text.split()[:1] == ["TIME_SYSTEM"]:
            time_system = text.split()[1] if len(text.split()) > 1 else ""
        elif block == "BIAS/SOLUTION":
            rows.append(_record(text, path, number))
    if not rows:
        raise fail(path, len(lines), "no +BIAS/SOLUTION records")
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs.update(filename=path.name, time_system=time_system,
                       agency=lines[0][11:14].decode("ascii", "replace"))
    return table


def _record(text: str, path: Path, number: int) -> dict[str, Any]:
    """One ``+BIAS/SOLUTION`` line (Bias-SINEX 1.00 §3.5, fixed columns)."""
    bias, svn, prn, station = text[1:5].strip(), text[6:10].strip(), text[11:14].strip(), \
        text[15:24].strip()
    obs1, obs2 = text[25:29].strip(), text[30:34].strip()
    unit = text[65:69].strip()
    if bias not in ("DSB", "ISB", "OSB"):
        raise fail(path, number, f"bias type {bias!r} is not DSB, ISB or OSB")
    try:
        value, std = float(text[70:91]), float(text[92:103] or "nan")
    except ValueError:
        raise fail(path, number, f"bias value {text[70:91].strip()!r} or standard deviation "
                                 f"{text[92:103].strip()!r} is not a number") from None
    if not np.isfinite(value):
        raise fail(path, number, f"bias value {text[70:91].strip()!r} is not finite")
    in_ns = unit == "ns"
    return {"bias": bias, "svn": svn, "prn": prn, "station": station, "obs1": obs1,
            "obs2": obs2, "start": _time(text[35:49], path, number),
            "end": _time(text[50:64], path, number), "unit": unit,
            "value_ns": value if in_ns else np.nan, "std_ns": std if in_ns else np.nan}


def _time(text: str, path: Path, number: int) -> np.datetime64:
    """``YYYY:DDD:SSSSS`` (or ``YY:DDD:SSSSS``) -> datetime64; ``0000:000:00000`` is NaT."""
    try:
        year, doy, seconds = (int(x) for x in text.strip().split(":"))
    except ValueError:
        raise fail(path, number, f"time {text.strip()!r} is not YYYY:DDD:SSSSS") from None
    if year == 0 and doy == 0:
        return np.datetime64("NaT", "ns")
    if year < 100:
        year += 2000 if year < 50 else 1900
    if not (1 <= doy <= 366 and 0 <= seconds <= 86400 and 1980 <= year <= 2200):
        raise fail(path, number, f"time {text.strip()!r}: year, day of year or seconds out "
                                 "of range")
    return (np.datetime64(f"{year:04d}-01-01", "ns") + np.timedelta64(doy - 1, "D")
            + np.timedelta64(seconds, "s"))


@dataclass(frozen=True)
class DCB:
    """One satellite differential code bias ``obs1 − obs2``."""

    prn: str
    obs1: str
    obs2: str
    ns: float
    std_ns: float
    tecu: float  # the same bias in TECU, same sign (it enters P2 - P1 with the opposite sign)
    how: str  # "direct", "reversed" or "via C1W"


def satellite_dcb(table: pd.DataFrame, prn: str, obs1: str, obs2: str,
                  time: np.datetime64 | str, *, glonass_channel: int | None = None) -> DCB:
    """The satellite DCB ``obs1 − obs2`` of ``prn`` valid at ``time``, in ns and TECU.

    Uses the record for ``obs1-obs2``, else ``obs2-obs1`` with the sign changed, else
    the sum of two records through one intermediate observable (``C1C-C1W`` +
    ``C1W-C2W``); the standard deviations are added in quadrature.
    """
    t = pd.Timestamp(time).to_datetime64()
    sat = table[(table.prn == prn) & (table.station == "") & table.value_ns.notna()
                & (table.start.isna() | (table.start <= t)) & (table.end.isna() | (t <= table.end))]

    def pair(a: str, b: str) -> tuple[float, float] | None:
        direct = sat[(sat.obs1 == a) & (sat.obs2 == b)]
        if len(direct):
            return float(direct.value_ns.iloc[0]), float(direct.std_ns.iloc[0])
        back = sat[(sat.obs1 == b) & (sat.obs2 == a)]
        if len(back):
            return -float(back.value_ns.iloc[0]), float(back.std_ns.iloc[0])
        return None

    found, how = pair(obs1, obs2), "direct"
    if found is not None and not len(sat[(sat.obs1 == obs1) & (sat.obs2 == obs2)]):
        how = "reversed"
    if found is None:
        for via in sorted(set(sat.obs1) | set(sat.obs2)):
            first, second = pair(obs1, via), pair(via, obs2)
            if first is not None and second is not None:
                found = (first[0] + second[0], float(np.hypot(first[1], second[1])))
                how = f"via {via}"
                break
    if found is None:
        raise InputError(f"{table.attrs.get('filename', 'bias table')}: no satellite DCB "
                         f"{obs1}-{obs2} for {prn} at {t}")
    ns, std = found
    return DCB(prn, obs1, obs2, ns, std, ns_to_tecu(ns, prn[0], obs1[1], obs2[1],
                                                    glonass_channel=glonass_channel), how)


def ns_to_tecu(ns: float, system: str, band1: str, band2: str, *,
               glonass_channel: int | None = None) -> float:
    """A code bias ``obs1 − obs2`` of ``ns`` nanoseconds as TECU of slant TEC."""
    f1 = frequency_hz(system, band1, glonass_channel)
    f2 = frequency_hz(system, band2, glonass_channel)
    metres_per_tecu = K_IONO * TECU * (1.0 / f2**2 - 1.0 / f1**2)
    if metres_per_tecu == 0:
        raise InputError(f"{system} bands {band1} and {band2} have the same frequency: "
                         "no TEC from their difference")
    return ns * 1e-9 * SPEED_OF_LIGHT_M_S / metres_per_tecu


register("bias-sinex", "biases", can_read, read,
         "Bias-SINEX 1.00 differential code biases (CAS, GFZ, CODE DCB.BIA)")
