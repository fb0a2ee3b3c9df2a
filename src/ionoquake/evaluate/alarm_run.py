"""From anomaly clusters to scored forecasts: the chain behind ``ionoquake evaluate``.

anomaly clusters --(alarm rules)--> alarms --(daily forecasts, frozen issue times)-->
forecasts --(targets: declustered catalogue)--> Molchan/ASS/gain, ROC, CSEP tests,
superposed epoch analysis --> one HTML report and a JSON summary.
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
from ionoquake.evaluate.forecast_run import RunEvaluation, evaluate_run
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.report.evaluation_report import write_evaluation_report
from ionoquake.store.atomic import write_bytes_atomic


@dataclass(frozen=True)
class AlarmRun:
    """The outputs of one evaluation run."""

    evaluation: RunEvaluation
    alarms: pd.DataFrame
    targets: pd.DataFrame
    report: Path
    summary: Path


def evaluate_clusters(catalog: pd.DataFrame, clusters: pd.DataFrame, rules: AlarmRules,
                      start: str, end: str, out_dir: str | os.PathLike[str], *,
                      grid_step_deg: float = 2.0, learning_days: float = 3650.0,
                      store: str | os.PathLike[str] | None = None,
                      n_simulations: int = 2000, epoch_nulls: int = 200,
                      context: dict[str, str] | None = None, client: Any = None) -> AlarmRun:
    """Turn ``clusters`` into alarms, issue daily forecasts over ``[start, end)`` and score them.

    With a Dask ``client`` the null catalogues of the epoch analysis are computed on
    its workers (same seeds per task, so the same p-values as in one process).

    Targets are the Gardner–Knopoff mainshocks of ``catalog`` with magnitude ≥
    ``rules.target_magnitude``; the forecasts learn from the whole catalogue as it was
    before each issue time (smoothed seismicity × Gutenberg–Richter × alarm gain).
    """
    out = Path(out_dir)
    mainshocks = decluster(catalog)
    targets = mainshocks[(mainshocks["magnitude"] >= rules.target_magnitude)
                         & (mainshocks["time"] >= pd.Timestamp(start))
                         & (mainshocks["time"] < pd.Timestamp(end))]
    alarms = alarms_from_clusters(clusters, rules)
    config = ForecastConfig(name="ionospheric-alarms", grid=Grid(step_deg=grid_step_deg),
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
    report = write_evaluation_report(out / "evaluation.html", evaluation, epoch=epoch,
                                     context=ctx)
    summary = write_bytes_atomic(out / "evaluation.json", json.dumps(
        {"rules": rules.to_dict(), "n_alarms": len(alarms), "n_targets": len(targets),
         "evaluation": evaluation.to_dict(),
         "epoch": epoch.to_dict() if epoch is not None else None},
        indent=1, default=str).encode())
    return AlarmRun(evaluation, alarms, targets, report, summary)


def headline(run: AlarmRun) -> dict[str, Any]:
    """The numbers a person reads first: gain, ASS and p-value of the alarms."""
    m = run.evaluation.molchan_alarms
    if m is None:
        return {"alarms": len(run.alarms), "targets": len(run.targets), "skill": None}
    skills = {f"{name}": round(skill.statistic, 3) for name, skill in m.skills.items()}
    p_values = {f"{name}_p": round(skill.p_value, 4) for name, skill in m.skills.items()}
    return {"alarms": len(run.alarms), "targets": len(run.targets), **skills, **p_values}
