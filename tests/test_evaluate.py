"""The scoring mechanics of domain.md §1, each expressed in YAML and evaluated exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

import evalrules
from evalrules.trace import NodeStep

from .conftest import build, run, scheme_text

D = Decimal


def lines_sum(result: evalrules.Result, node: str) -> Decimal:
    step = result.step(node)
    assert isinstance(step, NodeStep)
    return sum((line.amount for line in step.lines), D(0))


BASIC = """
facts:
  - {id: meetings, label: 支委会次数, type: integer, min: 0, max: 31}
  - {id: members, label: 党员人数, type: integer, min: 0}
indicators:
  - id: basic
    label: 基础
    max: 100
    children:
      - {id: meet, label: 支委会, max: 60, points: "full - 2.5 * max(0, 12 - meetings)"}
      - {id: size, label: 规模, max: 40, when: "members >= 3"}
"""


def test_per_occurrence_shortfall_is_floored_at_zero() -> None:
    """每缺一次扣2.5分: a criterion never goes below 0 unless the scheme says so."""
    scheme = build(BASIC)
    assert run(scheme, {"meetings": 10, "members": 5}).points["meet"] == D("55.00")
    result = run(scheme, {"meetings": 0, "members": 5})
    assert result.points["meet"] == D(30)
    assert run(scheme, {"meetings": 12, "members": 2}).points["size"] == 0


def test_binary_criterion_gives_full_or_nothing() -> None:
    """得N分，否则不得分."""
    scheme = build(BASIC)
    assert run(scheme, {"meetings": 12, "members": 3}).total == 100
    assert run(scheme, {"meetings": 12, "members": 2}).total == 60


def test_criterion_capped_at_max_and_cap_shown() -> None:
    """A formula above the max is capped, and the cap is a line of the explanation."""
    scheme = build(BASIC.replace("full - 2.5", "full + 5 - 2.5"))
    result = run(scheme, {"meetings": 12, "members": 3})
    assert result.points["meet"] == 60
    step = result.step("meet")
    assert isinstance(step, NodeStep)
    assert [(ln.kind, ln.amount) for ln in step.lines] == [("formula", D("65.00")),
                                                           ("cap", D("-5.00"))]


def test_floor_none_allows_negative_points() -> None:
    """`floor: null` lets a criterion go below zero when the scheme says so."""
    scheme = build(BASIC.replace("2.5", "6").replace('max: 60, points:', 'max: 60, floor: null, points:')
                   .replace("max: 100\n", "max: 100\n    floor: null\n"))
    assert run(scheme, {"meetings": 0, "members": 3}).points["meet"] == D(-12)


def test_missing_required_fact_is_an_error_not_zero() -> None:
    """A missing fact is never silently taken as 0."""
    scheme = build(BASIC)
    with pytest.raises(evalrules.FactsError) as info:
        run(scheme, {"meetings": 12})
    assert [d.code for d in info.value.diagnostics] == ["D501"]
    assert "members" in info.value.diagnostics[0].message


def test_fact_out_of_range_and_wrong_type_reported_together() -> None:
    """All problems with a unit's facts come in one error."""
    scheme = build(BASIC)
    with pytest.raises(evalrules.FactsError) as info:
        run(scheme, {"meetings": 40, "members": "five", "extra": 1})
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["D502", "D503", "D503"]


DEDUCTIONS = """
facts:
  - {id: late_items, label: 逾期项数, type: integer, min: 0, default: 0}
  - {id: cases, label: 违纪案件, type: integer, min: 0, default: 0}
  - {id: warnings, label: 警告, type: integer, min: 0, default: 0}
  - {id: discretion, label: 酌情扣分, type: discretionary, min: 0, max: 3, default: 0}
indicators:
  - id: work
    label: 工作
    max: 100
    children:
      - {id: a, label: 甲, max: 10, points: 10}
      - {id: b, label: 乙, max: 90, points: 90}
deductions:
  - {id: late, label: 逾期提交, points: 0.5, per: late_items, cap: 3, applies_to: a}
  - {id: uncapped, label: 每案扣5分上不封顶, points: 5, per: cases, cap: none}
  - {id: warn_small, label: 警告扣2分, when: "warnings > 0", points: 2, exclusive: discipline}
  - {id: warn_big, label: 多次警告扣4分, when: "warnings > 2", points: 4, exclusive: discipline}
  - {id: disc, label: 酌情扣分, points: discretion, range: [0, 3], cap: 3, applies_to: b}
"""


