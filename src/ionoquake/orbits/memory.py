"""On-board memory of a recording instrument: fill, downlink, and trim burst at overflow.

The kernel of :func:`ionoquake.orbits.modes.instrument_plan`. The track is cut into steps of
``step_s`` seconds, each recording at the survey rate or, over a burst zone, at the burst
rate; memory fills with what is recorded and empties during the contacts (each at its
station's rate). Where memory would overflow, :func:`memory_plan` downgrades burst steps
to survey, between the last time memory was empty and the overflow: belt steps first,
then alarm steps, the latest first within a kind (so the zone entered first keeps its
burst data), by the exact fraction of a step needed. If survey alone overflows, the excess
is counted as lost. The loop is compiled by numba when it is installed (the ``fast``
extra); the pure-Python loop is the reference and gives the same numbers.

Volumes are in Mbit, rates in Mbit/s, memory in Mbit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import InputError

__all__ = ["ALARM", "BELT", "SURVEY", "MemoryResult", "Recorder", "downlink_capacity",
           "memory_plan", "window_capacity"]

Float = NDArray[np.float64]
#: Zone classes, in order of priority.
SURVEY, BELT, ALARM = 0, 1, 2


@dataclass(frozen=True)
class Recorder:
    """An instrument's two modes and its on-board memory.

    Defaults are illustrative (of the order of CSES's payload: a few Mbit/s in burst,
    a fraction of that in survey, tens of Gbit of memory), not mission values.
    """

    burst_mbps: float = 4.0
    survey_mbps: float = 1.0
    memory_mbit: float = 64_000.0
    initial_mbit: float = 0.0

    def __post_init__(self) -> None:
        if not (0 <= self.survey_mbps <= self.burst_mbps):
            raise InputError(f"recorder rates: need 0 ≤ survey_mbps ({self.survey_mbps}) ≤ "
                             f"burst_mbps ({self.burst_mbps})")
        if not (0 <= self.initial_mbit <= self.memory_mbit) or self.memory_mbit <= 0:
            raise InputError(f"recorder memory: need 0 ≤ initial_mbit ({self.initial_mbit}) ≤ "
                             f"memory_mbit ({self.memory_mbit}), memory_mbit > 0")



@dataclass(frozen=True)
class MemoryResult:
    """Per-step outcome of :func:`memory_plan` (arrays of the steps' length, Mbit)."""

    burst_fraction: Float  # of each step recorded in burst (1: untouched, <1: trimmed)
    recorded_mbit: Float
    downlinked_mbit: Float
    memory_mbit: Float  # at the end of each step
    lost_mbit: Float
    trimmed_mbit: Float  # burst volume given up, per step


def window_capacity(step_start_s: Float, step_s: float, a: float, b: float,
                     rate: float) -> tuple[int, Float]:
    """(first step, Mbit per step) that the contact [a, b) s at ``rate`` can send."""
    n = step_start_s.size
    i0 = min(max(int(a // step_s) - 1, 0), n)
    i1 = min(max(int(b // step_s) + 2, i0), n)
    s = step_start_s[i0:i1]
    return i0, np.clip(np.minimum(s + step_s, b) - np.maximum(s, a), 0.0, None) * rate


def downlink_capacity(step_start_s: Float, step_s: float,
                       contacts_s: Sequence[tuple[float, float, float]]) -> Float:
    """Mbit each step can send: the overlap of each contact with the step × its rate."""
    cap = np.zeros(step_start_s.size)
    for a, b, rate in contacts_s:
        i0, part = window_capacity(step_start_s, step_s, a, b, rate)
        cap[i0:i0 + part.size] += part
    return cap


def _simulate(klass: NDArray[np.int8], survey: float, extra: float, cap_dl: Float,
              capacity: float, initial: float) -> tuple[Float, Float, Float]:
    """Forward pass over the steps; trims burst (belts, then alarms, latest first) at overflow.

    Returns (burst fraction, memory after each step, lost volume), Mbit. A trim at step
    k lowers the memory of steps k … i by the amount, so it is capped by the smallest
    memory among them (taking more would have emptied the store earlier, and the extra
    saving would not reach step i).
    """
    n = klass.size
    frac = np.zeros(n)
    memory = np.zeros(n)
    lost = np.zeros(n)
    # Burst steps since the store was last empty, per class (1: belts, 2: alarms): stacks
    # whose tops are the latest steps, the first to be trimmed.
    stack = np.zeros((3, n), dtype=np.int64)
    top = np.zeros(3, dtype=np.int64)
    m = initial
    for i in range(n):
        if klass[i] > 0:
            frac[i] = 1.0
            stack[klass[i], top[klass[i]]] = i
            top[klass[i]] += 1
        m = m + survey + frac[i] * extra - cap_dl[i]
        if m <= 0.0:
            m = 0.0
            top[:] = 0  # nothing recorded before now can free memory later
        memory[i] = m
        if m <= capacity:
            continue
        excess = m - capacity
        for wanted in (1, 2):  # belts first, then alarm zones
            while excess > 0.0 and top[wanted] > 0:
                k = stack[wanted, top[wanted] - 1]
                headroom = np.inf
                for j in range(k, i):
                    headroom = min(headroom, memory[j])
                take = min(frac[k] * extra, excess, headroom)
                if take <= 0.0:
                    break
                frac[k] -= take / extra
                excess -= take
                for j in range(k, i + 1):
                    memory[j] -= take
                if frac[k] <= 1e-12:
                    frac[k] = 0.0
                    top[wanted] -= 1
        if excess > 0.0:
            lost[i] = excess
            memory[i] -= excess
        m = memory[i]
    return frac, memory, lost


try:  # the same code compiled when numba is installed (the ``fast`` extra)
    from numba import njit

    _simulate = njit(cache=True, nogil=True)(_simulate)
except ImportError:  # pragma: no cover - the pure-Python loop gives the same numbers
    pass


def memory_plan(zone_class: ArrayLike, step_s: float, recorder: Recorder,
                contacts_s: Sequence[tuple[float, float, float]] = ()) -> MemoryResult:
    """Fill and empty the memory step by step; trim burst where it would overflow.

    Parameters
    ----------
    zone_class
        Class of each step (:data:`SURVEY`, :data:`BELT`, :data:`ALARM`); step i covers
        [i·step_s, (i + 1)·step_s) seconds.
    step_s
        Step length, s.
    recorder
        Rates and memory.
    contacts_s
        (start_s, end_s, rate_mbps) of the downlinks, seconds on the same clock.
    """
    klass = np.ascontiguousarray(zone_class, dtype=np.int8)
    n = klass.size
    extra = (recorder.burst_mbps - recorder.survey_mbps) * step_s
    cap_dl = downlink_capacity(np.arange(n, dtype=float) * step_s, step_s, contacts_s)
    frac, memory, lost = _simulate(klass, float(recorder.survey_mbps * step_s), float(extra),
                                   cap_dl, float(recorder.memory_mbit),
                                   float(recorder.initial_mbit))
    if extra == 0:
        frac = (klass > SURVEY).astype(float)
    rec = recorder.survey_mbps * step_s + frac * extra
    before = np.concatenate([[recorder.initial_mbit], memory[:-1]])
    downlinked = before + rec - lost - memory
    trimmed = (klass > SURVEY) * (1.0 - frac) * extra
    return MemoryResult(frac, rec, downlinked, memory, lost, trimmed)
