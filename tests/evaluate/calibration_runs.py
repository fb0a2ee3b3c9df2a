"""The demo's alarm evaluation as arrays, and the no-signal and planted-signal runs on it.

The calibration suite of issue H (``tests/evaluate/test_calibration.py`` and
``benchmarks/bench_calibration.py``) scores thousands of alarm sets the way
``ionoquake demo`` scores its own (:func:`ionoquake.report.demo.demo_evaluation`):
alarms by :class:`~ionoquake.forecast.alarm_rules.AlarmRules` (a circle of the
Dobrovolsky radius of M6, 10^(0.43·6) = 380 km, on for 10 days from issue);
daily forecasts over the detection period 2000-12-06 .. 2001-01-15 on a 2° grid
learning from 60 days; targets the Gardner-Knopoff mainshocks M ≥ 6 of the
bundled ComCat file (15 in the period); and ``molchan(alarm score, events,
baseline rate, weighting="baseline-rate")`` over the day × lat × lon cells, as
``molchan_alarms`` of :func:`ionoquake.evaluate.forecast_run.evaluate_run`.

Issuing 40 forecasts per alarm set would take a second, so the run is issued
once (:func:`demo_cube`; the baseline rate does not depend on the alarms) and
each alarm set is rasterised onto its cells by :func:`alarm_scores`, which gives
the ``alarm_score`` cube of ``run_daily`` + ``stack_run`` (a forecast sees the
alarms issued before its midnight) in milliseconds; ``test_calibration.py``
checks that the two agree exactly.

No-signal data, nothing linking alarms and targets:

* (a) :func:`random_alarms` -- the demo's number of alarms, placed uniformly on
  the sphere and in time, against the real targets;
* (b) :func:`null_targets` -- the demo's alarms against the targets at random
  times (same epicentres) or shifted by one random longitude (two null
  catalogues of :mod:`ionoquake.evaluate.epoch`);
* (c) :func:`planted_targets` at the alarms' own share τ of the baseline: targets
  drawn from the baseline rate, the exact null of the Molchan test. Above that
  share the same function plants a signal (the power curve).

:func:`evaluate` scores one case and returns, besides the reported p, what a
calibration check needs (randomized p, attainable level). The benchmark scores
all 648,000 cells as the demo does; the test merges the unalarmed ones into one
cell first (:func:`merge_unalarmed`: the same trajectory, 20 times faster).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.detect.decluster import decluster
from ionoquake.evaluate import molchan as molchan_module
from ionoquake.evaluate.forecast_run import stack_run
from ionoquake.evaluate.pvalues import TIE_TOLERANCE
from ionoquake.evaluate.results import MolchanResult
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_track_anomalies
from ionoquake.forecast.alarms import daily_alarm_scores
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.sources import catalog

Float = NDArray[np.float64]
Counts = NDArray[np.int64]

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
MAPS = "ionex/jpl_2000326-2001014"
INDICES = "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"
#: The demo's forecast period: first cluster start (2000-12-06 01:00) .. last map day + 1.
START, END = pd.Timestamp("2000-12-06"), pd.Timestamp("2001-01-15")
#: Alarms the demo makes from its clusters (``AlarmRules()`` on the bundled maps).
N_DEMO_ALARMS = 38
#: Monte Carlo samples of the ASS null in the demo (``evaluate_clusters``).
DEMO_SIMULATIONS = 2000
NULL_CATALOGS = ("random-times", "longitude-shift")


@dataclass(frozen=True)
class AlarmCube:
    """The demo's forecast run as arrays over (day, lat, lon) cells.

    Attributes
    ----------
    grid
        The forecast grid (2°).
    issue_times
        Forecast issue times, the midnights of ``[START, END)``.
    baseline
        Baseline rate of M ≥ 6 events per cell and day (events): the weights of τ.
    events
        Real targets per cell.
    targets
        The real targets (declustered M ≥ 6 in the period).
    mainshocks
        The declustered catalogue the forecasts learn from.
    rules
        The demo's alarm rules.
    baseline_cdf
        Cumulative sum of the flattened baseline (to draw cells in proportion to it).
    """

    grid: Grid
    issue_times: pd.DatetimeIndex
    baseline: Float
    events: Counts
    targets: pd.DataFrame
    mainshocks: pd.DataFrame
    rules: AlarmRules
    baseline_cdf: Float

    @property
    def config(self) -> ForecastConfig:
        """The forecast model of the demo's evaluation (``evaluate_clusters``)."""
        return ForecastConfig(name="ionospheric-alarms", grid=self.grid, learning_days=60,
                              alarm_gain=self.rules.gain)


