"""Science commands: detection on maps and tracks, one event's analysis, evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ionoquake.cli import (
    SchedulerOption,
    StartOption,
    StoreOption,
    WorkersOption,
    app,
    err,
    one_line_errors,
    out,
    parse_day,
    parse_span,
    parse_time,
    product_name,
    store_or_default,
)
from ionoquake.errors import IonoquakeError

# --- detection ----------------------------------------------------------------------------

MapFiles = Annotated[list[Path] | None, typer.Argument(
    help="IONEX/CDF map files; without them, the maps of --product in the archive.",
    show_default=False)]
ProductOption = Annotated[str | None, typer.Option(
    callback=product_name,
    help="Archive product (codg, jplg, ...; long IGS names such as cod0opsfin are aliases) "
         "[default: the only one stored].")]
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
        product = _choose_product(store, stored, start, end)
    return maps.open_maps(store, product, start=start, end=end)


def _choose_product(store: Path, stored: list[str], start: str | None, end: str | None) -> str:
    """The one stored product, else the one with the most stored days in ``start..end``.

    A tie is a question for the user: the error lists each product's days in the span.
    """
    import numpy as np

    from ionoquake.store import maps

    if len(stored) == 1:
        return stored[0]
    if not stored:
        raise IonoquakeError(f"{store}: no maps in the archive (ingest some first)")
    first = np.datetime64(start or "1678-01-01", "D")
    last = np.datetime64(end or "2261-12-31", "D")
    days = {p: sum(first <= d <= last for d in maps.stored_days(store, p)) for p in stored}
    best = max(days.values())
    leaders = [p for p, n in days.items() if n == best]
    if best == 0 or len(leaders) > 1:
        counts = ", ".join(f"{p} ({n} days)" for p, n in days.items())
        raise IonoquakeError(f"{store}: choose --product; stored days from {first} to {last}: "
                             f"{counts}")
    err.print(f"--product {leaders[0]}: the stored product with the most days from {first} "
              f"to {last} ({best}; others: "
              + ", ".join(f"{p} {n}" for p, n in days.items() if p != leaders[0]) + ")")
    return leaders[0]


def _load_indices(path: Path | None, store: Path) -> Any:
    from ionoquake.sources import indices
    from ionoquake.store.indices import read_indices, stored_sources

    if path is not None:
        return indices.read(path)
    return read_indices(store) if stored_sources(store) else None


def _detect_settings(window_days: int, form: str, k: float | None,
                     table: Any) -> tuple[Any, Any]:
    from ionoquake.detect.background import BackgroundConfig
    from ionoquake.detect.quiet import rules_for

    if form not in ("quartile", "iqr", "sigma"):
        raise IonoquakeError(f"--form {form!r}: use quartile, iqr or sigma")
    config = BackgroundConfig(window_days=window_days, form=form, k=k)  # type: ignore[arg-type]
    return config, rules_for(table)


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
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Running-median backgrounds, anomalies and space-time clusters on the maps."""
    import numpy as np

    from ionoquake.detect.anomalies import detect_anomalies
    from ionoquake.detect.background import preceding_days
    from ionoquake.pipeline.detect import detect_to_files
    from ionoquake.scale.cluster import dask_client, describe, task_progress

    if start is not None:
        parse_span(start, end)
    elif end is not None:
        parse_day(end, "--end")
    root = store_or_default(store)
    ds = _load_maps(files, root, product, start, end)
    maps = ds
    if not files and start is not None:
        # the stored days before --start are the first epochs' background
        lead = np.datetime64(start, "D") - preceding_days(window_days)
        maps = _load_maps(None, root, str(ds.attrs["product"]), str(lead), end)
        before = int((maps.time.values < np.datetime64(start)).sum())
        if before:
            err.print(f"background from the {before} stored maps before --start {start}")
    table = _load_indices(indices, root)
    config, rules = _detect_settings(window_days, form, k, table)
    with dask_client(scheduler, workers) as client:
        anomalies = None
        if client is None:
            anomalies = detect_anomalies(maps, config, indices=table, rules=rules).sel(
                time=slice(ds.time.values[0], ds.time.values[-1]))
            if not bool(anomalies["dtec"].notnull().any().item()):
                raise IonoquakeError(
                    f"no epoch of {str(ds.time.values[0])[:10]} .. {str(ds.time.values[-1])[:10]}"
                    f" has a background: it needs {preceding_days(window_days)} days of maps "
                    f"before it (--window-days {window_days}); give a longer span or "
                    f"ingest earlier days")
        else:
            from ionoquake.scale.detect import detect_archive, open_anomalies

            if files:
                raise IonoquakeError("distributed detection runs on the archive: ingest the "
                                     "files, then give --product")
            out.print(describe(client))
            with task_progress("detect") as bar:
                run = detect_archive(root, str(ds.attrs["product"]), config, start=start,
                                     end=end, indices=table, rules=rules, client=client,
                                     on_progress=bar)
            anomalies = open_anomalies(run.output).sel(
                time=slice(ds.time.values[0], ds.time.values[-1])).load()
        result = detect_to_files(ds, output, config=config, indices=table, rules=rules,
                                 anomalies=anomalies)
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
    from ionoquake.pipeline.detect import event_to_files
    from ionoquake.quake import Earthquake

    root = store_or_default(store)
    if event_id is not None:
        from ionoquake.store.catalogs import find_stored_event

        quake = find_stored_event(root, event_id)
    elif None in (time, lat, lon, mag):
        raise IonoquakeError("give an EVENT_ID of the archive's catalogue, or --time, --lat, "
                             "--lon and --mag")
    else:
        quake = Earthquake(parse_time(str(time)), float(lat), float(lon),  # type: ignore[arg-type]
                           float(mag))  # type: ignore[arg-type]
    t = quake.time.astype("datetime64[D]")
    from ionoquake.detect.background import preceding_days

    ds = _load_maps(files, root, product, str(t - 30 - preceding_days(window_days)),
                    str(t + 11))
    table = _load_indices(indices, root)
    config, rules = _detect_settings(window_days, form, k, table)
    result = event_to_files(ds, quake, output, config=config, indices=table, rules=rules)
    s = result.summary
    out.print(
        f"{quake.name or quake.event_id or 'event'} M{quake.magnitude}: epicentre anomalous on "
        f"{s['days_with_epicentre_anomaly']} of {s['days_before']} days before; "
        f"outputs in {output}")


