"""Real case: the seismicity baseline over the 55-day JPL GIM period, ComCat M ≥ 6 targets.

Data: ../shared/data/catalogs/usgs_comcat_M4.5_1999-2017/1999-2004.csv.gz (USGS ComCat,
M ≥ 4.5), declustered by Gardner-Knopoff; period 2000-11-21 .. 2001-01-14, the span of
../shared/data/ionex/jpl_2000326-2001014. No alarms yet (detection is not wired in), so
this scores the baseline only -- and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ionoquake.detect.decluster import decluster
from ionoquake.evaluate.forecast_run import RunEvaluation, evaluate_run
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.sources import catalog


@pytest.fixture(scope="module")
def mainshocks(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "catalogs" / "usgs_comcat_M4.5_1999-2017" / "1999-2004.csv.gz"
    return decluster(catalog.read(path))


def test_baseline_run_on_the_jpl_period(mainshocks: pd.DataFrame) -> None:
    cfg = ForecastConfig(grid=Grid(step_deg=5.0, magnitude_step=0.5), learning_days=320,
                         sigma_km=200.0)
    forecasts = run_daily(mainshocks, cfg, "2000-11-21", "2001-01-15")
    ev = evaluate_run(forecasts, mainshocks, n_simulations=2000, csep_simulations=200,
                      magnitude_min=6.0)
    period = mainshocks[(mainshocks["time"] >= "2000-11-21") & (mainshocks["time"] < "2001-01-15")]
    assert ev.n_forecasts == 55
    assert ev.n_target_events == int((period["magnitude"] >= 6.0).sum())
    assert ev.molchan_alarms is None and "no alarm was active" in ev.notes[0]
    # Earthquakes follow past seismicity: the baseline beats uniform space-time clearly.
    assert ev.molchan_rate.ass.statistic > 0.8 and ev.molchan_rate.ass.p_value < 0.001
    assert ev.csep["T"].statistic == 0.0  # forecast == baseline without alarms
    again = RunEvaluation.from_dict(json.loads(json.dumps(ev.to_dict(), allow_nan=False)))
    assert again == ev
