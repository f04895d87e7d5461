"""Diagnostics in both languages: Chinese by default, English on request, same codes and places.

A Chinese diagnostic may quote ids, code and file names in backticks, and scheme content; it
holds no English sentence. An English diagnostic holds no Chinese apart from scheme content and
the few Chinese terms the English text glosses on purpose (上不封顶, 酌情扣分).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

import evalrules
from evalrules import i18n
from evalrules.diagnostics import CODES, Diagnostic
from evalrules.errors import EvaluationError, SchemeError
from evalrules.formula import FormulaRejected, compile_tree
from evalrules.validate import _DESCRIPTIONS

from .conftest import CASES, build, run, scheme_text

PLANTED = CASES / "planted-mistakes" / "scheme.yaml"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CODE_SPAN = re.compile(r"`[^`]*`")
# Three or more English words in a row, as in a sentence (single letters are not words here; a
# list of ids, `a, b, c`, is not a sentence).
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?: +[A-Za-z][a-z]+){2,}\b")
# Chinese terms that English messages quote on purpose, as the pages of docs/diagnostics/ show them.
GLOSSES = ("上不封顶", "酌情扣分")


def _check(source: Any, lang: str) -> list[Diagnostic]:
    with i18n.language(lang):
        _, problems = evalrules.check(source)
    assert problems
    return problems


def _english_runs(text: str) -> list[str]:
    return ENGLISH_RUN.findall(CODE_SPAN.sub("", text))


def _assert_chinese(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        for text in (d.message, d.hint):
            assert CJK.search(text), f"{d.code}: no Chinese in {text!r}"
            assert not _english_runs(text), f"{d.code}: English left in {text!r}"


def _assert_english(diagnostics: list[Diagnostic], content: str) -> None:
    for d in diagnostics:
        for text in (d.message, d.hint):
            assert text, f"{d.code} has an empty message or hint"
            for gloss in GLOSSES:
                text = text.replace(gloss, "")
            for run_ in re.findall(r"[\u4e00-\u9fff\uff00-\uffef\u3000-\u303f]+", text):
                assert run_ in content, f"{d.code}: Chinese {run_!r} is not scheme content"


def _places(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str, int, int]]:
    return [(d.code, d.name, d.location.file, d.location.line, d.location.column)
            for d in diagnostics]


def test_planted_mistakes_read_in_chinese_and_in_english() -> None:
    zh = _check(PLANTED, "zh_CN")
    en = _check(PLANTED, "en_US")
    assert _places(zh) == _places(en)
    assert {d.code for d in zh} >= {"M201", "W201", "Y003", "G401", "W202", "F302", "S103",
                                    "M206", "Y002", "M202", "M203", "M210", "M205", "M207",
                                    "M208"}
    _assert_chinese(zh)
    _assert_english(en, PLANTED.read_text("utf-8"))
    by_code = {d.code: d for d in zh}
    assert by_code["M201"].message == "id `members` 重复声明（第一次在第 12 行）"
    assert by_code["M201"].hint == "请为每个声明使用不同的 id"
    assert by_code["S103"].message == \
        "`indicators[0].children[1].max`必须是映射或数字，而不是文本"
    assert by_code["S103"].hint == "数字，或按类别 id 分别给出的数字（其余类别用 `default`）。"
    assert by_code["F302"].hint == "是不是想写 `meetings`？"
    english = {d.code: d for d in en}
    assert english["M201"].message == "id `members` is declared twice (first at line 12)"
    assert english["F302"].hint == "did you mean `meetings`?"
    assert english["M210"].hint == \
        "add `cap: N`, or `cap: none` to say it is uncapped on purpose (上不封顶)"


# One mistake per part of the checks not planted above: YAML, schema, model, formulas.
MISTAKES = [
    pytest.param("evalrules: 1\nid: x\ntitle: t\n  version: 1\n", id="yaml-indentation"),
    pytest.param("evalrules: 1\nid: [a, b\n", id="yaml-unclosed-flow"),
    pytest.param("evalrules: 1\nid: 'abc\n", id="yaml-unclosed-quote"),
    pytest.param("evalrules: 1\nid: x\nscale: 0x10\nscale: 1e999999999999\n", id="yaml-numbers"),
    pytest.param("evalrules: 2\nid: x\n", id="format-version"),
    pytest.param("- a\n- b\n", id="not-a-mapping"),
    pytest.param(scheme_text("""
facts:
  - {id: n, label: 数量, type: integr, min: 5, max: 1}
  - {id: d, label: 酌情, type: discretionary}
  - {id: e, label: 枚举, type: enum}
indicators:
  - {id: a, label: 甲, max: 10, points: "n +", extra: 1}
  - {id: b, label: 乙, points: "roud(n) + count(n)"}
  - {id: c, label: 丙, max: 10, points: "n （1）"}
  - {id: total, label: 总, max: 10, points: 1}
deductions:
  - {id: late, label: 逾期, points: 1, per: "n", applies_to: nowhere, range: [3, 1]}
bonuses:
  - {id: extra, label: 加, points: "n.real", cap: 1}
ratings:
  - id: stars
    label: 星级
    of: a
    lowest_of: [x]
    levels:
      - {id: "1", label: 一, range: "[50, 40)"}