def test_per_occurrence_deduction_with_cap() -> None:
    """扣0.5分/项, at most 3."""
    scheme = build(DEDUCTIONS)
    assert run(scheme, {"late_items": 4}).points["a"] == 8
    result = run(scheme, {"late_items": 9})
    assert result.points["a"] == 7
    assert result.step("late").capped  # type: ignore[union-attr]


def test_uncapped_deduction_can_exceed_the_item_and_total_floors_at_zero() -> None:
    """上不封顶: the amount is not capped, and the total's floor limits what it takes."""
    scheme = build(DEDUCTIONS)
    assert run(scheme, {"cases": 3}).total == 85
    result = run(scheme, {"cases": 30})
    assert result.total == 0
    step = result.step("total")
    assert isinstance(step, NodeStep)
    deduction = next(ln for ln in step.lines if ln.ref == "uncapped")
    assert deduction.amount == -100 and deduction.requested == 150


def test_highest_only_group_applies_the_largest() -> None:
    """就高原则: of two overlapping penalties only the larger is taken."""
    scheme = build(DEDUCTIONS)
    result = run(scheme, {"warnings": 3})
    assert result.total == 96
    assert "warn_big" in result.fired and "warn_small" not in result.fired
    step = result.step("total")
    assert isinstance(step, NodeStep) and step.superseded == (("warn_small", "warn_big"),)
    assert run(scheme, {"warnings": 1}).total == 98


def test_discretionary_deduction_needs_a_reason_and_shows_it() -> None:
    """酌情扣1-3分 must say why; the reason appears in the explanation."""
    scheme = build(DEDUCTIONS)
    with pytest.raises(evalrules.FactsError) as info:
        run(scheme, {"discretion": 2})
    assert info.value.diagnostics[0].code == "D505"
    result = run(scheme, {"discretion": {"value": 2, "reason": "台账不全"}})
    assert result.points["b"] == 88
    rule = next(r for r in result.explain().rules if r.id == "disc")
    assert rule.inputs[0].reason == "台账不全"


def test_discretionary_value_outside_its_bounds_is_a_facts_error() -> None:
    scheme = build(DEDUCTIONS)
    with pytest.raises(evalrules.FactsError):
        run(scheme, {"discretion": {"value": 5, "reason": "过多"}})


BONUS = """
facts:
  - {id: honours, label: 市级以上荣誉, type: integer, min: 0, default: 0}
  - {id: survey, label: 满意度, type: number, min: 0, max: 100}
indicators:
  - id: basic
    label: 基础
    max: 100
    weight: 0.7
    children:
      - {id: work, label: 工作, max: 100, points: 80}
  - id: review
    label: 评议
    max: 100
    weight: 0.3
    children:
      - {id: sat, label: 满意度, max: 100, points: survey}
bonuses:
  - {id: honour, label: 每项荣誉加2分, points: 2, per: honours, cap: 6, above_max: true}
"""


def test_weighted_parts_and_bonus_above_the_scale() -> None:
    """(basic × 70 %) + (survey × 30 %), then a bonus may lift the total above 100."""
    scheme = build(BONUS)
    assert run(scheme, {"survey": 90}).total == D("83.00")
    assert run(scheme, {"survey": 100, "honours": 20}).total == D("92.00")
    scheme_full = build(BONUS.replace("points: 80", "points: 100"))
    assert run(scheme_full, {"survey": 100, "honours": 2}).total == 104


def test_weighted_contributions_add_up_exactly_after_rounding() -> None:
    """Shares are allocated so the lines of a group add up exactly to its points."""
    scheme = build(BONUS)
    result = run(scheme, {"survey": D("33.33")})  # 56 + 9.999 = 65.999
    assert lines_sum(result, "total") == result.total == D("66.00")
    step = result.step("total")
    assert isinstance(step, NodeStep)
    assert [ln.amount for ln in step.lines] == [D("56.00"), D("10.00")]
    assert step.lines[1].exact == D("9.999")


PER_CATEGORY = """
facts:
  - {id: output, label: 产量完成率, type: number, min: 0}
  - {id: has_safety, label: 有安全指标, type: boolean, default: true}
indicators:
  - id: special
    label: 专项
    max: {production: 40, office: 10}
    renormalize: true
    children:
      - {id: out, label: 产量, max: {production: 30, office: 5}, points: "min(output, 1) * full"}
      - {id: safe, label: 安全, max: {production: 10, office: 5}, points: full, applicable: has_safety}
  - id: team
    label: 队伍
    max: {production: 60, office: 90}
    children:
      - {id: t1, label: 队伍建设, max: {production: 60, office: 90}, points: full}
      - {id: t2, label: 仅机关, max: 10, applies_to: [office], points: 0}
"""


