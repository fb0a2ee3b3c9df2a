"""The ``ionoquake plan`` job: contacts, instrument modes and alarm tasking for a span.

:func:`run_plan` reads TLE and station files, computes

* contact windows and antenna assignment (:mod:`ionoquake.orbits.contacts`);
* the burst/survey plan with memory bookkeeping (:mod:`ionoquake.orbits.modes`): belts
  from a catalogue, alarm zones, optional region polygons;
* the next passes of every satellite over each alarm's zone and, for imaging satellites,
  access windows with off-nadir angle and sun elevation (:mod:`ionoquake.orbits.tasking`);

and writes ``contacts.csv``, ``segments.csv``, ``orbits.csv``, ``downlinks.csv``,
``memory.csv``, ``tasking.csv``, ``access.csv`` (with imagers), ``plan.json`` (summary
and messages), ``orbits.oem`` (CCSDS OEM, :mod:`ionoquake.orbits.oem`), ``plan.czml``
(Cesium, :mod:`ionoquake.report.czml`) and ``plan.png`` (timeline,
:mod:`ionoquake.report.plan_figures`).

:func:`demo_plan` is the demo's step: a day of CSES and Swarm A/B/C from the bundled
TLEs with the demo's alarms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.atomic import atomic_path
from ionoquake.errors import IonoquakeError
from ionoquake.orbits.contacts import contacts as find_contacts
from ionoquake.orbits.memory import Recorder
from ionoquake.orbits.modes import (
    BurstZones,
    InstrumentPlan,
    instrument_plan,
    seismic_belts,
)
from ionoquake.orbits.passes import TimeLike
from ionoquake.orbits.stations import read_stations
from ionoquake.orbits.tasking import Imager, imaging_access, next_passes_over_alarms

__all__ = ["CHINA_OUTLINE", "DEMO_RECORDERS", "PlanResult", "demo_plan", "plan_summary",
           "run_plan"]

#: A coarse outline of China (lon, lat), CSES's burst region (Shen et al. 2018), traced
#: by hand from the Natural Earth 1:110m land layer (public domain) to ~1°: good enough to
#: switch modes, not a border.
CHINA_OUTLINE = ((73.5, 39.5), (80.0, 45.0), (87.0, 49.0), (97.0, 42.5), (111.0, 45.0),
                 (116.0, 49.5), (120.0, 53.5), (127.0, 53.0), (135.0, 48.0), (131.0, 43.0),
                 (124.5, 40.0), (121.5, 31.0), (118.0, 24.0), (110.0, 20.5), (108.0, 21.5),
                 (101.0, 21.0), (98.0, 24.0), (97.5, 28.0), (92.0, 28.0), (88.0, 27.5),
                 (81.0, 30.0), (79.0, 32.5), (75.0, 37.0))
#: Illustrative recorders of the demo (not mission values): CSES records more than Swarm.
DEMO_RECORDERS = {43194: Recorder(burst_mbps=8.0, survey_mbps=2.0, memory_mbit=48_000.0),
                  39451: Recorder(burst_mbps=2.0, survey_mbps=0.5, memory_mbit=8_000.0),
                  39452: Recorder(burst_mbps=2.0, survey_mbps=0.5, memory_mbit=8_000.0),
                  39453: Recorder(burst_mbps=2.0, survey_mbps=0.5, memory_mbit=8_000.0)}
_MAX_SATELLITES = 60
_MAX_SPAN_DAYS = 31


@dataclass
class PlanResult:
    """What :func:`run_plan` computed and wrote."""

    contacts: pd.DataFrame
    plan: InstrumentPlan
    tasking: pd.DataFrame
    access: pd.DataFrame
    summary: dict[str, Any]
    written: dict[str, Path] = field(default_factory=dict)


def _select(tles: pd.DataFrame, norad_ids: Sequence[int], n_files: int) -> pd.DataFrame:
    if norad_ids:
        missing = sorted(set(norad_ids) - set(tles["norad_id"]))
        if missing:
            raise IonoquakeError(f"no TLE for NORAD {missing} in {n_files} file(s)")
        return tles[tles["norad_id"].isin(norad_ids)].reset_index(drop=True)
    if tles["norad_id"].nunique() > _MAX_SATELLITES:
        raise IonoquakeError(f"{tles['norad_id'].nunique()} satellites in the TLE files: "
                             "choose some with norad_ids")
    return tles


def plan_summary(found: pd.DataFrame, plan: InstrumentPlan, tasking: pd.DataFrame,
                 start: TimeLike, end: TimeLike, n_stations: int,
                 recorders: dict[int, Recorder], note: str = "") -> dict[str, Any]:
    """The plan's numbers per satellite, its messages and the first pass per alarm."""
    sats = []
    seg = plan.segments
    for nid, group in seg.groupby("norad_id", sort=False):
        con = found[(found["norad_id"] == nid) & (found["track_s"] > 0)]
        mem = plan.memory[plan.memory["norad_id"] == nid]
        rec = recorders.get(int(str(nid)), Recorder())
        recorded = float(group["volume_mbit"].sum())
        end_mem = float(mem["memory_mbit"].iloc[-1]) if len(mem) else 0.0
        down = float(mem["downlinked_mbit"].sum())
        sats.append({"norad_id": int(str(nid)), "satellite": str(group["satellite"].iloc[0]),
                     "contacts": len(con), "downlink_mbit": down,
                     "burst_s": float(group["burst_s"].sum()), "recorded_mbit": recorded,
                     "trimmed_mbit": float(group["trimmed_mbit"].sum()),
                     "lost_mbit": float(mem["lost_mbit"].sum()),
                     "memory_end_mbit": end_mem, "memory_mbit": rec.memory_mbit})
    first = (tasking.sort_values("closest_time").groupby("alarm_id").head(1)
             if len(tasking) else pd.DataFrame())
    return {"period": f"{pd.Timestamp(start)} .. {pd.Timestamp(end)}",
            "n_contacts": int((found["track_s"] > 0).sum()),
            "n_conflicts": int((found["conflict_with"] != "").sum()),
            "n_stations": n_stations, "satellites": sats, "messages": list(plan.messages),
            "first_passes": [
                {"alarm_id": str(r["alarm_id"]), "satellite": str(r["satellite"]),
                 "closest_time": str(r["closest_time"]), "wait_h": float(r["wait_h"]),
                 "closest_km": float(r["closest_km"])} for _, r in first.iterrows()],
            "note": note}


