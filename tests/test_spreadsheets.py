"""Spreadsheets in, results out: real XLSX and CSV files, written and read back."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import pty
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import evalrules
from evalrules.facts import check_facts_file
from evalrules.model import Fact
from evalrules.tablefacts import EMPTY, coerce
from evalrules.workbook import CellValue

from .conftest import ROOT, build, invoke
from .sheets import fill_template

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"
FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"
HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def scheme() -> evalrules.CompiledScheme:
    return evalrules.load_scheme(SCHEME)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory,
           scheme: evalrules.CompiledScheme) -> Path:
    """`evalrules template`, then the 25 example branches typed in with openpyxl."""
    folder = tmp_path_factory.mktemp("filled")
    template = folder / "template.xlsx"
    code, _, err = invoke("template", SCHEME, "-o", template)
    assert code == 0, err
    out = folder / "facts.xlsx"
    fill_template(template, FACTS, scheme, out)
    return out


def _outcome(results: list[evalrules.Result]) -> dict[str, Any]:
    return {r.unit: (r.total, dict(r.points), dict(r.ratings), r.fired, r.award_eligible)
            for r in results}


# ----------------------------------------------------------------------------------------------
# The template


def test_template_has_labels_ids_notes_validation_and_a_sheet_per_list(tmp_path: Path) -> None:
    out = tmp_path / "facts.xlsx"
    assert invoke("template", SCHEME, "-o", out)[0] == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["填表说明", "单位"]
    assert {"安全生产事故", "上级党委下达的重点工作任务", "本季度获得的荣誉",
            "党员受党纪处分情况"} <= set(book.sheetnames)
    assert book["_lists"].sheet_state == "hidden"
    units = book["单位"]
    labels = [c.value for c in units[1]]
    ids = [c.value for c in units[2]]
    assert labels[:4] == ["单位编号", "单位名称", "单位类别", "正式党员人数"]
    assert ids[:4] == ["id", "name", "category", "full_members"]
    assert "dues_discretion.reason" in ids
    assert labels[ids.index("dues_discretion.reason")] == "党费收缴管理不规范酌情扣分 理由"
    assert "incidents" not in ids  # list facts have sheets of their own
    assert units.freeze_panes == "D3"
    note = units.cell(1, ids.index("full_members") + 1).comment.text
    assert "单位：人" in note and "取值范围：0 – 500" in note and "id: full_members" in note
    checks = {str(dv.sqref): dv for dv in units.data_validations.dataValidation}
    col = openpyxl.utils.get_column_letter(ids.index("full_members") + 1)
    whole = checks[f"{col}3:{col}1002"]
    assert (whole.type, whole.formula1, whole.formula2) == ("whole", "0", "500")
    col = openpyxl.utils.get_column_letter(ids.index("brand_level") + 1)
    drop = checks[f"{col}3:{col}1002"]
    assert drop.type == "list" and drop.formula1.startswith("'_lists'!")
    choices = [c.value for c in book["_lists"]["A"] if c.value]
    assert choices[1:] == ["生产类", "辅助类", "综合管理类", "市场经营类", "非公改制类"]
    settings = {r[0].value: r[1].value for r in book["填表说明"].iter_rows(min_row=2, max_row=5)}
    assert settings["方案 (scheme)"] == "star-branch-5521"


def test_template_refuses_other_extensions(tmp_path: Path) -> None:
    code, _, err = invoke("template", SCHEME, "-o", tmp_path / "facts.csv")
    assert code == 2 and ".xlsx" in err


# ----------------------------------------------------------------------------------------------
# Facts in


def test_filled_template_gives_the_results_of_the_yaml_facts(
        filled: Path, scheme: evalrules.CompiledScheme) -> None:
    from_yaml = [scheme.evaluate(u) for u in scheme.read_facts(FACTS).units]
    data = scheme.read_facts(filled)
    assert [u.id for u in data.units] == [r.unit for r in from_yaml]
    assert _outcome([scheme.evaluate(u) for u in data.units]) == _outcome(from_yaml)
    b24 = next(u for u in data.units if u.id == "B24")
    assert b24.values["dues_discretion"] == 1 and "党费" in b24.reasons["dues_discretion"]


def _broken(filled: Path, tmp_path: Path, edits: dict[tuple[int, str], Any]) -> Path:
    book = openpyxl.load_workbook(filled)
    sheet = book["单位"]
    columns = {c.value: c.column for c in sheet[2] if c.value}
    for (row, key), value in edits.items():
        sheet.cell(row, columns[key]).value = value
    out = tmp_path / "facts.xlsx"
    book.save(out)
    return out


@pytest.mark.lang("en_US")  # quotes English diagnostics
def test_every_bad_cell_is_reported_at_once_with_sheet_row_column_unit_and_fact(
        filled: Path, tmp_path: Path) -> None:
    path = _broken(filled, tmp_path, {
        (5, "committee_meetings"): "=1+2",        # B03: a formula
        (6, "dual_org_life_done"): "也许",         # B04: not a boolean
        (7, "full_members"): "十二",               # B05: text for a number
        (8, "brand_level"): "国家级",              # B06: not an option
        (9, "general_meetings"): None,            # B07: a required fact left empty
        (10, "dues_discretion"): 2,               # B08: discretionary without a reason
        (11, "records_uploaded"): 9999,           # B09: out of range
    })
    code, out, err = invoke("evaluate", SCHEME, path)
    assert code == 4 and out == ""
    name = str(path)
    lines = [line for line in err.splitlines() if line.startswith(name)]
    col = {c.value: c.column for c in openpyxl.load_workbook(filled)["单位"][2] if c.value}
    expected = [
        (5, "committee_meetings", "D509", "unit B03", "the formula =1+2"),
        (6, "dual_org_life_done", "D503", "unit B04", "expected true or false"),
        (7, "full_members", "D503", "unit B05", "not the text '十二'"),
        (8, "brand_level", "D503", "unit B06", "expected one of none, company"),
        (9, "general_meetings", "D501", "unit B07", "required fact `general_meetings`"),
        (10, "dues_discretion", "D505", "unit B08", "without a justification"),
        (11, "records_uploaded", "D503", "unit B09", "is 9999, outside [0, 500]"),
    ]
    for (row, fact, code_, unit, words), line in zip(expected, lines, strict=True):
        assert line.startswith(f"{name}[单位]:{row}:{col[fact]}: {code_} "), line
        assert f"{unit}: " in line and fact in line and words in line, line
    assert "help: type 是 or 否" in err and "7 error(s)" in err


def test_skip_invalid_evaluates_the_valid_units_and_lists_the_others(
        filled: Path, tmp_path: Path) -> None:
    path = _broken(filled, tmp_path, {(5, "committee_meetings"): "=SUM(A1:A2)",
                                      (7, "full_members"): -1})
    out = tmp_path / "results.xlsx"
    code, _, err = invoke("evaluate", SCHEME, path, "--skip-invalid", "-o", out)
    assert code == 0, err
    assert "已跳过 2 个有错误的单位（--skip-invalid）：B03, B05" in err
    book = openpyxl.load_workbook(out)
    units = [row[0].value for row in book["汇总"].iter_rows(min_row=2)]
    assert len(units) == 23 and "B03" not in units and "B05" not in units
    assert [row[0].value for row in book["未评价"].iter_rows(min_row=2)] == ["B03", "B05"]


@pytest.mark.lang("en_US")
def test_file_level_problems_block_even_with_skip_invalid(filled: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(filled)
    sheet = book["单位"]
    sheet.cell(1, 80, "备注")
    sheet.cell(2, 80, "remark")
    book["安全生产事故"].append(["B99", "一般", 1, "2024-02-01"])
    book.create_sheet("草稿")
    path = tmp_path / "facts.xlsx"
    book.save(path)
    code, _, err = invoke("evaluate", SCHEME, path, "--skip-invalid")
    assert code == 4
    assert "[单位]:2:80: D502 unknown-fact: unknown column 'remark'" in err  # ids win
    assert "[安全生产事故]:" in err and "unit 'B99', which is not in the units sheet" in err
    assert "did you mean B" in err
    assert "[草稿]: D502 unknown-fact: sheet '草稿' is neither" in err


@pytest.mark.lang("en_US")
def test_a_missing_required_column_is_reported_once(filled: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(filled)
    sheet = book["单位"]
    columns = {c.value: c.column for c in sheet[2] if c.value}
    sheet.delete_cols(columns["general_meetings"])
    path = tmp_path / "facts.xlsx"
    book.save(path)
    code, _, err = invoke("evaluate", SCHEME, path)
    assert code == 4
    assert err.count("general_meetings") == 2  # the message and its hint, once
    assert "required fact 本季度党员大会召开次数 [general_meetings] has no column" in err


def test_hostile_text_never_becomes_a_formula_in_xlsx_or_csv(
        filled: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(filled)
    names = {3: HOSTILE, 4: "@SUM(1+1)*cmd|' /C calc'!A0", 5: "-2+3"}  # B01, B02, B03
    for row, text in names.items():
        cell = book["单位"].cell(row, 2)
        cell.value = text
        cell.data_type = "s"  # typed as text (a formula cell is refused: see D509)
    path = tmp_path / "facts.xlsx"
    book.save(path)
    xlsx, table = tmp_path / "results.xlsx", tmp_path / "results.csv"
    assert invoke("evaluate", SCHEME, path, "-o", xlsx)[0] == 0
    assert invoke("evaluate", SCHEME, path, "-o", table)[0] == 0
    summary = openpyxl.load_workbook(xlsx)["汇总"]
    for row, text in ((2, HOSTILE), (3, "@SUM(1+1)*cmd|' /C calc'!A0"), (4, "-2+3")):
        cell = summary.cell(row, 2)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert summary.cell(5, 2).quotePrefix is False  # ordinary names stay as they are
    rows = list(csv.reader(io.StringIO(table.read_bytes().decode("utf-8-sig"))))
    assert rows[1][1] == "'" + HOSTILE and rows[2][1].startswith("'@") and rows[3][1] == "'-2+3"
    assert rows[1][3] == "100.00"  # numbers stay numbers, negative ones too


def test_results_workbook_sheets_numbers_frozen_headers(filled: Path, tmp_path: Path,
                                                         scheme: evalrules.CompiledScheme
                                                         ) -> None:
    out = tmp_path / "results.xlsx"
    code, _, err = invoke("evaluate", SCHEME, filled, "-o", out)
    assert code == 0 and f"已写入 {out}" in err
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["汇总", "指标得分", "扣分加分否决", "评价说明", "说明"]
    summary = book["汇总"]
    header = [c.value for c in summary[1]]
    assert header[:6] == ["单位编号", "单位名称", "类别", "总分", "星级", "阶梯"]
    assert summary.freeze_panes == "C2" and summary.column_dimensions["B"].width == 28
    rows = {r[0].value: [c.value for c in r] for r in summary.iter_rows(min_row=2)}
    b02 = rows["B02"]
    assert b02[3] == 88.8 and isinstance(b02[3], float)  # a number, not text
    assert summary.cell(3, 4).number_format == "0.00"
    rank = header.index("类别内排名")
    assert (b02[rank], b02[rank + 1]) == (3, 7)
    team = header.index("星级队伍(%)")
    assert rows["B01"][team] == 100 and rows["B07"][team] == 44
    points = book["指标得分"]
    ids = [c.value for c in points[2]]
    assert ids[:4] == ["unit", "name", "category", "total"] and points.freeze_panes == "D3"
    b25 = next(r for r in points.iter_rows(min_row=3, values_only=True) if r[0] == "B25")
    assert b25[ids.index("committee_meetings_held")] == "不适用"
    fired = [r for r in book["扣分加分否决"].iter_rows(min_row=2, values_only=True)]
    b06 = [r for r in fired if r[0] == "B06"]
    assert [(r[3], r[4]) for r in b06] == [("否决", "major_safety_accident")]
    b14 = [r for r in fired if r[0] == "B14" and r[3] == "扣分"]
    assert all(isinstance(r[8], (int, float)) for r in b14)
    explained = list(book["评价说明"].iter_rows(min_row=2, values_only=True))
    assert len(explained) == 25 * len(list(scheme.model.nodes()))
    line = next(r for r in explained if r[0] == "B06" and r[2] == "committee_training")
    assert line[4] == 2.79 and line[6] == 0.21 and "committee_training_hours" in line[7]
    about = {r[0]: r[1] for r in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert about["方案哈希"] == scheme.hash and about["事实哈希"].startswith("sha256:")


@pytest.mark.lang("en_US")
def test_csv_facts_with_labels_and_a_records_file_beside_it(
        filled: Path, tmp_path: Path, scheme: evalrules.CompiledScheme) -> None:
    """CSV as Excel saves it: labels for headers, 是/否, dates like 2024/3/31, GBK text."""
    book = openpyxl.load_workbook(filled, data_only=True)
    units = book["单位"]
    labels = [c.value for c in units[1]]
    ids = [c.value for c in units[2]]
    lines = [labels]
    for row in units.iter_rows(min_row=3, values_only=True):
        if row[0] is None:
            continue
        cells = []
        for key, value in zip(ids, row, strict=True):
            if isinstance(value, dt.datetime):
                value = f"{value.year}/{value.month}/{value.day}"
            elif key == "output_plan" and value is not None:
                value = f"{value:,}"  # thousands separators, as Excel shows them
            cells.append("" if value is None else value)
        lines.append(cells)
    target = tmp_path / "facts.csv"
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    target.write_bytes(text.getvalue().encode("gb18030"))
    sanctions_rows = [["unit", "severity"]]
    for row in book["党员受党纪处分情况"].iter_rows(min_row=3, values_only=True):
        if row[0]:
            sanctions_rows.append([row[0], row[1]])
    text = io.StringIO()
    csv.writer(text).writerows(sanctions_rows)
    (tmp_path / "facts.sanctions.csv").write_text(text.getvalue(), encoding="utf-8-sig")
    checked = check_facts_file(scheme.model, target)
    assert not checked.problems, checked.problems
    yaml_units = {u.id: u for u in scheme.read_facts(FACTS).units}
    for unit in checked.facts.units:
        assert dict(unit.values)["sanctions"] == yaml_units[unit.id].values["sanctions"]
        assert unit.values["output_plan"] == yaml_units[unit.id].values["output_plan"]
    # the other lists were not given: their defaults apply, so B06's major incident is gone
    b06 = next(u for u in checked.facts.units if u.id == "B06")
    assert b06.values["incidents"] == ()
    # the hash covers both files, as `sha256sum facts.csv facts.sanctions.csv | sha256sum`
    listing = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
                      for p in (target, tmp_path / "facts.sanctions.csv"))
    assert checked.facts.digest == "sha256:" + hashlib.sha256(listing.encode()).hexdigest()
    code, _, err = invoke("evaluate", SCHEME, target, "--list",
                          f"incidents={tmp_path / 'none.csv'}")
    assert code == 4 and "cannot read the records of incidents" in err


def test_csv_cells_beginning_with_equals_are_formulas(tmp_path: Path) -> None:
    scheme = build("""
        facts:
          - {id: n, label: 次数, type: integer, min: 0}
          - {id: note, label: 备注, type: text, default: ""}
        indicators:
          - {id: a, label: 甲, max: 10, points: "min(n, 10)"}
    """)
    path = tmp_path / "facts.csv"
    path.write_text("id,category,n,note\nU1,production,=1+1,\nU2,生产类,3,=HYPERLINK()\n"
                    "U3,生产类,4,-见附件-\n", encoding="utf-8")
    checked = check_facts_file(scheme.model, path)
    assert [(str(d.location), d.code) for d in checked.problems] == [
        (f"{path}:2:3", "D509"), (f"{path}:3:4", "D509")]  # CSV cannot tell text from formula
    assert [u.id for u in checked.facts.units] == ["U3"] and checked.skipped == ("U1", "U2")
    assert checked.facts.units[0].values["note"] == "-见附件-"


FACT_INT = Fact("n", "次数", "integer", "次", Decimal(0), Decimal(10), (), (), True, False, None,
                "", "", evalrules.Location())
FACT_PCT = Fact("q", "合格率", "number", "%", Decimal(0), Decimal(100), (), (), True, False,
                None, "", "", evalrules.Location())
FACT_BOOL = Fact("b", "是否", "boolean", "", None, None, (), (), True, False, None, "", "",
                 evalrules.Location())
FACT_ENUM = Fact("e", "级别", "enum", "", None, None, (("city", "市级"), ("5", "五星")), (), True,
                 False, None, "", "", evalrules.Location())
FACT_DATE = Fact("d", "日期", "date", "", None, None, (), (), True, False, None, "", "",
                 evalrules.Location())


@pytest.mark.parametrize(("fact", "value", "fmt", "expected"), [
    (FACT_INT, "12", "General", Decimal("12")),
    (FACT_INT, " 12.50 ", "General", Decimal("12.50")),
    (FACT_INT, "1,234", "General", Decimal("1234")),
    (FACT_INT, "１２", "General", Decimal("12")),
    (FACT_INT, 0.1, "General", Decimal("0.1")),
    (FACT_INT, 7, "General", 7),
    (FACT_INT, "十二", "General", "十二"),
    (FACT_INT, True, "General", True),
    (FACT_PCT, 0.997, "0.0%", Decimal("99.700")),
    (FACT_PCT, "99.7%", "General", Decimal("99.7")),
    (FACT_BOOL, "是", "General", True),
    (FACT_BOOL, "否", "General", False),
    (FACT_BOOL, "TRUE", "General", True),
    (FACT_BOOL, "false", "General", False),
    (FACT_BOOL, "√", "General", True),
    (FACT_BOOL, "×", "General", False),
    (FACT_BOOL, 1, "General", True),
    (FACT_BOOL, "也许", "General", "也许"),
    (FACT_ENUM, "市级", "General", "city"),
    (FACT_ENUM, "city", "General", "city"),
    (FACT_ENUM, 5, "General", "5"),
    (FACT_ENUM, "省级", "General", "省级"),
    (FACT_DATE, dt.datetime(2024, 3, 31), "yyyy-mm-dd", "2024-03-31"),
    (FACT_DATE, "2024/3/1", "General", "2024-03-01"),
    (FACT_DATE, "2024年3月1日", "General", "2024-03-01"),
    (FACT_DATE, "2024-03-31", "General", "2024-03-31"),
    (FACT_INT, "", "General", EMPTY),
    (FACT_INT, "  ", "General", EMPTY),
    (FACT_INT, None, "General", EMPTY),
])
def test_cell_coercion(fact: Fact, value: Any, fmt: str, expected: Any) -> None:
    got = coerce(fact, CellValue(value, "value", 3, 4, fmt))
    assert got is EMPTY if expected is EMPTY else (got == expected and type(got) is type(
        expected)), got


@pytest.mark.lang("en_US")
def test_a_damaged_workbook_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "facts.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    code, _, err = invoke("evaluate", SCHEME, path)
    assert code == 4 and "D508 bad-facts-file: cannot read the workbook" in err


# ----------------------------------------------------------------------------------------------
# Results out


def test_output_format_follows_the_extension(filled: Path, tmp_path: Path) -> None:
    for name, check in (("r.json", lambda b: json.loads(b)["format"] == "evalrules.results"),
                        ("r.csv", lambda b: b.startswith("\ufeff单位编号".encode())),
                        ("r.md", lambda b: b.startswith("# “5521”".encode())),
                        ("r.html", lambda b: b.startswith(b"<!DOCTYPE html>")),
                        ("r.xlsx", lambda b: b.startswith(b"PK"))):
        out = tmp_path / name
        code, _, err = invoke("evaluate", SCHEME, filled, "-o", out)
        assert code == 0 and check(out.read_bytes()), (name, err)
    code, out_text, _ = invoke("evaluate", SCHEME, FACTS, "--format", "md")
    assert code == 0 and "| B06 | 炼铁厂烧结作业区党支部 | 生产类 | 88.51 | 无星 |" in out_text
    assert "\\_" not in out_text.split("## 汇总")[1].split("\n")[2]
    assert invoke("evaluate", SCHEME, FACTS, "--format", "xlsx")[0] == 2


def test_no_progress_bar_when_stderr_is_not_a_terminal(filled: Path, tmp_path: Path) -> None:
    code, _, err = invoke("evaluate", SCHEME, FACTS, "-o", tmp_path / "r.html")
    assert code == 0 and "evaluating" not in err and "%" not in err


@pytest.mark.lang("en_US")
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """The real command on a pseudo-terminal: the bar is drawn on standard error."""
    leader, follower = pty.openpty()
    out = tmp_path / "r.html"
    env = {**os.environ, "COLUMNS": "100"}
    process = subprocess.run(
        [sys.executable, "-m", "evalrules.cli", "evaluate", str(SCHEME), str(FACTS), "-o",
         str(out)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
        env=env, timeout=60, check=False)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.returncode == 0
    text = seen.decode("utf-8", "replace")
    assert "evaluating" in text and "25/25" in text and out.exists()


def test_instructions_sheet_names_the_period_and_guards_the_scheme(
        filled: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(filled)
    settings = book["填表说明"]
    rows = {settings.cell(r, 1).value: r for r in range(1, 8)}
    settings.cell(rows["考核周期 (period)"], 2).value = "2024-Q1"
    path = tmp_path / "facts.xlsx"
    book.save(path)
    out = tmp_path / "r.md"
    code, _, _ = invoke("evaluate", SCHEME, path, "-o", out)
    assert code == 0 and "考核周期 2024-Q1" in out.read_text("utf-8")
    settings.cell(rows["方案 (scheme)"], 2).value = "another-scheme"
    book.save(path)
    code, _, err = invoke("evaluate", SCHEME, path)
    assert code == 4 and "[填表说明]:2:2: D508 bad-facts-file: 此工作簿属于方案 " \
        "`another-scheme`，而不是 `star-branch-5521`" in err


def test_explain_reads_a_workbook_too(filled: Path) -> None:
    code, out, _ = invoke("explain", SCHEME, filled, "--unit", "B24", "--node", "member_team")
    assert code == 0 and "党费收缴台账" in out


@pytest.mark.lang("en_US")
def test_skip_invalid_works_for_yaml_facts(tmp_path: Path) -> None:
    text = FACTS.read_text("utf-8").replace("      full_members: 31\n",
                                            "      full_members: -31\n", 1)
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    assert invoke("evaluate", SCHEME, path)[0] == 4
    code, out, err = invoke("evaluate", SCHEME, path, "--skip-invalid")
    assert code == 0 and "skipped 1 unit(s) with errors (--skip-invalid): B01" in err
    assert "B01" not in out and "B02" in out


def test_the_359_branch_enterprise_end_to_end(tmp_path: Path,
                                              scheme: evalrules.CompiledScheme) -> None:
    """template → workbook filled with the example enterprise → report.html and results.xlsx,
    with the same totals as its YAML facts."""
    enterprise = ROOT / "examples" / "star-branch-5521" / "enterprise.yaml"
    template = tmp_path / "template.xlsx"
    assert invoke("template", SCHEME, "-o", template)[0] == 0
    workbook = tmp_path / "enterprise.xlsx"
    fill_template(template, enterprise, scheme, workbook)
    expected = {r.unit: r.total for r in scheme.score_all(scheme.read_facts(enterprise).units)}
    assert {u.id: scheme.score(u).total for u in scheme.read_facts(workbook).units} == expected
    for name in ("report.html", "results.xlsx"):
        code, _, err = invoke("evaluate", SCHEME, workbook, "-o", tmp_path / name)
        assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "results.xlsx", read_only=True)
    ids = {row[0] for row in book["汇总"].iter_rows(values_only=True)}
    book.close()
    assert set(expected) <= ids
    assert "B359" in (tmp_path / "report.html").read_text("utf-8")
