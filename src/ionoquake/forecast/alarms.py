"""The alarm table: the one interface between anomaly detection and forecasting.

An *alarm* says: "between ``start`` and ``end``, within ``radius_km`` of
(``lat``, ``lon``), the chance of a target earthquake is raised". Whatever rule
turns ionospheric anomalies into alarms (Dobrovolsky circles, fixed radii, lead
times, durations) must emit a :class:`pandas.DataFrame` with these columns:

=============  ===================  ==================================================
column         dtype                meaning
=============  ===================  ==================================================
``issued``     datetime64 (naive    when the alarm became known, i.e. the time stamp of
               UTC)                 the last observation it used; the as-of view hides
                                    alarms issued at or after a forecast's issue time
``start``      datetime64 (UTC)     alarm on from this instant (inclusive)
``end``        datetime64 (UTC)     alarm off from this instant (exclusive), > start
``lat``        float, degrees       centre latitude, −90..90
``lon``        float, degrees       centre longitude, −180..180
``radius_km``  float, km            great-circle radius of the alarm region, > 0
``score``      float                alarm strength (higher = stronger), used to rank
                                    alarms in Molchan diagrams
``gain``       float, optional      multiplicative rate gain inside the alarm (≥ 0);
                                    the forecast config's gain is used where absent
=============  ===================  ==================================================

Optional ``magnitude_min``/``magnitude_max`` columns are kept but not used yet.
Where alarms overlap, the largest score and the largest gain apply (alarms are
not multiplied together, so two detections of one anomaly do not square the gain).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.forecast.grid import ForecastError, Grid
from ionoquake.geo import EARTH_RADIUS_KM, great_circle_km

__all__ = ["ALARM_COLUMNS", "alarm_footprints", "alarm_grid", "check_alarms", "daily_alarm_scores",
           "empty_alarms"]

#: Required columns of an alarm table, in order.
ALARM_COLUMNS = ("issued", "start", "end", "lat", "lon", "radius_km", "score")
#: Units and meaning of each of :data:`ALARM_COLUMNS` and ``gain`` (for ``docs/data.md``).
ALARM_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "issued": ("UTC", "when the alarm became known (time of the last observation it used)"),
    "start": ("UTC", "alarm on from this instant (inclusive)"),
    "end": ("UTC", "alarm off from this instant (exclusive)"),
    "lat": ("degrees_north", "centre latitude"),
    "lon": ("degrees_east", "centre longitude, -180..180"),
    "radius_km": ("km", "great-circle radius of the alarm region"),
    "score": ("1", "alarm strength (higher is stronger), ranks alarms in Molchan diagrams"),
    "gain": ("1", "multiplicative rate gain inside the alarm (optional)"),
}


def empty_alarms() -> pd.DataFrame:
    """An alarm table with no rows and the documented columns."""
    times = {c: pd.Series([], dtype="datetime64[ns]") for c in ("issued", "start", "end")}
    nums = {c: pd.Series([], dtype=float) for c in ("lat", "lon", "radius_km", "score")}
    return pd.DataFrame({**times, **nums})[list(ALARM_COLUMNS)]


def check_alarms(alarms: pd.DataFrame) -> pd.DataFrame:
    """Validate an alarm table; return it with ``issued`` filled from ``start`` if absent.

    Raises
    ------
    ForecastError
        Naming the missing column or the first offending row.
    """
    df = alarms.copy()
    if "issued" not in df.columns and "start" in df.columns:
        df.insert(0, "issued", df["start"])
    missing = [c for c in ALARM_COLUMNS if c not in df.columns]
    if missing:
        raise ForecastError(f"alarm table lacks column(s) {missing}; "
                            f"expected {list(ALARM_COLUMNS)}")
    for col in ("issued", "start", "end"):
        if not pd.api.types.is_datetime64_any_dtype(df[col]):
            raise ForecastError(f"alarm column {col!r} must be datetime64 (naive UTC), "
                                f"got {df[col].dtype}")
        if getattr(df[col].dt, "tz", None) is not None:
            raise ForecastError(f"alarm column {col!r} must be naive UTC, got {df[col].dt.tz}")
    checks = [
        (df["end"] <= df["start"], "end is not after start"),
        (df["issued"] > df["start"], "issued after start (an alarm cannot act before it exists)"),
        (~df["lat"].between(-90, 90), "lat outside -90..90"),
        (~(df["radius_km"] > 0), "radius_km not positive"),
        (df[["issued", "start", "end", "lat", "lon", "score"]].isna().any(axis=1), "missing value"),
    ]
    if "gain" in df.columns:
        checks.append((~(df["gain"].fillna(0) >= 0), "negative gain"))
    for bad, what in checks:
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastError(f"alarm table row {row}: {what}")
    return df


def alarm_grid(alarms: pd.DataFrame, grid: Grid, start: pd.Timestamp, end: pd.Timestamp,
               *, default_gain: float = 1.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score and gain of the alarms active in ``[start, end)`` on each grid cell.

    A cell is inside an alarm when its centre lies within ``radius_km`` of the
    alarm centre, or when it holds the alarm centre (so that an alarm smaller
    than a cell is not lost); an alarm counts if it overlaps the interval at all.

    Returns
    -------
    score, gain : numpy.ndarray
        Shape ``(n_lat, n_lon)``: the largest score (−inf where no alarm) and the
        largest gain (1 where no alarm).
    """
    df = check_alarms(alarms)
    active = df[(df["start"] < end) & (df["end"] > start)]
    n_lat, n_lon, _ = grid.shape
    score = np.full((n_lat, n_lon), -np.inf)
    gain = np.full((n_lat, n_lon), np.nan)
    gains = (active["gain"].fillna(default_gain) if "gain" in active.columns
             else pd.Series(default_gain, index=active.index))
    for inside, s, g in zip(alarm_footprints(active, grid), active["score"], gains,
                            strict=True):
        score = np.where(inside, np.maximum(score, s), score)
        gain = np.where(inside, np.fmax(gain, g), gain)
    return score, np.nan_to_num(gain, nan=1.0)


