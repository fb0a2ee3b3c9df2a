"""Reasenberg (1985) cluster declustering.

Reasenberg, P. (1985), Second-order moment of central California seismicity,
1969-1982, JGR 90(B7), 5479-5495, as implemented in his program CLUSTER and in
ZMAP (``ReasenbergDeclus.m``). Events are taken in time order. Each event looks
ahead a time ``tau`` for events linked to it in space:

* interaction radius (km) around an event of magnitude M:
  ``r = rfact * 0.011 * 10**(0.4 M)`` (``rfact`` crack radii, Kanamori & Anderson 1975),
  and, for an event in a cluster, also ``0.011 * 10**(0.4 Mmax)`` around the
  cluster's largest event;
* look-ahead time: ``tau_min`` days for an event outside a cluster (or the
  largest so far of its cluster); else, with ``t`` the days since the cluster's
  largest event and ``dM = (1 - xk) Mmax - xmeff``,
  ``tau = -ln(1 - p) t / 10**(2 (dM - 1) / 3)``, clipped to ``[tau_min, tau_max]``:
  the time within which the next event is expected with probability ``p`` under
  Omori's law.

Linked events join (and merge) clusters. A cluster's mainshock is its largest
event (the earliest of equal ones); events in no cluster are their own mainshock.
Distances are hypocentral (great circle, R = 6371 km, and the depth difference).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.geo import EARTH_RADIUS_KM

__all__ = ["interaction_radius_km", "reasenberg_mainshocks"]

#: Source radius factor (km) of ZMAP/CLUSTER: r = 0.011 * 10**(0.4 M).
CRACK_RADIUS_KM = 0.011


def interaction_radius_km(magnitude: ArrayLike, rfact: float = 10.0) -> NDArray[np.float64]:
    """Reasenberg's interaction radius ``rfact * 0.011 * 10**(0.4 M)`` in km."""
    return rfact * CRACK_RADIUS_KM * 10.0 ** (0.4 * np.asarray(magnitude, dtype=float))


def _look_ahead_days(mmax: float, days_since_largest: float, *, xk: float, xmeff: float,
                     p: float, tau_min: float, tau_max: float) -> float:
    delta_m = (1.0 - xk) * mmax - xmeff
    tau = -np.log(1.0 - p) * days_since_largest / 10.0 ** (2.0 * (delta_m - 1.0) / 3.0)
    return float(min(max(tau, tau_min), tau_max))


