"""Running TEC backgrounds per grid cell and epoch of day, with no look-ahead.

The background of the map epoch ``t`` of UT day ``d`` is built from the values of
the same cell at the same UT time of day on the ``N`` preceding days ``d-N .. d-1``
(Liu et al. 2004, J. Geophys. Res. 109, A05S06: N = 15, the running median ``M``
with the lower and upper quartiles ``LQ``, ``UQ``). Three bound forms are offered
(see ``SCIENCE-NOTES.md``):

* ``"quartile"`` (default, Liu et al. 2004/2006): ``UB = M + k (UQ - M)``,
  ``LB = M - k (M - LQ)``, k = 1.5;
* ``"iqr"`` (symmetric, as in the peer package quakeion 0.1.1):
  ``M +- k (UQ - LQ)``, k = 1.5;
* ``"sigma"``: mean +- k standard deviations (sample standard deviation,
  ``ddof=1``), k = 2.0.

Quartiles use one of the continuous sample-quantile definitions of Hyndman &
Fan (1996, Am. Stat. 50, 361) under numpy's names; the default ``"linear"``
(their type 7, numpy's default) is the one to name when quoting N = 15 results.

The whole ``(time, lat, lon)`` cube is done at once for any cadence: the time
axis is laid out as ``(day, epoch of day)`` (missing maps become NaN), and each
window of ``N`` days is sorted with a Batcher odd-even merge network applied
elementwise to all cells (``np.minimum``/``np.maximum`` on cache-sized chunks,
threads over chunks). Missing values (NaN, or days before the first map) are
left out; a background needs ``min_days`` valid reference days, else it is NaN.
Units: TECU in, TECU out.

That numpy path is the reference; where numba is installed (extra ``fast``) the same
numbers, bit for bit, come from the compiled kernel of
:mod:`ionoquake.detect.background_kernel` (``IONOQUAKE_KERNEL=numpy`` forces numpy).
"""

from __future__ import annotations

import importlib.util
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import xarray as xr

from ionoquake.errors import IonoquakeError

Form = Literal["quartile", "iqr", "sigma"]
FORMS: tuple[str, ...] = ("quartile", "iqr", "sigma")
#: Default band width per form: 1.5 for the quartile forms (Liu et al. 2004), 2 sigma.
DEFAULT_K = {"quartile": 1.5, "iqr": 1.5, "sigma": 2.0}
#: Hyndman & Fan (1996) (alpha, beta) plotting positions under numpy's method names.
QUANTILE_METHODS = {"linear": (1.0, 1.0), "weibull": (0.0, 0.0), "hazen": (0.5, 0.5),
                    "median_unbiased": (1 / 3, 1 / 3), "normal_unbiased": (3 / 8, 3 / 8)}
DAY_S = 86400
# Elements per lane in one sorting chunk: fits the L2 cache with N lanes of float32.
_CHUNK_ELEMENTS = 16384


class BackgroundError(IonoquakeError):
    """A background that cannot be computed as asked (bad window, bad time axis)."""


