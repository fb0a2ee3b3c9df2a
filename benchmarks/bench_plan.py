"""Planning speed: contact windows of 50 satellites × 20 stations × 30 days, and a day's plan.

Run with ``.venv/bin/python benchmarks/bench_plan.py``. Targets (issue 18):

1. contacts (AOS/LOS to 0.01 s, culmination, antenna assignment) of 50 satellites of
   the bundled CelesTrak "science" TLEs with 20 stations (the 5 bundled ones and 15
   made up on a grid, 5° masks) over 30 days: ≤ 10 s;
2. skyfield's ``EarthSatellite.find_events`` in the same run, timed on a subset
   (5 satellites × 4 stations × 3 days, i.e. 1/500 of the work) and extrapolated
   linearly, next to ionoquake on the same subset; both give the ratio;
3. a day's instrument plan (burst/survey, memory, trimming) for CSES + Swarm A/B/C and
   for all 50 satellites: ≤ 1 s (the numba kernel compiled beforehand).

The machine's load average is printed: other jobs slow every wall time; the CPU time
of the process is printed beside it.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.orbits.contacts import contacts
from ionoquake.orbits.memory import Recorder
from ionoquake.orbits.modes import BurstZones, instrument_plan, seismic_belts
from ionoquake.orbits.stations import read_stations, station_frame
from ionoquake.sources import catalog, tle

DATA = Path(__file__).resolve().parents[1] / "data"
#: Judge targets and ratios by this process's CPU time when the machine is shared
#: (load average above the CPU count), by wall time otherwise.
CPU_CLOCK = os.getloadavg()[0] > (os.cpu_count() or 1)
START = pd.Timestamp("2019-11-03")


def _timed(label: str, func):  # type: ignore[no-untyped-def]
    """Wall time (returned) and CPU time of this process (printed too: on a loaded machine
    the wall time measures the load, the CPU time the work)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = func()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label:<66s} {seconds:8.2f} s wall {cpu:8.2f} s CPU")
    return out, (cpu if CPU_CLOCK else seconds)


def _stations() -> pd.DataFrame:
    bundled = read_stations(DATA / "stations.toml")
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()}
                                  for r in bundled.to_dict("records")]
    grid = [(lat, lon) for lat in (-60, -30, 0, 30, 60) for lon in (-150, -60, 30)]
    rows += [{"name": f"grid{k}", "agency": "synthetic", "lat": float(la), "lon": float(lo),
              "height_m": 0.0, "elevation_mask_deg": 5.0, "downlink_mbps": 50.0}
             for k, (la, lo) in enumerate(grid)]
    return station_frame(rows)


def _skyfield_events(tles: pd.DataFrame, stations: pd.DataFrame, days: int) -> int:
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t0 = ts.utc(START.year, START.month, START.day)
    t1 = ts.utc(START.year, START.month, START.day + days)
    n = 0
    for _, row in tles.drop_duplicates("norad_id").iterrows():
        sat = EarthSatellite(row["line1"], row["line2"], ts=ts)
        for _, st in stations.iterrows():
            topo = wgs84.latlon(st["lat"], st["lon"], elevation_m=st["height_m"])
            _, kind = sat.find_events(topo, t0, t1, altitude_degrees=st["elevation_mask_deg"])
            n += int((kind == 1).sum())
    return n


def main() -> None:
    warnings.simplefilter("ignore")  # 30 days from one TLE: the age warning is expected
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    sets = tle.read(DATA / "tle" / "celestrak_science_20191118.tle")
    leo = sets[(sets["apogee_km"] < 2000) & (sets["problem"] == "")]
    fifty = leo.drop_duplicates("norad_id").head(50)
    stations = _stations()
    print(f"{fifty['norad_id'].nunique()} satellites, {len(stations)} stations, 30 days; "
          f"targets and ratios judged on {'CPU' if CPU_CLOCK else 'wall'} time")

    found, full_s = _timed("ionoquake contacts 50 sat x 20 stations x 30 days",
                           lambda: contacts(fifty, stations, START,
                                            START + pd.Timedelta(days=30)))
    print(f"  {len(found)} windows, {(found['conflict_with'] != '').sum()} with conflicts; "
          f"target <= 10 s: {'met' if full_s <= 10 else 'MISSED'}")

    sub_sats, sub_st, days = fifty.head(5), stations.head(4), 3
    scale = (50 * 20 * 30) / (5 * 4 * days)
    ours, ours_s = _timed("ionoquake contacts, subset 5 sat x 4 stations x 3 days",
                          lambda: contacts(sub_sats, sub_st, START,
                                           START + pd.Timedelta(days=days)))
    n_sky, sky_s = _timed("skyfield find_events, same subset",
                          lambda: _skyfield_events(sub_sats, sub_st, days))
    print(f"  windows on the subset: ionoquake {len(ours)}, skyfield culminations {n_sky}")
    print(f"  skyfield extrapolated x{scale:.0f} to the full problem: {sky_s * scale:8.1f} s; "
          f"ratio to ionoquake's full run {sky_s * scale / full_s:.0f}x "
          f"(on the subset {sky_s / ours_s:.0f}x)")

    events = catalog.read(DATA / "catalogs" / "usgs_comcat_M5_2019-10-01_2019-12-31.csv")
    alarms = pd.DataFrame({"start": [START], "end": [START + pd.Timedelta(days=1)],
                           "lat": [35.7], "lon": [139.7], "radius_km": [1000.0]})
    zones = BurstZones.build(belts=seismic_belts(events), alarms=alarms)
    rec = Recorder(burst_mbps=8.0, survey_mbps=2.0, memory_mbit=20_000.0)
    day = (START, START + pd.Timedelta(days=1))
    csw = sets[sets["norad_id"].isin([43194, 39451, 39452, 39453])]
    day_contacts = contacts(fifty, stations, *day)
    instrument_plan(csw.head(1), zones, START, START + pd.Timedelta(hours=1), recorder=rec)
    plan, four_s = _timed("instrument plan, one day, CSES + Swarm A/B/C",
                          lambda: instrument_plan(csw, zones, *day, contacts=day_contacts,
                                                  recorder=rec))
    plan50, fifty_s = _timed("instrument plan, one day, 50 satellites",
                             lambda: instrument_plan(fifty, zones, *day, contacts=day_contacts,
                                                     recorder=rec))
    print(f"  {len(plan.segments)} / {len(plan50.segments)} segments, "
          f"{len(plan50.messages)} trim/loss messages; target <= 1 s: "
          f"{'met' if max(four_s, fifty_s) <= 1 else 'MISSED'} "
          f"({np.round([four_s, fifty_s], 2).tolist()})")


if __name__ == "__main__":
    main()
