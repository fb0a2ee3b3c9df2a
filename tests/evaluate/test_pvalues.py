"""The one Monte Carlo p-value and Holm's correction: definitions, ties, bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ionoquake.evaluate.pvalues import holm, monte_carlo_p

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=50), finite)
def test_p_is_the_count_definition(null: list[float], observed: float) -> None:
    # Davison & Hinkley (1997) eq. 4.11: p = (1 + #{T* >= t}) / (1 + n), ties counted.
    x = np.asarray(null)
    p = monte_carlo_p(x, observed)
    assert 1 / (1 + x.size) <= p <= 1.0
    exact = (1 + np.count_nonzero(x >= observed)) / (1 + x.size)
    assert p >= exact  # the tolerance only ever adds ties
    gamma = 1e-12 * max(abs(observed), 1.0)  # ties within the documented tolerance
    assert p == pytest.approx((1 + np.count_nonzero(x >= observed - gamma)) / (1 + x.size))


def test_rounding_ties_count_as_reaching_the_observation() -> None:
    # 0.1 + 0.2 != 0.3 in float64; summed in another order a tie must stay a tie.
    assert 0.1 + 0.2 > 0.3
    assert monte_carlo_p([0.3, 0.3, 0.3], 0.1 + 0.2) == 1.0
    assert monte_carlo_p([0.1 + 0.2], 0.3, alternative="less") == 1.0
    assert monte_carlo_p([0.3 - 1e-9], 0.3) == 0.5  # a real difference is not a tie


def test_float32_null_is_refused() -> None:
    with pytest.raises(TypeError, match="float64"):
        monte_carlo_p(np.zeros(3, dtype=np.float32), 0.0)


def test_two_sided_and_less() -> None:
    null = np.arange(1.0, 100.0)  # 1..99
    assert monte_carlo_p(null, 10.0, alternative="less") == pytest.approx(11 / 100)
    assert monte_carlo_p(null, 10.0, alternative="two-sided") == pytest.approx(22 / 100)
    with pytest.raises(ValueError, match="alternative"):
        monte_carlo_p(null, 1.0, alternative="bigger")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        monte_carlo_p([np.nan], 1.0)


def test_valid_under_the_null() -> None:
    # Exchangeable draws: P(p <= a) <= a exactly for a = k/(n+1), also with heavy ties.
    rng = np.random.default_rng(0)
    for values in (rng.normal(size=(20_000, 20)), rng.integers(0, 3, (20_000, 20)) * 0.1):
        p = np.array([monte_carlo_p(row[1:], row[0]) for row in values.astype(float)])
        for k in (1, 2, 5, 10):
            assert np.mean(p <= k / 20) <= k / 20 + 3 * np.sqrt(k / 20 / 20_000)


def _holm_by_definition(p: list[float], alpha: float) -> list[bool]:
    """Rejections of Holm's step-down procedure, as in Holm (1979)."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    reject = [False] * len(p)
    for rank, i in enumerate(order):
        if p[i] > alpha / (len(p) - rank):
            break
        reject[i] = True
    return reject


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_rejects_as_the_step_down_procedure(p: list[float]) -> None:
    adjusted = holm(p)
    assert np.all(adjusted >= np.asarray(p) - 1e-15) and np.all(adjusted <= 1)
    for alpha in (0.01, 0.05, 0.2):
        assert list(adjusted <= alpha) == _holm_by_definition(p, alpha)


def test_holm_worked_example() -> None:
    # m = 3: 0.01*3 = 0.03; 0.03*2 = 0.06; max(0.06, 0.04*1) = 0.06.
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    assert holm([]).size == 0
    assert list(holm([0.2])) == [0.2]
    with pytest.raises(ValueError):
        holm([1.5])
