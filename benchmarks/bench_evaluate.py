"""Molchan speed: ionoquake (diagram + 10,000-alarm Monte Carlo null) against pyCSEP 0.8.0.

Input: a 1° global grid (64,800 cells), a random alarm function and 1,000 target
events thrown by cell area, the same for both. ionoquake computes the exact
Molchan trajectory, ASS, gain, R and a 10,000-sample random-alarm Monte Carlo
null (median of repeated runs). pyCSEP's ``plot_Molchan_diagram`` (the only place
pyCSEP computes a Molchan table; no null beyond the analytic ±) loops over every
cell with pandas, O(n_cells²): it is timed on reduced grids (10°, 5°, 3.75° and 2.5°)
with the same number of events, a model t(n) = a·n + b·n² is fitted and evaluated
at n = 64,800. The printed ratio is pyCSEP(extrapolated, no Monte Carlo) /
ionoquake(with Monte Carlo). Run: ``.venv/bin/python benchmarks/bench_evaluate.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ionoquake.evaluate.molchan import molchan
from ionoquake.forecast.grid import Grid

N_EVENTS = 1000
N_SIMULATIONS = 10_000
REDUCED_STEPS = (10.0, 5.0, 3.75, 2.5)


def _inputs(step: float, seed: int = 0) -> tuple[Grid, np.ndarray, np.ndarray, np.ndarray]:
    grid = Grid(step_deg=step, magnitude_min=5.0, magnitude_max=5.0, magnitude_step=0.1)
    rng = np.random.default_rng(seed)
    area = grid.cell_area_km2()
    scores = rng.gamma(0.5, size=area.shape)
    events = np.zeros(area.size)
    np.add.at(events, rng.choice(area.size, N_EVENTS, p=(area / area.sum()).ravel()), 1)
    return grid, scores, events.reshape(area.shape), area


def time_ionoquake(repeat: int = 5) -> tuple[float, float]:
    _, scores, events, area = _inputs(1.0)
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        result = molchan(scores, events, area, n_simulations=N_SIMULATIONS, seed=i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result.ass.statistic


def time_pycsep(step: float) -> tuple[int, float]:
    from csep.core.catalogs import CSEPCatalog
    from csep.core.forecasts import GriddedForecast
    from csep.core.regions import CartesianGrid2D
    from csep.utils.plots import plot_Molchan_diagram

    grid, scores, events, _ = _inputs(step)
    lon0, lat0 = np.meshgrid(grid.lon_edges[:-1], grid.lat_edges[:-1])
    region = CartesianGrid2D.from_origins(np.column_stack([lon0.ravel(), lat0.ravel()]),
                                          dh=step, magnitudes=grid.magnitude)
    forecast = GriddedForecast(data=scores.reshape(-1, 1), region=region,
                               magnitudes=grid.magnitude, name="random")
    i, j = np.nonzero(events)
    reps = events[i, j].astype(int)
    lat, lon = np.repeat(grid.lat[i], reps), np.repeat(grid.lon[j], reps)
    data = np.zeros(lat.size, dtype=CSEPCatalog.dtype)
    data["latitude"], data["longitude"], data["magnitude"] = lat, lon, 5.0
    catalog = CSEPCatalog(data=data, region=region)
    t0 = time.perf_counter()
    ax = plot_Molchan_diagram(forecast, catalog, show=False, savepdf=False, savepng=False)
    elapsed = time.perf_counter() - t0
    plt.close(ax.figure)
    return scores.size, elapsed


def main() -> int:
    try:
        import csep  # noqa: F401
    except ImportError:
        print("install pyCSEP first: pip install -e '.[csep]'", file=sys.stderr)
        return 1
    warnings.simplefilter("ignore", DeprecationWarning)
    t_iq, ass = time_ionoquake()
    print(f"ionoquake: Molchan + {N_SIMULATIONS} random-alarm Monte Carlo, {N_EVENTS} events, "
          f"1° grid (64,800 cells): {t_iq:.3f} s (median of 5), ASS = {ass:.4f}")
    sizes, times = [], []
    for step in REDUCED_STEPS:
        n, t = time_pycsep(step)
        sizes.append(n)
        times.append(t)
        print(f"pyCSEP plot_Molchan_diagram, {step:g}° grid ({n} cells): {t:.2f} s")
    n_arr, t_arr = np.asarray(sizes, float), np.asarray(times)
    coef, *_ = np.linalg.lstsq(np.column_stack([n_arr, n_arr**2]), t_arr, rcond=None)
    n_full = 64_800
    t_full = float(coef[0] * n_full + coef[1] * n_full**2)
    print(f"pyCSEP fitted t(n) = {coef[0]:.3e}·n + {coef[1]:.3e}·n² s; "
          f"extrapolated to {n_full} cells: {t_full:.0f} s ({t_full / 3600:.1f} h)")
    print(f"ratio pyCSEP (diagram only, extrapolated) / ionoquake (diagram + MC null): "
          f"{t_full / t_iq:,.0f}x (target >= 60x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
