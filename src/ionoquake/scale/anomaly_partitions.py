"""Detection output partitions: created on the whole grid, filled latitude band by band.

A task of :func:`ionoquake.scale.detect.detect_block` writes each band of results
straight into the Zarr partitions it owns, so it holds one band at a time whatever
its block length. xarray creates each partition once (metadata, coordinates, the
per-epoch variables); the bands are then written as whole chunks, one file per
chunk (:class:`ionoquake.scale.zarr_chunks.ChunkFiles`): a chunk is one band's rows
of a partition's epochs, so no chunk is ever read back and rewritten, and a write
costs the bytes, not Zarr's per-call machinery (~1.3-2 ms a call, measured).
:class:`PartitionWriter` sets the attributes at the end (counts summed over the
bands, provenance) and consolidates the metadata, and :func:`journal` records the
write. The caller renames the temporaries into place.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import socket
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.errors import StoreError
from ionoquake.scale.zarr_chunks import ChunkFiles

#: Aim of one chunk of an output partition (bytes): see :func:`output_encoding`.
OUTPUT_CHUNK_BYTES = 32 * 2**20
#: Codec of the float outputs (TEC, background, bounds, dtec...): none. Their low bits are
#: noise, so zstd level 1 saved only 28 % of their bytes (ratio 1.39) at ~420 MB/s of one
#: core, and blosc-lz4 with byte shuffle 19 % (1.24) at ~1.1 GB/s, where writing the raw
#: bytes runs at ~2.5 GB/s (numcodecs, a month of the benchmark's outputs, this machine).
#: Zarr codec objects here, e.g. ``(BloscCodec(cname="lz4", shuffle="shuffle"),)``, trade
#: that speed for disk (docs/scale.md says what each costs on disk).
FLOAT_COMPRESSORS: tuple[Any, ...] = ()


def json_safe(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v.tolist() if isinstance(v, np.ndarray) else v)
                if isinstance(v, (dict, list, np.ndarray)) else v) for k, v in attrs.items()}


def output_encoding(ds: xr.Dataset, lat_rows: int) -> dict[str, dict[str, Any]]:
    """Chunks and codecs of an output partition: latitude bands, epochs up to ~OUTPUT_CHUNK_BYTES.

    A chunk is ``lat_rows`` whole latitude rows (the task's band, so that every band is
    written on its own, whole chunks only) and as many epochs as fit in
    OUTPUT_CHUNK_BYTES: a month of 2.5 x 5 degree hourly maps is one chunk a band and
    variable (~1 MB). Flags and counts (bool, int) are compressed with zstd level 1
    (~10-7000x, at ~550 MB/s); floats with FLOAT_COMPRESSORS (none by default).
    """
    from zarr.codecs import ZstdCodec

    encoding: dict[str, dict[str, Any]] = {}
    for name, var in ds.data_vars.items():
        shape = {d: (min(lat_rows, n) if d == "lat" else n)
                 for d, n in zip(var.dims, var.shape, strict=True)}
        per_epoch = var.dtype.itemsize * math.prod(n for d, n in shape.items() if d != "time")
        epochs = max(1, min(shape.get("time", 1), OUTPUT_CHUNK_BYTES // max(per_epoch, 1)))
        compressors = list(FLOAT_COMPRESSORS) if var.dtype.kind == "f" else [ZstdCodec(level=1)]
        encoding[str(name)] = {"chunks": tuple(epochs if d == "time" else n
                                               for d, n in shape.items()),
                               "compressors": compressors}
    return encoding


class PartitionWriter:
    """One output partition written latitude band by latitude band into ``tmp``.

    The first band creates the arrays on the whole grid (metadata, coordinates and the
    per-epoch variables only, through xarray); each band then writes its own rows as
    whole chunk files, so a task holds one band of results at a time, whatever the
    length of its block. :meth:`finish` sets the attributes (counts summed over the
    bands) and consolidates the metadata.
    """

    def __init__(self, open_tmp: Callable[[], Path], lat: xr.DataArray, lat_rows: int,
                 prototypes: dict[str, dict[str, Any]] | None = None) -> None:
        self.open_tmp, self.lat, self.lat_rows = open_tmp, lat, lat_rows
        #: Array metadata of per-cell variables xarray wrote for an earlier partition,
        #: shared by the writers of a task (see :meth:`_create`).
        self.prototypes = prototypes if prototypes is not None else {}
        self.tmp = Path()
        self.created = False
        self.counts = {"n_positive": 0, "n_negative": 0, "n_without_background": 0,
                       "samples": 0}
        self.attrs: dict[str, Any] = {}
        self.arrays: dict[str, tuple[tuple[str, ...], ChunkFiles]] = {}

    def _create(self, part: xr.Dataset) -> None:
        """Create the partition: metadata, coordinates and per-epoch variables.

        xarray writes the per-cell variables' metadata once per task (from a Dask
        template, ``compute=False``: ~0.1 s a partition). For the task's next
        partitions it writes only the coordinates and per-epoch variables, and each
        per-cell array's ``zarr.json`` is the one xarray wrote for the same variable
        (name, type, attributes, grid, codecs) with the Zarr fields ``shape`` and
        ``chunk_shape`` set to the partition's epochs (~0.03 s a partition).
        """
        encoding = output_encoding(part, self.lat_rows)
        cells = {str(n): v for n, v in part.data_vars.items() if "lat" in v.dims}
        keys = {name: self._prototype_key(name, var, encoding[name])
                for name, var in cells.items()}
        coords = {name: c for name, c in part.coords.items() if "lat" not in c.dims}
        variables = {name: xr.Variable(var.dims, var.values, json_safe(var.attrs))
                     for name, var in part.data_vars.items() if str(name) not in cells}
        known = all(key in self.prototypes for key in keys.values())
        if not known:
            variables.update(self._templates(cells, encoding))
        template = xr.Dataset(variables, coords={**coords, "lat": self.lat})
        self.tmp = self.open_tmp()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            template.to_zarr(self.tmp, mode="w", compute=False, consolidated=False,
                             zarr_format=3, encoding={str(n): encoding[str(n)]
                                                      for n in variables})
        for name, var in cells.items():
            meta_path = self.tmp / name / "zarr.json"
            if known:
                meta = json.loads(self.prototypes[keys[name]]["json"])
                meta["shape"] = [self.lat.size if d == "lat" else n
                                 for d, n in zip(var.dims, var.shape, strict=True)]
                meta["chunk_grid"]["configuration"]["chunk_shape"] = list(
                    encoding[name]["chunks"])
                meta_path.parent.mkdir()
                meta_path.write_text(json.dumps(meta, indent=2))
            else:
                self.prototypes[keys[name]] = {"json": meta_path.read_text()}
            files = ChunkFiles.of(self.tmp / name)
            if files is None:  # pragma: no cover - output_encoding makes only such arrays
                raise StoreError(f"{self.tmp / name}: a layout the chunk writer does not know")
            self.arrays[name] = (tuple(map(str, var.dims)), files)
        self.created = True

    def _templates(self, cells: dict[str, xr.DataArray], encoding: dict[str, dict[str, Any]]
                   ) -> dict[str, xr.Variable]:
        """Per-cell variables on the whole grid as Dask arrays never computed."""
        import dask.array

        out = {}
        for name, var in cells.items():
            shape = tuple(self.lat.size if d == "lat" else n
                          for d, n in zip(var.dims, var.shape, strict=True))
            # compute=False writes only the metadata: one chunk and a name, for Dask's
            # tokenizing cost ~70 ms a partition.
            data = dask.array.empty(shape, dtype=var.dtype, chunks=shape,
                                    name=f"template-{name}-{id(self)}")
            out[name] = xr.Variable(var.dims, data, json_safe(var.attrs))
        return out

    def _prototype_key(self, name: str, var: xr.DataArray, encoding: dict[str, Any]) -> str:
        """What a per-cell array's metadata depends on, but for its number of epochs."""
        return json.dumps([name, str(var.dtype), list(var.dims), json_safe(var.attrs),
                           {d: n for d, n in zip(var.dims, var.shape, strict=True)
                            if d != "time"}, self.lat.values.tolist(), self.lat_rows,
                           [c.to_dict() for c in encoding["compressors"]],
                           [c for d, c in zip(var.dims, encoding["chunks"], strict=True)
                            if d != "time"]], sort_keys=True, default=str)

    def write(self, part: xr.Dataset, band: slice) -> None:
        if part.sizes["time"] == 0:
            return
        if not self.created:
            self._create(part)
            self.attrs = dict(part.attrs)
        for name, (dims, files) in self.arrays.items():
            values = part[name].values
            files.write(values, tuple(band.start if d == "lat" else 0 for d in dims))
        self.counts["n_positive"] += int(np.count_nonzero(part["positive"].values))
        self.counts["n_negative"] += int(np.count_nonzero(part["negative"].values))
        self.counts["n_without_background"] += int(np.count_nonzero(np.isnan(
            part["dtec"].values)))
        self.counts["samples"] += int(part["tec"].size)

    def finish(self, extra: dict[str, Any], signature: str, run_id: str) -> dict[str, Any]:
        import zarr

        attrs = {k: v for k, v in {**self.attrs, **extra}.items()
                 if k.startswith(("background_", "anomaly_", "product", "producer",
                                  "interval_s", "lat_step", "lon_step", "shell_height"))}
        attrs.update({k: v for k, v in self.counts.items() if k != "samples"})
        attrs["provenance"] = json.dumps({
            "inputs": signature, "run_id": run_id,
            "written_by": f"{socket.gethostname()}:{os.getpid()}",
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")})
        group = zarr.open_group(self.tmp, mode="r+", zarr_format=3)
        group.attrs.update(json_safe(attrs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)  # consolidated metadata in v3
            zarr.consolidate_metadata(self.tmp)
        return attrs


def journal(root: Path, key: str, provenance: str) -> None:
    line = json.dumps({"partition": key, **json.loads(provenance)}) + "\n"
    # One short O_APPEND write per partition: lines of concurrent writers never interleave.
    fd = os.open(root / "writes.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
