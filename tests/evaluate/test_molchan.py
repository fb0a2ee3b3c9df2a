"""Molchan diagram, ASS, gain and R: hand-computed cases, nulls, and the artifact suite.

Hand cases are worked on paper from the definitions of Zechar & Jordan (2008),
GJI 172, 715-724 (ν over events, τ weighted, ties alarmed together).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.molchan import (
    area_skill_score,
    ass_null_monte_carlo,
    ass_null_variance,
    binomial_p_value,
    confidence_bound_nu,
    molchan,
    molchan_trajectory,
)
from ionoquake.evaluate.results import MolchanResult
from ionoquake.forecast.grid import Grid

EXACT = 1e-12


def test_four_cells_by_hand() -> None:
    # Scores 4,3,2,1 on equal cells, events in the 1st and 3rd: ν drops by 1/2 at τ=1/4 and 3/4.
    tau, nu, thr, far = molchan_trajectory([4, 3, 2, 1], [1, 1, 1, 1], [1, 0, 1, 0])
    np.testing.assert_allclose(tau, [0, 0.25, 0.5, 0.75, 1], atol=EXACT)
    np.testing.assert_allclose(nu, [1, 0.5, 0.5, 0, 0], atol=EXACT)
    np.testing.assert_allclose(far, [0, 0, 0.5, 0.5, 1], atol=EXACT)
    assert thr[0] == np.inf and list(thr[1:]) == [4, 3, 2, 1]
    # 1 - [0.25(1+0.5)/2 + 0.25(0.5) + 0.25(0.5)/2] = 0.625 = 1 - mean(0.125, 0.625)
    assert area_skill_score(tau, nu) == pytest.approx(0.625, abs=EXACT)


def test_tied_cells_are_alarmed_together_with_area_weights() -> None:
    # Areas 1,3,1,3; the two score-2 cells (area 4 of 8) hold one of the two events.
    tau, nu, _, _ = molchan_trajectory([2, 2, 1, 1], [1, 3, 1, 3], [1, 0, 0, 1])
    np.testing.assert_allclose(tau, [0, 0.5, 1], atol=EXACT)
    np.testing.assert_allclose(nu, [1, 0.5, 0], atol=EXACT)
    assert area_skill_score(tau, nu) == pytest.approx(0.5, abs=EXACT)


def test_constant_alarm_function_scores_one_half() -> None:
    tau, nu, _, _ = molchan_trajectory(np.zeros(50), np.arange(1, 51), np.arange(50) % 3)
    assert list(tau) == [0.0, 1.0] and list(nu) == [1.0, 0.0]
    assert area_skill_score(tau, nu) == 0.5


def test_staircase_convention_by_hand() -> None:
    # Same four cells as above: ν = 1 on [0, 1/4), 1/2 on [1/4, 3/4), 0 after.
    tau, nu, _, _ = molchan_trajectory([4, 3, 2, 1], [1, 1, 1, 1], [1, 0, 1, 0])
    assert area_skill_score(tau, nu, "staircase") == pytest.approx(0.5, abs=EXACT)
    # Ties: the two score-2 cells (half the area) hold one event of two. Trapezoid 0.5;
    # the staircase counts that event at τ = 1/2 and the other at τ = 1: 1 - 3/4.
    tau, nu, _, _ = molchan_trajectory([2, 2, 1, 1], [1, 3, 1, 3], [1, 0, 0, 1])
    assert area_skill_score(tau, nu, "staircase") == pytest.approx(0.25, abs=EXACT)
    # A constant alarm function: only the all-or-nothing alarm, every event at τ = 1.
    tau, nu, _, _ = molchan_trajectory(np.zeros(5), np.ones(5), [1, 0, 2, 0, 0])
    assert area_skill_score(tau, nu, "staircase") == 0.0
    with pytest.raises(ValueError, match="convention"):
        area_skill_score(tau, nu, "simpson")


def test_staircase_null_has_the_staircase_mean() -> None:
    # Under random alarms each event counts at its group's end: E[ASS] = 1 - Σ Δτ_k τ_k.
    tau = np.array([0.0, 0.1, 0.35, 1.0])
    sims = ass_null_monte_carlo(tau, 20, 40_000, seed=4, convention="staircase")
    expected = 1.0 - float(np.sum(np.diff(tau) * tau[1:]))
    assert sims.mean() == pytest.approx(expected, abs=4 * sims.std() / math.sqrt(40_000))


def test_all_miss_observation_has_p_one_in_both_conventions() -> None:
    # Issue H: one alarm on 0.3 % of the weight, none of 15 events inside. The float32 null
    # put the all-miss simulations 1e-8 below the float64 observation: p came out 0.049.
    rng = np.random.default_rng(1)
    for trial in range(20):
        w = rng.uniform(0.5, 2.0, 500)
        scores = np.zeros(500)
        k = int(rng.integers(0, 500))
        scores[k] = 1.0
        w[k] = 0.003 * (w.sum() - w[k]) / (1 - 0.003)
        events = np.zeros(500)
        events[[i for i in rng.choice(500, 16, replace=False) if i != k][:15]] = 1
        res = molchan(scores, events, w, n_simulations=2000, seed=trial)
        assert res.ass.p_value == 1.0
        assert res.skills["ass_staircase"].p_value == 1.0


def test_one_p_per_statistic_named() -> None:
    res = molchan([4, 3, 2, 1], [1, 0, 1, 0], [1, 2, 3, 4], n_simulations=200, seed=3)
    for skill in res.skills.values():
        assert skill.p_method
        assert not any(key.startswith("p_") for key in skill.details)
    assert "(1 + #{null >= observed}) / (1 + 200)" in res.ass.p_method
    assert "verdict" in res.conventions


def test_several_events_in_one_cell_count_as_several() -> None:
    _, nu, _, _ = molchan_trajectory([3, 2, 1], [1, 1, 1], [3, 0, 1])
    np.testing.assert_allclose(nu, [1, 0.25, 0.25, 0], atol=EXACT)


def test_worse_than_random_is_reported_below_one_half() -> None:
    result = molchan([3, 2, 1, 0], [0, 0, 0, 2], [1, 1, 1, 1], n_simulations=0)
    assert result.ass.statistic == pytest.approx(0.125)
    assert result.ass.p_value > 0.9


def test_gain_read_at_tau_with_exact_binomial_p() -> None:
    result = molchan([4, 3, 2, 1], [1, 0, 1, 0], [1, 1, 1, 1], at_tau=0.25, n_simulations=0)
    gain = result.skills["gain"]
    assert gain.statistic == pytest.approx(2.0)  # (1 - 0.5) / 0.25
    assert gain.p_value == pytest.approx(1 - 0.75**2)  # P(Bin(2, 1/4) >= 1)
    assert gain.details["tau"] == 0.25
    assert "interpolated" in gain.conventions["read"]
    r = result.skills["r_score"]
    assert r.statistic == pytest.approx(0.5 - 0.0)  # hit rate 1/2, no event-free cell alarmed


def test_gain_read_at_a_threshold() -> None:
    result = molchan([4, 3, 2, 1], [1, 0, 1, 0], [1, 1, 1, 1], at_threshold=2, n_simulations=0)
    gain = result.skills["gain"]
    assert gain.details["tau"] == 0.75 and gain.statistic == pytest.approx(1 / 0.75)
    assert gain.conventions["read"] == "at the alarm score >= 2"


def test_binomial_p_value_matches_scipy_at_whole_hits() -> None:
    h = np.arange(0, 21)
    np.testing.assert_allclose(binomial_p_value(h, 20, 0.3), stats.binom.sf(h - 1, 20, 0.3),
                               rtol=1e-10)


def test_confidence_bound_is_the_binomial_critical_miss_rate() -> None:
    n, alpha = 25, 0.05
    for tau in (0.01, 0.1, 0.37, 0.8):
        # brute force: smallest h with P(X >= h) <= alpha
        h = next(h for h in range(n + 2) if stats.binom.sf(h - 1, n, tau) <= alpha)
        assert confidence_bound_nu(tau, n, alpha) == pytest.approx(1 - h / n)


def test_monte_carlo_null_matches_the_analytic_moments() -> None:
    tau = np.linspace(0, 1, 2001)  # 2000 equal groups: close to the continuum
    sims = ass_null_monte_carlo(tau, 100, 20_000, seed=1)
    assert sims.mean() == pytest.approx(0.5, abs=4 * math.sqrt(1 / 1200 / 20_000))
    assert sims.std() == pytest.approx(math.sqrt(1 / 1200), rel=0.03)


def test_tie_aware_variance_matches_monte_carlo_for_a_binary_alarm() -> None:
    tau = np.array([0.0, 0.2, 1.0])  # one alarm covering 20 %, the rest tied
    sims = ass_null_monte_carlo(tau, 30, 40_000, seed=2)
    assert sims.var() == pytest.approx(ass_null_variance(tau, 30), rel=0.05)
    assert ass_null_variance(tau, 30) < 1 / (12 * 30)


def test_monte_carlo_equals_permuting_the_alarm_function() -> None:
    # The fast null (events thrown by the reference measure) against the literal
    # one (alarm scores shuffled over cells) on an equal-area grid.
    rng = np.random.default_rng(5)
    n_cells, scores = 400, np.round(rng.random(400), 1)
    events = np.zeros(n_cells)
    events[rng.choice(n_cells, 15, replace=False)] = 1
    literal = []
    for _ in range(3000):
        tau, nu, _, _ = molchan_trajectory(rng.permutation(scores), np.ones(n_cells), events)
        literal.append(area_skill_score(tau, nu))
    tau, _, _, _ = molchan_trajectory(scores, np.ones(n_cells), events)
    fast = ass_null_monte_carlo(tau, 15, 3000, seed=6)
    assert stats.ks_2samp(literal, fast).pvalue > 0.001
    assert np.std(fast) == pytest.approx(np.std(literal), rel=0.08)


def test_result_round_trips_through_json() -> None:
    result = molchan([4, 3, 2, 1], [1, 0, 1, 0], [1, 2, 3, 4], n_simulations=200, seed=3)
    again = MolchanResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result
    assert again.ass.null.kind == "monte-carlo" and again.ass.null.n_samples == 200


def test_invalid_inputs_are_named() -> None:
    with pytest.raises(IonoquakeError, match="no target events"):  # one readable CLI line
        molchan([1, 2], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="no target events"):
        molchan_trajectory([1, 2], [1, 1], [0, 0])
    with pytest.raises(ValueError, match="1 cells have a NaN score"):
        molchan_trajectory([1, np.nan], [1, 1], [1, 0])
    with pytest.raises(ValueError, match="1 target events lie in cells of zero weight"):
        molchan_trajectory([1, 2], [0, 1], [1, 0])


# --- null / artifact suite -------------------------------------------------------------

GRID = Grid(-60, 60, -180, 180, 5.0)


def _events(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros(weights.size)
    np.add.at(counts, rng.choice(weights.size, n, p=weights.ravel() / weights.sum()), 1)
    return counts.reshape(weights.shape)


def test_random_alarms_and_random_catalogues_show_no_skill() -> None:
    area = GRID.cell_area_km2()
    p_values = []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        scores = rng.gamma(0.5, size=area.shape)  # a skewed random alarm function
        events = _events(rng, area, 40)
        res = molchan(scores, events, area, n_simulations=500, seed=seed)
        p_values.append(res.ass.p_value)
        assert res.skills["gain"].p_value > 0 and np.isfinite(res.ass.details["z"])
    assert np.mean(np.asarray(p_values) > 0.05) >= 0.95


def test_a_planted_signal_is_found() -> None:
    area = GRID.cell_area_km2()
    rng = np.random.default_rng(99)
    scores = rng.random(area.shape)
    # event density ∝ exp(3 score): expected gain at τ = 0.1 is e^2.85 / ((e^3 - 1)/3) ≈ 2.7
    events = _events(rng, area * np.exp(3.0 * scores), 40)
    res = molchan(scores, events, area, n_simulations=2000, seed=1)
    assert res.ass.p_value < 0.01 and stats.norm.sf(res.ass.details["z"]) < 0.01
    assert res.skills["ass_staircase"].p_value < 0.01
    assert res.skills["gain"].statistic > 2 and res.skills["gain"].p_value < 0.01
