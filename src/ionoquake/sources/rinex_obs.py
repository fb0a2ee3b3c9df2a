"""RINEX 2.10-3.05 GNSS observation files, plain or Hatanaka-compressed (CRINEX 1 and 3).

Specifications: RINEX 2.11 (Gurtner & Estey 2007), RINEX 3.05 (IGS/RTCM-SC104 2020),
Compact RINEX (Hatanaka 2008, GSI Journal 55). Files may be gzip (``.gz``) or Unix
``compress`` (``.Z``); CRINEX is decoded with the ``hatanaka`` package.

The result has **exactly the layout of** ``georinex.load(path)`` (georinex 1.16, default
options), value for value: dimensions ``time`` (datetime64[ns], sorted) and ``sv``
(``"G05"``, sorted); one float64 variable per observation code (RINEX 2 ``C1``, ``P2``,
``L1`` ...; RINEX 3 ``C1C``, ``L2W`` ...), NaN where the file has no value; no LLI/SSI
variables (georinex's default ``useindicators=False``; ``indicators=True`` adds
``<code>lli`` for every phase and ``<code>ssi`` for every code). Units are the file's:
pseudoranges in metres, phases in cycles, Doppler in Hz, signal strength as recorded.
As georinex does, a RINEX 2 result drops satellites and epochs without any value, a
RINEX 3 result keeps every satellite and epoch listed for a system of the header.

Deliberate differences from georinex 1.16, all in metadata: epoch times are read to the
nanosecond as written (georinex truncates the fraction, ``int(float(s) % 1 * 1e6)`` µs,
and its strict RINEX 2 path to milliseconds: ``30.0020000`` becomes ``30.001999`` or
``30.001``); ``version`` of a CRINEX 1 file is its RINEX version (georinex gives the
CRINEX version, 1.0); ``fast_processing`` is always 0 (georinex's internal mode).

``attrs``: georinex's ``version``, ``rinextype`` ("obs"), ``fast_processing`` (0),
``interval`` (s; header ``INTERVAL``, else the median step), ``time_system``,
``filename``, ``position`` (approximate ECEF X, Y, Z in metres), ``time_offset`` and
``receiver_clock_offset_applied`` (RINEX 3, when present), plus ``rxmodel`` (receiver
type, columns 21-40 of ``REC # / TYPE / VERS``), ``marker_name``, ``systems`` (letters
of the systems present), ``single_frequency_systems`` (those without a TEC band pair),
``glonass_slots`` (``{"R01": k}``, frequency channel numbers
from ``GLONASS SLOT / FRQ #``, when present), ``frequency_pairs`` (see
:func:`dual_frequency_pairs`), ``single_frequency`` (1 if no system has two bands),
``crinex`` (1 if Hatanaka-compressed), ``power_failures`` and ``events`` (epoch flags 1
and 2-6, when present).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.sources.registry import register
from ionoquake.sources.rinex_epochs import SYSTEMS_V2, ObsRecords, satellite_names, walk_v2, walk_v3
from ionoquake.sources.rinex_header import RinexHeader, check_obs_counts, parse_header
from ionoquake.sources.rinex_text import (
    RinexError,
    byte_matrix,
    fixed_width_floats,
    is_crinex,
    rinex_lines,
    sniff_rinex,
)

__all__ = ["BandPair", "RinexError", "can_read", "dual_frequency_pairs", "read",
           "require_dual_frequency"]


def can_read(path: Path) -> bool:
    """True if the file starts with a RINEX observation or a CRINEX header."""
    return sniff_rinex(path, b"O", crinex=True)


def read(path: str | os.PathLike[str], *, indicators: bool = False) -> xr.Dataset:
    """Read a RINEX 2/3 observation file (plain, CRINEX, ``.gz``, ``.Z``) as georinex does.

    Raises :class:`RinexError` (an ``InputError``) naming the file and line for a
    truncated file, a header that is not RINEX observation data, unknown observation
    codes, an unparsable epoch line or a value that is not a number.
    """
    path = Path(path)
    lines = rinex_lines(path)
    header = parse_header(lines, path, expect="O")
    if header.version >= 4 or header.version < 2:
        raise RinexError(f"{path} line 1: RINEX observation version {header.version} is not "
                         "supported (2.10-3.05)")
    check_obs_counts(header)
    major = int(header.version)
    if major == 2 and "" not in header.obs_types:
        raise RinexError(f"{path} line {header.n_lines}: RINEX 2 header without "
                         "'# / TYPES OF OBSERV'")
    records = walk_v2(lines, header) if major == 2 else walk_v3(lines, header)
    ds = _assemble(records, header, indicators)
    if major == 2:
        ds = ds.dropna(dim="sv", how="all").dropna(dim="time", how="all")
    ds.attrs = _attrs(ds, header, records, crinex=is_crinex(path))
    return ds


def _system_fields(header: RinexHeader, systems: np.ndarray,
                   epoch: np.ndarray) -> dict[str, list[str]]:
    """Observation codes per system present, in georinex's order of first appearance."""
    present = sorted(set(systems.tolist()))
    if int(header.version) == 2:
        return {s: header.obs_types[""] for s in present}
    first = {s: int(epoch[systems == s].min()) for s in present}
    order = list(header.obs_types)
    return {s: header.obs_types[s] for s in sorted(present, key=lambda s: (first[s],
                                                                              order.index(s)))}


