"""The map archive: one Zarr partition per product and day, with provenance.

Layout::

    <store>/maps/<product>/<YYYY>/<YYYY-MM-DD>.zarr

``product`` keeps series apart (``codg`` and ``jplg`` of the same day are two
series; so are ``cod0opsfin`` and ``cod0opsrap``). Each partition holds exactly
the maps of one daily file, and its attributes record the file's name, SHA-256,
producer and time of ingest.

Ingest is **idempotent** (a file whose SHA-256 is already stored for that day is
not parsed again and nothing is written) and **atomic** (a partition is written
under a temporary name and renamed into place; a killed ingest leaves no partial
day, and leftovers are removed by the next run).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path, remove_stale_temporaries
from ionoquake.errors import StoreError
from ionoquake.sources import ionex, registry
from ionoquake.sources.gim import combine_days
from ionoquake.store.provenance import file_record, sha256_of

Status = Literal["added", "unchanged", "replaced"]


@dataclass(frozen=True)
class IngestResult:
    """What ingesting one file did."""

    source: Path
    product: str
    day: str
    status: Status
    n_maps: int
    partition: Path


def maps_root(store: str | os.PathLike[str]) -> Path:
    return Path(store) / "maps"


def partition_path(store: str | os.PathLike[str], product: str, day: np.datetime64) -> Path:
    """The Zarr folder of ``product`` for the UTC day that contains ``day``."""
    d = str(day)[:10]
    return maps_root(store) / product / d[:4] / f"{d}.zarr"


def _stored_sha(partition: Path) -> str | None:
    meta = partition / "zarr.json"
    if not meta.exists():
        return None
    try:
        attrs = json.loads(meta.read_text()).get("attributes", {})
        sha = json.loads(attrs.get("provenance", "{}")).get("sha256")
        return str(sha) if sha else None
    except (json.JSONDecodeError, AttributeError):
        return None


def first_epoch_day(path: Path) -> np.datetime64 | None:
    """The day of ``EPOCH OF FIRST MAP`` from the header, cheaply (None if not found)."""
    from ionoquake.sources.compression import head

    for line in head(path, 16384).decode("latin-1").splitlines():
        if "EPOCH OF FIRST MAP" in line:
            try:
                y, m, d = (int(float(v)) for v in line[:60].split()[:3])
                return np.datetime64(f"{y:04d}-{m:02d}-{d:02d}")
            except ValueError:
                return None
    return None


def is_map_file(path: Path) -> bool:
    """True for a file of any map format (the registry's readers of kind ``maps``)."""
    return registry.sniff(path, kind="maps") is not None


def read_map_file(path: Path) -> xr.Dataset:
    """Read a map file of any format of kind ``maps`` (IONEX, CDAWeb GIM CDF, ...)."""
    return registry.read(path, kind="maps")


def ingest_file(store: str | os.PathLike[str], path: str | os.PathLike[str], *,
                product: str | None = None) -> IngestResult:
    """Ingest one map file (IONEX or CDAWeb GIM CDF) into ``store`` (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    sha = sha256_of(path)
    guess = first_epoch_day(path) if ionex.can_read(path) else None
    name_product = product or ionex.product_id(path.name)
    if guess is not None:
        target = partition_path(store, name_product, guess)
        if _stored_sha(target) == sha:
            n = xr.open_zarr(target, consolidated=False).sizes["time"]
            return IngestResult(path, name_product, str(guess), "unchanged", n, target)
    ds = read_map_file(path)
    day = ds["time"].values[0]
    prod = product or str(ds.attrs["product"])
    target = partition_path(store, prod, day)
    stored = _stored_sha(target)
    if stored == sha:
        return IngestResult(path, prod, str(np.datetime64(day, "D")), "unchanged",
                            ds.sizes["time"], target)
    record = file_record(path, producer=ds.attrs.get("producer", ""), product=prod)
    ds.attrs["provenance"] = json.dumps(record)
    ds.attrs["product"] = prod
    _write_partition(ds, target)
    status: Status = "replaced" if stored else "added"
    return IngestResult(path, prod, str(np.datetime64(day, "D")), status, ds.sizes["time"],
                        target)


def _write_partition(ds: xr.Dataset, target: Path) -> None:
    encoded = ds.copy()
    encoded.attrs = {k: (json.dumps(v) if isinstance(v, list) else v)
                     for k, v in ds.attrs.items()}
    with atomic_path(target) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # consolidated metadata in v3
        encoded.to_zarr(tmp, mode="w", consolidated=True, zarr_format=3)


def partitions(store: str | os.PathLike[str], product: str | None = None) -> pd.DataFrame:
    """One row per stored day: product, day, maps, source file, SHA-256, time of ingest."""
    root = maps_root(store)
    rows: list[dict[str, Any]] = []
    pattern = f"{product}/*/*.zarr" if product else "*/*/*.zarr"
    for part in sorted(root.glob(pattern)):
        if part.name.startswith("."):
            continue
        meta = json.loads((part / "zarr.json").read_text())
        attrs = meta.get("attributes", {})
        prov = json.loads(attrs.get("provenance", "{}"))
        shape = _time_length(part)
        rows.append({
            "product": part.parent.parent.name,
            "day": pd.Timestamp(part.name.removesuffix(".zarr")),
            "n_maps": shape,
            "producer": attrs.get("producer", ""),
            "source_file": prov.get("file", ""),
            "sha256": prov.get("sha256", ""),
            "ingested_at": prov.get("ingested_at", ""),
        })
    columns = ["product", "day", "n_maps", "producer", "source_file", "sha256", "ingested_at"]
    return pd.DataFrame(rows, columns=columns)


def _time_length(part: Path) -> int:
    meta = json.loads((part / "time" / "zarr.json").read_text())
    return int(meta["shape"][0])


def products(store: str | os.PathLike[str]) -> list[str]:
    root = maps_root(store)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else []


def open_maps(store: str | os.PathLike[str], product: str, start: str | None = None,
              end: str | None = None) -> xr.Dataset:
    """The stored maps of ``product`` between the days ``start`` and ``end`` (inclusive).

    Returns the same Dataset as :func:`ionoquake.sources.gim.read_days` on the files.
    """
    table = partitions(store, product)
    if table.empty:
        known = ", ".join(products(store)) or "none"
        raise StoreError(f"{store}: no maps of product {product!r} (stored products: {known})")
    if start is not None:
        table = table[table["day"] >= pd.Timestamp(start)]
    if end is not None:
        table = table[table["day"] <= pd.Timestamp(end)]
    if table.empty:
        raise StoreError(f"{store}: no {product} maps between {start} and {end}")
    return combine_days([open_day(store, product, np.datetime64(day.date()))
                         for day in table["day"]])


def stored_days(store: str | os.PathLike[str], product: str) -> list[np.datetime64]:
    """The stored UT days of ``product``, in order (folder names only: cheap)."""
    root = maps_root(store) / product
    return sorted(np.datetime64(p.name.removesuffix(".zarr"), "D")
                  for p in root.glob("*/*.zarr") if not p.name.startswith("."))


def open_day(store: str | os.PathLike[str], product: str, day: np.datetime64) -> xr.Dataset:
    """One stored day of ``product``, loaded, as :func:`open_maps` combines them."""
    part = partition_path(store, product, day)
    if not part.is_dir():
        raise StoreError(f"{store}: no {product} maps of {day}")
    with xr.open_zarr(part, consolidated=True) as ds:
        loaded = ds.load()
    loaded.attrs = {k: v for k, v in loaded.attrs.items() if k != "provenance"}
    if isinstance(loaded.attrs.get("gaps"), str):
        loaded.attrs["gaps"] = json.loads(loaded.attrs["gaps"])
    return loaded


def clean(store: str | os.PathLike[str]) -> int:
    """Remove leftovers of killed ingests; return how many were removed."""
    root = maps_root(store)
    return remove_stale_temporaries(root) if root.exists() else 0
