"""RINEX 2.10-3.05 GNSS observation files, plain or Hatanaka-compressed (CRINEX 1 and 3).

Specifications: RINEX 2.11 (Gurtner & Estey 2007), RINEX 3.05 (IGS/RTCM-SC104 2020),
Compact RINEX (Hatanaka 2008, GSI Journal 55). Files may be gzip (``.gz``) or Unix
``compress`` (``.Z``). CRINEX is decoded straight to arrays by the compiled
:mod:`~ionoquake.sources.crinex_kernel` (numba; 0.13 s instead of 0.9 s for the BELE
day, ``benchmarks/bench_gnss.py``); the ``hatanaka`` package's crx2rnx followed by the
text reader is the reference, the fallback (``IONOQUAKE_KERNEL=numpy``, no numba) and
the path of every file the kernel does not vouch for, errors included.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.sources import crinex_kernel
from ionoquake.sources.compression import read_bytes
from ionoquake.sources.registry import register
from ionoquake.sources.rinex_epochs import (
    SYSTEMS_V2,
    ObsRecords,
    satellite_table,
    satellites_of_keys,
    walk_v2,
    walk_v3,
)
from ionoquake.sources.rinex_header import RinexHeader, check_obs_counts, parse_header
from ionoquake.sources.rinex_text import (
    CRINEX_LABEL,
    RinexError,
    byte_matrix,
    fixed_width_floats,
    is_crinex,
    lines_of,
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

    A Hatanaka-compressed file is decoded by the compiled
    :mod:`~ionoquake.sources.crinex_kernel` when numba is available (and
    ``IONOQUAKE_KERNEL`` is not ``numpy``); anything it does not vouch for, and every
    error, goes through the reference path (``hatanaka``'s crx2rnx, then the text).
    """
    path = Path(path)
    raw = read_bytes(path)
    if CRINEX_LABEL in raw[:200] and crinex_kernel.available():
        fast = _read_crinex_fast(raw, path, indicators)
        if fast is not None:
            return fast
    lines = lines_of(raw, path)
    header = _checked_header(lines, path)
    records = walk_v2(lines, header) if int(header.version) == 2 else walk_v3(lines, header)
    return _finish(_assemble(records, header, indicators), header, records, crinex=is_crinex(path))


def _checked_header(lines: list[bytes], path: Path) -> RinexHeader:
    header = parse_header(lines, path, expect="O")
    if header.version >= 4 or header.version < 2:
        raise RinexError(f"{path} line 1: RINEX observation version {header.version} is not "
                         "supported (2.10-3.05)")
    check_obs_counts(header)
    if int(header.version) == 2 and "" not in header.obs_types:
        raise RinexError(f"{path} line {header.n_lines}: RINEX 2 header without "
                         "'# / TYPES OF OBSERV'")
    return header


def _finish(ds: xr.Dataset, header: RinexHeader, records: ObsRecords, *,
            crinex: bool) -> xr.Dataset:
    if int(header.version) == 2:
        ds = ds.dropna(dim="sv", how="all").dropna(dim="time", how="all")
    ds.attrs = _attrs(ds, header, records, crinex=crinex)
    return ds


def _read_crinex_fast(raw: bytes, path: Path, indicators: bool) -> xr.Dataset | None:
    """The compiled CRINEX path, or None where the reference path must decide."""
    body = crinex_kernel.decode(raw)
    if body is None:
        return None
    try:
        header = _checked_header(body.header_lines, path)
    except RinexError:
        return None  # the reference path raises it, after crx2rnx's own checks
    if not _kernel_types_agree(header, body):
        return None
    times = body.epoch_ns.view("datetime64[ns]")
    records = ObsRecords(clock_offsets=body.clock_offsets,
                         power_failures=list(times[body.epoch_flag == 1]))
    names, inverse = satellites_of_keys(body.sv)
    keep = _known_systems(names, inverse, header, records)
    values, flags, epoch = body.values, body.flags, body.epoch
    if not keep.all():
        values, flags, epoch = values[keep], flags[keep], epoch[keep]
    sv_axis, row_sv = _kept(names, inverse, keep)
    ds = _grid(sv_axis, row_sv, epoch, times, header, indicators,
               _KernelColumns(values, flags))
    return _finish(ds, header, records, crinex=True)


