"""The formula language: exact arithmetic, checked names, refused syntax, limits, functions."""

from __future__ import annotations

import datetime as dt
import decimal
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalrules.formula import (
    Formula,
    FormulaProblem,
    FormulaRejected,
    FormulaRuntimeError,
    build_globals,
    compile_tree,
    make_functions,
    reference_evaluate,
)
from evalrules.limits import DEFAULT_LIMITS, Limits
from evalrules.numeric import CONTEXT, NumericPolicy

# These tests quote the English messages; tests/test_diagnostics_i18n.py shows both languages.
pytestmark = pytest.mark.lang("en_US")

KNOWN: dict[str, Any] = {name: None for name in
                         ("a", "b", "c", "level", "rate", "threshold", "start", "end")}
LISTS: dict[str, dict[str, Any]] = {"items": {"level": None, "persons": None, "points": None}}
POLICY = NumericPolicy()

ITEMS = (
    {"level": "major", "persons": Decimal(3), "points": Decimal("1.5")},
    {"level": "ordinary", "persons": Decimal(1), "points": Decimal("0.5")},
    {"level": "major", "persons": Decimal(0), "points": Decimal("2")},
)
VALUES: dict[str, Any] = {
    "a": Decimal(1), "b": Decimal(2), "c": Decimal(3), "level": "major",
    "rate": Decimal("0.85"), "threshold": Decimal(2), "items": ITEMS,
    "start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 1),
}


def compile_(text: str, limits: Limits = DEFAULT_LIMITS) -> Formula:
    return compile_tree(text, known=KNOWN, known_lists=LISTS, limits=limits)


def run(text: str, values: Mapping[str, Any] | None = None, policy: NumericPolicy = POLICY,
        limits: Limits = DEFAULT_LIMITS) -> Any:
    """Compile and evaluate as the evaluator does: under the engine's decimal context."""
    formula = compile_(text, limits)
    env = build_globals(make_functions(policy, limits), [formula])
    with decimal.localcontext(CONTEXT):
        return formula.evaluate(env, VALUES if values is None else values)


def problems(text: str, limits: Limits = DEFAULT_LIMITS) -> list[FormulaProblem]:
    with pytest.raises(FormulaRejected) as info:
        compile_(text, limits)
    return info.value.problems


