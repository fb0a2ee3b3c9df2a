"""Compiled (numba) kernel of the running background and anomalies: the numpy path's numbers.

:func:`ionoquake.detect.background.running_statistics` calls :func:`statistics_kernel`,
and :func:`ionoquake.detect.anomalies.detect_anomalies` calls :func:`anomaly_kernel`,
when numba imports and the environment variable ``IONOQUAKE_KERNEL`` is not ``numpy``;
the numpy paths of those modules stay the reference (the tests compare the two for
equality on the real JPL cube and on generated cubes) and the fallback.

Method, for the quartile forms: the cube is cut into blocks of :data:`BLOCK` columns
(a column is one cell at one epoch of day, its values one per UT day). Each block keeps
a ring of the ``N`` days before the target day ``d`` (NaN as +inf, days before the first
as +inf, each value converted once when its day enters); the lanes of day ``d`` are
sorted across by the same Batcher odd-even merge network as the numpy path (Knuth,
TAOCP vol. 3, §5.3.4), whose first layer reads the ring, each comparator a branch-free
``min``/``max`` over the block's columns, which LLVM turns into SIMD instructions. The
quantiles are then read from the sorted lanes at the order statistics of each column's
count of valid days (:func:`ionoquake.detect.background.quantile_position`),
interpolated in float64 exactly as numpy does (``numpy.lib._function_base_impl._lerp``),
and the bounds made in float64 before rounding to float32, operation for operation as
the numpy path. The sigma form sums the window's days in day order, as the numpy path does.

:func:`anomaly_kernel` fuses the anomaly products into the same pass: with the median
and bounds of a column still in registers it makes ``dtec``, ``dtec_percent``,
``severity`` and the ``positive``/``negative`` flags in float32 with the operations of
:func:`ionoquake.detect.anomalies.anomaly_arrays`, and counts the flags, so the cube is
read once and no float64 temporaries or second pass are made (the year of hourly global
maps of ``benchmarks/bench_detect.py``: 1.5 s -> 0.66 s on 2 threads, measured).

What keeps the loops vectorised (measured with the
assembly inspected): per-block buffers are fresh arrays (LLVM
knows they alias nothing; results go to the outputs by one plain row loop each); output
rows are indexed through row views by the loop counter (indices ``c0 + c`` made numba
emit negative-index wraparound, which LLVM turned into scatter stores); ``error_model=
"numpy"`` (no ZeroDivisionError branch in the float32 divisions). Spans of blocks run
in Python threads (the kernel releases the GIL), so that ``workers`` means the same on
both paths; numba's ``prange`` measured no faster on this 2-core machine. A sliding
sorted window (delete the leaving day, insert the entering one: 3N branch-free
operations instead of 59 comparators for N = 15) measured the same speed (session 4)
and was not kept.

Equality: every value is produced by the same IEEE operations in the same order as
the numpy path, so results are identical bit for bit, with one exception that real
maps never meet: where a window holds both ``-0.0`` and ``0.0`` the sign of a zero
result may differ (they compare equal), and so may the products made from it.

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

#: Columns per block: N lanes of BLOCK float32 (15 x 512 x 4 B = 30 kB), and as much again
#: for the ring of the window's days, stay in L1/L2.
BLOCK = 512
#: Form codes of the kernel.
FORM_CODES = {"quartile": 0, "iqr": 1, "sigma": 2}
ENV = "IONOQUAKE_KERNEL"


def available() -> bool:
    """True if the compiled kernel is to be used (numba imports, ``IONOQUAKE_KERNEL`` != numpy)."""
    return numba is not None and os.environ.get(ENV, "").strip().lower() != "numpy"


if numba is not None:

    @njit(cache=True, inline="always", error_model="numpy")
    def _anomaly(v: Any, m: Any, low: Any, high: Any,
                 tol: Any) -> tuple[Any, Any, Any, bool, bool]:  # pragma: no cover
        """The anomaly products of one float32 value, as ``anomalies.anomaly_arrays`` makes them."""
        dtec = v - m
        percent = (dtec * np.float32(100.0)) / m
        width = high - m if dtec >= 0 else m - low
        severity = dtec / width
        if width == 0 and dtec == 0:  # on a zero-width band: not off it
            severity = np.float32(0.0)
        return dtec, percent, severity, v > high + tol, v < low - tol

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
        """numpy's ``_lerp``, both branches computed and one selected (so loops vectorise)."""
        diff = b - a
        upper = b - diff * (1.0 - t)
        lower = a + diff * t
        out = upper if t >= 0.5 else lower
        return a if t == 0.0 else out

    @njit(cache=True, inline="always", error_model="numpy")
    def _column(c: int, m: float, q1: float, q3: float, k: float, form: int, v: Any,
                products: bool, tol: Any, b_bg: Any, b_lq: Any, b_uq: Any, b_low: Any,
                b_high: Any, b_dtec: Any, b_pct: Any, b_sev: Any, b_pos: Any,
                b_neg: Any) -> tuple[int, int, int]:  # pragma: no cover
        """Column ``c``'s statistics (float64, rounded to float32) and products into buffers.

        The buffers are the block's own arrays (fresh allocations, so the compiler knows
        they alias nothing and vectorises the loop). Returns 1/0 for: positive, negative,
        no dtec (NaN); all 0 without ``products``.
        """
        low, high = _bounds(m, q1, q3, k, form)
        m32 = np.float32(m)
        low32 = np.float32(low)
        high32 = np.float32(high)
        b_bg[c] = m32
        b_lq[c] = np.float32(q1)
        b_uq[c] = np.float32(q3)
        b_low[c] = low32
        b_high[c] = high32
        if not products:
            return 0, 0, 0
        return _products_into(c, v, m32, low32, high32, tol, b_dtec, b_pct, b_sev, b_pos, b_neg)

    @njit(cache=True, inline="always", error_model="numpy")
    def _products_into(c: int, v: Any, m: Any, low: Any, high: Any, tol: Any, b_dtec: Any,
                       b_pct: Any, b_sev: Any, b_pos: Any,
                       b_neg: Any) -> tuple[int, int, int]:  # pragma: no cover
        """Column ``c``'s products (float32 ``v``, ``m``, ``low``, ``high``) into buffers.

        Returns 1/0 for: positive, negative, no dtec (NaN).
        """
        found = _anomaly(v, m, low, high, tol)
        b_dtec[c] = found[0]
        b_pct[c] = found[1]
        b_sev[c] = found[2]
        b_pos[c] = found[3]
        b_neg[c] = found[4]
        return (1 if found[3] else 0), (1 if found[4] else 0), (1 if found[0] != found[0] else 0)

    @njit(cache=True, inline="always")
    def _row_out(dest: Any, d: int, c0: int, w: int, buf: Any) -> None:  # pragma: no cover
        """``dest[d, c0:c0 + w] = buf[:w]`` as a loop (one array pair: vectorised).

        Indexing a row view by the loop counter (never negative) spares the compiler the
        wraparound of negative indices, which turned contiguous stores into scatters.
        """
        row = dest[d, c0:c0 + w]
        for c in range(w):
            row[c] = buf[c]

    @njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
    def _quartile_kernel(flat: Any, first_col: int, last_col: int, window: int, pair_i: Any,
                         pair_j: Any, lo: Any, hi: Any, weight: Any, min_valid: int, form: int,
                         k: float, bg: Any, lq: Any, uq: Any, lower: Any, upper: Any,
                         n_ref: Any, products: bool, tol: Any, tec: Any, dtec: Any,
                         percent: Any, severity: Any, positive: Any, negative: Any,
                         counts: Any) -> None:  # pragma: no cover
        n_days = flat.shape[0]
        n_pairs = len(pair_i)
        n_first = window // 2  # the network's first layer: (0, 1), (2, 3), ...
        inf = np.float32(np.inf)
        need = max(min_valid, 1)
        n_pos = 0
        n_neg = 0
        n_nan = 0
        rows = np.empty(window, np.int64)
        for c0 in range(first_col, last_col, BLOCK):
            w = min(last_col, c0 + BLOCK) - c0
            # Allocated per block: fresh arrays let LLVM vectorise (measured 2x faster).
            # ring[s % N]: day s of the block, NaN as +inf, converted once per value.
            ring = np.full((window, BLOCK), inf, np.float32)
            lanes = np.empty((window, BLOCK), np.float32)
            valid = np.zeros(BLOCK, np.int16)  # as n_ref: a plain copy out
            b_bg = np.empty(BLOCK, np.float32)
            b_lq = np.empty(BLOCK, np.float32)
            b_uq = np.empty(BLOCK, np.float32)
            b_low = np.empty(BLOCK, np.float32)
            b_high = np.empty(BLOCK, np.float32)
            b_v = np.empty(BLOCK, np.float32)
            b_dtec = np.empty(BLOCK, np.float32)
            b_pct = np.empty(BLOCK, np.float32)
            b_sev = np.empty(BLOCK, np.float32)
            b_pos = np.empty(BLOCK, np.bool_)
            b_neg = np.empty(BLOCK, np.bool_)
            for d in range(n_days):
                if d >= 1:
                    # Day d-1 enters the window (in the slot of day d-1-N, which leaves it);
                    # valid counts the finite values among days d-N .. d-1.
                    slot = (d - 1) % window
                    entering = flat[d - 1, c0:c0 + w]
                    for c in range(w):
                        v = entering[c]
                        old = ring[slot, c]
                        valid[c] += (1 if np.isfinite(v) else 0) - (1 if np.isfinite(old) else 0)
                        ring[slot, c] = inf if v != v else v
                _row_out(n_ref, d, c0, w, valid)
                if products:
                    today = flat[d, c0:c0 + w]
                    for c in range(w):
                        b_v[c] = today[c]
                    _row_out(tec, d, c0, w, b_v)
                if d < need:  # not enough days yet in any column
                    for c in range(w):
                        flags = _column(c, np.nan, np.nan, np.nan, k, form, b_v[c], products,
                                        tol, b_bg, b_lq, b_uq, b_low, b_high, b_dtec, b_pct,
                                        b_sev, b_pos, b_neg)
                        n_pos += flags[0]
                        n_neg += flags[1]
                        n_nan += flags[2]
                else:
                    for j in range(window):
                        rows[j] = (d + j) % window  # lane j holds day d - N + j
                    # The first layer of the network reads the ring: no separate copy.
                    for p in range(n_first):
                        ra = rows[2 * p]
                        rz = rows[2 * p + 1]
                        for c in range(w):
                            a = ring[ra, c]
                            z = ring[rz, c]
                            lanes[2 * p, c] = a if a < z else z
                            lanes[2 * p + 1, c] = z if a < z else a
                    if window % 2:
                        ra = rows[window - 1]
                        for c in range(w):
                            lanes[window - 1, c] = ring[ra, c]
                    for p in range(n_first, n_pairs):
                        i = pair_i[p]
                        j = pair_j[p]
                        for c in range(w):
                            a = lanes[i, c]
                            z = lanes[j, c]
                            small = a if a < z else z
                            large = z if a < z else a
                            lanes[i, c] = small
                            lanes[j, c] = large
                    n = valid[0]
                    others = 0  # columns whose count differs from column 0's
                    for c in range(w):
                        others += 1 if valid[c] != n else 0
                    if others == 0 and n >= need:
                        # One count in the whole block (the usual case): the same order
                        # statistics in every column, a loop the compiler vectorises.
                        lo0, lo1, lo2 = lo[0, n], lo[1, n], lo[2, n]
                        hi0, hi1, hi2 = hi[0, n], hi[1, n], hi[2, n]
                        w0, w1, w2 = weight[0, n], weight[1, n], weight[2, n]
                        for c in range(w):
                            m = _lerp(np.float64(lanes[lo1, c]), np.float64(lanes[hi1, c]), w1)
                            q1 = _lerp(np.float64(lanes[lo0, c]), np.float64(lanes[hi0, c]), w0)
                            q3 = _lerp(np.float64(lanes[lo2, c]), np.float64(lanes[hi2, c]), w2)
                            flags = _column(c, m, q1, q3, k, form, b_v[c], products, tol, b_bg,
                                            b_lq, b_uq, b_low, b_high, b_dtec, b_pct, b_sev,
                                            b_pos, b_neg)
                            n_pos += flags[0]
                            n_neg += flags[1]
                            n_nan += flags[2]
                    else:
                        for c in range(w):
                            n = valid[c]
                            if n < need:
                                m = np.nan
                                q1 = np.nan
                                q3 = np.nan
                            else:
                                m = _lerp(np.float64(lanes[lo[1, n], c]),
                                          np.float64(lanes[hi[1, n], c]), weight[1, n])
                                q1 = _lerp(np.float64(lanes[lo[0, n], c]),
                                           np.float64(lanes[hi[0, n], c]), weight[0, n])
                                q3 = _lerp(np.float64(lanes[lo[2, n], c]),
                                           np.float64(lanes[hi[2, n], c]), weight[2, n])
                            flags = _column(c, m, q1, q3, k, form, b_v[c], products, tol, b_bg,
                                            b_lq, b_uq, b_low, b_high, b_dtec, b_pct, b_sev,
                                            b_pos, b_neg)
                            n_pos += flags[0]
                            n_neg += flags[1]
                            n_nan += flags[2]
                _row_out(bg, d, c0, w, b_bg)
                _row_out(lq, d, c0, w, b_lq)
                _row_out(uq, d, c0, w, b_uq)
                _row_out(lower, d, c0, w, b_low)
                _row_out(upper, d, c0, w, b_high)
                if products:
                    _row_out(dtec, d, c0, w, b_dtec)
                    _row_out(percent, d, c0, w, b_pct)
                    _row_out(severity, d, c0, w, b_sev)
                    _row_out(positive, d, c0, w, b_pos)
                    _row_out(negative, d, c0, w, b_neg)
        counts[0] += n_pos
        counts[1] += n_neg
        counts[2] += n_nan

    @njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
    def _sigma_kernel(flat: Any, first_col: int, last_col: int, window: int, min_valid: int,
                      k: float, mean_out: Any, sd_out: Any, lower: Any, upper: Any,
                      n_ref: Any, products: bool, tol: Any, tec: Any, dtec: Any,
                      percent: Any, severity: Any, positive: Any, negative: Any,
                      counts: Any) -> None:  # pragma: no cover
        n_days = flat.shape[0]
        n_pos = 0
        n_neg = 0
        n_nan = 0
        for c0 in range(first_col, last_col, BLOCK):
            w = min(last_col, c0 + BLOCK) - c0
            total = np.empty(BLOCK)
            squares = np.empty(BLOCK)
            count = np.empty(BLOCK, np.int64)
            b_dtec = np.empty(BLOCK, np.float32)
            b_pct = np.empty(BLOCK, np.float32)
            b_sev = np.empty(BLOCK, np.float32)
            b_pos = np.empty(BLOCK, np.bool_)
            b_neg = np.empty(BLOCK, np.bool_)
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
                    m32 = np.float32(mean)
                    low32 = np.float32(mean - k * sd)
                    high32 = np.float32(mean + k * sd)
                    mean_out[d, c0 + c] = m32
                    sd_out[d, c0 + c] = np.float32(sd)
                    lower[d, c0 + c] = low32
                    upper[d, c0 + c] = high32
                    if products:
                        v = flat[d, c0 + c]
                        tec[d, c0 + c] = v
                        flags = _products_into(c, v, m32, low32, high32, tol, b_dtec, b_pct,
                                               b_sev, b_pos, b_neg)
                        n_pos += flags[0]
                        n_neg += flags[1]
                        n_nan += flags[2]
                if products:
                    _row_out(dtec, d, c0, w, b_dtec)
                    _row_out(percent, d, c0, w, b_pct)
                    _row_out(severity, d, c0, w, b_sev)
                    _row_out(positive, d, c0, w, b_pos)
                    _row_out(negative, d, c0, w, b_neg)
        counts[0] += n_pos
        counts[1] += n_neg
        counts[2] += n_nan

