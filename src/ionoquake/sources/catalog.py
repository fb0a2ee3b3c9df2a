"""Earthquake catalogues: read any supported file(s) into one catalogue table.

:func:`read` takes one file or many, recognises each file's format by its first
bytes, reads it with the format's reader and concatenates the results
(repeated events removed, sorted by time). The table itself is defined in
:mod:`ionoquake.sources.catalog_table`.

Formats
-------
``comcat-csv``
    USGS ComCat CSV (the web search and ``fdsnws/event/1/query?format=csv``):
    header ``time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,
    updated,place,type,horizontalError,depthError,magError,magNst,status,
    locationSource,magSource``; all columns are kept. Depth in km.
``fdsn-text``
    The FDSN event web service ``format=text`` (``#EventID|Time|Latitude|...``).
``iscgem``, ``centennial``, ``noaa-signif``
    See :mod:`ionoquake.sources.catalog_historic`.
``quakeml``
    QuakeML 1.0/1.2, see :mod:`ionoquake.sources.quakeml`.
``catalog-csv``
    A catalogue table written as CSV by :mod:`ionoquake.sources.catalog_write`.

Files may be plain or ``.gz``/``.Z`` compressed. The formats are the readers of kind
``catalog`` in :mod:`ionoquake.sources.registry`: a new catalogue format is a module
with ``can_read``/``read`` and one ``register(name, "catalog", ...)`` line.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.sources import catalog_historic, registry
from ionoquake.sources.catalog_table import (
    CORE_COLUMNS,
    CatalogError,
    catalog_frame,
    concat_catalogs,
    parse_numbers,
    parse_times,
    text_column,
)
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.registry import register

__all__ = ["CatalogError", "formats", "read", "read_comcat", "read_fdsn_text", "sniff"]

PathLike = str | os.PathLike[str]

COMCAT_REQUIRED = ("time", "latitude", "longitude", "depth", "mag", "magType", "id")
#: ComCat's other columns and the names they get in the table.
COMCAT_EXTRA = {
    "nst": "station_count", "gap": "azimuthal_gap_deg", "dmin": "min_distance_deg",
    "rms": "rms_s", "net": "network", "updated": "updated", "place": "place",
    "type": "event_type", "horizontalError": "horizontal_error_km",
    "depthError": "depth_error_km", "magError": "magnitude_error",
    "magNst": "magnitude_station_count", "status": "status",
    "locationSource": "location_source", "magSource": "magnitude_source",
}
COMCAT_NUMERIC = ("latitude", "longitude", "depth", "mag", "nst", "gap", "dmin", "rms",
                  "horizontalError", "depthError", "magError", "magNst")
#: Accepted values of ComCat's other numeric columns (ComCat's own documentation of the
#: fields: gap 0..360 deg, dmin in degrees, rms travel-time residual in s; the largest in
#: the real exports of ../shared/data are rms 2.8 s and nst 934). ComCat publishes -1 for
#: rms and depthError (1999-2004 export, line 7607) and absurd depth errors (367558 km,
#: 2006-2009 export, line 2344); those are kept as published, so the error columns only
#: refuse what no catalogue holds.
COMCAT_RANGES = {"nst": (0.0, 100_000.0), "gap": (0.0, 360.0), "dmin": (0.0, 180.0),
                 "rms": (-1.0, 100.0), "horizontalError": (-1.0, 1e6),
                 "depthError": (-1.0, 1e6), "magError": (0.0, 10.0),
                 "magNst": (0.0, 100_000.0)}
COMCAT_FIELDS = {"time": "time", "latitude": "latitude", "longitude": "longitude",
                 "depth_km": "depth", "magnitude": "mag", "magnitude_type": "magType",
                 "event_id": "id"}
_BLANK_LINE = re.compile(rb"\n[ \t]*\r?\n")
FDSN_TEXT_COLUMNS = ("eventid", "time", "latitude", "longitude", "depth/km", "author",
                     "catalog", "contributor", "contributorid", "magtype", "magnitude",
                     "magauthor", "eventlocationname")


def read(paths: PathLike | Sequence[PathLike], *, format: str | None = None) -> pd.DataFrame:
    """Read one or more catalogue files into one catalogue table.

    Parameters
    ----------
    paths
        A file or a list of files (formats may be mixed).
    format
        Force one format for all files (one of :func:`formats`); default: sniff each.

    Returns
    -------
    pandas.DataFrame
        The catalogue table (:func:`ionoquake.sources.catalog_table.catalog_frame`),
        events read twice kept once, sorted by time.

    Raises
    ------
    CatalogError
        A file is not a catalogue ionoquake knows, or is malformed.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    known = {r.name: r.read for r in registry.readers("catalog")}
    jobs = []
    for path in map(Path, paths):
        if not path.is_file():
            raise CatalogError(f"{path}: no such file")
        fmt = format or sniff(path)
        if fmt not in known:
            raise CatalogError(f"{path}: unknown catalogue format {fmt!r}; "
                               f"known formats: {', '.join(known)}")
        jobs.append((known[fmt], path))
    return concat_catalogs([reader(path) for reader, path in jobs])


