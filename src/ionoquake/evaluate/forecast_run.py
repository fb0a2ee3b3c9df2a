"""Score a run of daily forecasts: Molchan, ROC, reliability and CSEP tests together.

The run's forecasts (one per day, :func:`ionoquake.forecast.run.run_daily`) are
stacked into space-time cells (day × lat × lon) and compared with the events of
the catalogue that fall in each forecast's horizon:

* ``molchan_alarms`` -- alarm function = the strongest alarm score on the cell
  (cells with no alarm tied at the bottom), τ weighted by the **baseline rate**:
  does the ionospheric information add anything to the seismicity baseline?
  (Zechar & Jordan 2008 §5: the reference model as the measure of τ.)
* ``molchan_rate`` -- alarm function = the forecast rate, τ weighted by
  space-time volume (cell area × day): the forecast's skill against "anywhere
  equally likely", which the baseline mostly provides.
* ``roc`` and ``reliability`` -- of the occurrence probabilities 1 − exp(−rate),
  the reliability skill measured against the baseline's probabilities.
* ``csep`` -- N-, L-, S-tests of the whole run (rates summed over days) and the
  T-test against the baseline, through pyCSEP (skipped with a note if absent).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.evaluate.molchan import molchan
from ionoquake.evaluate.probabilistic import (
    occurrence_probability,
    reliability_diagram,
    roc_diagram,
)
from ionoquake.evaluate.results import CurveResult, MolchanResult, SkillResult
from ionoquake.forecast.grid import ForecastError, count_events
from ionoquake.forecast.gridded import forecast_grid

__all__ = ["RunEvaluation", "evaluate_run", "stack_run"]


@dataclass(frozen=True)
class RunEvaluation:
    """All scores of one forecast run; ``notes`` say what was skipped and why."""

    model: str
    period: tuple[str, str]
    n_forecasts: int
    n_target_events: int
    molchan_alarms: MolchanResult | None
    molchan_rate: MolchanResult
    roc: CurveResult | None
    reliability: CurveResult | None
    csep: dict[str, SkillResult]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what ``ionoquake evaluate --json`` prints)."""
        def d(x: Any) -> Any:
            return None if x is None else x.to_dict()
        return {"model": self.model, "period": list(self.period),
                "n_forecasts": self.n_forecasts, "n_target_events": self.n_target_events,
                "molchan_alarms": d(self.molchan_alarms), "molchan_rate": d(self.molchan_rate),
                "roc": d(self.roc), "reliability": d(self.reliability),
                "csep": {k: v.to_dict() for k, v in self.csep.items()},
                "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunEvaluation:
        """Rebuild from :meth:`to_dict` output."""
        def opt(kind: Any, value: Any) -> Any:
            return None if value is None else kind.from_dict(value)
        return cls(data["model"], (data["period"][0], data["period"][1]),
                   int(data["n_forecasts"]), int(data["n_target_events"]),
                   opt(MolchanResult, data["molchan_alarms"]),
                   MolchanResult.from_dict(data["molchan_rate"]),
                   opt(CurveResult, data["roc"]), opt(CurveResult, data["reliability"]),
                   {k: SkillResult.from_dict(v) for k, v in data["csep"].items()},
                   tuple(data["notes"]))


def stack_run(forecasts: Sequence[xr.Dataset], catalog: pd.DataFrame, *,
              magnitude_min: float | None = None) -> xr.Dataset:
    """Space-time cube of a run: rates, baseline, alarm scores and observed events per cell.

    With ``magnitude_min`` (a bin edge of the grid) only targets at or above it
    count, and the rates are cut to those magnitude bins.
    """
    if not forecasts:
        raise ForecastError("no forecasts to evaluate")
    grid = forecast_grid(forecasts[0])
    if magnitude_min is not None:
        if not np.isclose(grid.magnitude, magnitude_min).any():
            raise ForecastError(f"target magnitude {magnitude_min} is not a bin edge of the "
                                f"forecast grid ({grid.magnitude_min}..{grid.magnitude_max} "
                                f"step {grid.magnitude_step})")
        catalog = catalog[catalog["magnitude"] >= magnitude_min - 1e-9]
        forecasts = [_above(ds, magnitude_min) for ds in forecasts]
    events = []
    for ds in forecasts:
        start = pd.Timestamp(ds.attrs["issue_time"])
        end = start + pd.Timedelta(days=float(ds.attrs["horizon_days"]))
        inside = catalog[(catalog["time"] >= start) & (catalog["time"] < end)]
        events.append(count_events(inside, grid))
    cube = xr.concat([ds[["spatial_rate", "baseline_rate", "alarm_score"]] for ds in forecasts],
                     dim="time", combine_attrs="drop_conflicts")
    cube = cube.assign_coords(time=pd.to_datetime([ds.attrs["issue_time"] for ds in forecasts]))
    cube["events"] = (("time", "lat", "lon"), np.stack(events))
    cube["cell_area"] = (("lat", "lon"), grid.cell_area_km2(), {"units": "km2"})
    return cube


def _above(ds: xr.Dataset, magnitude_min: float) -> xr.Dataset:
    share = float(ds["magnitude_fraction"].where(ds["magnitude"] >= magnitude_min - 1e-9).sum())
    out = ds.copy()
    for var in ("spatial_rate", "baseline_rate"):
        out[var] = ds[var] * share
    return out


def _run_total(forecasts: Sequence[xr.Dataset]) -> xr.Dataset:
    total = forecasts[0].copy(deep=True)
    for var in ("spatial_rate", "baseline_rate"):
        total[var] = sum((ds[var] for ds in forecasts[1:]), forecasts[0][var])
    weights = np.array([float(ds["spatial_rate"].sum()) for ds in forecasts])
    fractions = np.stack([ds["magnitude_fraction"].to_numpy() for ds in forecasts])
    total["magnitude_fraction"] = ("magnitude", weights @ fractions / weights.sum())
    total.attrs["horizon_days"] = float(sum(float(ds.attrs["horizon_days"]) for ds in forecasts))
    return total


def evaluate_run(forecasts: Sequence[xr.Dataset], catalog: pd.DataFrame, *,
                 n_simulations: int = 10_000, seed: int = 0, at_tau: float = 0.1,
                 csep_simulations: int = 1000, magnitude_min: float | None = None
                 ) -> RunEvaluation:
    """Score a run of forecasts against the catalogue of the same period.

    Parameters
    ----------
    forecasts
        Daily forecasts (same model and grid), in issue order.
    catalog
        Observed target events (already selected: magnitude, declustering).
    n_simulations, seed
        Monte Carlo null of the area skill scores.
    at_tau
        Alarm fraction at which gain and R are read.
    csep_simulations
        Simulated catalogues of the CSEP L- and S-tests.
    magnitude_min
        Target magnitude (a grid bin edge) for Molchan, ROC and reliability;
        default: all magnitudes of the grid. The CSEP tests always use all bins.
    """
    cube = stack_run(forecasts, catalog, magnitude_min=magnitude_min)
    events = cube["events"].to_numpy()
    n_events = int(events.sum())
    notes: list[str] = []
    if n_events == 0:
        raise ForecastError("no target events fall in the forecasts' grid and horizons; "
                            "nothing to score")
    area = np.broadcast_to(cube["cell_area"].to_numpy(), events.shape)
    rate = cube["spatial_rate"].to_numpy()
    base = cube["baseline_rate"].to_numpy()
    score = cube["alarm_score"].to_numpy()
    alarms: MolchanResult | None = None
    if np.isfinite(score).any():
        finite = score[np.isfinite(score)]
        score = np.where(np.isfinite(score), score, finite.min() - 1.0)
        alarms = molchan(score, events, base, weighting="baseline-rate",
                         n_simulations=n_simulations, seed=seed, at_tau=at_tau)
    else:
        notes.append("no alarm was active during the run: the alarm Molchan diagram is the "
                     "diagonal by construction and is not shown")
    rate_m = molchan(rate, events, area, weighting="space-time volume (area x day)",
                     n_simulations=n_simulations, seed=seed + 1, at_tau=at_tau)
    prob, ref = occurrence_probability(rate), occurrence_probability(base)
    roc = reliability = None
    if events.all():
        notes.append("every cell holds an event: ROC and reliability are undefined")
    else:
        roc = roc_diagram(prob, events)
        reliability = reliability_diagram(prob, events, reference=ref)
    csep: dict[str, SkillResult] = {}
    if importlib.util.find_spec("csep") is None:
        notes.append("CSEP tests skipped: pyCSEP is not installed (extra 'csep')")
    else:
        from ionoquake.evaluate.csep import csep_tests

        first = pd.Timestamp(forecasts[0].attrs["issue_time"])
        last = pd.Timestamp(cube["time"].to_numpy()[-1]) + pd.Timedelta(
            days=float(forecasts[-1].attrs["horizon_days"]))
        period_cat = catalog[(catalog["time"] >= first) & (catalog["time"] < last)]
        csep = csep_tests(_run_total(forecasts), period_cat, n_simulations=csep_simulations,
                          seed=seed)
    period = (str(forecasts[0].attrs["issue_time"]), str(forecasts[-1].attrs["issue_time"]))
    return RunEvaluation(str(forecasts[0].attrs["model"]), period, len(forecasts), n_events,
                         alarms, rate_m, roc, reliability, csep, tuple(notes))
