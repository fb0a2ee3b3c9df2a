"""The detection stage as the CLI calls it: maps in, NetCDF + PNG + CSV out.

* :func:`detect_to_files` -- anomalies of every cell (NetCDF), the cluster table
  (CSV) and a figure of the ΔTEC maps of the epochs with most anomalous cells (PNG);
* :func:`event_to_files` -- the earthquake-centred series (NetCDF), the
  days-before table (CSV), the series figure and the ΔTEC maps around the event (PNG).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.detect.anomalies import DEFAULT_RULES, detect_anomalies, flag_counts
from ionoquake.detect.background import DEFAULT_CONFIG, BackgroundConfig
from ionoquake.detect.clusters import anomaly_clusters
from ionoquake.detect.event import days_before_table, event_analysis
from ionoquake.detect.quiet import QuietRules
from ionoquake.quake import Earthquake
from ionoquake.report import detection as figures
from ionoquake.report.figures import save
from ionoquake.store.cf import cf_encode
from ionoquake.store.csv_tables import write_csv


@dataclass(frozen=True)
class Outputs:
    """Paths written by a stage, its main result for printing, and the anomalies.

    ``anomalies`` are what was written to ``netcdf``, for the next step of a job (no
    reading back). The cluster table is read back from ``table`` by whoever makes
    alarms of it, as ``ionoquake evaluate --clusters FILE`` does.
    """

    netcdf: Path
    table: Path
    figures: tuple[Path, ...]
    summary: dict[str, Any]
    anomalies: xr.Dataset | None = None


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], *, title: str | None = None,
                 source: str | None = None) -> Path:
    """Write a Dataset as CF-1.8 NetCDF-4 (zlib level 4; :func:`ionoquake.store.cf.cf_encode`).

    Dict attributes become JSON strings, TECU becomes ``1e16 m-2`` with a TECU long name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe, encoding = cf_encode(
        ds, title=title or f"ionoquake {path.stem}",
        source=source or "; ".join(str(ds.attrs[k]) for k in ("product", "anomaly_method")
                                   if ds.attrs.get(k)) or "ionoquake")
    for name in safe.data_vars:
        encoding.setdefault(str(name), {}).update(zlib=True, complevel=4)
    with atomic_path(path) as tmp:
        safe.to_netcdf(tmp, encoding=encoding)
    return path


def most_anomalous_epochs(anomalies: xr.Dataset, n: int = 4,
                          within: tuple[np.datetime64, np.datetime64] | None = None
                          ) -> list[np.datetime64]:
    """The ``n`` epochs with most anomalous cells (optionally within a time span), in order."""
    counts = flag_counts(anomalies)
    if within is not None:
        counts = counts.loc[within[0]:within[1]]
    total = counts["n_positive"] + counts["n_negative"]
    top = total[total > 0].sort_values(ascending=False, kind="stable").index[:n]
    return [np.datetime64(t) for t in sorted(top)]


def zone_epochs(event: xr.Dataset, n: int = 4, days: int = 10) -> list[np.datetime64]:
    """The ``n`` epochs of the last ``days`` before the event with the largest anomalous
    area fraction of the zone (positive plus negative), in time order."""
    quake = np.datetime64(event.attrs["event_time"])
    t = event["time"].values
    inside = (t < quake) & (t >= quake - np.timedelta64(days, "D"))
    frac = (event["zone_positive_fraction"] + event["zone_negative_fraction"]).values[inside]
    order = np.argsort(-np.nan_to_num(frac), kind="stable")[:n]
    return [np.datetime64(x) for x in sorted(t[inside][order[frac[order] > 0]])]


