"""Continuous arcs of one receiver–satellite pair: data gaps and cycle slips.

An arc is a run of epochs with both phases and both codes, no gap longer than
``max_gap_s`` and no cycle slip. Two detectors, each tested on the epoch against the
arc's past, each needing the next epoch to confirm (a single outlier is dropped, not
taken for a slip):

* **geometry-free phase** λ1L1 − λ2L2 (m): the residual from a linear extrapolation of
  the two previous epochs exceeds ``gf_threshold_m`` (default 0.05 m, RTKLIB's
  ``thresslip``; an L1 slip of one cycle moves it by 0.19 m, an equal slip on both GPS
  carriers by 0.054 m; a change of the ionospheric rate by 1 TECU/min from one 30-s
  epoch to the next moves it by ~0.05 m, 0.105 m per TECU);
* **Melbourne–Wübbena** (wide-lane cycles, Melbourne 1985, Wübbena 1985; Blewitt 1990,
  GRL 17:199): the epoch departs from the mean of the arc's last ``mw_window`` epochs by
  more than ``mw_threshold_cycles`` (default 4 wide-lane cycles, ~3.4 m for GPS, well
  above the epoch noise of 0.3–0.6 cycles measured on BELE's daytime arcs): it catches
  slips that barely move the geometry-free combination, such as 23 and 18 cycles on
  GPS L1 and L2 (GF 2 cm, MW 5 cycles).

Slips below both thresholds pass: 9 and 7 cycles on GPS L1/L2 (GF 3 mm, MW 2 cycles)
is the classic case. On BELE's day (Belém, January 2024, solar maximum) the detectors
cut GPS arcs ~3,000 times, almost all between 21 and 03 UT (post-sunset equatorial
irregularities: real slips and TEC jumps), none on daytime arcs above 30°.

Arcs shorter than ``min_arc_s`` (default 10 min) are dropped: their levelling to code is
too noisy (the code noise of ~0.5 m averages down as 1/√n).

The Python walk below is the reference; :mod:`ionoquake.gnss.arc_kernel` compiles the same
walk with numba and is used when it is available (``IONOQUAKE_KERNEL=numpy`` forces this
module's loop): the tests hold the two equal flag for flag.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

from ionoquake.gnss import arc_kernel

Float = NDArray[np.float64]

GF_THRESHOLD_M = 0.05
MW_THRESHOLD_CYCLES = 4.0
MW_WINDOW = 30
MAX_GAP_S = 120.0
MIN_ARC_S = 600.0

_SLIP, _OUTLIER = 1, 2


class _Arc:
    """The past of the current arc: its last two kept epochs and a window of MW values."""

    def __init__(self, t: list[float], gf: list[float], mw: list[float], window: int) -> None:
        self.t, self.gf, self.mw, self.window = t, gf, mw, window
        self.last1 = self.last2 = -1
        self.recent: deque[float] = deque()
        self.total = 0.0

    def restart(self, k: int) -> None:
        self.last1, self.last2 = k, -1
        self.recent.clear()
        self.recent.append(self.mw[k])
        self.total = self.mw[k]

    def keep(self, k: int) -> None:
        self.last2, self.last1 = self.last1, k
        self.recent.append(self.mw[k])
        self.total += self.mw[k]
        if len(self.recent) > self.window:
            self.total -= self.recent.popleft()

    def jumps(self, k: int, gf_thr: float, mw_thr: float) -> bool:
        """True if epoch ``k`` departs from the arc (MW from the window's mean, GF from
        the line through the last two kept epochs). Tested on the epoch after a suspect
        one against the same past, a slip persists and an outlier does not."""
        if abs(self.mw[k] - self.total / len(self.recent)) > mw_thr:
            return True
        t, gf, a, b = self.t, self.gf, self.last1, self.last2
        if b < 0:
            return abs(gf[k] - gf[a]) > gf_thr
        predicted = gf[a] + (gf[a] - gf[b]) / (t[a] - t[b]) * (t[k] - t[a])
        return abs(gf[k] - predicted) > gf_thr


def classify_epochs(t_s: Float, gf_m: Float, mw_cycles: Float, *,
                    gf_threshold_m: float = GF_THRESHOLD_M,
                    mw_threshold_cycles: float = MW_THRESHOLD_CYCLES,
                    mw_window: int = MW_WINDOW,
                    max_gap_s: float = MAX_GAP_S) -> NDArray[np.int8]:
    """Per epoch of one satellite: 0 = continues the arc, 1 = starts a new arc (first
    epoch, gap or slip), 2 = outlier (dropped), −1 = no data. ``t_s`` in seconds."""
    if arc_kernel.available():
        return arc_kernel.classify_kernel(t_s, gf_m, mw_cycles, gf_threshold_m,
                                          mw_threshold_cycles, mw_window, max_gap_s)
    return _classify_python(t_s, gf_m, mw_cycles, gf_threshold_m=gf_threshold_m,
                            mw_threshold_cycles=mw_threshold_cycles, mw_window=mw_window,
                            max_gap_s=max_gap_s)


def _classify_python(t_s: Float, gf_m: Float, mw_cycles: Float, *, gf_threshold_m: float,
                     mw_threshold_cycles: float, mw_window: int,
                     max_gap_s: float) -> NDArray[np.int8]:
    """The reference walk of :func:`classify_epochs`, one epoch at a time."""
    flag = np.full(t_s.size, -1, dtype=np.int8)
    idx: list[int] = np.flatnonzero(np.isfinite(gf_m) & np.isfinite(mw_cycles)).tolist()
    t = np.asarray(t_s, float).tolist()
    arc = _Arc(t, np.asarray(gf_m, float).tolist(), np.asarray(mw_cycles, float).tolist(),
               mw_window)
    for pos, k in enumerate(idx):
        if arc.last1 < 0 or t[k] - t[arc.last1] > max_gap_s:
            flag[k] = _SLIP
            arc.restart(k)
            continue
        if not arc.jumps(k, gf_threshold_m, mw_threshold_cycles):
            flag[k] = 0
            arc.keep(k)
            continue
        nxt = idx[pos + 1] if pos + 1 < len(idx) else -1
        confirmed = (nxt >= 0 and t[nxt] - t[k] <= max_gap_s
                     and arc.jumps(nxt, gf_threshold_m, mw_threshold_cycles))
        if confirmed:
            flag[k] = _SLIP
            arc.restart(k)
        else:
            flag[k] = _OUTLIER
    return flag


def arc_ids(t_s: Float, gf_m: Float, mw_cycles: Float, *, min_arc_s: float = MIN_ARC_S,
            start_id: int = 0, **thresholds: float) -> NDArray[np.int32]:
    """Arc id per epoch of one satellite (−1 = no arc: no data, outlier, short arc).

    Ids count up from ``start_id`` over the arcs that are kept."""
    flag = classify_epochs(t_s, gf_m, mw_cycles, **thresholds)  # type: ignore[arg-type]
    if arc_kernel.available():
        return arc_kernel.ids_kernel(t_s, flag, min_arc_s, start_id)
    run = np.cumsum(flag == _SLIP)
    member = (flag == 0) | (flag == _SLIP)
    ids = np.full(t_s.size, -1, dtype=np.int32)
    next_id = start_id
    for r in np.unique(run[member]):
        sel = member & (run == r)
        times = t_s[sel]
        if times[-1] - times[0] >= min_arc_s:
            ids[sel] = next_id
            next_id += 1
    return ids
