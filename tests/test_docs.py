"""The reference pages in docs/ stay true to the code: every code, field, command and option."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
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
CODES_BY_CODE = {c.code: c.name for c in CODES.values()}
# A code's page: docs/lint/<CODE>.md for the L codes, docs/diagnostics/<CODE>.md for the rest.
PAGE_NAME = re.compile(r"[A-Z]\d{3}")
TITLE = re.compile(r"\A# ([A-Z]\d{3}) (\S+)\n")
# The four parts: bold lead-ins on docs/diagnostics/ pages, headings on docs/lint/ pages.
PARTS = ("What it finds", "Why it matters", "Example", "Fix")


def _read(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def _page(code: str) -> str:
    return f"lint/{code}.md" if code.startswith("L") else f"diagnostics/{code}.md"


def _code_pages() -> list[str]:
    """Every page named like a code, under docs/diagnostics/ or docs/lint/."""
    return sorted(str(p.relative_to(DOCS)) for folder in ("diagnostics", "lint")
                  for p in (DOCS / folder).glob("*.md") if PAGE_NAME.fullmatch(p.stem))


# ----------------------------------------------------------------------------------------------
# docs/diagnostics.md (the overview) and one page per code


def test_every_registered_code_has_exactly_one_page_and_every_page_is_a_registered_code() -> None:
    pages = _code_pages()
    codes = [Path(page).stem for page in pages]
    unknown = sorted(set(codes) - set(CODES_BY_CODE))
    assert not unknown, f"pages for codes evalrules does not define: {unknown}"
    for code in CODES_BY_CODE:
        assert codes.count(code) == 1, f"{code} has {codes.count(code)} pages"
        assert _page(code) in pages, f"{code}'s page must be docs/{_page(code)}"
    assert not [p for p in (DOCS / "diagnostics").glob("*.md") if not PAGE_NAME.fullmatch(p.stem)]


@pytest.mark.lang("en_US")  # the pages quote English output
def test_each_page_is_titled_with_its_code_and_name() -> None:
    for code, name in CODES_BY_CODE.items():
        text = _read(_page(code))
        title = TITLE.match(text)
        assert title, f"{_page(code)} must start with `# {code} {name}`"
        assert title.groups() == (code, name), f"title must be exactly `# {code} {name}`"
        assert not re.search(r"^#{1,2} [A-Z]\d{3}\b", text[title.end():], re.M), \
            f"{_page(code)} holds a second code heading"


@pytest.mark.lang("en_US")  # docs/diagnostics.md quotes English summaries
def test_overview_lists_every_code_once_in_code_order_with_a_link_to_its_page() -> None:
    """diagnostics.md has one table row per code, in the order of CODES, and no code section:
    each code is described on its page only."""
    text = _read("diagnostics.md")
    assert not re.search(r"^## [A-Z]\d{3}\b", text, re.M), "code sections belong on the pages"
    rows = re.findall(r"^\| \[([A-Z]\d{3})\]\(([^)]+)\) \| `([^`]+)` \| (\w+) \| (.+) \|$",
                      text, re.M)
    assert [code for code, *_ in rows] == list(CODES_BY_CODE), \
        "the table must list every code once, in the order of CODES"
    for (code, link, name, severity, summary), c in zip(rows, CODES.values(), strict=True):
        assert (link, name, severity, summary) == (_page(code), c.name, c.severity.value,
                                                   c.summary), f"row of {code}"


def test_nav_lists_the_code_pages_in_code_order() -> None:
    nav = (ROOT / "mkdocs.yml").read_text("utf-8").split("\nnav:\n", 1)[1]
    listed = re.findall(r"^ +- ([A-Z]\d{3}): (\S+)$", nav, re.M)
    assert listed == [(code, _page(code)) for code in CODES_BY_CODE]


@pytest.mark.lang("en_US")  # the pages quote English output
def test_each_page_has_its_four_parts() -> None:
    for code, name in CODES_BY_CODE.items():
        text = _read(_page(code))
        if "Reserved; not raised by this release" in text:
            continue
        for part in PARTS:
            marker = f"\n## {part}\n" if code.startswith("L") else f"**{part}.**"
            assert marker in text, f"{_page(code)} lacks {marker.strip()}"
        assert f": {code} {name}: " in text, f"{code} shows no real output"


@pytest.mark.lang("en_US")  # the pages quote English output
def test_quoted_diagnostics_pair_each_code_with_its_name() -> None:
    """Every `CODE name:` printed in an example uses the code's registered name."""
    for page in ["diagnostics.md", *_code_pages()]:
        quoted = re.findall(r"\b([YSMWFGDL]\d{3}) ([a-z][a-z-]+):", _read(page))
        assert quoted or page == "diagnostics.md", f"{page} quotes no diagnostic"
        for code, name in quoted:
            assert CODES_BY_CODE.get(code) == name, f"{page}: {code} {name} is not registered"


def test_links_to_a_code_go_to_its_page() -> None:
    """No page links to a code's section of diagnostics.md: codes have pages of their own."""
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md"]
    for path in pages:
        text = path.read_text("utf-8")
        stale = re.findall(r"diagnostics\.md#([a-z]\d{3}-[a-z-]+)", text)
        assert not stale, f"{path.relative_to(ROOT)} links to sections that moved: {stale}"


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


def test_the_scheme_counts_in_schemes_md_are_current(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """docs/schemes.md prints each shipped scheme's counts with a snippet: run it and compare,
    so the table cannot drift from the schemes."""
    monkeypatch.chdir(ROOT)
    text = _read("schemes.md")
    code = re.search(r"```python\n(import evalrules\n.*?)```", text, re.S)
    shown = re.search(r"```python\nimport evalrules\n.*?```\n\n?```(?:text)?\n(.*?)```", text,
                      re.S)
    assert code and shown
    exec(compile(code.group(1), "docs/schemes.md", "exec"), {})
    assert capsys.readouterr().out == shown.group(1)
    for line in shown.group(1).splitlines():
        name, _, rest = line.partition(": ")
        facts = re.match(r"facts (\d+) \(required (\d+)\)", rest)
        assert facts, line
        row = re.search(rf"\| \[`{re.escape(name)}`\].*?\| {facts[1]} \({facts[2]}\) \|", text)
        assert row, f"the table row of {name} disagrees with the snippet's output"
