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

import numpy as np
import pandas as pd
import sqlalchemy as sa
import xarray as xr

from ionoquake.detect.clusters import global_longitudes, label_clusters, segment_starts
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


def cluster_ids(product: str, clusters: pd.DataFrame) -> list[str]:
    """The database ids of the rows of a cluster table: product, start, sign and number."""
    start = pd.to_datetime(clusters["start"])
    return [f"{product}-{t:%Y%m%dT%H%M}-{'p' if s > 0 else 'n'}{c}"
            for t, s, c in zip(start, clusters["sign"], clusters["cluster"], strict=True)]


def sync_clusters(engine: sa.Engine, product: str, clusters: pd.DataFrame) -> int:
    """Upsert an anomaly cluster table (:mod:`ionoquake.detect.clusters`) of ``product``."""
    if clusters.empty:
        return 0
    start = pd.to_datetime(clusters["start"])
    table = pd.DataFrame({
        "cluster_id": cluster_ids(product, clusters), "product": product, "start": start,
        "end": pd.to_datetime(clusters["end"]), "lat_min": clusters["lat_min"],
        "lat_max": clusters["lat_max"], "lon_west": clusters["lon_west"],
        "lon_east": clusters["lon_east"], "peak_time": pd.to_datetime(clusters["peak_time"]),
        "peak_lat": clusters["peak_lat"], "peak_lon": clusters["peak_lon"],
        "peak_severity": clusters["peak_severity"], "n_cells": clusters["n_cells"],
        "sign": clusters["sign"], "status": clusters["geomag"].astype(str)})
    return database.upsert(engine, schema.clusters, table)


#: The jobs (demo, daily step) mirror anomalous cells at least this many bound distances out:
#: a quartile background flags ~40 % of all cells (1,050,539 in the demo's 40 days), of which
#: 3 % pass (32,360); SQLite writes ~13,000 rows/s. Every cell is in the detection's NetCDF.
MIRRORED_SEVERITY = 5.0


def anomaly_rows(product: str, anomalies: xr.Dataset, clusters: pd.DataFrame, *,
                 min_abs_severity: float | None = None) -> pd.DataFrame:
    """The ``anomalies`` table rows of a detection: one per anomalous cell and epoch.

    Cells are those flagged ``positive`` or ``negative`` by
    :func:`ionoquake.detect.anomalies.detect_anomalies` (the duplicated 180° column of a
    global grid, equal to -180°, left out as the clusters leave it out). ``cluster_id`` is
    the cluster of ``clusters`` (:func:`ionoquake.detect.clusters.anomaly_clusters` of the
    same anomalies, as written) the cell belongs to: cells are labelled again the way the
    clusters were, and each label is the cluster whose peak cell it holds (None for a
    cluster left out of the table, e.g. by ``min_cells``).
    """
    lat = anomalies["lat"].values.astype(float)
    lon = anomalies["lon"].values.astype(float)
    wraps, duplicated = global_longitudes(lon)
    keep = slice(0, len(lon) - 1 if duplicated else len(lon))
    times = anomalies["time"].values
    starts = segment_starts(times)
    cube = {v: anomalies[v].transpose("time", "lat", "lon").values[:, :, keep]
            for v in ("dtec", "dtec_percent", "severity")}
    disturbed = anomalies["geomag"].values == 1 if "geomag" in anomalies else None
    ids = cluster_ids(product, clusters) if not clusters.empty else []
    parts = []
    for sign, name in ((1, "positive"), (-1, "negative")):
        mask = anomalies[name].transpose("time", "lat", "lon").values[:, :, keep]
        labels, _ = label_clusters(mask, wrap_lon=wraps, starts=starts)
        t, y, x = np.nonzero(mask)
        of_label: dict[int, str] = {}
        mine = clusters["sign"].to_numpy() == sign if ids else np.zeros(0, bool)
        for i in np.flatnonzero(mine):
            row = clusters.iloc[i]
            ti = int(np.searchsorted(times, np.datetime64(pd.Timestamp(row["peak_time"]))))
            yi = int(np.argmin(np.abs(lat - float(row["peak_lat"]))))
            xi = int(np.argmin(np.abs(lon[keep] - float(row["peak_lon"]))))
            if ti < len(times) and labels[ti, yi, xi]:
                of_label[int(labels[ti, yi, xi])] = ids[i]
        parts.append(pd.DataFrame({
            "product": product, "time": times[t], "lat": lat[y], "lon": lon[keep][x],
            "dtec": cube["dtec"][t, y, x].astype(float),
            "rel_dtec_pct": cube["dtec_percent"][t, y, x].astype(float),
            "severity": cube["severity"][t, y, x].astype(float),
            "disturbed": disturbed[t] if disturbed is not None else None,
            "cluster_id": pd.Series(labels[t, y, x]).map(of_label).to_numpy()}))
    rows = pd.concat(parts, ignore_index=True)
    if min_abs_severity is not None:
        rows = rows[rows["severity"].abs() >= min_abs_severity]
    return rows.sort_values(["time", "lat", "lon"], kind="stable").reset_index(drop=True)


def sync_anomalies(engine: sa.Engine, product: str, anomalies: xr.Dataset,
                   clusters: pd.DataFrame, *, min_abs_severity: float | None = None) -> int:
    """Upsert the anomalous cells of a detection (:func:`anomaly_rows`); the clusters first.

    Key: product, time, lat, lon. Clusters are upserted first (``sync_clusters``) so that
    every ``cluster_id`` references a stored cluster. A quartile background flags a large
    share of all cells (about 40 % of a 2.5° x 5° map): ``min_abs_severity`` keeps the
    mirror to the strongest (the NetCDF file of the detection has every cell); SQLite
    writes about 13,000 rows/s.
    """
    sync_clusters(engine, product, clusters)
    rows = anomaly_rows(product, anomalies, clusters, min_abs_severity=min_abs_severity)
    return database.upsert(engine, schema.anomalies, rows,
                           key=["product", "time", "lat", "lon"]) if len(rows) else 0


def sync_zones(engine: sa.Engine, zones: pd.DataFrame) -> int:
    """Upsert a zone table (:data:`ionoquake.orbits.zones.ZONE_COLUMNS`; vertices not kept)."""
    if zones.empty:
        return 0
    table = pd.DataFrame({"zone_id": zones["zone_id"].astype(str),
                          **{c: zones[c] for c in ("lat", "lon", "radius_km") if c in zones},
                          **({"kind": zones["kind"].astype(str)} if "kind" in zones else {})})
    return database.upsert(engine, schema.zones, table)


def sync_passes(engine: sa.Engine, passes: pd.DataFrame, zones: pd.DataFrame | None = None,
                ) -> int:
    """Upsert a pass table (:mod:`ionoquake.orbits.passes`); key: satellite, zone, entry.

    ``zones`` (the zone table the passes were computed over) are upserted first; without
    them, the zone ids the passes name are recorded with an unknown centre, so that every
    ``passes.zone_id`` references a stored zone.
    """
    if zones is not None:
        sync_zones(engine, zones)
    if passes.empty:
        return 0
    named = pd.DataFrame({"zone_id": passes["zone_id"].astype(str).unique()})
    database.upsert(engine, schema.zones, named)  # known zones are left as they are
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
