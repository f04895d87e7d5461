"""Meaning checks beyond the JSON Schema: one planted mistake each, found at its place."""

from __future__ import annotations

import pytest

import evalrules

from .conftest import scheme_text

FACTS = """
facts:
  - {id: n, label: 数量, type: integer, min: 0}
"""


def codes(body: str) -> list[tuple[str, int]]:
    _, problems = evalrules.check(scheme_text(body))
    return [(d.code, d.location.line) for d in problems]


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: "b + n"}
  - {id: b, label: 乙, max: 10, points: "a"}
""", [("G401", 14)], id="cycle-between-criteria"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: n}
deductions:
  - {id: d, label: 扣, points: "total / 10", cap: 5}
""", [("G401", 16)], id="cycle-through-a-deduction-on-total"),
    pytest.param(FACTS + """
indicators:
  - {id: count, label: 甲, max: 10, points: n}
""", [("M214", 14)], id="function-name-as-id"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: {production: 10}, points: n}
""", [("M212", 14)], id="max-missing-for-a-category"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: n}
vetoes:
  - {id: v, label: 否, when: "n > 1", effects: [{rating: grade, set: "A"}]}
""", [("M204", 16)], id="veto-on-unknown-rating"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: n}
ratings:
  - id: stars
    label: 星
    levels:
      - {id: "2", label: 二, range: "[5, +inf)"}
      - {id: "1", label: 一, range: "(-inf, 5)"}
  - id: tier
    label: 阶梯
    from: stars
    levels:
      - {id: top, label: 上, includes: ["2", "3"]}
""", [("M215", 21), ("M215", 25)], id="tier-includes-unknown-and-misses-a-level"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: n, when: "n > 1"}
""", [("M213", 14)], id="criterion-with-points-and-when"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: n}
ratings:
  - id: stars
    label: 星
    levels:
      - {id: "2", label: 二, range: "[5, 3]"}
""", [("M209", 19)], id="empty-band"),
    pytest.param("""
facts:
  - {id: n, label: 数量, type: discretionary}
  - {id: e, label: 枚举, type: enum}
indicators:
  - {id: a, label: 甲, max: 10, points: "n + 1 if e == 'x' else 0"}
""", [("M211", 11), ("M211", 12)], id="bad-fact-declarations"),
    pytest.param(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: "n.real"}
""", [("F303", 14)], id="attribute-access"),
])
def test_each_planted_mistake_is_reported_at_its_line(body: str,
                                                      expected: list[tuple[str, int]]) -> None:
    found = [c for c in codes(body) if not c[0].startswith("W")]
    assert found == expected


def test_a_clean_scheme_compiles_with_no_diagnostics() -> None:
    assert codes(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: "min(n, 10)"}
""") == []


def test_scheme_error_carries_every_diagnostic() -> None:
    with pytest.raises(evalrules.SchemeError) as info:
        evalrules.load_scheme(scheme_text(FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: "m"}
  - {id: b, label: 乙, max: 10, points: "k"}
"""))
    assert [d.code for d in info.value.diagnostics if d.is_error] == ["F302", "F302"]
    assert isinstance(info.value, ValueError)


def test_shipped_schemes_declare_the_editor_schema() -> None:
    """Each shipped scheme starts with the yaml-language-server line for editor support."""
    from .conftest import ROOT

    for path in sorted((ROOT / "schemes").glob("*.yaml")):
        first = path.read_text("utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/scheme.schema.json", path
        assert evalrules.check(path)[0] is not None, path


def test_a_test_extends_an_earlier_one() -> None:
    """`extends` starts from an earlier test's facts; an unknown name is M217 at its line."""
    body = FACTS + """
indicators:
  - {id: a, label: 甲, max: 10, points: "min(n, 10)"}
tests:
  - {name: 基础, category: office, facts: {n: 4}, expect: {total: 4}}
  - {name: 变化, extends: 基础, facts: {n: 7}, expect: {total: 7}}
  - {name: 错误, extends: 基楚, facts: {}, expect: {total: 0}}
"""
    assert codes(body) == [("M217", 18)]
    scheme, _ = evalrules.check(scheme_text(body.replace("  - {name: 错误, extends: 基楚, facts: {}, expect: {total: 0}}\n", "")))
    assert scheme is not None
    from evalrules.testing import run_tests

    outcomes = run_tests(scheme)
    assert [o.passed for o in outcomes] == [True, True]
    assert scheme.model.tests[1].category == "office"
