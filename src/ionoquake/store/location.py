"""Where the local archive lives.

In order: the ``--store`` option, the ``IONOQUAKE_STORE`` environment variable,
``$XDG_DATA_HOME/ionoquake``, ``~/.local/share/ionoquake``.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_store() -> Path:
    """The archive folder used when none is given."""
    if env := os.environ.get("IONOQUAKE_STORE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ionoquake"
