"""The command line in Chinese and English: every command's help, its width on a terminal,
--version, lint findings and the authoring reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules.cli import main
from evalrules.cli.app import Command, Context, Group
from evalrules.cli.formatting import HelpFormatter, width, wrap_text

from .conftest import ROOT

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"
FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”]+")
COMMANDS = sorted(main.commands)


def _help(lang: str, *args: str, columns: int = 80) -> str:
    result = CliRunner().invoke(main, ["--lang", lang, *args, "--help"],
                                terminal_width=columns, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _prose(text: str) -> str:
    """Help text without what is not prose: option names, metavars, choices, defaults, code."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # [OPTIONS], [text|json], [default: ...]
    text = re.sub(r"(?<![\w-])--?[\w-]+", " ", text)  # --format, -o
    text = re.sub(r"\b[A-Z][A-Z_=.]*\b", " ", text)  # SCHEME, FACT=FILE, JSON, CSV
    text = re.sub(r"\S*[./]\S*", " ", text)  # file names, e.g. results.xlsx, file:line
    return text


def test_every_command_uses_the_translating_classes() -> None:
    assert isinstance(main, Group) and main.context_class is Context
    assert Context.formatter_class is HelpFormatter
    for name, command in main.commands.items():
        assert isinstance(command, Command), name
        assert command.context_class is Context, name
        assert command._help and command._short_help, f"{name} has no help=/short_help="


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_chinese_help_holds_no_english_sentence(command: str | None) -> None:
    text = _help("zh_CN", *([command] if command else []))
    prose = _prose(text)
    english = re.findall(r"[A-Za-z]+(?:[ '][A-Za-z]+){2,}", prose)
    assert not english, f"English in `{command} --help`: {english}"
    assert "用法:" in text and "选项:" in text


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_english_help_holds_no_chinese(command: str | None) -> None:
    text = _help("en_US", *([command] if command else []))
    # A default value may be scheme content (init --title 党支部考核评价方案).
    text = re.sub(r"\[default: [^\]]*\]", "", text)
    assert not CJK.findall(text), f"Chinese in `{command} --help`: {CJK.findall(text)}"
    assert "Usage:" in text and "Options:" in text


@pytest.mark.parametrize("lang", ["zh_CN", "en_US"])
@pytest.mark.parametrize("columns", [80, 60])
def test_no_help_line_is_wider_than_the_formatter(lang: str, columns: int) -> None:
    limit = columns  # the formatter's width, as the context hands it the terminal's
    for command in [None, *COMMANDS]:
        text = _help(lang, *([command] if command else []), columns=columns)
        for line in text.splitlines():
            assert width(line) <= limit, f"{command} ({lang}, {columns}): {line!r}"


def test_display_width_wrapping_keeps_chinese_punctuation_off_line_starts() -> None:
    assert width("考核ab") == 6
    text = "消息、帮助和报告的语言：zh_CN（中文）或 en_US（英文）。默认随区域设置（LANG），未指明语言时为中文。"
    for limit in range(12, 40):
        lines = wrap_text(text, limit).splitlines()
        assert all(width(line) <= limit for line in lines), limit
        assert all(line[0] not in "，。、：；）" for line in lines), lines
        assert all(line[-1] not in "（" for line in lines), lines
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # English wraps at spaces and keeps words whole.
    assert wrap_text("one two three four", 9) == "one two\nthree\nfour"


def test_a_paragraph_marked_with_backspace_is_kept_as_written() -> None:
    text = "第一段文字。\n\n\b\nline one\nline two"
    assert wrap_text(text, 40, preserve_paragraphs=True).endswith("line one\nline two")


@pytest.mark.parametrize(("lang", "expected"), [("zh_CN", "evalrules，版本 "),
                                                ("en_US", "evalrules, version ")])
def test_version_follows_the_language(lang: str, expected: str) -> None:
    result = CliRunner().invoke(main, ["--lang", lang, "--version"], prog_name="evalrules")
    assert result.exit_code == 0 and result.output.startswith(expected)
    help_text = CliRunner().invoke(main, ["--lang", lang, "--help"]).output
    assert ("显示版本并退出。" in help_text) == (lang == "zh_CN")


UNTESTED = """\
evalrules: 1
id: plain
title: Plain scheme
version: "1"
scale: 10
categories:
  - {id: production, label: Production}
facts:
  - {id: x, label: Meetings, type: integer, min: 0, max: 10}
indicators:
  - {id: a, label: Meetings held, max: 10, points: "x"}
"""


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh_CN", "L104 untested-criterion: 方案没有内嵌测试：其 1 项指标都未经测试"),
    ("en_US", "L104 untested-criterion: the scheme has no embedded tests: none of its 1 "
              "criteria is exercised"),
])
def test_lint_speaks_the_chosen_language(tmp_path: Path, lang: str, expected: str) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(UNTESTED, "utf-8")
    result = CliRunner().invoke(main, ["--lang", lang, "lint", str(path)])
    assert result.exit_code == 0, result.output
    assert expected in result.output
    if lang == "en_US":  # the scheme's labels are English too: no Chinese at all
        assert not CJK.findall(result.output), result.output


@pytest.mark.lang("en_US")
def test_clean_lint_in_english_and_chinese() -> None:
    result = CliRunner().invoke(main, ["lint", str(SCHEME), "--ignore", "L104",
                                       "--ignore", "L105", "--ignore", "L106"])
    assert result.output == "1 scheme(s) linted: no problems\n"
    result = CliRunner().invoke(main, ["--lang", "zh", "lint", str(SCHEME), "--ignore", "L104",
                                       "--ignore", "L105", "--ignore", "L106"])
    assert result.output == "已检查 1 个方案（lint）：没有问题\n"


def _foreign_chinese(output: str) -> list[str]:
    """Runs of Chinese in English output that are not the scheme's or the facts' own text.
    Lines of fact values (`Inputs:`) are left out: another module writes them."""
    content = "".join(path.read_text("utf-8") for path in (
        SCHEME, FACTS, *(ROOT / "tests" / "cases" / "authoring-diff").glob("*.yaml")))
    return [run for line in output.splitlines() if not line.strip().startswith("Inputs:")
            for run in CJK.findall(line) if run not in content]


@pytest.mark.lang("en_US")
@pytest.mark.parametrize("args", [
    ["gaps", SCHEME, FACTS, "--unit", "B24"],
    ["gaps", SCHEME, FACTS, "--unit", "B05"],
    ["what-if", SCHEME, FACTS, "--unit", "B24", "--set", "weak_lax_listed=false",
     "--set", "dues_discretion=0"],
    ["diff", ROOT / "tests/cases/authoring-diff/star-branch-2024.yaml",
     ROOT / "tests/cases/authoring-diff/star-branch-2025.yaml", "--facts", FACTS],
    ["test", "--coverage", SCHEME],
])
def test_english_reports_hold_no_chinese_of_their_own(args: list[object]) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert not _foreign_chinese(result.output), _foreign_chinese(result.output)


@pytest.mark.parametrize(("lang", "heading"), [("zh_CN", "失分分析：B05"),
                                                ("en_US", "Gaps: B05")])
def test_gaps_in_both_languages(lang: str, heading: str) -> None:
    result = CliRunner().invoke(main, ["--lang", lang, "gaps", str(SCHEME), str(FACTS),
                                       "--unit", "B05"])
    assert result.exit_code == 0 and result.output.startswith(heading), result.output
