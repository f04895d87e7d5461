"""Compile a plan into straight-line Python: one scoring function per category.

The generated functions compute exactly what the traced evaluator computes — points, ratings
and the rules that fired — but record no steps, read facts into local variables and run every
formula inline, so no formula is interpreted per unit. The shared pieces that rarely run
(applying a node's fired rules, rating vetoes, conditional levels) are the evaluator's own
functions. When a unit's formulas fail, the scorer reports it and the caller re-runs the unit
through the traced evaluator, which raises the error with its place. Tests check that both
paths agree on every unit.

What makes the code fast, each step exact (points stay `Decimal`s):

- the type of every expression is known from the declarations (a checked `integer` fact is a
  `Decimal`, a comparison is a `bool`), so the run-time checks `_number`/`_boolean` are left
  out where they cannot fail;
- `ratio`, two-argument `min`/`max` and `band` with literal edges are written out inline, with
  the same comparisons in the same order as the functions they replace;
- a value that can only be one of a few constants (a `when` criterion, a `band` of literal
  points) is rounded, capped and floored once, when the code is generated;
- a group whose children all count with weight 1 adds values that are already on the quantum,
  so the sum is exact and on the quantum too (for groups whose points are bounded, checked when
  generating) and needs no rounding;
- star bands without level conditions are a chain of comparisons.
"""

from __future__ import annotations

import ast
import copy
import decimal
import itertools
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .compiler import DerivedPlan, NodePlan, Plan, RatingPlan, RulePlan, VetoPlan
from .evaluate import Points, adjust, apply_rating_vetoes, band_level, combine
from .formula import Formula, FormulaRuntimeError
from .model import Interval, Node
from .numeric import CONTEXT, ROUNDING_MODES, ZERO

Scorer = Callable[[Mapping[str, Any]], tuple[Points, dict[str, Any], list[str], bool]]

# Errors a formula can raise on one unit's values; anything else is a bug and propagates.
UNIT_ERRORS = (ArithmeticError, TypeError, ValueError, KeyError, FormulaRuntimeError)

# Static types of expressions; None: not known before the unit's values are.
NUM, BOOL, STR, DATE, LIST, TUPLE = "num", "bool", "str", "date", "list", "tuple"
_FACT_TYPES = {"integer": NUM, "number": NUM, "discretionary": NUM, "boolean": BOOL,
               "enum": STR, "text": STR, "date": DATE, "list": LIST}
_NUMERIC_FUNCTIONS = frozenset({"ratio", "abs", "clamp", "round", "floor", "ceil", "count",
                                "sum", "avg", "days", "_pow"})
# Below this bound a sum of values on the quantum is exact in the 34-digit context.
_EXACT_BOUND = Decimal("1e28")


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


@dataclass(slots=True)
class _Source:
    lines: list[str]
    constants: dict[str, Any]
    prefix: str
    level: int = 1
    reads: set[str] = field(default_factory=set)
    # A constant's name by its value: a Decimal by its digits (2.50 is not 2.5), anything else
    # by identity.
    names: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.level + text)

    def const(self, value: Any) -> str:
        key = ("d", value.as_tuple()) if type(value) is Decimal else ("o", id(value))
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"{self.prefix}{len(self.constants)}"
            self.constants[name] = value  # held here, so the id in the key stays its own
        return name


def _simple(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Constant))


def _name(identifier: str) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Load())


