"""Provenance records: which file, with which content, went into the archive when."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from ionoquake import __version__


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The SHA-256 hex digest of the file's bytes as stored (compressed if it is)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(path: str | os.PathLike[str], **extra: Any) -> dict[str, Any]:
    """A JSON-ready record of one source file: name, size, SHA-256, time of ingest."""
    path = Path(path)
    return {
        "file": path.name,
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
        "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ionoquake_version": __version__,
        **extra,
    }
