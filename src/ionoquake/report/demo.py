"""The main job on the real data bundled with ionoquake (``ionoquake demo``).

Offline: it reads only ``data/`` of the repository. Today it ingests the 55-day
JPL GIM series around the 2001-01-13 El Salvador M7.7 earthquake, summarises the
archive, and draws the maps and the TEC series at the epicentre; later stages of
the pipeline (storm masks, detection, passes, forecasts, evaluation) join as
they land. Re-running it is idempotent: the archive is not written again.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from rich.console import Console

from ionoquake.errors import IonoquakeError
from ionoquake.report.figures import save, tec_map
from ionoquake.report.progress import progress_bar
from ionoquake.report.summary import describe_maps
from ionoquake.sources.gim import tec_at
from ionoquake.store import maps


# USGS ComCat event usp000a7m5: 2001-01-13 17:33:32 UTC, 13.049N 88.660W, 60 km, Mw 7.7.
@dataclass(frozen=True)
class Quake:
    time: np.datetime64
    lat: float
    lon: float
    magnitude: float
    name: str


EL_SALVADOR = Quake(np.datetime64("2001-01-13T17:33:32"), 13.049, -88.660, 7.7, "El Salvador M7.7")


def bundled_data_dir() -> Path:
    """The repository's ``data/`` folder (or ``$IONOQUAKE_DATA``)."""
    if env := os.environ.get("IONOQUAKE_DATA"):
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "ionex").is_dir():
            return parent / "data"
    raise IonoquakeError("bundled data not found: run from a clone of the repository "
                         "or set IONOQUAKE_DATA to its data/ folder")


def run_demo(output: Path, console: Console) -> Path:
    """Run the demo into ``output``; return the path of the HTML report."""
    data = bundled_data_dir()
    files = sorted((data / "ionex" / "jpl_2000326-2001014").glob("jplg*.gz"))
    if not files:
        raise IonoquakeError(f"{data}/ionex/jpl_2000326-2001014: no JPL GIM files")
    store = output / "store"
    maps.clean(store)
    added = 0
    with progress_bar("ingest GIMs", total=len(files)) as advance:
        for path in files:
            added += maps.ingest_file(store, path).status != "unchanged"
            advance()
    console.print(f"archive {store}: {added} days written, {len(files) - added} already there")
    ds = maps.open_maps(store, "jplg")
    console.print(describe_maps(ds))

    eq = EL_SALVADOR
    figures = output / "figures"
    fig = tec_map(ds, eq.time, marks=[(eq.lat, eq.lon, eq.name)],
                  circles=[(eq.lat, eq.lon, 10 ** (0.43 * eq.magnitude))],
                  title=f"JPL GIM nearest the {eq.name} earthquake, "
                        f"{np.datetime_as_string(eq.time, 'm')} UTC "
                        "(dashed: Dobrovolsky radius)")
    map_png = save(fig, figures / "tec_map_el_salvador.png")

    hourly = np.arange(ds.time.values[0], ds.time.values[-1], np.timedelta64(1, "h"))
    at_epi = tec_at(ds, hourly, eq.lat, eq.lon)
    weights = xr.DataArray(np.cos(np.deg2rad(ds["lat"].values)), dims="lat")
    global_mean = ds["tec"].weighted(weights).mean(("lat", "lon"))
    fig, ax = plt.subplots(figsize=(11, 4), layout="constrained")
    ax.plot(hourly, at_epi, lw=0.8, label=f"at the epicentre ({eq.lat}°N, {eq.lon}°E)")
    ax.plot(ds.time, global_mean, lw=0.8, label="global area-weighted mean")
    ax.axvline(eq.time.astype("datetime64[s]").item(), color="red", ls="--", lw=1, label=eq.name)
    ax.set_ylabel("TEC (TECU)")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("JPL GIM TEC, hourly, rotation-aware interpolation between 2-h maps")
    series_png = save(fig, figures / "tec_series_el_salvador.png")

    daily = pd.Series(at_epi, index=hourly).resample("1D").mean()
    report = output / "report.html"
    rows = "".join(f"<tr><td>{str(d)[:10]}</td><td>{v:.1f}</td></tr>" for d, v in daily.items())
    report.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>ionoquake demo</title></head><body style="font-family:sans-serif;max-width:1100px">
<h1>ionoquake demo: JPL GIMs around the 2001 El Salvador M7.7 earthquake</h1>
<pre>{html.escape(describe_maps(ds))}</pre>
<p>These figures show the data only; detection and its statistics are not part of this
report yet.</p>
<img src="figures/{map_png.name}" width="100%"><img src="figures/{series_png.name}" width="100%">
<h2>Daily mean TEC at the epicentre (TECU)</h2><table border="1">{rows}</table>
</body></html>""")
    console.print(f"report {report}")
    return report
