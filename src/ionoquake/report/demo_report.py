"""The demo's HTML report: what was run, the figures, and in words what they show."""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class DemoResult:
    """What the demo computed, for the report (and for tests)."""

    output: Path
    archive_changes: int
    maps_summary: str
    quiet_days: pd.Series
    detection: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    passes: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    evaluation_report: Path | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    plan_figure: Path | None = None
    figures: list[Path] = field(default_factory=list)
    report: Path | None = None




def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


MIN_DAYS = 10  # days with a background before an event for a comparison to mean anything


def _verdict(events: list[dict[str, Any]]) -> str:
    usable = [e for e in events if e["n_days"] >= MIN_DAYS]
    skipped = len(events) - len(usable)
    note = (f" {skipped} event(s) had fewer than {MIN_DAYS} days with a background before "
            "them and say nothing." if skipped else "")
    if not usable:
        return "No target event had enough maps before it, so nothing can be said." + note
    high = [e for e in usable if e["rank"] > 0.9]
    low = [e for e in usable if e["rank"] < 0.1]
    if not high:
        low_text = (f" {', '.join(e['name'] for e in low)} had fewer anomalous days than "
                    "90 % of their latitude's other longitudes." if low else "")
        return ("None of the epicentres had more days with an anomalous epoch than 90 % of "
                "the other longitudes of its latitude, where no earthquake followed: on these "
                "maps the detector does not single out the earthquakes." + low_text +
                " Anomalies are common by construction (about 39 % of epochs fall outside a "
                "15-day quartile band by chance) and follow global, geomagnetic and seasonal "
                "changes." + note)
    odd = ", ".join(f"{e['name']} (rank {e['rank']:.2f})" for e in high)
    return (f"Some epicentres had more anomalous days than 90 % of their latitude controls: "
            f"{odd}. With {len(usable)} events this is not significant on its own; the "
            "alarm evaluation below, against the seismicity baseline and null alarms, "
            "decides." + note)


def _evaluation_text(e: dict[str, Any]) -> str:
    if e.get("gain") is None:
        return (f"{e.get('alarms', 0)} alarms, {e.get('targets', 0)} target events: no alarm "
                "was active, so the alarms cannot be scored.")
    ass_p = e["ass_p"] if e.get("ass_p_family") is None else e["ass_p_family"]
    significant = e["gain_p"] < 0.05 and ass_p < 0.05
    words = ("This is significant at the 5 % level; with this few events and one data set "
             "it asks for an independent test, not a claim." if significant else
             "Neither is significant at the 5 % level: the alarms show no skill beyond the "
             "seismicity baseline on these data.")
    return (f"{e['alarms']} alarms from anomaly clusters (quiet, positive, local, lasting ≥ 4 h, "
            f"each a Dobrovolsky circle of the target magnitude for 10 days) against "
            f"{e['targets']} declustered target events M ≥ 6. Probability gain at τ = 0.1: "
            f"{e['gain']} (p = {e['gain_p']}; 1 is no skill); area skill score {e['ass']} "
            f"(p = {e['ass_p']} against random alarms; 0.5 is no skill{_tries(e)}). {words}"
            f"{' ' + e['robustness'] if e.get('robustness') else ''}")


def _tries(e: dict[str, Any]) -> str:
    n = e.get("configurations_tried")
    if n is None:
        return "; the number of configurations tried on these targets is unknown"
    return (f"; family-wise p = {e['ass_p_family']} over the {n} configuration"
            f"{'' if n == 1 else 's'} tried on these targets")


