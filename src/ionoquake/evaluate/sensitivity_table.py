"""The sensitivity table: one verdict per configuration, and whether the verdict is fragile.

Records of :mod:`ionoquake.evaluate.sensitivity` (which computes them), in the style
of :mod:`ionoquake.evaluate.results`: frozen, JSON-ready through ``to_dict`` and
rebuilt by ``from_dict`` (NaN as the string ``"NaN"``), and read out in words by
:meth:`SensitivityTable.describe`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ionoquake.evaluate.results import _Record

__all__ = ["VERDICTS", "SensitivityCell", "SensitivityTable", "is_fragile"]

#: Verdict of one configuration: skill if p ≤ α, else no skill; untestable without
#: target events or active alarms.
VERDICTS = ("skill", "no skill", "untestable")


@dataclass(frozen=True)
class SensitivityCell(_Record):
    """The score of one configuration.

    Attributes
    ----------
    label, axis
        What differs from the reference, and on which axis (``"reference"``,
        ``"catalogue"`` or ``"rules"``; see :class:`ionoquake.evaluate.sensitivity.Configuration`).
    completeness
        Completeness magnitude Mc of the cut (``None``: no cut).
    declustering
        ``"gardner-knopoff"``, ``"reasenberg"`` or ``"none"``.
    target_magnitude
        Targets are (declustered) events at or above it.
    rules
        The values, in this cell, of every alarm-rule parameter the grid varies.
    n_targets, n_alarms
        Target events scored (in the forecasts' grid and horizons) and alarms
        made from the clusters.
    ass, p_value
        Area skill score of the alarms against the seismicity baseline and its
        Monte Carlo p-value (NaN when untestable).
    verdict
        ``"skill"`` (p ≤ α), ``"no skill"`` or ``"untestable"``.
    note
        Why a cell is untestable ("" otherwise).
    """

    label: str
    axis: str
    completeness: float | None
    declustering: str
    target_magnitude: float
    rules: dict[str, Any]
    n_targets: int
    n_alarms: int
    ass: float
    p_value: float
    verdict: str
    note: str = ""


@dataclass(frozen=True)
class SensitivityTable:
    """The grid of configurations, their verdicts, and whether the verdict is fragile.

    Attributes
    ----------
    cells
        One :class:`SensitivityCell` per configuration, the reference first.
    alpha
        Level of the verdicts (skill if p ≤ ``alpha``).
    fragile
        Whether both "skill" and "no skill" occur in the grid.
    conventions
        How the cells were made, in words.
    """

    cells: tuple[SensitivityCell, ...]
    alpha: float
    fragile: bool
    conventions: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> SensitivityCell:
        """The configuration as evaluated (the first cell)."""
        return self.cells[0]

    @property
    def n_holding(self) -> int:
        """How many cells share the reference's verdict (the reference included)."""
        return sum(c.verdict == self.reference.verdict for c in self.cells)

    def to_frame(self) -> pd.DataFrame:
        """One row per cell, the varied rule parameters as columns of their own."""
        rows = []
        for c in self.cells:
            row = {k: v for k, v in dataclasses.asdict(c).items() if k != "rules"}
            rows.append({**row, **c.rules})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready dict (NaN as a string, as in :mod:`ionoquake.evaluate.results`)."""
        return {"cells": [c.to_dict() for c in self.cells], "alpha": self.alpha,
                "fragile": self.fragile, "conventions": dict(self.conventions)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SensitivityTable:
        """Rebuild a table written by :meth:`to_dict`."""
        return cls(tuple(SensitivityCell.from_dict(c) for c in data["cells"]),
                   float(data["alpha"]), bool(data["fragile"]), dict(data["conventions"]))

    def describe(self) -> str:
        """What the grid says about the verdict, in words."""
        return _describe(self)


def _describe(table: SensitivityTable) -> str:
    ref, cells, n = table.reference, table.cells, len(table.cells)
    alpha = f"{table.alpha:g}"
    words = {"skill": f"skill at p ≤ {alpha}", "no skill": f"no skill at the {alpha} level"}
    tested = [c for c in cells if c.verdict != "untestable"]
    reasons = "; ".join(f"{c.label}: {c.note}" for c in cells if c.verdict == "untestable")
    tail = (f" {n - len(tested)} configuration(s) could not be scored ({reasons})."
            if reasons else "")
    if tested:
        ps = [c.p_value for c in tested]
        near = min(tested, key=lambda c: abs(math.log(max(c.p_value, 1e-300) / table.alpha)))
        tail = (f" ASS p-values range from {min(ps):.3g} to {max(ps):.3g}; closest to the "
                f"{alpha} line: {near.label} (p = {near.p_value:.3g}).{tail}")
    if any(c.verdict == "skill" for c in tested):
        tail += (f" The smallest p of the grid is not a p-value: {n} configurations were "
                 f"tried on the same targets.")
    if not tested:
        return f"None of the {n} configurations could be scored.{tail}"
    if not table.fragile:
        return (f"The verdict holds in {len(tested)} of {n} configurations: "
                f"{words[tested[0].verdict]} whatever the completeness cut, declustering, "
                f"target magnitude and alarm rules tried.{tail}")
    if ref.verdict == "untestable":
        n_skill = sum(c.verdict == "skill" for c in tested)
        return (f"Fragile: the reference configuration could not be scored ({ref.note}); of "
                f"the others, {n_skill} {'gives' if n_skill == 1 else 'give'} "
                f"{words['skill']} and {len(tested) - n_skill} "
                f"{words['no skill']}.{tail}")
    others = [c for c in tested if c.verdict != ref.verdict]
    flips = "; ".join(f"{c.label} (p = {c.p_value:.3g}, {c.n_targets} targets)" for c in others)
    return (f"Fragile: the verdict holds in {table.n_holding} of {n} configurations. The "
            f"reference configuration gives {ref.verdict} (ASS {ref.ass:.3f}, p = "
            f"{ref.p_value:.3g}, {ref.n_targets} targets), but {len(others)} of the others "
            f"{'gives' if len(others) == 1 else 'give'} {words[others[0].verdict]}: {flips}. "
            f"A verdict that flips with choices like these is evidence neither way.{tail}")


def is_fragile(cells: Sequence[SensitivityCell]) -> bool:
    """Whether both "skill" and "no skill" occur among ``cells``."""
    verdicts = {c.verdict for c in cells}
    return {"skill", "no skill"} <= verdicts