#: The anomaly products the fused pass adds (as ``anomalies.anomaly_arrays`` names them).
PRODUCTS = ("tec", "dtec", "dtec_percent", "severity", "positive", "negative")


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
    return _run(flat, window, form, k, min_valid, network, tables, threads, None)[0]


def anomaly_kernel(flat: npt.NDArray[np.float32], window: int, form: str, k: float,
                   min_valid: int, network: tuple[tuple[int, int], ...],
                   tables: tuple[np.ndarray, np.ndarray, np.ndarray], tolerance_tecu: float,
                   threads: int | None = None
                   ) -> tuple[dict[str, npt.NDArray[Any]], dict[str, int]]:
    """The statistics of :func:`statistics_kernel` and the anomaly products, in one pass.

    Besides the statistics, returns float32 ``tec`` (a copy of ``flat``), ``dtec``,
    ``dtec_percent``, ``severity`` and bool ``positive``, ``negative``, the same bits as
    :func:`ionoquake.detect.anomalies.anomaly_arrays` makes from the statistics, and the
    counts ``n_positive``, ``n_negative``, ``n_without_background`` (NaN ``dtec``) over
    all of ``flat``. ``tolerance_tecu`` is the on-bound tolerance (rounded to float32).
    """
    return _run(flat, window, form, k, min_valid, network, tables, threads, tolerance_tecu)


