"""IONEX global ionosphere maps (GIMs) into an ``xarray.Dataset``.

Implements the reading side of the IONEX format, versions 1.0 and 1.1
(Schaer, Gurtner & Feltens, "IONEX: The IONosphere Map EXchange Format Version 1",
1998; version 1.1, 2015), as written by the IGS analysis centres: CODE (25 hourly
maps), JPL (12 maps at odd hours or 13 maps), ESA, UPC, CAS, the IGS final and rapid
combinations, the new long file names (``COD0OPSFIN_20240350000_01D_01H_GIM.INX``)
and CODE's Klobuchar-style and predicted products. Files may be plain, ``.gz`` or
``.Z``.

The data records are parsed as the fixed-width ``I5`` fields the specification
defines (16 per line), so values that run together (``1015710167``) read right.
The body is read in one compiled pass (numba, :mod:`ionoquake.sources.ionex_kernel`)
when it is well formed; otherwise, or without numba, with vectorised numpy operations
on the raw bytes (the reference, which names the line of any error). The header, a
few dozen to a few hundred lines, is read line by line (:mod:`.ionex_header`). Every
structural check raises :class:`IonexError` naming the file and line.

Units: TEC and RMS in TECU (1 TECU = 1e16 el/m²), heights in km, angles in degrees.
Latitudes and longitudes are returned ascending whatever the file's step sign.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.errors import where
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.ionex_checks import check_epochs, check_values
from ionoquake.sources.ionex_header import (
    IonexError,
    IonexHeader,
    parse_epoch,
    parse_header,
    product_id,
    row_records,
    rows_text,
    split_label,
)
from ionoquake.sources.registry import register

__all__ = ["IonexError", "can_read", "parse", "product_id", "read"]

MISSING = 9999
FIELD_WIDTH = 5
FIELDS_PER_LINE = 16
LINE_WIDTH = FIELD_WIDTH * FIELDS_PER_LINE
MAP_KINDS = {b"TEC": "tec", b"RMS": "rms", b"HEIGHT": "height"}
_LONG_NAME = {"tec": "vertical total electron content", "rms": "RMS error of TEC",
              "height": "height of the ionospheric shell"}
_BODY_LABELS = frozenset(
    [f"{what} OF {kind} MAP" for what in ("START", "END") for kind in ("TEC", "RMS", "HEIGHT")]
    + ["EPOCH OF CURRENT MAP", "LAT/LON1/LON2/DLON/H", "EXPONENT", "END OF FILE"]
)
_UNITS = {"tec": "TECU", "rms": "TECU", "height": "km"}


def can_read(path: Path) -> bool:
    """True if the file (possibly compressed) starts with an IONEX version record."""
    first = head(path, 256).split(b"\n", 1)[0]
    return b"IONEX VERSION / TYPE" in first


def read(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read one IONEX file (plain, ``.gz`` or ``.Z``) into a Dataset.

    Returns
    -------
    xarray.Dataset
        Dimensions ``time``, ``lat``, ``lon``; variables ``tec`` and, where the
        file has them, ``rms`` and ``height`` (float32, NaN where the file has 9999);
        header metadata in ``attrs`` (producer, shell height, mapping function,
        observables, stations, satellites, ...).
    """
    path = Path(path)
    return parse(read_bytes(path), name=path.name)


def parse(data: bytes, name: str = "<bytes>") -> xr.Dataset:
    """Parse the (decompressed) bytes of an IONEX file; ``name`` is used in errors."""
    if b"\r" in data:
        data = data.replace(b"\r", b"")
    end = re.search(rb"END OF HEADER[ \t]*(\n|$)", data)
    if end is None:
        raise IonexError(f"{name}: no END OF HEADER record: not an IONEX file or truncated")
    header = parse_header(data[: end.start()].decode("latin-1"), name)
    if header.map_dimension != 2 or header.hgt[0] != header.hgt[1]:
        raise IonexError(f"{name}: 3-D maps (MAP DIMENSION 3 / several heights) are not supported")
    body_line0 = data.count(b"\n", 0, end.start()) + 1
    return _parse_body(data, end.end(), header, name, body_line0)


