"""Rankings, quotas, awards and roll-ups over many units and periods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evalrules.cohort import RollupError, cohort, rank, roll_up
from evalrules.model import Ranking
from evalrules.periods import Period
from evalrules.store import UnitRecord

from .conftest import build

D = Decimal

BODY = """
facts:
  - {id: score, label: 分数, type: number, min: 0, max: 100}
  - {id: brand, label: 品牌, type: boolean, default: true}
  - {id: accident, label: 事故, type: boolean, default: false}
indicators:
  - {id: s, label: 分数, max: 100, points: score}
vetoes:
  - {id: v_accident, label: 事故, when: accident, effects: [{rating: stars, set: "0"}, {no_award: true}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)", when: brand}
      - {id: "4", label: 四星, range: "[80, 90)"}
      - {id: "3", label: 三星, range: "(-inf, 80)"}
      - {id: "0", label: 无星}
  - id: tier
    label: 阶梯
    from: stars
    levels:
      - {id: first, label: 第一阶梯, includes: ["5"]}
      - {id: second, label: 第二阶梯, includes: ["4", "3"]}
      - {id: third, label: 第三阶梯, includes: ["0"]}
rankings:
  - {id: overall, label: 总排名, of: total}
  - {id: in_category, label: 类别内排名, of: total, within: category, ties: dense}
quotas:
  - {id: five_quota, label: 五星不超过30%, rating: stars, level: "5", at_most: "30%", ranking: overall}
awards:
  - {id: pioneer, label: 月度先锋, ranking: overall, top: 2, period: month}
rollups:
  - {id: quarterly, label: 季评星, from: evaluation, to: quarter, method: mean, missing: skip, ratings: [stars]}
  - {id: annual, label: 年定级, from: quarterly, to: year, method: weighted, weights: [1, 1, 1, 2], missing: error, ratings: [stars]}
"""
SCHEME = build(BODY)


def records(scores: dict[str, str], period: str = "2024-01",
            facts: dict[str, dict[str, object]] | None = None) -> list[UnitRecord]:
    from evalrules.cohort import record_of

    out = []
    for unit, score in scores.items():
        category = "office" if unit.startswith("O") else "production"
        subject_facts = {"score": D(score), **(facts or {}).get(unit, {})}
        unit_data = {"id": unit, "category": category, "facts": subject_facts}
        out.append(record_of(SCHEME.evaluate(unit_data), SCHEME.levels_held(unit_data), period))
    return out


def test_ties_share_a_rank_or_not() -> None:
    recs = records({"P1": "90", "P2": "85", "P3": "90", "O1": "70", "O2": "85"})
    assert rank(recs, SCHEME.model.ranking("overall")) == {  # type: ignore[arg-type]
        "P1": 1, "P3": 1, "P2": 3, "O2": 3, "O1": 5}
    assert rank(recs, SCHEME.model.ranking("in_category")) == {  # type: ignore[arg-type]
        "P1": 1, "P3": 1, "P2": 2, "O2": 1, "O1": 2}


def test_tie_break_nodes_decide_before_a_tie() -> None:
    """Equal totals are ordered by the tie-break nodes; a node not applicable counts lowest."""
    def rec(unit: str, special: str | None) -> UnitRecord:
        points = {"total": D(90), "special": None if special is None else D(special)}
        return UnitRecord(unit, unit, "production", D(90), points, {}, (), True)

    recs = [rec("A", "30"), rec("B", "35"), rec("C", None), rec("D", "35")]
    where = SCHEME.model.rankings[0].location
    ranking = Ranking("r", "r", "total", "all", "shared", ("special",), where)
    assert rank(recs, ranking) == {"B": 1, "D": 1, "A": 3, "C": 4}
    assert rank(recs, Ranking("r", "r", "total", "all", "shared", (), where)) == {
        "A": 1, "B": 1, "C": 1, "D": 1}


def test_quota_drops_units_beyond_it_one_level_and_says_why() -> None:
    """Five stars for at most 30 % (rounded down): 10 units → 3 keep five stars."""
    scores = {f"P{i:02d}": str(100 - i) for i in range(1, 11)}  # 99 .. 90: all five-star band
    adjusted, _ = cohort(SCHEME.model, records(scores))
    stars = {r.unit: r.ratings["stars"] for r in adjusted}
    assert [u for u, s in sorted(stars.items()) if s == "5"] == ["P01", "P02", "P03"]
    dropped = next(r for r in adjusted if r.unit == "P04")
    assert dropped.ratings == {"stars": "4", "tier": "second"}
    note = dropped.notes["quotas"][0]
    assert (note["quota"], note["from"], note["to"], note["rank"], note["limit"]) == (
        "five_quota", "5", "4", 4, 3)
    assert dropped.notes["ranks"] == {"overall": 4, "in_category": 4}


def test_awards_take_the_top_eligible_units_and_keep_ties() -> None:
    recs = records({"P1": "95", "P2": "95", "P3": "94", "P4": "99"},
                   facts={"P4": {"accident": True}})
    _, awards = cohort(SCHEME.model, recs, "2024-01")
    assert [(w.unit, w.rank) for w in awards["pioneer"]] == [("P1", 2), ("P2", 2)]
    _, quarterly_awards = cohort(SCHEME.model, recs, "2024-Q1")
    assert quarterly_awards == {}  # a monthly award is not given for a quarter


def test_a_quarter_is_the_mean_of_its_months_with_sources_noted() -> None:
    parts = {"2024-01": records({"P1": "85"}, "2024-01"),
             "2024-02": records({"P1": "95"}, "2024-02"),
             "2024-03": records({"P1": "96"}, "2024-03", {"P1": {"brand": False}})}
    quarter = roll_up(SCHEME.model, SCHEME.model.rollups[0], Period.parse("2024-Q1"), parts)
    (record,) = quarter
    assert record.total == D("92.00") and record.period == "2024-Q1"
    # The five-star condition is taken from the latest month: no brand in March.
    assert record.ratings == {"stars": "4", "tier": "second"}
    assert [(p["period"], p["total"]) for p in record.notes["parts"]] == [
        ("2024-01", D("85.00")), ("2024-02", D("95.00")), ("2024-03", D("96.00"))]


def test_a_veto_in_any_month_applies_to_the_quarter() -> None:
    parts = {"2024-01": records({"P1": "95"}, "2024-01", {"P1": {"accident": True}}),
             "2024-02": records({"P1": "95"}, "2024-02"),
             "2024-03": records({"P1": "95"}, "2024-03")}
    (record,) = roll_up(SCHEME.model, SCHEME.model.rollups[0], Period.parse("2024-Q1"), parts)
    assert record.ratings["stars"] == "0" and not record.award_eligible
    assert record.notes["vetoes"] == ["v_accident"]


def test_missing_parts_skip_with_a_note_or_stop_the_roll_up() -> None:
    parts = {"2024-01": records({"P1": "80", "P2": "90"}), "2024-03": records({"P1": "90"})}
    quarter = roll_up(SCHEME.model, SCHEME.model.rollups[0], Period.parse("2024-Q1"), parts)
    p1 = next(r for r in quarter if r.unit == "P1")
    assert p1.total == D("85.00")
    assert {"period": "2024-02", "missing": "skip"} in p1.notes["parts"]
    year_parts = {f"2024-Q{i}": [r for r in quarter] for i in (1, 2, 3)}
    with pytest.raises(RollupError, match="2024-Q4"):
        roll_up(SCHEME.model, SCHEME.model.rollups[1], Period.parse("2024"), year_parts)


def test_a_weighted_year_weighs_the_last_quarter_double() -> None:
    quarters = {f"2024-Q{i}": records({"P1": score}, f"2024-Q{i}")
                for i, score in zip((1, 2, 3, 4), ("80", "80", "80", "90"), strict=True)}
    (record,) = roll_up(SCHEME.model, SCHEME.model.rollups[1], Period.parse("2024"), quarters)
    assert record.total == D("84.00")  # (80 + 80 + 80 + 2 × 90) / 5