def test_max_differs_per_category() -> None:
    """Special indicators weigh differently per category."""
    scheme = build(PER_CATEGORY.replace("max: 10, applies_to: [office], points: 0",
                                        "max: 0, applies_to: [office], points: 0"))
    assert run(scheme, {"output": 1}, "production").points["special"] == 40
    assert run(scheme, {"output": D("0.5")}, "office").points["out"] == D("2.50")


def test_not_applicable_criterion_renormalises_its_group() -> None:
    """A criterion that does not apply leaves the denominator; the group still reaches its max."""
    scheme = build(PER_CATEGORY.replace("max: 10, applies_to: [office], points: 0",
                                        "max: 0, applies_to: [office], points: 0"))
    result = run(scheme, {"output": 1, "has_safety": False})
    assert result.points["safe"] is None
    assert result.points["special"] == 40
    step = result.step("special")
    assert isinstance(step, NodeStep) and step.factor is not None
    assert abs(step.factor - D(4) / D(3)) < D("1e-20")
    assert lines_sum(result, "special") == 40


def test_node_for_other_categories_is_not_applicable() -> None:
    """applies_to limits a node to some categories."""
    scheme = build(PER_CATEGORY.replace("max: 10, applies_to: [office], points: 0",
                                        "max: 0, applies_to: [office], points: 0"))
    result = run(scheme, {"output": 1})
    assert result.points["t2"] is None
    assert "t2" not in [c.id for c in result.explain().node("team").children  # type: ignore[union-attr]
                        if c.applicable]


RATINGS = """
facts:
  - {id: score, label: 分数, type: number, min: 0, max: 100}
  - {id: innovation, label: 创新项目, type: integer, min: 0, default: 0}
  - {id: basics_ok, label: 基础达标, type: boolean, default: true}
  - {id: accident, label: 重大事故, type: boolean, default: false}
  - {id: discipline, label: 严重违纪, type: boolean, default: false}
  - {id: complaint, label: 群众投诉, type: boolean, default: false}
indicators:
  - {id: s, label: 分数, max: 100, points: score}
vetoes:
  - {id: v_accident, label: 重大事故, when: accident, reason: 一票否决, effects: [{rating: stars, set: "0"}, {no_award: true}]}
  - {id: v_discipline, label: 严重违纪, when: discipline, effects: [{rating: stars, at_most: "2"}]}
  - {id: v_complaint, label: 投诉, when: complaint, effects: [{rating: stars, block: ["5", "4"]}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)", when: "innovation >= 1"}
      - {id: "4", label: 四星, range: "[80, 90)"}
      - {id: "3", label: 三星, range: "[70, 80)", when: basics_ok}
      - {id: "2", label: 二星, range: "[60, 70)"}
      - {id: "1", label: 一星, range: "(-inf, 60)"}
      - {id: "0", label: 无星}
"""


@pytest.mark.parametrize(("score", "stars"), [
    ("90", "5"), ("89.99", "4"), ("80", "4"), ("79.995", "4"), ("70", "3"), ("60", "2"),
    ("59.99", "1"), ("0", "1"), ("100", "5")])
def test_band_edges_are_exact(score: str, stars: str) -> None:
    """Inclusive/exclusive edges hold exactly; 79.995 rounds half up to 80.00 first."""
    scheme = build(RATINGS)
    assert run(scheme, {"score": D(score), "innovation": 1}).ratings["stars"] == stars


def test_ninety_from_float_arithmetic_is_five_stars() -> None:
    """0.1 + 0.2 style sums never drop a total of 90 into the 80–89 band."""
    body = RATINGS.replace("points: score", 'points: "score * 0.3 + score * 0.7"')
    scheme = build(body)
    assert run(scheme, {"score": 90.0, "innovation": 1}).ratings["stars"] == "5"


def test_extra_condition_on_a_band_falls_to_the_next_level() -> None:
    """Five stars also needs an innovation project."""
    scheme = build(RATINGS)
    result = run(scheme, {"score": 95})
    assert result.ratings["stars"] == "4"
    rating = result.explain().ratings[0]
    assert rating.band == "5" and rating.passed_over[0][0] == "5"


def test_ladder_needs_every_lower_level() -> None:
    """assess: ladder — a branch must pass level 3 before level 4 is scored."""
    scheme = build(RATINGS.replace("label: 星级\n", "label: 星级\n    assess: ladder\n"))
    assert run(scheme, {"score": 85, "basics_ok": False}).ratings["stars"] == "2"
    band = build(RATINGS)
    assert run(band, {"score": 85, "basics_ok": False}).ratings["stars"] == "4"


