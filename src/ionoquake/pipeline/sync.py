"""Mirror the archive's tables into the relational database the API reads.

The archive (Zarr maps, Parquet tables) is the record; the database is the
queryable copy. Syncing is an idempotent upsert, so it can run after every
ingest or daily step: rows equal to the stored ones are not written, and a sync
that writes no row leaves the database file unchanged (each function returns the
number of rows it wrote).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ionoquake.errors import StoreError
from ionoquake.store import database, schema
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.indices import read_indices, stored_sources
from ionoquake.store.schema import events, indices
from ionoquake.store.tables import table_path


def sync_database(store: str | os.PathLike[str], engine: sa.Engine) -> dict[str, int]:
    """Upsert the stored catalogue(s) and indices into ``engine``; return rows per table."""
    written = {"events": 0, "indices": 0}
    catalog_dir = table_path(store, "catalog", "x").parent
    for part in sorted(catalog_dir.glob("*.parquet")) if catalog_dir.is_dir() else []:
        df = read_catalog(store, part.stem)
        if "place" not in df.columns:
            df = df.assign(place=None)
        df = df.assign(source=df["source"].astype(str))
        written["events"] += database.upsert(engine, events, df)
    if stored_sources(store):
        try:
            table = read_indices(store)
        except StoreError:
            table = None
        if table is not None:
            written["indices"] = database.upsert(engine, indices, table)
    return written


def sync_clusters(engine: sa.Engine, product: str, clusters: pd.DataFrame) -> int:
    """Upsert an anomaly cluster table (:mod:`ionoquake.detect.clusters`) of ``product``."""
    if clusters.empty:
        return 0
    start = pd.to_datetime(clusters["start"])
    ids = [f"{product}-{t:%Y%m%dT%H%M}-{'p' if s > 0 else 'n'}{c}"
           for t, s, c in zip(start, clusters["sign"], clusters["cluster"], strict=True)]
    table = pd.DataFrame({
        "cluster_id": ids, "product": product, "start": start,
        "end": pd.to_datetime(clusters["end"]), "lat_min": clusters["lat_min"],
        "lat_max": clusters["lat_max"], "lon_min": clusters["lon_west"],
        "lon_max": clusters["lon_east"], "peak_time": pd.to_datetime(clusters["peak_time"]),
        "peak_lat": clusters["peak_lat"], "peak_lon": clusters["peak_lon"],
        "peak_severity": clusters["peak_severity"], "n_cells": clusters["n_cells"],
        "sign": clusters["sign"], "status": clusters["geomag"].astype(str)})
    return database.upsert(engine, schema.clusters, table)


def sync_passes(engine: sa.Engine, passes: pd.DataFrame) -> int:
    """Upsert a pass table (:mod:`ionoquake.orbits.passes`); key: satellite, zone, entry."""
    if passes.empty:
        return 0
    table = pd.DataFrame({
        "satellite": passes["satellite"].astype(str), "norad_id": passes["norad_id"],
        "zone_id": passes["zone_id"].astype(str), "entry": pd.to_datetime(passes["entry"]),
        "exit": pd.to_datetime(passes["exit"]),
        "closest_time": pd.to_datetime(passes["closest_time"]),
        "closest_km": passes["closest_km"], "closest_lat": passes["closest_lat"],
        "closest_lon": passes["closest_lon"], "local_time_h": passes["local_mean_time_h"],
        "ascending": passes["ascending"].astype(bool)})
    return database.upsert(engine, schema.passes, table, key=["norad_id", "zone_id", "entry"])


def sync_forecasts(engine: sa.Engine, store: str | os.PathLike[str]) -> int:
    """Upsert one row per forecast file stored under ``<store>/forecasts``."""
    from ionoquake.forecast.archive import forecast_metadata

    rows = []
    for path in sorted(Path(store, "forecasts").glob("*/*.parquet")):
        meta = forecast_metadata(path)
        attrs = meta.get("attrs", {})
        rows.append({"forecast_id": meta["forecast_sha256"][:64],
                     "issue_time": pd.Timestamp(attrs["issue_time"]),
                     "kind": str(attrs.get("model", path.parent.name)),
                     "config_json": str(attrs.get("config", "{}")),
                     "inputs_sha256": str(attrs.get("inputs_sha256", ""))[:64],
                     "payload": str(path.relative_to(store)),
                     "created_at": pd.Timestamp(attrs["issue_time"])})
    return database.upsert(engine, schema.forecasts, pd.DataFrame(rows)) if rows else 0


def sync_evaluation(engine: sa.Engine, evaluation_id: str, kind: str, statistic: float,
                    p_value: float, result: dict[str, Any]) -> int:
    """Record one evaluation result (its JSON next to the headline statistic and p-value).

    ``created_at`` is the time the result was first recorded or last changed: the
    same result recorded again writes nothing.
    """
    row = pd.DataFrame([{"evaluation_id": evaluation_id, "forecast_id": None, "kind": kind,
                         "statistic": statistic, "p_value": p_value,
                         "result_json": json.dumps(result, default=str),
                         "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}])
    return database.upsert(engine, schema.evaluations, row, not_compared=["created_at"])


def sync_alarms(engine: sa.Engine, alarms: pd.DataFrame, rules: dict[str, Any]) -> int:
    """Upsert an alarm table (:mod:`ionoquake.forecast.alarms`) made under ``rules``."""
    if alarms.empty:
        return 0
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]
    table = alarms.copy()
    table["rules"] = digest
    table["alarm_id"] = [f"{digest}-{t:%Y%m%dT%H%M}-{la:.2f}-{lo:.2f}" for t, la, lo in
                         zip(table["issued"], table["lat"], table["lon"], strict=True)]
    return database.upsert(engine, schema.alarms, table)
