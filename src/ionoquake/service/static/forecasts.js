// The forecasts page: a stored daily forecast as a map layer, the latest alarms, the
// evaluations with their verdicts and reports.
"use strict";
function row(cells) { return `<tr>${cells.map(c => `<td>${c ?? "—"}</td>`).join("")}</tr>`; }
function latLon(lat, lon) {
  return `${Math.abs(lat).toFixed(1)}°${lat >= 0 ? "N" : "S"} ${Math.abs(lon).toFixed(1)}°${lon >= 0 ? "E" : "W"}`;
}
const fmap = L.map("forecast-map", { worldCopyJump: true, zoomSnap: 0.25, preferCanvas: true });
fmap.fitBounds([[-65, -180], [80, 180]]);
getJSON("/basemap/land_110m.geojson").then(land =>
  L.geoJSON(land, { style: { color: "#555", weight: 0.6, fill: false }, interactive: false })
    .addTo(fmap));
let gridLayer = null, forecasts = [];

async function drawForecast() {
  const id = document.getElementById("forecast").value, variable = document.getElementById("variable").value;
  if (!id) return;
  const g = await getJSON(`/api/forecasts/${id}/grid?variable=${variable}`);
  const vals = g.values.flat().filter(v => v !== null);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const scale = variable === "gain" ? (v => colour((v - 1) / ((hi - 1) || 1))) : (v => colour((v - lo) / ((hi - lo) || 1)));
  const dlat = Math.abs(g.lat[1] - g.lat[0]) / 2, dlon = Math.abs(g.lon[1] - g.lon[0]) / 2;
  if (gridLayer) fmap.removeLayer(gridLayer);
  gridLayer = L.layerGroup();
  const renderer = L.canvas();
  g.lat.forEach((la, i) => g.lon.forEach((lo_, j) => {
    const v = g.values[i][j];
    if (v === null || (variable === "gain" && v <= 1)) return;
    L.rectangle([[la - dlat, lo_ - dlon], [la + dlat, lo_ + dlon]],
                { renderer, stroke: false, fillOpacity: 0.65, fillColor: scale(v), interactive: false })
      .addTo(gridLayer);
  }));
  gridLayer.addTo(fmap);
  const ticks = variable === "gain" ? [1, (1 + hi) / 2, hi] : [lo, (lo + hi) / 2, hi];
  document.getElementById("forecast-legend").innerHTML =
    `<div class="legend-bar"></div><div class="legend-ticks">${ticks.map(t => `<span>${t.toFixed(2)}</span>`).join("")}</div>` +
    `<div class="muted">${g.long_name} (${g.units})${variable === "gain" ? "; cells at 1 (no alarm) are not drawn" : ""}</div>`;
  const f = forecasts.find(x => x.forecast_id === id), cfg = JSON.parse(f.config_json || "{}");
  document.getElementById("forecast-info").textContent =
    `${f.kind}: issued ${f.issue_time.slice(0, 16).replace("T", " ")} UTC for ${g.horizon_days} day; ` +
    `target M ≥ ${cfg.target_magnitude ?? cfg.grid?.magnitude_min ?? "?"}, cells of ${cfg.grid?.step_deg ?? "?"}°, ` +
    `baseline learned over ${cfg.learning_days ?? "?"} days; inputs SHA-256 ${f.inputs_sha256.slice(0, 12)}…`;
}

async function main() {
  const a = await getJSON("/api/alarms?limit=10000");
  document.querySelector("#alarms tbody").innerHTML = a.items.slice(-50).reverse()
    .map(x => row([x.issued.slice(0, 16).replace("T", " "), x.start.slice(0, 16).replace("T", " "),
                   x.end.slice(0, 16).replace("T", " "), latLon(x.lat, x.lon), x.radius_km.toFixed(0),
                   x.score?.toFixed?.(2), x.gain?.toFixed?.(1)])).join("") || row(["no alarms yet", "", "", "", "", "", ""]);
  forecasts = (await getJSON("/api/forecasts?limit=1000")).items.reverse();
  const select = document.getElementById("forecast");
  select.innerHTML = forecasts.map(f => `<option value="${f.forecast_id}">${f.issue_time.slice(0, 10)} — ${f.kind}</option>`).join("")
    || "<option value=''>no forecasts yet</option>";
  await drawForecast();
  const ev = await getJSON("/api/evaluations?limit=100");
  document.querySelector("#evaluations tbody").innerHTML = ev.items.reverse().map(x => {
    let r = {};
    try { r = JSON.parse(x.result_json); } catch (e) { r = {}; }
    const ass = r.ass !== undefined ? `${r.ass} (p ${r.ass_p}; ${r.ass_p_family ?? "—"} over ${r.configurations_tried ?? "?"} configurations)` : null;
    const verdict = r.robustness ? r.robustness.split(". ")[0] + "." : null;
    const report = r.report ? `<a href="/${r.report}">HTML report</a>` : null;
    return row([x.created_at.slice(0, 16).replace("T", " "), x.kind, x.statistic?.toFixed?.(3),
                x.p_value?.toFixed?.(3), ass, verdict, report]);
  }).join("") || row(["no evaluations yet", "", "", "", "", "", ""]);
  document.body.dataset.forecasts = "drawn";
}
document.getElementById("forecast").addEventListener("change", drawForecast);
document.getElementById("variable").addEventListener("change", drawForecast);
main().catch(err => { document.getElementById("forecast-info").textContent = String(err); });