def _run(flat: npt.NDArray[np.float32], window: int, form: str, k: float, min_valid: int,
         network: tuple[tuple[int, int], ...], tables: tuple[np.ndarray, np.ndarray, np.ndarray],
         threads: int | None, tolerance_tecu: float | None
         ) -> tuple[dict[str, npt.NDArray[Any]], dict[str, int]]:
    if numba is None:  # pragma: no cover
        raise RuntimeError("the compiled kernel needs numba (pip install 'ionoquake[fast]')")
    flat = np.ascontiguousarray(flat, dtype=np.float32)
    shape = flat.shape
    names = ["background", "sigma"] if form == "sigma" else ["background", "lq", "uq"]
    out = {name: np.empty(shape, np.float32) for name in [*names, "lower", "upper"]}
    out["n_ref"] = np.empty(shape, np.int16)
    products = tolerance_tecu is not None
    # Without products the kernel never touches these: one-element placeholders.
    extra = {name: np.empty(shape if products else (1, 1),
                            bool if name in ("positive", "negative") else np.float32)
             for name in PRODUCTS}
    tol = np.float32(tolerance_tecu or 0.0)
    n_cols = shape[1] if len(shape) == 2 else 0
    workers = max(1, min(threads or os.cpu_count() or 1, 8))
    # Spans of whole blocks, a few per thread (uneven NaN patterns even out).
    n_spans = max(1, min(-(-n_cols // BLOCK), 4 * workers))
    edges = [round(i * -(-n_cols // BLOCK) / n_spans) * BLOCK for i in range(n_spans + 1)]
    spans = [(a, min(b, n_cols)) for a, b in itertools.pairwise(edges) if a < b]
    counts = np.zeros((max(len(spans), 1), 3), np.int64)
    tec, dtec, percent, severity, positive, negative = (extra[name] for name in PRODUCTS)
    if form == "sigma":
        def run(at: int) -> None:
            a, b = spans[at]
            _sigma_kernel(flat, a, b, window, min_valid, k, out["background"], out["sigma"],
                          out["lower"], out["upper"], out["n_ref"], products, tol, tec, dtec,
                          percent, severity, positive, negative, counts[at])
    else:
        lo, hi, weight = tables
        pairs = np.array(network, np.int64).reshape(-1, 2)
        pair_i, pair_j = pairs[:, 0].copy(), pairs[:, 1].copy()

        def run(at: int) -> None:
            a, b = spans[at]
            _quartile_kernel(flat, a, b, window, pair_i, pair_j, lo, hi, weight, min_valid,
                             FORM_CODES[form], k, out["background"], out["lq"], out["uq"],
                             out["lower"], out["upper"], out["n_ref"], products, tol, tec,
                             dtec, percent, severity, positive, negative, counts[at])
    if workers == 1 or len(spans) == 1:
        for at in range(len(spans)):
            run(at)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(len(spans))))
    if products:
        out.update(extra)
    total = counts.sum(axis=0)
    return out, {"n_positive": int(total[0]), "n_negative": int(total[1]),
                 "n_without_background": int(total[2]) if products else 0}
