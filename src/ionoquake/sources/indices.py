"""Geomagnetic and solar indices (Kp, ap, Ap, Dst, F10.7, sunspot number) into one hourly table.

Readers for five public formats, all returning the table of
:mod:`ionoquake.sources.indices_table` (one row per UT hour, OMNI2 layout;
columns and units in :data:`~ionoquake.sources.indices_table.COLUMNS`):

==================  =============================================================
format              file
==================  =============================================================
``celestrak-sw``    CelesTrak/CSSI ``SW-All.txt`` v1.2 (Kp, ap, Ap, F10.7, ISN)
``gfz-kp``          GFZ ``Kp_ap_Ap_SN_F107_since_1932.txt`` / ``..._nowcast.txt``
``wdc-dst``         WDC Kyoto hourly Dst, 120-byte records (``dstYYMM.for.request``)
``iri-apf107``      IRI ``apf107.dat`` (ap, Ap, F10.7 daily/81-day/365-day)
``omni-hourly``     OMNI hourly CSV extracts ``YEAR,DOY,HR,[Bz,]Kp,Dst``
==================  =============================================================

Parsers are in :mod:`~ionoquake.sources.indices_daily` and
:mod:`~ionoquake.sources.indices_hourly`, downloads in
:mod:`~ionoquake.sources.indices_fetch`. :func:`combine` merges tables of
several sources hour by hour. Every problem with a file raises
:class:`IndicesError` naming the file, the line and the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.sources import registry
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.indices_daily import (
    APF107_WIDTH,
    parse_apf107,
    parse_celestrak,
    parse_gfz,
)
from ionoquake.sources.indices_fetch import fetch
from ionoquake.sources.indices_hourly import parse_omni_csv, parse_wdc_dst
from ionoquake.sources.indices_table import COLUMNS, UNITS, IndicesError, indices_frame

__all__ = ["COLUMNS", "FORMATS", "UNITS", "IndicesError", "between", "can_read", "combine",
           "fetch", "parse_apf107", "parse_celestrak", "parse_gfz", "parse_omni_csv",
           "parse_wdc_dst", "read", "sniff"]


def _first_line(path: Path, n_bytes: int = 512) -> bytes:
    return head(path, n_bytes).lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")


def _is_celestrak(path: Path) -> bool:
    return _first_line(path).startswith(b"DATATYPE CssiSpaceWeather")


def _is_gfz(path: Path) -> bool:
    start = head(path, 16384)
    columns = re.search(rb"\n#YYY MM DD .*Kp1.*F10\.7adj", start)
    return start.startswith(b"#") and columns is not None


def _is_wdc_dst(path: Path) -> bool:
    line = _first_line(path)
    return line.startswith(b"DST") and line[7:8] == b"*" and line[12:13] == b"X"


_APF107_START = re.compile(rb"([ 0-9]{2}[0-9]){12}")


def _is_apf107(path: Path) -> bool:
    line = _first_line(path).rstrip()
    return len(line) == APF107_WIDTH and _APF107_START.match(line) is not None


def _is_omni_csv(path: Path) -> bool:
    return _first_line(path).upper().replace(b" ", b"").startswith(b"YEAR,DOY,HR,")


@dataclass(frozen=True)
class IndexFormat:
    """One index file format: sniff, parser and a one-line description."""

    can_read: Callable[[Path], bool]
    parse: Callable[..., pd.DataFrame]
    description: str


FORMATS: dict[str, IndexFormat] = {
    "celestrak-sw": IndexFormat(_is_celestrak, parse_celestrak,
                                "CelesTrak space-weather file SW-All.txt v1.2 (Kp, ap, F10.7)"),
    "gfz-kp": IndexFormat(_is_gfz, parse_gfz,
                          "GFZ Kp_ap_Ap_SN_F107 since_1932 / nowcast file"),
    "wdc-dst": IndexFormat(_is_wdc_dst, parse_wdc_dst,
                           "WDC Kyoto hourly Dst, 120-byte records"),
    "iri-apf107": IndexFormat(_is_apf107, parse_apf107, "IRI apf107.dat (ap, F10.7)"),
    "omni-hourly": IndexFormat(_is_omni_csv, parse_omni_csv,
                               "OMNI hourly CSV extract YEAR,DOY,HR,[Bz,]Kp,Dst"),
}


def sniff(path: str | os.PathLike[str]) -> str | None:
    """The name of the index format of ``path``, or None if it is none of them."""
    path = Path(path)
    for name, fmt in FORMATS.items():
        if fmt.can_read(path):
            return name
    return None


def can_read(path: Path) -> bool:
    """True if ``path`` (possibly .gz/.Z) is an index file of one of :data:`FORMATS`."""
    return sniff(path) is not None


def read(path: str | os.PathLike[str], *, format: str | None = None,
         predicted: bool = False) -> pd.DataFrame:
    """Read an index file (plain, ``.gz`` or ``.Z``) into the hourly index table.

    Parameters
    ----------
    path
        The file.
    format
        One of :data:`FORMATS`; by default recognised from the content.
    predicted
        CelesTrak only: also read the ``DAILY_PREDICTED`` and
        ``MONTHLY_PREDICTED`` blocks (rows flagged ``predicted``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~ionoquake.sources.indices_table.COLUMNS`; ``attrs``
        holds ``units``, ``source`` (the format) and ``file``.

    Raises
    ------
    IndicesError
        The file is of another kind, or a record is malformed or out of range.
    """
    path = Path(path)
    if not path.is_file():
        raise IndicesError(f"{path}: no such file")
    if format is None:
        found = registry.sniff(path, kind="indices")
        if found is None:
            raise IndicesError(f"{path.name}: not an index file ionoquake knows; known formats: "
                               + "; ".join(f"{k} ({v})"
                                           for k, v in registry.formats("indices").items()))
        if found.name not in FORMATS:  # an index reader registered by its own module
            return found.read(path)
        format = found.name
    elif format not in FORMATS:
        raise IndicesError(f"{path.name}: unknown index format {format!r}; known: "
                           f"{', '.join(FORMATS)}")
    text = read_bytes(path).decode("utf-8-sig", errors="replace")
    kwargs = {"predicted": predicted} if format == "celestrak-sw" else {}
    df = FORMATS[format].parse(text, path.name, **kwargs)
    df.attrs["file"] = path.name
    return df


def combine(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Merge index tables hour by hour: each value from the first table that has it.

    Observed rows take precedence over predicted ones whatever the order; among
    observed rows, earlier tables in ``frames`` win. A status column comes with
    its values (a table that lacks Kp for an hour gives no Kp status either).
    """
    frames = [f for f in frames if len(f)]
    sources = [f.attrs.get("source", "?") for f in frames]
    if not frames:
        return indices_frame([], {}, source="")
    parts = [f.assign(_rank=i) for i, f in enumerate(frames)]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["time", "predicted", "_rank"], kind="stable")
    merged = rows.drop(columns="_rank").groupby("time", sort=True).first()
    df = indices_frame(merged.index.to_numpy(),
                       {c.name: merged[c.name].to_numpy() for c in COLUMNS[1:]},
                       source="+".join(sources))
    df.attrs["sources"] = sources
    return df


def between(df: pd.DataFrame, start: np.datetime64 | str | None = None,
            end: np.datetime64 | str | None = None) -> pd.DataFrame:
    """The rows with ``start <= time < end`` (either bound may be None)."""
    keep = np.ones(len(df), bool)
    if start is not None:
        keep &= (df["time"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (df["time"] < pd.Timestamp(end)).to_numpy()
    out = df.loc[keep].reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out


def _reader(name: str) -> Callable[..., pd.DataFrame]:
    def read_format(path: str | os.PathLike[str], **kwargs: bool) -> pd.DataFrame:
        return read(path, format=name, **kwargs)

    return read_format


for _name, _fmt in FORMATS.items():
    registry.register(_name, "indices", _fmt.can_read, _reader(_name), _fmt.description)
