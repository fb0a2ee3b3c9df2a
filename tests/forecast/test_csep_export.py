"""Forecasts and catalogues that pyCSEP 0.8 loads, and its N-test equal to ionoquake's.

The forecast is the demo's (``ionoquake demo``, :mod:`ionoquake.pipeline.demo`): daily
forecasts on the global 2° grid, M 4.5..8.5 in 0.1 bins, learning 60 days from the
bundled ComCat M ≥ 4.5 catalogue (declustered), over the first ten days of the demo's
period (2000-12-06 on). The files are opened in the real clients: pyCSEP's
``load_gridded_forecast`` (CSEP ASCII) and ObsPy's ``read_events`` (QuakeML, through
:func:`~ionoquake.forecast.csep_export.pycsep_events` into ``csep.load_catalog``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ionoquake.detect.decluster import decluster
from ionoquake.evaluate.csep import csep_tests
from ionoquake.evaluate.forecast_run import _run_total
from ionoquake.forecast.archive import csep_path, export_csep, read_forecast
from ionoquake.forecast.csep_export import (
    csep_ascii_rows,
    pycsep_events,
    write_csep_ascii,
    write_csep_catalog,
)
from ionoquake.forecast.grid import Grid
from ionoquake.forecast.gridded import ForecastConfig, forecast_rates
from ionoquake.forecast.run import run_daily
from ionoquake.pipeline.evaluate import write_csep_files
from ionoquake.sources import catalog

with warnings.catch_warnings():  # pyCSEP 0.8.0 imports deprecated cartopy names
    warnings.simplefilter("ignore", DeprecationWarning)
    import csep
    from csep.core import poisson_evaluations

CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
START, END = "2000-12-06", "2000-12-16"


@pytest.fixture(scope="module")
def mainshocks(bundled_data: Path) -> pd.DataFrame:
    return decluster(catalog.read(bundled_data / CATALOG))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def forecasts(mainshocks: pd.DataFrame, store: Path) -> list:
    config = ForecastConfig(name="demo-like", grid=Grid(step_deg=2.0), learning_days=60)
    return run_daily(mainshocks, config, START, END, store=store)


def _period(cat: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return cat[(cat["time"] >= start) & (cat["time"] < end)]


def test_pycsep_loads_the_forecast_and_its_n_test_equals_ionoquakes(
        forecasts: list, mainshocks: pd.DataFrame, tmp_path: Path) -> None:
    files = write_csep_files(tmp_path / "csep", forecasts, mainshocks)
    start, end = (pd.Timestamp(files[k]).tz_convert(None) for k in ("start_date", "end_date"))
    assert (end - start) == pd.Timedelta(days=10)
    fc = csep.load_gridded_forecast(str(tmp_path / files["forecast"]),
                                    start_date=start.to_pydatetime(),
                                    end_date=end.to_pydatetime())
    total = _run_total(forecasts)
    np.testing.assert_array_equal(fc.data.ravel(), forecast_rates(total).ravel())  # exact
    assert fc.region.num_nodes == 90 * 180 and fc.magnitudes.size == 41
    assert fc.magnitudes[0] == 4.5 and fc.region.dh == 2.0

    cat = csep.load_catalog(str(tmp_path / files["catalog"]), loader=pycsep_events)
    period = _period(mainshocks, start, end)
    assert cat.event_count == len(period) > 0
    cat.region = fc.region
    cat = cat.filter_spatial(fc.region).filter(f"magnitude >= {fc.min_magnitude}")
    theirs = poisson_evaluations.number_test(fc, cat)
    ours = csep_tests(total, period, n_simulations=10)["N"]
    assert theirs.observed_statistic == ours.statistic == len(period)
    delta1, delta2 = theirs.quantile
    assert abs(delta1 - ours.details["delta1"]) <= 1e-12
    assert abs(delta2 - ours.details["delta2"]) <= 1e-12
    # and both are the Poisson tails of Zechar et al. (2010), eq. (1)-(2):
    # delta1 = P(N >= N_obs), delta2 = P(N <= N_obs) for N ~ Poisson(forecast total)
    mean = float(forecast_rates(total).sum())
    assert delta1 == pytest.approx(stats.poisson.sf(len(period) - 1, mean), rel=1e-9)
    assert delta2 == pytest.approx(stats.poisson.cdf(len(period), mean), rel=1e-9)


def test_the_quakeml_catalogue_opens_in_obspy_with_the_same_events(
        mainshocks: pd.DataFrame, tmp_path: Path) -> None:
    from obspy import read_events

    period = _period(mainshocks, pd.Timestamp(START), pd.Timestamp(END))
    path = write_csep_catalog(period, tmp_path / "catalog.xml")
    events = read_events(str(path), format="QUAKEML")
    assert len(events) == len(period)
    got = sorted((e.preferred_origin().time.datetime, e.preferred_magnitude().mag)
                 for e in events)
    want = sorted(zip(period["time"].dt.round("us").dt.to_pydatetime(),
                      period["magnitude"], strict=True))
    assert [m for _, m in got] == [m for _, m in want]
    assert all(abs(a - b) <= dt.timedelta(microseconds=1)
               for (a, _), (b, _) in zip(got, want, strict=True))


def test_a_stored_forecast_exports_beside_its_parquet_file(forecasts: list, store: Path
                                                           ) -> None:
    path = sorted((store / "forecasts" / "demo-like").glob("*.parquet"))[0]
    dat = export_csep(path)
    assert dat == csep_path(path) == path.with_suffix(".dat")
    fc = csep.load_gridded_forecast(str(dat))
    np.testing.assert_array_equal(fc.data.ravel(), forecast_rates(read_forecast(path)).ravel())


def test_rows_follow_the_csep1_layout(forecasts: list, tmp_path: Path) -> None:
    rows = csep_ascii_rows(forecasts[0])
    assert rows.shape == (90 * 180 * 41, 10)
    first = rows[0]
    assert list(first[:8]) == [-180.0, -178.0, -90.0, -88.0, 0.0, 1000.0, 4.5, 4.6]
    assert list(rows[1, 6:8]) == [4.6, 4.7]  # magnitude fastest
    assert list(rows[41, :4]) == [-178.0, -176.0, -90.0, -88.0]  # then longitude
    assert (rows[:, 9] == 1).all()
    path = write_csep_ascii(forecasts[0], tmp_path / "f.dat")
    np.testing.assert_array_equal(np.loadtxt(path), rows)
