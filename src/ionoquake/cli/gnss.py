"""Receiver-level commands: slant TEC from RINEX (``tec``) and one earthquake's co-seismic
ionospheric disturbances (``cid``)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from ionoquake.cli import (
    SchedulerOption,
    StoreOption,
    WorkersOption,
    app,
    err,
    one_line_errors,
    out,
    parse_time,
    store_or_default,
)
from ionoquake.errors import IonoquakeError


@app.command()
@one_line_errors
def tec(
    files: Annotated[list[Path], typer.Argument(
        help="RINEX 2.10-3.05 observation files (plain, CRINEX, .gz, .Z), one per receiver.",
        show_default=False)],
    orbits: Annotated[list[Path], typer.Option(
        "--orbits", help="Broadcast navigation (RINEX 2/3) or SP3 files; repeat the option.",
        show_default=False)],
    biases: Annotated[Path | None, typer.Option(
        help="Bias-SINEX file of satellite DCBs (CAS, GFZ ...) [default: none removed].")] = None,
    shell_km: Annotated[float, typer.Option(
        "--shell-km", min=100, max=2000, help="Thin-shell height of pierce points (km).")
    ] = 350.0,
    mask_deg: Annotated[float, typer.Option(
        "--mask-deg", min=0, max=60, help="Elevation mask (degrees).")] = 20.0,
    ingest: Annotated[bool, typer.Option(
        "--ingest", help="Also store the result in the archive (one file per day).")] = False,
    network: Annotated[str, typer.Option(help="Network name in the archive.")] = "local",
    store: StoreOption = None,
    output: Annotated[Path, typer.Option("--out", help="Folder for tec.nc.")] = Path("tec-output"),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Slant and vertical TEC per receiver and satellite (levelled phase, DCBs, pierce points).

    With ``--workers N`` or ``--scheduler``, one Dask task per receiver (the orbits computed
    once and sent to the workers); the result is the same, value for value.
    """
    from ionoquake.pipeline.gnss import tec_to_files
    from ionoquake.report.progress import progress_bar
    from ionoquake.scale.cluster import dask_client, describe
    from ionoquake.scale.gnss import network_tec_on

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with dask_client(scheduler, workers) as client:  # None: in process
            if client is not None:
                out.print(describe(client))
            with progress_bar("slant TEC", total=len(files)) as advance:
                tec = network_tec_on(client, files, orbits, biases=biases,
                                     on_file=lambda _: advance(), shell_height_km=shell_km,
                                     elevation_mask_deg=mask_deg)
        result = tec_to_files(tec, output, store=store_or_default(store) if ingest else None,
                              network=network)
    for warning in caught:  # one readable line each, as the errors
        err.print(f"warning: {warning.message}", markup=False)
    s = result.summary
    systems = ", ".join(f"{k} {v}" for k, v in sorted(s["systems"].items()))
    out.print(f"{len(s['receivers'])} receiver(s), {s['satellites']} satellites ({systems}), "
              f"{s['epochs']} epochs {s['start']} .. {s['end']}: {s['observations']} slant TEC "
              f"values -> {result.netcdf}"
              + (f"; stored {len(result.stored)} day file(s)" if result.stored else ""))


@app.command()
@one_line_errors
def cid(
    files: Annotated[list[Path], typer.Argument(
        help="Line-of-sight TEC: tec.nc of `ionoquake tec`, or a Madrigal export.",
        show_default=False)],
    event_id: Annotated[str | None, typer.Option(
        "--event", help="An event of the archive's catalogue (e.g. us6000m0xl).")] = None,
    time: Annotated[str | None, typer.Option(help="Origin time (UTC, ISO 8601).")] = None,
    lat: Annotated[float | None, typer.Option(min=-90, max=90, help="Epicentre °N.")] = None,
    lon: Annotated[float | None, typer.Option(min=-180, max=180, help="Epicentre °E.")] = None,
    depth: Annotated[float, typer.Option(min=0, max=800, help="Depth (km).")] = 10.0,
    mag: Annotated[float | None, typer.Option(min=-3, max=10, help="Magnitude.")] = None,
    snr: Annotated[float, typer.Option(min=1, max=100, help="Detection threshold (SNR).")] = 3.0,
    store: StoreOption = None,
    output: Annotated[Path, typer.Option("--out", help="Folder for the picks, fits and figures.")
                      ] = Path("cid-output"),
) -> None:
    """Co-seismic ionospheric disturbances around one earthquake, with the fake-origin null."""
    from ionoquake.pipeline.gnss import disturbances_to_files, open_tec
    from ionoquake.quake import Earthquake

    if event_id is not None:
        from ionoquake.store.catalogs import find_stored_event

        quake = find_stored_event(store_or_default(store), event_id)
    elif None in (time, lat, lon, mag):
        raise IonoquakeError("give --event ID of the archive's catalogue, or --time, --lat, "
                             "--lon and --mag")
    else:
        quake = Earthquake(parse_time(str(time)), float(lat), float(lon),  # type: ignore[arg-type]
                           float(mag), depth_km=depth)  # type: ignore[arg-type]
    result = disturbances_to_files(open_tec(files), quake, output, snr_threshold=snr)
    s = result.summary
    onset = (f", first onset {s['first_onset_min']:.1f} min after the origin, largest "
             f"{s['largest_amplitude_tecu']:.2f} TECU" if s["detected"] else "")
    null = s["null_at_fake_origins"]
    null_text = (f"; at {len(null['fake_origins'])} fake origins {min(null['n_over'])}-"
                 f"{max(null['n_over'])} pairs, largest {max(null['max_amplitude_tecu']):.2f} TECU"
                 if isinstance(null, dict) and null.get("n_over") else "")
    out.print(f"{s['detected']} of {s['pairs']} receiver-satellite pairs over SNR {snr:g}"
              f"{onset}{null_text} -> {output}")