def run_plan(tle_paths: Sequence[str | PathLike[str]], start: TimeLike, end: TimeLike,
             out_dir: str | PathLike[str], *, stations: str | PathLike[str] | None = None,
             norad_ids: Sequence[int] = (), alarms: pd.DataFrame | None = None,
             catalog: pd.DataFrame | None = None,
             polygons: Sequence[tuple[str, Any]] = (), recorder: Recorder | None = None,
             recorders: dict[int, Recorder] | None = None, imagers: Sequence[Imager] = (),
             priority: Sequence[int] = (), oem_step_s: float = 60.0, figure: bool = True,
             czml: bool = True, note: str = "") -> PlanResult:
    """Plan contacts, modes and tasking over [start, end) and write the files.

    Parameters
    ----------
    tle_paths
        TLE files.
    start, end
        The period, naive UTC (at most 31 days).
    out_dir
        Output folder (created).
    stations
        Stations file (TOML/CSV); default the bundled ``data/stations.toml``.
    norad_ids
        Satellites; default all in the files (an error beyond 60).
    alarms
        Alarm table (``issued``, ``start``, ``end``, ``lat``, ``lon``, ``radius_km``):
        burst zones while on, and tasking from their issue times.
    catalog
        Earthquake catalogue whose busy cells make the seismic belts.
    polygons
        (id, (lon, lat) vertices) regions recorded in burst like the belts.
    recorder, recorders
        Instrument rates and memory, one for all or per NORAD id.
    imagers
        Imaging satellites whose access to the alarm zones' centres is computed.
    priority
        NORAD ids in order of antenna priority.
    oem_step_s
        Step of the OEM ephemeris, s.
    figure, czml
        Also draw ``plan.png`` / write ``plan.czml``.
    note
        A sentence for the summary (e.g. where the alarms came from).
    """
    from ionoquake.sources import tle

    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if not t1 > t0 or (t1 - t0) > pd.Timedelta(days=_MAX_SPAN_DAYS):
        raise IonoquakeError(f"plan period {t0} .. {t1}: end must follow start, "
                             f"at most {_MAX_SPAN_DAYS} days")
    tles = _select(tle.read(list(tle_paths)), norad_ids, len(tle_paths))
    table = read_stations(stations)
    found = find_contacts(tles, table, t0, t1, priority=priority)
    zones = BurstZones.build(belts=seismic_belts(catalog) if catalog is not None else None,
                             alarms=alarms, polygons=polygons)
    plan = instrument_plan(tles, zones, t0, t1, contacts=found, recorder=recorder,
                           recorders=recorders)
    active = alarms if alarms is not None else pd.DataFrame()
    tasking = (next_passes_over_alarms(active, tles) if len(active) else pd.DataFrame())
    access = pd.DataFrame()
    if imagers and len(active):
        targets = pd.DataFrame({"target_id": [f"alarm-{k}" for k in range(len(active))],
                                "lat": active["lat"].to_numpy(float),
                                "lon": active["lon"].to_numpy(float)})
        issued = pd.to_datetime(active.get("issued", active["start"])).min()
        access = pd.concat([imaging_access(tles, im, targets, issued,
                                           issued + pd.Timedelta(days=3)) for im in imagers],
                           ignore_index=True)
    used = {int(n): (recorders or {}).get(int(n), recorder or Recorder())
            for n in tles["norad_id"].unique()}
    summary = plan_summary(found, plan, tasking, t0, t1, len(table), used, note)
    result = PlanResult(found, plan, tasking, access, summary)
    result.written = _write(result, tles, table, active, t0, t1, Path(out_dir),
                            oem_step_s=oem_step_s, figure=figure, czml=czml, recorders=used)
    return result


