"""The main job on the real data bundled with ionoquake (``ionoquake demo``).

Offline: it reads only ``data/`` of the repository.

1. ingest the 55-day JPL GIM series around the 2001-01-13 El Salvador M7.7
   earthquake, the ComCat M≥4.5 events and CelesTrak indices of the same months;
2. classify the epochs quiet/disturbed;
3. detect anomalies and space-time clusters on the whole globe;
4. analyse every declustered M≥7 event inside the window, against latitude controls;
5. passes of CSES and Swarm A/B/C over the preparation zones of the M≥6 events of
   2019-11 (the bundled TLEs are of 2019-11-18: no ionosphere satellite of these
   TLEs flew in 2000); the TLEs go into the archive for the map's ground tracks;
6. turn the anomaly clusters into alarms, issue daily forecasts with frozen issue
   times and score them against the declustered M≥6 events (Molchan, gain, CSEP);
7. plan a day of the constellation;
8. the positive control at the receiver level: the co-seismic ionospheric disturbances of
   the 2024-01-01 Mw 7.5 Noto Peninsula earthquake in the bundled Madrigal line-of-sight
   TEC export (picks, travel-time fits, the null at fake origin times, the reference-curve
   precursor test's verdict); the export goes into the archive's receiver TEC and the
   event into its catalogue ``cid-events``, so the dashboard's event page shows it;
9. write an HTML report that says what the numbers show.

Re-running it is idempotent: the archive and the issued forecasts are not written
again and the outputs come out the same. The database file (``store/ionoquake.sqlite``)
is not written either: the sync writes only rows that differ from the stored ones,
and bumps the data revision only when it wrote one, so its bytes (SQLite's change
counter included) stay the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.decluster import decluster
from ionoquake.detect.event import latitude_control
from ionoquake.detect.quiet import classify_days, rules_for
from ionoquake.errors import IonoquakeError
from ionoquake.pipeline.detect import detect_to_files, event_to_files
from ionoquake.pipeline.sync import (
    MIRRORED_SEVERITY,
    sync_alarms,
    sync_anomalies,
    sync_database,
    sync_evaluation,
    sync_forecasts,
    sync_passes,
)
from ionoquake.quake import Earthquake
from ionoquake.report.demo_report import DemoResult, write_report
from ionoquake.report.progress import progress_bar
from ionoquake.store import database, maps
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.csv_tables import read_csv
from ionoquake.store.indices import read_indices
from ionoquake.store.ingest import ingest_path, ingest_paths

TARGET_MAGNITUDE = 7.0
#: The Madrigal line-of-sight TEC export of the Noto earthquake (data/README.md).
NOTO_EXPORT = "gnss/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"
#: The stored catalogue of the events analysed for co-seismic disturbances. It is kept
#: apart from ``events``, the catalogue the evaluation learns from and scores against.
CID_CATALOG = "cid-events"
#: Time-shuffled ionospheres of the evaluation (~1 s each here; p ≥ 1/100).
SHUFFLED_IONOSPHERES = 99


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


def ingest_all(store: Path, files: list[Path], engine: Any) -> int:
    """Ingest ``files`` into ``store`` and mirror it to ``engine``; return how many changed."""
    with progress_bar("ingest", total=len(files)) as advance:
        changed = sum(r.status != "unchanged" for r in ingest_paths(store, files, advance=advance))
    sync_database(store, engine)
    return changed


def target_events(store: Path, start: np.datetime64, end: np.datetime64) -> pd.DataFrame:
    """Declustered (Gardner–Knopoff) M≥7 mainshocks of the archive's catalogue in the window."""
    cat = read_catalog(store)
    mainshocks = decluster(cat)
    inside = (mainshocks["time"] >= start) & (mainshocks["time"] < end)
    return mainshocks[inside & (mainshocks["magnitude"] >= TARGET_MAGNITUDE)]