def kinds(text: str, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    return [p.kind for p in problems(text, limits)]


# -- exact arithmetic


def test_point_one_plus_point_two_is_point_three() -> None:
    """0.1 + 0.2 is exactly the decimal 0.3, and equal to the literal 0.3."""
    assert run("0.1 + 0.2") == Decimal("0.3")
    assert isinstance(run("0.1 + 0.2"), Decimal)
    assert run("0.1 + 0.2 == 0.3") is True


@pytest.mark.parametrize(("text", "expected"), [
    ("a / 4 * 4", Decimal("1.00")),
    ("10 / 4", Decimal("2.5")),
    ("1.10 * 3", Decimal("3.30")),
    ("a / 3 * 3", Decimal("0." + "9" * 34)),
    ("round(a / 3 * 3, 2)", Decimal("1.00")),
    ("1 / 3", Decimal("0." + "3" * 34)),
    ("7 // 2", Decimal(3)),
    ("7 % 4", Decimal(3)),
    ("2 ** 100", Decimal(2**100)),
    ("-a + +b", Decimal(1)),
])
def test_arithmetic_is_exact_decimal(text: str, expected: Decimal) -> None:
    """Arithmetic is Decimal with 34 significant digits, never binary floating point."""
    result = run(text)
    assert isinstance(result, Decimal)
    assert result == expected
    assert str(result) == str(expected)


def test_literals_keep_every_digit() -> None:
    """Number literals are read exactly, beyond what a binary float could hold."""
    assert run("0.12345678901234567890123 + 0") == Decimal("0.12345678901234567890123")
    assert run("1e400 > 10 ** 100") is True


def test_division_by_zero_is_an_arithmetic_error() -> None:
    """Dividing by zero raises (an ArithmeticError the evaluator reports), never inf or NaN."""
    with pytest.raises(ArithmeticError):
        run("a / (b - 2)")


def test_constants_of_formulas_sharing_globals_do_not_collide() -> None:
    """Several formulas in one globals dict each keep their own literals."""
    first, second = compile_("a + 1"), compile_("a + 2")
    env = build_globals(make_functions(POLICY), [first, second])
    assert first.evaluate(env, VALUES) == Decimal(2)
    assert second.evaluate(env, VALUES) == Decimal(3)


@pytest.mark.parametrize(("text", "expected"), [
    ("true and not false", True), ("True or False", True),
    ("a < b < c", True), ("a < b > c", False), ("a if b > 1 else c", Decimal(1)),
    ("level == 'major'", True), ("not a", False), ("  a + 1  ", Decimal(2)),
])
def test_logic_comparisons_and_text(text: str, expected: object) -> None:
    """Booleans, chained comparisons, conditional expressions and quoted text work."""
    assert run(text) == expected


# -- names


def test_names_and_their_columns_come_from_the_tree() -> None:
    """A formula lists the names it reads with 1-based columns, in reading order."""
    formula = compile_("a + b * max(c, a)")
    assert formula.names == {"a", "b", "c"}
    assert formula.name_columns == (("a", 1), ("b", 5), ("c", 13), ("a", 16))


def test_names_inside_text_are_not_names() -> None:
    """A name written inside quoted text is text, not a dependency."""
    assert compile_("level == 'a'").names == {"level"}


def test_where_condition_outer_names_are_found_fields_are_not() -> None:
    """Outer names in where= count as read (at the condition's column); record fields never do."""
    formula = compile_('count(items, where="persons >= threshold") + a')
    assert formula.names == {"items", "threshold", "a"}
    assert formula.name_columns == (("items", 7), ("threshold", 20), ("a", 46))
    assert "persons" not in formula.names


def test_field_shadows_an_outer_name_inside_where() -> None:
    """A record field named like an outer value is the field: the outer value is not read."""
    assert compile_("count(items, where=\"level == 'major'\")").names == {"items"}


def test_columns_count_characters_not_bytes() -> None:
    """Columns count characters, so Chinese text before a name does not shift them."""
    [problem] = problems("level == '重大' or zz > 1")
    assert problem.kind == "unknown-name"
    assert problem.column == 18
    assert compile_("level == '重大' or a").name_columns == (("level", 1), ("a", 18))


def test_unknown_name_has_did_you_mean_and_column() -> None:
    """An undeclared name is unknown-name at its column with the nearest declared name."""
    [problem] = problems("a + thresold")
    assert problem.kind == "unknown-name"
    assert problem.column == 5
    assert "`thresold`" in problem.message
    assert problem.hint == "did you mean `threshold`?"


def test_unknown_name_without_near_miss_says_how_to_declare() -> None:
    """A name like nothing declared gets a hint to declare it."""
    [problem] = problems("a + zzz")
    assert problem.kind == "unknown-name"
    assert "declare it" in problem.hint


def test_unknown_name_in_where_is_reported_at_the_condition() -> None:
    """An unknown name inside where= is unknown-name at the condition, suggesting a field."""
    [problem] = problems('count(items, where="lvl == 1")')
    assert problem.kind == "unknown-name"
    assert problem.column == 20
    assert problem.message.startswith("in where=")
    assert problem.hint == "did you mean `level`?"


@pytest.mark.parametrize(("text", "column", "hint"), [
    ("maxx(a)", 1, "did you mean `max`?"),
    ("a + roud(b)", 5, "did you mean `round`?"),
    ("eval('1')", 1, "available: abs, all"),
    ("open('x')", 1, "available: abs, all"),
    ("__import__('os')", 1, "available: abs, all"),
])
def test_unknown_function(text: str, column: int, hint: str) -> None:
    """A call of anything but the listed functions is unknown-function at the function's name."""
    [problem] = problems(text)
    assert problem.kind == "unknown-function"
    assert problem.column == column
    assert problem.hint.startswith(hint)


@pytest.mark.parametrize(("text", "column", "message"), [
    ("round(a, 1, 2)", 1, "round() takes 1 to 2 argument(s), got 3"),
    ("clamp(a, 1)", 1, "clamp() takes 3 argument(s), got 2"),
    ("min()", 1, "min() takes 1 or more argument(s), got 0"),
    ("round(a, place=1)", 16, "round() has no keyword `place`"),
    ("max(a, where='x')", 14, "max() has no keyword `where`"),
    ("ratio(a, b, limit=1)", 19, "ratio() has no keyword `limit`"),
    ("count(a)", 7, "count() needs a list fact as its first argument"),
    ("sum(items, points)", 12, "sum() needs the field name as text"),
    ("count(items, where=level)", 20, "where= needs a condition written as text"),
    ("date('2024-13-01')", 6, "not a date"),
])
def test_bad_arguments(text: str, column: int, message: str) -> None:
    """Wrong arity, unknown keywords and malformed aggregate arguments are bad-arguments."""
    found = problems(text)
    assert [p.kind for p in found] == ["bad-arguments"]
    assert found[0].column == column
    assert found[0].message.startswith(message)


def test_unknown_list_field_is_unknown_name_with_the_fields() -> None:
    """An aggregate over a field the list does not have names the fields it does have."""
    [problem] = problems("sum(items, 'pts')")
    assert problem.kind == "unknown-name"
    assert problem.column == 12
    assert problem.hint == "fields: level, persons, points"


def test_every_problem_in_a_formula_is_reported() -> None:
    """All problems of one formula come back together, in order."""
    found = problems("zz + maxx(a) + round(a, 1, 2)")
    assert [(p.kind, p.column) for p in found] == [
        ("unknown-name", 1), ("unknown-function", 6), ("bad-arguments", 16)]


@pytest.mark.parametrize("text", ["a +", "a + (1", "a if b", "count(items, where='a +')"])
def test_syntax_errors(text: str) -> None:
    """Text that does not parse (also inside where=) is formula-syntax."""
    assert kinds(text) == ["formula-syntax"]


# -- refused syntax


@pytest.mark.parametrize("text", [
    "a.b", "facts.clear()", "max(a, b).real", "().__class__", "a[0]", "count(items)[0]", "a[1:2]",
    "[x for x in a]", "{x for x in a}", "{x: 1 for x in a}", "(x for x in a)", "lambda: 1",
    "f'{a}'", "(y := 1)", "max(*a)", "{'a': 1}", "{1, 2}", "a is b", "a is not b", "a & b",
    "a | b", "a ^ b", "a << b", "a >> b", "~a", "a @ b", "None", "b'x'", "1j", "...", "max",
    "level in a", "level in ('a', b)",
])
def test_unsupported_syntax_is_refused(text: str) -> None:
    """Each construct outside the formula language is refused as unsupported-syntax."""
    assert "unsupported-syntax" in kinds(text)
    assert set(kinds(text)) == {"unsupported-syntax"}


def test_dunder_names_are_unknown() -> None:
    """Names such as __builtins__ are undeclared names, never reachable."""
    assert kinds("__builtins__") == ["unknown-name"]
    assert kinds("__import__") == ["unknown-name"]


def test_refused_syntax_inside_where_is_refused() -> None:
    """The allow-list applies inside where= conditions too."""
    found = problems('count(items, where="level.upper() == \'A\'")')
    assert [p.kind for p in found] == ["unsupported-syntax"]
    assert found[0].column == 20


# -- limits


def test_formula_longer_than_the_limit_is_too_complex() -> None:
    """A formula over formula_chars characters is formula-too-complex; at the limit it compiles."""
    text = "a + b + c + a"
    compile_(text, Limits(formula_chars=len(text)))
    assert kinds(text, Limits(formula_chars=len(text) - 1)) == ["formula-too-complex"]
    assert kinds("a + " * 600 + "a") == ["formula-too-complex"]


@pytest.mark.parametrize("text", [
    "-" * 50 + "a", "a+" * 999 + "a", "not " * 400 + "a", "-" * 1999 + "1",
    'count(items, where="' + "-" * 1900 + '1 > 0")',
    'count(items, where="' + "a+" * 400 + 'a > 0")',
])
def test_too_deep_nesting_is_too_complex(text: str) -> None:
    """Nesting beyond formula_depth, in a formula or its where=, is formula-too-complex."""
    assert kinds(text) == ["formula-too-complex"]


def test_depth_limit_is_configurable() -> None:
    """formula_depth comes from the limits passed in."""
    compile_("-(-(-a))")
    assert kinds("-(-(-a))", Limits(formula_depth=4)) == ["formula-too-complex"]


def test_nested_parentheses_beyond_the_parser_are_rejected_not_crashing() -> None:
    """Hundreds of parentheses are rejected with a problem, not an exception escaping."""
    assert kinds("(" * 300 + "1" + ")" * 300)


def test_too_many_nodes_is_too_complex() -> None:
    """More than formula_nodes parts is formula-too-complex; a large shallow formula compiles."""
    compile_("max(" + ", ".join(["a"] * 100) + ")")
    assert kinds("max(" + ", ".join(["a"] * 450) + ")") == ["formula-too-complex"]


@pytest.mark.parametrize("text", ["2 ** 1000", "4000000**4000000", "a ** (b * 1000)",
                                  "2 ** -101"])
def test_exponent_over_limit_fails_quickly_at_evaluation(text: str) -> None:
    """An exponent above max_exponent raises FormulaRuntimeError when evaluated, at once."""
    formula = compile_(text)  # compiling is fine: the check is on values
    env = build_globals(make_functions(POLICY, Limits(max_exponent=100)), [formula])
    began = time.perf_counter()
    with decimal.localcontext(CONTEXT), pytest.raises(FormulaRuntimeError, match="exponent"):
        formula.evaluate(env, VALUES)
    assert time.perf_counter() - began < 1.0
    with decimal.localcontext(CONTEXT), pytest.raises(FormulaRuntimeError):
        reference_evaluate(text, VALUES, POLICY)


def test_exponent_at_limit_is_allowed() -> None:
    """An exponent equal to max_exponent is computed exactly."""
    assert run("2 ** 100", limits=Limits(max_exponent=100)) == Decimal(2**100)
    with pytest.raises(FormulaRuntimeError):
        run("2 ** 11", limits=Limits(max_exponent=10))


def test_zero_to_negative_power_is_a_runtime_error() -> None:
    """0 ** -1 is reported as a formula error, not a ZeroDivisionError."""
    with pytest.raises(FormulaRuntimeError):
        run("0 ** -1")


# -- functions


@pytest.mark.parametrize(("text", "expected"), [
    ("min(a, b, c)", Decimal(1)),
    ("max(a, b)", Decimal(2)),
    ("min(c)", Decimal(3)),
    ("clamp(c, 0, 2)", Decimal(2)),
    ("clamp(-1, 0, 2)", Decimal(0)),
    ("clamp(1.5, 0, 2)", Decimal("1.5")),
    ("abs(a - c)", Decimal(2)),
    ("round(2.345, 2)", Decimal("2.35")),
    ("round(2.345, places=2)", Decimal("2.35")),
    ("round(2.5)", Decimal(3)),
    ("round(-2.5)", Decimal(-3)),
    ("floor(-1.5)", Decimal(-2)),
    ("floor(2)", Decimal(2)),
    ("ceil(1.2)", Decimal(2)),
    ("ceil(-1.2)", Decimal(-1)),
    ("ratio(a, 0)", Decimal(0)),
    ("ratio(c, b)", Decimal("1.5")),
    ("ratio(c, b, cap=1)", Decimal(1)),
    ("ratio(a, b, cap=1)", Decimal("0.5")),
    ("band(rate, (0.6, 0.8, 0.9), (2, 4, 5))", Decimal(4)),
    ("band(0.8, (0.6, 0.8, 0.9), (2, 4, 5))", Decimal(4)),
    ("band(0.95, (0.6, 0.8, 0.9), (2, 4, 5))", Decimal(5)),
    ("band(0.1, (0.6, 0.8), (2, 4))", Decimal(0)),
    ("band(0.1, (0.6, 0.8), (2, 4), default=1)", Decimal(1)),
    ("days(date('2024-01-01'), date('2024-03-01'))", Decimal(60)),
    ("days('2024-03-01', '2024-01-01')", Decimal(-60)),
    ("days(start, end)", Decimal(60)),
    ("date('2024-03-31') > end", True),
])
def test_scalar_functions(text: str, expected: object) -> None:
    """min, max, clamp, abs, round (half_up), floor, ceil, ratio, band, days and date."""
    result = run(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("rounding", "text", "expected"), [
    ("half_up", "round(2.345, 2)", "2.35"),
    ("half_even", "round(2.345, 2)", "2.34"),
    ("half_even", "round(2.355, 2)", "2.36"),
    ("half_even", "round(2.5)", "2"),
    ("half_down", "round(2.5)", "2"),
    ("down", "round(2.349, 2)", "2.34"),
    ("up", "round(2.341, 2)", "2.35"),
])
def test_round_follows_the_policy(rounding: str, text: str, expected: str) -> None:
    """round() uses the scheme's rounding mode."""
    assert str(run(text, policy=NumericPolicy(2, rounding))) == expected


@pytest.mark.parametrize("text", ["round(a, 11)", "round(a, -1)", "band(a, (1, 2), (3,))",
                                  "days('2024-01-01', 'soon')", "clamp('x', 0, 1)"])
def test_bad_values_at_runtime_are_formula_errors(text: str) -> None:
    """Arguments a function cannot use are FormulaRuntimeError, naming the function."""
    with pytest.raises(FormulaRuntimeError):
        run(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("count(items)", Decimal(3)),
    ("count(items, where=\"level == 'major'\")", Decimal(2)),
    ("count(items, where=\"persons >= threshold\")", Decimal(1)),
    ("count(items, where=\"level == 'major' and persons > a\")", Decimal(1)),
    ("sum(items, 'points')", Decimal("4.0")),
    ("sum(items, 'persons', where=\"level == 'major'\")", Decimal(3)),
    ("sum(items, 'points', where='persons > 1')", Decimal("1.5")),
    ("avg(items, 'persons')", Decimal("1." + "3" * 33)),
    ("avg(items, 'points', where='persons > 100')", Decimal(0)),
    ("avg(items, 'points', where='persons > 100', default=7)", Decimal(7)),
    ("min_of(items, 'points')", Decimal("0.5")),
    ("min_of(items, 'points', where=\"level == 'major'\")", Decimal("1.5")),
    ("max_of(items, 'persons')", Decimal(3)),
    ("max_of(items, 'persons', where='persons > 99', default=-1)", Decimal(-1)),
    ("any(items, where=\"level == 'minor'\")", False),
    ("any(items, where='points > c - 1.5')", True),
    ("all(items, where='persons >= 0')", True),
    ("all(items, where='persons >= a')", False),
    ("any(items)", True),
])
def test_aggregates_over_list_facts(text: str, expected: object) -> None:
    """Aggregates read list facts, and where= filters mix record fields, outer names, literals."""
    result = run(text)
    assert result == expected
    assert type(result) is type(expected)


