"""Figures of the anomaly detection: a point series with its bounds and Kp, ΔTEC maps.

Both draw what :mod:`ionoquake.detect` computed and compute nothing themselves:
:func:`event_series` takes the Dataset of :func:`ionoquake.detect.event.event_analysis`,
:func:`dtec_maps` that of :func:`ionoquake.detect.anomalies.detect_anomalies`. The
coastline is the bundled Natural Earth 110m land outline (:mod:`ionoquake.report.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ionoquake.report.figures import _coastline, circle_outline

GEOMAG_COLOURS = {1: "#f4a582", 2: "#e0e0e0"}  # disturbed, unknown (quiet left white)


def _shade_geomag(ax: plt.Axes, times: np.ndarray, codes: np.ndarray) -> None:
    step = np.median(np.diff(times)) if len(times) > 1 else np.timedelta64(1, "h")
    for code, colour in GEOMAG_COLOURS.items():
        for t in times[codes == code]:
            ax.axvspan(t - step / 2, t + step / 2, color=colour, alpha=0.5, linewidth=0)


def _point_panel(ax: plt.Axes, ds: xr.Dataset, where: str, label: str) -> None:
    t = ds["time"].values
    ax.fill_between(t, ds[f"lower_{where}"], ds[f"upper_{where}"], color="tab:blue", alpha=0.2,
                    step="mid", label="bounds")
    ax.plot(t, ds[f"background_{where}"], color="tab:blue", linewidth=1, label="background")
    ax.plot(t, ds[f"tec_{where}"], color="black", linewidth=0.8, label="TEC")
    for name, colour in (("positive", "red"), ("negative", "purple")):
        flag = ds[f"{name}_{where}"].values.astype(bool)
        ax.plot(t[flag], ds[f"tec_{where}"].values[flag], "o", color=colour, markersize=3,
                label=f"{name} anomaly")
    _shade_geomag(ax, t, ds["geomag"].values)
    ax.set_ylabel("TEC (TECU)")
    ax.set_title(label, fontsize=9, loc="left")


def event_series(ds: xr.Dataset, *, title: str | None = None) -> Figure:
    """TEC with background and bounds at the epicentre and the conjugate point, the zone's
    anomalous area fraction and Kp, with the event time marked; disturbed epochs shaded."""
    fig, axes = plt.subplots(4, 1, figsize=(11, 9), sharex=True, layout="constrained",
                             height_ratios=[3, 3, 1.6, 1.4])
    a = ds.attrs
    _point_panel(axes[0], ds, "epicentre",
                 f"epicentre {a['event_latitude']:.2f}°N {a['event_longitude']:.2f}°E")
    _point_panel(axes[1], ds, "conjugate",
                 f"conjugate point {a['conjugate_lat']:.2f}°N {a['conjugate_lon']:.2f}°E "
                 f"({a['conjugate_method']})")
    axes[0].legend(loc="upper left", fontsize=7, ncol=5)
    t = ds["time"].values
    axes[2].plot(t, ds["zone_positive_fraction"], color="red", label="above UB")
    axes[2].plot(t, -ds["zone_negative_fraction"], color="purple", label="below LB (negative)")
    axes[2].axhline(0, color="0.5", linewidth=0.5)
    axes[2].set_ylim(-1.05, 1.05)
    axes[2].set_ylabel("zone fraction")
    axes[2].set_title(f"anomalous area fraction within {a['zone_radius_km']:.0f} km",
                      fontsize=9, loc="left")
    axes[2].legend(loc="upper left", fontsize=7, ncol=2)
    kp = ds["kp"].values
    axes[3].bar(t, kp, width=np.timedelta64(100, "m"),
                color=np.where(kp > 3, "tab:red", "tab:green"))
    axes[3].axhline(3, color="0.3", linewidth=0.6, linestyle=":")
    axes[3].set_ylabel("Kp")
    axes[3].set_ylim(0, 9)
    quake = np.datetime64(a["event_time"])
    for ax in axes:
        ax.axvline(quake, color="red", linewidth=1.2, linestyle="--")
    fig.suptitle(title or f"{a.get('event_name', '')} M{a['event_magnitude']} "
                 f"{a['event_time']} UTC — {a.get('product', '')} maps, {a['background_form']} "
                 f"bounds k={a['background_k']}, N={a['background_window_days']} d", fontsize=10)
    return fig


def dtec_maps(anomalies: xr.Dataset, times: Sequence[np.datetime64], *,
              epicentre: tuple[float, float] | None = None, radius_km: float | None = None,
              vmax: float | None = None, title: str | None = None) -> Figure:
    """ΔTEC maps (TECU) at ``times`` with anomalous cells outlined, over the coastline,
    with the epicentre (star) and the preparation-zone circle."""
    n = len(times)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 3.6 * rows), layout="constrained",
                             squeeze=False)
    sel = anomalies.sel(time=list(times))
    limit = vmax or float(np.nanpercentile(np.abs(sel["dtec"].values), 99)) or 1.0
    norm = TwoSlopeNorm(0.0, -limit, limit)
    mesh = None
    for ax, t in zip(axes.ravel(), times, strict=False):
        one = anomalies.sel(time=t)
        lon, lat = anomalies["lon"].values, anomalies["lat"].values
        mesh = ax.pcolormesh(lon, lat, one["dtec"], shading="nearest", cmap="RdBu_r", norm=norm)
        flagged = (one["positive"] | one["negative"]).values.astype(float)
        ax.contour(lon, lat, flagged, levels=[0.5], colors="0.1", linewidths=0.6, linestyles=":")
        _coastline(ax)
        if epicentre is not None:
            ax.plot(epicentre[1], epicentre[0], marker="*", color="gold", markersize=13,
                    markeredgecolor="black")
            if radius_km:
                clat, clon = circle_outline(epicentre[0], epicentre[1], radius_km)
                ax.plot(clon, clat, color="black", linewidth=1.0, linestyle="--")
        code = int(one["geomag"].values)
        state = ("quiet", "disturbed", "unknown")[code]
        ax.set_title(f"{np.datetime_as_string(np.datetime64(t), 'm')} UTC ({state})",
                     fontsize=9)
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label="ΔTEC = TEC − background (TECU)", shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