def demo_passes(data: Path, out: Path, engine: Any) -> dict[str, Any]:
    """Passes of CSES (43194) and Swarm A/B/C over the M≥6 zones of 2019-11-10 … 25."""
    from ionoquake.orbits.zones import event_zones
    from ionoquake.pipeline.passes import run_passes
    from ionoquake.sources import catalog

    events = catalog.read(data / "catalogs" / "usgs_comcat_M5_2019-10-01_2019-12-31.csv")
    events = events[(events["magnitude"] >= 6.0) & (events["time"] >= "2019-10-11")
                    & (events["time"] < "2019-12-26")]
    zones = event_zones(events)
    written = run_passes([data / "tle" / "celestrak_science_20191118.tle"], zones,
                         "2019-11-10", "2019-11-26", out,
                         norad_ids=(43194, 39452, 39451, 39453))
    table = read_csv(written["csv"], times=["entry", "exit", "closest_time"])
    sync_passes(engine, table, zones)
    gaps = (table.sort_values("entry").groupby("zone_id", observed=True)["entry"]
            .diff().dt.total_seconds() / 3600)
    return {"n_passes": len(table), "n_zones": len(zones), "csv": written["csv"],
            "png": written["png"], "median_revisit_h": float(np.nanmedian(gaps)),
            "per_satellite": table["satellite"].value_counts().to_dict()}


def keep_report(store: Path, evaluation_id: str, report: Path) -> str:
    """A copy of an evaluation's HTML report (self-contained) in ``<store>/reports``, where
    the dashboard serves it; its path relative to the store."""
    from ionoquake.atomic import atomic_path

    target = store / "reports" / f"{evaluation_id}.html"
    content = report.read_bytes()
    if not target.is_file() or target.read_bytes() != content:  # a re-run changes nothing
        with atomic_path(target) as tmp:
            tmp.write_bytes(content)
    return f"reports/{target.name}"


def demo_evaluation(store: Path, clusters: pd.DataFrame, ds: Any, out: Path, engine: Any,
                    maps_null: Any = None) -> tuple[dict[str, Any], Path, pd.DataFrame]:
    """Alarms from the clusters, forecasts over the detection period, scores; the summary,
    the report and the alarms.

    ``maps_null`` (:class:`ionoquake.evaluate.shuffled_maps.MapsNull`) adds the
    time-shuffled ionosphere null.
    """
    from ionoquake.forecast.alarm_rules import AlarmRules
    from ionoquake.pipeline.evaluate import evaluate_clusters, headline

    first = str(clusters["start"].min().date())
    last = str(ds.time.values[-1].astype("datetime64[D]") + 1)
    # The bundled catalogue starts 2000-10-01: the seismicity model learns from ~2 months.
    run = evaluate_clusters(read_catalog(store), clusters, AlarmRules(), first, last, out,
                            learning_days=60, store=store, maps_null=maps_null,
                            context={"period": f"{first} .. {last}",
                                     "learning catalogue": "ComCat M≥4.5 from 2000-10-01"})
    summary = headline(run)
    sync_alarms(engine, run.alarms, AlarmRules().to_dict())
    sync_forecasts(engine, store)
    if run.evaluation.molchan_alarms is not None:
        gain = run.evaluation.molchan_alarms.skills["gain"]
        evaluation_id = f"demo-alarms-{first}-{last}"
        report = keep_report(store, evaluation_id, run.report)
        sync_evaluation(engine, evaluation_id, "alarm gain (Molchan)",
                        gain.statistic, gain.p_value, {**summary, "report": report})
    return summary, run.report, run.alarms


def cid_catalog() -> pd.DataFrame:
    """The Noto earthquake as a one-row catalogue table (the core columns of
    :mod:`ionoquake.sources.catalog_table`), from :data:`ionoquake.gnss.disturbances.NOTO_2024`
    (USGS ComCat us6000m0xl: the ComCat files in ``../shared/data`` end in 2023-11)."""
    from ionoquake.gnss.disturbances import NOTO_2024 as quake

    table = pd.DataFrame({
        "time": [pd.Timestamp(quake.time)], "latitude": [quake.latitude],
        "longitude": [quake.longitude], "depth_km": [quake.depth_km],
        "magnitude": [quake.magnitude], "magnitude_type": ["Mw"], "event_id": [quake.event_id],
        "source": ["usgs-comcat"], "place": ["Noto Peninsula, Japan"]})
    for column in ("magnitude_type", "event_id", "source", "place"):
        table[column] = table[column].astype("string")
    return table


