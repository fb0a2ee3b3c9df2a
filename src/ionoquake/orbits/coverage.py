"""Coverage of a constellation: revisits, maps per local time, observations before events.

* :func:`revisit_statistics` -- per zone: passes, passes per day, gaps between them;
* :func:`coverage_map` -- visits of each latitude-longitude cell per local-time bin,
  a ``Dataset(lat, lon, local_time)``: Swarm's nodes drift through all local times in
  ~4-5 months while CSES stays near 02/14 h, so coverage must be counted per local
  time (see the project's science notes);
* :func:`next_passes` -- the next passes over zones after a time;
* :func:`observations_before_events` -- how many passes each earthquake's preparation
  zone received in its −30..0 day window, the coverage an evaluation must account for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.geo import local_mean_time_h
from ionoquake.orbits.passes import TimeLike, passes_over
from ionoquake.orbits.propagate import geodetic
from ionoquake.orbits.zones import event_zones

__all__ = ["coverage_map", "next_passes", "observations_before_events", "revisit_statistics"]


def revisit_statistics(passes: pd.DataFrame, zones: pd.DataFrame, start: TimeLike,
                       end: TimeLike) -> pd.DataFrame:
    """Passes and revisit gaps per zone over [start, end).

    Gaps are between consecutive closest approaches of any satellite in ``passes``,
    plus the stretches from ``start`` to the first pass and from the last to ``end``.

    Returns
    -------
    pandas.DataFrame
        Index ``zone_id`` (every zone, passed over or not); columns ``n_passes``,
        ``passes_per_day``, ``mean_gap_h``, ``median_gap_h``, ``max_gap_h``.
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    days = (t1 - t0) / pd.Timedelta(days=1)
    rows = []
    by_zone = passes.groupby(passes["zone_id"].astype(str), observed=True)["closest_time"]
    times = {k: np.sort(v.to_numpy()) for k, v in by_zone}
    for zid in zones["zone_id"].astype(str):
        t = times.get(zid, np.array([], dtype="datetime64[ns]"))
        edges = np.concatenate([[t0.to_datetime64()], t, [t1.to_datetime64()]])
        gaps = np.diff(edges) / np.timedelta64(1, "h")
        rows.append((zid, t.size, t.size / days, gaps.mean(), np.median(gaps), gaps.max()))
    return pd.DataFrame(rows, columns=["zone_id", "n_passes", "passes_per_day", "mean_gap_h",
                                       "median_gap_h", "max_gap_h"]).set_index("zone_id")


