"""The map archive: one Zarr partition per product and day, with provenance.

Layout::

    <store>/maps/<product>/<YYYY>/<YYYY-MM-DD>.zarr

``product`` keeps series apart (``codg`` and ``jplg`` of the same day are two
series; so are ``cod0opsfin`` and ``cod0opsrap``). Each partition holds exactly
the maps of one daily file, and its attributes record the file's name, SHA-256,
producer and time of ingest.

Each partition is Zarr format 3 with CF-1.8 metadata (:mod:`ionoquake.store.cf`): xarray,
zarr-python ≥ 3 and ionoquake read it; GDAL (as of 3.10) reads only Zarr format 2, so GIS
users export a NetCDF file instead (:func:`export_netcdf`).

Ingest is **idempotent** (a file whose SHA-256 is already stored for that day is
not parsed again and nothing is written) and **atomic** (a partition is written
under a temporary name and renamed into place; a killed ingest leaves no partial
day, and leftovers are removed by the next run). Replacing a stored day never
leaves the day missing (:func:`ionoquake.atomic.atomic_path`): the old partition is
renamed aside as ``.<day>.zarr.prev-<id>`` before the new one is renamed in; if the
process is killed in between, readers use that previous copy and :func:`clean`
renames it back.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path, complete_copy, remove_stale_temporaries, replaced_path
from ionoquake.errors import StoreError
from ionoquake.sources import ionex, ionex_product, ionex_write, registry
from ionoquake.sources.gim import combine_days
from ionoquake.store.cf import cf_decode, cf_encode
from ionoquake.store.location import check_name
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
    return maps_root(store) / check_name("product", product) / d[:4] / f"{d}.zarr"


def _stored_sha(partition: Path) -> str | None:
    complete = complete_copy(partition)
    if complete is None:
        return None
    meta = complete / "zarr.json"
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
    if product is not None:
        check_name("product", product)
    if guess is not None:
        name_product = product or _product_of(path, ionex_product.product_of(path))
        target = partition_path(store, name_product, guess)
        if _stored_sha(target) == sha:
            n = _time_length(complete_copy(target) or target)
            return IngestResult(path, name_product, str(guess), "unchanged", n, target)
    ds = read_map_file(path)
    day = ds["time"].values[0]
    own = ionex_product.product_of(path) if guess is not None else str(ds.attrs["product"])
    prod = product or _product_of(path, own)
    target = partition_path(store, prod, day)
    stored = _stored_sha(target)
    if stored == sha:
        return IngestResult(path, prod, str(np.datetime64(day, "D")), "unchanged",
                            ds.sizes["time"], target)
    if guess is not None:  # IONEX: keep the header's DCB block for writing the day back
        aux = ionex_write.aux_data_of(path)
        if aux:
            ds.attrs["aux_data"] = aux
    record = file_record(path, producer=ds.attrs.get("producer", ""), product=prod)
    ds.attrs["provenance"] = json.dumps(record)
    ds.attrs["product"] = prod
    _write_partition(ds, target)
    status: Status = "replaced" if stored else "added"
    return IngestResult(path, prod, str(np.datetime64(day, "D")), status, ds.sizes["time"],
                        target)


def _product_of(path: Path, name: str) -> str:
    """``name``, the product a file names itself, if it is a plain identifier."""
    try:
        return check_name("product", name)
    except StoreError as exc:
        raise StoreError(f"{path}: the product taken from the file, {exc}; "
                         "name one (--product)") from None


def _write_partition(ds: xr.Dataset, target: Path) -> None:
    encoded, encoding = cf_encode(
        ds, title=str(ds.attrs.get("title") or f"{ds.attrs.get('product', '')} global "
                      "ionosphere maps of one UT day"),
        source=str(ds.attrs.get("source") or f"{ds.attrs.get('source_file', 'a map file')}"))
    encoded.attrs["history"] = f"{ds.attrs.get('source_file', 'a map file')} {_HISTORY}"
    with atomic_path(target) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # consolidated metadata in v3
        encoded.to_zarr(tmp, mode="w", consolidated=True, zarr_format=3, encoding=encoding)


def partitions(store: str | os.PathLike[str], product: str | None = None) -> pd.DataFrame:
    """One row per stored day: product, day, maps, source file, SHA-256, time of ingest."""
    rows: list[dict[str, Any]] = []
    for part in _complete_partitions(store, product):
        meta = json.loads((part / "zarr.json").read_text())
        attrs = meta.get("attributes", {})
        prov = json.loads(attrs.get("provenance", "{}"))
        shape = _time_length(part)
        rows.append({
            "product": part.parent.parent.name,
            "day": pd.Timestamp(_day_name(part)),
            "n_maps": shape,
            "producer": attrs.get("producer", ""),
            "source_file": prov.get("file", ""),
            "sha256": prov.get("sha256", ""),
            "ingested_at": prov.get("ingested_at", ""),
        })
    columns = ["product", "day", "n_maps", "producer", "source_file", "sha256", "ingested_at"]
    return pd.DataFrame(rows, columns=columns)


def _day_name(part: Path) -> str:
    """``YYYY-MM-DD`` of a partition or of its previous complete copy."""
    if part.name.startswith("."):
        part = replaced_path(part)
    return part.name.removesuffix(".zarr")


def _complete_partitions(store: str | os.PathLike[str], product: str | None) -> list[Path]:
    """The stored partitions, by day; a day whose replacement was killed half-way
    is its previous complete copy (see the module docstring)."""
    root = maps_root(store)
    prod = check_name("product", product) if product is not None else "*"
    found = {p for p in root.glob(f"{prod}/*/*.zarr") if not p.name.startswith(".")}
    for aside in root.glob(f"{prod}/*/.*.zarr.prev-*"):
        target = replaced_path(aside)
        if target not in found and complete_copy(target) == aside:
            found.add(aside)
    return sorted(found, key=lambda p: (p.parent.parent.name, _day_name(p)))


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
    table = partitions(store, check_name("product", product))
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
    return [np.datetime64(_day_name(p), "D") for p in _complete_partitions(store, product)]


def open_day(store: str | os.PathLike[str], product: str, day: np.datetime64) -> xr.Dataset:
    """One stored day of ``product``, loaded, as :func:`open_maps` combines them."""
    part = complete_copy(partition_path(store, product, day))
    if part is None or not part.is_dir():
        raise StoreError(f"{store}: no {product} maps of {day}")
    with decoded(part), xr.open_zarr(part, consolidated=True) as ds:
        loaded = ds.load()
    return _in_memory(loaded)


@contextmanager
def decoded(part: str | os.PathLike[str]) -> Iterator[None]:
    """Decode a stored day ``part`` inside the block: an error of its chunks (cut or
    overwritten: a full disk, a copy killed half-way) becomes one StoreError naming the
    day, with what to do about it."""
    try:
        yield
    except (RuntimeError, ValueError, KeyError, OSError) as err:
        raise StoreError(f"{part}: damaged, cannot be decoded ({type(err).__name__}: {err}); "
                         f"delete it and ingest its source file again") from err


_HISTORY = "stored in the ionoquake archive (ionoquake.store.maps)"
_CF_ONLY = ("provenance", "history", "references")  # what the archive adds to a reader's attrs


def _in_memory(ds: xr.Dataset) -> xr.Dataset:
    """A stored day as the readers give it: TECU, no file-level CF attributes."""
    ds = cf_decode(ds)
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in _CF_ONLY}
    if isinstance(ds.attrs.get("gaps"), str):
        ds.attrs["gaps"] = json.loads(ds.attrs["gaps"])
    return ds


def export_netcdf(store: str | os.PathLike[str], product: str, start: str | None,
                  end: str | None, path: str | os.PathLike[str]) -> Path:
    """Write the stored maps of ``product`` from day ``start`` to ``end`` (inclusive) as one
    CF-1.8 NetCDF-4 file, for GIS users and tools that cannot open the archive.

    The archive is Zarr format 3, which GDAL (and QGIS, ArcGIS, Panoply) cannot open; this
    file opens in all of them (GDAL: ``NETCDF:"file.nc":tec``). Values are those stored
    (float32, TECU as ``1e16 m-2``; see :mod:`ionoquake.store.cf`), zlib-compressed. The
    file is written atomically.
    """
    ds = open_maps(store, product, start, end)
    first, last = (str(ds["time"].values[i])[:10] for i in (0, -1))
    title = f"{product} global ionosphere maps {first} to {last}"
    out, encoding = cf_encode(ds, title=title, source=str(ds.attrs.get("source") or product))
    out.attrs["history"] = (f"{out.attrs.get('source_file', product)} {_HISTORY}; exported "
                            "to NetCDF by ionoquake.store.maps.export_netcdf")
    for name in out.data_vars:
        encoding.setdefault(str(name), {}).update(zlib=True, complevel=4)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        out.to_netcdf(tmp, encoding=encoding, format="NETCDF4")
    return path


def clean(store: str | os.PathLike[str]) -> int:
    """Finish what killed ingests left; return how many leftovers were handled.

    A day's previous complete copy whose replacement is missing is renamed back
    into place, never deleted (:func:`ionoquake.atomic.remove_stale_temporaries`).
    """
    root = maps_root(store)
    return remove_stale_temporaries(root) if root.exists() else 0
