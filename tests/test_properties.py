"""Invariants that hold for every unit, checked on generated facts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import evalrules
from evalrules.evaluate import Scores
from evalrules.formula import reference_evaluate
from evalrules.trace import DerivedStep, NodeStep

from .conftest import build, scheme_text

D = Decimal

BODY = """
facts:
  - {id: meetings, label: 支委会次数, type: integer, min: 0, max: 24}
  - {id: attended, label: 出勤人次, type: integer, min: 0, max: 500}
  - {id: expected, label: 应出勤人次, type: integer, min: 0, max: 500}
  - {id: output, label: 产量, type: number, min: 0, max: 100000}
  - {id: target, label: 产量目标, type: number, min: 0, max: 100000}
  - {id: late_items, label: 逾期项数, type: integer, min: 0, max: 50}
  - {id: cases, label: 违纪案件, type: integer, min: 0, max: 10}
  - {id: warnings, label: 警告次数, type: integer, min: 0, max: 10}
  - {id: honours, label: 荣誉, type: integer, min: 0, max: 10}
  - {id: accident, label: 重大事故, type: boolean}
  - {id: has_brand, label: 有品牌, type: boolean}
  - {id: survey, label: 满意度, type: number, min: 0, max: 100}
derived:
  - {id: attendance, label: 出勤率, formula: "ratio(attended, expected, cap=1)"}
indicators:
  - id: basic
    label: 基础指标
    max: {production: 60, office: 70}
    weight: 0.9
    children:
      - {id: meet, label: 支委会, max: 20, points: "full - 1.5 * max(0, 12 - meetings)"}
      - {id: attend, label: 出勤, max: 20, points: "band(attendance, (0.6, 0.8, 0.9), (8, 15, 20))"}
      - {id: brand, label: 品牌, max: {production: 20, office: 30}, when: has_brand}
  - id: special
    label: 专项指标
    max: {production: 40, office: 30}
    weight: 1.1
    children:
      - {id: out, label: 产量, max: {production: 40, office: 30}, points: "ratio(output, target, cap=1.2) * full"}
  - {id: review, label: 评议, max: 10, weight: 0.3, points: "survey / 10"}
deductions:
  - {id: late, label: 逾期, points: 0.5, per: late_items, cap: 3, applies_to: basic}
  - {id: case, label: 违纪, points: 5, per: cases, cap: none}
  - {id: warn_small, label: 警告, when: "warnings > 0", points: 2, exclusive: discipline}
  - {id: warn_big, label: 多次警告, when: "warnings > 2", points: 4, exclusive: discipline}
bonuses:
  - {id: honour, label: 荣誉, points: 1.5, per: honours, cap: 6}
