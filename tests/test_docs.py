"""The reference pages in docs/ stay true to the code: every code, field, command and option."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner

from evalrules.cli import main
from evalrules.diagnostics import CODES

from .conftest import ROOT

DOCS = ROOT / "docs"
SCHEME = "schemes/star-branch-5521.yaml"
FACTS = "examples/star-branch-5521/facts.yaml"
CODE_HEADING = re.compile(r"^## ([A-Z]\d{3})\b(.*)$", re.M)
CODES_BY_CODE = {c.code: c.name for c in CODES.values()}


def _read(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


# ----------------------------------------------------------------------------------------------
# docs/diagnostics.md


@pytest.mark.lang("en_US")  # docs/diagnostics.md quotes English output
def test_every_code_has_exactly_one_section_in_code_order() -> None:
    text = _read("diagnostics.md")
    headings = CODE_HEADING.findall(text)
    codes = [code for code, _ in headings]
    known = {c.code: c.name for c in CODES.values()}
    unknown = sorted(set(codes) - set(known))
    assert not unknown, f"sections for codes evalrules does not define: {unknown}"
    for code, name in known.items():
        assert codes.count(code) == 1, f"{code} has {codes.count(code)} sections"
        assert f"\n## {code} {name}\n" in text, f"heading must be exactly `## {code} {name}`"
    assert codes == [c.code for c in CODES.values()], "sections must follow the order of CODES"


@pytest.mark.lang("en_US")  # docs/diagnostics.md quotes English output
def test_each_section_has_its_four_parts() -> None:
    text = _read("diagnostics.md")
    starts = [m.start() for m in CODE_HEADING.finditer(text)] + [len(text)]
    for start, end in itertools.pairwise(starts):
        section = text[start:end]
        code = section.split()[1]
        if "Reserved; not raised by this release" in section:
            continue
        for part in ("**What it finds.**", "**Why it matters.**", "**Example.**", "**Fix.**"):
            assert part in section, f"{code} lacks {part}"
        assert f": {code} {CODES_BY_CODE[code]}: " in section, f"{code} shows no real output"


@pytest.mark.lang("en_US")  # docs/diagnostics.md quotes English output
def test_quoted_diagnostics_pair_each_code_with_its_name() -> None:
    """Every `CODE name:` printed in an example uses the code's registered name."""
    text = _read("diagnostics.md")
    quoted = re.findall(r"\b([YSMWFGD]\d{3}) ([a-z][a-z-]+):", text)
    assert quoted
    for code, name in quoted:
        assert CODES_BY_CODE.get(code) == name, f"{code} {name} is not a registered pair"


# ----------------------------------------------------------------------------------------------
# docs/explanation-format.md


def _invoke_json(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node["children"]:
        yield from _nodes(child)


def _keys(*objects: Any) -> set[str]:
    return {key for obj in objects if isinstance(obj, dict) for key in obj}


def _undocumented(keys: set[str], text: str) -> list[str]:
    return sorted(key for key in keys if f"`{key}`" not in text)


def test_every_explanation_field_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _invoke_json(monkeypatch, "explain", SCHEME, FACTS, "--unit", "B06",
                        "--format", "json")
    assert data["format"] == "evalrules.explanation" and data["format_version"] == 1
    nodes = list(_nodes(data["tree"]))
    lines = [line for node in nodes for line in node["lines"]]
    inputs = [i for part in (nodes, data["rules"], data["vetoes"], data["derived"])
              for item in part for i in item["inputs"]]
    groups = {
        "top level": _keys(data),
        "scheme": _keys(data["scheme"]),
        "unit": _keys(data["unit"]),
        "facts": _keys(data["facts"]),
        "tree node": _keys(*nodes),
        "line": _keys(*lines),
        "input": _keys(*inputs),
        "location": _keys(data["tree"]["location"]),
        "rule": _keys(*data["rules"]),
        "veto": _keys(*data["vetoes"]),
        "rating step": _keys(*data["rating_steps"]),
        "rating change": _keys(*(c for r in data["rating_steps"] for c in r["changes"])),
        "derived value": _keys(*data["derived"]),
    }
    text = _read("explanation-format.md")
    for group, keys in groups.items():
        assert keys, f"B06 gives no {group} to compare with"
        assert not _undocumented(keys, text), f"{group}: {_undocumented(keys, text)}"


def test_explanation_values_named_in_the_docs_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    """Line kinds and rule statuses seen in B06 are among those documented."""
    data = _invoke_json(monkeypatch, "explain", SCHEME, FACTS, "--unit", "B06",
                        "--format", "json")
    text = _read("explanation-format.md")
    kinds = {line["kind"] for node in _nodes(data["tree"]) for line in node["lines"]}
    statuses = {rule["status"] for rule in data["rules"]}
    for value in kinds | statuses:
        assert f"| `{value}` |" in text, f"`{value}` is not described"
    for kind in ("formula", "condition", "child", "cap", "floor", "deduction", "bonus", "veto"):
        assert f"| `{kind}` |" in text
    for status in ("applied", "limited", "superseded", "not-fired", "not-applicable"):
        assert f"| `{status}` |" in text


def test_every_results_field_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _invoke_json(monkeypatch, "evaluate", SCHEME, FACTS, "--format", "json")
    assert data["format"] == "evalrules.results" and data["format_version"] == 1
    text = _read("explanation-format.md")
    keys = _keys(data, data["scheme"], data["facts"], *data["results"])
    assert not _undocumented(keys, text)


# ----------------------------------------------------------------------------------------------
# docs/cli.md


def _mentioned(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _param_words(param: click.Parameter) -> list[str]:
    if isinstance(param, click.Option):
        words = [*param.opts, *param.secondary_opts]
    else:
        words = [param.human_readable_name]
    if isinstance(param.type, click.Choice):
        words += [str(choice) for choice in param.type.choices]
    return words


def test_every_command_and_option_is_documented() -> None:
    text = _read("cli.md")
    assert isinstance(main, click.Group)
    for param in main.params:
        for word in _param_words(param):
            assert _mentioned(word, text), f"`evalrules {word}` is not in docs/cli.md"
    assert main.commands
    for name, command in main.commands.items():
        assert f"\n## evalrules {name}\n" in text, f"no section for `evalrules {name}`"
        for param in command.params:
            for word in _param_words(param):
                assert _mentioned(word, text), f"`{name} {word}` is not in docs/cli.md"


def test_exit_codes_table_matches_the_cli_module() -> None:
    """The exit codes the CLI module declares are the rows of the table."""
    import evalrules.cli.app as cli
    import evalrules.errors as errors

    codes = {0, cli.EXIT_TESTS_FAILED, *(
        cls.exit_code for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.EvalrulesError)
        and cls is not errors.EvalrulesError)}
    table = _read("cli.md").split("## Exit codes", 1)[1]
    rows = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert rows == codes
