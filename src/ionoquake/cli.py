"""The ``ionoquake`` command. Thin: it parses options and calls the pipeline stages.

Every error that ionoquake raises on bad input (:class:`IonoquakeError`) is
printed as one line on standard error and the command exits with status 2.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from ionoquake.errors import IonoquakeError

app = typer.Typer(
    name="ionoquake",
    help=(
        "Ionospheric observations from space turned into earthquake forecasts, scored honestly.\n\n"
        "Start with `ionoquake demo` (offline, bundled real data), then `ionoquake ingest FILES` "
        "to build your own archive and `ionoquake info` to see what it holds."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fetch_app = typer.Typer(
    help="Download products from their public archives into a local cache (needs network).",
    no_args_is_help=True,
)
app.add_typer(fetch_app, name="fetch")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Archive folder [default: $IONOQUAKE_STORE or ~/.local/share/ionoquake].",
        show_default=False,
    ),
]


StartOption = Annotated[str, typer.Option(help="First day, YYYY-MM-DD.", show_default=False)]
EndOption = Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD [default: start].")]
CacheOption = Annotated[Path | None, typer.Option(
    help="Download folder [default: <store>/cache].")]
NoIngestOption = Annotated[bool, typer.Option(
    "--no-ingest", help="Only download; do not ingest into the archive.")]


def one_line_errors(func: F) -> F:
    """Turn IonoquakeError (and Ctrl-C) into one readable line and exit status 2 (130)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except IonoquakeError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing half-written was kept, run again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def store_or_default(store: Path | None) -> Path:
    from ionoquake.store.location import default_store

    return store if store is not None else default_store()


# Each command is a few lines that call a stage; sections below, one per kind of data.

# --- sources / store ------------------------------------------------------------------


@app.command()
@one_line_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(
        help="IONEX maps (.INX, .YYi), CDAWeb GIM CDF, space-weather index files (CelesTrak "
             "SW, GFZ Kp, Kyoto Dst, IRI apf107, OMNI) or earthquake catalogues (ComCat CSV, "
             "ISC-GEM, Centennial, NOAA, QuakeML, FDSN text); plain, .gz or .Z.",
        show_default=False)],
    store: StoreOption = None,
    product: Annotated[str | None, typer.Option(
        help="Store maps under this product name instead of the one from the file name.")] = None,
    catalog_name: Annotated[str, typer.Option(
        "--catalog", help="The catalogue table earthquake files go to.")] = "events",
) -> None:
    """Ingest files into the local archive (idempotent: re-ingesting changes nothing)."""
    from ionoquake.report.progress import progress_bar
    from ionoquake.store import maps
    from ionoquake.store.ingest import ingest_path

    root = store_or_default(store)
    maps.clean(root)
    counts = {"added": 0, "unchanged": 0, "replaced": 0}
    with progress_bar("ingesting", total=len(files)) as advance:
        for path in files:
            result = ingest_path(root, path, product=product, catalog_name=catalog_name)
            counts[result.status] += 1
            advance()
    out.print(f"{len(files)} files: {counts['added']} added, {counts['replaced']} replaced, "
              f"{counts['unchanged']} unchanged -> {root}")


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
        out.print(describe_file(path))
    else:
        out.print(describe_store(store_or_default(store)))


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

    first, last = parse_day(start, "--start"), parse_day(end or start, "--end")
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


def parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise IonoquakeError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


