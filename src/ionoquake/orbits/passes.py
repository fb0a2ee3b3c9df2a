"""Every pass of every satellite over every zone, fast.

A *pass* is a continuous stretch of time during which the sub-satellite point lies
within a zone (:mod:`ionoquake.orbits.zones`). The search, for each satellite:

1. SGP4 at nodes every ``node_step_s`` (60 s) over the period, Earth-fixed, with cubic
   Hermite interpolation in between (:mod:`ionoquake.orbits.dense`);
2. candidate (zone, node) pairs: nodes within acos(cos R · cos(L/2)) of the zone
   centre (R the radius, L the node spacing on the ground), found with k-d trees on
   unit vectors (zones grouped by radius); consecutive candidate nodes of a zone form
   one candidate pass;
3. closest approach: the vertex of a parabola through 1 − cos(distance) at the three
   nodes around the nearest one (within 0.05 s and 50 m of the converged minimum);
4. entry and exit: a great-circle estimate from the closest approach, then one Newton
   step on the interpolated track (within 0.04 s of the converged crossing);
5. polygons and grid cells: the pass over the circumscribed circle, sampled every 2 s
   and tested for containment, entry and exit refined by bisection to 1/32 s.

Times agree with a brute-force search at 1 s to well under a second
(``tests/orbits/test_passes.py``). The pass table (:data:`PASS_COLUMNS`) is built
in :func:`pass_frame` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.geo import EARTH_RADIUS_KM, equation_of_time_min, local_mean_time_h
from ionoquake.orbits.dense import EarthFixedNodes, earth_fixed_nodes
from ionoquake.orbits.frames import geodetic_up, itrs_to_geodetic
from ionoquake.orbits.sgp4 import nearest_epoch_index, warn_tle_ages
from ionoquake.orbits.zones import inside
from ionoquake.sources.tle import MAX_AGE_DAYS

__all__ = ["PASS_COLUMNS", "TimeLike", "pass_frame", "passes_over"]

Float = NDArray[np.float64]
Int = NDArray[np.intp]
#: What the public functions accept as a time (naive UTC).
TimeLike = str | pd.Timestamp | np.datetime64 | dt.datetime | dt.date

PASS_COLUMNS = ("zone_id", "norad_id", "satellite", "entry", "exit", "duration_s",
                "closest_time", "closest_km", "closest_lat", "closest_lon", "alt_km",
                "local_mean_time_h", "local_apparent_time_h", "ascending")
_POLY_STEP_S = 2.0


def pass_frame(data: dict[str, Any] | None = None) -> pd.DataFrame:
    """The pass table with :data:`PASS_COLUMNS` (empty when ``data`` is None).

    ``entry``/``exit``/``closest_time`` are naive UTC; ``closest_km`` is the great-circle
    distance from the zone centre; local times are in hours at the closest approach.
    ``zone_id`` and ``satellite`` are categorical (millions of rows stay cheap).
    """
    frame = pd.DataFrame(data or {c: [] for c in PASS_COLUMNS}, columns=list(PASS_COLUMNS))
    for col in ("entry", "exit", "closest_time"):
        frame[col] = frame[col].astype("datetime64[ns]")
    for col in ("zone_id", "satellite"):
        frame[col] = frame[col].astype("category")
    frame["norad_id"] = frame["norad_id"].astype("int64")
    frame["ascending"] = frame["ascending"].astype(bool)
    return frame


def _unit(lat_deg: Float, lon_deg: Float) -> Float:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _up(nodes: EarthFixedNodes, t_s: Float) -> tuple[Float, Float, Float]:
    x, y, z, _ = nodes.position(t_s)
    return geodetic_up(x, y, z)


def _cos_to(nodes: EarthFixedNodes, t_s: Float, centre: Float) -> Float:
    ux, uy, uz = _up(nodes, t_s)
    return np.asarray(ux * centre[:, 0] + uy * centre[:, 1] + uz * centre[:, 2])


def _candidates(up: Float, centres: Float, rho: Float,
                half_step: float) -> tuple[Int, Int, Float]:
    """(zone, node, cos distance) of nodes that may neighbour a pass (angles in radians).

    If a track segment between two nodes comes within rho of a centre, the nearer node
    is within acos(cos rho · cos half_step) of it (spherical Pythagoras for a great-
    circle segment); 1 km is added for the track's departure from a great circle.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(up)
    reach = np.arccos(np.cos(rho) * np.cos(half_step)) + 1.0 / EARTH_RADIUS_KM
    order = np.argsort(reach)
    zones, nodes, cosines = [], [], []
    start = 0
    while start < order.size:  # radius classes within 25 % of each other
        stop = int(np.searchsorted(reach[order], reach[order[start]] * 1.25, side="right"))
        sel = order[start:stop]
        pairs = cKDTree(centres[sel]).sparse_distance_matrix(
            tree, 2 * np.sin(reach[sel].max() / 2), output_type="ndarray")
        keep = pairs["v"] <= 2 * np.sin(reach[sel][pairs["i"]] / 2)
        zones.append(sel[pairs["i"][keep]])
        nodes.append(pairs["j"][keep])
        cosines.append(1.0 - 0.5 * pairs["v"][keep] ** 2)  # chord -> cos(angle)
        start = stop
    return np.concatenate(zones), np.concatenate(nodes), np.concatenate(cosines)


