"""Facts from the period (`source: period`) in spreadsheets and streamed files.

The monthly 5521 scheme reads 评价月份, 本月为季末月 and 本月为年末月 from the period. A department
filling the template in Excel types the period once (考核周期 on 填表说明) or passes --period;
the units sheet has no column for these facts. Real workbooks and CSV files are written with
the template writer and openpyxl, and every result is held to the YAML facts with `period:`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

import evalrules
from evalrules.facts import check_facts_file
from evalrules.workbook import sheet_title

from .conftest import ROOT, invoke
from .sheets import fill_template

MONTHLY = ROOT / "schemes" / "star-branch-5521-monthly.yaml"
FACTS = ROOT / "examples" / "star-branch-5521-monthly" / "facts.yaml"  # period: "2024-03"
PERIOD_FACTS = ("month_of_year", "is_quarter_end", "is_year_end")


@pytest.fixture(scope="module")
def scheme() -> evalrules.CompiledScheme:
    return evalrules.load_scheme(MONTHLY)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    code, _, err = invoke("template", MONTHLY, "-o", path, "--rows", "20")
    assert code == 0, err
    return path


@pytest.fixture(scope="module")
def blank_period(tmp_path_factory: pytest.TempPathFactory, template: Path,
                 scheme: evalrules.CompiledScheme) -> Path:
    """The 12 example branches typed into the template; 考核周期 left empty."""
    out = tmp_path_factory.mktemp("filled") / "facts.xlsx"
    fill_template(template, FACTS, scheme, out)
    return out


def _with_period(source: Path, out: Path, period: Any) -> Path:
    book = openpyxl.load_workbook(source)
    settings = book["填表说明"]
    row = next(r for r in range(1, 10) if str(settings.cell(r, 1).value).startswith("考核周期"))
    settings.cell(row, 2).value = period
    book.save(out)
    return out


def _outcome(scheme: evalrules.CompiledScheme, units: Any) -> list[tuple[Any, ...]]:
    out = []
    for unit in units:
        result = scheme.evaluate(unit)
        out.append((result.unit, str(result.total), dict(result.ratings), list(result.fired)))
    return out


@pytest.fixture(scope="module")
def expected(scheme: evalrules.CompiledScheme) -> list[tuple[Any, ...]]:
    """What `evaluate` gives for the YAML facts of March 2024."""
    data = check_facts_file(scheme.model, FACTS, period="2024-03").strict()
    return _outcome(scheme, data.units)


def test_template_has_no_period_columns_and_says_where_they_come_from(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    ids = [cell.value for cell in book["单位"][2]]
    assert "full_members" in ids and not set(PERIOD_FACTS) & set(ids)
    rows = [[cell.value for cell in row] for row in book["填表说明"].iter_rows()]
    assert any(row[1] and "评价月份、本月为季末月、本月为年末月按考核周期自动填入" in str(row[1])
               and "“单位”表中没有这些列" in str(row[1]) for row in rows)
    month = next(row for row in rows if row[1] == "month_of_year")
    assert "评价期间（按上方考核周期填入）" in month and "无需填写" in month
    full = next(row for row in rows if row[1] == "full_members")
    assert "必填" in full


def test_a_workbook_without_period_columns_evaluates_like_the_yaml_facts(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme,
        expected: list[tuple[Any, ...]]) -> None:
    book = _with_period(blank_period, tmp_path / "march.xlsx", "2024-03")
    checked = check_facts_file(scheme.model, book)
    assert checked.problems == () and checked.facts.period == "2024-03"
    assert _outcome(scheme, checked.facts.units) == expected
    unit = checked.facts.units[0]
    assert (unit.values["month_of_year"], unit.values["is_quarter_end"],
            unit.values["is_year_end"]) == (3, True, False)
    # --period alone fills them in as well, and wins over the sheet's 考核周期.
    given = check_facts_file(scheme.model, blank_period, period="2024-03")
    assert given.problems == () and given.facts.period == "2024-03"
    assert _outcome(scheme, given.facts.units) == expected
    february = _with_period(blank_period, tmp_path / "february.xlsx", "2024-02")
    overridden = check_facts_file(scheme.model, february, period="2024-03")
    assert overridden.facts.period == "2024-03"
    assert _outcome(scheme, overridden.facts.units) == expected
    # The period matters: in February the quarter's requirements are not checked yet.
    own = check_facts_file(scheme.model, february).strict()
    assert own.period == "2024-02" and own.units[0].values["month_of_year"] == 2
    assert own.units[0].values["is_quarter_end"] is False
    assert _outcome(scheme, own.units) != expected
    # The command line: a report recorded with the period.
    out = tmp_path / "report.md"
    code, _, err = invoke("evaluate", MONTHLY, book, "-o", out)
    assert code == 0, err
    assert "考核周期 2024-03" in out.read_text("utf-8")


def test_the_period_is_known_whatever_the_order_of_the_sheets(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme,
        expected: list[tuple[Any, ...]]) -> None:
    # Excel turns 2024-03 typed into a cell into the date 2024-03-01: read as its month.
    path = _with_period(blank_period, tmp_path / "march.xlsx", dt.datetime(2024, 3, 1))
    book = openpyxl.load_workbook(path)
    book.move_sheet("填表说明", offset=len(book.sheetnames) - 1)  # last: after the units
    book.save(path)
    assert openpyxl.load_workbook(path).sheetnames[-1] == "填表说明"
    checked = check_facts_file(scheme.model, path)
    assert checked.problems == () and checked.facts.period == "2024-03"
    assert _outcome(scheme, checked.facts.units) == expected


def _add_columns(path: Path, columns: dict[str, tuple[str, dict[int, Any]]]) -> dict[str, int]:
    """Append columns (id -> (label, row -> value)) to the units sheet; id -> column."""
    book = openpyxl.load_workbook(path)
    sheet = book["单位"]
    where = {}
    for fact_id, (label, cells) in columns.items():
        col = sheet.max_column + 1
        where[fact_id] = col
        sheet.cell(1, col, label)
        sheet.cell(2, col, fact_id)
        for row, value in cells.items():
            sheet.cell(row, col, value)
    book.save(path)
    return where


def test_a_period_column_may_stay_and_must_agree_cell_by_cell(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme,
        expected: list[tuple[Any, ...]]) -> None:
    path = _with_period(blank_period, tmp_path / "march.xlsx", "2024-03")
    rows = range(3, 15)  # B01..B12
    months = {r: 3 for r in rows} | {4: 2, 6: None}  # B02 says February, B04 is empty
    ends = {r: "是" for r in rows} | {5: "否"}  # B03 says March does not close the quarter
    where = _add_columns(path, {"month_of_year": ("评价月份", months),
                                "is_quarter_end": ("本月为季末月", ends)})
    checked = check_facts_file(scheme.model, path)
    assert checked.skipped == ("B02", "B03") and not checked.blocking
    first, second = checked.problems
    assert (first.name, first.location.sheet, first.location.line, first.location.column) == (
        "bad-fact-value", "单位", 4, where["month_of_year"])
    assert first.message == "单位 B02：`month_of_year`（评价月份）填写为 2，但评价期间对应的值为 3"
    assert first.hint == "请清空该单元格：该值按考核周期自动填入"
    assert (second.location.line, second.location.column) == (5, where["is_quarter_end"])
    assert second.message == ("单位 B03：`is_quarter_end`（本月为季末月）填写为 否，但评价期间对应的"
                              "值为 是")
    agreed = [o for o in expected if o[0] not in ("B02", "B03")]
    assert _outcome(scheme, checked.facts.units) == agreed
    code, _, err = invoke("evaluate", MONTHLY, path)
    assert code == 4 and f"[单位]:4:{where['month_of_year']}: D503 bad-fact-value" in err


def test_a_workbook_without_a_period_gives_one_problem_at_the_cell_to_fill(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme) -> None:
    checked = check_facts_file(scheme.model, blank_period)
    assert checked.blocking and len(checked.problems) == 1
    (problem,) = checked.problems
    assert (problem.name, problem.location.sheet, problem.location.line,
            problem.location.column) == ("bad-facts-file", "填表说明", 5, 2)
    assert problem.message == ("方案要读取评价期间（month_of_year, is_quarter_end, is_year_end）："
                               "未给出评价期间")
    assert problem.hint == "请在“填表说明”表中填写考核周期（例如 2024-03），或使用 --period 指定"
    code, _, err = invoke("evaluate", MONTHLY, blank_period)
    assert code == 4 and err.count("D508") == 1 and "[填表说明]:5:2" in err
    assert "D501" not in err  # no unit is reported for the facts the period would fill in
    wrong = _with_period(blank_period, tmp_path / "wrong.xlsx", "2024年3月")
    (problem,) = check_facts_file(scheme.model, wrong).problems
    assert problem.location.line == 5 and "'2024年3月' 不是" in problem.message
    (problem,) = check_facts_file(scheme.model, blank_period, period="March").problems
    assert problem.location.sheet == "" and "'March' 不是" in problem.message


def _units_csv(workbook: Path, out: Path) -> Path:
    """The units sheet as CSV, headed by the ids of row 2, the way Excel saves a sheet; each
    list fact's sheet beside it as `<stem>.<fact id>.csv`."""
    book = openpyxl.load_workbook(workbook)
    lists = {sheet_title(f.label): f.id for f in evalrules.load_scheme(MONTHLY).model.facts
             if f.is_list}

    def save(sheet: Any, path: Path) -> None:
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                if any(v is not None for v in row):
                    writer.writerow(["" if v is None else v.date().isoformat()
                                     if isinstance(v, dt.datetime) else v for v in row])

    save(book["单位"], out)
    for sheet in book.worksheets:
        if sheet.title in lists:
            save(sheet, out.with_name(f"{out.stem}.{lists[sheet.title]}.csv"))
    return out


