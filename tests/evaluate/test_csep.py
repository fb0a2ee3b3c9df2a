"""ionoquake's Molchan numbers against pyCSEP 0.8.0's own code, and the CSEP tests.

pyCSEP's ``plot_Molchan_diagram`` loops over cells in pandas (quadratic), so the
grid is small: 10 × 15 one-degree cells off Japan, 150 cells.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ionoquake.evaluate.csep import (
    csep_tests,
    pycsep_molchan,
    to_pycsep_catalog,
    to_pycsep_forecast,
)
from ionoquake.evaluate.molchan import area_skill_score, molchan_trajectory
from ionoquake.forecast.asof import AsOfView
from ionoquake.forecast.grid import Grid, count_events
from ionoquake.forecast.gridded import ForecastConfig, build_forecast

pytest.importorskip("csep")
matplotlib.use("Agg")

GRID = Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5)


def _catalog(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "time": pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.random(n) * 3000, unit="D"),
        "latitude": rng.normal(35, 2, n).clip(30.01, 39.99),
        "longitude": rng.normal(138, 3, n).clip(130.01, 144.99),
        "magnitude": 4.5 + rng.exponential(0.43, n)})


def _forecast(baseline: str) -> tuple:
    past = _catalog(0, 300)
    cfg = ForecastConfig(grid=GRID, baseline=baseline, learning_days=3650, horizon_days=365,
                         sigma_km=80.0)
    ds = build_forecast(AsOfView(pd.Timestamp("2020-01-01")).with_table("catalog", past), cfg)
    observed = _catalog(7, 40)
    return ds, observed


def _pycsep_plot(fc, cat):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from csep.utils.plots import plot_Molchan_diagram

        ax = plot_Molchan_diagram(fc, cat, show=False, savepdf=False, savepng=False)
    line = ax.lines[0]
    label = ax.get_legend().get_texts()[0].get_text()
    ass, std = label.split("ASS=")[1].strip().split("±")
    return (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float),
            float(ass), float(std))


@pytest.mark.parametrize("baseline", ["smoothed", "uniform"])  # uniform: ties along rows
def test_molchan_matches_pycsep_under_its_conventions(baseline: str) -> None:
    ds, observed = _forecast(baseline)
    fc = to_pycsep_forecast(ds)
    cat = to_pycsep_catalog(observed, fc)
    tau_p, nu_p, ass_shown, std_shown = _pycsep_plot(fc, cat)
    rates, counts = fc.spatial_counts(), cat.spatial_counts()

    # 1. the vectorised reproduction gives pyCSEP's line and legend exactly
    tau_r, nu_r, ass_raw, shown, std = pycsep_molchan(rates, counts)
    np.testing.assert_array_equal(tau_r, tau_p)
    np.testing.assert_array_equal(nu_r, nu_p)
    assert (shown, std) == (ass_shown, std_shown)

    # 2. ionoquake's exact trajectory under pyCSEP's conventions (unit weights, a cell
    #    with events counted once) passes through every pyCSEP point, and the areas agree
    tau, nu, _, _ = molchan_trajectory(rates, np.ones(rates.size), np.minimum(counts, 1))
    points = {(round(t, 12), round(v, 12)) for t, v in zip(tau_p, nu_p, strict=True)}
    assert points == {(round(t, 12), round(v, 12)) for t, v in zip(tau, nu, strict=True)}
    assert area_skill_score(tau, nu) == pytest.approx(ass_raw, abs=1e-9)
    assert max(0.5, round(area_skill_score(tau, nu), 2)) == pytest.approx(ass_shown)

    # 3. ionoquake's own conventions (cos-lat areas, every event counts) differ
    tau_a, nu_a, _, _ = molchan_trajectory(rates, GRID.cell_area_km2(), counts)
    assert area_skill_score(tau_a, nu_a) != pytest.approx(ass_raw, abs=1e-6)


def test_n_test_is_the_poisson_tail_by_hand() -> None:
    ds, observed = _forecast("smoothed")
    results = csep_tests(ds, observed, n_simulations=100, seed=1)
    n = results["N"]
    expected = float(ds["spatial_rate"].sum())
    n_obs = int(count_events(observed, GRID).sum())
    assert n.statistic == n_obs and n.null.mean == pytest.approx(expected)
    assert n.details["delta1"] == pytest.approx(stats.poisson.sf(n_obs - 1, expected), rel=1e-6)
    assert n.details["delta2"] == pytest.approx(stats.poisson.cdf(n_obs, expected), rel=1e-6)
    assert set(results) == {"N", "L", "S", "T"}
    assert results["L"].null.n_samples == 100
    assert results["T"].statistic == 0.0 and results["T"].p_value == 1.0  # no alarms: no gain


def test_t_test_prefers_the_smoothed_forecast_over_the_uniform_one() -> None:
    smooth, observed = _forecast("smoothed")
    uniform, _ = _forecast("uniform")
    t = csep_tests(smooth, observed, reference=uniform, n_simulations=50)["T"]
    assert t.statistic > 0 and t.details["ig_lower"] > 0 and t.p_value < 0.05