@app.command()
@one_line_errors
def demo(
    output: Annotated[Path, typer.Option(help="Folder for the archive, figures and report.")] = (
        Path("demo-output")),
) -> None:
    """Run the pipeline offline on the real data bundled with ionoquake."""
    from ionoquake.report.demo import run_demo

    run_demo(output, out)

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
    window_days: Annotated[float, typer.Option(help="Days per request.")] = 30.0,
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

    first, last = parse_day(start, "--start"), parse_day(end or start, "--end")
    begin = dt.datetime.combine(first, dt.time())
    stop = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1)
    if format not in ("csv", "text", "quakeml"):
        raise IonoquakeError(f"--format {format!r}: use csv, text or quakeml")
    root = store_or_default(store)
    windows = fdsn.time_windows(begin, stop, window_days)
    with progress_bar("fetching events", total=len(windows)) as advance:
        paths = fdsn.fetch(begin, stop, cache or root / "cache" / "catalog", url=url,
                           format=format,  # type: ignore[arg-type]
                           min_magnitude=min_magnitude, window_days=window_days,
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

    first, last = parse_day(start, "--start"), parse_day(end or start, "--end")
    root = store_or_default(store)
    got = indices_fetch.fetch(first, last, cache or root / "cache", source=source,
                              base_url=base_url, refresh=refresh)
    have = [f.path for f in got if f.path is not None]
    missing = [f.url.rsplit("/", 1)[-1] for f in got if f.path is None]
    if have and not no_ingest:
        ingest_indices(root, have)
    out.print(f"{len(have)} files ({sum(f.status == 'downloaded' for f in got)} downloaded)"
              + (f"; not on the server: {', '.join(missing)}" if missing else ""))


# --- detection ----------------------------------------------------------------------------

MapFiles = Annotated[list[Path] | None, typer.Argument(
    help="IONEX/CDF map files; without them, the maps of --product in the archive.",
    show_default=False)]
ProductOption = Annotated[str | None, typer.Option(
    help="Archive product (codg, jplg, ...) [default: the only one stored].")]
WindowOption = Annotated[int, typer.Option(
    "--window-days", min=3, max=60, help="Background window N (days before each epoch).")]
FormOption = Annotated[str, typer.Option(
    help="Bound form: quartile (Liu et al. 2004, asymmetric), iqr (M ± k·IQR) or sigma.")]
KOption = Annotated[float | None, typer.Option(
    "-k", help="Bound factor [default: 1.5 for quartile/iqr, 2 for sigma].")]
IndicesOption = Annotated[Path | None, typer.Option(
    help="Space-weather index file for the quiet/disturbed mask [default: the archive's].")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for NetCDF, CSV and PNG outputs.")]


def _load_maps(files: list[Path] | None, store: Path, product: str | None,
               start: str | None, end: str | None) -> Any:
    from ionoquake.sources.gim import read_days
    from ionoquake.store import maps

    if files:
        ds = read_days(files)
        return ds.sel(time=slice(start, end)) if start or end else ds
    stored = maps.products(store)
    if product is None:
        if len(stored) != 1:
            raise IonoquakeError(f"{store}: choose --product among: {', '.join(stored) or 'none'}")
        product = stored[0]
    return maps.open_maps(store, product, start=start, end=end)


def _load_indices(path: Path | None, store: Path) -> Any:
    from ionoquake.sources import indices
    from ionoquake.store.indices import read_indices, stored_sources

    if path is not None:
        return indices.read(path)
    return read_indices(store) if stored_sources(store) else None


def _detect_settings(window_days: int, form: str, k: float | None,
                     table: Any) -> tuple[Any, Any]:
    from ionoquake.detect.background import BackgroundConfig
    from ionoquake.detect.quiet import QuietRules

    if form not in ("quartile", "iqr", "sigma"):
        raise IonoquakeError(f"--form {form!r}: use quartile, iqr or sigma")
    config = BackgroundConfig(window_days=window_days, form=form, k=k)  # type: ignore[arg-type]
    no_dst = table is None or "dst_nT" not in table or table["dst_nT"].isna().all()
    return config, QuietRules(dst_min_nT=None) if no_dst else QuietRules()


@app.command()
@one_line_errors
def detect(
    files: MapFiles = None,
    store: StoreOption = None,
    product: ProductOption = None,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    window_days: WindowOption = 15,
    form: FormOption = "quartile",
    k: KOption = None,
    indices: IndicesOption = None,
    output: OutOption = Path("detect-output"),
) -> None:
    """Running-median backgrounds, anomalies and space-time clusters on the maps."""
    from ionoquake.detect.run import detect_to_files

    root = store_or_default(store)
    ds = _load_maps(files, root, product, start, end)
    table = _load_indices(indices, root)
    config, rules = _detect_settings(window_days, form, k, table)
    result = detect_to_files(ds, output, config=config, indices=table, rules=rules)
    s = result.summary
    out.print(
        f"{s['epochs']} epochs ({s['epochs_with_background']} with a background): "
        f"{s['positive_cells']} positive and {s['negative_cells']} negative anomalous cells "
        f"in {s['clusters']} clusters -> {result.netcdf}, {result.table}")


@app.command()
@one_line_errors
def event(
    event_id: Annotated[str | None, typer.Argument(
        help="An event of the archive's catalogue (e.g. usp000a7m5).")] = None,
    time: Annotated[str | None, typer.Option(help="Origin time (UTC, ISO 8601).")] = None,
    lat: Annotated[float | None, typer.Option(min=-90, max=90, help="Epicentre °N.")] = None,
    lon: Annotated[float | None, typer.Option(min=-180, max=180, help="Epicentre °E.")] = None,
    mag: Annotated[float | None, typer.Option(min=-3, max=10, help="Magnitude.")] = None,
    files: Annotated[list[Path] | None, typer.Option(
        "--maps", help="Map files [default: the archive's].")] = None,
    store: StoreOption = None,
    product: ProductOption = None,
    window_days: WindowOption = 15,
    form: FormOption = "quartile",
    k: KOption = None,
    indices: IndicesOption = None,
    output: OutOption = Path("event-output"),
) -> None:
    """One earthquake: TEC at the epicentre and its conjugate point, zone anomalies, day table."""
    import numpy as np

    from ionoquake.detect.event import Earthquake
    from ionoquake.detect.run import event_to_files

    root = store_or_default(store)
    if event_id is not None:
        from ionoquake.store.catalogs import read_catalog

        cat = read_catalog(root)
        row = cat[cat["event_id"] == event_id]
        if row.empty:
            raise IonoquakeError(f"no event {event_id!r} in the archive's catalogue")
        r = row.iloc[0]
        quake = Earthquake(np.datetime64(r["time"], "ns"), float(r["latitude"]),
                           float(r["longitude"]), float(r["magnitude"]),
                           str(r.get("place", "") or ""), event_id)
    elif None in (time, lat, lon, mag):
        raise IonoquakeError("give an EVENT_ID of the archive's catalogue, or --time, --lat, "
                             "--lon and --mag")
    else:
        try:
            when = np.datetime64(str(time).rstrip("Z"), "ns")
        except ValueError:
            raise IonoquakeError(f"--time {time!r} is not an ISO 8601 time") from None
        quake = Earthquake(when, float(lat), float(lon), float(mag))  # type: ignore[arg-type]
    t = quake.time.astype("datetime64[D]")
    ds = _load_maps(files, root, product, str(t - 30 - window_days), str(t + 11))
    table = _load_indices(indices, root)
    config, rules = _detect_settings(window_days, form, k, table)
    result = event_to_files(ds, quake, output, config=config, indices=table, rules=rules)
    s = result.summary
    out.print(
        f"{quake.name or quake.event_id or 'event'} M{quake.magnitude}: epicentre anomalous on "
        f"{s['days_with_epicentre_anomaly']} of {s['days_before']} days before; "
        f"outputs in {output}")


# --- service ----------------------------------------------------------------------------


@app.command()
@one_line_errors
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API and the dashboard (needs the `api` extra)."""
    try:
        import uvicorn

        from ionoquake.service.api import Settings, create_app
    except ImportError:
        raise IonoquakeError("the API needs the api extra: pip install 'ionoquake[api]'") from None
    from ionoquake.store.sync import sync_database

    settings = Settings.from_env(store_or_default(store))
    app_ = create_app(settings)
    from ionoquake.store import database

    sync_database(settings.store, database.connect(settings.database_url))
    out.print(f"serving {settings.store} on http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
