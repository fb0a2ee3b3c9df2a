"""Where the service's data are and who may write, and the dependencies that hand them to routes.

No ``from __future__ import annotations``: FastAPI reads the annotations at run time.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, HTTPException, Request

from ionoquake.store import database

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
    """

    store: Path
    database_url: str
    token: str | None = None

    @classmethod
    def from_env(cls, store: Path) -> "Settings":
        """Settings for ``store``, with the token of ``$IONOQUAKE_API_TOKEN``."""
        return cls(store, database.database_url(store), os.environ.get("IONOQUAKE_API_TOKEN"))


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
    """403 when writing is disabled, 401 without the configured bearer token."""
    expected = app_settings(request).token
    if not expected:
        raise HTTPException(403, "writing is disabled: no API token is configured")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given, expected):
        raise HTTPException(401, "a valid 'Authorization: Bearer <token>' header is needed")