@pytest.mark.parametrize(("facts", "stars", "eligible"), [
    ({"accident": True}, "0", False),
    ({"discipline": True}, "2", True),
    ({"complaint": True}, "3", True),
    ({"discipline": True, "accident": True}, "0", False),
])
def test_vetoes_override_the_bands(facts: dict[str, bool], stars: str, eligible: bool) -> None:
    """A veto sets, limits or blocks a rating whatever the points."""
    scheme = build(RATINGS)
    result = run(scheme, {"score": 100, "innovation": 1, **facts})
    assert result.ratings["stars"] == stars
    assert result.award_eligible is eligible


def test_veto_zeroes_a_node() -> None:
    """清零: a veto sets a node to 0 and the explanation shows the line."""
    scheme = build(RATINGS.replace('effects: [{rating: stars, at_most: "2"}]',
                                   "effects: [{zero: total}]"))
    result = run(scheme, {"score": 95, "discipline": True, "innovation": 1})
    assert result.total == 0 and result.ratings["stars"] == "1"
    assert lines_sum(result, "total") == 0


DUAL = """
facts:
  - {id: party, label: 党建得分, type: number, min: 0, max: 100}
  - {id: business, label: 经营得分, type: number, min: 0, max: 100}
indicators:
  - {id: party_score, label: 党建, max: 50, weight: 1, points: "party / 2"}
  - {id: business_score, label: 经营, max: 50, points: "business / 2"}
ratings:
  - id: party_grade
    label: 党建等级
    of: party_score
    levels:
      - {id: A, label: A, range: "[45, +inf)"}
      - {id: B, label: B, range: "[40, 45)"}
      - {id: C, label: C, range: "[30, 40)"}
      - {id: D, label: D, range: "(-inf, 30)"}
  - id: business_grade
    label: 经营等级
    of: business_score
    levels:
      - {id: A, label: A, range: "[45, +inf)"}
      - {id: B, label: B, range: "[40, 45)"}
      - {id: C, label: C, range: "[30, 40)"}
      - {id: D, label: D, range: "(-inf, 30)"}
  - id: overall
    label: 综合等级
    lowest_of: [party_grade, business_grade]
    levels: [{id: A, label: A}, {id: B, label: B}, {id: C, label: C}, {id: D, label: D}]
"""


def test_overall_grade_is_the_lower_of_two() -> None:
    """Seed 001: the overall grade is the lower of the party-building and business grades."""
    scheme = build(DUAL)
    result = run(scheme, {"party": 95, "business": 70})
    assert result.ratings == {"party_grade": "A", "business_grade": "C", "overall": "C"}


LISTS = """
facts:
  - id: incidents
    label: 事故
    type: list
    default: []
    fields:
      - {id: level, label: 等级, type: enum, values: [major, minor]}
      - {id: persons, label: 人数, type: integer, min: 0}
  - {id: threshold, label: 阈值, type: integer, default: 1}
indicators:
  - {id: safety, label: 安全, max: 10, points: "full - sum(incidents, 'persons', where=\\"level == 'minor' and persons >= threshold\\")"}
deductions:
  - {id: per_person, label: 扣0.5分/人次, points: 0.5, per: "sum(incidents, 'persons')", cap: none}
"""


def test_list_facts_aggregate_with_filters_using_outer_names() -> None:
    """sum over a list fact, filtered by a record field and a unit-level fact."""
    scheme = build(LISTS)
    incidents = [{"level": "minor", "persons": 2}, {"level": "major", "persons": 3},
                 {"level": "minor", "persons": 1}]
    result = run(scheme, {"incidents": incidents, "threshold": 2})
    assert result.points["safety"] == 8
    assert result.total == D("5.00")
    assert run(scheme, {}).total == 10


@pytest.mark.lang("en_US")
def test_unknown_field_in_a_record_is_reported() -> None:
    scheme = build(LISTS)
    with pytest.raises(evalrules.FactsError) as info:
        run(scheme, {"incidents": [{"level": "minor", "persons": 1, "levle": "x"}]})
    assert info.value.diagnostics[0].code == "D502"
    assert "did you mean `level`" in info.value.diagnostics[0].hint


