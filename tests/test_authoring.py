"""Authoring tools: the init scaffold, test coverage, diff and impact, what-if and gaps."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import evalrules
from evalrules.cli import main
from evalrules.coverage import coverage, percent
from evalrules.diff import diff, impact
from evalrules.evaluate import Evaluator
from evalrules.facts import subject_from_mapping
from evalrules.gaps import Gaps, Route, gaps, raised_plan
from evalrules.lint import lint
from evalrules.scaffold import scaffold
from evalrules.testing import run_tests
from evalrules.whatif import parse_assignments, what_if

from .conftest import ROOT, build, scheme_text

D = Decimal
STAR = ROOT / "schemes" / "star-branch-5521.yaml"
STAR_FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"


# ----------------------------------------------------------------------------------------------
# init


@pytest.mark.parametrize(("scheme_id", "title"), [
    ("new-scheme", "党支部考核评价方案"),
    ("branch.2025_v2", "“5521”考核：修订版 #2"),
])
def test_the_scaffold_checks_tests_and_lints_clean(scheme_id: str, title: str) -> None:
    """What `init` writes passes check, its own tests and lint, without a single warning."""
    compiled, problems = evalrules.check(scaffold(scheme_id, title))
    assert compiled is not None and problems == []
    assert compiled.id == scheme_id and compiled.model.title == title
    outcomes = run_tests(compiled)
    assert len(outcomes) == 2 and all(o.passed for o in outcomes)
    assert lint(compiled) == []


@pytest.mark.lang("en_US")
def test_init_writes_a_file_and_never_replaces_one_unasked(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--id", "demo", "-o", "demo.yaml"])
    assert first.exit_code == 0, first.output
    assert "id: demo\n" in (tmp_path / "demo.yaml").read_text("utf-8")
    again = runner.invoke(main, ["init", "-o", "demo.yaml"])
    assert again.exit_code == 2 and "exists" in again.stderr
    forced = runner.invoke(main, ["init", "--force", "--year", "2026", "-o", "demo.yaml"])
    assert forced.exit_code == 0
    text = (tmp_path / "demo.yaml").read_text("utf-8")
    assert 'version: "2026.1"' in text
    for command in ("check", "test", "lint"):
        result = runner.invoke(main, [command, "demo.yaml"])
        assert result.exit_code == 0, (command, result.output)


# ----------------------------------------------------------------------------------------------
# coverage

SMALL = """
facts:
  - {id: x, label: 甲, type: number, min: 0, max: 10}
  - {id: flag, label: 开关, type: boolean, default: false}
indicators:
  - {id: a, label: 甲项, max: 50, points: "x * 5"}
  - {id: b, label: 乙项, max: 50, when: "x >= 5"}
deductions:
  - {id: d, label: 扣分, when: flag, points: 3}
