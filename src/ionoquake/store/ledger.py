"""The ledger of evaluation runs: every configuration tried on the same target events.

A p-value below 0.05 means little when twenty rule sets were tried on the same
earthquakes until one got there. The ledger counts the tries: every evaluation
run appends one record, and the p-value of a run can then be corrected for all
the configurations tried on its targets (Holm 1979, Scand. J. Statist. 6, 65-70;
see :mod:`ionoquake.evaluate.family`).

Layout: ``<store>/tables/ledger/evaluations.parquet``, a table of
:mod:`ionoquake.store.tables` (merged by key, written atomically, listed by
``ionoquake info``). One row per record, columns :data:`LEDGER_COLUMNS`:

``run_time``
    when the record was first written (naive UTC, to the second);
``label``
    what the run was for, e.g. ``"main"`` or ``"sensitivity"``;
``target_hash``
    SHA-256 of the target events (:func:`events_hash`): the runs that share it
    tested the same earthquakes;
``configuration_hash``
    SHA-256 of ``parameters``: the alarm rules, the evaluation parameters, the
    catalogue hash and the clusters' hash;
``rules_hash``, ``catalog_hash``, ``clusters_hash``
    SHA-256 of the alarm rules (``AlarmRules.rules_hash``), of the learning
    catalogue (:func:`events_hash`) and of the anomaly cluster table (:func:`table_hash`);
``statistic_name``, ``statistic``, ``p_value``
    the headline statistic of the run and its p-value (NaN when nothing could be scored);
``parameters``
    the canonical JSON the configuration hash is computed from;
``record_id``
    SHA-256 of the configuration hash and the result: the table's key.

Re-running a configuration with the same result adds nothing and leaves the file
byte-identical; the same configuration with another result (a changed program)
adds a record, and the latest one is the one that counts. The number of tries on
a target set is the number of distinct configuration hashes.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.errors import StoreError
from ionoquake.store.provenance import json_sha256
from ionoquake.store.tables import read_table, table_path, write_table

__all__ = ["EVENT_COLUMNS", "KIND", "LEDGER_COLUMNS", "NAME", "LedgerRecord", "events_hash",
           "ledger_path", "read_ledger", "record_evaluation", "rules_first_recorded",
           "table_hash", "tried_configurations"]

KIND = "ledger"
NAME = "evaluations"

LEDGER_COLUMNS = ("run_time", "label", "target_hash", "configuration_hash", "rules_hash",
                  "catalog_hash", "clusters_hash", "statistic_name", "statistic", "p_value",
                  "parameters", "record_id")
_HASHES = ("target_hash", "configuration_hash", "rules_hash", "catalog_hash", "clusters_hash")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: The event columns a target hash is made of, and the decimals they are rounded to.
EVENT_COLUMNS = {"event_id": None, "time": None, "latitude": 5, "longitude": 5, "magnitude": 3}


def _now() -> pd.Timestamp:
    return pd.Timestamp.now("UTC").tz_localize(None).floor("s")


@dataclass(frozen=True)
class LedgerRecord:
    """One evaluation run, as the ledger stores it (see the module docstring)."""

    target_hash: str
    configuration_hash: str
    rules_hash: str
    catalog_hash: str
    clusters_hash: str
    parameters: str
    statistic_name: str
    statistic: float
    p_value: float
    label: str = "main"
    run_time: pd.Timestamp = field(default_factory=_now)

    @property
    def record_id(self) -> str:
        """SHA-256 of the configuration hash and the result (statistic and p-value)."""
        def num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)
        return json_sha256([self.configuration_hash, self.statistic_name, num(self.statistic),
                            num(self.p_value)])


def ledger_path(store: str | os.PathLike[str]) -> Path:
    """The ledger file of ``store``."""
    return table_path(store, KIND, NAME)


def events_hash(events: pd.DataFrame) -> str:
    """SHA-256 of a set of earthquakes: ids, times, epicentres and magnitudes.

    The events are sorted by time and id; times are written to the millisecond
    (naive UTC), coordinates to 1e-5° and magnitudes to 0.001, so that the same
    events read from any file or table give the same hash.

    Raises
    ------
    StoreError
        A column of :data:`EVENT_COLUMNS` is missing.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise StoreError(f"events to hash lack column(s) {missing}")
    t = pd.to_datetime(events["time"])
    if t.dt.tz is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    table = pd.DataFrame({
        "event_id": events["event_id"].astype(str).to_numpy(),
        "time": np.datetime_as_string(t.to_numpy().astype("datetime64[ms]"), unit="ms"),
        **{c: np.round(events[c].to_numpy(float), d) + 0.0  # + 0.0: no "-0.0"
           for c, d in EVENT_COLUMNS.items() if d is not None}})
    table = table.sort_values(["time", "event_id"], kind="stable")
    return json_sha256(table.to_numpy().tolist())


def table_hash(table: pd.DataFrame) -> str:
    """SHA-256 of a table's CSV text: columns in name order, rows as given, no index."""
    text = table[sorted(map(str, table.columns))].to_csv(index=False, lineterminator="\n")
    return json_sha256(text)


