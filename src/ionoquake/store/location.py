"""Where the local archive lives.

In order: the ``--store`` option, the ``IONOQUAKE_STORE`` environment variable,
``$XDG_DATA_HOME/ionoquake``, ``~/.local/share/ionoquake``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

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
