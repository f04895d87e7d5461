"""The engines compared, each built from the same workload description.

Every engine maps one branch to (total, stars): the total as an exact Decimal with two places
and the star level id. `check_agreement` compares them branch by branch.
"""

from __future__ import annotations

import ast
import decimal
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from .workload import STAR_BANDS, Criterion, Workload

Outcome = tuple[Decimal, str | None]
CENT = Decimal("0.01")


def _h(value: Decimal) -> int:
    """Points in hundredths."""
    return int(value * 100)


# ----------------------------------------------------------------------------------------------
# Hand-written baseline: straight-line Python in integer hundredths (exact, and as fast as
# Python gets), generated from the workload as a programmer would write it by hand.


def baseline_source(w: Workload) -> str:
    lines = ["def score(unit):", "    f = unit['facts']", "    cat = unit['category']"]
    emit = lines.append

    def criterion(c: Criterion) -> None:
        full = _h(c.max)
        x = c.facts[0]
        if c.kind == "ratio":
            emit(f"    a = round(f[{c.facts[0]!r}] * 100); t = round(f[{c.facts[1]!r}] * 100)")
            emit(f"    {c.id} = 0 if t == 0 else {full} if a >= t else "
                 f"(2 * {full} * a + t) // (2 * t)")
        elif c.kind == "steps":
            e, v = c.edges, [_h(p) for p in c.values]
            emit(f"    x = f[{x!r}]")
            emit(f"    {c.id} = {v[2]} if x >= {e[2]} else {v[1]} if x >= {e[1]} else "
                 f"{v[0]} if x >= {e[0]} else 0")
        elif c.kind == "boolean":
            emit(f"    {c.id} = {full} if f[{x!r}] else 0")
        else:
            emit(f"    {c.id} = min({full}, {_h(c.step)} * f[{x!r}])")

    deductions = {d.target: [] for d in w.deductions}
    for d in w.deductions:
        deductions[d.target].append(d)

    def deduct(node: str) -> None:
        for d in deductions.get(node, []):
            emit(f"    d = min({_h(d.cap)}, {_h(d.each)} * f[{d.fact!r}])")
            emit(f"    {node} = {node} - d if d < {node} else 0")

    for group in w.groups:
        for item in group.children:
            for c in item.children:
                criterion(c)
            emit(f"    {item.id} = {' + '.join(c.id for c in item.children)}")
        emit(f"    {group.id} = {' + '.join(i.id for i in group.children)}")
        deduct(group.id)
    emit("    special = 0")
    for s in w.specials:
        full = _h(s.max)
        emit(f"    if cat in {s.categories!r}:")
        emit(f"        r = round(f[{s.fact!r}] * 100)")
        emit(f"        special += {full} if r >= 10000 else (2 * {full} * r + 10000) // 20000")
    deduct("special")
    emit(f"    total = {' + '.join(g.id for g in w.groups)} + special")
    deduct("total")
    emit("    if f['discipline_cases'] > 0: total = 0")
    emit("    if f['major_accident']: stars = '0'")
    for level, _, _, low in STAR_BANDS:
        if low is None:
            emit(f"    else: stars = {level!r}")
        else:
            emit(f"    elif total >= {low * 100}: stars = {level!r}")
    emit("    if f['audit_issues'] >= 3 and stars in ('5', '4'): stars = '3'")
    emit("    return total, stars")
    return "\n".join(lines) + "\n"


def baseline(w: Workload) -> Callable[[Mapping[str, Any]], Outcome]:
    namespace: dict[str, Any] = {}
    exec(compile(baseline_source(w), "<baseline>", "exec"), namespace)
    score = namespace["score"]

    def run(unit: Mapping[str, Any]) -> Outcome:
        total, stars = score(unit)
        return Decimal(total).scaleb(-2), stars

    run.raw = score  # type: ignore[attr-defined]
    return run


# ----------------------------------------------------------------------------------------------
# simpleeval: the same formula texts, parsed once (or on every call), and the tree around them
# walked in Python.