@app.command()
@one_line_errors
def track(
    files: Annotated[list[Path], typer.Argument(
        help="In-situ files: CSES Level-2 HDF5 or Swarm Level-1b CDF.", show_default=False)],
    variable: Annotated[str, typer.Option(help="Variable to scan (e.g. ne, b_total, f).")],
    k: Annotated[float, typer.Option("-k", min=0.5, max=10, help="Threshold in RMS units.")] = 2.5,
    window_deg: Annotated[float, typer.Option(min=1, max=40,
                                              help="Moving window (° latitude).")] = 7.0,
    criterion: Annotated[str, typer.Option(help="window (Marchetti et al. 2022) or point.")] = (
        "window"),
    detrend: Annotated[str, typer.Option(
        help="polynomial (cubic in latitude) or spline (knots every 10°).")] = "polynomial",
    first_differences: Annotated[bool, typer.Option(
        "--first-differences", help="Scan sample-to-sample differences (Marchetti et al. "
        "2022 for the field magnitude).")] = False,
    main_field: Annotated[str, typer.Option(
        help="Subtract IGRF-14 |B| first: auto (for b_total and f), igrf or none.")] = "auto",
    output: OutOption = Path("track-output"),
) -> None:
    """Along-track anomalies of satellite in-situ data (per half-orbit detrending, k·RMS).

    Writes per file a NetCDF of residuals, scores and flags, a CSV of the anomalies and a
    figure.
    """
    from ionoquake.detect.along_track import AlongTrackConfig, along_track_residuals, runs_to_table
    from ionoquake.detect.main_field import FIELD_MAGNITUDES, subtract_main_field
    from ionoquake.report.along_track import plot_along_track
    from ionoquake.sources.registry import read

    if criterion not in ("window", "point"):
        raise IonoquakeError(f"--criterion {criterion!r}: use window or point")
    if detrend not in ("polynomial", "spline"):
        raise IonoquakeError(f"--detrend {detrend!r}: use polynomial or spline")
    if main_field not in ("auto", "igrf", "none"):
        raise IonoquakeError(f"--main-field {main_field!r}: use auto, igrf or none")
    if main_field == "igrf" and variable not in FIELD_MAGNITUDES:
        raise IonoquakeError(f"--main-field igrf: {variable!r} is not a field magnitude "
                             f"({', '.join(FIELD_MAGNITUDES)}); use --main-field none")
    config = AlongTrackConfig(window_deg=window_deg, k=k, criterion=criterion,  # type: ignore[arg-type]
                              detrend=detrend,  # type: ignore[arg-type]
                              first_differences=first_differences)
    subtract = main_field == "igrf" or (main_field == "auto" and variable in FIELD_MAGNITUDES)
    output.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in files:
        data = read(path)
        if variable not in data:
            raise IonoquakeError(f"{path}: no variable {variable!r}; it has "
                                 f"{', '.join(map(str, data.data_vars))}")
        if data[variable].ndim != 1:
            raise IonoquakeError(f"{path}: {variable!r} has dimensions {data[variable].dims}; "
                                 f"scan one component or the magnitude (e.g. b_total)")
        if subtract:
            data = subtract_main_field(data, variable)
        residuals = along_track_residuals(data, variable, config)
        residuals.attrs["main_field"] = ("IGRF-14 |B| subtracted before detrending" if subtract
                                         else "none")
        table = runs_to_table(residuals, residuals.attrs["method"])
        stem = Path(path).name.split(".")[0]
        write_track_outputs(residuals, table, output / f"{stem}_{variable}")
        plot_along_track(residuals, output / f"{stem}_{variable}.png")
        total += len(table)
        out.print(f"{Path(path).name}: {len(table)} anomalies in {variable}"
                  + (" (IGRF-14 main field subtracted)" if subtract else ""))
    out.print(f"{total} anomalies -> {output}")


