"""Provenance records: which file, with which content, went into the archive when.

Also the canonical JSON of a configuration and its SHA-256
(:func:`canonical_json`, :func:`json_sha256`): sorted keys, no spaces, UTF-8, so
that the same settings give the same hash in every process and on every machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: keys sorted, no spaces, non-ASCII kept, no NaN.

    Floats are written by ``repr`` (the shortest string that round-trips), so
    ``4.0`` and ``4`` differ: give numbers their declared type before hashing.

    Raises
    ------
    ValueError
        ``value`` holds NaN or ±inf (not JSON).
    TypeError
        ``value`` holds something JSON cannot represent.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def json_sha256(value: Any) -> str:
    """The SHA-256 hex digest of :func:`canonical_json` of ``value`` (UTF-8)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


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
