"""Earthquake catalogues in the archive: ``<store>/tables/catalog/<name>.parquet``.

A thin layer over :mod:`ionoquake.store.tables`: rows are keyed by ``event_id``,
so re-ingesting the same file changes nothing, and a newer export of the same
events replaces the stored rows. The source files' provenance (name, size,
SHA-256) travels inside the Parquet file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ionoquake.errors import InputError
from ionoquake.quake import Earthquake, find_event
from ionoquake.sources.catalog_table import CORE_COLUMNS, CatalogError
from ionoquake.store.provenance import file_record
from ionoquake.store.tables import TableWrite, read_table, table_path, write_table

__all__ = ["KIND", "catalog_names", "find_stored_event", "ingest_catalog", "ingest_files",
           "read_catalog"]

KIND = "catalog"


def ingest_catalog(
    store: str | os.PathLike[str],
    catalog: pd.DataFrame,
    sources: Sequence[dict[str, Any]],
    *,
    name: str = "events",
) -> TableWrite:
    """Merge a catalogue table into the stored catalogue ``name`` (idempotent).

    Parameters
    ----------
    store
        The archive folder.
    catalog
        A catalogue table as the readers return it.
    sources
        Provenance records of the files it came from
        (:func:`ionoquake.store.provenance.file_record`).
    name
        The stored catalogue's name, e.g. ``"usgs-comcat"``.

    Returns
    -------
    ionoquake.store.tables.TableWrite
        ``changed`` is False when nothing new was stored.

    Raises
    ------
    CatalogError
        The table lacks core columns or has repeated event ids; nothing is written.
    """
    missing = [c for c in CORE_COLUMNS if c not in catalog.columns]
    if missing:
        raise CatalogError(f"catalogue to ingest lacks column(s) {missing}")
    repeated = catalog["event_id"].duplicated()
    if repeated.any():
        raise CatalogError(f"catalogue to ingest repeats event id "
                           f"{catalog['event_id'][repeated].iloc[0]!r}; read the files "
                           f"together with ionoquake.sources.catalog.read to merge them")
    return write_table(store, KIND, name, catalog, key="event_id", sources=list(sources))


def ingest_files(
    store: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]],
    *,
    name: str = "events",
    format: str | None = None,
) -> TableWrite:
    """Read catalogue files (any supported format, mixed) and ingest them as one table."""
    from ionoquake.sources import catalog

    table_path(store, KIND, name)  # refuse a bad name before reading the files
    table = catalog.read(paths, format=format)
    return ingest_catalog(store, table, [file_record(Path(p)) for p in paths], name=name)


def read_catalog(store: str | os.PathLike[str], name: str = "events") -> pd.DataFrame:
    """The stored catalogue ``name``, sorted by time (provenance in ``attrs``)."""
    table = read_table(store, KIND, name)
    provenance = table.attrs.get("provenance", [])
    table = table.sort_values("time", kind="stable").reset_index(drop=True)
    table.attrs["provenance"] = provenance
    return table


def catalog_names(store: str | os.PathLike[str]) -> list[str]:
    """The names of the stored catalogues, ``events`` (the main one) first."""
    folder = Path(table_path(store, KIND, "events")).parent
    names = sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []
    return sorted(names, key=lambda name: name != "events")


def find_stored_event(store: str | os.PathLike[str], event_id: str) -> Earthquake:
    """The event ``event_id`` of the archive's catalogues (``events`` first, then the others,
    e.g. the demo's ``cid-events``); InputError naming the id when none holds it."""
    names = catalog_names(store)
    for name in names:
        catalog = read_catalog(store, name)
        if "event_id" in catalog.columns and (catalog["event_id"] == event_id).any():
            return find_event(catalog, event_id)
    where = ", ".join(names) if names else "none stored"
    raise InputError(f"no event {event_id!r} in the archive's catalogues ({where})")

