"""Results as tables of cells, shared by the XLSX, CSV and Markdown renderers.

Cells are plain values: text, Decimal (written as numbers), int, or None for an empty cell.
Nothing here computes a score: every figure comes from a Report (evalrules.summary) or from
an explanation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..explain import ExplainedNode, Explanation
from ..i18n import N_, _
from ..numeric import plain
from ..summary import Report, UnitSummary
from .text import (
    condition_text,
    inputs_text,
    marks,
    not_applicable_reason,
    where,
)

# Shown with _() where they are written.
KIND_WORDS = {"deduction": N_("Deduction"), "bonus": N_("Bonus"), "veto": N_("Veto"),
              "quota": N_("Quota")}
STATUS_WORDS = {"applied": N_("deducted or added"), "limited": N_("held within the limits"),
                "superseded": N_("superseded (the higher one applies)"),
                "fired": N_("triggered")}
NOT_APPLICABLE = N_("not applicable")


def kind_word(kind: str) -> str:
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet: a title, header rows (the first holds the labels), data rows."""

    title: str
    header: Sequence[Sequence[str]]
    rows: Sequence[Sequence[Any]] | Iterator[Sequence[Any]]
    widths: Sequence[float] = ()
    number_formats: dict[int, str] = field(default_factory=dict)
    freeze: str = ""
    wrap: bool = False


def summary_header(report: Report) -> list[str]:
    return [_("Unit id"), _("Unit name"), _("Category"), _("Total"),
            *[label for _rid, label in report.ratings],
            _("Rank in category"), _("Units in category"), _("Award eligibility"),
            *[f"{label}(%)" for _tag, label in report.tags],
            _("Deductions, bonuses and vetoes fired")]


def summary_row(u: UnitSummary) -> list[Any]:
    none = _("none")
    return [u.unit, u.name, u.category_label, u.total,
            *[lv.label or none for lv in u.levels],
            u.rank, u.rank_of, _("yes") if u.award_eligible else _("no"),
            *[i.percent for i in u.indices],
            marks().enum_sep.join(f"{r.label}[{r.id}]" for r in u.fired
                                  if r.status != "superseded")]


def summary_table(report: Report) -> Table:
    header = summary_header(report)
    first_index = 7 + len(report.ratings)
    formats = {3: "0.00", first_index - 3: "0", first_index - 2: "0"}
    formats.update({first_index + k: "0.0" for k in range(len(report.tags))})
    widths = [10, 28, 12, 9, *[10] * len(report.ratings), 10, 10, 9,
              *[11] * len(report.tags), 48]
    return Table(_("Summary"), [header], [summary_row(u) for u in report.units], widths,
                 formats, "C2")


def points_table(report: Report) -> Table:
    labels = [_("Unit id"), _("Unit name"), _("Category"), *[n.label for n in report.nodes]]
    ids = ["unit", "name", "category", *[n.id for n in report.nodes]]
    rows = []
    not_applicable = _(NOT_APPLICABLE)
    for u in report.units:
        points = {n.id: n.points for n in u.explanation.root.walk()}
        applicable = {n.id: n.applicable for n in u.explanation.root.walk()}
        row: list[Any] = [u.unit, u.name, u.category_label]
        for n in report.nodes:
            if n.id not in applicable or not applicable[n.id]:
                row.append(not_applicable)
            else:
                row.append(points[n.id])
        rows.append(row)
    formats = {3 + i: "0.00" for i in range(len(report.nodes))}
    widths = [10, 28, 12, *[12] * len(report.nodes)]
    return Table(_("Points by indicator"), [labels, ids], rows, widths, formats, "D3")


def rules_table(report: Report) -> Table:
    header = [_("Unit id"), _("Unit name"), _("Category"), _("Kind"), _("Rule id"), _("Rule"),
              _("Applies to"), _("Points asked"), _("Points applied"), _("Status"),
              _("Details"), _("Basis"), _("Source")]
    rows = []
    for u in report.units:
        for r in u.fired:
            detail = r.detail
            if r.status == "superseded" and detail:
                detail = _("superseded by {rule}").format(rule=detail)
            status = _(STATUS_WORDS[r.status]) if r.status in STATUS_WORDS else r.status
            rows.append([u.unit, u.name, u.category_label, kind_word(r.kind), r.id,
                         r.label, r.target_label, r.requested, r.applied,
                         status, detail, r.basis, where(r.location)])
    return Table(_("Deductions, bonuses, vetoes"), [header], rows,
                 [10, 24, 12, 6, 20, 30, 18, 10, 10, 14, 40, 36, 30], {7: "0.00", 8: "0.00"},
                 "C2", wrap=True)