def simpleeval_engine(w: Workload, preparsed: bool = True) -> Callable[[Mapping[str, Any]],
                                                                         Outcome]:
    from simpleeval import SimpleEval

    from evalrules.formula import make_functions
    from evalrules.numeric import CONTEXT, NumericPolicy

    functions = make_functions(NumericPolicy())
    funcs = {name: functions[name] for name in ("ratio", "band", "min", "max")}

    class DecimalEval(SimpleEval):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(functions=funcs)
            self.nodes[ast.Tuple] = lambda node: tuple(self._eval(e) for e in node.elts)

        def _eval_constant(self, node: ast.Constant) -> Any:
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return Decimal(ast.get_source_segment(self.expr, node) or repr(value))
            return value

    ev = DecimalEval()
    criteria = list(w.criteria())
    parsed = {c.id: ev.parse(c.formula) for c in criteria}
    special_formula = {s.id: f"ratio({s.fact}, 100, cap=1) * full" for s in w.specials}
    parsed.update({k: ev.parse(v) for k, v in special_formula.items()})
    texts = {c.id: c.formula for c in criteria} | special_formula
    deductions: dict[str, list[Any]] = {}
    for d in w.deductions:
        deductions.setdefault(d.target, []).append(d)
    ZERO = Decimal(0)
    rounding = decimal.ROUND_HALF_UP

    def value(node_id: str, env: dict[str, Any]) -> Any:
        ev.expr = texts[node_id]
        if preparsed:
            return ev.eval(texts[node_id], previously_parsed=parsed[node_id])
        return ev.eval(texts[node_id])

    def deduct(node: str, points: Decimal, env: Mapping[str, Any]) -> Decimal:
        for d in deductions.get(node, []):
            amount = min(d.cap, d.each * env[d.fact])
            points -= min(amount, points)
        return points

    def run(unit: Mapping[str, Any]) -> Outcome:
        env = dict(unit["facts"])
        ev.names = env
        with decimal.localcontext(CONTEXT):
            total = ZERO
            for group in w.groups:
                g = ZERO
                for item in group.children:
                    for c in item.children:
                        env["full"] = c.max
                        v = value(c.id, env)
                        if c.kind == "boolean":
                            v = c.max if v else ZERO
                        g += min(c.max, v.quantize(CENT, rounding))
                total += deduct(group.id, g, env)
            special = ZERO
            for s in w.specials:
                if unit["category"] in s.categories:
                    env["full"] = s.max
                    special += min(s.max, value(s.id, env).quantize(CENT, rounding))
            total += deduct("special", special, env)
            total = deduct("total", total, env)
            if env["discipline_cases"] > 0:
                total = ZERO
        return total.quantize(CENT), _stars(total, env)

    return run


def _stars(total: Decimal, env: Mapping[str, Any]) -> str:
    if env["major_accident"]:
        return "0"
    stars = next(level for level, _, _, low in STAR_BANDS if low is None or total >= low)
    if env["audit_issues"] >= 3 and stars in ("5", "4"):
        stars = "3"
    return stars


# ----------------------------------------------------------------------------------------------
# GoRules ZEN (Rust): the scheme as a JDM graph — an expression node for the criteria, one for
# items, categories, deductions and vetoes, and a decision table for the star bands.