def coverage_map(tles: pd.DataFrame, start: TimeLike, end: TimeLike, *, cell_deg: float = 5.0,
                 local_time_bins: int = 8, sample_s: float = 10.0,
                 node_step_s: float = 60.0) -> xr.Dataset:
    """Visits of each lat-lon cell per local-time bin by the satellites in ``tles``.

    A visit is a run of consecutive track samples (every ``sample_s`` seconds) inside
    one cell; clips of a cell's corner shorter than ``sample_s`` can be missed.

    Returns
    -------
    xarray.Dataset
        ``visits(satellite, lat, lon, local_time)`` counts, with cell-centre coordinates
        and ``local_time`` the bin centre (local mean solar time, hours).
    """
    times = np.arange(pd.Timestamp(start).to_datetime64(), pd.Timestamp(end).to_datetime64(),
                      np.timedelta64(round(sample_s * 1e9), "ns"))
    n_lat, n_lon = round(180 / cell_deg), round(360 / cell_deg)
    counts, names = [], []
    for norad_id, sat in tles.groupby("norad_id", sort=False):
        g = geodetic(sat, times, node_step_s=node_step_s)
        i = np.clip(((g.lat_deg + 90) // cell_deg).astype(int), 0, n_lat - 1)
        j = np.clip(((g.lon_deg + 180) // cell_deg).astype(int), 0, n_lon - 1)
        cell = i * n_lon + j
        start_run = np.concatenate([[True], np.diff(cell) != 0])
        lt = local_mean_time_h(times, g.lon_deg)
        k = np.clip((lt * local_time_bins / 24).astype(int), 0, local_time_bins - 1)
        flat = np.bincount(cell[start_run] * local_time_bins + k[start_run],
                           minlength=n_lat * n_lon * local_time_bins)
        counts.append(flat.reshape(n_lat, n_lon, local_time_bins))
        names.append(f"{str(sat['name'].iloc[0]).strip()} ({norad_id})")
    lt_centres = (np.arange(local_time_bins) + 0.5) * 24 / local_time_bins
    return xr.Dataset(
        {"visits": (("satellite", "lat", "lon", "local_time"), np.stack(counts),
                    {"long_name": "track visits to the cell", "sample_s": sample_s})},
        coords={"satellite": names,
                "lat": ("lat", -90 + (np.arange(n_lat) + 0.5) * cell_deg,
                        {"units": "degrees_north"}),
                "lon": ("lon", -180 + (np.arange(n_lon) + 0.5) * cell_deg,
                        {"units": "degrees_east"}),
                "local_time": ("local_time", lt_centres,
                               {"units": "h", "long_name": "local mean solar time, bin centre"})},
        attrs={"start": str(start), "end": str(end), "cell_deg": cell_deg},
    )


def next_passes(zones: pd.DataFrame, tles: pd.DataFrame, after: TimeLike, *, count: int = 5,
                horizon_days: float = 7.0, node_step_s: float = 60.0) -> pd.DataFrame:
    """The next ``count`` passes over each zone within ``horizon_days`` after ``after``."""
    t0 = pd.Timestamp(after)
    found = passes_over(zones, tles, t0, t0 + pd.Timedelta(days=horizon_days),
                        node_step_s=node_step_s)
    found = found[found["entry"] >= t0] if len(found) else found
    return found.groupby("zone_id", observed=True, sort=False).head(count).reset_index(drop=True)


def observations_before_events(events: pd.DataFrame, tles: pd.DataFrame, *,
                               days_before: float = 30.0,
                               fixed_radius_km: float | None = None,
                               node_step_s: float = 60.0) -> pd.DataFrame:
    """Passes over each event's preparation zone in the ``days_before`` days before it.

    Parameters
    ----------
    events
        A catalogue table (``time``, ``latitude``, ``longitude``, ``magnitude``,
        ``event_id``).
    tles
        Element sets of the satellites (histories allowed).
    days_before
        Length of the window [origin − days_before, origin], days.
    fixed_radius_km
        One radius for every zone instead of Dobrovolsky's 10^(0.43 M) km.

    Returns
    -------
    pandas.DataFrame
        ``events`` with ``radius_km``, ``n_passes`` (all satellites) and one
        ``n_passes_<norad_id>`` column per satellite.
    """
    zones = event_zones(events, fixed_radius_km=fixed_radius_km)
    origin = pd.Series(events["time"].to_numpy(), index=zones["zone_id"].to_numpy())
    found = passes_over(zones, tles, origin.min() - pd.Timedelta(days=days_before),
                        origin.max(), node_step_s=node_step_s)
    t_event = origin.reindex(found["zone_id"].astype(str)).to_numpy()
    age = (t_event - found["closest_time"].to_numpy()) / np.timedelta64(1, "D")
    inside = found[(age >= 0) & (age <= days_before)]
    table = (inside.assign(zone_id=inside["zone_id"].astype(str))
             .pivot_table(index="zone_id", columns="norad_id", values="closest_time",
                          aggfunc="count", fill_value=0))
    out = events.copy()
    out["radius_km"] = zones["radius_km"].to_numpy()
    keys = zones["zone_id"].astype(str).to_numpy()
    per_sat = {f"n_passes_{nid}": table[nid].reindex(keys, fill_value=0).to_numpy()
               if nid in table.columns else np.zeros(len(out), dtype=int)
               for nid in tles["norad_id"].unique()}
    out["n_passes"] = np.sum(list(per_sat.values()), axis=0).astype(int)
    for name, values in per_sat.items():
        out[name] = values.astype(int)
    return out