def _closest(nodes: EarthFixedNodes, up: Float, centre: Float, best: Int) -> Float:
    """Time (s since nodes.t0) of the closest approach, near node ``best``."""
    n, h = up.shape[0], nodes.step_s
    f = [1.0 - np.einsum("ij,ij->i", up[np.clip(best + d, 0, n - 1)], centre)
         for d in (-1, 0, 1)]
    return np.asarray(best * h + _vertex(f[0], f[1], f[2], h))


def _vertex(fm: Float, f0: Float, fp: Float, h: float) -> Float:
    curv = fm - 2.0 * f0 + fp
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(curv > 0, 0.5 * h * (fm - fp) / curv, 0.0)
    return np.clip(s, -h, h)


def _crossings(nodes: EarthFixedNodes, tc: Float, centre: Float, delta: Float,
               rho: Float, rate: Float) -> tuple[Float, Float]:
    """Entry and exit times (s): great-circle estimate, then one Newton step."""
    cos_d = np.cos(delta)
    half = np.arccos(np.clip(np.cos(rho) / cos_d, -1.0, 1.0)) / rate
    out = []
    for sign in (-1.0, 1.0):
        s = sign * half
        for _ in range(1):
            ang = np.arccos(np.clip(_cos_to(nodes, tc + s, centre), -1.0, 1.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = cos_d * np.sin(rate * s) * rate / np.sin(ang)
                step = np.where(np.abs(slope) > 1e-12, (ang - rho) / slope, 0.0)
            s = sign * np.clip(sign * (s - step), 0.0, 3600.0)
        out.append(tc + s)
    return out[0], out[1]


def _one_satellite(zones: pd.DataFrame, nodes: EarthFixedNodes, start_s: float,
                   end_s: float) -> dict[str, NDArray[Any]] | None:
    n = nodes.coef[0].shape[1] + 1
    t_nodes = np.arange(n) * nodes.step_s
    up = np.stack(_up(nodes, t_nodes), axis=-1)
    centres = _unit(zones["lat"].to_numpy(), zones["lon"].to_numpy())
    rho = zones["radius_km"].to_numpy() / EARTH_RADIUS_KM
    step = float(np.arccos(np.clip(np.einsum("ij,ij->i", up[1:], up[:-1]), -1, 1)).max())
    zi, kj, cosine = _candidates(up, centres, rho, step / 2)
    if zi.size == 0:
        return None
    key = zi.astype(np.int64) * n + kj
    order = np.argsort(key)
    key, cosine = key[order], cosine[order]
    zi, kj = key // n, key % n
    starts = np.flatnonzero(np.concatenate([[True], np.diff(key) != 1]))
    run = np.repeat(np.arange(starts.size), np.diff(np.append(starts, key.size)))
    at_best = np.flatnonzero(cosine == np.maximum.reduceat(cosine, starts)[run])
    first = at_best[np.concatenate([[True], np.diff(run[at_best]) != 0])]
    # Work in time order from here: the coefficient look-ups then walk memory in order.
    first = first[np.argsort(kj[first], kind="stable")]
    zone, best = zi[first], kj[first]
    c = centres[zone]
    tc = _closest(nodes, up, c, best)
    x, y, z, vz = nodes.position(tc)
    ux, uy, uz = geodetic_up(x, y, z)
    delta = np.arccos(np.clip(ux * c[:, 0] + uy * c[:, 1] + uz * c[:, 2], -1.0, 1.0))
    keep = (delta <= rho[zone]) & (tc >= start_s) & (tc < end_s)
    zone, best, tc, delta, c = zone[keep], best[keep], tc[keep], delta[keep], c[keep]
    b0, b1 = np.clip(best - 1, 0, n - 1), np.clip(best + 1, 0, n - 1)
    span = np.arccos(np.clip(np.einsum("ij,ij->i", up[b0], up[b1]), -1, 1))
    rate = span / ((b1 - b0) * nodes.step_s)
    entry, exit_ = _crossings(nodes, tc, c, delta, rho[zone], rate)
    return {"zone": zone, "tc": tc, "delta": delta, "entry": entry, "exit": exit_,
            "x": x[keep], "y": y[keep], "z": z[keep], "vz": vz[keep]}


def _polygon_bounds(zones: pd.DataFrame, nodes: EarthFixedNodes,
                    found: dict[str, NDArray[Any]]) -> NDArray[np.bool_]:
    """Replace circle entry/exit by the polygon's; return which passes touch it."""
    zone, entry, exit_ = found["zone"], found["entry"], found["exit"]
    polygon = (zones["kind"] != "circle").to_numpy(dtype=bool)
    ok = np.ones(zone.size, dtype=bool)
    for p in np.flatnonzero(polygon[zone]):
        verts = zones["vertices"].iloc[int(zone[p])]

        def test(t_s: Float, verts: Float = verts) -> NDArray[np.bool_]:
            x, y, z, _ = nodes.position(t_s)
            lat, lon, _ = itrs_to_geodetic(x, y, z)
            return inside(verts, lon, lat)

        grid = np.arange(entry[p], exit_[p] + _POLY_STEP_S, _POLY_STEP_S)
        hit = np.nonzero(test(grid))[0]
        if hit.size == 0:
            ok[p] = False
            continue
        bounds = []
        for k, outward in ((hit[0], -1), (hit[-1], 1)):
            lo, hi = grid[k], grid[k] + outward * _POLY_STEP_S
            for _ in range(6):  # bisection to 2 s / 64
                mid = 0.5 * (lo + hi)
                if test(np.array([mid]))[0]:
                    lo = mid
                else:
                    hi = mid
            bounds.append(0.5 * (lo + hi))
        entry[p], exit_[p] = bounds
    return ok


def passes_over(zones: pd.DataFrame, tles: pd.DataFrame, start: TimeLike, end: TimeLike, *,
                node_step_s: float = 60.0, dut1_s: float | None = None,
                max_age_days: float = MAX_AGE_DAYS) -> pd.DataFrame:
    """Every pass of each satellite in ``tles`` over each zone, closest approach in [start, end).

    Parameters
    ----------
    zones
        A zone table (:mod:`ionoquake.orbits.zones`).
    tles
        Element sets of one or more satellites (histories allowed: each time uses the
        set nearest in epoch).
    start, end
        The period (naive UTC, anything :class:`pandas.Timestamp` accepts).
    node_step_s
        SGP4 node spacing in seconds (see :mod:`ionoquake.orbits.dense`).
    dut1_s
        UT1 − UTC in seconds; None reads skyfield's built-in IERS table.
    max_age_days
        Warn when the period reaches farther than this from every TLE epoch.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PASS_COLUMNS`, sorted by zone (in ``zones`` order) and time.
    """
    t_start, t_end = pd.Timestamp(start).to_datetime64(), pd.Timestamp(end).to_datetime64()
    parts: list[dict[str, NDArray[Any]]] = []
    names: list[str] = []
    for _, sat in tles.groupby("norad_id", sort=False):
        sat = sat.reset_index(drop=True)
        probe = np.array([t_start, t_end], dtype="datetime64[ns]")
        warn_tle_ages(sat, probe, nearest_epoch_index(sat["epoch"].to_numpy(), probe),
                      max_age_days)
        nodes = earth_fixed_nodes(sat, t_start, t_end, step_s=node_step_s, dut1_s=dut1_s)
        found = _one_satellite(zones, nodes, float(nodes.seconds(t_start)),
                               float(nodes.seconds(t_end)))
        if found is None:
            continue
        ok = _polygon_bounds(zones, nodes, found)
        found = {k: v[ok] for k, v in found.items()}
        parts.append(_columns(nodes, found, int(sat["norad_id"].iloc[0]), len(names)))
        names.append(str(sat["name"].iloc[0]).strip())
    if not parts:
        return pass_frame()
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["closest_time"], cols["zone"]))
    table: dict[str, Any] = {k: v[order] for k, v in cols.items()}
    table["zone_id"] = pd.Categorical.from_codes(table.pop("zone"),
                                                 categories=pd.Index(zones["zone_id"]))
    table["satellite"] = pd.Categorical.from_codes(table.pop("sat"), categories=pd.Index(names))
    return pass_frame(table)


def _columns(nodes: EarthFixedNodes, found: dict[str, NDArray[Any]], norad_id: int,
             sat: int) -> dict[str, NDArray[Any]]:
    tc = found["tc"]
    lat, lon, alt = itrs_to_geodetic(found["x"], found["y"], found["z"])

    def when(s: Float) -> NDArray[np.datetime64]:
        return nodes.t0 + np.round(s * 1e9).astype("timedelta64[ns]")

    times = when(tc)
    lmt = local_mean_time_h(times, lon)
    return {
        "zone": found["zone"], "sat": np.full(tc.size, sat),
        "norad_id": np.full(tc.size, norad_id),
        "entry": when(found["entry"]), "exit": when(found["exit"]),
        "duration_s": found["exit"] - found["entry"], "closest_time": times,
        "closest_km": found["delta"] * EARTH_RADIUS_KM, "closest_lat": lat,
        "closest_lon": lon, "alt_km": alt, "local_mean_time_h": lmt,
        "local_apparent_time_h": (lmt + equation_of_time_min(times) / 60.0) % 24.0,
        "ascending": found["vz"] > 0,
    }
