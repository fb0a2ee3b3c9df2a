"""A background of in-situ data per latitude/longitude/local-time bin, and deviations from it.

In the style of Němec, F., Santolík, O., Parrot, M., Berthelier, J. J. (2008),
"Spacecraft observations of electromagnetic perturbations connected with seismic
activity", Geophys. Res. Lett. 35, L05109, and Němec, F., Santolík, O., Parrot, M.
(2009), "Decrease of intensity of ELF/VLF waves observed by the DEMETER spacecraft
above earthquakes: A statistical study", J. Geophys. Res. 114, A04303: the values of many
orbits are pooled per bin of geographic latitude, longitude and local time (they also
binned by frequency, Kp and season; pass pre-selected tracks to do that), the bin's
distribution is summarised by its percentiles, and each new measurement is expressed by
where it falls in that distribution:

* ``percentile``: its percentile in the bin (0-100), interpolated linearly between the
  stored percentiles and clipped to the outermost stored ones;
* ``sigma``: (value - median) / σ_robust with σ_robust = (P84.13 - P15.87)/2, which is
  σ for normally distributed data.

Local time is the local mean solar time (``local_mean_time`` of the track, UTC + lon/15).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.detect.along_track import runs_to_table
from ionoquake.errors import InputError

__all__ = ["PERCENTILES", "background_anomalies", "background_map", "score_against_background"]

#: Stored percentiles; 15.87 and 84.13 give the robust σ, 50 the median.
PERCENTILES = (1.0, 5.0, 10.0, 15.87, 25.0, 50.0, 75.0, 84.13, 90.0, 95.0, 99.0)


def _bin_index(values: np.ndarray, step: float, start: float, n: int) -> np.ndarray:
    return np.clip(np.floor((values - start) / step), 0, n - 1).astype(np.int64)


def _edges(step: float, start: float, stop: float) -> np.ndarray:
    return np.arange(start, stop + step / 2, step)


def background_map(
    tracks: xr.Dataset | Sequence[xr.Dataset],
    variable: str,
    *,
    lat_step_deg: float = 5.0,
    lon_step_deg: float = 10.0,
    lt_step_h: float = 24.0,
    min_count: int = 10,
) -> xr.Dataset:
    """Percentiles of ``variable`` per (local time, lat, lon) bin from many tracks.

    Parameters
    ----------
    tracks
        Along-track Datasets (:mod:`ionoquake.sources.insitu`), e.g. months of orbits.
    variable
        The measured variable, e.g. ``"ne"``.
    lat_step_deg, lon_step_deg, lt_step_h
        Bin sizes in degrees and hours (24 h = one local-time bin).
    min_count
        Bins with fewer samples get NaN percentiles.

    Returns
    -------
    xarray.Dataset
        ``quantile`` (lt, lat, lon, percentile) in the variable's units and ``count``
        (lt, lat, lon); coordinates are bin centres.
    """
    parts = [tracks] if isinstance(tracks, xr.Dataset) else list(tracks)
    if not parts:
        raise InputError("background_map needs at least one track")
    value = np.concatenate([p[variable].values.astype(np.float64) for p in parts])
    lat = np.concatenate([p["lat"].values for p in parts])
    lon = np.concatenate([(p["lon"].values + 180.0) % 360.0 - 180.0 for p in parts])
    lt = np.concatenate([p["local_mean_time"].values for p in parts])
    lat_edges = _edges(lat_step_deg, -90.0, 90.0)
    lon_edges = _edges(lon_step_deg, -180.0, 180.0)
    lt_edges = _edges(lt_step_h, 0.0, 24.0)
    shape = (lt_edges.size - 1, lat_edges.size - 1, lon_edges.size - 1)
    ok = np.isfinite(value) & np.isfinite(lat) & np.isfinite(lon) & np.isfinite(lt)
    flat = np.ravel_multi_index(
        (_bin_index(lt[ok], lt_step_h, 0.0, shape[0]),
         _bin_index(lat[ok], lat_step_deg, -90.0, shape[1]),
         _bin_index(lon[ok], lon_step_deg, -180.0, shape[2])), shape)
    counts = np.bincount(flat, minlength=int(np.prod(shape)))
    quantiles = np.full((int(np.prod(shape)), len(PERCENTILES)), np.nan)
    groups = pd.Series(value[ok]).groupby(flat)
    table = groups.quantile(np.array(PERCENTILES) / 100).unstack()
    full = counts[table.index.to_numpy()] >= min_count
    quantiles[table.index.to_numpy()[full]] = table.to_numpy()[full]
    units = parts[0][variable].attrs.get("units", "1")
    centres = {name: (e[:-1] + e[1:]) / 2
               for name, e in (("lt", lt_edges), ("lat", lat_edges), ("lon", lon_edges))}
    return xr.Dataset(
        {"quantile": (("lt", "lat", "lon", "percentile"),
                      quantiles.reshape(*shape, len(PERCENTILES)), {"units": units}),
         "count": (("lt", "lat", "lon"), counts.reshape(shape), {"units": "1"})},
        coords={"lt": ("lt", centres["lt"], {"units": "h",
                                             "long_name": "local mean solar time bin centre"}),
                "lat": ("lat", centres["lat"], {"units": "degrees_north"}),
                "lon": ("lon", centres["lon"], {"units": "degrees_east"}),
                "percentile": ("percentile", np.array(PERCENTILES), {"units": "%"})},
        attrs={"variable": variable, "lat_step_deg": lat_step_deg, "lon_step_deg": lon_step_deg,
               "lt_step_h": lt_step_h, "min_count": min_count, "n_tracks": len(parts),
               "method": "per-bin percentiles (Němec et al. 2008, 2009)"},
    )


def score_against_background(track: xr.Dataset, background: xr.Dataset, variable: str,
                             *, k: float = 3.0, score: str = "sigma") -> xr.Dataset:
    """Per-sample ``percentile`` and ``sigma`` of ``variable`` against ``background``.

    ``flag`` is |sigma| > ``k`` for ``score="sigma"``, or a percentile outside
    [``k``, 100 - ``k``] for ``score="percentile"`` (then ``k`` is a percent, e.g. 1).
    Samples in bins without a background get NaN and are never flagged.
    """
    a = background.attrs
    n_lt, n_lat, n_lon = (background.sizes[d] for d in ("lt", "lat", "lon"))
    value = track[variable].values.astype(np.float64)
    lon = (track["lon"].values + 180.0) % 360.0 - 180.0
    i = _bin_index(track["local_mean_time"].values, a["lt_step_h"], 0.0, n_lt)
    j = _bin_index(track["lat"].values, a["lat_step_deg"], -90.0, n_lat)
    m = _bin_index(lon, a["lon_step_deg"], -180.0, n_lon)
    q = background["quantile"].values[i, j, m]  # (time, percentile)
    pct = np.asarray(background["percentile"].values)
    median = q[:, list(pct).index(50.0)]
    sigma_robust = (q[:, list(pct).index(84.13)] - q[:, list(pct).index(15.87)]) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = (value - median) / sigma_robust
    percentile = np.full(value.shape, np.nan)
    good = np.all(np.isfinite(q), axis=1) & np.isfinite(value)
    for n in np.flatnonzero(good):
        percentile[n] = np.interp(value[n], q[n], pct)
    if score == "sigma":
        with np.errstate(invalid="ignore"):
            flag, stat = np.abs(sigma) > k, np.abs(sigma)
    elif score == "percentile":
        with np.errstate(invalid="ignore"):
            flag = (percentile < k) | (percentile > 100 - k)
        stat = np.abs(percentile - 50.0)
    else:
        raise InputError(f"score {score!r}: expected 'sigma' or 'percentile'")
    units = track[variable].attrs.get("units", "1")
    ds = xr.Dataset(
        {"value": ("time", value, {"units": units}),
         "median": ("time", median, {"units": units}),
         "percentile": ("time", percentile, {"units": "%"}),
         "sigma": ("time", sigma, {"units": "1"}),
         "score": ("time", stat, {"units": "σ" if score == "sigma" else "percentile points"}),
         "flag": ("time", flag)},
        coords={c: track[c] for c in ("time", "lat", "lon", "alt_km")})
    for name in ("mag_lat", "local_mean_time", "orbit", "half_orbit", "direction"):
        ds[name] = track[name]
    ds.attrs = {"variable": variable, "units": units, "k": k, "score": score,
                "mission": track.attrs.get("mission", ""),
                "method": f"background {score} (Němec et al. 2008, 2009)"}
    return ds


def background_anomalies(track: xr.Dataset, background: xr.Dataset, variable: str,
                         *, k: float = 3.0, score: str = "sigma") -> pd.DataFrame:
    """Runs of samples that deviate from the background (the along-track anomaly table)."""
    ds = score_against_background(track, background, variable, k=k, score=score)
    return runs_to_table(ds, ds.attrs["method"])
