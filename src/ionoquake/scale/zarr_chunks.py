"""Whole Zarr v3 chunks read and written as files, without Zarr's per-call machinery.

The detection tasks read hundreds of small daily partitions and write thousands of
chunks; through ``xarray``/``zarr`` each array access costs 1-20 ms of store, metadata
and event-loop handling (measured in ``benchmarks/bench_scale.py``), more than moving
its bytes. :class:`ChunkFiles` does the same I/O directly on a local file system for
the layouts ionoquake itself writes, following the Zarr v3 core specification
(https://zarr-specs.readthedocs.io/en/latest/v3/core/index.html):

* a ``regular`` chunk grid; edge chunks are stored with the whole chunk shape (the
  part beyond the array is ignored on reading; written here as zeros);
* the ``default`` chunk key encoding with separator ``/``: chunk ``(i, j, k)`` of
  array ``a`` is the file ``a/c/i/j/k``; a missing chunk reads as the fill value;
* the codecs ``bytes`` (little endian) and then at most one of ``zstd`` and
  ``blosc``, the same numcodecs codecs Zarr itself uses.

Anything else (sharding, transposes, other codecs, big-endian or string types) makes
:meth:`ChunkFiles.of` return None, and callers use Zarr. The metadata (``zarr.json``)
is always written by xarray/Zarr; only chunk bytes go through here, and what is
written reads back through Zarr bit for bit (``tests/scale/test_zarr_chunks.py``).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ionoquake.errors import StoreError

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _fill_value(value: Any, dtype: np.dtype[Any]) -> Any:
    """The fill value of the metadata as a Python scalar, or None if not understood."""
    if isinstance(value, str):
        return _SPECIAL_FLOATS.get(value) if dtype.kind == "f" else None
    if isinstance(value, bool | int | float):
        return value
    return None


def _compressor(codecs: list[dict[str, Any]], dtype: np.dtype[Any]) -> tuple[bool, Any]:
    """(understood, numcodecs codec or None) of a Zarr v3 codec list."""
    if not codecs or codecs[0].get("name") != "bytes":
        return False, None
    endian = (codecs[0].get("configuration") or {}).get("endian")
    if endian not in ("little", None) or (endian is None and dtype.itemsize > 1):
        return False, None
    if len(codecs) == 1:
        return True, None
    if len(codecs) > 2:
        return False, None
    name, config = codecs[1].get("name"), dict(codecs[1].get("configuration") or {})
    import numcodecs

    if name == "zstd":
        return True, numcodecs.Zstd(level=config.get("level", 0),
                                    checksum=config.get("checksum", False))
    if name == "blosc":
        shuffle = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}.get(str(config.get("shuffle")))
        if shuffle is None or config.get("typesize", dtype.itemsize) != dtype.itemsize:
            return False, None
        return True, numcodecs.Blosc(cname=config.get("cname", "zstd"),
                                     clevel=config.get("clevel", 5), shuffle=shuffle,
                                     blocksize=config.get("blocksize", 0))
    return False, None


class ChunkFiles:
    """The chunk files of one Zarr v3 array on a local file system (module docstring)."""

    def __init__(self, path: Path, shape: tuple[int, ...], chunks: tuple[int, ...],
                 dtype: np.dtype[Any], fill: Any, compressor: Any) -> None:
        self.path, self.shape, self.chunks = path, shape, chunks
        self.dtype, self.fill, self.compressor = dtype, fill, compressor
        self._made: set[Path] = set()

    @classmethod
    def of(cls, path: Path, meta: dict[str, Any] | None = None) -> ChunkFiles | None:
        """The array at ``path`` (its ``zarr.json``, or ``meta`` if given); None if unsupported."""
        if meta is None:
            meta = json.loads((path / "zarr.json").read_text())
        grid, keys = meta.get("chunk_grid", {}), meta.get("chunk_key_encoding", {})
        data_type = meta.get("data_type")
        if (meta.get("zarr_format") != 3 or meta.get("node_type") != "array"
                or grid.get("name") != "regular" or keys.get("name") != "default"
                or (keys.get("configuration") or {}).get("separator", "/") != "/"
                or meta.get("storage_transformers") or not isinstance(data_type, str)):
            return None
        try:
            dtype = np.dtype(data_type)
        except TypeError:
            return None
        if dtype.kind not in "biuf" or not meta.get("shape"):
            return None
        fill = _fill_value(meta.get("fill_value"), dtype)
        understood, compressor = _compressor(meta.get("codecs", []), dtype)
        if fill is None or not understood:
            return None
        return cls(path, tuple(meta["shape"]), tuple(grid["configuration"]["chunk_shape"]),
                   dtype, fill, compressor)

    def _key(self, index: tuple[int, ...]) -> Path:
        return self.path.joinpath("c", *map(str, index))

    def _grid(self, start: tuple[int, ...], stop: tuple[int, ...]) -> itertools.product[Any]:
        return itertools.product(*(range(a // c, -(-b // c))
                                   for a, b, c in zip(start, stop, self.chunks, strict=True)))

    def read(self) -> npt.NDArray[Any]:
        """The whole array (missing chunks are the fill value)."""
        out = np.empty(self.shape, self.dtype)
        for index in self._grid((0,) * len(self.shape), self.shape):
            region = tuple(slice(i * c, min((i + 1) * c, n))
                           for i, c, n in zip(index, self.chunks, self.shape, strict=True))
            try:
                raw = self._key(index).read_bytes()
            except FileNotFoundError:
                out[region] = self.fill
                continue
            try:
                data = self.compressor.decode(raw) if self.compressor is not None else raw
                chunk = np.frombuffer(data, self.dtype).reshape(self.chunks)
            except (RuntimeError, ValueError) as err:  # cut or overwritten
                raise StoreError(f"{self._key(index)}: damaged chunk, cannot be decoded "
                                 f"({type(err).__name__}: {err}); delete its day and ingest "
                                 f"the day's source file again") from err
            out[region] = chunk[tuple(slice(0, r.stop - r.start) for r in region)]
        return out

    def write(self, values: npt.NDArray[Any], start: tuple[int, ...]) -> None:
        """Write ``values`` at offset ``start``: a region of whole chunks (edges excepted).

        Each dimension of the region must begin on a chunk boundary and end on one or at
        the end of the array, so that no chunk is read, modified and written back.
        """
        if values.dtype != self.dtype:
            raise StoreError(f"{self.path}: writing {values.dtype} into a {self.dtype} array")
        stop = tuple(a + n for a, n in zip(start, values.shape, strict=True))
        for a, b, c, n in zip(start, stop, self.chunks, self.shape, strict=True):
            if a % c or (b % c and b != n) or b > n:
                raise StoreError(f"{self.path}: region {start}..{stop} of {self.shape} is not "
                                 f"whole chunks of {self.chunks}")
        for index in self._grid(start, stop):
            sel = tuple(slice(i * c - a, min((i + 1) * c, b) - a)
                        for i, c, a, b in zip(index, self.chunks, start, stop, strict=True))
            block = values[sel]
            if block.shape != self.chunks:  # an edge chunk: stored whole
                padded = np.zeros(self.chunks, self.dtype)
                padded[tuple(slice(0, n) for n in block.shape)] = block
                block = padded
            block = np.ascontiguousarray(block)
            data = self.compressor.encode(block) if self.compressor is not None else block.data
            target = self._key(index)
            if target.parent not in self._made:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
