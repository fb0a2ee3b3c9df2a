"""From anomaly clusters to scored forecasts: the chain behind ``ionoquake evaluate``.

anomaly clusters --(alarm rules)--> alarms --(daily forecasts, frozen issue times)-->
forecasts --(targets: declustered catalogue)--> Molchan/ASS/gain, ROC, CSEP tests,
superposed epoch analysis --> one HTML report and a JSON summary.

Every run is recorded in the archive's ledger, and its headline p-value (the area
skill score of the alarms against the seismicity baseline) is corrected over every
configuration tried on the same targets (:mod:`ionoquake.evaluate.family`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ionoquake.detect.decluster import decluster
from ionoquake.evaluate.epoch import superposed_epoch
from ionoquake.evaluate.family import FamilyWise, assess_run, ledger_record
from ionoquake.evaluate.forecast_run import RunEvaluation, evaluate_run
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.report.evaluation_report import write_evaluation_report
from ionoquake.store.atomic import write_bytes_atomic
from ionoquake.store.provenance import json_sha256


@dataclass(frozen=True)
class AlarmRun:
    """The outputs of one evaluation run."""

    evaluation: RunEvaluation
    alarms: pd.DataFrame
    targets: pd.DataFrame
    report: Path
    summary: Path
    family: FamilyWise


def evaluate_clusters(catalog: pd.DataFrame, clusters: pd.DataFrame, rules: AlarmRules,
                      start: str, end: str, out_dir: str | os.PathLike[str], *,
                      grid_step_deg: float = 2.0, learning_days: float = 3650.0,
                      store: str | os.PathLike[str] | None = None,
                      n_simulations: int = 2000, epoch_nulls: int = 200,
                      context: dict[str, str] | None = None, client: Any = None,
                      label: str = "main") -> AlarmRun:
    """Turn ``clusters`` into alarms, issue daily forecasts over ``[start, end)`` and score them.

    With a Dask ``client`` the null catalogues of the epoch analysis are computed on
    its workers (same seeds per task, so the same p-values as in one process).

    Targets are the Gardner–Knopoff mainshocks of ``catalog`` with magnitude ≥
    ``rules.target_magnitude``; the forecasts learn from the whole catalogue as it was
    before each issue time (smoothed seismicity × Gutenberg–Richter × alarm gain).
    They are stored in ``store`` under the model ``ionospheric-alarms-<hash>``, one
    model per alarm rules × grid × learning span: issued forecasts are immutable, so
    each configuration tried on an archive needs forecasts of its own.

    The run is recorded under ``label`` (e.g. ``"main"``, ``"sensitivity"``) in the
    ledger of ``store``, and the p-value of its area skill score is corrected over
    the configurations tried on the same targets (none known without a ``store``).
    """
    out = Path(out_dir)
    mainshocks = decluster(catalog)
    targets = mainshocks[(mainshocks["magnitude"] >= rules.target_magnitude)
                         & (mainshocks["time"] >= pd.Timestamp(start))
                         & (mainshocks["time"] < pd.Timestamp(end))]
    alarms = alarms_from_clusters(clusters, rules)
    model = json_sha256({"rules": rules.rules_hash, "grid_step_deg": float(grid_step_deg),
                         "learning_days": float(learning_days)})[:10]
    config = ForecastConfig(name=f"ionospheric-alarms-{model}", grid=Grid(step_deg=grid_step_deg),
                            learning_days=learning_days, alarm_gain=rules.gain)
    forecasts = run_daily(mainshocks, config, start, end, alarms=alarms, store=store)
    evaluation = evaluate_run(forecasts, mainshocks, n_simulations=n_simulations,
                              magnitude_min=rules.target_magnitude)
    kept = clusters.loc[clusters.index.isin(alarms.index)] if len(alarms) else clusters.iloc[:0]
    anomaly_points = pd.DataFrame({"time": pd.to_datetime(kept.get("peak_time", kept["end"])),
                                   "lat": kept["peak_lat"], "lon": kept["peak_lon"]})
    epoch = None
    if len(anomaly_points) and len(targets):
        coverage = (pd.Timestamp(clusters["start"].min()), pd.Timestamp(clusters["end"].max()))
        try:
            if client is None:
                epoch = superposed_epoch(anomaly_points, targets, n_null=epoch_nulls,
                                         n_bootstrap=epoch_nulls, coverage=coverage)
            else:
                from ionoquake.scale.montecarlo import superposed_epoch_on

                epoch = superposed_epoch_on(client, anomaly_points, targets, n_null=epoch_nulls,
                                            n_bootstrap=epoch_nulls, coverage=coverage)
        except Exception as exc:
            context = {**(context or {}), "epoch analysis": f"not possible: {exc}"}
    ctx = {"alarm rules": json.dumps(rules.to_dict()), "alarms": str(len(alarms)),
           "targets": f"{len(targets)} declustered events M ≥ {rules.target_magnitude:g}",
           **(context or {})}
    parameters = {"model": config.name, "start": pd.Timestamp(start).isoformat(),
                  "end": pd.Timestamp(end).isoformat(), "grid_step_deg": float(grid_step_deg),
                  "learning_days": float(learning_days), "n_simulations": int(n_simulations),
                  "epoch_nulls": int(epoch_nulls)}
    family = _assess(store, evaluation, targets, catalog, clusters, rules, parameters, label,
                     start)
    report = write_evaluation_report(out / "evaluation.html", evaluation, epoch=epoch,
                                     context=ctx, family=family)
    summary = write_bytes_atomic(out / "evaluation.json", json.dumps(
        {"rules": rules.to_dict(), "n_alarms": len(alarms), "n_targets": len(targets),
         **family.to_dict(), "evaluation": evaluation.to_dict(),
         "epoch": epoch.to_dict() if epoch is not None else None},
        indent=1, default=str).encode())
    return AlarmRun(evaluation, alarms, targets, report, summary, family)


def _assess(store: str | os.PathLike[str] | None, evaluation: RunEvaluation,
            targets: pd.DataFrame, catalog: pd.DataFrame, clusters: pd.DataFrame,
            rules: AlarmRules, parameters: dict[str, Any], label: str,
            start: str) -> FamilyWise:
    """Record the run in the ledger; its ASS p corrected over the tries on its targets."""
    ass = evaluation.molchan_alarms.ass if evaluation.molchan_alarms is not None else None
    record = ledger_record(targets=targets, catalog=catalog, clusters=clusters, rules=rules,
                           parameters=parameters, statistic_name="ass",
                           statistic=None if ass is None else ass.statistic,
                           p_value=None if ass is None else ass.p_value, label=label)
    return assess_run(store, record, rules, start)


def headline(run: AlarmRun) -> dict[str, Any]:
    """The numbers a person reads first: gain, ASS and p-value of the alarms.

    ``ass_p_family`` is the ASS p-value corrected over the ``configurations_tried``
    on the same targets (None: unknown, no ledger).
    """
    m = run.evaluation.molchan_alarms
    if m is None:
        return {"alarms": len(run.alarms), "targets": len(run.targets), "skill": None}
    skills = {f"{name}": round(skill.statistic, 3) for name, skill in m.skills.items()}
    p_values = {f"{name}_p": round(skill.p_value, 4) for name, skill in m.skills.items()}
    fw = run.family
    family = {"ass_p_family": None if fw.family_p is None else round(fw.family_p, 4),
              "configurations_tried": fw.n_configurations}
    return {"alarms": len(run.alarms), "targets": len(run.targets), **skills, **p_values,
            **family}