@dataclass(frozen=True)
class BackgroundConfig:
    """How a background and its bounds are computed; recorded in every output's attrs.

    Parameters
    ----------
    window_days
        N, the number of preceding days (10, 15 and 27 are common; Liu et al. 2004: 15).
    form
        ``"quartile"``, ``"iqr"`` or ``"sigma"`` (see the module docstring).
    k
        Band width; None takes :data:`DEFAULT_K` of the form.
    min_days
        Valid reference days needed for a background; None means all ``window_days``.
    quantile_method
        A key of :data:`QUANTILE_METHODS` (numpy's name of the quantile definition).
    """

    window_days: int = 15
    form: Form = "quartile"
    k: float | None = None
    min_days: int | None = None
    quantile_method: str = "linear"

    def __post_init__(self) -> None:
        if int(self.window_days) < 2:
            raise BackgroundError(f"window_days must be at least 2, not {self.window_days}")
        if self.form not in FORMS:
            raise BackgroundError(f"bound form {self.form!r} is not one of {', '.join(FORMS)}")
        if self.k is not None and not self.k > 0:
            raise BackgroundError(f"k must be positive, not {self.k}")
        if self.min_days is not None and not 1 <= self.min_days <= self.window_days:
            raise BackgroundError(f"min_days {self.min_days} is not within 1..window_days "
                                  f"({self.window_days})")
        if self.form == "sigma" and self.min_valid_days < 2:
            raise BackgroundError("the sigma form needs min_days >= 2 for a standard deviation")
        if self.quantile_method not in QUANTILE_METHODS:
            raise BackgroundError(f"quantile method {self.quantile_method!r} is not one of "
                                  f"{', '.join(QUANTILE_METHODS)}")

    @property
    def k_value(self) -> float:
        """The band width in use (``k`` or the form's default)."""
        return float(DEFAULT_K[self.form] if self.k is None else self.k)

    @property
    def min_valid_days(self) -> int:
        """The number of valid reference days a background needs."""
        return int(self.window_days if self.min_days is None else self.min_days)


    def to_attrs(self) -> dict[str, Any]:
        """The configuration as netCDF-safe attributes (no None values)."""
        attrs = {f"background_{key}": value for key, value in asdict(self).items()
                 if key not in ("k", "min_days")}
        attrs.update(background_k=self.k_value, background_min_days=self.min_valid_days,
                     background_reference_days="d-N..d-1 at the same UT time of day")
        attrs["background_bounds"] = {
            "quartile": "UB = M + k (UQ - M), LB = M - k (M - LQ)",
            "iqr": "UB = M + k (UQ - LQ), LB = M - k (UQ - LQ)",
            "sigma": "UB = mean + k sd, LB = mean - k sd (ddof=1)"}[self.form]
        return attrs


#: The default configuration: Liu et al. (2004), N = 15 days, quartile bounds, k = 1.5.
DEFAULT_CONFIG = BackgroundConfig()


def preceding_days(window_days: int) -> int:
    """UT days of stored maps to read before the first day whose backgrounds are wanted.

    The background of day ``d`` uses the days ``d-N .. d-1`` (N = ``window_days``),
    and one day more is read because the 00:00 map of ``d-N`` may be stored only as
    the 24:00 map of ``d-N-1``'s file (when both are stored,
    :func:`ionoquake.sources.gim.combine_days` keeps the later day's). Maps read from
    ``first - preceding_days(N)`` on give every epoch from ``first`` on the background
    the whole series gives it: N + 1 days.
    """
    return int(window_days) + 1


