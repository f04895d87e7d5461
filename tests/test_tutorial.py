"""The tutorials, how-tos and auditing pages run as written: every file, command and output.

A page marks its runnable blocks with an HTML comment on the line before the fence:

- `<!-- step: file NAME -->` writes the block to NAME;
- `<!-- step: append NAME -->` adds the block at the end of NAME;
- `<!-- step: insert NAME after "TEXT" -->` inserts the block after the first line of NAME that
  starts with TEXT;
- `<!-- step: replace NAME "OLD" "NEW" -->` (no block) replaces OLD by NEW in NAME, once;
- `<!-- step: copy PATH NAME -->` (no block) copies the repository's file PATH to NAME;
- `<!-- step: doctest -->` runs the block's `>>>` examples (Python) in the working directory;
- `<!-- step: run -->` or `<!-- step: run exit=N -->` runs the block's `$ evalrules ...` command
  (or a shell command such as `sha256sum`) and compares what it prints (standard output and error, in order) with the lines below it.
  A line that is only "…" stands for any number of lines (at most one per block).

English pages run in en_US, the Chinese ones in zh_CN, set through the locale as a user would.
`pytest tests/test_tutorial.py --update-goldens` rewrites every output block from the real
output (keeping an elision where it was), so that the pages follow the messages when they change.
"""

from __future__ import annotations

import doctest
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules.cli import main

from .conftest import ROOT

DOCS = ROOT / "docs"
PAGES = {
    "tutorial.md": "en_US",
    "zh/tutorial.md": "zh_CN",
    "auditing.md": "en_US",
    "zh/auditing.md": "zh_CN",
    **{f"howto/{p.name}": "en_US" for p in sorted((DOCS / "howto").glob("*.md"))
       if p.name != "index.md"},
}
STEP = re.compile(r"^<!-- step: (?P<action>\w+)(?P<args>[^\n]*?) -->\n"
                  r"(?:```[^\n]*\n(?P<body>.*?)^```\n)?", re.M | re.S)
ELISION = "…"


@dataclass
class Step:
    action: str
    args: list[str]
    body: str | None
    start: int  # offset of the body in the page
    end: int


def steps(text: str) -> list[Step]:
    out = []
    for m in STEP.finditer(text):
        body = m.group("body")
        out.append(Step(m.group("action"), shlex.split(m.group("args")), body,
                        m.start("body") if body is not None else m.end(),
                        m.end("body") if body is not None else m.end()))
    return out


def _env(lang: str) -> dict[str, str | None]:
    return {"LANG": f"{lang}.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None,
            "COLUMNS": "100"}


def _matches(expected: list[str], actual: list[str]) -> bool:
    if ELISION not in expected:
        return expected == actual
    i = expected.index(ELISION)
    head, tail = expected[:i], expected[i + 1:]
    return (len(head) + len(tail) <= len(actual) and actual[:len(head)] == head
            and actual[len(actual) - len(tail):] == tail)


def _regenerated(expected: list[str], actual: list[str]) -> list[str]:
    if ELISION not in expected:
        return actual
    i = expected.index(ELISION)
    tail = len(expected) - i - 1
    if i + tail >= len(actual):
        return actual
    return [*actual[:i], ELISION, *actual[len(actual) - tail:]]