def formats() -> list[str]:
    """The catalogue formats ionoquake reads (the registry's readers of kind ``catalog``)."""
    return list(registry.formats("catalog"))


def sniff(path: PathLike) -> str:
    """The catalogue format of ``path`` (one of :func:`formats`), from its first bytes."""
    path = Path(path)
    found = registry.sniff(path, kind="catalog")
    if found is None:
        raise CatalogError(f"{path.name}: not an earthquake catalogue ionoquake recognises; "
                           f"known formats: {', '.join(formats())}")
    return found.name


def _split_header(path: Path) -> tuple[str, str, bytes]:
    """The file's name, its first line (decoded) and the bytes after it."""
    data = read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise CatalogError(f"{path.name}: empty file, expected a header line")
    end = data.find(b"\n")
    first, body = (data, b"") if end < 0 else (data[:end], data[end + 1:])
    try:
        header = first.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path.name} line 1: not a text file ({exc.reason} at byte "
                           f"{exc.start})") from None
    return path.name, header, body


def _table(name: str, body: bytes, sep: str, names: list[str],
           numeric: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse the lines after the header with pandas; return rows and their line numbers.

    Columns in ``numeric`` are left for pandas' C parser to convert (fast); a column
    with a non-number in it stays text, and :func:`parse_numbers` then names the line.
    Everything else is text, with blanks as ``""``.
    """
    if body.strip() and not body.rstrip(b" \t").endswith(b"\n"):
        last = body.rstrip(b"\r\n").count(b"\n") + 2
        raise CatalogError(f"{name} line {last}: the last line has no line end: the file "
                           f"was cut in the middle of a line (truncated download?)")
    body = body.rstrip(b"\r\n")
    if not body.strip():
        return pd.DataFrame({c: pd.Series(dtype=float if c in numeric else "string")
                             for c in names}), np.zeros(0, dtype=np.int64)
    if _BLANK_LINE.search(b"\n" + body):  # blank lines: number the others
        lines = body.split(b"\n")
        numbers = np.array([i + 2 for i, t in enumerate(lines) if t.strip()], dtype=np.int64)
        body = b"\n".join(lines[i - 2] for i in numbers)
    else:
        numbers = np.arange(2, body.count(b"\n") + 3, dtype=np.int64)
    _check_field_counts(name, body, sep, len(names), numbers)
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=sep, header=None, names=names,
                            dtype={c: str for c in names if c not in numeric},
                            keep_default_na=False, na_values={c: [""] for c in numeric},
                            engine="c", quotechar='"', encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{name}: not a text file ({exc.reason} at byte "
                           f"{exc.start} after the header)") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise CatalogError(f"{name}: unreadable table ({exc})") from None
        want, at, saw = (int(g) for g in found.groups())
        raise CatalogError(f"{name} line {numbers[at - 1]}: expected {want} fields, "
                           f"found {saw}") from None
    if len(frame) != len(numbers):  # a quoted field spanning lines
        raise CatalogError(f"{name}: {len(numbers)} lines but {len(frame)} rows; "
                           f"a quoted field runs over a line end")
    return frame, numbers


def _check_field_counts(name: str, body: bytes, sep: str, n_fields: int,
                        numbers: np.ndarray) -> None:
    """Every line has ``n_fields`` fields (pandas pads a short line with blanks silently).

    Separators inside double quotes do not count (vectorised over the bytes).
    """
    buf = np.frombuffer(body, dtype=np.uint8)
    outside = np.cumsum(buf == ord('"')) % 2 == 0
    line_of = np.cumsum((buf == ord("\n")) & outside)
    counts = np.bincount(line_of[(buf == ord(sep)) & outside], minlength=len(numbers))
    wrong = np.flatnonzero(counts[: len(numbers)] != n_fields - 1)
    if len(wrong):
        i = int(wrong[0])
        raise CatalogError(f"{name} line {numbers[i]}: expected {n_fields} fields, "
                           f"found {counts[i] + 1}")


def can_read_comcat(path: Path) -> bool:
    """True if the file starts with a ComCat CSV header."""
    first = head(path, 512).split(b"\n", 1)[0].lstrip(b"\xef\xbb\xbf")
    return first.startswith(b"time,latitude,longitude,depth,mag")


def read_comcat(path: PathLike) -> pd.DataFrame:
    """Read one USGS ComCat CSV export (all columns kept).

    Raises
    ------
    CatalogError
        Missing header columns, a row with the wrong number of fields, an
        unparseable time or number, or a value out of range.
    """
    name, first, body = _split_header(Path(path))
    header = [h.strip() for h in first.split(",")]
    missing = [c for c in COMCAT_REQUIRED if c not in header]
    if missing:
        raise CatalogError(f"{name} line 1: header lacks field(s) {', '.join(missing)}; "
                           f"a ComCat CSV starts 'time,latitude,longitude,depth,mag,magType'")
    raw, numbers = _table(name, body, ",", header, COMCAT_NUMERIC)

    def num(field: str) -> np.ndarray:
        values = parse_numbers(raw[field], name=name, field=field, lines=numbers)
        low, high = COMCAT_RANGES.get(field, (-np.inf, np.inf))
        bad = np.flatnonzero(~np.isnan(values) & ~((values >= low) & (values <= high)))
        if len(bad):
            i = int(bad[0])
            raise CatalogError(f"{name} line {numbers[i]}: field {field!r}: {values[i]:g} is "
                               f"outside {low:g}..{high:g}")
        return values

    core = _core_columns(raw, name, numbers, "usgs-comcat", {
        "time": "time", "latitude": "latitude", "longitude": "longitude", "depth_km": "depth",
        "magnitude": "mag", "magnitude_type": "magType", "event_id": "id"})
    extra = pd.DataFrame(index=raw.index)
    for field in header:
        if field in COMCAT_REQUIRED:
            continue
        column = COMCAT_EXTRA.get(field, _snake(field))
        if field == "updated":
            extra[column] = parse_times(raw[field], name=name, field=field, lines=numbers)
        elif field in COMCAT_NUMERIC:
            extra[column] = num(field)
        else:
            extra[column] = text_column(raw[field])
    return catalog_frame(core, extra, name=name, lines=numbers, fields=COMCAT_FIELDS,
                         required=("time", "latitude", "longitude", "event_id"))


def _core_columns(raw: pd.DataFrame, name: str, numbers: np.ndarray, source: str,
                  fields: dict[str, str], time_label: str = "time") -> dict[str, Any]:
    """The core catalogue columns from the text table ``raw`` (core column -> its field)."""

    def num(core: str) -> np.ndarray:
        return parse_numbers(raw[fields[core]], name=name, field=fields[core], lines=numbers)

    return {
        "time": parse_times(raw[fields["time"]], name=name, field=time_label, lines=numbers),
        "latitude": num("latitude"), "longitude": num("longitude"),
        "depth_km": num("depth_km"), "magnitude": num("magnitude"),
        "magnitude_type": raw[fields["magnitude_type"]].replace("", None),
        "event_id": raw[fields["event_id"]].replace("", None),
        "source": np.full(len(raw), source, dtype=object),
    }


def can_read_fdsn_text(path: Path) -> bool:
    """True if the file starts with the FDSN event text header ``#EventID|Time|...``."""
    first = head(path, 512).split(b"\n", 1)[0].replace(b" ", b"").lower()
    return first.startswith(b"#eventid|time|latitude|longitude")


def read_fdsn_text(path: PathLike) -> pd.DataFrame:
    """Read an FDSN event service ``format=text`` response (depth in km)."""
    name, first, body = _split_header(Path(path))
    header = [h.strip().lower() for h in first.lstrip("#").split("|")]
    missing = [c for c in (*FDSN_TEXT_COLUMNS[:5], "magtype", "magnitude") if c not in header]
    if missing:
        raise CatalogError(f"{name} line 1: header lacks field(s) {', '.join(missing)}; "
                           f"an FDSN text file starts '#EventID|Time|Latitude|Longitude'")
    raw, numbers = _table(name, body, "|", header, ())
    raw = raw.apply(lambda c: c.str.strip())
    core = _core_columns(raw, name, numbers, "fdsn", {
        "time": "time", "latitude": "latitude", "longitude": "longitude",
        "depth_km": "depth/km", "magnitude": "magnitude", "magnitude_type": "magtype",
        "event_id": "eventid"}, time_label="Time")
    keep = {"author": "author", "catalog": "catalog", "contributor": "contributor",
            "contributorid": "contributor_id", "magauthor": "magnitude_author",
            "eventlocationname": "place", "eventtype": "event_type"}
    extra = pd.DataFrame({new: text_column(raw[old])
                          for old, new in keep.items() if old in raw.columns})
    fields = {"time": "Time", "latitude": "Latitude", "longitude": "Longitude",
              "depth_km": "Depth/km", "magnitude": "Magnitude", "event_id": "EventID"}
    return catalog_frame(core, extra, name=name, lines=numbers, fields=fields,
                         required=("time", "latitude", "longitude", "event_id"))


def can_read_table_csv(path: Path) -> bool:
    """True if the file is a catalogue table written by ionoquake (its own header)."""
    first = head(path, 512).split(b"\n", 1)[0].rstrip(b"\r")
    return first.startswith(",".join(CORE_COLUMNS).encode())


def read_table_csv(path: PathLike) -> pd.DataFrame:
    """Read a catalogue table written by :func:`ionoquake.sources.catalog_write.write`."""
    name, first, body = _split_header(Path(path))
    header = first.split(",")
    raw, numbers = _table(name, body, ",", header, ())
    core = {
        "time": parse_times(raw["time"], name=name, field="time", lines=numbers),
        **{c: parse_numbers(raw[c], name=name, field=c, lines=numbers)
           for c in ("latitude", "longitude", "depth_km", "magnitude")},
        **{c: raw[c] for c in ("magnitude_type", "event_id", "source")},
    }
    extra = pd.DataFrame(index=raw.index)
    for column in header[len(CORE_COLUMNS):]:
        values = raw[column].replace("", None)
        numeric = pd.to_numeric(values, errors="coerce")
        if values.notna().any() and numeric.notna().sum() == values.notna().sum():
            extra[column] = numeric.astype(float)
        elif values.str.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z").fillna(True).all():
            extra[column] = parse_times(raw[column], name=name, field=column, lines=numbers)
        else:
            extra[column] = text_column(values)
    return catalog_frame(core, extra, name=name, lines=numbers, required=("event_id",))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


register("comcat-csv", "catalog", can_read_comcat, read_comcat,
         "USGS ComCat CSV earthquake catalogue")
register("fdsn-text", "catalog", can_read_fdsn_text, read_fdsn_text,
         "FDSN event web service text catalogue (#EventID|Time|...)")
register("iscgem", "catalog", catalog_historic.can_read_iscgem, catalog_historic.read_iscgem,
         "ISC-GEM global instrumental earthquake catalogue (CSV, v1.x and v7.0)")
register("centennial", "catalog", catalog_historic.can_read_centennial,
         catalog_historic.read_centennial, "USGS Centennial earthquake catalogue (fixed width)")
register("noaa-signif", "catalog", catalog_historic.can_read_noaa, catalog_historic.read_noaa,
         "NOAA NCEI significant-earthquake database (TSV)")
register("catalog-csv", "catalog", can_read_table_csv, read_table_csv,
         "earthquake catalogue table written by ionoquake (CSV)")
