"""Instrument-mode plans: burst over seismic belts and alarm zones, survey elsewhere.

CSES records in *burst* mode (high sampling rate) over China and the main seismic belts
and in *survey* mode elsewhere (Shen et al. 2018, Sci. China Tech. Sci. 61, 634), within
its on-board memory and the downlink its ground stations allow. This module builds that
plan for a day:

* **Burst zones** (:class:`BurstZones`), three kinds in order of priority:
  2. the preparation zones of active alarms: circles of the alarm's ``radius_km`` (the
     Dobrovolsky radius 10^(0.43 M) km when the alarm rule uses it, see
     :func:`ionoquake.geo.dobrovolsky_radius_km`), only between the alarm's ``start``
     and ``end``;
  1. the seismic belts, derived from a catalogue by :func:`seismic_belts`: the
     ``cell_deg`` × ``cell_deg`` cells holding at least ``min_events`` events of
     magnitude ≥ ``min_magnitude``, dilated by ``dilate`` cells (8-neighbourhood,
     longitude wrapping) and merged; and any polygons given (e.g. a region of interest),
     checked by :func:`check_polygon` (self-intersections refused, antimeridian
     crossings split);
  0. everything else: survey.
* **The plan** (:func:`instrument_plan`): the track is sampled every ``step_s`` (10 s)
  at the middle of each step; each step records at the burst or survey rate of its
  zone; memory fills with what is recorded and empties during the satellite's
  contacts (the part of each contact its antenna gives it, at the station's rate,
  :mod:`ionoquake.orbits.contacts`).
* **Trimming** (:func:`ionoquake.orbits.memory.memory_plan`): where memory would
  overflow, burst steps are downgraded to survey (belts first, then alarms, the latest
  first). Every trim is reported in :attr:`InstrumentPlan.messages`.

Volumes are in Mbit, rates in Mbit/s, memory in Mbit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import InputError
from ionoquake.geo import great_circle_km
from ionoquake.orbits.memory import (
    ALARM,
    BELT,
    SURVEY,
    Float,
    Recorder,
    downlink_capacity,
    memory_plan,
    window_capacity,
)
from ionoquake.orbits.passes import TimeLike

__all__ = ["BurstZones", "InstrumentPlan", "check_polygon", "instrument_plan", "seismic_belts"]

_CLASS_NAMES = {SURVEY: "survey", BELT: "belt", ALARM: "alarm"}
_ZONE_NAMES = np.array(["survey", "belt", "alarm"])


# --- zones ---------------------------------------------------------------------------------

def check_polygon(vertices: ArrayLike, zone_id: str = "polygon") -> list[Any]:
    """A (lon, lat) polygon checked and, if it crosses the antimeridian, split there.

    Returns shapely polygons in −180..180 longitude. Raises :class:`InputError` (one line
    naming the polygon) for fewer than 3 vertices, values out of range, a ring that
    self-intersects, or one that encircles a pole.
    """
    import shapely
    from shapely.geometry import Polygon, box
    from shapely.validation import explain_validity

    v = np.asarray(vertices, dtype=float)
    if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 3 or not np.isfinite(v).all():
        raise InputError(f"polygon {zone_id}: needs at least 3 finite (lon, lat) vertices")
    if np.all(v[0] == v[-1]):
        v = v[:-1]
    if np.abs(v[:, 1]).max() > 90 or np.abs(v[:, 0]).max() > 360:
        raise InputError(f"polygon {zone_id}: latitude beyond ±90° or longitude beyond ±360°")
    lon = np.degrees(np.unwrap(np.radians(v[:, 0])))
    if abs(lon[-1] - lon[0]) > 180:
        raise InputError(f"polygon {zone_id}: it encircles a pole; split it into pieces that "
                         "do not")
    ring = Polygon(np.column_stack([lon, v[:, 1]]))
    if not ring.is_valid:
        raise InputError(f"polygon {zone_id}: {explain_validity(ring)} (self-intersecting?)")
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        part = shapely.affinity.translate(ring, xoff=shift).intersection(
            box(-180.0, -90.0, 180.0, 90.0))
        pieces += [g for g in getattr(part, "geoms", [part])
                   if g.geom_type == "Polygon" and g.area > 0]
    return pieces


@dataclass(frozen=True)
class BeltGrid:
    """Seismic-belt cells on a regular grid: ``cells[i, j]`` for the cell of lat index i."""

    cell_deg: float
    cells: NDArray[np.bool_]

    def contains(self, lat: Float, lon: Float) -> NDArray[np.bool_]:
        i = np.clip(((lat + 90.0) // self.cell_deg).astype(int), 0, self.cells.shape[0] - 1)
        j = np.clip((((lon + 180.0) % 360.0) // self.cell_deg).astype(int), 0,
                    self.cells.shape[1] - 1)
        return np.asarray(self.cells[i, j])

    def polygons(self) -> list[Any]:
        """The belts as merged shapely polygons (for maps)."""
        from shapely.geometry import box
        from shapely.ops import unary_union

        i, j = np.nonzero(self.cells)
        h = self.cell_deg
        merged = unary_union([box(-180 + b * h, -90 + a * h, -180 + (b + 1) * h, -90 + (a + 1) * h)
                              for a, b in zip(i, j, strict=True)])
        return list(getattr(merged, "geoms", [merged])) if not merged.is_empty else []


def seismic_belts(catalog: pd.DataFrame, *, cell_deg: float = 5.0, min_events: int = 3,
                  min_magnitude: float = 5.0, dilate: int = 1) -> BeltGrid:
    """The seismic belts of a catalogue: busy cells, dilated (rule in the module doc)."""
    if not (0 < cell_deg <= 30 and 180 % cell_deg == 0):
        raise InputError(f"cell_deg = {cell_deg}: must divide 180 and be in (0, 30]")
    ev = catalog[catalog["magnitude"] >= min_magnitude]
    n_lat, n_lon = int(180 / cell_deg), int(360 / cell_deg)
    counts = np.zeros((n_lat, n_lon), dtype=int)
    i = np.clip(((ev["latitude"].to_numpy(float) + 90) // cell_deg).astype(int), 0, n_lat - 1)
    j = np.clip((((ev["longitude"].to_numpy(float) + 180) % 360) // cell_deg).astype(int), 0,
                n_lon - 1)
    np.add.at(counts, (i, j), 1)
    busy = counts >= min_events
    out = busy.copy()
    for di in range(-dilate, dilate + 1):
        for dj in range(-dilate, dilate + 1):
            shifted = np.roll(busy, dj, axis=1)  # longitude wraps
            if di > 0:
                shifted = np.vstack([np.zeros((di, n_lon), bool), shifted[:-di]])
            elif di < 0:
                shifted = np.vstack([shifted[-di:], np.zeros((-di, n_lon), bool)])
            out |= shifted
    return BeltGrid(cell_deg, out)


@dataclass(frozen=True)
class BurstZones:
    """Where to record in burst mode: alarms (priority 2), belts and polygons (1).

    ``alarms`` is an alarm table (``start``, ``end``, ``lat``, ``lon``, ``radius_km``;
    the columns of :data:`ionoquake.forecast.alarms.ALARM_COLUMNS`).
    """

    belts: BeltGrid | None = None
    alarms: pd.DataFrame | None = None
    polygons: tuple[Any, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, *, belts: BeltGrid | None = None, alarms: pd.DataFrame | None = None,
              polygons: Sequence[tuple[str, ArrayLike]] = ()) -> BurstZones:
        """Zones from belts, an alarm table and (id, (lon, lat) vertices) polygons."""
        pieces: list[Any] = []
        for zone_id, verts in polygons:
            pieces += check_polygon(verts, zone_id)
        if alarms is not None:
            missing = [c for c in ("start", "end", "lat", "lon", "radius_km")
                       if c not in alarms.columns]
            if missing:
                raise InputError(f"alarm table: missing column {missing[0]!r}")
        return cls(belts, alarms, tuple(pieces))

    def classify(self, times: NDArray[np.datetime64], lat: Float, lon: Float) -> NDArray[np.int8]:
        """Zone class (:data:`SURVEY`, :data:`BELT`, :data:`ALARM`) of each point."""
        import shapely

        out = np.zeros(lat.shape, dtype=np.int8)
        belt = np.zeros(lat.shape, dtype=bool)
        if self.belts is not None:
            belt |= self.belts.contains(lat, lon)
        for poly in self.polygons:
            belt |= shapely.contains_xy(poly, lon, lat)
        out[belt] = BELT
        if self.alarms is not None and len(self.alarms):
            a = self.alarms
            for start, end, la, lo, r in zip(a["start"], a["end"], a["lat"], a["lon"],
                                             a["radius_km"], strict=True):
                on = (times >= np.datetime64(start)) & (times < np.datetime64(end))
                if on.any():
                    near = np.zeros(lat.shape, dtype=bool)
                    near[on] = great_circle_km(la, lo, lat[on], lon[on]) <= r
                    out[near] = ALARM
        return out


# --- the day's plan ------------------------------------------------------------------------

@dataclass
class InstrumentPlan:
    """A plan for some satellites and a period.

    ``segments``: one row per run of steps with the same zone class and mode
    (satellite, start, end, zone, mode, burst_s, volume_mbit, trimmed_mbit);
    ``orbits``: volume recorded per revolution; ``downlinks``: per contact, memory
    before and after and the volume sent; ``memory``: per step, memory at its end, volume
    downlinked and lost; ``messages``: what was trimmed or lost.

    A satellite downlinks to one station at a time: where two assigned contacts
    overlap, it stays with the station reached first until that one's LOS.
    """

    segments: pd.DataFrame
    orbits: pd.DataFrame
    downlinks: pd.DataFrame
    memory: pd.DataFrame
    messages: list[str]

    def to_dict(self) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): (str(v) if isinstance(v, pd.Timestamp) else v)
                     for k, v in r.items()}
                    for r in frame.to_dict("records")]

        return {"segments": rows(self.segments), "orbits": rows(self.orbits),
                "downlinks": rows(self.downlinks), "messages": list(self.messages)}


def _downlink_windows(contacts: pd.DataFrame | None) -> dict[int, tuple[NDArray[Any], ...]]:
    """Per NORAD id: (start ns, end ns, rate Mbit/s, station) of its assigned contacts,
    made disjoint: one transmitter, so one station at a time.

    Where two stations' windows overlap, the satellite stays with the station it reached
    first until that one's LOS, and the later window starts then (or is dropped).
    """
    if contacts is None or contacts.empty:
        return {}
    used = contacts[contacts["track_s"] > 0].sort_values(["norad_id", "track_start"])
    nid = used["norad_id"].to_numpy(np.int64)
    start = used["track_start"].to_numpy("datetime64[ns]").astype(np.int64)
    end = used["track_end"].to_numpy("datetime64[ns]").astype(np.int64)
    rate = (used["downlink_mbit"] / used["track_s"]).to_numpy(float)
    station = used["station"].astype(str).to_numpy()
    out: dict[int, tuple[NDArray[Any], ...]] = {}
    for sat in np.unique(nid):
        sel = nid == sat
        s, e = start[sel], end[sel]
        busy = np.maximum.accumulate(np.concatenate([[np.iinfo(np.int64).min], e[:-1]]))
        s = np.maximum(s, busy)
        keep = e > s
        out[int(sat)] = (s[keep], e[keep], rate[sel][keep], station[sel][keep])
    return out


def _runs(key: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    change = np.flatnonzero(np.diff(key) != 0) + 1
    return np.concatenate([[0], change]), np.concatenate([change, [key.size]])


def instrument_plan(tles: pd.DataFrame, zones: BurstZones, start: TimeLike, end: TimeLike, *,
                    contacts: pd.DataFrame | None = None, recorder: Recorder | None = None,
                    recorders: dict[int, Recorder] | None = None, step_s: float = 10.0,
                    node_step_s: float = 60.0) -> InstrumentPlan:
    """The burst/survey plan of each satellite of ``tles`` over [start, end).

    Parameters
    ----------
    tles
        Element sets of the satellites.
    zones
        The burst zones.
    start, end
        The period (naive UTC).
    contacts
        The contact table (:func:`ionoquake.orbits.contacts.contacts`); each satellite
        downlinks during its ``track_start`` … ``track_end`` at the station's rate.
    recorder, recorders
        Rates and memory: one for all, or per NORAD id (falling back to ``recorder``).
    step_s
        Plan step, s.
    node_step_s
        SGP4 node spacing (see :mod:`ionoquake.orbits.dense`).
    """
    from ionoquake.orbits.dense import earth_fixed_nodes
    from ionoquake.orbits.frames import itrs_to_geodetic
    from ionoquake.orbits.track import orbit_numbers

    t0 = pd.Timestamp(start).to_datetime64().astype("datetime64[ns]")
    t1 = pd.Timestamp(end).to_datetime64().astype("datetime64[ns]")
    n = int(np.ceil((t1 - t0) / np.timedelta64(1, "s") / step_s))
    step = np.timedelta64(round(step_s * 1e9), "ns")
    starts = t0 + np.arange(n) * step
    mid = starts + step // 2
    default = recorder or Recorder()
    segs, orbits, downs, mems, messages = [], [], [], [], []
    by_sat = _downlink_windows(contacts)
    for norad, sat in tles.groupby("norad_id", sort=False):
        sat = sat.reset_index(drop=True)
        nid, name = int(str(norad)), str(sat["name"].iloc[0]).strip()
        rec = (recorders or {}).get(nid, default)
        nodes = earth_fixed_nodes(sat, t0, t1, step_s=node_step_s)
        x, y, z, vz = nodes.position(nodes.seconds(mid))
        lat, lon, _ = itrs_to_geodetic(x, y, z)
        klass = zones.classify(mid, lat, lon)
        empty = np.zeros(0)
        w_start, w_end, w_rate, w_station = by_sat.get(nid, (empty, empty, empty, empty))
        t0_ns = int(t0.astype(np.int64))
        windows = [((a - t0_ns) / 1e9, (b - t0_ns) / 1e9, float(r))
                   for a, b, r in zip(w_start.tolist(), w_end.tolist(), w_rate.tolist(),
                                      strict=True)]
        res = memory_plan(klass, step_s, rec, windows)
        mode = np.where(res.burst_fraction > 0, 1, 0) + 2 * (res.trimmed_mbit > 0)
        a, b = _runs(klass.astype(int) * 4 + mode)
        segs.append(pd.DataFrame({
            "norad_id": nid, "satellite": name, "start": starts[a], "end": starts[b - 1] + step,
            "zone": _ZONE_NAMES[klass[a]],
            "mode": np.where(mode[a] & 1, "burst", "survey"),
            "burst_s": np.add.reduceat(res.burst_fraction * step_s, a),
            "volume_mbit": np.add.reduceat(res.recorded_mbit, a),
            "trimmed_mbit": np.add.reduceat(res.trimmed_mbit, a)}))
        rev = orbit_numbers(sat, mid, np.degrees(np.arctan(z / np.hypot(x, y))), vz > 0)
        ra, rb = _runs(rev)
        orbits.append(pd.DataFrame({
            "norad_id": nid, "satellite": name, "orbit": rev[ra], "start": starts[ra],
            "end": starts[rb - 1] + step,
            "burst_s": np.add.reduceat(res.burst_fraction * step_s, ra),
            "volume_mbit": np.add.reduceat(res.recorded_mbit, ra),
            "trimmed_mbit": np.add.reduceat(res.trimmed_mbit, ra)}))
        mems.append(pd.DataFrame({"norad_id": nid, "time": starts + step,
                                  "memory_mbit": res.memory_mbit,
                                  "downlinked_mbit": res.downlinked_mbit,
                                  "lost_mbit": res.lost_mbit}))
        grid = np.arange(n, dtype=float) * step_s
        total = downlink_capacity(grid, step_s, windows)
        for (wa, wb, rate), station, w_a, w_b in zip(windows, w_station, w_start, w_end,
                                                      strict=True):
            i0, own = window_capacity(grid, step_s, wa, wb, rate)
            steps = i0 + np.flatnonzero(own > 0)
            if steps.size == 0:
                continue
            share = own[steps - i0] / total[steps]
            ia = int(steps[0])
            downs.append({"norad_id": nid, "satellite": name, "station": str(station),
                          "start": pd.Timestamp(int(w_a)), "end": pd.Timestamp(int(w_b)),
                          "memory_before_mbit": float(res.memory_mbit[ia - 1] if ia > 0
                                                      else rec.initial_mbit),
                          "memory_after_mbit": float(res.memory_mbit[steps[-1]]),
                          "downlinked_mbit": float((res.downlinked_mbit[steps] * share).sum())})
        trimmed = res.trimmed_mbit.sum()
        if trimmed > 0:
            by = {_CLASS_NAMES[k]: float(res.trimmed_mbit[klass == k].sum()) for k in (1, 2)}
            messages.append(f"{name} (NORAD {nid}): memory of {rec.memory_mbit:g} Mbit would "
                            f"overflow; trimmed {trimmed:.1f} Mbit of burst to survey "
                            f"(belts {by['belt']:.1f}, alarm zones {by['alarm']:.1f})")
        if res.lost_mbit.sum() > 0:
            messages.append(f"{name} (NORAD {nid}): survey alone overflows memory; "
                            f"{res.lost_mbit.sum():.1f} Mbit lost")

    def cat(parts: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    return InstrumentPlan(cat(segs), cat(orbits), pd.DataFrame(downs), cat(mems), messages)
