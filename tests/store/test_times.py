"""One time convention in files: CSV text, Parquet types, the database mirror.

Each output is opened in the client a user has: ``pandas.to_datetime`` without a format
for CSV, pyarrow for Parquet types, ``sqlite3`` with the API's ``…T…Z`` times for the
database (the issue: comparing SQLite's old ``'YYYY-MM-DD HH:MM:SS.ffffff'`` text with
the API's form returned the rows of two days for one).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.pipeline.sync import sync_database
from ionoquake.sources import catalog, catalog_write
from ionoquake.store import database, schema
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.csv_tables import read_csv, write_csv
from ionoquake.store.ingest import ingest_paths
from ionoquake.store.tables import table_path

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
INDICES = "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"
# The day of the El Salvador Mw 7.7 (ComCat usp000a7m5), in the API's form.
DAY = ("2001-01-13T00:00:00.000Z", "2001-01-14T00:00:00.000Z")
PG_URL = os.environ.get("IONOQUAKE_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def events(bundled_data: Path) -> pd.DataFrame:
    return catalog.read(bundled_data / CATALOG)


def test_csv_times_read_without_a_format_as_the_same_utc_instants(
        events: pd.DataFrame, tmp_path: Path) -> None:
    for path in (catalog_write.write(events, tmp_path / "catalog.csv"),
                 write_csv(events[["event_id", "time", "magnitude"]], tmp_path / "t.csv")):
        text = pd.read_csv(path, dtype=str)["time"]
        assert text.str.match(ISO).all(), text[~text.str.match(ISO)].head()
        back = pd.to_datetime(text)  # no format: pandas infers the one shape
        assert str(back.dt.tz) == "UTC"
        assert (back.dt.tz_localize(None) == events["time"].dt.round("ms")).all()
    inside = read_csv(tmp_path / "t.csv", times=["time"])  # as ionoquake reads it back
    assert inside["time"].dtype == "datetime64[ns]"
    assert (inside["time"] == events["time"].dt.round("ms")).all()
    assert catalog.read(tmp_path / "catalog.csv")["time"].equals(events["time"])


def test_parquet_times_are_utc_aware_and_read_back_naive(
        bundled_data: Path, events: pd.DataFrame, tmp_path: Path) -> None:
    written = catalog_write.write(events, tmp_path / "catalog.parquet")
    assert pq.read_schema(written).field("time").type == pa.timestamp("ns", tz="UTC")
    back = pd.read_parquet(written)["time"]
    assert back.dt.tz_localize(None).equals(events["time"])

    store = tmp_path / "store"
    ingest_paths(store, [bundled_data / CATALOG, bundled_data / INDICES])
    for kind in ("catalog", "indices"):
        part = next(table_path(store, kind, "x").parent.glob("*.parquet"))
        assert pq.read_schema(part).field("time").type.tz == "UTC", part
    stored = read_catalog(store)
    assert stored["time"].dtype == "datetime64[ns]"  # naive UTC inside ionoquake
    assert set(stored["time"]) == set(events["time"])


def _day_count(sqlite_file: Path, table: str, start: str, end: str) -> int:
    with sqlite3.connect(sqlite_file) as db:
        (n,) = db.execute(f'SELECT count(*) FROM "{table}" WHERE time >= ? AND time < ?',
                          (start, end)).fetchone()
    return int(n)


def test_sqlite_compares_with_the_api_times_and_dates(bundled_data: Path, events: pd.DataFrame,
                                                       tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest_paths(store, [bundled_data / CATALOG, bundled_data / INDICES])
    engine = database.connect(database.database_url(store))
    sync_database(store, engine)
    engine.dispose()
    sqlite_file = store / "ionoquake.sqlite"
    with sqlite3.connect(sqlite_file) as db:
        texts = [t for (t,) in db.execute("SELECT time FROM events UNION ALL "
                                          "SELECT time FROM indices")]
    assert all(ISO.match(t) for t in texts)
    on_day = int(((events["time"] >= "2001-01-13") & (events["time"] < "2001-01-14")).sum())
    assert on_day > 0
    assert _day_count(sqlite_file, "events", *DAY) == on_day
    assert _day_count(sqlite_file, "events", "2001-01-13", "2001-01-14") == on_day
    assert _day_count(sqlite_file, "indices", *DAY) == 24  # hourly rows of one day
    assert _day_count(sqlite_file, "indices", "2001-01-13", "2001-01-14") == 24


def test_the_migration_turns_the_old_text_into_the_convention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    database.migrate(engine, "0004")
    with engine.begin() as c:  # as 0004 stored them: 'YYYY-MM-DD HH:MM:SS.ffffff'
        for h in range(48):
            t = dt.datetime(2001, 1, 13) + dt.timedelta(hours=h)
            c.execute(sa.text("INSERT INTO indices (time, kp) VALUES (:t, 1.0)"),
                      {"t": t.strftime("%Y-%m-%d %H:%M:%S.%f")})
        c.execute(sa.text("INSERT INTO passes (satellite, norad_id, zone_id, entry, exit) "
                          "VALUES ('CSES', 43194, 'z1', '2001-01-13 04:33:37.500000', "
                          "'2001-01-13 04:40:00.000000')"))
    sqlite_file = tmp_path / "old.sqlite"
    query = "SELECT min(time), count(*) FROM indices WHERE time >= ? AND time < ?"
    with sqlite3.connect(sqlite_file) as db:  # the bug: the API's day selects the next day
        assert db.execute(query, DAY).fetchone() == ("2001-01-14 00:00:00.000000", 24)
    database.migrate(engine)
    with sqlite3.connect(sqlite_file) as db:
        assert db.execute(query, DAY).fetchone() == ("2001-01-13T00:00:00.000Z", 24)
    with sqlite3.connect(sqlite_file) as db:
        assert db.execute("SELECT entry FROM passes").fetchone() == ("2001-01-13T04:33:37.500Z",)
        assert db.execute("SELECT zone_id FROM zones").fetchall() == [("z1",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    passes = database.read(engine, schema.passes)
    assert passes["entry"].iloc[0] == pd.Timestamp("2001-01-13T04:33:37.500")
    with engine.begin() as c:  # and back
        command.downgrade(database.alembic_config(c), "0004")
    with sqlite3.connect(sqlite_file) as db:
        assert db.execute("SELECT min(time) FROM indices").fetchone() == (
            "2001-01-13 00:00:00.000",)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = database.connect(database.database_url(tmp_path))
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: IONOQUAKE_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server (run under scripts/with-postgres.sh)")
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    eng = database.connect(sa.engine.make_url(PG_URL).set(database=name)
                           .render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


def test_a_time_column_is_timestamptz_or_iso_text(engine: sa.Engine) -> None:
    stamp = pd.Timestamp("2001-01-13T17:33:32.380")
    database.upsert(engine, schema.events, pd.DataFrame({
        "event_id": ["usp000a7m5"], "time": [stamp], "latitude": [13.049],
        "longitude": [-88.66], "magnitude": [7.7], "source": ["comcat"]}))
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            kind = c.execute(sa.text("SELECT pg_typeof(time)::text FROM events")).scalar_one()
            assert kind == "timestamp with time zone"
            # the API's text form compares as the instant it names
            n = c.execute(sa.text("SELECT count(*) FROM events WHERE time >= :a AND time < :b"),
                          {"a": "2001-01-13T17:33:32.380Z", "b": DAY[1]}).scalar_one()
        else:
            kind = c.execute(sa.text("SELECT time FROM events")).scalar_one()
            assert kind == "2001-01-13T17:33:32.380Z"
            n = c.execute(sa.text("SELECT count(*) FROM events WHERE time >= :a AND time < :b"),
                          {"a": "2001-01-13T17:33:32.380Z", "b": DAY[1]}).scalar_one()
    assert n == 1
    back = database.read(engine, schema.events)["time"]
    assert back.iloc[0] == stamp and back.dt.tz is None  # naive UTC inside ionoquake
    aware = pd.Timestamp("2001-01-13T18:33:32.380+01:00")
    assert database.read(engine, schema.events,
                         where=[schema.events.c.time == aware.to_pydatetime()]).shape[0] == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1),
                             max_value=dt.datetime(2199, 12, 31)), min_size=2, max_size=2))
def test_sqlite_text_sorts_like_the_times(times: list[dt.datetime]) -> None:
    texts = [schema.UtcDateTime().process_bind_param(t, sa.dialects.sqlite.dialect())
             for t in times]
    rounded = [pd.Timestamp(t).round("ms") for t in times]
    assert (texts[0] < texts[1]) == (rounded[0] < rounded[1])
    back = [schema.UtcDateTime().process_result_value(x, sa.dialects.sqlite.dialect())
            for x in texts]
    assert back == [r.to_pydatetime() for r in rounded]


def test_the_migration_keeps_the_instants_on_postgresql() -> None:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: IONOQUAKE_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server (run under scripts/with-postgres.sh)")
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = sa.create_engine(sa.engine.make_url(PG_URL).set(database=name))
    try:
        database.migrate(engine, "0004")
        with engine.begin() as c:  # 0004: naive UTC timestamps
            c.execute(sa.text("INSERT INTO passes (satellite, norad_id, zone_id, entry, exit) "
                              "VALUES ('CSES', 43194, 'z1', '2001-01-13 04:33:37.5', "
                              "'2001-01-13 04:40:00')"))
        database.migrate(engine)
        with engine.connect() as c:
            c.execute(sa.text("SET TIME ZONE 'Asia/Tokyo'"))  # the session zone is irrelevant
            n = c.execute(sa.text("SELECT count(*) FROM passes WHERE entry = "
                                  "'2001-01-13T04:33:37.500Z'")).scalar_one()
            zones = c.execute(sa.text("SELECT zone_id FROM zones")).scalars().all()
        assert n == 1 and zones == ["z1"]
        entry = database.read(engine, schema.passes)["entry"].iloc[0]
        assert entry == pd.Timestamp("2001-01-13T04:33:37.500")
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()
