"""Compile a plan into straight-line Python: one scoring function per category.

The generated functions compute exactly what the traced evaluator computes — points, ratings
and the rules that fired — but record no steps, read facts into local variables and run every
formula inline, so no formula is interpreted per unit. The shared pieces (applying a node's
rules, banding, rating vetoes) are the evaluator's own functions. When a unit's formulas fail,
the scorer reports it and the caller re-runs the unit through the traced evaluator, which
raises the error with its place. Tests check that both paths agree on every unit.
"""

from __future__ import annotations

import ast
import copy
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .compiler import DerivedPlan, NodePlan, Plan, RatingPlan, RulePlan, VetoPlan
from .evaluate import adjust, apply_rating_vetoes, band_level, combine
from .formula import Formula, FormulaRuntimeError
from .numeric import CONTEXT, ROUNDING_MODES, ZERO

Scorer = Callable[[Mapping[str, Any]], tuple[dict[str, Any], dict[str, Any], list[str], bool]]

# Errors a formula can raise on one unit's values; anything else is a bug and propagates.
UNIT_ERRORS = (ArithmeticError, TypeError, ValueError, KeyError, FormulaRuntimeError)


class _Unset:
    __slots__ = ()


_UNSET = _Unset()


def _boolean(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise TypeError("a condition gave something other than true or false")


def _number(value: Any) -> Decimal:
    if type(value) is Decimal:
        return value
    raise TypeError("a formula gave something other than a number")


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        target = self.names.get(node.id)
        return ast.copy_location(ast.Name(id=target, ctx=ast.Load()), node) if target else node


@dataclass(slots=True)
class _Source:
    lines: list[str]
    constants: dict[str, Any]
    prefix: str
    level: int = 1

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.level + text)

    def const(self, value: Any) -> str:
        for name, existing in self.constants.items():
            if existing is value:
                return name
        name = f"{self.prefix}{len(self.constants)}"
        self.constants[name] = value
        return name


