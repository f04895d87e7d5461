"""Reference pages generated or checked against the code: CLI reference, API examples,
scheme keys and formula functions."""

from __future__ import annotations

import doctest
import importlib.util
import json
import re
from types import ModuleType
from typing import Any

import pytest

from .conftest import ROOT

DOCS = ROOT / "docs"


def _clidoc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clidoc", ROOT / "tools" / "clidoc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lang", ["en_US", "zh_CN"])
def test_generated_cli_reference_is_up_to_date(lang: str) -> None:
    """docs/reference/cli.md (English) and docs/zh/reference/cli.md (Chinese) are what
    `python tools/clidoc.py` writes from the click commands today."""
    clidoc = _clidoc()
    path = clidoc.PAGES[lang]
    assert path.read_text("utf-8") == clidoc.render(lang), (
        f"{path.relative_to(ROOT)} is out of date: run `python tools/clidoc.py`")


def test_cli_reference_covers_every_command() -> None:
    from evalrules.cli import main

    text = (DOCS / "reference" / "cli.md").read_text("utf-8")
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"\n## evalrules {name}\n" in text
    assert "(reference/cli.md)" in (DOCS / "cli.md").read_text("utf-8")


def test_api_page_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `>>>` example of docs/api.md gives the output shown (run from the repository)."""
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testfile(str(DOCS / "api.md"), module_relative=False,
                                       optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                       verbose=False, encoding="utf-8")
    assert tried > 20 and failures == 0


def _properties(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        if isinstance(schema.get("properties"), dict):
            found |= set(schema["properties"])
        for value in schema.values():
            found |= _properties(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _properties(value)
    return found


def test_every_schema_property_is_documented() -> None:
    """Each key the JSON Schema allows is described, in backticks, in docs/scheme-language.md."""
    schema = json.loads((ROOT / "src" / "evalrules" / "schemas" / "scheme.schema.json")
                        .read_text("utf-8"))
    keys = _properties(schema)
    assert len(keys) > 50
    text = (DOCS / "scheme-language.md").read_text("utf-8")
    missing = sorted(key for key in keys if f"`{key}`" not in text)
    assert not missing, f"undocumented scheme keys: {missing}"


def test_every_formula_function_and_keyword_is_documented() -> None:
    """The functions table of docs/scheme-language.md lists every function formulas may call,
    with its keyword arguments."""
    from evalrules.formula import FUNCTION_NAMES, KEYWORDS

    text = (DOCS / "scheme-language.md").read_text("utf-8")
    table = text.split("| function | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)\(", table))
    assert documented == set(FUNCTION_NAMES)
    for name, keywords in KEYWORDS.items():
        row = next(line for line in table.splitlines() if f"`{name}(" in line)
        for keyword in keywords:
            assert f"{keyword}=" in row, f"{name}: keyword `{keyword}` is not documented"


def test_changelog_and_versioning_exist() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert "## [0.1.0]" in changelog and "Keep a Changelog" in changelog
    versioning = (DOCS / "versioning.md").read_text("utf-8")
    assert "evalrules: 1" in versioning


def test_site_pages_are_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for page in ("docs/tutorial.md", "docs/auditing.md", "docs/api.md", "docs/zh/auditing.md"):
        assert f"]({page})" in readme, page


