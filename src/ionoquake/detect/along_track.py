"""Along-track anomalies in in-situ satellite data: per-half-orbit detrending and k·RMS.

The method is the one of Marchetti, D., De Santis, A., Campuzano, S. A., Zhu, K.,
Soldani, M., D'Arcangelo, S., Orlando, M., Wang, T., Cianchini, G., Di Mauro, D.,
Ippolito, A., Piscini, A., Perrone, L., Sabbagh, D., Piersanti, M. (2022), "Worldwide
Statistical Correlation of Eight Years of Swarm Satellite Data with M5.5+ Earthquakes:
New Hints about the Preseismic Phenomena from Space", Remote Sensing 14(11), 2649,
doi:10.3390/rs14112649, itself the MASS procedure of De Santis et al. (2017, Sci. Rep.
7, 43485):

1. take one half-orbit (one run of constant latitude direction, see
   :mod:`ionoquake.sources.insitu`), optionally its first differences, and keep
   |magnetic latitude| <= 50° (``max_abs_mag_lat_deg``) to leave out auroral currents;
2. remove a smooth trend: a polynomial of ``degree`` in latitude, or a least-squares
   spline with knots every ``knot_spacing_deg`` (the paper's cubic spline);
3. slide a window of ``window_deg`` = 7° of latitude along the track and compute the
   RMS of the residuals in it;
4. ``criterion="window"`` (the paper's): a sample is anomalous where the window RMS
   exceeds ``k`` times the RMS of the whole half-orbit (k = 2.5-3 in the paper);
   ``criterion="point"``: where |residual| exceeds ``k`` times its window RMS.

Contiguous anomalous samples of one half-orbit form one row of the anomaly table,
whose columns are :data:`ANOMALY_COLUMNS` (documented there, built only by
:func:`anomaly_table`). They carry ``start``/``end``/``lat``/``lon``/``score`` for the
alarm rules of :mod:`ionoquake.forecast`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ionoquake.errors import InputError

__all__ = ["ANOMALY_COLUMNS", "AlongTrackConfig", "along_track_residuals", "anomaly_table",
           "detect_along_track", "detrend", "runs_to_table", "window_rms"]

Float = NDArray[np.float64]

#: Columns of the along-track anomaly table, in order:
#:
#: ``start``, ``end`` : first and last anomalous sample (UTC, datetime64[ns]);
#: ``time``, ``lat``, ``lon`` (deg), ``alt_km``, ``mag_lat`` (deg): at the sample of peak score;
#: ``lt_h``: local mean solar time (UTC + lon/15, hours) at the peak;
#: ``value``: the statistic at the peak (the detrended residual, or the measured value for
#: background anomalies), in ``units``;
#: ``score``: how anomalous, in the method's unit (window RMS / track RMS for
#: ``criterion="window"``; |residual| / window RMS for ``"point"``; σ units for background);
#: ``n_samples``: anomalous samples in the run; ``variable``, ``units``; ``mission``,
#: ``orbit``, ``half_orbit``, ``direction`` (+1 ascending, -1 descending); ``method``.
ANOMALY_COLUMNS = ("start", "end", "time", "lat", "lon", "alt_km", "mag_lat", "lt_h", "value",
                   "score", "n_samples", "variable", "units", "mission", "orbit", "half_orbit",
                   "direction", "method")


@dataclass(frozen=True)
class AlongTrackConfig:
    """Settings of the k·RMS detection (defaults: Marchetti et al. 2022)."""

    window_deg: float = 7.0
    k: float = 2.5
    criterion: Literal["window", "point"] = "window"
    detrend: Literal["polynomial", "spline"] = "polynomial"
    degree: int = 3
    knot_spacing_deg: float = 10.0
    max_abs_mag_lat_deg: float | None = 50.0
    first_differences: bool = False
    min_samples: int = 20


def detrend(x: Float, y: Float, *, method: str = "polynomial", degree: int = 3,
            knot_spacing_deg: float = 10.0) -> Float:
    """``y`` minus its least-squares polynomial (or spline) in ``x``; NaNs stay NaN.

    Examples
    --------
    >>> x = np.linspace(-50, 50, 101)
    >>> bool(np.allclose(detrend(x, 3 + 0.1 * x - 0.002 * x**2, degree=2), 0, atol=1e-9))
    True
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    out = np.full(y.shape, np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() <= degree:
        return out
    if method == "polynomial":
        fit = np.polynomial.Polynomial.fit(x[ok], y[ok], degree)
        out[ok] = y[ok] - fit(x[ok])
        return out
    if method != "spline":
        raise InputError(f"detrend method {method!r}: expected 'polynomial' or 'spline'")
    from scipy.interpolate import make_lsq_spline

    order = np.argsort(x[ok], kind="stable")
    xs, ys = x[ok][order], y[ok][order]
    xs = xs + np.arange(xs.size) * 1e-9 * max(1.0, float(np.ptp(xs)))  # strictly increasing
    inner = np.arange(xs[0], xs[-1], knot_spacing_deg)[1:]
    knots = np.concatenate([[xs[0]] * (degree + 1), inner, [xs[-1]] * (degree + 1)])
    spline = make_lsq_spline(xs, ys, knots, k=degree)
    resid = np.empty_like(ys)
    resid[order] = ys - spline(xs)
    out[ok] = resid
    return out


def window_rms(lat: Float, resid: Float, window_deg: float = 7.0) -> Float:
    """RMS of the finite residuals within ±``window_deg``/2 of each sample's latitude.

    Examples
    --------
    >>> window_rms(np.array([0.0, 1.0, 10.0]), np.array([3.0, 4.0, 1.0]), 7.0).round(3)
    array([3.536, 3.536, 1.   ])
    """
    lat, resid = np.asarray(lat, dtype=np.float64), np.asarray(resid, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(resid)
    order = np.argsort(np.where(ok, lat, np.inf), kind="stable")
    lat_sorted = lat[order][: ok.sum()]
    sq = np.concatenate([[0.0], np.cumsum(resid[order][: ok.sum()] ** 2)])
    lo = np.searchsorted(lat_sorted, lat - window_deg / 2, side="left")
    hi = np.searchsorted(lat_sorted, lat + window_deg / 2, side="right")
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt((sq[hi] - sq[lo]) / count)
    return np.where(np.isfinite(lat) & (count > 0), rms, np.nan)


def _half_orbit_kernel(lat: Float, y: Float, cfg: AlongTrackConfig) -> dict[str, Float]:
    """Residual, window RMS, track RMS and score of one half-orbit."""
    if cfg.first_differences:
        y = np.concatenate([[np.nan], np.diff(y)])
    resid = detrend(lat, y, method=cfg.detrend, degree=cfg.degree,
                    knot_spacing_deg=cfg.knot_spacing_deg)
    wrms = window_rms(lat, resid, cfg.window_deg)
    finite = resid[np.isfinite(resid)]
    track = float(np.sqrt(np.mean(finite**2))) if finite.size else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        score = wrms / track if cfg.criterion == "window" else np.abs(resid) / wrms
    return {"residual": resid, "window_rms": wrms, "track_rms": np.full(y.shape, track),
            "score": score}


def along_track_residuals(track: xr.Dataset, variable: str,
                          config: AlongTrackConfig | None = None) -> xr.Dataset:
    """Per-sample residual, window RMS, score and flag of ``variable`` along ``track``.

    ``track`` is the along-track Dataset of :mod:`ionoquake.sources.insitu`. Samples
    outside the magnetic-latitude cut, and half-orbits with fewer than
    ``config.min_samples`` usable samples, get NaN scores and are never flagged.
    """
    cfg = config or AlongTrackConfig()
    if variable not in track:
        raise KeyError(f"{variable!r} is not in the track (has {', '.join(map(str, track))})")
    values = np.asarray(track[variable].values, dtype=np.float64)
    if values.ndim != 1:
        raise InputError(f"{variable!r} has dims {track[variable].dims}; expected ('time',)")
    lat = track["lat"].values.astype(np.float64)
    keep = np.isfinite(values)
    if cfg.max_abs_mag_lat_deg is not None:
        keep &= np.abs(track["mag_lat"].values) <= cfg.max_abs_mag_lat_deg
    out = {name: np.full(values.shape, np.nan)
           for name in ("residual", "window_rms", "track_rms", "score")}
    labels = track["half_orbit"].values
    for label in np.unique(labels):
        idx = np.flatnonzero((labels == label) & keep)
        if idx.size < cfg.min_samples:
            continue
        for name, arr in _half_orbit_kernel(lat[idx], values[idx], cfg).items():
            out[name][idx] = arr
    units = track[variable].attrs.get("units", "1")
    with np.errstate(invalid="ignore"):
        flag = out["score"] > cfg.k  # strict: a score equal to k is not an anomaly
    ds = xr.Dataset(
        {"value": ("time", values, {"units": units}),
         "residual": ("time", out["residual"], {"units": units,
                                                "long_name": f"detrended {variable}"}),
         "window_rms": ("time", out["window_rms"], {"units": units, "window_deg": cfg.window_deg}),
         "track_rms": ("time", out["track_rms"], {"units": units}),
         "score": ("time", out["score"], {"units": "1", "criterion": cfg.criterion}),
         "flag": ("time", flag)},
        coords={c: track[c] for c in ("time", "lat", "lon", "alt_km")},
    )
    for name in ("mag_lat", "local_mean_time", "orbit", "half_orbit", "direction"):
        ds[name] = track[name]
    ds.attrs = {**{k: v for k, v in asdict(cfg).items() if v is not None},
                "variable": variable, "units": units, "mission": track.attrs.get("mission", ""),
                "method": f"k·RMS {cfg.criterion} (Marchetti et al. 2022, Remote Sens. 14, 2649)",
                "source_file": track.attrs.get("source_file", "")}
    return ds


def anomaly_table(rows: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """The along-track anomaly table with :data:`ANOMALY_COLUMNS`, from row dicts."""
    table = pd.DataFrame(rows or [], columns=list(ANOMALY_COLUMNS))
    for col in ("start", "end", "time"):
        table[col] = pd.to_datetime(table[col])
    for col in ("lat", "lon", "alt_km", "mag_lat", "lt_h", "value", "score"):
        table[col] = table[col].astype(np.float64)
    for col in ("n_samples", "orbit", "half_orbit", "direction"):
        table[col] = table[col].astype(np.int64)
    return table


def runs_to_table(ds: xr.Dataset, method: str) -> pd.DataFrame:
    """One table row per run of consecutive flagged samples within one half-orbit.

    ``ds`` has per-sample ``flag``, ``score``, a statistic in ``value`` (or
    ``residual`` where present) and the track coordinates, as made by
    :func:`along_track_residuals`.
    """
    flag = ds["flag"].values.astype(bool)
    labels = ds["half_orbit"].values
    new_run = np.concatenate([[True], (np.diff(flag.astype(np.int8)) != 0)
                              | (np.diff(labels) != 0)])
    run_id = np.cumsum(new_run)
    stat = ds["residual"] if "residual" in ds else ds["value"]
    score = np.nan_to_num(ds["score"].values, nan=-np.inf)
    rows = []
    for run in np.unique(run_id[flag]):
        idx = np.flatnonzero(run_id == run)
        peak = idx[np.argmax(score[idx])]
        rows.append({
            "start": ds["time"].values[idx[0]], "end": ds["time"].values[idx[-1]],
            "time": ds["time"].values[peak], "lat": ds["lat"].values[peak],
            "lon": ds["lon"].values[peak], "alt_km": ds["alt_km"].values[peak],
            "mag_lat": ds["mag_lat"].values[peak], "lt_h": ds["local_mean_time"].values[peak],
            "value": stat.values[peak], "score": score[peak], "n_samples": idx.size,
            "variable": ds.attrs.get("variable", ""), "units": ds.attrs.get("units", ""),
            "mission": ds.attrs.get("mission", ""), "orbit": ds["orbit"].values[peak],
            "half_orbit": labels[peak], "direction": ds["direction"].values[peak],
            "method": method})
    return anomaly_table(rows)


def detect_along_track(track: xr.Dataset, variable: str,
                       config: AlongTrackConfig | None = None) -> pd.DataFrame:
    """The along-track anomalies of ``variable`` (table with :data:`ANOMALY_COLUMNS`).

    Examples
    --------
    >>> from ionoquake.sources.insitu import make_track
    >>> t = np.datetime64("2020-01-01") + np.arange(600).astype("timedelta64[s]")
    >>> lat = np.linspace(-45, 45, 600)
    >>> y = np.random.default_rng(1).normal(0, 1, 600)
    >>> y[300:310] += 15
    >>> track = make_track(t, lat, np.zeros(600), np.full(600, 500.0),
    ...                    {"ne": ("time", y, {"units": "cm^-3"})}, mission="test",
    ...                    instrument="LP", product="demo", source_file="-",
    ...                    mag_lat_deg=lat)
    >>> table = detect_along_track(track, "ne")
    >>> len(table), bool(-1 < table.lat.iloc[0] < 2)
    (1, True)
    """
    cfg = config or AlongTrackConfig()
    ds = along_track_residuals(track, variable, cfg)
    return runs_to_table(ds, ds.attrs["method"])
