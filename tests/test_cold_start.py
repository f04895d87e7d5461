"""The fast paths of `evalrules check` and `--help`: they import less and decide the same.

`check` answers "valid" with a yes/no check compiled from the JSON Schema, and orders the
dependency graph with graphlib; jsonschema and networkx are imported only for a scheme with a
problem (to list every error with its path, to report each cycle). These tests hold the fast
paths to the slow ones: the same verdict on generated documents, the same order on generated
graphs.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalrules.compiler import Edge, _topological_order
from evalrules.diagnostics import Location
from evalrules.validate import _fast_schema, _validator, fast_accepts, scheme_json_schema

from .test_fuzz import HOSTILE_VALUES, generated_schemes

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def _property_names(schema: Any) -> set[str]:
    """Every property name the schema mentions: additions that are sometimes allowed."""
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _property_names(value)
    return names


KEYS = st.one_of(st.sampled_from(sorted(_property_names(scheme_json_schema()))),
                 st.text(max_size=8))
VALUES = st.one_of(HOSTILE_VALUES, st.sampled_from(
    ["none", True, False, 1, 0, -1, 1.0, 2.5, "5", "A", "[0, 10]", "(-inf, 60)", "30%", "x" * 70,
     "", "2024-01-01", "total", "ok_id", "9bad", [], {}, {"id": "a"}, [{"id": "a"}]]))


def _containers(node: Any) -> list[Any]:
    out = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _containers(value)
    elif isinstance(node, list):
        out.append(node)
        for value in node:
            out += _containers(value)
    return out


@st.composite
def mutated_schemes(draw: st.DrawFn) -> dict[str, Any]:
    """A scheme the JSON Schema accepts, then one to three edits anywhere in it: a value
    replaced, a key or item removed, a key or item added."""
    doc = copy.deepcopy(draw(generated_schemes()))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(doc)))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if isinstance(target, dict):
            if action == "add" or not target:
                target[draw(KEYS)] = draw(VALUES)
                continue
            key = draw(st.sampled_from(sorted(target, key=str)))
            if action == "delete":
                del target[key]
            else:
                target[key] = draw(VALUES)
        else:
            if action == "add" or not target:
                target.insert(draw(st.integers(0, len(target))), draw(VALUES))
                continue
            index = draw(st.integers(0, len(target) - 1))
            if action == "delete":
                del target[index]
            else:
                target[index] = draw(VALUES)
    return doc


def test_the_fast_check_covers_the_whole_schema() -> None:
    """Every keyword of the shipped schema is one the fast check implements: otherwise it
    would quietly never be used."""
    assert _fast_schema() is not None


@SETTINGS
@given(generated_schemes())
def test_fast_check_accepts_what_jsonschema_accepts(doc: dict[str, Any]) -> None:
    assert fast_accepts(doc) == _validator().is_valid(doc)


@SETTINGS
@given(mutated_schemes())
def test_fast_check_never_accepts_what_jsonschema_rejects(doc: dict[str, Any]) -> None:
    """The property the fast path rests on: when it says valid, jsonschema agrees. (It also
    says invalid exactly when jsonschema does, so that the fast path is taken.)"""
    valid = _validator().is_valid(doc)
    fast = fast_accepts(doc)
    if fast:
        assert valid
    assert fast == valid


def test_fast_check_agrees_on_every_shipped_scheme() -> None:
    from evalrules.yamlsource import load_yaml

    schemes = [*ROOT.glob("schemes/*.yaml"), *ROOT.glob("examples/**/scheme*.yaml")]
    assert schemes
    for path in schemes:
        doc, problems = load_yaml(path.read_text("utf-8"), str(path))
        assert doc is not None, problems
        assert fast_accepts(doc.data) == _validator().is_valid(doc.data), path


# ----------------------------------------------------------------------------------------------
# The evaluation order without networkx


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, int], list[Edge]]:
    """Nodes in declaration order and edges between them (cycles and self-loops possible)."""
    count = draw(st.integers(1, 25))
    names = [f"node:n{i}" for i in draw(st.permutations(range(count)))]
    order = {name: i for i, name in enumerate(names)}
    pairs = draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)),
                          max_size=60))
    acyclic = draw(st.booleans())
    at = Location("s.yaml", 1, 1)
    edges = [Edge(names[a], names[b], at) for a, b in pairs if not acyclic or a < b]
    return order, edges


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(graphs())
def test_topological_order_is_networkx_lexicographical_order(
        graph: tuple[dict[str, int], list[Edge]]) -> None:
    order, edges = graph
    g = nx.DiGraph()
    g.add_nodes_from(order)
    g.add_edges_from((e.source, e.target) for e in edges)
    ours = _topological_order(order, edges)
    if not nx.is_directed_acyclic_graph(g):
        assert ours is None
        return
    assert ours == list(nx.lexicographical_topological_sort(g, key=order.__getitem__))


# ----------------------------------------------------------------------------------------------
# What each command imports


def _after_command(args: list[str], then: str) -> str:
    """Run the command line in a fresh interpreter, then report `then`: the source of an
    expression, evaluated there and written as the last line of its standard error."""
    code = ("import sys\n"
            "from evalrules.cli import main\n"
            "try:\n"
            f"    main({args!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            f"sys.stderr.write('\\n' + str({then}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    return done.stderr.strip().splitlines()[-1]


def _modules_after(args: list[str]) -> set[str]:
    return set(json.loads(_after_command(
        args, "__import__('json').dumps(sorted(sys.modules))")))


def test_help_imports_no_engine_module() -> None:
    modules = _modules_after(["--help"])
    engine = {"evalrules.api", "evalrules.model", "evalrules.compiler", "evalrules.evaluate",
              "evalrules.facts", "evalrules.yamlsource", "evalrules.formula", "yaml",
              "jsonschema", "networkx", "importlib.resources"}
    assert not engine & modules, engine & modules


def test_check_of_a_valid_scheme_imports_neither_jsonschema_nor_networkx() -> None:
    modules = _modules_after(["check", str(ROOT / "schemes" / "pdca-post-evaluation.yaml")])
    assert "evalrules.compiler" in modules
    assert "jsonschema" not in modules
    assert "networkx" not in modules


def test_check_of_a_valid_scheme_imports_no_resource_reader_and_no_difflib() -> None:
    """The JSON Schema is read beside the module (importlib.resources would bring tempfile,
    shutil and zipfile), difflib is imported only to suggest a name for a problem, and periods
    only for a scheme with `source: period` facts (this one has none)."""
    modules = _modules_after(["check", str(ROOT / "schemes" / "pdca-post-evaluation.yaml")])
    assert "evalrules.validate" in modules
    unwanted = {"importlib.resources", "tempfile", "zipfile", "difflib", "evalrules.periods"}
    assert not unwanted & modules, unwanted & modules


def test_streaming_json_lines_to_csv_imports_no_spreadsheet_or_report_module(
        tmp_path: Path) -> None:
    """`score` from JSON Lines to CSV needs neither openpyxl nor the report renderers: each
    worker would otherwise import them (about 0.2 s) before its first row."""
    from bench.workload import make_workload, scheme_yaml, write_jsonl

    workload = make_workload(12, seed=5)
    scheme, facts = tmp_path / "scheme.yaml", tmp_path / "units.jsonl"
    scheme.write_text(scheme_yaml(workload), encoding="utf-8")
    write_jsonl(facts, workload, 60, seed=5)
    out = tmp_path / "results.csv"
    modules = _modules_after(["score", str(scheme), str(facts), "-o", str(out), "--jobs", "2"])
    assert "evalrules.stream" in modules and out.read_text("utf-8-sig").count("\n") == 61
    unwanted = {"openpyxl", "evalrules.workbook", "evalrules.render.csvout", "evalrules.summary"}
    assert not unwanted & modules, unwanted & modules


def test_check_of_a_valid_scheme_compiles_no_parser_message_pattern() -> None:
    """The patterns that translate YAML and Python parser messages are compiled on the first
    syntax error, not by every check."""
    compiled = _after_command(
        ["check", str(ROOT / "schemes" / "pdca-post-evaluation.yaml")],
        "__import__('evalrules.i18n').i18n.known_patterns.cache_info().currsize")
    assert compiled == "0"  # no table compiled, neither parser's


def test_the_schema_is_read_from_the_package() -> None:
    from evalrules.validate import scheme_json_schema

    shipped = ROOT / "src" / "evalrules" / "schemas" / "scheme.schema.json"
    assert scheme_json_schema() == json.loads(shipped.read_text("utf-8"))