def reasenberg_mainshocks(
    time_days: ArrayLike, latitude: ArrayLike, longitude: ArrayLike, depth_km: ArrayLike,
    magnitude: ArrayLike, *, rfact: float = 10.0, xmeff: float | None = None,
    xk: float = 0.5, tau_min: float = 1.0, tau_max: float = 10.0, p: float = 0.95,
) -> NDArray[np.int64]:
    """For each event, the index of its cluster's mainshock (its own if none).

    Parameters
    ----------
    time_days
        Event times in days (any origin).
    latitude, longitude, depth_km
        Hypocentres (degrees, km; a missing depth counts as 0 difference).
    magnitude
        Magnitudes (events without one are given ``xmeff``).
    rfact
        Interaction radius in crack radii (Reasenberg: 10).
    xmeff
        Effective lower magnitude cutoff; default: the catalogue's smallest magnitude.
    xk
        Raise of the cutoff during clusters, fraction of Mmax (0.5).
    tau_min, tau_max
        Bounds of the look-ahead time, days (1 and 10).
    p
        Confidence of observing the next event of the sequence (0.95).
    """
    t = np.asarray(time_days, dtype=float)
    lat = np.asarray(latitude, dtype=float)
    lon = np.asarray(longitude, dtype=float)
    depth = np.nan_to_num(np.asarray(depth_km, dtype=float))
    mag = np.asarray(magnitude, dtype=float)
    if not (np.isfinite(t).all() and np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise IonoquakeError("Reasenberg declustering needs every event's time and epicentre")
    if not 0 < p < 1:
        raise IonoquakeError(f"p must be between 0 and 1, got {p}")
    n = len(t)
    if xmeff is None:
        xmeff = float(np.nanmin(mag)) if n and np.isfinite(mag).any() else 0.0
    mag = np.where(np.isnan(mag), xmeff, mag)
    order = np.argsort(t, kind="stable")
    t, lat, lon, depth, mag = t[order], lat[order], lon[order], depth[order], mag[order]
    geometry = _Hypocentres(lat, lon, depth)
    stop_min = np.searchsorted(t, t + tau_min, side="right")
    r_cluster = interaction_radius_km(mag, rfact)
    r_main = interaction_radius_km(mag, 1.0)
    cluster = np.zeros(n, dtype=np.int64)  # 0: in no cluster; clusters count from 1
    members: dict[int, list[int]] = {}
    largest: dict[int, int] = {}
    n_clusters = 0
    for i in range(n - 1):
        k = int(cluster[i])
        tau, big = tau_min, i
        if k:
            big = largest[k]
            if mag[i] >= mag[big]:
                largest[k] = big = i
            else:
                tau = _look_ahead_days(mag[big], t[i] - t[big], xk=xk, xmeff=xmeff, p=p,
                                       tau_min=tau_min, tau_max=tau_max)
        stop = (int(stop_min[i]) if tau == tau_min
                else int(np.searchsorted(t, t[i] + tau, side="right")))
        if stop <= i + 1:
            continue
        ahead = np.arange(i + 1, stop)
        if k:
            ahead = ahead[cluster[ahead] != k]
        if not len(ahead):
            continue
        near = geometry.km(i, ahead) <= r_cluster[i]
        if tau != tau_min:
            near |= geometry.km(big, ahead) <= r_main[big]
        linked = ahead[near]
        if not len(linked):
            continue
        joined = np.unique(cluster[linked][cluster[linked] > 0])
        if len(joined):
            target = int(min(joined[0], k) if k else joined[0])
            for other in {int(c) for c in joined} | ({k} if k else set()):
                if other != target:
                    _merge(cluster, members, largest, mag, t, other, target)
            if not cluster[i]:
                cluster[i] = target
                members[target].append(i)
            k = target
        if not k:
            n_clusters += 1
            k = n_clusters
            cluster[i], members[k], largest[k] = k, [i], i
        fresh = linked[cluster[linked] == 0]
        cluster[fresh] = k
        members[k].extend(fresh.tolist())
    mainshock_sorted = np.arange(n)
    for group in members.values():
        index = np.array(group)
        mainshock_sorted[index] = index[np.lexsort((t[index], -mag[index]))[0]]
    result = np.empty(n, dtype=np.int64)
    result[order] = order[mainshock_sorted]
    return result


class _Hypocentres:
    """Hypocentral distances from one event to others (haversine, R = 6371 km)."""

    def __init__(self, lat: NDArray[np.float64], lon: NDArray[np.float64],
                 depth: NDArray[np.float64]) -> None:
        self.lat, self.lon = np.radians(lat), np.radians(lon)
        self.cos_lat, self.depth = np.cos(self.lat), depth

    def km(self, i: int, others: NDArray[np.int64]) -> NDArray[np.float64]:
        h = (np.sin((self.lat[others] - self.lat[i]) / 2.0) ** 2 + self.cos_lat[i]
             * self.cos_lat[others] * np.sin((self.lon[others] - self.lon[i]) / 2.0) ** 2)
        epicentral = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        return np.asarray(np.hypot(epicentral, self.depth[others] - self.depth[i]))


def _merge(cluster: NDArray[np.int64], members: dict[int, list[int]],
           largest: dict[int, int], mag: NDArray[np.float64], t: NDArray[np.float64],
           source: int, target: int) -> None:
    """Move every event of cluster ``source`` into ``target``."""
    moved = members.pop(source)
    cluster[moved] = target
    members[target].extend(moved)
    a, b = largest.pop(source), largest[target]
    if (mag[a], -t[a]) > (mag[b], -t[b]):
        largest[target] = a
