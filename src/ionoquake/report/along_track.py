"""Figure of an along-track detection: the series, its residual, the k·RMS band, the flags.

It draws what :func:`ionoquake.detect.along_track.along_track_residuals` computed; no
numbers are made here.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["plot_along_track"]


def plot_along_track(result: xr.Dataset, path: str | os.PathLike[str] | None = None) -> Figure:
    """Two panels against latitude: the measured values, and the detrended residual.

    The lower panel shades ±(window RMS) around zero and draws the threshold:
    ±k·(half-orbit RMS) for ``criterion="window"`` (a window whose RMS exceeds it is
    anomalous) or ±k·(window RMS) for ``"point"``; flagged samples are red.

    Parameters
    ----------
    result
        The per-sample Dataset of ``along_track_residuals``.
    path
        Where to save the figure (PNG/PDF by suffix); ``None`` only returns it.
    """
    k = float(result.attrs.get("k", np.nan))
    units = result.attrs.get("units", "")
    variable = result.attrs.get("variable", "value")
    lat = result["lat"].values
    flag = result["flag"].values.astype(bool)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6), constrained_layout=True)
    top.plot(lat, result["value"].values, color="0.2", linewidth=0.8)
    top.plot(lat[flag], result["value"].values[flag], "o", color="tab:red", markersize=3)
    top.set_ylabel(f"{variable} ({units})")
    title = result.attrs.get("source_file") or result.attrs.get("mission", "")
    top.set_title(f"{title}\n{result.attrs.get('method', '')}, k = {k:g}", fontsize=9)
    resid = result["residual"].values
    wrms = result["window_rms"].values
    bottom.fill_between(lat, -wrms, wrms, color="tab:blue", alpha=0.25,
                        label=f"±window RMS ({result.attrs.get('window_deg', '')}°)")
    band = (k * result["track_rms"].values if result.attrs.get("criterion") == "window"
            else k * wrms)
    bottom.plot(lat, band, color="tab:orange", linewidth=1, label="±k·RMS threshold")
    bottom.plot(lat, -band, color="tab:orange", linewidth=1)
    bottom.plot(lat, resid, color="0.2", linewidth=0.7, label="residual")
    bottom.plot(lat[flag], resid[flag], "o", color="tab:red", markersize=3, label="flagged")
    bottom.set_xlabel("geographic latitude (°)")
    bottom.set_ylabel(f"residual ({units})")
    bottom.legend(loc="upper right", fontsize=7)
    if path is not None:
        fig.savefig(Path(path), dpi=120)
    return fig