class _Generator:
    def __init__(self, plan: Plan, category: str, prefix: str) -> None:
        self.plan = plan
        self.category = category
        self.policy = plan.scheme.policy
        scheme = plan.scheme
        names = [f.id for f in scheme.facts] + [d.id for d in scheme.derived]
        names += [n.id for n in scheme.nodes()]
        self.rename = {name: f"v_{name}" for name in names}
        self.rename["full"] = "v_full"
        self.src = _Source([], {}, prefix)
        self.maybe_na: set[str] = set()

    def expr(self, formula: Formula) -> str:
        assert formula.expression is not None
        tree = _Rename(self.rename).visit(copy.deepcopy(formula.expression))
        return "(" + ast.unparse(ast.fix_missing_locations(tree)) + ")"

    def q(self, value: Decimal) -> str:
        return self.src.const(self.policy.round(value))

    def generate(self, name: str) -> str:
        s = self.src
        scheme = self.plan.scheme
        s.lines.append(f"def {name}(F):")
        s.emit("_q = _Q")
        for fact in scheme.facts:
            s.emit(f"v_{fact.id} = F[{fact.id!r}]")
        owners = {owner for step in self.plan.steps if isinstance(step, NodePlan)
                  for owner, _ in step.applicable}
        for owner in sorted(owners):
            s.emit(f"a_{owner} = _UNSET")
        s.emit("applied = _set()")
        s.emit("R = {}")
        for step in self.plan.steps:
            if isinstance(step, NodePlan):
                self.node(step)
            elif isinstance(step, RulePlan):
                self.rule(step)
            elif isinstance(step, VetoPlan):
                self.veto(step)
            elif isinstance(step, RatingPlan):
                self.rating(step)
            else:
                self.derived(step)
        points = ", ".join(f"{n.id!r}: p_{n.id}" for n in scheme.nodes())
        s.emit(f"P = {{{points}}}")
        rules = [st.rule.id for st in self.plan.steps if isinstance(st, RulePlan)]
        vetoes = [st.veto.id for st in self.plan.steps if isinstance(st, VetoPlan)]
        s.emit(f"fired = [r for r in {tuple(rules)!r} if r in applied]")
        for veto in vetoes:
            s.emit(f"if x_{veto}: fired.append({veto!r})")
        no_award = [v.id for v in scheme.vetoes
                    if v.id in vetoes and any(e.kind == "no_award" for e in v.effects)]
        award = " or ".join(f"x_{v}" for v in no_award) or "False"
        s.emit(f"return P, R, fired, not ({award})")
        return "\n".join(s.lines) + "\n"

    def derived(self, step: DerivedPlan) -> None:
        self.src.emit(f"v_{step.derived.id} = {self.expr(step.formula)}")

    def rule(self, step: RulePlan) -> None:
        s, rule = self.src, step.rule
        target = f"r_{rule.id}"
        if rule.categories is not None and self.category not in rule.categories:
            s.emit(f"{target} = _ZERO")
            return
        if step.when is not None:
            s.emit(f"if _boolean({self.expr(step.when)}):")
        else:
            s.emit("if True:")
        s.level += 1
        each = self.number(step.points)
        s.emit(f"_each = {each}")
        if rule.range is not None:
            low, high = (s.const(v) for v in rule.range)
            s.emit(f"if not {low} <= _each <= {high}: raise _ValueError('outside its range')")
        if step.per is not None:
            s.emit(f"_amount = _each * {self.number(step.per)}")
        else:
            s.emit("_amount = _each")
        if rule.cap is not None:
            cap = s.const(rule.cap)
            s.emit(f"if _amount > {cap}: _amount = {cap}")
        s.emit(f"{target} = _max(_ZERO, _amount.quantize(_q, _R))")
        s.level -= 1
        s.emit("else:")
        s.emit(f"    {target} = _ZERO")

    def number(self, value: Formula | Decimal) -> str:
        if isinstance(value, Decimal):
            return self.src.const(value)
        return f"_number({self.expr(value)})"

    def veto(self, step: VetoPlan) -> None:
        veto = step.veto
        if veto.categories is not None and self.category not in veto.categories:
            self.src.emit(f"x_{veto.id} = False")
        else:
            self.src.emit(f"x_{veto.id} = _boolean({self.expr(step.when)})")

    def node(self, step: NodePlan) -> None:
        s, node = self.src, step.node
        me = node.id
        if any(n.applies_to is not None and self.category not in n.applies_to
               for n in step.path):
            s.emit(f"p_{me} = None")
            s.emit(f"v_{me} = _ZERO")
            return
        opened = 0
        for owner, formula in step.applicable:
            s.emit(f"if a_{owner} is _UNSET: a_{owner} = _boolean({self.expr(formula)})")
            s.emit(f"if a_{owner}:")
            s.level += 1
            opened += 1
        if opened:
            self.maybe_na.add(me)
        self.body(step)
        for _ in range(opened):
            s.level -= 1
            s.emit("else:")
            s.emit(f"    p_{me} = None")
            s.emit(f"    v_{me} = _ZERO")

    def body(self, step: NodePlan) -> None:
        s, node = self.src, step.node
        maximum = node.max.get(self.category) if node.max is not None else None
        full = s.const(maximum if maximum is not None else ZERO)
        if node.is_group:
            children = [c for c in node.children
                        if c.applies_to is None or self.category in c.applies_to]
            factor = ""
            if node.renormalize and maximum is not None:
                s.emit("_reach = _ZERO")
                for child in children:
                    child_max = child.max.get(self.category) if child.max is not None else None
                    with decimal.localcontext(CONTEXT):
                        share = s.const((child_max if child_max is not None else ZERO)
                                        * child.weight)
                    guard = f"if p_{child.id} is not None: " if child.id in self.maybe_na else ""
                    s.emit(f"{guard}_reach = _reach + {share}")
                s.emit("_factor = 1")
                s.emit(f"if _reach > 0 and _reach != {full}: _factor = {full} / _reach")
                factor = " * _factor"
            s.emit("_raw = _ZERO")
            for child in children:
                weight = "" if child.weight == 1 else f" * {s.const(child.weight)}"
                guard = f"if p_{child.id} is not None: " if child.id in self.maybe_na else ""
                s.emit(f"{guard}_raw = _raw + v_{child.id}{weight}{factor}")
        elif step.when is not None:
            s.emit(f"v_full = {full}")
            s.emit(f"_raw = {full} if _boolean({self.expr(step.when)}) else _ZERO")
        else:
            assert step.points is not None
            s.emit(f"v_full = {full}")
            s.emit(f"_raw = {self.number(step.points)}")
        s.emit("_v = _raw.quantize(_q, _R)")
        if maximum is not None:
            s.emit(f"if _v > {s.const(maximum)}: _v = {self.q(maximum)}")
        if node.floor is not None:
            s.emit(f"if _v < {s.const(node.floor)}: _v = {self.q(node.floor)}")
        rules = [r for r in step.rules
                 if r.categories is None or self.category in r.categories]
        if rules:
            s.emit("_fired = []")
            for rule in rules:
                s.emit(f"if r_{rule.id} > 0: _fired.append(({s.const(rule)}, r_{rule.id}))")
            floor = s.const(node.floor) if node.floor is not None else "None"
            cap = s.const(maximum) if maximum is not None else "None"
            s.emit("if _fired:")
            s.emit(f"    _v, _lines, _ = _adjust(_fired, _v, {floor}, {cap}, _POLICY)")
            s.emit("    applied.update(_line.ref for _line in _lines)")
        for veto in step.zeroed_by:
            s.emit(f"if x_{veto.id} and _v != 0: _v = {self.q(ZERO)}")
        s.emit(f"p_{node.id} = v_{node.id} = _v")

    def rating(self, step: RatingPlan) -> None:
        s, rating = self.src, step.rating
        ref = s.const(rating)
        if rating.derived_from:
            levels = ", ".join(f"R.get({source!r})" for source in rating.derived_from)
            s.emit(f"_level = _combine({ref}, [{levels}])")
        else:
            s.emit("_level = None")
            s.emit(f"if p_{rating.of} is not None:")
            s.level += 1
            if step.level_conditions:
                s.emit("_held = {}")
                s.emit("def _holds(level_id, _held=_held):")
                s.level += 1
                s.emit("if level_id not in _held:")
                s.level += 1
                first = True
                for level_id, formula in step.level_conditions.items():
                    keyword = "if" if first else "elif"
                    s.emit(f"{keyword} level_id == {level_id!r}: "
                           f"_held[level_id] = _boolean({self.expr(formula)})")
                    first = False
                s.emit("else: _held[level_id] = True")
                s.level -= 1
                s.emit("return _held[level_id]")
                s.level -= 1
                holds = "_holds"
            else:
                holds = "_always"
            s.emit(f"_level = _band_level({ref}, p_{rating.of}, {holds})[0]")
            s.level -= 1
        if step.vetoes:
            fired = ", ".join(f"{v.id!r}: x_{v.id}" for v in step.vetoes)
            s.emit(f"_level = _apply_vetoes({ref}, _level, {s.const(step.vetoes)}, "
                   f"{{{fired}}}.__getitem__)[0]")
        s.emit(f"R[{rating.id!r}] = _level")


def compile_scorers(plan: Plan) -> dict[str, Scorer]:
    """One scoring function per category id."""
    namespace: dict[str, Any] = dict(plan.globals)
    namespace.update({
        "_UNSET": _UNSET, "_ZERO": ZERO, "_Q": plan.scheme.policy.quantum,
        "_R": ROUNDING_MODES[plan.scheme.policy.rounding], "_POLICY": plan.scheme.policy,
        "_boolean": _boolean, "_number": _number, "_adjust": adjust, "_combine": combine,
        "_band_level": band_level, "_apply_vetoes": apply_rating_vetoes,
        "_always": lambda _level: True, "_max": max, "_set": set, "_ValueError": ValueError,
    })
    scorers: dict[str, Scorer] = {}
    for i, category in enumerate(plan.scheme.categories):
        generator = _Generator(plan, category.id, f"_c{i}_")
        source = generator.generate(f"score_{i}")
        namespace.update(generator.src.constants)
        code = compile(source, f"<evalrules scorer {plan.scheme.id}:{category.id}>", "exec")
        exec(code, namespace)
        scorers[category.id] = namespace[f"score_{i}"]
    return scorers
