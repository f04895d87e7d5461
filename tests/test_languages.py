"""Every command speaks one language at a time.

Each command runs twice, with `LANG=zh_CN.UTF-8` and with `LANG=en_US.UTF-8`. The scheme and
facts here are written in English, so in English any Chinese character in the output is a
message left untranslated; in Chinese, any English message text of the catalogs found in the
output is a message that missed its translation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules.cli import main

from .conftest import catalog_tools

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

SCHEME = """\
evalrules: 1
id: lang-demo
title: Branch evaluation demo
version: "1"
scale: 100
categories:
  - {id: production, label: Production}
  - {id: office, label: Office}
facts:
  - {id: meetings, label: Committee meetings held, type: integer, min: 0, unit: times}
  - {id: members, label: Full members, type: integer, min: 0}
  - {id: late_items, label: Late work items, type: integer, min: 0, default: 0}
  - {id: notices, label: Criticism notices, type: integer, min: 0, default: 0}
  - {id: violation, label: Serious violation, type: boolean, default: false}
  - id: overdue_items
    label: Rectifications past their deadline
    type: list
    default: []
    source: history
    fields:
      - {id: rule, label: Rule, type: text}
      - {id: found, label: Found in, type: text}
      - {id: due, label: Due, type: text}
  - id: rectified
    label: Rectified items
    type: list
    default: []
    fields:
      - {id: rule, label: Rule, type: text}
      - {id: found, label: Found in, type: text}
indicators:
  - id: work
    label: Branch work
    max: 100
    children:
      - id: meetings_held
        label: Monthly committee meetings
        max: 60
        basis: Branch work regulations, article 12
        points: full - 20 * max(0, 3 - meetings)
      - id: size
        label: Three or more full members
        max: 40
        when: members >= 3
deductions:
  - {id: late, label: Late submission, points: 0.5, per: late_items, cap: 3}
  - {id: criticism, label: Criticised in a notice, points: 2, per: notices, cap: 4}
  - {id: overdue, label: Rectification overdue, points: 2, per: count(overdue_items), cap: none}
vetoes:
  - id: serious
    label: Serious violation
    when: violation
    effect: {rating: stars, level: "0"}
ratings:
  - id: stars
    label: Stars
    of: total
    levels:
      - {id: "5", label: Five stars, range: "[95, +inf)"}
      - {id: "3", label: Three stars, range: "[80, 95)"}
      - {id: "0", label: No star}
periods:
  evaluated: quarter
rollups:
  - {id: annual, label: Annual grade, from: evaluation, to: year, method: mean, missing: skip,
     ratings: [stars]}
rectification:
  label: Follow-up review
  opened_by: [criticism]
  within: 1
  overdue: overdue_items
  closed_by: rectified
rankings:
  - {id: overall, label: Overall rank, of: total}
quotas:
  - {id: five_star_quota, label: At most half five stars, rating: stars, level: "5",
     at_most: "50%", within: all, ranking: overall}
awards:
  - {id: best, label: Best branch of the quarter, ranking: overall, top: 1, period: quarter}
tests:
  - name: a full branch gets five stars
    category: production
    facts: {meetings: 3, members: 5}
    expect: {total: 100, ratings: {stars: "5"}}
"""

FACTS = """\
units:
  - {id: A1, name: North workshop branch, category: production,
     facts: {meetings: 3, members: 5}}
  - {id: A2, name: South workshop branch, category: production,
     facts: {meetings: 2, members: 5, late_items: 3, notices: 1}}
  - {id: A3, name: Head office branch, category: office,
     facts: {meetings: 3, members: 2, violation: true}}
