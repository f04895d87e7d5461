"""Shared helpers: schemes built from text, the golden-file switch."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import evalrules

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="Rewrite expected files under tests/cases/ from current output.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lang(name): run the test in this language (zh_CN unless "
                            "marked), set through the locale as a user would")


@pytest.fixture(autouse=True)
def _language(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs in a known language, whatever the machine's locale."""
    marker = request.node.get_closest_marker("lang")
    lang = marker.args[0] if marker else "zh_CN"
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", f"{lang}.UTF-8")
    return str(lang)


@pytest.fixture(autouse=True)
def _fast_facts_from_the_first_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkers use the generated fast path from a scheme's first unit (not its twentieth), so
    every test that reads facts runs it; tests/test_factcode.py holds it to the slow checks."""
    from evalrules import factcode

    monkeypatch.setattr(factcode, "FAST_AFTER", 0)


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


HEADER = """\
evalrules: 1
id: t
title: 测试方案
version: "1"
scale: 100
categories:
  - {id: production, label: 生产类}
  - {id: office, label: 机关类}
"""


def catalog_tools() -> ModuleType:
    """tools/catalogs.py, which extracts, checks and compiles the message catalogs."""
    spec = importlib.util.spec_from_file_location("catalogs", ROOT / "tools" / "catalogs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalogs"] = module
    spec.loader.exec_module(module)
    return module


def scheme_text(body: str) -> str:
    return HEADER + textwrap.dedent(body)


def build(body: str) -> evalrules.CompiledScheme:
    """Compile a scheme whose categories are production and office."""
    return evalrules.load_scheme(scheme_text(body))


def invoke(*args: str | Path) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, standard output, standard error)."""
    from click.testing import CliRunner

    from evalrules.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run(scheme: evalrules.CompiledScheme, facts: dict[str, Any],
        category: str = "production", unit: str = "U1") -> evalrules.Result:
    return scheme.evaluate({"id": unit, "category": category, "facts": facts})
