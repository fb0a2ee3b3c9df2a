// The map page: basemap, TEC colour layer with an epoch slider, epicentres with their zones.
"use strict";
const map = L.map("map", { worldCopyJump: true, minZoom: 1 }).setView([15, -30], 2);
let gridLayer = null, epochs = [], product = null, span = null;
const eventLayer = L.layerGroup().addTo(map);

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
  loadEvents();
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
  document.getElementById("epoch-label").textContent = `${t} UTC`;
  const geo = await getJSON(`/api/maps/${encodeURIComponent(product)}/grid?format=geojson&variable=${variable}&time=${encodeURIComponent(t)}`);
  const vals = geo.features.map(f => f.properties.value);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const layer = L.geoJSON(geo, { style: f => ({ stroke: false, fillOpacity: 0.55,
    fillColor: colour((f.properties.value - lo) / ((hi - lo) || 1)) }), interactive: false });
  if (gridLayer) map.removeLayer(gridLayer);
  gridLayer = layer.addTo(map);
  gridLayer.bringToBack();
  document.getElementById("legend").innerHTML =
    `<div class="legend-bar"></div><div class="muted">${lo.toFixed(1)} … ${hi.toFixed(1)} TECU (${variable.toUpperCase()})</div>`;
}
async function loadEvents() {
  const m = document.getElementById("min-mag").value;
  let window_ = "";
  if (span && document.getElementById("near").checked) {
    const day = 86400e3;
    const start = new Date(Date.parse(span[0]) - 10 * day).toISOString().slice(0, 10);
    const end = new Date(Date.parse(span[1]) + 31 * day).toISOString().slice(0, 10);
    window_ = `&start=${start}&end=${end}`;
  }
  const page = await getJSON(`/api/events?min_magnitude=${m}&limit=500${window_}`);
  eventLayer.clearLayers();
  const list = document.getElementById("events");
  list.innerHTML = "";
  document.getElementById("n-events").textContent = `(${page.total})`;
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
loadProducts().then(() => { if (!product) loadEvents(); });