def _zen_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def zen_graph(w: Workload) -> dict[str, Any]:
    exprs: list[tuple[str, str]] = []
    for c in w.criteria():
        full = _zen_number(c.max)
        x = c.facts[0]
        if c.kind == "ratio":
            t = c.facts[1]
            exprs.append((c.id, f"{t} == 0 ? 0 : round(min([{x} / {t}, 1]) * {full}, 2)"))
        elif c.kind == "steps":
            e = [_zen_number(v) for v in c.edges]
            v = [_zen_number(p) for p in c.values]
            exprs.append((c.id, f"{x} >= {e[2]} ? {v[2]} : ({x} >= {e[1]} ? {v[1]} : "
                                f"({x} >= {e[0]} ? {v[0]} : 0))"))
        elif c.kind == "boolean":
            exprs.append((c.id, f"{x} ? {full} : 0"))
        else:
            exprs.append((c.id, f"min([{full}, {_zen_number(c.step)} * {x}])"))
    for s in w.specials:
        cats = ", ".join(f"'{c}'" for c in s.categories)
        exprs.append((s.id, f"category in [{cats}] ? round(min([{s.fact} / 100, 1]) * "
                            f"{_zen_number(s.max)}, 2) : 0"))
    for d in w.deductions:
        exprs.append((d.id, f"min([{_zen_number(d.cap)}, {_zen_number(d.each)} * {d.fact}])"))
    for name in ("major_accident", "discipline_cases", "audit_issues"):
        exprs.append((name, name))
    second: list[tuple[str, str]] = []

    on: dict[str, list[str]] = {}
    for d in w.deductions:
        on.setdefault(d.target, []).append(d.id)
    for group in w.groups:
        for item in group.children:
            second.append((item.id, " + ".join(f"{c.id}" for c in item.children)))
        second.append((group.id, " + ".join(f"$.{i.id}" for i in group.children)))
        for d in on.get(group.id, []):
            second.append((group.id, f"max([0, $.{group.id} - {d}])"))
    second.append(("special", " + ".join(s.id for s in w.specials)))
    for d in on.get("special", []):
        second.append(("special", f"max([0, $.special - {d}])"))
    second.append(("total", " + ".join(f"$.{g.id}" for g in w.groups) + " + $.special"))
    for d in on.get("total", []):
        second.append(("total", f"max([0, $.total - {d}])"))
    second.append(("total", "discipline_cases > 0 ? 0 : $.total"))
    second += [("major_accident", "major_accident"), ("audit_issues", "audit_issues")]
    position = {"x": 0, "y": 0}

    def expression_node(node_id: str, items: Iterable[tuple[str, str]]) -> dict[str, Any]:
        return {"id": node_id, "type": "expressionNode", "name": node_id, "position": position,
                "content": {"expressions": [{"id": f"{node_id}{i}", "key": k, "value": v}
                                            for i, (k, v) in enumerate(items)]}}

    rules = [{"_id": "r0", "i1": "", "i2": "true", "i3": "", "o1": "'0'", "o2": "total"}]
    for n, (level, _, _, low) in enumerate(STAR_BANDS, start=1):
        cond = "" if low is None else f">= {low}"
        audit = "< 3" if level in ("5", "4") else ""
        rules.append({"_id": f"r{n}", "i1": cond, "i2": "", "i3": audit, "o1": f"'{level}'",
                      "o2": "total"})
        if level in ("5", "4"):  # 审计问题 3 项以上：至多三星
            rules.append({"_id": f"r{n}b", "i1": cond, "i2": "", "i3": ">= 3", "o1": "'3'",
                          "o2": "total"})
    table = {"id": "stars", "type": "decisionTableNode", "name": "stars", "position": position,
             "content": {"hitPolicy": "first",
                         "inputs": [{"id": "i1", "name": "total", "field": "total"},
                                    {"id": "i2", "name": "accident", "field": "major_accident"},
                                    {"id": "i3", "name": "audit", "field": "audit_issues"}],
                         "outputs": [{"id": "o1", "name": "stars", "field": "stars"},
                                     {"id": "o2", "name": "total", "field": "total"}],
                         "rules": rules}}
    nodes = [{"id": "in", "type": "inputNode", "name": "in", "position": position},
             expression_node("criteria", exprs), expression_node("sums", second), table,
             {"id": "out", "type": "outputNode", "name": "out", "position": position}]
    order = ["in", "criteria", "sums", "stars", "out"]
    edges = [{"id": f"e{i}", "sourceId": a, "targetId": b, "type": "edge"}
             for i, (a, b) in enumerate(itertools.pairwise(order))]
    return {"nodes": nodes, "edges": edges}


def zen_engine(w: Workload, trace: bool = False) -> Callable[[Mapping[str, Any]], Outcome]:
    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(zen_graph(w)))
    options = {"trace": True} if trace else None

    def run(unit: Mapping[str, Any]) -> Outcome:
        context = dict(unit["facts"])
        context["category"] = unit["category"]
        out = decision.evaluate(context, options)["result"]
        return Decimal(repr(out["total"])).quantize(CENT), out["stars"]

    return run


def zen_available() -> str:
    """'' when zen-engine can be imported, else why not."""
    try:
        import zen  # noqa: F401
    except ImportError as exc:
        return f"zen-engine is not installed ({exc}); pip install -e '.[bench]'"
    return ""
