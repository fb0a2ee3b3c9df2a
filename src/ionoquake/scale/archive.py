"""The map archive at scale: fsspec locations, lazy multi-year opening, and two chunkings.

Locations
    A store is a local path, a ``file://`` URL, or any fsspec URL (``s3://bucket/iono``
    with ``s3fs`` installed, ``gs://bucket/iono`` with ``gcsfs``); credentials come from
    the usual fsspec/boto/gcloud configuration, or ``storage_options``. Reading works on
    every protocol; writing (detection output, series store) needs the atomic rename of
    a local or network file system (see ``docs/scale.md``).

Two access patterns, two chunkings
    * **Epochs** (whole-globe maps: the dashboard, figures, and the background, whose
      kernel sorts every cell at once over a block of days): the archive's own daily
      partitions, one chunk per variable and day (``(epochs of the day, lat, lon)``,
      0.25 MB for a 2.5° x 5° 2-hourly day, 25 MB for a 1°, 15-minute day). A day is the
      unit of ingest, of atomic replacement and of the detection's N-day halo, so the
      chunk boundary falls where the data arrive and no read spans two files.
    * **Long series per cell** (an epicentre's 30 years, per-cell statistics): the
      *series store* ``<store>/series/<product>/<YYYY>.zarr``, one partition per year,
      chunked ``(whole year, lat_cells, lon_cells)`` with the cell block chosen by
      :func:`series_chunks` so that one chunk holds about 16 MB (the middle of Zarr's and
      Dask's advice of 10-100 MB per chunk, small enough for object-store range
      requests). One cell's 30 years are then 30 reads instead of 10 950 daily ones.
      It is derived data: rebuilt by :func:`write_series` per year, atomically.

Opening is lazy (:func:`open_archive`): only the consolidated metadata of each
partition is read; the values stay on disk until computed.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.errors import StoreError
from ionoquake.scale.zarr_chunks import ChunkFiles
from ionoquake.sources.gim import combine_days
from ionoquake.store.maps import decoded

#: Aim of one chunk of the series store (bytes); see the module docstring.
SERIES_CHUNK_BYTES = 16 * 2**20


def store_location(url: str | os.PathLike[str],
                   storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec file system and root path of a store given as a path or URL."""
    import fsspec.core

    fs, root = fsspec.core.url_to_fs(str(url), **(storage_options or {}))
    return fs, str(root).rstrip("/")


def is_local(url: str | os.PathLike[str]) -> bool:
    """True for a local path or ``file://`` URL (where writes are atomic renames)."""
    text = str(url)
    return "://" not in text or text.startswith("file://")


def local_path(url: str | os.PathLike[str]) -> Path:
    """The folder of a local store; a clear error for object stores."""
    if not is_local(url):
        raise StoreError(f"{url}: writing needs a local or network file system (atomic rename);"
                         " see docs/scale.md for object stores")
    return Path(str(url).removeprefix("file://"))


def day_partitions(url: str | os.PathLike[str], product: str,
                   storage_options: dict[str, Any] | None = None) -> dict[np.datetime64, str]:
    """The stored days of ``product``: UT day -> partition URL, in day order."""
    fs, root = store_location(url, storage_options)
    found = fs.glob(f"{root}/maps/{product}/*/*.zarr")
    days: dict[np.datetime64, str] = {}
    for path in sorted(found):
        name = str(path).rsplit("/", 1)[-1]
        if not name.startswith("."):
            days[np.datetime64(name.removesuffix(".zarr"), "D")] = (
                str(path) if is_local(url) else fs.unstrip_protocol(path))
    return days


def _open_partition(target: str, chunks: dict[str, int] | None,
                    storage_options: dict[str, Any] | None) -> xr.Dataset:
    ds = xr.open_zarr(target, consolidated=True, chunks=chunks,
                      storage_options=None if is_local(target) else storage_options)
    ds.attrs = _group_attrs(ds.attrs)
    return ds


def read_span(url: str | os.PathLike[str], product: str, first: np.datetime64,
              last: np.datetime64, *, variables: tuple[str, ...] | None = None,
              partitions: dict[np.datetime64, str] | None = None,
              storage_options: dict[str, Any] | None = None) -> xr.Dataset | None:
    """The maps of the partitions ``first`` .. ``last`` (UT days) loaded, or None if none.

    ``variables`` limits the data variables read (all if None). The Dataset is the one
    :func:`ionoquake.sources.gim.combine_days` makes of the days as xarray opens them.
    On a local store the chunks are read directly (:func:`_read_local`, ~1 ms a day
    where opening each day with xarray costs ~20 ms); the xarray path is the reference
    (``tests/scale/test_archive.py`` compares them) and reads every other location.
    """
    parts = partitions if partitions is not None else day_partitions(url, product,
                                                                     storage_options)
    chosen = [target for day, target in parts.items() if first <= day <= last]
    if not chosen:
        return None
    if is_local(url):
        fast = _read_local(chosen, variables)
        if fast is not None:
            return fast
    return _read_with_xarray(chosen, variables, storage_options)


