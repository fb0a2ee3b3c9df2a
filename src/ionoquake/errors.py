"""The exception hierarchy.

Every error that ionoquake raises on bad input is an :class:`IonoquakeError`;
each source has its own subclass (``IonexError``, ``CatalogError``, ...) defined
next to its reader. Messages name the file, the line and the field, e.g.::

    codg0080.20i line 412: expected 73 values in TEC row, found 64

The CLI prints such a message as one line and exits with status 2.
"""

from __future__ import annotations

from os import PathLike


class IonoquakeError(Exception):
    """Base class of all errors ionoquake raises on bad input or bad requests."""


class InputError(IonoquakeError, ValueError):
    """Arguments outside a computation's domain: shapes, ranges, method or convention names.

    A :class:`ValueError` too, as numpy and scipy raise for the same mistakes.
    """


class StoreError(IonoquakeError):
    """The local archive is missing, locked, or inconsistent."""


class FetchError(IonoquakeError):
    """A download from a public archive failed."""


def where(path: str | PathLike[str] | None, line: int | None = None) -> str:
    """Format the ``"file line N: "`` prefix of an error message."""
    if path is None:
        return "" if line is None else f"line {line}: "
    name = str(path)
    return f"{name}: " if line is None else f"{name} line {line}: "
