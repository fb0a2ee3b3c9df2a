"""Retrospective and pseudo-prospective runs: one forecast per day over a period.

Each day's forecast is issued at 00:00 UTC from an as-of view of the inputs, so
it sees exactly what a forecaster running the model that midnight would have
seen (up to the data latencies given). Runs are *pseudo-prospective* when the
model's config was frozen before the period started (the config hash in every
file lets a reader check that it never changed) and *retrospective* otherwise;
the difference is in what the analyst did, so :func:`run_daily` only records the
config and inputs and leaves the label to the caller (``mode``). The daily step
(:mod:`ionoquake.pipeline.daily`) issues its one forecast a day with it too, as
``"operational"``.
"""

from __future__ import annotations

import os

import pandas as pd
import xarray as xr

from ionoquake.forecast.alarms import check_alarms
from ionoquake.forecast.archive import write_forecast
from ionoquake.forecast.asof import AsOfView
from ionoquake.forecast.grid import ForecastError
from ionoquake.forecast.gridded import ForecastConfig, build_forecast

__all__ = ["RUN_MODES", "issue_times", "run_daily"]

#: How the forecasts were issued: after the fact, with a config frozen beforehand, or live.
RUN_MODES = ("retrospective", "pseudo-prospective", "operational")


def issue_times(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """Midnights (UTC) from ``start`` to before ``end``: one issue time per forecast day."""
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end)
    if last <= first:
        raise ForecastError(f"empty forecast period {first} .. {last}")
    return pd.date_range(first, last, freq="D", inclusive="left")


def run_daily(catalog: pd.DataFrame, config: ForecastConfig, start: str | pd.Timestamp,
              end: str | pd.Timestamp, *, alarms: pd.DataFrame | None = None,
              store: str | os.PathLike[str] | None = None, mode: str = "retrospective",
              catalog_latency: str = "0s") -> list[xr.Dataset]:
    """Issue one forecast per day in ``[start, end)``.

    Parameters
    ----------
    catalog
        Earthquake catalogue (``time`` naive UTC, ``latitude``, ``longitude``,
        ``magnitude``); only rows before each issue time are visible to it.
    config
        The model; use ``alarm_gain=1`` for the seismicity baseline.
    start, end
        Forecast period (days issued at midnights ``start`` ≤ t < ``end``).
    alarms
        Alarm table (see :mod:`ionoquake.forecast.alarms`); an alarm is visible
        from its ``issued`` time.
    store
        If given, every forecast is written there immutably
        (:func:`~ionoquake.forecast.archive.write_forecast`).
    mode
        One of :data:`RUN_MODES`, recorded in each forecast.
    catalog_latency
        Delay before an event is in the catalogue (pandas timedelta string).

    Returns
    -------
    list of xarray.Dataset
        The forecasts, in issue order.
    """
    if mode not in RUN_MODES:
        raise ForecastError(f"unknown run mode {mode!r}")
    view = AsOfView(pd.Timestamp(start)).with_table("catalog", catalog, stamp="time",
                                                      latency=catalog_latency)
    if alarms is not None:
        view.with_table("alarms", check_alarms(alarms), stamp="issued")
    out: list[xr.Dataset] = []
    for issue in issue_times(start, end):
        ds = build_forecast(view.at(issue), config)
        ds.attrs["run_mode"] = mode
        if store is not None:
            write_forecast(store, ds)
        out.append(ds)
    return out
