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
    #: The Noto CID step (:func:`ionoquake.pipeline.demo.demo_cid`): ``summary`` (as in
    #: its JSON), ``json``, ``picks_csv``, ``figures`` (name -> PNG), ``precursor``,
    #: ``network``, ``receivers``, ``systems``, ``span``.
    cid: dict[str, Any] = field(default_factory=dict)


#: The acknowledgement the Madrigal GNSS TEC data ask for (the experiment's catalogue record,
#: ``../shared/data/tec_los_madrigal/madrigal_catalog_record_20240101.txt``).
MADRIGAL_ACKNOWLEDGEMENT = (
    "Line-of-sight TEC from the MIT Haystack Observatory Madrigal database (World-wide GNSS "
    "Receiver Network, kinst 8000, kindat 3505, processing version 6.1; PI Anthea Coster). "
    "GPS TEC data products and access through the Madrigal distributed data system are "
    "provided to the community by the Massachusetts Institute of Technology under support "
    "from US National Science Foundation grant AGS-1952737. Data for the TEC processing is "
    "provided from the following organizations: UNAVCO, Scripps Orbit and Permanent Array "
    "Center, Institut Geographique National, France, International GNSS Service, The Crustal "
    "Dynamics Data Information System (CDDIS), National Geodetic Survey, Instituto Brasileiro "
    "de Geografia e Estatística, RAMSAC CORS of Instituto Geográfico Nacional de la República "
    "Argentina, Arecibo Observatory, Low-Latitude Ionospheric Sensor Network (LISN), Canadian "
    "High Arctic Ionospheric Network, Institute of Geology and Geophysics, Chinese Academy of "
    "Sciences, China Meteorology Administration, Centro di Ricerche Sismologiche, Système "
    "d'Observation du Niveau des Eaux Littorales (SONEL), RENAG: REseau NAtional GNSS "
    "permanent (https://doi.org/10.15778/resif.rg), GeoNet - the official source of "
    "geological hazard information for New Zealand, Finnish Meteorological Institute, "
    "SWEPOS - Sweden, Hartebeesthoek Radio Astronomy Observatory, TrigNet Web Application, "
    "South Africa, Australian Space Weather Services, RETE INTEGRATA NAZIONALE GPS, Estonian "
    "Land Board, TU Delft, Western Canada Deformation Array, EUREF Permanent GNSS Network, "
    "GeoDAF: Geodetic Data Archiving Facility, African Geodetic Reference Frame (AFREF), "
    "Kartverket - Norwegian Mapping Authority, Geoscience Australia, IGS Data Center of Wuhan "
    "University, Pacific Northwest Geodetic Array, Nevada Geodetic Laboratory, Earth "
    "Observatory of Singapore, National Time and Frequency Standard Laboratory - Taiwan, and "
    "Korea Astronomy and Space Science Institute. The 2-hour, 5-site subset was cut by the "
    "repository mfkiwl/tsunami-vtec-waves (MIT licence).")

#: Captions of the CID figures, by the name :func:`ionoquake.pipeline.demo.demo_cid` gives.
CID_CAPTIONS = {
    "wiggles": "Detrended slant TEC per receiver–satellite pair against minutes after the "
               "origin, each trace at its pierce point's distance from the epicentre; picks "
               "over the threshold marked.",
    "travel_time": "Travel-time diagram: peak time against pierce-point distance, the fitted "
                   "apparent speeds, and the acoustic (0.7–1.3 km/s) and Rayleigh (2–4 km/s) "
                   "bands.",
    "ipp_map": "Pierce points coloured by detrended TEC at the median peak time of the "
               "detected pairs.",
    "null": "The null: pairs over the threshold and largest amplitude at the fake origin "
            "times (grey), and at the true origin (red).",
}


