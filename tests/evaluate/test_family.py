"""Family-wise p over the configurations tried on the same targets, and pre-registration."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.evaluate.family import (
    PRE_REGISTERED,
    RETROSPECTIVE,
    FamilyWise,
    assess_run,
    ledger_record,
)
from ionoquake.evaluate.pvalues import holm
from ionoquake.forecast.alarm_rules import AlarmRules
from ionoquake.pipeline.evaluate import evaluate_clusters, headline
from ionoquake.store.catalogs import ingest_files, read_catalog
from ionoquake.store.ledger import LedgerRecord, ledger_path, read_ledger

CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _record(config: str, p: float, rules: AlarmRules, time: str) -> LedgerRecord:
    return LedgerRecord(_h("T"), _h(config), rules.rules_hash, _h("cat"), _h("clu"), "{}",
                        "ass", 0.6, p, run_time=pd.Timestamp(time))


def test_holm_over_the_ledger_and_the_registration_status(tmp_path: Path) -> None:
    rules = AlarmRules()
    first = assess_run(tmp_path, _record("a", 0.01, rules, "2024-01-01"), rules, "2001-01-05")
    assert (first.n_configurations, first.raw_p, first.family_p) == (1, 0.01, 0.01)
    other = AlarmRules(duration_days=5.0)
    assess_run(tmp_path, _record("b", 0.04, other, "2024-01-02"), other, "2001-01-05")
    fw = assess_run(tmp_path, _record("c", 0.03, other, "2024-01-03"), other, "2001-01-05")
    # Holm (1979): p = 0.01, 0.04, 0.03 -> 0.03, 0.06, 0.06 (the docstring example of holm).
    assert fw.n_configurations == 3 and fw.method == "Holm over the 3 configurations in the ledger"
    assert [t.family_p for t in fw.tried] == pytest.approx([0.03, 0.06, 0.06])
    assert fw.family_p == pytest.approx(0.06) and fw.raw_p == 0.03
    # No frozen_at: frozen at the first run of these rules in the ledger, after the window began.
    reg = fw.registration
    assert (reg.frozen_at, reg.status) == ("2024-01-02T00:00:00Z", RETROSPECTIVE)
    assert reg.source == "first run of these rules in the ledger" and reg.retrospective
    frozen = AlarmRules(duration_days=5.0, frozen_at=pd.Timestamp("2000-12-01"))
    again = assess_run(tmp_path, _record("c", 0.03, frozen, "2024-01-04"), frozen, "2001-01-05")
    assert again.n_configurations == 3  # the same configuration again is not a new try
    assert (again.registration.frozen_at, again.registration.status) == (
        "2000-12-01T00:00:00Z", PRE_REGISTERED)
    assert FamilyWise.from_dict(json.loads(json.dumps(again.to_dict()))) == again


def test_without_an_archive_the_count_is_unknown() -> None:
    rules = AlarmRules()
    fw = assess_run(None, _record("a", 0.02, rules, "2024-01-01"), rules, "2001-01-05")
    assert fw.n_configurations is None and fw.family_p == 0.02
    assert "number of configurations tried on these targets is unknown" in fw.method
    assert fw.registration.source == "this run (no archive, so no ledger)"
    assert fw.registration.status == RETROSPECTIVE


def test_an_unscored_configuration_counts_as_p_1(tmp_path: Path) -> None:
    rules = AlarmRules()
    assess_run(tmp_path, _record("a", float("nan"), rules, "2024-01-01"), rules, "2001-01-05")
    fw = assess_run(tmp_path, _record("b", 0.02, rules, "2024-01-02"), rules, "2001-01-05")
    assert fw.n_configurations == 2 and fw.family_p == pytest.approx(0.04)
    assert fw.tried[0].p_value is None and fw.tried[0].family_p is None


@pytest.fixture()
def archive(bundled_data: Path, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    ingest_files(store, [bundled_data / CATALOG])
    return store


def _clusters() -> pd.DataFrame:
    """One quiet positive cluster just before El Salvador (as in tests/test_cli.py)."""
    return pd.DataFrame({
        "cluster": [1], "sign": [1], "start": pd.to_datetime(["2001-01-10 01:00"]),
        "end": pd.to_datetime(["2001-01-10 09:00"]), "duration_h": [8.0], "n_epochs": [5],
        "n_cells": [40], "max_area_km2": [1e6], "lat_min": [10.0], "lat_max": [17.5],
        "lon_west": [-95.0], "lon_east": [-80.0], "peak_time": pd.to_datetime(["2001-01-10 05:00"]),
        "peak_lat": [12.5], "peak_lon": [-90.0], "peak_dtec": [12.0],
        "peak_dtec_percent": [30.0], "peak_severity": [2.5], "geomag": ["quiet"],
        "disturbed_fraction": [0.0]})


def _verdict(report: Path) -> str:
    match = re.search(r"class='verdict'>(.*?)</p>", report.read_text())
    assert match is not None
    return match.group(1)


def test_two_rule_sets_on_the_same_targets_are_counted(archive: Path, tmp_path: Path) -> None:
    """ComCat M≥4.5 of 2000-10..2001-02 (bundled), targets M≥6 of 2001-01-05..20."""
    kw = {"learning_days": 90, "store": archive, "n_simulations": 500, "epoch_nulls": 20,
          "sensitivity": False}
    first = evaluate_clusters(read_catalog(archive), _clusters(), AlarmRules(duration_days=5.0),
                              "2001-01-05", "2001-01-20", tmp_path / "a", **kw)
    assert first.family.n_configurations == 1
    assert first.family.registration.status == RETROSPECTIVE
    ledger = ledger_path(archive)
    before = ledger.read_bytes()
    frozen = AlarmRules(duration_days=8.0, frozen_at=pd.Timestamp("2000-12-01"))
    second = evaluate_clusters(read_catalog(archive), _clusters(), frozen, "2001-01-05",
                               "2001-01-20", tmp_path / "b", label="sensitivity", **kw)
    fw = second.family
    assert fw.n_configurations == 2 and fw.target_hash == first.family.target_hash
    raw = [first.evaluation.molchan_alarms.ass.p_value,  # type: ignore[union-attr]
           second.evaluation.molchan_alarms.ass.p_value]  # type: ignore[union-attr]
    assert fw.raw_p == raw[1] and fw.family_p == pytest.approx(holm(raw)[1])
    assert fw.family_p == pytest.approx(min(1.0, 2 * min(raw)))  # Holm for two tests
    summary = json.loads(second.summary.read_text())
    assert summary["configurations_tried"]["n"] == 2
    assert summary["configurations_tried"]["method"] == (
        "Holm over the 2 configurations in the ledger")
    assert summary["registration"] == {
        "rules_hash": frozen.rules_hash, "frozen_at": "2000-12-01T00:00:00Z",
        "source": "declared in the rules file", "window_start": "2001-01-05T00:00:00Z",
        "status": "pre-registered"}
    assert headline(second)["configurations_tried"] == 2
    text = second.report.read_text()
    assert "<h2>Configurations tried on these targets</h2>" in text
    assert "Holm over the 2 configurations tried on these targets" in _verdict(second.report)
    assert "the run is pre-registered" in _verdict(second.report)
    assert "the run is retrospective and exploratory; its p-values" in _verdict(first.report)
    assert "after the evaluated window began on 2001-01-05 00:00 UTC" in _verdict(first.report)
    # Re-running the first configuration is not a new try, and the ledger is not rewritten.
    mid = ledger.read_bytes()
    assert mid != before
    again = evaluate_clusters(read_catalog(archive), _clusters(), AlarmRules(duration_days=5.0),
                              "2001-01-05", "2001-01-20", tmp_path / "c", **kw)
    assert again.family.n_configurations == 2 and ledger.read_bytes() == mid
    assert len(read_ledger(archive)) == 2
    assert np.isclose(again.family.family_p, fw.family_p)  # type: ignore[arg-type]


def test_without_a_store_the_report_says_the_count_is_unknown(archive: Path,
                                                              tmp_path: Path) -> None:
    run = evaluate_clusters(read_catalog(archive), _clusters(), AlarmRules(duration_days=5.0),
                            "2001-01-05", "2001-01-20", tmp_path / "out", learning_days=90,
                            n_simulations=200, epoch_nulls=20)
    assert run.family.n_configurations is None
    assert "number of configurations tried on these targets is unknown" in _verdict(run.report)
    assert "Without an archive there is no ledger" in run.report.read_text()
    assert json.loads(run.summary.read_text())["configurations_tried"]["n"] is None


def test_the_record_hashes_rules_parameters_catalogue_and_clusters(archive: Path) -> None:
    cat = read_catalog(archive)
    kw = {"targets": cat.iloc[:3], "catalog": cat, "clusters": _clusters(),
          "parameters": {"start": "2001-01-05"}, "statistic_name": "ass", "statistic": 0.6,
          "p_value": 0.1}
    base = ledger_record(rules=AlarmRules(), **kw)  # type: ignore[arg-type]
    assert base.configuration_hash == hashlib.sha256(base.parameters.encode()).hexdigest()
    assert json.loads(base.parameters)["rules"] == AlarmRules().to_dict()
    same = ledger_record(rules=AlarmRules(frozen_at=pd.Timestamp("2000-01-01")), **kw)  # type: ignore[arg-type]
    assert same.configuration_hash == base.configuration_hash
    for change in ({"clusters": _clusters().assign(peak_lat=[13.0])},
                   {"catalog": cat.iloc[1:]}, {"parameters": {"start": "2001-01-06"}}):
        other = ledger_record(rules=AlarmRules(), **{**kw, **change})  # type: ignore[arg-type]
        assert other.configuration_hash != base.configuration_hash
        assert other.target_hash == base.target_hash


def test_the_sensitivity_grid_counts_its_rule_variations(archive: Path, tmp_path: Path) -> None:
    # The rule variations of the grid share the targets: they are configurations tried on
    # them (label "sensitivity"); the catalogue variations change the targets and are not.
    run = evaluate_clusters(read_catalog(archive), _clusters(), AlarmRules(duration_days=5.0),
                            "2001-01-05", "2001-01-20", tmp_path / "a", learning_days=90,
                            store=archive, n_simulations=500, epoch_nulls=20)
    assert run.sensitivity is not None
    rule_cells = [c for c in run.sensitivity.cells if c.axis == "rules"]
    assert len(rule_cells) == 4
    assert run.family.n_configurations == 1 + len(rule_cells)
    p = [run.evaluation.molchan_alarms.ass.p_value,  # type: ignore[union-attr]
         *(c.p_value for c in rule_cells)]
    assert run.family.family_p == pytest.approx(holm(p)[0])
    summary = json.loads(run.summary.read_text())
    assert len(summary["sensitivity"]["cells"]) == len(run.sensitivity.cells)
    assert "configurations" in headline(run)["sensitivity"]
