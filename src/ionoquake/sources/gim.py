"""Global ionosphere maps as one series: several days in one Dataset, TEC at any point.

* :func:`read_days` reads map files of any registered format (IONEX, CDF) into one series.
* :func:`combine_days` concatenates daily map Datasets (from files or the archive),
  sorts them, drops the duplicated midnight maps (the 24:00 map of day d and the
  00:00 map of day d+1: the later file's map is kept, it is that day's own
  estimate), and reports gaps in ``attrs["gaps"]``.
* :func:`tec_at` interpolates TEC at arbitrary times and places: bilinear in
  latitude and longitude, and between two map epochs the interpolation the IONEX
  specification recommends (Schaer et al. 1998, section 2.4, eq. 3): each map is
  rotated with the Sun's longitude by the time elapsed since its epoch,
  ``E(t, b, l) = (T_i+1 - t)/(T_i+1 - T_i) E_i(b, l') + (t - T_i)/(T_i+1 - T_i) E_i+1(b, l'')``
  with ``l' = l + 360 deg (t - T_i) / 1 day`` and ``l'' = l + 360 deg (t - T_i+1) / 1 day``.
  Because the ionosphere is fixed roughly to the Sun, not to the Earth, this is
  much better than plain linear interpolation between maps 2 h apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import xarray as xr

from ionoquake.errors import IonoquakeError
from ionoquake.sources import registry

DAY_S = 86400.0


class GimError(IonoquakeError):
    """Maps that cannot be combined or interpolated as asked."""


def read_days(paths: Iterable[str | os.PathLike[str]]) -> xr.Dataset:
    """Read several map files into one series (see :func:`combine_days`).

    Each file may be of any format of kind ``maps`` in :mod:`ionoquake.sources.registry`
    (IONEX, CDAWeb GIM CDF, ...), recognised by its content.
    """
    return combine_days([registry.read(p, kind="maps") for p in paths])


def combine_days(days: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate daily map Datasets into one time series.

    The grids must be identical and the maps of one product; duplicated epochs
    keep the map of the later day; gaps longer than the map interval are listed
    in ``attrs["gaps"]`` as ``"start/end"`` ISO strings (the missing span).
    """
    if not days:
        raise GimError("no maps to combine")
    first = days[0]
    for ds in days[1:]:
        for coord in ("lat", "lon"):
            if not np.array_equal(ds[coord].values, first[coord].values):
                raise GimError(f"{ds.attrs.get('source_file', '?')}: {coord} grid differs from "
                               f"{first.attrs.get('source_file', '?')}")
        if ds.attrs.get("product") != first.attrs.get("product"):
            raise GimError(f"{ds.attrs.get('source_file', '?')} is product "
                           f"{ds.attrs.get('product')!r}, {first.attrs.get('source_file', '?')} "
                           f"is {first.attrs.get('product')!r}: combine one product at a time")
    starts = np.array([ds["time"].values[0] for ds in days])
    ordered = [days[i] for i in np.argsort(starts, kind="stable")]
    combined = xr.concat(ordered, dim="time", data_vars="all", coords="minimal",
                         compat="override", join="override", combine_attrs="override")
    times = combined["time"].values
    # Keep the last of equal epochs: after the stable sort the later day's map comes last.
    order = np.argsort(times, kind="stable")
    times_sorted = times[order]
    keep = np.append(times_sorted[1:] != times_sorted[:-1], True)
    combined = combined.isel(time=order[keep])
    attrs = dict(first.attrs)
    attrs["source_file"] = " ".join(str(ds.attrs.get("source_file", "")) for ds in ordered)
    attrs["gaps"] = find_gaps(combined["time"].values, attrs.get("interval_s"))
    attrs["duplicate_epochs_dropped"] = int((~keep).sum())
    combined.attrs = attrs
    return combined


def find_gaps(times: npt.NDArray[np.datetime64], interval_s: float | None = None) -> list[str]:
    """Spans with missing maps, as ``"first missing/last missing"`` ISO strings."""
    if len(times) < 2:
        return []
    step = np.diff(times).astype("timedelta64[s]").astype(np.int64)
    nominal = float(interval_s) if interval_s else float(np.median(step))
    gaps = []
    for i in np.flatnonzero(step > 1.5 * nominal):
        start = times[i] + np.timedelta64(int(nominal), "s")
        end = times[i + 1] - np.timedelta64(int(nominal), "s")
        gaps.append(f"{np.datetime_as_string(start, 's')}/{np.datetime_as_string(end, 's')}")
    return gaps


