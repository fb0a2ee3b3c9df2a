// The forecasts page: latest forecasts and their evaluations.
"use strict";
function row(cells) { return `<tr>${cells.map(c => `<td>${c ?? "—"}</td>`).join("")}</tr>`; }
async function main() {
  const a = await getJSON("/api/alarms?limit=10000");
  document.querySelector("#alarms tbody").innerHTML = a.items.slice(-50).reverse()
    .map(x => row([x.issued.slice(0, 16), x.start.slice(0, 16), x.end.slice(0, 16),
                   `${x.lat.toFixed(1)}°N ${x.lon.toFixed(1)}°E`, x.radius_km.toFixed(0),
                   x.score?.toFixed?.(2), x.gain?.toFixed?.(1)])).join("") || row(["no alarms yet", "", "", "", "", "", ""]);
  const f = await getJSON("/api/forecasts?limit=100");
  document.querySelector("#forecasts tbody").innerHTML = f.items.reverse()
    .map(x => row([x.issue_time, x.kind, x.inputs_sha256.slice(0, 12)])).join("") || row(["no forecasts yet", "", ""]);
  const ev = await getJSON("/api/evaluations?limit=100");
  document.querySelector("#evaluations tbody").innerHTML = ev.items.reverse()
    .map(x => row([x.created_at, x.kind, x.statistic?.toFixed?.(3), x.p_value?.toFixed?.(3), x.result_json.slice(0, 120)])).join("")
    || row(["no evaluations yet", "", "", "", ""]);
}
main();
