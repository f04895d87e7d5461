"""整改回头看: a deduction opens an item; an item still open after its deadline costs points,
and the explanation names the period where it was found."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from evalrules.cli import main
from evalrules.store import SQLiteStore

from .conftest import scheme_text

BODY = """
periods: {evaluated: quarter}
facts:
  - {id: dues_problem, label: 党费问题, type: boolean, default: false}
  - id: overdue
    label: 逾期未整改问题
    type: list
    default: []
    source: history
    fields:
      - {id: rule, label: 扣分项, type: text}
      - {id: found, label: 发现期间, type: text}
      - {id: due, label: 整改期限, type: text}
  - id: rectified
    label: 本期整改销号
    type: list
    default: []
    fields:
      - {id: rule, label: 扣分项, type: text}
      - {id: found, label: 发现期间, type: text}
indicators:
  - {id: work, label: 工作, max: 100, points: 100}
deductions:
  - {id: dues, label: 党费管理不规范, when: dues_problem, points: 1}
  - {id: follow_up, label: 整改不力, points: 5, per: count(overdue), cap: none}
rectification:
  opened_by: [dues]
  within: 1
  overdue: overdue
  closed_by: rectified
"""


def run(tmp: Path, period: str, facts: str, *extra: str) -> tuple[int, str]:
    (tmp / "s.yaml").write_text(scheme_text(BODY), "utf-8")
    path = tmp / f"{period}.yaml"
    path.write_text(f"period: {period}\nunits:\n" + facts, "utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(tmp / "s.yaml"), str(path), "--store",
                                       str(tmp / "r.db"), *extra], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def totals(tmp: Path, period: str) -> dict[str, str]:
    with SQLiteStore(tmp / "r.db") as store:
        run_info = store.current_run("t", period)
        assert run_info is not None
        return {r.unit: str(r.total) for r in store.records(run_info.id)}


def test_an_item_overdue_after_its_deadline_costs_points(tmp_path: Path) -> None:
    a_problem = "  - {id: A, category: office, facts: {dues_problem: true}}\n"
    clean_a = "  - {id: A, category: office, facts: {}}\n"
    fixed_b = ("  - {id: B, category: office, facts: {rectified: "
               "[{rule: dues, found: 2024-Q1}]}}\n")
    clean_b = "  - {id: B, category: office, facts: {}}\n"
    assert run(tmp_path, "2024-Q1", a_problem + a_problem.replace("A,", "B,"))[0] == 0
    # Q2: due by the end of Q2, so nothing is overdue yet; B rectifies its item.
    assert run(tmp_path, "2024-Q2", clean_a + fixed_b)[0] == 0
    assert totals(tmp_path, "2024-Q2") == {"A": "100.00", "B": "100.00"}
    # Q3: A's item from Q1 is overdue; B's was rectified.
    code, out = run(tmp_path, "2024-Q3", clean_a + clean_b)
    assert code == 0, out
    assert totals(tmp_path, "2024-Q3") == {"A": "95.00", "B": "100.00"}
    with SQLiteStore(tmp_path / "r.db") as store:
        items = {(i.unit, i.found, i.due, i.closed) for i in store.items("t", open_only=False)}
    assert items == {("A", "2024-Q1", "2024-Q2", None), ("B", "2024-Q1", "2024-Q2", "2024-Q2")}
    result = CliRunner().invoke(main, ["rectification", str(tmp_path / "s.yaml"), "--store",
                                       str(tmp_path / "r.db"), "--all"])
    assert result.exit_code == 0
    assert "逾期（截至2024-Q3）" in result.stdout and "已于2024-Q2整改销号" in result.stdout


def test_the_explanation_links_back_to_the_period_found(tmp_path: Path) -> None:
    a_problem = "  - {id: A, category: office, facts: {dues_problem: true}}\n"
    run(tmp_path, "2024-Q1", a_problem)
    run(tmp_path, "2024-Q2", "  - {id: A, category: office, facts: {}}\n")
    (tmp_path / "q3.yaml").write_text(
        "period: 2024-Q3\nunits:\n  - {id: A, category: office, facts: {}}\n", "utf-8")
    from evalrules import load_scheme
    from evalrules.rectify import with_overdue
    from evalrules.render.text import format_explanation

    scheme = load_scheme(tmp_path / "s.yaml")
    unit = scheme.read_facts(tmp_path / "q3.yaml").units
    with SQLiteStore(tmp_path / "r.db") as store:
        units = with_overdue(scheme.model, unit, store.items("t"), "2024-Q3")
    text = format_explanation(scheme.evaluate(units[0]).explain())
    assert "整改不力 [follow_up]" in text
    assert "found=2024-Q1" in text and "due=2024-Q2" in text


def test_replacing_a_period_undoes_the_items_it_opened(tmp_path: Path) -> None:
    run(tmp_path, "2024-Q1", "  - {id: A, category: office, facts: {dues_problem: true}}\n")
    code, _ = run(tmp_path, "2024-Q1", "  - {id: A, category: office, facts: {}}\n",
                  "--replace")
    assert code == 0
    with SQLiteStore(tmp_path / "r.db") as store:
        assert store.items("t", open_only=False) == []
