"""Dispatch of ``read(path)`` to the reader that recognises the file.

Modelled on xarray's ``backends/plugins.py`` and ObsPy's ``_read_from_plugin``:
each reader registers a cheap sniff and a read function; the dispatcher checks
that the file exists, asks each sniff in turn, and when nothing matches, names
the formats it knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from ionoquake.errors import IonoquakeError


@dataclass(frozen=True)
class Reader:
    """One registered file format."""

    name: str
    can_read: Callable[[Path], bool]
    read: Callable[..., Any]
    description: str


_READERS: dict[str, Reader] = {}


def register(
    name: str, can_read: Callable[[Path], bool], read: Callable[..., Any], description: str
) -> None:
    """Register a reader under ``name`` (later registrations replace earlier ones)."""
    _READERS[name] = Reader(name, can_read, read, description)


def formats() -> dict[str, str]:
    """The known formats, ``{name: description}``."""
    return {name: r.description for name, r in sorted(_READERS.items())}


def read(path: str | PathLike[str], *, format: str | None = None, **kwargs: Any) -> Any:
    """Read ``path`` with the reader for ``format``, or the first whose sniff accepts it."""
    path = Path(path)
    if not path.exists():
        raise IonoquakeError(f"{path}: no such file")
    if format is not None:
        if format not in _READERS:
            raise IonoquakeError(
                f"{path}: unknown format {format!r}; known formats: {', '.join(sorted(_READERS))}"
            )
        return _READERS[format].read(path, **kwargs)
    for reader in _READERS.values():
        if reader.can_read(path):
            return reader.read(path, **kwargs)
    raise IonoquakeError(
        f"{path}: not a format ionoquake recognises; known formats: {', '.join(sorted(_READERS))}"
    )
