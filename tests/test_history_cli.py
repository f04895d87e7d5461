"""A year of quarterly results: evaluate into the store, roll up to the year, rank, history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import evalrules
from evalrules.cli import main
from evalrules.generate import generate, to_yaml
from evalrules.store import SQLiteStore

from .conftest import ROOT

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four generated quarters of 40 branches, evaluated into one store."""
    folder = tmp_path_factory.mktemp("year")
    compiled = evalrules.load_scheme(SCHEME)
    examples = compiled.read_facts(ROOT / "examples" / "star-branch-5521" / "facts.yaml").units
    for q in range(1, 5):
        text = to_yaml(generate(compiled.model, examples, 40, seed=100 + q), compiled.id,
                       f"2024-Q{q}")
        (folder / f"q{q}.yaml").write_text(text, "utf-8")
        code, out = invoke("evaluate", SCHEME, folder / f"q{q}.yaml", "--store",
                           folder / "r.db")
        assert code == 0, out
        assert f"2024-Q{q}（已记录：运行 {q}，40 个单位）" in out
    return folder


def test_a_stored_period_is_not_overwritten_without_replace(year: Path) -> None:
    code, out = invoke("evaluate", SCHEME, year / "q1.yaml", "--store", year / "r.db")
    assert code == 7 and "--replace" in out


def test_the_year_is_the_mean_of_its_quarters_and_explains_them(year: Path) -> None:
    code, out = invoke("rollup", SCHEME, "--store", year / "r.db", "--period", "2024")
    assert code == 0, out
    assert "年定级 2024（运行 5，40 个单位）" in out and "年度先进党支部：" in out
    with SQLiteStore(year / "r.db") as store:
        annual = {r.unit: r for r in store.records(store.current_run(
            "star-branch-5521", "2024", "annual").id)}  # type: ignore[union-attr]
        quarters = [{r.unit: r for r in store.records(q)} for q in (1, 2, 3, 4)]
    unit = annual["B01"]
    expected = sum((q["B01"].total for q in quarters), start=annual["B01"].total * 0) / 4
    assert unit.total == expected.quantize(unit.total)
    code, out = invoke("history", SCHEME, "--store", year / "r.db", "--unit", "B01",
                       "--period", "2024")
    assert code == 0, out
    for q in range(1, 5):
        assert re.search(rf"2024-Q{q}（季度评价） 总分 {quarters[q - 1]['B01'].total}", out)
    assert "由以下期间汇总，方法：平均" in out


def test_history_shows_movement_on_the_ladder(year: Path) -> None:
    with SQLiteStore(year / "r.db") as store:
        units = {r.unit for r in store.records(1)}
        moved = None
        for unit in sorted(units):
            tiers = [r.ratings["tier"] for r in store.history("star-branch-5521", unit)
                     if "rollup" not in r.notes]
            if len(set(tiers)) > 1:
                moved = unit
                break
    assert moved is not None
    code, out = invoke("history", SCHEME, "--store", year / "r.db", "--unit", moved)
    assert code == 0 and ("晋位↑" in out or "降级↓" in out)


def test_rank_lists_awards_of_a_stored_period(year: Path) -> None:
    code, out = invoke("rank", SCHEME, "--store", year / "r.db", "--period", "2024-Q2")
    assert code == 0, out
    assert "季度排名评先：" in out
    code, out = invoke("rank", SCHEME, "--store", year / "r.db", "--period", "2023-Q2")
    assert code == 2 and "没有 2023-Q2 的 `evaluation` 已存储结果" in out


@pytest.mark.lang("en_US")
def test_rank_of_a_period_not_stored_is_a_usage_error(year: Path) -> None:
    code, out = invoke("rank", SCHEME, "--store", year / "r.db", "--period", "2023-Q2")
    assert code == 2 and "no stored results of `evaluation` for 2023-Q2" in out


def test_replacing_a_period_keeps_the_old_run(year: Path) -> None:
    code, out = invoke("evaluate", SCHEME, year / "q4.yaml", "--store", year / "r.db",
                       "--replace")
    assert code == 0, out
    with SQLiteStore(year / "r.db") as store:
        runs = store.runs("star-branch-5521", "2024-Q4")
    assert [r.status for r in runs] == ["replaced", "current"]
