"""Compiled (numba) arcs of one receiver: the same flags and ids as :mod:`ionoquake.gnss.arcs`.

:func:`ionoquake.gnss.arcs.classify_epochs` and :func:`~ionoquake.gnss.arcs.arc_ids` call
:func:`classify_kernel` and :func:`arc_ids_kernel` when numba imports and the environment
variable ``IONOQUAKE_KERNEL`` is not ``numpy``; the Python path of :mod:`ionoquake.gnss.arcs`
stays the reference (the tests compare the two for equality on every satellite of the real
BELE and GEONET files and on generated series with planted slips, gaps and outliers) and
the fallback.

The kernel walks the epochs of one satellite exactly as the reference does: the arc's
past is its last two kept epochs and a ring buffer of its last ``mw_window``
Melbourne–Wübbena values with their running sum, added to and subtracted from in the
same order, so that every comparison sees the same IEEE doubles (``fastmath`` off) and the
flags are identical. On BELE's day (2,880 epochs, ~56 satellites formed) it takes ~2 ms
per receiver where the Python loop took ~0.3 s (~100,000 calls of ``jumps``/``keep``).

Compilation is cached on disk (``cache=True``, in ``__pycache__`` next to this file, or
``NUMBA_CACHE_DIR``): the first process on a machine pays it once (~1 s).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

try:
    import numba
    from numba import njit
except ImportError:  # pragma: no cover - machines without the "fast" extra
    numba = None  # type: ignore[assignment]

ENV = "IONOQUAKE_KERNEL"


def available() -> bool:
    """True if the compiled kernel is to be used (numba imports, ``IONOQUAKE_KERNEL`` != numpy)."""
    return numba is not None and os.environ.get(ENV, "").strip().lower() != "numpy"


if numba is not None:

    @njit(cache=True, nogil=True, fastmath=False)
    def _jumps(k: int, t: Any, gf: Any, mw: Any, last1: int, last2: int, total: float,
               count: int, gf_thr: float, mw_thr: float) -> bool:  # pragma: no cover
        if abs(mw[k] - total / count) > mw_thr:
            return True
        if last2 < 0:
            return abs(gf[k] - gf[last1]) > gf_thr
        predicted = gf[last1] + (gf[last1] - gf[last2]) / (t[last1] - t[last2]) * (t[k] - t[last1])
        return abs(gf[k] - predicted) > gf_thr

    @njit(cache=True, nogil=True, fastmath=False)
    def _classify(t: Any, gf: Any, mw: Any, gf_thr: float, mw_thr: float, window: int,
                  max_gap: float) -> Any:  # pragma: no cover
        n = t.size
        flag = np.full(n, -1, np.int8)
        idx = np.empty(n, np.int64)
        m = 0
        for k in range(n):
            if np.isfinite(gf[k]) and np.isfinite(mw[k]):
                idx[m] = k
                m += 1
        ring = np.empty(window + 1, np.float64)  # the window's MW values, oldest at head
        head = 0
        count = 0
        total = 0.0
        last1 = -1
        last2 = -1
        for pos in range(m):
            k = idx[pos]
            if last1 < 0 or t[k] - t[last1] > max_gap:
                flag[k] = 1
                last1, last2 = k, -1
                head, count, total = 0, 1, mw[k]
                ring[0] = mw[k]
                continue
            if not _jumps(k, t, gf, mw, last1, last2, total, count, gf_thr, mw_thr):
                flag[k] = 0
                last2, last1 = last1, k
                ring[(head + count) % (window + 1)] = mw[k]
                count += 1
                total += mw[k]
                if count > window:
                    total -= ring[head]
                    head = (head + 1) % (window + 1)
                    count -= 1
                continue
            confirmed = False
            if pos + 1 < m:
                nxt = idx[pos + 1]
                confirmed = (t[nxt] - t[k] <= max_gap
                             and _jumps(nxt, t, gf, mw, last1, last2, total, count, gf_thr,
                                        mw_thr))
            if confirmed:
                flag[k] = 1
                last1, last2 = k, -1
                head, count, total = 0, 1, mw[k]
                ring[0] = mw[k]
            else:
                flag[k] = 2
        return flag

    @njit(cache=True, nogil=True, fastmath=False)
    def _ids(t: Any, flag: Any, min_arc_s: float, start_id: int) -> Any:  # pragma: no cover
        n = t.size
        ids = np.full(n, -1, np.int32)
        next_id = start_id
        k = 0
        while k < n:
            if flag[k] != 1:
                k += 1
                continue
            # the arc: this start and the continuing epochs up to the next start
            end = k + 1
            last = k
            while end < n and flag[end] != 1:
                if flag[end] == 0:
                    last = end
                end += 1
            if t[last] - t[k] >= min_arc_s:
                for j in range(k, end):
                    if flag[j] == 0 or flag[j] == 1:
                        ids[j] = next_id
                next_id += 1
            k = end
        return ids


def classify_kernel(t_s: NDArray[np.float64], gf_m: NDArray[np.float64],
                    mw_cycles: NDArray[np.float64], gf_threshold_m: float,
                    mw_threshold_cycles: float, mw_window: int,
                    max_gap_s: float) -> NDArray[np.int8]:
    """:func:`ionoquake.gnss.arcs.classify_epochs`, compiled (same arguments, same flags)."""
    if mw_window < 1:
        raise ValueError(f"mw_window must be at least 1, got {mw_window}")
    return _classify(np.ascontiguousarray(t_s, np.float64), np.ascontiguousarray(gf_m, np.float64),
                     np.ascontiguousarray(mw_cycles, np.float64), float(gf_threshold_m),
                     float(mw_threshold_cycles), int(mw_window), float(max_gap_s))


def ids_kernel(t_s: NDArray[np.float64], flag: NDArray[np.int8], min_arc_s: float,
               start_id: int) -> NDArray[np.int32]:
    """Arc ids from the flags, as :func:`ionoquake.gnss.arcs.arc_ids` makes them."""
    return _ids(np.ascontiguousarray(t_s, np.float64), np.ascontiguousarray(flag, np.int8),
                float(min_arc_s), int(start_id))


def warm_up() -> None:
    """Load (or compile, the first time on a machine) the kernels: a process that will
    time its receivers calls this first, so the timing holds no compilation."""
    if numba is None:
        return
    t = np.arange(4, dtype=np.float64) * 30.0
    zero = np.zeros(4)
    ids_kernel(t, classify_kernel(t, zero, zero, 0.05, 4.0, 30, 120.0), 0.0, 0)
