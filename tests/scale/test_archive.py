"""The series store: one year of the real JPL maps rechunked per cell, exactly the daily values.

Archive: the 55 JPL days 2000-11-21 .. 2001-01-14 (``jpl_store``); the year written is
2000, i.e. its 41 stored days (492 two-hourly maps on the 71 x 73 grid).
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from ionoquake.scale import archive
from ionoquake.scale.archive import series_chunks, series_path, write_series
from ionoquake.store import maps


@pytest.fixture(scope="module")
def daily(jpl_store: Path) -> xr.Dataset:
    """The stored maps of 2000, read day by day (the in-process reader)."""
    return maps.open_maps(jpl_store, "jplg", "2000-01-01", "2000-12-31")


def _chunks(target: Path, name: str) -> tuple[int, ...]:
    meta = json.loads((target / name / "zarr.json").read_text())
    return tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])


def test_the_series_store_holds_the_daily_values_in_cell_chunks(
        jpl_store: Path, daily: xr.Dataset, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    (store / "maps").mkdir(parents=True)
    (store / "maps" / "jplg").symlink_to(jpl_store / "maps" / "jplg")
    target = write_series(store, "jplg", 2000, variables=("tec", "rms"))
    assert target == series_path(store, "jplg", 2000) == store / "series/jplg/2000.zarr"
    assert daily.sizes == {"time": 492, "lat": 71, "lon": 73}
    expected = series_chunks(492, 71, 73)
    with xr.open_zarr(target, consolidated=True) as series:
        for name in ("tec", "rms"):
            assert series[name].equals(daily[name]), name
            assert _chunks(target, name) == (expected["time"], expected["lat"], expected["lon"])
        assert series.attrs["chunking"] == (
            f"series store: {json.dumps(expected)} (ionoquake.scale.archive)")
    assert json.loads((target / "zarr.json").read_text())["consolidated_metadata"]["metadata"]
    # With a smaller chunk aim the grid is cut into blocks of cells; values still exact.
    monkeypatch.setattr(archive, "series_chunks",
                        functools.partial(series_chunks, target_bytes=492 * 4 * 20 * 20))
    write_series(store, "jplg", 2000)
    with xr.open_zarr(target, consolidated=True) as series:
        assert list(series.data_vars) == ["tec"]
        assert _chunks(target, "tec") == (492, 20, 20)
        assert series["tec"].equals(daily["tec"])


def test_a_failed_rewrite_leaves_the_previous_year_intact(
        jpl_store: Path, daily: xr.Dataset, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    (store / "maps").mkdir(parents=True)
    (store / "maps" / "jplg").symlink_to(jpl_store / "maps" / "jplg")
    target = write_series(store, "jplg", 2000)
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    real_to_zarr = xr.Dataset.to_zarr

    def dies_mid_write(self: xr.Dataset, store: Any, **kwargs: Any) -> None:
        real_to_zarr(self, store, **{**kwargs, "compute": False})  # metadata, no chunks
        assert any(Path(store).rglob("zarr.json")), "the partial write should exist"
        raise OSError("No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_zarr", dies_mid_write)
    with pytest.raises(OSError, match="No space left"):
        write_series(store, "jplg", 2000, variables=("tec", "rms"))
    monkeypatch.undo()
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in target.parent.iterdir()] == ["2000.zarr"], "a temporary was left"
    with xr.open_zarr(target, consolidated=True) as series:
        assert series["tec"].equals(daily["tec"])


@pytest.mark.parametrize("variables", [None, ("tec",)])
def test_reading_the_chunk_files_gives_what_xarray_reads(jpl_store: Path,
                                                         variables: tuple[str, ...] | None
                                                         ) -> None:
    """read_span on a local store (chunk files) equals the xarray reader, attrs and all."""
    parts = archive.day_partitions(jpl_store, "jplg")
    first, last = np.datetime64("2000-11-25"), np.datetime64("2000-12-20")
    chosen = [t for d, t in parts.items() if first <= d <= last]
    reference = archive._read_with_xarray(chosen, variables, None)
    got = archive.read_span(jpl_store, "jplg", first, last, variables=variables)
    assert archive._read_local(chosen, variables) is not None, "the fast path should apply"
    assert got is not None and got.identical(reference)
    assert list(got.data_vars) == list(reference.data_vars)
    assert got.attrs == reference.attrs
    for name in got.variables:
        assert got[name].dtype == reference[name].dtype, name
        assert got[name].encoding.keys() == reference[name].encoding.keys(), name
        assert got[name].encoding.get("units") == reference[name].encoding.get("units"), name


@pytest.mark.filterwarnings("ignore:Consolidated metadata")
def test_a_day_it_cannot_read_directly_falls_back_to_xarray(jpl_store: Path,
                                                            tmp_path: Path) -> None:
    """A day stored with another codec (gzip) or a scale factor is read by xarray."""
    from zarr.codecs import GzipCodec

    store = tmp_path / "store"
    days = sorted((jpl_store / "maps" / "jplg" / "2000").glob("2000-12-0[1-4].zarr"))
    for day in days:
        target = store / "maps" / "jplg" / "2000" / day.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(day, target)
    odd = store / "maps" / "jplg" / "2000" / days[2].name
    with xr.open_zarr(odd, consolidated=True) as ds:
        loaded = ds.load()
    for name in loaded.variables:
        loaded[name].encoding = {}
    shutil.rmtree(odd)
    loaded.to_zarr(odd, zarr_format=3, consolidated=True,
                   encoding={"tec": {"compressors": [GzipCodec()]}})
    first, last = np.datetime64("2000-12-01"), np.datetime64("2000-12-04")
    chosen = list(archive.day_partitions(store, "jplg").values())
    assert archive._read_local(chosen, ("tec",)) is None
    got = archive.read_span(store, "jplg", first, last, variables=("tec",))
    assert got is not None and got.identical(archive._read_with_xarray(chosen, ("tec",), None))
    # A scale factor: values are not stored as they decode.
    shutil.rmtree(odd)
    loaded.to_zarr(odd, zarr_format=3, consolidated=True,
                   encoding={"tec": {"scale_factor": 0.1, "dtype": "int16",
                                     "_FillValue": -1}})
    assert archive._read_local(chosen, ("tec",)) is None
    got = archive.read_span(store, "jplg", first, last, variables=("tec",))
    assert got is not None and got.identical(archive._read_with_xarray(chosen, ("tec",), None))


@pytest.mark.parametrize("damaged", ["2000-11-25", "2000-12-01"])  # the span's first day or not
def test_a_damaged_day_is_named_on_either_read_path(jpl_store: Path, tmp_path: Path,
                                                    damaged: str) -> None:
    from ionoquake.errors import StoreError

    store = tmp_path / "store"
    shutil.copytree(jpl_store, store)
    part = next(store.rglob(f"{damaged}.zarr"))
    chunk = next(p for p in (part / "tec" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:20])  # a full disk or a killed copy
    parts = archive.day_partitions(store, "jplg")
    first, last = np.datetime64("2000-11-25"), np.datetime64("2000-12-05")
    # the first day is decoded by xarray, the others from their chunk files
    where = rf"{part}: damaged" if damaged == "2000-11-25" else rf"{chunk}: damaged chunk"
    with pytest.raises(StoreError, match=where):
        archive.read_span(store, "jplg", first, last, partitions=parts)
    chosen = [t for d, t in parts.items() if first <= d <= last]
    with pytest.raises(StoreError, match=rf"{part}: damaged, cannot be decoded \(RuntimeError"):
        archive._read_with_xarray(chosen, None, None)