vetoes:
  - {id: v, label: 否决, when: "x > 9", effects: [{rating: stars, set: "0"}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)"}
      - {id: "1", label: 一星, range: "(-inf, 90)"}
      - {id: "0", label: 无星}
tests:
  - {name: 满分, category: production, facts: {x: 9}, expect: {total: 95}}
  - {name: 扣分, category: office, facts: {x: 4, flag: true}, expect: {total: 17}}
"""


def test_coverage_reads_which_criteria_levels_and_rules_the_tests_exercised() -> None:
    scheme = build(SMALL)
    cov = coverage(scheme.model, run_tests(scheme))
    by_id = {c.id: c for c in cov.criteria}
    assert by_id["a"].short == ("满分", "扣分") and by_id["a"].full == ()
    assert by_id["b"].short == ("扣分",) and by_id["b"].full == ("满分",)
    assert {lv.id: lv.tests for lv in cov.levels} == {"5": ("满分",), "1": ("扣分",), "0": ()}
    assert [(r.id, r.tests) for r in cov.rules] == [("d", ("扣分",))]
    assert [(v.id, v.tests) for v in cov.vetoes] == [("v", ())]
    assert cov.summary() == [("criteria", 2, 2), ("criteria_full", 1, 2), ("levels", 2, 3),
                             ("deductions", 1, 1), ("bonuses", 0, 0), ("vetoes", 0, 1)]
    assert percent(2, 3) == D("66.7") and percent(0, 0) is None


def test_test_coverage_json_holds_every_item(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    import json

    (tmp_path / "s.yaml").write_text(scheme_text(SMALL), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["test", "--coverage", "--format", "json", "s.yaml"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "evalrules.tests" and data["passed"] == 2
    cov = data["schemes"][0]["coverage"]
    assert cov["summary"]["levels"] == {"covered": 2, "total": 3, "percent": 66.7}
    assert [c["id"] for c in cov["criteria"]] == ["a", "b"]


# ----------------------------------------------------------------------------------------------
# diff and impact

OLD = """
facts:
  - {id: x, label: 甲, type: number, min: 0, max: 10}
indicators:
  - id: g
    label: 组
    max: 60
    children:
      - {id: a, label: 甲项, max: 30, points: "x * 3"}
      - {id: b, label: 乙项, max: 30, when: "x >= 5"}
  - id: h
    label: 另一组
    max: 40
    children:
      - {id: c, label: 丙项, max: 40, points: "x * 4"}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)"}
      - {id: "1", label: 一星, range: "(-inf, 90)"}
