"""Results as Markdown: the summary table, the distribution of levels, the rules that fired.

Cells are escaped: `|` and line breaks cannot break the table, and `<`, `>`, `&` are written
as entities so that no text becomes HTML in a viewer that renders it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..summary import Report
from .tables import KIND_WORDS, summary_header, summary_row


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
    out = [f"# {cell(report.scheme_title)}", "",
           f"方案 {cell(report.scheme_id)} 版本 {cell(report.scheme_version)}"
           + (f" · 考核周期 {cell(report.period)}" if report.period else "")
           + f" · {len(report.units)} 个单位", ""]
    out += ["## 汇总", ""]
    out += _table(summary_header(report), [summary_row(u) for u in report.units])
    for d in report.distributions:
        out += ["", f"## {cell(d.label)}分布", ""]
        labels = dict(report.categories)
        rows = [[labels.get(c, c), *counts, sum(counts)] for c, counts in d.counts]
        rows.append(["合计", *d.totals, sum(d.totals)])
        out += _table(["类别", *[label for _, label in d.levels], "合计"], rows)
    fired = [(u, r) for u in report.units for r in u.fired]
    if fired:
        out += ["", "## 触发的扣分、加分、否决", ""]
        rows = [[u.unit, u.name, KIND_WORDS.get(r.kind, r.kind), f"{r.label} [{r.id}]",
                 r.applied if r.applied is not None else "", r.detail] for u, r in fired]
        out += _table(["单位编号", "单位名称", "类型", "规则", "实扣/加分", "说明"], rows)
    if report.skipped:
        out += ["", "## 未评价（事实有误）", "", "、".join(cell(s) for s in report.skipped)]
    out += ["", "---", "",
            f"方案哈希 `{report.scheme_hash}` · 事实文件 {cell(report.facts_file)} · "
            f"事实哈希 `{report.facts_hash}`", ""]
    return "\n".join(out)