def _read_with_xarray(targets: list[str], variables: tuple[str, ...] | None,
                      storage_options: dict[str, Any] | None) -> xr.Dataset:
    days = []
    for target in targets:
        with decoded(target), _open_partition(target, None, storage_options) as ds:
            days.append((ds if variables is None else ds[list(variables)]).load())
    return combine_days(days)


def _read_local(targets: list[str], variables: tuple[str, ...] | None) -> xr.Dataset | None:
    """:func:`read_span` of local partitions through their chunk files, or None.

    One day, the first in time, is opened with xarray: its variables give the decoded
    types, attributes and encodings. Every other day must have the same array metadata
    but for the length of ``time`` (then its stored values decode the same way), the
    same ``lat``/``lon`` values and only layouts :class:`ChunkFiles` reads; the values
    of a variable must be stored as they decode (no scale, offset or non-NaN fill),
    and the times, decoded at once, must give the first day's. Otherwise None: the
    caller reads with xarray, which decodes or refuses as usual.
    """
    metas = []
    for target in targets:
        meta = json.loads((Path(target) / "zarr.json").read_text())
        arrays = (meta.get("consolidated_metadata") or {}).get("metadata")
        if not arrays or "time" not in arrays:
            return None
        metas.append((meta.get("attributes", {}), arrays))
    starts = []
    for target, (_, arrays) in zip(targets, metas, strict=True):
        files = ChunkFiles.of(Path(target) / "time", arrays["time"])
        if files is None or files.shape[0] == 0:
            return None
        starts.append(files.read())
    order = np.argsort([s[0] for s in starts], kind="stable")  # as combine_days orders days
    targets = [targets[i] for i in order]
    metas, starts = [metas[i] for i in order], [starts[i] for i in order]
    with _open_partition(targets[0], None, None) as ref:
        names = list(variables) if variables is not None else [str(n) for n in ref.data_vars]
        if set(ref.coords) != {"time", "lat", "lon"} or any(
                n not in ref.data_vars or ref[n].dims[:1] != ("time",) for n in names):
            return None
        stored_as_decoded = all(_stored_as_decoded(ref[n]) for n in names)
        if stored_as_decoded:
            with decoded(targets[0]):
                ref = ref[names].load()
    if not stored_as_decoded:
        return None
    values: dict[str, list[npt.NDArray[Any]]] = {n: [] for n in [*names, "lat", "lon"]}
    for target, (_, arrays) in zip(targets, metas, strict=True):
        if not _same_but_length(arrays.get("time"), metas[0][1].get("time")):
            return None
        for name in values:
            if not _same_but_length(arrays.get(name), metas[0][1].get(name)):
                return None
            files = ChunkFiles.of(Path(target) / name, arrays[name])
            if files is None:
                return None
            values[name].append(files.read())
    for name in ("lat", "lon"):
        if not all(np.array_equal(v, ref[name].values) for v in values[name]):
            return None
    times = _decode_times(np.concatenate(starts), ref["time"])
    if times is None or not np.array_equal(times[:ref.sizes["time"]], ref["time"].values):
        return None
    data = {n: xr.Variable(ref[n].dims, np.concatenate(values[n]), ref[n].attrs,
                           ref[n].encoding) for n in names}
    coords = {"time": xr.Variable("time", times, ref["time"].attrs, ref["time"].encoding),
              "lat": ref["lat"].variable, "lon": ref["lon"].variable}
    attrs = [_group_attrs(a) for a, _ in metas]
    combined = xr.Dataset(data, coords, {**attrs[0], "source_file": " ".join(
        str(a.get("source_file", "")) for a in attrs)})
    return combine_days([combined])  # duplicated epochs, gaps: as for the separate days


def _stored_as_decoded(var: xr.DataArray) -> bool:
    """True if xarray decodes ``var`` to its stored values (same type, NaN or no fill)."""
    enc = var.encoding
    fill = enc.get("_FillValue")
    return (var.dtype == enc.get("dtype") and var.dtype.kind in "biuf"
            and "scale_factor" not in enc and "add_offset" not in enc
            and (fill is None or (var.dtype.kind == "f" and bool(np.isnan(fill)))))