# --------------------------------------------------------------------- the time layout
@dataclass(frozen=True)
class DayLayout:
    """Where each epoch sits in a ``(day, epoch of day)`` grid.

    ``day[i]``, ``slot[i]`` are the grid indices of epoch ``i``; ``first_day`` the
    UT day of row 0; ``seconds_of_day`` the UT time of day of each slot (s).
    """

    day: npt.NDArray[np.int64]
    slot: npt.NDArray[np.int64]
    first_day: np.datetime64
    seconds_of_day: npt.NDArray[np.int64]

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of days, number of epochs of day)``."""
        return int(self.day.max()) + 1, len(self.seconds_of_day)

    @property
    def is_complete(self) -> bool:
        """True if the epochs fill the grid in order (the cube reshapes as a view)."""
        n_days, n_slots = self.shape
        return len(self.day) == n_days * n_slots and bool(
            np.all(self.day * n_slots + self.slot == np.arange(len(self.day))))


def day_layout(times: npt.ArrayLike) -> DayLayout:
    """The ``(day, epoch of day)`` position of each time (naive UTC, ascending, unique)."""
    t = np.asarray(times, dtype="datetime64[s]").astype(np.int64)
    if t.ndim != 1 or len(t) == 0:
        raise BackgroundError("need a one-dimensional, non-empty time axis")
    if np.any(np.diff(t) <= 0):
        raise BackgroundError("times must be strictly increasing (sort and drop duplicates)")
    day, sod = np.divmod(t, DAY_S)
    slots = np.unique(sod)
    return DayLayout(day - day[0], np.searchsorted(slots, sod), np.datetime64(int(day[0]), "D"),
                     slots)


def to_day_cube(values: npt.NDArray[Any], layout: DayLayout) -> npt.NDArray[np.float32]:
    """``values`` (time, cells) as a float32 ``(day, epoch of day, cells)`` cube, NaN-filled."""
    n_days, n_slots = layout.shape
    flat = values.reshape(len(layout.day), -1)
    if layout.is_complete:
        return flat.astype(np.float32, copy=False).reshape(n_days, n_slots, -1)
    cube = np.full((n_days, n_slots, flat.shape[1]), np.nan, np.float32)
    cube[layout.day, layout.slot] = flat
    return cube


# --------------------------------------------------------------------- numpy kernels
@cache
def batcher_network(n: int) -> tuple[tuple[int, int], ...]:
    """Comparators ``(i, j)``, ``i < j``, of Batcher's odd-even merge sort for ``n`` lanes.

    Knuth, The Art of Computer Programming vol. 3, §5.3.4 (Batcher 1968); the network
    for the next power of two with comparators that touch lanes ``>= n`` removed
    (those lanes would hold +inf, which never moves).
    """
    t = 1 << max(n - 1, 0).bit_length()
    pairs = []
    p = 1
    while p < t:
        k = p
        while k >= 1:
            for j in range(k % p, t - k, 2 * k):
                for i in range(min(k, t - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p) and i + j + k < n:
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return tuple(pairs)


def sort_lanes(lanes: list[npt.NDArray[np.float32]],
               buffers: npt.NDArray[np.float32] | None = None) -> list[npt.NDArray[np.float32]]:
    """Sort elementwise across ``lanes`` (equal-shape float32 arrays, NaN replaced by +inf).

    Returns the lanes in ascending order, in ``buffers`` (``(len(lanes) + 1, *shape)``,
    allocated if None); the input lanes are only read, so they may be views.
    """
    n = len(lanes)
    if buffers is None:
        buffers = np.empty((n + 1, *lanes[0].shape), np.float32)
    out: list[npt.NDArray[np.float32]] = list(buffers[:n])
    spare = buffers[n]
    network = batcher_network(n)
    # The network's first layer compares lanes (0, 1), (2, 3), ...: read the inputs there
    # instead of copying them first.
    first = n // 2
    for i, j in network[:first]:
        np.minimum(lanes[i], lanes[j], out=out[i])
        np.maximum(lanes[i], lanes[j], out=out[j])
    if n % 2:
        out[n - 1][...] = lanes[n - 1]
    for i, j in network[first:]:
        np.minimum(out[i], out[j], out=spare)
        np.maximum(out[i], out[j], out=out[j])
        out[i], spare = spare, out[i]
    return out


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy's quantile interpolation (``numpy.lib._function_base_impl._lerp``), same rounding."""
    if t == 0.0:
        return a
    with np.errstate(invalid="ignore"):  # inf - inf where a column has no valid value
        diff = b - a
        return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def quantile_position(q: float, n: int, method: str = "linear") -> tuple[int, int, float]:
    """Order statistics ``(lo, hi)`` (0-based) and weight of quantile ``q`` of ``n`` sorted values.

    The continuous definitions of Hyndman & Fan (1996) as numpy computes them:
    position ``(n - 1) q`` for ``"linear"``, else ``n q + alpha + q (1 - alpha - beta) - 1``,
    clipped to ``0 .. n-1``.
    """
    alpha, beta = QUANTILE_METHODS[method]
    pos = (n - 1) * q if method == "linear" else n * q + (alpha + q * (1 - alpha - beta)) - 1
    pos = min(max(pos, 0.0), n - 1.0)
    lo = math.floor(pos)
    return lo, min(lo + 1, n - 1), pos - lo


