"""How fragile is a verdict? The alarms' area skill score over a grid of innocent choices.

:func:`ionoquake.pipeline.evaluate.evaluate_clusters` scores the alarms of one
configuration: one catalogue (as read), Gardner–Knopoff declustering, one target
magnitude, one set of alarm rules. Each of these is a choice an honest analyst
could have made otherwise, and with few target events the verdict can flip with
them. :func:`sensitivity_grid` scores the same anomaly clusters over a small grid
of such choices and says whether the verdict holds:

* **catalogue** (a full grid): the completeness magnitude Mc (events below it are
  removed before declustering and before the seismicity model learns; the
  Gutenberg–Richter b is then estimated above Mc), the declustering
  (Gardner & Knopoff 1974, BSSA 64, 1363; Reasenberg 1985, JGR 90, 5479; or none)
  and the target magnitude
  threshold (``AlarmRules.target_magnitude``: it also sets the Dobrovolsky radius
  of the alarms when ``region = "dobrovolsky"``, as it does in a real run);
* **alarm rules** (one parameter at a time, the others as given, on the reference
  catalogue): by default the alarm duration and the minimum cluster size.

The default grid has 2 × 3 × 2 = 12 catalogue cells and 4 rule cells, 16 in all:
a full grid over the rules as well would multiply this by 9 and mostly repeat
the same question. Each cell gives the number of targets and alarms, the area
skill score (ASS; Zechar & Jordan 2008, GJI 172, 715) of the alarms against the
seismicity baseline and its Monte Carlo p-value, exactly as
``evaluation.molchan_alarms.ass`` of :func:`~ionoquake.evaluate.forecast_run.evaluate_run`
(same weighting, tie convention, seed and number of simulations), and the
verdict "skill" (p ≤ α), "no skill" or "untestable" (no target event, or no alarm
active). The result is **fragile** when both "skill" and "no skill" occur.

Cheap by reuse: the alarm score only needs the baseline rate, the alarm score of
each day and the target events. The baseline forecasts are issued once per
catalogue (Mc × declustering) with :func:`~ionoquake.forecast.run.run_daily`, the
daily alarm scores once per alarm table with the same as-of view and
:func:`~ionoquake.forecast.alarms.alarm_grid` as
:func:`~ionoquake.forecast.gridded.build_forecast`, and only the Molchan
diagram is computed per cell (the rate Molchan, ROC and CSEP tests of a full
evaluation are not needed here). On the demo (40 days, 2° cells, 2000 simulations)
the 16 default cells take 10-18 s on a shared 2-core machine; one cell alone, ~2 s.
The records and their words are in :mod:`ionoquake.evaluate.sensitivity_table`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ionoquake.detect.decluster import decluster
from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.forecast_run import stack_run
from ionoquake.evaluate.molchan import molchan
from ionoquake.evaluate.results import MolchanResult
from ionoquake.evaluate.sensitivity_table import SensitivityCell, SensitivityTable, is_fragile
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.alarms import daily_alarm_scores
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily

__all__ = [
    "DECLUSTERING",
    "DEFAULT_RULE_VARIATIONS",
    "Configuration",
    "SensitivityCell",
    "SensitivityTable",
    "configurations",
    "sensitivity_grid",
]

#: Declustering choices: the two methods of :mod:`ionoquake.detect.decluster`, or none.
DECLUSTERING = ("gardner-knopoff", "reasenberg", "none")

#: Alarm-rule parameters varied one at a time by default (values around the defaults).
DEFAULT_RULE_VARIATIONS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {"duration_days": (5.0, 10.0, 20.0), "min_cells": (10, 20, 40)})

@dataclass(frozen=True)
class Configuration:
    """One cell of the grid: the catalogue choices and the alarm rules.

    ``axis`` is ``"reference"`` (the configuration as evaluated), ``"catalogue"``
    or ``"rules"``; ``label`` names what differs from the reference.
    """

    label: str
    axis: str
    completeness: float | None
    declustering: str
    rules: AlarmRules


def _label(completeness: float | None, declustering: str, magnitude: float,
           reference: tuple[float | None, str, float]) -> str:
    parts = []
    if completeness != reference[0]:
        parts.append("no Mc cut" if completeness is None else f"Mc {completeness:g}")
    if declustering != reference[1]:
        parts.append(f"declustering {declustering}")
    if magnitude != reference[2]:
        parts.append(f"targets M ≥ {magnitude:g}")
    return ", ".join(parts)


def configurations(rules: AlarmRules, *,
                   completeness: Sequence[float | None] = (None, 5.0),
                   declustering: Sequence[str] = DECLUSTERING,
                   magnitude_thresholds: Sequence[float] = (6.0, 6.5),
                   rule_variations: Mapping[str, Sequence[Any]] = DEFAULT_RULE_VARIATIONS,
                   ) -> list[Configuration]:
    """The cells of the grid, the reference first.

    The reference is the first completeness, the first declustering, and
    ``rules`` as given (its ``target_magnitude`` is added to
    ``magnitude_thresholds`` if missing). Catalogue choices form a full grid;
    each rule parameter is varied alone (values equal to the given rule skipped).

    Raises
    ------
    IonoquakeError
        On an unknown declustering or rule parameter, an empty axis, or an Mc
        above a target magnitude.
    """
    if not completeness or not declustering:
        raise IonoquakeError("give at least one completeness and one declustering choice")
    unknown = [d for d in declustering if d not in DECLUSTERING]
    if unknown:
        raise IonoquakeError(f"unknown declustering {unknown}; use {', '.join(DECLUSTERING)}")
    magnitudes = list(dict.fromkeys([rules.target_magnitude, *magnitude_thresholds]))
    cuts = [m for m in completeness if m is not None and m > min(magnitudes) + 1e-9]
    if cuts:
        raise IonoquakeError(f"completeness Mc {cuts} above the target magnitude "
                             f"{min(magnitudes):g}: the targets would be cut away")
    known = set(AlarmRules().to_dict()) - {"target_magnitude"}
    bad = sorted(set(rule_variations) - known)
    if bad:
        raise IonoquakeError(f"unknown alarm-rule parameter(s) {bad} to vary; known: "
                             f"{', '.join(sorted(known))} (target magnitudes: "
                             "magnitude_thresholds)")
    reference = (completeness[0], declustering[0], rules.target_magnitude)
    out = [Configuration("reference", "reference", completeness[0], declustering[0], rules)]
    for mc, method, magnitude in itertools.product(completeness, declustering, magnitudes):
        if (mc, method, magnitude) != reference:
            out.append(Configuration(_label(mc, method, magnitude, reference), "catalogue", mc,
                                     method, dataclasses.replace(rules,
                                                                 target_magnitude=magnitude)))
    for name, values in rule_variations.items():
        given = getattr(rules, name)
        for value in values:
            value = type(given)(value)
            if value != given:
                out.append(Configuration(f"{name} = {value:g}" if not isinstance(value, str)
                                         else f"{name} = {value}", "rules", completeness[0],
                                         declustering[0],
                                         dataclasses.replace(rules, **{name: value})))
    return out


def _catalogue(catalog: pd.DataFrame, completeness: float | None,
               declustering: str) -> pd.DataFrame:
    """The catalogue cut at Mc, then declustered (or not)."""
    cut = catalog if completeness is None else catalog[catalog["magnitude"]
                                                       >= completeness - 1e-9]
    if declustering == "none":
        return cut.reset_index(drop=True)
    return decluster(cut, method="reasenberg" if declustering == "reasenberg"
                     else "gardner-knopoff")


def _grid(grid_step_deg: float, completeness: float | None) -> Grid:
    """The forecast grid; with an Mc cut, magnitude bins (and Aki's b) start at Mc."""
    default = Grid(step_deg=grid_step_deg)
    if completeness is None or completeness <= default.magnitude_min:
        return default
    return dataclasses.replace(default, magnitude_min=float(completeness))


def _daily_alarm_scores(alarms: pd.DataFrame, rules: AlarmRules, grid: Grid,
                        issues: Sequence[pd.Timestamp], horizon_days: float
                        ) -> NDArray[np.float64] | None:
    """Alarm score (time, lat, lon) of each forecast day, as :func:`build_forecast` makes it.

    ``None`` when the forecasts would ignore the alarms (gain 1).
    """
    if rules.gain == 1.0:
        return None
    return daily_alarm_scores(alarms, grid, np.array(issues, dtype="datetime64[ns]"),
                              horizon_days)


def _alarm_molchan(cube: xr.Dataset, score: NDArray[np.float64] | None, *,
                   n_simulations: int, seed: int, at_tau: float) -> MolchanResult | None:
    """``molchan_alarms`` of :func:`evaluate_run` on a stacked run with these alarm scores."""
    if score is None or not np.isfinite(score).any():
        return None
    events = cube["events"].to_numpy()
    finite = score[np.isfinite(score)]
    score = np.where(np.isfinite(score), score, finite.min() - 1.0)
    return molchan(score, events, cube["baseline_rate"].to_numpy(), weighting="baseline-rate",
                   n_simulations=n_simulations, seed=seed, at_tau=at_tau)


def _conventions(n_simulations: int, seed: int, alpha: float, learning_days: float,
                 grid_step_deg: float) -> dict[str, str]:
    return {
        "grid": ("catalogue choices (Mc × declustering × target magnitude) in a full grid; "
                 "alarm-rule parameters one at a time around the given rules on the "
                 "reference catalogue"),
        "reference": "the first Mc, the first declustering and the given alarm rules",
        "completeness": ("events below Mc removed before declustering and before the "
                         "seismicity model learns; magnitude bins and Aki's b start at Mc"),
        "target magnitude": ("AlarmRules.target_magnitude: selects the targets and, with "
                             "region = dobrovolsky, sets the alarm radius"),
        "score": ("area skill score of the alarms against the seismicity baseline "
                  "(evaluation.molchan_alarms.ass), τ weighted by the baseline rate"),
        "null": (f"Monte Carlo, {n_simulations} random alarm functions per cell, seed "
                 f"{seed} (the null of the full evaluation); standard error of a p near "
                 f"{alpha:g}: {math.sqrt(alpha * (1 - alpha) / max(n_simulations, 1)):.2g}"),
        "verdict": f"skill if p ≤ {alpha:g}; untestable without targets or active alarms",
        "fragile": "both 'skill' and 'no skill' occur in the grid",
        "forecasts": (f"daily, {learning_days:g} learning days, {grid_step_deg:g}° cells; "
                      "the alarm gain does not change this score"),
    }


def sensitivity_grid(catalog: pd.DataFrame, clusters: pd.DataFrame, rules: AlarmRules,
                     start: str | pd.Timestamp, end: str | pd.Timestamp, *,
                     completeness: Sequence[float | None] = (None, 5.0),
                     declustering: Sequence[str] = DECLUSTERING,
                     magnitude_thresholds: Sequence[float] = (6.0, 6.5),
                     rule_variations: Mapping[str, Sequence[Any]] = DEFAULT_RULE_VARIATIONS,
                     grid_step_deg: float = 2.0, learning_days: float = 3650.0,
                     n_simulations: int = 2000, seed: int = 0, at_tau: float = 0.1,
                     alpha: float = 0.05) -> SensitivityTable:
    """Score the alarms of ``clusters`` over a grid of catalogue and alarm-rule choices.

    Parameters
    ----------
    catalog, clusters, rules, start, end
        As for :func:`ionoquake.pipeline.evaluate.evaluate_clusters`: the whole
        catalogue (not declustered), the anomaly clusters, the given alarm rules
        and the forecast period ``[start, end)``.
    completeness
        Completeness magnitudes Mc to try (``None``: no cut); the first is the reference.
    declustering
        Choices among :data:`DECLUSTERING`; the first is the reference.
    magnitude_thresholds
        Target magnitudes to try (grid bin edges); ``rules.target_magnitude`` is
        always included and is the reference.
    rule_variations
        ``{parameter: values}`` of :class:`~ionoquake.forecast.alarm_rules.AlarmRules`
        to try one at a time.
    grid_step_deg, learning_days
        Forecast grid cell size (degrees) and learning window (days), as in
        :func:`~ionoquake.pipeline.evaluate.evaluate_clusters`.
    n_simulations, seed, at_tau
        Monte Carlo null of the ASS per cell, and the τ of the gain (as in
        :func:`~ionoquake.evaluate.forecast_run.evaluate_run`).
    alpha
        Level of the verdicts.

    Returns
    -------
    SensitivityTable
        The reference cell reproduces ``evaluation.molchan_alarms.ass`` of
        ``evaluate_clusters`` run with the same arguments.
    """
    configs = configurations(rules, completeness=completeness, declustering=declustering,
                             magnitude_thresholds=magnitude_thresholds,
                             rule_variations=rule_variations)
    groups: dict[tuple[float | None, str], list[int]] = {}
    for i, config in enumerate(configs):
        groups.setdefault((config.completeness, config.declustering), []).append(i)
    scores: dict[AlarmRules, tuple[int, NDArray[np.float64] | None]] = {}
    cells: dict[int, SensitivityCell] = {}
    options: dict[str, Any] = {"rule_names": list(rule_variations), "alpha": alpha,
                               "n_simulations": n_simulations, "seed": seed, "at_tau": at_tau}
    for (mc, method), members in groups.items():
        # One catalogue at a time: its baseline forecasts are dropped before the next one.
        mainshocks = _catalogue(catalog, mc, method)
        model = ForecastConfig(name="seismicity-baseline", grid=_grid(grid_step_deg, mc),
                               learning_days=learning_days)
        baseline = run_daily(mainshocks, model, start, end)
        issues = [pd.Timestamp(ds.attrs["issue_time"]) for ds in baseline]
        horizon_days = float(baseline[0].attrs["horizon_days"])
        cubes: dict[float, xr.Dataset] = {}
        for i in members:
            config = configs[i]
            magnitude = config.rules.target_magnitude
            if magnitude not in cubes:
                cubes[magnitude] = stack_run(baseline, mainshocks, magnitude_min=magnitude)
            if config.rules not in scores:
                alarms = alarms_from_clusters(clusters, config.rules)
                scores[config.rules] = len(alarms), _daily_alarm_scores(
                    alarms, config.rules, _grid(grid_step_deg, None), issues, horizon_days)
            cells[i] = _cell(config, cubes[magnitude], *scores[config.rules], **options)
    ordered = [cells[i] for i in range(len(configs))]
    return SensitivityTable(tuple(ordered), alpha, is_fragile(ordered),
                            _conventions(n_simulations, seed, alpha, learning_days,
                                         grid_step_deg))


def _cell(config: Configuration, cube: xr.Dataset, n_alarms: int,
          score: NDArray[np.float64] | None, *, rule_names: Sequence[str], n_simulations: int,
          seed: int, at_tau: float, alpha: float) -> SensitivityCell:
    n_targets = int(cube["events"].sum())
    result = None if n_targets == 0 else _alarm_molchan(
        cube, score, n_simulations=n_simulations, seed=seed, at_tau=at_tau)
    ass = p = float("nan")
    note = ""
    if n_targets == 0:
        verdict, note = "untestable", "no target event in the period"
    elif result is None:
        verdict, note = "untestable", "no alarm active during the period"
    else:
        ass, p = result.ass.statistic, result.ass.p_value
        verdict = "skill" if p <= alpha else "no skill"
    return SensitivityCell(config.label, config.axis, config.completeness, config.declustering,
                           config.rules.target_magnitude,
                           {name: getattr(config.rules, name) for name in rule_names},
                           n_targets, n_alarms, ass, p, verdict, note)
