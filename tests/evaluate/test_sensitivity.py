"""The sensitivity grid: planted flips are fragile, stable verdicts are not, cells match a full run.

Data: data/catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv (USGS ComCat, M ≥ 4.5, the
demo's bundled catalogue); period 2000-12-15 .. 2001-01-15 with 60 learning days, as the
demo. The anomaly clusters are planted: one cluster ending two days before each
Gardner–Knopoff M ≥ 6 mainshock of the period, at its epicentre, and decoy clusters far
from any event (mid-ocean: no M ≥ 4.5 event of the period within 1000 km).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.detect.decluster import decluster
from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.forecast_run import evaluate_run
from ionoquake.evaluate.sensitivity import (
    SensitivityCell,
    SensitivityTable,
    configurations,
    sensitivity_grid,
)
from ionoquake.evaluate.sensitivity_table import is_fragile
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.sources import catalog

START, END = "2000-12-15", "2001-01-15"
STEP = 5.0  # coarse cells keep the tests fast; the alarm circles (380 km) span 1-2 cells
#: Decoy alarm centres ≥ 1000 km from every M ≥ 4.5 event of the period (South Atlantic,
#: Indian Ocean, South Pacific).
DECOYS = [(-45.0, -20.0), (-50.0, 80.0), (-35.0, -120.0)]


@pytest.fixture(scope="module")
def comcat(bundled_data: Path) -> pd.DataFrame:
    return catalog.read(bundled_data / "catalogs" / "usgs_comcat_M4.5_2000-10-01_2001-02-28.csv")


@pytest.fixture(scope="module")
def targets(comcat: pd.DataFrame) -> pd.DataFrame:
    mainshocks = decluster(comcat)
    inside = (mainshocks["time"] >= START) & (mainshocks["time"] < END)
    return mainshocks[inside & (mainshocks["magnitude"] >= 6.0)]


def _clusters(targets: pd.DataFrame, *, planted_cells: int, decoy_cells: int) -> pd.DataFrame:
    """A cluster table as :func:`anomaly_clusters` writes it, with planted and decoy rows."""
    end = list(targets["time"].dt.floor("h") - pd.Timedelta(days=2))
    lat, lon = list(targets["latitude"]), list(targets["longitude"])
    n_cells = [planted_cells] * len(targets)
    for k, (dlat, dlon) in enumerate(DECOYS):
        end.append(pd.Timestamp(START) + pd.Timedelta(days=3 + 9 * k))
        lat.append(dlat)
        lon.append(dlon)
        n_cells.append(decoy_cells)
    n = len(end)
    ends = pd.to_datetime(pd.Series(end))
    return pd.DataFrame({
        "cluster": np.arange(1, n + 1), "sign": 1, "start": ends - pd.Timedelta(hours=6),
        "end": ends, "duration_h": 6.0, "n_epochs": 4, "n_cells": n_cells,
        "max_area_km2": 5.0e5, "peak_time": ends, "peak_lat": lat, "peak_lon": lon,
        "peak_severity": 3.0, "geomag": "quiet", "disturbed_fraction": 0.0})


def _grid(comcat: pd.DataFrame, clusters: pd.DataFrame, **kwargs: object) -> SensitivityTable:
    options: dict[str, object] = {
        "completeness": (None,), "declustering": ("gardner-knopoff",),
        "magnitude_thresholds": (6.0,), "rule_variations": {"min_cells": (20, 40)},
        "grid_step_deg": STEP, "learning_days": 60.0, "n_simulations": 1000, **kwargs}
    return sensitivity_grid(comcat, clusters, AlarmRules(), START, END, **options)  # type: ignore[arg-type]


def test_default_grid_is_small_and_starts_with_the_reference() -> None:
    configs = configurations(AlarmRules())
    assert len(configs) == 16  # 2 Mc x 3 declusterings x 2 magnitudes + 2 x 2 rule values
    assert configs[0].axis == "reference" and configs[0].rules == AlarmRules()
    assert [c.label for c in configs if c.axis == "rules"] == [
        "duration_days = 5", "duration_days = 20", "min_cells = 10", "min_cells = 40"]
    assert "Mc 5, declustering reasenberg, targets M ≥ 6.5" in [c.label for c in configs]
    # A target magnitude not in the list is added (and is the reference).
    assert len(configurations(AlarmRules(target_magnitude=7.0), rule_variations={})) == 18


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rule_variations": {"duration": (5.0,)}}, "unknown alarm-rule parameter"),
    ({"completeness": (6.2,)}, "above the target magnitude"),
    ({"declustering": ("zhuang",)}, "unknown declustering"),
])
def test_bad_grids_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(IonoquakeError, match=message):
        configurations(AlarmRules(), **kwargs)  # type: ignore[arg-type]


def test_planted_flip_is_fragile(comcat: pd.DataFrame, targets: pd.DataFrame) -> None:
    # Planted clusters pass min_cells = 20 but not 40; the decoys pass both.
    table = _grid(comcat, _clusters(targets, planted_cells=30, decoy_cells=50))
    ref, strict = table.cells
    assert ref.axis == "reference" and ref.n_targets == len(targets) == 13
    assert ref.verdict == "skill" and ref.p_value < 0.01
    assert strict.label == "min_cells = 40" and strict.n_alarms == len(DECOYS)
    assert strict.verdict == "no skill" and strict.p_value == 1.0
    assert table.fragile and table.n_holding == 1
    assert table.describe().startswith("Fragile: the verdict holds in 1 of 2 configurations.")
    assert "min_cells = 40 (p = 1, 13 targets)" in table.describe()


def test_stable_verdict_is_not_fragile(comcat: pd.DataFrame, targets: pd.DataFrame) -> None:
    table = _grid(comcat, _clusters(targets, planted_cells=100, decoy_cells=50),
                  rule_variations={"min_cells": (20, 40, 1000)})
    assert [c.verdict for c in table.cells] == ["skill", "skill", "untestable"]
    assert table.cells[2].note == "no alarm active during the period"
    assert not table.fragile
    text = table.describe()
    assert text.startswith("The verdict holds in 2 of 3 configurations: skill at p ≤ 0.05")
    assert "1 configuration(s) could not be scored (min_cells = 1000: no alarm active" in text
    assert "3 configurations were tried on the same targets" in text
    again = SensitivityTable.from_dict(json.loads(json.dumps(table.to_dict(), allow_nan=False)))
    assert again.to_frame().equals(table.to_frame()) and again.fragile == table.fragile
    assert list(table.to_frame().columns[-3:]) == ["verdict", "note", "min_cells"]


def test_catalogue_axes_change_the_targets(comcat: pd.DataFrame, targets: pd.DataFrame) -> None:
    table = _grid(comcat, _clusters(targets, planted_cells=100, decoy_cells=50),
                  completeness=(None, 5.0), declustering=("gardner-knopoff", "none"),
                  magnitude_thresholds=(6.0, 7.0), rule_variations={}, n_simulations=200)
    cells = {c.label: c for c in table.cells}
    period = comcat[(comcat["time"] >= START) & (comcat["time"] < END)]
    assert cells["declustering none"].n_targets == (period["magnitude"] >= 6.0).sum()
    assert cells["targets M ≥ 7"].n_targets == (targets["magnitude"] >= 7.0).sum() == 4
    # Gardner-Knopoff works down from the largest event: events below Mc 5 never decide
    # whether an M ≥ 6 is a mainshock (they only change what the baseline learns).
    assert cells["Mc 5"].n_targets == cells["reference"].n_targets
    assert cells["Mc 5"].ass != cells["reference"].ass
    assert len(cells) == 8 and {c.verdict for c in table.cells} == {"skill"}


def test_reference_cell_is_the_full_evaluation(comcat: pd.DataFrame,
                                               targets: pd.DataFrame) -> None:
    """The shortcut (baseline once, alarm scores once) gives evaluate_run's alarm ASS exactly."""
    clusters = _clusters(targets, planted_cells=30, decoy_cells=50)
    rules = AlarmRules(duration_days=20.0)  # long alarms: ties and partial hits
    table = sensitivity_grid(comcat, clusters, rules, START, END, completeness=(None,),
                             declustering=("gardner-knopoff",), magnitude_thresholds=(),
                             rule_variations={}, grid_step_deg=STEP, learning_days=60.0,
                             n_simulations=500)
    mainshocks = decluster(comcat)
    config = ForecastConfig(name="ionospheric-alarms", grid=Grid(step_deg=STEP),
                            learning_days=60.0, alarm_gain=rules.gain)
    forecasts = run_daily(mainshocks, config, START, END,
                          alarms=alarms_from_clusters(clusters, rules))
    full = evaluate_run(forecasts, mainshocks, n_simulations=500, csep_simulations=20,
                        magnitude_min=rules.target_magnitude)
    assert full.molchan_alarms is not None
    (cell,) = table.cells
    assert cell.n_targets == full.n_target_events
    assert cell.ass == full.molchan_alarms.ass.statistic
    assert cell.p_value == full.molchan_alarms.ass.p_value


