"""Tables (catalogues, indices, ...) in the archive as Parquet files with provenance.

Layout: ``<store>/tables/<kind>/<name>.parquet``. The provenance (the source
files with their SHA-256) travels inside the Parquet file's schema metadata, so
table and provenance are written in one atomic rename and can never disagree.

Writing is atomic: the new file is written under a temporary name and renamed
onto the old one in one ``os.replace``, so at every moment the table is the old
file or the new one, never missing or partial (a killed write leaves only a
temporary, removed by the next ingest).

Time columns are stored UTC-aware (``timestamp[ns, tz=UTC]``, so that pyarrow, pandas and
other readers know the zone) and read back naive UTC, as ionoquake works with them.

Writing is idempotent: rows are merged with what is stored by a key
(``event_id`` for catalogues, ``time`` for indices); re-writing the same rows
changes nothing on disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ionoquake.atomic import atomic_path, remove_stale_temporaries
from ionoquake.errors import StoreError, where
from ionoquake.store.location import check_name

_META_KEY = b"ionoquake"


@dataclass(frozen=True)
class TableWrite:
    """What one write did: the file, the rows added, and whether anything changed."""

    path: Path
    rows_added: int
    rows_total: int
    changed: bool


def table_path(store: str | os.PathLike[str], kind: str, name: str) -> Path:
    """The Parquet file of table ``name`` of ``kind`` in ``store``."""
    check_name("table kind", kind)
    check_name("table name", name)
    return Path(store) / "tables" / kind / f"{name}.parquet"


def clean(store: str | os.PathLike[str]) -> int:
    """Remove the temporaries of killed table writes; return how many were removed."""
    root = Path(store) / "tables"
    return remove_stale_temporaries(root) if root.exists() else 0


def read_table(store: str | os.PathLike[str], kind: str, name: str) -> pd.DataFrame:
    """Read a stored table; its provenance is in ``df.attrs["provenance"]``."""
    path = table_path(store, kind, name)
    if not path.exists():
        raise StoreError(f"{path}: no table {kind}/{name} in the archive")
    table = pq.read_table(path)
    df = naive_utc(table.to_pandas())
    df.attrs["provenance"] = _provenance(table.schema.metadata)
    return df


def naive_utc(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its UTC-aware time columns (as stored) naive UTC (as ionoquake works)."""
    for column in df.columns:
        if isinstance(df[column].dtype, pd.DatetimeTZDtype):
            df[column] = df[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return df


def utc_aware_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose time columns are UTC-aware (``timestamp[…, tz=UTC]`` in Arrow)."""
    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = pd.to_datetime(out[column], utc=True)
    return out


def _provenance(metadata: dict[bytes, bytes] | None) -> list[dict[str, Any]]:
    if not metadata or _META_KEY not in metadata:
        return []
    records: list[dict[str, Any]] = json.loads(metadata[_META_KEY])["provenance"]
    return records


def write_table(
    store: str | os.PathLike[str],
    kind: str,
    name: str,
    df: pd.DataFrame,
    *,
    key: str | list[str],
    sources: list[dict[str, Any]],
) -> TableWrite:
    """Merge ``df`` into the stored table by ``key`` and write it atomically.

    Rows of ``df`` replace stored rows with the same key. ``sources`` are
    provenance records (see :func:`ionoquake.store.provenance.file_record`);
    a record whose ``sha256`` is already stored is not added twice.
    """
    path = table_path(store, kind, name)
    keys = [key] if isinstance(key, str) else list(key)
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise StoreError(f"{where(path)}table has no key column(s) {missing}")
    provenance: list[dict[str, Any]] = []
    old: pd.DataFrame | None = None
    if path.exists():
        old = read_table(store, kind, name)
        provenance = list(old.attrs.get("provenance", []))
    known = {rec.get("sha256") for rec in provenance}
    provenance += [rec for rec in sources if rec.get("sha256") not in known]
    if old is not None and len(old):
        merged = pd.concat([old, df], ignore_index=True)
    else:
        merged = df.copy()
    merged = merged.drop_duplicates(subset=keys, keep="last")
    merged = merged.sort_values(keys, kind="stable").reset_index(drop=True)
    merged.attrs = {}
    n_old = 0 if old is None else len(old)
    if old is not None:
        old_cmp = old.copy()
        old_cmp.attrs = {}
        same_rows = old_cmp.columns.equals(merged.columns) and old_cmp.equals(merged)
        if same_rows and len(provenance) == len(old.attrs.get("provenance", [])):
            return TableWrite(path, 0, n_old, changed=False)
    table = pa.Table.from_pandas(utc_aware_columns(merged), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps({"provenance": provenance}).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return TableWrite(path, len(merged) - n_old, len(merged), changed=True)