def _store_cid_event(store: Path, engine: Any) -> pd.DataFrame:
    """The Noto event into the catalogue ``cid-events`` and the database (idempotent)."""
    from ionoquake.store import schema
    from ionoquake.store.catalogs import ingest_catalog
    from ionoquake.store.provenance import canonical_json, json_sha256

    table = cid_catalog()
    row = {k: str(v) for k, v in table.iloc[0].to_dict().items()}
    record = {"name": "ionoquake.gnss.disturbances.NOTO_2024",
              "origin": "USGS ComCat event page us6000m0xl (parameters as quoted there)",
              "content": canonical_json(row), "sha256": json_sha256(row)}
    ingest_catalog(store, table, [record], name=CID_CATALOG)
    stored = read_catalog(store, CID_CATALOG)
    database.upsert(engine, schema.events, stored[[c.name for c in schema.events.columns]])
    return stored


def _precursor_verdict(tec: Any, picks: pd.DataFrame, origin: np.datetime64) -> str:
    """The family-wise reference-curve test (:func:`ionoquake.gnss.precursor.precursor_test`)
    on the VTEC of the pair with the largest detected disturbance, or why it cannot run."""
    from ionoquake.gnss.precursor import default_family, precursor_test

    detected = picks[picks["detected"]]
    if detected.empty:
        return "no pair was detected: no VTEC series was tested"
    best = detected.sort_values("amplitude_tecu", kind="stable").iloc[-1]
    pair = f"{best['receiver']} {best['satellite']}"
    vtec = tec["vtec"].sel(receiver=best["receiver"], satellite=best["satellite"])
    series = pd.Series(vtec.values, index=pd.DatetimeIndex(tec["time"].values)).dropna()
    before = (origin - series.index[0].to_datetime64()) / np.timedelta64(60, "s")
    family = default_family()
    fit_before = max(c.fit_before_min for c in family)
    clear_h = (fit_before + max(c.fit_after_min for c in family)) / 60
    try:
        result = precursor_test(series, origin, family=family)
    except IonoquakeError as exc:
        return (f"not testable on this export: its VTEC (pair {pair}) starts {before:.0f} min "
                f"before the origin, and the reference-curve family fits up to "
                f"{fit_before:.0f} min before it and scores the same family at random times "
                f"at least {clear_h:g} h away ({exc})")
    return (f"{'ALARM' if result.alarm else 'no alarm'} on the VTEC of {pair}: {result.reason}")


def demo_cid(data: Path, store: Path, out: Path, engine: Any) -> dict[str, Any]:
    """Co-seismic disturbances of the 2024-01-01 Noto earthquake in the bundled Madrigal
    export: into the archive (receiver TEC, the event), the analysis from the stored day
    (:func:`ionoquake.pipeline.gnss.disturbances_to_files`: picks CSV, JSON, wiggle,
    travel-time and pierce-point figures), the null figure and the precursor verdict."""
    from ionoquake.gnss.disturbances import NOTO_2024 as quake
    from ionoquake.gnss.disturbances_null import DisturbanceNull
    from ionoquake.pipeline.gnss import disturbances_to_files
    from ionoquake.report.figures import save
    from ionoquake.report.gnss_figures import null_figure
    from ionoquake.store import gnss_tec

    network = "madrigal"
    ingested = ingest_path(store, data / NOTO_EXPORT, product=network)
    _store_cid_event(store, engine)
    tec = gnss_tec.read_day(store, network, quake.time)
    written = disturbances_to_files(tec, quake, out, name="noto")
    figures = {p.stem.removeprefix("noto_"): p for p in written.figures}
    null = written.summary["null_at_fake_origins"]
    if isinstance(null, dict):
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in null.items()}
        figures["null"] = save(null_figure(DisturbanceNull(**fields)), out / "noto_null.png")
    times = tec["time"].values
    return {"event_id": quake.event_id, "network": network, "ingested": ingested.status,
            "receivers": [str(r) for r in tec["receiver"].values],
            "systems": sorted({str(x)[0] for x in tec["satellite"].values}),
            "span": (str(times[0])[:19], str(times[-1])[:19]),
            "summary": written.summary, "json": written.json, "picks_csv": written.picks_csv,
            "figures": figures,
            "precursor": _precursor_verdict(tec, written.picks, quake.time)}


