"""The evaluation ledger: every configuration tried on a target set, counted once, never lost."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ionoquake.errors import StoreError
from ionoquake.sources import catalog
from ionoquake.store import tables
from ionoquake.store.ledger import (
    LedgerRecord,
    events_hash,
    ledger_path,
    read_ledger,
    record_evaluation,
    rules_first_recorded,
    table_hash,
    tried_configurations,
)

CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _record(config: str = "a", target: str = "T", p: float = 0.04, *, rules: str = "r",
            label: str = "main", time: str = "2024-05-01 12:00:00") -> LedgerRecord:
    return LedgerRecord(target_hash=_h(target), configuration_hash=_h(config),
                        rules_hash=_h(rules), catalog_hash=_h("catalog"),
                        clusters_hash=_h("clusters"), parameters=json.dumps({"config": config}),
                        statistic_name="ass", statistic=0.6, p_value=p, label=label,
                        run_time=pd.Timestamp(time))


def test_a_run_is_appended_and_read_back(tmp_path: Path) -> None:
    assert read_ledger(tmp_path).empty and tried_configurations(tmp_path, _h("T")).empty
    assert record_evaluation(tmp_path, _record())
    path = ledger_path(tmp_path)
    assert path == tmp_path / "tables" / "ledger" / "evaluations.parquet"
    ledger = read_ledger(tmp_path)
    assert len(ledger) == 1 and ledger["p_value"].iloc[0] == 0.04
    assert ledger["run_time"].iloc[0] == pd.Timestamp("2024-05-01 12:00:00")
    tried = tried_configurations(tmp_path, _h("T"))
    assert tried[["configuration_hash", "label", "n_records", "p_value"]].values.tolist() == [
        [_h("a"), "main", 1, 0.04]]


def test_rerunning_a_configuration_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    record_evaluation(tmp_path, _record())
    path = ledger_path(tmp_path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    # The same configuration and result, run later under another label: not a new try.
    assert not record_evaluation(tmp_path, _record(label="sensitivity", time="2024-06-01"))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert tried_configurations(tmp_path, _h("T"))["label"].tolist() == ["main"]


def test_distinct_configurations_are_counted_per_target_set(tmp_path: Path) -> None:
    record_evaluation(tmp_path, _record("a", p=0.04, time="2024-05-01"))
    record_evaluation(tmp_path, _record("b", p=0.20, rules="r2", time="2024-05-02"))
    record_evaluation(tmp_path, _record("c", target="other", p=0.5, time="2024-05-03"))
    # The same configuration with another result (a changed program): the latest counts.
    assert record_evaluation(tmp_path, _record("a", p=0.03, label="rerun", time="2024-05-04"))
    tried = tried_configurations(tmp_path, _h("T"))
    assert tried["configuration_hash"].tolist() == [_h("a"), _h("b")]
    assert tried["p_value"].tolist() == [0.03, 0.20]
    assert tried["n_records"].tolist() == [2, 1] and tried["label"].tolist() == ["rerun", "main"]
    assert tried["first_run"].iloc[0] == pd.Timestamp("2024-05-01")
    assert len(tried_configurations(tmp_path, _h("other"))) == 1
    assert len(read_ledger(tmp_path)) == 4
    assert rules_first_recorded(tmp_path, _h("r")) == pd.Timestamp("2024-05-01")
    assert rules_first_recorded(tmp_path, _h("r2")) == pd.Timestamp("2024-05-02")
    assert rules_first_recorded(tmp_path, _h("never")) is None


def test_a_run_that_could_not_be_scored_is_recorded_once(tmp_path: Path) -> None:
    nan = float("nan")
    assert record_evaluation(tmp_path, _record(p=nan))
    assert not record_evaluation(tmp_path, _record(p=nan, time="2024-07-01"))
    assert tried_configurations(tmp_path, _h("T"))["p_value"].isna().all()


def test_a_corrupt_ledger_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    path = ledger_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1 not really parquet")
    for call in (lambda: read_ledger(tmp_path), lambda: record_evaluation(tmp_path, _record()),
                 lambda: tried_configurations(tmp_path, _h("T"))):
        with pytest.raises(StoreError, match="evaluations.parquet: not a readable evaluation "
                                             "ledger"):
            call()
    assert path.read_bytes() == b"PAR1 not really parquet"  # never overwritten
    pq.write_table(pa.table({"x": [1, 2]}), path)  # a Parquet file, but not a ledger
    with pytest.raises(StoreError, match=r"evaluations.parquet: not an evaluation ledger: no "
                                         r"column\(s\) \['run_time'"):
        read_ledger(tmp_path)


def test_bad_records_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    good = _record()
    for change, message in [({"p_value": 1.5}, "p_value 1.5 is not in"),
                            ({"target_hash": "abc"}, "target_hash must be SHA-256"),
                            ({"label": " "}, "label must be a non-empty text"),
                            ({"parameters": "[1, 2]"}, "parameters must be a JSON object"),
                            ({"run_time": pd.Timestamp("2024-01-01", tz="UTC")},
                             "run_time must be naive UTC")]:
        bad = LedgerRecord(**{**vars(good), **change})
        with pytest.raises(StoreError, match=f"evaluations.parquet: ledger record: {message}"):
            record_evaluation(tmp_path, bad)
    assert not ledger_path(tmp_path).exists()


def test_an_error_mid_write_keeps_the_old_ledger(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    record_evaluation(tmp_path, _record("a"))
    path = ledger_path(tmp_path)
    before = path.read_bytes()

    def half_write(table: object, where: Path, **kwargs: object) -> None:
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(tables.pq, "write_table", half_write)
    with pytest.raises(OSError, match="disk full"):
        record_evaluation(tmp_path, _record("b"))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [".evaluations.lock",
                                                             "evaluations.parquet"]
    assert tried_configurations(tmp_path, _h("T"))["configuration_hash"].tolist() == [_h("a")]
    assert record_evaluation(tmp_path, _record("b"))  # and the next write works


def test_events_hash_is_the_same_for_the_same_earthquakes(bundled_data: Path) -> None:
    events = catalog.read(bundled_data / CATALOG)
    events = events[events["magnitude"] >= 6.0].reset_index(drop=True)
    h = events_hash(events)
    # Order, extra columns and a time zone do not matter; one magnitude does.
    shuffled = events.sample(frac=1.0, random_state=1)[["magnitude", "event_id", "time",
                                                         "latitude", "longitude"]]
    assert events_hash(shuffled) == h
    aware = events.assign(time=events["time"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
    assert events_hash(aware) == h
    changed = events.copy()
    changed.loc[0, "magnitude"] += 0.1
    assert events_hash(changed) != h and events_hash(events.iloc[1:]) != h
    with pytest.raises(StoreError, match=r"lack column\(s\) \['magnitude'\]"):
        events_hash(events.drop(columns="magnitude"))
    # The same in a fresh interpreter (no dependence on PYTHONHASHSEED or process state).
    code = ("import sys; from ionoquake.sources import catalog; "
            "from ionoquake.store.ledger import events_hash; "
            "e = catalog.read(sys.argv[1]); print(events_hash(e[e['magnitude'] >= 6.0]))")
    out = subprocess.run([sys.executable, "-c", code, str(bundled_data / CATALOG)],
                         capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert out.stdout.strip() == h


def test_table_hash_ignores_column_order_not_values() -> None:
    a = pd.DataFrame({"x": [1.5, 2.0], "t": pd.to_datetime(["2001-01-10 01:00", "2001-01-11 00:00"])})
    assert table_hash(a) == table_hash(a[["t", "x"]])
    assert table_hash(a) != table_hash(a.assign(x=[1.5, 2.5]))