@pytest.mark.lang("en_US")
def test_division_by_zero_names_the_unit_and_the_rule() -> None:
    """A formula that fails for one unit is an EvaluationError naming unit, node and line."""
    scheme = build("""
facts:
  - {id: n, label: 数量, type: integer, min: 0}
indicators:
  - {id: x, label: 比例, max: 10, points: "10 / n"}
""")
    with pytest.raises(evalrules.EvaluationError) as info:
        run(scheme, {"n": 0}, unit="B7")
    assert info.value.unit == "B7" and info.value.node == "x"
    assert info.value.location is not None and info.value.location.line == 13
    assert "division by zero" in str(info.value)


def test_range_of_a_rule_is_enforced() -> None:
    """A graded deduction (扣1-3分) outside its range stops with an error naming the rule."""
    scheme = build("""
facts:
  - {id: n, label: 数量, type: number, min: 0}
indicators:
  - {id: x, label: 项, max: 10, points: 10}
deductions:
  - {id: graded, label: 扣1-3分, points: n, range: [1, 3], cap: 3}
""")
    assert run(scheme, {"n": 2}).total == 8
    with pytest.raises(evalrules.EvaluationError, match="graded"):
        run(scheme, {"n": 5})


def test_self_score_shown_beside_the_assessed_points() -> None:
    """Mechanic 14: self-score and assessor score side by side."""
    scheme = build("""
facts:
  - {id: org_self, label: 自评分, type: number, min: 0, max: 10}
  - {id: meetings, label: 次数, type: integer, min: 0}
indicators:
  - {id: org, label: 组织, max: 10, points: "min(meetings, 10)", self_score: org_self}
""")
    node = run(scheme, {"org_self": 10, "meetings": 8}).explain().node("org")
    assert node is not None and node.self_score == 10 and node.points == 8


def test_evaluation_is_pure_and_the_scheme_is_reusable() -> None:
    """Evaluating one unit leaves nothing behind for the next."""
    scheme = build(DEDUCTIONS)
    first = run(scheme, {"cases": 2})
    run(scheme, {"cases": 9, "warnings": 5})
    again = run(scheme, {"cases": 2})
    assert first.total == again.total and first.points == again.points
    assert first.steps == again.steps


def test_a_rating_grouped_from_another_gives_the_three_tier_ladder() -> None:
    """Seed 002's ladder: 5★ first tier; 4–3★ second; below 3★ third."""
    tiers = RATINGS + """
  - id: tier
    label: 阶梯
    from: stars
    levels:
      - {id: first, label: 第一阶梯, includes: ["5"]}
      - {id: second, label: 第二阶梯, includes: ["4", "3"]}
      - {id: third, label: 第三阶梯, includes: ["2", "1", "0"]}
"""
    scheme = build(tiers)
    assert run(scheme, {"score": 95, "innovation": 1}).ratings["tier"] == "first"
    assert run(scheme, {"score": 75}).ratings["tier"] == "second"
    assert run(scheme, {"score": 95, "accident": True}).ratings["tier"] == "third"


PROJECTS = """
facts:
  - id: projects
    label: 攻关项目
    type: list
    default: []
    fields:
      - {id: target, label: 目标值, type: number, min: 0}
      - {id: actual, label: 完成值, type: number, min: 0}
      - {id: kind, label: 类型, type: enum, values: [output, cost]}
  - {id: bonus_rate, label: 系数, type: number, default: 1}
indicators:
  - {id: effect, label: 攻关成效, max: 10, points: "avg(projects, 'ratio(actual, target, cap=1) * 10 * bonus_rate')"}
  - {id: output_effect, label: 产量项目, max: 10, points: "sum(projects, 'min(actual / target, 1) * 5', where=\\"kind == 'output'\\")"}
"""


def test_aggregates_take_a_per_record_expression() -> None:
    """avg/sum over a value computed per record (each project scored against its target)."""
    scheme = build(PROJECTS)
    projects = [{"target": 100, "actual": 80, "kind": "output"},
                {"target": 50, "actual": 60, "kind": "cost"},
                {"target": 10, "actual": 5, "kind": "output"}]
    result = run(scheme, {"projects": projects})
    assert result.points["effect"] == D("7.67")  # (8 + 10 + 5) / 3
    assert result.points["output_effect"] == D("6.50")  # 4 + 2.5
    step = result.step("effect")
    assert isinstance(step, NodeStep) and {i.name for i in step.inputs} == {"projects",
                                                                             "bonus_rate"}


def test_per_record_expression_names_are_checked() -> None:
    """A typo inside the per-record expression is reported like any unknown name."""
    _, problems = evalrules.check(scheme_text(PROJECTS.replace("ratio(actual, target",
                                                               "ratio(actul, target")))
    assert [(d.code, "actul" in d.message) for d in problems if d.is_error] == [("F302", True)]
