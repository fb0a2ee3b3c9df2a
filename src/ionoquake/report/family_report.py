"""The words and table of the evaluation report on tries and pre-registration.

Given a :class:`ionoquake.evaluate.family.FamilyWise` (computed in the evaluate
stage), say how many configurations were tried on the same targets, what the
headline p-value becomes once they are counted (Holm 1979), and whether the alarm
rules were fixed before the evaluated window began.
"""

from __future__ import annotations

import html

from ionoquake.evaluate.family import FamilyWise, Registration

__all__ = ["family_section", "registration_sentence", "tries_clause"]


def _when(iso: str) -> str:
    """``2000-11-01T00:00:00Z`` -> ``2000-11-01 00:00 UTC``."""
    return f"{iso[:10]} {iso[11:16]} UTC"


def _num(value: float | None, fmt: str = ".3g") -> str:
    return "–" if value is None else format(value, fmt)


def tries_clause(family: FamilyWise | None) -> str:
    """``"; family-wise p = 0.12 (Holm over the 3 configurations ...)"`` for the verdict."""
    if family is None or family.n_configurations is None:
        return ("; the number of configurations tried on these targets is unknown (no "
                "ledger), so this p is only a lower bound of the family-wise p")
    n = family.n_configurations
    return (f"; family-wise p = {_num(family.family_p)}, Holm over the {n} "
            f"configuration{'' if n == 1 else 's'} tried on these targets")


def registration_sentence(registration: Registration) -> str:
    """One sentence: when the rules were frozen, and whether the run is pre-registered."""
    frozen = f"{_when(registration.frozen_at)} ({registration.source})"
    start = _when(registration.window_start)
    if registration.retrospective:
        return (f"These rules were frozen on {frozen}, after the evaluated window began on "
                f"{start}: the run is retrospective and exploratory; its p-values measure "
                f"how well rules chosen with hindsight fit these data, not a tested "
                f"prediction.")
    return (f"These rules (sha256 {registration.rules_hash[:12]}…) were frozen on {frozen}, "
            f"before the evaluated window began on {start}: the run is pre-registered.")


def family_section(family: FamilyWise) -> str:
    """The report's "Configurations tried on these targets" section (HTML)."""
    head = "<h2>Configurations tried on these targets</h2>"
    raw = _num(family.raw_p)
    if family.n_configurations is None:
        return (f"{head}<p>Without an archive there is no ledger: the number of "
                f"configurations tried on these targets is unknown and only this run is "
                f"counted. Its p = {raw} is a lower bound of the family-wise p; run with "
                f"<code>--store</code> to count the tries.</p>")
    n = family.n_configurations
    words = (f"<p>The archive's ledger holds {n} configuration{'' if n == 1 else 's'} (alarm "
             f"rules, evaluation parameters, catalogue, anomaly clusters) scored on these "
             f"target events (sha256 {family.target_hash[:12]}…). The p-value of this run, "
             f"{raw}, is {_num(family.family_p)} family-wise ({html.escape(family.method)}; "
             f"Holm 1979), which keeps the chance of any false discovery among them at most "
             f"α whatever their dependence. A configuration that could not be scored counts "
             f"as p = 1.</p>")
    rows = ["<tr><th>configuration</th><th>rules</th><th>label</th><th>first run</th>"
            f"<th>{html.escape(family.statistic_name.upper())}</th><th>p</th>"
            "<th>family-wise p</th></tr>"]
    for t in family.tried:
        this = " (this run)" if t.configuration_hash == family.configuration_hash else ""
        rows.append(f"<tr><td>{t.configuration_hash[:12]}{this}</td><td>{t.rules_hash[:12]}"
                    f"</td><td>{html.escape(t.label)}</td><td>{_when(t.first_run)}</td>"
                    f"<td>{_num(t.statistic, '.3f')}</td><td>{_num(t.p_value)}</td>"
                    f"<td>{_num(t.family_p)}</td></tr>")
    return f"{head}{words}<table>{''.join(rows)}</table>"
