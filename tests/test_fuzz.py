"""Fuzzing: whatever text, formula, facts or scheme comes in, only evalrules' own errors come out.

hypothesis generates YAML text, formulas over the formula grammar (and beyond it), facts values
and files, and schemes from the JSON Schema (hypothesis-jsonschema, on the definitions that make
up a scheme). Every property is the same: the library returns diagnostics or raises an
EvalrulesError, never another exception. The runs are short and derandomised, so the suite is
repeatable; `EVALRULES_FUZZ=long pytest tests/test_fuzz.py` explores with fresh random
examples, ten times as many. The atheris harnesses in fuzz/ run for a few seconds each when
atheris is installed (see fuzz/README.md for the longer run).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import decimal
import html
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalrules
from evalrules import api
from evalrules.errors import EvalrulesError, OutputError
from evalrules.facts import check_facts_data, check_facts_file
from evalrules.formula import (
    FUNCTION_NAMES,
    FormulaRejected,
    FormulaRuntimeError,
    build_globals,
    compile_tree,
    make_functions,
)
from evalrules.limits import Limits
from evalrules.numeric import CONTEXT, NumericPolicy
from evalrules.render import csvout, jsonout
from evalrules.render.html import esc
from evalrules.validate import scheme_json_schema
from evalrules.workbook import FORMULA_TRIGGERS
from evalrules.yamlsource import load_yaml

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
BASE_TEXT = (HOSTILE / "base" / "scheme.yaml").read_text("utf-8")
TARGET = "        points: full - 5 * max(0, 12 - meetings)\n"
LONG = os.environ.get("EVALRULES_FUZZ") == "long"
LIMITS = Limits(scheme_bytes=50_000, yaml_depth=12, yaml_nodes=3_000, text_chars=3_000,
                formula_chars=500, formula_nodes=150, formula_depth=20, facts_bytes=100_000,
                facts_nodes=5_000, table_rows=500, table_columns=60, unit_work=500_000,
                max_list_records=200)
# What the evaluator turns into EvaluationError for one unit (evaluate.Evaluator._run).
UNIT_FAILURES = (FormulaRuntimeError, ArithmeticError, TypeError, ValueError)


def fuzz(examples: int) -> Callable[[Any], Any]:
    """hypothesis settings for a fuzz property: `examples` runs (ten times more, random, when
    EVALRULES_FUZZ=long), no deadline, slow data generation allowed."""
    return settings(max_examples=examples * (10 if LONG else 1), deadline=None,
                    derandomize=not LONG, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@cache
def base_scheme() -> evalrules.CompiledScheme:
    return evalrules.load_scheme(BASE_TEXT)


# ----------------------------------------------------------------------------------------------
# YAML text

YAML_TOKENS = ["\n", "  ", "- ", ": ", "? ", "{", "}", "[", "]", ",", "&a ", "*a", "!!str ",
               "!x ", "<<: ", "'", '"', "|\n", ">\n", "#", "---\n", "...\n", "%YAML 1.1\n",
               "\t", "\\", "\x00", "\ufeff", "\u202e", "1e999999999", "9" * 60, "0x1F",
               ".nan", ".inf", "010", "12:30:00", "NO", "yes", "~", "null", "true",
               "7e" + "4" * 70, "-1e-999999999",
               "evalrules: 1\n", "id: x\n", "facts:\n", "indicators:\n", "points: ",
               "a", "b", "长", "😀"]


def yaml_like() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join),
        st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                               st.floats(allow_nan=True)),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=30).map(lambda v: json.dumps(v, ensure_ascii=False)),
    )


@fuzz(300)
@given(yaml_like())
def test_yaml_loader_never_raises(text: str) -> None:
    """Any text gives a document or diagnostics; nothing is raised."""
    doc, problems = load_yaml(text, "fuzz.yaml", LIMITS)
    assert doc is not None or any(p.is_error for p in problems)


@fuzz(100)
@given(yaml_like())
def test_scheme_check_never_raises(text: str) -> None:
    """Any text after `evalrules: 1` is checked into diagnostics; nothing is raised."""
    compiled, problems = api.check("evalrules: 1\n" + text, LIMITS)
    assert compiled is not None or any(p.is_error for p in problems)


# ----------------------------------------------------------------------------------------------
# Formulas

NAMES = ["meetings", "members", "rate", "note", "brand", "dues", "majors", "noted", "full",
         "basic", "tasks", "incidents", "unknown_name", "true", "false", "__import__",
         "__builtins__", "_pow", "_result", "_bind", "_limits", "_k0"]
FIELDS = ["level", "persons"]
NUMBERS = ["0", "1", "2", "0.5", "100", "1e30", "1e-30", "1e999999", "9" * 40,
           "0.000000000000000000001", "4000000", "-1", "1_000", "0x10", "1j"]
STRINGS = ["'major'", "'ordinary'", "''", "'a' * 3", "\"长\"", "'" + "x" * 50 + "'"]


def formulas() -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS),
                     st.sampled_from(STRINGS))

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(
            ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and",
             "or", "in", "not in", "is", "&", "@"]), inner).map(lambda t: f"({t[0]} {t[1]} "
                                                                   f"{t[2]})")
        unary = st.tuples(st.sampled_from(["-", "not ", "+", "~"]), inner).map("".join)
        call = st.tuples(st.sampled_from([*sorted(FUNCTION_NAMES), "eval", "open", "len"]),
                         st.lists(inner, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
        aggregate = st.tuples(
            st.sampled_from(["count", "sum", "avg", "min_of", "max_of", "any", "all"]),
            st.sampled_from(["incidents", "meetings"]),
            st.sampled_from(["", ", 'persons'", ", 'persons * 2'", ", 'level'"]),
            st.sampled_from(["", ", where=\"level == 'major'\"", ", where=\"persons > meetings\"",
                             ", where=\"count(incidents) > 1\"", ", where='x.y'",
                             ", where=\"__import__('os')\"", ", default=1"]),
        ).map(lambda t: f"{t[0]}({t[1]}{t[2]}{t[3]})")
        conditional = st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else "
                                                                   f"{t[2]})")
        literal_list = st.lists(st.sampled_from(NUMBERS + STRINGS), min_size=1, max_size=4).map(
            lambda items: f"({', '.join(items)},)")
        hostile = st.tuples(inner, st.sampled_from(
            [".__class__", "[0]", ".real", "()"])).map("".join)
        comprehension = inner.map(lambda e: f"[{e} for x in (1, 2)]")
        return st.one_of(binary, unary, call, aggregate, conditional, literal_list, hostile,
                         comprehension, inner.map(lambda e: f"lambda: {e}"))

    return st.recursive(leaf, grow, max_leaves=12) | st.text(max_size=80)


KNOWN = {name: None for name in NAMES if name not in ("incidents", "true", "false")}
LISTS = {"incidents": {"level": None, "persons": None}}


def unit_values() -> st.SearchStrategy[dict[str, Any]]:
    number = st.one_of(st.integers(-10**6, 10**6).map(Decimal),
                       st.decimals(allow_nan=False, allow_infinity=False, places=4,
                                   min_value=-10**6, max_value=10**6),
                       st.sampled_from([Decimal("1E+14"), Decimal("-1E-20"), Decimal(0)]))
    record = st.fixed_dictionaries({"level": st.sampled_from(["major", "ordinary"]),
                                    "persons": st.integers(0, 99).map(Decimal)}).map(
        MappingProxyType)
    return st.fixed_dictionaries({
        "meetings": number, "members": number, "rate": number, "full": number,
        "note": st.text(max_size=30), "brand": st.sampled_from(["none", "company", "city"]),
        "dues": number, "majors": number, "noted": st.booleans(), "basic": number,
        "tasks": number, "incidents": st.lists(record, max_size=6).map(tuple),
        "unknown_name": number})


@fuzz(400)
@given(formulas(), unit_values())
def test_formula_compiler_and_evaluator(text: str, values: dict[str, Any]) -> None:
    """A formula is refused (FormulaRejected, with problems) or compiles; evaluating it gives a
    value or one of the failures the evaluator reports as EvaluationError."""
    try:
        formula = compile_tree(text, known=KNOWN, known_lists=LISTS, limits=LIMITS)
    except FormulaRejected as rejected:
        assert rejected.problems
        return
    env = build_globals(make_functions(NumericPolicy(), LIMITS), [formula])
    with decimal.localcontext(CONTEXT):
        try:
            value = formula.evaluate(env, values)
        except UNIT_FAILURES:
            return
    if isinstance(value, Decimal):
        assert value.is_finite() and (not value or -LIMITS.fraction_digits <= value.adjusted()
                                      < 34)
    if isinstance(value, str):
        assert len(value) <= LIMITS.text_chars


def _unit(values: dict[str, Any]) -> dict[str, Any]:
    return {"id": "F1", "category": "production", "facts": values}


@fuzz(60)
@given(formulas(), st.integers(0, 40), st.integers(0, 40), st.text(max_size=20))
def test_formula_through_the_library(text: str, meetings: int, members: int,
                                     note: str) -> None:
    """Around a scheme: check gives diagnostics or a scheme; evaluate and score give the same
    figures or raise the same kind of EvalrulesError."""
    compiled, _ = api.check(BASE_TEXT.replace(TARGET, f"        points: {json.dumps(text)}\n"),
                            LIMITS)
    if compiled is None:
        return
    unit = _unit({"meetings": meetings, "members": members, "note": note})
    outcomes: list[Any] = []
    for run in (compiled.evaluate, compiled.score):
        try:
            outcomes.append(run(unit).total)
        except EvalrulesError as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]


# ----------------------------------------------------------------------------------------------
# Facts

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1E+999999999"), Decimal("-1E-999999999"), Decimal("0E-99999"),
                     10**4000, "NaN", "1e999", "十一", "=1+1", dt.date(1, 1, 1)]),
    st.text(max_size=40), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["level", "persons", "x"]),
                             st.one_of(st.integers(), st.text(max_size=8),
                                       st.sampled_from(["major", "ordinary"])), max_size=3),
             max_size=4),
)
FACT_IDS = ["meetings", "members", "rate", "note", "brand", "dues", "incidents", "unknown"]


@fuzz(300)
@given(st.dictionaries(st.sampled_from(FACT_IDS), HOSTILE_VALUES, max_size=8),
       st.sampled_from(["production", "office", "nowhere", 7]))
def test_facts_values_through_the_library(facts: dict[str, Any], category: Any) -> None:
    """Any facts a program passes give a result, a FactsError or an EvaluationError."""
    scheme = base_scheme()
    unit = {"id": "F1", "category": category, "facts": facts}
    for run in (scheme.evaluate, scheme.score):
        with contextlib.suppress(EvalrulesError):
            run(unit)


@fuzz(200)
@given(st.one_of(st.binary(max_size=400), yaml_like().map(lambda t: t.encode("utf-8",
                                                                                "surrogatepass"))))
def test_yaml_and_json_facts_never_raise(data: bytes) -> None:
    """Any bytes read as YAML or JSON facts give units or diagnostics."""
    checked = check_facts_data(base_scheme().model, data, "fuzz.yaml", LIMITS)
    assert all(p.is_error for p in checked.problems)


CSV_CELLS = ["B01", "production", "office", "11", "9", "", "=1+1", "+1", "@x", "1e999",
             "9" * 50, "是", "\x00", "\"", "\"\"", ",", "\n", "\r", "1,000", "50%", "长" * 30]


@fuzz(120)
@given(st.lists(st.lists(st.sampled_from(CSV_CELLS), max_size=8), max_size=8),
       st.booleans())
def test_csv_facts_never_raise(rows: list[list[str]], header: bool) -> None:
    """Any CSV text gives units or diagnostics."""
    lines = ["id,name,category,meetings,members"] if header else []
    lines += [",".join(row) for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.csv"
        path.write_text("\n".join(lines), "utf-8", errors="surrogatepass")
        check_facts_file(base_scheme().model, path, LIMITS)


XLSX = (HOSTILE / "base" / "facts.xlsx").read_bytes()


@fuzz(120)
@given(st.lists(st.tuples(st.integers(0, len(XLSX) - 1), st.integers(0, 255)), max_size=12),
       st.integers(0, len(XLSX)))
def test_xlsx_facts_never_raise(changes: list[tuple[int, int]], cut: int) -> None:
    """A workbook with some bytes changed, or cut short, gives units or diagnostics."""
    data = bytearray(XLSX[:cut] if cut % 7 == 0 else XLSX)
    for where, value in changes:
        if where < len(data):
            data[where] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.xlsx"
        path.write_bytes(bytes(data))
        check_facts_file(base_scheme().model, path, LIMITS)


@fuzz(60)
@given(st.lists(st.tuples(st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                                           "xl/workbook.xml", "[Content_Types].xml"]),
                          st.sampled_from([b"", b"<x/>", b"<!DOCTYPE x>", b"\xff\xfe",
                                           b"<worksheet><sheetData><row r='99999999'>"
                                           b"<c r='ZZZZ1'><v>1</v></c></row></sheetData>"
                                           b"</worksheet>"])), max_size=3))
def test_xlsx_parts_replaced_never_raise(parts: list[tuple[str, bytes]]) -> None:
    """A workbook whose XML parts are replaced by broken or hostile XML gives diagnostics."""
    source = zipfile.ZipFile(io.BytesIO(XLSX))
    buffer = io.BytesIO()
    replaced = dict(parts)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, replaced.get(info.filename,
                                                     source.read(info.filename)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.xlsx"
        path.write_bytes(buffer.getvalue())
        check_facts_file(base_scheme().model, path, LIMITS)


# ----------------------------------------------------------------------------------------------
# Schemes the JSON Schema accepts (hypothesis-jsonschema)


def unrolled(definition: str, depth: int = 1) -> dict[str, Any]:
    """One definition of the scheme's JSON Schema with every $ref inlined, recursion cut after
    `depth` levels (hypothesis-jsonschema resolves no recursive references)."""
    schema = scheme_json_schema()
    definitions = schema["$defs"]

    def walk(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(n, stack) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.rsplit("/", 1)[-1]
            if stack.count(name) >= depth:
                return False
            target = walk(definitions[name], (*stack, name))
            rest = {k: walk(v, stack) for k, v in node.items()
                    if k not in ("$ref", "description")}
            return target if not rest or target is False else {"allOf": [target, rest]}
        return {k: walk(v, stack) for k, v in node.items()
                if k not in ("$defs", "$id", "$schema", "description", "title", "examples")}

    result = walk(copy.deepcopy(definitions[definition]), (definition,))
    assert isinstance(result, dict)
    return result


@cache
def part(definition: str) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    return from_schema(unrolled(definition))


@st.composite
def generated_schemes(draw: st.DrawFn) -> dict[str, Any]:
    """A scheme around parts drawn from the JSON Schema's own definitions: facts, derived
    values, indicators, deductions, bonuses, vetoes and ratings."""
    scheme: dict[str, Any] = {
        "evalrules": 1, "id": "fuzz", "title": "模糊测试", "version": "1", "scale": 100,
        "categories": [{"id": "production", "label": "生产类"}],
        "facts": draw(st.lists(part("fact"), max_size=3)),
        "indicators": draw(st.lists(part("node"), min_size=1, max_size=2)),
    }
    for key, definition in (("derived", "derived"), ("deductions", "adjustment"),
                            ("bonuses", "bonus"), ("vetoes", "veto"), ("ratings", "rating")):
        if draw(st.booleans()):
            scheme[key] = draw(st.lists(part(definition), max_size=2))
    return scheme


@fuzz(25)
@given(generated_schemes(), st.dictionaries(st.text(max_size=8), HOSTILE_VALUES, max_size=4))
def test_schemes_the_json_schema_accepts(scheme: dict[str, Any],
                                         facts: dict[str, Any]) -> None:
    """A scheme built from what the JSON Schema accepts is checked into diagnostics or
    compiled; a compiled one evaluates a unit, or raises an EvalrulesError."""
    text = json.dumps(scheme, ensure_ascii=False, default=str)
    compiled, problems = api.check(text, LIMITS)
    if compiled is None:
        assert any(p.is_error for p in problems)
        return
    for run in (compiled.evaluate, compiled.score):
        with contextlib.suppress(EvalrulesError):
            run(_unit(facts))


def test_json_schema_parts_generate() -> None:
    """hypothesis-jsonschema can draw every definition the generator uses."""
    for definition in ("fact", "derived", "node", "adjustment", "bonus", "veto", "rating"):
        assert unrolled(definition)
        assert part(definition) is not None


# ----------------------------------------------------------------------------------------------
# Output


@fuzz(300)
@given(st.text(max_size=60))
def test_text_never_becomes_markup_or_a_formula(text: str) -> None:
    """In CSV a cell never starts like a formula; in HTML no character can open a tag or end an
    attribute."""
    assert not csvout.neutral(text).startswith(FORMULA_TRIGGERS)
    escaped = esc(text)
    assert not set(escaped) & set("<>\"'")
    assert html.unescape(escaped) == text


numbers_for_json = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True), st.floats(),
    st.sampled_from([Decimal("1E+999999"), Decimal("-0"), Decimal("0E-999999")]))


@fuzz(200)
@given(st.recursive(st.one_of(numbers_for_json, st.text(max_size=10), st.none(),
                              st.booleans()),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12))
def test_json_output_is_strict_or_refused(value: Any) -> None:
    """JSON output parses with a strict reader, every number exactly, or is refused with an
    OutputError (NaN and infinities)."""
    try:
        text = jsonout.dumps(value)
    except OutputError:
        return

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON number {token}")

    json.loads(text, parse_constant=refuse, parse_float=Decimal)
    assert len(text) < 100_000


# ----------------------------------------------------------------------------------------------
# atheris (optional)

HARNESSES = sorted((ROOT / "fuzz").glob("fuzz_*.py"))


def test_every_target_has_a_harness() -> None:
    assert [h.name for h in HARNESSES] == ["fuzz_facts.py", "fuzz_formula.py", "fuzz_yaml.py"]


def test_atheris_harness_smoke(tmp_path: Path) -> None:
    """A short atheris run of each harness, side by side, finds no crash, exception, hang or
    memory blow-up (skipped where atheris is not installed: it is the optional extra `fuzz`)."""
    try:
        import atheris  # noqa: F401
    except ImportError:
        pytest.skip("atheris is not installed (pip install -e '.[fuzz]'); the hypothesis "
                    "properties above cover the same targets")
    seconds = 60 if LONG else 4
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT / "fuzz")}
    runs = {harness.stem: subprocess.Popen(
        [sys.executable, str(harness), f"-max_total_time={seconds}", "-timeout=5",
         "-rss_limit_mb=1024", f"-artifact_prefix={tmp_path}/{harness.stem}-"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for harness in HARNESSES}
    for name, run in runs.items():
        report, _ = run.communicate(timeout=seconds + 180)
        assert run.returncode == 0, f"{name}:\n{report[-4000:]}"
        assert "Done" in report, f"{name}:\n{report[-4000:]}"