def _parse_body(data: bytes, start: int, hdr: IonexHeader, name: str,
                line0: int) -> xr.Dataset:
    """The maps of the body ``data[start:]``, which begins at line ``line0 + 1``."""
    def lineno(i: int | np.integer[Any]) -> int:
        return int(i) + line0 + 1

    scanned = _scan(np.frombuffer(data, np.uint8)[start:], hdr)  # (no copy of the body)
    if scanned is not None:
        scaled, kinds, mstart, times = scanned
        _check_map_count(kinds, hdr, name)
        check_values(scaled, kinds, mstart, name, lineno, _reversed_axes(hdr))
        check_epochs(times, kinds, mstart, hdr, name, lineno)
        return _dataset(scaled, times, kinds, hdr, name, ascending=True)
    body = data[start:]
    try:
        return _parse_records(body, hdr, name, line0, robust=False)
    except IonexError:
        # Labels off column 61 (or a damaged file): look for records anywhere in a line.
        return _parse_records(body, hdr, name, line0, robust=True)


def ionex_kernel() -> Any:
    """:mod:`ionoquake.sources.ionex_kernel`, imported at the first file decoded.

    It imports numba (when installed), which a process reading no IONEX file should not
    pay for.
    """
    from ionoquake.sources import ionex_kernel as kernel

    return kernel


def _scan(body: np.ndarray, hdr: IonexHeader) -> tuple[np.ndarray, ...] | None:
    """The maps of the body read by the compiled pass, or None (not compiled, or a body
    it leaves to the numpy path): :func:`ionoquake.sources.ionex_kernel.read_maps`."""
    reversed_axes = _reversed_axes(hdr)
    if reversed_axes is None:
        return None
    grid_rows = rows_text(tuple(hdr.lat_values.tolist()), tuple(hdr.lon))
    maps: tuple[np.ndarray, ...] | None = ionex_kernel().read_maps(body, hdr, grid_rows,
                                                                   reversed_axes)
    return maps




def _reversed_axes(hdr: IonexHeader) -> tuple[bool, bool] | None:
    """Whether the file's rows (latitudes) and columns (longitudes) run downwards.

    The header grids are arithmetic progressions (:class:`IonexHeader` checks), so
    the sign of the step says it, as :func:`_dataset` sorts them. None for a step so
    small that the grid's values (to 1e-6 degree) repeat, which the compiled pass
    leaves to the numpy path.
    """
    if any(0 < abs(step) < 1e-5 for step in (hdr.lat[2], hdr.lon[2])):
        return None
    return hdr.lat[2] < 0, hdr.lon[2] < 0


def _check_map_count(kinds: np.ndarray, hdr: IonexHeader, name: str) -> None:
    """At least one TEC map, and as many as ``# OF MAPS IN FILE`` says."""
    n_tec = int(np.sum(kinds == "tec"))
    if n_tec == 0:
        raise IonexError(f"{name}: no TEC map in the file")
    if hdr.n_maps is not None and n_tec != hdr.n_maps:
        raise IonexError(f"{name}: header says {hdr.n_maps} maps (# OF MAPS IN FILE), "
                         f"the file has {n_tec} TEC maps")


def _locate_records(body: bytes, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                    robust: bool) -> tuple[dict[str, list[int]], np.ndarray]:
    """The record lines, grouped by label.

    Value lines hold digits, blanks and minus signs only. The fast pass takes a line
    as a record when column 61 (where the specification puts labels) holds a capital
    letter; the robust pass takes every line with a capital letter anywhere and finds
    its label even when shifted.
    """
    if robust:
        upper = (buf >= 65) & (buf <= 90)
        rec_lines = np.unique(np.searchsorted(ends, np.flatnonzero(upper)))
    else:
        col61 = buf[np.minimum(starts + 60, len(buf) - 1)]
        rec_lines = np.flatnonzero((ends - starts > 60) & (col61 >= 65) & (col61 <= 90))
    by_label: dict[str, list[int]] = {}
    key = _gather(buf, starts[rec_lines] + 60, 20, 0)
    key_text = key.view("S20").ravel()
    # Most records are latitude rows: take them with one comparison, and sort only the
    # few other labels.
    is_row = key_text == b"LAT/LON1/LON2/DLON/H"
    if is_row.any():
        by_label["LAT/LON1/LON2/DLON/H"] = rec_lines[is_row].tolist()
    others, key_text = rec_lines[~is_row], key_text[~is_row]
    for label in np.unique(key_text):
        rows = others[key_text == label]
        text_label = label.decode("latin-1").strip()
        if text_label in _BODY_LABELS:
            by_label.setdefault(text_label, []).extend(rows.tolist())
            continue
        for i in rows.tolist():
            line = body[starts[i]:ends[i]].decode("latin-1")
            by_label.setdefault(split_label(line)[1], []).append(i)
    for rows_list in by_label.values():
        rows_list.sort()
    return by_label, rec_lines


