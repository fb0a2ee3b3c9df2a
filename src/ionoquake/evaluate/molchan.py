"""Molchan error diagram, area skill score, probability gain and R score, with their nulls.

Implements Zechar & Jordan (2008), "Testing alarm-based earthquake predictions",
Geophys. J. Int. 172, 715-724, for an *alarm function*: a score per space(-time)
cell; the alarm at threshold s switches on every cell with score ≥ s.

Conventions (they change the numbers; every result names them):

* τ, the alarm fraction, is the alarmed share of a **reference measure**: cell
  area (``weights = cos-latitude cell areas``) or a reference seismicity rate
  (``weights = baseline rate``), or space-time volume (area × duration).
* ν, the miss rate, counts **target events** (several events in one cell count
  several times), ν = 1 − hits/N.
* Cells with equal scores are alarmed together: the trajectory has one point per
  distinct score. Between two points there are two conventions for the area
  (:func:`area_skill_score`), and every result carries both:

  - ``"ass"``, the **trapezoid** (straight segments): what a random order inside
    the tied group gives on average, so a constant alarm function scores exactly
    0.5 and the null mean is 1/2 whatever the ties. ASS = 1 − mean over events of
    the τ at the midpoint of the event's tied group; under random alarms its
    variance is 1/(12 N) (N events) in the continuum limit, and the exact
    tie-aware variance is given too. **The verdict uses this one.**
  - ``"ass_staircase"``, the **staircase** of Zechar & Jordan (2008): ν keeps its
    value across a tied group and drops at its end (the lowest miss rate
    reachable at alarm fraction ≤ τ); each event counts at its group's end.

  Each is tested against its own Monte Carlo null (random alarm functions with
  the same ties, float64, p by :func:`ionoquake.evaluate.pvalues.monte_carlo_p`):
  one p per statistic. ASS < 0.5 (worse than random) is reported as is.
* Probability gain G = (1 − ν)/τ and Hanssen–Kuipers R = (1 − ν) − F (F the
  alarmed share of the event-free weight) are read at a stated τ, either
  interpolated along the trajectory or at a named threshold.

pyCSEP 0.8.0's ``plot_Molchan_diagram`` differs (unweighted τ over cells, ν over
cells holding ≥ 1 event, ASS shown clamped to ≥ 0.5 and rounded to 0.01); see
:func:`ionoquake.evaluate.csep.pycsep_molchan`, which reproduces it for comparison.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from ionoquake.errors import InputError
from ionoquake.evaluate.pvalues import monte_carlo_p
from ionoquake.evaluate.results import (
    NULL_QUANTILES,
    MolchanResult,
    SkillResult,
    as_tuple,
    summarize_null,
)

__all__ = [
    "ASS_CONVENTIONS",
    "area_skill_score",
    "ass_null_monte_carlo",
    "binomial_p_value",
    "confidence_bound_nu",
    "molchan",
    "molchan_trajectory",
    "read_at_tau",
]

Float = NDArray[np.float64]


def molchan_trajectory(scores: ArrayLike, weights: ArrayLike, events: ArrayLike
                       ) -> tuple[Float, Float, Float, Float]:
    """The exact Molchan trajectory of an alarm function, one point per distinct score.

    Parameters
    ----------
    scores
        Alarm-function value per cell (any shape); higher means alarmed earlier.
        NaN is not allowed: mask such cells with zero weight and a finite score.
    weights
        Reference measure per cell (area in km², rate, ...; same shape, ≥ 0).
    events
        Number of target events per cell (same shape, ≥ 0).

    Returns
    -------
    tau, nu, threshold, false_alarm_rate : numpy.ndarray
        Alarm fraction (0 … 1), miss rate (1 … 0), the score at which each
        point's alarm switches on (``inf`` for the empty alarm) and the alarmed
        share of the weight of event-free cells.
    """
    s, w, n = _check(scores, weights, events)
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    ends = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    w_sorted, n_sorted = w[order], n[order]
    cum_w = np.cumsum(w_sorted)[ends]
    cum_n = np.cumsum(n_sorted)[ends]
    cum_w0 = np.cumsum(np.where(n_sorted == 0, w_sorted, 0.0))[ends]
    w0 = cum_w0[-1]
    tau = np.r_[0.0, cum_w / cum_w[-1]]
    tau[-1] = 1.0
    nu = np.r_[1.0, 1.0 - cum_n / cum_n[-1]]
    far = np.r_[0.0, cum_w0 / w0] if w0 > 0 else np.zeros_like(tau)
    return tau, nu, np.r_[np.inf, s_sorted[ends]], far


def _check(scores: ArrayLike, weights: ArrayLike, events: ArrayLike
           ) -> tuple[Float, Float, Float]:
    s = np.asarray(scores, dtype=float).ravel()
    w = np.asarray(weights, dtype=float)
    w = w.ravel() if w.size == s.size else np.broadcast_to(w, np.shape(scores)).ravel()
    n = np.asarray(events, dtype=float).ravel()
    if not (s.size == w.size == n.size):
        raise InputError(f"scores ({s.size}), weights ({w.size}) and events ({n.size}) "
                         "must have the same number of cells")
    if np.isnan(s).any():
        raise InputError(f"{int(np.isnan(s).sum())} cells have a NaN score; give them a "
                         "finite score and zero weight to leave them out")
    if (w < 0).any() or w.sum() <= 0:
        raise InputError("weights must be ≥ 0 with a positive total")
    if (n < 0).any() or n.sum() <= 0:
        raise InputError("there are no target events: the miss rate is undefined")
    if (n[w == 0] > 0).any():
        raise InputError(f"{int(n[w == 0].sum())} target events lie in cells of zero weight")
    return s, w, n


ASS_CONVENTIONS = ("trapezoid", "staircase")


def area_skill_score(tau: ArrayLike, nu: ArrayLike, convention: str = "trapezoid") -> float:
    """ASS = 1 − ∫ν dτ over the whole trajectory, in one of two conventions for tied cells.

    ``"trapezoid"``
        Straight segments between the trajectory's points: the average over a
        random order of the cells inside each tied group, so a constant alarm
        function scores exactly 1/2 and random alarms score 1/2 on average
        whatever the ties (the area pyCSEP 0.8.0 integrates with the trapezoid
        rule). ionoquake's verdicts use this one.
    ``"staircase"``
        ν(τ) is the lowest miss rate reachable with an alarm fraction ≤ τ: ν keeps
        its value across a tied group and drops at its end (the step function of
        Zechar & Jordan 2008, GJI 172, 715-724). Ties cost skill: a constant
        alarm function scores 0, and random alarms score Σ Δτ_k (1 − τ_k) on average.

    Both equal 1 − mean over events of the τ at which the event's tied group is
    counted (its midpoint or its end); without ties and with fine cells they agree.
    """
    t, v = np.asarray(tau, dtype=float), np.asarray(nu, dtype=float)
    if convention == "trapezoid":
        return float(1.0 - np.sum(np.diff(t) * 0.5 * (v[1:] + v[:-1])))
    if convention == "staircase":
        return float(1.0 - np.sum(np.diff(t) * v[:-1]))
    raise InputError(f"ASS convention {convention!r}: use one of {', '.join(ASS_CONVENTIONS)}")


def ass_null_variance(tau: ArrayLike, n_events: int) -> float:
    """Exact variance of the (trapezoid) ASS under random alarms with this trajectory's ties.

    Each event falls in tied group k with probability Δτ_k and is counted at the
    group's midpoint m_k, so Var(ASS) = (Σ Δτ_k m_k² − 1/4)/N; without ties and
    with fine cells this tends to 1/(12 N) (Zechar & Jordan 2008, eq. 10).
    """
    t = np.asarray(tau, dtype=float)
    d, m = np.diff(t), 0.5 * (t[1:] + t[:-1])
    return float((np.sum(d * m * m) - 0.25) / n_events)


def ass_null_monte_carlo(tau: ArrayLike, n_events: int, n_simulations: int = 10_000,
                         seed: int | np.random.SeedSequence = 0,
                         convention: str = "trapezoid") -> Float:
    """Area skill scores of random alarm functions, against the same tie structure.

    Under the null the alarm function knows nothing about where the target
    events occur, i.e. each event lands in tied group k with probability Δτ_k
    (its share of the reference measure). The events are thrown that way and
    the ASS is recomputed; this has the distribution of the ASS of a random
    alarm function and costs O(n_simulations · N) instead of O(n_simulations ·
    n_cells). Everything is float64, the precision of the observed ASS, so a
    simulation that scores exactly as the observation ties with it (compare
    with :func:`ionoquake.evaluate.pvalues.monte_carlo_p`).

    Parameters
    ----------
    tau
        Trajectory alarm fractions from :func:`molchan_trajectory`.
    n_events
        Number of target events N.
    n_simulations
        Number of random alarm functions.
    seed
        Seed or :class:`numpy.random.SeedSequence`.
    convention
        ``"trapezoid"`` or ``"staircase"`` (see :func:`area_skill_score`).

    Returns
    -------
    numpy.ndarray
        ``n_simulations`` area skill scores (float64).
    """
    t = np.asarray(tau, dtype=float)
    if convention == "trapezoid":
        table = _GroupTable(t, 0.5 * (t[1:] + t[:-1]))
    elif convention == "staircase":
        table = _GroupTable(t, t[1:])
    else:
        raise InputError(f"ASS convention {convention!r}: use one of "
                         f"{', '.join(ASS_CONVENTIONS)}")
    rng = np.random.default_rng(seed)
    out = np.empty(n_simulations)
    chunk = max(1, 1_000_000 // max(n_events, 1))  # keep temporaries in cache
    for start in range(0, n_simulations, chunk):
        stop = min(start + chunk, n_simulations)
        u = rng.random((stop - start, n_events))
        out[start:stop] = 1.0 - table.points(u).mean(axis=1)
    return out


class _GroupTable:
    """The τ at which a uniform draw u is counted: the point of its tied group (τ_k ≤ u < τ_k+1).

    A lookup table over [0, 1) answers draws whose table bin holds no group
    edge; only the rest go through a binary search (10× slower per draw).
    Everything is float64.
    """

    def __init__(self, tau: Float, points: Float) -> None:
        self.point = np.asarray(points, dtype=float)
        self.edges = np.asarray(tau[1:-1], dtype=float)
        self.size = int(min(1 << 20, max(1024, 1 << int(np.ceil(np.log2(16 * tau.size))))))
        grid = np.arange(self.size + 1, dtype=np.float64) / self.size
        lo = np.searchsorted(self.edges, grid[:-1], side="right")
        hi = np.searchsorted(self.edges, grid[1:], side="left")
        self.exact = lo == hi
        self.value = self.point[lo]

    def points(self, u: Float) -> Float:
        b = (u * self.size).astype(np.intp)
        np.minimum(b, self.size - 1, out=b)
        vals = self.value[b]
        flat_b, flat_v = b.reshape(-1), vals.reshape(-1)
        todo = np.flatnonzero(~self.exact[flat_b])
        if todo.size:
            k = np.searchsorted(self.edges, u.reshape(-1)[todo], side="right")
            flat_v[todo] = self.point[k]
        return vals


def binomial_p_value(hits: ArrayLike, n_events: int, tau: ArrayLike) -> Float:
    """P(X ≥ hits) for X ~ Binomial(N, τ): the chance that random alarms do as well.

    Exact at whole ``hits``; a fractional ``hits`` (an interpolated reading) uses
    the regularized incomplete beta function I_τ(h, N − h + 1), which is the
    same formula continued between the integers.
    """
    h = np.asarray(hits, dtype=float)
    t = np.clip(np.asarray(tau, dtype=float), 0.0, 1.0)
    safe_h = np.clip(h, 1e-12, n_events)
    p = special.betainc(safe_h, n_events - safe_h + 1.0, t)
    return np.asarray(np.where(h <= 0, 1.0, p), dtype=float)


def confidence_bound_nu(tau: ArrayLike, n_events: int, alpha: float = 0.05) -> Float:
    """Miss rate below which random alarms are rejected at level ``alpha``.

    For each τ, the smallest number of hits h with P(Binomial(N, τ) ≥ h) ≤ α
    gives ν_crit = 1 − h/N (Zechar & Jordan 2008, Fig. 2); a point on or below
    the curve is significant at ``alpha``.
    """
    t = np.asarray(tau, dtype=float)
    k = stats.binom.isf(alpha, n_events, t)  # smallest k with P(X > k) ≤ α
    return np.asarray(1.0 - np.minimum(k + 1.0, n_events + 1.0) / n_events, dtype=float)


def read_at_tau(tau: ArrayLike, nu: ArrayLike, at_tau: float) -> float:
    """ν on the trajectory at alarm fraction ``at_tau``, linear along its segments."""
    t, v = np.asarray(tau, dtype=float), np.asarray(nu, dtype=float)
    return float(np.interp(at_tau, t, v))


def molchan(scores: ArrayLike, events: ArrayLike, weights: ArrayLike, *,
            weighting: str = "area", at_tau: float | None = 0.1,
            at_threshold: float | None = None, n_simulations: int = 10_000,
            seed: int = 0, alpha: float = 0.05) -> MolchanResult:
    """Molchan diagram and its skill numbers, each with its null and p-value.

    Parameters
    ----------
    scores, events, weights
        Alarm function, target-event counts and reference measure per cell
        (see :func:`molchan_trajectory`).
    weighting
        Name of the reference measure, recorded in the conventions
        (``"area"``, ``"rate"``, ``"space-time volume"``, ...).
    at_tau
        Alarm fraction at which gain and R are read, interpolated along the
        trajectory. Ignored when ``at_threshold`` is given.
    at_threshold
        Read gain and R at the alarm ``scores >= at_threshold`` instead.
    n_simulations, seed
        Monte Carlo null of the ASS (``0`` skips it).
    alpha
        Level for the ``details["significant_at_alpha"]`` flags.

    Returns
    -------
    MolchanResult
        Trajectory plus ``skills``: ``"ass"`` (analytic null, exact tie-aware
        variance and Monte Carlo p in ``details``), ``"gain"`` and
        ``"r_score"`` (exact binomial null at the read τ).
    """
    tau, nu, thr, far = molchan_trajectory(scores, weights, events)
    n_events = round(float(np.asarray(events, dtype=float).sum()))
    conventions = {
        "tau": f"{weighting}-weighted fraction of the alarmable region",
        "nu": "fraction of target events missed (events, not cells)",
        "ties": "cells with equal score alarmed together",
    }
    skills = {
        "ass": _ass_skill(tau, nu, n_events, n_simulations, seed, alpha, conventions,
                          "trapezoid"),
    }
    if n_simulations > 0:
        skills["ass_staircase"] = _ass_skill(tau, nu, n_events, n_simulations, seed + 7919,
                                             alpha, conventions, "staircase")
    skills.update(_gain_and_r(tau, nu, thr, far, n_events, at_tau, at_threshold, alpha))
    return MolchanResult(as_tuple(tau), as_tuple(nu), as_tuple(thr), as_tuple(far), n_events,
                         skills, {**conventions, "ass": _ASS_WORDS["trapezoid"],
                                  "verdict": "the trapezoid ASS ('ass') and its Monte Carlo p"})


_ASS_WORDS = {
    "trapezoid": ("1 - integral of nu dtau on straight segments between the trajectory's "
                  "points (random order inside tied groups on average; trapezoid rule)"),
    "staircase": ("1 - integral of nu dtau on the staircase: nu keeps its value across a tied "
                  "group and drops at its end (Zechar & Jordan 2008)"),
}


def _ass_skill(tau: Float, nu: Float, n_events: int, n_simulations: int, seed: int,
               alpha: float, conventions: dict[str, str], convention: str) -> SkillResult:
    ass = area_skill_score(tau, nu, convention)
    conv = {**conventions, "ass": _ASS_WORDS[convention]}
    details: dict[str, float] = {"n_events": float(n_events)}
    if convention == "trapezoid":
        sd = math.sqrt(1.0 / (12.0 * n_events))
        details.update({"z": (ass - 0.5) / sd,
                        "tie_aware_std": math.sqrt(max(ass_null_variance(tau, n_events), 0.0))})
    if n_simulations > 0:
        sims = ass_null_monte_carlo(tau, n_events, n_simulations, seed, convention)
        p = monte_carlo_p(sims, ass)
        null = summarize_null(sims, kind="monte-carlo", seed=seed, description=(
            "ASS of random alarm functions: each target event falls in a tied score group "
            "with probability equal to its share of the reference measure"))
        how = (f"Monte Carlo: (1 + #{{null >= observed}}) / (1 + {n_simulations}), "
               f"{n_simulations} random alarm functions, float64, ties counted")
    elif convention == "trapezoid":
        sd = math.sqrt(1.0 / (12.0 * n_events))
        p = float(stats.norm.sf((ass - 0.5) / sd))
        null = summarize_null(kind="analytic-normal", mean=0.5, std=sd, description=(
            "random alarms: ASS ~ Normal(1/2, 1/(12 N)), N target events"),
            quantiles=[float(stats.norm.ppf(q, 0.5, sd)) for q in NULL_QUANTILES])
        how = "normal approximation Normal(1/2, 1/(12 N)) (no Monte Carlo asked)"
    else:
        raise InputError("the staircase ASS has no analytic null here: give n_simulations > 0")
    details["significant_at_alpha"] = float(p <= alpha)
    name = "area skill score" if convention == "trapezoid" else "area skill score (staircase)"
    return SkillResult(name, ass, null, p, "greater", conv, details, p_method=how)


def _gain_and_r(tau: Float, nu: Float, thr: Float, far: Float, n_events: int,
                at_tau: float | None, at_threshold: float | None, alpha: float
                ) -> dict[str, SkillResult]:
    if at_threshold is not None:
        k = int(np.flatnonzero(thr >= at_threshold)[-1]) if (thr >= at_threshold).any() else 0
        t, v, f = float(tau[k]), float(nu[k]), float(far[k])
        how = f"at the alarm score >= {at_threshold:g}"
    elif at_tau is not None:
        t, v = float(at_tau), read_at_tau(tau, nu, at_tau)
        f = float(np.interp(at_tau, tau, far))
        how = f"interpolated along the trajectory at tau = {at_tau:g}"
    else:
        raise InputError("give at_tau or at_threshold to read the gain")
    hits = (1.0 - v) * n_events
    p = float(binomial_p_value(hits, n_events, t)) if t > 0 else 1.0
    sd_h = math.sqrt(n_events * t * (1 - t))
    conv = {"read": how, "null": "hits ~ Binomial(N, tau) under random alarms"}
    det = {"tau": t, "nu": v, "hits": hits, "false_alarm_rate": f,
           "significant_at_alpha": float(p <= alpha)}
    gain_null = summarize_null(kind="exact-binomial", mean=1.0,
                               std=sd_h / (n_events * t) if t > 0 else math.nan,
                               description=f"gain of random alarms covering tau = {t:.4g}")
    r_null = summarize_null(kind="exact-binomial", mean=0.0, std=sd_h / n_events,
                            description=f"R score of random alarms covering tau = {t:.4g}")
    gain = (1.0 - v) / t if t > 0 else math.nan
    how = (f"exact binomial: P(X >= {hits:.4g}) for X ~ Binomial({n_events}, {t:.4g}) "
           "(regularized incomplete beta between whole hits)")
    return {
        "gain": SkillResult("probability gain (1 - nu)/tau", gain, gain_null, p, "greater",
                            conv, det, p_method=how),
        "r_score": SkillResult("R score (Hanssen-Kuipers)", (1.0 - v) - f, r_null, p,
                               "greater", conv, det, p_method=how),
    }
