"""The relational tables on SQLite (default) and on a real PostgreSQL server.

``make test`` runs the suite under ``scripts/with-postgres.sh``, which starts a
throw-away server on 127.0.0.1 and sets IONOQUAKE_TEST_POSTGRES_URL. Under CI the
PostgreSQL cases must run; elsewhere they are skipped when no server is given.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ionoquake.errors import StoreError
from ionoquake.store import database
from ionoquake.store.schema import events, ingest_log, metadata

PG_URL = os.environ.get("IONOQUAKE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        yield database.connect(database.database_url(tmp_path))
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: IONOQUAKE_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server (run under scripts/with-postgres.sh)")
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    eng = database.connect(url)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


def _events() -> pd.DataFrame:
    # USGS ComCat usp000a7m5 (El Salvador) and usp000a70h (Mindanao); values as in
    # ../shared/data/catalogs/usgs_comcat_M7_2000-2018.csv.
    return pd.DataFrame({
        "event_id": ["usp000a7m5", "usp000a70h"],
        "time": pd.to_datetime(["2001-01-13T17:33:32.380", "2001-01-01T06:57:04.170"]),
        "latitude": [13.049, 6.898], "longitude": [-88.66, 126.579],
        "depth_km": [60.0, 33.0], "magnitude": [7.7, 7.5], "magnitude_type": ["mwc", "mwc"],
        "source": ["comcat", "comcat"],
    })


def test_migrated_schema_matches_the_code(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    database.migrate(engine)  # idempotent


def test_upsert_is_idempotent_and_updates(engine: sa.Engine) -> None:
    df = _events()
    assert database.upsert(engine, events, df) == 2
    database.upsert(engine, events, df)
    assert database.count(engine, events) == 2
    df.loc[0, "magnitude"] = 7.6
    database.upsert(engine, events, df.iloc[[0]])
    got = database.read(engine, events, where=[events.c.magnitude > 7.55], order_by="time")
    assert list(got["event_id"]) == ["usp000a7m5"]
    assert got["magnitude"].iloc[0] == pytest.approx(7.6)
    assert got["time"].iloc[0] == pd.Timestamp("2001-01-13T17:33:32.380")


def test_an_upsert_of_equal_rows_writes_nothing_and_keeps_the_revision(
        engine: sa.Engine) -> None:
    df = _events()
    assert database.upsert(engine, events, df) == 2
    revision = database.revision(engine)
    assert database.upsert(engine, events, df) == 0
    assert database.revision(engine) == revision
    df.loc[1, "magnitude"] = 6.5
    assert database.upsert(engine, events, df) == 1  # only the changed row
    assert database.revision(engine) == revision + 1
    df.loc[1, "place"] = "only this column differs"
    assert database.upsert(engine, events, df, not_compared=["place"]) == 0


def test_a_failed_write_leaves_the_table_as_it_was(engine: sa.Engine) -> None:
    database.upsert(engine, events, _events())
    bad = _events()
    bad["event_id"] = ["new1", "new2"]
    bad.loc[1, "latitude"] = None  # NOT NULL violated on the second row
    with pytest.raises(sa.exc.IntegrityError):
        database.upsert(engine, events, bad)
    assert database.count(engine, events) == 2


def test_ingest_log(engine: sa.Engine) -> None:
    database.log_ingest(engine, "maps", "codg0080.20i.gz", "a" * 64, "added", "codg 2020-01-08")
    log = database.read(engine, ingest_log)
    assert list(log["file"]) == ["codg0080.20i.gz"] and log["status"].iloc[0] == "added"


def test_bad_url_is_a_one_line_store_error() -> None:
    with pytest.raises(StoreError, match=r"database postgresql\+psycopg://x:\*\*\*@127.0.0.1:9/none: "
                                         r"OperationalError"):
        database.connect("postgresql+psycopg://x:secret@127.0.0.1:9/none")


def test_upgrading_an_old_database_keeps_its_rows(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        from alembic import command

        command.downgrade(database.alembic_config(connection), "0001")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO passes (satellite, norad_id, zone_id, entry, exit) VALUES "
            "('ZHANGHENG-1', 43194, 'usp000a7m5', '2019-11-18 01:00:00', '2019-11-18 01:02:00')"))
    database.migrate(engine)
    from ionoquake.store.schema import passes

    rows = database.read(engine, passes)
    assert list(rows["zone_id"]) == ["usp000a7m5"] and rows["closest_lat"].isna().all()


def test_migration_0006_renames_the_cluster_edges_and_keeps_their_values(
        engine: sa.Engine) -> None:
    # A cluster across 180°: its west edge (170) exceeds its east edge (-170).
    with engine.begin() as connection:
        from alembic import command

        command.downgrade(database.alembic_config(connection), "0005")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clusters (cluster_id, product, start, \"end\", lon_min, lon_max) VALUES "
            "('c1', 'jpl', '2001-01-13T00:00:00.000Z', '2001-01-13T02:00:00.000Z', 170, -170)"
            if engine.dialect.name == "sqlite" else
            "INSERT INTO clusters (cluster_id, product, start, \"end\", lon_min, lon_max) VALUES "
            "('c1', 'jpl', '2001-01-13 00:00:00+00', '2001-01-13 02:00:00+00', 170, -170)"))
    database.migrate(engine)
    from ionoquake.store.schema import clusters

    rows = database.read(engine, clusters)
    assert (rows["lon_west"].tolist(), rows["lon_east"].tolist()) == ([170.0], [-170.0])
    assert "lon_min" not in rows.columns


def test_revision_watch_sees_every_commit(engine: sa.Engine) -> None:
    watch = database.RevisionWatch(engine)
    first = watch()
    assert first == database.revision(engine)
    other = sa.create_engine(engine.url)  # another writer, its own connections
    database.log_ingest(other, "maps", "a.i", "0" * 64, "added")
    assert watch() == first + 1
    database.read(other, events)  # reads change nothing
    assert watch() == first + 1
    watch.close()  # a lost connection is replaced
    database.log_ingest(other, "maps", "b.i", "1" * 64, "added")
    assert watch() == first + 2
    other.dispose()
    watch.close()