def _parse_records(body: bytes, hdr: IonexHeader, name: str, line0: int,
                   robust: bool) -> xr.Dataset:
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if len(ends) == 0 or ends[-1] != len(buf) - 1:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))

    by_label, rec_lines = _locate_records(body, buf, starts, ends, robust)

    def find(literal: bytes) -> np.ndarray:
        return np.array(by_label.get(literal.decode(), []), dtype=np.int64)

    def text(i: int) -> str:
        return body[starts[i]:ends[i]].decode("latin-1")

    def lineno(i: int | np.integer[Any]) -> int:
        return int(i) + line0 + 1

    map_starts, map_kinds = [], []
    for kind_bytes, kind in MAP_KINDS.items():
        s = find(b"START OF " + kind_bytes + b" MAP")
        e = find(b"END OF " + kind_bytes + b" MAP")
        if len(s) != len(e):
            i = s[len(e)] if len(s) > len(e) else e[len(s)]
            raise IonexError(f"{where(name, lineno(i))}{kind.upper()} map is not closed by "
                             f"END OF {kind.upper()} MAP (truncated file?): "
                             f"{len(s)} START vs {len(e)} END records")
        map_starts.append(s)
        map_kinds += [kind] * len(s)
    mstart = np.concatenate(map_starts)
    kinds = np.array(map_kinds)
    order = np.argsort(mstart, kind="stable")
    mstart, kinds = mstart[order], kinds[order]
    _check_map_count(kinds, hdr, name)
    epochs = find(b"EPOCH OF CURRENT MAP")
    lat_lines = find(b"LAT/LON1/LON2/DLON/H")
    exps = find(b"EXPONENT")
    records = rec_lines

    nlat, nlon = hdr.nlat, hdr.nlon
    k = -(-nlon // FIELDS_PER_LINE)
    # Each map: one epoch record, optional EXPONENT, nlat rows of (LAT record + k lines).
    map_of_lat = np.searchsorted(mstart, lat_lines, side="right") - 1
    if len(lat_lines) and map_of_lat[0] < 0:
        raise IonexError(f"{where(name, lineno(lat_lines[0]))}LAT/LON1/LON2/DLON/H record "
                         "outside a map")
    counts = np.bincount(map_of_lat, minlength=len(mstart))
    bad = np.flatnonzero(counts != nlat)
    if len(bad):
        m = bad[0]
        raise IonexError(f"{where(name, lineno(mstart[m]))}{kinds[m].upper()} map has "
                         f"{counts[m]} latitude rows, expected {nlat} from LAT1 / LAT2 / DLAT")
    nxt = records[np.searchsorted(records, lat_lines, side="right").clip(max=len(records) - 1)]
    short = np.flatnonzero(nxt - lat_lines != k + 1)
    if len(short):
        i = lat_lines[short[0]]
        found = int(nxt[short[0]] - i - 1)
        raise IonexError(f"{where(name, lineno(i))}expected {k} lines of values after "
                         f"LAT/LON1/LON2/DLON/H ({nlon} values), found {found}")
    covered = np.zeros(len(starts), dtype=bool)
    covered[rec_lines] = True
    covered[(lat_lines[:, None] + 1 + np.arange(k)[None, :]).ravel()] = True
    for i in np.flatnonzero(~covered & (ends > starts)).tolist():
        if body[starts[i]:ends[i]].strip():
            raise IonexError(f"{where(name, lineno(i))}line is neither a record nor part "
                             "of a latitude row")
    _check_row_records(body, starts, lat_lines, hdr, name, lineno)

    values = _read_fields(buf, starts, ends, lat_lines, k, nlon, name, lineno)
    values = values.reshape(len(mstart), nlat, nlon)

    exponent = np.full(len(mstart), hdr.exponent, dtype=np.int64)
    for i in exps:
        m = int(np.searchsorted(mstart, i, side="right") - 1)
        if m >= 0:
            try:
                exponent[m] = int(text(int(i))[:60].split()[0])
            except (ValueError, IndexError):
                raise IonexError(f"{where(name, lineno(i))}unreadable EXPONENT") from None
    times = np.empty(len(mstart), dtype="datetime64[ns]")
    map_of_epoch = np.searchsorted(mstart, epochs, side="right") - 1
    seen = np.zeros(len(mstart), dtype=bool)
    for i, m in zip(epochs, map_of_epoch, strict=True):
        if m < 0:
            continue
        times[m] = parse_epoch(text(int(i)), "EPOCH OF CURRENT MAP", name, lineno(i))
        seen[m] = True
    if not seen.all():
        m = int(np.flatnonzero(~seen)[0])
        raise IonexError(f"{where(name, lineno(mstart[m]))}map has no EPOCH OF CURRENT MAP")
    scaled = values.astype(np.float32)
    # Divide by 10**-exponent rather than multiply by 10**exponent: 341 / 10 is the float32
    # nearest 34.1, 341 * 0.1 is not.
    scaled /= (10.0 ** -exponent[:, None, None]).astype(np.float32)
    scaled[values == MISSING] = np.nan
    check_values(scaled, kinds, mstart, name, lineno)
    check_epochs(times, kinds, mstart, hdr, name, lineno)
    return _dataset(scaled, times, kinds, hdr, name)


def _check_row_records(body: bytes, starts: np.ndarray, lat_lines: np.ndarray,
                       hdr: IonexHeader, name: str, lineno: Any) -> None:
    """The LAT records (``2X,5F6.1``) must match the header grid."""
    buf = np.frombuffer(body, dtype=np.uint8)
    text = _gather(buf, starts[lat_lines] + 2, 24, 32).view("S24").ravel()
    expected_lon = np.array(hdr.lon)
    formatted, fortran = row_records(tuple(hdr.lat_values.tolist()), tuple(hdr.lon))
    repeats = len(lat_lines) // hdr.nlat
    if len(lat_lines) == repeats * hdr.nlat and bool(np.all(
            (text == np.tile(formatted, repeats)) | (text == np.tile(fortran, repeats)))):
        return  # written exactly as the header grid says (the usual case)
    unique, inverse = np.unique(text, return_inverse=True)
    expected_lat = np.tile(hdr.lat_values, len(lat_lines) // hdr.nlat)
    parsed = np.empty((len(unique), 4))
    for u, record in enumerate(unique.tolist()):
        try:
            parsed[u] = [float(record[i:i + 6]) for i in range(0, 24, 6)]
        except ValueError:
            j = int(np.flatnonzero(inverse == u)[0])
            raise IonexError(f"{where(name, lineno(lat_lines[j]))}unreadable "
                             "LAT/LON1/LON2/DLON/H record") from None
    fields = parsed[inverse.ravel()]
    wrong = np.flatnonzero((np.abs(fields[:, 0] - expected_lat) > 1e-3)
                           | np.any(np.abs(fields[:, 1:] - expected_lon) > 1e-3, axis=1))
    if len(wrong):
        j = wrong[0]
        raise IonexError(f"{where(name, lineno(lat_lines[j]))}row is at lat {fields[j, 0]:g}, "
                         f"lon {fields[j, 1]:g}..{fields[j, 2]:g} step {fields[j, 3]:g}; "
                         f"the header grid expects lat {expected_lat[j]:g}, lon "
                         f"{hdr.lon[0]:g}..{hdr.lon[1]:g} step {hdr.lon[2]:g}")


def _gather(buf: np.ndarray, at: np.ndarray, width: int, fill: int) -> np.ndarray:
    """``buf[a:a + width]`` for each ``a`` in ``at`` as rows, ``fill`` past the end of ``buf``.

    Gathers only the bytes asked for (the buffer is not copied to pad it).
    """
    idx = at[:, None] + np.arange(width)[None, :]
    rows = buf[np.minimum(idx, len(buf) - 1)] if len(buf) else np.full(idx.shape, fill, np.uint8)
    if len(buf) and idx.size and int(idx.max()) >= len(buf):
        rows[idx >= len(buf)] = fill
    return np.ascontiguousarray(rows, dtype=np.uint8)


def _read_fields(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, lat_lines: np.ndarray,
                 k: int, nlon: int, name: str, lineno: Any) -> np.ndarray:
    """Decode the ``I5`` value fields of every row at once (vectorised)."""
    data_lines = (lat_lines[:, None] + 1 + np.arange(k)[None, :]).ravel()
    s, e = starts[data_lines], ends[data_lines]
    last = (nlon - (k - 1) * FIELDS_PER_LINE) * FIELD_WIDTH
    layout = np.array([LINE_WIDTH] * (k - 1) + [last])
    # (lines longer than 80 characters take the general path below)
    decoder = ionex_kernel().compiled("decode_rows")
    if decoder is not None:
        # One pass over the bytes, no temporaries; a bad field or line sends the file to
        # the numpy path below, which finds it and says where.
        decoded = np.empty((len(lat_lines), nlon), np.int32)
        if decoder(buf, s, e, k, nlon, decoded) < 0:
            return decoded
    if np.array_equal((e - s).reshape(-1, k), np.broadcast_to(layout, (len(lat_lines), k))):
        # The usual layout: full lines of 80 characters. Copy k whole 81-byte lines per
        # row (reading past the short last line is harmless) and drop the newlines.
        padded = np.concatenate([buf, np.zeros(k * (LINE_WIDTH + 1), np.uint8)])
        block = np.lib.stride_tricks.sliding_window_view(padded, k * (LINE_WIDTH + 1))
        rows = block[s[::k]].reshape(len(lat_lines), k, LINE_WIDTH + 1)[:, :, :LINE_WIDTH]
        chars = rows.reshape(len(lat_lines), k * LINE_WIDTH)[:, : nlon * FIELD_WIDTH]
        chars = np.ascontiguousarray(chars)
    else:
        idx = s[:, None] + np.arange(LINE_WIDTH)[None, :]
        inside = idx < e[:, None]
        chars = np.where(inside, buf[np.minimum(idx, len(buf) - 1)], 32).astype(np.uint8)
        for long in np.flatnonzero(e - s > LINE_WIDTH).tolist():
            if buf[s[long] + LINE_WIDTH:e[long]].tobytes().strip():
                raise IonexError(f"{where(name, lineno(data_lines[long]))}more than "
                                 f"{FIELDS_PER_LINE} values on a line")
        chars = chars.reshape(len(lat_lines), k * FIELDS_PER_LINE * FIELD_WIDTH)
        extra = np.flatnonzero((chars[:, nlon * FIELD_WIDTH:] != 32).any(axis=1))
        if len(extra):
            raise IonexError(f"{where(name, lineno(data_lines[extra[0] * k + k - 1]))}more "
                             f"than {nlon} values in the row (LON1 / LON2 / DLON)")
        chars = np.ascontiguousarray(chars[:, : nlon * FIELD_WIDTH])
    fields = chars.reshape(len(lat_lines), nlon, FIELD_WIDTH)
    # Column-major copy: row j holds the j-th character of every field, contiguous, so
    # each check below is one fast pass instead of a strided one.
    cols = np.ascontiguousarray(chars.reshape(-1, FIELD_WIDTH).T)
    blank = cols == 32
    isdigit = (cols - np.uint8(48)) < 10
    minus_at = np.flatnonzero(chars == 45)
    n_valid = np.count_nonzero(isdigit) + np.count_nonzero(blank) + len(minus_at)
    # Right-justified I5: the last character is a digit, and no blank follows a digit or sign.
    ok = bool(n_valid == chars.size and isdigit[-1].all())
    ok = ok and not bool((blank[1:] & ~blank[:-1]).any())
    if ok and len(minus_at):
        before = chars.reshape(-1)[minus_at - 1]
        ok = bool(np.all((minus_at % FIELD_WIDTH == 0) | (before == 32)))
    if not ok:
        _raise_field_error(fields, data_lines, k, nlon, name, lineno)
    digits = (np.maximum(cols, np.uint8(48)) - np.uint8(48)).astype(np.int32)  # blanks: 0
    value = digits[0] * 10_000
    for j, place in enumerate((1000, 100, 10, 1), start=1):
        value += digits[j] * place
    if len(minus_at):
        value[minus_at // FIELD_WIDTH] *= -1
    out: np.ndarray = value.reshape(len(lat_lines), nlon)
    return out


def _raise_field_error(fields: np.ndarray, data_lines: np.ndarray, k: int, nlon: int,
                       name: str, lineno: Any) -> None:
    """Find the first bad field and raise an error naming its line."""
    isdigit = (fields >= 48) & (fields <= 57)
    isspace = fields == 32
    isminus = fields == 45
    started = np.logical_or.accumulate(~isspace, axis=2)
    first = started & ~np.concatenate(
        [np.zeros_like(started[..., :1]), started[..., :-1]], axis=2)
    ok = (isdigit | (isspace & ~started) | (isminus & first)).all(axis=2) & isdigit[..., -1]
    row, field = np.argwhere(~ok)[0]
    line = data_lines[row * k + field // FIELDS_PER_LINE]
    text = fields[row, field].tobytes().decode("latin-1")
    n_found = int(np.sum((~isspace[row]).any(axis=1)))
    if n_found < nlon and not text.strip():
        raise IonexError(f"{where(name, lineno(line))}expected {nlon} values in the row, "
                         f"found {n_found}")
    raise IonexError(f"{where(name, lineno(line))}value {field + 1} of the row is not an "
                     f"integer I5 field: {text!r}")


def _dataset(values: np.ndarray, times: np.ndarray, kinds: np.ndarray, hdr: IonexHeader,
             name: str, ascending: bool = False) -> xr.Dataset:
    """The Dataset of the maps ``values`` (in file order; their rows and columns as in the
    file, or already sorted by latitude and longitude if ``ascending``)."""
    lat = hdr.lat_values
    lon = hdr.lon_values
    lat_order = np.argsort(lat)
    lon_order = np.argsort(lon)
    data_vars = {}
    tec_times = None
    for kind in ("tec", "rms", "height"):
        sel = kinds == kind
        if not sel.any():
            continue
        t = times[sel]
        order = np.argsort(t, kind="stable")
        maps = np.flatnonzero(sel)[order]
        if maps[-1] - maps[0] == len(maps) - 1 and bool(np.all(np.diff(maps) == 1)):
            v = values[maps[0]:maps[-1] + 1]  # the usual case: a run of maps, in time order
        else:
            v = values[maps]
        if not ascending:
            v = v[:, _as_slice(lat_order)][:, :, _as_slice(lon_order)]
        v = np.ascontiguousarray(v)
        if tec_times is None:
            tec_times = t[order]
        elif not np.array_equal(t[order], tec_times):
            raise IonexError(f"{name}: the {kind.upper()} map epochs differ from the TEC map "
                             "epochs")
        attrs = {"units": _UNITS[kind], "long_name": _LONG_NAME[kind]}
        if kind == "tec":
            attrs.update(standard_name="atmosphere_mass_content_of_electrons",
                         comment="1 TECU = 1e16 electrons per square metre")
        data_vars[kind] = xr.Variable(("time", "lat", "lon"), v, attrs, fastpath=True)
    # Variables and indexes built directly: half the time of xarray's general
    # constructor, which dominated the decoding of a small file.
    coords: dict[str, tuple[Any, dict[str, str]]] = {
        "time": (tec_times, {"standard_name": "time", "long_name": "map epoch (UTC)"}),
        "lat": (lat[lat_order], {"units": "degrees_north", "standard_name": "latitude",
                                 "long_name": "geocentric latitude"}),
        "lon": (lon[lon_order], {"units": "degrees_east", "standard_name": "longitude"}),
    }
    indexes = {dim: xr.indexes.PandasIndex(pd.Index(values, name=dim), dim)
               for dim, (values, _) in coords.items()}
    variables = {dim: indexes[dim].create_variables()[dim] for dim in coords}
    for dim, (_, attrs) in coords.items():
        variables[dim].attrs.update(attrs)
    return xr.Dataset(data_vars, coords=xr.Coordinates(variables, indexes),
                      attrs=hdr.attrs(name))


def _as_slice(order: np.ndarray) -> slice | np.ndarray:
    """A view-making slice for a sort order that is just ascending or descending."""
    if np.array_equal(order, np.arange(len(order))):
        return slice(None)
    if np.array_equal(order, np.arange(len(order))[::-1]):
        return slice(None, None, -1)
    return order


register("ionex", "maps", can_read, read,
         "IONEX 1.0/1.1 global ionosphere maps (.INX, .YYi; .gz/.Z)")
