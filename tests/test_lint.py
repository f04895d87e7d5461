"""The interval analysis and `evalrules lint`: what formulas can produce, and what lint reports."""

from __future__ import annotations

from decimal import Decimal

import pytest

import evalrules
from evalrules.intervals import INF, Span, Truth, analyse, uncovered
from evalrules.lint import LINT_CODES, lint
from evalrules.model import parse_interval
from evalrules.trace import NodeStep, RuleStep, VetoStep

from .conftest import CASES, ROOT, build

D = Decimal
SHIPPED = ["star-branch-5521", "star-branch-5521-monthly", "pdca-post-evaluation",
           "pioneer-project", "project-lifecycle", "theme-practice"]


def _criterion(formula: str, facts: str, max_: int = 10) -> Span | None:
    """The raw span of one criterion's formula."""
    scheme = build("facts:" + facts + "indicators:\n"
                   f"  - {{id: c, label: 指标, max: {max_}, points: \"{formula}\"}}\n")
    return analyse(scheme.plan).node("production", "c").raw


NUMBERS = """
  - {id: x, label: 甲, type: number, min: 0, max: 10}
  - {id: y, label: 乙, type: integer, min: 2, max: 4}
  - {id: free, label: 无界, type: number}
  - {id: flag, label: 开关, type: boolean}
"""


@pytest.mark.parametrize(("formula", "low", "high"), [
    ("x + y", "2", "14"),
    ("x - y", "-4", "8"),
    ("x * y", "0", "40"),
    ("x / y", "0", "5"),
    ("-x", "-10", "0"),
    ("min(x, y)", "0", "4"),
    ("max(x, y)", "2", "10"),
    ("clamp(x, 3, 5)", "3", "5"),
    ("abs(x - 5)", "0", "5"),
    ("ratio(x, y, cap=1)", "0", "1"),
    ("ratio(x, 4)", "0", "2.5"),
    ("band(x, (2, 5, 8), (1, 2, 3))", "0", "3"),
    ("band(y, (2, 5, 8), (1, 2, 3))", "1", "1"),
    ("1 if flag else 3", "1", "3"),
    ("1 if x > 20 else 3", "3", "3"),
    ("(2 if flag else 0) + (1 if x >= 0 else 0)", "1", "3"),
    ("round(x / 3, 1)", "0", "3.3"),
    ("floor(x / 4)", "0", "2"),
    ("ceil(x / 4)", "0", "3"),
    ("y ** 2", "4", "16"),
    ("x // 3", "0", "3"),
])
def test_numeric_functions_give_the_interval_of_their_results(formula: str, low: str,
                                                               high: str) -> None:
    """Each operator and function maps input ranges to the range of what it can return."""
    assert _criterion(formula, NUMBERS) == Span(D(low), D(high))


def test_undeclared_bounds_are_unbounded_and_caps_bound_them_again() -> None:
    """A fact without max is unbounded; max() and the criterion's own max bring it back."""
    assert _criterion("free", NUMBERS) == Span.everything()
    assert _criterion("full - 5 * max(0, 12 - free)", NUMBERS, 60) == Span(-INF, D(60))
    scheme = build("""
        facts:
          - {id: meetings, label: 次数, type: integer, min: 0}
        indicators:
          - {id: c, label: 指标, max: 60, points: "full - 5 * max(0, 12 - meetings)"}
        """)
    reach = analyse(scheme.plan).node("production", "c")
    assert reach.raw == Span(D(0), D(60))
    assert reach.points == Span(D(0), D(60))


def test_a_ratio_whose_target_can_be_zero_includes_zero_and_is_unbounded() -> None:
    """ratio() gives 0 for a target of 0, and targets near 0 make any quotient possible."""
    facts = """
  - {id: done, label: 完成, type: number, min: 0, max: 10}
  - {id: plan, label: 计划, type: number, min: 0, max: 10}
"""
    assert _criterion("ratio(done, plan)", facts) == Span(D(0), INF)
    assert _criterion("ratio(done, plan, cap=1) * full", facts) == Span(D(0), D(10))


def test_lists_count_by_length_and_by_the_values_their_fields_can_hold() -> None:
    """count() is bounded by the list's declared length; a where= that no record can satisfy
    counts nothing."""
    facts = """
  - id: incidents
    label: 事故
    type: list
    max: 3
    default: []
    fields:
      - {id: level, label: 等级, type: enum, values: [major, ordinary]}
      - {id: persons, label: 人数, type: integer, min: 0, max: 5}
"""
    assert _criterion("count(incidents)", facts) == Span(D(0), D(3))
    assert _criterion("count(incidents, where=\\\"level == 'major'\\\")", facts) == \
        Span(D(0), D(3))
    assert _criterion("count(incidents, where=\\\"level == 'minor'\\\")", facts) == \
        Span(D(0), D(0))
    assert _criterion("sum(incidents, \\\"persons\\\")", facts) == Span(D(0), D(15))
    assert _criterion("max_of(incidents, \\\"persons\\\", default=1)", facts) == Span(D(0), D(5))
    assert _criterion("avg(incidents, \\\"persons * 2\\\")", facts) == Span(D(0), D(10))


