"""Reading files that may be gzip (``.gz``) or Unix-compress (``.Z``) compressed.

Unix ``compress`` (LZW) files are decoded with the C ``ncompress`` package, not a
pure-Python LZW. Compression is recognised by the magic bytes, not the suffix,
so that a mis-named file still reads.
"""

from __future__ import annotations

import gzip
import zlib
from os import PathLike
from pathlib import Path

from ionoquake.errors import IonoquakeError

GZIP_MAGIC = b"\x1f\x8b"
COMPRESS_MAGIC = b"\x1f\x9d"


def decompress(raw: bytes, name: str | PathLike[str] = "<bytes>") -> bytes:
    """Return ``raw`` decompressed if it is gzip or Unix-compress data, else unchanged."""
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IonoquakeError(f"{name}: corrupt or truncated gzip data ({exc})") from None
    if raw[:2] == COMPRESS_MAGIC:
        import ncompress

        try:
            return bytes(ncompress.decompress(raw))
        except (OSError, ValueError) as exc:
            raise IonoquakeError(f"{name}: corrupt or truncated .Z data ({exc})") from None
    return raw


def read_bytes(path: str | PathLike[str]) -> bytes:
    """The content of ``path``, decompressed when it is ``.gz`` or ``.Z``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IonoquakeError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IonoquakeError(f"{path}: is a directory, expected a file") from None
    return decompress(raw, path)


def head(path: str | PathLike[str], n_bytes: int = 4096) -> bytes:
    """The first ``n_bytes`` of the decompressed content (cheap, for format sniffs)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            start = fh.read(2)
            if start == GZIP_MAGIC:
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    return gz.read(n_bytes)
            if start == COMPRESS_MAGIC:
                return read_bytes(path)[:n_bytes]
            return start + fh.read(n_bytes - 2)
    except (OSError, EOFError, zlib.error):
        return b""
