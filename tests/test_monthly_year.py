"""A year of months: 月评价 → 季评星 → 年定级 for the monthly “5521” scheme, through the CLI.

Twelve generated months of the example enterprise are evaluated into one results store, rolled
up to four quarters (stars, the five-star quota, quarterly awards) and to the year (the annual
grade and the 年度十佳), with rectification items followed from month to month. The suite runs
a deterministic subset of the 359 branches (EVALRULES_YEAR_UNITS, default 100); the full
enterprise runs with `python examples/star-branch-5521-monthly/year.py OUT --run results.db`
(figures in docs/periods.md).

The first tests pin the period facts (`source: period`) the monthly scheme reads.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

import evalrules
from evalrules.cli import main
from evalrules.errors import FactsError, SchemeError
from evalrules.facts import parse_facts
from evalrules.generate import to_yaml
from evalrules.periods import Period, period_values
from evalrules.store import SQLiteStore, UnitRecord

from .conftest import ROOT, build

SCHEME = ROOT / "schemes" / "star-branch-5521-monthly.yaml"
EXAMPLES = ROOT / "examples" / "star-branch-5521-monthly"
SCHEME_ID = "star-branch-5521-monthly"
UNITS = int(os.environ.get("EVALRULES_YEAR_UNITS", "100"))
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
QUARTERS = [f"2024-Q{q}" for q in range(1, 5)]


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def _year_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("year_5521", EXAMPLES / "year.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------------------------
# Period facts


PERIOD_BODY = """
facts:
  - {id: month_of_year, label: 评价月份, type: integer, unit: 月, source: period}
  - {id: is_quarter_end, label: 本月为季末月, type: boolean, source: period}
  - {id: meetings_qtd, label: 本季度累计会议次数, type: integer, min: 0, max: 10}
  - {id: hours_ytd, label: 本年累计学时, type: number, min: 0, max: 100}
indicators:
  - {id: meeting, label: 每季度开会, max: 40, when: "not is_quarter_end or meetings_qtd >= 1"}
  - {id: hours, label: 学时进度, max: 60, points: "ratio(hours_ytd, 32 * month_of_year / 12, cap=1) * full"}
