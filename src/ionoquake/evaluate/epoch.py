"""Superposed epoch analysis of anomaly occurrence around earthquakes, against null catalogues.

For every earthquake, the anomalies (table with ``time`` naive UTC, ``lat``,
``lon`` in degrees) are counted in bins of day offset (anomaly time − event time,
default −30..+10 days in 1-day bins) and epicentral great-circle distance
(default 0-500-1000-2000-3000 km); the counts are averaged over events (the
"superposed" rate, anomalies per event per bin). The test statistic is that
rate summed over a precursor window (default days −10..0 and distances below
1000 km). It is compared with the same statistic for *null catalogues* that keep
some structure of the real one and destroy its link to the anomalies:

=========================  ===========================================================
``random-times``           same epicentres, times uniform over the anomaly coverage
``random-locations-sphere``  same times, epicentres uniform on the sphere
``random-locations-catalog``  same times, epicentres resampled (with replacement)
                           from the catalogue's own epicentres
``longitude-shift``        the whole catalogue shifted by one random longitude offset
                           in [30°, 330°) (keeps latitude, times and clustering)
``time-shuffle``           event times permuted among the epicentres
=========================  ===========================================================

p = (1 + #{null ≥ observed}) / (1 + n_null), one-sided (more anomalies before
earthquakes). A bootstrap over events (resampling events with replacement,
≥ 1000 times) gives the confidence band of the superposed rate.

Reproducibility: realisation i of null ``name`` draws from
``SeedSequence(seed, spawn_key=(crc32(name), i))``, so every realisation is a
task that gives the same numbers whatever order or machine runs it (a later
issue distributes them on Dask); :func:`null_statistic` is that task.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.pvalues import monte_carlo_p
from ionoquake.evaluate.results import EpochResult, SkillResult, as_tuple, summarize_null
from ionoquake.geo import great_circle_km

__all__ = ["NULL_CATALOGS", "EpochSetup", "epoch_setup", "epoch_test", "null_catalog",
           "null_statistic", "null_statistics", "superposed_epoch"]

NULL_CATALOGS = ("random-times", "random-locations-sphere", "random-locations-catalog",
                 "longitude-shift", "time-shuffle")
_DAY = pd.Timedelta(days=1)
Float = NDArray[np.float64]


@dataclass(frozen=True)
class EpochSetup:
    """Anomalies and earthquakes as arrays (days since ``origin``, degrees), plus the bins."""

    anomaly_day: Float
    anomaly_lat: Float
    anomaly_lon: Float
    event_day: Float
    event_lat: Float
    event_lon: Float
    day_edges: Float
    distance_edges_km: Float
    span: tuple[float, float]
    precursor_days: tuple[float, float]
    window_km: float

    def counts(self, day: Float, lat: Float, lon: Float) -> NDArray[np.int64]:
        """Anomaly counts per event, shape ``(n_events, n_day_bins, n_distance_bins)``."""
        owner, idx = self._pairs(day, self.day_edges[0], self.day_edges[-1])
        offset = self.anomaly_day[idx] - day[owner]
        dist = great_circle_km(lat[owner], lon[owner], self.anomaly_lat[idx],
                               self.anomaly_lon[idx])
        i = np.searchsorted(self.day_edges, offset, side="right") - 1
        j = np.searchsorted(self.distance_edges_km, dist, side="right") - 1
        nd, nk = self.day_edges.size - 1, self.distance_edges_km.size - 1
        ok = (i >= 0) & (i < nd) & (j >= 0) & (j < nk)
        flat = (owner[ok] * nd + i[ok]) * nk + j[ok]
        return np.bincount(flat, minlength=day.size * nd * nk).reshape(day.size, nd, nk)

    def _pairs(self, day: Float, first: float, last: float
               ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(event, anomaly) index pairs with anomaly day − event day in [first, last)."""
        lo = np.searchsorted(self.anomaly_day, day + first, side="left")
        hi = np.searchsorted(self.anomaly_day, day + last, side="left")
        n = hi - lo
        owner = np.repeat(np.arange(day.size), n)
        idx = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
        return owner, idx

    def _window(self) -> tuple[float, float, float]:
        """Day range and distance limit of the statistic, snapped to whole bins."""
        d0, d1 = self.precursor_days
        days = (self.day_edges[:-1] >= d0) & (self.day_edges[1:] <= d1)
        near = self.distance_edges_km[1:] <= self.window_km
        if not days.any() or not near.any():
            raise IonoquakeError(f"the window {self.precursor_days} days, < {self.window_km} km "
                                 "holds no whole bin")
        k = int(np.flatnonzero(near)[-1])
        lo_day = float(self.day_edges[:-1][days][0])
        return lo_day, float(self.day_edges[1:][days][-1]), float(self.distance_edges_km[k + 1])

    def statistic(self, counts: NDArray[np.int64]) -> float:
        """Mean anomalies per event inside the precursor window, from binned counts."""
        d0, d1 = self.precursor_days
        days = (self.day_edges[:-1] >= d0) & (self.day_edges[1:] <= d1)
        near = self.distance_edges_km[1:] <= self.window_km
        return float(counts[:, days][:, :, near].sum() / max(counts.shape[0], 1))

    def window_counts(self, day: Float, lat: Float, lon: Float) -> NDArray[np.int64]:
        """Anomalies in the precursor window of each event (the statistic without binning)."""
        first, last, radius = self._window()
        owner, idx = self._pairs(day, first, last)
        dist = great_circle_km(lat[owner], lon[owner], self.anomaly_lat[idx],
                               self.anomaly_lon[idx])
        inside = (dist >= self.distance_edges_km[0]) & (dist < radius)
        return np.bincount(owner[inside], minlength=day.size)


