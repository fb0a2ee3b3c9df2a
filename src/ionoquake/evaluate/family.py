"""How far a run's p-value can be trusted: the tries on its targets, and when its rules were fixed.

Two things turn an honest p-value into a misleading one, and this module measures both:

* **many tries**: with twenty alarm configurations scored on the same
  earthquakes, one is expected below p = 0.05 by chance. Every run is recorded
  in the archive's ledger (:mod:`ionoquake.store.ledger`); the p-value of a run
  is corrected over every distinct configuration tried on the same target
  events with Holm's step-down method (Holm 1979, Scand. J. Statist. 6, 65-70;
  :func:`ionoquake.evaluate.pvalues.holm`), which keeps the family-wise error
  rate whatever the dependence between the tries. A configuration whose run
  could not be scored counts as a try with p = 1. Without an archive there is
  no ledger, and the number of tries is unknown: the p of the run is then a
  lower bound of its family-wise p.
* **hindsight**: rules fixed after the evaluated window began may have been
  shaped by the very anomalies and earthquakes they are scored on. The rules
  are frozen at ``AlarmRules.frozen_at`` if the rules file says so, else at
  the first run of their ``rules_hash`` in the ledger, else now; frozen after
  the window's start, the run is "retrospective, exploratory" (in the sense
  of pre-registered vs. exploratory analyses; Nosek et al. 2018, PNAS 115,
  2600-2606), otherwise "pre-registered".
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.evaluate.pvalues import holm
from ionoquake.forecast.alarm_rules import AlarmRules
from ionoquake.store.ledger import (
    LedgerRecord,
    events_hash,
    record_evaluation,
    rules_first_recorded,
    table_hash,
    tried_configurations,
)
from ionoquake.store.provenance import canonical_json, json_sha256

__all__ = ["PRE_REGISTERED", "RETROSPECTIVE", "FamilyWise", "Registration",
           "TriedConfiguration", "assess_run", "ledger_record"]

PRE_REGISTERED = "pre-registered"
RETROSPECTIVE = "retrospective, exploratory"


def _iso(t: Any) -> str:
    return f"{pd.Timestamp(t):%Y-%m-%dT%H:%M:%S}Z"


def _p(value: Any) -> float | None:
    return None if value is None or math.isnan(float(value)) else float(value)


@dataclass(frozen=True)
class TriedConfiguration:
    """One configuration tried on the targets, with its latest result (p None: not scored)."""

    configuration_hash: str
    rules_hash: str
    label: str
    first_run: str
    statistic: float | None
    p_value: float | None
    family_p: float | None


@dataclass(frozen=True)
class Registration:
    """When the alarm rules were frozen, relative to the evaluated window."""

    rules_hash: str
    frozen_at: str
    source: str
    window_start: str
    status: str

    @property
    def retrospective(self) -> bool:
        """True if the rules were frozen after the window began."""
        return self.status == RETROSPECTIVE

    def to_dict(self) -> dict[str, Any]:
        return {"rules_hash": self.rules_hash, "frozen_at": self.frozen_at,
                "source": self.source, "window_start": self.window_start, "status": self.status}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Registration:
        return cls(str(data["rules_hash"]), str(data["frozen_at"]), str(data["source"]),
                   str(data["window_start"]), str(data["status"]))


@dataclass(frozen=True)
class FamilyWise:
    """The headline p-value of a run, corrected over every configuration tried on its targets.

    ``n_configurations`` is None when it is unknown (no archive, so no ledger);
    ``raw_p`` and ``family_p`` are None when the run could not be scored.
    """

    statistic_name: str
    raw_p: float | None
    family_p: float | None
    n_configurations: int | None
    method: str
    target_hash: str
    configuration_hash: str
    tried: tuple[TriedConfiguration, ...]
    registration: Registration

    def to_dict(self) -> dict[str, Any]:
        """``{"configurations_tried": {...}, "registration": {...}}`` (JSON-ready)."""
        return {"configurations_tried": {
                    "n": self.n_configurations, "statistic": self.statistic_name,
                    "raw_p": self.raw_p, "family_p": self.family_p, "method": self.method,
                    "target_hash": self.target_hash,
                    "configuration_hash": self.configuration_hash,
                    "tried": [vars(t) for t in self.tried]},
                "registration": self.registration.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FamilyWise:
        """Rebuild from :meth:`to_dict` output (or an evaluation.json holding it)."""
        c = data["configurations_tried"]
        return cls(str(c["statistic"]), c["raw_p"], c["family_p"], c["n"], str(c["method"]),
                   str(c["target_hash"]), str(c["configuration_hash"]),
                   tuple(TriedConfiguration(**t) for t in c["tried"]),
                   Registration.from_dict(data["registration"]))


def ledger_record(*, targets: pd.DataFrame, catalog: pd.DataFrame, clusters: pd.DataFrame,
                  rules: AlarmRules, parameters: Mapping[str, Any], statistic_name: str,
                  statistic: float | None, p_value: float | None,
                  label: str = "main") -> LedgerRecord:
    """The ledger record of one run: its hashes, parameters and headline result.

    The configuration is the canonical JSON of the alarm rules, the evaluation
    ``parameters`` (JSON-ready), the catalogue hash and the clusters' hash; its
    SHA-256 is the configuration hash.
    """
    catalog_hash, clusters_hash = events_hash(catalog), table_hash(clusters)
    config = {"rules": rules.to_dict(), "evaluation": dict(parameters),
              "catalog_hash": catalog_hash, "clusters_hash": clusters_hash}
    nan = float("nan")
    return LedgerRecord(
        target_hash=events_hash(targets), configuration_hash=json_sha256(config),
        rules_hash=rules.rules_hash, catalog_hash=catalog_hash,
        clusters_hash=clusters_hash, parameters=canonical_json(config),
        statistic_name=statistic_name,
        statistic=nan if statistic is None else float(statistic),
        p_value=nan if p_value is None else float(p_value), label=label)


def _registration(rules: AlarmRules, window_start: str | pd.Timestamp,
                  first_recorded: pd.Timestamp | None, now: pd.Timestamp) -> Registration:
    if rules.frozen_at is not None:
        frozen, source = rules.frozen_at, "declared in the rules file"
    elif first_recorded is not None:
        frozen, source = first_recorded, "first run of these rules in the ledger"
    else:
        frozen, source = now, "this run (no archive, so no ledger)"
    start = pd.Timestamp(window_start)
    status = RETROSPECTIVE if frozen > start else PRE_REGISTERED
    return Registration(rules.rules_hash, _iso(frozen), source, _iso(start), status)


def assess_run(store: str | os.PathLike[str] | None, record: LedgerRecord, rules: AlarmRules,
               window_start: str | pd.Timestamp) -> FamilyWise:
    """Record the run in the ledger of ``store`` and correct its p over the tries on its targets.

    Parameters
    ----------
    store
        The archive; None means no ledger: the number of tries is unknown.
    record
        The run (:func:`ledger_record`).
    rules
        Its alarm rules (for ``frozen_at`` and ``rules_hash``).
    window_start
        Start of the evaluated window (naive UTC).
    """
    if store is None:
        tried = pd.DataFrame({"configuration_hash": [record.configuration_hash],
                              "rules_hash": [record.rules_hash], "label": [record.label],
                              "first_run": [record.run_time], "statistic": [record.statistic],
                              "p_value": [record.p_value]})
        first_recorded = None
    else:
        record_evaluation(store, record)
        tried = tried_configurations(store, record.target_hash)
        first_recorded = rules_first_recorded(store, record.rules_hash)
    p = tried["p_value"].to_numpy(float).copy()
    p[(tried["configuration_hash"] == record.configuration_hash).to_numpy()] = record.p_value
    adjusted = holm(np.where(np.isnan(p), 1.0, p))
    rows = tuple(TriedConfiguration(
        str(r.configuration_hash), str(r.rules_hash), str(r.label), _iso(r.first_run),
        _p(r.statistic), _p(r.p_value), None if math.isnan(pi) else float(a))
        for r, pi, a in zip(tried.itertuples(), p, adjusted, strict=True))
    this = next(t for t in rows if t.configuration_hash == record.configuration_hash)
    n = None if store is None else len(rows)
    method = (f"Holm over the {n} configuration{'' if n == 1 else 's'} in the ledger"
              if n is not None else
              "none: no archive, so no ledger; the number of configurations tried on these "
              "targets is unknown (only this run)")
    return FamilyWise(record.statistic_name, _p(record.p_value), this.family_p, n, method,
                      record.target_hash, record.configuration_hash, rows,
                      _registration(rules, window_start, first_recorded, record.run_time))
