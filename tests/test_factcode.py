"""The facts checker's fast path (evalrules.factcode) decides exactly as the checker does.

Every unit is checked twice, by a checker with the generated function and by one without it,
and the two must give the same subjects — the same values of the same types in the same order,
the same reasons and places — and the same problems. The units are every shipped scheme's
examples and generated enterprises, as YAML and as JSON Lines give them, then the same units
broken in the ways a facts file gets broken.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalrules
from evalrules import factcode
from evalrules.diagnostics import Location
from evalrules.facts import UnitChecker, _Checker, _period_values
from evalrules.generate import generate, to_yaml
from evalrules.yamlsource import load_yaml

from .conftest import ROOT, build

SCHEMES = sorted((ROOT / "schemes").glob("*.yaml"))
PERIOD = "2024-03"


def _examples(path: Path) -> tuple[evalrules.CompiledScheme, list[Any]]:
    """The scheme, and raw units: its example facts and 60 generated units, as YAML reads them
    and as JSON Lines would give them."""
    scheme = evalrules.load_scheme(path)
    facts = ROOT / "examples" / path.stem / "facts.yaml"
    doc, problems = load_yaml(facts.read_text("utf-8"), str(facts))
    assert doc is not None and not problems
    units = list(doc.data["units"])
    examples = scheme.read_facts(facts).units
    text = to_yaml(generate(scheme.model, examples, 60, seed=11), scheme.id, PERIOD)
    generated, problems = load_yaml(text, "generated.yaml")
    assert generated is not None and not problems
    units += [{**u, "id": f"G{u['id']}"} for u in generated.data["units"]]
    as_json = [json.loads(_json(u), parse_float=Decimal) for u in units]
    return scheme, units + [{**u, "id": f"J{u['id']}"} for u in as_json]


def _json(value: Any) -> str:
    """JSON text as a JSON Lines file holds it: exact numbers written as numbers."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return json.dumps(value, default=str, ensure_ascii=False)


CASES = {path.stem: _examples(path) for path in SCHEMES}


def _checker(scheme: evalrules.CompiledScheme, fast: bool) -> _Checker:
    checker = _Checker(scheme.model, lambda path, key=False: Location(
        "facts.yaml", hash(path) % 997, 1 if key else 0, tuple(path)), evalrules.Limits(),
        fast=fast)
    if any(f.source == "period" for f in scheme.model.facts):
        checker.period_values = _period_values(["month_of_year"], PERIOD, [], Location())
    if fast:
        checker.fast = factcode._generate(scheme.model)  # from the first unit on
    return checker


def _shape(value: Any) -> Any:
    """A value with its type and its order: equality alone would take 1 for 1.0 and True."""
    if isinstance(value, tuple):
        return ("tuple", [_shape(v) for v in value])
    if hasattr(value, "items"):
        return (type(value).__name__, [(k, _shape(v)) for k, v in value.items()])
    return (type(value).__name__, repr(value))


def _results(scheme: evalrules.CompiledScheme, units: list[Any], fast: bool) -> list[Any]:
    checker = _checker(scheme, fast)
    seen: dict[str, Location] = {}
    out = []
    for i, raw in enumerate(units):
        before = len(checker.problems)
        subject = checker.unit(copy.deepcopy(raw), ("units", i), seen)
        out.append(None if subject is None else (
            subject.id, subject.category, subject.name, _shape(subject.values),
            _shape(subject.reasons), subject.location))
        out.append(checker.problems[before:])
    out.append(sorted(seen.items()))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_well_formed_unit_takes_the_fast_path(name: str) -> None:
    """The generated function accepts every unit of the examples and the generated files: the
    slow checks run only for units with a problem."""
    scheme, units = CASES[name]
    fast = factcode._generate(scheme.model)
    period = _checker(scheme, False).period_values
    refused = [u["id"] for u in units
               if fast(copy.deepcopy(u), {}, period, evalrules.Limits().max_list_records) is None]
    assert refused == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_slow_agree_on_well_formed_units(name: str) -> None:
    scheme, units = CASES[name]
    slow = _results(scheme, units, fast=False)
    assert slow == _results(scheme, units, fast=True)
    assert all(problems == [] for problems in slow[1:-1:2])


