"""Outputs opened in the clients their users have: strict JSON, pyarrow, pandas, pyCSEP.

* ``evaluation.json`` of ``ionoquake evaluate`` parses as strict JSON (RFC 8259: no NaN
  or Infinity tokens, no ``"Infinity"`` strings inside number lists), is small, and its
  long lists are in ``evaluation_arrays.parquet``, which pyarrow reads; the records
  round-trip through ``from_dict``. Its CSEP files load in pyCSEP.
* every table endpoint of the API writes times that ``pandas.to_datetime`` reads without
  a format (ISO 8601 UTC, ``Z``, milliseconds, one length), and time parameters accept
  ``Z`` and offsets.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.evaluate.forecast_run import RunEvaluation
from ionoquake.evaluate.results import NullSummary
from ionoquake.forecast.alarm_rules import AlarmRules
from ionoquake.forecast.csep_export import pycsep_events
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.pipeline.evaluate import (
    ARRAYS_FILE,
    MAX_INLINE,
    evaluate_clusters,
    read_evaluation,
)
from ionoquake.pipeline.sync import (
    sync_alarms,
    sync_clusters,
    sync_database,
    sync_evaluation,
    sync_forecasts,
    sync_passes,
)
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.store import database, schema
from ionoquake.store.catalogs import ingest_files, read_catalog
from ionoquake.store.indices import ingest_indices

CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
INDICES = "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"


def _strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} is not JSON (RFC 8259)")

    return json.loads(text, parse_constant=refuse)


def _clusters() -> pd.DataFrame:
    """A quiet positive cluster before El Salvador, and one across 180° (west 175, east -175)."""
    return pd.DataFrame({
        "cluster": [1, 2], "sign": [1, -1],
        "start": pd.to_datetime(["2001-01-10 01:00", "2001-01-11 03:00"]),
        "end": pd.to_datetime(["2001-01-10 09:00", "2001-01-11 07:00"]),
        "duration_h": [8.0, 4.0], "n_epochs": [5, 3], "n_cells": [40, 12],
        "max_area_km2": [1e6, 3e5], "lat_min": [10.0, -20.0], "lat_max": [17.5, -15.0],
        "lon_west": [-95.0, 175.0], "lon_east": [-80.0, -175.0],
        "peak_time": pd.to_datetime(["2001-01-10 05:00:00.0", "2001-01-11 04:33:37.5"]),
        "peak_lat": [12.5, -17.5], "peak_lon": [-90.0, 180.0], "peak_dtec": [12.0, -8.0],
        "peak_dtec_percent": [30.0, -25.0], "peak_severity": [2.5, -2.0],
        "geomag": ["quiet", "quiet"], "disturbed_fraction": [0.0, 0.0]})


@pytest.fixture(scope="module")
def archive(bundled_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("store")
    ingest_files(store, [bundled_data / CATALOG])
    ingest_indices(store, [bundled_data / INDICES])
    return store


@pytest.fixture(scope="module")
def run(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``evaluate_clusters`` as ``ionoquake evaluate`` runs it, with its default 3650 days."""
    out = tmp_path_factory.mktemp("evaluate")
    return evaluate_clusters(read_catalog(archive), _clusters(), AlarmRules(duration_days=5.0),
                             "2001-01-05", "2001-01-15", out, learning_days=3650,
                             store=archive, n_simulations=200, epoch_nulls=10,
                             sensitivity=False)


def test_evaluation_json_is_strict_small_and_its_arrays_open_in_pyarrow(run: Any) -> None:
    text = run.summary.read_text()
    data = _strict(text)  # no NaN/Infinity tokens
    assert '"Infinity"' not in text and '"NaN"' not in text and '"-Infinity"' not in text
    sidecar = run.summary.parent / ARRAYS_FILE
    table = pq.read_table(sidecar)
    assert table.schema.field("value").type == "double" and table.num_rows > 0
    arrays = set(table.column("array").to_pylist())
    # the long trajectories live in the sidecar, referenced by name from the JSON
    tau = data["evaluation"]["molchan_rate"]["tau"]
    assert tau == {"sidecar": ARRAYS_FILE, "array": "/evaluation/molchan_rate/tau",
                   "length": tau["length"]} and tau["length"] > MAX_INLINE
    assert "/evaluation/molchan_rate/tau" in arrays
    assert len(text) < 200_000  # the demo's was ~39 MB
    # the empty alarm's threshold is +inf: null in the list, named in non_finite
    rate = read_evaluation(run.summary)["evaluation"]["molchan_rate"]
    assert rate["threshold"][0] is None and rate["non_finite"]["threshold"]["0"] == "inf"
    again = RunEvaluation.from_dict(read_evaluation(run.summary)["evaluation"])
    assert again == run.evaluation
    assert again.molchan_rate.threshold[0] == float("inf")


def test_the_learning_gap_warning_fires(run: Any) -> None:
    data = json.loads(run.summary.read_text())
    assert run.warning and data["warnings"] == [run.warning]
    assert "the catalogue starts 2000-10-01" in run.warning and "too low by about" in run.warning
    assert "learning period" in run.report.read_text()


