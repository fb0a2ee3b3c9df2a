"""Contact windows between satellites and ground stations, and who gets the antenna.

A *contact* is a stretch of time during which a satellite is above a station's
elevation mask. The search, for each satellite (all stations at once):

1. SGP4 at nodes every ``node_step_s`` (120 s), Earth-fixed, cubic Hermite in between
   (:mod:`ionoquake.orbits.dense`: error ≈ r (ω h)⁴ / 384 ≈ 6 m in LEO at 120 s, i.e.
   under a millisecond of along-track time);
2. the elevation above each station's mask, f(t) = el(t) − mask, on a grid of
   ``grid_step_s`` (60 s), all stations at once (sin el − sin mask);
3. each local maximum of f on the grid higher than −5° is refined by successive
   parabolas (to milliseconds); a refined maximum above zero is a contact's
   culmination (this also finds grazing passes shorter than the grid step);
4. AOS and LOS: Illinois false position on f between the culmination and the nearest
   grid sample with f ≤ 0 on either side, to ``tol_s`` (default 0.01 s).

Elevation is geometric (no refraction) above the WGS84 ellipsoid normal, the
convention of skyfield's ``(satellite - wgs84.latlon(...)).at(t).altaz()``; the
windows agree with skyfield's ``EarthSatellite.find_events`` within 1 s
(``tests/orbits/test_contacts.py``, in practice within ~0.01 s).

Conflicts: a station has one antenna. Where windows of two satellites overlap at one
station, the antenna goes by :func:`assign_antennas`'s rule: the satellite earlier in
the priority list first, then the higher culmination, then the earlier AOS; a later
window keeps the longest part of its window not already taken (``track_start`` …
``track_end``), or nothing. The contact table (:data:`CONTACT_COLUMNS`) is built in
:func:`contact_frame` only.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.orbits.dense import EarthFixedNodes, earth_fixed_nodes
from ionoquake.orbits.passes import TimeLike
from ionoquake.orbits.sgp4 import nearest_epoch_index, warn_tle_ages
from ionoquake.orbits.stations import station_vectors
from ionoquake.sources.tle import MAX_AGE_DAYS

__all__ = ["CONTACT_COLUMNS", "assign_antennas", "contact_frame", "contacts", "find_windows"]

Float = NDArray[np.float64]
Int = NDArray[np.intp]

CONTACT_COLUMNS = ("station", "norad_id", "satellite", "aos", "los", "duration_s",
                   "max_elevation_deg", "max_elevation_time", "volume_mbit", "track_start",
                   "track_end", "track_s", "downlink_mbit", "conflict_with")
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
#: Grid maxima lower than this (f units, here degrees) cannot hide a window between samples.
_PEAK_MARGIN = 5.0
#: The same in sin(elevation) units (sin 10° − sin 5° ≈ 0.087).
_SIN_PEAK_MARGIN = 0.09
#: Windows are searched this much beyond the period so that none is cut at its ends.
_PAD_S = 1800.0


def contact_frame(data: dict[str, Any] | None = None) -> pd.DataFrame:
    """The contact table with :data:`CONTACT_COLUMNS` (empty when ``data`` is None).

    Times are naive UTC; ``volume_mbit`` = duration × the station's downlink rate (the
    whole window), ``downlink_mbit`` = ``track_s`` × rate (the part the antenna gives
    this satellite); ``conflict_with`` names the satellites whose windows overlapped.
    """
    frame = pd.DataFrame(data or {c: [] for c in CONTACT_COLUMNS}, columns=list(CONTACT_COLUMNS))
    for col in ("aos", "los", "max_elevation_time", "track_start", "track_end"):
        frame[col] = frame[col].astype("datetime64[ns]")
    for col in ("station", "satellite", "conflict_with"):
        frame[col] = frame[col].astype(str)
    frame["norad_id"] = frame["norad_id"].astype("int64")
    for col in ("duration_s", "max_elevation_deg", "volume_mbit", "track_s", "downlink_mbit"):
        frame[col] = frame[col].astype(float)
    return frame


def _vertex_s(fm: Float, f0: Float, fp: Float, h: Float) -> Float:
    """Offset (s) of the vertex of the parabola through (−h, fm), (0, f0), (h, fp)."""
    curv = fm - 2.0 * f0 + fp
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(curv < 0, 0.5 * h * (fm - fp) / curv, 0.0)
    return np.clip(s, -h, h)


def _refine_max(f: Callable[[Float, Int], Float], t: Float, h: Float, k: Int,
                rounds: int = 3) -> tuple[Float, Float]:
    """Maximum of f(·, k) near t: successive parabolas, each over a quarter of the last span.

    Elevation (and off-nadir margin) is smooth near its maximum, so each parabola's
    vertex is far closer than its span: from a 30 s grid, three rounds (±7.5 s, ±1.9 s,
    ±0.5 s) put the time within milliseconds. A vertex that is not higher than the best
    sample is replaced by that sample.
    """
    best_t, best_f = t, f(t, k)
    for _ in range(rounds):
        h = h / 4.0
        fm, fp = f(best_t - h, k), f(best_t + h, k)
        cand = best_t + _vertex_s(fm, best_f, fp, h)
        fc = f(cand, k)
        stack_t = np.stack([cand, best_t - h, best_t + h, best_t])
        stack_f = np.stack([fc, fm, fp, best_f])
        pick = np.argmax(stack_f, axis=0)
        cols = np.arange(t.size)
        best_t, best_f = stack_t[pick, cols], stack_f[pick, cols]
    return best_t, best_f


def _crossing(f: Callable[[Float, Int], Float], below: Float, above: Float, k: Int,
              tol_s: float, iterations: int = 40) -> Float:
    """Vectorised root of f(t, k) with f(below) ≤ 0 < f(above): Illinois false position.

    The bracket always holds the root; iteration stops when every bracket is narrower
    than ``tol_s`` or the false-position step moves less than tol_s / 10 (f is nearly
    linear at a crossing, so a handful of steps suffice).
    """
    a, b = below.copy(), above.copy()
    fa, fb = f(a, k), f(b, k)
    t = 0.5 * (a + b)
    side = np.zeros(a.shape, dtype=np.int8)
    for _ in range(iterations):
        with np.errstate(divide="ignore", invalid="ignore"):
            t_new = np.where(fb != fa, b - fb * (b - a) / (fb - fa), 0.5 * (a + b))
        t_new = np.where((t_new > np.minimum(a, b)) & (t_new < np.maximum(a, b)), t_new,
                         0.5 * (a + b))
        moved = np.abs(t_new - t)
        t = t_new
        ft = f(t, k)
        up = ft > 0
        # Illinois: halve the kept end's value when the same end is kept twice.
        fa = np.where(up & (side == -1), fa / 2.0, fa)
        fb = np.where(~up & (side == 1), fb / 2.0, fb)
        b, fb = np.where(up, t, b), np.where(up, ft, fb)
        a, fa = np.where(up, a, t), np.where(up, fa, ft)
        side = np.where(up, -1, 1).astype(np.int8)
        if np.all((np.abs(b - a) < tol_s) | (moved < tol_s / 10.0)):
            break
    return t


def find_windows(f: Callable[[Float, Int], Float], t0_s: float, t1_s: float, n_targets: int,
                 *, grid_step_s: float = 30.0, tol_s: float = 0.01,
                 peak_margin: float = _PEAK_MARGIN,
                 f_grid: Callable[[Float], Float] | None = None) -> dict[str, NDArray[Any]]:
    """Windows where f(t, k) > 0, for every target k, within [t0_s, t1_s].

    Parameters
    ----------
    f
        Vectorised function of times (s) and target indices (same shape); one maximum
        per window (true of elevation and of off-nadir margins in LEO).
    t0_s, t1_s
        The interval searched (seconds on f's clock).
    n_targets
        Number of targets k = 0 … n_targets − 1.
    grid_step_s, tol_s
        Coarse grid step and the accuracy of the refined times, seconds.
    peak_margin
        Grid maxima with f below −peak_margin are not refined (in ``f_grid``'s units
        when it is given).
    f_grid
        Optional: all targets at once on the grid times, shape (n_targets, n_times);
        any function with the sign and the maxima of f (it saves recomputing what the
        targets share, e.g. the satellite's position).

    Returns
    -------
    dict
        Arrays ``target``, ``start``, ``end``, ``peak_time``, ``peak`` (f at the peak),
        one element per window, sorted by target then time. A window open at t0_s or
        t1_s starts or ends there.
    """
    n = max(int(np.ceil((t1_s - t0_s) / grid_step_s)), 1) + 1
    grid = t0_s + np.arange(n) * (t1_s - t0_s) / (n - 1)
    if f_grid is not None:
        values = f_grid(grid)
    else:
        kk = np.repeat(np.arange(n_targets), n)
        values = f(np.tile(grid, n_targets), kk).reshape(n_targets, n)
    # Local maxima, looked for only where f is near or above zero (a small fraction).
    flat = np.concatenate([values, np.full((n_targets, 1), -np.inf)], axis=1).ravel()
    width = n + 1  # one -inf column per row keeps rows apart in the flat index
    cand = np.flatnonzero(flat > -peak_margin)
    left = np.where(cand % width > 0, flat[np.maximum(cand - 1, 0)], -np.inf)
    right = flat[np.minimum(cand + 1, flat.size - 1)]
    top = cand[(flat[cand] >= left) & (flat[cand] > right)]
    k, i = top // width, top % width
    step = grid[1] - grid[0]
    h = np.full(i.shape, step)
    inner = (i > 0) & (i < n - 1)
    t_start = grid[i].copy()
    t_start[inner] += _vertex_s(values[k[inner], i[inner] - 1], values[k[inner], i[inner]],
                                values[k[inner], i[inner] + 1], h[inner])
    tp, fp = _refine_max(f, t_start, h, k)
    tp = np.clip(tp, t0_s, t1_s)
    ok = fp > 0
    k, i, tp, fp = k[ok], i[ok], tp[ok], fp[ok]
    # Nearest grid sample with f ≤ 0 on either side of each peak, from the runs of
    # positive samples (few) rather than scans of the whole grid.
    ip = np.clip(np.searchsorted(grid, tp, side="right") - 1, 0, n - 1)  # grid[ip] ≤ tp
    pos = np.flatnonzero(flat > 0)
    breaks = np.flatnonzero(np.diff(pos) != 1)
    run_first = pos[np.concatenate([[0], breaks + 1])] if pos.size else pos
    run_last = pos[np.concatenate([breaks, [pos.size - 1]])] if pos.size else pos

    def run_of(j: Int) -> tuple[NDArray[np.bool_], Int]:
        """Whether flat index j is positive, and the index of its run."""
        r = np.clip(np.searchsorted(run_first, j, side="right") - 1, 0, max(run_first.size - 1, 0))
        inside = (run_first.size > 0) & (run_first[r] <= j) & (j <= run_last[r]) \
            if run_first.size else np.zeros(j.shape, bool)
        return np.asarray(inside), r

    j0 = k * width + ip
    in0, r0 = run_of(j0)
    before = np.where(in0, run_first[r0] - k * width - 1 if run_first.size else ip, ip)
    j1 = k * width + np.minimum(ip + 1, n - 1)
    in1, r1 = run_of(j1)
    after = np.where(in1, run_last[r1] - k * width + 1 if run_last.size else ip + 1,
                     np.minimum(ip + 1, n - 1))
    after = np.where(in1 & (ip + 1 > n - 1), n, after)
    # Several grid maxima in one window (flat tops): keep the highest.
    order = np.lexsort((-fp, before, k))
    keep = order[np.concatenate([[True], (np.diff(k[order]) != 0)
                                 | (np.diff(before[order]) != 0)])] if order.size else order
    keep = np.sort(keep)
    k, tp, fp, before, after = k[keep], tp[keep], fp[keep], before[keep], after[keep]
    start = np.full(tp.shape, t0_s)
    end = np.full(tp.shape, t1_s)
    has_lo, has_hi = before >= 0, after < n
    start[has_lo] = _crossing(f, grid[before[has_lo]], tp[has_lo], k[has_lo], tol_s)
    end[has_hi] = _crossing(f, grid[after[has_hi]], tp[has_hi], k[has_hi], tol_s)
    order = np.lexsort((tp, k))
    return {"target": k[order], "start": start[order], "end": end[order],
            "peak_time": tp[order], "peak": fp[order]}


def elevation_function(nodes: EarthFixedNodes, stations: pd.DataFrame
                       ) -> Callable[[Float, Int], Float]:
    """f(t, k): elevation (deg) of the satellite above station k's mask at t s after t0."""
    pos, up = station_vectors(stations)
    mask = stations["elevation_mask_deg"].to_numpy(float)

    def f(t_s: Float, k: Int) -> Float:
        x, y, z, _ = nodes.position(np.asarray(t_s, dtype=float))
        p, u = pos[k], up[k]
        dx, dy, dz = x - p[..., 0], y - p[..., 1], z - p[..., 2]
        rng = np.sqrt(dx * dx + dy * dy + dz * dz)
        s = (dx * u[..., 0] + dy * u[..., 1] + dz * u[..., 2]) / rng
        return np.asarray(np.degrees(np.arcsin(np.clip(s, -1.0, 1.0))) - mask[k])

    return f


def elevation_grid_function(nodes: EarthFixedNodes, stations: pd.DataFrame
                            ) -> Callable[[Float], Float]:
    """g(t): sin(elevation) − sin(mask) of every station (rows) at times t (columns)."""
    pos, up = station_vectors(stations)
    sin_mask = np.sin(np.radians(stations["elevation_mask_deg"].to_numpy(float)))[:, None]
    # up · (r − p) = up · r − up · p: one matrix product for all stations.
    up_p = np.einsum("ij,ij->i", up, pos)[:, None]
    p2 = np.einsum("ij,ij->i", pos, pos)[:, None]

    def g(t_s: Float) -> Float:
        x, y, z, _ = nodes.position(np.asarray(t_s, dtype=float))
        r = np.stack([x, y, z])
        height = up @ r - up_p
        rng2 = (x * x + y * y + z * z)[None, :] - 2.0 * (pos @ r) + p2
        return np.asarray(height / np.sqrt(rng2) - sin_mask)

    return g


def contacts(tles: pd.DataFrame, stations: pd.DataFrame, start: TimeLike, end: TimeLike, *,
             priority: Sequence[int] = (), node_step_s: float = 120.0,
             grid_step_s: float = 60.0, tol_s: float = 0.01, dut1_s: float | None = None,
             max_age_days: float = MAX_AGE_DAYS) -> pd.DataFrame:
    """Contact windows of each satellite of ``tles`` with each station, culmination in
    [start, end), antennas assigned.

    Parameters
    ----------
    tles
        Element sets of one or more satellites (histories allowed).
    stations
        A station table (:mod:`ionoquake.orbits.stations`).
    start, end
        The period, naive UTC.
    priority
        NORAD ids in order of priority for the antenna; satellites not listed follow in
        the order of ``tles``.
    node_step_s, grid_step_s, tol_s
        SGP4 node spacing, coarse search step and root accuracy, seconds.
    dut1_s
        UT1 − UTC in seconds; None reads skyfield's built-in IERS table.
    max_age_days
        Warn (naming the satellite and the age) when the period reaches farther than
        this from every TLE epoch.

    Returns
    -------
    pandas.DataFrame
        :data:`CONTACT_COLUMNS`, sorted by AOS.
    """
    t_start, t_end = pd.Timestamp(start).to_datetime64(), pd.Timestamp(end).to_datetime64()
    pad = np.timedelta64(int(_PAD_S), "s")
    rates = stations["downlink_mbps"].to_numpy(float)
    names = stations["name"].astype(str).to_numpy()
    parts = []
    for norad, sat in tles.groupby("norad_id", sort=False):
        sat = sat.reset_index(drop=True)
        probe = np.array([t_start, t_end], dtype="datetime64[ns]")
        warn_tle_ages(sat, probe, nearest_epoch_index(sat["epoch"].to_numpy(), probe),
                      max_age_days)
        nodes = earth_fixed_nodes(sat, t_start - pad, t_end + pad, step_s=node_step_s,
                                  dut1_s=dut1_s)
        s0, s1 = float(nodes.seconds(t_start)), float(nodes.seconds(t_end))
        found = find_windows(elevation_function(nodes, stations), s0 - _PAD_S, s1 + _PAD_S,
                             len(stations), grid_step_s=grid_step_s, tol_s=tol_s,
                             f_grid=elevation_grid_function(nodes, stations),
                             peak_margin=_SIN_PEAK_MARGIN)
        inside = (found["peak_time"] >= s0) & (found["peak_time"] < s1)
        found = {key: v[inside] for key, v in found.items()}

        def when(s: Float, nodes: EarthFixedNodes = nodes) -> NDArray[np.datetime64]:
            return nodes.t0 + np.round(s * 1e9).astype("timedelta64[ns]")

        k = found["target"]
        mask = stations["elevation_mask_deg"].to_numpy(float)[k]
        duration = found["end"] - found["start"]
        parts.append(pd.DataFrame({
            "station": names[k], "norad_id": int(str(norad)),
            "satellite": str(sat["name"].iloc[0]).strip(),
            "aos": when(found["start"]), "los": when(found["end"]), "duration_s": duration,
            "max_elevation_deg": found["peak"] + mask,
            "max_elevation_time": when(found["peak_time"]),
            "volume_mbit": duration * rates[k]}))
    if not parts or all(p.empty for p in parts):
        return contact_frame()
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    order = list(priority) + [int(n) for n in tles["norad_id"].unique() if n not in priority]
    return assign_antennas(table, stations, order)


def assign_antennas(table: pd.DataFrame, stations: pd.DataFrame,
                    priority: Sequence[int]) -> pd.DataFrame:
    """Give each station's antenna to one satellite at a time (rule in the module doc).

    ``table`` needs ``station``, ``norad_id``, ``satellite``, ``aos``, ``los`` and
    ``max_elevation_deg``; returns the contact table with ``track_*``,
    ``downlink_mbit`` and ``conflict_with`` filled, sorted by AOS.
    """
    table = table.reset_index(drop=True).copy()
    rank = {int(n): r for r, n in enumerate(priority)}
    rate = dict(zip(stations["name"].astype(str), stations["downlink_mbps"].astype(float),
                    strict=True))
    aos = table["aos"].to_numpy("datetime64[ns]").astype(np.int64)
    los = table["los"].to_numpy("datetime64[ns]").astype(np.int64)
    track_start, track_end = aos.copy(), los.copy()
    conflict = [""] * len(table)
    norad = table["norad_id"].to_numpy(np.int64)
    elevation = table["max_elevation_deg"].to_numpy(float)
    sat_name = table["satellite"].astype(str).to_numpy()
    for _, group in table.groupby("station", sort=False):
        idx = group.index.to_numpy()
        idx = idx[np.argsort(aos[idx], kind="stable")]  # time order within the station
        # Plain Python lists: the loop below touches a handful of neighbours per window.
        a_s, l_s = aos[idx].tolist(), los[idx].tolist()
        n_s, e_s = norad[idx].tolist(), elevation[idx].tolist()
        names_s = sat_name[idx].tolist()
        longest = max(b - a for a, b in zip(a_s, l_s, strict=True))
        order = sorted(range(len(a_s)), key=lambda q: (rank.get(n_s[q], len(rank)), -e_s[q],
                                                       a_s[q]))
        start_s, end_s = list(a_s), list(a_s)
        done = [False] * len(a_s)
        for q in order:
            a, b = a_s[q], l_s[q]
            lo = bisect.bisect_left(a_s, a - longest)
            hi = bisect.bisect_left(a_s, b)
            near = [m for m in range(lo, hi) if m != q and l_s[m] > a]
            conflict[idx[q]] = ";".join(sorted({names_s[m] for m in near if n_s[m] != n_s[q]}))
            taken = [(start_s[m], end_s[m]) for m in near if done[m]]
            free = _free_pieces(a, b, taken) if taken else [(a, b)]
            if free:
                start_s[q], end_s[q] = max(free, key=lambda p: p[1] - p[0])
            done[q] = True
        track_start[idx] = start_s
        track_end[idx] = end_s
    table["track_start"] = track_start.astype("datetime64[ns]")
    table["track_end"] = track_end.astype("datetime64[ns]")
    table["track_s"] = (track_end - track_start) / 1e9
    table["downlink_mbit"] = table["track_s"] * table["station"].map(rate).astype(float)
    table["conflict_with"] = conflict
    table = table.sort_values(["aos", "station"], kind="stable").reset_index(drop=True)
    return contact_frame({c: table[c] for c in CONTACT_COLUMNS})


def _free_pieces(a: int, b: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of [a, b] not covered by the ``taken`` intervals (ns)."""
    pieces = [(a, b)]
    for ta, tb in taken:
        nxt = []
        for pa, pb in pieces:
            if tb <= pa or ta >= pb:
                nxt.append((pa, pb))
                continue
            if ta > pa:
                nxt.append((pa, ta))
            if tb < pb:
                nxt.append((tb, pb))
        pieces = nxt
    return [p for p in pieces if p[1] > p[0]]