def test_enum_comparisons_know_the_declared_values() -> None:
    """`in` and `==` against enum ids decide what a condition can be."""
    scheme = build("""
        facts:
          - {id: level, label: 级别, type: enum, values: [none, city]}
        indicators:
          - {id: a, label: 甲, max: 2, when: "level in ('city', 'province')"}
          - {id: b, label: 乙, max: 2, when: "level == 'national'"}
          - {id: c, label: 丙, max: 2, when: "level != 'x'"}
        """)
    a = analyse(scheme.plan)
    assert a.node("production", "a").raw == Span(D(0), D(2))
    assert a.node("production", "b").raw == Span(D(0), D(0))
    assert a.node("production", "c").raw == Span(D(2), D(2))


def test_groups_add_weighted_children_and_respect_categories() -> None:
    """A group sums its children's weighted points; a node outside a category is not
    applicable there."""
    scheme = build("""
        facts:
          - {id: x, label: 甲, type: number, min: 0, max: 10}
        indicators:
          - id: g
            label: 组
            max: 100
            children:
              - {id: a, label: 甲, max: 100, weight: 0.6, points: "x * 10"}
              - {id: b, label: 乙, max: {production: 40, default: 30}, points: "x * 4"}
              - {id: c, label: 丙, max: 10, applies_to: [office], points: "x"}
        """)
    a = analyse(scheme.plan)
    assert a.node("production", "g").raw == Span(D(0), D(100))
    assert a.node("office", "g").raw == Span(D(0), D(100))
    assert a.node("office", "b").capped == Span(D(0), D(30))
    assert a.node("production", "c").points is None
    assert a.node("production", "c").applicable == Truth(False, True)


def test_renormalised_groups_enumerate_the_applicable_children() -> None:
    """A renormalised group reaches its max whichever children apply."""
    scheme = build("""
        facts:
          - {id: members, label: 人数, type: integer, min: 0, max: 100}
          - {id: x, label: 甲, type: number, min: 5, max: 10}
        indicators:
          - id: g
            label: 组
            max: 12
            renormalize: true
            children:
              - {id: a, label: 甲, max: 3, applicable: "members >= 7", points: "x * 0.3"}
              - {id: b, label: 乙, max: 9, points: "x * 0.9"}
        """)
    reach = analyse(scheme.plan).node("production", "g")
    assert reach.capped == Span(D("6"), D("12"))


def test_deductions_take_down_to_the_floor_and_bonuses_may_pass_the_max() -> None:
    """Rules move a node's range: deductions never below its floor, above_max bonuses beyond
    its max; the band check then finds points above the top level."""
    scheme = build("""
        facts:
          - {id: x, label: 甲, type: number, min: 0, max: 10}
          - {id: late, label: 逾期, type: integer, min: 0, max: 20, default: 0}
          - {id: honours, label: 荣誉, type: integer, min: 0, max: 3, default: 0}
        indicators:
          - {id: a, label: 甲, max: 100, points: "x * 10"}
        deductions:
          - {id: d, label: 扣, points: 2, per: late, cap: 30}
        bonuses:
          - {id: b, label: 加, points: 2, per: honours, cap: 6, above_max: true}
        ratings:
          - id: stars
            label: 星级
            levels:
              - {id: "5", label: 五星, range: "[90, 100]"}
              - {id: "1", label: 一星, range: "(-inf, 90)"}
        """)
    a = analyse(scheme.plan)
    assert a.rules[("production", "d")].amount == Span(D(0), D(30))
    assert a.node("production", "total").points == Span(D(0), D(106))
    assert [str(i) for i in a.ratings[("stars", "production")].uncovered] == ["(100, 106]"]


def test_vetoes_and_rules_that_can_never_fire() -> None:
    """A condition the declared ranges can never satisfy is 'always false'."""
    scheme = build("""
        facts:
          - {id: cases, label: 案件, type: integer, min: 0, max: 10, default: 0}
        indicators:
          - {id: a, label: 甲, max: 100, when: "cases == 0"}
        deductions:
          - {id: d, label: 扣, when: "cases > 10", points: 5}
        vetoes:
          - {id: v, label: 否决, when: "cases >= 11", effects: [{zero: total}]}
          - {id: w, label: 否决2, when: "cases > 0", effects: [{zero: a}]}
        """)
    a = analyse(scheme.plan)
    assert a.vetoes[("production", "v")].fires.never
    assert a.rules[("production", "d")].fires.never
    assert a.vetoes[("production", "w")].fires == Truth(True, True)
    assert a.node("production", "a").points == Span(D(0), D(100))