def _assemble(records: ObsRecords, header: RinexHeader, indicators: bool) -> xr.Dataset:
    """Decode the numbers column by column and scatter them into (time, sv) arrays."""
    v2 = int(header.version) == 2
    epoch = np.asarray(records.epoch, dtype=np.int64)
    line = np.asarray(records.line, dtype=np.int64)
    n_fields = max(len(codes) for codes in header.obs_types.values())
    width = 3 + (80 * -(-n_fields // 5) if v2 else 16 * n_fields)
    matrix = byte_matrix(records.text, width)
    names = satellite_names(matrix[:, :3], line, header.path, v2=v2)
    systems = names.view("<U1").reshape(-1, 3)[:, 0] if names.size else names.astype("<U1")
    known = sorted(SYSTEMS_V2 if v2 and header.system == "M" else
                   {header.system or "G"} if v2 else set(header.obs_types))
    keep = np.isin(systems, known)
    records.skipped_systems.update(systems[~keep].tolist())
    matrix, names, systems, epoch, line = (matrix[keep], names[keep], systems[keep],
                                           epoch[keep], line[keep])
    times = np.array(records.times, dtype="datetime64[ns]")[epoch]
    time_axis, row_time = np.unique(times, return_inverse=True)
    sv_axis, row_sv = np.unique(names, return_inverse=True)
    shape = (time_axis.size, sv_axis.size)
    data: dict[str, np.ndarray] = {}
    decoded: dict[int, tuple[np.ndarray, ...]] = {}
    for system, codes in _system_fields(header, systems, epoch).items():
        rows = np.flatnonzero(systems == system)
        for k, code in enumerate(codes):
            if k not in decoded:
                decoded[k] = _column(matrix, k, header, line, v2=v2)
            value, lli, ssi = decoded[k]
            columns = [(code, value)]
            if indicators:
                columns += [(code + "lli", lli)] if code[0] == "L" else []
                columns += [(code + "ssi", ssi)]
            for name, values in columns:
                out = data.setdefault(name, np.full(shape, np.nan))
                out[row_time[rows], row_sv[rows]] = values[rows]
    return xr.Dataset({name: (("time", "sv"), values) for name, values in data.items()},
                      coords={"time": time_axis, "sv": sv_axis.tolist()})


def _column(matrix: np.ndarray, k: int, header: RinexHeader, line: np.ndarray, *,
            v2: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, loss-of-lock and signal-strength indicator of observation ``k`` of every record.

    RINEX 2 records are the satellite's 80-column lines joined (5 observations a line),
    RINEX 3 records one line; each observation is F14.3, I1, I1 (16 columns).
    """
    start = 3 + 16 * k
    line_numbers = line + (16 * k) // 80 if v2 else line
    first_column = (16 * k) % 80 + 1 if v2 else start + 1
    value = fixed_width_floats(matrix, start, 14, path=header.path, line_numbers=line_numbers,
                               what=f"observation {header_code(header, k)} (column "
                                    f"{first_column})")
    lli, ssi = _indicator_digits(matrix, start)
    return value, lli, ssi


def header_code(header: RinexHeader, k: int) -> str:
    """The code(s) of observation ``k`` (RINEX 3: one per system, joined with '/')."""
    codes = sorted({c[k] for c in header.obs_types.values() if k < len(c)})
    return "/".join(codes)


def _indicator_digits(matrix: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """The loss-of-lock and signal-strength digits after a 14-column value (NaN if blank)."""
    out = []
    for col in (start + 14, start + 15):
        if col >= matrix.shape[1]:
            out.append(np.full(matrix.shape[0], np.nan))
            continue
        c = matrix[:, col].astype(np.float64) - 48.0
        out.append(np.where((c >= 0) & (c <= 9), c, np.nan))
    return out[0], out[1]


def _attrs(ds: xr.Dataset, header: RinexHeader, records: ObsRecords, *,
           crinex: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {"version": header.version}
    try:
        attrs["interval"] = float(header.get("INTERVAL")[:10])
    except ValueError:
        steps = np.diff(ds.time.values) / np.timedelta64(1, "s")
        attrs["interval"] = float(np.median(steps)) if steps.size else np.nan
    attrs.update(rinextype="obs", fast_processing=0, time_system=_time_system(header),
                 filename=header.path.name)
    try:
        attrs["position"] = [float(v) for v in header.get("APPROX POSITION XYZ").split()][:3]
    except ValueError:
        pass
    if int(header.version) == 3:
        if records.clock_offsets:
            attrs["time_offset"] = records.clock_offsets
        try:
            attrs["receiver_clock_offset_applied"] = int(header.get("RCV CLOCK OFFS APPL"))
        except ValueError:
            pass
    attrs["rxmodel"] = header.get("REC # / TYPE / VERS")[20:40].strip()
    attrs["marker_name"] = header.get("MARKER NAME")[:60].strip()
    attrs["systems"] = "".join(sorted({str(s)[0] for s in ds.sv.values}))
    if header.glonass_slots:
        attrs["glonass_slots"] = dict(header.glonass_slots)
    pairs = dual_frequency_pairs(ds)
    attrs["frequency_pairs"] = "; ".join(f"{p.system}:{p.band1}-{p.band2}" for p in pairs)
    attrs["single_frequency"] = int(not pairs)
    attrs["single_frequency_systems"] = "".join(sorted(set(attrs["systems"])
                                                       - {p.system for p in pairs}))
    attrs["crinex"] = int(crinex)
    if records.power_failures:
        attrs["power_failures"] = [str(t) for t in records.power_failures]
    if records.events:
        attrs["events"] = records.events
    if records.skipped_systems:
        attrs["skipped_systems"] = "".join(sorted(records.skipped_systems))
    return attrs


def _time_system(header: RinexHeader) -> str:
    """georinex's ``time_system``: from the file's system letter, or TIME OF FIRST OBS."""
    names = {"G": "GPS", "R": "GLO", "E": "GAL", "J": "QZS", "C": "BDT", "I": "IRN"}
    if header.system in names:
        return names[header.system]
    return header.get("TIME OF FIRST OBS")[48:51].strip()


@dataclass(frozen=True)
class BandPair:
    """Two frequency bands of one system with phase and code observations in a file.

    ``phase1``/``code1`` are the chosen observation codes of band 1 (e.g. ``L1C``/``C1C``
    or, in RINEX 2, ``L1``/``P1``), likewise for band 2; ``code`` may be None where the
    band has phase only (then no levelling to code is possible).
    """

    system: str
    band1: str
    band2: str
    phase1: str
    phase2: str
    code1: str | None
    code2: str | None


#: Frequency-band pairs used for TEC, per system, most usual first (issue I; IGS practice).
TEC_BANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "G": (("1", "2"), ("1", "5")), "R": (("1", "2"), ("1", "3")),
    "E": (("1", "5"), ("1", "7"), ("1", "8"), ("1", "6")),
    "C": (("2", "6"), ("2", "7"), ("1", "5"), ("2", "5")),
    "J": (("1", "2"), ("1", "5")), "S": (("1", "5"),), "I": (("5", "9"),),
}
#: Preferred tracking attributes, best first (RINEX 3.05 Table 4; P/W/C before codeless).
_ATTRIBUTE_ORDER = "PWCYMDSLXIQABZEN"


def dual_frequency_pairs(ds: xr.Dataset) -> list[BandPair]:
    """The frequency-band pairs of ``ds`` from which TEC can be formed, per system.

    A band counts when some satellite of the system has a phase value in it; its code
    is the code observation of the same band (RINEX 3: same attribute first, else the
    best tracking mode; RINEX 2: ``P`` before ``C``). An empty list means the file is
    single-frequency: no dual-frequency TEC can be formed from it.
    """
    systems = np.array([str(s)[:1] for s in ds.sv.values], dtype="<U1")
    out: list[BandPair] = []
    for system in sorted(set(systems.tolist())):
        mask = systems == system
        bands: dict[str, tuple[str, str | None]] = {}
        for band in "123456789":
            phase = _best(ds, mask, [n for n in ds.data_vars if _is(n, "L", band)])
            if phase is None:
                continue
            attribute = str(phase)[2:3]
            codes = [n for n in ds.data_vars if _is(n, "C", band) or _is(n, "P", band)]
            same = [c for c in codes if str(c)[2:3] == attribute]
            code = _best(ds, mask, same) or _best(ds, mask, codes)
            bands[band] = (phase, code)
        for band1, band2 in TEC_BANDS.get(system, ()):
            if band1 in bands and band2 in bands:
                out.append(BandPair(system, band1, band2, bands[band1][0], bands[band2][0],
                                    bands[band1][1], bands[band2][1]))
    return out


def _is(name: object, kind: str, band: str) -> bool:
    text = str(name)
    return len(text) in (2, 3) and text[0] == kind and text[1] == band


def _best(ds: xr.Dataset, mask: np.ndarray, names: Sequence[object]) -> str | None:
    """The name with data for the satellites in ``mask``: RINEX 2 ``P`` first, then by
    RINEX 3 attribute preference."""
    def rank(name: object) -> tuple[int, int]:
        text = str(name)
        attribute = text[2:3]
        return (0 if text[0] == "P" else 1,
                _ATTRIBUTE_ORDER.find(attribute) if attribute else 0)
    for name in sorted(names, key=rank):
        if np.isfinite(ds[name].values[:, mask]).any():
            return str(name)
    return None


def require_dual_frequency(ds: xr.Dataset, system: str | None = None) -> list[BandPair]:
    """The band pairs of ``ds`` (of ``system``), or a clear error for a single-frequency file."""
    pairs = [p for p in dual_frequency_pairs(ds) if system is None or p.system == system]
    if not pairs:
        observed = ", ".join(str(n) for n in ds.data_vars)
        which = f" for system {system}" if system else ""
        raise RinexError(f"{ds.attrs.get('filename', 'this file')}: single-frequency "
                         f"observations{which} (observables: {observed}): no dual-frequency "
                         "TEC can be formed from it")
    return pairs


register("rinex-obs", "receiver", can_read, read,
         "RINEX 2.10-3.05 GNSS observations, Hatanaka CRINEX 1/3 (plain, .gz, .Z)")
