"""Claimed pre-seismic TEC enhancements: the reference-curve method and its artefact tests.

Heki (2011, GRL 38, L17312, doi:10.1029/2011GL047908) fitted a polynomial "reference
curve" to VTEC with a window around the earthquake excluded, and read the positive
departure in the ~40 min before the origin as a precursor. Masci et al. (2015, JGR Space
Phys. 120, 6360, doi:10.1002/2014JA020822) and Eisenbeis & Occhipinti (2021, JGR Space
Phys. 126, e2020JA028733, doi:10.1029/2020JA028733) showed that the choice of degree and
windows, with the post-seismic TEC drop left in or out of the fit, can make such a
departure from nothing.

So here no single fit ever decides. :func:`precursor_test` runs a whole family of
configurations (:func:`default_family`: degrees x exclusion windows, every one counted),
computes the enhancement score of each at the origin and at random times of the same
series, and raises an alarm only when

1. the enhancement is positive in at least ``survive_share`` of the family, and
2. the family's low standardised score (its ``family_quantile`` quantile over the
   configurations: 0.1 = the score 90 % of the family beats) at the origin stands out
   from the same quantity at the random times (a Monte Carlo p-value, ``<= alpha``), and
3. so does the same score of the configurations that fit pre-origin data only: a
   post-seismic drop, which is real and comes at the origin only, cannot bias them (with
   it, fits that use post-origin samples make an "enhancement" at the origin that random
   times do not have, so step 2 alone would alarm on it).

The origin and the random times are treated identically (standardised over all of them
together), so on data without a precursor the alarm rate is at most ``alpha``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.errors import InputError

__all__ = ["PrecursorResult", "ReferenceConfig", "default_family", "enhancement_score",
           "precursor_test", "random_origin_times", "reference_curve"]


@dataclass(frozen=True)
class ReferenceConfig:
    """One reference curve: a polynomial of ``degree`` fitted over ``[origin -
    fit_before_min, origin + fit_after_min]`` without ``[origin - exclude_before_min,
    origin + exclude_after_min]``; the score is taken over the last ``precursor_min``."""

    degree: int
    fit_before_min: float = 180.0
    fit_after_min: float = 120.0
    exclude_before_min: float = 60.0
    exclude_after_min: float = 20.0
    precursor_min: float = 40.0

    @property
    def pre_origin_only(self) -> bool:
        """True when the fit uses no sample after the origin (it extrapolates)."""
        return self.exclude_after_min >= self.fit_after_min

    def label(self) -> str:
        """Short text, e.g. ``"deg 3, excl -60/+20 min"`` or ``"deg 3, before -60 min only"``."""
        if self.pre_origin_only:
            return f"deg {self.degree}, before -{self.exclude_before_min:g} min only"
        return (f"deg {self.degree}, excl -{self.exclude_before_min:g}/"
                f"+{self.exclude_after_min:g} min")


def default_family(degrees: tuple[int, ...] = (2, 3, 4, 5, 6),
                   exclude_before_min: tuple[float, ...] = (40.0, 60.0),
                   exclude_after_min: tuple[float, ...] = (10.0, 20.0, 40.0, 70.0, 100.0),
                   fit_before_min: float = 180.0, fit_after_min: float = 120.0,
                   precursor_min: float = 40.0,
                   pre_origin_degrees: tuple[int, ...] = (1, 2, 3)) -> list[ReferenceConfig]:
    """Every combination (5 x 2 x 5), plus for each of ``pre_origin_degrees`` and
    ``exclude_before_min`` a fit of the data before the excluded window alone, which no
    post-seismic change can bias (low degrees: a high-degree polynomial extrapolated over
    40-60 min is noise). 50 + 6 = 56 configurations by default."""
    both_sides = [ReferenceConfig(d, fit_before_min, fit_after_min, b, a, precursor_min)
                  for d, b, a in product(degrees, exclude_before_min, exclude_after_min)
                  if b >= precursor_min and a < fit_after_min]
    pre_only = [ReferenceConfig(d, fit_before_min, fit_after_min, b, fit_after_min,
                                precursor_min)
                for d, b in product(pre_origin_degrees, exclude_before_min)
                if b >= precursor_min]
    return both_sides + pre_only


def _minutes(vtec: pd.Series, origin: np.datetime64) -> np.ndarray:
    index = pd.DatetimeIndex(vtec.index).to_numpy()
    return (index - pd.Timestamp(origin).to_datetime64()) / np.timedelta64(60, "s")


def reference_curve(vtec: pd.Series, origin: np.datetime64,
                    config: ReferenceConfig) -> pd.Series:
    """The fitted reference curve over the fit span (NaN outside), TECU."""
    minutes = _minutes(vtec, origin)
    curve = _fit(minutes, vtec.to_numpy(dtype=float), config)
    return pd.Series(curve, index=vtec.index, name="reference")


def _fit(minutes: np.ndarray, values: np.ndarray, c: ReferenceConfig) -> np.ndarray:
    span = (minutes >= -c.fit_before_min) & (minutes <= c.fit_after_min)
    used = span & np.isfinite(values) & ~((minutes >= -c.exclude_before_min)
                                          & (minutes <= c.exclude_after_min))
    out = np.full(len(values), np.nan)
    if used.sum() < 3 * (c.degree + 1):
        return out
    x = minutes / max(c.fit_before_min, c.fit_after_min)
    coef = np.polynomial.polynomial.polyfit(x[used], values[used], c.degree)
    out[span] = np.polynomial.polynomial.polyval(x[span], coef)
    return out


def enhancement_score(vtec: pd.Series, origin: np.datetime64, config: ReferenceConfig) -> float:
    """Mean departure from the reference over the last ``precursor_min`` before the origin,
    in units of the RMS departure over the fitted samples (NaN when it cannot be fitted)."""
    return float(_score(_minutes(vtec, origin), vtec.to_numpy(dtype=float), config))


def _score(minutes: np.ndarray, values: np.ndarray, c: ReferenceConfig) -> float:
    curve = _fit(minutes, values, c)
    residual = values - curve
    fitted = ((minutes >= -c.fit_before_min) & (minutes <= c.fit_after_min)
              & ~((minutes >= -c.exclude_before_min) & (minutes <= c.exclude_after_min)))
    before = (minutes >= -c.precursor_min) & (minutes < 0)
    rms = np.sqrt(np.nanmean(residual[fitted] ** 2)) if fitted.any() else np.nan
    window = residual[before]
    if not np.isfinite(window).any() or not rms > 0:
        return np.nan
    return float(np.nanmean(window) / rms)


def random_origin_times(vtec: pd.Series, origin: np.datetime64, family: list[ReferenceConfig],
                        *, step_min: float = 10.0, clear_min: float | None = None) -> np.ndarray:
    """Times every ``step_min`` whose whole fit span lies in the series, at least
    ``clear_min`` (default: the longest fit span) away from ``origin``."""
    before = max(c.fit_before_min for c in family)
    after = max(c.fit_after_min for c in family)
    clear = before + after if clear_min is None else clear_min
    index = pd.DatetimeIndex(vtec.index).to_numpy()
    first = index[0] + np.timedelta64(int(before * 60), "s")
    last = index[-1] - np.timedelta64(int(after * 60), "s")
    if last < first:
        return np.array([], dtype="datetime64[ns]")
    step = np.timedelta64(int(step_min * 60), "s")
    times = np.arange(first, last + np.timedelta64(1, "s"), step)
    far = np.abs((times - pd.Timestamp(origin).to_datetime64()) / np.timedelta64(60, "s")) >= clear
    return times[far].astype("datetime64[ns]")


@dataclass(frozen=True)
class PrecursorResult:
    """The family-wise reference-curve test at one origin.

    ``scores`` per configuration (``labels``), ``n_single_alarms`` how many single fits
    would have called a precursor (score >= ``single_threshold``), ``family_score`` the
    low quantile of the standardised scores over the family, ``p_family`` its Monte Carlo
    p-value against ``n_random`` random times, ``p_pre_origin_only`` the same for the
    configurations that use no post-origin sample, ``alarm`` the decision and ``reason`` why.
    """

    labels: tuple[str, ...]
    scores: tuple[float, ...]
    n_configurations: int
    n_single_alarms: int
    single_threshold: float
    positive_share: float
    family_score: float
    p_family: float
    p_pre_origin_only: float
    n_random: int
    alpha: float
    alarm: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def precursor_test(vtec: pd.Series, origin: np.datetime64, *,
                   family: list[ReferenceConfig] | None = None,
                   random_origins: np.ndarray | None = None, alpha: float = 0.05,
                   survive_share: float = 0.9, family_quantile: float = 0.1,
                   single_threshold: float = 2.0, step_min: float = 10.0) -> PrecursorResult:
    """Run the reference-curve family at ``origin`` and at random times (see module doc)."""
    family = default_family() if family is None else family
    if not family:
        raise InputError("the family of reference-curve configurations is empty")
    if random_origins is None:
        random_origins = random_origin_times(vtec, origin, family, step_min=step_min)
    if len(random_origins) < 19:
        raise InputError(f"only {len(random_origins)} random origin times fit in the series: "
                         "at least 19 are needed for a p-value of 0.05")
    values = vtec.to_numpy(dtype=float)
    index = pd.DatetimeIndex(vtec.index).to_numpy()
    origins = np.concatenate([[pd.Timestamp(origin).to_datetime64()],
                              np.asarray(random_origins, dtype="datetime64[ns]")])
    scores = _family_scores(index, values, origins, family)
    observed = scores[0]
    family_score, p, n_null = _family_p(scores, np.ones(len(family), bool), family_quantile)
    pre = np.array([c.pre_origin_only for c in family])
    _, p_pre, _ = (_family_p(scores, pre, family_quantile) if pre.any()
                           else (np.nan, np.nan, 0))
    positive = float(np.mean(observed > 0))
    alarm = bool(positive >= survive_share and p <= alpha and pre.any() and p_pre <= alpha)
    n_single = int(np.sum(observed >= single_threshold))
    reason = (f"{n_single} of {len(family)} single fits exceed {single_threshold:g} sigma; "
              f"enhancement positive in {positive:.0%} of the family (needs "
              f"{survive_share:.0%}); family score (q{family_quantile:g} of standardised "
              f"scores) {family_score:.2f}, p = {p:.3f}; fits of pre-origin data only: "
              + (f"p = {p_pre:.3f}" if pre.any() else "none in the family (the post-seismic "
                 "artefact is not controlled: no alarm)")
              + f"; against {n_null} random times (alpha {alpha:g})")
    return PrecursorResult(tuple(c.label() for c in family), tuple(float(s) for s in observed),
                           len(family), n_single, single_threshold, positive, family_score, p,
                           float(p_pre), n_null, alpha, alarm, reason)


def _family_p(scores: np.ndarray, members: np.ndarray, quantile: float) -> tuple[float, float, int]:
    """Low quantile of the standardised scores of ``members`` at the origin (row 0) and
    its Monte Carlo p-value against the same quantity at the random times (other rows)."""
    part = scores[:, members]
    spread = np.nanstd(part, axis=0)
    z = (part - np.nanmean(part, axis=0)) / np.where(spread > 0, spread, np.nan)
    low = np.nanquantile(z, quantile, axis=1)
    null = low[1:][np.isfinite(low[1:])]
    return float(low[0]), float((1 + np.sum(null >= low[0])) / (1 + null.size)), int(null.size)


def _family_scores(index: np.ndarray, values: np.ndarray, origins: np.ndarray,
                   family: list[ReferenceConfig]) -> np.ndarray:
    """Scores (origin x configuration); one least-squares solve per configuration for all
    origins whose samples are complete on a regular grid, one fit each for the others."""
    before = max(c.fit_before_min for c in family)
    after = max(c.fit_after_min for c in family)
    steps = np.diff(index) / np.timedelta64(1, "s")
    step = float(np.median(steps)) if steps.size else 0.0
    at = np.searchsorted(index, origins)
    on_grid = (at < len(index)) & (index[np.minimum(at, len(index) - 1)] == origins)
    k = np.arange(-round(before * 60 / step), round(after * 60 / step) + 1) \
        if step > 0 else np.array([0])
    inside = on_grid & (at + k[0] >= 0) & (at + k[-1] < len(index))
    fast = np.zeros(len(origins), bool)
    if step > 0 and np.all(steps == step) and inside.any():
        block = values[at[inside][:, None] + k[None, :]]
        complete = np.isfinite(block).all(axis=1)
        fast[np.flatnonzero(inside)[complete]] = True
        block = block[complete]
    scores = np.full((len(origins), len(family)), np.nan)
    minutes = k * step / 60.0
    for j, c in enumerate(family):
        if fast.any():
            scores[fast, j] = _scores_block(minutes, block, c)
    for i in np.flatnonzero(~fast):
        lo = np.searchsorted(index, origins[i] - np.timedelta64(int(before * 60), "s"))
        hi = np.searchsorted(index, origins[i] + np.timedelta64(int(after * 60), "s"), "right")
        rel = (index[lo:hi] - origins[i]) / np.timedelta64(60, "s")
        scores[i] = [_score(rel, values[lo:hi], c) for c in family]
    return scores


def _scores_block(minutes: np.ndarray, block: np.ndarray, c: ReferenceConfig) -> np.ndarray:
    """:func:`_score` for many complete series sampled at the same relative ``minutes``."""
    span = (minutes >= -c.fit_before_min) & (minutes <= c.fit_after_min)
    used = span & ~((minutes >= -c.exclude_before_min) & (minutes <= c.exclude_after_min))
    before = (minutes >= -c.precursor_min) & (minutes < 0)
    if used.sum() < 3 * (c.degree + 1):
        return np.full(len(block), np.nan)
    x = minutes / max(c.fit_before_min, c.fit_after_min)
    design = np.vander(x, c.degree + 1)
    coef = np.linalg.pinv(design[used]) @ block[:, used].T
    residual = block - (design @ coef).T
    rms = np.sqrt(np.mean(residual[:, used] ** 2, axis=1))
    return np.mean(residual[:, before], axis=1) / np.where(rms > 0, rms, np.nan)
