"""Monte Carlo p-values and family-wise corrections: one helper for every null of ionoquake.

A Monte Carlo p-value compares an observed statistic with ``n`` values of the same
statistic computed on data made under the null (random alarms, null catalogues,
simulated forecasts). It is

    p = (1 + #{null ≥ observed}) / (1 + n)

(Davison & Hinkley 1997, "Bootstrap Methods and their Application", eq. 4.11;
North, Curtis & Sham 2002, Am. J. Hum. Genet. 71, 439-441), which is a valid
p-value (P(p ≤ α) ≤ α under the null) because the observed value is counted as
one more draw of the null. Two rules make it so in floating point:

* **one precision**: the observed value and the null values must be computed by
  the same arithmetic, in float64; a float32 null compared with a float64
  observation shifts every tie to one side (the bug of issue H: all-miss random
  alarms came out 1e-8 *below* the all-miss observation, and p fell from 1 to
  P(≥ 1 hit));
* **ties count as at least as extreme**: values that differ from the observed one
  only by the rounding of their computation are ties. As in
  :func:`scipy.stats.permutation_test` (scipy ≥ 1.9), a null value within a
  relative ``tolerance`` of the observed one counts as reaching it. The
  default, 1e-12, is ~5000 float64 ulps: far above the rounding of a sum of a
  million terms, far below any difference a statistic here can resolve.

The family-wise corrections (Holm 1979, Scand. J. Statist. 6, 65-70) turn the
p-values of every configuration tried on the same targets into p-values that
keep the family-wise error rate under any dependence between the tests.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import InputError

__all__ = ["TIE_TOLERANCE", "holm", "monte_carlo_p"]

#: Relative tolerance under which a null value counts as tied with the observed one.
TIE_TOLERANCE = 1e-12

Alternative = Literal["greater", "less", "two-sided"]


def monte_carlo_p(null: ArrayLike, observed: float, *, alternative: Alternative = "greater",
                  tolerance: float = TIE_TOLERANCE) -> float:
    """The Monte Carlo p-value of ``observed`` against the null values ``null``.

    Parameters
    ----------
    null
        Values of the statistic under the null (float64; float32 is refused,
        since it cannot be compared with a float64 observation).
    observed
        The statistic of the data, computed by the same arithmetic as ``null``.
    alternative
        ``"greater"``: skill means large values, p counts null ≥ observed;
        ``"less"``: null ≤ observed; ``"two-sided"``: twice the smaller one-sided
        p, at most 1.
    tolerance
        Relative tolerance of a tie (see the module docstring).

    Returns
    -------
    float
        p in (0, 1]; ``1/(1+n)`` is the smallest value ``n`` draws can give.

    Examples
    --------
    >>> monte_carlo_p([0.5, 0.5, 0.5], 0.5)   # every null value ties: p = 1
    1.0
    >>> monte_carlo_p([0.1, 0.2, 0.3], 0.9)
    0.25
    """
    x = np.asarray(null)
    if x.dtype == np.float32 or x.dtype == np.float16:
        raise TypeError("compare null values in float64, the precision of the observed value")
    x = x.astype(float, copy=False).ravel()
    if not np.isfinite(observed):
        raise InputError(f"the observed statistic is {observed}: no p-value")
    if np.isnan(x).any():
        raise InputError(f"{int(np.isnan(x).sum())} null values are NaN")
    gamma = tolerance * max(abs(float(observed)), 1.0)
    if alternative == "greater":
        return float((1 + np.count_nonzero(x >= observed - gamma)) / (1 + x.size))
    if alternative == "less":
        return float((1 + np.count_nonzero(x <= observed + gamma)) / (1 + x.size))
    if alternative == "two-sided":
        return min(1.0, 2.0 * min(monte_carlo_p(x, observed, alternative="greater",
                                                tolerance=tolerance),
                                  monte_carlo_p(x, observed, alternative="less",
                                                tolerance=tolerance)))
    raise InputError(f"alternative {alternative!r}: use greater, less or two-sided")


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values, in the order given.

    The adjusted p of the test of rank i (ascending p, 1-based) among m is
    max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎) (Holm 1979). Rejecting where the
    adjusted p ≤ α keeps the family-wise error rate ≤ α whatever the
    dependence between the tests.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        return p
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise InputError("p-values must lie in [0, 1]")
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted
