"""The HTML evaluation report: figures, tables, and what the numbers mean in words.

Every skill figure is shown with its baseline (what it is compared against) and
its null distribution (what chance alone gives), and every number is read out
in a sentence, including "no skill" when that is the answer. The file is
self-contained (figures embedded as PNG) and written atomically.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ionoquake.atomic import write_bytes_atomic
from ionoquake.evaluate.family import FamilyWise
from ionoquake.evaluate.forecast_run import RunEvaluation
from ionoquake.evaluate.results import EpochResult, MolchanResult, SkillResult
from ionoquake.evaluate.sensitivity_table import SensitivityTable
from ionoquake.report.evaluation_figures import (
    epoch_figure,
    epoch_nulls_figure,
    molchan_figure,
    null_figure,
    reliability_figure,
    roc_figure,
)
from ionoquake.report.family_report import family_section, registration_sentence, tries_clause
from ionoquake.report.sensitivity_report import sensitivity_section

__all__ = ["describe_skill", "render_evaluation_report", "robustness_text",
           "write_evaluation_report"]

_CSS = """body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:3px 8px;
font-size:90%}th{background:#eee}.verdict{font-weight:bold}.note{color:#7a4b00}
img{max-width:100%}"""


def describe_skill(skill: SkillResult, *, alpha: float = 0.05) -> str:
    """One sentence: the statistic, its null, its p-value, and the verdict at ``alpha``."""
    null = skill.null
    spread = f"{null.mean:.3g} ± {null.std:.3g}" if null.std == null.std else f"{null.mean:.3g}"
    verdict = ("significant" if skill.p_value <= alpha
               else "not distinguishable from the null")
    p = f"p = {skill.p_value:.3g}"
    if null.kind == "monte-carlo" and skill.p_value <= 1.0 / (null.n_samples + 1) + 1e-15:
        p = f"p ≤ {skill.p_value:.3g} (no one of {null.n_samples} null samples reached it)"
    how = f"; {skill.p_method}" if skill.p_method else ""
    return (f"{skill.name} = {skill.statistic:.4g}; under the null ({null.description}) "
            f"it would be {spread}; {p} ({skill.alternative}{how}), "
            f"so it is {verdict} at the {alpha:g} level.")


def _img(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(skills: Mapping[str, SkillResult]) -> str:
    rows = ["<tr><th>statistic</th><th>value</th><th>null</th><th>null mean ± sd</th>"
            "<th>p</th><th>how p was computed</th><th>conventions</th></tr>"]
    for s in skills.values():
        conv = "; ".join(f"{k}: {v}" for k, v in s.conventions.items())
        rows.append(f"<tr><td>{html.escape(s.name)}</td><td>{s.statistic:.4g}</td>"
                    f"<td>{html.escape(s.null.kind)}</td><td>{s.null.mean:.4g} ± "
                    f"{s.null.std:.3g}</td><td>{s.p_value:.3g}</td>"
                    f"<td>{html.escape(s.p_method)}</td><td>{html.escape(conv)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _molchan_section(result: MolchanResult, heading: str, baseline: str) -> str:
    ass, gain, r = result.ass, result.skills["gain"], result.skills["r_score"]
    worse = (" The ASS is below 0.5: the alarms did worse than random."
             if ass.statistic < 0.5 else "")
    words = (f"<p>Baseline: {html.escape(baseline)}. {html.escape(describe_skill(ass))}{worse} "
             f"The probability gain {gain.statistic:.3g} is read "
             f"{html.escape(gain.conventions['read'])} (τ = {gain.details['tau']:.3g}, "
             f"{gain.details['hits']:.3g} of {result.n_events} target events inside); random "
             f"alarms of that size have gain 1, p = {gain.p_value:.3g}. The R score there is "
             f"{r.statistic:.3g} (0 for random alarms).</p>")
    stair = result.skills.get("ass_staircase")
    if stair is not None:
        words += (f"<p>Two conventions exist for the area of tied cells. The verdict uses the "
                  f"trapezoid ASS above (straight segments, the average over random orders "
                  f"inside a tie, so random alarms score 0.5). On the staircase of Zechar &amp; "
                  f"Jordan (2008), where a tied group counts only when all of it is alarmed, "
                  f"the ASS is {stair.statistic:.4g} against {stair.null.mean:.4g} ± "
                  f"{stair.null.std:.3g} for random alarms with the same ties, p = "
                  f"{stair.p_value:.3g}.</p>")
    if ass.null.values:
        words += (f"<p>The figure below is the null the p-value comes from: the area skill "
                  f"scores of {ass.null.n_samples} random alarm functions with the same ties. "
                  f"The dashed normal curve is only the textbook approximation, drawn for "
                  f"comparison; p = {ass.p_value:.3g} is the share of simulations at or above "
                  f"the observed {ass.statistic:.4g}, the observation counted as one more.</p>")
    return (f"<h2>{html.escape(heading)}</h2>{words}"
            f"{_img(molchan_figure(result, title=heading))}"
            f"{_img(null_figure(ass, title='area skill score against random alarms'))}"
            f"{_table(result.skills)}")


def render_evaluation_report(evaluation: RunEvaluation, *, epoch: EpochResult | None = None,
                             title: str = "ionoquake forecast evaluation",
                             context: Mapping[str, str] | None = None,
                             alpha: float = 0.05, family: FamilyWise | None = None,
                             sensitivity: SensitivityTable | None = None,
                             ionosphere: SkillResult | None = None) -> str:
    """The report as an HTML string (see :func:`write_evaluation_report`)."""
    ev = evaluation
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Model <b>{html.escape(ev.model)}</b>, {ev.n_forecasts} daily forecasts "
             f"issued {html.escape(ev.period[0])} .. {html.escape(ev.period[1])}, "
             f"{ev.n_target_events} target events in their grid and horizons.</p>"]
    if context:
        parts.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}"
                                         "</td></tr>" for k, v in context.items()) + "</table>")
    parts.append(f"<h2>In short</h2><p class='verdict'>"
                 f"{html.escape(_verdict(ev, alpha, family))}</p>")
    robustness = robustness_text(sensitivity, ionosphere, alpha)
    if robustness:
        parts.append(f"<p class='verdict'>{html.escape(robustness)}</p>")
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in ev.notes]
    if family is not None:
        parts.append(family_section(family))
    if sensitivity is not None:
        parts.append(sensitivity_section(sensitivity))
    if ev.molchan_alarms is not None:
        parts.append(_molchan_section(ev.molchan_alarms, "Alarms against the seismicity baseline",
                                      "τ is the share of the baseline's expected events "
                                      "covered by alarms, so a skill here is information "
                                      "beyond past seismicity"))
    parts.append(_molchan_section(ev.molchan_rate, "Forecast rate against a uniform space-time",
                                  "τ is the share of space-time volume; most of this skill "
                                  "comes from the seismicity baseline itself"))
    if ionosphere is not None:
        parts.append(_ionosphere_section(ionosphere))
    if ev.roc is not None and ev.reliability is not None:
        auc, brier = ev.roc.skills["auc"], ev.reliability.skills["brier"]
        parts.append(f"<h2>ROC and reliability</h2><p>{html.escape(describe_skill(auc))} "
                     f"{html.escape(describe_skill(brier))}</p>"
                     f"{_img(roc_figure(ev.roc))}{_img(reliability_figure(ev.reliability))}"
                     f"{_table({**ev.roc.skills, **ev.reliability.skills})}")
    if ev.csep:
        lines = " ".join(html.escape(describe_skill(s)) for s in ev.csep.values())
        parts.append(f"<h2>CSEP tests (pyCSEP)</h2><p>Consistency tests ask whether the "
                     f"observed events are plausible under the forecast (small p: reject the "
                     f"forecast); the T-test compares it with the baseline (positive gain: "
                     f"better). {lines}</p>{_table(ev.csep)}")
    if epoch is not None:
        parts.append("<h2>Superposed epoch analysis</h2><p>"
                     + " ".join(html.escape(describe_skill(t)) for t in epoch.tests.values())
                     + f"</p>{_img(epoch_figure(epoch))}{_img(epoch_nulls_figure(epoch))}"
                     f"{_table(epoch.tests)}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def _ionosphere_section(skill: SkillResult) -> str:
    words = (f"<p>The null above moves the earthquakes; this one keeps them and makes the "
             f"ionosphere uninformative instead: the days of the maps are permuted within "
             f"{skill.conventions.get('season_days', '?')}-day seasons (each day with its "
             f"geomagnetic state), and detection, clusters, alarms and the score are computed "
             f"again. {html.escape(describe_skill(skill))} A skill that beats random alarms but "
             f"not shuffled ionospheres comes from when the ionosphere is disturbed in general "
             f"(season, storms, solar activity), not from the earthquakes. Shuffling whole days "
             f"breaks the day-to-day persistence of the real ionosphere, so the shuffled maps "
             f"are not exactly exchangeable with the real ones; read this p as a robustness "
             f"check, not as the verdict.</p>")
    return (f"<h2>Alarms against time-shuffled ionospheres</h2>{words}"
            f"{_img(null_figure(skill, title='ASS of the alarms of shuffled ionospheres'))}"
            f"{_table({'shuffled': skill})}")


def robustness_text(sensitivity: SensitivityTable | None, ionosphere: SkillResult | None,
                    alpha: float = 0.05) -> str:
    """The sentences on how far the verdict holds: sensitivity grid and shuffled maps."""
    out = []
    if sensitivity is not None:
        out.append(sensitivity.describe())
    if ionosphere is not None:
        beaten = "beat" if ionosphere.p_value <= alpha else "did not beat"
        out.append(f"Against {ionosphere.null.n_samples} time-shuffled ionospheres the alarms "
                   f"{beaten} the shuffled ones (ASS {ionosphere.statistic:.3f} against "
                   f"{ionosphere.null.mean:.3f} ± {ionosphere.null.std:.3f}, p = "
                   f"{ionosphere.p_value:.3g}).")
    return " ".join(out)


def _verdict(ev: RunEvaluation, alpha: float, family: FamilyWise | None = None) -> str:
    """Skill only if the family-wise p (over every configuration tried) is ≤ ``alpha``."""
    registered = "" if family is None else " " + registration_sentence(family.registration)
    if ev.molchan_alarms is None:
        return ("No alarm was active, so this run measures only the seismicity baseline; it "
                "says nothing about ionospheric precursors." + registered)
    ass = ev.molchan_alarms.ass
    known = family is not None and family.n_configurations is not None
    p_fw = family.family_p if family is not None and family.family_p is not None else (
        ass.p_value)
    numbers = (f"ASS {ass.statistic:.3f} against {ass.null.mean:.3f} ± {ass.null.std:.3f} for "
               f"random alarms (p = {ass.p_value:.3g}{tries_clause(family)}, "
               f"{ev.n_target_events} events)")
    if p_fw <= alpha and known:
        text = (f"The alarms beat the seismicity baseline: {numbers}. One period: confirm "
                f"prospectively before believing it.")
    elif p_fw <= alpha:
        text = (f"The alarms beat the seismicity baseline in this run: {numbers}. Only this "
                f"run is counted: confirm prospectively before believing it.")
    elif ass.p_value <= alpha:
        text = (f"On its own this run would look significant, but not once the configurations "
                f"tried on these targets are counted: {numbers}. No evidence that the alarms "
                f"add skill to the seismicity baseline.")
    else:
        text = f"No evidence that the alarms add skill to the seismicity baseline: {numbers}."
    return text + registered


def write_evaluation_report(path: str | os.PathLike[str], evaluation: RunEvaluation, *,
                            epoch: EpochResult | None = None,
                            title: str = "ionoquake forecast evaluation",
                            context: Mapping[str, str] | None = None,
                            alpha: float = 0.05, family: FamilyWise | None = None,
                            sensitivity: SensitivityTable | None = None,
                            ionosphere: SkillResult | None = None) -> Path:
    """Write the self-contained HTML report of ``evaluation`` (and an epoch analysis).

    With ``family`` (:func:`ionoquake.evaluate.family.assess_run`) the verdict needs
    the family-wise p over every configuration tried on the targets, and says
    whether the alarm rules were pre-registered. ``sensitivity``
    (:func:`ionoquake.evaluate.sensitivity.sensitivity_grid`) adds the verdict over a
    grid of choices, ``ionosphere`` the test against time-shuffled ionospheres
    (:mod:`ionoquake.evaluate.shuffled_maps`).
    """
    text = render_evaluation_report(evaluation, epoch=epoch, title=title, context=context,
                                    alpha=alpha, family=family, sensitivity=sensitivity,
                                    ionosphere=ionosphere)
    return write_bytes_atomic(path, text.encode("utf-8"))