def _check(record: LedgerRecord, path: Path) -> None:
    bad = [name for name in _HASHES if not _SHA256.fullmatch(str(getattr(record, name)))]
    if bad:
        raise StoreError(f"{path}: ledger record: {', '.join(bad)} must be SHA-256 hex digests")
    for name in ("label", "statistic_name"):
        if not isinstance(getattr(record, name), str) or not getattr(record, name).strip():
            raise StoreError(f"{path}: ledger record: {name} must be a non-empty text")
    p = float(record.p_value)
    if not (math.isnan(p) or 0.0 <= p <= 1.0):
        raise StoreError(f"{path}: ledger record: p_value {p} is not in [0, 1]")
    try:
        params = json.loads(record.parameters)
    except (TypeError, ValueError):
        params = None
    if not isinstance(params, dict):
        raise StoreError(f"{path}: ledger record: parameters must be a JSON object")
    if pd.Timestamp(record.run_time).tzinfo is not None:
        raise StoreError(f"{path}: ledger record: run_time must be naive UTC")


def _row(record: LedgerRecord) -> pd.DataFrame:
    values = {name: [getattr(record, name)] for name in LEDGER_COLUMNS if name != "record_id"}
    row = pd.DataFrame({**values, "record_id": [record.record_id]})
    row["run_time"] = pd.to_datetime(row["run_time"]).astype("datetime64[ns]")
    row[["statistic", "p_value"]] = row[["statistic", "p_value"]].astype(float)
    return row[list(LEDGER_COLUMNS)]


def read_ledger(store: str | os.PathLike[str]) -> pd.DataFrame:
    """Every record of the ledger (no rows if the store has none yet), oldest first.

    Raises
    ------
    StoreError
        The ledger file cannot be read or lacks columns; the message names the file.
    """
    path = ledger_path(store)
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "run_time" else
                                          float if c in ("statistic", "p_value") else object)
                             for c in LEDGER_COLUMNS})
    try:
        table = read_table(store, KIND, NAME)
    except Exception as exc:
        raise StoreError(f"{path}: not a readable evaluation ledger ({exc}); restore it from a "
                         "backup (moving it aside resets the count of configurations tried)"
                         ) from None
    missing = [c for c in LEDGER_COLUMNS if c not in table.columns]
    if missing:
        raise StoreError(f"{path}: not an evaluation ledger: no column(s) {missing}")
    table.attrs = {}
    return table.sort_values(["run_time", "record_id"], kind="stable").reset_index(drop=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` so that concurrent runs never drop a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.stem}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def record_evaluation(store: str | os.PathLike[str], record: LedgerRecord) -> bool:
    """Append ``record`` to the ledger of ``store``; True if it was new.

    A record with the same configuration and result as a stored one changes
    nothing on disk (the stored one, with its earlier ``run_time``, stays).
    The file is replaced atomically: an error mid-write leaves the old ledger.

    Raises
    ------
    StoreError
        The record is malformed, or the stored ledger is unreadable.
    """
    path = ledger_path(store)
    _check(record, path)
    if record.record_id in set(read_ledger(store)["record_id"]):
        return False
    with _locked(path):
        if record.record_id in set(read_ledger(store)["record_id"]):  # written meanwhile
            return False
        write_table(store, KIND, NAME, _row(record), key="record_id", sources=[])
    return True


def tried_configurations(store: str | os.PathLike[str], target_hash: str) -> pd.DataFrame:
    """The configurations tried on the targets of ``target_hash``, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``configuration_hash``, ``rules_hash``, ``label``, ``first_run``,
        ``last_run``, ``n_records``, ``statistic_name``, ``statistic``, ``p_value``,
        ``parameters``; the label and result are those of the latest record of
        each configuration. Sorted by first run.
    """
    ledger = read_ledger(store)
    ledger = ledger[ledger["target_hash"] == target_hash]
    groups = ledger.groupby("configuration_hash", sort=False)
    latest = groups.tail(1).set_index("configuration_hash")
    out = pd.DataFrame({
        "rules_hash": latest["rules_hash"], "label": latest["label"],
        "first_run": groups["run_time"].min(), "last_run": groups["run_time"].max(),
        "n_records": groups.size(), "statistic_name": latest["statistic_name"],
        "statistic": latest["statistic"], "p_value": latest["p_value"],
        "parameters": latest["parameters"]})
    out = out.rename_axis("configuration_hash").reset_index()
    return out.sort_values(["first_run", "configuration_hash"], kind="stable").reset_index(
        drop=True)


def rules_first_recorded(store: str | os.PathLike[str], rules_hash: str) -> pd.Timestamp | None:
    """When the rules of ``rules_hash`` were first run on any targets (None: never)."""
    ledger = read_ledger(store)
    times = ledger.loc[ledger["rules_hash"] == rules_hash, "run_time"]
    return None if times.empty else pd.Timestamp(times.min())
