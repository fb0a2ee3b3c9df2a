"""Evaluation's Monte Carlo nulls on a Dask cluster, with the same numbers on 1 worker or 64.

Superposed epoch (:mod:`ionoquake.evaluate.epoch`): realisation ``i`` of null
catalogue ``name`` draws from ``SeedSequence(seed, spawn_key=(crc32(name), i))``
whatever task computes it, so cutting the realisations into batches and running
the batches on any workers in any order gives exactly the in-process statistics and
p-values (:func:`superposed_epoch_on`).

Time-shuffled ionospheres (:mod:`ionoquake.evaluate.shuffled_maps`): realisation
``i`` permutes the map days from its own seed, so :func:`shuffled_maps_null_on`
gives exactly the in-process values on any number of workers.

Area-skill-score null of the Molchan diagram (:mod:`ionoquake.evaluate.molchan`):
the in-process :func:`~ionoquake.evaluate.molchan.ass_null_monte_carlo` draws all
simulations from one stream. :func:`ass_null_on` cuts them into batches of a fixed
size, batch ``b`` drawing from ``SeedSequence(seed, spawn_key=(crc32("ass"), b))``:
reproducible and independent of the number of workers, but a different (equally
valid) sample than the single-stream in-process one, so its p-values agree with it
only within Monte Carlo error.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.evaluate.epoch import (
    NULL_CATALOGS,
    EpochSetup,
    epoch_setup,
    epoch_test,
    null_statistics,
    superposed_epoch,
)
from ionoquake.evaluate.molchan import ass_null_monte_carlo
from ionoquake.evaluate.results import EpochResult, SkillResult
from ionoquake.evaluate.shuffled_maps import ShuffledMaps, shuffled_maps_test

#: Realisations per task: large enough that scheduling (~1 ms a task) is negligible.
NULL_BATCH = 100
#: Simulations per task of the ASS null; part of the seeds, so fixed (not tuned per cluster).
ASS_BATCH = 1000
#: Shuffled ionospheres per task (each a whole detection, ~1 s on the demo's maps).
SHUFFLE_BATCH = 4


def null_statistics_on(client: Any, setup: EpochSetup, name: str, n_null: int, seed: int = 0,
                       batch: int = NULL_BATCH) -> NDArray[np.float64]:
    """Window statistics of realisations ``0 .. n_null-1`` of null ``name``, on ``client``.

    ``client`` None computes in-process. Equal to
    ``null_statistics(setup, name, range(n_null), seed)`` for any ``batch``.
    """
    ranges = [range(i, min(i + batch, n_null)) for i in range(0, n_null, batch)]
    if not ranges:
        return np.zeros(0)
    if client is None:
        return np.concatenate([null_statistics(setup, name, r, seed) for r in ranges])
    shared = client.scatter(setup, broadcast=True, hash=False)
    futures = [client.submit(null_statistics, shared, name, r, seed, pure=False, retries=2,
                             key=f"null-{name}-{seed}-{r.start}-{r.stop}") for r in ranges]
    return np.concatenate(client.gather(futures))


def superposed_epoch_on(client: Any, anomalies: pd.DataFrame, events: pd.DataFrame, *,
                        nulls: tuple[str, ...] = NULL_CATALOGS, n_null: int = 1000,
                        seed: int = 0, **options: Any) -> EpochResult:
    """:func:`~ionoquake.evaluate.epoch.superposed_epoch` with its nulls computed on ``client``.

    Parameters
    ----------
    client
        A ``distributed.Client``, or None for in-process.
    anomalies, events, nulls, n_null, seed
        As for :func:`~ionoquake.evaluate.epoch.superposed_epoch`.
    **options
        Its other keywords (``day_edges``, ``distance_edges_km``, ``precursor_days``,
        ``window_km``, ``coverage``, ``n_bootstrap``, ``band_level``).

    Returns
    -------
    EpochResult
        Equal to the in-process result (statistics, null distributions, p-values).
    """
    setup_keys = ("day_edges", "distance_edges_km", "precursor_days", "window_km", "coverage")
    setup = epoch_setup(anomalies, events, **{k: v for k, v in options.items() if k in setup_keys})
    base = superposed_epoch(anomalies, events, nulls=(), n_null=0, seed=seed, **options)
    observed = setup.statistic(setup.counts(setup.event_day, setup.event_lat, setup.event_lon))
    tests = {name: epoch_test(name, observed, null_statistics_on(client, setup, name, n_null,
                                                                 seed), seed, base.conventions)
             for name in nulls}
    return dataclasses.replace(base, tests=tests)


def _ass_batch(tau: NDArray[np.float64], n_events: int, size: int, seed: int, batch: int
               ) -> NDArray[np.float64]:
    sequence = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"ass"), batch))
    return np.asarray(ass_null_monte_carlo(tau, n_events, size, sequence), dtype=float)


def ass_null_on(client: Any, tau: ArrayLike, n_events: int, n_simulations: int = 10_000,
                seed: int = 0) -> NDArray[np.float64]:
    """Area skill scores of ``n_simulations`` random alarm sets, in batches on ``client``.

    Batch ``b`` (of :data:`ASS_BATCH` simulations) uses its own spawned seed, so the
    result is the same on any number of workers, or in-process (``client`` None).
    """
    tau = np.asarray(tau, float)
    sizes = [min(ASS_BATCH, n_simulations - i) for i in range(0, n_simulations, ASS_BATCH)]
    if client is None:
        parts = [_ass_batch(tau, n_events, s, seed, b) for b, s in enumerate(sizes)]
    else:
        shared = client.scatter(tau, broadcast=True, hash=False)
        parts = client.gather([client.submit(_ass_batch, shared, n_events, s, seed, b,
                                             pure=False, retries=2)
                               for b, s in enumerate(sizes)])
    return np.concatenate(parts) if parts else np.zeros(0)


def shuffled_maps_null_on(client: Any, null: ShuffledMaps, n_null: int, seed: int = 0,
                          batch: int = SHUFFLE_BATCH) -> SkillResult:
    """The real alarms' ASS against ``n_null`` time-shuffled ionospheres, on ``client``.

    ``client`` None computes in-process. Realisation ``i`` is the same wherever it
    runs, so the result equals the in-process one for any ``batch`` and cluster.
    """
    ranges = [range(i, min(i + batch, n_null)) for i in range(0, n_null, batch)]
    if client is None:
        parts = [null.statistics(r, seed) for r in ranges]
    else:
        shared = client.scatter(null, broadcast=True, hash=False)
        parts = client.gather([client.submit(ShuffledMaps.statistics, shared, r, seed,
                                             pure=False, retries=2,
                                             key=f"shuffled-maps-{seed}-{r.start}-{r.stop}")
                               for r in ranges])
    sims = np.concatenate(parts) if parts else np.zeros(0)
    return shuffled_maps_test(null, sims, seed=seed)
