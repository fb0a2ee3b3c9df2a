"""ROC and reliability diagrams of probabilistic forecasts, with their nulls.

The forecast gives, per space-time cell, the probability that at least one
target event occurs: for a Poisson rate λ, p = 1 − exp(−λ). The outcome is
whether the cell holds an event.

* ROC (e.g. Jolliffe & Stephenson 2012, "Forecast Verification", ch. 3): hit
  rate H against false-alarm rate F as the probability threshold falls, one
  point per distinct probability (ties together). The area under the curve (AUC)
  equals the Mann-Whitney U statistic / (n₁ n₀); under the null of no
  discrimination AUC = 0.5 and the p-value is the one-sided Mann-Whitney test
  (normal approximation with tie correction, scipy).
* Reliability (Murphy & Winkler 1977; consistency bars of Bröcker & Smith 2007,
  Weather Forecast. 22, 651-661): cells are binned by forecast probability;
  mean probability against observed frequency. The band shows the 5-95 % range
  of the observed frequency if the forecast were calibrated (outcomes drawn as
  Bernoulli(p) from the forecast itself; Poisson approximation). The Brier score
  travels with the same calibrated-forecast null (normal approximation), the
  Brier skill score over a reference with a paired per-cell null (cells treated
  as independent, which overstates significance when events cluster).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ionoquake.errors import InputError
from ionoquake.evaluate.results import CurveResult, SkillResult, as_tuple, summarize_null

__all__ = ["occurrence_probability", "reliability_diagram", "roc_diagram"]

Float = NDArray[np.float64]


def occurrence_probability(rate: ArrayLike) -> Float:
    """P(at least one event) of a Poisson rate: ``1 − exp(−rate)``."""
    return np.asarray(-np.expm1(-np.asarray(rate, dtype=float)), dtype=float)


def _inputs(probability: ArrayLike, outcome: ArrayLike) -> tuple[Float, NDArray[np.bool_]]:
    p = np.asarray(probability, dtype=float).ravel()
    o = np.asarray(outcome).ravel() > 0
    if p.size != o.size:
        raise InputError(f"{p.size} probabilities but {o.size} outcomes")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise InputError("probabilities must lie in [0, 1] without NaN")
    if o.all() or not o.any():
        raise InputError("ROC and reliability need cells both with and without events")
    return p, o


def roc_diagram(probability: ArrayLike, outcome: ArrayLike) -> CurveResult:
    """ROC curve, AUC and its Mann-Whitney p-value.

    Parameters
    ----------
    probability
        Forecast probability per cell.
    outcome
        Events per cell (> 0 means the event happened).
    """
    p, o = _inputs(probability, outcome)
    order = np.argsort(-p, kind="stable")
    ps, os_ = p[order], o[order]
    ends = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True])
    tp, fp = np.cumsum(os_)[ends], np.cumsum(~os_)[ends]
    hit = np.r_[0.0, tp / o.sum()]
    far = np.r_[0.0, fp / (~o).sum()]
    auc = float(np.sum(np.diff(far) * 0.5 * (hit[1:] + hit[:-1])))
    n1, n0 = int(o.sum()), int((~o).sum())
    test = stats.mannwhitneyu(p[o], p[~o], alternative="greater", method="asymptotic")
    sd = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))
    null = summarize_null(kind="analytic-normal", mean=0.5, std=sd, description=(
        "AUC of a forecast that does not discriminate (Mann-Whitney null, ties corrected)"))
    skill = SkillResult("area under the ROC curve", auc, null, float(test.pvalue), "greater",
                        {"ties": "equal probabilities form one ROC point",
                         "p-value": "one-sided Mann-Whitney U, normal approximation"},
                        {"n_event_cells": float(n1), "n_empty_cells": float(n0)},
                        p_method="one-sided Mann-Whitney U, normal approximation with ties")
    return CurveResult("roc", as_tuple(far), as_tuple(hit), "false-alarm rate F",
                       "hit rate H", (), (), (), {"auc": skill},
                       {"cells": "unweighted; one outcome per cell (>= 1 event)"})


def reliability_diagram(probability: ArrayLike, outcome: ArrayLike, *,
                        reference: ArrayLike | None = None, n_bins: int = 10) -> CurveResult:
    """Reliability diagram with calibrated-forecast bands, Brier score and skill.

    Parameters
    ----------
    probability, outcome
        As in :func:`roc_diagram`.
    reference
        Reference (baseline) probabilities for the Brier skill score.
    n_bins
        Number of bins, equally populated by forecast probability (quantiles),
        because event probabilities per cell are small and skewed.
    """
    p, o = _inputs(probability, outcome)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(edges.size - 2, 0))
    nb = int(b.max()) + 1
    count = np.bincount(b, minlength=nb).astype(float)
    keep = count > 0
    mean_p = np.bincount(b, p, nb)[keep] / count[keep]
    freq = np.bincount(b, o.astype(float), nb)[keep] / count[keep]
    # Null: outcomes drawn from the forecast itself. Events per bin are then
    # Poisson-binomial; with the small probabilities of earthquake cells a Poisson
    # law with the same mean is accurate (Le Cam's bound: Σp² per bin).
    expected = np.bincount(b, p, nb)[keep]
    low = stats.poisson.ppf(0.05, expected) / count[keep]
    high = stats.poisson.ppf(0.95, expected) / count[keep]
    brier = float(np.mean((p - o) ** 2))
    # Brier under calibration: E = mean p(1-p), Var = Σ p(1-p)(1-2p)² / n² (normal approx.)
    mean_b = float(np.mean(p * (1 - p)))
    sd_b = float(np.sqrt(np.sum(p * (1 - p) * (1 - 2 * p) ** 2)) / p.size)
    # Spiegelhalter's (1986, Stat. Med. 5, 421) Z of the Brier score, two-sided.
    z = (brier - mean_b) / sd_b if sd_b > 0 else 0.0
    p_cal = float(2.0 * stats.norm.sf(abs(z)))
    skills = {"brier": SkillResult(
        "Brier score", brier,
        summarize_null(kind="analytic-normal", mean=mean_b, std=sd_b, description=(
            "Brier score if outcomes were drawn from the forecast itself (calibrated)")),
        p_cal, "two-sided", {"meaning": "small p: not calibrated (Spiegelhalter Z test)"},
        {"n_cells": float(p.size), "spiegelhalter_z": z},
        p_method="Spiegelhalter Z of the Brier score, normal approximation, two-sided")}
    if reference is not None:
        r = np.asarray(reference, dtype=float).ravel()
        d = (r - o) ** 2 - (p - o) ** 2  # > 0 where the forecast beats the reference
        brier_ref = float(np.mean((r - o) ** 2))
        se = float(d.std(ddof=1) / np.sqrt(d.size))
        skills["brier_skill"] = SkillResult(
            "Brier skill score over the reference", 1.0 - brier / brier_ref,
            summarize_null(kind="analytic-normal", mean=0.0, std=se / brier_ref, description=(
                "no improvement over the reference: mean per-cell Brier difference 0 "
                "(cells treated as independent)")),
            float(stats.norm.sf(d.mean() / se)) if se > 0 else 1.0, "greater",
            {"reference": "baseline probabilities"}, {"brier_reference": brier_ref},
            p_method="paired per-cell Brier differences, one-sided normal approximation")
    return CurveResult("reliability", as_tuple(mean_p), as_tuple(freq),
                       "mean forecast probability", "observed frequency", as_tuple(low),
                       as_tuple(high), as_tuple(count[keep]), skills,
                       {"bins": f"{int(keep.sum())} bins of equal cell count",
                        "band": ("5-95 % of observed frequency for a calibrated forecast "
                                 "(Poisson approximation)")})
