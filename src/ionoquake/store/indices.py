"""Space-weather indices in the archive: one table per source, merged when read.

Layout: ``<store>/tables/indices/<format>.parquet`` (``celestrak-sw``, ``gfz-kp``,
``wdc-dst``, ``iri-apf107``, ``omni-hourly``), each the hourly index table of
:mod:`ionoquake.sources.indices_table` keyed by ``time``, with the provenance of
every file ingested (name, SHA-256, time of ingest, format).

Sources are kept apart so that ingesting a Dst file never blanks the Kp of the
same hours and re-ingesting a newer file of one source replaces only that
source's rows. :func:`read_indices` merges them hour by hour in
:data:`PRIORITY`: each index from its producer first (GFZ for Kp/ap, Kyoto for
Dst), then the compilations (CelesTrak, OMNI, IRI).

Ingest is idempotent: re-ingesting a file changes nothing on disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.errors import StoreError
from ionoquake.sources import indices
from ionoquake.store.provenance import file_record
from ionoquake.store.tables import TableWrite, read_table, table_path, write_table

KIND = "indices"
PRIORITY: tuple[str, ...] = ("gfz-kp", "wdc-dst", "celestrak-sw", "omni-hourly", "iri-apf107")


def ingest_indices(
    store: str | os.PathLike[str], paths: Iterable[str | os.PathLike[str]], *,
    format: str | None = None, predicted: bool = False,
) -> list[TableWrite]:
    """Read index files and merge each into its source's table in the archive.

    Parameters
    ----------
    store
        The archive folder.
    paths
        Index files of any of :data:`ionoquake.sources.indices.FORMATS`.
    format
        Force a format (default: recognised from each file's content).
    predicted
        CelesTrak only: also store the predicted blocks (flagged ``predicted``).

    Returns
    -------
    list of TableWrite
        One per file; ``changed`` is False when the file was already ingested.
    """
    results = []
    for path in paths:
        df = indices.read(path, format=format, predicted=predicted)
        source = df.attrs["source"]
        record = file_record(path, format=source, predicted=predicted,
                             first=str(df["time"].min()), last=str(df["time"].max()))
        results.append(write_table(store, KIND, source, df, key="time", sources=[record]))
    return results


def stored_sources(store: str | os.PathLike[str]) -> list[str]:
    """The index sources in the archive, in :data:`PRIORITY` order."""
    folder = table_path(store, KIND, "x").parent
    names = {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()
    return [s for s in PRIORITY if s in names] + sorted(names - set(PRIORITY))


def read_indices(
    store: str | os.PathLike[str], start: np.datetime64 | str | None = None,
    end: np.datetime64 | str | None = None, *, sources: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The stored indices with ``start <= time < end``, all sources merged hour by hour.

    Parameters
    ----------
    store
        The archive folder.
    start, end
        Naive UTC bounds (either may be None).
    sources
        Which sources, in order of preference (default: all, in :data:`PRIORITY`).

    Returns
    -------
    pandas.DataFrame
        The hourly index table; ``attrs["provenance"]`` lists the files of the
        sources used, ``attrs["sources"]`` the sources.
    """
    names = list(sources) if sources is not None else stored_sources(store)
    if not names:
        raise StoreError(f"{Path(store)}: no indices in the archive; ingest index files first")
    frames, provenance = [], []
    for name in names:
        table = read_table(store, KIND, name)
        provenance += table.attrs.get("provenance", [])
        table = indices.between(table, start, end)
        table.attrs["source"] = name
        frames.append(table)
    merged = indices.combine(frames)
    merged.attrs["provenance"] = provenance
    return merged