def test_uncovered_subtracts_intervals_with_their_edges() -> None:
    """Open and closed edges are kept when a span is cut by level ranges."""
    levels = [parse_interval("[60, 80)"), parse_interval("[80, 90]")]
    assert all(levels)
    pieces = uncovered(Span(D(0), D(100)), [lv for lv in levels if lv is not None])
    assert [str(p) for p in pieces] == ["[0, 60)", "(90, 100]"]
    everything = parse_interval("(-inf, +inf)")
    assert everything is not None
    assert uncovered(Span(D(0), D(100)), [everything]) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_every_evaluated_value_lies_within_its_analysed_range(name: str) -> None:
    """Soundness on real data: each example unit's node points, rule amounts and fired vetoes
    are within what the analysis says is reachable."""
    scheme = evalrules.load_scheme(ROOT / "schemes" / f"{name}.yaml")
    a = analyse(scheme.plan)
    units = scheme.read_facts(ROOT / "examples" / name / "facts.yaml").units
    for unit in units:
        result = scheme.evaluate(unit)
        for step in result.steps:
            if isinstance(step, NodeStep):
                reach = a.node(unit.category, step.id)
                if step.points is None:
                    assert reach.applicable.can_false, (unit.id, step.id)
                    continue
                assert reach.points is not None and reach.points.contains(step.points), \
                    (unit.id, step.id, step.points, reach.points)
                assert reach.raw is not None and step.raw is not None
                assert reach.raw.contains(step.raw), (unit.id, step.id, step.raw, reach.raw)
            elif isinstance(step, RuleStep):
                rule = a.rules[(unit.category, step.id)]
                assert rule.amount.contains(step.amount), (unit.id, step.id)
                if step.fired:
                    assert rule.fires.can_true
            elif isinstance(step, VetoStep) and step.fired:
                assert a.vetoes[(unit.category, step.id)].fires.can_true, (unit.id, step.id)
        for rating_id, level in result.ratings.items():
            reach_level = a.levels.get((rating_id, level or "", unit.category))
            if reach_level is not None and rating_id not in {
                    c for v in scheme.model.vetoes for c in (e.rating for e in v.effects)}:
                assert reach_level.by_points, (unit.id, rating_id, level)


# ----------------------------------------------------------------------------------------------
# Lint


def test_the_planted_scheme_shows_every_lint_code() -> None:
    """The golden planted scheme has one problem for each L code, and nothing else."""
    scheme = evalrules.load_scheme(CASES / "authoring-lint" / "planted.yaml")
    codes = sorted({d.code for d in lint(scheme)})
    assert codes == list(LINT_CODES)
    assert all(not d.is_error for d in lint(scheme))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_schemes_lint_with_warnings_only(name: str) -> None:
    """The shipped schemes have no lint errors; their maxima add up and every band can be
    reached (their findings are about tests and uncapped deductions)."""
    scheme = evalrules.load_scheme(ROOT / "schemes" / f"{name}.yaml")
    found = lint(scheme)
    assert not any(d.is_error for d in found)
    assert not {d.code for d in found} & {"L101", "L102", "L103", "L107", "L108", "L111",
                                          "L112"}


@pytest.mark.lang("en_US")
def test_a_scheme_without_tests_gets_one_untested_finding() -> None:
    scheme = build("""
        facts:
          - {id: x, label: 甲, type: number, min: 0, max: 10}
        indicators:
          - {id: a, label: 甲, max: 10, points: x}
        """)
    found = [d for d in lint(scheme) if d.code == "L104"]
    assert len(found) == 1 and "no embedded tests" in found[0].message


def test_lint_includes_the_warnings_of_check() -> None:
    """lint is a superset of check: W201 still shows."""
    scheme = build("""
        facts:
          - {id: x, label: 甲, type: number, min: 0, max: 10}
          - {id: idle, label: 闲置, type: number, default: 0}
        indicators:
          - {id: a, label: 甲, max: 100, points: "x * 10"}
        tests:
          - {name: 一, category: production, facts: {x: 5}, expect: {total: 50}}
        """)
    assert [d.code for d in lint(scheme)] == ["W201"]


@pytest.mark.lang("en_US")
def test_groups_whose_children_fall_short_are_reported_per_category() -> None:
    scheme = build("""
        facts:
          - {id: x, label: 甲, type: number, min: 0, max: 10}
        indicators:
          - id: g
            label: 组
            max: 100
            children:
              - {id: a, label: 甲, max: {production: 100, office: 90}, points: "x * 10"}
        tests:
          - {name: 一, category: production, facts: {x: 5}, expect: {total: 50}}
        """)
    found = [d for d in lint(scheme) if d.code == "L101"]
    assert len(found) == 1
    assert "the children of `g` (组) add up to 90 points in 机关类" in found[0].message
