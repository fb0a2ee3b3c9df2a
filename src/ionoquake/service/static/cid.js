// The CID page: /api/gnss/cid drawn as pierce points coloured by detrended slant TEC, moving
// with a minute slider, and the travel-time diagram of the picks with the fitted speed
// (drawTravelTime of common.js, shared with the event page). The form takes its values
// from the query string (network, time, lat, lon, mag, depth_km: the event page's link).
"use strict";

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
  document.getElementById("cid-fits").innerHTML =
    drawTravelTime(document.getElementById("travel"), result.picks, s.travel_time_fits);
}

document.getElementById("minute").addEventListener("input", e => {
  if (result) drawMinute(Number(e.target.value));
});
document.getElementById("cid-form").addEventListener("submit", e => {
  e.preventDefault();
  analyse(e.target);
});
// The form's fields from the query string (the event page links here with its event).
function fromQuery(form) {
  for (const name of ["time", "lat", "lon", "mag"]) {
    if (param(name) !== null) form.elements[name].value = param(name);
  }
  if (param("depth_km") !== null) {
    const depth = document.createElement("input");
    Object.assign(depth, { type: "hidden", name: "depth_km", value: param("depth_km") });
    form.appendChild(depth);
  }
}

legend();
fromQuery(document.getElementById("cid-form"));
getJSON("/api/gnss/days").then(days => {
  const select = document.getElementById("network");
  const names = [...new Set(days.map(d => d.network))];
  select.innerHTML = names.map(n => `<option>${escapeHtml(n)}</option>`).join("") ||
    "<option value=''>no receiver TEC stored</option>";
  if (param("network") !== null && names.includes(param("network"))) select.value = param("network");
  const first = days[0];
  if (first && param("auto") !== "0") analyse(document.getElementById("cid-form"));
});