def tec_at(
    ds: xr.Dataset,
    times: npt.ArrayLike,
    lats: npt.ArrayLike,
    lons: npt.ArrayLike,
    *,
    variable: str = "tec",
    rotate: bool = True,
) -> npt.NDArray[np.float64]:
    """TEC (TECU) at the given times (UTC), geocentric latitudes and longitudes (degrees).

    Parameters
    ----------
    ds
        Maps with dims ``time``, ``lat``, ``lon`` (as returned by the readers).
    times, lats, lons
        Broadcastable arrays; ``times`` anything ``numpy.datetime64`` accepts.
    variable
        ``"tec"`` (default) or ``"rms"``.
    rotate
        Rotate the maps with the Sun between epochs (the IONEX recommendation);
        ``False`` interpolates linearly in time at fixed longitude.

    Returns
    -------
    numpy.ndarray
        NaN outside the maps' time span or latitude range.
    """
    t, la, lo = np.broadcast_arrays(np.asarray(times, dtype="datetime64[ns]"),
                                    np.asarray(lats, dtype=np.float64),
                                    np.asarray(lons, dtype=np.float64))
    shape = t.shape
    t, la, lo = t.ravel(), la.ravel(), lo.ravel()
    if np.any(np.abs(la) > 90):
        raise GimError("latitudes must be within -90..90 degrees")
    grid = ds[variable].transpose("time", "lat", "lon").values.astype(np.float64)
    map_t = ds["time"].values.astype("datetime64[ns]")
    secs = (t - map_t[0]) / np.timedelta64(1, "s")
    map_s = (map_t - map_t[0]) / np.timedelta64(1, "s")
    i = np.clip(np.searchsorted(map_s, secs, side="right") - 1, 0, max(len(map_s) - 2, 0))
    j = np.minimum(i + 1, len(map_s) - 1)
    inside = (secs >= map_s[0]) & (secs <= map_s[-1])
    span = np.where(j > i, map_s[j] - map_s[i], 1.0)
    w = np.where(j > i, (secs - map_s[i]) / span, 0.0)
    if rotate:
        lon_i = lo + 360.0 * (secs - map_s[i]) / DAY_S
        lon_j = lo + 360.0 * (secs - map_s[j]) / DAY_S
    else:
        lon_i = lon_j = lo
    lat_axis = ds["lat"].values.astype(np.float64)
    lon_axis = ds["lon"].values.astype(np.float64)
    e_i = _bilinear(grid, i, la, lon_i, lat_axis, lon_axis)
    e_j = _bilinear(grid, j, la, lon_j, lat_axis, lon_axis)
    out = (1.0 - w) * e_i + w * e_j
    out[~inside] = np.nan
    return out.reshape(shape)


def _bilinear(grid: np.ndarray, k: np.ndarray, lat: np.ndarray, lon: np.ndarray,
              lat_axis: np.ndarray, lon_axis: np.ndarray) -> np.ndarray:
    """Bilinear interpolation on map ``k`` of each point; longitude periodic if global."""
    global_lon = np.isclose(lon_axis[-1] - lon_axis[0], 360.0)
    if global_lon:
        span = lon_axis[-1] - lon_axis[0]
        lon = (lon - lon_axis[0]) % span + lon_axis[0]
    else:
        lon = (lon + 180.0) % 360.0 - 180.0
    y = np.interp(lat, lat_axis, np.arange(len(lat_axis)), left=np.nan, right=np.nan)
    x = np.interp(lon, lon_axis, np.arange(len(lon_axis)), left=np.nan, right=np.nan)
    bad = np.isnan(y) | np.isnan(x)
    y0 = np.clip(np.floor(np.nan_to_num(y)).astype(np.int64), 0, max(len(lat_axis) - 2, 0))
    x0 = np.clip(np.floor(np.nan_to_num(x)).astype(np.int64), 0, max(len(lon_axis) - 2, 0))
    y1 = np.minimum(y0 + 1, len(lat_axis) - 1)
    x1 = np.minimum(x0 + 1, len(lon_axis) - 1)
    fy = np.nan_to_num(y) - y0
    fx = np.nan_to_num(x) - x0
    v = ((1 - fy) * (1 - fx) * grid[k, y0, x0] + (1 - fy) * fx * grid[k, y0, x1]
         + fy * (1 - fx) * grid[k, y1, x0] + fy * fx * grid[k, y1, x1])
    v[bad] = np.nan
    return v
