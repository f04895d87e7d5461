"""Languages: the catalogs are complete, and the locale or --lang picks the language."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalrules import i18n
from evalrules.cli import main

from .conftest import catalog_tools

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("domain", ["evalrules", "click"])
def test_every_message_has_a_current_chinese_translation(domain: str) -> None:
    """Fails when a marked message has no translation, a translation is stale or misses a
    placeholder, or the compiled .mo lags behind the PO files."""
    problems = catalog_tools().problems(domain)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LANG": "POSIX"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_TW.Big5"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en_US"),
    ({"LANG": "de_DE.UTF-8"}, "en_US"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en_US"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh_CN"),
])
def test_the_locale_picks_the_language(environ: dict[str, str], expected: str) -> None:
    assert i18n.environment_language(environ) == expected


def test_a_chosen_language_holds_only_where_it_was_chosen() -> None:
    seen: dict[str, str] = {}

    def other_thread() -> None:
        seen["thread"] = i18n.current_language()

    message = "Show this message and exit."
    assert i18n.click_gettext(message) == "显示本帮助并退出。"
    with i18n.language("en"):
        assert i18n.click_gettext(message) == message
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen["thread"] == "zh_CN"  # the test's locale, not the block's choice
    assert i18n.current_language() == "zh_CN"
    with pytest.raises(ValueError, match="names no language"):
        i18n.set_language("C")


@pytest.mark.parametrize(("args", "lang", "usage"), [
    (["--help"], "zh_CN", "用法:"),
    (["--help"], "en_US", "Usage:"),
    (["--lang", "en", "check", "--help"], "zh_CN", "Usage:"),
    (["--lang=zh_CN", "check", "--help"], "en_US", "用法:"),
    (["--lang", "zh", "check", "no-such.yaml"], "en_US", "用法:"),
])
def test_lang_and_locale_choose_the_language_of_help_and_errors(
        args: list[str], lang: str, usage: str) -> None:
    result = CliRunner().invoke(main, args, env={"LANG": f"{lang}.UTF-8"})
    assert usage in result.output
    assert ("Usage:" if usage == "用法:" else "用法:") not in result.output


def test_an_unknown_lang_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["--lang", "fr", "check", "x.yaml"])
    assert result.exit_code == 2
    assert "--lang" in result.output