def _num(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _fit_rows(fits: dict[str, Any]) -> str:
    rows = []
    for label, f in fits.items():
        if "velocity_km_s" not in f:
            rows.append(f"<tr><td>{html.escape(label)}</td><td colspan=6>"
                        f"{html.escape(str(f.get('not fitted', 'not fitted')))}</td></tr>")
            continue
        ci = f.get("velocity_ci95_km_s") or [None, None]
        rows.append(
            f"<tr><td>{html.escape(label)}</td><td>{f['n_picks']}</td>"
            f"<td>{_num(f['velocity_km_s'])} ± {_num(f['velocity_error_km_s'])} km/s</td>"
            f"<td>{_num(ci[0])}–{_num(ci[1])}</td><td>{_num(f['t0_min'], 1)}</td>"
            f"<td>{_num(f['residual_rms_s'], 0)}</td>"
            f"<td>{html.escape('; '.join(f['warnings']) or 'none')}</td></tr>")
    return "".join(rows)


def _cid_verdict(s: dict[str, Any]) -> str:
    null = s["null_at_fake_origins"]
    if not s["detected"]:
        return "No receiver–satellite pair exceeded the threshold."
    if not isinstance(null, dict) or not null.get("n_over"):
        return ("Without a null at fake origin times, the count of pairs over the threshold "
                "cannot be told from noise.")
    most, loudest = max(null["n_over"]), max(null["max_amplitude_tecu"])
    above = s["detected"] > most and s["largest_amplitude_tecu"] > loudest
    return (("The disturbance is there: " if above else "Not distinguishable from noise: ")
            + f"{s['detected']} pairs over the threshold against at most {most} at the "
            f"{len(null['n_over'])} fake origins, and a largest amplitude of "
            f"{s['largest_amplitude_tecu']:.2f} TECU against at most {loudest:.2f} TECU from "
            "noise alone. The fake origins overlap and share one ionosphere: this is a "
            "description, not a p-value."
            + _speed_words(s["travel_time_fits"], s["earthquake"]["magnitude"]))


def _speed_words(fits: dict[str, Any], magnitude: float) -> str:
    """Where each fit without warnings lies against the acoustic and Rayleigh bands.

    The rupture length is Wells & Coppersmith (1994, BSSA 84, 974), Table 2A, all slip
    types: log10 L = -2.44 + 0.59 M (97 km for M 7.5), as
    :meth:`ionoquake.gnss.disturbances.Earthquake.rupture_length_km`."""
    length = 10.0 ** (-2.44 + 0.59 * magnitude)
    words = []
    for label, f in fits.items():
        ci = f.get("velocity_ci95_km_s") or [None, None]
        if f.get("warnings") or "velocity_km_s" not in f or None in ci:
            continue
        where = ("reaches into the acoustic band (0.7–1.3 km/s)" if ci[1] >= 0.7 and ci[0] <= 1.3
                 else "lies below the acoustic band (0.7–1.3 km/s)" if ci[1] < 0.7
                 else "reaches the Rayleigh-wave band (2–4 km/s)" if ci[1] >= 2 and ci[0] <= 4
                 else "lies between the acoustic and Rayleigh-wave bands")
        words.append(f" The fit of the {label} picks ({f['velocity_km_s']:.2f} km/s, 95 % "
                     f"{ci[0]:.2f}–{ci[1]:.2f}) {where}; the distances are taken from the "
                     f"epicentre of a rupture about {length:.0f} km long (Wells & Coppersmith "
                     "1994), which lowers apparent speeds near the source.")
    return "".join(words)


def cid_html_section(cid: dict[str, Any], out: Path) -> str:
    """The report's section on the Noto CID step: what was detected, onsets and peaks, the
    apparent speeds with their uncertainty, the null beside them, the precursor verdict, the
    figures and the Madrigal acknowledgement. Every number comes from ``cid["summary"]`` (the
    step's JSON) or its picks CSV."""
    s = cid["summary"]
    q = s["earthquake"]
    null = s["null_at_fake_origins"]
    picks = pd.read_csv(cid["picks_csv"])
    detected = picks[picks["detected"]].sort_values("distance_km")
    pick_rows = "".join(
        f"<tr><td>{html.escape(str(r.receiver))} {html.escape(str(r.satellite))}</td>"
        f"<td>{r.distance_km:.0f}</td><td>{r.onset_min:.1f}</td><td>{r.peak_min:.1f}</td>"
        f"<td>{r.amplitude_tecu:.2f}</td><td>{r.snr:.1f}</td></tr>"
        for r in detected.itertuples())
    if isinstance(null, dict) and null.get("n_over"):
        null_text = (f"At {len(null['fake_origins'])} fake origin times "
                     f"({', '.join(t[11:16] for t in null['fake_origins'])} UTC) the same "
                     f"analysis puts {min(null['n_over'])}–{max(null['n_over'])} pairs over "
                     f"SNR {null['snr_threshold']:g} (observed: {null['observed_n_over']}), "
                     f"with largest amplitudes {min(null['max_amplitude_tecu']):.2f}–"
                     f"{max(null['max_amplitude_tecu']):.2f} TECU (observed: "
                     f"{null['observed_max_amplitude_tecu']:.2f} TECU). {null['note']}.")
    else:
        null_text = f"The null at fake origin times: {null}."
    figures = "".join(
        f'<figure id="cid-{name}"><img src="{_rel(path, out)}" width="100%">'
        f"<figcaption>{html.escape(CID_CAPTIONS.get(name, name))}</figcaption></figure>"
        for name, path in cid["figures"].items())
    first = (f"the first onset {s['first_onset_min']:.1f} min after the origin, the largest "
             f"amplitude {s['largest_amplitude_tecu']:.2f} TECU" if s["detected"] else
             "nothing over the threshold")
    return f"""<section id="cid">
<h2>Co-seismic ionospheric disturbances: {html.escape(q['name'])}</h2>
<p>The positive control at the receiver level. Origin {q['time'][:19].replace('T', ' ')} UTC,
{q['latitude']:.3f}° N {q['longitude']:.3f}° E, {q['depth_km']:g} km, M {q['magnitude']:g}.
Line-of-sight TEC of {len(cid['receivers'])} receivers
({html.escape(', '.join(cid['receivers']))}; systems {html.escape(', '.join(cid['systems']))}),
{cid['span'][0].replace('T', ' ')} … {cid['span'][1][11:]} UTC at 30 s (the Madrigal export
bundled in <code>data/gnss/</code>; its 30 s time-label errors are repaired from the satellite
geometry on reading, see <code>docs/gnss.md</code>), stored in the archive's receiver TEC
(network <code>{html.escape(cid['network'])}</code>) and analysed from there: per arc a
polynomial and band-pass detrending ({html.escape(s['method'])}), noise from the 10 min before
the origin, picks 5–30 min after it at elevations ≥ 15°, on a {s['shell_height_km']:g} km shell.
The picks are <code>{_rel(cid['picks_csv'], out)}</code>, the fits and the null
<code>{_rel(cid['json'], out)}</code>.</p>
<p><strong>Detected:</strong> {s['detected']} of {s['pairs']} receiver–satellite pairs over
SNR {s['snr_threshold']:g}; {first}.</p>
<table><tr><th>pair</th><th>pierce-point distance (km)</th><th>onset (min)</th>
<th>peak (min)</th><th>amplitude (TECU)</th><th>SNR</th></tr>{pick_rows}</table>
<p><strong>Apparent speed</strong> (distance from the epicentre against peak time, least
squares through the picks; ± one bootstrap standard error and the 95 % bootstrap interval):</p>
<table><tr><th>picks</th><th>n</th><th>speed</th><th>95 % interval (km/s)</th>
<th>t0 (min)</th><th>residual RMS (s)</th><th>warnings</th></tr>{_fit_rows(s['travel_time_fits'])}
</table>
<p><strong>The null beside it:</strong> {html.escape(null_text)}</p>
<p class="verdict"><strong>What this shows:</strong> {html.escape(_cid_verdict(s))}</p>
<p><strong>Claimed precursors (the reference-curve method, family-wise):</strong>
{html.escape(cid['precursor'])}.</p>
{figures}
<p class="ack"><strong>Acknowledgement.</strong> {html.escape(MADRIGAL_ACKNOWLEDGEMENT)}</p>
</section>"""


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
    cid_html = cid_html_section(result.cid, out) if result.cid else ""
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ionoquake demo report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:1rem auto}}
td,th{{border:1px solid #ccd;padding:2px 6px}} table{{border-collapse:collapse}}
.verdict{{background:#fff6d6;padding:.5rem}}</style>
</head><body>
<h1>ionoquake demo: JPL maps around the 2001 El Salvador M7.7 earthquake</h1>
<p>Everything here was computed offline from the real data bundled in <code>data/</code>
(see its README for provenance): 55 days of JPL global ionosphere maps, the USGS ComCat
M≥4.5 catalogue of 2000-10 … 2001-02 and the CelesTrak space-weather file{
"; and, for the receiver-level positive control, 2 h of Madrigal line-of-sight TEC of 5 "
"receivers in Japan around the 2024-01-01 Noto Peninsula earthquake" if result.cid else ""}.</p>
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
{cid_html}
<h2>Figures</h2>{figures}
</body></html>"""
    path = out / "report.html"
    path.write_text(text)
    return path
