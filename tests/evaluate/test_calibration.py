"""Calibration of the alarm p-values on the demo's real data (issue H): no signal, no skill.

A seeded, smaller version of ``benchmarks/bench_calibration.py`` (see it and
``tests/evaluate/calibration_runs.py`` for the set-up): the demo's space-time
cells (40 days × 2° grid, τ weighted by the baseline rate), its 15 declustered
M ≥ 6 targets, random alarms with the demo's statistics (38 alarms of 380 km
for 10 days). Monte Carlo p-values are discrete (a grid of 1/200 here, and
p = 1 for every alarm set that misses all targets), so a calibrated test gives
p < 0.05 *at most* 5 % of the time: the tests bound the count from above by the
99 % binomial interval of 5 %, and test exactness where it is a theorem
(targets drawn from the baseline, ties broken at random).

Before issue H's fix (commit cadf305: float32 Monte Carlo null compared with the
float64 ASS) the all-miss case below scored p = 0.0444 = P(≥ 1 hit) instead of 1,
42 of the 400 random alarm sets reached p < 0.05 against the real targets and
42 against baseline-drawn ones (the limit is 32; 14 and 12 after the fix,
12.4 expected), and the KS test of the randomized p gave p = 1e-72.

The last test does the same for the null catalogues of the superposed epoch
analysis: anomalies scattered at random, unrelated to the events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ionoquake.evaluate.epoch import NULL_CATALOGS, superposed_epoch
from ionoquake.evaluate.forecast_run import stack_run
from ionoquake.evaluate.molchan import molchan
from ionoquake.forecast.run import run_daily
from tests.evaluate.calibration_runs import (
    END,
    START,
    AlarmCube,
    Evaluation,
    alarm_function,
    alarm_scores,
    alarmed_share,
    demo_cube,
    evaluate,
    planted_targets,
    random_alarms,
)

ALPHA = 0.05
N_RUNS = 400  # random alarm sets, each against the real and against baseline-drawn targets
N_SIMULATIONS = 199  # Monte Carlo null per evaluation: p on a grid of 1/200
EPOCH_RUNS = 150  # random anomaly sets of the superposed epoch test


def upper_end(n: int, alpha: float = ALPHA, level: float = 0.99) -> int:
    """Largest count of p < alpha that a calibrated test gives in n runs, at ``level``."""
    return int(stats.binom.ppf(1.0 - (1.0 - level) / 2.0, n, alpha))


@pytest.fixture(scope="module")
def cube() -> AlarmCube:
    return demo_cube()


def test_an_alarm_that_misses_every_target_has_p_one() -> None:
    # One alarm on 3 of 1000 equal cells (0.3 % of the weight), the 15 targets elsewhere:
    # the observed ASS is the lowest possible, so every random alarm does at least as well.
    # (The float32 null put the all-miss draws 1e-8 below it: p = 1 - 0.997^15 = 0.044.)
    scores, events = np.zeros(1000), np.zeros(1000)
    scores[:3] = 1.0
    events[500:515] = 1.0
    result = molchan(scores, events, np.ones(1000), n_simulations=10_000, seed=0)
    assert result.ass.statistic == pytest.approx(1.0 - (1.0 + 0.003) / 2.0, abs=1e-12)
    assert result.ass.p_value == 1.0


def test_alarm_scores_are_those_of_the_forecast_run(cube: AlarmCube) -> None:
    alarms = random_alarms(np.random.default_rng(2024), cube)
    run = stack_run(run_daily(cube.mainshocks, cube.config, START, END, alarms=alarms),
                    cube.mainshocks, magnitude_min=cube.rules.target_magnitude)
    np.testing.assert_array_equal(alarm_scores(alarms, cube), run["alarm_score"].to_numpy())
    np.testing.assert_array_equal(cube.baseline, run["baseline_rate"].to_numpy())
    np.testing.assert_array_equal(cube.events, run["events"].to_numpy())
    assert int(cube.events.sum()) == len(cube.targets) == 15


def test_merging_the_unalarmed_cells_changes_nothing(cube: AlarmCube) -> None:
    for i in range(4):
        rng = np.random.default_rng((2, i))
        function = alarm_function(alarm_scores(random_alarms(rng, cube), cube))
        for events in (cube.events, planted_targets(rng, function, cube, 0.2)):
            full, merged = (evaluate(function, events, cube, seed=i,
                                     rng=np.random.default_rng(i), n_simulations=N_SIMULATIONS,
                                     merged=m) for m in (False, True))
            assert merged == full


@pytest.fixture(scope="module")
def no_signal(cube: AlarmCube) -> dict[str, list[Evaluation]]:
    """Random alarm sets scored against the real targets and against baseline-drawn ones."""
    runs: dict[str, list[Evaluation]] = {"real targets": [], "baseline targets": []}
    for i in range(N_RUNS):
        rng = np.random.default_rng((1, i))
        function = alarm_function(alarm_scores(random_alarms(rng, cube), cube))
        drawn = planted_targets(rng, function, cube, alarmed_share(function, cube))
        for name, events in (("real targets", cube.events), ("baseline targets", drawn)):
            runs[name].append(evaluate(function, events, cube, seed=i, rng=rng,
                                       n_simulations=N_SIMULATIONS, merged=True))
    return runs


@pytest.mark.parametrize("targets", ["real targets", "baseline targets"])
def test_random_alarms_reach_p_below_5_percent_at_most_5_percent_of_the_time(
        no_signal: dict[str, list[Evaluation]], targets: str) -> None:
    p = np.array([r.p_value for r in no_signal[targets]])
    k, limit = int(np.count_nonzero(p < ALPHA)), upper_end(p.size)
    hits = sum(r.hits > 0 for r in no_signal[targets])
    assert k <= limit, (f"{targets}: p < {ALPHA} in {k} of {p.size} runs without signal "
                        f"(in {hits} an alarm holds a target); a calibrated test gives at most "
                        f"{limit}")
    assert k >= 1  # not stuck at p = 1 either


def test_randomized_p_is_uniform_when_targets_follow_the_baseline(
        no_signal: dict[str, list[Evaluation]]) -> None:
    # Targets drawn from the baseline are the test's own null: with ties broken at random
    # the Monte Carlo p is exactly U(0, 1), and P(p < 0.05) is the attainable level.
    runs = no_signal["baseline targets"]
    assert stats.kstest([r.randomized_p for r in runs], "uniform").pvalue > 0.01
    k = sum(r.p_value < ALPHA for r in runs)
    expected = sum(r.attainable for r in runs)
    assert abs(k - expected) <= 3.0 * np.sqrt(expected), (k, expected)


def test_a_planted_signal_is_detected(cube: AlarmCube) -> None:
    # 15 baseline-drawn targets, each inside a random alarm set with probability 0.3
    # (its share of the baseline is ~0.01): 4.5 hits expected, p < 0.05 nearly always.
    detected = []
    for i in range(60):
        rng = np.random.default_rng((3, i))
        function = alarm_function(alarm_scores(random_alarms(rng, cube), cube))
        events = planted_targets(rng, function, cube, 0.3)
        detected.append(evaluate(function, events, cube, seed=i, rng=rng,
                                 n_simulations=N_SIMULATIONS, merged=True).p_value < ALPHA)
    assert np.mean(detected) >= 0.9


@pytest.fixture(scope="module")
def epoch_p_values(cube: AlarmCube) -> dict[str, list[float]]:
    """p of every null catalogue for anomalies scattered at random around the real events."""
    events = cube.mainshocks[cube.mainshocks["magnitude"] >= 6.0]
    coverage = (pd.Timestamp("2000-10-01"), pd.Timestamp("2001-03-01"))  # the catalogue's span
    days = (coverage[1] - coverage[0]) / pd.Timedelta(days=1)
    p: dict[str, list[float]] = {name: [] for name in NULL_CATALOGS}
    for i in range(EPOCH_RUNS):
        rng = np.random.default_rng((4, i))
        anomalies = pd.DataFrame({
            "time": coverage[0] + pd.to_timedelta(rng.uniform(0, days, 300), unit="D"),
            "lat": np.degrees(np.arcsin(rng.uniform(-1, 1, 300))),
            "lon": rng.uniform(-180, 180, 300)})
        result = superposed_epoch(anomalies, events, n_null=49, n_bootstrap=10,
                                  coverage=coverage, seed=i)
        for name, test in result.tests.items():
            p[name].append(test.p_value)
    return p


@pytest.mark.parametrize("null", NULL_CATALOGS)
def test_epoch_nulls_are_calibrated_without_signal(epoch_p_values: dict[str, list[float]],
                                                   null: str) -> None:
    # 300 anomalies uniform on the sphere and in time, unrelated to the 40 declustered
    # M >= 6 events whose -30..+10 day window fits the catalogue's span.
    p = np.array(epoch_p_values[null])
    assert np.count_nonzero(p <= ALPHA) <= upper_end(p.size)
    # valid p: P(p <= u) <= u at every u (one-sided KS, which allows discrete p's atoms)
    assert stats.kstest(p, "uniform", alternative="greater").pvalue > 0.01