def test_the_csep_files_of_the_evaluation_load_in_pycsep(run: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import csep
        from csep.core import poisson_evaluations

    files = json.loads(run.summary.read_text())["csep_files"]
    folder = run.summary.parent
    start, end = (pd.Timestamp(files[k]).tz_convert(None).to_pydatetime()
                  for k in ("start_date", "end_date"))
    fc = csep.load_gridded_forecast(str(folder / files["forecast"]), start_date=start,
                                    end_date=end)
    cat = csep.load_catalog(str(folder / files["catalog"]), loader=pycsep_events)
    cat.region = fc.region
    cat = cat.filter_spatial(fc.region).filter(f"magnitude >= {fc.min_magnitude}")
    theirs = poisson_evaluations.number_test(fc, cat)
    ours = run.evaluation.csep["N"]
    assert theirs.observed_statistic == ours.statistic
    assert abs(theirs.quantile[0] - ours.details["delta1"]) <= 1e-12
    assert abs(theirs.quantile[1] - ours.details["delta2"]) <= 1e-12


@pytest.fixture(scope="module")
def client(archive: Path, run: Any) -> Iterator[TestClient]:
    engine = database.connect(database.database_url(archive))
    sync_database(archive, engine)
    clusters = _clusters()
    sync_clusters(engine, "jplg", clusters)
    database.upsert(engine, schema.anomalies, pd.DataFrame({
        "product": "jplg", "time": pd.to_datetime(["2001-01-11 04:33:37.5",
                                                   "2001-01-11 06:00:00.0"]),
        "lat": [-17.5, -17.5], "lon": [180.0, 177.5], "dtec": [-8.0, -6.0],
        "severity": [-2.0, -1.5], "disturbed": [False, False]}),
        key=["product", "time", "lat", "lon"])
    sync_alarms(engine, run.alarms, AlarmRules(duration_days=5.0).to_dict())
    entry = pd.Timestamp("2019-11-18 07:00:00.123456")
    sync_passes(engine, pd.DataFrame({
        "satellite": "CSES", "norad_id": 43194, "zone_id": ["z1", "z2"],
        "entry": [entry, entry.floor("h")], "exit": entry + pd.Timedelta(minutes=3),
        "closest_time": entry + pd.Timedelta(seconds=90), "closest_km": 12.0,
        "closest_lat": [13.0, 10.0], "closest_lon": [-88.7, 179.0], "local_mean_time_h": 1.5,
        "ascending": True}))
    config = ForecastConfig(name="api-times", grid=Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5),
                            learning_days=90)
    run_daily(read_catalog(archive), config, "2001-01-05", "2001-01-07", store=archive)
    sync_forecasts(engine, archive)
    sync_evaluation(engine, "run-1", "ass", 0.6, 0.04, {"note": "test"})
    with TestClient(create_app(Settings(archive, database.database_url(archive)))) as c:
        yield c


def _time_columns(table: Any) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, schema.UtcDateTime)]


@pytest.mark.parametrize(("name", "params"), [
    ("events", {"start": "2001-01-13T00:00:00Z", "end": "2001-01-14T00:00:00Z"}),
    ("indices", {"start": "2001-01-13T00:00:00Z", "end": "2001-01-14T00:00:00+00:00"}),
    ("alarms", {}), ("clusters", {}), ("anomalies", {}), ("passes", {}), ("forecasts", {}),
    ("evaluations", {}),
])
def test_every_table_endpoint_writes_times_pandas_reads_without_a_format(
        client: TestClient, name: str, params: dict[str, str]) -> None:
    r = client.get(f"/api/{name}", params=params)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items, f"/api/{name} has rows to check"
    frame = pd.DataFrame(items)
    columns = _time_columns(getattr(schema, name))
    assert columns
    for column in columns:
        text = frame[column].dropna()
        assert (text.str.len() == 24).all() and text.str.endswith("Z").all(), column
        times = pd.to_datetime(frame[column])  # no format given
        assert str(times.dt.tz) == "UTC"


def test_time_parameters_accept_z_and_offsets(client: TestClient) -> None:
    def ids(start: str, end: str) -> list[str]:
        r = client.get("/api/events", params={"start": start, "end": end})
        assert r.status_code == 200, r.text
        return [e["event_id"] for e in r.json()["items"]]

    plain = ids("2001-01-13T00:00:00", "2001-01-14T00:00:00")
    assert plain and plain == ids("2001-01-13T00:00:00Z", "2001-01-14T00:00:00Z")
    assert plain == ids("2001-01-13T02:00:00+02:00", "2001-01-13T19:00:00-05:00")
    assert plain == ids("2001-01-13T00:00:00.000Z", "2001-01-14T00:00:00.000Z")


def test_clusters_name_their_edges_west_and_east(client: TestClient) -> None:
    items = client.get("/api/clusters").json()["items"]
    assert all("lon_west" in c and "lon_east" in c and "lon_min" not in c
               and "lon_max" not in c for c in items)
    across = [c for c in items if c["lon_west"] > c["lon_east"]]
    assert [(c["lon_west"], c["lon_east"]) for c in across] == [(175.0, -175.0)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20),
       st.floats(allow_nan=True, allow_infinity=True))
def test_records_round_trip_through_strict_json(values: list[float], mean: float) -> None:
    null = NullSummary("monte-carlo", "d", len(values), None, mean, 1.0,
                       {"0.5": mean}, tuple(values), tuple(1.0 for _ in values))
    text = json.dumps(null.to_dict(), allow_nan=False)
    again = NullSummary.from_dict(_strict(text))
    for a, b in [(again.mean, mean), (again.quantiles["0.5"], mean),
                 *zip(again.values, values, strict=True)]:
        assert (math.isnan(a) and math.isnan(b)) or a == b
    assert again.seed is None