@cache
def demo_cube(data: Path = BUNDLED_DATA) -> AlarmCube:
    """Issue the demo's forecast run once, without alarms (they leave the baseline as it is)."""
    rules = AlarmRules()
    mainshocks = decluster(catalog.read(data / CATALOG))
    grid = Grid(step_deg=2.0)
    config = ForecastConfig(name="ionospheric-alarms", grid=grid, learning_days=60,
                            alarm_gain=rules.gain)
    cube = stack_run(run_daily(mainshocks, config, START, END), mainshocks,
                     magnitude_min=rules.target_magnitude)
    in_period = (mainshocks["time"] >= START) & (mainshocks["time"] < END)
    targets = mainshocks[in_period & (mainshocks["magnitude"] >= rules.target_magnitude)]
    baseline = cube["baseline_rate"].to_numpy()
    return AlarmCube(grid, pd.DatetimeIndex(cube["time"].to_numpy()), baseline,
                     cube["events"].to_numpy(), targets.reset_index(drop=True), mainshocks,
                     rules, np.cumsum(baseline.ravel()))


@cache
def demo_alarms(data: Path = BUNDLED_DATA) -> pd.DataFrame:
    """The demo's alarms: its detection on the bundled JPL maps, then ``AlarmRules()``."""
    from ionoquake.detect.anomalies import detect_anomalies
    from ionoquake.detect.background import BackgroundConfig
    from ionoquake.detect.clusters import anomaly_clusters
    from ionoquake.detect.quiet import QuietRules
    from ionoquake.forecast.alarm_rules import alarms_from_clusters
    from ionoquake.sources import gim, indices

    maps = gim.read_days(sorted((data / MAPS).glob("jplg*.gz")))
    anomalies = detect_anomalies(maps, BackgroundConfig(window_days=15, form="quartile"),
                                 indices=indices.read(data / INDICES),
                                 rules=QuietRules(dst_min_nT=None))
    return alarms_from_clusters(anomaly_clusters(anomalies), AlarmRules())


def random_alarms(rng: np.random.Generator, cube: AlarmCube,
                  n_alarms: int = N_DEMO_ALARMS) -> pd.DataFrame:
    """Alarms by the demo's rules issued uniformly in the period, centred uniformly on
    the sphere, with uniform scores (a Molchan diagram uses only their order)."""
    span_s = (END - START).total_seconds()
    anomalies = pd.DataFrame({
        "end": START + pd.to_timedelta(rng.uniform(0.0, span_s, n_alarms), unit="s"),
        "lat": np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n_alarms))),
        "lon": rng.uniform(-180.0, 180.0, n_alarms),
        "score": rng.uniform(1.0, 2.0, n_alarms)})
    return alarms_from_track_anomalies(anomalies, cube.rules)


def alarm_scores(alarms: pd.DataFrame, cube: AlarmCube, horizon_days: float = 1.0) -> Float:
    """The ``alarm_score`` cube that ``run_daily`` + ``stack_run`` give for ``alarms``.

    The forecast issued at midnight T sees the alarms issued before T and counts
    those overlapping [T, T + horizon); a cell is inside an alarm when its centre
    is within ``radius_km`` of the alarm's centre or holds that centre
    (:func:`ionoquake.forecast.alarms.alarm_grid`). −inf where no alarm applies.
    """
    return daily_alarm_scores(alarms, cube.grid, cube.issue_times.to_numpy(), horizon_days)


def alarm_function(score: Float) -> Float:
    """Alarm scores with the unalarmed cells tied at the bottom, as ``evaluate_run`` does."""
    finite = np.isfinite(score)
    if not finite.any():
        raise ValueError("no alarm is active in the period: the demo scores nothing")
    return np.where(finite, score, score[finite].min() - 1.0)


def alarmed_share(function: Float, cube: AlarmCube) -> float:
    """τ of the whole alarm: the baseline's share in the cells above the bottom score."""
    alarmed = function > function.min()
    return float(cube.baseline[alarmed].sum() / cube.baseline.sum())


def event_counts(targets: pd.DataFrame, cube: AlarmCube) -> Counts:
    """Targets per (day, lat, lon) cell: each on the day of the forecast that covers it."""
    days = (targets["time"].to_numpy("datetime64[ns]") - START.to_datetime64()) / np.timedelta64(1, "D")
    day = np.floor(days).astype(np.intp)
    i, j = cube.grid.cell_of(targets["latitude"].to_numpy(), targets["longitude"].to_numpy())
    ok = (day >= 0) & (day < cube.issue_times.size) & (i >= 0)
    counts = np.zeros(cube.baseline.shape, dtype=np.int64)
    np.add.at(counts, (day[ok], i[ok], j[ok]), 1)
    return counts


def null_targets(rng: np.random.Generator, cube: AlarmCube, name: str) -> Counts:
    """Target counts of one null catalogue.

    ``"random-times"``: same epicentres, times uniform over the period;
    ``"longitude-shift"``: every target shifted east by one longitude uniform in
    [30°, 330°) (times, latitudes and the spacing of the targets kept).
    """
    t = cube.targets
    if name == "random-times":
        span_s = (END - START).total_seconds()
        t = t.assign(time=START + pd.to_timedelta(rng.uniform(0.0, span_s, len(t)), unit="s"))
    elif name == "longitude-shift":
        shift = rng.uniform(30.0, 330.0)
        t = t.assign(longitude=(t["longitude"] + shift + 180.0) % 360.0 - 180.0)
    else:
        raise ValueError(f"unknown null catalogue {name!r}; use one of {NULL_CATALOGS}")
    return event_counts(t, cube)


