"""The ``ionoquake plan`` command: contacts, instrument modes and alarm tasking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ionoquake.cli import EndOption, StartOption, app, one_line_errors, out, parse_span
from ionoquake.errors import IonoquakeError

if TYPE_CHECKING:
    import pandas as pd


@app.command()
@one_line_errors
def plan(
    tle_files: Annotated[list[Path], typer.Argument(help="TLE files.", show_default=False)],
    start: StartOption,
    end: EndOption = None,
    norad: Annotated[list[int] | None, typer.Option(
        help="Satellites to plan [default: all in the files, at most 60].")] = None,
    stations: Annotated[Path | None, typer.Option(
        help="Ground stations, TOML or CSV [default: the bundled data/stations.toml].")] = None,
    alarms: Annotated[Path | None, typer.Option(
        help="Alarm table CSV (issued, start, end, lat, lon, radius_km, score): burst zones "
             "and tasking.")] = None,
    catalog: Annotated[Path | None, typer.Option(
        help="Catalogue whose busy cells (≥3 M≥5 events per 5° cell, dilated) are the "
             "seismic belts.")] = None,
    priority: Annotated[list[int] | None, typer.Option(
        help="NORAD ids in order of antenna priority.")] = None,
    burst_mbps: Annotated[float, typer.Option(min=0, help="Burst-mode data rate.")] = 4.0,
    survey_mbps: Annotated[float, typer.Option(min=0, help="Survey-mode data rate.")] = 1.0,
    memory_mbit: Annotated[float, typer.Option(min=1, help="On-board memory.")] = 64_000.0,
    figure: Annotated[bool, typer.Option(help="Draw plan.png.")] = True,
    output: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("plan-output"),
) -> None:
    """Plan a span: contact windows, burst/survey segments with memory, passes over alarms.

    Writes contacts, segments, orbits, downlinks, memory and tasking CSVs, plan.json,
    orbits.oem (CCSDS OEM) and plan.czml (Cesium) into --out.
    """
    from ionoquake.orbits.memory import Recorder
    from ionoquake.pipeline.plan import run_plan

    first, last = parse_span(start, end)
    if last < first:
        raise IonoquakeError(f"--end {last} is before --start {first}")
    table = _read_alarms(alarms) if alarms is not None else None
    events = None
    if catalog is not None:
        from ionoquake.sources import catalog as catalogs

        events = catalogs.read(catalog)
    result = run_plan(tle_files, str(first), str(last + dt.timedelta(days=1)), output,
                      stations=stations, norad_ids=norad or (), alarms=table, catalog=events,
                      recorder=Recorder(burst_mbps=burst_mbps, survey_mbps=survey_mbps,
                                        memory_mbit=memory_mbit),
                      priority=priority or (), figure=figure)
    s = result.summary
    out.print(f"{s['n_contacts']} contacts ({s['n_conflicts']} shared) with {s['n_stations']} "
              f"stations; {len(result.plan.segments)} mode segments; "
              f"{len(result.tasking)} passes over alarm zones -> {output}")
    for message in s["messages"]:
        out.print(f"  {message}")


def _read_alarms(path: Path) -> pd.DataFrame:
    import pandas as pd

    from ionoquake.forecast.alarms import check_alarms

    try:
        table = pd.read_csv(path)
        for col in ("issued", "start", "end"):
            if col in table:
                table[col] = pd.to_datetime(table[col])
    except FileNotFoundError:
        raise IonoquakeError(f"{path}: no such file") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise IonoquakeError(f"{path}: not an alarm table: {str(exc).splitlines()[0]}") from None
    try:
        return check_alarms(table)
    except IonoquakeError as exc:
        raise IonoquakeError(f"{path}: {exc}") from None
