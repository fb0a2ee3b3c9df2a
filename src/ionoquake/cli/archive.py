"""Archive commands: ingest files, describe them, fetch from the public archives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ionoquake.cli import (
    CacheOption,
    EndOption,
    NoIngestOption,
    SchedulerOption,
    StartOption,
    StoreOption,
    WorkersOption,
    app,
    err,
    fetch_app,
    one_line_errors,
    out,
    parse_span,
    product_name,
    store_or_default,
)
from ionoquake.errors import IonoquakeError


@app.command()
@one_line_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(
        help="IONEX maps (.INX, .YYi), CDAWeb GIM CDF, space-weather index files (CelesTrak "
             "SW, GFZ Kp, Kyoto Dst, IRI apf107, OMNI) or earthquake catalogues (ComCat CSV, "
             "ISC-GEM, Centennial, NOAA, QuakeML, FDSN text) or two-line element sets "
             "(CelesTrak/Space-Track TLE); plain, .gz or .Z.",
        show_default=False)],
    store: StoreOption = None,
    product: Annotated[str | None, typer.Option(
        callback=product_name,
        help="Store maps under this product name instead of the one from the file name.")] = None,
    catalog_name: Annotated[str, typer.Option(
        "--catalog", help="The catalogue table earthquake files go to.")] = "events",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Ingest files into the local archive (idempotent: re-ingesting changes nothing).

    One line per file says what was kept or why it was refused; a bad file does not
    stop the others, and the exit status is 2 if any file was refused.
    """
    from ionoquake.report.progress import progress_bar
    from ionoquake.scale.cluster import dask_client, describe
    from ionoquake.store import maps
    from ionoquake.store.ingest import ingest_paths

    root = store_or_default(store)
    maps.clean(root)
    counts = {"added": 0, "unchanged": 0, "replaced": 0, "refused": 0}
    with dask_client(scheduler, workers) as client:
        if client is not None:
            from ionoquake.scale.cluster import task_progress
            from ionoquake.scale.ingest import ingest_on

            out.print(describe(client))
            with task_progress("ingesting") as bar:
                results = ingest_on(client, root, files, product=product,
                                    catalog_name=catalog_name, progress=bar, keep_going=True)
        else:
            with progress_bar("ingesting", total=len(files)) as advance:
                results = ingest_paths(root, files, product=product, catalog_name=catalog_name,
                                       advance=advance, keep_going=True)
    for result in results:
        counts[result.status] += 1
        if result.status == "refused":
            err.print(f"[bold red]error:[/] {result.detail}", markup=True, highlight=False)
        else:
            out.print(f"{result.status:9} {result.path}: {result.kind} {result.detail}",
                      markup=False, highlight=False)
    refused = f", {counts['refused']} refused" if counts["refused"] else ""
    out.print(f"{len(files)} files: {counts['added']} added, {counts['replaced']} replaced, "
              f"{counts['unchanged']} unchanged{refused} -> {root}")
    if counts["refused"]:
        raise typer.Exit(2)


@app.command()
@one_line_errors
def info(
    path: Annotated[Path | None, typer.Argument(
        help="A data file to describe; without it, describe the archive.")] = None,
    store: StoreOption = None,
) -> None:
    """Describe a data file, or what the archive holds (products, days, gaps)."""
    from ionoquake.report.summary import describe_file, describe_store

    if path is not None:
        out.print(describe_file(path), markup=False)
    else:
        out.print(describe_store(store_or_default(store)), markup=False)


@app.command()
@one_line_errors
def export(
    product: Annotated[str, typer.Argument(
        callback=product_name, help="Stored product (codg, jplg, ...).", show_default=False)],
    start: StartOption,
    end: EndOption = None,
    to: Annotated[str, typer.Option(
        "--format", help="ionex (one file per day, with its DCB block) or netcdf (one CF-1.8 "
                         "file for GIS tools: GDAL cannot open the Zarr archive).")] = "ionex",
    output: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("export"),
    store: StoreOption = None,
) -> None:
    """Write stored maps out: IONEX files as the centres publish them, or one NetCDF file."""
    import numpy as np

    from ionoquake.sources import ionex_write
    from ionoquake.store import maps

    first, last = parse_span(start, end)
    root = store_or_default(store)
    if to not in ("ionex", "netcdf"):
        raise IonoquakeError(f"--format {to!r}: use ionex or netcdf")
    if to == "netcdf":
        path = maps.export_netcdf(root, product, str(first), str(last),
                                  output / f"{product}_{first}_{last}.nc")
        out.print(f"{path}")
        return
    days = [d for d in maps.stored_days(root, product)
            if np.datetime64(first) <= d <= np.datetime64(last)]
    if not days:
        raise IonoquakeError(f"{root}: no {product} maps from {first} to {last}")
    for day in days:
        ds = maps.open_day(root, product, day)
        doy = (day - day.astype("datetime64[Y]")).astype(int) + 1
        year = str(day)[2:4]
        path = ionex_write.write(ds, output / f"{product}{doy:03d}0.{year}i",
                                 aux_data=ds.attrs.get("aux_data"))
        out.print(f"{path}")


