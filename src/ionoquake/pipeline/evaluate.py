"""From anomaly clusters to scored forecasts: the chain behind ``ionoquake evaluate``.

anomaly clusters --(alarm rules)--> alarms --(daily forecasts, frozen issue times)-->
forecasts --(targets: declustered catalogue)--> Molchan/ASS/gain, ROC, CSEP tests,
superposed epoch analysis --> one HTML report and a JSON summary.

The summary ``evaluation.json`` is strict JSON (RFC 8259: no NaN, no Infinity; a
non-finite number is ``null``, see :class:`ionoquake.evaluate.results.SkillResult`'s
``to_dict``) and small: number lists longer than :data:`MAX_INLINE` (Molchan
trajectories, ROC curves, null samples) are moved to ``evaluation_arrays.parquet``
beside it, one row per value (``array``: the JSON pointer of the list, RFC 6901;
``index``; ``value``, float64, null where the JSON list had ``null``), and the list in
the JSON is replaced by ``{"sidecar": "evaluation_arrays.parquet", "array": <pointer>,
"length": n}``. :func:`read_evaluation` puts them back. The CSEP tests' forecast (the
run's rates summed over its days) and the observed catalogue of its period go to
``csep/forecast.dat`` (CSEP ASCII) and ``csep/catalog.xml`` (QuakeML), which pyCSEP
loads (:mod:`ionoquake.forecast.csep_export`).

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

import numpy as np
import pandas as pd

from ionoquake.atomic import write_bytes_atomic
from ionoquake.detect.decluster import decluster
from ionoquake.evaluate.epoch import superposed_epoch
from ionoquake.evaluate.family import FamilyWise, assess_run, ledger_record
from ionoquake.evaluate.forecast_run import RunEvaluation, _run_total, evaluate_run
from ionoquake.evaluate.results import SkillResult
from ionoquake.evaluate.sensitivity import SensitivityTable, sensitivity_grid
from ionoquake.evaluate.shuffled_maps import AlarmCube, MapsNull, shuffled_maps_test
from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.csep_export import write_csep_ascii, write_csep_catalog
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.report.evaluation_report import robustness_text, write_evaluation_report
from ionoquake.report.progress import progress_bar
from ionoquake.store.ledger import record_evaluation
from ionoquake.store.provenance import json_sha256
from ionoquake.strict_json import strict
from ionoquake.times import iso_utc

#: Number lists longer than this go from ``evaluation.json`` to its Parquet sidecar.
MAX_INLINE = 64
ARRAYS_FILE = "evaluation_arrays.parquet"


@dataclass(frozen=True)
class AlarmRun:
    """The outputs of one evaluation run."""

    evaluation: RunEvaluation
    alarms: pd.DataFrame
    targets: pd.DataFrame
    report: Path
    summary: Path
    family: FamilyWise
    sensitivity: SensitivityTable | None = None
    ionosphere: SkillResult | None = None
    warning: str = ""


def evaluate_clusters(catalog: pd.DataFrame, clusters: pd.DataFrame, rules: AlarmRules,
                      start: str, end: str, out_dir: str | os.PathLike[str], *,
                      grid_step_deg: float = 2.0, learning_days: float = 3650.0,
                      store: str | os.PathLike[str] | None = None,
                      n_simulations: int = 2000, epoch_nulls: int = 200,
                      context: dict[str, str] | None = None, client: Any = None,
                      label: str = "main", sensitivity: bool = True,
                      maps_null: MapsNull | None = None) -> AlarmRun:
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

    With ``sensitivity`` the verdict is recomputed over a grid of catalogue choices and
    alarm-rule parameters (:func:`ionoquake.evaluate.sensitivity.sensitivity_grid`); the
    rule variations share the targets, so they are recorded in the ledger too
    (``label="sensitivity"``) and count in the family-wise p. With ``maps_null`` the
    alarms are also tested against time-shuffled ionospheres
    (:mod:`ionoquake.evaluate.shuffled_maps`; on ``client`` if given).
    """
    out = Path(out_dir)
    mainshocks = decluster(catalog)
    targets = mainshocks[(mainshocks["magnitude"] >= rules.target_magnitude)
                         & (mainshocks["time"] >= pd.Timestamp(start))
                         & (mainshocks["time"] < pd.Timestamp(end))]
    alarms = alarms_from_clusters(clusters, rules)
    config = ForecastConfig(name=_model_name(rules, grid_step_deg, learning_days),
                            grid=Grid(step_deg=grid_step_deg), learning_days=learning_days,
                            alarm_gain=rules.gain)
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
    short = learning_gap(catalog, start, learning_days)
    if short:
        ctx["learning period"] = short

    def parameters(r: AlarmRules) -> dict[str, Any]:
        return {"model": _model_name(r, grid_step_deg, learning_days),
                "start": pd.Timestamp(start).isoformat(), "end": pd.Timestamp(end).isoformat(),
                "grid_step_deg": float(grid_step_deg), "learning_days": float(learning_days),
                "n_simulations": int(n_simulations), "epoch_nulls": int(epoch_nulls)}

    table = None
    if sensitivity:
        table = sensitivity_grid(catalog, clusters, rules, start, end,
                                 grid_step_deg=grid_step_deg, learning_days=learning_days,
                                 n_simulations=n_simulations)
        if store is not None:
            for cell in table.cells:
                if cell.axis == "rules":  # same targets: another configuration of this family
                    r = AlarmRules(**cell.rules)
                    record_evaluation(store, ledger_record(
                        targets=targets, catalog=catalog, clusters=clusters, rules=r,
                        parameters=parameters(r), statistic_name="ass", statistic=cell.ass,
                        p_value=cell.p_value, label="sensitivity"))
    ionosphere = None
    if maps_null is not None:
        if evaluation.molchan_alarms is None:
            ctx["time-shuffled ionospheres"] = "not run: no alarm was active"
        else:
            ionosphere = _shuffled_maps(maps_null, forecasts, mainshocks, rules,
                                        evaluation.molchan_alarms.ass.statistic, client)
    family = _assess(store, evaluation, targets, catalog, clusters, rules, parameters(rules),
                     label, start)
    report = write_evaluation_report(out / "evaluation.html", evaluation, epoch=epoch,
                                     context=ctx, family=family, sensitivity=table,
                                     ionosphere=ionosphere)
    csep_files = write_csep_files(out / "csep", forecasts, mainshocks)
    summary = write_evaluation(out / "evaluation.json", {
        "rules": rules.to_dict(), "n_alarms": len(alarms), "n_targets": len(targets),
        **family.to_dict(), "evaluation": evaluation.to_dict(),
        "epoch": epoch.to_dict() if epoch is not None else None,
        "sensitivity": table.to_dict() if table is not None else None,
        "time_shuffled_ionospheres": ionosphere.to_dict() if ionosphere is not None else None,
        "csep_files": csep_files, "warnings": [short] if short else []})
    return AlarmRun(evaluation, alarms, targets, report, summary, family, table, ionosphere,
                    short)


