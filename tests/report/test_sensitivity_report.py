"""The sensitivity section reads out the sentence and colours each configuration's verdict."""

from __future__ import annotations

import math

from ionoquake.evaluate.sensitivity_table import SensitivityCell, SensitivityTable
from ionoquake.report.sensitivity_report import VERDICT_COLOURS, sensitivity_section


def _cell(label: str, axis: str, p: float, verdict: str, note: str = "") -> SensitivityCell:
    return SensitivityCell(label, axis, None, "gardner-knopoff", 6.0, {"min_cells": 20},
                           12, 38, 0.53 if verdict != "untestable" else math.nan, p, verdict,
                           note)


def test_fragile_table_is_read_out_and_coloured() -> None:
    table = SensitivityTable((
        _cell("reference", "reference", 0.053, "no skill"),
        _cell("duration_days = 5", "rules", 0.037, "skill"),
        _cell("min_cells = 1000", "rules", math.nan, "untestable",
              "no alarm active during the period"),
    ), alpha=0.05, fragile=True, conventions={"null": "Monte Carlo, 2000 <random> alarms"})
    text = sensitivity_section(table)
    assert text.startswith("<h2>How fragile is the verdict?</h2>")
    assert "Fragile: the verdict holds in 1 of 3 configurations." in text
    assert "duration_days = 5 (p = 0.037, 12 targets)" in text
    assert text.count("<tr>") == 4  # header + one row per configuration
    for verdict in ("skill", "no skill", "untestable"):
        assert f"background:{VERDICT_COLOURS[verdict]}'" in text
    assert text.count("≠ ref.") == 1  # the flip, not the untestable cell
    assert "<td style='border:1px solid #bbb;padding:3px 8px;font-size:90%'>–</td>" in text
    assert "title='no alarm active during the period'" in text
    assert "Monte Carlo, 2000 &lt;random&gt; alarms" in text  # escaped


def test_stable_table_says_the_verdict_holds() -> None:
    table = SensitivityTable((_cell("reference", "reference", 0.3, "no skill"),
                              _cell("min_cells = 40", "rules", 0.6, "no skill")),
                             alpha=0.05, fragile=False)
    text = sensitivity_section(table, heading="Sensitivity")
    assert "<h2>Sensitivity</h2>" in text
    assert ("The verdict holds in 2 of 2 configurations: no skill at the 0.05 level whatever "
            "the completeness cut") in text
    assert "≠ ref." not in text and "font-weight:bold'>reference</td>" in text
