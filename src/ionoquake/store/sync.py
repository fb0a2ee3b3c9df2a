"""Mirror the archive's tables into the relational database the API reads.

The archive (Zarr maps, Parquet tables) is the record; the database is the
queryable copy. Syncing is an idempotent upsert, so it can run after every
ingest or daily step.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from ionoquake.errors import StoreError
from ionoquake.store import database
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.indices import read_indices, stored_sources
from ionoquake.store.schema import events, indices
from ionoquake.store.tables import table_path


def sync_database(store: str | os.PathLike[str], engine: sa.Engine) -> dict[str, int]:
    """Upsert the stored catalogue(s) and indices into ``engine``; return rows per table."""
    written = {"events": 0, "indices": 0}
    catalog_dir = table_path(store, "catalog", "x").parent
    for part in sorted(catalog_dir.glob("*.parquet")) if catalog_dir.is_dir() else []:
        df = read_catalog(store, part.stem)
        if "place" not in df.columns:
            df = df.assign(place=None)
        df = df.assign(source=df["source"].astype(str))
        written["events"] += database.upsert(engine, events, df)
    if stored_sources(store):
        try:
            table = read_indices(store)
        except StoreError:
            table = None
        if table is not None:
            written["indices"] = database.upsert(engine, indices, table)
    return written