def _write(result: PlanResult, tles: pd.DataFrame, stations: pd.DataFrame,
           alarms: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, out: Path, *,
           oem_step_s: float, figure: bool, czml: bool,
           recorders: dict[int, Recorder]) -> dict[str, Path]:
    from ionoquake.orbits.oem import oem_segments, write_oem

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    tables = {"contacts": result.contacts, "segments": result.plan.segments,
              "orbits": result.plan.orbits, "downlinks": result.plan.downlinks,
              "memory": result.plan.memory, "tasking": result.tasking}
    if len(result.access):
        tables["access"] = result.access
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.6g")
        written[name] = path
    written["oem"] = write_oem(oem_segments(tles, t0, t1, step_s=oem_step_s), out / "orbits.oem")
    if czml:
        written["czml"] = _write_czml(tles, stations, alarms, result.contacts, t0, t1,
                                      out / "plan.czml")
    if figure:
        from ionoquake.report.figures import save
        from ionoquake.report.plan_figures import plan_timeline

        fig = plan_timeline(result.plan.segments, result.contacts, result.plan.memory,
                            {n: r.memory_mbit for n, r in recorders.items()},
                            title=f"plan {t0:%Y-%m-%d %H:%M} .. {t1:%Y-%m-%d %H:%M} UTC")
        written["png"] = save(fig, out / "plan.png")
    path = out / "plan.json"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps({**result.summary,
                                         "files": {k: v.name for k, v in written.items()}},
                                        indent=1, default=str))
    written["json"] = path
    return written