BROKEN_VALUES = [None, "", "x", " 3 ", "2024-02-30", "2024-03-31", True, False, 0, 1, -1, 7, 10**30,
                 1.5, Decimal("2.5"), Decimal("3"), Decimal("-0"), Decimal("NaN"), Decimal("Infinity"),
                 Decimal("1E+3"), Decimal("99999"), [], [{}], [{"x": 1}], {}, {"value": 1},
                 {"value": 2, "reason": "  "}, {"value": 2, "reason": " 迟报 "}, {"value": 0},
                 {"reason": "无"}, {"value": None, "reason": "r"}, {"value": 1, "why": "r"},
                 {"value": 1, "reason": 3}, dt.date(2024, 3, 1)]


@st.composite
def _broken(draw: st.DrawFn, name: str) -> list[Any]:
    """A few units of the scheme, each perhaps broken in one of the ways facts files are."""
    scheme, units = CASES[name]
    facts = scheme.model.facts
    picked = [copy.deepcopy(u) for u in draw(st.lists(st.sampled_from(units), min_size=1,
                                                      max_size=6))]
    for unit in picked:
        how = draw(st.sampled_from(["none", "value", "drop", "label", "unknown", "record",
                                    "unit", "category", "id", "duplicate", "name"]))
        fact = draw(st.sampled_from(facts))
        given = unit.setdefault("facts", {})
        if how == "value":
            given[fact.id] = draw(st.sampled_from(BROKEN_VALUES))
        elif how == "drop":
            given.pop(fact.id, None)
        elif how == "label":
            given[fact.label] = given.pop(fact.id, draw(st.sampled_from(BROKEN_VALUES)))
        elif how == "unknown":
            given[draw(st.sampled_from(["extra", fact.id + "s", "Facts"]))] = 1
        elif how == "record":
            lists = [f for f in facts if f.is_list and given.get(f.id)]
            if lists:
                target = draw(st.sampled_from(lists))
                record = draw(st.sampled_from(given[target.id]))
                field = draw(st.sampled_from(target.fields))
                change = draw(st.sampled_from(["drop", "value", "extra"]))
                if change == "drop":
                    record.pop(field.id, None)
                elif change == "value":
                    record[field.id] = draw(st.sampled_from(BROKEN_VALUES))
                else:
                    record["extra"] = 1
        elif how == "unit":
            unit[draw(st.sampled_from(["facts", "extra", "Name"]))] = draw(
                st.sampled_from(BROKEN_VALUES))
        elif how == "category":
            category = draw(st.sampled_from(scheme.model.categories))
            unit["category"] = draw(st.sampled_from([category.label, category.id.upper(), 3,
                                                     None]))
        elif how == "id":
            unit["id"] = draw(st.sampled_from([7, "", None, True, "B 1", 10**20]))
        elif how == "duplicate":
            unit["id"] = picked[0].get("id")
        elif how == "name":
            unit["name"] = draw(st.sampled_from([None, 12, "", "名称"]))
    return picked


def _kind(fact: Any) -> tuple[Any, ...]:
    return (fact.type, fact.min is None, fact.max is None, fact.required, fact.has_default,
            fact.source)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_slow_agree_on_every_kind_of_fact_broken_every_way(name: str) -> None:
    """One fact of each kind (type, bounds, required, default) given each broken value."""
    scheme, units = CASES[name]
    kinds = {_kind(f): f for f in reversed(scheme.model.facts)}
    broken = []
    for fact in kinds.values():
        for i, value in enumerate(BROKEN_VALUES):
            unit = copy.deepcopy(units[i % len(units)])
            unit["id"] = f"{fact.id}-{i}"
            unit["facts"][fact.id] = value
            broken.append(unit)
    assert _results(scheme, broken, fast=False) == _results(scheme, broken, fast=True)


SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_slow_agree_on_broken_units(name: str) -> None:
    @SETTINGS
    @given(_broken(name))
    def agree(units: list[Any]) -> None:
        assert _results(CASES[name][0], units, fast=False) == _results(CASES[name][0], units,
                                                                       fast=True)

    agree()