def test_aggregates_over_an_empty_list() -> None:
    """An empty list counts 0, sums 0, is not any() and is all()."""
    values = {**VALUES, "items": ()}
    assert run("count(items) + sum(items, 'points')", values) == 0
    assert run("any(items)", values) is False
    assert run("all(items, where='persons > 0')", values) is True


def test_in_with_a_literal_list() -> None:
    """`in` / `not in` compare against a literal list of text or exact numbers."""
    assert run("level in ('major', 'x')") is True
    assert run("level not in ('major',)") is False
    assert run("c in (1, 2, 3)") is True
    assert run("c in [3.0]") is True
    assert run("rate in (0.85, 0.9)") is True
    assert run("rate in (0.8500000000000000001,)") is False


def test_in_against_a_name_is_refused_at_the_name() -> None:
    """`in` against a name (not a literal list) is unsupported-syntax at the right operand."""
    [problem] = problems("level in a")
    assert problem.kind == "unsupported-syntax"
    assert problem.column == 10


# -- compiled path against the reference evaluator


@pytest.mark.parametrize("text", [
    "band(rate, (0.6, 0.8, 0.9), (2, 4, 5))", "level in ('major', 'x')",
    "avg(items, 'points', where='persons > 100', default=7)", "all(items, where='persons >= 0')",
    "0.12345678901234567890123 * 3",
])
def test_reference_evaluator_handles_lists_literals_and_filters(text: str) -> None:
    """reference_evaluate accepts literal lists, where= literals and long literals too."""
    with decimal.localcontext(CONTEXT):
        assert reference_evaluate(text, VALUES, POLICY) == run(text)