"""


def test_period_values_describe_the_last_month_of_the_period() -> None:
    assert period_values(Period.parse("2024-03")) == {
        "month_of_year": 3, "month_of_quarter": 3, "quarter_of_year": 1,
        "is_quarter_end": True, "is_half_end": False, "is_year_end": False}
    assert period_values(Period.parse("2024-11"))["month_of_quarter"] == 2
    assert period_values(Period.parse("2024-Q4"))["is_year_end"] is True
    assert period_values(Period.parse("2024-H1"))["is_half_end"] is True


@pytest.mark.lang("en_US")
@pytest.mark.parametrize(("fact", "message"), [
    ("{id: month_of_year, label: 月, type: integer, source: period}",
     "the scheme declares no `periods`"),
    ("{id: month_of_yaer, label: 月, type: integer, source: period}",
     "the period has no value of that name"),
    ("{id: is_year_end, label: 年末, type: integer, source: period}",
     "must have `type: boolean`"),
])
def test_check_refuses_period_facts_it_cannot_fill(fact: str, message: str) -> None:
    periods = "" if "no `periods`" in message else "periods: {evaluated: month}\n"
    with pytest.raises(SchemeError) as caught:
        build(f"{periods}facts:\n  - {fact}\n"
              "indicators:\n  - {id: a, label: 甲, max: 100, points: 100}\n")
    assert message in str(caught.value)


@pytest.mark.lang("en_US")
def test_period_facts_come_from_the_period_and_agree_on_both_paths() -> None:
    scheme = build("periods: {evaluated: month}\n" + PERIOD_BODY)
    unit = "units:\n  - {id: U, category: production, facts: {meetings_qtd: 0, hours_ytd: 6}}\n"
    totals = {}
    for month in MONTHS:
        data = parse_facts(scheme.model, f"period: {month}\n{unit}".encode())
        subject = data.units[0]
        result = scheme.evaluate(subject)
        assert scheme.score(subject).total == result.total, month
        totals[month] = result.total
    # February: 6 of 5.33 hours, the quarterly meeting not yet due; March: the meeting is
    # checked and missing (0 of 40), 6 of 8 hours (45 of 60).
    assert totals["2024-02"] == 100 and totals["2024-03"] == 45
    with pytest.raises(FactsError, match="no period is given"):
        parse_facts(scheme.model, unit.encode())
    contradicted = unit.replace("meetings_qtd: 0", "meetings_qtd: 0, month_of_year: 4")
    with pytest.raises(FactsError, match="but the period gives 3"):
        parse_facts(scheme.model, f"period: 2024-03\n{contradicted}".encode())


def test_the_explanation_shows_the_period_value_used(tmp_path: Path) -> None:
    code, out = invoke("explain", SCHEME, EXAMPLES / "facts.yaml", "--unit", "B01",
                       "--node", "member_team")
    assert code == 0, out
    assert "评价月份(month_of_year)=3月" in out
    march = evalrules.load_scheme(SCHEME).read_facts(EXAMPLES / "facts.yaml").units[0]
    assert march.values["month_of_year"] == 3 and march.values["is_quarter_end"] is True
    # --period overrides the file's period: in June the same year-to-date hours are behind.
    totals = {}
    for period in ("2024-03", "2024-06"):
        code, out = invoke("evaluate", SCHEME, EXAMPLES / "facts.yaml", "--period", period,
                           "--format", "json", "-o", tmp_path / f"{period}.json")
        assert code == 0, out
        document = json.loads((tmp_path / f"{period}.json").read_text("utf-8"))
        assert document["facts"]["period"] == period
        totals[period] = {r["unit"]: Decimal(str(r["total"])) for r in document["results"]}
    assert totals["2024-06"]["B02"] < totals["2024-03"]["B02"] == Decimal("83.35")


# ----------------------------------------------------------------------------------------------
# The year


@dataclass
class Year:
    folder: Path
    store: Path
    facts: dict[str, list[dict[str, Any]]]
    quarter_out: dict[str, str]
    annual_out: str
    timings: dict[str, float]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Year:
    folder = tmp_path_factory.mktemp("monthly")
    store = folder / "results.db"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    facts = _year_module().make_year(UNITS, seed=2024)
    for month, records in facts.items():
        (folder / f"{month}.yaml").write_text(to_yaml(records, SCHEME_ID, month), "utf-8")
    timings["generate"] = time.perf_counter() - started
    for run, month in enumerate(MONTHS, start=1):
        code, out = invoke("evaluate", SCHEME, folder / f"{month}.yaml", "--store", store)
        assert code == 0, out
        assert f"{month}（已记录：运行 {run}，{UNITS} 个单位）" in out
    timings["12 months"] = time.perf_counter() - started - timings["generate"]
    quarter_out = {}
    for quarter in QUARTERS:
        code, out = invoke("rollup", SCHEME, "--store", store, "--period", quarter)
        assert code == 0, out
        quarter_out[quarter] = out
    code, annual_out = invoke("rollup", SCHEME, "--store", store, "--period", "2024")
    assert code == 0, annual_out
    timings["total"] = time.perf_counter() - started
    print(f"\nyear of {UNITS} units: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return Year(folder, store, facts, quarter_out, annual_out, timings)


def _records(store: Path, period: str, kind: str) -> dict[str, UnitRecord]:
    with SQLiteStore(store) as db:
        run = db.current_run(SCHEME_ID, period, kind)
        assert run is not None, (period, kind)
        return {r.unit: r for r in db.records(run.id)}


def test_generated_months_are_coherent(year: Year) -> None:
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for month in MONTHS:
        for record in year.facts[month]:
            by_unit.setdefault(record["id"], []).append(record["facts"])
    assert len(by_unit) == UNITS
    for unit, months in by_unit.items():
        for key in ("member_training_hours_ytd", "committee_training_hours_ytd"):
            values = [m[key] for m in months]
            assert values == sorted(values), (unit, key)
        for key in ("olm_held", "appraisal_done"):
            values = [m[key] for m in months]
            assert values == sorted(values), (unit, key)  # False before True, never back
        for q in range(4):
            quarter = months[3 * q:3 * q + 3]
            for key in ("general_meetings_qtd", "party_lectures_qtd"):
                values = [m[key] for m in quarter]
                assert values == sorted(values), (unit, key, q)
        assert len({m["full_members"] for m in months}) == 1, unit
        assert [m["evaluation_date"].month for m in months] == list(range(1, 13)), unit


def test_quarterly_stars_come_from_the_rolled_up_months(year: Year) -> None:
    bands = [(Decimal(90), {"5", "4"}), (Decimal(80), {"4"}), (Decimal(70), {"3"}),
             (Decimal(60), {"2"}), (Decimal("-Infinity"), {"1"})]
    rebanded = 0
    for q, quarter in enumerate(QUARTERS):
        quarterly = _records(year.store, quarter, "quarterly")
        months = [_records(year.store, m, "evaluation") for m in MONTHS[3 * q:3 * q + 3]]
        assert len(quarterly) == UNITS
        for unit, record in quarterly.items():
            mean = sum((m[unit].total for m in months), Decimal(0)) / 3
            assert record.total == mean.quantize(Decimal("0.01"), ROUND_HALF_UP), unit
            assert [p["period"] for p in record.notes["parts"]] == MONTHS[3 * q:3 * q + 3]
            if not record.notes["vetoes"] and not record.notes.get("quotas"):
                allowed = next(levels for edge, levels in bands if record.total >= edge)
                assert record.ratings["stars"] in allowed, (unit, record.total)
            rebanded += record.ratings["stars"] != months[-1][unit].ratings["stars"]
    assert rebanded > 0  # banded on the quarter's own score, not copied from its last month


def test_the_five_star_quota_holds_each_quarter_and_says_why(year: Year) -> None:
    limit = math.floor(UNITS * 0.3)
    for quarter in QUARTERS:
        records = _records(year.store, quarter, "quarterly")
        five = [r for r in records.values() if r.ratings["stars"] == "5"]
        dropped = [r for r in records.values() if r.notes.get("quotas")]
        assert len(five) <= limit
        assert dropped, quarter  # the generated enterprise has more candidates than places
        for record in dropped:
            note = record.notes["quotas"][0]
            assert (note["from"], note["to"], note["limit"]) == ("5", "4", limit)
            assert note["position"] > limit and record.ratings["stars"] == "4"
            assert record.ratings["tier"] == "second"
        assert f"超出{limit}个名额，五星级→四星级" in year.quarter_out[quarter]
        unit = dropped[0].unit
        code, out = invoke("history", SCHEME, "--store", year.store, "--unit", unit,
                           "--period", quarter)
        assert code == 0, out
        assert f"名额限制：五星级党支部不超过30%：第{dropped[0].notes['quotas'][0]['position']}" \
               f"名超出{limit}个名额，五星级→四星级" in out


def test_awards_are_given_each_quarter_and_for_the_year(year: Year) -> None:
    for quarter in QUARTERS:
        line = next(x for x in year.quarter_out[quarter].splitlines()
                    if x.startswith("季度排名评先："))
        winners = re.findall(r"（(B\d+)，第(\d+)名）", line)
        assert len(winners) >= 10 and all(int(rank) <= 10 for _, rank in winners[:10])
        records = _records(year.store, quarter, "quarterly")
        assert all(records[unit].award_eligible for unit, _ in winners)
    assert "年定级 2024" in year.annual_out
    line = next(x for x in year.annual_out.splitlines() if x.startswith("年度十佳党支部："))
    assert len(re.findall(r"（B\d+，第\d+名）", line)) >= 10
    assert "季度排名评先：" not in year.annual_out  # quarterly awards stay with the quarters


def test_an_overdue_rectification_costs_points_later_and_names_its_month(year: Year) -> None:
    with SQLiteStore(year.store) as db:
        items = db.items(SCHEME_ID, open_only=False)
    assert items
    late = [i for i in items if Period.parse(i.due).index < Period.parse("2024-12").index
            and (i.closed is None
                 or Period.parse(i.closed).index > Period.parse(i.due).index + 1)]
    assert late, "the generated year has items left open past their deadline"
    item = late[0]
    month = str(Period.parse(item.due).shift(1))  # the first month after the deadline
    record = _records(year.store, month, "evaluation")[item.unit]
    assert "overdue_rectification" in record.fired
    code, out = invoke("explain", SCHEME, year.folder / f"{month}.yaml", "--unit", item.unit,
                       "--store", year.store)
    assert code == 0, out
    assert "整改不力（回头看：问题到期未整改销号） [overdue_rectification]" in out
    assert f"rule={item.rule}，found={item.found}，due={item.due}" in out
    code, out = invoke("rectification", SCHEME, "--store", year.store, "--unit", item.unit,
                       "--all")
    assert code == 0, out
    assert re.search(rf"{item.found}\s+{item.due}\s+", out)
    closed = [i for i in items if i.closed is not None]
    assert closed, "some items are reported rectified (销号)"


def test_the_annual_grade_shows_its_quarters_and_months(year: Year) -> None:
    annual = _records(year.store, "2024", "annual")
    assert len(annual) == UNITS
    unit = min(annual)
    code, out = invoke("history", SCHEME, "--store", year.store, "--unit", unit,
                       "--period", "2024")
    assert code == 0, out
    derivation = out[out.index("2024（年定级）"):].splitlines()
    assert derivation[0].startswith(f"2024（年定级） 总分 {annual[unit].total}")
    quarters = [line for line in derivation if re.match(r"^   2024-Q\d（季评星）", line)]
    months = [line for line in derivation if re.match(r"^      2024-\d\d（月度评价）", line)]
    assert [line.split("（")[0].strip() for line in quarters] == QUARTERS
    assert [line.split("（")[0].strip() for line in months] == MONTHS
    for period, line in zip(MONTHS, months, strict=True):
        total = _records(year.store, period, "evaluation")[unit].total
        assert f"总分 {total}" in line and "星级：" in line
    for period, line in zip(QUARTERS, quarters, strict=True):
        assert f"总分 {_records(year.store, period, 'quarterly')[unit].total}" in line
    # each quarter's months sit right under it
    starts = [derivation.index(line) for line in quarters] + [len(derivation)]
    for q in range(4):
        block = derivation[starts[q] + 1:starts[q + 1]]
        assert [line for line in block if line in months] == months[3 * q:3 * q + 3]