def write_report(result: DemoResult) -> Path:
    """Write ``report.html`` into the demo's output folder; return its path."""
    out = result.output
    shared = out / "figures"
    shared.mkdir(parents=True, exist_ok=True)
    imgs = []
    for fig in result.figures:
        target = shared / fig.name
        if fig.resolve() != target.resolve():
            shutil.copyfile(fig, target)
        imgs.append(target)
    days = result.quiet_days
    rows = "".join(
        f"<tr><td>{html.escape(e['time'][:16])}</td><td>{e['magnitude']:.1f}</td>"
        f"<td>{html.escape(e['name'])}</td><td>{e['event_id']}</td>"
        f"<td>{e['days_with_epicentre_anomaly']} / {e['days_before']}</td>"
        f"<td>{e['epicentre_fraction']:.2f}</td><td>{e['control_median']:.2f}</td>"
        f"<td>{e['rank']:.2f}</td><td>{e['n_days']}</td></tr>" for e in result.events)
    figures = "".join(f'<figure><img src="{_rel(p, out)}" width="100%">'
                      f"<figcaption>{html.escape(p.stem)}</figcaption></figure>" for p in imgs)
    d = result.detection
    plan_html = ""
    if result.plan:
        from ionoquake.report.plan_figures import plan_html_section

        figure = _rel(shared / result.plan_figure.name, out) if result.plan_figure else None
        plan_html = plan_html_section(result.plan, figure)
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ionoquake demo report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:1rem auto}}
td,th{{border:1px solid #ccd;padding:2px 6px}} table{{border-collapse:collapse}}
.verdict{{background:#fff6d6;padding:.5rem}}</style>
</head><body>
<h1>ionoquake demo: JPL maps around the 2001 El Salvador M7.7 earthquake</h1>
<p>Everything here was computed offline from the real data bundled in <code>data/</code>
(see its README for provenance): 55 days of JPL global ionosphere maps, the USGS ComCat
M≥4.5 catalogue of 2000-10 … 2001-02 and the CelesTrak space-weather file.</p>
<h2>Maps</h2><pre>{html.escape(result.maps_summary)}</pre>
<h2>Geomagnetic activity</h2>
<p>{int((days == 'quiet').sum())} quiet, {int((days == 'disturbed').sum())} disturbed and
{int((days == 'unknown').sum())} unknown days (Kp ≤ 3 over the preceding 24 h; the CelesTrak
file carries no Dst, so the Dst rule is off). Disturbed epochs are kept and marked, not dropped.</p>
<h2>Detection on the whole globe</h2>
<p>15-day running median with quartile bounds (Liu et al. 2004; UB = M + 1.5 (UQ − M),
LB = M − 1.5 (M − LQ)), only days before each epoch. {d['epochs']} epochs,
{d['epochs_with_background']} with a background; {d['positive_cells']} positive and
{d['negative_cells']} negative anomalous cells in {d['clusters']} space-time clusters.</p>
<h2>Target earthquakes (declustered, M ≥ 7, inside the window)</h2>
<table><tr><th>time (UTC)</th><th>M</th><th>place</th><th>ComCat id</th>
<th>days with an anomalous epoch at the epicentre (of days with a background, −30…0)</th>
<th>fraction</th><th>median fraction at the same latitude</th>
<th>rank among the latitude's longitudes</th><th>days with a background</th></tr>
{rows}</table>
<p class="verdict"><strong>What this shows:</strong> {html.escape(_verdict(result.events))}</p>
<h2>Satellite passes over preparation zones</h2>
<p>CSES (ZHANGHENG-1, NORAD 43194) and Swarm A/B/C from the CelesTrak TLEs of 2019-11-18, over the
Dobrovolsky zones of the ComCat M ≥ 6 events of 2019-10-11 … 2019-12-25, for 2019-11-10 … 25:
{result.passes.get('n_passes', 0)} passes over {result.passes.get('n_zones', 0)} zones, median
revisit of a zone {result.passes.get('median_revisit_h', float('nan')):.1f} h
({html.escape(', '.join(f"{k}: {v}" for k, v in result.passes.get('per_satellite', {}).items()))}).
The table is <code>passes/passes.csv</code>.</p>
<h2>Alarms, forecasts and their scores</h2>
<p class="verdict">{html.escape(_evaluation_text(result.evaluation))}</p>
<p>Daily forecasts were issued with frozen issue times (nothing stamped at or after an issue
time is visible to it) and stored immutably with the hashes of their inputs. The full evaluation
report, with the Molchan diagram, the null distributions and the CSEP tests, is
<a href="{_rel(result.evaluation_report, out) if result.evaluation_report else ''}">here</a>.</p>
{plan_html}
<h2>Figures</h2>{figures}
</body></html>"""
    path = out / "report.html"
    path.write_text(text)
    return path
