"""Where the local archive lives.

In order: the ``--store`` option, the ``IONOQUAKE_STORE`` environment variable,
``$XDG_DATA_HOME/ionoquake``, ``~/.local/share/ionoquake``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ionoquake.errors import StoreError

#: A URL scheme, also as ``pathlib`` leaves it (``s3:/bucket``: it folds the double slash).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/+")


def default_store() -> Path:
    """The archive folder used when none is given."""
    if env := os.environ.get("IONOQUAKE_STORE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ionoquake"


def split_url(store: str | os.PathLike[str]) -> tuple[str | None, str]:
    """``(scheme, path)`` of a store given as a path or URL; scheme None for a plain path.

    >>> split_url("s3://bucket/iono"), split_url(Path("file:///data/iono"))
    (('s3', '/bucket/iono'), ('file', '/data/iono'))
    >>> split_url("store")
    (None, 'store')
    """
    text = str(store)
    match = _SCHEME.match(text)
    if match is None:
        return None, text
    return match.group(1).lower(), "/" + text[match.end():]


#: A product or table name: ASCII letters, digits, ``_`` and ``-``, not starting with
#: ``-`` (it would read as an option), at most 64 characters. No ``/``, ``..`` or
#: leading dot: a name is one path component inside the store and never hidden.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a plain identifier to use as a ``kind`` folder or file name.

    Every function that builds a path in the store from a product, table kind or
    table name calls this, so no name can reach outside the store.

    >>> check_name("product", "codg")
    'codg'
    >>> check_name("product", "../../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ionoquake.errors.StoreError: invalid product '../../x': use 1 to 64 ASCII letters, ...
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreError(f"invalid {kind} {name!r}: use 1 to 64 ASCII letters, digits, "
                         "'_' or '-', not starting with '-'")
    return name
