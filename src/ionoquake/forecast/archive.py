"""Issued forecasts, stored immutably and re-computable byte-for-byte.

Layout: ``<store>/forecasts/<model>/<issue time>.parquet``, one file per issued
forecast: one row per grid cell (``lat``, ``lon``, ``spatial_rate``,
``baseline_rate``, ``alarm_score``) and, in the Parquet schema metadata, the
forecast's attrs (issue time, config and its SHA-256, SHA-256 of the visible
inputs), the magnitude shares and ``forecast_sha256``, the SHA-256 of all of
that. The file is written once (atomically); writing the same forecast again
changes nothing, writing a different one under the same issue time raises
:class:`~ionoquake.forecast.grid.ForecastError` -- an issued forecast is never
revised. The bytes depend only on the forecast (no wall-clock time is stored),
so re-computing from the same inputs and config gives the identical file.

:func:`export_csep` writes, beside a stored file, ``<issue time>.dat``: the same forecast
(``spatial_rate`` per cell and magnitude bin) in the CSEP ASCII format that pyCSEP's
``load_gridded_forecast`` reads (:mod:`ionoquake.forecast.csep_export`). It is made on
demand, not with every forecast: the text format takes ~60 bytes per bin (~40 MB for a
global 2° grid of 41 magnitude bins, against ~0.1 MB of Parquet), and pyCSEP reads
it only uncompressed (it picks the reader by the extension ``.dat``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.forecast.csep_export import write_csep_ascii
from ionoquake.forecast.grid import ForecastError

__all__ = ["ForecastWrite", "csep_path", "export_csep", "forecast_metadata", "forecast_path",
           "read_forecast", "write_forecast"]

_META_KEY = b"ionoquake.forecast"
_CELL_VARIABLES = ("spatial_rate", "baseline_rate", "alarm_score")


@dataclass(frozen=True)
class ForecastWrite:
    """What :func:`write_forecast` did."""

    path: Path
    forecast_sha256: str
    written: bool


def forecast_path(store: str | os.PathLike[str], model: str, issue_time: str) -> Path:
    """The file of the forecast of ``model`` issued at ``issue_time`` (ISO 8601)."""
    if not model or "/" in model or model.startswith("."):
        raise ForecastError(f"invalid model name {model!r}")
    stamp = pd.Timestamp(issue_time).strftime("%Y-%m-%dT%H%M%S")
    return Path(store) / "forecasts" / model / f"{stamp}.parquet"


def csep_path(path: str | os.PathLike[str]) -> Path:
    """The CSEP ASCII file (``.dat``) beside the forecast file ``path``."""
    return Path(path).with_suffix(".dat")


def export_csep(path: str | os.PathLike[str]) -> Path:
    """Write the stored forecast ``path`` as CSEP ASCII beside it (:func:`csep_path`)."""
    return write_csep_ascii(read_forecast(path), csep_path(path))


def _table(ds: xr.Dataset) -> tuple[pa.Table, dict[str, Any]]:
    lat2, lon2 = np.meshgrid(ds["lat"].to_numpy(), ds["lon"].to_numpy(), indexing="ij")
    columns = {"lat": lat2.ravel(), "lon": lon2.ravel()}
    columns.update({v: ds[v].to_numpy().astype(float).ravel() for v in _CELL_VARIABLES})
    meta = {
        "attrs": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.attrs.items()},
        "magnitude": ds["magnitude"].to_numpy().tolist(),
        "magnitude_fraction": ds["magnitude_fraction"].to_numpy().tolist(),
        "shape": [int(ds.sizes["lat"]), int(ds.sizes["lon"])],
    }
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in table.column_names:
        digest.update(np.ascontiguousarray(columns[name]).tobytes())
    meta["forecast_sha256"] = digest.hexdigest()
    return table, meta


def write_forecast(store: str | os.PathLike[str], ds: xr.Dataset) -> ForecastWrite:
    """Store an issued forecast once; the same forecast again is a no-op.

    Raises
    ------
    ForecastError
        If a different forecast is already stored for that model and issue time.
    """
    path = forecast_path(store, ds.attrs["model"], ds.attrs["issue_time"])
    table, meta = _table(ds)
    if path.exists():
        old = _metadata(path)
        if old.get("forecast_sha256") == meta["forecast_sha256"]:
            return ForecastWrite(path, meta["forecast_sha256"], written=False)
        raise ForecastError(
            f"{path}: a different forecast was already issued for {ds.attrs['model']} at "
            f"{ds.attrs['issue_time']} (sha256 {old.get('forecast_sha256')}, new "
            f"{meta['forecast_sha256']}); issued forecasts are immutable")
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta, sort_keys=True).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return ForecastWrite(path, meta["forecast_sha256"], written=True)


def _metadata(path: Path) -> dict[str, Any]:
    metadata = pq.read_schema(path).metadata or {}
    if _META_KEY not in metadata:
        raise ForecastError(f"{path}: not an ionoquake forecast file (no {_META_KEY.decode()} "
                            "metadata)")
    out: dict[str, Any] = json.loads(metadata[_META_KEY])
    return out


def forecast_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The stored metadata of a forecast file (attrs, hashes) without reading its cells."""
    return _metadata(Path(path))


def read_forecast(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a stored forecast back as the Dataset :func:`write_forecast` was given.

    The content hash is recomputed and checked; a mismatch raises ForecastError.
    """
    path = Path(path)
    meta = _metadata(path)
    table = pq.read_table(path)
    n_lat, n_lon = meta["shape"]
    lat = table["lat"].to_numpy().reshape(n_lat, n_lon)[:, 0]
    lon = table["lon"].to_numpy().reshape(n_lat, n_lon)[0, :]
    dims = ("lat", "lon")
    ds = xr.Dataset(
        {v: (dims, table[v].to_numpy().reshape(n_lat, n_lon)) for v in _CELL_VARIABLES},
        coords={"lat": lat, "lon": lon, "magnitude": np.asarray(meta["magnitude"])},
        attrs=meta["attrs"])
    ds["magnitude_fraction"] = ("magnitude", np.asarray(meta["magnitude_fraction"]))
    _, again = _table(ds)
    if again["forecast_sha256"] != meta["forecast_sha256"]:
        raise ForecastError(f"{path}: content does not match its forecast_sha256")
    return ds
