"""The relational database: SQLite by default, PostgreSQL by URL, migrated by Alembic.

The URL is ``$IONOQUAKE_DATABASE_URL`` if set, else a SQLite file
``<store>/ionoquake.sqlite`` (the embedded default). :func:`connect` creates the
engine and brings the schema to the newest migration. Writes are idempotent
upserts keyed by each table's natural key, in one transaction: a failed write
leaves the table as it was, and rows equal to the stored ones are not written
(a re-run that changes nothing leaves the database file byte for byte).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ionoquake.errors import StoreError
from ionoquake.store.schema import data_revision, ingest_log, metadata
from ionoquake.times import iso_utc, iso_utc_series

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(store: str | os.PathLike[str]) -> str:
    """``$IONOQUAKE_DATABASE_URL`` or the SQLite file in ``store``."""
    if url := os.environ.get("IONOQUAKE_DATABASE_URL"):
        return url
    Path(store).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(store).resolve() / 'ionoquake.sqlite'}"


def connect(url: str) -> sa.Engine:
    """An engine for ``url`` with the schema migrated to the newest revision."""
    try:
        engine = sa.create_engine(url, future=True)
        migrate(engine)
    except sa.exc.SQLAlchemyError as exc:
        safe = sa.engine.make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"database {safe}: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0]}") from None
    return engine


def alembic_config(connection: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (idempotent)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def _records(df: pd.DataFrame, table: sa.Table) -> list[dict[str, Any]]:
    columns = [c.name for c in table.columns if c.name in df.columns]
    out = df[columns].copy()
    for name in columns:  # times as the one text convention, vectorised (ms, UTC)
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = iso_utc_series(out[name]).to_numpy()
    out = out.astype(object).where(out.notna(), None)
    rows: list[dict[str, Any]] = [dict(zip(columns, values, strict=True))
                                  for values in out.itertuples(index=False, name=None)]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, np.generic):
                row[key] = value.item()
            elif isinstance(value, pd.Timestamp):
                row[key] = iso_utc(value)
    return rows


def upsert(engine: sa.Engine, table: sa.Table, df: pd.DataFrame,
           key: Sequence[str] | None = None, *, not_compared: Sequence[str] = ()) -> int:
    """Insert or update the rows of ``df`` into ``table`` by ``key`` (default: primary key).

    Returns the number of rows written: new rows, and stored rows with some value
    different. A stored row equal to its new one is not written, and when no row is
    written the data revision is not bumped, so the database file does not change.
    Columns in ``not_compared`` (a creation time) are written with a row that changed
    but do not by themselves make a row different. Unknown columns of ``df`` are
    ignored; columns of the table missing from ``df`` are left as they are on update.
    """
    key = list(key) if key is not None else [c.name for c in table.primary_key.columns]
    rows = _records(df, table)
    if not rows:
        return 0
    dialect = engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:
        raise StoreError(f"database dialect {dialect!r} is not supported (SQLite, PostgreSQL)")
    stmt = insert(table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in key}
    compared = [c for c in updates if c not in not_compared]
    if compared:
        differs = sa.or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in compared))
        stmt = stmt.on_conflict_do_update(index_elements=key, set_=updates, where=differs)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=key)
    # RETURNING gives one row per row written, on both dialects (an executemany's
    # rowcount is not reliable with psycopg).
    counted = stmt.returning(*(table.c[k] for k in key))
    written = 0
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            written += len(connection.execute(counted, rows[start:start + 5000]).all())
        if written:
            _bump_revision(connection)
    return written


def _bump_revision(connection: sa.Connection) -> None:
    connection.execute(data_revision.update().where(data_revision.c.id == 1)
                       .values(value=data_revision.c.value + 1))


def revision(engine: sa.Engine) -> int:
    """The data revision: it changes with every write to the database (any table)."""
    with engine.connect() as connection:
        return int(connection.execute(
            sa.select(data_revision.c.value).where(data_revision.c.id == 1)).scalar_one())


class RevisionWatch:
    """:func:`revision` on one kept DBAPI connection: tens of µs, for a check on every request.

    Call it from one thread at a time (the API calls it on its event loop). Each read
    ends its transaction, so the next one sees every write committed meanwhile; a
    broken connection (server restart) is replaced once before an error is raised.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.connection: Any = None

    def __call__(self) -> int:
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = self.engine.raw_connection()
                cursor = self.connection.cursor()
                cursor.execute("SELECT value FROM data_revision WHERE id = 1")
                (value,) = cursor.fetchone()
                cursor.close()
                self.connection.rollback()
                return int(value)
            except Exception:
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
            except Exception:  # already unusable: nothing to release
                pass
            self.connection = None


def read(engine: sa.Engine, table: sa.Table, *, where: Sequence[Any] = (),
         order_by: str | None = None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Rows of ``table`` matching the SQLAlchemy conditions ``where``, as a DataFrame."""
    query = sa.select(table).where(*where).offset(offset)
    if order_by is not None:
        query = query.order_by(table.c[order_by])
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def count(engine: sa.Engine, table: sa.Table, *, where: Sequence[Any] = ()) -> int:
    with engine.connect() as connection:
        return int(connection.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def log_ingest(engine: sa.Engine, kind: str, file: str, sha256: str, status: str,
               detail: str = "") -> None:
    """Append one line to the ingest log."""
    with engine.begin() as connection:
        connection.execute(ingest_log.insert().values(
            kind=kind, file=file, sha256=sha256, status=status, detail=detail[:512],
            ingested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        _bump_revision(connection)


__all__ = ["RevisionWatch", "connect", "count", "database_url", "log_ingest", "metadata",
           "migrate", "read", "revision", "upsert"]
