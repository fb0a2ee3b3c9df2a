"""CSEP consistency and comparison tests through pyCSEP, as ionoquake result records.

The gridded forecast of :mod:`ionoquake.forecast.gridded` is exported to
pyCSEP's ``GriddedForecast`` (one polygon per grid cell, cells in row-major
order from the south-west, magnitude bins as the fast axis), the catalogue to a
``CSEPCatalog`` on the same region, and pyCSEP 0.8.0 runs the tests of Zechar et
al. (2010), "Likelihood-based tests for evaluating space-rate-magnitude
earthquake forecasts", Bull. Seismol. Soc. Am. 100(3), 1184-1195:

* N-test -- total number, Poisson; δ₁ = P(N ≥ N_obs), δ₂ = P(N ≤ N_obs);
  p = 2 min(δ₁, δ₂) (two-sided; CSEP rejects when δ₁ or δ₂ < α/2);
* L-test -- joint log-likelihood against catalogues simulated from the
  forecast; γ = share of simulations with likelihood ≤ observed (one-sided;
  kept in ``details``), p = (1 + #{≤ observed}) / (1 + n), the Monte Carlo p
  of :func:`ionoquake.evaluate.pvalues.monte_carlo_p`;
* S-test -- the same with the spatial forecast normalised to the observed number (ζ);
* T-test -- information gain per event over a reference forecast (Rhoades et
  al. 2011, Acta Geophys. 59, 728-747), with its t-distribution null.

:func:`pycsep_molchan` reproduces, vectorised, what pyCSEP's
``plot_Molchan_diagram`` computes, so that ionoquake's Molchan numbers can be
checked against it under its own conventions (see :mod:`ionoquake.evaluate.molchan`).
pyCSEP is an optional dependency (extra ``csep``); it is imported on first use.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ionoquake.errors import IonoquakeError
from ionoquake.evaluate.pvalues import monte_carlo_p
from ionoquake.evaluate.results import SkillResult, summarize_null
from ionoquake.forecast.gridded import forecast_grid, forecast_rates

__all__ = ["csep_tests", "pycsep_molchan", "to_pycsep_catalog", "to_pycsep_forecast"]


def _require_pycsep() -> Any:
    try:
        with warnings.catch_warnings():  # pyCSEP 0.8.0 imports deprecated cartopy names
            warnings.simplefilter("ignore", DeprecationWarning)
            import csep
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise IonoquakeError("the CSEP tests need pyCSEP: pip install 'ionoquake[csep]'") from exc
    return csep


def to_pycsep_forecast(ds: xr.Dataset, *, variable: str = "spatial_rate") -> Any:
    """Export a forecast Dataset to a ``csep.core.forecasts.GriddedForecast``.

    The forecast's rates are per horizon; start and end times are the issue
    time and issue time + ``horizon_days``.
    """
    _require_pycsep()
    from csep.core.forecasts import GriddedForecast
    from csep.core.regions import CartesianGrid2D

    grid = forecast_grid(ds)
    lon0, lat0 = np.meshgrid(grid.lon_edges[:-1], grid.lat_edges[:-1])
    origins = np.column_stack([lon0.ravel(), lat0.ravel()])
    region = CartesianGrid2D.from_origins(origins, dh=grid.step_deg, magnitudes=grid.magnitude)
    rates = forecast_rates(ds, variable=variable).reshape(-1, grid.magnitude.size)
    start = pd.Timestamp(ds.attrs["issue_time"]).to_pydatetime()
    end = start + dt.timedelta(days=float(ds.attrs["horizon_days"]))
    return GriddedForecast(data=rates, region=region, magnitudes=grid.magnitude,
                           name=f"{ds.attrs['model']}:{variable}", start_time=start,
                           end_time=end)


def to_pycsep_catalog(catalog: pd.DataFrame, forecast: Any) -> Any:
    """The events of ``catalog`` inside the forecast's region and magnitude range, for pyCSEP."""
    _require_pycsep()
    from csep.core.catalogs import CSEPCatalog

    region = forecast.region
    lon, lat = catalog["longitude"].to_numpy(float), catalog["latitude"].to_numpy(float)
    origins = region.origins()
    inside = ((lon >= origins[:, 0].min()) & (lon < origins[:, 0].max() + region.dh)
              & (lat >= origins[:, 1].min()) & (lat < origins[:, 1].max() + region.dh)
              & (catalog["magnitude"].to_numpy(float) >= float(np.min(forecast.magnitudes))))
    cat = catalog.loc[inside]
    epoch_ms = (cat["time"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)
    frame = pd.DataFrame({
        "id": cat.get("event_id", pd.Series(range(len(cat)), index=cat.index)).astype(str),
        "origin_time": epoch_ms.astype("int64"), "latitude": cat["latitude"].astype(float),
        "longitude": cat["longitude"].astype(float),
        "depth": cat.get("depth_km", pd.Series(0.0, index=cat.index)).astype(float),
        "magnitude": cat["magnitude"].astype(float)})
    return CSEPCatalog.from_dataframe(frame, region=region, name="observed")


def csep_tests(forecast: xr.Dataset, catalog: pd.DataFrame, *,
               reference: xr.Dataset | None = None, n_simulations: int = 1000, seed: int = 0,
               alpha: float = 0.05) -> dict[str, SkillResult]:
    """N-, L-, S-tests of ``forecast`` and its T-test against ``reference``, by pyCSEP.

    Parameters
    ----------
    forecast
        Forecast Dataset (rates per horizon).
    catalog
        Observed events during the horizon (only those inside the grid count).
    reference
        Baseline forecast for the T-test; default: the forecast's own ``baseline_rate``.
    n_simulations, seed
        Simulated catalogues of the L- and S-tests (pyCSEP seeds NumPy's global RNG).
    alpha
        Level of the T-test's information-gain interval.
    """
    _require_pycsep()
    from csep.core import poisson_evaluations as pe

    fc = to_pycsep_forecast(forecast)
    ref = (to_pycsep_forecast(forecast, variable="baseline_rate") if reference is None
           else to_pycsep_forecast(reference))
    obs = to_pycsep_catalog(catalog, fc)
    conv = {"software": "pyCSEP 0.8.0 poisson_evaluations",
            "forecast": str(fc.name), "reference": str(ref.name)}
    out = {"N": _n_test(pe.number_test(fc, obs), conv)}
    if obs.event_count == 0:
        return out  # likelihood tests need events; say so by their absence
    lt = pe.likelihood_test(fc, obs, num_simulations=n_simulations, seed=seed)
    st = pe.spatial_test(fc, obs, num_simulations=n_simulations, seed=seed)
    for key, res, what in (("L", lt, "gamma"), ("S", st, "zeta")):
        sims = np.asarray(res.test_distribution, dtype=float)
        null = summarize_null(sims, kind="monte-carlo", seed=seed,
                              description=f"log-likelihoods of {n_simulations} catalogues "
                                          "simulated from the forecast")
        # pyCSEP's quantile is #{sim <= obs}/n, 0 when no simulation reaches the observation;
        # the one Monte Carlo p counts the observation as a draw and ties within rounding.
        observed = float(res.observed_statistic)
        p = monte_carlo_p(sims, observed, alternative="less")
        out[key] = SkillResult(res.name, observed, null, p, "less", dict(conv),
                               {what: float(res.quantile)},
                               p_method=(f"Monte Carlo: (1 + #{{simulated <= observed}}) / "
                                         f"(1 + {sims.size}) log-likelihoods"))
    if obs.event_count > 1:
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 for identical forecasts
            res_t = pe.paired_t_test(fc, ref, obs, alpha=alpha)
        out["T"] = _t_test(res_t, obs.event_count, conv)
    return out


def _n_test(res: Any, conv: dict[str, str]) -> SkillResult:
    delta1, delta2 = (float(q) for q in res.quantile)
    mean = float(res.test_distribution[1])
    null = summarize_null(kind="poisson", mean=mean, std=math.sqrt(mean),
                          description=f"Poisson number of events with mean {mean:.4g}")
    return SkillResult(res.name, float(res.observed_statistic), null,
                       min(1.0, 2.0 * min(delta1, delta2)), "two-sided", dict(conv),
                       {"delta1": delta1, "delta2": delta2},
                       p_method="Poisson, two-sided: 2 min(P(N >= obs), P(N <= obs))")


def _t_test(res: Any, n_obs: int, conv: dict[str, str]) -> SkillResult:
    # NaN (identical forecasts: 0/0) as the math.nan singleton, so records compare equal
    t_stat, t_crit, alpha = (float(q) if np.isfinite(q) else math.nan for q in res.quantile)
    ig = float(res.observed_statistic)
    lower, upper = (float(x) for x in res.test_distribution)
    se = (upper - lower) / (2.0 * t_crit) if t_crit > 0 else math.nan
    if np.isfinite(t_stat):
        p = float(2.0 * stats.t.sf(abs(t_stat), n_obs - 1))
    else:  # identical forecasts: zero gain with zero spread
        p = 1.0 if ig == 0.0 else math.nan
    null = summarize_null(kind="student-t", mean=0.0, std=se, description=(
        f"information gain 0 (no better than the reference), t with {n_obs - 1} d.o.f."))
    return SkillResult("T-test information gain per event", ig, null, p, "two-sided",
                       {**conv, "units": "nats per event"},
                       {"t_statistic": t_stat, "t_critical": t_crit, "alpha": alpha,
                        "ig_lower": lower, "ig_upper": upper},
                       p_method=f"Student t with {n_obs - 1} d.o.f., two-sided")


def pycsep_molchan(rates: ArrayLike, event_counts: ArrayLike
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float, float]:
    """What pyCSEP 0.8.0's ``plot_Molchan_diagram`` computes, without its per-cell loop.

    Its conventions: one point per cell in descending rate order (ties alarmed
    together, so tied cells repeat the same point), τ = alarmed share of
    *cells* (no area weights), ν = share of *cells holding ≥ 1 event* that are
    not alarmed, ASS by the trapezoid rule, then shown as ``max(0.5, ASS)``
    rounded to 0.01, with "±" ``ceil(100 sqrt(1/(12 N_cells)) + 0.5)/100``.

    Returns
    -------
    tau, nu, ass, ass_shown, std_shown
        The plotted line (with the (0, 1) and (1, 0) end points), the raw
        trapezoid ASS and the two numbers pyCSEP prints in its legend.
    """
    r = np.asarray(rates, dtype=float).ravel()
    obs = np.asarray(event_counts, dtype=float).ravel()
    order = np.argsort(r)[::-1]  # numpy.flip(numpy.argsort(rate)) as in pyCSEP
    thr, active = r[order] / r.sum(), obs[order] > 0
    n_active = int(active.sum())
    # For threshold thr[k], the alarmed cells are all with thr >= thr[k]: count them by search.
    asc = np.sort(thr)
    n_alarmed = thr.size - np.searchsorted(asc, thr, side="left")
    hits_sorted = np.cumsum(active[np.argsort(-thr, kind="stable")])
    hits = np.where(n_alarmed > 0, hits_sorted[n_alarmed - 1], 0)
    tau = np.r_[0.0, n_alarmed / thr.size, 1.0]
    nu = np.r_[1.0, (n_active - hits) / n_active, 0.0]
    from scipy.integrate import trapezoid

    ass = float(trapezoid(1.0 - nu, tau) / (tau[-1] - tau[0] + 1e-10))
    std = math.ceil(math.sqrt(1.0 / (12.0 * n_active)) * 100 + 0.5) / 100
    return tau, nu, ass, float(np.round(max(0.5, ass), 2)), float(np.round(std, 2))