def _compare(left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.Compare:
    return ast.Compare(left=left, ops=[op], comparators=[right])


def _interval_test(points: str, interval: Interval, const: Callable[[Any], str]) -> str:
    tests = []
    if interval.low is not None:
        tests.append(f"{points} {'>=' if interval.low_closed else '>'} {const(interval.low)}")
    if interval.high is not None:
        tests.append(f"{points} {'<=' if interval.high_closed else '<'} {const(interval.high)}")
    return " and ".join(tests) or "True"


Range = tuple[Decimal | None, Decimal | None] | None  # (lowest, highest); None: unknown


def _hull(ranges: list[Range]) -> Range:
    if any(r is None for r in ranges):
        return None
    lows = [r[0] for r in ranges if r is not None]
    highs = [r[1] for r in ranges if r is not None]
    return (None if any(v is None for v in lows) else min(v for v in lows if v is not None),
            None if any(v is None for v in highs) else max(v for v in highs if v is not None))


def _add(a: Range, b: Range, sign: int = 1) -> Range:
    if a is None or b is None:
        return None
    try:
        return _add_bounds(a, b, sign)
    except ArithmeticError:  # bounds beyond the context: the range is unknown
        return None


def _add_bounds(a: tuple[Decimal | None, Decimal | None],
                b: tuple[Decimal | None, Decimal | None], sign: int) -> Range:
    with decimal.localcontext(CONTEXT):
        lo_b, hi_b = (b[0], b[1]) if sign > 0 else (
            -b[1] if b[1] is not None else None, -b[0] if b[0] is not None else None)
        low = a[0] + lo_b if a[0] is not None and lo_b is not None else None
        high = a[1] + hi_b if a[1] is not None and hi_b is not None else None
    return low, high


def _mul(a: Range, b: Range) -> Range:
    if a is None or b is None:
        return None
    try:
        return _mul_bounds(a, b)
    except ArithmeticError:  # bounds beyond the context: the range is unknown
        return None


def _mul_bounds(a: tuple[Decimal | None, Decimal | None],
                b: tuple[Decimal | None, Decimal | None]) -> Range:
    with decimal.localcontext(CONTEXT):
        if None not in (*a, *b):
            corners = [x * y for x in a for y in b if x is not None and y is not None]
            return min(corners), max(corners)
        if a[0] is not None and b[0] is not None and a[0] >= 0 and b[0] >= 0:
            return a[0] * b[0], None  # both never negative: at least the product of the lows
    return None


def _at_least(r: Range, low: Decimal) -> bool:
    return r is not None and r[0] is not None and r[0] >= low


class _Expressions:
    """Formula trees to Python source, with types, value ranges, inlined functions and bound
    temporaries."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.temps = itertools.count()
        # id of a generated node -> (the node, kept alive so that its id stays its own, the
        # range of its values)
        self.ranges: dict[int, tuple[ast.expr, Range]] = {}

    def temp(self) -> str:
        return f"_t{next(self.temps)}"

    def top(self, node: ast.expr, formula: Formula) -> tuple[ast.expr, str | None]:
        """`convert` for a whole formula: its temporaries are its own, so the names are reused
        from one formula to the next (a function with thousands of locals is slower)."""
        self.temps = itertools.count()
        return self.convert(node, formula)

    def range(self, node: ast.expr) -> Range:
        entry = self.ranges.get(id(node))
        return entry[1] if entry is not None and entry[0] is node else None

    def out(self, node: ast.expr, kind: str | None, values: Range = None
            ) -> tuple[ast.expr, str | None]:
        if values is not None:
            self.ranges[id(node)] = (node, values)
        return node, kind

    def value_of(self, node: ast.expr) -> Any:
        """The constant a node stands for, or _UNSET."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.gen.const_value(node.id)
        return _UNSET

    def convert(self, node: ast.expr, formula: Formula) -> tuple[ast.expr, str | None]:
        gen = self.gen
        if isinstance(node, ast.Name):
            if node.id in gen.rename:
                gen.src.reads.add(node.id)
                if node.id == "full":
                    full = gen.const_value(gen.full_name)
                    return self.out(_name(gen.full_name), NUM, (full, full))
                return self.out(_name(gen.rename[node.id]), gen.types.get(node.id),
                                gen.ranges.get(node.id))
            if node.id in formula.constants:
                value = formula.constants[node.id]
                gen.constant_values[node.id] = value
                kind = _type_of_value(value)
                return self.out(_name(node.id), kind, (value, value) if kind == NUM else None)
            return _name(node.id), None
        if isinstance(node, ast.Constant):
            return node, _type_of_value(node.value)
        if isinstance(node, ast.BinOp):
            left, lt = self.convert(node.left, formula)
            right, rt = self.convert(node.right, formula)
            kind = NUM if lt == rt == NUM else None
            values: Range = None
            if kind == NUM and isinstance(node.op, ast.Add):
                values = _add(self.range(left), self.range(right))
            elif kind == NUM and isinstance(node.op, ast.Sub):
                values = _add(self.range(left), self.range(right), -1)
            elif kind == NUM and isinstance(node.op, ast.Mult):
                values = _mul(self.range(left), self.range(right))
            return self.out(ast.BinOp(left=left, op=node.op, right=right), kind, values)
        if isinstance(node, ast.UnaryOp):
            operand, t = self.convert(node.operand, formula)
            value = self.value_of(operand)
            if isinstance(node.op, ast.USub) and type(value) is Decimal:
                with decimal.localcontext(CONTEXT):  # -x, computed as the formula would
                    negated = -value
                return self.out(_name(gen.src.const(negated)), NUM, (negated, negated))
            if isinstance(node.op, ast.Not):
                return ast.UnaryOp(op=node.op, operand=operand), BOOL
            return ast.UnaryOp(op=node.op, operand=operand), NUM if t == NUM else None
        if isinstance(node, ast.BoolOp):
            parts = [self.convert(v, formula) for v in node.values]
            kind = BOOL if all(t == BOOL for _, t in parts) else None
            return ast.BoolOp(op=node.op, values=[p for p, _ in parts]), kind
        if isinstance(node, ast.Compare):
            left, _ = self.convert(node.left, formula)
            rights = [self.convert(c, formula)[0] for c in node.comparators]
            return ast.Compare(left=left, ops=list(node.ops), comparators=rights), BOOL
        if isinstance(node, ast.IfExp):
            test, _ = self.convert(node.test, formula)
            body, bt = self.convert(node.body, formula)
            other, ot = self.convert(node.orelse, formula)
            kind = bt if bt == ot else None
            return self.out(ast.IfExp(test=test, body=body, orelse=other), kind,
                            _hull([self.range(body), self.range(other)]) if kind == NUM
                            else None)
        if isinstance(node, (ast.Tuple, ast.List)):
            elts = [self.convert(e, formula)[0] for e in node.elts]
            return ast.Tuple(elts=elts, ctx=ast.Load()), TUPLE
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node, formula)
        # Anything else (the mapping handed to `_bind`): names renamed, type unknown.
        renamed = _Rename(self.gen.rename, self.gen.src.reads).visit(copy.deepcopy(node))
        return renamed, None

    def call(self, node: ast.Call, formula: Formula) -> tuple[ast.expr, str | None]:
        name = node.func.id  # type: ignore[attr-defined]
        if name == "_result" and len(node.args) == 1 and not node.keywords:
            return self.result(node, formula)
        args = [self.convert(a, formula) for a in node.args]
        keywords = {kw.arg: self.convert(kw.value, formula) for kw in node.keywords
                    if kw.arg is not None}
        plain = ast.Call(func=_name(name), args=[a for a, _ in args],
                         keywords=[ast.keyword(arg=k, value=v) for k, (v, _) in
                                   keywords.items()])
        if len(keywords) != len(node.keywords):
            return plain, None
        if name == "ratio" and all(t == NUM for _, t in args) \
                and all(t == NUM for _, t in keywords.values()) \
                and len(args) + len(keywords) <= 3 and set(keywords) <= {"cap"}:
            return self.ratio(args, keywords)
        if name in ("min", "max") and len(args) >= 2 and not keywords:
            kind = NUM if all(t == NUM for _, t in args) else None
            values = _min_max(name, [self.range(a) for a, _ in args]) if kind == NUM else None
            if len(args) == 2:
                return self.out(self.min_max(name, args[0][0], args[1][0]), kind, values)
            return self.out(ast.Call(func=_name(f"_b{name}"), args=[a for a, _ in args],
                                     keywords=[]), kind, values)
        if name == "band":
            inline = self.band(args, keywords)
            if inline is not None:
                return inline
        if name in _NUMERIC_FUNCTIONS:
            return plain, NUM
        if name in ("any", "all"):
            return plain, BOOL
        if name in ("min_of", "max_of") and "default" not in keywords:
            return plain, NUM
        if name == "date":
            return plain, DATE
        return plain, None

    def result(self, node: ast.Call, formula: Formula) -> tuple[ast.expr, str | None]:
        """`_result(x)`, the bound every formula's value passes: nothing to do for a condition
        or for constants that pass it; for a number, the check of its size written inline, and
        the call only for a value outside (which it refuses, or turns into a plain zero)."""
        inner, kind = self.convert(node.args[0], formula)
        check = self.gen.result_check
        if kind == BOOL:
            return inner, kind
        if kind == NUM:
            leaves = self.gen.constant_leaves(inner)
            if leaves is not None and all(check(v) for v in leaves):
                return inner, kind
            window = self.gen.result_window
            if window is not None:
                value, first = self.once(inner)
                low, high = window
                test = ast.Compare(left=ast.Constant(low), ops=[ast.LtE(), ast.Lt()],
                                   comparators=[ast.Call(func=ast.Attribute(
                                       value=first, attr="adjusted", ctx=ast.Load()), args=[],
                                       keywords=[]), ast.Constant(high)])
                call = ast.Call(func=_name("_result"), args=[value], keywords=[])
                return self.out(ast.IfExp(test=test, body=value, orelse=call), NUM,
                                self.range(inner))
        return ast.Call(func=_name("_result"), args=[inner], keywords=[]), kind

    def bind(self, parts: list[ast.expr]) -> tuple[list[ast.expr], list[ast.expr]]:
        """Simple stand-ins for `parts` (temporaries for the others), and the bindings, which
        run first and in order."""
        out: list[ast.expr] = []
        bindings: list[ast.expr] = []
        for part in parts:
            if _simple(part):
                out.append(part)
            else:
                temp = self.temp()
                bindings.append(ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()),
                                              value=part))
                stand_in = _name(temp)
                if self.range(part) is not None:
                    self.ranges[id(stand_in)] = (stand_in, self.range(part))
                out.append(stand_in)
        return out, bindings

    @staticmethod
    def bound(bindings: list[ast.expr], body: ast.expr) -> ast.expr:
        """`body`, after the bindings have run: `((t0 := a), (t1 := b)) and body`."""
        if not bindings:
            return body
        return ast.BoolOp(op=ast.And(), values=[ast.Tuple(elts=bindings, ctx=ast.Load()), body])

    def ratio(self, args: list[tuple[ast.expr, str | None]],
              keywords: dict[str, tuple[ast.expr, str | None]]) -> tuple[ast.expr, str | None]:
        # ratio(a, t, cap) = 0 if t == 0 else min(a / t, cap): arguments evaluated first.
        parts = [a for a, _ in args] + ([keywords["cap"][0]] if "cap" in keywords else [])
        ranges = [self.range(p) for p in parts]
        target_first: ast.expr | None = None
        if all(_simple(p) for i, p in enumerate(parts) if i != 1):
            # Only the target needs a temporary: compute it in the test of `t == 0`.
            parts[1], target_first = self.once(parts[1])
            bindings: list[ast.expr] = []
        else:
            parts, bindings = self.bind(parts)
        actual, target = parts[0], parts[1]
        result: ast.expr = ast.BinOp(left=actual, op=ast.Div(), right=target)
        values: Range = None
        if _at_least(ranges[0], ZERO) and _at_least(ranges[1], ZERO):
            values = (ZERO, None)  # a / t >= 0, and 0 when t is 0
        if len(parts) == 3:
            cap = parts[2]
            temp = self.temp()
            # min(r, cap): the cap only when it is smaller, as builtins.min decides.
            result = ast.IfExp(
                test=_compare(cap, ast.Lt(), ast.NamedExpr(
                    target=ast.Name(id=temp, ctx=ast.Store()), value=result)),
                body=cap, orelse=_name(temp))
            cap_range = ranges[2]
            if values is not None and cap_range is not None and None not in cap_range:
                values = (min(ZERO, cap_range[0]), max(ZERO, cap_range[1]))  # type: ignore
        zero = _name(self.gen.src.const(ZERO))
        fixed = self.value_of(target)
        if type(fixed) is Decimal and fixed != 0:  # a literal target other than 0
            return self.out(self.bound(bindings, result), NUM, values)
        return self.out(self.bound(bindings, ast.IfExp(
            test=_compare(target_first or target, ast.Eq(), zero), body=zero, orelse=result)),
            NUM, values)

    def min_max(self, name: str, first: ast.expr, second: ast.expr) -> ast.expr:
        # builtins.min(a, b) is b if b < a else a; max(a, b) is b if b > a else a. A part that
        # is not a plain name is kept in a temporary where it is first evaluated.
        a, a_first = self.once(first)
        b, b_first = self.once(second)
        op: ast.cmpop = ast.Lt() if name == "min" else ast.Gt()
        return ast.IfExp(test=_compare(b_first, op, a_first), body=b, orelse=a)

    def once(self, part: ast.expr) -> tuple[ast.expr, ast.expr]:
        """(how to read `part` again, how to compute it the first time)."""
        if _simple(part):
            return part, part
        temp = self.temp()
        return _name(temp), ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()),
                                           value=part)

    def band(self, args: list[tuple[ast.expr, str | None]],
             keywords: dict[str, tuple[ast.expr, str | None]]
             ) -> tuple[ast.expr, str | None] | None:
        """band(x, (e1, e2), (v1, v2), default): the value of the last edge that x reaches."""
        if len(args) not in (3, 4) or set(keywords) - {"default"} or args[0][1] != NUM:
            return None
        edges, values = args[1][0], args[2][0]
        if not (isinstance(edges, ast.Tuple) and isinstance(values, ast.Tuple)
                and len(edges.elts) == len(values.elts) and edges.elts):
            return None
        if not all(_simple(e) and type(self.value_of(e)) is Decimal for e in edges.elts):
            return None
        bounds = [self.value_of(e) for e in edges.elts]
        if any(b <= a for a, b in itertools.pairwise(bounds)):
            return None  # the general band() refuses edges that do not rise
        default_arg = args[3] if len(args) == 4 else keywords.get("default")
        default = default_arg[0] if default_arg else _name(self.gen.src.const(ZERO))
        if not all(_simple(v) for v in (*values.elts, default)):
            return None
        x, x_first = self.once(args[0][0])
        result: ast.expr = default
        pairs = list(zip(edges.elts, values.elts, strict=True))
        for i, (edge, value) in enumerate(pairs):
            # The last edge is tested first: x is computed there.
            reader = x_first if i == len(pairs) - 1 else x
            result = ast.IfExp(test=_compare(reader, ast.GtE(), edge), body=value, orelse=result)
        bindings: list[ast.expr] = []
        leaves = [self.value_of(v) for v in (*values.elts, default)]
        if all(type(v) is Decimal for v in leaves):
            return self.out(self.bound(bindings, result), NUM, (min(leaves), max(leaves)))
        return self.bound(bindings, result), None


