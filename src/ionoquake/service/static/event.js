// The event page: facts and the TEC series at the epicentre around the event time.
"use strict";
function drawSeries(canvas, times, values, eventTime, bands) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, pad = 40;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const t = times.map(s => utc(s)), ok = values.filter(v => v !== null);
  if (!ok.length) return false;
  const upper = bands ? bands.upper.filter(v => v !== null) : [];
  const t0 = Math.min(...t), t1 = Math.max(...t), lo = Math.min(0, ...ok), hi = Math.max(...ok, ...upper);
  const x = v => pad + (v - t0) / (t1 - t0 || 1) * (W - 2 * pad);
  const y = v => H - pad - (v - lo) / (hi - lo || 1) * (H - 2 * pad);
  ctx.strokeStyle = "#888"; ctx.strokeRect(pad, pad, W - 2 * pad, H - 2 * pad);
  ctx.fillStyle = "#333"; ctx.font = "12px sans-serif";
  ctx.fillText(`${hi.toFixed(0)} TECU`, 2, pad + 4); ctx.fillText(`${lo.toFixed(0)}`, 2, H - pad);
  ctx.textAlign = "center";
  for (let d = Math.ceil(t0 / 864e5) * 864e5; d <= t1; d += 5 * 864e5) {
    ctx.fillText(new Date(d).toISOString().slice(0, 10), x(d), H - pad + 16);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(x(d), pad); ctx.lineTo(x(d), H - pad); ctx.stroke();
  }
  ctx.textAlign = "start";
  if (bands) {  // the running-median band, and the background itself
    ctx.fillStyle = "rgba(31, 95, 168, 0.18)";
    bands.time.forEach((s, i) => {
      if (bands.lower[i] === null || bands.upper[i] === null) return;
      const x0 = x(utc(s)), w = Math.max(2, (W - 2 * pad) / bands.time.length);
      ctx.fillRect(x0 - w / 2, y(bands.upper[i]), w, y(bands.lower[i]) - y(bands.upper[i]));
    });
  }
  ctx.strokeStyle = "#1f5fa8"; ctx.lineWidth = 1; ctx.beginPath();
  let pen = false;
  t.forEach((tv, i) => {
    if (values[i] === null) { pen = false; return; }
    pen ? ctx.lineTo(x(tv), y(values[i])) : ctx.moveTo(x(tv), y(values[i])); pen = true;
  });
  ctx.stroke();
  if (bands) {  // anomalous map epochs: red above the band, purple below
    bands.time.forEach((s, i) => {
      if (!bands.positive[i] && !bands.negative[i]) return;
      ctx.fillStyle = bands.positive[i] ? "#d62728" : "#7b3294";
      ctx.beginPath(); ctx.arc(x(utc(s)), y(bands.tec[i]), 2.5, 0, 2 * Math.PI); ctx.fill();
    });
  }
  const te = utc(eventTime);
  if (te >= t0 && te <= t1) {
    ctx.strokeStyle = "#c00"; ctx.setLineDash([5, 4]); ctx.beginPath();
    ctx.moveTo(x(te), pad); ctx.lineTo(x(te), H - pad); ctx.stroke(); ctx.setLineDash([]);
  }
  return true;
}
async function main() {
  const id = param("id");
  const e = await getJSON(`/api/events/${encodeURIComponent(id)}`);
  document.getElementById("title").textContent = `M${e.magnitude} ${e.place || ""} — ${e.time.slice(0, 19)} UTC`;
  document.getElementById("facts").textContent =
    `${e.event_id}: ${e.latitude.toFixed(3)}°N ${e.longitude.toFixed(3)}°E, depth ${e.depth_km} km, ` +
    `${e.magnitude_type || ""}; preparation zone radius ${dobrovolskyKm(e.magnitude).toFixed(0)} km`;
  const products = await getJSON("/api/maps");
  const when = utc(e.time), day = 86400e3;
  const p = products.find(p => Date.parse(p.first_day) <= when + 10 * day && Date.parse(p.last_day) + day >= when - 30 * day);
  const note = document.getElementById("chart-note");
  if (!p) { note.textContent = "No stored maps cover this event's −30 … +10 day window."; return; }
  const start = new Date(Math.max(when - 30 * day, Date.parse(p.first_day))).toISOString().slice(0, 19);
  const end = new Date(Math.min(when + 10 * day, Date.parse(p.last_day) + day)).toISOString().slice(0, 19);
  const query = `lat=${e.latitude}&lon=${e.longitude}&start=${start}&end=${end}`;
  const s = await getJSON(`/api/maps/${encodeURIComponent(p.product)}/series?${query}`);
  const b = await getJSON(`/api/maps/${encodeURIComponent(p.product)}/anomalies?${query}`);
  const drawn = drawSeries(document.getElementById("chart"), s.time, s.tec, e.time.slice(0, 19), b);
  document.body.dataset.chart = drawn ? "drawn" : "empty";
  const flagged = b.positive.filter(Boolean).length + b.negative.filter(Boolean).length;
  note.textContent = `${p.product} maps, hourly, rotation-aware interpolation. Shaded: 15-day running-median ` +
    `band (${b.method}); dots: the ${flagged} map epochs outside it (red above, purple below); ` +
    `dashed red line: the event. About 39 % of epochs fall outside such a band by chance.`;
}
main().catch(err => { document.getElementById("chart-note").textContent = String(err); });