tests:
  - {name: t1, facts: {n: 1}}
  - {name: t2, extends: t0, category: factory, facts: {n: 1}}
"""), id="meaning-and-formulas"),
]


@pytest.mark.parametrize("text", MISTAKES)
def test_each_kind_of_mistake_reads_in_both_languages(text: str) -> None:
    zh = _check(text, "zh_CN")
    en = _check(text, "en_US")
    assert _places(zh) == _places(en)
    _assert_chinese(zh)
    _assert_english(en, text)


@pytest.mark.parametrize(("formula", "english", "chinese"), [
    ("max(a, b", "'(' was never closed", "'(' 没有闭合"),
    ("a )", "unmatched ')'", "')' 没有对应的左括号"),
    ("max(a b)", "invalid syntax. Perhaps you forgot a comma?", "语法错误。是不是漏了逗号？"),
    ("a ≥ 1", "invalid character '≥' (U+2265)", "无效字符 '≥'（U+2265）"),
    ("a if b", "expected 'else' after 'if' expression", "'if' 表达式后面缺少 'else'"),
])
def test_python_syntax_errors_are_told_in_the_chosen_language(
        formula: str, english: str, chinese: str) -> None:
    for lang, expected in (("en_US", english), ("zh_CN", chinese)):
        with i18n.language(lang), pytest.raises(FormulaRejected) as caught:
            compile_tree(formula, known={"a": None, "b": None})
        message = caught.value.problems[0].message
        assert expected in message, (lang, message)


def test_yaml_parser_messages_keep_their_english_words() -> None:
    """English output is what the YAML parser wrote; Chinese output translates it."""
    text = "evalrules: 1\nid: {a: 1\ntitle: t\n"
    en = _check(text, "en_US")[0]
    zh = _check(text, "zh_CN")[0]
    assert en.code == zh.code == "Y001"
    assert en.message.startswith("while parsing a flow mapping")
    assert zh.message.startswith("解析行内映射（花括号）时：")
    assert not _english_runs(zh.message)


def test_every_schema_description_is_marked_for_translation() -> None:
    schema = json.loads(resources.files("evalrules").joinpath("schemas/scheme.schema.json")
                        .read_text("utf-8"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("description"), str):
                found.add(item["description"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    assert found == set(_DESCRIPTIONS)
    with i18n.language("zh_CN"):
        untranslated = [d for d in _DESCRIPTIONS if i18n.gettext(d) == d]
    assert not untranslated


def test_code_summaries_follow_the_language() -> None:
    code = CODES["duplicate-id"]
    with i18n.language("en_US"):
        assert code.description == code.summary == "two declarations share one id"
        assert not any(CJK.search(c.description) for c in CODES.values())
    with i18n.language("zh_CN"):
        assert code.description == "两个声明使用了同一个 id"
        assert all(CJK.search(c.description) for c in CODES.values())


def test_scheme_error_summary_in_both_languages() -> None:
    with i18n.language("en_US"):
        english = str(SchemeError(_check(PLANTED, "en_US")))
    with i18n.language("zh_CN"):
        chinese = str(SchemeError(_check(PLANTED, "zh_CN")))
    assert english.startswith("14 error(s) in scheme; first: ")
    assert chinese.startswith("方案中有 14 个错误；第一个：")


@pytest.mark.parametrize(("lang", "expected"), [
    ("en_US", "exponent 1000 is larger than 100"),
    ("zh_CN", "指数 1000 大于 100"),
])
def test_formula_failures_at_evaluation_follow_the_language(lang: str, expected: str) -> None:
    scheme = build("""
facts:
  - {id: n, label: 数量, type: integer}
indicators:
  - {id: a, label: 甲, max: 10, points: "min(10, 2 ** n)"}
""")
    with i18n.language(lang), pytest.raises(EvaluationError) as caught:
        run(scheme, {"n": 1000})
    assert expected in str(caught.value)
    assert ("单位 U1" if lang == "zh_CN" else "unit U1") in str(caught.value)


@pytest.mark.lang("en_US")
def test_the_locale_alone_gives_english_diagnostics() -> None:
    _, problems = evalrules.check(PLANTED)
    assert problems and not any(CJK.search(d.hint) for d in problems
                                if not any(g in d.hint for g in GLOSSES))


def test_the_default_locale_gives_chinese_diagnostics() -> None:
    _, problems = evalrules.check(PLANTED)
    _assert_chinese(problems)


@pytest.mark.lang("en_US")
@pytest.mark.parametrize("module", ["evalrules.yamlsource", "evalrules.formula"])
def test_parser_messages_in_english_are_the_parsers_own_words(module: str) -> None:
    import importlib

    table = importlib.import_module(module)
    samples = {"found": "'<block mapping start>'", "first": "','", "second": "'}'",
               "bracket": "(", "closing": ")", "opening": "[", "line": "1", "char": "x",
               "code": "U+2265"}
    from evalrules.i18n import known_patterns

    for pattern, message in known_patterns(table._PARSER_WORDS):
        sample = message.format(**{name: samples[name] for name in pattern.groupindex}) \
            if pattern.groupindex else message
        assert pattern.fullmatch(sample), (pattern.pattern, sample)
        assert table._parser_words(sample) == sample
