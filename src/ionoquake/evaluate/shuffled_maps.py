"""The time-shuffled ionosphere null: the same pipeline on maps whose days are permuted.

The Monte Carlo null of the area skill score (:mod:`ionoquake.evaluate.molchan`)
moves the *events* at random over the reference measure. It keeps the alarms,
and so everything the alarms share with the seismicity by construction (their
sizes, their clustering in space and time, their preference for the latitudes
and local times of the ionosphere's own variability). This null keeps the
earthquakes and makes the *ionosphere* uninformative instead:

1. the days of the maps are permuted at random **within the season** (blocks
   of ``season_days`` consecutive days), each day keeping its whole sequence of
   epochs, and the geomagnetic state of each day travelling with its maps (a
   storm stays a storm, and stays masked);
2. the anomalies, clusters and alarms are computed again from the permuted maps
   with the same background, the same alarm rules and the same quiet-time rules;
3. the alarms are scored exactly as the real ones: the largest alarm score on
   each space-time cell of the real run (alarms visible from their issue time),
   τ weighted by the real run's baseline rate, the trapezoid ASS.

p = (1 + #{shuffled ASS ≥ observed ASS}) / (1 + n)
(:func:`ionoquake.evaluate.pvalues.monte_carlo_p`), the observed ASS computed by
the same code on the real maps. A precursor must beat ionospheres that have the
same statistics but the wrong days; a skill that survives the event null but not
this one comes from *when* the ionosphere is anomalous in general (season, solar
activity, storms), not from the earthquakes.

Realisation i uses ``SeedSequence(seed, spawn_key=(crc32("shuffled-maps"), i))``,
so it gives the same number wherever it runs;
:func:`ionoquake.scale.montecarlo.shuffled_maps_null_on` runs the realisations on
a Dask cluster.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ionoquake.detect.anomalies import DEFAULT_RULES, detect_anomalies, geomagnetic_state
from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.clusters import anomaly_clusters
from ionoquake.detect.quiet import QuietRules
from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.forecast_run import stack_run
from ionoquake.evaluate.molchan import area_skill_score, molchan_trajectory
from ionoquake.evaluate.pvalues import monte_carlo_p
from ionoquake.evaluate.results import SkillResult, summarize_null
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.alarms import daily_alarm_scores
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import forecast_grid

__all__ = ["SEASON_DAYS", "AlarmCube", "MapsNull", "ShuffledMaps", "season_permutation",
           "shuffled_maps_test"]

#: Days of one season block inside which the days of the maps are permuted.
SEASON_DAYS = 30


def season_permutation(n_days: int, realisation: int, seed: int = 0,
                       season_days: int = SEASON_DAYS) -> NDArray[np.intp]:
    """Day ``d`` of the shuffled series takes the maps of day ``perm[d]``.

    Days are permuted only inside consecutive blocks of ``season_days`` (the last
    block may be shorter), from the realisation's own seed.
    """
    if season_days < 2:
        raise IonoquakeError(f"season_days = {season_days}: a block needs at least 2 days")
    rng = np.random.default_rng(np.random.SeedSequence(
        seed, spawn_key=(zlib.crc32(b"shuffled-maps"), realisation)))
    perm = np.arange(n_days)
    for start in range(0, n_days, season_days):
        perm[start:start + season_days] = rng.permutation(perm[start:start + season_days])
    return perm


@dataclass(frozen=True)
class MapsNull:
    """What the time-shuffled ionosphere null of an evaluation needs besides the run itself.

    Attributes
    ----------
    maps
        The TEC maps the evaluated clusters were detected on.
    background
        The background of that detection.
    indices, quiet
        The index table and quiet-time rules of that detection (geomagnetic state).
    n_null
        Shuffled ionospheres (p ≥ 1/(1 + n_null)).
    season_days
        Length of the permutation blocks.
    seed
        Root seed of the permutations.
    """

    maps: xr.Dataset
    background: BackgroundConfig
    indices: pd.DataFrame | None = None
    quiet: QuietRules = DEFAULT_RULES
    n_null: int = 99
    season_days: int = SEASON_DAYS
    seed: int = 0

    def build(self, cube: AlarmCube, rules: AlarmRules, expected_ass: float) -> ShuffledMaps:
        """The null's tasks, checked to reproduce the evaluated alarms' ASS on the real maps.

        Raises if the real maps with this background do not give ``expected_ass``:
        then the clusters were detected otherwise and the null would test other alarms.
        """
        null = ShuffledMaps.build(self.maps, cube, background=self.background, rules=rules,
                                  indices=self.indices, quiet=self.quiet,
                                  season_days=self.season_days)
        observed = null.statistic(None)
        if observed != expected_ass:
            raise IonoquakeError(
                f"the clusters were not detected on these maps with this background: their "
                f"alarms score ASS {expected_ass:.6g}, the maps' own alarms {observed:.6g}; "
                "give the maps and detection settings the clusters came from")
        return null


@dataclass(frozen=True)
class AlarmCube:
    """The space-time cells of a forecast run, for scoring any alarm table like the real one.

    Attributes
    ----------
    issue_times
        Issue time of each daily forecast (naive UTC).
    horizon_days
        Forecast horizon (days).
    grid
        The forecast grid.
    baseline
        Baseline rate per cell, ``(time, lat, lon)``: the reference measure of τ.
    events
        Target events per cell, same shape.
    """

    issue_times: pd.DatetimeIndex
    horizon_days: float
    grid: Grid
    baseline: NDArray[np.float64]
    events: NDArray[np.float64]

    @classmethod
    def from_forecasts(cls, forecasts: Sequence[xr.Dataset], catalog: pd.DataFrame, *,
                       magnitude_min: float | None = None) -> AlarmCube:
        """The cells of ``forecasts`` with the targets of ``catalog`` (as in ``evaluate_run``)."""
        cube = stack_run(forecasts, catalog, magnitude_min=magnitude_min)
        return cls(pd.DatetimeIndex(cube["time"].to_numpy()),
                   float(forecasts[0].attrs["horizon_days"]), forecast_grid(forecasts[0]),
                   cube["baseline_rate"].to_numpy().astype(float),
                   cube["events"].to_numpy().astype(float))

    def scores(self, alarms: pd.DataFrame) -> NDArray[np.float64]:
        """Largest score of the alarms visible and active on each cell (−inf where none).

        An alarm is visible to the forecast issued at t when it was issued before t,
        as in :func:`ionoquake.forecast.run.run_daily`.
        """
        return daily_alarm_scores(alarms, self.grid, self.issue_times.to_numpy(),
                                  self.horizon_days)

    def ass(self, alarms: pd.DataFrame) -> float:
        """Trapezoid area skill score of ``alarms`` on these cells, τ by the baseline rate.

        Cells outside every alarm are tied at the bottom, as in
        :func:`ionoquake.evaluate.forecast_run.evaluate_run`; no alarm at all
        gives exactly 0.5.
        """
        score = self.scores(alarms)
        finite = np.isfinite(score)
        if not finite.any():
            return 0.5
        score = np.where(finite, score, score[finite].min() - 1.0)
        tau, nu, _, _ = molchan_trajectory(score, self.baseline, self.events)
        return area_skill_score(tau, nu)


@dataclass(frozen=True)
class ShuffledMaps:
    """Everything one realisation of the null needs (picklable: a Dask task's argument).

    Attributes
    ----------
    tec
        TEC maps (TECU), ``(time, lat, lon)``, whole days of identical epochs.
    geomag
        Geomagnetic state code of each real epoch (0 quiet, 1 disturbed, 2 unknown).
    background
        Background of the detection.
    rules
        Alarm rules.
    cube
        The real run's cells.
    season_days
        Length of the permutation blocks.
    """

    tec: xr.DataArray
    geomag: xr.DataArray
    background: BackgroundConfig
    rules: AlarmRules
    cube: AlarmCube
    season_days: int = SEASON_DAYS

    @classmethod
    def build(cls, maps: xr.Dataset, cube: AlarmCube, *, background: BackgroundConfig,
              rules: AlarmRules, indices: pd.DataFrame | None = None,
              quiet: QuietRules = DEFAULT_RULES, season_days: int = SEASON_DAYS
              ) -> ShuffledMaps:
        """Check that ``maps`` hold whole days of the same epochs and keep what the tasks need."""
        tec = (maps["tec"] if isinstance(maps, xr.Dataset) else maps).transpose("time", ...)
        _days_of(tec["time"].to_numpy())
        geomag = geomagnetic_state(tec["time"].to_numpy(), indices, quiet)
        return cls(tec.load(), geomag, background, rules, cube, season_days)

    @property
    def n_days(self) -> int:
        """Number of whole days in the maps."""
        return _days_of(self.tec["time"].to_numpy())[0]

    def alarms(self, perm: NDArray[np.intp] | None = None) -> pd.DataFrame:
        """The alarms of the maps with day ``d`` replaced by day ``perm[d]`` (None: real)."""
        tec, geomag = self.tec, self.geomag
        if perm is not None:
            n_days, per_day = _days_of(tec["time"].to_numpy())
            if sorted(np.asarray(perm).tolist()) != list(range(n_days)):
                raise IonoquakeError(f"a day permutation of {n_days} days is needed")
            order = (np.asarray(perm)[:, None] * per_day + np.arange(per_day)).ravel()
            tec = tec.copy(data=tec.to_numpy()[order])
            geomag = geomag.copy(data=geomag.to_numpy()[order])
        anomalies = detect_anomalies(tec, self.background)
        anomalies["geomag"] = geomag
        return alarms_from_clusters(anomaly_clusters(anomalies), self.rules)

    def statistic(self, realisation: int | None, seed: int = 0) -> float:
        """ASS of realisation ``realisation`` (None: of the real maps)."""
        perm = (None if realisation is None
                else season_permutation(self.n_days, realisation, seed, self.season_days))
        return self.cube.ass(self.alarms(perm))

    def statistics(self, realisations: Iterable[int], seed: int = 0) -> NDArray[np.float64]:
        """ASS of each realisation, in order (one Dask task runs one batch of them)."""
        return np.array([self.statistic(i, seed) for i in realisations], dtype=float)


def _days_of(times: NDArray[np.datetime64]) -> tuple[int, int]:
    """(days, epochs per day) of a series of whole days with the same epochs each day."""
    t = pd.DatetimeIndex(times)
    days = t.normalize()
    counts = pd.Series(1, index=days).groupby(level=0).size()
    per_day = int(counts.iloc[0])
    tod = (t - days).to_numpy().reshape(-1, per_day) if t.size % per_day == 0 else None
    if (counts != per_day).any() or tod is None or (tod != tod[0]).any() or counts.size < 2:
        raise IonoquakeError(
            "the time-shuffled ionosphere null needs maps of whole days with the same epochs "
            f"each day; these have {counts.size} days with {counts.min()}..{counts.max()} "
            "epochs")
    return int(counts.size), per_day


def shuffled_maps_test(null: ShuffledMaps, sims: NDArray[np.float64], *, seed: int = 0,
                       observed: float | None = None) -> SkillResult:
    """The real alarms' ASS against the ASS of ``sims`` (realisations of ``null``)."""
    obs = null.statistic(None) if observed is None else observed
    n = int(np.size(sims))
    description = (f"ASS of the alarms of {n} ionospheres whose days were permuted within "
                   f"{null.season_days}-day seasons (detection, clusters and alarms redone)")
    p = monte_carlo_p(sims, obs)
    return SkillResult(
        "area skill score against time-shuffled ionospheres", obs,
        summarize_null(sims, kind="monte-carlo", seed=seed, description=description), p,
        "greater",
        {"null": "map days permuted within the season, geomagnetic state kept with its day",
         "season_days": str(null.season_days),
         "ass": "trapezoid, tau by the baseline rate, as the alarm Molchan diagram"},
        {"n_realisations": float(n)},
        p_method=f"Monte Carlo: (1 + #{{null >= observed}}) / (1 + {n}) shuffled ionospheres")
