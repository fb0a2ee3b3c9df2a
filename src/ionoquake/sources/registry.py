"""The one registry of readers: which file is what, and which function reads it.

Modelled on xarray's ``backends/plugins.py`` and ObsPy's ``_read_from_plugin``.
Each reader registers, at the bottom of its module, its name, its *kind* (the
container it returns and where the archive keeps it), a cheap content sniff and
its read function::

    register("ionex", "maps", can_read, read, "IONEX 1.0/1.1 global ionosphere maps")

Every entry point asks this registry: :func:`read` (``ionoquake info FILE``),
``ionoquake ingest`` and the API upload (:func:`ionoquake.store.ingest.ingest_path`
stores a file by its reader's kind), ``ionoquake detect FILES``
(:func:`ionoquake.sources.gim.read_days`, any reader of kind ``maps``), and the
kind-level readers :func:`ionoquake.sources.catalog.read` and
:func:`ionoquake.sources.indices.read`.

**A new reader is one module in ``sources/`` and one** :func:`register` **line in
it**, nothing else: the registry imports every module of the package before its
first answer, so nothing lists the modules. A new *kind* also needs its entry in
:data:`Kind` and :data:`KIND_NAMES` and, if the archive stores it, one line in the
``kind -> store function`` table of :mod:`ionoquake.store.ingest`.

Sniffs are asked kind by kind in the order of :data:`KINDS`, and within a kind in
the order of registration. The order matters where a later sniff would also accept
an earlier kind's file or is expensive: maps and index files are recognised first,
then two-line element sets, then earthquake catalogues (whose sniffs only reject a
TLE file), then along-track and calibration files (whose sniffs open the CDF).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, get_args

from ionoquake.errors import IonoquakeError

#: What a reader gives, and where the archive keeps it; the order is the order of sniffing.
Kind = Literal["maps", "indices", "tle", "catalog", "track", "calibration", "receiver",
               "ephemeris", "biases", "tec"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: Each kind in words, for messages.
KIND_NAMES: dict[Kind, str] = {
    "maps": "global ionosphere maps",
    "indices": "space-weather indices",
    "tle": "two-line element sets",
    "catalog": "earthquake catalogues",
    "track": "along-track satellite data",
    "calibration": "satellite instrument calibration records",
    "receiver": "GNSS receiver observations",
    "ephemeris": "GNSS satellite orbits (broadcast navigation, precise orbits)",
    "biases": "GNSS differential code biases",
    "tec": "line-of-sight TEC per receiver and satellite",
}


@dataclass(frozen=True)
class Reader:
    """One registered file format: its kind, its sniff and its read function."""

    name: str
    kind: Kind
    can_read: Callable[[Path], bool]
    read: Callable[..., Any]
    description: str


_READERS: dict[str, Reader] = {}
_DISCOVERY = threading.RLock()
_discovered = False


def register(name: str, kind: Kind, can_read: Callable[[Path], bool],
             read: Callable[..., Any], description: str) -> None:
    """Register a reader under ``name`` (a later registration of a name replaces it)."""
    if kind not in KINDS:
        raise ValueError(f"reader {name!r}: unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    _READERS[name] = Reader(name, kind, can_read, read, description)


def _discover() -> None:
    """Import every module of :mod:`ionoquake.sources`, so that each registers its readers."""
    global _discovered
    if _discovered:
        return
    with _DISCOVERY:
        if _discovered:
            return
        package = __name__.rpartition(".")[0]
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            importlib.import_module(f"{package}.{module.name}")
        _discovered = True


def readers(kind: Kind | None = None) -> list[Reader]:
    """The registered readers (of ``kind``), in the order their sniffs are asked."""
    _discover()
    kinds = KINDS if kind is None else (kind,)
    return [r for k in kinds for r in _READERS.values() if r.kind == k]


def reader(name: str) -> Reader:
    """The reader registered as ``name``."""
    _discover()
    if name not in _READERS:
        raise IonoquakeError(f"unknown format {name!r}; known formats: {', '.join(formats())}")
    return _READERS[name]


def formats(kind: Kind | None = None) -> dict[str, str]:
    """The known formats (of ``kind``), ``{name: description}``, in sniffing order."""
    return {r.name: r.description for r in readers(kind)}


def sniff(path: str | PathLike[str], *, kind: Kind | None = None) -> Reader | None:
    """The first reader (of ``kind``) whose sniff accepts ``path``, or None."""
    path = Path(path)
    return next((r for r in readers(kind) if r.can_read(path)), None)


def reader_for(path: str | PathLike[str], *, kind: Kind | None = None) -> Reader:
    """The reader (of ``kind``) whose sniff accepts ``path``.

    Raises :class:`IonoquakeError` naming the file and the known formats when the file
    is missing or no reader recognises it.
    """
    path = Path(path)
    if not path.exists():
        raise IonoquakeError(f"{path}: no such file")
    found = sniff(path, kind=kind)
    if found is not None:
        return found
    if kind is None:
        raise IonoquakeError(
            f"{path}: not a format ionoquake recognises; known formats: {', '.join(formats())}")
    other = sniff(path)
    it_is = "" if other is None else f" (it is {other.name}: {other.description})"
    raise IonoquakeError(f"{path}: not {KIND_NAMES[kind]} in a format ionoquake reads{it_is}; "
                         f"known formats: {', '.join(formats(kind))}")


def read(path: str | PathLike[str], *, format: str | None = None, kind: Kind | None = None,
         **kwargs: Any) -> Any:
    """Read ``path`` with the reader ``format``, or with :func:`reader_for` ``(path, kind=kind)``.

    Options after the path go to the reader.
    """
    path = Path(path)
    if format is None:
        return reader_for(path, kind=kind).read(path, **kwargs)
    if not path.exists():
        raise IonoquakeError(f"{path}: no such file")
    known = formats(kind)
    if format not in known:
        raise IonoquakeError(
            f"{path}: unknown format {format!r}; known formats: {', '.join(known)}")
    return _READERS[format].read(path, **kwargs)