def _write_czml(tles: pd.DataFrame, stations: pd.DataFrame, alarms: pd.DataFrame,
                found: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, path: Path) -> Path:
    from ionoquake.orbits.dense import earth_fixed_nodes
    from ionoquake.report.czml import plan_czml

    tracks = {}
    for norad, sat in tles.groupby("norad_id", sort=False):
        sat = sat.reset_index(drop=True)
        nodes = earth_fixed_nodes(sat, t0, t1, step_s=60.0)
        times = pd.date_range(t0, t1, freq="60s").to_numpy("datetime64[ns]")
        x, y, z, _ = nodes.position(nodes.seconds(times))
        tracks[int(str(norad))] = (str(sat["name"].iloc[0]).strip(), times,
                                   np.column_stack([x, y, z]))
    text = plan_czml(tracks, stations, t0, t1, alarms=alarms if len(alarms) else None,
                     contacts=found)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
    return path


def demo_alarms(alarms: pd.DataFrame | None, day: pd.Timestamp,
                events: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The alarms the demo plans with, and a sentence saying where they came from.

    The demo's alarms come from the maps of 2000-11 … 2001-01, but the bundled TLEs are of
    2019-11: their zones are kept and their times moved to the plan day. Without alarms,
    the M ≥ 6 events of the bundled 2019 catalogue within ±15 days of the day stand in,
    with their Dobrovolsky radii.
    """
    from ionoquake.geo import dobrovolsky_radius_km

    end = day + pd.Timedelta(days=1)
    if alarms is not None and len(alarms):
        top = alarms.sort_values("score", ascending=False).head(10).reset_index(drop=True)
        moved = pd.DataFrame({"issued": day, "start": day, "end": end,
                              "lat": top["lat"].to_numpy(float),
                              "lon": top["lon"].to_numpy(float),
                              "radius_km": top["radius_km"].to_numpy(float),
                              "score": top["score"].to_numpy(float)})
        return moved, (f"The {len(moved)} strongest of the demo's {len(alarms)} alarms "
                       "(issued 2000-2001) with their times moved to the plan day: the "
                       "bundled TLEs are of 2019-11.")
    near = events[(events["magnitude"] >= 6.0)
                  & ((events["time"] - day).abs() <= pd.Timedelta(days=15))]
    stand_in = pd.DataFrame({"issued": day, "start": day, "end": end,
                             "lat": near["latitude"].to_numpy(float),
                             "lon": near["longitude"].to_numpy(float),
                             "radius_km": dobrovolsky_radius_km(near["magnitude"].to_numpy()),
                             "score": near["magnitude"].to_numpy(float)})
    return stand_in.reset_index(drop=True), (
        f"No alarm given: the {len(stand_in)} M≥6 events within 15 days of the plan day "
        "stand in as alarm zones (Dobrovolsky radii).")


def demo_plan(data: Path, out: Path, alarms: pd.DataFrame | None = None, *,
              day: str = "2019-11-18", figure: bool = True) -> PlanResult:
    """Plan a day for CSES and Swarm A/B/C from the bundled TLEs with the demo's alarms.

    Belts from the bundled 2019-10 … 12 ComCat M≥5 catalogue (5° cells with ≥ 3 events,
    dilated by one cell); China as a burst region; bundled stations; the recorders of
    :data:`DEMO_RECORDERS`; CSES first for the antennas.
    """
    from ionoquake.sources import catalog as catalogs

    events = catalogs.read(data / "catalogs" / "usgs_comcat_M5_2019-10-01_2019-12-31.csv")
    start = pd.Timestamp(day)
    zones, note = demo_alarms(alarms, start, events)
    return run_plan([data / "tle" / "celestrak_science_20191118.tle"], start,
                    start + pd.Timedelta(days=1), out, stations=data / "stations.toml",
                    norad_ids=(43194, 39452, 39451, 39453), alarms=zones, catalog=events,
                    polygons=[("china", CHINA_OUTLINE)], recorders=DEMO_RECORDERS,
                    priority=(43194,), figure=figure, note=note)
