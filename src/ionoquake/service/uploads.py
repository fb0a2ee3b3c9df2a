"""Uploaded files (``POST /api/ingest``): a size limit, safe names, no server path in errors,
and the product of a map file read from its content.

An upload request larger than ``Settings.max_upload_mb`` (``$IONOQUAKE_MAX_UPLOAD_MB``)
is refused with 413 as soon as that is known: at once when it says its length
(``Content-Length``), else when the bytes received pass the limit
(:class:`UploadLimit`). Each file is copied to disk in chunks of :data:`CHUNK_BYTES`
(:func:`save_upload`), never read whole into memory, and counted against the limit
again. It is saved as its sanitised name (:func:`safe_name`) in a folder of a generated
name: the name is kept because it is the last resort for a map's product (below), and
no file path from a request reaches the file system.

**Which product an uploaded map file goes to** is decided by its content where the
format says it (:mod:`ionoquake.sources.ionex_product`), as for every ingest; the upload's
sanitised name plays the part of the file name.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from fastapi import HTTPException, UploadFile
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CHUNK_BYTES", "UploadLimit", "hide_paths", "safe_name",
           "save_upload"]

CHUNK_BYTES = 2**20
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
#: Room for the multipart boundaries and part headers around the files of a request.
MULTIPART_SLACK_BYTES = 64 * 2**10


def safe_name(filename: str | None) -> str:
    """The last part of an uploaded file's name, with only ``A-Za-z0-9_.-`` (64 at most)."""
    base = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return SAFE_NAME.sub("_", base)[-64:].lstrip(".") or "upload"


def _too_large(max_bytes: int) -> HTTPException:
    return HTTPException(413, f"upload larger than the limit of {max_bytes / 2**20:.3g} MiB "
                              f"(IONOQUAKE_MAX_UPLOAD_MB)")


async def save_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    """Copy ``upload`` in chunks to ``folder/<generated>/<safe name>``; 413 past ``max_bytes``."""
    target = folder / secrets.token_hex(8) / safe_name(upload.filename)
    target.parent.mkdir()
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            out.write(chunk)
    return target


def hide_paths(message: str, paths: dict[str, str]) -> str:
    """``message`` with each server path (key) replaced by what the client may see (value).

    Longer paths are replaced first, so a file inside a replaced folder becomes its own
    label, not the folder's.
    """
    for path in sorted(paths, key=len, reverse=True):
        message = message.replace(path, paths[path])
    return message


class UploadLimit:
    """ASGI middleware: 413 for a request to ``path`` whose body passes ``max_bytes``.

    A request that says its length is refused before its body is read; one that does
    not (chunked) when the bytes received pass the limit, which stops the multipart
    parser from spooling any more of it to disk.
    """

    def __init__(self, app: ASGIApp, *, path: str, max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes + MULTIPART_SLACK_BYTES
        self.file_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            error = _too_large(self.file_bytes)
            await JSONResponse({"detail": error.detail}, status_code=error.status_code)(
                scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _too_large(self.file_bytes)  # FastAPI answers it (413)
            return message

        await self.app(scope, counted, send)