def _min_max(name: str, ranges: list[Range]) -> Range:
    """min: at least the lowest low, at most any high; max: the other way round."""
    lows = [r[0] if r is not None else None for r in ranges]
    highs = [r[1] if r is not None else None for r in ranges]
    known_lows = [v for v in lows if v is not None]
    known_highs = [v for v in highs if v is not None]
    if name == "min":
        low = min(known_lows) if len(known_lows) == len(lows) else None
        high = min(known_highs) if known_highs else None
    else:
        low = max(known_lows) if known_lows else None
        high = max(known_highs) if len(known_highs) == len(highs) else None
    return None if low is None and high is None else (low, high)


_WINDOWS: weakref.WeakKeyDictionary[Any, tuple[int, int] | None] = weakref.WeakKeyDictionary()


def _probe_window(passes: Callable[[Decimal], bool]) -> tuple[int, int] | None:
    """The adjusted exponents `passes` accepts, if they form one interval and nothing else
    (sign, digits) matters."""
    accepted = []
    for exponent in range(-80, 81):
        answers = {passes(Decimal(f"{sign}{digits}E{exponent}"))
                   for sign in ("", "-") for digits in ("1", "9.99", "5.5")}
        if len(answers) != 1:
            return None
        if answers.pop():
            accepted.append(exponent)
    if not accepted or accepted != list(range(accepted[0], accepted[-1] + 1)) \
            or accepted[0] == -80 or accepted[-1] == 80:
        return None
    return accepted[0], accepted[-1] + 1


