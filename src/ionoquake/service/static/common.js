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
