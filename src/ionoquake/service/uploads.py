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

**Which product an uploaded map file goes to.** The file's content decides where its
format says it, the name only where it does not:

* IONEX: the analysis centre named by the first ``COMMENT``/``DESCRIPTION`` line
  ("JPL'S GLOBAL IONOSPHERE MAPS ...", "CODE'S KLOBUCHAR-STYLE ...", "... IGS COMBINED
  ...") or else by ``PGM / RUN BY / DATE`` ("AIUB", "JPL - GNISD", "ESA/ESOC",
  "GRL/UWM"), see :data:`CENTRES`. The content names the centre, not the series
  (final or rapid, short or long IGS name), so a file name of that centre's family
  (``corg`` for a CODE file, ``COD0OPSFIN_...`` giving ``cod0opsfin``) keeps the
  series it names; a name of another centre is ignored (a JPL file uploaded as
  ``codg0080.20i`` goes to ``jplg``). A header naming no known centre leaves the
  product to the name (:func:`ionoquake.sources.ionex.product_id`).
* Other map formats (the CDAWeb GIM CDF) name their product in their content (the
  centre of their ``tec<centre>`` variable): the reader's ``attrs["product"]`` is used.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, UploadFile
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ionoquake.sources import ionex
from ionoquake.sources.compression import head
from ionoquake.sources.ionex_header import split_label

__all__ = ["CENTRES", "CHUNK_BYTES", "UploadLimit", "hide_paths", "ionex_product", "safe_name",
           "save_upload"]

CHUNK_BYTES = 2**20
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
#: Room for the multipart boundaries and part headers around the files of a request.
MULTIPART_SLACK_BYTES = 64 * 2**10
#: The header bytes read to find the centre: PGM / RUN BY / DATE and the first COMMENT
#: or DESCRIPTION are lines 2 and 3 of every IONEX file in ../shared/data.
HEADER_BYTES = 8 * 2**10


@dataclass(frozen=True)
class Centre:
    """An analysis centre's IONEX files: how the header names it, the product its
    content gives, and the name prefixes of its series."""

    says: re.Pattern[str]
    product: str
    families: tuple[str, ...]


#: In the order asked; the first COMMENT/DESCRIPTION line is asked before PGM / RUN BY.
#: Patterns are case-sensitive: headers write the centres in capitals, and lower-case
#: mentions ("combined: cod esa jpl" in IGS files) are not claims of authorship.
CENTRES: tuple[Centre, ...] = (
    Centre(re.compile(r"KLOBUCHAR"), "ckmg", ("ckm",)),  # CODE's Klobuchar-style model
    Centre(re.compile(r"IGS COMBINED|GRL/UWM"), "igsg", ("igs", "igr")),
    Centre(re.compile(r"\bCODE'S\b|\bAIUB\b"), "codg", ("cod", "cor", "c1p", "c2p")),
    Centre(re.compile(r"\bJPL\b"), "jplg", ("jpl", "jpr")),
    Centre(re.compile(r"\bESOC\b|\bESA\b"), "esag", ("esa", "esr")),
    Centre(re.compile(r"\bUPC\b"), "upcg", ("upc", "uqr")),
    Centre(re.compile(r"\bEMR\b|\bNRCAN\b"), "emrg", ("emr",)),
    Centre(re.compile(r"\bWHU\b"), "whug", ("whu", "whr")),
    Centre(re.compile(r"\bCAS\b"), "casg", ("cas", "car")),
)


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


def ionex_product(path: Path, name: str) -> str:
    """The product of the IONEX file ``path`` uploaded as ``name`` (module docstring)."""
    by_name = ionex.product_id(name)
    first_comment, run_by = "", ""
    for line in head(path, HEADER_BYTES).decode("latin-1").splitlines():
        content, label = split_label(line)
        if label == "END OF HEADER":
            break
        if label in ("COMMENT", "DESCRIPTION") and not first_comment:
            first_comment = content
        elif label == "PGM / RUN BY / DATE":
            run_by = content[20:40]
    for text in (first_comment, run_by):
        centre = next((c for c in CENTRES if c.says.search(text)), None)
        if centre is not None:
            return by_name if by_name.startswith(centre.families) else centre.product
    return by_name


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
