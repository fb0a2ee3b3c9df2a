"""Mirroring the archive into the database: a re-sync of unchanged data writes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ionoquake.pipeline.sync import sync_alarms, sync_database, sync_evaluation
from ionoquake.store import database, schema
from ionoquake.store.ingest import ingest_paths

ALARMS = pd.DataFrame({
    "issued": pd.to_datetime(["2001-01-10", "2001-01-11"]),
    "start": pd.to_datetime(["2001-01-10", "2001-01-11"]),
    "end": pd.to_datetime(["2001-01-20", "2001-01-21"]),
    "lat": [13.0, 14.5], "lon": [-89.0, -90.25], "radius_km": [900.0, 1200.0],
    "score": [2.5, 3.0]})


def _sync_all(store: Path, engine: sa.Engine, p_value: float = 0.04) -> dict[str, int]:
    written = sync_database(store, engine)
    written["alarms"] = sync_alarms(engine, ALARMS, {"threshold": 2.0})
    written["evaluations"] = sync_evaluation(engine, "demo-alarms", "alarm gain (Molchan)",
                                             1.8, p_value, {"gain": 1.8, "p": p_value})
    return written


def test_a_second_sync_of_the_same_data_leaves_the_database_file_byte_for_byte(
        bundled_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest_paths(store, [bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv",
                         bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"])
    engine = database.connect(database.database_url(store))
    first = _sync_all(store, engine)
    assert all(n > 0 for n in first.values()), first
    revision = database.revision(engine)
    created = database.read(engine, schema.evaluations)["created_at"].iloc[0]
    engine.dispose()
    sqlite = store / "ionoquake.sqlite"
    before = sqlite.read_bytes()

    engine = database.connect(database.database_url(store))
    assert _sync_all(store, engine) == dict.fromkeys(first, 0)
    assert database.revision(engine) == revision
    engine.dispose()
    assert sqlite.read_bytes() == before  # not even SQLite's change counter moved

    engine = database.connect(database.database_url(store))  # a changed result is written
    assert _sync_all(store, engine, p_value=0.05)["evaluations"] == 1
    assert database.revision(engine) == revision + 1
    row = database.read(engine, schema.evaluations).iloc[0]
    assert row["p_value"] == 0.05 and row["created_at"] >= created
    engine.dispose()
