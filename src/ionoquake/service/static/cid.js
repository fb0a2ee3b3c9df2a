// The CID page: /api/gnss/cid drawn as pierce points coloured by detrended slant TEC, moving
// with a minute slider, and the travel-time diagram of the picks with the fitted speed.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const LIMIT = 0.3;  // TECU at the ends of the colour scale
const cidMap = L.map("map", { worldCopyJump: true }).setView([37, 137], 5);
getJSON("/basemap/land_110m.geojson").then(land =>
  L.geoJSON(land, { style: { color: "#555", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 0.35 },
                    interactive: false }).addTo(cidMap));
const points = L.layerGroup().addTo(cidMap);
const epicentre = L.layerGroup().addTo(cidMap);
let result = null;

// Diverging blue-white-red for detrended TEC on [-LIMIT, LIMIT].
function diverging(v) {
  const t = Math.max(-1, Math.min(1, v / LIMIT));
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

function legend() {
  const stops = [-1, -0.5, 0, 0.5, 1].map(t => `<span style="background:${diverging(t * LIMIT)}">` +
    `${(t * LIMIT).toFixed(2)}</span>`).join("");
  document.getElementById("cid-legend").innerHTML =
    `<div class="scale">${stops}</div><div class="muted">detrended slant TEC (TECU), ` +
    `saturating at ±${LIMIT}; large dots: pairs over the SNR threshold; trails: the last ` +
    `5 minutes; pin: epicentre, circles every 200 km.</div>`;
}

function drawMinute(i) {
  points.clearLayers();
  const m = result.tracks.minutes[i];
  document.getElementById("minute-label").textContent =
    `${m.toFixed(1)} min after the origin (${result.tracks.times[i]})`;
  const trail = Math.round(5 * 2);  // 30 s epochs
  for (const p of result.tracks.pairs) {
    const path = [];
    for (let k = Math.max(0, i - trail); k <= i; k++) {
      if (p.lat[k] !== null && p.lon[k] !== null) path.push([p.lat[k], p.lon[k]]);
    }
    if (path.length > 1) L.polyline(path, { color: "#888", weight: 1 }).addTo(points);
    if (p.lat[i] === null || p.dstec[i] === null) continue;
    L.circleMarker([p.lat[i], p.lon[i]], { radius: p.detected ? 7 : 4, weight: 0.5,
      color: "#333", fillColor: diverging(p.dstec[i]), fillOpacity: 0.9 })
      .bindTooltip(`${p.receiver} ${p.satellite}: ${p.dstec[i].toFixed(3)} TECU`)
      .addTo(points);
  }
}

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function drawTravel(picks, fits) {
  const svg = document.getElementById("travel");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 340, H = 260, L0 = 42, B = 32, dmax = 1500, tmax = 40;
  const x = d => L0 + (W - L0 - 8) * d / dmax, y = t => H - B - (H - B - 8) * t / tmax;
  svg.appendChild(svgEl("rect", { x: L0, y: 8, width: W - L0 - 8, height: H - B - 8,
                                  fill: "none", stroke: "#999" }));
  for (const d of [0, 500, 1000, 1500]) {
    svg.appendChild(svgEl("text", { x: x(d), y: H - B + 14, "font-size": 10,
                                    "text-anchor": "middle" }, String(d)));
  }
  for (const t of [0, 10, 20, 30, 40]) {
    svg.appendChild(svgEl("text", { x: L0 - 4, y: y(t) + 3, "font-size": 10,
                                    "text-anchor": "end" }, String(t)));
  }
  svg.appendChild(svgEl("text", { x: L0 + (W - L0) / 2, y: H - 4, "font-size": 11,
                                  "text-anchor": "middle" }, "pierce-point distance (km)"));
  svg.appendChild(svgEl("text", { x: 12, y: H / 2 - 10, "font-size": 11, "text-anchor": "middle",
                                  transform: `rotate(-90 12 ${H / 2 - 10})` }, "peak (min)"));
  // acoustic (0.7-1.3 km/s) and Rayleigh (2-4 km/s) bands from 8 min at the epicentre
  for (const [v, colour] of [[0.7, "#1f77b4"], [1.3, "#1f77b4"], [2, "#2ca02c"], [4, "#2ca02c"]]) {
    const t1 = 8 + dmax / v / 60;
    svg.appendChild(svgEl("line", { x1: x(0), y1: y(8), x2: x(dmax), y2: y(Math.min(t1, tmax)),
                                    stroke: colour, "stroke-dasharray": "3,3", opacity: 0.6 }));
  }
  for (const p of picks) {
    if (p.peak_min === null || p.distance_km === null || p.distance_km > dmax) continue;
    const c = svgEl("circle", { cx: x(p.distance_km), cy: y(p.peak_min), r: p.detected ? 3.5 : 2,
                                fill: p.detected ? "#d62728" : "#bbb" });
    c.appendChild(svgEl("title", {}, `${p.receiver} ${p.satellite}: ${p.distance_km.toFixed(0)} ` +
      `km, ${p.peak_min.toFixed(1)} min, ${p.amplitude_tecu.toFixed(2)} TECU, SNR ` +
      `${p.snr.toFixed(1)}`));
    svg.appendChild(c);
  }
  const lines = [];
  for (const [label, f] of Object.entries(fits)) {
    if (!f.velocity_km_s) { lines.push(`${label}: ${f["not fitted"] || "not fitted"}`); continue; }
    const t0 = f.t0_min, v = f.velocity_km_s;
    svg.appendChild(svgEl("line", { x1: x(0), y1: y(t0), x2: x(dmax),
      y2: y(Math.min(t0 + dmax / v / 60, tmax)), stroke: "#000", "stroke-width": 1.2 }));
    const ci = f.velocity_ci95_km_s || [null, null];
    lines.push(`${label}: ${v.toFixed(2)} km/s (95 % ${ci[0] !== null ? ci[0].toFixed(2) : "?"}` +
      `–${ci[1] !== null ? ci[1].toFixed(2) : "?"}), ${f.n_picks} picks` +
      (f.warnings && f.warnings.length ? `; warning: ${f.warnings.join("; ")}` : ""));
  }
  document.getElementById("cid-fits").innerHTML =
    "Lines: fitted apparent speeds; dashed: acoustic 0.7–1.3 km/s (blue) and Rayleigh " +
    "2–4 km/s (green) from 8 min.<br>" + lines.map(l => `• ${l}`).join("<br>");
}

async function analyse(form) {
  const q = new URLSearchParams(new FormData(form));
  const status = document.getElementById("cid-status");
  status.textContent = "analysing (the null at fake origins takes some seconds) ...";
  try {
    result = await getJSON(`/api/gnss/cid?${q}`);
  } catch (e) {
    status.textContent = String(e.message || e);
    return;
  }
  const s = result.summary;
  status.textContent = `${s.detected} of ${s.pairs} receiver–satellite pairs over SNR ` +
    `${s.snr_threshold}` + (s.detected ? `; first onset ${s.first_onset_min.toFixed(1)} min, ` +
    `largest ${s.largest_amplitude_tecu.toFixed(2)} TECU` : "");
  const n = s.null_at_fake_origins;
  document.getElementById("cid-null").textContent = typeof n === "string" ? n :
    `Noise alone: at ${n.fake_origins.length} fake origin times ${Math.min(...n.n_over)}–` +
    `${Math.max(...n.n_over)} pairs over the threshold, largest ` +
    `${Math.max(...n.max_amplitude_tecu).toFixed(2)} TECU.`;
  epicentre.clearLayers();
  const lat = Number(q.get("lat")), lon = Number(q.get("lon"));
  L.marker([lat, lon], { title: "epicentre" }).addTo(epicentre);
  for (const r of [200, 400, 600, 800]) {
    L.circle([lat, lon], { radius: r * 1000, color: "#555", weight: 0.6, fill: false })
      .addTo(epicentre);
  }
  cidMap.setView([lat, lon], 6);
  const slider = document.getElementById("minute");
  slider.max = String(result.tracks.minutes.length - 1);
  const start = result.tracks.minutes.findIndex(m => m >= 10);
  slider.value = String(Math.max(0, start));
  drawMinute(Number(slider.value));
  drawTravel(result.picks, s.travel_time_fits);
}

document.getElementById("minute").addEventListener("input", e => {
  if (result) drawMinute(Number(e.target.value));
});
document.getElementById("cid-form").addEventListener("submit", e => {
  e.preventDefault();
  analyse(e.target);
});
legend();
getJSON("/api/gnss/days").then(days => {
  const select = document.getElementById("network");
  const names = [...new Set(days.map(d => d.network))];
  select.innerHTML = names.map(n => `<option>${n}</option>`).join("") ||
    "<option value=''>no receiver TEC stored</option>";
  const first = days[0];
  if (first && param("auto") !== "0") analyse(document.getElementById("cid-form"));
});
