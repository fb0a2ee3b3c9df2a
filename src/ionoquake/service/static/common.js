// Shared helpers of the dashboard pages.
"use strict";
async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.json();
}
// Viridis-like colour scale on [0, 1].
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function colour(x) {
  const t = Math.min(1, Math.max(0, x)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(t), VIRIDIS.length - 2), f = t - i;
  const c = VIRIDIS[i].map((a, k) => Math.round(a + f * (VIRIDIS[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function dobrovolskyKm(m) { return Math.pow(10, 0.43 * m); }
// An API time (ISO 8601 UTC with Z, ionoquake.times) or a zone-less one taken as UTC, in ms.
function utc(s) { return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(s) ? s : s + "Z"); }
function param(name) { return new URLSearchParams(location.search).get(name); }
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
// An SVG element with attributes (and text).
function svgNode(name, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}
// The travel-time diagram of a CID analysis (the CID and the event page), into an <svg>
// with viewBox 0 0 340 260: peak time after the origin against pierce-point distance, one
// dot per pick (red: over the threshold, with a tooltip), the fitted apparent speeds as
// black lines, the acoustic (0.7-1.3 km/s, blue) and Rayleigh (2-4 km/s, green) speeds from
// 8 min at the epicentre dashed. `picks` and `fits` as /api/gnss/cid gives them
// (summary.travel_time_fits). Returns the legend and the fits in words, as HTML.
function drawTravelTime(svg, picks, fits) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 340, H = 260, L0 = 42, B = 32, dmax = 1500, tmax = 40;
  const x = d => L0 + (W - L0 - 8) * d / dmax, y = t => H - B - (H - B - 8) * t / tmax;
  svg.appendChild(svgNode("rect", { x: L0, y: 8, width: W - L0 - 8, height: H - B - 8,
                                    fill: "none", stroke: "#999" }));
  for (const d of [0, 500, 1000, 1500]) {
    svg.appendChild(svgNode("text", { x: x(d), y: H - B + 14, "font-size": 10,
                                      "text-anchor": d === dmax ? "end" : "middle" }, String(d)));
  }
  for (const t of [0, 10, 20, 30, 40]) {
    svg.appendChild(svgNode("text", { x: L0 - 4, y: y(t) + 3, "font-size": 10,
                                      "text-anchor": "end" }, String(t)));
  }
  svg.appendChild(svgNode("text", { x: L0 + (W - L0) / 2, y: H - 4, "font-size": 11,
                                    "text-anchor": "middle" }, "pierce-point distance (km)"));
  svg.appendChild(svgNode("text", { x: 12, y: H / 2 - 10, "font-size": 11, "text-anchor": "middle",
                                    transform: `rotate(-90 12 ${H / 2 - 10})` }, "peak (min)"));
  // t = t0 + d / v from distance 0 to where it leaves the frame (top or right side)
  const ends = (t0, v) => {
    const d = Math.min(dmax, (tmax - t0) * 60 * v);
    return [d, t0 + d / v / 60];
  };
  for (const [v, colour] of [[0.7, "#1f77b4"], [1.3, "#1f77b4"], [2, "#2ca02c"], [4, "#2ca02c"]]) {
    const [d1, t1] = ends(8, v);
    svg.appendChild(svgNode("line", { x1: x(0), y1: y(8), x2: x(d1), y2: y(t1),
                                      stroke: colour, "stroke-dasharray": "3,3", opacity: 0.6 }));
  }
  for (const p of picks) {
    if (p.peak_min === null || p.distance_km === null || p.distance_km > dmax) continue;
    const c = svgNode("circle", { cx: x(p.distance_km), cy: y(p.peak_min), r: p.detected ? 3.5 : 2,
                                  fill: p.detected ? "#d62728" : "#bbb" });
    c.appendChild(svgNode("title", {}, `${p.receiver} ${p.satellite}: ${p.distance_km.toFixed(0)} ` +
      `km, ${p.peak_min.toFixed(1)} min, ${p.amplitude_tecu.toFixed(2)} TECU, SNR ` +
      `${p.snr.toFixed(1)}`));
    svg.appendChild(c);
  }
  const lines = [];
  let drawn = 0;
  for (const [label, f] of Object.entries(fits)) {
    if (!f.velocity_km_s) { lines.push(`${label}: ${f["not fitted"] || "not fitted"}`); continue; }
    const t0 = f.t0_min, v = f.velocity_km_s;
    const [dEnd, tEnd] = ends(t0, v), number = `(${++drawn})`;
    const dStart = t0 < 0 ? -t0 * 60 * v : 0;  // from t = 0 when t0 is before the origin
    svg.appendChild(svgNode("line", { x1: x(dStart), y1: y(t0 + dStart / v / 60), x2: x(dEnd),
                                      y2: y(tEnd), stroke: "#000", "stroke-width": 1.2 }));
    // its number below-right of the line, 90 % along it
    svg.appendChild(svgNode("text", { x: x(0.9 * dEnd) + 4, y: y(t0 + 0.9 * (tEnd - t0)) + 9,
                                      "font-size": 9, "font-weight": "bold" }, number));
    const ci = f.velocity_ci95_km_s || [null, null];
    const err = f.velocity_error_km_s !== null && f.velocity_error_km_s !== undefined
      ? ` ± ${f.velocity_error_km_s.toFixed(2)}` : "";
    lines.push(`${number} ${label}: ${v.toFixed(2)}${err} km/s (95 % ${ci[0] !== null ? ci[0].toFixed(2) : "?"}` +
      `–${ci[1] !== null ? ci[1].toFixed(2) : "?"}), ${f.n_picks} picks` +
      (f.warnings && f.warnings.length ? `; warning: ${f.warnings.join("; ")}` : ""));
  }
  return "Red dots: pairs over the SNR threshold (grey: below). Numbered lines: fitted apparent speeds; " +
    "dashed: acoustic 0.7–1.3 km/s (blue) and Rayleigh 2–4 km/s (green) from 8 min.<br>" +
    lines.map(l => `• ${escapeHtml(l)}`).join("<br>");
}
