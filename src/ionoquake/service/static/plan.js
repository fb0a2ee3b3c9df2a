// The plan page: /api/plan/timeline drawn as an SVG timeline, /api/plan/tasking as a table.
"use strict";

const ROW = 34, LEFT = 170, SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function drawTimeline(data, svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const t0 = utc(data.start), t1 = utc(data.end);
  const width = svg.clientWidth || 900;
  const x = (t) => LEFT + (width - LEFT - 10) * (utc(t) - t0) / (t1 - t0);
  const sats = [...new Set([...data.burst.map((b) => b.satellite),
                           ...data.contacts.map((c) => c.satellite)])];
  svg.setAttribute("height", String(ROW * sats.length + 30));
  sats.forEach((name, row) => {
    const y = 10 + row * ROW;
    const label = svgEl("text", {x: 4, y: y + 16, "font-size": 12});
    label.textContent = name;
    svg.appendChild(label);
    for (const b of data.burst.filter((s) => s.satellite === name)) {
      svg.appendChild(svgEl("rect", {x: x(b.start), y, height: 12,
        width: Math.max(x(b.end) - x(b.start), 1),
        fill: b.zone === "alarm" ? "#d62728" : "#ff7f0e"}));
    }
    for (const c of data.contacts.filter((s) => s.satellite === name)) {
      const r = svgEl("rect", {x: x(c.track_start), y: y + 14, height: 10,
        width: Math.max(x(c.track_end) - x(c.track_start), 1), fill: "#2ca02c"});
      const tip = svgEl("title", {});
      tip.textContent = `${c.station}: ${c.track_start} – ${c.track_end}, ` +
        `${c.max_elevation_deg.toFixed(1)}° max, ${c.downlink_mbit.toFixed(0)} Mbit`;
      r.appendChild(tip);
      svg.appendChild(r);
    }
  });
  for (let h = 0; h <= 24; h += 3) {
    const t = new Date(t0 + h * 3600e3).toISOString();
    const tick = svgEl("text", {x: x(t) - 8, y: 22 + sats.length * ROW, "font-size": 10});
    tick.textContent = `${String(h).padStart(2, "0")}h`;
    svg.appendChild(tick);
  }
}

async function plan(event) {
  if (event) event.preventDefault();
  const form = new FormData(document.getElementById("plan-form"));
  const ids = String(form.get("norad")).split(",").map((s) => s.trim()).filter(Boolean);
  const day = String(form.get("day"));
  const q = new URLSearchParams();
  ids.forEach((i) => q.append("norad_id", i));
  const start = `${day}T00:00:00Z`;
  const end = new Date(utc(start) + 86400e3).toISOString();
  q.set("start", start);
  q.set("end", end);
  const alarm = form.get("lat") !== "" && form.get("lon") !== "" && form.get("radius") !== "";
  if (alarm) {
    q.set("lat", form.get("lat"));
    q.set("lon", form.get("lon"));
    q.set("radius_km", form.get("radius"));
  }
  const status = document.getElementById("plan-status");
  status.textContent = "planning…";
  const resp = await fetch(`/api/plan/timeline?${q}`);
  const data = await resp.json();
  if (!resp.ok) { status.textContent = data.detail || resp.statusText; return; }
  status.textContent = `${data.contacts.length} contacts, ${data.burst.length} burst segments`;
  drawTimeline(data, document.getElementById("timeline"));
  const list = document.getElementById("plan-messages");
  list.replaceChildren(...data.messages.map((m) => {
    const li = document.createElement("li"); li.textContent = m; return li;
  }));
  const body = document.querySelector("#tasking tbody");
  body.replaceChildren();
  if (!alarm) return;
  const t = new URLSearchParams();
  ids.forEach((i) => t.append("norad_id", i));
  for (const k of ["lat", "lon"]) t.set(k, form.get(k));
  t.set("radius_km", form.get("radius"));
  t.set("issued", start);
  const tr = await fetch(`/api/plan/tasking?${t}`);
  if (!tr.ok) return;
  for (const p of (await tr.json()).passes) {
    const row = document.createElement("tr");
    for (const v of [p.satellite, p.closest_time, p.wait_h.toFixed(1), p.closest_km.toFixed(0),
                     p.local_mean_time_h.toFixed(1)]) {
      const td = document.createElement("td"); td.textContent = v; row.appendChild(td);
    }
    body.appendChild(row);
  }
}

document.getElementById("plan-form").addEventListener("submit", plan);
