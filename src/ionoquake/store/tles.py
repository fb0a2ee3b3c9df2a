"""Two-line element sets in the archive: ``<store>/tables/tle/elements.parquet``.

A thin layer over :mod:`ionoquake.store.tables`: one row per element set with the
columns :data:`ionoquake.sources.tle.TLE_COLUMNS`, keyed by ``(norad_id, epoch)``.
An element set already stored with the same two lines is never written again, so
re-ingesting a file, or a newer catalogue snapshot that repeats some sets, changes
nothing; a set with the same key but different lines (a corrected set) replaces the
stored one. The source files' provenance (name, size, SHA-256) travels inside the
Parquet file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ionoquake.errors import StoreError
from ionoquake.sources import tle
from ionoquake.sources.tle import TLE_COLUMNS, TleError
from ionoquake.store.provenance import file_record
from ionoquake.store.tables import TableWrite, read_table, table_path, write_table

__all__ = ["KEY", "KIND", "NAME", "ingest_tle_files", "ingest_tles", "read_tles", "satellites",
           "tles_path"]

KIND = "tle"
NAME = "elements"
KEY = ["norad_id", "epoch"]
#: Columns that identify an element set's content: same key and same lines, same set.
_IDENTITY = [*KEY, "line1", "line2"]


def tles_path(store: str | os.PathLike[str]) -> Path:
    """The Parquet file of the stored element sets (it may not exist yet)."""
    return table_path(store, KIND, NAME)


def ingest_tles(store: str | os.PathLike[str], tles: pd.DataFrame,
                sources: Sequence[dict[str, Any]]) -> TableWrite:
    """Merge a TLE table (:func:`ionoquake.sources.tle.read`) into the archive.

    Parameters
    ----------
    store
        The archive folder.
    tles
        Element sets with the columns :data:`~ionoquake.sources.tle.TLE_COLUMNS`.
        Within it, a repeated ``(norad_id, epoch)`` keeps the last set (history files
        often list a set twice).
    sources
        Provenance records of the files it came from
        (:func:`ionoquake.store.provenance.file_record`).

    Returns
    -------
    ionoquake.store.tables.TableWrite
        ``changed`` is False when nothing new was stored.

    Raises
    ------
    TleError
        The table lacks columns; nothing is written.
    """
    missing = [c for c in TLE_COLUMNS if c not in tles.columns]
    if missing:
        raise TleError(f"TLE table to ingest lacks column(s) {missing}")
    new = tles[list(TLE_COLUMNS)].drop_duplicates(subset=KEY, keep="last")
    path = tles_path(store)
    if path.exists() and len(new):
        stored = read_table(store, KIND, NAME)[_IDENTITY]
        seen = new[_IDENTITY].merge(stored, on=_IDENTITY, how="left", indicator=True)
        new = new[(seen["_merge"] == "left_only").to_numpy()]
    return write_table(store, KIND, NAME, new, key=KEY, sources=list(sources))


def ingest_tle_files(store: str | os.PathLike[str],
                     paths: Sequence[str | os.PathLike[str]]) -> TableWrite:
    """Read TLE files (plain or gzipped) and ingest them together (idempotent, atomic).

    A malformed file raises :class:`~ionoquake.sources.tle.TleError` naming the file
    and line, before anything is written.
    """
    table = tle.read(list(paths))
    records = []
    for p in paths:
        sets = table[table["source"] == Path(p).name]
        records.append(file_record(p, format="tle", element_sets=len(sets),
                                   first=str(sets["epoch"].min()), last=str(sets["epoch"].max())))
    return ingest_tles(store, table, records)


def read_tles(store: str | os.PathLike[str]) -> pd.DataFrame:
    """The stored element sets sorted by ``(norad_id, epoch)`` (provenance in ``attrs``).

    Raises
    ------
    StoreError
        No TLE file has been ingested.
    """
    if not tles_path(store).exists():
        raise StoreError(f"{Path(store)}: no TLEs in the archive; ingest a TLE file first")
    return read_table(store, KIND, NAME)


def satellites(tles: pd.DataFrame) -> pd.DataFrame:
    """One row per satellite: ``norad_id``, ``name`` (of its latest set), ``first_epoch``,
    ``last_epoch``, ``n_tles``; sorted by ``norad_id``."""
    ordered = tles.sort_values(KEY, kind="stable")
    groups = ordered.groupby("norad_id", sort=True)
    out = pd.DataFrame({
        "name": groups["name"].last().astype(str).str.strip(),
        "first_epoch": groups["epoch"].min(),
        "last_epoch": groups["epoch"].max(),
        "n_tles": groups.size(),
    })
    return out.reset_index()
