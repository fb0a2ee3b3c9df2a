"""The HTML evaluation report says in words what the numbers mean, null next to each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.evaluate.epoch import superposed_epoch
from ionoquake.evaluate.forecast_run import evaluate_run
from ionoquake.evaluate.molchan import molchan
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig
from ionoquake.forecast.run import run_daily
from ionoquake.report.evaluation_report import describe_skill, write_evaluation_report


def test_describe_skill_reads_out_null_and_verdict() -> None:
    res = molchan([3, 2, 1, 0], [0, 0, 0, 2], [1, 1, 1, 1], n_simulations=0)
    text = describe_skill(res.ass)
    assert text.startswith("area skill score = 0.125; under the null (random alarms: ")
    assert "not distinguishable from the null at the 0.05 level" in text


def test_report_holds_figures_nulls_and_words(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 500
    cat = pd.DataFrame({
        "time": pd.Timestamp("2019-06-01") + pd.to_timedelta(rng.uniform(0, 230, n), unit="D"),
        "latitude": rng.uniform(30, 40, n), "longitude": rng.uniform(130, 145, n),
        "magnitude": 4.5 + rng.exponential(0.43, n)}).sort_values("time")
    cfg = ForecastConfig(grid=Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5), learning_days=180)
    forecasts = run_daily(cat, cfg, "2020-01-01", "2020-01-11")
    ev = evaluate_run(forecasts, cat, n_simulations=500, csep_simulations=50)
    anomalies = pd.DataFrame({
        "time": pd.Timestamp("2019-06-01") + pd.to_timedelta(rng.uniform(0, 230, 300), unit="D"),
        "lat": rng.uniform(30, 40, 300), "lon": rng.uniform(130, 145, 300)})
    epoch = superposed_epoch(anomalies, cat, n_null=20, n_bootstrap=100)
    path = write_evaluation_report(tmp_path / "report.html", ev, epoch=epoch,
                                   context={"catalogue": "synthetic"})
    text = path.read_text()
    assert "No alarm was active, so this run measures only the seismicity baseline" in text
    # Molchan + its null, ROC, reliability, epoch rates + the epoch nulls
    assert text.count("<img src=\"data:image/png;base64,") == 6
    assert "the area skill scores of 500 random alarm functions with the same ties" in text
    assert "how p was computed" in text and "Monte Carlo: (1 + #{null &gt;= observed})" in text
    assert "staircase of Zechar &amp; Jordan (2008)" in text
    assert "under the null" in text and "Poisson N-Test" in text and "null random-times" not in text
    assert "Superposed epoch analysis" in text