def _type_of_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Decimal):
        return NUM
    if isinstance(value, str):
        return STR
    if isinstance(value, tuple):
        return TUPLE
    return None


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str], reads: set[str]) -> None:
        self.names = names
        self.reads = reads

    def visit_Name(self, node: ast.Name) -> ast.AST:
        target = self.names.get(node.id)
        if target:
            self.reads.add(node.id)
        return ast.copy_location(ast.Name(id=target, ctx=ast.Load()), node) if target else node


class _Generator:
    def __init__(self, plan: Plan, category: str, prefix: str, trace: bool = False) -> None:
        self.plan = plan
        self.trace = trace  # also record every formula's value: K[id(formula)] = value
        self.category = category
        self.policy = plan.scheme.policy
        scheme = plan.scheme
        self.rename = {f.id: f"v_{f.id}" for f in scheme.facts}
        self.rename.update({d.id: f"v_{d.id}" for d in scheme.derived})
        self.rename.update({n.id: f"v_{n.id}" for n in scheme.nodes()})
        self.rename["full"] = "v_full"
        self.types: dict[str, str | None] = {f.id: _FACT_TYPES.get(f.type) for f in scheme.facts}
        self.types.update({n.id: NUM for n in scheme.nodes()})
        self.ranges: dict[str, Range] = {
            f.id: (f.min, f.max) for f in scheme.facts if _FACT_TYPES.get(f.type) == NUM}
        self.src = _Source([], {}, prefix)
        self.constant_values: dict[str, Any] = {}
        self.maybe_na: set[str] = set()
        self.not_applicable: set[str] = set()
        self.full_name = "v_full"
        self._window: Any = _UNSET
        self.exprs = _Expressions(self)
        self.above_max = {r.applies_to for r in scheme.adjustments
                          if r.kind == "bonus" and r.above_max}

    # -- expressions

    def result_check(self, value: Decimal) -> bool:
        """Whether `_result` passes this constant unchanged (True when there is no `_result`)."""
        bound = self.plan.globals.get("_result")
        if bound is None:
            return True
        try:
            return bool(bound(value) is value)
        except ArithmeticError:
            return False

    @property
    def result_window(self) -> tuple[int, int] | None:
        """(low, high) such that `_result` passes a finite number exactly when
        low <= number.adjusted() < high, found by asking it; None when it is not that simple."""
        if "_result" not in self.plan.globals:
            return None
        if self._window is _UNSET:
            bound = self.plan.globals["_result"]
            # Probed once per plan (each of its categories' generators asks; probing formats
            # some two thousand refusals).
            self._window = _WINDOWS.get(bound, _UNSET)
            if self._window is _UNSET:
                self._window = _WINDOWS[bound] = _probe_window(self.result_check)
        window: tuple[int, int] | None = self._window
        return window

    def constant_leaves(self, tree: ast.expr) -> list[Decimal] | None:
        """The constants a number expression can be, when it is constants under conditions."""
        if isinstance(tree, ast.IfExp):
            body = self.constant_leaves(tree.body)
            other = self.constant_leaves(tree.orelse)
            return None if body is None or other is None else body + other
        if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) \
                and isinstance(tree.values[0], ast.Tuple) and len(tree.values) == 2:
            return self.constant_leaves(tree.values[1])
        if isinstance(tree, ast.Name):
            value = self.const_value(tree.id)
            if type(value) is Decimal:
                return [value]
        return None

    def expr(self, formula: Formula) -> tuple[str, str | None]:
        assert formula.expression is not None
        tree, kind = self.exprs.top(formula.expression, formula)
        return "(" + ast.unparse(tree) + ")", kind  # unparse needs no positions

    def condition(self, formula: Formula) -> str:
        text, kind = self.expr(formula)
        return text if kind == BOOL else f"_boolean({text})"

    def record(self, formula: Formula, var: str) -> None:
        if self.trace:
            self.src.emit(f"K[{id(formula)}] = {var}")

    def cond_stmt(self, formula: Formula) -> str:
        """A condition to test; when tracing, its value is computed and recorded first."""
        if not self.trace:
            return self.condition(formula)
        text, kind = self.expr(formula)
        self.src.emit(f"_w = {text}")
        self.record(formula, "_w")
        return "_w" if kind == BOOL else "_boolean(_w)"

    def number_stmt(self, value: Formula | Decimal, var: str) -> str:
        """A number; when tracing, a formula's value is computed and recorded first."""
        if not self.trace or isinstance(value, Decimal):
            return self.number(value)
        text, kind = self.expr(value)
        self.src.emit(f"{var} = {text}")
        self.record(value, var)
        return var if kind == NUM else f"_number({var})"

    def number(self, value: Formula | Decimal) -> str:
        if isinstance(value, Decimal):
            return self.src.const(value)
        text, kind = self.expr(value)
        return text if kind == NUM else f"_number({text})"

    def q(self, value: Decimal) -> str:
        try:
            return self.src.const(self.policy.round(value))
        except ArithmeticError:  # rounded when it is used, failing there as the interpreter does
            return f"{self.src.const(value)}.quantize(_q, _R)"

    def const_value(self, name: str) -> Any:
        if name in self.src.constants:
            return self.src.constants[name]
        return self.constant_values.get(name, _UNSET)

    # -- the function

    def generate(self, name: str) -> str:
        s = self.src
        scheme = self.plan.scheme
        owners = {owner for step in self.plan.steps if isinstance(step, NodePlan)
                  for owner, _ in step.applicable}
        for owner in sorted(owners):
            s.emit(f"a_{owner} = _UNSET")
        s.emit("applied = _set()")
        s.emit("R = {}")
        if self.trace:
            s.emit("K = {}")
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
        # The evaluator's results list the nodes in evaluation order, the scorer's in the
        # scheme's: each keeps the order it always had.
        nodes = [st.node for st in self.plan.steps if isinstance(st, NodePlan)] if self.trace \
            else list(scheme.nodes())
        if self.trace:
            points = ", ".join(f"{n.id!r}: {self.points_name(n)}" for n in nodes)
            s.emit(f"P = {{{points}}}")
        else:
            # The ids are _POINT_INDEX's keys, in this order; a dict of every node per unit
            # was a quarter of the scorer's work.
            values = "".join(f"{self.points_name(n)}, " for n in nodes)
            s.emit(f"P = _Points(_POINT_INDEX, ({values}))")
        rules = [st.rule.id for st in self.plan.steps if isinstance(st, RulePlan)]
        vetoes = [st.veto.id for st in self.plan.steps if isinstance(st, VetoPlan)]
        s.emit(f"fired = [r for r in {tuple(rules)!r} if r in applied]" if rules
               else "fired = []")
        for veto in vetoes:
            s.emit(f"if x_{veto}: fired.append({veto!r})")
        no_award = [v.id for v in scheme.vetoes
                    if v.id in vetoes and any(e.kind == "no_award" for e in v.effects)]
        award = " or ".join(f"x_{v}" for v in no_award) or "False"
        s.emit(f"return P, R, fired, not ({award})" + (", K" if self.trace else ""))
        reads = [f"    v_{f.id} = F[{f.id!r}]" for f in scheme.facts if f.id in s.reads]
        head = [f"def {name}(F):", "    _q = _Q", *reads]
        return "\n".join(head + s.lines) + "\n"

    def points_name(self, node: Node) -> str:
        if node.id in self.not_applicable or node.id in self.maybe_na:
            return f"p_{node.id}"
        return f"v_{node.id}"

    def derived(self, step: DerivedPlan) -> None:
        assert step.formula.expression is not None
        tree, kind = self.exprs.top(step.formula.expression, step.formula)
        text = "(" + ast.unparse(tree) + ")"
        self.types[step.derived.id] = kind
        self.ranges[step.derived.id] = self.exprs.range(tree) if kind == NUM else None
        self.src.emit(f"v_{step.derived.id} = {text}")
        self.record(step.formula, f"v_{step.derived.id}")

    def rule(self, step: RulePlan) -> None:
        s, rule = self.src, step.rule
        target = f"r_{rule.id}"
        if rule.categories is not None and self.category not in rule.categories:
            s.emit(f"{target} = _ZERO")
            return
        if step.when is not None:
            s.emit(f"if {self.cond_stmt(step.when)}:")
            s.level += 1
        each = self.number_stmt(step.points, "_each")
        if rule.range is not None:
            low, high = (s.const(v) for v in rule.range)
            s.emit(f"_each = {each}")
            s.emit(f"if not {low} <= _each <= {high}: raise _ValueError('outside its range')")
            each = "_each"
        if step.per is not None:
            s.emit(f"_amount = {each} * {self.number_stmt(step.per, '_per')}")
        else:
            s.emit(f"_amount = {each}")
        if rule.cap is not None:
            cap = s.const(rule.cap)
            s.emit(f"if _amount > {cap}: _amount = {cap}")
        # max(ZERO, round(amount)), as builtins.max decides.
        s.emit("_amount = _amount.quantize(_q, _R)")
        s.emit(f"{target} = _amount if _amount > _ZERO else _ZERO")
        if step.when is not None:
            s.level -= 1
            s.emit("else:")
            s.emit(f"    {target} = _ZERO")

    def veto(self, step: VetoPlan) -> None:
        veto = step.veto
        if veto.categories is not None and self.category not in veto.categories:
            self.src.emit(f"x_{veto.id} = False")
        else:
            self.src.emit(f"x_{veto.id} = {self.cond_stmt(step.when)}")

    def node(self, step: NodePlan) -> None:
        s, node = self.src, step.node
        me = node.id
        if any(n.applies_to is not None and self.category not in n.applies_to
               for n in step.path):
            self.not_applicable.add(me)
            self.ranges[me] = (ZERO, ZERO)
            s.emit(f"p_{me} = None")
            s.emit(f"v_{me} = _ZERO")
            return
        opened = 0
        for owner, formula in step.applicable:
            s.emit(f"if a_{owner} is _UNSET:")
            s.level += 1
            s.emit(f"a_{owner} = {self.cond_stmt(formula)}")
            s.level -= 1
            s.emit(f"if a_{owner}:")
            s.level += 1
            opened += 1
        if opened:
            self.maybe_na.add(me)
        self.body(step)
        if opened:
            s.emit(f"p_{me} = v_{me}")
        for _ in range(opened):
            s.level -= 1
            s.emit("else:")
            s.emit(f"    p_{me} = None")
            s.emit(f"    v_{me} = _ZERO")

    def finish(self, value: Decimal, maximum: Decimal | None, floor: Decimal | None) -> Decimal:
        """Rounding, cap and floor of a value known when generating, as `body` applies them."""
        out = self.policy.round(value)
        if maximum is not None and out > maximum:
            out = self.policy.round(maximum)
        if floor is not None and out < floor:
            out = self.policy.round(floor)
        return out

    def folded(self, tree: ast.expr, maximum: Decimal | None, floor: Decimal | None
               ) -> ast.expr | None:
        """`tree` with each constant leaf rounded, capped and floored, when every leaf is a
        number constant under conditions; None otherwise."""
        if isinstance(tree, ast.IfExp):
            body = self.folded(tree.body, maximum, floor)
            other = self.folded(tree.orelse, maximum, floor)
            if body is None or other is None:
                return None
            return ast.IfExp(test=tree.test, body=body, orelse=other)
        if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) \
                and isinstance(tree.values[0], ast.Tuple) and len(tree.values) == 2:
            inner = self.folded(tree.values[1], maximum, floor)
            return None if inner is None else ast.BoolOp(op=ast.And(),
                                                          values=[tree.values[0], inner])
        if isinstance(tree, ast.Name):
            value = self.const_value(tree.id)
            if type(value) is Decimal:
                try:
                    return _name(self.src.const(self.finish(value, maximum, floor)))
                except ArithmeticError:  # left to run time, where it fails as it should
                    return None
        return None

    def body(self, step: NodePlan) -> None:
        s, node = self.src, step.node
        me = f"v_{node.id}"
        maximum = node.max.get(self.category) if node.max is not None else None
        full = s.const(maximum if maximum is not None else ZERO)
        self.full_name = full
        values: Range = None  # the range of the value before the cap and the floor
        checked = False  # rounding, cap and floor done when generating
        if node.is_group:
            values = self.group(step, maximum)
        elif step.when is not None:
            cond = self.cond_stmt(step.when)
            try:
                yes = self.finish(maximum or ZERO, maximum, node.floor)
                no = self.finish(ZERO, maximum, node.floor)
            except ArithmeticError:  # a max beyond the context: rounded (and failing) at run time
                s.emit(f"{me} = ({full} if {cond} else _ZERO).quantize(_q, _R)")
            else:
                s.emit(f"{me} = {s.const(yes)} if {cond} else {s.const(no)}")
                checked, values = True, (min(yes, no), max(yes, no))
        else:
            assert step.points is not None
            if isinstance(step.points, Decimal):
                try:
                    value = self.finish(step.points, maximum, node.floor)
                except ArithmeticError:
                    s.emit(f"{me} = {s.const(step.points)}.quantize(_q, _R)")
                else:
                    s.emit(f"{me} = {s.const(value)}")
                    checked, values = True, (value, value)
            else:
                assert step.points.expression is not None
                tree, kind = self.exprs.top(step.points.expression, step.points)
                folded = self.folded(tree, maximum, node.floor) \
                    if kind == NUM and not self.trace else None
                if folded is not None:
                    s.emit(f"{me} = {ast.unparse(ast.fix_missing_locations(folded))}")
                    checked, values = True, _hull([
                        (v, v) for v in self.leaves(folded)])
                else:
                    text = "(" + ast.unparse(tree) + ")"
                    if self.trace:
                        s.emit(f"_w = {text}")
                        self.record(step.points, "_w")
                        text = "_w" if kind == NUM else "_number(_w)"
                    elif kind != NUM:
                        text = f"_number{text}"
                    s.emit(f"{me} = {text}.quantize(_q, _R)")
                    raw = self.exprs.range(tree) if kind == NUM else None
                    if raw is not None:
                        try:
                            values = (None if raw[0] is None else self.policy.round(raw[0]),
                                      None if raw[1] is None else self.policy.round(raw[1]))
                        except ArithmeticError:  # a bound beyond the context: range unknown
                            values = (None, None)
        if not checked:
            values = self.cap_and_floor(me, values, maximum, node.floor)
        rules = [r for r in step.rules
                 if r.categories is None or self.category in r.categories]
        if rules:
            s.emit(f"if {' or '.join(f'r_{r.id} > 0' for r in rules)}:")
            s.level += 1
            s.emit("_fired = []")
            for rule in rules:
                s.emit(f"if r_{rule.id} > 0: _fired.append(({s.const(rule)}, r_{rule.id}))")
            floor = s.const(node.floor) if node.floor is not None else "None"
            cap = s.const(maximum) if maximum is not None else "None"
            s.emit(f"{me}, _lines, _ = _adjust(_fired, {me}, {floor}, {cap}, _POLICY)")
            s.emit("applied.update(_line.ref for _line in _lines)")
            s.level -= 1
            values = self.after_rules(values, rules, maximum, node.floor)
        for veto in step.zeroed_by:
            s.emit(f"if x_{veto.id} and {me} != 0: {me} = {self.q(ZERO)}")
        if step.zeroed_by or step.applicable:
            values = _hull([values, (ZERO, ZERO)])
        self.ranges[node.id] = values

    def leaves(self, tree: ast.expr) -> list[Decimal]:
        if isinstance(tree, ast.IfExp):
            return self.leaves(tree.body) + self.leaves(tree.orelse)
        if isinstance(tree, ast.BoolOp):
            return self.leaves(tree.values[-1])
        assert isinstance(tree, ast.Name)
        value = self.const_value(tree.id)
        assert type(value) is Decimal
        return [value]

    def cap_and_floor(self, me: str, values: Range, maximum: Decimal | None,
                      floor: Decimal | None) -> Range:
        """Emit the cap and the floor where the value's range does not rule them out; the
        range after them."""
        s = self.src

        def rnd(value: Decimal) -> Decimal | None:
            try:
                return self.policy.round(value)
            except ArithmeticError:
                return None

        low, high = values if values is not None else (None, None)
        if maximum is not None and (high is None or high > maximum):
            s.emit(f"if {me} > {s.const(maximum)}: {me} = {self.q(maximum)}")
            capped = rnd(maximum)
            high = capped if high is None or capped is None else min(high, capped)
        if floor is not None and (low is None or low < floor):
            s.emit(f"if {me} < {s.const(floor)}: {me} = {self.q(floor)}")
            floored = rnd(floor)
            low = floored if low is None or floored is None else max(low, floored)
            high = None if high is None or floored is None else max(high, floored)
        return low, high

    def after_rules(self, values: Range, rules: list[Any], maximum: Decimal | None,
                    floor: Decimal | None) -> Range:
        """The range after a node's rules (widened by a quantum for their rounding)."""
        low, high = values if values is not None else (None, None)
        quantum = self.policy.quantum
        if any(r.kind == "deduction" for r in rules):
            low = None if floor is None or low is None else min(low, floor - quantum)
        if any(r.kind == "bonus" for r in rules):
            capped = maximum is not None and not any(r.above_max for r in rules)
            high = None if not capped or high is None or maximum is None \
                else max(high, maximum + quantum)
        return low, high

    def group(self, step: NodePlan, maximum: Decimal | None) -> Range:
        """Emit the sum of a group's children, rounded; the range of the sum when known."""
        s, node = self.src, step.node
        me = f"v_{node.id}"
        children = [c for c in node.children
                    if c.applies_to is None or self.category in c.applies_to]
        ranges = [self.ranges.get(c.id) for c in children]
        if not node.renormalize and all(c.weight == 1 for c in children) \
                and self.exact_sum(ranges):
            # Every child is on the quantum (or an exact zero when not applicable): the sum is
            # exact and on the quantum, as rounding it would leave it. One child that always
            # applies fixes the exponent; otherwise start from zero on the quantum.
            terms = [f"v_{c.id}" for c in children]
            if not any(c.id not in self.maybe_na for c in children):
                terms.insert(0, s.const(self.policy.round(ZERO)))
            s.emit(f"{me} = {' + '.join(terms)}")
            total: Range = (ZERO, ZERO)
            for r in ranges:
                total = _add(total, r)
            return total
        factor = ""
        if node.renormalize and maximum is not None:
            full = s.const(maximum)
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
        s.emit(f"{me} = _raw.quantize(_q, _R)")
        return None

    @staticmethod
    def exact_sum(ranges: list[Range]) -> bool:
        total = ZERO
        for r in ranges:
            if r is None or r[0] is None or r[1] is None:
                return False
            size = max(abs(r[0]), abs(r[1]))
            if size >= _EXACT_BOUND:
                return False
            total += size  # each below 1e28: no rounding, no overflow
        return total < _EXACT_BOUND

    def rating(self, step: RatingPlan) -> None:
        s, rating = self.src, step.rating
        ref = s.const(rating)
        if rating.derived_from:
            levels = ", ".join(f"R.get({source!r})" for source in rating.derived_from)
            s.emit(f"_level = _combine({ref}, [{levels}])")
        else:
            of = self.node_points(rating.of or "total")
            s.emit("_level = None")
            s.emit(f"if {of} is not None:")
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
                    s.emit(f"{keyword} level_id == {level_id!r}:")
                    s.level += 1
                    s.emit(f"_held[level_id] = {self.cond_stmt(formula)}")
                    s.level -= 1
                    first = False
                s.emit("else: _held[level_id] = True")
                s.level -= 1
                s.emit("return _held[level_id]")
                s.level -= 1
                s.emit(f"_level = _band_level({ref}, {of}, _holds)[0]")
            else:
                # No level conditions: the first level whose range holds the points.
                keyword = "if"
                for level in rating.levels:
                    if level.range is None:
                        continue
                    s.emit(f"{keyword} {_interval_test(of, level.range, s.const)}: "
                           f"_level = {level.id!r}")
                    keyword = "elif"
            s.level -= 1
        if step.vetoes:
            fired = ", ".join(f"{v.id!r}: x_{v.id}" for v in step.vetoes)
            s.emit(f"if {' or '.join(f'x_{v.id}' for v in step.vetoes)}:")
            s.emit(f"    _level = _apply_vetoes({ref}, _level, {s.const(step.vetoes)}, "
                   f"{{{fired}}}.__getitem__)[0]")
        s.emit(f"R[{rating.id!r}] = _level")

    def node_points(self, node_id: str) -> str:
        if node_id in self.not_applicable or node_id in self.maybe_na:
            return f"p_{node_id}"
        return f"v_{node_id}"


