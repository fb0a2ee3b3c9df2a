"""Where the service's data are and who may write, and the dependencies that hand them to routes.

No ``from __future__ import annotations``: FastAPI reads the annotations at run time.
"""

import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, HTTPException, Request

from ionoquake.errors import IonoquakeError
from ionoquake.store import database

DEFAULT_MAX_UPLOAD_MB = 100

__all__ = ["Engine", "Settings", "app_settings", "database_engine", "require_token"]


@dataclass(frozen=True)
class Settings:
    """Where the data are and who may write.

    Attributes
    ----------
    store
        The archive folder.
    database_url
        SQLAlchemy URL of the database that mirrors it.
    token
        Bearer token of the writing endpoints; None disables writing.
    max_upload_mb
        The largest upload request ``/api/ingest`` accepts, in MiB (2^20 bytes), all its
        files together; a larger one is refused with 413 before it is read whole.
    """

    store: Path
    database_url: str
    token: str | None = None
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    @classmethod
    def from_env(cls, store: Path) -> "Settings":
        """Settings for ``store``: the token of ``$IONOQUAKE_API_TOKEN`` and the upload
        limit of ``$IONOQUAKE_MAX_UPLOAD_MB`` (default 100)."""
        limit = os.environ.get("IONOQUAKE_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB))
        try:
            max_upload_mb = float(limit)
        except ValueError:
            max_upload_mb = math.nan
        if not (math.isfinite(max_upload_mb) and max_upload_mb > 0):
            raise IonoquakeError(f"IONOQUAKE_MAX_UPLOAD_MB must be a positive number of MiB, "
                                 f"not {limit!r}")
        return cls(store, database.database_url(store), os.environ.get("IONOQUAKE_API_TOKEN"),
                   max_upload_mb)


def app_settings(request: Request) -> Settings:
    """The application's settings (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


def database_engine(request: Request) -> sa.Engine:
    """The application's database engine (``app.state.engine``)."""
    engine: sa.Engine = request.app.state.engine
    return engine


Engine = Annotated[sa.Engine, Depends(database_engine)]


def require_token(request: Request,
                  authorization: Annotated[str | None, Header()] = None) -> None:
    """403 when writing is disabled, 401 without ``Authorization: Bearer <the token>``.

    The scheme is matched without regard to case (RFC 7235 section 2.1). The header
    arrives decoded as Latin-1 (any byte is a character); its bytes are compared with
    the token's UTF-8 bytes in constant time, so no header can make the check fail
    other than with 401.
    """
    expected = app_settings(request).token
    if not expected:
        raise HTTPException(403, "writing is disabled: no API token is configured")
    scheme, _, given = (authorization or "").strip().partition(" ")
    try:
        given_bytes = given.strip().encode("latin-1")
    except UnicodeEncodeError:  # not from the wire (Starlette decodes headers as Latin-1)
        given_bytes = b""
    if (scheme.lower() != "bearer" or not given_bytes
            or not secrets.compare_digest(given_bytes, expected.encode("utf-8"))):
        raise HTTPException(401, "a valid 'Authorization: Bearer <token>' header is needed",
                            headers={"WWW-Authenticate": "Bearer"})
