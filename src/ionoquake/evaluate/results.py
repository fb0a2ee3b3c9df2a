"""Typed, frozen result records: every skill number travels with its null and p-value.

pyCSEP's ``EvaluationResult`` (``csep/models.py``) carries a test statistic, the
simulated distribution and a quantile. The records here do the same with types:

* :class:`NullSummary` -- how the null distribution was made (analytic, exact
  binomial, Monte Carlo with which seed and how many samples) and its summary
  numbers (mean, standard deviation, quantiles);
* :class:`SkillResult` -- one statistic, its null, its p-value and the
  conventions that change the number (``conventions``), plus free numeric
  ``details`` (e.g. the τ at which a gain was read);
* :class:`MolchanResult` -- the whole Molchan trajectory with its area skill
  score, gain and R score as :class:`SkillResult` entries;
* :class:`EpochResult` -- a superposed-epoch table with bootstrap bands and
  nulls.

All of them are JSON-ready through ``to_dict`` and rebuilt by ``from_dict``
(``from_dict(to_dict(r)) == r``), which is what the CLI and API return. Arrays
are stored as tuples of floats so that the records stay hashable and frozen.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import InputError

__all__ = [
    "CurveResult",
    "EpochResult",
    "MolchanResult",
    "NullSummary",
    "SkillResult",
    "summarize_null",
]

#: Quantiles of a null distribution that every :class:`NullSummary` reports.
NULL_QUANTILES = (0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995)

#: Most distinct values a :class:`NullSummary` keeps before binning its samples.
MAX_DISTINCT = 400


def _floats(values: ArrayLike) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=float).ravel())


#: What the ``non_finite`` entry of a record's dict says of a ``null`` number.
_INFINITE = {"inf": math.inf, "-inf": -math.inf}
#: Field annotations whose ``null`` is NaN (numbers, lists and maps of numbers).
_NUMERIC_TYPES = ("float", "tuple[float, ...]", "dict[str, float]")
#: How earlier evaluation files wrote non-finite numbers (as strings): still read.
_OLD_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _plain(value: Any) -> tuple[Any, Any]:
    """``value`` for strict JSON, and where it held infinities.

    Numbers become Python floats/ints; a non-finite float becomes ``None`` (JSON
    ``null``). The second item mirrors ``value`` only where it held ±inf: ``"inf"`` or
    ``"-inf"`` for a number, ``{index or key: mark}`` for a list or dict; ``None`` when
    there was no infinity. So a ``null`` is NaN unless the marks say which infinity.
    """
    if isinstance(value, Mapping | tuple | list):
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        plain: Any = {} if isinstance(value, Mapping) else []
        marks: dict[str, Any] = {}
        for key, item in items:
            p, m = _plain(item)
            if isinstance(plain, dict):
                plain[str(key)] = p
            else:
                plain.append(p)
            if m is not None:
                marks[str(key)] = m
        return plain, (marks or None)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None, (None if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    return value, None


def _unplain(value: Any, marks: Any = None, numeric: bool = True) -> Any:
    """The inverse of :func:`_plain`: lists as tuples, ``null`` as the marked ±inf, else as
    NaN where a number belongs (``numeric``) and None elsewhere."""
    if isinstance(value, list):
        m = marks or {}
        return tuple(_unplain(v, m.get(str(i)), numeric) for i, v in enumerate(value))
    if isinstance(value, dict):
        m = marks or {}
        return {k: _unplain(v, m.get(k), numeric) for k, v in value.items()}
    if value is None:
        if isinstance(marks, str):
            return _INFINITE[marks]
        return math.nan if numeric else None
    if isinstance(value, str) and value in _OLD_NON_FINITE:  # files written before strict JSON
        return _OLD_NON_FINITE[value]
    return value


class _Record:
    """``to_dict``/``from_dict`` for frozen dataclasses of numbers, strings and records.

    The dicts are strict JSON: a non-finite number is ``null``, and where it was an
    infinity the record's ``non_finite`` entry says so (``{"field": {"index": "inf"}}``,
    present only when some field held ±inf). ``null`` without such a mark is NaN (an
    undefined value, e.g. the T-test of two identical forecasts) in a number field (a
    ``float``, or a tuple or dict of them), and None in any other (the ``seed`` of an
    analytic null, a completeness without a cut).
    """

    def to_dict(self) -> dict[str, Any]:
        """The record as strict-JSON-ready nested dicts and lists (no NaN, no infinity)."""
        out: dict[str, Any] = {}
        non_finite: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, _Record):
                out[f.name] = value.to_dict()
            elif isinstance(value, dict) and any(isinstance(v, _Record) for v in value.values()):
                out[f.name] = {k: v.to_dict() for k, v in value.items()}
            else:
                out[f.name], marks = _plain(value)
                if marks is not None:
                    non_finite[f.name] = marks
        if non_finite:
            out["non_finite"] = non_finite
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a record written by :meth:`to_dict`."""
        kwargs: dict[str, Any] = {}
        nested = getattr(cls, "_nested", {})
        marks = data.get("non_finite") or {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name not in nested:
                # null where a number belongs is NaN; in other fields (a seed, rules) None
                numeric = str(f.type) in _NUMERIC_TYPES
                kwargs[f.name] = _unplain(value, marks.get(f.name), numeric)
                continue
            container, kind = nested[f.name]
            if container == "dict":
                kwargs[f.name] = {k: kind.from_dict(v) for k, v in value.items()}
            else:
                kwargs[f.name] = kind.from_dict(value)
        return cls(**kwargs)


@dataclass(frozen=True)
class NullSummary(_Record):
    """How a null distribution was made, and its summary numbers.

    Attributes
    ----------
    kind
        ``"analytic-normal"``, ``"exact-binomial"``, ``"monte-carlo"``,
        ``"bootstrap"``, ``"poisson"``, ...
    description
        One sentence in words: what is random under the null.
    n_samples
        Monte Carlo or bootstrap sample size (0 for an analytic null).
    seed
        Entropy of the :class:`numpy.random.SeedSequence` used (``None`` if analytic).
    mean, std
        Mean and standard deviation of the null distribution.
    quantiles
        ``{q: value}`` for the probabilities of :data:`NULL_QUANTILES`, as strings.
    values, counts
        The sampled distribution itself, for histograms and ECDFs: the distinct
        sample values and how many samples took each, or, past
        :data:`MAX_DISTINCT` distinct values, the means of equal-count bins of
        the sorted samples (``binned``). Empty for an analytic null.
    binned
        Whether ``values`` are bin means rather than the distinct values.
    """

    kind: str
    description: str
    n_samples: int
    seed: int | None
    mean: float
    std: float
    quantiles: dict[str, float] = field(default_factory=dict)
    values: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()
    binned: bool = False


@dataclass(frozen=True)
class SkillResult(_Record):
    """One skill statistic with its null distribution and p-value.

    Attributes
    ----------
    name
        E.g. ``"area skill score"``, ``"probability gain"``, ``"N-test"``.
    statistic
        The observed value.
    null
        The null distribution it is compared with.
    p_value
        Probability under the null of a value at least as extreme (one-sided,
        direction in ``alternative``).
    alternative
        ``"greater"`` (skill means large values), ``"less"`` or ``"two-sided"``.
    conventions
        The choices that change the number, in words (``{"tau": "area-weighted"}``).
    details
        Further numbers (e.g. ``{"tau": 0.1}`` for a gain read at τ = 0.1).
    p_method
        How ``p_value`` was computed, in words (the one p of this statistic).
    """

    name: str
    statistic: float
    null: NullSummary
    p_value: float
    alternative: str = "greater"
    conventions: dict[str, str] = field(default_factory=dict)
    details: dict[str, float] = field(default_factory=dict)
    p_method: str = ""
    _nested = {"null": ("one", NullSummary)}  # noqa: RUF012 -- class attribute, not a field

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether the null is rejected at level ``alpha``."""
        return bool(self.p_value <= alpha)


@dataclass(frozen=True)
class MolchanResult(_Record):
    """A Molchan error diagram and the skill numbers read from it.

    Attributes
    ----------
    tau
        Alarm fraction at each trajectory point (0 first, 1 last), weighted as
        ``conventions["tau"]`` says.
    nu
        Miss rate (fraction of target events outside alarms) at each point.
    threshold
        Alarm-function value at each point (``inf`` for the empty alarm).
    false_alarm_rate
        Fraction of the event-free weight alarmed at each point (for R and ROC).
    n_events
        Number of target events N.
    skills
        ``{"ass": ..., "gain": ..., "r_score": ..., "hits": ...}`` as :class:`SkillResult`.
    conventions
        Weighting, tie and area conventions in words.
    """

    tau: tuple[float, ...]
    nu: tuple[float, ...]
    threshold: tuple[float, ...]
    false_alarm_rate: tuple[float, ...]
    n_events: int
    skills: dict[str, SkillResult]
    conventions: dict[str, str] = field(default_factory=dict)
    _nested = {"skills": ("dict", SkillResult)}  # noqa: RUF012

    @property
    def ass(self) -> SkillResult:
        """The area skill score with its nulls."""
        return self.skills["ass"]


@dataclass(frozen=True)
class EpochResult(_Record):
    """Superposed epoch counts of anomalies around earthquakes.

    Attributes
    ----------
    day_edges
        Edges of the day-offset bins relative to the event time (days; negative before).
    distance_edges_km
        Edges of the epicentral-distance bins (km).
    rate
        Anomalies per event, flattened ``(n_day_bins, n_distance_bins)`` in C order.
    band_low, band_high
        Bootstrap confidence band over events (same shape as ``rate``).
    band_level
        Coverage of the band (e.g. 0.95).
    n_events
        Number of earthquakes stacked.
    tests
        ``{null_name: SkillResult}``: the window statistic against each null catalogue.
    conventions
        Window, statistic and null definitions in words.
    """

    day_edges: tuple[float, ...]
    distance_edges_km: tuple[float, ...]
    rate: tuple[float, ...]
    band_low: tuple[float, ...]
    band_high: tuple[float, ...]
    band_level: float
    n_events: int
    tests: dict[str, SkillResult]
    conventions: dict[str, str] = field(default_factory=dict)
    _nested = {"tests": ("dict", SkillResult)}  # noqa: RUF012

    def rate_table(self) -> NDArray[np.float64]:
        """``rate`` as an array of shape ``(n_day_bins, n_distance_bins)``."""
        shape = (len(self.day_edges) - 1, len(self.distance_edges_km) - 1)
        return np.asarray(self.rate, dtype=float).reshape(shape)


@dataclass(frozen=True)
class CurveResult(_Record):
    """A diagram of a probabilistic forecast (ROC, reliability) with its skill numbers.

    Attributes
    ----------
    kind
        ``"roc"`` or ``"reliability"``.
    x, y
        The curve (false-alarm rate and hit rate; mean forecast probability and
        observed frequency).
    x_label, y_label
        Axis meanings in words.
    band_low, band_high
        Null band of ``y`` at each point (empty if none): for reliability, the
        range a calibrated forecast would show; for ROC, empty.
    counts
        Number of cells behind each point (reliability) or empty.
    skills
        ``{"auc": ...}`` or ``{"brier": ..., "brier_skill": ...}`` as :class:`SkillResult`.
    conventions
        Binning, weighting and null definitions in words.
    """

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    x_label: str
    y_label: str
    band_low: tuple[float, ...]
    band_high: tuple[float, ...]
    counts: tuple[float, ...]
    skills: dict[str, SkillResult]
    conventions: dict[str, str] = field(default_factory=dict)
    _nested = {"skills": ("dict", SkillResult)}  # noqa: RUF012


def summarize_null(samples: ArrayLike | None = None, *, kind: str, description: str,
                   seed: int | None = None, mean: float | None = None, std: float | None = None,
                   quantiles: Sequence[float] | None = None) -> NullSummary:
    """Summarise a null distribution from samples, or from analytic numbers.

    Parameters
    ----------
    samples
        Monte Carlo or bootstrap draws; ``None`` for an analytic null, in which
        case ``mean``, ``std`` and (optionally) ``quantiles`` at
        :data:`NULL_QUANTILES` must be given.
    kind, description, seed
        Copied to the :class:`NullSummary`.
    """
    if samples is not None:
        x = np.asarray(samples, dtype=float).ravel()
        q = np.quantile(x, NULL_QUANTILES)
        values, counts, binned = _distribution(x)
        return NullSummary(kind, description, int(x.size), seed, float(x.mean()),
                           float(x.std(ddof=1)) if x.size > 1 else 0.0,
                           {f"{p:g}": float(v) for p, v in zip(NULL_QUANTILES, q, strict=True)},
                           values, counts, binned)
    if mean is None or std is None:
        raise InputError("an analytic null needs mean and std")
    qs = {} if quantiles is None else {
        f"{p:g}": float(v) for p, v in zip(NULL_QUANTILES, quantiles, strict=True)}
    return NullSummary(kind, description, 0, seed, float(mean), float(std), qs)


def _distribution(x: NDArray[np.float64]
                  ) -> tuple[tuple[float, ...], tuple[float, ...], bool]:
    """Distinct values and counts of ``x``, or equal-count bin means past MAX_DISTINCT."""
    if x.size == 0:
        return (), (), False
    values, counts = np.unique(x, return_counts=True)
    if values.size <= MAX_DISTINCT:
        return as_tuple(values), as_tuple(counts), False
    parts = np.array_split(np.sort(x), MAX_DISTINCT)
    return (tuple(float(p.mean()) for p in parts), tuple(float(p.size) for p in parts), True)


def as_tuple(values: ArrayLike) -> tuple[float, ...]:
    """An array as a tuple of Python floats (for the frozen records)."""
    return _floats(values)