def point_index(plan: Plan) -> dict[str, int]:
    """Where each node's points sit in the values of a scorer's `Points`: the scheme's order."""
    return {node.id: i for i, node in enumerate(plan.scheme.nodes())}


def compile_scorers(plan: Plan) -> dict[str, Scorer]:
    """One scoring function per category id: (points, ratings, fired, award eligible)."""
    return _compile(plan, trace=False)


def compile_tracers(plan: Plan) -> dict[str, Callable[..., Any]]:
    """One function per category id that also records every formula's value: (points,
    ratings, fired, award eligible, {id(formula): value}), for the evaluator's trace."""
    return _compile(plan, trace=True)


def _compile(plan: Plan, trace: bool) -> dict[str, Any]:
    namespace: dict[str, Any] = dict(plan.globals)
    namespace.update({
        "_UNSET": _UNSET, "_ZERO": ZERO, "_Q": plan.scheme.policy.quantum,
        "_R": ROUNDING_MODES[plan.scheme.policy.rounding], "_POLICY": plan.scheme.policy,
        "_boolean": _boolean, "_number": _number, "_adjust": adjust, "_combine": combine,
        "_band_level": band_level, "_apply_vetoes": apply_rating_vetoes,
        "_bmin": min, "_bmax": max, "_set": set, "_ValueError": ValueError,
        "_Points": Points, "_POINT_INDEX": point_index(plan),
    })
    scorers: dict[str, Any] = {}
    kind = "tracer" if trace else "scorer"
    for i, category in enumerate(plan.scheme.categories):
        generator = _Generator(plan, category.id, f"_c{i}_", trace)
        source = generator.generate(f"{kind}_{i}")
        namespace.update(generator.src.constants)
        code = compile(source, f"<evalrules {kind} {plan.scheme.id}:{category.id}>", "exec")
        exec(code, namespace)
        scorers[category.id] = namespace[f"{kind}_{i}"]
    return scorers


def scorer_source(plan: Plan, category: str, trace: bool = False) -> str:
    """The generated source of one category's scorer (or tracer), for reading and debugging."""
    index = next(i for i, c in enumerate(plan.scheme.categories) if c.id == category)
    return _Generator(plan, category, f"_c{index}_", trace).generate(f"score_{index}")
