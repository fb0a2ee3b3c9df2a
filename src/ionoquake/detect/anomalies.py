"""TEC anomalies against the running background, with the geomagnetic state alongside.

For each map cell and epoch, from the background of :mod:`ionoquake.detect.background`:

* ``dtec = TEC - M`` (TECU) and ``dtec_percent = 100 (TEC - M) / M`` (%), with ``M``
  the running median (or mean for the ``"sigma"`` form), as in Liu et al. (2004,
  J. Geophys. Res. 109, A05S06) and Liu et al. (2006, Geophys. Res. Lett. 33, L02103);
* ``positive`` where ``TEC > UB`` and ``negative`` where ``TEC < LB``: strict
  inequalities, so a value on a bound is not an anomaly. Float rounding of the
  bound arithmetic (e.g. 20.1 + 1.5 (20.3 - 20.1) != 20.4 in binary) could flip
  such cases, so a value within ``tolerance_tecu`` (default 0.001 TECU, 1/100 of
  the 0.1 TECU resolution of IONEX files) of a bound counts as on it;
* ``severity``: ``dtec`` in bound units, ``(TEC - M) / (UB - M)`` above the median
  and ``(TEC - M) / (M - LB)`` below it, so ``|severity| > 1`` outside the band;
* ``geomag``: the quiet/disturbed/unknown class of each epoch
  (:mod:`ionoquake.detect.quiet`), carried along so that disturbed epochs are
  marked, never dropped. Without an index table every epoch is ``unknown``.

:func:`anomaly_arrays` (numpy, float32) is the reference for the products. With numba
installed :func:`detect_anomalies` makes the background, bounds and products in one
compiled pass (:func:`ionoquake.detect.background_kernel.anomaly_kernel`), the same bits;
``IONOQUAKE_KERNEL=numpy`` forces the numpy path.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from ionoquake.detect.background import (
    DEFAULT_CONFIG,
    BackgroundConfig,
    batcher_network,
    bounds_dataset,
    compiled_kernel_wanted,
    day_layout,
    quartile_tables,
    running_bounds,
    series_of,
    to_day_cube,
)
from ionoquake.detect.quiet import CLASSES, QuietRules, classify

#: Quiet-time rules by default: Kp <= 3 and Dst >= -30 nT over 24 h (detect/quiet.py).
DEFAULT_RULES = QuietRules()

#: Values within this distance of a bound count as on the bound (TECU); see module docstring.
ON_BOUND_TOLERANCE_TECU = 1e-3
#: Units (None: a flag) and long name of each anomaly product.
PRODUCT_META: dict[str, tuple[str | None, str]] = {
    "dtec": ("TECU", "TEC minus background"),
    "dtec_percent": ("%", "TEC minus background, relative to background"),
    "severity": ("1", "TEC minus background in units of the bound distance"),
    "positive": (None, "TEC above the upper bound"),
    "negative": (None, "TEC below the lower bound")}
GEOMAG_FLAGS = {"flag_values": np.arange(len(CLASSES), dtype=np.int8),
                "flag_meanings": " ".join(CLASSES)}


def anomaly_arrays(tec: npt.NDArray[Any], background: npt.NDArray[Any], lower: npt.NDArray[Any],
                   upper: npt.NDArray[Any], tolerance_tecu: float = ON_BOUND_TOLERANCE_TECU,
                   workers: int | None = None) -> dict[str, npt.NDArray[Any]]:
    """The anomaly products of equal-shape arrays (TECU); NaN where there is no background.

    Returns float32 ``dtec`` (TECU), ``dtec_percent`` (%), ``severity`` (bound units)
    and bool ``positive``, ``negative``; computed in float32 blocks along the first
    axis, in threads.
    """
    arrays = [np.asarray(a, np.float32) for a in (tec, background, lower, upper)]
    out = {name: np.empty(arrays[0].shape, np.float32)
           for name in ("dtec", "dtec_percent", "severity")}
    out.update(positive=np.empty(arrays[0].shape, bool), negative=np.empty(arrays[0].shape, bool))
    rows = max(1, (1 << 16) // max(1, int(np.prod(arrays[0].shape[1:]))))
    blocks = [slice(r, r + rows) for r in range(0, max(arrays[0].shape[0], 1), rows)]

    def block(rows: slice) -> None:
        v, m, lo, hi = (a[rows] for a in arrays)
        with np.errstate(invalid="ignore", divide="ignore"):
            dtec = np.subtract(v, m, out=out["dtec"][rows])
            np.divide(dtec * np.float32(100), m, out=out["dtec_percent"][rows])
            width = np.where(dtec >= 0, hi - m, m - lo)
            severity = np.divide(dtec, width, out=out["severity"][rows])
            severity[(width == 0) & (dtec == 0)] = 0.0  # on a zero-width band: not off it
            np.greater(v, hi + np.float32(tolerance_tecu), out=out["positive"][rows])
            np.less(v, lo - np.float32(tolerance_tecu), out=out["negative"][rows])

    if len(blocks) == 1 or workers == 1:
        for rows_ in blocks:
            block(rows_)
    else:
        with ThreadPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 8)) as pool:
            list(pool.map(block, blocks))
    return out


def geomagnetic_state(times: npt.ArrayLike, indices: pd.DataFrame | None,
                      rules: QuietRules = DEFAULT_RULES) -> xr.DataArray:
    """The class code of each epoch (0 quiet, 1 disturbed, 2 unknown) as an int8 DataArray.

    Without ``indices`` every epoch is unknown and ``attrs["source"]`` says so.
    """
    index = pd.DatetimeIndex(np.asarray(times))
    attrs: dict[str, Any] = {"long_name": "geomagnetic state of the epoch", **GEOMAG_FLAGS}
    if indices is None:
        codes = np.full(len(index), CLASSES.index("unknown"), np.int8)
        attrs["source"] = "no index table given: every epoch unknown"
    else:
        classes = classify(index, indices, rules)
        codes = np.asarray(classes.cat.codes, dtype=np.int8)
        attrs["source"] = (f"Kp/Dst index table; rules {asdict(rules)}; coverage "
                           f"{classes.attrs['coverage']}")
    return xr.DataArray(codes, coords={"time": index}, dims="time", name="geomag", attrs=attrs)


def detect_anomalies(maps: xr.Dataset | xr.DataArray, config: BackgroundConfig = DEFAULT_CONFIG,
                     *, indices: pd.DataFrame | None = None, rules: QuietRules = DEFAULT_RULES,
                     tolerance_tecu: float = ON_BOUND_TOLERANCE_TECU,
                     workers: int | None = None) -> xr.Dataset:
    """TEC anomalies of every cell and epoch against the running background.

    Parameters
    ----------
    maps
        TEC maps (TECU), ``(time, lat, lon)`` or a point series ``(time,)``; for a
        Dataset its ``tec`` variable.
    config
        The background (window, bound form, k, minimum days, quantile method).
    indices
        The hourly index table (:func:`ionoquake.sources.indices.read` or the
        archive) for the geomagnetic state; None marks every epoch unknown.
    rules
        Quiet-time thresholds (default Kp <= 3 and Dst >= -30 nT over 24 h).
    tolerance_tecu
        Distance to a bound within which a value counts as on it (TECU).
    workers
        Threads for the background.

    Returns
    -------
    xarray.Dataset
        ``tec``, the background variables (``background``, ``lower``, ``upper``,
        ``lq``/``uq`` or ``sigma``, ``n_ref``), ``dtec`` (TECU), ``dtec_percent``
        (%), ``severity`` (bound units), ``positive``, ``negative`` (bool) and
        ``geomag`` (int8 per epoch: 0 quiet, 1 disturbed, 2 unknown). ``attrs``
        record the background configuration, the tolerance and the method.
    """
    da = maps["tec"] if isinstance(maps, xr.Dataset) else maps
    da = da.transpose("time", ...)
    if compiled_kernel_wanted():
        ds, counts = _fused_anomalies(da, config, tolerance_tecu, workers)
    else:
        bg = running_bounds(da, config, workers=workers)
        products = anomaly_arrays(da.values, bg["background"].values, bg["lower"].values,
                                  bg["upper"].values, tolerance_tecu, workers)
        ds = bg.copy()
        ds["tec"] = da.astype(np.float32)
        for name, value in products.items():
            ds[name] = (da.dims, value, _product_attrs(name))
        counts = {"n_positive": int(products["positive"].sum()),
                  "n_negative": int(products["negative"].sum()),
                  "n_without_background": int(np.isnan(products["dtec"]).sum())}
    ds["geomag"] = geomagnetic_state(da["time"].values, indices, rules)
    attrs: dict[str, Any] = dict(maps.attrs)
    attrs.update(ds.attrs)  # the background configuration
    attrs.update(
        anomaly_method="Liu et al. (2004) running background; strict inequalities",
        anomaly_tolerance_tecu=tolerance_tecu, **counts)
    ds.attrs = {k: v for k, v in attrs.items() if k != "gaps" or v}
    return ds


def _product_attrs(name: str) -> dict[str, str]:
    units, long_name = PRODUCT_META[name]
    return {"long_name": long_name, **({"units": units} if units else {})}


def _fused_anomalies(da: xr.DataArray, config: BackgroundConfig, tolerance_tecu: float,
                     workers: int | None) -> tuple[xr.Dataset, dict[str, int]]:
    """The Dataset of :func:`detect_anomalies` (without ``geomag``) from the compiled kernel.

    One pass of :func:`ionoquake.detect.background_kernel.anomaly_kernel` makes the
    background, bounds and products, bit for bit those of the numpy path (which runs
    :func:`~ionoquake.detect.background.running_bounds`, then :func:`anomaly_arrays`).
    """
    # Imported here, not with this module: numba's import costs ~0.2 s (see background.py).
    from ionoquake.detect import background_kernel

    layout = day_layout(da["time"].values)
    cube = to_day_cube(np.asarray(da.values), layout)
    window = config.window_days
    found, counts = background_kernel.anomaly_kernel(
        cube.reshape(cube.shape[0], -1), window, config.form, config.k_value,
        config.min_valid_days, batcher_network(window),
        quartile_tables(window, config.quantile_method), tolerance_tecu, threads=workers)
    found = {name: value.reshape(cube.shape) for name, value in found.items()}
    products = background_kernel.PRODUCTS
    ds = bounds_dataset(da, layout, {k: v for k, v in found.items() if k not in products},
                        config)
    ds["tec"] = xr.DataArray(series_of(found["tec"], layout, da.shape), coords=da.coords,
                             dims=da.dims, name=da.name, attrs=dict(da.attrs))
    for name in products[1:]:
        ds[name] = (da.dims, series_of(found[name], layout, da.shape), _product_attrs(name))
    if not layout.is_complete:  # the kernel counted the cube's empty slots too
        counts = {"n_positive": int(np.count_nonzero(ds["positive"].values)),
                  "n_negative": int(np.count_nonzero(ds["negative"].values)),
                  "n_without_background": int(np.count_nonzero(np.isnan(ds["dtec"].values)))}
    return ds, counts


def flag_counts(anomalies: xr.Dataset) -> pd.DataFrame:
    """Per epoch: cells with a background, positive and negative cells, and geomag class."""
    spatial = [d for d in anomalies["dtec"].dims if d != "time"]
    table = pd.DataFrame({
        "n_cells": anomalies["dtec"].notnull().sum(spatial).values,
        "n_positive": anomalies["positive"].sum(spatial).values,
        "n_negative": anomalies["negative"].sum(spatial).values,
        "geomag": np.asarray(CLASSES)[anomalies["geomag"].values],
    }, index=pd.DatetimeIndex(anomalies["time"].values, name="time"))
    return table
