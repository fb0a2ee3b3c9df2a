"""Compiled (numba) kernel of the running background: the same numbers as the numpy path.

:func:`ionoquake.detect.background.running_statistics` calls :func:`statistics_kernel`
when numba imports and the environment variable ``IONOQUAKE_KERNEL`` is not
``numpy``; the numpy path of that module stays the reference (the tests compare the
two for equality on the real JPL cube and on generated cubes) and the fallback.

Method, for the quartile forms: the cube is cut into blocks of :data:`BLOCK` columns
(a column is one cell at one epoch of day, its values one per UT day); for each
target day ``d`` the ``N`` values of days ``d-N .. d-1`` of the block are copied into
an L1-resident buffer (NaN as +inf, days before the first as +inf) and sorted across
lanes by the same Batcher odd-even merge network as the numpy path (Knuth, TAOCP
vol. 3, §5.3.4), each comparator a branch-free ``min``/``max`` over the block's
columns, which LLVM turns into SIMD instructions. The quantiles are then read from
the sorted lanes at the order statistics of each column's count of valid days
(:func:`ionoquake.detect.background.quantile_position`), interpolated in float64
exactly as numpy does (``numpy.lib._function_base_impl._lerp``), and the bounds made
in float64 before rounding to float32, operation for operation as the numpy path.
The sigma form sums the window's days in day order, as the numpy path does. Spans of
blocks run in Python threads (the kernel releases the GIL), so that ``workers`` means
the same on both paths; numba's ``prange`` measured no faster on this 2-core machine.
A sliding sorted window (delete the leaving day, insert the entering one: 3N
branch-free operations instead of 59 comparators for N = 15) measured the same speed
and was not kept.

Equality: every value is produced by the same IEEE operations in the same order as
the numpy path, so results are identical bit for bit, with one exception that real
maps never meet: where a window holds both ``-0.0`` and ``0.0`` the sign of a zero
result may differ (they compare equal).

Compilation is cached on disk (``cache=True``, in ``__pycache__`` next to this file,
or ``NUMBA_CACHE_DIR``): the first run on a machine pays it once
(``benchmarks/bench_detect.py`` prints the cost), later processes load the cache.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    import numba
    from numba import njit
except ImportError:  # pragma: no cover - exercised on machines without the "fast" extra
    numba = None  # type: ignore[assignment]

#: Columns per block: N lanes of BLOCK float32 stay in L1 (15 x 512 x 4 B = 30 kB).
BLOCK = 512
#: Form codes of the kernel.
FORM_CODES = {"quartile": 0, "iqr": 1, "sigma": 2}
ENV = "IONOQUAKE_KERNEL"


def available() -> bool:
    """True if the compiled kernel is to be used (numba imports, ``IONOQUAKE_KERNEL`` != numpy)."""
    return numba is not None and os.environ.get(ENV, "").strip().lower() != "numpy"


if numba is not None:

    @njit(cache=True, nogil=True, fastmath=False)
    def _quartile_kernel(flat: Any, first_col: int, last_col: int, window: int, pair_i: Any,
                         pair_j: Any, lo: Any, hi: Any, weight: Any, min_valid: int, form: int,
                         k: float, bg: Any, lq: Any, uq: Any, lower: Any,
                         upper: Any, n_ref: Any) -> None:  # pragma: no cover
        n_days = flat.shape[0]
        n_pairs = len(pair_i)
        inf = np.float32(np.inf)
        need = max(min_valid, 1)
        for c0 in range(first_col, last_col, BLOCK):
            w = min(last_col, c0 + BLOCK) - c0
            # Allocated per block: fresh arrays let LLVM vectorise (measured 2x faster).
            lanes = np.empty((window, BLOCK), np.float32)
            valid = np.zeros(BLOCK, np.int64)
            for d in range(n_days):
                # Valid (finite) values among days d-N .. d-1, kept as a running count.
                if d >= 1:
                    for c in range(w):
                        v = flat[d - 1, c0 + c]
                        valid[c] += 1 if np.isfinite(v) else 0
                if d - window - 1 >= 0:
                    for c in range(w):
                        v = flat[d - window - 1, c0 + c]
                        valid[c] -= 1 if np.isfinite(v) else 0
                for c in range(w):
                    n_ref[d, c0 + c] = valid[c]
                if d < need:  # not enough days yet in any column
                    for c in range(w):
                        bg[d, c0 + c] = np.nan
                        lq[d, c0 + c] = np.nan
                        uq[d, c0 + c] = np.nan
                        lower[d, c0 + c] = np.nan
                        upper[d, c0 + c] = np.nan
                    continue
                for j in range(window):
                    src = d - window + j
                    if src < 0:
                        for c in range(w):
                            lanes[j, c] = inf
                    else:
                        for c in range(w):
                            v = flat[src, c0 + c]
                            lanes[j, c] = inf if v != v else v
                for p in range(n_pairs):
                    i = pair_i[p]
                    j = pair_j[p]
                    for c in range(w):
                        a = lanes[i, c]
                        z = lanes[j, c]
                        small = a if a < z else z
                        large = z if a < z else a
                        lanes[i, c] = small
                        lanes[j, c] = large
                n_min = valid[0]
                n_max = valid[0]
                for c in range(w):
                    n_min = min(n_min, valid[c])
                    n_max = max(n_max, valid[c])
                if n_min == n_max and n_min >= need:
                    # One count in the whole block (the usual case): the same order
                    # statistics in every column, a loop the compiler vectorises.
                    n = n_min
                    lo0, lo1, lo2 = lo[0, n], lo[1, n], lo[2, n]
                    hi0, hi1, hi2 = hi[0, n], hi[1, n], hi[2, n]
                    w0, w1, w2 = weight[0, n], weight[1, n], weight[2, n]
                    for c in range(w):
                        m = _lerp(np.float64(lanes[lo1, c]), np.float64(lanes[hi1, c]), w1)
                        q1 = _lerp(np.float64(lanes[lo0, c]), np.float64(lanes[hi0, c]), w0)
                        q3 = _lerp(np.float64(lanes[lo2, c]), np.float64(lanes[hi2, c]), w2)
                        low, high = _bounds(m, q1, q3, k, form)
                        bg[d, c0 + c] = np.float32(m)
                        lq[d, c0 + c] = np.float32(q1)
                        uq[d, c0 + c] = np.float32(q3)
                        lower[d, c0 + c] = np.float32(low)
                        upper[d, c0 + c] = np.float32(high)
                    continue
                for c in range(w):
                    n = valid[c]
                    if n < need:
                        m = np.nan
                        q1 = np.nan
                        q3 = np.nan
                    else:
                        m = _lerp(np.float64(lanes[lo[1, n], c]), np.float64(lanes[hi[1, n], c]),
                                  weight[1, n])
                        q1 = _lerp(np.float64(lanes[lo[0, n], c]),
                                   np.float64(lanes[hi[0, n], c]), weight[0, n])
                        q3 = _lerp(np.float64(lanes[lo[2, n], c]),
                                   np.float64(lanes[hi[2, n], c]), weight[2, n])
                    low, high = _bounds(m, q1, q3, k, form)
                    bg[d, c0 + c] = np.float32(m)
                    lq[d, c0 + c] = np.float32(q1)
                    uq[d, c0 + c] = np.float32(q3)
                    lower[d, c0 + c] = np.float32(low)
                    upper[d, c0 + c] = np.float32(high)

    @njit(cache=True, inline="always")
    def _bounds(m: float, q1: float, q3: float, k: float,
                form: int) -> tuple[float, float]:  # pragma: no cover
        """Lower and upper bound: quartile form (0, Liu et al. 2004) or IQR form."""
        if form == 0:
            return m - k * (m - q1), m + k * (q3 - m)
        half = k * (q3 - q1)
        return m - half, m + half

    @njit(cache=True, inline="always")
    def _lerp(a: float, b: float, t: float) -> float:  # pragma: no cover
        if t == 0.0:
            return a
        diff = b - a
        if t >= 0.5:
            return b - diff * (1.0 - t)
        return a + diff * t

    @njit(cache=True, nogil=True, fastmath=False)
    def _sigma_kernel(flat: Any, first_col: int, last_col: int, window: int, min_valid: int,
                      k: float, mean_out: Any, sd_out: Any, lower: Any, upper: Any,
                      n_ref: Any) -> None:  # pragma: no cover
        n_days = flat.shape[0]
        for c0 in range(first_col, last_col, BLOCK):
            w = min(last_col, c0 + BLOCK) - c0
            total = np.empty(BLOCK)
            squares = np.empty(BLOCK)
            count = np.empty(BLOCK, np.int64)
            for d in range(n_days):
                for c in range(w):
                    total[c] = 0.0
                    squares[c] = 0.0
                    count[c] = 0
                first = max(d - window, 0)
                for src in range(first, d):
                    for c in range(w):
                        v = flat[src, c0 + c]
                        if np.isfinite(v):
                            total[c] += v
                            count[c] += 1
                for c in range(w):
                    total[c] = total[c] / max(count[c], 1)
                for src in range(first, d):
                    for c in range(w):
                        v = flat[src, c0 + c]
                        if np.isfinite(v):
                            dev = v - total[c]
                            squares[c] += dev * dev
                for c in range(w):
                    n = count[c]
                    n_ref[d, c0 + c] = n
                    if n < min_valid:
                        mean = np.nan
                        sd = np.nan
                    else:
                        mean = total[c]
                        sd = np.sqrt(squares[c] / max(n - 1, 1))
                    mean_out[d, c0 + c] = np.float32(mean)
                    sd_out[d, c0 + c] = np.float32(sd)
                    lower[d, c0 + c] = np.float32(mean - k * sd)
                    upper[d, c0 + c] = np.float32(mean + k * sd)


def statistics_kernel(flat: npt.NDArray[np.float32], window: int, form: str, k: float,
                      min_valid: int, network: tuple[tuple[int, int], ...],
                      tables: tuple[np.ndarray, np.ndarray, np.ndarray],
                      threads: int | None = None) -> dict[str, npt.NDArray[Any]]:
    """The reference statistics of a ``(day, column)`` float32 array, as the numpy path.

    Returns float32 ``background``, ``lq``/``uq`` (quartile forms) or ``sigma``,
    ``lower``, ``upper`` and int16 ``n_ref``, each shaped like ``flat``. ``threads``
    is the number of threads (the kernel releases the GIL; None: the CPU count, at most 8).
    ``network`` is the sorting network's comparators, ``tables`` the order statistics
    ``lo``, ``hi`` and weights of the quartiles 0.25, 0.5, 0.75 (rows) per count of
    valid values (columns 0 .. ``window``), as
    :func:`ionoquake.detect.background.quartile_tables` makes them.
    """
    if numba is None:  # pragma: no cover
        raise RuntimeError("the compiled kernel needs numba (pip install 'ionoquake[fast]')")
    flat = np.ascontiguousarray(flat, dtype=np.float32)
    shape = flat.shape
    names = ["background", "sigma"] if form == "sigma" else ["background", "lq", "uq"]
    out = {name: np.empty(shape, np.float32) for name in [*names, "lower", "upper"]}
    out["n_ref"] = np.empty(shape, np.int16)
    n_cols = shape[1] if len(shape) == 2 else 0
    workers = max(1, min(threads or os.cpu_count() or 1, 8))
    # Spans of whole blocks, a few per thread (uneven NaN patterns even out).
    n_spans = max(1, min(-(-n_cols // BLOCK), 4 * workers))
    edges = [round(i * -(-n_cols // BLOCK) / n_spans) * BLOCK for i in range(n_spans + 1)]
    spans = [(a, min(b, n_cols)) for a, b in itertools.pairwise(edges) if a < b]
    if form == "sigma":
        def run(span: tuple[int, int]) -> None:
            _sigma_kernel(flat, span[0], span[1], window, min_valid, k, out["background"],
                          out["sigma"], out["lower"], out["upper"], out["n_ref"])
    else:
        lo, hi, weight = tables
        pairs = np.array(network, np.int64).reshape(-1, 2)
        pair_i, pair_j = pairs[:, 0].copy(), pairs[:, 1].copy()

        def run(span: tuple[int, int]) -> None:
            _quartile_kernel(flat, span[0], span[1], window, pair_i, pair_j, lo, hi, weight,
                             min_valid, FORM_CODES[form], k, out["background"], out["lq"],
                             out["uq"], out["lower"], out["upper"], out["n_ref"])
    if workers == 1 or len(spans) == 1:
        for span in spans:
            run(span)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, spans))
    return out
