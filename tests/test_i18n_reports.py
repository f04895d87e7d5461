"""Reports and explanations in both languages.

The scheme here is written in English, so that in English output any Chinese character is a
fault of evalrules (a word or punctuation left untranslated). In Chinese, the words are those
the goldens hold.
"""

from __future__ import annotations

import csv
import io
import re
import tokenize
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import evalrules
from evalrules import i18n
from evalrules.render.html import report_html
from evalrules.render.markdown import results_markdown
from evalrules.render.tables import workbook_tables
from evalrules.render.template import template_bytes
from evalrules.render.text import format_diagnostics, format_explanation, format_results
from evalrules.summary import summarize

from .conftest import ROOT

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")

ENGLISH_SCHEME = """\
evalrules: 1
id: en
title: English test scheme
version: "1"
scale: 100
total: {label: Total score}
categories:
  - {id: production, label: Production}
  - {id: office, label: Office}
facts:
  - {id: meetings, label: Meetings held, type: integer, min: 0, unit: times, source: online,
     description: Branch meetings in the period}
  - {id: hours, label: Training hours, type: number, min: 0, max: 100, unit: h}
  - {id: ok, label: Basics in order, type: boolean, default: true}
  - {id: late_items, label: Late items, type: integer, min: 0, default: 0}
  - {id: cases, label: Discipline cases, type: integer, min: 0, default: 0}
  - {id: discretion, label: Discretionary deduction, type: discretionary, min: 0, max: 3,
     default: 0}
  - {id: accident, label: Major accident, type: boolean, default: false}
  - id: grade
    label: Branch grade
    type: enum
    values: [{id: a, label: Grade A}, {id: b, label: Grade B}]
    default: a
  - id: incidents
    label: Incidents
    type: list
    default: []
    fields:
      - {id: persons, label: Persons involved, type: integer, min: 0}
derived:
  - {id: rate, label: Meeting rate, unit: "%", formula: "min(meetings, 12) / 12 * 100"}
indicators:
  - id: work
    label: Branch work
    max: 100
    children:
      - {id: meet, label: Meetings, max: 30, points: "min(meetings, 12) / 12 * full",
         basis: Branch work rules, tags: [star_team, star_brand]}
      - {id: train, label: Training, max: 30, points: "ratio(hours, 14, cap=1) * full",
         tags: [star_team, star_service]}
      - {id: basics, label: Basics, max: 30, when: ok, tags: [star_team, star_brand, star_service]}
      - {id: study, label: Further study, max: 10, applicable: "hours > 15", points: 10}
deductions:
  - {id: late, label: Late submission, points: 0.5, per: late_items, cap: 3, applies_to: meet}
  - {id: disc, label: Discretionary, points: discretion, range: [0, 3], cap: 3,
     applies_to: train}
  - {id: inc, label: Incident persons, points: 2, per: "sum(incidents, 'persons')", cap: none}
bonuses:
  - {id: extra, label: Extra meetings, points: 1, when: "meetings > 12"}
vetoes:
  - {id: v_accident, label: Major accident, when: accident, reason: Vetoed by a major accident,
     effects: [{rating: stars, set: "1"}, {no_award: true}]}
ratings:
  - id: stars
    label: Stars
    levels:
      - {id: "5", label: Five stars, range: "[90, +inf)", when: "cases == 0"}
      - {id: "4", label: Four stars, range: "[80, 90)"}
      - {id: "1", label: One star, range: "(-inf, 80)"}
"""

UNITS: list[dict[str, Any]] = [
    {"id": "U1", "name": "First branch", "category": "production",
     "facts": {"meetings": 13, "hours": 7, "late_items": 3, "cases": 1,
               "discretion": {"value": 2, "reason": "records incomplete"},
               "incidents": [{"persons": 1}]}},
    {"id": "U2", "name": "Second branch", "category": "office",
     "facts": {"meetings": 12, "hours": 20, "ok": False, "accident": True}},
    {"id": "U3", "name": "", "category": "office", "facts": {"meetings": 6, "hours": 14}},
]


@pytest.fixture(scope="module")
def english() -> evalrules.CompiledScheme:
    return evalrules.load_scheme(ENGLISH_SCHEME)


def _results(scheme: evalrules.CompiledScheme) -> list[evalrules.Result]:
    return [scheme.evaluate(unit) for unit in UNITS]


def _report(scheme: evalrules.CompiledScheme) -> Any:
    return summarize(scheme.model, _results(scheme), scheme_hash=scheme.hash,
                     facts_file="facts.yaml", facts_hash="sha256:0", period="2024-Q1")


def _no_cjk(text: str) -> None:
    found = sorted(set(CJK.findall(text)))
    assert not found, f"Chinese characters in English output: {found}\n{text[:3000]}"


# ----------------------------------------------------------------------------------------------
# The explanation


