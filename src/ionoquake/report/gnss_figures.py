"""Figures of receiver-level TEC around an earthquake (matplotlib; containers in, Figure out).

* :func:`wiggle_figure`: detrended slant TEC per receiver-satellite pair against minutes
  after the origin, each trace drawn at its pierce point's distance from the epicentre;
* :func:`travel_time_figure`: pick time against distance, the fitted apparent speed and
  the acoustic (0.7-1.3 km/s) and Rayleigh (2-4 km/s) bands;
* :func:`ipp_map_figure`: pierce points coloured by detrended TEC at one time;
* :func:`null_figure`: pairs over threshold and largest amplitude at fake origins, with
  the observed values;
* :func:`reference_curve_figure`: the reference-curve method's sensitivity to degree and
  exclusion window, and its family decision.

Nothing is computed here beyond what drawing needs; the numbers come from
:mod:`ionoquake.gnss.disturbances`, ``disturbances_fit``, ``disturbances_null`` and
:mod:`ionoquake.gnss.precursor`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from ionoquake.gnss.disturbances_fit import ACOUSTIC_KM_S, RAYLEIGH_KM_S, TravelTimeFit
from ionoquake.gnss.disturbances_null import DisturbanceNull
from ionoquake.gnss.precursor import PrecursorResult, ReferenceConfig, reference_curve
from ionoquake.quake import Earthquake
from ionoquake.report.figures import land_rings

__all__ = ["ipp_map_figure", "null_figure", "reference_curve_figure", "travel_time_figure",
           "wiggle_figure"]


def _minutes(times: np.ndarray, origin: np.datetime64) -> np.ndarray:
    return (times - pd.Timestamp(origin).to_datetime64()) / np.timedelta64(60, "s")


def wiggle_figure(dstec: xr.DataArray, picks: pd.DataFrame, quake: Earthquake, *,
                  km_per_threshold: float = 25.0, max_distance_km: float = 1400.0,
                  span_min: tuple[float, float] = (-10.0, 50.0)) -> Figure:
    """Detrended STEC traces of the picked pairs, offset by distance (ordered by distance).

    Each trace is drawn in units of its own detection threshold (``snr_threshold`` x its
    pre-origin noise): an excursion of ``km_per_threshold`` km reaches the threshold;
    traces are clipped at 3 thresholds. Missing samples are bridged.
    """
    fig = Figure(figsize=(8, 9))
    ax = fig.add_subplot()
    minutes = _minutes(dstec["time"].to_numpy(), quake.time)
    threshold = float(picks.attrs.get("snr_threshold", 3.0))
    shown = picks[picks["distance_km"] <= max_distance_km].sort_values("distance_km")
    for _, p in shown.iterrows():
        trace = dstec.sel(receiver=p["receiver"], satellite=p["satellite"]).to_numpy()
        seen = np.isfinite(trace)
        unit = threshold * p["noise_tecu"]
        y = p["distance_km"] + km_per_threshold * np.clip(trace[seen] / unit, -3, 3)
        ax.plot(minutes[seen], y, color="C3" if p["detected"] else "0.55", lw=0.7)
        ax.text(span_min[1] + 0.5, p["distance_km"],
                f"{p['receiver']} {p['satellite']} {p['amplitude_tecu']:.2f}", fontsize=5,
                va="center")
        if np.isfinite(p["onset_min"]):
            ax.plot(p["onset_min"], p["distance_km"], "|", color="k", ms=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(*span_min)
    ax.set_xlabel(f"minutes after origin ({pd.Timestamp(quake.time):%Y-%m-%d %H:%M:%S} UTC)")
    ax.set_ylabel(f"pierce-point distance from epicentre, km (trace: {km_per_threshold:g} km "
                  "= detection threshold)")
    ax.set_title(f"Detrended slant TEC, {quake.name or 'earthquake'}\n"
                 f"red: SNR >= {threshold:g}; tick: onset; label: peak amplitude, TECU",
                 fontsize=9)
    fig.tight_layout()
    return fig


def travel_time_figure(picks: pd.DataFrame, fits: Sequence[TravelTimeFit] = (), *,
                       delay_min: float = 8.0, max_distance_km: float = 1400.0) -> Figure:
    """Peak (dots) and onset (crosses) time against distance, the fits and the speed bands.

    The bands start at ``delay_min`` at zero distance (the acoustic wave's ~8 min rise to
    the F layer); the fitted line uses its own intercept.
    """
    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot()
    d = np.linspace(0, max_distance_km, 50)
    for (low, high), colour, name in ((ACOUSTIC_KM_S, "C0", "acoustic"),
                                      (RAYLEIGH_KM_S, "C2", "Rayleigh")):
        ax.fill_betweenx(d, delay_min + d / high / 60, delay_min + d / low / 60,
                         color=colour, alpha=0.15, label=f"{name} {low}-{high} km/s")
    shown = picks[picks["distance_km"] <= max_distance_km]
    det = shown[shown["detected"]]
    ax.scatter(shown.loc[~shown["detected"], "peak_min"],
               shown.loc[~shown["detected"], "distance_km"], s=10, color="0.6",
               label="peak, below threshold")
    sc = ax.scatter(det["peak_min"], det["distance_km"], c=det["snr"], cmap="viridis", s=25,
                    label="peak, detected")
    ax.scatter(det["onset_min"], det["distance_km"], marker="x", color="k", s=15,
               label="onset")
    fig.colorbar(sc, ax=ax, label="SNR")
    for k, fit in enumerate(fits):
        line = fit.t0_min + d / fit.velocity_km_s / 60
        low, high = fit.velocity_ci95_km_s
        ax.plot(line, d, f"C{3 + k}", label=f"fit ({fit.pick_kind}, {fit.n_picks} picks): "
                f"{fit.velocity_km_s:.2f} km/s [{low:.2f}, {high:.2f}]")
    notes = [w for fit in fits for w in fit.warnings]
    if notes:
        ax.text(0.01, 0.99, "\n".join(dict.fromkeys(notes)), transform=ax.transAxes,
                fontsize=5, va="top", color="C3")
    ax.set_xlim(0, 35)
    ax.set_ylim(0, max_distance_km)
    ax.set_xlabel("minutes after origin")
    ax.set_ylabel("pierce-point distance from epicentre, km")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def ipp_map_figure(ds: xr.Dataset, dstec: xr.DataArray, quake: Earthquake,
                   time: np.datetime64, *, trail_min: float = 10.0,
                   limit_tecu: float = 0.2) -> Figure:
    """Pierce points at ``time`` coloured by detrended TEC, with their last ``trail_min``."""
    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    for ring in land_rings():
        ax.plot(ring[:, 0], ring[:, 1], color="0.3", lw=0.6)
    t = pd.Timestamp(time).to_datetime64()
    trail = ds.sel(time=slice(t - np.timedelta64(int(trail_min * 60), "s"), t))
    ax.plot(trail["ipp_lon"].to_numpy().reshape(len(trail["time"]), -1),
            trail["ipp_lat"].to_numpy().reshape(len(trail["time"]), -1), color="0.7", lw=0.6)
    now = ds.sel(time=t, method="nearest")
    values = dstec.sel(time=now["time"]).to_numpy().ravel()
    sc = ax.scatter(now["ipp_lon"].to_numpy().ravel(), now["ipp_lat"].to_numpy().ravel(),
                    c=values, cmap="RdBu_r", vmin=-limit_tecu, vmax=limit_tecu, s=30,
                    edgecolor="k", linewidth=0.3)
    fig.colorbar(sc, ax=ax, label="detrended slant TEC, TECU")
    ax.plot(quake.longitude, quake.latitude, "*", color="gold", ms=16, mec="k")
    ax.plot(ds["receiver_lon"], ds["receiver_lat"], "^", color="k", ms=6)
    for name, lat, lon in zip(ds["receiver"].values, ds["receiver_lat"].values,
                              ds["receiver_lon"].values, strict=True):
        ax.text(lon + 0.2, lat, str(name), fontsize=7)
    lat_all = ds["ipp_lat"].to_numpy()
    lon_all = ds["ipp_lon"].to_numpy()
    ax.set_xlim(np.nanmin(lon_all) - 1, np.nanmax(lon_all) + 1)
    ax.set_ylim(np.nanmin(lat_all) - 1, np.nanmax(lat_all) + 1)
    ax.set_aspect(1 / np.cos(np.radians(quake.latitude)))
    minutes = float(_minutes(np.array([now["time"].to_numpy()]), quake.time)[0])
    ax.set_title(f"Pierce points ({ds.attrs.get('shell_height_km', '?')} km shell) at "
                 f"{pd.Timestamp(now['time'].values.item()):%H:%M:%S} UTC, {minutes:+.1f} min",
                 fontsize=9)
    ax.set_xlabel("longitude, °E")
    ax.set_ylabel("latitude, °N")
    fig.tight_layout()
    return fig


def null_figure(null: DisturbanceNull) -> Figure:
    """Pairs over threshold and largest amplitude at the fake origins, observed marked."""
    fig = Figure(figsize=(8, 3.5))
    left, right = fig.subplots(1, 2)
    left.hist(null.n_over, bins=np.arange(0, max(max(null.n_over), null.observed_n_over) + 2),
              color="0.6", label=f"{len(null.n_over)} fake origins")
    left.axvline(null.observed_n_over, color="C3", label="at the origin")
    left.set_xlabel(f"pairs with SNR >= {null.snr_threshold:g}")
    left.set_ylabel("fake origins")
    left.yaxis.get_major_locator().set_params(integer=True)
    right.yaxis.get_major_locator().set_params(integer=True)
    left.legend(fontsize=7)
    top = max(max(null.max_amplitude_tecu), null.observed_max_amplitude_tecu) * 1.1
    right.hist(null.max_amplitude_tecu, bins=np.linspace(0, top, 23), color="0.6")
    right.axvline(null.observed_max_amplitude_tecu, color="C3")
    right.set_xlabel("largest amplitude, TECU")
    fig.suptitle(null.note, fontsize=7)
    fig.tight_layout()
    return fig


def reference_curve_figure(vtec: pd.Series, origin: np.datetime64, result: PrecursorResult,
                           family: list[ReferenceConfig],
                           shown: tuple[int, ...] = (0, -1)) -> Figure:
    """Left: VTEC and a few reference curves; right: the score of every configuration."""
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    minutes = _minutes(pd.DatetimeIndex(vtec.index).to_numpy(), origin)
    span = (minutes >= -family[0].fit_before_min - 30) & (minutes <= family[0].fit_after_min + 30)
    left.plot(minutes[span], vtec.to_numpy()[span], color="k", lw=0.8, label="VTEC")
    for k in shown:
        config = family[k]
        curve = reference_curve(vtec, origin, config).to_numpy()
        left.plot(minutes[span], curve[span], lw=1.2, label=config.label())
    left.axvspan(-family[0].precursor_min, 0, color="C1", alpha=0.15, label="scored window")
    left.axvline(0, color="k", lw=0.6)
    left.set_xlabel("minutes after origin")
    left.set_ylabel("VTEC, TECU")
    left.legend(fontsize=7)
    degrees = sorted({c.degree for c in family})
    columns = sorted({(c.exclude_before_min, c.exclude_after_min) for c in family})
    grid = np.full((len(degrees), len(columns)), np.nan)
    for c, score in zip(family, result.scores, strict=True):
        grid[degrees.index(c.degree), columns.index((c.exclude_before_min,
                                                     c.exclude_after_min))] = score
    limit = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
    im = right.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    right.set_yticks(range(len(degrees)), [str(d) for d in degrees])
    fit_after = family[0].fit_after_min
    right.set_xticks(range(len(columns)), [f"-{b:g}/+{a:g}" if a < fit_after else
                                           f"-{b:g}, pre only" for b, a in columns],
                     rotation=60, fontsize=7)
    right.set_ylabel("polynomial degree")
    right.set_xlabel("excluded window, min")
    for (i, j), score in np.ndenumerate(grid):
        if np.isfinite(score):
            right.text(j, i, f"{score:.1f}", ha="center", va="center", fontsize=6,
                       color="k" if abs(score) < 0.6 * limit else "w")
    fig.colorbar(im, ax=right, label="enhancement score (residual RMS units)")
    verdict = "ALARM" if result.alarm else "no alarm"
    right.set_title(f"{result.n_single_alarms}/{result.n_configurations} single fits >= "
                    f"{result.single_threshold:g}; family: {verdict} (p = {result.p_family:.2f}"
                    f", pre-only p = {result.p_pre_origin_only:.2f})",
                    fontsize=8)
    fig.tight_layout()
    return fig
