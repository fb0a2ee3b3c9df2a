"""ROC and reliability: hand cases, calibrated forecasts pass, skill is found."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ionoquake.evaluate.probabilistic import (
    occurrence_probability,
    reliability_diagram,
    roc_diagram,
)
from ionoquake.evaluate.results import CurveResult


def test_roc_by_hand_with_ties() -> None:
    # probabilities 0.9, 0.5, 0.5, 0.1 with events in cells 1 and 3 (1-based)
    res = roc_diagram([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0])
    assert res.x == (0.0, 0.0, 0.5, 1.0) and res.y == (0.0, 0.5, 1.0, 1.0)
    # AUC = P(p_event > p_empty) + ½ P(tie) = (2 + ½ + 1) / 4 = 0.875
    assert res.skills["auc"].statistic == pytest.approx(0.875)


def test_random_forecast_has_no_significant_auc_in_95_percent_of_seeds() -> None:
    # A calibrated test is significant in 5 % of seeds by construction, so "≥ 95 % not
    # significant" only holds up to binomial scatter; 400 seeds keep that scatter at ±1 %.
    significant = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        p = rng.random(2000) * 0.05
        significant += roc_diagram(p, rng.random(2000) < 0.02).skills["auc"].p_value <= 0.05
    assert significant / 400 <= 0.05


def test_a_calibrated_forecast_sits_in_its_band_and_beats_a_flat_reference() -> None:
    rng = np.random.default_rng(1)
    p = occurrence_probability(rng.gamma(0.3, 0.05, 50_000))
    outcome = rng.random(p.size) < p
    res = reliability_diagram(p, outcome, reference=np.full(p.size, p.mean()))
    inside = (np.array(res.band_low) <= np.array(res.y)) & (np.array(res.y) <= res.band_high)
    assert inside.mean() >= 0.8
    assert res.skills["brier"].p_value > 0.01
    assert res.skills["brier_skill"].statistic > 0 and res.skills["brier_skill"].p_value < 0.01
    assert CurveResult.from_dict(json.loads(json.dumps(res.to_dict(), allow_nan=False))) == res


def test_an_overconfident_forecast_fails_calibration() -> None:
    rng = np.random.default_rng(2)
    true = rng.random(20_000) * 0.02
    outcome = rng.random(true.size) < true
    res = reliability_diagram(np.clip(true * 10, 0, 1), outcome)
    assert res.skills["brier"].p_value < 0.001
