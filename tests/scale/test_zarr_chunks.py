"""Chunk files read and written directly read back through Zarr bit for bit, and the reverse.

Reference: Zarr 3 itself (``zarr.create_array`` / ``Array.__getitem__``) on the same
arrays; layouts ChunkFiles does not implement must be refused, not misread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from zarr.codecs import BloscCodec, BytesCodec, GzipCodec, ZstdCodec

from ionoquake.errors import StoreError
from ionoquake.scale.zarr_chunks import ChunkFiles

CODECS: dict[str, Any] = {"none": None, "zstd": [ZstdCodec(level=1)],
                          "blosc": [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]}
DTYPES = ("float32", "float64", "int16", "int8", "bool")


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) > 0.7
    if dtype.startswith("int"):
        return rng.integers(-100, 100, shape).astype(dtype)
    values = rng.normal(size=shape).astype(dtype)
    values[rng.random(shape) > 0.9] = np.nan  # NaN is the fill value: stored, not skipped
    return values


def _array(path: Path, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str,
           codec: str) -> zarr.Array:
    fill = False if dtype == "bool" else (0 if dtype.startswith("int") else np.nan)
    return zarr.create_array(path, shape=shape, chunks=chunks, dtype=dtype, zarr_format=3,
                             compressors=CODECS[codec], fill_value=fill)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=3),
       data=st.data(), dtype=st.sampled_from(DTYPES), codec=st.sampled_from(list(CODECS)))
def test_written_chunks_read_back_through_zarr(tmp_path_factory: pytest.TempPathFactory,
                                               shape: list[int], data: st.DataObject,
                                               dtype: str, codec: str) -> None:
    chunks = tuple(data.draw(st.integers(1, n + 2)) for n in shape)  # edge chunks included
    path = tmp_path_factory.mktemp("a") / "v"
    array = _array(path, tuple(shape), chunks, dtype, codec)
    files = ChunkFiles.of(path)
    assert files is not None
    rng = np.random.default_rng(len(shape) * 7 + sum(chunks))
    expected = _values(rng, tuple(shape), dtype)
    # Write a region of whole chunks first, then the rest, as the bands of a task do.
    split = min(chunks[0], shape[0])
    files.write(expected[:split], (0,) * len(shape))
    if split < shape[0]:
        files.write(expected[split:], (split,) + (0,) * (len(shape) - 1))
    got = array[...]
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    # ... and ChunkFiles reads what Zarr wrote.
    array[...] = expected[::-1].copy()
    np.testing.assert_array_equal(files.read(), expected[::-1])


def test_missing_chunks_read_as_the_fill_value(tmp_path: Path) -> None:
    array = _array(tmp_path / "v", (6, 4), (2, 4), "float32", "zstd")
    array[2:4] = np.ones((2, 4), np.float32)
    files = ChunkFiles.of(tmp_path / "v")
    assert files is not None
    np.testing.assert_array_equal(files.read(), array[...])
    assert np.isnan(files.read()[[0, 1, 4, 5]]).all()


def test_regions_that_are_not_whole_chunks_are_refused(tmp_path: Path) -> None:
    _array(tmp_path / "v", (10, 4), (4, 4), "float32", "none")
    files = ChunkFiles.of(tmp_path / "v")
    assert files is not None
    with pytest.raises(StoreError, match="not whole chunks"):
        files.write(np.zeros((4, 4), np.float32), (2, 0))  # starts inside a chunk
    with pytest.raises(StoreError, match="not whole chunks"):
        files.write(np.zeros((3, 4), np.float32), (0, 0))  # ends inside one
    with pytest.raises(StoreError, match="not whole chunks"):
        files.write(np.zeros((4, 4), np.float32), (8, 0))  # beyond the end
    with pytest.raises(StoreError, match="float64 into a float32"):
        files.write(np.zeros((4, 4)), (0, 0))
    files.write(np.zeros((2, 4), np.float32), (8, 0))  # the edge chunk: fine


@pytest.mark.parametrize("kind", ["gzip", "sharding", "big-endian", "string", "v2"])
def test_layouts_it_does_not_implement_are_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "v"
    if kind == "gzip":
        zarr.create_array(path, shape=(4,), chunks=(2,), dtype="f4", compressors=[GzipCodec()],
                          zarr_format=3)
    elif kind == "sharding":
        zarr.create_array(path, shape=(8,), chunks=(2,), shards=(4,), dtype="f4",
                          zarr_format=3)
    elif kind == "big-endian":
        zarr.create_array(path, shape=(4,), chunks=(2,), dtype="f4", zarr_format=3,
                          serializer=BytesCodec(endian="big"))
        meta = json.loads((path / "zarr.json").read_text())
        assert meta["codecs"][0]["configuration"]["endian"] == "big"
    elif kind == "string":
        zarr.create_array(path, shape=(4,), chunks=(2,), dtype=str, zarr_format=3)
    else:
        zarr.create_array(path, shape=(4,), chunks=(2,), dtype="f4", zarr_format=2)
        (path / "zarr.json").write_text(json.dumps({"zarr_format": 2}))
    assert ChunkFiles.of(path) is None
