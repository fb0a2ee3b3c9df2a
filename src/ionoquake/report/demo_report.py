"""The demo's HTML report: what was run, the figures, and in words what they show."""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ionoquake.report.demo import DemoResult


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


def _verdict(events: list[dict[str, Any]]) -> str:
    if not events:
        return "No target event fell inside the maps' window, so nothing can be said."
    typical = [e for e in events if 0.1 <= e["rank"] <= 0.9 or e["days_before"] == 0]
    if len(typical) == len(events):
        return ("At every target epicentre the share of days with an anomalous epoch is within "
                "the range of the other longitudes of the same latitude, where no earthquake "
                "followed: on these maps the detector does not single out the earthquakes. "
                "Anomalies are common by construction (about 39 % of epochs fall outside a "
                "15-day quartile band by chance) and follow global, geomagnetic and seasonal "
                "changes.")
    odd = ", ".join(f"{e['name']} (rank {e['rank']:.2f})" for e in events if e not in typical)
    return (f"Some epicentres stand out from their latitude controls: {odd}. With "
            f"{len(events)} events this is not a significant result on its own; the "
            "evaluation against null catalogues decides.")


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
        f"<td>{e['rank']:.2f}</td></tr>" for e in result.events)
    figures = "".join(f'<figure><img src="{_rel(p, out)}" width="100%">'
                      f"<figcaption>{html.escape(p.stem)}</figcaption></figure>" for p in imgs)
    d = result.detection
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
<th>rank among the latitude's longitudes</th></tr>{rows}</table>
<p class="verdict"><strong>What this shows:</strong> {html.escape(_verdict(result.events))}</p>
<h2>Figures</h2>{figures}
</body></html>"""
    path = out / "report.html"
    path.write_text(text)
    return path