@cache
def quartile_tables(window: int, method: str = "linear"
                    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                               npt.NDArray[np.float64]]:
    """Order statistics ``lo``, ``hi`` and weights of the quartiles per count of valid values.

    Row ``r`` is quantile ``(0.25, 0.5, 0.75)[r]``, column ``n`` (1 .. ``window``)
    :func:`quantile_position` of it among ``n`` sorted values; column 0 is unused.
    The compiled kernel (:mod:`ionoquake.detect.background_kernel`) reads these.
    """
    lo = np.zeros((3, window + 1), np.int64)
    hi = np.zeros((3, window + 1), np.int64)
    weight = np.zeros((3, window + 1))
    for row, q in enumerate((0.25, 0.5, 0.75)):
        for n in range(1, window + 1):
            lo[row, n], hi[row, n], weight[row, n] = quantile_position(q, n, method)
    return lo, hi, weight


def quantiles_of_sorted(lanes: list[npt.NDArray[np.float32]], n_valid: npt.NDArray[np.integer],
                        qs: tuple[float, ...], method: str = "linear",
                        min_valid: int = 1) -> list[npt.NDArray[np.float64]]:
    """Quantiles (float64) across sorted ``lanes`` whose first ``n_valid`` entries are valid.

    Elements with fewer than ``min_valid`` valid values are NaN. Matches
    ``numpy.nanquantile(..., method=method)`` element by element: the elements are
    grouped by their count of valid values, for which the positions are constants.
    """
    out = [np.full(n_valid.shape, np.nan) for _ in qs]
    counts = np.flatnonzero(np.bincount(n_valid.ravel(), minlength=len(lanes) + 1))
    counts = counts[counts >= max(min_valid, 1)]
    whole = len(counts) == 1 and bool(np.all(n_valid == counts[0]))
    flat_valid = n_valid.ravel()
    for n in counts:
        # Only the elements with this count are computed (gathered by index), so a window
        # that fills up over the first days costs no more than one full pass.
        at = None if whole else np.flatnonzero(flat_valid == n)
        for result, q in zip(out, qs, strict=True):
            lo, hi, weight = quantile_position(q, int(n), method)
            if at is None:
                result[...] = _lerp(lanes[lo].astype(np.float64),
                                    lanes[hi].astype(np.float64), weight)
            else:
                low = lanes[lo].reshape(-1)[at].astype(np.float64)
                high = lanes[hi].reshape(-1)[at].astype(np.float64)
                result.reshape(-1)[at] = _lerp(low, high, weight)
    return out


def _mean_sd(lanes: list[npt.NDArray[np.float32]], n_valid: npt.NDArray[np.integer],
             min_valid: int) -> tuple[np.ndarray, np.ndarray]:
    total = np.zeros(n_valid.shape)
    for lane in lanes:
        total += np.where(np.isfinite(lane), lane, 0.0)
    mean = total / np.maximum(n_valid, 1)
    squares = np.zeros(n_valid.shape)
    for lane in lanes:
        dev = np.where(np.isfinite(lane), lane - mean, 0.0)
        squares += dev * dev
    sd = np.sqrt(squares / np.maximum(n_valid - 1, 1))
    few = n_valid < min_valid
    mean[few] = np.nan
    sd[few] = np.nan
    return mean, sd


