"""Mirroring the archive into the database: a re-sync of unchanged data writes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import xarray as xr

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.clusters import anomaly_clusters
from ionoquake.pipeline.sync import (
    MIRRORED_SEVERITY,
    anomaly_rows,
    cluster_ids,
    sync_alarms,
    sync_anomalies,
    sync_database,
    sync_evaluation,
    sync_passes,
)
from ionoquake.sources import ionex
from ionoquake.sources.gim import combine_days
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


@pytest.fixture(scope="module")
def detection(bundled_data: Path) -> tuple[xr.Dataset, pd.DataFrame]:
    """Anomalies and clusters of 4 bundled JPL days (2001-01-11 .. 14), 3-day background."""
    files = [bundled_data / "ionex" / "jpl_2000326-2001014" / f"jplg{d:03d}0.01i.gz"
             for d in range(11, 15)]
    anomalies = detect_anomalies(combine_days([ionex.read(p) for p in files]),
                                 BackgroundConfig(window_days=3))
    return anomalies, anomaly_clusters(anomalies)


def test_the_anomalies_of_a_detection_are_mirrored_with_their_clusters(
        detection: tuple[xr.Dataset, pd.DataFrame], tmp_path: Path) -> None:
    anomalies, clusters = detection
    engine = database.connect(database.database_url(tmp_path))
    written = sync_anomalies(engine, "jplg", anomalies, clusters)
    flagged = (anomalies["positive"] | anomalies["negative"]).isel(lon=slice(0, -1))
    assert written == int(flagged.sum()) > 1000  # every anomalous cell (180° = -180° once)
    rows = database.read(engine, schema.anomalies)
    stored = database.read(engine, schema.clusters)
    assert rows["cluster_id"].notna().all()
    # every cell is counted in its cluster: the cluster table's n_cells, cell by cell
    per_cluster = rows["cluster_id"].value_counts()
    expected = pd.Series(clusters["n_cells"].to_numpy(), index=cluster_ids("jplg", clusters))
    assert per_cluster.sort_index().equals(expected.sort_index().rename("count")
                                           .rename_axis("cluster_id"))
    assert set(per_cluster.index) == set(stored["cluster_id"])
    assert sync_anomalies(engine, "jplg", anomalies, clusters) == 0  # idempotent
    strong = anomaly_rows("jplg", anomalies, clusters, min_abs_severity=MIRRORED_SEVERITY)
    severity = abs(anomalies["severity"]).isel(lon=slice(0, -1)).where(flagged)
    assert len(strong) == int((severity >= MIRRORED_SEVERITY).sum()) > 0
    assert strong["severity"].abs().min() >= MIRRORED_SEVERITY
    engine.dispose()
    with sqlite3.connect(tmp_path / "ionoquake.sqlite") as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.execute("PRAGMA foreign_keys = ON")  # SQLite enforces the declared keys on demand
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            db.execute("UPDATE anomalies SET cluster_id = 'no-such-cluster' WHERE id = 1")


def test_passes_reference_their_zones_and_alarm_spans_are_indexed(tmp_path: Path) -> None:
    engine = database.connect(database.database_url(tmp_path))
    zones = pd.DataFrame({"zone_id": ["usp000a7m5"], "lat": [13.049], "lon": [-88.66],
                          "radius_km": [2053.0], "kind": ["circle"]})
    passes = pd.DataFrame({
        "satellite": ["CSES", "SWARM A"], "norad_id": [43194, 39452],
        "zone_id": ["usp000a7m5", "other"],
        "entry": pd.to_datetime(["2019-11-18T04:33:37.500", "2019-11-18T05:00:00.000"]),
        "exit": pd.to_datetime(["2019-11-18T04:40:00", "2019-11-18T05:06:00"]),
        "closest_time": pd.to_datetime(["2019-11-18T04:36:00", "2019-11-18T05:03:00"]),
        "closest_km": [120.0, 300.0], "closest_lat": [13.0, 10.0],
        "closest_lon": [-88.0, -80.0], "local_mean_time_h": [22.5, 23.0],
        "ascending": [True, False]})
    assert sync_passes(engine, passes, zones) == 2
    stored = database.read(engine, schema.zones).set_index("zone_id")
    assert stored.loc["usp000a7m5", "radius_km"] == 2053.0
    assert stored["lat"].isna()["other"]  # named by a pass only
    inspector = sa.inspect(engine)
    keys = {fk["referred_table"]: fk["constrained_columns"]
            for t in ("passes", "anomalies") for fk in inspector.get_foreign_keys(t)}
    assert keys == {"zones": ["zone_id"], "clusters": ["cluster_id"]}
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("alarms")}
    assert {("issued",), ("start",), ("end",)} <= indexed
    engine.dispose()
    with sqlite3.connect(tmp_path / "ionoquake.sqlite") as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