def _cell(label: str, p: float, verdict: str, note: str = "") -> SensitivityCell:
    return SensitivityCell(label, "rules", None, "gardner-knopoff", 6.0, {}, 12, 38,
                           0.5 if verdict != "untestable" else math.nan, p, verdict, note)


@pytest.mark.parametrize(("cells", "start", "more"), [
    ([("reference", 0.2, "no skill"), ("a", 0.4, "no skill")],
     "The verdict holds in 2 of 2 configurations: no skill at the 0.05 level",
     "closest to the 0.05 line: reference (p = 0.2)."),
    ([("reference", 0.01, "skill"), ("a", 0.3, "no skill"), ("b", 0.2, "no skill")],
     "Fragile: the verdict holds in 1 of 3 configurations. The reference configuration "
     "gives skill (ASS 0.500, p = 0.01, 12 targets), but 2 of the others give no skill",
     "The smallest p of the grid is not a p-value: 3 configurations were tried"),
    ([("reference", math.nan, "untestable", "no alarm active during the period"),
      ("a", 0.01, "skill"), ("b", 0.2, "no skill")],
     "Fragile: the reference configuration could not be scored (no alarm active during the "
     "period); of the others, 1 gives skill at p ≤ 0.05 and 1 no skill at the 0.05 level.",
     "1 configuration(s) could not be scored (reference: no alarm active"),
    ([("reference", math.nan, "untestable", "no target event in the period")],
     "None of the 1 configurations could be scored.", "(reference: no target event"),
])
def test_describe_reads_every_case(cells: list[tuple[str, float, str]], start: str,
                                   more: str) -> None:
    made = tuple(_cell(*c) for c in cells)
    text = SensitivityTable(made, 0.05, is_fragile(made)).describe()
    assert text.startswith(start) and more in text