def run_demo(output: Path, console: Console, *,
             shuffled_ionospheres: int = SHUFFLED_IONOSPHERES) -> DemoResult:
    """Run the demo into ``output``; return what it found (the report path included).

    ``shuffled_ionospheres`` is the size of the time-shuffled ionosphere null of the
    evaluation (0 skips it).
    """
    from ionoquake.report.summary import describe_maps

    data = bundled_data_dir()
    store = output / "store"
    _step(console, "ingest maps, catalogue and indices into the archive")
    inputs = demo_inputs(data)
    engine = database.connect(database.database_url(store))
    changes = ingest_all(store, inputs, engine)
    console.print(f"  archive {store}: {changes} files written, "
                  f"{len(inputs) - changes} already there")
    ds = maps.open_maps(store, "jplg")
    summary = describe_maps(ds)
    console.print(summary)

    _step(console, "classify days quiet/disturbed (Kp ≤ 3 over 24 h; the file has no Dst)")
    indices = read_indices(store)
    rules = rules_for(indices)
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
    anomalies = det.anomalies
    assert anomalies is not None
    # The alarms are made from the cluster table as written (float32 severities rounded to
    # their shortest decimal), as `ionoquake evaluate --clusters FILE` makes them: the demo
    # scores exactly what a user scoring its CSV gets, and its issued forecasts stay those
    # of earlier versions (the archive refuses a different forecast under the same model).
    clusters = read_csv(det.table, times=["start", "end", "peak_time"])
    events = target_events(store, ds.time.values[0], ds.time.values[-1])
    with progress_bar("events", total=len(events)) as advance:
        for _, row in events.iterrows():
            quake = Earthquake.from_row(row)
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

    # the clusters, then their strongest cells (all of them are in detect/anomalies.nc)
    sync_anomalies(engine, "jplg", anomalies, clusters, min_abs_severity=MIRRORED_SEVERITY)

    _step(console, "passes of CSES and Swarm A/B/C over the M≥6 zones of 2019-11")
    ingest_path(store, data / "tle" / "celestrak_science_20191118.tle")  # for the map's tracks
    result.passes = demo_passes(data, output / "passes", engine)
    result.figures.append(result.passes["png"])
    console.print(f"  {result.passes['n_passes']} passes over {result.passes['n_zones']} zones; "
                  f"median revisit per zone {result.passes['median_revisit_h']:.1f} h")

    _step(console, "alarms from clusters -> daily forecasts (frozen issue times) -> scores")
    from ionoquake.evaluate.shuffled_maps import MapsNull

    result.evaluation, result.evaluation_report, alarms = demo_evaluation(
        store, clusters, ds, output / "evaluate", engine,
        maps_null=(MapsNull(ds, config, indices, rules, n_null=shuffled_ionospheres)
                   if shuffled_ionospheres else None))
    e = result.evaluation
    console.print(f"  {e['alarms']} alarms, {e['targets']} targets: gain {e.get('gain')} "
                  f"(p = {e.get('gain_p')}), ASS {e.get('ass')} (p = {e.get('ass_p')}; "
                  f"family-wise {e.get('ass_p_family')} over {e.get('configurations_tried')} "
                  f"configurations; shuffled ionospheres p = {e.get('shuffled_p')})")
    if e.get("sensitivity"):
        console.print(f"  {e['sensitivity']}")

    _step(console, "plan a day of the constellation: contacts, burst modes, alarm tasking")
    from ionoquake.pipeline.plan import demo_plan

    plan = demo_plan(data, output / "plan", alarms=alarms)
    result.plan = dict(plan.summary)
    result.plan_figure = plan.written.get("png")
    if result.plan_figure is not None:
        result.figures.append(result.plan_figure)
    console.print(f"  {len(plan.contacts)} contacts, {len(plan.tasking)} passes over the "
                  f"alarm zones; files in {output / 'plan'}")

    _step(console, "co-seismic disturbances of the 2024-01-01 Noto Peninsula Mw 7.5 "
                   "(Madrigal receiver TEC)")
    result.cid = demo_cid(data, store, output / "cid", engine)
    s = result.cid["summary"]
    null = s["null_at_fake_origins"]
    largest = (f", largest {s['largest_amplitude_tecu']:.2f} TECU" if s["detected"] else "")
    console.print(f"  {s['detected']} of {s['pairs']} receiver-satellite pairs over SNR "
                  f"{s['snr_threshold']:g}{largest}; at "
                  + (f"{len(null['fake_origins'])} fake origins {min(null['n_over'])}-"
                     f"{max(null['n_over'])} pairs" if isinstance(null, dict) else str(null))
                  + f"; files in {output / 'cid'}")

    result.report = write_report(result)
    console.print(f"report {result.report}")
    return result