def write_track_outputs(residuals: Any, table: Any, stem: Path) -> None:
    """``<stem>.nc`` (residuals, scores, flags; CF attributes) and ``<stem>_anomalies.csv``."""
    from ionoquake.atomic import atomic_path
    from ionoquake.store.csv_tables import write_csv

    ds = residuals.copy()
    ds["flag"] = ds["flag"].astype("int8")
    ds["flag"].attrs.update(long_name="anomalous sample (1) or not (0)", units="1",
                            flag_values=[0, 1], flag_meanings="normal anomalous")
    ds.attrs.update(Conventions="CF-1.8", featureType="trajectory",
                    title=f"ionoquake along-track anomalies of {ds.attrs.get('variable', '')}",
                    source=f"ionoquake track, {ds.attrs.get('source_file', '')}",
                    criterion=str(ds.attrs.get("criterion", "")))
    for name, value in list(ds.attrs.items()):
        if isinstance(value, bool):
            ds.attrs[name] = int(value)
    with atomic_path(stem.with_suffix(".nc")) as tmp:
        ds.to_netcdf(tmp)
    write_csv(table, stem.parent / f"{stem.name}_anomalies.csv")



# --- forecasts and evaluation ----------------------------------------------------------------


@app.command()
@one_line_errors
def evaluate(
    clusters: Annotated[Path, typer.Option(
        help="Cluster table of `ionoquake detect` (anomalies_clusters.csv).")],
    start: StartOption,
    end: Annotated[str, typer.Option(help="End of the forecast period (exclusive).")],
    rules: Annotated[Path | None, typer.Option(
        help="Alarm rules (TOML, [alarms] table) [default: the built-in rules].")] = None,
    store: StoreOption = None,
    grid_step: Annotated[float, typer.Option(min=0.1, max=30, help="Forecast cell (°).")] = 2.0,
    learning_days: Annotated[float, typer.Option(min=1, help="Seismicity learning span.")] = 3650,
    output: OutOption = Path("evaluate-output"),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    label: Annotated[str, typer.Option(
        help="What the run is for in the archive's ledger (main, sensitivity, ...).")] = "main",
    sensitivity: Annotated[bool, typer.Option(
        help="Recompute the verdict over catalogue choices and alarm-rule parameters.")] = True,
    shuffled_ionospheres: Annotated[int, typer.Option(
        min=0, help="Also test against N time-shuffled ionospheres: the maps of --product "
                    "detected again as by `ionoquake detect` with the options below.")] = 0,
    product: ProductOption = None,
    window_days: WindowOption = 15,
    form: FormOption = "quartile",
    k: KOption = None,
) -> None:
    """Alarms from anomaly clusters -> daily forecasts -> Molchan, gain, CSEP tests, report.

    Every run is recorded in the archive's ledger; the ASS p-value is corrected (Holm)
    over every configuration tried on the same target events, the rule variations of
    the sensitivity grid included.
    """

    from ionoquake.forecast.alarm_rules import AlarmRules
    from ionoquake.pipeline.evaluate import evaluate_clusters, headline
    from ionoquake.store.catalogs import read_catalog
    from ionoquake.store.csv_tables import read_csv

    first, last = parse_span(start, end, exclusive_end=True)
    root = store_or_default(store)
    table = read_csv(clusters, times=["start", "end", "peak_time"])
    alarm_rules = AlarmRules.from_toml(rules) if rules else AlarmRules()
    maps_null = None
    if shuffled_ionospheres:
        from ionoquake.evaluate.shuffled_maps import MapsNull

        indices = _load_indices(None, root)
        config, quiet = _detect_settings(window_days, form, k, indices)
        maps_null = MapsNull(_load_maps(None, root, product, None, None), config, indices,
                             quiet, n_null=shuffled_ionospheres)
    from ionoquake.scale.cluster import dask_client, describe

    with dask_client(scheduler, workers) as client:
        if client is not None:
            out.print(describe(client))
        run = evaluate_clusters(read_catalog(root), table, alarm_rules, str(first), str(last),
                                output, grid_step_deg=grid_step, learning_days=learning_days,
                                store=root, client=client, label=label,
                                sensitivity=sensitivity, maps_null=maps_null)
    h = headline(run)
    if run.warning:
        err.print(f"warning: {run.warning}", markup=False, highlight=False)
    if h.get("gain") is None:
        out.print(f"{h['alarms']} alarms, {h['targets']} targets: no alarm was active; "
                  f"report {run.report}")
        return
    n = h["configurations_tried"]
    tried = ("number of configurations tried unknown" if n is None else
             f"{n} configuration{'' if n == 1 else 's'} tried on these targets")
    out.print(f"{h['alarms']} alarms, {h['targets']} targets: gain {h['gain']} "
              f"(p = {h['gain_p']}), ASS {h['ass']} (p = {h['ass_p']}; family-wise "
              f"{h['ass_p_family']}, {tried}, {run.family.registration.status}); "
              f"report {run.report}")
    if h.get("sensitivity"):
        out.print(h["sensitivity"])
    if h.get("shuffled_p") is not None:
        out.print(f"against {h['shuffled_ionospheres']} time-shuffled ionospheres: "
                  f"p = {h['shuffled_p']}")