vetoes:
  - {id: major_accident, label: 重大事故, when: accident, effects: [{rating: stars, set: "0"}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)", when: has_brand}
      - {id: "4", label: 四星, range: "[80, 90)"}
      - {id: "3", label: 三星, range: "[70, 80)"}
      - {id: "2", label: 二星, range: "[60, 70)"}
      - {id: "1", label: 一星, range: "(-inf, 60)"}
      - {id: "0", label: 无星}
"""

SCHEME = build(BODY)


def decimals(low: int, high: int, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False,
                       allow_infinity=False)


facts_strategy = st.fixed_dictionaries({
    "meetings": st.integers(0, 24), "attended": st.integers(0, 500),
    "expected": st.integers(0, 500), "output": decimals(0, 100000),
    "target": decimals(0, 100000), "late_items": st.integers(0, 50),
    "cases": st.integers(0, 10), "warnings": st.integers(0, 10), "honours": st.integers(0, 10),
    "accident": st.booleans(), "has_brand": st.booleans(), "survey": decimals(0, 100),
})
category_strategy = st.sampled_from(["production", "office"])


def evaluate(facts: dict[str, Any], category: str,
             scheme: evalrules.CompiledScheme = SCHEME) -> evalrules.Result:
    return scheme.evaluate({"id": "U", "category": category, "facts": facts})


@settings(max_examples=300, deadline=None)
@given(facts_strategy, category_strategy)
def test_points_stay_within_zero_and_max(facts: dict[str, Any], category: str) -> None:
    """Every node's points lie in [floor, max] when no bonus may exceed the max."""
    result = evaluate(facts, category)
    for step in result.steps:
        if isinstance(step, NodeStep) and step.points is not None:
            assert step.points >= 0
            if step.max is not None:
                assert step.points <= step.max


@settings(max_examples=300, deadline=None)
@given(facts_strategy, category_strategy)
def test_contributions_add_up_exactly(facts: dict[str, Any], category: str) -> None:
    """At every node, the explained lines add up exactly to its points."""
    result = evaluate(facts, category)
    explanation = result.explain()
    for node in explanation.root.walk():
        if node.applicable:
            assert sum((ln.amount for ln in node.lines), D(0)) == node.points
    assert explanation.total == result.total


@settings(max_examples=200, deadline=None)
@given(facts_strategy, category_strategy,
       st.sampled_from(["late_items", "cases", "warnings"]))
def test_one_more_deduction_never_raises_the_total(facts: dict[str, Any], category: str,
                                                   counter: str) -> None:
    """Triggering one more deduction (one more late item, case or warning) never adds points."""
    before = evaluate(facts, category)
    more = dict(facts)
    more[counter] = min(more[counter] + 1, 10 if counter != "late_items" else 50)
    after = evaluate(more, category)
    assert after.total <= before.total


@settings(max_examples=200, deadline=None)
@given(facts_strategy, category_strategy)
def test_a_triggered_veto_always_wins_over_the_bands(facts: dict[str, Any],
                                                     category: str) -> None:
    """With a major accident the rating is 无星 whatever the points."""
    result = evaluate({**facts, "accident": True}, category)
    assert result.ratings["stars"] == "0"
    assert "major_accident" in result.fired


@settings(max_examples=200, deadline=None)
@given(facts_strategy, category_strategy)
def test_compiled_formulas_equal_a_simpleeval_reference(facts: dict[str, Any],
                                                        category: str) -> None:
    """Each formula's compiled value equals simpleeval's on the same inputs."""
    result = evaluate(facts, category)
    policy = SCHEME.model.policy
    for step in result.steps:
        if isinstance(step, DerivedStep):
            values = {i.name: i.value for i in step.inputs}
            assert reference_evaluate(step.formula, values, policy) == step.value
        elif isinstance(step, NodeStep) and step.formula and step.condition is None \
                and step.applicable:
            values = {i.name: i.value for i in step.inputs}
            assert reference_evaluate(step.formula, values, policy) == step.raw


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _to_yaml_data(value: Any) -> Any:
    """Decimals back to exact text YAML reads as the same number."""
    if isinstance(value, dict):
        return {k: _to_yaml_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_yaml_data(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False), facts_strategy, category_strategy)
def test_results_do_not_depend_on_yaml_key_order(rng: random.Random, facts: dict[str, Any],
                                                 category: str) -> None:
    """Reordering the keys of every mapping in the scheme changes no result."""
    from evalrules.yamlsource import load_yaml

    doc, _ = load_yaml(scheme_text(BODY))
    assert doc is not None
    text = yaml.safe_dump(_shuffled(_to_yaml_data(doc.data), rng), allow_unicode=True,
                          sort_keys=False)
    shuffled = evalrules.load_scheme(text)
    a, b = evaluate(facts, category), evaluate(facts, category, shuffled)
    assert (a.total, dict(a.points), dict(a.ratings), sorted(a.fired)) == \
        (b.total, dict(b.points), dict(b.ratings), sorted(b.fired))


def _same(scores: Scores, result: evalrules.Result) -> bool:
    return (scores.total, dict(scores.points), dict(scores.ratings), scores.fired,
            scores.award_eligible) == (result.total, dict(result.points), dict(result.ratings),
                                       result.fired, result.award_eligible)


@settings(max_examples=300, deadline=None)
@given(facts_strategy, category_strategy)
def test_fast_scoring_equals_the_traced_evaluation(facts: dict[str, Any],
                                                   category: str) -> None:
    """The generated straight-line scorer gives exactly the traced evaluator's figures."""
    unit = {"id": "U", "category": category, "facts": facts}
    assert _same(SCHEME.score(unit), SCHEME.evaluate(unit))


def test_fast_scoring_equals_the_traced_evaluation_on_every_shipped_example() -> None:
    from .conftest import ROOT

    for path in sorted((ROOT / "schemes").glob("*.yaml")):
        scheme = evalrules.load_scheme(path)
        for facts_file in sorted((ROOT / "examples" / path.stem).glob("*.yaml")):
            for unit in scheme.read_facts(facts_file).units:
                assert _same(scheme.score(unit), scheme.evaluate(unit)), (path.stem, unit.id)


@pytest.mark.lang("en_US")
def test_fast_scoring_raises_the_traced_error() -> None:
    """A unit whose formula fails gets the same EvaluationError, with its place."""
    import pytest

    scheme = build("""
facts:
  - {id: n, label: 数量, type: integer, min: 0}
indicators:
  - {id: x, label: 比例, max: 10, points: "10 / n"}
""")
    with pytest.raises(evalrules.EvaluationError, match="division by zero") as info:
        scheme.score({"id": "B7", "category": "office", "facts": {"n": 0}})
    assert info.value.unit == "B7"


# The generated scorer inlines functions, folds constants and leaves out checks that the
# declared ranges rule out; this scheme reaches each of those paths with values that do and do
# not stay within the ranges (negative values, unsorted band edges, a max off the quantum).
INLINED = build("""
facts:
  - {id: a, label: 甲, type: number, min: -50, max: 50}
  - {id: b, label: 乙, type: number, min: 0}
  - {id: t, label: 目标, type: number, min: 0, max: 1000}
  - {id: n, label: 次数, type: integer, min: 0}
  - {id: m, label: 增减, type: integer}
  - {id: flag, label: 标志, type: boolean}
  - {id: level, label: 级别, type: enum, values: [x, y, z]}
  - {id: r, label: 比率, type: number, min: 0, max: 1}
derived:
  - {id: d1, label: 比值, formula: "ratio(a, t, cap=1.5)"}
  - {id: d2, label: 较小者, formula: "min(b * 2, n + 0.125)"}
indicators:
  - id: g1
    label: 一
    max: 40
    children:
      - {id: k1, label: 比例, max: 10, points: "ratio(b, t, cap=1) * full"}
      - {id: k2, label: 分档, max: 5, points: "band(a, (-5, 10, 30), (2.555, 1, 6), default=0.5)"}
      - {id: k3, label: 可负, max: 5, floor: null, points: "min(full, m * 0.333)"}
      - {id: k4, label: 三者, max: 5, points: "max(d2, 1) - min(a, b, n)"}
      - {id: k5, label: 条件, max: 5, when: "flag and r > 0.5"}
      - {id: k6, label: 组合, max: 10, points: "band(n + a, (0, 10), (3, 7))"}
      - {id: k7, label: 小数, max: 0.555, points: "r"}
  - id: g2
    label: 二
    max: 30
    applicable: "not flag or n > 2"
    children:
      - {id: k8, label: 生产, max: 10, applies_to: [production], points: "ratio(a + 100, t + 1) * 10"}
      - {id: k9, label: 级别分, max: 10, points: "d1 * 10 if level == 'x' else (5 if level == 'y' else r)"}
      - {id: k10, label: 半权, max: 10, weight: 0.5, points: "abs(a) / 5"}
  - id: g3
    label: 三
    max: 30
    children:
      - {id: k11, label: 半数, max: 15, floor: -5, points: "a / 2"}
      - {id: k12, label: 三次, max: 15, points: "ratio(n, 3, cap=1) * full"}
deductions:
  - {id: per_n, label: 按次扣, applies_to: g3, points: 1.5, per: n, cap: 4}
  - {id: negative, label: 负增, when: "m < 0", points: 2}
bonuses:
  - {id: small, label: 小奖, applies_to: g1, points: 0.25, per: n, cap: 1}
  - {id: big, label: 大奖, when: flag, points: 3, above_max: true}
vetoes:
  - {id: far, label: 过低, when: "a < -40", effects: [{zero: g2}, {rating: grade, block: ["A"]}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)", when: flag}
      - {id: "4", label: 四星, range: "[60, 90)"}
      - {id: "3", label: 三星, range: "(-inf, 60)"}
  - id: grade
    label: 等级
    levels:
      - {id: A, label: 优, range: "(80, +inf)"}
      - {id: B, label: 良, range: "[60, 80]"}
      - {id: C, label: 差, range: "(-inf, 60)"}
""")

inlined_facts = st.fixed_dictionaries({
    "a": decimals(-50, 50, 3), "b": decimals(0, 10000), "t": st.one_of(st.just(0), decimals(0, 1000)),
    "n": st.integers(0, 20), "m": st.integers(-20, 20), "flag": st.booleans(),
    "level": st.sampled_from(["x", "y", "z"]), "r": decimals(0, 1, 3),
})


@settings(max_examples=400, deadline=None)
@given(inlined_facts, category_strategy)
def test_inlined_scoring_equals_the_traced_evaluation_digit_for_digit(
        facts: dict[str, Any], category: str) -> None:
    """Inlined functions, folded constants and range-elided checks give the traced figures,
    written the same way (2.50 stays 2.50, never 2.5)."""
    unit = {"id": "U", "category": category, "facts": facts}
    scores, result = INLINED.score(unit), INLINED.evaluate(unit)
    assert _same(scores, result)
    assert {k: str(v) for k, v in scores.points.items()} == \
        {k: str(v) for k, v in result.points.items()}


def _subject(scheme: evalrules.CompiledScheme, unit: dict[str, Any]) -> Any:
    from evalrules.facts import subject_from_mapping

    return subject_from_mapping(scheme.model, unit)


@settings(max_examples=300, deadline=None)
@given(facts_strategy, category_strategy)
def test_compiled_evaluation_equals_the_interpreter_step_for_step(facts: dict[str, Any],
                                                                  category: str) -> None:
    """evaluate() (compiled, its trace built from the recorded formula values) equals the
    interpreter in every figure and every step of the trace."""
    subject = _subject(SCHEME, {"id": "U", "category": category, "facts": facts})
    compiled, interpreted = SCHEME.evaluate(subject), SCHEME._evaluator.interpret(subject)
    assert compiled == interpreted
    assert list(compiled.points) == list(interpreted.points)  # the same order, for renderers
    assert tuple(compiled.steps) == tuple(interpreted.steps)
    assert compiled.explain() == interpreted.explain()


@settings(max_examples=300, deadline=None)
@given(inlined_facts, category_strategy)
def test_compiled_evaluation_of_inlined_formulas_equals_the_interpreter(
        facts: dict[str, Any], category: str) -> None:
    """The same on the scheme that reaches every inlined and elided path."""
    subject = _subject(INLINED, {"id": "U", "category": category, "facts": facts})
    compiled, interpreted = INLINED.evaluate(subject), INLINED._evaluator.interpret(subject)
    assert compiled == interpreted
    assert {k: str(v) for k, v in compiled.points.items()} == \
        {k: str(v) for k, v in interpreted.points.items()}


def test_compiled_evaluation_equals_the_interpreter_on_every_shipped_example() -> None:
    from .conftest import ROOT

    for path in sorted((ROOT / "schemes").glob("*.yaml")):
        scheme = evalrules.load_scheme(path)
        for facts_file in sorted((ROOT / "examples" / path.stem).glob("*.yaml")):
            for unit in scheme.read_facts(facts_file).units:
                compiled, interpreted = scheme.evaluate(unit), scheme._evaluator.interpret(unit)
                assert compiled == interpreted, (path.stem, unit.id)
                assert _same(scheme.score(unit), interpreted), (path.stem, unit.id)
