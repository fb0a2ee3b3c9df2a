"""Figures and an HTML section of a plan: a timeline of burst segments and contacts, memory.

Given the containers of :mod:`ionoquake.pipeline.plan` (segments, contacts, memory
tables); nothing is computed here but the drawing.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["plan_html_section", "plan_timeline"]

_ZONE_COLORS = {"alarm": "tab:red", "belt": "tab:orange"}


def plan_timeline(segments: pd.DataFrame, contacts: pd.DataFrame, memory: pd.DataFrame,
                  capacity_mbit: dict[int, float] | None = None, title: str = "") -> Any:
    """A figure: per satellite, burst segments (by zone) and assigned contacts; memory below."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    sats = list(dict.fromkeys(segments["norad_id"].tolist())) if len(segments) else []
    names = (segments.drop_duplicates("norad_id").set_index("norad_id")["satellite"].to_dict()
             if len(segments) else {})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 2.0 + 0.9 * max(len(sats), 1) + 2.5),
                                      layout="constrained", sharex=True,
                                      height_ratios=[max(len(sats), 1), 2])
    for row, nid in enumerate(sats):
        seg = segments[(segments["norad_id"] == nid) & (segments["mode"] == "burst")]
        for zone, color in _ZONE_COLORS.items():
            part = seg[seg["zone"] == zone]
            top.broken_barh([(s, e - s) for s, e in zip(part["start"], part["end"],
                                                        strict=True)],
                            (row + 0.05, 0.45), color=color)
        con = contacts[(contacts["norad_id"] == nid) & (contacts["track_s"] > 0)]
        top.broken_barh([(s, e - s) for s, e in zip(con["track_start"], con["track_end"],
                                                    strict=True)],
                        (row + 0.55, 0.35), color="tab:green")
        mem = memory[memory["norad_id"] == nid]
        cap = (capacity_mbit or {}).get(nid)
        scale = cap if cap else max(float(mem["memory_mbit"].max()), 1.0)
        bottom.plot(mem["time"], 100.0 * mem["memory_mbit"] / scale, linewidth=1,
                    label=str(names.get(nid, nid)))
    top.set_yticks([r + 0.5 for r in range(len(sats))],
                   [str(names.get(n, n)) for n in sats])
    top.legend(handles=[Patch(color="tab:red", label="burst: alarm zone"),
                        Patch(color="tab:orange", label="burst: seismic belt / region"),
                        Patch(color="tab:green", label="downlink contact")],
               loc="upper right", fontsize=8, ncols=3)
    top.set_ylim(0, max(len(sats), 1) + 0.6)
    top.set_title(title or "instrument modes and contacts")
    bottom.set_ylabel("memory used (%)")
    bottom.set_xlabel("time (UTC)")
    bottom.set_ylim(0, 105)
    if sats:
        bottom.legend(fontsize=8, loc="upper left")
    return fig


def plan_html_section(summary: dict[str, Any], figure: str | None = None) -> str:
    """An HTML ``<section>`` for a report: the plan's numbers, messages and figure."""
    rows = "".join(
        f"<tr><td>{html.escape(str(s['satellite']))}</td><td>{s['contacts']}</td>"
        f"<td>{s['downlink_mbit']:.0f}</td><td>{s['burst_s']:.0f}</td>"
        f"<td>{s['recorded_mbit']:.0f}</td><td>{s['trimmed_mbit']:.0f}</td>"
        f"<td>{s['lost_mbit']:.0f}</td></tr>"
        for s in summary.get("satellites", []))
    msgs = "".join(f"<li>{html.escape(m)}</li>" for m in summary.get("messages", []))
    img = (f'<img src="{html.escape(figure)}" alt="plan timeline" style="max-width:100%">'
           if figure else "")
    tasks = "".join(
        f"<li>{html.escape(str(t['alarm_id']))}: {html.escape(str(t['satellite']))} at "
        f"{html.escape(str(t['closest_time'])[:19])} ({t['wait_h']:.1f} h after issue, "
        f"{t['closest_km']:.0f} km from the centre)</li>"
        for t in summary.get("first_passes", []))
    return (
        "<section id=\"plan\"><h2>Planning: contacts, instrument modes, tasking</h2>"
        f"<p>{html.escape(str(summary.get('period', '')))}; "
        f"{summary.get('n_contacts', 0)} contacts with {summary.get('n_stations', 0)} stations, "
        f"{summary.get('n_conflicts', 0)} of them shared with another satellite. "
        f"{html.escape(str(summary.get('note', '')))}</p>"
        "<table><tr><th>satellite</th><th>contacts</th><th>downlink (Mbit)</th>"
        "<th>burst (s)</th><th>recorded (Mbit)</th><th>trimmed (Mbit)</th><th>lost (Mbit)</th>"
        f"</tr>{rows}</table>"
        + (f"<ul>{msgs}</ul>" if msgs else "<p>No trimming was needed.</p>")
        + (f"<h3>First passes over the alarm zones</h3><ul>{tasks}</ul>" if tasks else "")
        + img + "</section>")