PROPERTY_FORMULAS = [
    "a + b * c - a / 7",
    "(a - b) // 3 + c % 4",
    "a / b",
    "-a + +b",
    "a ** 2 + b ** 3",
    "min(a, b, c) + max(a, b) * 2",
    "clamp(a, -10, 10.5)",
    "round(a / 3, 2) + round(b, 1) + round(c)",
    "floor(a) + ceil(b)",
    "abs(a - b)",
    "ratio(a, b) + ratio(a, c, cap=1.5)",
    "band(rate, (0.6, 0.8, 0.9), (2, 4, 5))",
    "band(a, (-100, 0, 100), (1, 2, 3), default=-1)",
    "a if a > b else (b if b > c else c)",
    "a < b <= c or not (a == c)",
    "a != b and b >= c",
    "level in ('major', 'minor') and a > 0",
    "c in (1, 2, 3, 0.5)",
    "0.12345678901234567890123 + a",
    "count(items)",
    "count(items, where=\"level == 'major' and persons > 1\")",
    "sum(items, 'points', where='persons >= threshold') - a",
    "avg(items, 'points', where='points > 0.5', default=-1)",
    "min_of(items, 'points', default=100) + max_of(items, 'persons', where='persons < 3')",
    "any(items, where='points > a') or all(items, where='persons >= 0')",
    "days(start, end) * a + days(date('2024-01-01'), date('2024-12-31'))",
]
COMPILED = [compile_(text) for text in PROPERTY_FORMULAS]
COMPILED_ENV = build_globals(make_functions(POLICY), COMPILED)

