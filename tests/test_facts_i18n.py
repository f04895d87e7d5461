"""Facts problems, spreadsheet limits and the init scaffold in Chinese and in English."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from evalrules import i18n
from evalrules.cli import main
from evalrules.facts import check_facts_file
from evalrules.periods import Period, PeriodError
from evalrules.scaffold import scaffold

from .conftest import scheme_text

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

BODY = """\
facts:
  - {id: members, label: 正式党员人数, type: integer, min: 0, max: 500}
  - {id: meetings, label: 支委会召开次数, type: integer, min: 0, max: 31}
  - {id: dues, label: 党费酌情扣分, type: discretionary, min: 0, max: 3, default: 0}
indicators:
  - {id: a, label: 组织生活, max: 10, points: "min(meetings, 10)"}
"""
# Everything in the output below that is scheme or facts content, not a message of evalrules.
CONTENT = ("正式党员人数", "支委会召开次数", "党费酌情扣分", "单位编号", "单位类别", "生产类",
           " 理由", "十二", "单位")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(scheme_text(BODY), encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "单位"
    sheet.append(["单位编号", "单位类别", "正式党员人数", "支委会召开次数", "党费酌情扣分",
                  "党费酌情扣分 理由"])
    sheet.append(["B01", "生产类", "十二", 3, None, None])       # text in a number column
    sheet.append(["B02", "production", 12, "=1+2", None, None])  # a formula
    sheet.append(["B03", "production", 12, None, 2, None])       # empty cell; no reason
    sheet.append(["B04", "production", 12, 3, None, None])       # fine
    facts = tmp_path / "facts.xlsx"
    book.save(facts)
    return scheme, facts


def _evaluate(lang: str, scheme: Path, facts: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--lang", lang, "evaluate", str(scheme), str(facts)])
    return result.exit_code, result.stderr


def test_bad_cells_of_a_workbook_in_chinese(tmp_path: Path) -> None:
    scheme, facts = _files(tmp_path)
    code, err = _evaluate("zh_CN", scheme, facts)
    assert code == 4
    where = f"{facts}[单位]"
    assert (f"{where}:2:3: D503 bad-fact-value: 单位 B01：`members`（正式党员人数）必须是数字，"
            "而不是文本 '十二'\n  提示：只填写数字，不要带单位") in err
    assert (f"{where}:3:4: D509 formula-cell: 单位 B02：`meetings`（支委会召开次数）：单元格中是公式 "
            "=1+2，而不是直接填写的值\n  提示：请直接填写值本身，或复制单元格后只粘贴数值（选择性粘贴 → 数值）："
            "evalrules 从不计算电子表格公式") in err
    assert (f"{where}:4:4: D501 missing-fact: 单位 B03：缺少必填事实 `meetings`（支委会召开次数）\n"
            "  提示：请填写“支委会召开次数 [meetings]”列；空单元格不会按 0 计") in err
    assert ("D505 missing-reason: 单位 B03：`dues`（党费酌情扣分）为 2，但没有写明理由\n"
            "  提示：请填写“党费酌情扣分 理由 [dues.reason]”列：酌情扣分必须写明理由") in err


def test_bad_cells_of_a_workbook_in_english(tmp_path: Path) -> None:
    scheme, facts = _files(tmp_path)
    code, err = _evaluate("en_US", scheme, facts)
    assert code == 4
    where = f"{facts}[单位]"
    assert (f"{where}:2:3: D503 bad-fact-value: unit B01: `members` (正式党员人数) must be a "
            "number, not the text '十二'\n  help: type the number alone, without units") in err
    assert (f"{where}:3:4: D509 formula-cell: unit B02: `meetings` (支委会召开次数): the cell "
            "holds the formula =1+2, not a value\n  help: type the value itself, or copy the "
            "cells and paste values only (Paste Special → Values): evalrules never computes a "
            "spreadsheet formula") in err
    assert ("D505 missing-reason: unit B03: `dues` (党费酌情扣分) is 2 without a justification\n"
            "  help: fill in the column 党费酌情扣分 理由 [dues.reason]: a discretionary "
            "deduction must say why") in err
    rest = err.replace(str(facts), "")
    for text in CONTENT:
        rest = rest.replace(text, "")
    assert not CJK.search(rest), rest


@pytest.mark.parametrize("lang", ["zh_CN", "en_US"])
def test_file_level_problems_follow_the_language(tmp_path: Path, lang: str) -> None:
    scheme, _ = _files(tmp_path)
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a zip at all")
    with i18n.language(lang):
        from evalrules import load_scheme

        model = load_scheme(scheme).model
        problems = check_facts_file(model, damaged).problems
        missing = check_facts_file(model, tmp_path / "absent.yaml").problems
    message = problems[0].message
    if lang == "zh_CN":
        assert message == "无法读取工作簿：不是 XLSX 工作簿（请另存为 Excel 工作簿 .xlsx）"
        assert problems[0].hint == "请在 Excel 或 WPS 中另存为 .xlsx"
        assert missing[0].message.startswith("无法读取事实文件：") and missing[0].hint == "请检查路径"
    else:
        assert message == ("cannot read the workbook: not an XLSX workbook (save it as an Excel "
                           "Workbook, .xlsx)")
        assert problems[0].hint == "save it from Excel or WPS as .xlsx"
        assert missing[0].message.startswith("cannot read the facts file: ")
        assert not CJK.search(message + problems[0].hint + missing[0].message)


def test_a_wrong_period_is_told_in_the_chosen_language() -> None:
    with i18n.language("zh_CN"), pytest.raises(PeriodError, match="不是考核周期"):
        Period.parse("2024-13")
    with i18n.language("en_US"), pytest.raises(PeriodError, match="is not a period"):
        Period.parse("2024-13")
    with i18n.language("zh_CN"), pytest.raises(PeriodError, match="季度考核周期不能包含年度"):
        Period.parse("2024").enclosing("quarter")


# ----------------------------------------------------------------------------------------------
# evalrules init


def _comments(text: str) -> list[str]:
    """The guidance comments of a scaffold: every `#` comment but the title line."""
    out = []
    for number, line in enumerate(text.splitlines()):
        if "#" in line and number != 2 and not line.startswith("# yaml-language-server"):
            out.append(line[line.index("#"):])
    return out


def test_init_in_chinese_writes_chinese_guidance(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--lang", "zh_CN", "init", "--id", "demo"])
    assert result.exit_code == 0
    text = result.stdout
    assert "# 修改后依次运行：\n#   evalrules check scheme.yaml     # 格式、名称、分值、分数段\n" in text
    assert 'version: "2025.1"                 # 版本号用引号，每年修订时递增\n' in text
    assert "  # 酌情扣分：填报时写 {value: 2, reason: 理由}，非零值必须写明理由\n" in text
    assert "      # 条件型：条件成立得满分，否则不得分\n" in text


def test_init_in_english_writes_english_guidance(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["--lang", "en_US", "init", "--id", "demo", "-o", "demo.yaml"])
    assert result.exit_code == 0, result.output
    text = Path("demo.yaml").read_text(encoding="utf-8")
    assert "#   evalrules check demo.yaml     # format, names, points, grade bands\n" in text
    assert "  # discretionary deduction: report it as {value: 2, reason: ...}" in text
    comments = _comments(text)
    assert len(comments) > 30
    chinese = [c for c in comments if CJK.search(c)]
    assert not chinese, chinese
    # The same scheme as in Chinese: only the comments and the default title differ.
    with i18n.language("zh_CN"):
        zh = yaml.safe_load(scaffold("demo", file="demo.yaml"))
    en = yaml.safe_load(text)
    assert (en.pop("title"), zh.pop("title")) == ("Party branch evaluation scheme", "党支部考核评价方案")
    assert en == zh
    for command in ("check", "test", "lint"):
        done = runner.invoke(main, ["--lang", "en_US", command, "demo.yaml"])
        assert done.exit_code == 0, done.output


def test_a_bad_scheme_id_is_refused_in_the_chosen_language() -> None:
    with i18n.language("en_US"), pytest.raises(ValueError, match="is not a scheme id"):
        scaffold("Bad Id")
    with i18n.language("zh_CN"), pytest.raises(ValueError, match="不是合法的方案 id"):
        scaffold("Bad Id")


@pytest.mark.parametrize(("lang", "words"), [("zh_CN", "必须是数字，而不是文本"),
                                             ("en_US", "must be a number, not the text")])
def test_the_sandbox_worker_speaks_the_callers_language(tmp_path: Path, lang: str,
                                                         words: str) -> None:
    from evalrules import FactsError
    from evalrules.sandbox import evaluate_in_worker

    facts = ("units:\n  - {id: B01, category: production, facts: {members: 十二, meetings: 3}}\n"
             ).encode()
    with i18n.language(lang), pytest.raises(FactsError) as info:
        evaluate_in_worker(scheme_text(BODY), facts, facts_name="facts.yaml")
    assert words in info.value.diagnostics[0].message