def write_csep_files(folder: Path, forecasts: list[Any], catalog: pd.DataFrame
                     ) -> dict[str, Any]:
    """The CSEP tests' inputs as pyCSEP reads them: ``forecast.dat`` and ``catalog.xml``.

    The forecast is the run's rates summed over its daily forecasts (what
    :func:`ionoquake.evaluate.csep.csep_tests` scores), the catalogue the events of
    ``catalog`` between the first issue time and the end of the last horizon. Returns
    the file names (relative to the folder of ``evaluation.json``) and the period, to
    give ``csep.load_gridded_forecast`` as ``start_date`` and ``end_date``.
    """
    if not forecasts:
        return {}
    first = pd.Timestamp(forecasts[0].attrs["issue_time"])
    last = pd.Timestamp(forecasts[-1].attrs["issue_time"]) + pd.Timedelta(
        days=float(forecasts[-1].attrs["horizon_days"]))
    period = catalog[(catalog["time"] >= first) & (catalog["time"] < last)]
    write_csep_ascii(_run_total(forecasts), folder / "forecast.dat")
    write_csep_catalog(period, folder / "catalog.xml")
    return {"forecast": f"{folder.name}/forecast.dat", "catalog": f"{folder.name}/catalog.xml",
            "start_date": iso_utc(first), "end_date": iso_utc(last),
            "format": "CSEP ASCII (pyCSEP load_gridded_forecast) and QuakeML 1.2"}


def _pointer(path: tuple[str, ...]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)


def split_arrays(data: Any, max_inline: int = MAX_INLINE, sidecar: str = ARRAYS_FILE,
                 path: tuple[str, ...] = ()) -> tuple[Any, dict[str, list[Any]]]:
    """``data`` with its long number lists replaced by references, and those lists by pointer."""
    arrays: dict[str, list[Any]] = {}
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out[key], more = split_arrays(value, max_inline, sidecar, (*path, str(key)))
            arrays.update(more)
        return out, arrays
    if isinstance(data, list):
        numbers = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                      for v in data)
        if numbers and len(data) > max_inline:
            pointer = _pointer(path)
            arrays[pointer] = data
            return {"sidecar": sidecar, "array": pointer, "length": len(data)}, arrays
        out_list = []
        for i, value in enumerate(data):
            item, more = split_arrays(value, max_inline, sidecar, (*path, str(i)))
            out_list.append(item)
            arrays.update(more)
        return out_list, arrays
    return data, arrays


