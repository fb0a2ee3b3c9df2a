"""Detection output partitions: created on the whole grid, filled latitude band by band.

A task of :func:`ionoquake.scale.detect.detect_block` writes each band of results
straight into the Zarr partitions it owns (region writes), so it holds one band at a
time whatever its block length; :class:`PartitionWriter` sets the attributes at the
end (counts summed over the bands, provenance) and consolidates the metadata, and
:func:`journal` records the write. The caller renames the temporaries into place.
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

#: Aim of one chunk of an output partition (bytes): see :func:`output_encoding`.
OUTPUT_CHUNK_BYTES = 32 * 2**20


def json_safe(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v.tolist() if isinstance(v, np.ndarray) else v)
                if isinstance(v, (dict, list, np.ndarray)) else v) for k, v in attrs.items()}


def output_encoding(ds: xr.Dataset, lat_rows: int) -> dict[str, dict[str, Any]]:
    """Chunks and codec of an output partition: latitude bands, epochs up to ~OUTPUT_CHUNK_BYTES.

    A chunk is ``lat_rows`` whole latitude rows (the task's band, so that every band is
    written on its own) and as many epochs as fit in OUTPUT_CHUNK_BYTES: a month of
    2.5 x 5 degree hourly maps is 6 chunks a variable, a few MB each. zstd level 1
    compresses the flags ~20x and the noisy floats little, at twice the speed of the
    default level.
    """
    from zarr.codecs import ZstdCodec

    encoding: dict[str, dict[str, Any]] = {}
    for name, var in ds.data_vars.items():
        shape = {d: (min(lat_rows, n) if d == "lat" else n)
                 for d, n in zip(var.dims, var.shape, strict=True)}
        per_epoch = var.dtype.itemsize * math.prod(n for d, n in shape.items() if d != "time")
        epochs = max(1, min(shape.get("time", 1), OUTPUT_CHUNK_BYTES // max(per_epoch, 1)))
        encoding[str(name)] = {"chunks": tuple(epochs if d == "time" else n
                                               for d, n in shape.items()),
                               "compressors": [ZstdCodec(level=1)]}
    return encoding


class PartitionWriter:
    """One output partition written latitude band by latitude band into ``tmp``.

    The first band creates the arrays on the whole grid (metadata, coordinates and the
    per-epoch variables only); each band then writes its own rows, so a task holds one
    band of results at a time, whatever the length of its block. :meth:`finish` sets
    the attributes (counts summed over the bands) and consolidates the metadata.
    """

    def __init__(self, open_tmp: Callable[[], Path], lat: xr.DataArray, lat_rows: int) -> None:
        self.open_tmp, self.lat, self.lat_rows = open_tmp, lat, lat_rows
        self.tmp = Path()
        self.created = False
        self.counts = {"n_positive": 0, "n_negative": 0, "n_without_background": 0,
                       "samples": 0}
        self.attrs: dict[str, Any] = {}

    def _create(self, part: xr.Dataset) -> None:
        import dask.array

        encoding = output_encoding(part, self.lat_rows)
        variables = {}
        for name, var in part.data_vars.items():
            if "lat" in var.dims:
                shape = tuple(self.lat.size if d == "lat" else n
                              for d, n in zip(var.dims, var.shape, strict=True))
                data = dask.array.empty(shape, dtype=var.dtype,
                                        chunks=encoding[str(name)]["chunks"])
                variables[name] = xr.Variable(var.dims, data, json_safe(var.attrs))
            else:
                variables[name] = xr.Variable(var.dims, var.values, json_safe(var.attrs))
        coords = {name: c for name, c in part.coords.items() if "lat" not in c.dims}
        template = xr.Dataset(variables, coords={**coords, "lat": self.lat})
        self.tmp = self.open_tmp()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            template.to_zarr(self.tmp, mode="w", compute=False, consolidated=False,
                             zarr_format=3, encoding=encoding)
        self.created = True

    def write(self, part: xr.Dataset, band: slice) -> None:
        if part.sizes["time"] == 0:
            return
        if not self.created:
            self._create(part)
            self.attrs = dict(part.attrs)
        rows = part[[n for n, v in part.data_vars.items() if "lat" in v.dims]]
        rows = rows.drop_vars(list(rows.coords))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            rows.to_zarr(self.tmp, mode="r+", region={"time": slice(0, part.sizes["time"]),
                                                      "lat": band}, zarr_format=3,
                         consolidated=False)
        self.counts["n_positive"] += int(part["positive"].sum())
        self.counts["n_negative"] += int(part["negative"].sum())
        self.counts["n_without_background"] += int(part["dtec"].isnull().sum())
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
