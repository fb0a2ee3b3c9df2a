"""The main job on the real data bundled with ionoquake (``ionoquake demo``).

Offline: it reads only ``data/`` of the repository. It ingests the 55-day JPL GIM
series around the 2001-01-13 El Salvador M7.7 earthquake, the ComCat M≥4.5 events
and CelesTrak indices of the same months into an archive, classifies the epochs
quiet/disturbed, detects anomalies and clusters on the whole globe, analyses every
declustered M≥7 event inside the window, and writes an HTML report that says
what the numbers show. Re-running it is idempotent: the archive is not written
again and the outputs come out the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.decluster import decluster
from ionoquake.detect.event import Earthquake
from ionoquake.detect.quiet import QuietRules, classify_days
from ionoquake.detect.run import detect_to_files, event_to_files
from ionoquake.errors import IonoquakeError
from ionoquake.report.demo_report import write_report
from ionoquake.report.progress import progress_bar
from ionoquake.store import database, maps
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.indices import read_indices
from ionoquake.store.ingest import ingest_path
from ionoquake.store.sync import sync_database

TARGET_MAGNITUDE = 7.0


@dataclass
class DemoResult:
    """What the demo computed, for the report (and for tests)."""

    output: Path
    archive_changes: int
    maps_summary: str
    quiet_days: pd.Series
    detection: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    report: Path | None = None


def bundled_data_dir() -> Path:
    """The repository's ``data/`` folder (or ``$IONOQUAKE_DATA``)."""
    if env := os.environ.get("IONOQUAKE_DATA"):
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "ionex").is_dir():
            return parent / "data"
    raise IonoquakeError("bundled data not found: run from a clone of the repository "
                         "or set IONOQUAKE_DATA to its data/ folder")


def demo_inputs(data: Path) -> list[Path]:
    """The bundled files the demo ingests: maps, catalogue, indices."""
    files = sorted((data / "ionex" / "jpl_2000326-2001014").glob("jplg*.gz"))
    if not files:
        raise IonoquakeError(f"{data}/ionex/jpl_2000326-2001014: no JPL GIM files")
    files.append(data / "catalogs" / "usgs_comcat_M4.5_2000-10-01_2001-02-28.csv")
    files.append(data / "indices" / "celestrak_SW-All_2000-09-01_2001-03-31.txt")
    return files


def _step(console: Console, text: str) -> None:
    console.print(f"[bold]▸[/] {text}")


def ingest_all(store: Path, files: list[Path], console: Console) -> int:
    """Ingest ``files`` into ``store``; return how many changed the archive."""
    maps.clean(store)
    changed = 0
    with progress_bar("ingest", total=len(files)) as advance:
        for path in files:
            changed += ingest_path(store, path).status != "unchanged"
            advance()
    sync_database(store, database.connect(database.database_url(store)))
    return changed


def target_events(store: Path, start: np.datetime64, end: np.datetime64) -> pd.DataFrame:
    """Declustered (Gardner–Knopoff) M≥7 mainshocks of the archive's catalogue in the window."""
    cat = read_catalog(store)
    mainshocks = decluster(cat)
    inside = (mainshocks["time"] >= start) & (mainshocks["time"] < end)
    return mainshocks[inside & (mainshocks["magnitude"] >= TARGET_MAGNITUDE)]


def latitude_control(anomalies: Any, quake: Earthquake, days_before: int = 30) -> dict[str, float]:
    """Days with a flagged epoch at the epicentre's grid cell vs. at every cell of its latitude.

    A precursor claim needs the epicentre to stand out from places without an
    earthquake. The controls are the other longitudes of the same latitude row
    (same local-time and latitude climatology); ``rank`` is the fraction of
    controls with fewer flagged days than the epicentre (0.5 = typical).
    """
    row = anomalies.sel(lat=quake.latitude, method="nearest").isel(lon=slice(0, -1))
    start = quake.time - np.timedelta64(days_before, "D")
    window = row.sel(time=slice(start, quake.time))
    flagged = (window["positive"] | window["negative"]).resample(time="1D").max()
    has_background = window["dtec"].notnull().resample(time="1D").max()
    per_lon = flagged.where(has_background).mean("time").values
    lon = ((quake.longitude + 180.0) % 360.0) - 180.0
    epi = float(per_lon[int(np.argmin(np.abs(row["lon"].values - lon)))])
    valid = per_lon[np.isfinite(per_lon)]
    return {"epicentre_fraction": epi, "control_median": float(np.median(valid)),
            "rank": float(np.mean(valid < epi)), "n_controls": len(valid)}


def run_demo(output: Path, console: Console) -> DemoResult:
    """Run the demo into ``output``; return what it found (the report path included)."""
    from ionoquake.report.summary import describe_maps

    data = bundled_data_dir()
    store = output / "store"
    _step(console, "ingest maps, catalogue and indices into the archive")
    changes = ingest_all(store, demo_inputs(data), console)
    console.print(f"  archive {store}: {changes} files written, "
                  f"{len(demo_inputs(data)) - changes} already there")
    ds = maps.open_maps(store, "jplg")
    summary = describe_maps(ds)
    console.print(summary)

    _step(console, "classify days quiet/disturbed (Kp ≤ 3 over 24 h; the file has no Dst)")
    indices = read_indices(store)
    rules = QuietRules(dst_min_nT=None)
    window = indices[(indices["time"] >= ds.time.values[0])
                     & (indices["time"] <= ds.time.values[-1])]
    days = classify_days(window, rules)
    console.print(f"  {int((days == 'quiet').sum())} quiet, "
                  f"{int((days == 'disturbed').sum())} disturbed, "
                  f"{int((days == 'unknown').sum())} unknown days")

    _step(console, "detect anomalies and clusters (15-day running median, quartile bounds)")
    config = BackgroundConfig(window_days=15, form="quartile")
    det = detect_to_files(ds, output / "detect", config=config, indices=indices, rules=rules)
    console.print(f"  {det.summary}")
    result = DemoResult(output, changes, summary, days, dict(det.summary),
                        figures=list(det.figures))

    _step(console, f"analyse the declustered M≥{TARGET_MAGNITUDE:g} events in the window")
    from xarray import open_dataset

    with open_dataset(det.netcdf) as anomalies_file:
        anomalies = anomalies_file.load()
    events = target_events(store, ds.time.values[0], ds.time.values[-1])
    with progress_bar("events", total=len(events)) as advance:
        for _, row in events.iterrows():
            quake = Earthquake(np.datetime64(row["time"], "ns"), float(row["latitude"]),
                               float(row["longitude"]), float(row["magnitude"]),
                               str(row.get("place", "") or ""), str(row["event_id"]))
            ev = event_to_files(ds, quake, output / "events", config=config, indices=indices,
                                rules=rules, anomalies=anomalies)
            result.events.append({"event_id": quake.event_id, "name": quake.name,
                                  "time": str(quake.time)[:19], "magnitude": quake.magnitude,
                                  "latitude": quake.latitude, "longitude": quake.longitude,
                                  **ev.summary, **latitude_control(anomalies, quake),
                                  "figures": list(ev.figures)})
            result.figures += list(ev.figures)
            advance()
    for e in result.events:
        console.print(f"  {e['time'][:10]} M{e['magnitude']} {e['name']}: epicentre anomalous "
                      f"on {e['days_with_epicentre_anomaly']} of {e['days_before']} days before; "
                      f"flagged-day fraction {e['epicentre_fraction']:.2f} vs "
                      f"{e['control_median']:.2f} at the same latitude (rank {e['rank']:.2f})")

    result.report = write_report(result)
    console.print(f"report {result.report}")
    return result