def test_csv_facts_take_the_period_from_the_command_line(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme,
        expected: list[tuple[Any, ...]]) -> None:
    path = _units_csv(blank_period, tmp_path / "facts.csv")
    assert "month_of_year" not in path.read_text("utf-8-sig").splitlines()[0]
    assert list(tmp_path.glob("facts.*.csv"))  # the list facts' records beside it
    checked = check_facts_file(scheme.model, path, period="2024-03")
    assert checked.problems == () and checked.facts.period == "2024-03"
    assert _outcome(scheme, checked.facts.units) == expected
    (problem,) = check_facts_file(scheme.model, path).problems
    assert problem.name == "bad-facts-file" and problem.location.file == str(path)
    assert problem.hint == "请使用 --period 指定考核周期，例如 --period 2024-03"


def _jsonl(out: Path) -> Path:
    data = yaml.safe_load(FACTS.read_text("utf-8"))
    with out.open("w", encoding="utf-8") as handle:
        for unit in data["units"]:
            handle.write(json.dumps(unit, ensure_ascii=False,
                                    default=lambda v: v.isoformat()) + "\n")
    return out


def _scored(path: Path) -> list[tuple[Any, ...]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [(r["id"], f"{r['total']:.2f}", r["ratings"], r["fired"]) for r in rows]


def test_score_with_period_equals_evaluate_on_json_lines_and_csv(
        blank_period: Path, tmp_path: Path, scheme: evalrules.CompiledScheme,
        expected: list[tuple[Any, ...]]) -> None:
    units = _jsonl(tmp_path / "units.jsonl")
    for jobs in ("1", "2"):
        out = tmp_path / f"scored-{jobs}.jsonl"
        code, _, err = invoke("score", MONTHLY, units, "--period", "2024-03", "-o", out,
                              "--jobs", jobs, "--chunk", "5")
        assert code == 0, err
        assert _scored(out) == expected
    # A streamed CSV holds no list facts: it is held to `evaluate` of the same CSV.
    folder = tmp_path / "csv"
    folder.mkdir()
    source = _units_csv(blank_period, folder / "units.csv")
    for extra in folder.glob("units.*.csv"):
        extra.unlink()
    out = tmp_path / "scored-csv.jsonl"
    code, _, err = invoke("score", MONTHLY, source, "--period", "2024-03", "-o", out)
    assert code == 0, err
    reference = check_facts_file(scheme.model, source, period="2024-03").strict()
    assert _scored(out) == _outcome(scheme, reference.units)
    assert len(reference.units) == 12


def test_score_without_a_period(blank_period: Path, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    source = _units_csv(blank_period, folder / "units.csv")
    out = tmp_path / "out.jsonl"
    code, _, err = invoke("score", MONTHLY, source, "-o", out)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "方案要读取评价期间（month_of_year, is_quarter_end, " \
        "is_year_end），而 units.csv 中没有相应的列：请使用 --period 指定考核周期" in err
    code, _, err = invoke("score", MONTHLY, source, "--period", "三月", "-o", out)
    assert code == 2 and "'三月' 不是" in err
    # A CSV that states the facts itself is read as before; with --period it must agree.
    lines = source.read_text("utf-8-sig").splitlines()
    header = lines[0] + ",month_of_year,is_quarter_end,is_year_end"
    rows = [line + ",3,是,否" for line in lines[1:]]
    rows[1] = lines[2] + ",2,是,否"
    stated = folder / "stated.csv"
    stated.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    code, _, err = invoke("score", MONTHLY, stated, "--skip-invalid", "-o", out)
    assert code == 0, err
    assert len(out.read_text("utf-8").splitlines()) == 12
    code, _, err = invoke("score", MONTHLY, stated, "--period", "2024-03", "--skip-invalid",
                          "-o", out)
    assert code == 0 and "stated.csv:3:0: D503 bad-fact-value: 单位 B02：`month_of_year`" in err
    assert len(out.read_text("utf-8").splitlines()) == 11
