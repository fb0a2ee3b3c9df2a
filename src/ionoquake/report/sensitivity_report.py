"""The HTML section "How fragile is the verdict?": one row per configuration, verdicts coloured.

Renders a :class:`~ionoquake.evaluate.sensitivity.SensitivityTable` (it computes
nothing): the table's sentence in words first, then one row per configuration
(what differs from the reference, targets, alarms, ASS, p-value and the verdict
in a coloured cell; the reference row in bold, a verdict that differs from the
reference's marked), then the conventions. The fragment uses inline styles only,
so that it reads the same in any page it is put into.
"""

from __future__ import annotations

import html
import math

from ionoquake.evaluate.sensitivity_table import SensitivityCell, SensitivityTable

__all__ = ["VERDICT_COLOURS", "sensitivity_section"]

#: Background colour of each verdict's cell.
VERDICT_COLOURS = {"skill": "#c8e6c9", "no skill": "#eeeeee", "untestable": "#fff3c4"}

_CELL = "border:1px solid #bbb;padding:3px 8px;font-size:90%"
_BANNER = {True: "background:#ffe0b2;padding:.5em;font-weight:bold",
           False: "background:#e8f0fe;padding:.5em;font-weight:bold"}


def _number(value: float, fmt: str) -> str:
    return "–" if math.isnan(value) else format(value, fmt)


def _value(value: object) -> str:
    return format(value, "g") if isinstance(value, int | float) else str(value)


def _row(cell: SensitivityCell, rule_names: list[str], reference: str) -> str:
    bold = ";font-weight:bold" if cell.axis == "reference" else ""
    flip = (" <span title='differs from the reference'>≠ ref.</span>"
            if cell.verdict != reference and cell.verdict != "untestable" else "")
    title = f" title='{html.escape(cell.note, quote=True)}'" if cell.note else ""
    values = [cell.label, "none" if cell.completeness is None else f"{cell.completeness:g}",
              cell.declustering, f"{cell.target_magnitude:g}",
              *(_value(cell.rules.get(name, "")) for name in rule_names),
              str(cell.n_targets), str(cell.n_alarms), _number(cell.ass, ".3f"),
              _number(cell.p_value, ".3g")]
    tds = "".join(f"<td style='{_CELL}{bold}'>{html.escape(v)}</td>" for v in values)
    colour = VERDICT_COLOURS.get(cell.verdict, "#ffffff")
    return (f"<tr>{tds}<td style='{_CELL}{bold};background:{colour}'{title}>"
            f"{html.escape(cell.verdict)}{flip}</td></tr>")


def sensitivity_section(table: SensitivityTable, *,
                        heading: str = "How fragile is the verdict?") -> str:
    """The section as an HTML fragment (``<h2>``, the sentence, the table, the conventions)."""
    rule_names = list(dict.fromkeys(name for c in table.cells for name in c.rules))
    head = ["configuration", "Mc", "declustering", "targets M ≥", *rule_names, "targets",
            "alarms", "ASS", "p", "verdict"]
    ths = "".join(f"<th style='{_CELL};background:#eee'>{html.escape(h)}</th>" for h in head)
    rows = "".join(_row(c, rule_names, table.reference.verdict) for c in table.cells)
    conventions = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>"
                          for k, v in table.conventions.items())
    return (f"<h2>{html.escape(heading)}</h2>"
            f"<p class='verdict' style='{_BANNER[table.fragile]}'>"
            f"{html.escape(table.describe())}</p>"
            f"<table style='border-collapse:collapse;margin:.5em 0'><tr>{ths}</tr>{rows}"
            f"</table><details><summary>How the configurations were scored</summary>"
            f"<ul>{conventions}</ul></details>")
