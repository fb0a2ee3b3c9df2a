"""Shared fixtures: the real data in ../shared/data and a local HTTP archive."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BUNDLED_DATA = REPO / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data files of ../shared/data (see its SOURCES.md)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the tests read the real data there")
    return SHARED_DATA


@pytest.fixture(scope="session")
def bundled_data() -> Path:
    """The small real data bundled in the repository (see data/README.md)."""
    return BUNDLED_DATA


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, with HTTP Range support for resume tests, and logs requests."""

    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]

    def send_head(self):  # type: ignore[no-untyped-def]
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if rng is None or not path.is_file():
            return super().send_head()
        start = int(rng.split("=")[1].split("-")[0])
        size = path.stat().st_size
        if start >= size:
            self.send_error(416)
            return None
        fh = path.open("rb")
        fh.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        return fh


class LocalArchive:
    """A folder served over HTTP on 127.0.0.1 (a stand-in host for a public archive)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.requests = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return self.server.requests  # type: ignore[attr-defined, no-any-return]


@pytest.fixture()
def local_archive(tmp_path: Path) -> Iterator[LocalArchive]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "www"``; put recorded files there."""
    root = tmp_path / "www"
    root.mkdir()
    archive = LocalArchive(root)
    archive.thread.start()
    try:
        yield archive
    finally:
        archive.server.shutdown()
        archive.server.server_close()
