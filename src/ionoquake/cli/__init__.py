"""The ``ionoquake`` command. Thin: it parses options and calls the pipeline stages.

Commands live in :mod:`~ionoquake.cli.archive` (ingest, info, fetch), :mod:`~ionoquake.cli.science`
(detect, event, track, passes, evaluate), :mod:`~ionoquake.cli.gnss` (tec, cid) and
:mod:`~ionoquake.cli.system` (demo, serve).

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
    # Plain click help: Rich markup would swallow "[default: ...]" and other bracketed text
    # of the option help and print "<bool>" beside flags that take no value.
    rich_markup_mode=None,
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
SchedulerOption = Annotated[str | None, typer.Option(
    help="Run on this Dask scheduler, tcp://HOST:PORT [default: $IONOQUAKE_SCHEDULER].")]
WorkersOption = Annotated[int | None, typer.Option(
    min=1, max=256, help="Start a local Dask cluster of this many worker processes.")]


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
    """``--store``, or the default archive; a ``file://`` URL is its path, other URLs an error."""
    from ionoquake.store.location import default_store, split_url

    if store is None:
        return default_store()
    scheme, path = split_url(store)
    if scheme == "file":
        return Path(path)
    if scheme is not None:
        raise IonoquakeError(f"--store {scheme}:/{path}: the archive the commands write must be "
                             f"a local or network file system path; object stores are read "
                             f"with ionoquake.scale.archive.open_archive (docs/scale.md)")
    return store


# Each command is a few lines that call a stage; sections below, one per kind of data.


def product_name(name: str | None) -> str | None:
    """``--product``: a product or its alias (``cod0opsfin`` is ``codg``, docs/operations.md)."""
    from ionoquake.sources.ionex_header import canonical_product

    return None if name is None else canonical_product(name)


def parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise IonoquakeError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


def parse_time(text: str, option: str = "--time") -> Any:
    """An ISO 8601 time (``Z``, an offset, or none: UTC) as naive UTC ``datetime64[ns]``."""
    from ionoquake.times import as_datetime64

    try:
        return as_datetime64([text])[0]
    except (ValueError, TypeError, OverflowError):
        raise IonoquakeError(f"{option} {text!r} is not an ISO 8601 time") from None


def parse_span(start: str, end: str | None, *, exclusive_end: bool = False
               ) -> tuple[dt.date, dt.date]:
    """``--start`` and ``--end`` (default: ``--start``) as days, the end not before the start
    (not on it either when the end is exclusive)."""
    first, last = parse_day(start, "--start"), parse_day(end or start, "--end")
    if last < first or (exclusive_end and last == first):
        word = "is before" if last < first else "is the same day as (the end is exclusive)"
        raise IonoquakeError(f"--end {last} {word} --start {first}")
    return first, last


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(1)


# The commands, one module per group; importing them registers them on ``app``.
from ionoquake.cli import archive, gnss, orbits, plan, science, system  # noqa: E402, F401