@pytest.mark.lang("en_US")
def test_english_explanation_has_no_chinese(english: evalrules.CompiledScheme) -> None:
    for result in _results(english):
        text = format_explanation(result.explain())
        _no_cjk(text)
        _no_cjk(format_explanation(result.explain(), "meet"))
    first = format_explanation(_results(english)[0].explain())
    assert first.startswith("Explanation: U1 First branch (Production)\n")
    assert "Total: " in first and "Deductions and bonuses:" in first
    assert "Condition: " in first or "Formula: " in first
    assert "Discretionary deduction(discretion)=2 [reason: records incomplete]" in first
    assert "Meetings held(meetings)=13 times" in first  # an English unit word takes a space
    assert "1 record: [persons=1]" in first
    assert "Meeting rate [rate] = 100%" in first
    assert "Basis: Branch work rules" in first and "Source: " in first
    unnamed = format_explanation(_results(english)[2].explain())
    assert unnamed.startswith("Explanation: U3 (Office)\n")
    vetoed = format_explanation(_results(english)[1].explain())
    assert "Vetoes:" in vetoed and "not eligible for awards" in vetoed
    assert "Veto Major accident [v_accident]: Vetoed by a major accident" in vetoed
    assert "not applicable (its condition does not hold)" in first


def test_chinese_explanation_keeps_its_words(english: evalrules.CompiledScheme) -> None:
    first = format_explanation(_results(english)[0].explain())
    assert first.startswith("评价说明：U1 First branch（Production）\n")
    assert "Discretionary deduction(discretion)=2〔理由：records incomplete〕" in first
    assert "Meetings held(meetings)=13times" in first
    assert "1条记录：〔persons=1〕" in first
    assert "扣分与加分：" in first and "总分：" in first and "依据：Branch work rules" in first
    assert format_explanation(_results(english)[2].explain()).startswith(
        "评价说明：U3（Office）\n")


def test_the_same_explanation_in_both_languages(english: evalrules.CompiledScheme) -> None:
    """One explanation, the language chosen in code: same lines, same figures."""
    explanation = _results(english)[0].explain()
    with i18n.language("en_US"):
        en = format_explanation(explanation).splitlines()
    with i18n.language("zh_CN"):
        zh = format_explanation(explanation).splitlines()
    assert len(en) == len(zh)
    numbers = re.compile(r"\d+(?:\.\d+)?")
    assert [numbers.findall(line) for line in en] == [numbers.findall(line) for line in zh]


@pytest.mark.lang("en_US")
def test_english_results_table(english: evalrules.CompiledScheme) -> None:
    table = format_results(_results(english), english.model)
    _no_cjk(table)
    assert table.splitlines()[0].split()[:4] == ["Unit", "Name", "Category", "Total"]


def test_diagnostic_help_and_counts_in_both_languages() -> None:
    from evalrules.diagnostics import Diagnostic, Location, Severity

    d = Diagnostic("M201", "duplicate-id", Severity.ERROR, "the id `a` is used twice",
                   Location("s.yaml", 3, 5), "rename one", (Location("s.yaml", 2, 5),))
    with i18n.language("en_US"):
        assert format_diagnostics([d]) == ("s.yaml:3:5: M201 duplicate-id: the id `a` is used "
                                           "twice\n  help: rename one\n  see: s.yaml:2:5\n"
                                           "1 error(s), 0 warning(s)")
    with i18n.language("zh_CN"):
        text = format_diagnostics([d])
    assert "\n  提示：rename one\n  参见：s.yaml:2:5\n1 个错误，0 个警告" in text


@pytest.mark.parametrize(("lang", "message"), [
    ("en_US", "division by zero in `10 / n`"),
    ("zh_CN", "`10 / n` 中除数为零"),
])
def test_evaluation_error_in_both_languages(lang: str, message: str) -> None:
    scheme = evalrules.load_scheme(ENGLISH_SCHEME.replace(
        '"min(meetings, 12) / 12 * full"', '"10 / late_items"'))
    with i18n.language(lang), pytest.raises(evalrules.EvaluationError) as info:
        scheme.evaluate(UNITS[1])
    assert message.replace("10 / n", "10 / late_items") in str(info.value)


# ----------------------------------------------------------------------------------------------
# The HTML report and the tables


@pytest.mark.lang("en_US")
def test_english_html_report_has_no_chinese(english: evalrules.CompiledScheme) -> None:
    page = report_html(_report(english))
    _no_cjk(page)
    assert '<html lang="en">' in page
    assert "<title>English test scheme — evaluation report</title>" in page
    assert 'data-text="Showing {shown} / 3 units"' in page
    assert "Expand all details" in page and ">Overview<" in page and "3 units" in page
    assert "Star team" in page and "Rank in category" in page


