"""The operational step (``ionoquake daily --date D``): one day of the ground segment.

1. fetch the day's products when online (GIM of the producer, CelesTrak indices,
   the FDSN catalogue of the last days) and ingest them -- offline, or when a
   product is not published yet, the step goes on with what the archive holds and
   says so;
2. detect anomalies on the epochs of D, against the backgrounds of the
   ``window_days`` before it;
3. turn the clusters of D into alarms (the alarm rules);
4. issue the forecast for D+1 00:00 UTC with :func:`ionoquake.forecast.run.run_daily`
   (an as-of view that cannot see anything stamped at or after its issue time), and
   store it immutably;
5. mirror clusters and forecast into the database.

Every step is idempotent, so the whole job is safe to re-run and resumes after a
crash by running it again: downloads are cached and resumed, ingests skip what is
stored, an issued forecast is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.background import BackgroundConfig, preceding_days
from ionoquake.detect.clusters import anomaly_clusters
from ionoquake.detect.decluster import decluster
from ionoquake.detect.quiet import rules_for
from ionoquake.errors import FetchError, IonoquakeError
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.archive import write_forecast
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.pipeline.sync import (
    MIRRORED_SEVERITY,
    sync_alarms,
    sync_anomalies,
    sync_database,
    sync_forecasts,
)
from ionoquake.store import database, maps
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.indices import read_indices, stored_sources
from ionoquake.store.ingest import ingest_path


@dataclass
class DailyResult:
    """What one daily step did, step by step, in words."""

    date: dt.date
    steps: list[str] = field(default_factory=list)
    forecast: Path | None = None
    forecast_written: bool = False
    n_alarms: int = 0


def _fetch(result: DailyResult, store: Path, date: dt.date, producer: str,
           base_urls: dict[str, str]) -> None:
    from ionoquake.sources import fdsn, indices_fetch, ionex_fetch
    from ionoquake.store.catalogs import ingest_catalog
    from ionoquake.store.provenance import file_record

    cache = store / "cache"

    def ingest_fetched(outcomes: Sequence[Any]) -> str:
        """Ingest what was downloaded or cached; the first outcome's status says which."""
        for item in outcomes:
            if item.path is not None:
                ingest_path(store, item.path)
        return str(outcomes[0].status)

    def gim() -> str:
        return ingest_fetched(ionex_fetch.fetch(date, date, cache, producer=producer,
                                                base_url=base_urls.get("gim")))

    def indices() -> str:
        return ingest_fetched(indices_fetch.fetch(date, date, cache, source="celestrak",
                                                  base_url=base_urls.get("indices")))

    def catalogue() -> str:
        start = dt.datetime.combine(date - dt.timedelta(days=7), dt.time())
        paths = fdsn.fetch(start, dt.datetime.combine(date + dt.timedelta(days=1), dt.time()),
                           cache / "catalog", url=base_urls.get("fdsn", fdsn.USGS),
                           min_magnitude=4.5, request_days=8)
        table = fdsn.read_windows(paths)
        ingest_catalog(store, table, [file_record(p) for p in paths if p.stat().st_size])
        return f"{len(table)} events of the last 8 days"

    for label, step in ((f"GIM {producer} {date}", gim), ("indices", indices),
                        ("catalogue", catalogue)):
        try:
            result.steps.append(f"{label}: {step()}")
        except FetchError as exc:
            result.steps.append(f"{label}: not fetched ({exc}); using the archive")


def run_daily_step(store: str | os.PathLike[str], date: dt.date, *, product: str,
                   producer: str = "code", online: bool = True,
                   base_urls: dict[str, str] | None = None, window_days: int = 15,
                   rules: AlarmRules | None = None, learning_days: float = 3650.0,
                   grid_step_deg: float = 2.0) -> DailyResult:
    """Run the daily step for ``date`` on the archive ``store`` (see the module docstring)."""
    root = Path(store)
    result = DailyResult(date)
    if online:
        _fetch(result, root, date, producer, base_urls or {})
    else:
        result.steps.append("offline: using what the archive holds")
    first = str(date - dt.timedelta(days=preceding_days(window_days)))
    ds = maps.open_maps(root, product, start=first, end=str(date))
    if str(ds["time"].values[-1])[:10] < str(date):
        raise IonoquakeError(f"no {product} maps of {date} in the archive: nothing to detect")
    indices = read_indices(root) if stored_sources(root) else None
    anomalies = detect_anomalies(ds, BackgroundConfig(window_days=window_days),
                                 indices=indices, rules=rules_for(indices))
    # Clusters of D's epochs only: the days before are read for their backgrounds.
    of_day = anomalies.sel(time=slice(str(date), None))
    clusters = anomaly_clusters(of_day)
    today = clusters[pd.to_datetime(clusters["end"]).dt.date == date]
    alarm_rules = rules or AlarmRules()
    alarms = alarms_from_clusters(today, alarm_rules)
    result.n_alarms = len(alarms)
    result.steps.append(f"detection: {len(today)} clusters end on {date}, "
                        f"{len(alarms)} pass the alarm rules")
    issue = pd.Timestamp(date) + pd.Timedelta(days=1)
    config = ForecastConfig(name="daily-ionospheric-alarms", grid=Grid(step_deg=grid_step_deg),
                            learning_days=learning_days, alarm_gain=alarm_rules.gain)
    [forecast] = run_daily(decluster(read_catalog(root)), config, issue,
                           issue + pd.Timedelta(days=1), alarms=alarms, mode="operational")
    written = write_forecast(root, forecast)
    result.forecast, result.forecast_written = written.path, written.written
    result.steps.append(f"forecast for {issue:%Y-%m-%d %H:%M} UTC: "
                        f"{'issued' if written.written else 'already issued, unchanged'} "
                        f"({written.path.name})")
    engine = database.connect(database.database_url(root))
    sync_database(root, engine)
    # the clusters, then their strongest cells (as the demo: see sync.MIRRORED_SEVERITY)
    sync_anomalies(engine, product, of_day, today, min_abs_severity=MIRRORED_SEVERITY)
    sync_alarms(engine, alarms, alarm_rules.to_dict())
    sync_forecasts(engine, root)
    return result
