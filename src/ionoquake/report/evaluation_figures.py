"""Figures of evaluation results: each skill number drawn next to its null.

Only drawing happens here; the numbers come from :mod:`ionoquake.evaluate`
result records (Molchan, ROC, reliability, superposed epoch, CSEP tests).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from ionoquake.evaluate.molchan import confidence_bound_nu
from ionoquake.evaluate.results import CurveResult, EpochResult, MolchanResult, SkillResult

__all__ = ["epoch_figure", "epoch_nulls_figure", "molchan_figure", "null_figure",
           "reliability_figure", "roc_figure"]


def molchan_figure(result: MolchanResult, *, title: str = "Molchan diagram",
                   alpha: float = 0.05) -> Figure:
    """Trajectory, the random-guess diagonal and its binomial 1 − α bound, gain point."""
    fig, ax = plt.subplots(figsize=(5.6, 5.2), layout="constrained")
    tau = np.linspace(0.0, 1.0, 501)
    ax.plot([0, 1], [1, 0], color="0.5", linestyle="--", label="random alarms (ASS = 0.5)")
    ax.plot(tau, confidence_bound_nu(tau, result.n_events, alpha), color="0.5", linestyle=":",
            label=f"random-guess bound, α = {alpha:g} (N = {result.n_events})")
    ass = result.ass
    ax.plot(result.tau, result.nu, color="C0", linewidth=1.8, drawstyle="default",
            label=f"trajectory: ASS = {ass.statistic:.3f} (null {ass.null.mean:.3f} ± "
                  f"{ass.null.std:.3f}, p = {ass.p_value:.3g})")
    gain = result.skills.get("gain")
    if gain is not None:
        ax.plot(gain.details["tau"], gain.details["nu"], "o", color="C3",
                label=f"gain {gain.statistic:.2f} at τ = {gain.details['tau']:.3g} "
                      f"(p = {gain.p_value:.3g})")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=f"alarm fraction τ ({result.conventions['tau']})",
           ylabel="miss rate ν", title=title)
    ax.xaxis.label.set_fontsize(8)
    ax.legend(fontsize=7, loc="upper right")
    return fig


def null_figure(skill: SkillResult, *, title: str | None = None) -> Figure:
    """The null distribution that the p-value was computed from, with the observation.

    A Monte Carlo null is drawn as it was sampled: a histogram of the simulated
    values (left) and their survival function P(null ≥ x) (right), on which the
    observed value reads off the p-value. An analytic normal with the same mean
    and sd is drawn only as a labelled overlay. An analytic null is drawn as its
    density.
    """
    null = skill.null
    observed = skill.statistic
    if not null.values:
        return _analytic_null_figure(skill, title)
    values, counts = np.asarray(null.values), np.asarray(null.counts)
    if not null.binned:  # values equal up to rounding are one atom of the distribution
        keys = np.round(values, 12)
        values, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=counts)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.4, 2.9), layout="constrained")
    lo, hi = min(values.min(), observed), max(values.max(), observed)
    pad = 0.04 * (hi - lo) if hi > lo else 0.01
    normal = np.isfinite(null.std) and null.std > 0
    x = np.linspace(lo - pad, hi + pad, 400)
    overlay = f"normal overlay (mean {null.mean:.4g}, sd {null.std:.3g}; not used)"
    if null.binned:
        edges = np.histogram_bin_edges(values, bins=40, range=(values.min(), values.max()))
        ax.hist(values, bins=edges, weights=counts / counts.sum() / np.diff(edges)[0],
                color="0.7", label=f"{null.n_samples} simulated values")
        if normal:
            ax.plot(x, stats.norm.pdf(x, null.mean, null.std), color="0.3", linestyle="--",
                    linewidth=1, label=overlay)
        ylabel = "density"
    else:
        width = max(np.min(np.diff(values)) * 0.8 if values.size > 1 else 0.0,
                    (hi - lo + 2 * pad) / 150)
        ax.bar(values, counts / counts.sum(), width=width, color="0.45",
               label=f"{null.n_samples} simulated values ({values.size} distinct)")
        ax.set_yscale("log")  # the atoms of a discrete null span decades
        ylabel = "share of simulations (log)"
    ax.axvline(observed, color="C3", linewidth=2, label=f"observed {observed:.4g}")
    ax.set(xlim=(lo - pad, hi + pad), xlabel=skill.name, ylabel=ylabel,
           title=title or skill.name)
    ax.legend(fontsize=6.5)
    surv = 1.0 - np.r_[0.0, np.cumsum(counts)[:-1]] / counts.sum()  # P(null >= value)
    ax2.step(np.r_[lo - pad, values], np.r_[1.0, surv], where="post", color="0.3",
             label="P(null ≥ x), simulated")
    if normal:
        ax2.plot(x, stats.norm.sf(x, null.mean, null.std), color="0.3", linestyle="--",
                 linewidth=1, label=overlay)
    ax2.axvline(observed, color="C3", linewidth=2)
    direction = {"greater": "≥", "less": "≤"}.get(skill.alternative, "as extreme as")
    ax2.axhline(skill.p_value, color="C3", linestyle=":",
                label=f"p = {skill.p_value:.3g} = P(null {direction} observed), "
                      "observation counted")
    ax2.set(xlim=(lo - pad, hi + pad), ylim=(0, 1.02), xlabel=skill.name,
            title="survival function of the null")
    ax2.legend(fontsize=6.5)
    return fig


def _analytic_null_figure(skill: SkillResult, title: str | None) -> Figure:
    fig, ax = plt.subplots(figsize=(5.6, 2.6), layout="constrained")
    null = skill.null
    if np.isfinite(null.std) and null.std > 0:
        lo, hi = null.mean - 4 * null.std, null.mean + 4 * null.std
        lo, hi = min(lo, skill.statistic), max(hi, skill.statistic)
        x = np.linspace(lo, hi, 400)
        ax.fill_between(x, stats.norm.pdf(x, null.mean, null.std), color="0.85",
                        label=f"null: {null.kind}, mean {null.mean:.3g}, sd {null.std:.3g}")
    ax.axvline(skill.statistic, color="C3", linewidth=2,
               label=f"observed {skill.statistic:.4g}, p = {skill.p_value:.3g}")
    ax.set(title=title or skill.name, yticks=[])
    ax.legend(fontsize=7)
    return fig


def roc_figure(curve: CurveResult, *, title: str = "ROC") -> Figure:
    """Hit rate against false-alarm rate, with the no-skill diagonal."""
    fig, ax = plt.subplots(figsize=(5.0, 5.0), layout="constrained")
    auc = curve.skills["auc"]
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="no discrimination (AUC 0.5)")
    ax.plot(curve.x, curve.y, color="C0",
            label=f"forecast: AUC = {auc.statistic:.3f} (null sd {auc.null.std:.3f}, "
                  f"p = {auc.p_value:.3g})")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=curve.x_label, ylabel=curve.y_label, title=title)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def reliability_figure(curve: CurveResult, *, title: str = "Reliability") -> Figure:
    """Observed frequency against forecast probability, with the calibrated-forecast band.

    Probabilities spanning more than two decades (a gridded daily forecast: 1e-8 .. 1e-3 per
    cell) are drawn on log–log axes; bins where no event was observed are then drawn as
    triangles on the bottom axis.
    """
    fig, ax = plt.subplots(figsize=(5.0, 5.0), layout="constrained")
    x, y = np.asarray(curve.x, dtype=float), np.asarray(curve.y, dtype=float)
    band_high = np.asarray(curve.band_high, dtype=float) if curve.band_high else None
    top = float(max(x.max(), y.max(), np.nanmax(band_high) if band_high is not None else 0)) * 1.1
    positive = x[x > 0]
    logscale = positive.size > 1 and positive.max() / positive.min() > 100
    bottom = 0.0
    if logscale:
        seen = np.concatenate([positive, y[y > 0]])
        bottom = float(seen.min()) / 3
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.plot([max(bottom, 1e-300), top], [max(bottom, 1e-300), top], color="0.5", linestyle="--",
            label="perfect calibration")
    if curve.band_low and band_high is not None:
        low = np.asarray(curve.band_low, dtype=float)
        ax.fill_between(x, np.maximum(low, bottom), np.maximum(band_high, bottom), color="0.85",
                        label="5-95 % if calibrated")
    brier = curve.skills["brier"]
    shown = y > 0 if logscale else np.ones(y.shape, dtype=bool)
    ax.plot(x[shown], y[shown], "o-", color="C0",
            label=f"forecast: Brier {brier.statistic:.3g} (calibration p = {brier.p_value:.3g})")
    if logscale and (~shown).any():
        ax.plot(x[~shown], np.full((~shown).sum(), bottom), "v", color="C0", clip_on=False,
                label="bins with no event observed")
    bss = curve.skills.get("brier_skill")
    if bss is not None:
        ax.plot([], [], " ", label=f"Brier skill vs baseline {bss.statistic:+.3g} "
                                   f"(p = {bss.p_value:.3g})")
    ax.set(xlim=(bottom if logscale else 0, top), ylim=(bottom if logscale else 0, top),
           xlabel=curve.x_label, ylabel=curve.y_label, title=title)
    if not logscale:
        from matplotlib.ticker import MaxNLocator

        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(5))
        ax.ticklabel_format(style="sci", scilimits=(-2, 3))
    ax.legend(fontsize=7, loc="upper left")
    return fig


def epoch_figure(result: EpochResult, *, title: str = "Superposed epoch analysis") -> Figure:
    """Anomalies per event per day, nearest distance bin, with the bootstrap band and nulls."""
    table = result.rate_table()
    shape = table.shape
    low = np.asarray(result.band_low).reshape(shape)
    high = np.asarray(result.band_high).reshape(shape)
    days = np.asarray(result.day_edges)
    centre = 0.5 * (days[1:] + days[:-1])
    fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
    d = result.distance_edges_km
    ax.fill_between(centre, low[:, 0], high[:, 0], color="C0", alpha=0.25,
                    label=f"bootstrap {result.band_level:.0%} band")
    ax.plot(centre, table[:, 0], color="C0",
            label=f"{result.n_events} events, {d[0]:g}-{d[1]:g} km")
    ax.axvline(0, color="k", linewidth=0.8)
    for name, test in result.tests.items():
        ax.plot([], [], " ", label=f"null {name}: p = {test.p_value:.3g}")
    ax.set(xlabel="days from earthquake", ylabel="anomalies per event per day", title=title)
    ax.legend(fontsize=7)
    return fig


def epoch_nulls_figure(result: EpochResult) -> Figure:
    """One panel per null catalogue: the simulated window statistics and the observed one."""
    tests = [(name, t) for name, t in result.tests.items() if t.null.values]
    fig, axes = plt.subplots(1, max(len(tests), 1), figsize=(2.3 * max(len(tests), 1), 2.6),
                             layout="constrained", sharey=True, squeeze=False)
    for ax, (name, test) in zip(axes[0], tests, strict=False):
        values, counts = np.asarray(test.null.values), np.asarray(test.null.counts)
        ax.hist(values, bins=min(30, max(values.size, 1)), weights=counts / counts.sum(),
                color="0.6")
        ax.axvline(test.statistic, color="C3", linewidth=2)
        ax.set_title(f"{name}\np = {test.p_value:.3g}", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("anomalies per event", fontsize=6)
    axes[0][0].set_ylabel("share of null catalogues", fontsize=7)
    fig.suptitle("window statistic under each null catalogue (red: observed)", fontsize=8)
    return fig
