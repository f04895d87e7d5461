"""Results as Markdown: the summary table, the distribution of levels, the rules that fired.

Cells are escaped: `|` and line breaks cannot break the table, and `<`, `>`, `&` are written
as entities so that no text becomes HTML in a viewer that renders it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..i18n import _, ngettext
from ..summary import Report
from .tables import kind_word, summary_header, summary_row
from .text import marks


def cell(value: Any) -> str:
    if value is None:
        return ""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    for ch in "`*_[]#":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


def results_markdown(report: Report) -> str:
    count = len(report.units)
    meta = _("scheme {id} version {version}").format(id=cell(report.scheme_id),
                                                     version=cell(report.scheme_version))
    if report.period:
        meta += " · " + _("period {period}").format(period=cell(report.period))
    meta += " · " + ngettext("{count} unit", "{count} units", count).format(count=count)
    out = [f"# {cell(report.scheme_title)}", "", meta, ""]
    out += ["## " + _("Summary"), ""]
    out += _table(summary_header(report), [summary_row(u) for u in report.units])
    for d in report.distributions:
        out += ["", "## " + _("Distribution of {rating}").format(rating=cell(d.label)), ""]
        labels = dict(report.categories)
        rows = [[labels.get(c, c), *counts, sum(counts)] for c, counts in d.counts]
        rows.append([_("Sum"), *d.totals, sum(d.totals)])
        out += _table([_("Category"), *[label for _level, label in d.levels], _("Sum")], rows)
    fired = [(u, r) for u in report.units for r in u.fired]
    if fired:
        out += ["", "## " + _("Deductions, bonuses and vetoes fired"), ""]
        rows = [[u.unit, u.name, kind_word(r.kind), f"{r.label} [{r.id}]",
                 r.applied if r.applied is not None else "", r.detail] for u, r in fired]
        out += _table([_("Unit id"), _("Unit name"), _("Kind"), _("Rule"), _("Points applied"),
                       _("Details")], rows)
    if report.skipped:
        out += ["", "## " + _("Not evaluated (errors in the facts)"), "",
                marks().enum_sep.join(cell(s) for s in report.skipped)]
    out += ["", "---", "",
            _("Scheme hash {scheme_hash} · facts file {facts_file} · facts hash {facts_hash}")
            .format(scheme_hash=f"`{report.scheme_hash}`", facts_file=cell(report.facts_file),
                    facts_hash=f"`{report.facts_hash}`"), ""]
    return "\n".join(out)