def write_evaluation(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as strict JSON at ``path`` with its long lists in the Parquet sidecar."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ionoquake.atomic import atomic_path

    small, arrays = split_arrays(strict(data))
    names = [name for name, values in arrays.items() for _ in values]
    table = pa.table({
        "array": pa.array(names, pa.string()).dictionary_encode(),
        "index": pa.array([i for values in arrays.values() for i in range(len(values))],
                          pa.int32()),
        "value": pa.array([v for values in arrays.values() for v in values], pa.float64())})
    with atomic_path(path.parent / ARRAYS_FILE) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return write_bytes_atomic(path, json.dumps(small, indent=1, allow_nan=False,
                                               default=str).encode())


def read_evaluation(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``evaluation.json`` with the lists of its sidecar put back (``from_dict`` reads it)."""
    import pyarrow.parquet as pq

    path = Path(path)
    data = json.loads(path.read_text())
    sidecars: dict[str, dict[str, list[Any]]] = {}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"sidecar", "array", "length"}:
                name = str(value["sidecar"])
                if name not in sidecars:
                    frame = pq.read_table(path.parent / name).to_pandas()
                    sidecars[name] = {
                        str(k): [None if pd.isna(v) else float(v) for v in g.sort_values(
                            "index")["value"]]
                        for k, g in frame.groupby("array", observed=True)}
                return sidecars[name][value["array"]]
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    out: dict[str, Any] = fill(data)
    return out


def learning_gap(catalog: pd.DataFrame, start: str | pd.Timestamp,
                 learning_days: float) -> str:
    """A warning when ``catalog`` does not cover the learning period before ``start``.

    The seismicity model divides the events of the last ``learning_days`` by that span:
    a catalogue that begins later gives rates too low by about the ratio of the spans.
    Empty when the period is covered.
    """
    if catalog.empty:
        return "the catalogue is empty: the seismicity model learns from nothing"
    first = pd.Timestamp(catalog["time"].min())
    wanted = pd.Timestamp(start) - pd.Timedelta(days=learning_days)
    if first <= wanted + pd.Timedelta(days=1):
        return ""
    covered = max((pd.Timestamp(start) - first) / pd.Timedelta(days=1), 0.0)
    ratio = f"about {learning_days / covered:.3g}x" if covered > 0 else "without limit"
    return (f"the catalogue starts {first:%Y-%m-%d}, but the {learning_days:g}-day learning "
            f"period begins {wanted:%Y-%m-%d}: the first forecasts learn from {covered:.0f} "
            f"days and their rates are too low by {ratio} (give --learning-days "
            f"{max(int(covered), 1)} or a longer catalogue)")


def _model_name(rules: AlarmRules, grid_step_deg: float, learning_days: float) -> str:
    """One model per alarm rules × grid × learning span (issued forecasts are immutable)."""
    model = json_sha256({"rules": rules.rules_hash, "grid_step_deg": float(grid_step_deg),
                         "learning_days": float(learning_days)})[:10]
    return f"ionospheric-alarms-{model}"


def _shuffled_maps(spec: MapsNull, forecasts: list[Any], mainshocks: pd.DataFrame,
                   rules: AlarmRules, ass: float, client: Any) -> SkillResult:
    """The alarms' ASS against ``spec.n_null`` time-shuffled ionospheres."""
    cube = AlarmCube.from_forecasts(forecasts, mainshocks, magnitude_min=rules.target_magnitude)
    null = spec.build(cube, rules, ass)
    if client is not None:
        from ionoquake.scale.montecarlo import shuffled_maps_null_on

        return shuffled_maps_null_on(client, null, spec.n_null, spec.seed)
    sims = []
    with progress_bar("shuffled ionospheres", total=spec.n_null) as advance:
        for i in range(spec.n_null):
            sims.append(null.statistic(i, spec.seed))
            advance()
    return shuffled_maps_test(null, np.asarray(sims, dtype=float), seed=spec.seed, observed=ass)


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
    robust: dict[str, Any] = {"robustness": robustness_text(run.sensitivity, run.ionosphere)}
    if run.sensitivity is not None:
        robust.update(fragile=run.sensitivity.fragile, sensitivity=run.sensitivity.describe())
    if run.ionosphere is not None:
        robust.update(shuffled_ionospheres=run.ionosphere.null.n_samples,
                      shuffled_p=round(run.ionosphere.p_value, 4))
    return {"alarms": len(run.alarms), "targets": len(run.targets), **skills, **p_values,
            **family, **robust}
