// The event page: facts; TEC with its running-median band at the epicentre and at the
// magnetically conjugate point, and Kp, around the event time (the panels of the static
// event figure); the series as CSV and the panels as PNG. Where receiver TEC is stored around
// the event (/api/events/{id}/cid), the travel-time diagram of its co-seismic disturbances
// (drawTravelTime of common.js, as on the CID page) with a link to the CID page.
"use strict";
const PAD = { left: 56, right: 16, top: 12, bottom: 28 };
// Round steps for axis ticks: 1, 2, 5 × 10^k, about n of them over the range.
function ticks(lo, hi, n) {
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) || mag * 10;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}
function frame(canvas, t0, t1, lo, hi, unit) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const x = v => PAD.left + (v - t0) / (t1 - t0 || 1) * (W - PAD.left - PAD.right);
  const y = v => H - PAD.bottom - (v - lo) / (hi - lo || 1) * (H - PAD.top - PAD.bottom);
  ctx.strokeStyle = "#888"; ctx.strokeRect(PAD.left, PAD.top, W - PAD.left - PAD.right,
                                           H - PAD.top - PAD.bottom);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif"; ctx.textAlign = "right";
  for (const v of ticks(lo, hi, 5)) {
    ctx.fillText(String(+v.toFixed(2)), PAD.left - 6, y(v) + 4);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(PAD.left, y(v)); ctx.lineTo(W - PAD.right, y(v)); ctx.stroke();
  }
  ctx.save(); ctx.translate(12, H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText(unit, 0, 0); ctx.restore();
  ctx.textAlign = "center";
  for (let d = Math.ceil(t0 / 864e5) * 864e5; d <= t1; d += 5 * 864e5) {
    ctx.fillText(new Date(d).toISOString().slice(0, 10), x(d), H - PAD.bottom + 16);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(x(d), PAD.top); ctx.lineTo(x(d), H - PAD.bottom); ctx.stroke();
  }
  ctx.textAlign = "start";
  return { ctx, x, y };
}
function eventLine(g, canvas, te) {
  g.ctx.strokeStyle = "#c00"; g.ctx.setLineDash([5, 4]); g.ctx.beginPath();
  g.ctx.moveTo(g.x(te), PAD.top); g.ctx.lineTo(g.x(te), canvas.height - PAD.bottom); g.ctx.stroke();
  g.ctx.setLineDash([]);
}
function drawSeries(canvas, s, bands, span, te) {
  const vals = s.tec.filter(v => v !== null);
  if (!vals.length) return false;
  const upper = bands.upper.filter(v => v !== null);
  const g = frame(canvas, span[0], span[1], Math.min(0, ...vals), Math.max(...vals, ...upper) * 1.05, "TEC (TECU)");
  const { ctx, x, y } = g, W = canvas.width;
  ctx.fillStyle = "rgba(31, 95, 168, 0.18)";  // the running-median band
  bands.time.forEach((t, i) => {
    if (bands.lower[i] === null || bands.upper[i] === null) return;
    const w = Math.max(2, (W - PAD.left - PAD.right) / bands.time.length);
    ctx.fillRect(x(utc(t)) - w / 2, y(bands.upper[i]), w, y(bands.lower[i]) - y(bands.upper[i]));
  });
  ctx.strokeStyle = "#1f5fa8"; ctx.lineWidth = 1; ctx.beginPath();
  let pen = false;
  s.time.forEach((t, i) => {
    if (s.tec[i] === null) { pen = false; return; }
    pen ? ctx.lineTo(x(utc(t)), y(s.tec[i])) : ctx.moveTo(x(utc(t)), y(s.tec[i])); pen = true;
  });
  ctx.stroke();
  bands.time.forEach((t, i) => {  // anomalous map epochs: red above the band, purple below
    if (!bands.positive[i] && !bands.negative[i]) return;
    ctx.fillStyle = bands.positive[i] ? "#d62728" : "#7b3294";
    ctx.beginPath(); ctx.arc(x(utc(t)), y(bands.tec[i]), 2.5, 0, 2 * Math.PI); ctx.fill();
  });
  eventLine(g, canvas, te);
  return true;
}
function drawKp(canvas, rows, span, te) {
  const g = frame(canvas, span[0], span[1], 0, 9, "Kp"), { ctx, x, y } = g;
  const w = Math.max(1, (x(span[0] + 3 * 3600e3) - x(span[0])) * 0.8);
  for (const r of rows) {
    if (r.kp === null) continue;
    ctx.fillStyle = r.kp > 3 ? "#d62728" : "#2ca02c";
    ctx.fillRect(x(utc(r.time)) - w / 2, y(r.kp), w, y(0) - y(r.kp));
  }
  ctx.strokeStyle = "#555"; ctx.setLineDash([2, 3]); ctx.beginPath();
  ctx.moveTo(PAD.left, y(3)); ctx.lineTo(canvas.width - PAD.right, y(3)); ctx.stroke(); ctx.setLineDash([]);
  eventLine(g, canvas, te);
}
async function allIndices(start, end) {
  const rows = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await getJSON(`/api/indices?start=${start}Z&end=${end}Z&limit=1000&offset=${offset}`);
    rows.push(...page.items);
    if (rows.length >= page.total || !page.items.length) return rows;
  }
}
function downloads(e, s, b, cs, cb, kp) {
  const byTime = new Map(kp.map(r => [r.time, r.kp]));
  const header = "time,tec_epicentre_tecu,background_epicentre_tecu,lower_epicentre_tecu," +
    "upper_epicentre_tecu,positive_epicentre,negative_epicentre,tec_conjugate_tecu," +
    "background_conjugate_tecu,kp";
  const index = new Map(b.time.map((t, i) => [t, i])), cindex = new Map(cb ? cb.time.map((t, i) => [t, i]) : []);
  const cell = v => (v === null || v === undefined ? "" : String(v));
  const rows = s.time.map((t, i) => {
    const j = index.get(t), k = cindex.get(t);
    return [t, cell(s.tec[i]), cell(j !== undefined ? b.background[j] : null),
            cell(j !== undefined ? b.lower[j] : null), cell(j !== undefined ? b.upper[j] : null),
            cell(j !== undefined ? b.positive[j] : null), cell(j !== undefined ? b.negative[j] : null),
            cell(cs ? cs.tec[i] : null), cell(k !== undefined ? cb.background[k] : null),
            cell(byTime.get(t))].join(",");
  });
  const csv = new Blob([`# ${e.event_id} M${e.magnitude} ${e.place || ""}; ${b.method}\n${header}\n${rows.join("\n")}\n`],
                       { type: "text/csv" });
  const links = [`<a id="download-csv" download="event_${e.event_id}_series.csv" href="${URL.createObjectURL(csv)}">series (CSV)</a>`];
  for (const id of ["chart", "conjugate", "kp"]) {
    links.push(`<a download="event_${e.event_id}_${id}.png" href="${document.getElementById(id).toDataURL("image/png")}">${id} (PNG)</a>`);
  }
  document.getElementById("downloads").innerHTML = "Download: " + links.join(" · ");
}
// The co-seismic disturbances of the event, if receiver TEC is stored around its origin.
async function drawCid(e) {
  const section = document.getElementById("cid");
  let c;
  try {
    c = await getJSON(`/api/events/${encodeURIComponent(e.event_id)}/cid`);
  } catch (err) {
    if (!/: 404 /.test(err.message)) {  // 404: no receiver TEC around this event
      section.hidden = false;
      document.getElementById("cid-summary").textContent = String(err.message || err);
    }
    document.body.dataset.cid = "none";
    return;
  }
  const s = c.summary;
  document.getElementById("cid-summary").textContent =
    `Slant TEC of the stored receivers (network ${c.network}), detrended per arc: ${s.detected} ` +
    `of ${s.pairs} receiver–satellite pairs over SNR ${s.snr_threshold}` + (s.detected ?
      `; first onset ${s.first_onset_min.toFixed(1)} min after the origin, largest ` +
      `${s.largest_amplitude_tecu.toFixed(2)} TECU.` : ".");
  document.getElementById("cid-fits").innerHTML =
    drawTravelTime(document.getElementById("travel"), c.picks, s.travel_time_fits);
  const n = s.null_at_fake_origins;
  document.getElementById("cid-null").textContent = typeof n === "string" ? n :
    `Noise alone: at ${n.fake_origins.length} fake origin times ${Math.min(...n.n_over)}–` +
    `${Math.max(...n.n_over)} pairs over the threshold, largest ` +
    `${Math.max(...n.max_amplitude_tecu).toFixed(2)} TECU.`;
  document.getElementById("cid-link").href = c.cid_page;
  section.hidden = false;
  document.body.dataset.cid = "drawn";
}
async function main() {
  const id = param("id");
  const e = await getJSON(`/api/events/${encodeURIComponent(id)}`);
  document.getElementById("title").textContent = `M${e.magnitude} ${e.place || ""} — ${e.time.slice(0, 19).replace("T", " ")} UTC`;
  document.getElementById("facts").textContent =
    `${e.event_id}: ${Math.abs(e.latitude).toFixed(3)}°${e.latitude >= 0 ? "N" : "S"} ` +
    `${Math.abs(e.longitude).toFixed(3)}°${e.longitude >= 0 ? "E" : "W"}, depth ${e.depth_km} km, ` +
    `${e.magnitude_type || ""}; preparation zone radius ${dobrovolskyKm(e.magnitude).toFixed(0)} km`;
  const cid = drawCid(e);
  try { await drawMaps(e); } finally { await cid; }
}
async function drawMaps(e) {
  const products = await getJSON("/api/maps");
  const when = utc(e.time), day = 86400e3;
  const p = products.find(p => Date.parse(p.first_day) <= when + 10 * day && Date.parse(p.last_day) + day >= when - 30 * day);
  const note = document.getElementById("chart-note");
  if (!p) {
    document.getElementById("map-panels").hidden = true;
    note.textContent = "No stored maps cover this event's −30 … +10 day window.";
    return;
  }
  const start = new Date(Math.max(when - 30 * day, Date.parse(p.first_day))).toISOString().slice(0, 19);
  const end = new Date(Math.min(when + 10 * day, Date.parse(p.last_day) + day)).toISOString().slice(0, 19);
  const span = [utc(start), utc(end)], product = encodeURIComponent(p.product);
  const at = (lat, lon) => `lat=${lat}&lon=${lon}&start=${start}&end=${end}`;
  const [s, b] = await Promise.all([getJSON(`/api/maps/${product}/series?${at(e.latitude, e.longitude)}`),
                                    getJSON(`/api/maps/${product}/anomalies?${at(e.latitude, e.longitude)}`)]);
  const drawn = drawSeries(document.getElementById("chart"), s, b, span, when);
  let cs = null, cb = null;
  try {
    const c = await getJSON(`/api/conjugate?lat=${e.latitude}&lon=${e.longitude}&date=${e.time.slice(0, 10)}`);
    document.getElementById("conjugate-title").textContent =
      `TEC at the magnetically conjugate point, ${Math.abs(c.conjugate_lat).toFixed(2)}°${c.conjugate_lat >= 0 ? "N" : "S"} ` +
      `${Math.abs(c.conjugate_lon).toFixed(2)}°${c.conjugate_lon >= 0 ? "E" : "W"} (${c.method})`;
    [cs, cb] = await Promise.all([getJSON(`/api/maps/${product}/series?${at(c.conjugate_lat, c.conjugate_lon)}`),
                                  getJSON(`/api/maps/${product}/anomalies?${at(c.conjugate_lat, c.conjugate_lon)}`)]);
    drawSeries(document.getElementById("conjugate"), cs, cb, span, when);
  } catch (err) {
    document.getElementById("conjugate-title").textContent = `No conjugate point: ${err.message}`;
  }
  let kp = [];
  try { kp = await allIndices(start, end); } catch (err) { kp = []; }
  drawKp(document.getElementById("kp"), kp, span, when);
  downloads(e, s, b, cs, cb, kp);
  document.body.dataset.chart = drawn ? "drawn" : "empty";
  const flagged = b.positive.filter(Boolean).length + b.negative.filter(Boolean).length;
  note.textContent = `${p.product} maps, hourly, rotation-aware interpolation. Shaded: 15-day running-median ` +
    `band (${b.method}); dots: the ${flagged} map epochs outside it at the epicentre (red above, purple below); ` +
    `dashed red line: the event. Kp bars red above 3 (geomagnetically disturbed: anomalies then are not ` +
    `attributed to the earthquake)` + (kp.length ? "." : "; no Kp stored for this span.") +
    " About 39 % of epochs fall outside such a band by chance.";
}
main().catch(err => { document.getElementById("chart-note").textContent = String(err); });