def test_chinese_html_report(english: evalrules.CompiledScheme) -> None:
    page = report_html(_report(english))
    assert '<html lang="zh-CN">' in page
    assert 'data-text="显示 {shown} / 3 个单位"' in page
    assert "<title>English test scheme — 评价报告</title>" in page
    for words in ("展开全部明细", "总览", "等级分布", "单位评价明细", "星级队伍", "类别内排名",
                  "取消评优资格", "方案哈希", "3 个单位"):
        assert words in page


@pytest.mark.lang("en_US")
def test_english_workbook_markdown_and_csv_have_no_chinese(
        english: evalrules.CompiledScheme) -> None:
    report = _report(english)
    for table in workbook_tables(report):
        _no_cjk(table.title)
        for row in [*table.header, *table.rows]:
            _no_cjk(" | ".join("" if v is None else str(v) for v in row))
    titles = [t.title for t in workbook_tables(report)]
    assert titles == ["Summary", "Points by indicator", "Deductions, bonuses, vetoes",
                      "Explanation", "About"]
    assert all(len(t) <= 31 for t in titles)  # an Excel sheet name
    _no_cjk(results_markdown(report))
    from evalrules.render.csvout import results_csv

    rows = list(csv.reader(io.StringIO(results_csv(report).decode("utf-8-sig"))))
    _no_cjk(" ".join(rows[0]))
    assert rows[0][:4] == ["Unit id", "Unit name", "Category", "Total"]
    assert rows[0][-1] == "Further study [study]"


# ----------------------------------------------------------------------------------------------
# The fill-in template


def _fill(path: Path, scheme: evalrules.CompiledScheme, true: str) -> Path:
    book = openpyxl.load_workbook(path)
    units = book.worksheets[1]
    columns = {cell.value: cell.column for cell in units[2] if cell.value}
    for r, unit in enumerate(UNITS[1:], start=3):
        units.cell(r, columns["id"], unit["id"])
        units.cell(r, columns["name"], unit["name"])
        units.cell(r, columns["category"], unit["category"])
        for key, value in unit["facts"].items():
            units.cell(r, columns[key], true if value is True else value)
    out = path.with_name("filled.xlsx")
    book.save(out)
    return out


@pytest.mark.parametrize(("lang", "sheets", "true"), [
    ("en_US", ["instructions", "units", "Incidents", "_lists"], "true"),
    ("zh_CN", ["填表说明", "单位", "Incidents", "_lists"], "是"),
])
def test_template_in_either_language_reads_back(english: evalrules.CompiledScheme,
                                                tmp_path: Path, lang: str, sheets: list[str],
                                                true: str) -> None:
    with i18n.language(lang):
        data = template_bytes(english.model, rows=20)
    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == sheets
    text = []
    for sheet in book.worksheets[:3]:
        for row in sheet.iter_rows(values_only=True):
            text += [str(v) for v in row if v is not None]
        text += [c.comment.text for row in sheet.iter_rows() for c in row if c.comment]
    if lang == "en_US":
        _no_cjk("\n".join(text))
        assert book["instructions"]["A2"].value == "scheme (the scheme's id)"
    else:
        assert book["填表说明"]["A2"].value == "方案 (scheme)"
    book["instructions" if lang == "en_US" else "填表说明"]["B5"] = "2024-Q1"
    book.save(path)
    facts = english.read_facts(_fill(path, english, true))
    got = {s.id: english.evaluate(s).total for s in facts.units}
    want = {u["id"]: english.evaluate(u).total for u in UNITS[1:]}
    assert got == want and facts.period == "2024-Q1"


# ----------------------------------------------------------------------------------------------
# The catalog sees every message


def test_no_message_is_marked_inside_an_f_string() -> None:
    """Babel cannot read `_()` inside an f-string: such a message would never be translated."""
    files = [*sorted((ROOT / "src" / "evalrules" / "render").glob("*.py")),
             *[ROOT / "src" / "evalrules" / name
               for name in ("explain.py", "summary.py", "evaluate.py")]]
    marked = re.compile(r"\b(?:_|N_|gettext|ngettext)\(")
    found = []
    for path in files:
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                prefix = re.match(r"[A-Za-z]*", token.string)
                if (token.type == tokenize.STRING and prefix and "f" in prefix.group(0).lower()
                        and marked.search(token.string)):
                    found.append(f"{path.name}:{token.start[0]}")
    assert not found, found


def test_points_unit_follows_the_language(english: evalrules.CompiledScheme) -> None:
    result = english.evaluate(UNITS[0])
    with i18n.language("en_US"):
        en = {i.name: i.unit for n in result.explain().root.walk() for i in n.inputs}
    zh = {i.name: i.unit for n in result.explain().root.walk() for i in n.inputs}
    assert en.get("full") == "points" and zh.get("full") == "分"
    assert Decimal(0) <= result.total