def planted_targets(rng: np.random.Generator, function: Float, cube: AlarmCube,
                    hit_rate: float, n_events: int | None = None) -> Counts:
    """Targets drawn from the baseline rate, each inside an alarm with probability ``hit_rate``.

    Inside the alarms (or outside) a target lands in a cell with probability
    proportional to its baseline rate, so ``hit_rate = alarmed_share(function,
    cube)`` is exactly the null of the Molchan test and larger rates plant a
    signal. ``n_events`` defaults to the number of real targets.
    """
    n = int(cube.events.sum()) if n_events is None else n_events
    alarmed = (function > function.min()).ravel()
    hits = int(np.count_nonzero(rng.random(n) < hit_rate))
    inside = np.flatnonzero(alarmed)
    cum = np.cumsum(cube.baseline.ravel()[inside])
    cells = [inside[_draw(rng, cum, hits)]]
    while sum(c.size for c in cells) < n:  # outside: draws from the whole cube, rejected inside
        more = _draw(rng, cube.baseline_cdf, n - sum(c.size for c in cells))
        cells.append(more[~alarmed[more]])
    counts = np.bincount(np.concatenate(cells), minlength=alarmed.size)
    return counts.reshape(cube.baseline.shape).astype(np.int64)


def _draw(rng: np.random.Generator, cdf: Float, k: int) -> NDArray[np.intp]:
    """``k`` indices drawn with probabilities ∝ the increments of the cumulative sum ``cdf``."""
    pick = np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right")
    return np.minimum(pick, cdf.size - 1)


@dataclass(frozen=True)
class Evaluation:
    """One scored case: the p the library reports and what a calibration check needs.

    Attributes
    ----------
    p_value
        ``molchan(...).ass.p_value``, the p of the area skill score the demo reports.
    randomized_p
        The same Monte Carlo p with ties broken at random,
        (#{null > ASS} + V·(1 + #{null = ASS}))/(n + 1), V ~ U(0, 1): exactly
        U(0, 1) when the observed ASS is one more draw of the null (ties within
        :data:`~ionoquake.evaluate.pvalues.TIE_TOLERANCE`).
    attainable
        P(p < alpha) for targets drawn from the test's null with this alarm
        function: the level the discrete test can actually reach (≤ alpha).
    hits
        Targets inside an alarm.
    """

    p_value: float
    randomized_p: float
    attainable: float
    hits: int


def merge_unalarmed(function: Float, events: Counts, weights: Float
                    ) -> tuple[Float, Counts, Float]:
    """The same Molchan input with the cells outside every alarm merged into one cell.

    Those cells share the bottom score, and ``molchan`` alarms tied cells
    together, so one cell holding their summed weight and events gives the same
    trajectory (to the rounding of the sums) from a few thousand cells instead
    of 648,000.
    """
    f, n, w = function.ravel(), events.ravel(), weights.ravel()
    low = f.min()
    keep = np.flatnonzero(f > low)
    return (np.r_[f[keep], low], np.r_[n[keep], n.sum() - n[keep].sum()],
            np.r_[w[keep], w.sum() - w[keep].sum()])


def evaluate(function: Float, events: Counts, cube: AlarmCube, *, seed: int,
             rng: np.random.Generator, n_simulations: int = DEMO_SIMULATIONS,
             alpha: float = 0.05, merged: bool = False,
             module: ModuleType = molchan_module) -> Evaluation:
    """Score one alarm function as the demo does and calibrate its p.

    ``module`` provides ``molchan`` and ``ass_null_monte_carlo`` (default
    :mod:`ionoquake.evaluate.molchan`; another file's copy to check old code).
    With ``merged`` the unalarmed cells are scored as one (:func:`merge_unalarmed`).
    The null is drawn again with the same seed for the randomized p and the
    attainable level; ``rng`` gives V.
    """
    scores, counts, weights = ((function, events, cube.baseline) if not merged
                               else merge_unalarmed(function, events, cube.baseline))
    result: MolchanResult = module.molchan(scores, counts, weights, weighting="baseline-rate",
                                           n_simulations=n_simulations, seed=seed)
    ass = result.ass.statistic
    null = np.sort(np.asarray(module.ass_null_monte_carlo(
        np.asarray(result.tau), result.n_events, n_simulations, seed), dtype=float))
    gamma = TIE_TOLERANCE * max(abs(ass), 1.0)
    above = null.size - np.searchsorted(null, ass + gamma, side="right")
    ties = null.size - np.searchsorted(null, ass - gamma, side="left") - above
    randomized = (above + rng.random() * (1 + ties)) / (1 + null.size)
    # the p each null draw gets against the n - 1 others: (1 + #{others ≥ draw}) / n
    reach = null - TIE_TOLERANCE * np.maximum(np.abs(null), 1.0)
    p_null = (null.size - np.searchsorted(null, reach, side="left")) / null.size
    hits = int(events[function > function.min()].sum())
    return Evaluation(result.ass.p_value, float(randomized), float(np.mean(p_null < alpha)), hits)