def _days(times: pd.Series, origin: pd.Timestamp) -> Float:
    return np.asarray((times - origin) / _DAY, dtype=float)


def epoch_setup(anomalies: pd.DataFrame, events: pd.DataFrame, *,
                day_edges: Float | None = None,
                distance_edges_km: tuple[float, ...] = (0.0, 500.0, 1000.0, 2000.0, 3000.0),
                precursor_days: tuple[float, float] = (-10.0, 0.0), window_km: float = 1000.0,
                coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> EpochSetup:
    """Anomalies and the events whose whole window fits the coverage, as an :class:`EpochSetup`.

    The arguments are those of :func:`superposed_epoch`; days count from the start
    of the coverage. Raises if no event has its whole window inside the coverage.
    """
    edges = np.arange(-30.0, 11.0) if day_edges is None else np.asarray(day_edges, float)
    a = anomalies.sort_values("time", kind="stable")
    start, end = coverage or (a["time"].min(), a["time"].max())
    origin = pd.Timestamp(start)
    span = (0.0, float((pd.Timestamp(end) - origin) / _DAY))
    e_day = _days(events["time"], origin)
    fits = (e_day + edges[0] >= span[0]) & (e_day + edges[-1] <= span[1])
    if not fits.any():
        raise IonoquakeError(f"none of the {len(events)} events has its {edges[0]:g}..{edges[-1]:g}"
                             f" day window inside the anomaly coverage {start} .. {end}")
    return EpochSetup(_days(a["time"], origin), a["lat"].to_numpy(float),
                      a["lon"].to_numpy(float), e_day[fits],
                      events["latitude"].to_numpy(float)[fits],
                      events["longitude"].to_numpy(float)[fits], edges,
                      np.asarray(distance_edges_km, float), span, precursor_days, window_km)


def null_catalog(setup: EpochSetup, name: str, realisation: int, seed: int = 0
                 ) -> tuple[Float, Float, Float]:
    """Event days, latitudes and longitudes of realisation ``realisation`` of null ``name``."""
    if name not in NULL_CATALOGS:
        raise IonoquakeError(f"unknown null catalogue {name!r}; known: {', '.join(NULL_CATALOGS)}")
    rng = np.random.default_rng(np.random.SeedSequence(
        seed, spawn_key=(zlib.crc32(name.encode()), realisation)))
    day, lat, lon = setup.event_day, setup.event_lat, setup.event_lon
    n = day.size
    first, last = setup.span[0] - setup.day_edges[0], setup.span[1] - setup.day_edges[-1]
    if name == "random-times":
        day = rng.uniform(first, last, n)
    elif name == "random-locations-sphere":
        lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
        lon = rng.uniform(-180.0, 180.0, n)
    elif name == "random-locations-catalog":
        pick = rng.integers(0, n, n)
        lat, lon = lat[pick], lon[pick]
    elif name == "longitude-shift":
        lon = (lon + rng.uniform(30.0, 330.0) + 180.0) % 360.0 - 180.0
    else:  # time-shuffle
        day = rng.permutation(day)
    return day, lat, lon


def null_statistics(setup: EpochSetup, name: str, realisations: range | list[int],
                    seed: int = 0) -> Float:
    """Window statistics of the given realisations of null ``name`` (one task, any order).

    The catalogues are drawn one by one from their own seeds and counted in one
    vectorised pass; the result for realisation i never depends on which others
    are computed with it.
    """
    cats = [null_catalog(setup, name, i, seed) for i in realisations]
    if not cats:
        return np.zeros(0)
    day, lat, lon = (np.concatenate(parts) for parts in zip(*cats, strict=True))
    per_event = setup.window_counts(day, lat, lon).reshape(len(cats), -1)
    return np.asarray(per_event.mean(axis=1), dtype=float)


def null_statistic(setup: EpochSetup, name: str, realisation: int, seed: int = 0) -> float:
    """The window statistic of one realisation of null catalogue ``name``."""
    return float(null_statistics(setup, name, [realisation], seed)[0])


def superposed_epoch(anomalies: pd.DataFrame, events: pd.DataFrame, *,
                     day_edges: Float | None = None,
                     distance_edges_km: tuple[float, ...] = (0.0, 500.0, 1000.0, 2000.0, 3000.0),
                     precursor_days: tuple[float, float] = (-10.0, 0.0), window_km: float = 1000.0,
                     nulls: tuple[str, ...] = NULL_CATALOGS, n_null: int = 1000,
                     n_bootstrap: int = 1000, band_level: float = 0.95,
                     coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                     seed: int = 0) -> EpochResult:
    """Superposed epoch rates of anomalies around ``events``, tested against null catalogues.

    Parameters
    ----------
    anomalies
        Table with ``time`` (naive UTC), ``lat``, ``lon`` (degrees): one row per anomaly.
    events
        Catalogue with ``time``, ``latitude``, ``longitude`` (already selected:
        magnitude, declustering). Events whose whole window does not fit in the
        anomaly coverage are left out (their number is in the conventions).
    day_edges
        Day-offset bin edges; default −30, −29, …, +10.
    distance_edges_km
        Distance bin edges, km.
    precursor_days, window_km
        Precursor window of the test statistic (day bins inside the window,
        distance bins whose outer edge is ≤ ``window_km``).
    nulls, n_null
        Null catalogues (:data:`NULL_CATALOGS`) and realisations of each.
    n_bootstrap, band_level
        Bootstrap resamples over events and the coverage of the band.
    coverage
        Start and end of the anomaly data's time coverage; default: first and
        last anomaly (give it explicitly when quiet days hold no anomalies).
    seed
        Root seed; see the module docstring.
    """
    setup = epoch_setup(anomalies, events, day_edges=day_edges,
                        distance_edges_km=distance_edges_km, precursor_days=precursor_days,
                        window_km=window_km, coverage=coverage)
    edges, n_events = setup.day_edges, setup.event_day.size
    counts = setup.counts(setup.event_day, setup.event_lat, setup.event_lon)
    observed = setup.statistic(counts)
    rate, low, high = _bootstrap(counts, n_bootstrap, band_level, seed)
    conventions = {
        "statistic": (f"anomalies per event, days {precursor_days[0]:g}..{precursor_days[1]:g}, "
                      f"distance < {window_km:g} km"),
        "events": f"{n_events} of {len(events)} events have the whole window in coverage",
        "bootstrap": f"{n_bootstrap} resamples of events with replacement, percentile band",
        "seeds": "SeedSequence(seed, spawn_key=(crc32(null name), realisation))",
    }
    tests = {}
    for name in nulls:
        sims = np.concatenate([null_statistics(setup, name, range(i, min(i + 100, n_null)), seed)
                               for i in range(0, n_null, 100)]) if n_null else np.zeros(0)
        tests[name] = epoch_test(name, observed, sims, seed, conventions)
    return EpochResult(as_tuple(edges), as_tuple(distance_edges_km), as_tuple(rate),
                       as_tuple(low), as_tuple(high), band_level, n_events, tests,
                       conventions)


def epoch_test(name: str, observed: float, sims: Float, seed: int,
               conventions: dict[str, str]) -> SkillResult:
    """The window statistic against the realisations ``sims`` of null catalogue ``name``.

    Both are means of whole counts over the same number of events, computed the
    same way in float64, so equal counts tie exactly; p is the one Monte Carlo
    p of :func:`ionoquake.evaluate.pvalues.monte_carlo_p`.
    """
    n_null = int(np.size(sims))
    p = monte_carlo_p(sims, observed) if n_null else 1.0
    description = f"window statistic of {n_null} '{name}' catalogues"
    null = (summarize_null(sims, kind="monte-carlo", seed=seed, description=description)
            if n_null else summarize_null(kind="monte-carlo", seed=seed, mean=float("nan"),
                                          std=float("nan"), description=description))
    return SkillResult("superposed epoch window rate", observed, null, p, "greater",
                       {"null": name, **conventions},
                       {"ratio_to_null_mean": observed / null.mean if null.mean
                        else float("nan")},
                       p_method=(f"Monte Carlo: (1 + #{{null >= observed}}) / (1 + {n_null}) "
                                 f"over {n_null} '{name}' catalogues"))


def _bootstrap(counts: NDArray[np.int64], n_bootstrap: int, level: float, seed: int
               ) -> tuple[Float, Float, Float]:
    n = counts.shape[0]
    flat = counts.reshape(n, -1).astype(float)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"bootstrap"),)))
    draws = rng.integers(0, n, (n_bootstrap, n))
    weights = np.zeros((n_bootstrap, n))
    np.add.at(weights, (np.repeat(np.arange(n_bootstrap), n), draws.ravel()), 1.0)
    means = weights @ flat / n
    q = (1.0 - level) / 2.0
    low, high = np.quantile(means, [q, 1.0 - q], axis=0)
    return flat.mean(axis=0), low, high