def run_page(page: str, lang: str, workdir: Path, update: bool) -> str:
    """Run every step of `page` in `workdir`; return the page with regenerated outputs."""
    text = (DOCS / page).read_text("utf-8")
    pieces: list[str] = []
    done = 0
    ran = 0
    globs: dict[str, object] = {}
    for step in steps(text):
        where = f"{page}:{text.count(chr(10), 0, step.start) + 1}"
        if step.action in ("file", "append", "insert"):
            assert step.body is not None, f"{where}: `{step.action}` needs a code block"
            path = workdir / step.args[0]
            if step.action == "file":
                path.write_text(step.body, "utf-8")
            elif step.action == "append":
                path.write_text(path.read_text("utf-8") + step.body, "utf-8")
            else:
                assert step.args[1] == "after", where
                lines = path.read_text("utf-8").splitlines(keepends=True)
                at = next((n for n, line in enumerate(lines) if line.startswith(step.args[2])),
                          None)
                assert at is not None, f"{where}: no line starts with {step.args[2]!r}"
                lines[at + 1:at + 1] = [step.body]
                path.write_text("".join(lines), "utf-8")
        elif step.action == "replace":
            path = workdir / step.args[0]
            old, new = step.args[1], step.args[2]
            content = path.read_text("utf-8")
            assert old in content, f"{where}: {old!r} is not in {step.args[0]}"
            path.write_text(content.replace(old, new, 1), "utf-8")
        elif step.action == "copy":
            shutil.copyfile(ROOT / step.args[0], workdir / step.args[1])
        elif step.action == "doctest":
            assert step.body is not None, f"{where}: `doctest` needs a code block"
            test = doctest.DocTestParser().get_doctest(step.body, globs, where, page, 0)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            report: list[str] = []
            runner.run(test, out=report.append, clear_globs=False)
            globs.update(test.globs)  # later examples of the page go on from these
            assert runner.failures == 0, f"{where}: the Python example fails\n" + "".join(report)
        elif step.action == "run":
            assert step.body is not None, f"{where}: `run` needs a code block"
            command, *expected = step.body.rstrip("\n").split("\n")
            assert command.startswith("$ "), f"{where}: a command starts with `$ `"
            status = dict(a.split("=", 1) for a in step.args).get("exit", "0")
            if command.startswith("$ evalrules "):
                result = CliRunner(env=_env(lang)).invoke(main, shlex.split(command[12:]))
                output, code = result.output, result.exit_code
                detail = repr(result.exception)
            else:
                if shutil.which(command.split()[1]) is None:
                    pytest.skip(f"{command.split()[1]} is not installed")
                done_ = subprocess.run(command[2:], shell=True, capture_output=True, text=True,
                                       cwd=workdir, check=False)
                output, code, detail = done_.stdout + done_.stderr, done_.returncode, ""
            actual = [line.rstrip() for line in output.rstrip("\n").split("\n")]
            if output == "":
                actual = []
            assert code == int(status), (
                f"{where}: `{command[2:]}` exited {code}, not {status}\n{output}{detail}")
            if update:
                pieces += [text[done:step.start], command, "\n",
                           *(line + "\n" for line in _regenerated(expected, actual))]
                done = step.end
            else:
                assert _matches([e.rstrip() for e in expected], actual), (
                    f"{where}: `{command[2:]}` printed\n" + "\n".join(actual)
                    + "\n(run `pytest tests/test_tutorial.py --update-goldens` to rewrite)")
            ran += 1
        else:
            raise AssertionError(f"{where}: unknown step `{step.action}`")
    assert ran, f"{page} runs no command"
    return "".join(pieces) + text[done:]


@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_as_written(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              update_goldens: bool) -> None:
    """Every file the page writes and every command it shows give the output it shows."""
    monkeypatch.chdir(tmp_path)
    new = run_page(page, PAGES[page], tmp_path, update_goldens)
    if update_goldens:
        (DOCS / page).write_text(new, "utf-8")


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("howto/")])
def test_each_howto_checks_and_tests_its_scheme(page: str) -> None:
    """A how-to's scheme is checked and its embedded tests run, and a unit is explained."""
    commands = [s.body.split("\n", 1)[0] for s in steps((DOCS / page).read_text("utf-8"))
                if s.action == "run" and s.body]
    assert any(c.startswith("$ evalrules test ") for c in commands), page
    assert any(c.startswith("$ evalrules explain ") for c in commands), page


def test_every_mechanic_has_a_howto() -> None:
    """The fourteen scoring mechanics each have their page, listed in the how-to index."""
    pages = [p for p in PAGES if p.startswith("howto/")]
    assert len(pages) == 14
    index = (DOCS / "howto" / "index.md").read_text("utf-8")
    for page in pages:
        assert f"]({page.removeprefix('howto/')})" in index, page


def test_elision_matches_any_number_of_lines() -> None:
    assert _matches(["a", ELISION, "d"], ["a", "b", "c", "d"])
    assert _matches(["a", ELISION], ["a"])
    assert not _matches(["a", ELISION, "d"], ["a", "b"])
    assert _regenerated(["a", ELISION, "d"], ["x", "b", "c", "y"]) == ["x", ELISION, "y"]