def _node_rows(u: UnitSummary, e: Explanation) -> Iterator[list[Any]]:
    m = marks()
    not_applicable = _(NOT_APPLICABLE)

    def visit(n: ExplainedNode, depth: int) -> Iterator[list[Any]]:
        if not n.applicable:
            why = not_applicable_reason(n)
            yield [u.unit, depth, n.id, m.indent * depth + n.label, not_applicable, n.max, None,
                   n.formula, inputs_text(n.inputs), why, n.basis, where(n.location)]
            return
        steps = []
        for line in n.lines:
            if line.kind in ("deduction", "bonus", "veto"):
                template = {"deduction": _("deduction {amount} {label}[{ref}]"),
                            "bonus": _("bonus {amount} {label}[{ref}]"),
                            "veto": _("veto, zeroed {amount} {label}[{ref}]")}[line.kind]
                text = template.format(amount=plain(line.amount), label=line.label,
                                       ref=line.ref)
                if line.requested is not None:
                    text += m.paren(_("requested {amount}, held within the limits").format(
                        amount=plain(line.requested)))
                steps.append(text)
            elif line.kind == "cap":
                steps.append(_("cap {amount}").format(amount=plain(line.amount)))
            elif line.kind == "floor":
                steps.append(_("floor {amount}").format(amount=plain(line.amount)))
        formula = n.formula
        if n.condition is not None:
            formula = condition_text(n.formula, n.condition)
        yield [u.unit, depth, n.id, m.indent * depth + n.label, n.points, n.max, n.lost, formula,
               inputs_text(n.inputs), m.list_sep.join(steps), n.basis, where(n.location)]
        for child in n.children:
            yield from visit(child, depth + 1)

    yield from visit(e.root, 0)


def explanation_table(report: Report) -> Table:
    header = [_("Unit id"), _("Level"), _("Indicator id"), _("Indicator"), _("Points"),
              _("Full marks"), _("Points lost"), _("Formula or condition"), _("Inputs"),
              _("Deductions, bonuses, caps"), _("Basis"), _("Source")]

    def rows() -> Iterator[list[Any]]:
        for u in report.units:
            yield from _node_rows(u, u.explanation)

    return Table(_("Explanation"), [header], rows(), [10, 6, 22, 44, 9, 9, 9, 40, 60, 40, 40, 30],
                 {4: "0.00", 5: "0.00", 6: "0.00"}, "E2", wrap=True)


def about_table(report: Report) -> Table:
    rows: list[list[Any]] = [
        [_("Scheme"), report.scheme_id],
        [_("Scheme title"), report.scheme_title],
        [_("Scheme version"), report.scheme_version],
        [_("Scheme file"), report.scheme_file],
        [_("Scheme hash"), report.scheme_hash],
        [_("Facts file"), report.facts_file],
        [_("Facts hash"), report.facts_hash],
        [_("Assessment period"), report.period],
        [_("Units evaluated"), len(report.units)],
        [_("Units not evaluated"), marks().enum_sep.join(report.skipped) or _("none")],
        [_("Rank in category"), _("By total, highest first; equal totals share a rank and the "
                                  "ranks after them are skipped (e.g. 1, 1, 3)")],
        [_("Index (%)"), _("The points of the applicable criteria that carry the tag ÷ their "
                           "full marks × 100, to 1 decimal place; deductions and bonuses on "
                           "groups or on the total are not counted")],
    ]
    return Table(_("About"), [[_("Item"), _("Content")]], rows, [14, 90])


def workbook_tables(report: Report) -> list[Table]:
    return [summary_table(report), points_table(report), rules_table(report),
            explanation_table(report), about_table(report)]