def _same_but_length(meta: dict[str, Any] | None, ref: dict[str, Any] | None) -> bool:
    """True if two arrays' Zarr metadata differ at most in the length of the first axis."""
    if meta is None or ref is None:
        return False
    skip = ("shape", "chunk_grid")
    return ({k: v for k, v in meta.items() if k not in skip}
            == {k: v for k, v in ref.items() if k not in skip}
            and meta["shape"][1:] == ref["shape"][1:])


def _decode_times(numbers: npt.NDArray[Any], ref: xr.DataArray) -> npt.NDArray[Any] | None:
    """Stored times decoded as xarray decodes ``ref`` (None if not datetimes)."""
    keys = ("units", "calendar", "_FillValue", "scale_factor", "add_offset")
    raw = xr.Variable("time", numbers, {**ref.attrs, **{k: ref.encoding[k] for k in keys
                                                          if k in ref.encoding}})
    decoded = xr.conventions.decode_cf_variable("time", raw)
    return decoded.values if decoded.dtype == ref.dtype else None


def _group_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """A partition's attributes as :func:`_open_partition` gives them."""
    out = {k: v for k, v in attrs.items() if k != "provenance"}
    if isinstance(out.get("gaps"), str):
        out["gaps"] = json.loads(out["gaps"])
    return out


def open_archive(url: str | os.PathLike[str], product: str, start: str | None = None,
                 end: str | None = None, *, storage_options: dict[str, Any] | None = None
                 ) -> xr.Dataset:
    """The maps of ``product`` between the days ``start`` and ``end``, opened lazily.

    Returns the Dataset :func:`ionoquake.store.maps.open_maps` returns, but backed by
    Dask arrays with one chunk per partition (day); nothing but metadata is read.

    Parameters
    ----------
    url
        The store: a path, ``file://``, ``s3://`` or ``gs://`` URL (module docstring).
    product
        The series, e.g. ``"jplg"`` or ``"codg"``.
    start, end
        First and last UT day (inclusive); None for the whole archive.
    storage_options
        Passed to fsspec for remote stores (credentials, endpoint).
    """
    parts = day_partitions(url, product, storage_options)
    lo = np.datetime64(start, "D") if start else None
    hi = np.datetime64(end, "D") if end else None
    chosen = [t for d, t in parts.items() if (lo is None or d >= lo) and (hi is None or d <= hi)]
    if not chosen:
        raise StoreError(f"{url}: no {product} maps between {start} and {end}")
    return combine_days([_open_partition(t, {}, storage_options) for t in chosen])


def series_chunks(n_time: int, n_lat: int, n_lon: int, *, itemsize: int = 4,
                  target_bytes: int = SERIES_CHUNK_BYTES) -> dict[str, int]:
    """Chunk shape of the series store: the whole time axis and a square block of cells.

    >>> series_chunks(8760, 71, 73)  # a year of hourly 2.5 x 5 degree maps
    {'time': 8760, 'lat': 21, 'lon': 21}
    """
    side = max(1, math.isqrt(max(1, target_bytes // (itemsize * max(n_time, 1)))))
    return {"time": n_time, "lat": min(side, n_lat), "lon": min(side, n_lon)}


def series_path(url: str | os.PathLike[str], product: str, year: int) -> Path:
    """The series-store partition of ``product`` and ``year``."""
    return local_path(url) / "series" / product / f"{year:04d}.zarr"


def write_series(url: str | os.PathLike[str], product: str, year: int,
                 *, variables: tuple[str, ...] = ("tec",)) -> Path:
    """Write the per-cell-series copy of one year (see the module docstring), atomically.

    The rechunk runs on the current Dask scheduler (a ``distributed.Client`` if one is
    active), reading each daily partition once.
    """
    maps = open_archive(url, product, f"{year:04d}-01-01", f"{year:04d}-12-31")
    chunks = series_chunks(maps.sizes["time"], maps.sizes["lat"], maps.sizes["lon"])
    out = maps[list(variables)].chunk(chunks)
    out.attrs = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v)
                 for k, v in maps.attrs.items()}
    out.attrs["chunking"] = f"series store: {json.dumps(chunks)} (ionoquake.scale.archive)"
    for name in out.variables:
        out[name].encoding = {}
    target = series_path(url, product, year)
    with atomic_path(target) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # consolidated metadata in v3
        out.to_zarr(tmp, mode="w", consolidated=True, zarr_format=3)
    return target
