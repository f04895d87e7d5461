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
from ..numeric import plain
from ..summary import Report, UnitSummary
from .text import WORDS, inputs_text, where

KIND_WORDS = {"deduction": "扣分", "bonus": "加分", "veto": "否决", "quota": "名额限制"}
STATUS_WORDS = {"applied": "已扣/加", "limited": "受上下限限制", "superseded": "就高原则被取代",
                "fired": "已触发"}
NOT_APPLICABLE = "不适用"


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
    return ["单位编号", "单位名称", "类别", "总分", *[label for _, label in report.ratings],
            "类别内排名", "类别单位数", "评优资格", *[f"{label}(%)" for _, label in report.tags],
            "触发的扣分、加分、否决"]


def summary_row(u: UnitSummary) -> list[Any]:
    return [u.unit, u.name, u.category_label, u.total,
            *[lv.label or WORDS["no_level"] for lv in u.levels],
            u.rank, u.rank_of, WORDS["yes"] if u.award_eligible else WORDS["no"],
            *[i.percent for i in u.indices],
            "、".join(f"{r.label}[{r.id}]" for r in u.fired if r.status != "superseded")]


def summary_table(report: Report) -> Table:
    header = summary_header(report)
    first_index = 7 + len(report.ratings)
    formats = {3: "0.00", first_index - 3: "0", first_index - 2: "0"}
    formats.update({first_index + k: "0.0" for k in range(len(report.tags))})
    widths = [10, 28, 12, 9, *[10] * len(report.ratings), 10, 10, 9,
              *[11] * len(report.tags), 48]
    return Table("汇总", [header], [summary_row(u) for u in report.units], widths, formats,
                 "C2")


def points_table(report: Report) -> Table:
    labels = ["单位编号", "单位名称", "类别", *[n.label for n in report.nodes]]
    ids = ["unit", "name", "category", *[n.id for n in report.nodes]]
    rows = []
    for u in report.units:
        points = {n.id: n.points for n in u.explanation.root.walk()}
        applicable = {n.id: n.applicable for n in u.explanation.root.walk()}
        row: list[Any] = [u.unit, u.name, u.category_label]
        for n in report.nodes:
            if n.id not in applicable or not applicable[n.id]:
                row.append(NOT_APPLICABLE)
            else:
                row.append(points[n.id])
        rows.append(row)
    formats = {3 + i: "0.00" for i in range(len(report.nodes))}
    widths = [10, 28, 12, *[12] * len(report.nodes)]
    return Table("指标得分", [labels, ids], rows, widths, formats, "D3")


def rules_table(report: Report) -> Table:
    header = ["单位编号", "单位名称", "类别", "类型", "规则编号", "规则", "作用于", "应扣/加分",
              "实扣/加分", "状态", "说明", "依据", "来源"]
    rows = []
    for u in report.units:
        for r in u.fired:
            detail = r.detail
            if r.status == "superseded" and detail:
                detail = f"由 {detail} 取代"
            rows.append([u.unit, u.name, u.category_label, KIND_WORDS.get(r.kind, r.kind), r.id,
                         r.label, r.target_label, r.requested, r.applied,
                         STATUS_WORDS.get(r.status, r.status), detail, r.basis,
                         where(r.location)])
    return Table("扣分加分否决", [header], rows, [10, 24, 12, 6, 20, 30, 18, 10, 10, 14, 40, 36,
                                                 30], {7: "0.00", 8: "0.00"}, "C2", wrap=True)


def _node_rows(u: UnitSummary, e: Explanation) -> Iterator[list[Any]]:
    def visit(n: ExplainedNode, depth: int) -> Iterator[list[Any]]:
        if not n.applicable:
            why = WORDS["na_category"] if n.not_applicable == "category" else \
                WORDS["na_condition"]
            yield [u.unit, depth, n.id, "　" * depth + n.label, NOT_APPLICABLE, n.max, None,
                   n.formula, inputs_text(n.inputs), why, n.basis, where(n.location)]
            return
        steps = []
        for line in n.lines:
            if line.kind in ("deduction", "bonus", "veto"):
                word = WORDS["veto_zero"] if line.kind == "veto" else WORDS[line.kind]
                text = f"{word} {plain(line.amount)} {line.label}[{line.ref}]"
                if line.requested is not None:
                    text += f"（{WORDS['asked']}{plain(line.requested)}，{WORDS['limited']}）"
                steps.append(text)
            elif line.kind in ("cap", "floor"):
                steps.append(f"{WORDS[line.kind]} {plain(line.amount)}")
        formula = n.formula
        if n.condition is not None:
            formula = f"{WORDS['condition']}：{n.formula} → " + (WORDS["holds"] if n.condition
                                                               else WORDS["fails"])
        yield [u.unit, depth, n.id, "　" * depth + n.label, n.points, n.max, n.lost, formula,
               inputs_text(n.inputs), "；".join(steps), n.basis, where(n.location)]
        for child in n.children:
            yield from visit(child, depth + 1)

    yield from visit(e.root, 0)


def explanation_table(report: Report) -> Table:
    header = ["单位编号", "层级", "指标编号", "指标", "得分", "满分", "失分", "公式或条件",
              "取值", "扣分、加分、封顶", "依据", "来源"]

    def rows() -> Iterator[list[Any]]:
        for u in report.units:
            yield from _node_rows(u, u.explanation)

    return Table("评价说明", [header], rows(), [10, 6, 22, 44, 9, 9, 9, 40, 60, 40, 40, 30],
                 {4: "0.00", 5: "0.00", 6: "0.00"}, "E2", wrap=True)


def about_table(report: Report) -> Table:
    rows: list[list[Any]] = [
        ["方案", report.scheme_id],
        ["方案名称", report.scheme_title],
        ["方案版本", report.scheme_version],
        ["方案文件", report.scheme_file],
        ["方案哈希", report.scheme_hash],
        ["事实文件", report.facts_file],
        ["事实哈希", report.facts_hash],
        ["考核周期", report.period],
        ["评价单位数", len(report.units)],
        ["未评价单位", "、".join(report.skipped) or "无"],
        ["类别内排名", "按总分从高到低；总分相同者并列，其后名次顺延（如 1、1、3）"],
        ["指数(%)", "带该标签的适用末级指标得分之和 ÷ 其满分之和 × 100，保留1位小数；"
                   "作用于上级指标或总分的扣分、加分不计入"],
    ]
    return Table("说明", [["项目", "内容"]], rows, [14, 90])


def workbook_tables(report: Report) -> list[Table]:
    return [summary_table(report), points_table(report), rules_table(report),
            explanation_table(report), about_table(report)]
