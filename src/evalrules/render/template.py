"""The fill-in workbook for a scheme's facts (`evalrules template`).

Sheets: 填表说明 (instructions, the scheme's id and version, the period to fill in, and every
fact explained), 单位 (one row per unit: labels in row 1, ids in row 2 for reading back), one
sheet per list fact, and a hidden `_lists` sheet holding the drop-down choices. Each fact column
carries a note (type, unit, range, default, source, description) and Excel data validation
(whole numbers, decimals and dates within the declared range, drop-down lists for categories,
booleans and enums). The reader is evalrules.tablefacts; docs/spreadsheets.md shows the layout.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Fact, Field, Scheme
from ..numeric import plain
from ..tablefacts import (
    INSTRUCTION_SHEETS,
    MAIN_SHEETS,
    REASON,
    REASON_LABEL,
    RECORD_KEY,
    UNIT_COLUMNS,
)
from ..workbook import Sheet, Validation, column_letter, sheet_title, write_workbook

DEFAULT_ROWS = 1000
TYPE_WORDS = {
    "integer": "整数", "number": "数值", "boolean": "是/否", "enum": "选项", "date": "日期",
    "text": "文本", "list": "清单", "discretionary": "酌情分值（须填理由）",
}
SOURCE_WORDS = {"online": "线上（平台数据）", "offline": "线下（质量验收）"}
LISTS_SHEET = "_lists"
BOOLEAN_CHOICES = ("是", "否")
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 31)


def _width(text: str) -> float:
    size = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return float(min(max(size + 2, 10), 40))


def _range_text(decl: Fact | Field) -> str:
    if decl.min is None and decl.max is None:
        return ""
    low = plain(decl.min) if decl.min is not None else "…"
    high = plain(decl.max) if decl.max is not None else "…"
    return f"{low} – {high}"


def _default_text(fact: Fact) -> str:
    if not fact.has_default:
        return "必填" if fact.required else "可不填"
    value = fact.default
    if isinstance(value, bool):
        return "否" if not value else "是"
    if value in (None, []):
        return "无（不填即为空）"
    if fact.type == "enum":
        return dict(fact.values).get(str(value), str(value))
    if isinstance(value, dict):
        value = value.get("value")
    return str(value)


def _note(decl: Fact | Field, column_id: str) -> str:
    lines = [decl.label, f"id: {column_id}", f"类型：{TYPE_WORDS.get(decl.type, decl.type)}"]
    if decl.unit:
        lines.append(f"单位：{decl.unit}")
    if decl.type == "enum":
        lines.append("可选：" + "、".join(label for _, label in decl.values))
    elif decl.type == "boolean":
        lines.append("填：是 / 否")
    elif decl.type == "date":
        lines.append("格式：2024-03-31")
    span = _range_text(decl)
    if span:
        lines.append(f"取值范围：{span}")
    if isinstance(decl, Fact):
        lines.append(f"默认：{_default_text(decl)}")
        if decl.source:
            lines.append(f"来源：{SOURCE_WORDS.get(decl.source, decl.source)}")
        if decl.description:
            lines.append(f"说明：{decl.description}")
    return "\n".join(lines)


@dataclass
class _Choices:
    """The hidden sheet of drop-down choices: one column per list of choices."""

    columns: list[tuple[str, Sequence[str]]]

    def ref(self, name: str, choices: Sequence[str]) -> str:
        names = [key for key, _ in self.columns]
        if name not in names:
            self.columns.append((name, choices))
            names.append(name)
        letter = column_letter(names.index(name) + 1)
        return f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"

    def sheet(self) -> Sheet:
        height = max((len(c) for _, c in self.columns), default=0)
        rows = [[choices[r] if r < len(choices) else None for _, choices in self.columns]
                for r in range(height)]
        return Sheet(LISTS_SHEET, header=[[name for name, _ in self.columns]], rows=rows,
                     hidden=True)


def _validation(decl: Fact | Field, cells: str, choices: _Choices, key: str) -> Validation | None:
    title = decl.label[:32]
    span = _range_text(decl)
    if decl.type in ("integer", "number", "discretionary"):
        kind = "whole" if decl.type == "integer" else "decimal"
        word = "整数" if decl.type == "integer" else "数值"
        message = f"请填{word}" + (f"，范围 {span}" if span else "") + \
            (f"（单位：{decl.unit}）" if decl.unit else "")
        return Validation(kind, cells, decl.min, decl.max, title=title, message=message)
    if decl.type == "date":
        return Validation("date", cells, EARLIEST, LATEST, title=title,
                          message="请填日期，如 2024-03-31")
    if decl.type == "boolean":
        return Validation("list", cells, options=choices.ref("是否", BOOLEAN_CHOICES),
                          title=title, message="请选择 是 或 否")
    if decl.type == "enum":
        labels = [label for _, label in decl.values]
        return Validation("list", cells, options=choices.ref(key, labels), title=title,
                          message="请从下拉列表中选择：" + "、".join(labels))
    return None


def template_sheets(scheme: Scheme, rows: int = DEFAULT_ROWS) -> list[Sheet]:
    """The sheets of the fill-in workbook, in order."""
    choices = _Choices([])
    first, last = 3, 2 + rows
    # ---- the units sheet
    labels = [UNIT_COLUMNS["id"], UNIT_COLUMNS["name"], UNIT_COLUMNS["category"]]
    ids = ["id", "name", "category"]
    notes = {(1, 1): "单位编号\nid: id\n必填，每个单位唯一",
             (1, 2): "单位名称\nid: name",
             (1, 3): "单位类别\nid: category\n可选：" + "、".join(c.label
                                                              for c in scheme.categories)}
    category_labels = [c.label for c in scheme.categories]
    validations = [Validation("list", f"C{first}:C{last}",
                              options=choices.ref("category", category_labels), title="单位类别",
                              message="请从下拉列表中选择单位类别")]
    for fact in scheme.facts:
        if fact.is_list:
            continue
        labels.append(fact.label)
        ids.append(fact.id)
        col = len(ids)
        letter = column_letter(col)
        notes[(1, col)] = _note(fact, fact.id)
        check = _validation(fact, f"{letter}{first}:{letter}{last}", choices, fact.id)
        if check is not None:
            validations.append(check)
        if fact.type == "discretionary":
            labels.append(fact.label + REASON_LABEL)
            ids.append(fact.id + REASON)
            notes[(1, len(ids))] = (f"{fact.label}{REASON_LABEL}\nid: {fact.id}{REASON}\n"
                                    "分值不为0时必须写明理由")
    sheets = [_instructions(scheme)]
    sheets.append(Sheet(MAIN_SHEETS[0], header=[labels, ids], widths=[_width(t) for t in labels],
                        freeze="D3", notes=notes, validations=validations,
                        muted_rows=frozenset({2})))
    # ---- one sheet per list fact
    taken = [MAIN_SHEETS[0], INSTRUCTION_SHEETS[0], LISTS_SHEET]
    for fact in scheme.facts:
        if not fact.is_list:
            continue
        title = sheet_title(fact.label, taken)
        taken.append(title)
        f_labels = [RECORD_KEY[1]] + [f.label for f in fact.fields]
        f_ids = [RECORD_KEY[0]] + [f.id for f in fact.fields]
        f_notes = {(1, 1): f"单位编号\nid: {RECORD_KEY[0]}\n与“单位”表的单位编号一致；"
                   f"每条记录一行，一个单位可有多行\n{fact.label}：{fact.description}".rstrip("：")}
        f_checks = []
        for i, fld in enumerate(fact.fields, start=2):
            f_notes[(1, i)] = _note(fld, fld.id)
            letter = column_letter(i)
            check = _validation(fld, f"{letter}{first}:{letter}{last}", choices,
                                f"{fact.id}.{fld.id}")
            if check is not None:
                f_checks.append(check)
        sheets.append(Sheet(title, header=[f_labels, f_ids],
                            widths=[_width(t) for t in f_labels], freeze="B3", notes=f_notes,
                            validations=f_checks, muted_rows=frozenset({2})))
    sheets.append(choices.sheet())
    return sheets


def _instructions(scheme: Scheme) -> Sheet:
    rows: list[list[object]] = [
        ["方案 (scheme)", scheme.id],
        ["方案名称", scheme.title],
        ["方案版本 (version)", scheme.version],
        ["考核周期 (period)", None],
        [],
        ["填写说明"],
        ["1", "在“单位”表中每个单位填一行。第1行是事实名称，第2行是事实编号（程序读取用），请勿修改"
              "或删除这两行。"],
        ["2", "单位类别、是/否和选项类事实从下拉列表中选择；日期填 2024-03-31 格式；"
              "数值不带单位。"],
        ["3", "空单元格表示未填报：有默认值的取默认值，必填事实为空时报错，绝不按0计算。"],
        ["4", "请直接填写数值，不要使用公式（含公式的单元格会被拒收）；"
              "从其他表复制时请“选择性粘贴 → 数值”。"],
        ["5", "酌情扣分类事实须在旁边的“理由”列写明理由。"],
        ["6", "清单类事实（如安全生产事故）在各自的工作表中填写，每条记录一行，用单位编号关联；"
              "没有记录的单位不填。"],
        ["7", "填好后运行：evalrules evaluate 方案.yaml 本文件.xlsx -o 报告.html"],
        [],
        ["事实一览"],
        ["名称", "编号", "类型", "单位", "取值范围", "默认", "来源", "说明"],
    ]
    for fact in scheme.facts:
        rows.append([fact.label, fact.id, TYPE_WORDS.get(fact.type, fact.type), fact.unit,
                     _range_text(fact) or ("、".join(label for _, label in fact.values)
                                           if fact.type == "enum" else ""),
                     _default_text(fact), SOURCE_WORDS.get(fact.source, fact.source),
                     fact.description])
    return Sheet(INSTRUCTION_SHEETS[0], header=[[f"{scheme.title} — 事实填报表", None]],
                 rows=rows, widths=[36, 28, 14, 8, 20, 14, 16, 60])


def template_bytes(scheme: Scheme, rows: int = DEFAULT_ROWS) -> bytes:
    """The fill-in workbook as XLSX bytes."""
    return write_workbook(template_sheets(scheme, rows), streaming=False)


__all__ = ["DEFAULT_ROWS", "template_bytes", "template_sheets"]
