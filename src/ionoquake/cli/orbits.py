"""Orbit commands: current TLEs from CelesTrak, and passes of satellites over zones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from ionoquake.cli import (
    CacheOption,
    EndOption,
    NoIngestOption,
    StartOption,
    StoreOption,
    app,
    fetch_app,
    one_line_errors,
    out,
    parse_span,
    store_or_default,
)
from ionoquake.errors import IonoquakeError

OutOption = Annotated[Path, typer.Option("--out", help="Folder for NetCDF, CSV and PNG outputs.")]


@fetch_app.command("tle")
@one_line_errors
def fetch_tle(
    norad: Annotated[list[int] | None, typer.Option(
        help="NORAD catalogue number(s), e.g. 43194 (CSES) 39452 (Swarm A).")] = None,
    group: Annotated[list[str] | None, typer.Option(
        help="CelesTrak group(s), e.g. science, active.")] = None,
    cache: CacheOption = None,
    base_url: Annotated[str | None, typer.Option(help="A mirror of CelesTrak's gp.php.")] = None,
    store: StoreOption = None,
    no_ingest: NoIngestOption = False,
) -> None:
    """Download current TLEs from CelesTrak (cached per UTC day) and store them."""
    from ionoquake.sources import tle, tle_fetch
    from ionoquake.store.tles import ingest_tle_files

    if not norad and not group:
        raise IonoquakeError("give --norad and/or --group")
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    root = store_or_default(store)
    paths = tle_fetch.fetch(norad_ids=norad or (), groups=group or (),
                            cache_dir=cache or root / "cache" / "tle", **kwargs)
    sets = tle.read(paths)
    out.print(f"{len(sets)} element sets of {sets['norad_id'].nunique()} satellites in "
              f"{len(paths)} files: {', '.join(str(p) for p in paths)}")
    if not no_ingest:
        written = ingest_tle_files(root, paths)
        out.print(f"stored in {root} ({'new sets added' if written.changed else 'unchanged'})")


@app.command()
@one_line_errors
def passes(
    tle_files: Annotated[list[Path], typer.Argument(help="TLE files.", show_default=False)],
    start: StartOption,
    end: EndOption = None,
    norad: Annotated[list[int] | None, typer.Option(help="Satellites to use.")] = None,
    catalog: Annotated[Path | None, typer.Option(
        help="Zones: Dobrovolsky zones of the events of this catalogue file.")] = None,
    min_magnitude: Annotated[float, typer.Option(help="With --catalog.")] = 5.0,
    lat: Annotated[float | None, typer.Option(min=-90, max=90, help="One circular zone.")] = None,
    lon: Annotated[float | None, typer.Option(min=-180, max=180)] = None,
    radius_km: Annotated[float | None, typer.Option(min=1, max=20000)] = None,
    output: OutOption = Path("passes-output"),
) -> None:
    """Passes of satellites over zones (entry, exit, closest approach, local time, asc/desc)."""
    import pandas as pd

    from ionoquake.orbits.zones import circle_zones, event_zones
    from ionoquake.pipeline.passes import run_passes
    from ionoquake.sources import catalog as catalogs

    first, last = parse_span(start, end)
    if catalog is not None:
        events = catalogs.read(catalog)
        events = events[(events["magnitude"] >= min_magnitude)
                        & (events["time"] >= pd.Timestamp(first) - pd.Timedelta(days=30))
                        & (events["time"] < pd.Timestamp(last) + pd.Timedelta(days=31))]
        zones = event_zones(events)
    elif lat is not None and lon is not None and radius_km is not None:
        zones = circle_zones([lat], [lon], [radius_km])
    else:
        raise IonoquakeError("give zones: --catalog FILE, or --lat, --lon and --radius-km")
    if len(zones) == 0:
        raise IonoquakeError("no zone: no event of the catalogue matches")
    written = run_passes(tle_files, zones, str(first), str(last + dt.timedelta(days=1)), output,
                         norad_ids=norad or ())
    n = sum(1 for _ in written["csv"].open()) - 1
    out.print(f"{n} passes over {len(zones)} zones -> {', '.join(map(str, written.values()))}")
