"""A real server and a real browser for the dashboard tests: uvicorn on 127.0.0.1 over an
archive, and Debian's Chromium driven by Playwright's Python client (no browser download)."""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """The API and the pages over the archive ``root`` (its database synced), on a free
    port of 127.0.0.1; yields the base URL and stops the server after."""
    uvicorn = pytest.importorskip("uvicorn")
    from ionoquake.service.api import create_app
    from ionoquake.service.settings import Settings
    from ionoquake.store import database

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(Settings(root, database.database_url(root))),
                                        host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def not_blank(png: bytes) -> float:
    """The standard deviation of a screenshot's pixels (0 for a blank page)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    return float(np.std(pixels[..., :3]))