"""


def test_diff_pairs_declarations_by_id_and_detects_moves() -> None:
    new_text = OLD.replace('      - {id: b, label: 乙项, max: 30, when: "x >= 5"}\n', "") \
        .replace("    max: 60", "    max: {production: 30, default: 60}") \
        .replace('      - {id: c, label: 丙项, max: 40, points: "x * 4"}',
                 '      - {id: c, label: 丙项, max: 40, points: "x * 4"}\n'
                 '      - {id: b, label: 乙项, max: 30, when: "x >= 6"}\n'
                 '      - {id: e, label: 新项, max: 5, points: "x / 2"}') \
        .replace('range: "[90, +inf)"', 'range: "[85, +inf)"') \
        .replace('range: "(-inf, 90)"', 'range: "(-inf, 85)"')
    old, new = build(OLD), build(new_text)
    d = diff(old, new)
    kinds = {(c.section, c.kind, c.id) for c in d.changes}
    assert ("indicator", "moved", "b") in kinds
    assert ("indicator", "added", "e") in kinds
    assert ("indicator", "changed", "g") in kinds
    moved = next(c for c in d.changes if c.id == "b")
    assert [(x.what, x.old, x.new) for x in moved.details] == [
        ("parent", "组 [g]", "另一组 [h]"), ("when", "x >= 5", "x >= 6")]
    group = next(c for c in d.changes if c.id == "g")
    assert [(x.what, x.old, x.new, x.scope) for x in group.details] == [
        ("max", "60", "30", "生产类")]
    rating = next(c for c in d.changes if c.section == "rating")
    assert [(x.what, x.scope, x.old, x.new) for x in rating.details] == [
        ("range", "5", "[90, +inf)", "[85, +inf)"), ("range", "1", "(-inf, 90)", "(-inf, 85)")]
    assert diff(old, old).changes == ()


def test_impact_evaluates_both_versions_and_counts_level_changes(tmp_path: Path) -> None:
    new = build(OLD.replace('range: "[90, +inf)"', 'range: "[80, +inf)"')
                .replace('range: "(-inf, 90)"', 'range: "(-inf, 80)"'))
    old = build(OLD)
    facts = tmp_path / "f.yaml"
    facts.write_text("units:\n  - {id: U1, category: production, facts: {x: 8.5}}\n"
                     "  - {id: U2, category: office, facts: {x: 2}}\n", "utf-8")
    effect = impact(old, new, old.read_facts(facts), new.read_facts(facts))
    assert [(u.unit, u.old_total, u.new_total) for u in effect.units] == [
        ("U1", D("89.50"), D("89.50")), ("U2", D("14.00"), D("14.00"))]
    assert [u.unit for u in effect.moved("stars")] == ["U1"]
    assert effect.direction(effect.units[0], "stars") == 1
    assert effect.transitions("stars") == [("1", "5", 1)]


# ----------------------------------------------------------------------------------------------
# what-if


def test_set_values_are_read_by_the_facts_declared_type() -> None:
    scheme = evalrules.load_scheme(STAR)
    values, problems = parse_assignments(scheme, [
        "weak_lax_listed=是", "brand_level=市级", "committee_meetings=3",
        "last_election_date=2023-01-05", "dues_discretion=1.5",
        "incidents=[{level: ordinary, persons: 2, occurred: 2024-02-01}]",
        "党员受党纪处分情况=[]"])
    assert problems == []
    assert values["weak_lax_listed"] is True and values["brand_level"] == "city"
    assert values["committee_meetings"] == D(3)
    assert values["last_election_date"] == "2023-01-05"
    assert values["dues_discretion"]["value"] == D("1.5")
    assert values["incidents"][0]["persons"] == D(2) or values["incidents"][0]["persons"] == 2
    assert values["sanctions"] == []


@pytest.mark.parametrize(("text", "code"), [
    ("nothing", "D503"), ("unknown_fact=1", "D502"), ("committee_meetings=1.5", "D503"),
    ("committee_meetings=99", "D503"), ("weak_lax_listed=maybe", "D503"),
    ("last_election_date=2024-13-01", "D503"), ("incidents={a: 1}", "D503"),
])
def test_bad_set_values_are_diagnostics_placed_at_the_set(text: str, code: str) -> None:
    scheme = evalrules.load_scheme(STAR)
    _, problems = parse_assignments(scheme, [text])
    assert [p.code for p in problems] == [code]
    assert str(problems[0].location) == f"--set {text}"


def test_what_if_lists_the_changed_steps_in_scheme_order() -> None:
    scheme = evalrules.load_scheme(STAR)
    unit = next(u for u in scheme.read_facts(STAR_FACTS).units if u.id == "B24")
    values, _ = parse_assignments(scheme, ["weak_lax_listed=false"])
    w = what_if(scheme, unit, values)
    assert w.before.ratings["stars"] == "2" and w.after.ratings["stars"] == "4"
    assert [(c.kind, c.id) for c in w.changes] == [("veto", "weak_lax"), ("rating", "stars"),
                                                  ("rating", "tier")]
    same = what_if(scheme, unit, {})
    assert same.changes == () and same.after.total == same.before.total


# ----------------------------------------------------------------------------------------------
# gaps

LADDER = """
facts:
  - {id: a_done, label: 甲完成, type: number, min: 0, max: 1}
  - {id: b_done, label: 乙完成, type: number, min: 0, max: 1}
  - {id: c_done, label: 丙完成, type: number, min: 0, max: 1}
  - {id: brand, label: 已创品牌, type: boolean, default: true}
  - {id: banned, label: 被否决, type: boolean, default: false}
indicators:
  - {id: a, label: 甲, max: 50, basis: 办法第一条, points: "a_done * full"}
  - {id: b, label: 乙, max: 30, basis: 办法第二条, points: "b_done * full"}
  - {id: c, label: 丙, max: 20, basis: 办法第三条, points: "c_done * full"}
vetoes:
  - {id: ban, label: 否决, when: banned, effects: [{rating: stars, at_most: "3"}]}
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "5", label: 五星, range: "[90, +inf)", when: brand}
      - {id: "4", label: 四星, range: "[70, 90)"}
      - {id: "3", label: 三星, range: "(-inf, 70)"}