def bounds_from_statistics(stats: dict[str, np.ndarray], config: BackgroundConfig
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound (TECU) of the configured form from the reference statistics."""
    k = config.k_value
    m = stats["background"]
    if config.form == "quartile":
        return m - k * (m - stats["lq"]), m + k * (stats["uq"] - m)
    if config.form == "iqr":
        half = k * (stats["uq"] - stats["lq"])
        return m - half, m + half
    return m - k * stats["sigma"], m + k * stats["sigma"]


def _stats_chunk(padded: npt.NDArray[np.float32], n_valid_all: npt.NDArray[np.integer],
                 config: BackgroundConfig, cols: slice, out: dict[str, np.ndarray]) -> None:
    n_days = n_valid_all.shape[0]
    n_valid = np.ascontiguousarray(n_valid_all[:, cols])
    # Lane j: the value of day d - N + j for every target day d (views, not copies).
    lanes = [padded[j:j + n_days, cols] for j in range(config.window_days)]
    stats: dict[str, np.ndarray]
    if config.form == "sigma":
        mean, sd = _mean_sd(lanes, n_valid, config.min_valid_days)
        stats = {"background": mean, "sigma": sd}
    else:
        lq, med, uq = quantiles_of_sorted(sort_lanes(lanes), n_valid, (0.25, 0.5, 0.75),
                                          config.quantile_method, config.min_valid_days)
        stats = {"background": med, "lq": lq, "uq": uq}
    with np.errstate(invalid="ignore"):
        stats["lower"], stats["upper"] = bounds_from_statistics(stats, config)
    for name, value in stats.items():
        out[name][:, cols] = value
    out["n_ref"][:, cols] = n_valid


@cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def compiled_kernel_wanted() -> bool:
    """True if :func:`running_statistics` uses the compiled kernel.

    That is, numba is installed (extra ``fast``) and the environment variable
    ``IONOQUAKE_KERNEL`` is not ``numpy`` (which forces the numpy path, the reference).
    """
    return os.environ.get("IONOQUAKE_KERNEL", "").strip().lower() != "numpy" and \
        _numba_installed()


def running_statistics(cube: npt.NDArray[np.float32], config: BackgroundConfig,
                       workers: int | None = None) -> dict[str, npt.NDArray[Any]]:
    """Reference statistics and bounds of every day of a ``(day, ...)`` cube.

    Day ``d`` uses days ``d-N .. d-1`` only. Returns float32 arrays shaped like
    ``cube`` (computed in float64, stored rounded): ``background`` (median or
    mean), ``lq``/``uq`` (quartile forms) or ``sigma``, ``lower``, ``upper``, and
    ``n_ref`` (int16), the number of valid reference days.

    With numba installed this runs the compiled kernel of
    :mod:`ionoquake.detect.background_kernel` (identical results, 3-4x faster);
    ``IONOQUAKE_KERNEL=numpy`` forces the numpy path below, the reference.
    """
    n_days = cube.shape[0]
    flat = cube.reshape(n_days, -1)
    window = config.window_days
    if compiled_kernel_wanted():
        # Imported here, not with this module: numba's import costs ~0.2 s that commands
        # which never compute a background should not pay.
        from ionoquake.detect import background_kernel

        found = background_kernel.statistics_kernel(
            flat, window, config.form, config.k_value, config.min_valid_days,
            batcher_network(window), quartile_tables(window, config.quantile_method),
            threads=workers)
        return {name: value.reshape(cube.shape) for name, value in found.items()}
    return _running_statistics_numpy(flat, config, workers, cube.shape)


def _running_statistics_numpy(flat: npt.NDArray[np.float32], config: BackgroundConfig,
                              workers: int | None, shape: tuple[int, ...]
                              ) -> dict[str, npt.NDArray[Any]]:
    """The numpy path of :func:`running_statistics` (the reference of the compiled kernel)."""
    n_days = flat.shape[0]
    window = config.window_days
    padded = np.full((n_days + window, flat.shape[1]), np.inf, np.float32)
    np.copyto(padded[window:], flat, where=~np.isnan(flat))
    valid = np.zeros((n_days + window + 1, flat.shape[1]), np.int32)
    np.cumsum(np.isfinite(padded), axis=0, out=valid[1:])
    n_valid = (valid[window:-1] - valid[:n_days]).astype(np.int16)
    names = ["background", "sigma"] if config.form == "sigma" else ["background", "lq", "uq"]
    out: dict[str, np.ndarray] = {name: np.empty(flat.shape, np.float32)
                                  for name in [*names, "lower", "upper"]}
    out["n_ref"] = n_valid
    step = max(1, _CHUNK_ELEMENTS // max(n_days, 1))
    chunks = [slice(c, c + step) for c in range(0, flat.shape[1], step)]
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers == 1 or len(chunks) == 1:
        for cols in chunks:
            _stats_chunk(padded, n_valid, config, cols, out)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda c: _stats_chunk(padded, n_valid, config, c, out), chunks))
    return {name: value.reshape(shape) for name, value in out.items()}


# --------------------------------------------------------------------- xarray wrapper
def running_bounds(tec: xr.DataArray | xr.Dataset, config: BackgroundConfig = DEFAULT_CONFIG,
                   *, workers: int | None = None) -> xr.Dataset:
    """The running background and bounds of every cell and epoch (Liu et al. 2004).

    Parameters
    ----------
    tec
        TEC (TECU) with a ``time`` dimension first or anywhere (a Dataset's ``tec``
        is used); other dims (``lat``, ``lon``, or none for a point series) are kept.
    config
        Window, bound form, k, minimum valid days and quantile method.
    workers
        Threads (default: the number of CPUs, at most 8).

    Returns
    -------
    xarray.Dataset
        ``background`` (median, or mean for ``"sigma"``), ``lower``, ``upper``,
        ``lq``/``uq`` or ``sigma`` (float32, TECU) and ``n_ref`` (valid reference
        days), on the input's coordinates; ``attrs`` record the configuration.
        Epochs without ``min_days`` valid reference days are NaN.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2001-01-01", periods=20, freq="D")
    >>> da = xr.DataArray(np.arange(20.0), coords={"time": t}, dims="time")
    >>> float(running_bounds(da, BackgroundConfig(window_days=4))["background"][4])
    1.5
    """
    da = time_first(tec)
    layout = day_layout(da["time"].values)
    cube = to_day_cube(np.asarray(da.values), layout)
    return bounds_dataset(da, layout, running_statistics(cube, config, workers=workers), config)


def time_first(tec: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """The TEC DataArray (a Dataset's ``tec``) with ``time`` as its first dimension."""
    da = tec["tec"] if isinstance(tec, xr.Dataset) else tec
    if "time" not in da.dims:
        raise BackgroundError("TEC has no 'time' dimension")
    return da.transpose("time", ...)


def series_of(value: npt.NDArray[Any], layout: DayLayout,
              shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """A ``(day, epoch of day, ...)`` array back on the time axis, shaped ``shape``."""
    return (value if layout.is_complete else value[layout.day, layout.slot]).reshape(shape)


def bounds_dataset(da: xr.DataArray, layout: DayLayout, stats: dict[str, npt.NDArray[Any]],
                   config: BackgroundConfig) -> xr.Dataset:
    """The Dataset of :func:`running_bounds` from the statistics of ``da``'s day cube."""
    units = {"units": da.attrs.get("units", "TECU")}
    names = {"background": "running median" if config.form != "sigma" else "running mean",
             "lower": "lower bound", "upper": "upper bound", "lq": "lower quartile",
             "uq": "upper quartile", "sigma": "standard deviation (ddof=1)"}
    data_vars = {}
    for name, value in stats.items():
        attrs = ({"long_name": "valid reference days"} if name == "n_ref"
                 else {**units, "long_name": names[name]})
        data_vars[name] = (da.dims, series_of(value, layout, da.shape), attrs)
    ds = xr.Dataset(data_vars, coords=da.coords)
    ds.attrs.update(config.to_attrs())
    return ds