DEFAULTS = build("""
    facts:
      - {id: members, label: 党员数, type: integer, min: 0, default: 7}
      - {id: rate, label: 出勤率, type: number, min: 0, max: 1, required: false}
      - {id: note, label: 备注, type: text, default: 无}
      - {id: kind, label: 类型, type: enum, values: [{id: a, label: 甲}, {id: b, label: 乙}], default: b}
      - {id: day, label: 日期, type: date, default: "2024-01-31"}
      - {id: minus, label: 酌情扣分, type: discretionary, min: 0, max: 5, default: 0}
      - id: items
        label: 整改事项
        type: list
        fields:
          - {id: found, label: 发现, type: date}
          - {id: done, label: 完成, type: boolean, default: false}
          - {id: weight, label: 权重, type: number, min: 0, default: 1}
    indicators:
      - {id: a, label: 甲, max: 100, points: "members"}
""")


@pytest.mark.parametrize("facts", [
    {}, {"rate": None, "members": None}, {"members": 3, "rate": Decimal("0.5")},
    {"items": [{"found": "2024-01-02"}, {"found": "2024-02-03", "done": True, "weight": 2}]},
    {"items": []}, {"items": None}, {"minus": {"value": 1, "reason": "理由"}},
    {"minus": {"value": 0}}, {"minus": 1}, {"items": [{"done": True}]},
    {"kind": "c"}, {"kind": "a"}, {"day": "2024-1-31"}, {"note": 5}])
def test_defaults_and_lists(facts: dict[str, Any]) -> None:
    """Declared defaults are typed once and given to every unit that leaves the fact out."""
    units = [{"id": "U1", "category": "production", "facts": facts}]
    slow = _results(DEFAULTS, units, fast=False)
    assert slow == _results(DEFAULTS, units, fast=True)


def test_list_limit_is_the_runs() -> None:
    """The most records a list may hold comes from the run's limits, not the scheme."""
    units = [{"id": "U1", "category": "production",
              "facts": {"items": [{"found": "2024-01-02"}, {"found": "2024-01-03"}]}}]
    for most in (1, 2):
        slow, fast = (_Checker(DEFAULTS.model, lambda path, key=False: Location(),
                               evalrules.Limits(max_list_records=most), fast=f) for f in (0, 1))
        fast.fast = factcode._generate(DEFAULTS.model)
        a, b = (c.unit(copy.deepcopy(units[0]), (), {}) for c in (slow, fast))
        assert (a is None, slow.problems) == (b is None, fast.problems) == (most == 1,
                                                                            slow.problems)


def test_the_function_is_generated_once_a_scheme_has_had_enough_units(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A single unit is checked slowly (generating would cost more than it saves); from the
    FAST_AFTER-th unit of a scheme on, whichever checker reads it, the function is used."""
    monkeypatch.setattr(factcode, "FAST_AFTER", 5)
    scheme = build("""
        facts:
          - {id: members, label: 党员数, type: integer, min: 0}
        indicators:
          - {id: a, label: 甲, max: 100, points: "members"}
    """)
    firsts = []
    for i in range(6):
        checker = UnitChecker(scheme.model, lambda path, key=False: Location("x"))
        subject, problems = checker.check({"id": f"U{i}", "category": "production",
                                           "facts": {"members": i}}, (i,))
        assert subject is not None and not problems
        firsts.append(checker._checker.fast is not None)
    assert firsts == [False, False, False, False, True, True]
    assert scheme.score({"id": "U9", "category": "production",
                         "facts": {"members": 9}}).total == Decimal("9.00")


def test_prepare_generates_the_code_before_any_unit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`prepare()` (called before forking workers) leaves nothing to generate on first use."""
    monkeypatch.setattr(factcode, "FAST_AFTER", 10**9)
    scheme = evalrules.load_scheme(ROOT / "schemes" / "star-branch-5521.yaml")
    assert factcode.unit_checker(scheme.model) is None
    import evalrules.codegen as codegen

    scheme.prepare()
    monkeypatch.setattr(codegen, "compile_scorers", None)  # generating again would fail
    assert factcode.unit_checker(scheme.model) is not None
    unit = CASES["star-branch-5521"][1][0]
    assert scheme.score(unit).total == scheme.evaluate(unit).total
