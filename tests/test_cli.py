"""The command line: exit codes, error messages a clerk can act on, atomic output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules.cli import main

from .conftest import CASES, ROOT, scheme_text

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"
FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def test_planted_mistakes_are_each_reported_at_their_line() -> None:
    """Ten-plus planted mistakes: every one is found in one run, each at its own line."""
    code, out = invoke("check", CASES / "planted-mistakes" / "scheme.yaml")
    assert code == 3
    found = {(int(m[0]), m[1]) for m in re.findall(r"scheme\.yaml:(\d+):\d+: (\w\d+)", out)}
    planted = {
        (13, "M201"),  # duplicate fact id
        (15, "Y003"),  # an anchor
        (17, "G401"),  # alpha -> beta -> alpha
        (24, "F302"),  # `meetngs` typo
        (25, "S103"),  # max: "thirty"
        (26, "M206"),  # a child worth more than its group
        (27, "Y002"),  # duplicate key `max`
        (28, "M202"),  # unknown category `offise`
        (35, "M203"),  # unknown node `basics`
        (35, "M210"),  # computed deduction without cap
        (40, "M205"),  # veto sets an undeclared level
        (46, "M207"),  # overlapping bands
        (47, "M208"),  # a gap between bands
        (14, "W201"),  # a fact nothing reads
    }
    assert planted <= found, planted - found
    assert "did you mean `meetings`?" in out and "did you mean `office`?" in out


def test_check_json_lists_every_diagnostic_with_its_place() -> None:
    code, out = invoke("check", CASES / "planted-mistakes" / "scheme.yaml", "--format", "json")
    data = json.loads(out)
    assert code == 3 and data["errors"] >= 13
    first = data["diagnostics"][0]
    assert {"code", "name", "severity", "message", "hint", "file", "line", "column"} <= set(first)


def test_check_clean_scheme_exits_zero() -> None:
    assert invoke("check", SCHEME) == (0, "1 scheme(s) checked: no problems\n")


@pytest.mark.lang("en_US")
def test_bad_fact_value_names_file_line_unit_and_fact(tmp_path: Path) -> None:
    """A typo in a facts file is an error a clerk can find: file, line, unit, fact, fix."""
    text = FACTS.read_text("utf-8")
    broken = re.sub(r"(\n\s+full_members: )\d+", r"\1十二", text, count=1)
    path = tmp_path / "facts.yaml"
    path.write_text(broken, "utf-8")
    code, out = invoke("evaluate", SCHEME, path)
    assert code == 4
    line = broken[: broken.index("十二")].count("\n") + 1
    assert f"facts.yaml:{line}:" in out
    assert "unit B01" in out and "full_members" in out and "help:" in out
    assert "Traceback" not in out


def test_unknown_unit_is_a_usage_error_with_a_suggestion() -> None:
    code, out = invoke("explain", SCHEME, FACTS, "--unit", "B1")
    assert code == 2 and "no unit `B1`" in out


def test_unknown_node_is_a_usage_error() -> None:
    code, out = invoke("explain", SCHEME, FACTS, "--unit", "B01", "--node", "org_setp")
    assert code == 2 and "did you mean org_setup" in out


@pytest.mark.lang("en_US")
def test_evaluation_error_exits_five_naming_the_unit(tmp_path: Path) -> None:
    scheme = tmp_path / "s.yaml"
    scheme.write_text(scheme_text("""
facts:
  - {id: n, label: 数量, type: integer, min: 0}
indicators:
  - {id: x, label: 比例, max: 10, points: "10 / n"}
"""), "utf-8")
    facts = tmp_path / "f.yaml"
    facts.write_text("units:\n  - {id: B9, category: office, facts: {n: 0}}\n", "utf-8")
    code, out = invoke("evaluate", scheme, facts)
    assert code == 5
    assert "unit B9" in out and "division by zero" in out and "s.yaml:13:" in out


def test_output_is_written_whole_and_a_failed_run_keeps_the_old_file(tmp_path: Path) -> None:
    """-o writes atomically; a run that fails leaves the earlier results untouched."""
    out_file = tmp_path / "results.json"
    code, _ = invoke("evaluate", SCHEME, FACTS, "-o", out_file)
    assert code == 0
    good = out_file.read_bytes()
    assert len(json.loads(good)["results"]) == 25
    bad = tmp_path / "bad.yaml"
    bad.write_text("units:\n  - {id: X, category: nowhere, facts: {}}\n", "utf-8")
    code, _ = invoke("evaluate", SCHEME, bad, "-o", out_file)
    assert code == 4
    assert out_file.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_results_json_numbers_are_exact() -> None:
    code, out = invoke("evaluate", SCHEME, FACTS, "--format", "json")
    assert code == 0
    import decimal

    data = json.loads(out, parse_float=decimal.Decimal)
    totals = [r["total"] for r in data["results"]]
    assert all(t == t.quantize(decimal.Decimal("0.01")) for t in totals)
    assert data["scheme"]["hash"].startswith("sha256:")
    assert data["facts"]["hash"].startswith("sha256:")


def test_explain_shows_the_derivation_down_to_the_facts() -> None:
    """`explain` shows each criterion's formula, the facts it read and the basis."""
    code, out = invoke("explain", SCHEME, FACTS, "--unit", "B01")
    assert code == 0
    assert "取值：" in out and "依据：" in out and "公式：" in out
    assert "schemes/star-branch-5521.yaml:" in out


def test_test_command_reports_failures_with_exit_one(tmp_path: Path) -> None:
    scheme = tmp_path / "s.yaml"
    scheme.write_text(scheme_text("""
facts:
  - {id: n, label: 数量, type: integer, min: 0}
indicators:
  - {id: x, label: 项, max: 10, points: "min(n, 10)"}
tests:
  - {name: 满分, category: office, facts: {n: 12}, expect: {total: 10}}
  - {name: 故意写错, category: office, facts: {n: 3}, expect: {total: 4}}
"""), "utf-8")
    code, out = invoke("test", scheme)
    assert code == 1
    assert "1 passed, 1 failed" in out
    assert "total: expected 4, got 3.00" in out


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graph_names_every_indicator(fmt: str) -> None:
    code, out = invoke("graph", SCHEME, "--format", fmt)
    assert code == 0
    for node in ("total", "basic", "special", "org_setup", "safety"):
        assert node in out
    assert ("->" in out) if fmt == "dot" else ("-->" in out)


def test_version_and_help() -> None:
    assert invoke("--version")[0] == 0
    code, out = invoke("--help")
    assert code == 0 and "explain" in out and "check" in out
