// The map page: basemap, TEC colour layer with an epoch slider, epicentres with their zones,
// satellite passes and ground tracks.
"use strict";
// One world, filling the width (no empty strip beyond ±180°): the smallest zoom is the one
// at which 360° of longitude spans the map's width; panning stays within the world.
const map = L.map("map", { worldCopyJump: false, zoomSnap: 0, zoomDelta: 0.5,
                           maxBounds: [[-90, -180], [90, 180]], maxBoundsViscosity: 1.0 });
function fitWorld() {
  const z = Math.log2(map.getContainer().clientWidth / 256);
  map.setMinZoom(z);
  map.setView([20, 0], Math.max(z, map.getZoom() || z));
}
map.setView([20, 0], Math.log2(map.getContainer().clientWidth / 256));
fitWorld();
window.addEventListener("resize", fitWorld);
let gridLayer = null, epochs = [], product = null, span = null;
const gridRenderer = L.canvas({ padding: 0.1 });
const eventLayer = L.layerGroup().addTo(map);
const clusterLayer = L.layerGroup().addTo(map);
const passLayer = L.layerGroup().addTo(map);
const trackLayer = L.layerGroup().addTo(map);      // ground tracks of one day
const passTrackLayer = L.layerGroup().addTo(map);  // the orbit around a clicked pass
// One colour per satellite (NORAD id) in both the passes and the tracks layers, handed out
// in the order of the passes whichever layer is drawn first.
const PALETTE = ["#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79"];
const satColours = {};
function satColour(id) { return satColours[id] ??= PALETTE[Object.keys(satColours).length % PALETTE.length]; }
let passesPage = null, trackRequest = 0, highlighted = null;
function loadPasses() {
  passesPage ??= getJSON("/api/passes?limit=5000").then(page => {
    for (const p of page.items) satColour(p.norad_id);
    return page;
  });
  return passesPage;
}
// Diverging blue-white-red scale for ΔTEC on [-1, 1].
function diverging(x) {
  const t = Math.max(-1, Math.min(1, x));
  const c = t < 0 ? [255 + t * (255 - 33), 255 + t * (255 - 102), 255 + t * (255 - 172)]
                  : [255 - t * (255 - 178), 255 - t * (255 - 24), 255 - t * (255 - 43)];
  return `rgb(${c.map(Math.round).join(",")})`;
}

getJSON("/basemap/land_110m.geojson").then(land =>
  L.geoJSON(land, { style: { color: "#555", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 0.35 },
                    interactive: false }).addTo(map));