"""


def _gaps(facts: dict[str, object], budget: int = 2000) -> Gaps:
    scheme = build(LADDER)
    unit = subject_from_mapping(scheme.model, {"id": "U", "category": "production",
                                               "facts": facts})
    return gaps(scheme, unit, budget=budget)


def _route(facts: dict[str, object], budget: int = 2000) -> Route:
    route = _gaps(facts, budget).route
    assert route is not None
    return route


def test_gaps_lists_losses_largest_first_with_their_gain() -> None:
    g = _gaps({"a_done": 0.5, "b_done": 0.5, "c_done": 0.9})
    assert [(x.id, x.lost, x.gain) for x in g.losses] == [
        ("a", D("25.00"), D("25.00")), ("b", D("15.00"), D("15.00")),
        ("c", D("2.00"), D("2.00"))]
    assert g.losses[0].basis == "办法第一条" and g.losses[0].kind == "formula"


def test_the_route_is_the_fewest_criteria_and_then_the_fewest_points() -> None:
    """From 58 points to four stars (70): raising b (+15) or a (+25) alone is enough; the
    search takes one criterion, and of those the one that wins back fewer points."""
    route = _route({"a_done": 0.5, "b_done": 0.5, "c_done": 0.9})
    assert route.reachable and route.raised == ("b",) and route.method == "exact"
    assert route.target == "4" and route.threshold == D(70) and route.level_after == "4"
    two = _route({"a_done": 0.1, "b_done": 0.1, "c_done": 0.1})
    assert two.target == "4" and two.raised == ("a", "c")  # 73 points; a + b wins back more


def test_the_route_reports_what_blocks_the_next_level() -> None:
    vetoed = _route({"a_done": 0.5, "b_done": 0.5, "c_done": 0.9, "banned": True})
    assert vetoed.reason == "veto" and vetoed.reason_refs == ("ban",)
    assert not vetoed.reachable and vetoed.level_after == "3"
    no_brand = _route({"a_done": 1, "b_done": 0.5, "c_done": 1, "brand": False})
    assert no_brand.reason == "condition" and no_brand.reason_refs == ("5",)
    best = _gaps({"a_done": 1, "b_done": 1, "c_done": 1})
    assert best.route is not None and best.route.reason == "best" and best.losses == ()


def test_a_small_budget_falls_back_to_the_greedy_set() -> None:
    route = _route({"a_done": 0.1, "b_done": 0.1, "c_done": 0.1}, budget=1)
    assert route.reachable and route.method == "greedy" and route.level_after == "4"


def test_a_raised_plan_scores_the_criterion_at_its_max_without_its_rules() -> None:
    scheme = build(LADDER)
    result = Evaluator(raised_plan(scheme.plan, {"a": D(50)}), "").evaluate(
        subject_from_mapping(scheme.model, {
            "id": "U", "category": "production",
            "facts": {"a_done": 0, "b_done": 0, "c_done": 0}}))
    assert result.points["a"] == D(50) and result.total == D(50)


# ----------------------------------------------------------------------------------------------
# docs/authoring.md


def _console_runs(text: str) -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every `$ evalrules ...` in the console blocks."""
    import re

    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            elif runs:
                runs[-1][1].append(line)
    return runs


def test_the_authoring_guide_shows_real_output(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line of every example in docs/authoring.md (except those shortened with …) is a
    line the command prints."""
    import shlex

    # The guide shows the Chinese reports and the English messages: a line may be either, so
    # the examples run in both languages, each in a directory of its own.
    for lang in ("zh_CN", "en_US"):
        for name in ("schemes", "examples", "tests"):
            (tmp_path / lang / name).parent.mkdir(exist_ok=True)
            (tmp_path / lang / name).symlink_to(ROOT / name)
    runs = _console_runs((ROOT / "docs" / "authoring.md").read_text("utf-8"))
    assert len(runs) >= 10
    for command, shown in runs:
        args = shlex.split(command)
        assert args[0] == "evalrules"
        printed = []
        for lang in ("zh_CN", "en_US"):
            monkeypatch.chdir(tmp_path / lang)
            result = CliRunner().invoke(main, ["--lang", lang, *args[1:]],
                                        catch_exceptions=False)
            printed += (result.stdout + result.stderr).splitlines()
        for line in shown:
            if "…" in line or not line.strip():
                continue
            assert line in printed, (command, line)
