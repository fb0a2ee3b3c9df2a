"""Where the service's data are and who may write: one record shared by the app and its routers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ionoquake.store import database

__all__ = ["Settings"]


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
    def from_env(cls, store: Path) -> Settings:
        """Settings for ``store``, with the token of ``$IONOQUAKE_API_TOKEN``."""
        return cls(store, database.database_url(store), os.environ.get("IONOQUAKE_API_TOKEN"))