def alarm_footprints(alarms: pd.DataFrame, grid: Grid) -> NDArray[np.bool_]:
    """Which cells each alarm covers, shape ``(n_alarms, n_lat, n_lon)``.

    A cell is covered when its centre lies within ``radius_km`` of the alarm
    centre, or when it holds the alarm centre (so that an alarm smaller than a
    cell is not lost).
    """
    lat, lon = alarms["lat"].to_numpy(float), alarms["lon"].to_numpy(float)
    radius = alarms["radius_km"].to_numpy(float)
    out = np.zeros((len(alarms), grid.lat.size, grid.lon.size), dtype=bool)
    for k in range(len(alarms)):
        # A cell centre within the radius is within radius/R radians of latitude.
        rows = np.flatnonzero(np.abs(grid.lat - lat[k])
                              <= np.degrees(radius[k] / EARTH_RADIUS_KM) + 1e-9)
        out[k, rows] = great_circle_km(lat[k], lon[k], grid.lat[rows, None],
                                       grid.lon[None, :]) <= radius[k]
    ci, cj = grid.cell_of(lat, lon)
    inside = ci >= 0  # an alarm smaller than a cell still covers the cell it sits in
    out[np.flatnonzero(inside), ci[inside], cj[inside]] = True
    return out


def daily_alarm_scores(alarms: pd.DataFrame, grid: Grid, issue_times: ArrayLike,
                       horizon_days: float) -> NDArray[np.float64]:
    """The ``alarm_score`` of a run of forecasts, shape ``(n_issues, n_lat, n_lon)``.

    For the forecast issued at t, the largest score of the alarms issued before t
    and active at some time in ``[t, t + horizon_days)``, on each cell they cover
    (−inf where none): what :func:`ionoquake.forecast.gridded.build_forecast` puts
    in each forecast of :func:`ionoquake.forecast.run.run_daily`, for any alarm
    table, without the seismicity model.
    """
    issue = np.asarray(issue_times, dtype="datetime64[ns]")
    n_lat, n_lon, _ = grid.shape
    out = np.full((issue.size, n_lat, n_lon), -np.inf)
    if not len(alarms):
        return out
    df = check_alarms(alarms)
    end = issue + np.timedelta64(round(horizon_days * 86400e9), "ns")
    cols = (df[c].to_numpy(dtype="datetime64[ns]") for c in ("issued", "start", "end"))
    for foot, score, issued, on, off in zip(alarm_footprints(df, grid),
                                            df["score"].to_numpy(float), *cols, strict=True):
        days = (issued < issue) & (on < end) & (off > issue)
        if days.any():
            out[days] = np.where(foot, np.maximum(out[days], score), out[days])
    return out