"""

BROKEN = SCHEME.replace("points: full - 20 * max(0, 3 - meetings)",
                        "points: full - 20 * max(0, 3 - meeting)").replace(
                        "min: 0, unit: times}", "min: 5, max: 1, unit: times}")


def _english_fragments() -> list[str]:
    """Literal runs of the catalogs' English messages that read as English words: three or
    more words in a row, outside placeholders and code spans."""
    tools = catalog_tools()
    messages: set[str] = set()
    for domain in ("evalrules", "click"):
        entries, _conflicts = tools.read_parts(domain)
        for key in entries:
            messages.update(key if isinstance(key, tuple) else (key,))
    fragments = set()
    for message in messages:
        text = re.sub(r"`[^`]*`|\{[^}]*\}|%\(\w+\)\w|%\w", "\0", message)
        for piece in text.split("\0"):
            for run in re.findall(r"[A-Za-z]+(?:[ ,'-]+[A-Za-z]+){2,}", piece):
                fragments.add(run)
    return sorted(fragments, key=len, reverse=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("lang")
    (base / "scheme.yaml").write_text(SCHEME, encoding="utf-8")
    (base / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (base / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (base / "bad-facts.yaml").write_text(FACTS.replace("members: 2", "members: -2")
                                         .replace("meetings: 2,", "meetings: lots,"),
                                         encoding="utf-8")
    (base / "scheme-v2.yaml").write_text(SCHEME.replace('version: "1"', 'version: "2"')
                                         .replace("cap: 3}", "cap: 2}"), encoding="utf-8")
    return base


def _commands() -> Iterator[tuple[str, list[str]]]:
    from evalrules.cli.app import main as group

    yield "help", ["--help"]
    for name in sorted(group.commands):
        yield f"{name} --help", [name, "--help"]
    yield "check", ["check", "scheme.yaml"]
    yield "check errors", ["check", "broken.yaml"]
    yield "check json", ["check", "broken.yaml", "--format", "json"]
    yield "test", ["test", "scheme.yaml"]
    yield "lint", ["lint", "scheme.yaml"]
    yield "evaluate", ["evaluate", "scheme.yaml", "facts.yaml"]
    yield "evaluate md", ["evaluate", "scheme.yaml", "facts.yaml", "--format", "md"]
    yield "evaluate html", ["evaluate", "scheme.yaml", "facts.yaml", "--format", "html"]
    yield "evaluate bad facts", ["evaluate", "scheme.yaml", "bad-facts.yaml"]
    yield "explain", ["explain", "scheme.yaml", "facts.yaml", "--unit", "A2"]
    yield "explain veto", ["explain", "scheme.yaml", "facts.yaml", "--unit", "A3"]
    yield "what-if", ["what-if", "scheme.yaml", "facts.yaml", "--unit", "A2", "--set",
                      "meetings=3"]
    yield "gaps", ["gaps", "scheme.yaml", "facts.yaml", "--unit", "A2"]
    yield "diff", ["diff", "scheme.yaml", "scheme-v2.yaml", "--facts", "facts.yaml"]
    yield "graph", ["graph", "scheme.yaml"]
    yield "store Q1", ["evaluate", "scheme.yaml", "facts.yaml", "--period", "2024-Q1",
                       "--store", "r.db"]
    yield "store Q2", ["evaluate", "scheme.yaml", "facts.yaml", "--period", "2024-Q2",
                       "--store", "r.db"]
    yield "store Q2 again", ["evaluate", "scheme.yaml", "facts.yaml", "--period", "2024-Q2",
                             "--store", "r.db"]
    yield "rollup", ["rollup", "scheme.yaml", "--store", "r.db", "--period", "2024"]
    yield "rank", ["rank", "scheme.yaml", "--store", "r.db", "--period", "2024-Q2"]
    yield "history", ["history", "scheme.yaml", "--store", "r.db", "--unit", "A2", "--period",
                      "2024"]
    yield "rectification", ["rectification", "scheme.yaml", "--store", "r.db"]
    yield "usage error", ["evaluate", "scheme.yaml"]
    yield "no such command", ["evaluat"]


COMMANDS = list(_commands())


def _run(work: Path, lang: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(work)
    result = CliRunner().invoke(main, args, env={"LANG": f"{lang}.UTF-8", "LC_ALL": None,
                                                 "LC_MESSAGES": None, "LANGUAGE": None})
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return result.output


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_english_output_holds_no_chinese(work: Path, name: str, args: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(work, "en_US", args, monkeypatch)
    assert out.strip(), f"{name} printed nothing"
    found = [line for line in out.splitlines() if CJK.search(line)]
    assert not found, f"{name}: Chinese in English output:\n" + "\n".join(found[:10])


@pytest.fixture(scope="module")
def fragments() -> list[str]:
    return _english_fragments()


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_chinese_output_holds_no_english_message(work: Path, name: str, args: list[str],
                                                 fragments: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(work, "zh_CN", args, monkeypatch)
    assert out.strip(), f"{name} printed nothing"
    assert CJK.search(out), f"{name}: no Chinese at all in Chinese output"
    content = SCHEME + FACTS
    leaks = [f for f in fragments if f in out and f not in content]
    assert not leaks, f"{name}: English message text in Chinese output: {leaks[:10]}"


def test_the_real_program_follows_lang(work: Path) -> None:
    """The installed program, as a user runs it, with nothing but LANG set."""
    exe = Path(sys.executable).with_name("evalrules")
    for lang, expected in (("zh_CN.UTF-8", "用法"), ("en_US.UTF-8", "Usage")):
        out = subprocess.run([str(exe), "check", "--help"], capture_output=True, text=True,
                             env={"LANG": lang, "PATH": "/usr/bin:/bin"}, cwd=work, check=True)
        assert expected in out.stdout
    done = subprocess.run([str(exe), "check", "broken.yaml", "--format", "json"],
                          capture_output=True, text=True, cwd=work,
                          env={"LANG": "en_US.UTF-8", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 3
    assert not CJK.search(json.dumps(json.loads(done.stdout), ensure_ascii=False))