@fetch_app.command("gim")
@one_line_errors
def fetch_gim(
    start: StartOption,
    end: EndOption = None,
    producer: Annotated[str, typer.Option(
        help="code, igs, jpl, esa, upc or cas.")] = "code",
    cache: CacheOption = None,
    base_url: Annotated[str | None, typer.Option(
        help="A mirror of the producer's archive.")] = None,
    store: StoreOption = None,
    no_ingest: NoIngestOption = False,
) -> None:
    """Download daily GIM files from the public archive (cached, resumable) and ingest them."""
    from ionoquake.report.progress import progress_bar
    from ionoquake.sources import ionex_fetch
    from ionoquake.store import maps

    first, last = parse_span(start, end)
    root = store_or_default(store)
    days = ionex_fetch.days_between(first, last)
    with progress_bar(f"fetching {producer}", total=len(days)) as advance:
        outcomes = ionex_fetch.fetch(first, last, cache or root / "cache", producer=producer,
                                     base_url=base_url, on_file=lambda _: advance())
    missing = [o for o in outcomes if o.status == "missing"]
    have = [o.path for o in outcomes if o.path is not None]
    if not no_ingest:
        for path in have:
            maps.ingest_file(root, path)
    out.print(f"{len(have)} files ({sum(o.status == 'downloaded' for o in outcomes)} downloaded)"
              + (f"; not on the server: {', '.join(str(o.day) for o in missing)}"
                 if missing else ""))



# --- earthquake catalogues ---------------------------------------------------------------


@fetch_app.command("catalog")
@one_line_errors
def fetch_catalog(
    start: StartOption,
    end: EndOption = None,
    min_magnitude: Annotated[float | None, typer.Option(help="Smallest magnitude.")] = 4.5,
    url: Annotated[str, typer.Option(help="Any FDSN event service.")] = (
        "https://earthquake.usgs.gov/fdsnws/event/1/"),
    format: Annotated[str, typer.Option(help="csv (USGS), text or quakeml.")] = "csv",
    request_days: Annotated[float, typer.Option(help="Days per request.")] = 30.0,
    name: Annotated[str, typer.Option(help="The catalogue table to store into.")] = "events",
    cache: CacheOption = None,
    store: StoreOption = None,
    no_ingest: NoIngestOption = False,
) -> None:
    """Download an earthquake catalogue from an FDSN event service (paged, cached)."""
    from ionoquake.report.progress import progress_bar
    from ionoquake.sources import fdsn
    from ionoquake.store.catalogs import ingest_catalog
    from ionoquake.store.provenance import file_record

    first, last = parse_span(start, end)
    begin = dt.datetime.combine(first, dt.time())
    stop = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1)
    if format not in ("csv", "text", "quakeml"):
        raise IonoquakeError(f"--format {format!r}: use csv, text or quakeml")
    root = store_or_default(store)
    windows = fdsn.time_windows(begin, stop, request_days)
    with progress_bar("fetching events", total=len(windows)) as advance:
        paths = fdsn.fetch(begin, stop, cache or root / "cache" / "catalog", url=url,
                           format=format,  # type: ignore[arg-type]
                           min_magnitude=min_magnitude, request_days=request_days,
                           on_window=lambda _: advance())
    table = fdsn.read_windows(paths, format=format)  # type: ignore[arg-type]
    if no_ingest:
        out.print(f"{len(table)} events in {len(paths)} windows")
        return
    result = ingest_catalog(root, table, [file_record(p, url=url) for p in paths
                                          if p.stat().st_size], name=name)
    out.print(f"{len(table)} events in {len(paths)} windows; {result.rows_added} new, "
              f"{result.rows_total} in catalogue {name!r}")

# --- space-weather indices --------------------------------------------------------------


@fetch_app.command("indices")
@one_line_errors
def fetch_indices(
    start: StartOption,
    end: EndOption = None,
    source: Annotated[str, typer.Option(
        help="gfz (Kp/ap/Ap/SN/F10.7 since 1932), gfz-nowcast, celestrak (SW-All) or "
             "kyoto (hourly Dst).")] = "gfz",
    cache: CacheOption = None,
    base_url: Annotated[str | None, typer.Option(help="A mirror of the source.")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Download again what is cached (not final Kyoto months).")] = False,
    store: StoreOption = None,
    no_ingest: NoIngestOption = False,
) -> None:
    """Download space-weather indices (cached) and ingest them into the archive."""
    from ionoquake.sources import indices_fetch
    from ionoquake.store.indices import ingest_indices

    first, last = parse_span(start, end)
    root = store_or_default(store)
    got = indices_fetch.fetch(first, last, cache or root / "cache", source=source,
                              base_url=base_url, refresh=refresh)
    have = [f.path for f in got if f.path is not None]
    missing = [f.url.rsplit("/", 1)[-1] for f in got if f.path is None]
    if have and not no_ingest:
        ingest_indices(root, have)
    out.print(f"{len(have)} files ({sum(f.status == 'downloaded' for f in got)} downloaded)"
              + (f"; not on the server: {', '.join(missing)}" if missing else ""))

