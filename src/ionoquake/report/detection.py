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

from ionoquake.report.figures import (
    caption,
    circle_outline,
    geo_axes,
    lat_text,
    lon_text,
    time_text,
)

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
                 f"epicentre {lat_text(a['event_latitude'])} {lon_text(a['event_longitude'])}")
    _point_panel(axes[1], ds, "conjugate",
                 f"conjugate point {lat_text(a['conjugate_lat'])} {lon_text(a['conjugate_lon'])} "
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
                 f"{time_text(a['event_time'])} — {a.get('product', '')} maps, "
                 f"{a['background_form']} bounds k={a['background_k']}, "
                 f"N={a['background_window_days']} d", fontsize=10)
    caption(fig, "Top two panels: TEC (black) at the epicentre and at its magnetically "
            "conjugate point, with the running-median background (blue line) and the bounds "
            "(blue band); dots mark epochs outside the bounds. Shaded: geomagnetically "
            "disturbed epochs (orange; Kp > 3 by the quiet/disturbed rule) and epochs without "
            "Kp (grey), where anomalies are not attributed to the earthquake. Third panel: "
            "the fraction of the preparation zone's cells above the upper bound (up) and "
            "below the lower bound (down). Bottom: Kp (red above 3). Dashed red line: the "
            "origin time.")
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
    for i, (ax, t) in enumerate(zip(axes.ravel(), times, strict=False)):
        one = anomalies.sel(time=t)
        lon, lat = anomalies["lon"].values, anomalies["lat"].values
        mesh = ax.pcolormesh(lon, lat, one["dtec"], shading="nearest", cmap="RdBu_r", norm=norm)
        flagged = (one["positive"] | one["negative"]).values.astype(float)
        ax.contour(lon, lat, flagged, levels=[0.5], colors="0.1", linewidths=0.6, linestyles=":")
        geo_axes(ax, left=i % cols == 0, bottom=i >= n - cols)
        if epicentre is not None:
            ax.plot(epicentre[1], epicentre[0], marker="*", color="gold", markersize=13,
                    markeredgecolor="black", linestyle="none")
            if radius_km:
                clat, clon = circle_outline(epicentre[0], epicentre[1], radius_km)
                ax.plot(clon, clat, color="black", linewidth=1.0, linestyle="--")
        code = int(one["geomag"].values)
        state = ("geomagnetically quiet", "geomagnetically disturbed", "Kp unknown")[code]
        ax.set_title(f"{time_text(t, 'm')} ({state})", fontsize=9)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label="ΔTEC = TEC − background (TECU)", shrink=0.8,
                     extend="both")
    if title:
        fig.suptitle(title, fontsize=10)
    window = anomalies.attrs.get("background_window_days", "N")
    text = (f"ΔTEC: the map's TEC minus its background, the running median of the same UT "
            f"over the {window} preceding days; colours saturate at ±{limit:.1f} TECU (the 99th "
            f"percentile of |ΔTEC| in these maps). Dotted outlines: cells outside the bounds "
            f"(anomalies).")
    if epicentre is not None:
        text += (f" Star: the epicentre ({lat_text(epicentre[0])} {lon_text(epicentre[1])})"
                 + (f"; dashed circle: its preparation zone, R = 10^(0.43 M) = "
                    f"{radius_km:.0f} km (Dobrovolsky et al. 1979)." if radius_km else "."))
    caption(fig, text)
    return fig
