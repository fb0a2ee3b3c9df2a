"""System commands: the offline demo, the daily operational step and the HTTP service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ionoquake.cli import (
    StoreOption,
    app,
    one_line_errors,
    out,
    parse_day,
    product_name,
    store_or_default,
)
from ionoquake.errors import IonoquakeError


@app.command()
@one_line_errors
def demo(
    output: Annotated[Path, typer.Option(help="Folder for the archive, figures and report.")] = (
        Path("demo-output")),
    shuffled_ionospheres: Annotated[int, typer.Option(
        min=0, help="Time-shuffled ionospheres of the evaluation's null (~1 s each; "
                    "p ≥ 1/(1 + N); 0 skips it).")] = 99,
) -> None:
    """Run the pipeline offline on the real data bundled with ionoquake."""
    from ionoquake.pipeline.demo import run_demo

    run_demo(output, out, shuffled_ionospheres=shuffled_ionospheres)


# --- service ----------------------------------------------------------------------------


@app.command()
@one_line_errors
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        help="Server processes (each with its own response cache); about one per core.",
        min=1, max=64)] = 1,
) -> None:
    """Serve the HTTP API and the dashboard (needs the `api` extra)."""
    try:
        import uvicorn

        from ionoquake.service.settings import Settings
    except ImportError:
        raise IonoquakeError("the API needs the api extra: pip install 'ionoquake[api]'") from None
    from ionoquake.pipeline.sync import sync_database

    settings = Settings.from_env(store_or_default(store).resolve())
    from ionoquake.store import database

    sync_database(settings.store, database.connect(settings.database_url))
    out.print(f"serving {settings.store} on http://{host}:{port}/ (API docs at /docs) "
              f"with {workers} worker process{'es' if workers > 1 else ''}")
    os.environ["IONOQUAKE_STORE"] = str(settings.store)  # read by app_from_env in each worker
    uvicorn.run("ionoquake.service.api:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


@app.command()
@one_line_errors
def daily(
    date: Annotated[str, typer.Option(help="The UTC day to process, YYYY-MM-DD.",
                                      show_default=False)],
    product: Annotated[str, typer.Option(
        callback=product_name, help="Archive product the detection runs on.")] = "codg",
    producer: Annotated[str, typer.Option(help="GIM producer to fetch (code, igs, jpl, ...).")] = (
        "code"),
    offline: Annotated[bool, typer.Option(
        "--offline", help="Do not fetch; use what the archive holds.")] = False,
    window_days: Annotated[int, typer.Option(min=3, max=60, help="Background window.")] = 15,
    rules: Annotated[Path | None, typer.Option(help="Alarm rules (TOML).")] = None,
    learning_days: Annotated[float, typer.Option(min=1, help="Seismicity learning span.")] = 3650,
    store: StoreOption = None,
) -> None:
    """The operational step: fetch, ingest, detect, issue and store the frozen forecast."""
    from ionoquake.forecast.alarm_rules import AlarmRules
    from ionoquake.pipeline.daily import run_daily_step

    day = parse_day(date, "--date")
    result = run_daily_step(store_or_default(store), day, product=product, producer=producer,
                            online=not offline, window_days=window_days,
                            rules=AlarmRules.from_toml(rules) if rules else None,
                            learning_days=learning_days)
    for step in result.steps:
        out.print(f"  {step}")