def detect_to_files(maps: xr.Dataset, out_dir: str | os.PathLike[str], *,
                    config: BackgroundConfig = DEFAULT_CONFIG,
                    indices: pd.DataFrame | None = None, rules: QuietRules = DEFAULT_RULES,
                    name: str = "anomalies", n_maps: int = 4,
                    anomalies: xr.Dataset | None = None) -> Outputs:
    """Detect anomalies on ``maps`` and write ``<name>.nc``, ``<name>_clusters.csv`` and
    ``<name>_maps.png`` (ΔTEC of the ``n_maps`` epochs with most anomalous cells).

    ``anomalies`` already computed (e.g. on a Dask cluster by
    :func:`ionoquake.scale.detect.detect_archive`) are used as they are."""
    out = Path(out_dir)
    if anomalies is None:
        anomalies = detect_anomalies(maps, config, indices=indices, rules=rules)
    clusters = anomaly_clusters(anomalies)
    nc = write_netcdf(anomalies, out / f"{name}.nc", title=(
        f"TEC anomalies of {maps.attrs.get('product', 'the maps')} against a running background"))
    table = out / f"{name}_clusters.csv"
    write_csv(clusters, table)
    pngs = []
    epochs = most_anomalous_epochs(anomalies, n_maps)
    if epochs:
        pngs.append(save(figures.dtec_maps(anomalies, epochs,
                                           title=f"{maps.attrs.get('product', '')} ΔTEC"),
                         out / f"{name}_maps.png"))
    summary = {"epochs": int(anomalies.sizes["time"]),
               "epochs_with_background": int(anomalies["dtec"].notnull().any(
                   [d for d in anomalies["dtec"].dims if d != "time"]).sum()),
               "positive_cells": int(anomalies["positive"].sum()),
               "negative_cells": int(anomalies["negative"].sum()), "clusters": len(clusters)}
    return Outputs(nc, table, tuple(pngs), summary, anomalies)


def event_to_files(maps: xr.Dataset, quake: Earthquake, out_dir: str | os.PathLike[str], *,
                   config: BackgroundConfig = DEFAULT_CONFIG,
                   indices: pd.DataFrame | None = None, rules: QuietRules = DEFAULT_RULES,
                   anomalies: xr.Dataset | None = None, days_before: int = 30,
                   days_after: int = 10, name: str | None = None, n_maps: int = 4) -> Outputs:
    """Analyse one earthquake and write ``<name>.nc``, ``<name>_days.csv``,
    ``<name>_series.png`` and ``<name>_maps.png`` (ΔTEC maps of the ``n_maps`` epochs
    with most anomalous cells in the 10 days before the event)."""
    out = Path(out_dir)
    name = name or f"event_{quake.event_id or np.datetime_as_string(quake.time, 'D')}"
    if anomalies is None:
        anomalies = detect_anomalies(maps, config, indices=indices, rules=rules)
    ds = event_analysis(maps, quake, config=config, anomalies=anomalies, indices=indices,
                        rules=rules, days_before=days_before, days_after=days_after)
    days = days_before_table(ds)
    nc = write_netcdf(ds, out / f"{name}.nc", title=(
        f"TEC at the epicentre, its conjugate point and preparation zone of {quake.name or name}"))
    table = out / f"{name}_days.csv"
    write_csv(days, table, float_format="%.4g")
    pngs = [save(figures.event_series(ds), out / f"{name}_series.png")]
    epochs = zone_epochs(ds, n_maps, days=10)
    if epochs:
        pngs.append(save(figures.dtec_maps(
            anomalies, epochs, epicentre=(quake.latitude, quake.longitude),
            radius_km=ds.attrs["zone_radius_km"],
            title=f"{quake.name} M{quake.magnitude}: ΔTEC on the epochs with the largest "
                  "anomalous fraction of the zone in the 10 days before"),
            out / f"{name}_maps.png"))
    before = days[(days["day"] < 0) & (days["n_epochs"] > 0)]
    summary = {"days_with_epicentre_anomaly": int(
        ((before["epicentre_positive"] + before["epicentre_negative"]) > 0).sum()),
        "days_before": len(before), "conjugate": (ds.attrs["conjugate_lat"],
                                                  ds.attrs["conjugate_lon"])}
    return Outputs(nc, table, tuple(pngs), summary)
