"""System commands: the offline demo and the HTTP service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ionoquake.cli import (
    StoreOption,
    app,
    one_line_errors,
    out,
    store_or_default,
)
from ionoquake.errors import IonoquakeError


@app.command()
@one_line_errors
def demo(
    output: Annotated[Path, typer.Option(help="Folder for the archive, figures and report.")] = (
        Path("demo-output")),
) -> None:
    """Run the pipeline offline on the real data bundled with ionoquake."""
    from ionoquake.report.demo import run_demo

    run_demo(output, out)


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
    from ionoquake.service.sync import sync_database

    settings = Settings.from_env(store_or_default(store))
    app_ = create_app(settings)
    from ionoquake.store import database

    sync_database(settings.store, database.connect(settings.database_url))
    out.print(f"serving {settings.store} on http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")

