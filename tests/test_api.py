"""The library surface: a small, typed API that programs embed."""

from __future__ import annotations

import doctest
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

import evalrules

from .conftest import ROOT

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"
FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"


def test_every_public_name_resolves() -> None:
    for name in evalrules.__all__:
        assert getattr(evalrules, name) is not None
    with pytest.raises(AttributeError):
        _ = evalrules.not_a_name  # type: ignore[attr-defined]


def test_package_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example in `help(evalrules)` is real."""
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testmod(evalrules, report=False)
    assert tried >= 4 and failures == 0


def test_load_from_path_or_text_gives_the_same_scheme() -> None:
    from_path = evalrules.load_scheme(SCHEME)
    from_text = evalrules.load_scheme(SCHEME.read_text("utf-8"))
    assert from_path.hash == from_text.hash and from_path.id == "star-branch-5521"


def test_unreadable_scheme_is_a_scheme_error(tmp_path: Path) -> None:
    with pytest.raises(evalrules.SchemeError) as info:
        evalrules.load_scheme(tmp_path / "missing.yaml")
    assert info.value.diagnostics[0].code == "Y009"


def test_floats_from_programs_are_taken_at_their_shortest_decimal() -> None:
    """A program passing 0.1 gets the decimal 0.1, never 0.1000000000000000055…"""
    scheme = evalrules.load_scheme(SCHEME)
    facts = scheme.read_facts(FACTS)
    unit = facts.units[0]
    as_mapping = {"id": unit.id, "category": unit.category,
                  "facts": {k: (float(v) if isinstance(v, Decimal) else v)
                            for k, v in unit.values.items()}}
    as_mapping["facts"] = {k: ([dict(r) for r in v] if isinstance(v, tuple) else v)
                           for k, v in as_mapping["facts"].items()}
    as_mapping["facts"].update({k: {"value": float(unit.values[k]), "reason": r}
                                for k, r in unit.reasons.items()})
    assert scheme.evaluate(as_mapping).total == scheme.evaluate(unit).total


def test_one_compiled_scheme_serves_many_threads() -> None:
    """The compiled scheme is immutable: threads evaluating at once get the same results."""
    scheme = evalrules.load_scheme(SCHEME)
    units = scheme.read_facts(FACTS).units
    expected = [scheme.evaluate(u).total for u in units]
    with ThreadPoolExecutor(max_workers=4) as pool:
        rounds = [list(pool.map(lambda u: scheme.evaluate(u).total, units)) for _ in range(4)]
    assert all(r == expected for r in rounds)


def test_threads_scoring_at_once_get_the_figures_of_one_thread() -> None:
    scheme = evalrules.load_scheme(SCHEME)
    units = scheme.read_facts(FACTS).units * 50
    expected = [(s.total, dict(s.points)) for s in map(scheme.score, units)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        rounds = [list(pool.map(lambda u: (scheme.score(u).total, dict(scheme.score(u).points)),
                                units)) for _ in range(3)]
    assert all(r == expected for r in rounds)


def test_scores_points_read_like_the_traced_results_in_the_schemes_node_order() -> None:
    import pickle

    scheme = evalrules.load_scheme(SCHEME)
    node_ids = [n.id for n in scheme.model.nodes()]
    for unit in scheme.read_facts(FACTS).units:
        points, traced = scheme.score(unit).points, scheme.evaluate(unit).points
        assert list(points) == list(points.keys()) == node_ids and len(points) == len(node_ids)
        assert list(points.items()) == [(k, traced[k]) for k in node_ids]
        assert list(points.values()) == [traced[k] for k in node_ids]
        assert points == traced and traced == points and points == dict(traced)
        assert points != {**traced, "total": Decimal(-1)} and points != list(traced)
        assert "total" in points and "nonexistent" not in points
        assert points.get("total") == traced["total"] and points.get("nonexistent", 7) == 7
        with pytest.raises(KeyError, match="nonexistent"):
            _ = points["nonexistent"]
        with pytest.raises(TypeError):
            points["total"] = Decimal(0)  # type: ignore[index]
        again = pickle.loads(pickle.dumps(points))
        assert again == points and list(again) == node_ids
        assert repr(points).startswith("Points({'total': Decimal(")


def test_scoring_keeps_its_own_decimal_arithmetic_and_the_callers_context() -> None:
    """A program working at 3 digits, rounding down, with no traps gets the same figures,
    and its context back unchanged."""
    import decimal

    scheme = evalrules.load_scheme(SCHEME)
    units = scheme.read_facts(FACTS).units
    expected = [(s.total, dict(s.points), dict(s.ratings)) for s in map(scheme.score, units)]
    with decimal.localcontext() as mine:
        mine.prec, mine.rounding, mine.traps = 3, decimal.ROUND_DOWN, dict.fromkeys(mine.traps, 0)
        got = [(s.total, dict(s.points), dict(s.ratings)) for s in map(scheme.score, units)]
        assert decimal.getcontext() is mine and mine.prec == 3
        assert mine.rounding == decimal.ROUND_DOWN and not any(mine.traps.values())
        streamed = []
        for s in scheme.score_all(units):
            assert decimal.getcontext() is mine  # between units too, not the scoring context
            streamed.append((s.total, dict(s.points), dict(s.ratings)))
        assert streamed == expected and decimal.getcontext() is mine
    # Some totals have more than 3 digits: at the caller's precision they would have changed.
    assert got == expected and any(len(t.as_tuple().digits) > 3 for t, _p, _r in got)


def test_explanation_matches_the_result() -> None:
    scheme = evalrules.load_scheme(SCHEME)
    for unit in scheme.read_facts(FACTS).units:
        result = scheme.evaluate(unit)
        explanation = result.explain()
        assert explanation.total == result.total
        assert {r.id: r.level for r in explanation.ratings} == dict(result.ratings)
        for node in explanation.root.walk():
            assert node.points == result.points[node.id]
            if node.applicable:
                assert sum((ln.amount for ln in node.lines), Decimal(0)) == node.points


def test_text_is_never_taken_for_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A service passing uploaded text says text=: even text that names a readable scheme
    file is parsed as YAML, so no file on the server is read."""
    monkeypatch.chdir(ROOT)
    secret = "schemes/star-branch-5521.yaml"
    compiled, problems = evalrules.check(text=secret)
    assert compiled is None and [p.code for p in problems] == ["S103"]
    assert all(p.location.file == "<text>" for p in problems)
    # Without text=, the same one-line str is a path: the convenience the keyword turns off.
    assert evalrules.check(secret)[0] is not None
    assert evalrules.load_scheme(path=secret).model.id == "star-branch-5521"


def test_the_scheme_is_given_exactly_once() -> None:
    with pytest.raises(TypeError, match="exactly once"):
        evalrules.check()
    with pytest.raises(TypeError, match="exactly once"):
        evalrules.load_scheme("a.yaml", text="evalrules: 1")
