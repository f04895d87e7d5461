"""The README's example scheme, error and explanation are real output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules.cli import main

from .conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scheme = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert scheme is not None
    (tmp_path / "branch.yaml").write_text(scheme.group(1), "utf-8")
    (tmp_path / "facts.yaml").write_text(
        "units:\n  - {id: B1, category: production, "
        "facts: {committee_meetings: 2, full_members: 5}}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _block_after(marker: str) -> list[str]:
    start = README.index(marker)
    body = README[README.index("```\n", start) + 4:]
    return [line for line in body[: body.index("```")].splitlines() if line.strip()]


def test_readme_explanation_excerpt_is_what_explain_prints(workdir: Path) -> None:
    """Every line of the README's explanation excerpt appears in the real output."""
    out = CliRunner().invoke(main, ["explain", "branch.yaml", "facts.yaml", "--unit", "B1"])
    assert out.exit_code == 0
    printed = [line.lstrip("│├└─ ") for line in out.stdout.splitlines()]
    for line in _block_after("`evalrules explain` shows"):
        assert line.lstrip("│├└─ ") in printed


@pytest.mark.lang("en_US")
def test_readme_error_excerpt_is_what_check_prints(workdir: Path) -> None:
    """The README's typo example is reported exactly as shown."""
    text = (workdir / "branch.yaml").read_text("utf-8")
    (workdir / "branch.yaml").write_text(
        text.replace("3 - committee_meetings)", "3 - committee_meeting)"), "utf-8")
    out = CliRunner().invoke(main, ["check", "branch.yaml"])
    assert out.exit_code == 3
    for line in _block_after("`evalrules check` reports"):
        assert line in out.stderr