class _KernelColumns:
    """The decoded (record, field) arrays of the kernel, scattered by the kernel too."""

    def __init__(self, values: np.ndarray, flags: np.ndarray) -> None:
        self.values, self.flags = values, flags

    def arrays(self, indicators: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        if not indicators:
            return self.values, None, None
        return self.values, _digits(self.flags[:, 0::2]), _digits(self.flags[:, 1::2])


def _kernel_types_agree(header: RinexHeader, body: crinex_kernel.CrinexBody) -> bool:
    """The observation counts crx2rnx used (``atoi`` of the header) are the listed ones."""
    return body.types == {system: len(codes) for system, codes in header.obs_types.items()}


def _digits(chars: np.ndarray) -> np.ndarray:
    """LLI/SSI characters as the text path reads them: the digit, NaN otherwise."""
    c = chars.astype(np.float64) - 48.0
    return np.where((c >= 0) & (c <= 9), c, np.nan)


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


def _known_systems(names: np.ndarray, inverse: np.ndarray, header: RinexHeader,
                   records: ObsRecords) -> np.ndarray:
    """Mask of the records of systems read (georinex's), noting the skipped systems."""
    v2 = int(header.version) == 2
    systems = names.view("<U1").reshape(-1, 3)[:, 0] if names.size else names.astype("<U1")
    known = sorted(SYSTEMS_V2 if v2 and header.system == "M" else
                   {header.system or "G"} if v2 else set(header.obs_types))
    keep_name = np.isin(systems, known)
    records.skipped_systems.update(systems[~keep_name].tolist())
    return keep_name[inverse]


def _kept(names: np.ndarray, inverse: np.ndarray,
          keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct satellite names and row indices of the kept records."""
    if keep.all():
        return names, inverse
    kept_name = np.zeros(names.size, dtype=bool)
    kept_name[inverse[keep]] = True
    renumber = np.cumsum(kept_name) - 1
    return names[kept_name], renumber[inverse[keep]]


def _assemble(records: ObsRecords, header: RinexHeader, indicators: bool) -> xr.Dataset:
    """Decode the numbers column by column and scatter them into (time, sv) arrays."""
    v2 = int(header.version) == 2
    epoch = np.asarray(records.epoch, dtype=np.int64)
    line = np.asarray(records.line, dtype=np.int64)
    n_fields = max(len(codes) for codes in header.obs_types.values())
    width = 3 + (80 * -(-n_fields // 5) if v2 else 16 * n_fields)
    matrix = byte_matrix(records.text, width)
    names, inverse = satellite_table(matrix[:, :3], line, header.path, v2=v2)
    keep = _known_systems(names, inverse, header, records)
    matrix, line = matrix[keep], line[keep]
    decoded: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def column(k: int, lli_ssi: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        if k not in decoded:
            decoded[k] = _column(matrix, k, header, line, v2=v2)
        return decoded[k]

    times = np.array(records.times, dtype="datetime64[ns]")
    return _grid(*_kept(names, inverse, keep), epoch[keep], times, header, indicators, column)


Column = Callable[[int, bool], tuple[np.ndarray, "np.ndarray | None", "np.ndarray | None"]]


def _grid(sv_axis: np.ndarray, row_sv: np.ndarray, epoch: np.ndarray, times: np.ndarray,
          header: RinexHeader, indicators: bool, column: Column | _KernelColumns) -> xr.Dataset:
    """Scatter the records (satellite ``sv_axis[row_sv]``, epoch ``times[epoch]``) into
    (time, sv) arrays; ``column(k, indicators)`` gives value, LLI and SSI of observation
    ``k`` (LLI/SSI may be None when ``indicators`` is false), or the kernel's arrays."""
    systems = sv_axis.view("<U1").reshape(-1, 3)[:, 0][row_sv] if sv_axis.size else \
        sv_axis.astype("<U1")
    time_axis, row_time = _time_axis(times, epoch)
    shape = (time_axis.size, sv_axis.size)
    flat_index = row_time * shape[1] + row_sv
    fields = _system_fields(header, systems, epoch)
    # variable names in order of first appearance, and their slot per (system, field, kind)
    slots: dict[str, int] = {}
    table = np.full((len(fields), max([len(c) for c in fields.values()] or [0]), 3), -1,
                    dtype=np.int64)
    for s, codes in enumerate(fields.values()):
        for k, code in enumerate(codes):
            kinds = [("", 0)]
            if indicators:
                kinds += [("lli", 1)] if code[0] == "L" else []
                kinds += [("ssi", 2)]
            for suffix, kind in kinds:
                table[s, k, kind] = slots.setdefault(code + suffix, len(slots))
    block = np.full((len(slots), *shape), np.nan)
    if isinstance(column, _KernelColumns):
        system_id = np.full(systems.size, -1, dtype=np.int64)
        for s, system in enumerate(fields):
            system_id[systems == system] = s
        flat = block.reshape(len(slots), shape[0] * shape[1])
        for kind, values in enumerate(column.arrays(indicators)):
            if values is not None and block.size:
                crinex_kernel.scatter(flat, table[:, :, kind], system_id, flat_index, values)
    else:
        for s, (system, codes) in enumerate(fields.items()):
            rows = np.flatnonzero(systems == system)
            where = flat_index[rows]
            for k in range(len(codes)):
                for kind, values in enumerate(column(k, indicators)):
                    if table[s, k, kind] >= 0 and values is not None:
                        block[table[s, k, kind]].reshape(-1)[where] = values[rows]
    return xr.Dataset({name: (("time", "sv"), block[slot]) for name, slot in slots.items()},
                      coords={"time": time_axis, "sv": sv_axis.tolist()})


def _time_axis(times: np.ndarray, epoch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct times of the records and each record's index in them
    (``np.unique``; without sorting when the epochs are in strictly increasing order)."""
    if times.size > 1 and not (times[1:] > times[:-1]).all():
        axis, inverse = np.unique(times[epoch], return_inverse=True)
        return axis, inverse.reshape(-1).astype(np.int64)
    used = np.zeros(times.size, dtype=bool)
    used[epoch] = True
    return times[used], (np.cumsum(used) - 1)[epoch]


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
    seen = _SatellitesWithData(ds)
    out: list[BandPair] = []
    for system in sorted(set(systems.tolist())):
        mask = systems == system
        bands: dict[str, tuple[str, str | None]] = {}
        for band in "123456789":
            phase = _best(seen, mask, [n for n in ds.data_vars if _is(n, "L", band)])
            if phase is None:
                continue
            attribute = str(phase)[2:3]
            codes = [n for n in ds.data_vars if _is(n, "C", band) or _is(n, "P", band)]
            same = [c for c in codes if str(c)[2:3] == attribute]
            code = _best(seen, mask, same) or _best(seen, mask, codes)
            bands[band] = (phase, code)
        for band1, band2 in TEC_BANDS.get(system, ()):
            if band1 in bands and band2 in bands:
                out.append(BandPair(system, band1, band2, bands[band1][0], bands[band2][0],
                                    bands[band1][1], bands[band2][1]))
    return out


def _is(name: object, kind: str, band: str) -> bool:
    text = str(name)
    return len(text) in (2, 3) and text[0] == kind and text[1] == band


class _SatellitesWithData:
    """Per variable of ``ds``, which satellites have a value at some epoch (computed once)."""

    def __init__(self, ds: xr.Dataset) -> None:
        self.ds = ds
        self.cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.cache:
            self.cache[name] = ~np.isnan(self.ds[name].values).all(axis=0)
        return self.cache[name]


def _best(seen: _SatellitesWithData, mask: np.ndarray, names: Sequence[object]) -> str | None:
    """The name with data for the satellites in ``mask``: RINEX 2 ``P`` first, then by
    RINEX 3 attribute preference."""
    def rank(name: object) -> tuple[int, int]:
        text = str(name)
        attribute = text[2:3]
        return (0 if text[0] == "P" else 1,
                _ATTRIBUTE_ORDER.find(attribute) if attribute else 0)
    for name in sorted(names, key=rank):
        if seen[str(name)][mask].any():
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