async function loadProducts() {
  const products = await getJSON("/api/maps");
  window.products = products;
  const sel = document.getElementById("product");
  sel.innerHTML = products.map(p => `<option value="${p.product}">${p.product} (${p.first_day} … ${p.last_day})</option>`).join("");
  if (products.length) { await selectProduct(products[0].product); }
}
async function selectProduct(name) {
  product = name;
  const p = window.products.find(p => p.product === name);
  span = p ? [p.first_day, p.last_day] : null;
  epochs = (await getJSON(`/api/maps/${encodeURIComponent(name)}/times`)).times;
  const slider = document.getElementById("epoch");
  slider.max = Math.max(0, epochs.length - 1);
  slider.value = slider.max;
  await drawGrid();
}
async function drawGrid() {
  if (!product || !epochs.length) return;
  const t = epochs[+document.getElementById("epoch").value];
  const variable = document.getElementById("layer").value;
  document.getElementById("epoch-label").textContent =
    `${t.slice(0, 16).replace("T", " ")} UTC — ${product} maps; clusters and earthquakes follow this epoch`;
  const geo = await getJSON(`/api/maps/${encodeURIComponent(product)}/grid?format=geojson&variable=${variable}&time=${encodeURIComponent(t)}`);
  const vals = geo.features.map(f => f.properties.value);
  const lo = Math.min(...vals), hi = Math.max(...vals), amp = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  // ΔTEC: symmetric about zero, the range written as drawn; TEC/RMS: this epoch's range.
  const ticks = variable === "dtec" ? [-amp, 0, amp] : [lo, (lo + hi) / 2, hi];
  const fill = variable === "dtec" ? (v => diverging(v / amp)) : (v => colour((v - lo) / ((hi - lo) || 1)));
  // thousands of cells: drawn on one canvas (fast), the markers above stay SVG
  const layer = L.geoJSON(geo, { renderer: gridRenderer, style: f => ({ stroke: false,
    fillOpacity: 0.55, fillColor: fill(f.properties.value) }), interactive: false });
  if (gridLayer) map.removeLayer(gridLayer);
  gridLayer = layer.addTo(map);
  gridLayer.bringToBack();
  const name = { tec: "TEC", dtec: "ΔTEC = TEC − 15-day median", rms: "RMS of TEC" }[variable];
  document.getElementById("legend").innerHTML = vals.length ?
    `<div class="legend-bar${variable === "dtec" ? " diverging" : ""}"></div>` +
    `<div class="legend-ticks">${ticks.map(v => `<span>${v.toFixed(1)}</span>`).join("")}</div>` +
    `<div class="muted">${name} (TECU); ${variable === "dtec"
      ? `white at 0, colours saturate at ±${amp.toFixed(1)} (this epoch's largest |ΔTEC|)`
      : "scale of this epoch: its lowest to its highest value"}</div>` :
    `<div class="muted">no ${name} at this epoch (ΔTEC needs 15 earlier days)</div>`;
  await drawClusters(t);
  if (document.getElementById("near").checked) loadEvents();
}
async function drawClusters(t) {
  clusterLayer.clearLayers();
  document.getElementById("cluster-info").textContent = "";
  if (!document.getElementById("show-clusters").checked) return;
  const at = utc(t), day = 86400e3;
  const start = new Date(at - 2 * day).toISOString().slice(0, 19);
  const end = new Date(at + 3600e3).toISOString().slice(0, 19);
  const page = await getJSON(`/api/clusters?start=${start}&end=${end}&limit=10000`);
  let n = 0;
  for (const c of page.items) {
    if (utc(c.end) < at || c.n_cells < 20) continue;
    const east = c.lon_east >= c.lon_west ? c.lon_east : c.lon_east + 360;  // across 180°
    L.rectangle([[c.lat_min, c.lon_west], [c.lat_max, east]], { color: c.sign > 0 ? "#b2182b" : "#2166ac",
      weight: 1, fill: false, dashArray: c.status === "disturbed" ? "2 4" : null })
      .bindTooltip(`${c.sign > 0 ? "positive" : "negative"} cluster ${c.start.slice(0, 16)} … ${c.end.slice(0, 16)}, ` +
                   `${c.n_cells} cell-epochs, peak ${c.peak_severity.toFixed(1)} (${c.status})`).addTo(clusterLayer);
    n += 1;
  }
  document.getElementById("cluster-info").innerHTML = `${n} anomaly clusters (≥ 20 cell-epochs) ` +
    `active at this epoch: <span class="key pos">red</span> positive, <span class="key neg">blue</span> ` +
    `negative; dashed outline: geomagnetically disturbed`;
}
async function drawPasses() {
  passLayer.clearLayers();
  passTrackLayer.clearLayers();
  highlighted = null;
  const info = document.getElementById("passes-info");
  info.textContent = "";
  if (!document.getElementById("show-passes").checked) { drawTracks(); return; }
  const page = await loadPasses();
  const names = new Set();
  for (const p of page.items) {
    if (p.closest_lat === null || p.closest_lon === null) continue;
    names.add(p.satellite);
    L.circleMarker([p.closest_lat, p.closest_lon], { radius: 2, weight: 1, color: satColour(p.norad_id), className: "pass" })
      .bindTooltip(`${p.satellite} ${p.closest_time.slice(0, 16)} UTC, ${p.closest_km.toFixed(0)} km from ` +
                   `zone ${p.zone_id}, LT ${p.local_time_h.toFixed(1)} h, ${p.ascending ? "ascending" : "descending"}`)
      .on("click", e => drawPassTrack(p, e.target))
      .addTo(passLayer);
  }
  const days = page.items.map(p => p.closest_time || p.entry).filter(Boolean).sort();
  const period = days.length ? `${days[0].slice(0, 10)} … ${days[days.length - 1].slice(0, 10)}` : "";
  info.innerHTML = `${page.total} passes over the stored zones, ${period}` +
    `${otherPeriod(days) ? ' <strong class="warn">(another period than the maps)</strong>' : ""}: ` +
    [...names].map(n => `<span class="key" style="color:${satColour(page.items.find(p => p.satellite === n).norad_id)}">●</span> ${n}`).join(", ");
  drawTracks();  // the day of the tracks follows the passes
}
// The day of the tracks: with passes shown, the day holding most passes; otherwise the day
// of the latest TLE epoch (where SGP4 is most accurate).
function trackDay(ids, satellites, passes) {
  if (document.getElementById("show-passes").checked && passes.length) {
    const count = {};
    for (const p of passes) count[p.entry.slice(0, 10)] = (count[p.entry.slice(0, 10)] || 0) + 1;
    return Object.keys(count).sort().reduce((a, b) => (count[b] > count[a] ? b : a));
  }
  return satellites.filter(s => ids.includes(s.norad_id)).map(s => s.last_epoch).sort().pop().slice(0, 10);
}
function trackLabel(f) {
  const age = f.tle_age_days, when = age >= 0 ? "after" : "before";
  return `${f.name || "NORAD " + f.norad_id}: SGP4 from the TLE of ${f.tle_epoch.slice(0, 16)} UTC ` +
         `(${Math.abs(age).toFixed(1)} days ${when} it)${f.warning ? "; " + f.warning : ""}`;
}
// Tracks of the satellites with passes (or the first ten stored) over one day, 60 s steps.
async function drawTracks() {
  const request = ++trackRequest, info = document.getElementById("track-info");
  trackLayer.clearLayers();
  info.textContent = "";
  if (!document.getElementById("show-tracks").checked) return;
  let satellites;
  try { satellites = await getJSON("/api/satellites"); } catch (err) {
    info.textContent = "no TLEs in the archive (ingest a TLE file)";
    return;
  }
  const passes = (await loadPasses()).items, stored = new Set(satellites.map(s => s.norad_id));
  const withPasses = [...new Set(passes.map(p => p.norad_id))].filter(id => stored.has(id));
  const ids = (withPasses.length ? withPasses : satellites.map(s => s.norad_id)).slice(0, 10);
  if (!ids.length) { info.textContent = "no TLEs in the archive (ingest a TLE file)"; return; }
  const day = trackDay(ids, satellites, passes);
  const next = new Date(Date.parse(day + "T00:00:00Z") + 86400e3).toISOString().slice(0, 19);
  let geo;
  try {
    geo = await getJSON(`/api/tracks?${ids.map(id => "norad_id=" + id).join("&")}` +
                        `&start=${day}T00:00:00&end=${next}&step_s=60`);
  } catch (err) { info.textContent = `no tracks: ${err.message}`; return; }
  if (request !== trackRequest) return;  // a newer request is on its way
  L.geoJSON(geo, { style: f => ({ color: satColour(f.properties.norad_id), weight: 1.5, opacity: 0.8,
                                  className: "track" }),
                   onEachFeature: (f, layer) => layer.bindTooltip(trackLabel(f.properties)) }).addTo(trackLayer);
  info.innerHTML = `ground tracks of ${day}` +
    `${otherPeriod([day]) ? ' <strong class="warn">(another period than the maps)</strong>' : ""}: ` +
    geo.features.map(f => `<span class="key" style="color:${satColour(f.properties.norad_id)}">●</span> ` +
                          (f.properties.name || "NORAD " + f.properties.norad_id)).join(", ");
}
// Clicking a pass draws that satellite's track from 50 min before to 50 min after it.
async function drawPassTrack(p, marker) {
  const at = Date.parse((p.closest_time || p.entry).slice(0, 19) + "Z"), minute = 60e3;
  const start = new Date(at - 50 * minute).toISOString().slice(0, 19);
  const end = new Date(at + 50 * minute).toISOString().slice(0, 19);
  const info = document.getElementById("track-info");
  let geo;
  try { geo = await getJSON(`/api/tracks?norad_id=${p.norad_id}&start=${start}&end=${end}&step_s=20`); } catch (err) {
    info.textContent = `${p.satellite}: no track (${err.message.includes("404") ? "no TLE stored" : err.message})`;
    return;
  }
  passTrackLayer.clearLayers();
  if (highlighted) highlighted.setRadius(2).setStyle({ weight: 1 });
  highlighted = marker.setRadius(6).setStyle({ weight: 3 });
  L.geoJSON(geo, { style: { color: satColour(p.norad_id), weight: 4, opacity: 1, className: "track pass-track" },
                   onEachFeature: (f, layer) => layer.bindTooltip(trackLabel(f.properties)) })
    .addTo(passTrackLayer).bringToFront();
  info.textContent = `${p.satellite}: track ${start.slice(11, 16)} … ${end.slice(11, 16)} UTC around its pass ` +
                     `over zone ${p.zone_id} at ${p.closest_time.slice(0, 16)} UTC`;
}
async function loadEvents() {
  const m = document.getElementById("min-mag").value;
  let window_ = "";
  const t = epochs.length ? epochs[+document.getElementById("epoch").value] : null;
  if (t && document.getElementById("near").checked) {
    // the earthquakes whose preparation could show at this epoch: up to 30 days after it,
    // and those of the 10 days before it (their aftermath)
    const day = 86400e3, at = utc(t);
    const start = new Date(at - 10 * day).toISOString().slice(0, 19) + "Z";
    const end = new Date(at + 30 * day).toISOString().slice(0, 19) + "Z";
    window_ = `&start=${start}&end=${end}`;
  }
  const page = await getJSON(`/api/events?min_magnitude=${m}&limit=500${window_}`);
  eventLayer.clearLayers();
  const list = document.getElementById("events");
  list.innerHTML = "";
  document.getElementById("n-events").textContent = `(${page.total})`;
  document.getElementById("events-legend").innerHTML =
    `<span class="key quake">●</span> epicentre, dot radius grows with M (M6 small, M8 large); ` +
    `dashed circle: preparation zone R = 10<sup>0.43 M</sup> km (Dobrovolsky)` +
    (window_ ? `; shown: ${window_.split("&").filter(Boolean).map(x => x.split("=")[1].slice(0, 10)).join(" … ")}` : "");
  for (const e of page.items.slice().reverse()) {
    const go = () => { location.href = `/event.html?id=${encodeURIComponent(e.event_id)}`; };
    L.circleMarker([e.latitude, e.longitude], { radius: 3 + e.magnitude - 5, color: "#c00", weight: 1, fillOpacity: 0.8 })
      .bindTooltip(`M${e.magnitude} ${e.time.slice(0, 16)} ${e.place || ""}`).on("click", go).addTo(eventLayer);
    L.circle([e.latitude, e.longitude], { radius: dobrovolskyKm(e.magnitude) * 1000, color: "#c00", weight: 1,
      dashArray: "4 4", fill: false, interactive: false }).addTo(eventLayer);
    const li = document.createElement("li");
    li.className = "event";
    li.dataset.id = e.event_id;
    li.textContent = `${e.time.slice(0, 10)}  M${e.magnitude}  ${e.place || e.event_id}`;
    li.addEventListener("click", go);
    list.appendChild(li);
  }
}
document.getElementById("product").addEventListener("change", e => selectProduct(e.target.value));
document.getElementById("layer").addEventListener("change", drawGrid);
document.getElementById("epoch").addEventListener("change", drawGrid);
document.getElementById("min-mag").addEventListener("change", loadEvents);
document.getElementById("near").addEventListener("change", loadEvents);
document.getElementById("show-clusters").addEventListener("change", drawGrid);
document.getElementById("show-passes").addEventListener("change", drawPasses);
document.getElementById("show-tracks").addEventListener("change", drawTracks);
// True when the times (ISO strings) fall outside the maps' span: that layer shows another period.
function otherPeriod(times) {
  if (!span || !times.length) return false;
  const first = Date.parse(span[0] + "T00:00:00Z"), last = Date.parse(span[1] + "T23:59:59Z");
  return times.some(x => utc(x.length === 10 ? x + "T00:00:00Z" : x) < first - 86400e3 ||
                         utc(x.length === 10 ? x + "T00:00:00Z" : x) > last + 86400e3);
}
loadProducts().then(() => { if (!product) loadEvents(); });