numbers = st.decimals(min_value=-1000, max_value=1000, places=3,
                      allow_nan=False, allow_infinity=False)
records = st.fixed_dictionaries({
    "level": st.sampled_from(["major", "ordinary", "minor"]),
    "persons": st.integers(0, 5).map(Decimal),
    "points": st.decimals(min_value=0, max_value=10, places=2),
})
unit_values = st.fixed_dictionaries({
    "a": numbers, "b": numbers, "c": numbers | st.sampled_from([Decimal(0), Decimal("0.5")]),
    "rate": st.decimals(min_value=0, max_value=1, places=2),
    "threshold": st.integers(0, 5).map(Decimal),
    "level": st.sampled_from(["major", "minor", "other"]),
    "items": st.lists(records, max_size=5).map(tuple),
    "start": st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
    "end": st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
})


def outcome(evaluate: Any) -> tuple[str, str]:
    try:
        with decimal.localcontext(CONTEXT):
            value = evaluate()
    except ArithmeticError as exc:
        return "error", type(exc).__name__
    return type(value).__name__, repr(value)


@settings(max_examples=200, deadline=None)
@given(values=unit_values)
def test_compiled_path_equals_reference_evaluation(values: dict[str, Any]) -> None:
    """Every formula gives the same value (or the same error) compiled and under simpleeval."""
    for text, formula in zip(PROPERTY_FORMULAS, COMPILED, strict=True):
        compiled = outcome(lambda f=formula: f.evaluate(COMPILED_ENV, values))
        reference = outcome(lambda t=text: reference_evaluate(t, values, POLICY))
        assert compiled == reference, text


@pytest.mark.parametrize("edges", ["(0.8, 0.6, 0.9)", "(0.6, 0.6, 0.9)", "(0.9, 0.8, 1)"])
def test_band_edges_written_out_of_order_are_refused(edges: str) -> None:
    """band() gives the value of the highest edge reached only when the edges rise; a scheme
    listing them in another order would get a different band than it reads."""
    found = problems(f"band(rate, {edges}, (2, 4, 5))")
    assert [p.kind for p in found] == ["bad-arguments"]
    assert "rise strictly" in found[0].message


def test_band_edges_computed_out_of_order_fail_when_evaluated() -> None:
    with pytest.raises(FormulaRuntimeError, match="rise strictly"):
        run("band(rate, (b, a), (4, 2))")
    assert run("band(rate, (a - 1, a), (4, 2))") == Decimal(4)


def test_negative_band_edges_are_compared_as_numbers() -> None:
    assert [p.kind for p in problems("band(rate, (10, -5, 30), (1, 2, 6))")] == ["bad-arguments"]
    assert run("band(rate, (-5, 0.5, 1), (1, 2, 6))") == Decimal(2)
