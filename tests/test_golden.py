"""The golden suite: schemes and facts under tests/cases/ with their expected outputs.

Each case folder holds `case.yaml` naming the command lines to run and the file each one's
output must equal. `pytest --update-goldens` rewrites those files; reviewers read the diff.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalrules.cli import main

from .conftest import CASES, ROOT


def _runs() -> list[tuple[str, str, int, Path]]:
    runs = []
    for case in sorted(CASES.iterdir()):
        spec = case / "case.yaml"
        if not spec.exists():
            continue
        for item in yaml.safe_load(spec.read_text("utf-8"))["runs"]:
            runs.append((case.name, item["args"], item.get("exit", 0), case / item["expect"]))
    return runs


@pytest.mark.parametrize(("case", "args", "exit_code", "expected"), _runs(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_golden(case: str, args: str, exit_code: int, expected: Path, update_goldens: bool,
                monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's output equals the reviewed golden file."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, shlex.split(args), catch_exceptions=False)
    output = result.stdout + result.stderr
    if update_goldens:
        expected.write_text(output, "utf-8")
    assert result.exit_code == exit_code, output
    assert output == expected.read_text("utf-8")
