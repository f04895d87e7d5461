"""Interval analysis: what every formula, node, rule, veto and rating level can produce.

The analysis walks each compiled formula's checked tree (`Formula.expression`) with abstract
values instead of numbers: a number becomes the closed interval of values it can take, a
condition the pair (can be true, can be false), an enum the set of ids it can hold, a list fact
the range of its length and the abstract values of its fields. Inputs come from the declared
facts (`min`/`max`; booleans both ways; unbounded when nothing is declared), derived values,
the maxima of nodes and the semantics of every formula function. Arithmetic is exact (Decimal,
with infinities for unbounded ends).

The result is an over-approximation: every value the evaluator can produce for a unit whose
facts lie within their declarations lies inside the computed range. The converse does not hold
— correlations between inputs are lost (`x - x` is [-w, w], not 0), and a condition's branches
are not narrowed by the condition — so "can never happen" claims are certain, while "can
happen" claims are only possible. Dates are opaque (any comparison of dates may go either way)
and `**` with a non-constant exponent is unbounded.

Everything is computed per category, because maxima, `applies_to` and rule categories differ.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from .compiler import DerivedPlan, NodePlan, Plan, RatingPlan, RulePlan, VetoPlan
from .formula import Filter, Formula, FormulaRejected, compile_tree
from .model import Adjustment, Fact, Field, Interval, Node, Rating, Scheme
from .numeric import CONTEXT, NumericPolicy

INF = Decimal("Infinity")
NINF = Decimal("-Infinity")
ZERO = Decimal(0)
ONE = Decimal(1)

# Arithmetic with infinite ends: the engine's precision, nothing trapped (inf - inf is avoided
# by construction; a NaN that slips through is widened to "anything").
_CTX = CONTEXT.copy()
for _signal in (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow):
    _CTX.traps[_signal] = False

# Renormalised groups with more optional children than this are bounded without enumerating
# every set of applicable children.
MAX_SUBSETS_OPTIONAL = 10


# ----------------------------------------------------------------------------------------------
# Abstract values


@dataclass(frozen=True, slots=True)
class Span:
    """The closed interval [low, high] of numbers a value can take; ends may be infinite."""

    low: Decimal
    high: Decimal

    @staticmethod
    def point(value: Decimal) -> Span:
        return Span(value, value)

    @staticmethod
    def everything() -> Span:
        return Span(NINF, INF)

    @property
    def bounded(self) -> bool:
        return self.low.is_finite() and self.high.is_finite()

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def contains(self, value: Decimal) -> bool:
        return self.low <= value <= self.high

    def union(self, other: Span) -> Span:
        return Span(min(self.low, other.low), max(self.high, other.high))

    def with_zero(self) -> Span:
        return self.union(Span.point(ZERO))

    def __str__(self) -> str:
        return f"[{show(self.low)}, {show(self.high)}]"


@dataclass(frozen=True, slots=True)
class Truth:
    """A condition: whether it can be true, and whether it can be false."""

    can_true: bool
    can_false: bool

    @property
    def always(self) -> bool:
        return self.can_true and not self.can_false

    @property
    def never(self) -> bool:
        return not self.can_true

    def __str__(self) -> str:
        if self.always:
            return "always true"
        if self.never:
            return "always false" if self.can_false else "never evaluated"
        return "true or false"


BOTH = Truth(True, True)


@dataclass(frozen=True, slots=True)
class Texts:
    """Text: the ids it can hold (an enum), or any text (None)."""

    values: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Records:
    """A list fact: how many records it can hold and what each field can be."""

    list_id: str
    length: Span
    fields: Mapping[str, Abstract]


@dataclass(frozen=True, slots=True)
class Items:
    """A literal list, e.g. band() edges."""

    items: tuple[Abstract, ...]


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value the analysis does not follow (dates, anything unexpected)."""

    what: str


Abstract: TypeAlias = Span | Truth | Texts | Records | Items | Opaque
TOP = Opaque("unknown")


def show(value: Decimal) -> str:
    if value == INF:
        return "+inf"
    if value == NINF:
        return "-inf"
    if not value:
        return "0"
    text = format(value.normalize(_CTX), "f")
    return text


def as_span(value: Abstract) -> Span:
    """The numbers a value can be used as (a condition counts as 0 or 1)."""
    if isinstance(value, Span):
        return value
    if isinstance(value, Truth):
        return Span(ZERO if value.can_false else ONE, ONE if value.can_true else ZERO)
    return Span.everything()


def as_truth(value: Abstract) -> Truth:
    """Whether a value can be truthy and falsy."""
    if isinstance(value, Truth):
        return value
    if isinstance(value, Span):
        return Truth(not (value.low == 0 and value.high == 0), value.contains(ZERO))
    if isinstance(value, Texts) and value.values is not None:
        return Truth(any(v for v in value.values), "" in value.values)
    if isinstance(value, Records):
        return Truth(value.length.high > 0, value.length.low == 0)
    return BOTH


def union(a: Abstract, b: Abstract) -> Abstract:
    if isinstance(a, Truth) and isinstance(b, Truth):
        return Truth(a.can_true or b.can_true, a.can_false or b.can_false)
    if isinstance(a, (Span, Truth)) and isinstance(b, (Span, Truth)):
        return as_span(a).union(as_span(b))
    if isinstance(a, Texts) and isinstance(b, Texts):
        if a.values is None or b.values is None:
            return Texts(None)
        return Texts(a.values | b.values)
    if a == b:
        return a
    return TOP


def _mul(x: Decimal, y: Decimal) -> Decimal:
    if x == 0 or y == 0:
        return ZERO
    return _CTX.multiply(x, y)


def span_mul(a: Span, b: Span) -> Span:
    corners = [_mul(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
    return Span(min(corners), max(corners))


def span_add(a: Span, b: Span) -> Span:
    return Span(_CTX.add(a.low, b.low), _CTX.add(a.high, b.high))


def span_neg(a: Span) -> Span:
    return Span(-a.high, -a.low)


def span_div(a: Span, b: Span) -> Span:
    """a / b, for a divisor that can be 0 or near it: everything."""
    if b.low <= 0 <= b.high:
        if a.low == 0 and a.high == 0:
            return Span.point(ZERO)
        return Span.everything()
    corners = []
    for x in (a.low, a.high):
        for y in (b.low, b.high):
            if not y.is_finite():
                if not x.is_finite():
                    return Span.everything()
                corners.append(ZERO)
            else:
                corners.append(_CTX.divide(x, y))
    if any(c.is_nan() for c in corners):
        return Span.everything()
    return Span(min(corners), max(corners))


def span_min(spans: Sequence[Span]) -> Span:
    return Span(min(s.low for s in spans), min(s.high for s in spans))


def span_max(spans: Sequence[Span]) -> Span:
    return Span(max(s.low for s in spans), max(s.high for s in spans))


def span_round(a: Span, policy: NumericPolicy, places: int | None = None) -> Span:
    def one(x: Decimal) -> Decimal:
        if not x.is_finite():
            return x
        return policy.round(x) if places is None else policy.round_to(x, places)
    return Span(one(a.low), one(a.high))


def span_floor(a: Span, up: bool = False) -> Span:
    rounding = decimal.ROUND_CEILING if up else decimal.ROUND_FLOOR

    def one(x: Decimal) -> Decimal:
        return x if not x.is_finite() else x.to_integral_value(rounding=rounding, context=_CTX)
    return Span(one(a.low), one(a.high))


def clip(a: Span, low: Decimal | None, high: Decimal | None) -> Span:
    """max(low, min(high, a)) for each value of a."""
    lo, hi = a.low, a.high
    if high is not None:
        lo, hi = min(lo, high), min(hi, high)
    if low is not None:
        lo, hi = max(lo, low), max(hi, low)
    return Span(lo, hi)


def intersects(span: Span, interval: Interval) -> bool:
    """Whether a closed span and an interval with explicit edges share a point."""
    if interval.low is not None and (span.high < interval.low or (
            span.high == interval.low and not interval.low_closed)):
        return False
    return not (interval.high is not None and (span.low > interval.high or (
        span.low == interval.high and not interval.high_closed)))


def uncovered(span: Span, intervals: Iterable[Interval]) -> list[Interval]:
    """The parts of `span` that lie in none of `intervals`."""
    pieces = [Interval(None if span.low == NINF else span.low, span.low != NINF,
                       None if span.high == INF else span.high, span.high != INF)]
    for cut in intervals:
        out: list[Interval] = []
        for piece in pieces:
            out += _subtract(piece, cut)
        pieces = out
    return pieces


def _below(x: Decimal | None, x_closed: bool, y: Decimal | None, y_closed: bool) -> bool:
    """Whether the upper edge (x, closed) lies strictly before the lower edge (y, closed), i.e.
    no point is both <= x and >= y."""
    if x is None or y is None:
        return False
    return x < y or (x == y and not (x_closed and y_closed))


def _subtract(piece: Interval, cut: Interval) -> list[Interval]:
    # No overlap: the piece stays whole.
    if _below(piece.high, piece.high_closed, cut.low, cut.low_closed) or _below(
            cut.high, cut.high_closed, piece.low, piece.low_closed):
        return [piece]
    out = []
    # Left part: from the piece's low to the cut's low.
    if cut.low is not None and (piece.low is None or piece.low < cut.low or (
            piece.low == cut.low and piece.low_closed and not cut.low_closed)):
        out.append(Interval(piece.low, piece.low_closed, cut.low, not cut.low_closed))
    # Right part: from the cut's high to the piece's high.
    if cut.high is not None and (piece.high is None or piece.high > cut.high or (
            piece.high == cut.high and piece.high_closed and not cut.high_closed)):
        out.append(Interval(cut.high, not cut.high_closed, piece.high, piece.high_closed))
    return out


# ----------------------------------------------------------------------------------------------
# Declarations as abstract values


def declared(decl: Fact | Field, fields: Mapping[str, Abstract] | None = None) -> Abstract:
    """What a fact (or a list's field) can hold, from its declaration alone."""
    low = decl.min if decl.min is not None else NINF
    high = decl.max if decl.max is not None else INF
    if decl.type in ("integer", "number", "discretionary"):
        return Span(low, high)
    if decl.type == "boolean":
        return BOTH
    if decl.type == "enum":
        return Texts(frozenset(v for v, _ in decl.values))
    if decl.type == "text":
        return Texts(None)
    if decl.type == "list":
        return Records(decl.id, Span(max(low, ZERO), high), fields or {})
    return Opaque(decl.type or "unknown")


def _constant(value: Any) -> Abstract:
    if isinstance(value, bool):
        return Truth(value, not value)
    if isinstance(value, Decimal):
        return Span.point(value)
    if isinstance(value, int):
        return Span.point(Decimal(value))
    if isinstance(value, str):
        return Texts(frozenset({value}))
    if isinstance(value, dt.date):
        return Opaque("date")
    return TOP


# ----------------------------------------------------------------------------------------------
# Formulas


class _Walker:
    """Evaluates one formula tree over abstract values."""

    def __init__(self, analysis: Analysis, env: Mapping[str, Abstract],
                 constants: Mapping[str, Any]) -> None:
        self.analysis = analysis
        self.env = env
        self.constants = constants
        self.policy = analysis.scheme.policy

    def eval(self, node: ast.expr) -> Abstract:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            return Items(tuple(self.eval(e) for e in node.elts))
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                t = as_truth(operand)
                return Truth(t.can_false, t.can_true)
            if isinstance(node.op, ast.USub):
                return span_neg(as_span(operand))
            return as_span(operand)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            test = as_truth(self.eval(node.test))
            if test.always:
                return self.eval(node.body)
            if test.never:
                return self.eval(node.orelse)
            return union(self.eval(node.body), self.eval(node.orelse))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node.func.id, node)
        return TOP

    def name(self, name: str) -> Abstract:
        if name in self.env:
            return self.env[name]
        if name in self.constants:
            return _constant(self.constants[name])
        return TOP

    def binop(self, node: ast.BinOp) -> Abstract:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(left, Texts) and isinstance(right, Texts) and isinstance(node.op, ast.Add):
            return Texts(None)
        a, b = as_span(left), as_span(right)
        op = node.op
        if isinstance(op, ast.Add):
            return span_add(a, b)
        if isinstance(op, ast.Sub):
            return span_add(a, span_neg(b))
        if isinstance(op, ast.Mult):
            return span_mul(a, b)
        if isinstance(op, ast.Div):
            return span_div(a, b)
        if isinstance(op, ast.FloorDiv):
            return span_floor(span_div(a, b))
        if isinstance(op, ast.Mod):
            m = max(abs(b.low), abs(b.high))
            return Span(ZERO if a.low >= 0 else -m, ZERO if a.high <= 0 else m)
        return Span.everything()

    def boolop(self, node: ast.BoolOp) -> Abstract:
        values = [as_truth(self.eval(v)) for v in node.values]
        if isinstance(node.op, ast.And):
            return Truth(all(v.can_true for v in values), any(v.can_false for v in values))
        return Truth(any(v.can_true for v in values), all(v.can_false for v in values))

    def compare(self, node: ast.Compare) -> Abstract:
        results = []
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                choices = self.constants.get(comparator.id) if isinstance(
                    comparator, ast.Name) else None
                t = _member(left, choices) if isinstance(choices, frozenset) else BOTH
                results.append(Truth(t.can_false, t.can_true) if isinstance(op, ast.NotIn)
                               else t)
                left = self.eval(comparator)
                continue
            right = self.eval(comparator)
            results.append(_compare(op, left, right))
            left = right
        return Truth(all(r.can_true for r in results), any(r.can_false for r in results))

    # -- functions

    def call(self, name: str, node: ast.Call) -> Abstract:
        if name in ("count", "sum", "avg", "min_of", "max_of", "any", "all"):
            return self.aggregate(name, node)
        args = [self.eval(a) for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg}
        spans = [as_span(a) for a in args]
        if name == "min" and spans:
            return span_min(spans)
        if name == "max" and spans:
            return span_max(spans)
        if name == "abs" and spans:
            a = spans[0]
            if a.low >= 0:
                return a
            if a.high <= 0:
                return span_neg(a)
            return Span(ZERO, max(-a.low, a.high))
        if name == "clamp" and len(spans) == 3:
            x, low, high = spans
            inner = span_min([high, x])
            return span_max([low, inner])
        if name == "round" and spans:
            places = as_span(kwargs["places"]) if "places" in kwargs else (
                spans[1] if len(spans) > 1 else Span.point(ZERO))
            if places.is_point and places.low.is_finite() and 0 <= places.low <= 10:
                return span_round(spans[0], self.policy, int(places.low))
            return Span(span_floor(spans[0]).low, span_floor(spans[0], up=True).high)
        if name in ("floor", "ceil") and spans:
            return span_floor(spans[0], up=name == "ceil")
        if name == "ratio" and len(spans) >= 2:
            return self.ratio(spans, kwargs)
        if name == "band" and len(args) >= 3:
            return self.band(args, kwargs)
        if name == "days":
            return Span.everything()
        if name == "date":
            return Opaque("date")
        if name == "_pow" and len(spans) == 2:
            return _power(spans[0], spans[1])
        if name == "_result" and len(args) == 1:
            return args[0]  # a formula's value, refused when beyond the limits: the same range
        return TOP

    def ratio(self, spans: list[Span], kwargs: Mapping[str, Abstract]) -> Span:
        actual, target = spans[0], spans[1]
        cap = as_span(kwargs["cap"]) if "cap" in kwargs else (
            spans[2] if len(spans) > 2 else None)
        if target.low > 0 or target.high < 0:
            result = span_div(actual, target)
        elif target.is_point or (actual.low == 0 and actual.high == 0):
            result = Span.point(ZERO)  # ratio() gives 0 for a target of 0
        elif actual.low >= 0 and target.low >= 0:
            result = Span(ZERO, INF)  # targets near 0 make any quotient possible
        else:
            result = Span.everything()
        if cap is not None:
            result = span_min([result, cap])
        return result

    def band(self, args: list[Abstract], kwargs: Mapping[str, Abstract]) -> Abstract:
        x = as_span(args[0])
        edges, values = args[1], args[2]
        default = kwargs.get("default", args[3] if len(args) > 3 else Span.point(ZERO))
        if not isinstance(edges, Items) or not isinstance(values, Items) or \
                len(edges.items) != len(values.items):
            return TOP
        points = [as_span(e) for e in edges.items]
        if not all(p.is_point and p.low.is_finite() for p in points):
            result: Abstract = default
            for v in values.items:
                result = union(result, v)
            return result
        marks = [p.low for p in points]
        chosen: Abstract | None = None
        if x.low < min(marks):
            chosen = default
        for i, edge in enumerate(marks):
            later = [m for m in marks[i + 1:] if m > edge]
            upper = min(later) if later else INF
            if any(m <= edge for m in marks[i + 1:]):
                continue  # a later edge at or below this one always wins over it
            if x.high >= edge and x.low < upper:
                chosen = values.items[i] if chosen is None else union(chosen, values.items[i])
        return chosen if chosen is not None else default

    def aggregate(self, name: str, node: ast.Call) -> Abstract:
        subject = self.eval(node.args[0]) if node.args else TOP
        if not isinstance(subject, Records):
            return BOTH if name in ("any", "all") else Span.everything()
        where = ALWAYS
        default: Abstract = Span.point(ZERO)
        for kw in node.keywords:
            if kw.arg == "where":
                where = as_truth(self.per_record(subject, kw.value))
            elif kw.arg == "default":
                default = self.eval(kw.value)
        n = subject.length
        kmin = n.low if not where.can_false else ZERO
        kmax = n.high if where.can_true else ZERO
        chosen = Span(kmin, kmax)
        if name == "count":
            return chosen
        if name == "any":
            return Truth(kmax >= 1, kmin == 0)
        if name == "all":
            return Truth(n.low == 0 or not where.can_false,
                         n.high >= 1 and where.can_false)
        value = as_span(self.per_record(subject, node.args[1])) if len(node.args) > 1 \
            else Span.everything()
        if name == "sum":
            lows = [_mul(k, value.low) for k in (kmin, kmax)]
            highs = [_mul(k, value.high) for k in (kmin, kmax)]
            return Span(min(lows), max(highs))
        result: Abstract = value if kmax >= 1 else default
        if kmin == 0 and kmax >= 1:
            result = union(value, default)
        return result

    def per_record(self, subject: Records, node: ast.expr) -> Abstract:
        """A where= condition or a per-record value, over any one record."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return subject.fields.get(node.value.strip(), TOP)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "_bind" and node.args
                and isinstance(node.args[0], ast.Name)):
            return self.eval(node)
        flt = self.constants.get(node.args[0].id)
        if not isinstance(flt, Filter):
            return TOP
        formula = self.analysis.record_formula(flt.text, subject.list_id)
        if formula is None or formula.expression is None:
            return TOP
        env = {**self.env, **subject.fields}
        return _Walker(self.analysis, env, formula.constants).eval(formula.expression)


ALWAYS = Truth(True, False)


def _member(value: Abstract, choices: frozenset[Any]) -> Truth:
    if isinstance(value, Texts):
        texts = {c for c in choices if isinstance(c, str)}
        if value.values is None:
            return Truth(bool(texts), True)
        return Truth(bool(value.values & texts), bool(value.values - texts))
    if isinstance(value, (Span, Truth)):
        span = as_span(value)
        numbers = [c for c in choices if isinstance(c, Decimal) and not isinstance(c, bool)]
        hit = any(span.contains(c) for c in numbers)
        return Truth(hit, not (span.is_point and span.low in numbers))
    return BOTH


def _compare(op: ast.cmpop, left: Abstract, right: Abstract) -> Truth:
    if isinstance(op, (ast.Eq, ast.NotEq)):
        t = _equal(left, right)
        return t if isinstance(op, ast.Eq) else Truth(t.can_false, t.can_true)
    if isinstance(left, (Span, Truth)) and isinstance(right, (Span, Truth)):
        a, b = as_span(left), as_span(right)
        if isinstance(op, ast.Lt):
            return Truth(a.low < b.high, a.high >= b.low)
        if isinstance(op, ast.LtE):
            return Truth(a.low <= b.high, a.high > b.low)
        if isinstance(op, ast.Gt):
            return Truth(a.high > b.low, a.low <= b.high)
        if isinstance(op, ast.GtE):
            return Truth(a.high >= b.low, a.low < b.high)
    return BOTH


def _equal(left: Abstract, right: Abstract) -> Truth:
    if isinstance(left, (Span, Truth)) and isinstance(right, (Span, Truth)):
        a, b = as_span(left), as_span(right)
        overlap = a.low <= b.high and b.low <= a.high
        same_point = a.is_point and b.is_point and a.low == b.low
        return Truth(overlap, not same_point)
    if isinstance(left, Texts) and isinstance(right, Texts):
        if left.values is None or right.values is None:
            return BOTH
        overlap = bool(left.values & right.values)
        same = len(left.values) == 1 and left.values == right.values
        return Truth(overlap, not same)
    if isinstance(left, (Texts, Span, Truth)) and isinstance(right, (Texts, Span, Truth)):
        return Truth(False, True)  # text never equals a number
    return BOTH


def _power(base: Span, exponent: Span) -> Span:
    if not (exponent.is_point and exponent.low.is_finite()):
        return Span.everything()
    e = exponent.low
    if e != e.to_integral_value() or e < 0 or e > 100:
        return Span.everything() if base.low < 0 else Span(ZERO, INF)
    n = int(e)
    if n == 0:
        return Span.point(ONE)

    def p(x: Decimal) -> Decimal:
        return _CTX.power(x, n) if x.is_finite() else (x if n % 2 or x > 0 else INF)
    corners = [p(base.low), p(base.high)]
    low, high = min(corners), max(corners)
    if n % 2 == 0 and base.contains(ZERO):
        low = ZERO
    return Span(low, high)


# ----------------------------------------------------------------------------------------------
# The scheme


@dataclass(frozen=True, slots=True)
class NodeReach:
    """What a node can score for one category."""

    id: str
    category: str
    applicable: Truth  # whether the node can be applicable / not applicable
    raw: Span | None  # the formula's value (criterion) or the weighted sum (group), unrounded
    capped: Span | None  # rounded, capped at max and floored: before rules and vetoes
    points: Span | None  # final points when applicable (after rules and vetoes)
    max: Decimal | None


@dataclass(frozen=True, slots=True)
class RuleReach:
    id: str
    category: str
    applies: bool  # the rule's categories include this one
    condition: Truth
    amount: Span  # after the cap and rounding; 0 when it does not fire
    fires: Truth


@dataclass(frozen=True, slots=True)
class VetoReach:
    id: str
    category: str
    applies: bool
    fires: Truth


@dataclass(frozen=True, slots=True)
class LevelReach:
    rating: str
    level: str
    category: str
    by_points: bool  # the band can hold reachable points and the unit can stay at this level
    condition: Truth | None  # the level's `when`
    by_veto: bool  # a veto that can fire sets or limits the rating to this level


@dataclass(frozen=True, slots=True)
class RatingReach:
    rating: str
    category: str
    points: Span | None  # the rated node's reachable points (None: never applicable)
    uncovered: tuple[Interval, ...]  # reachable points no level's range holds


@dataclass
class Analysis:
    """The reachable values of a compiled scheme, per category."""

    plan: Plan
    scheme: Scheme = field(init=False)
    nodes: dict[tuple[str, str], NodeReach] = field(default_factory=dict)
    rules: dict[tuple[str, str], RuleReach] = field(default_factory=dict)
    vetoes: dict[tuple[str, str], VetoReach] = field(default_factory=dict)
    derived: dict[tuple[str, str], Abstract] = field(default_factory=dict)
    levels: dict[tuple[str, str, str], LevelReach] = field(default_factory=dict)
    ratings: dict[tuple[str, str], RatingReach] = field(default_factory=dict)
    _record_formulas: dict[tuple[str, str], Formula | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scheme = self.plan.scheme

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.scheme.categories)

    def node(self, category: str, node_id: str) -> NodeReach:
        return self.nodes[(category, node_id)]

    def formula(self, formula: Formula | Decimal, category: str,
                extra: Mapping[str, Abstract] | None = None) -> Abstract:
        """The values a compiled formula (or constant) can produce for a category."""
        if isinstance(formula, Decimal):
            return Span.point(formula)
        if formula.expression is None:
            return TOP
        env = dict(self._env(category))
        if extra:
            env.update(extra)
        with decimal.localcontext(_CTX):
            return _Walker(self, env, self.plan.globals).eval(formula.expression)

    def record_formula(self, text: str, list_id: str) -> Formula | None:
        """A where= condition or per-record expression, compiled again to read its tree."""
        key = (text, list_id)
        if key not in self._record_formulas:
            fact = self.scheme.fact(list_id)
            fields = {f.id: f for f in fact.fields} if fact is not None else {}
            known = {f.id: None for f in self.scheme.facts if not f.is_list}
            known.update({d.id: None for d in self.scheme.derived})
            known.update({n.id: None for n in self.scheme.nodes()})
            lists = {f.id: {x.id: x for x in f.fields} for f in self.scheme.facts if f.is_list}
            try:
                compiled: Formula | None = compile_tree(text, known=known, fields=fields,
                                                        known_lists=lists)
            except FormulaRejected:
                compiled = None
            self._record_formulas[key] = compiled
        return self._record_formulas[key]

    _envs: dict[str, dict[str, Abstract]] = field(default_factory=dict)

    def _env(self, category: str) -> dict[str, Abstract]:
        if category not in self._envs:
            env: dict[str, Abstract] = {}
            for fact in self.scheme.facts:
                fields = {f.id: declared(f) for f in fact.fields}
                env[fact.id] = declared(fact, fields)
            self._envs[category] = env
        return self._envs[category]


def analyse(plan: Plan) -> Analysis:
    """Run the interval analysis of a compiled scheme for every category."""
    analysis = Analysis(plan)
    for category in analysis.categories:
        _Category(analysis, category).run()
    return analysis


class _Category:
    def __init__(self, analysis: Analysis, category: str) -> None:
        self.a = analysis
        self.category = category
        self.scheme = analysis.scheme
        self.policy = analysis.scheme.policy
        self.own: dict[str, Truth] = {}  # node id -> its own `applicable` condition

    @property
    def env(self) -> dict[str, Abstract]:
        return self.a._env(self.category)

    def run(self) -> None:
        with decimal.localcontext(_CTX):
            for step in self.a.plan.steps:
                if isinstance(step, DerivedPlan):
                    value = self.a.formula(step.formula, self.category)
                    self.env[step.derived.id] = value
                    self.a.derived[(self.category, step.derived.id)] = value
                elif isinstance(step, RulePlan):
                    self.rule(step)
                elif isinstance(step, VetoPlan):
                    veto = step.veto
                    applies = veto.categories is None or self.category in veto.categories
                    fires = as_truth(self.a.formula(step.when, self.category)) if applies \
                        else Truth(False, True)
                    self.a.vetoes[(self.category, veto.id)] = VetoReach(
                        veto.id, self.category, applies, fires)
                elif isinstance(step, NodePlan):
                    self.node(step)
                elif isinstance(step, RatingPlan):
                    self.rating(step.rating)

    # -- rules

    def rule(self, plan: RulePlan) -> None:
        rule = plan.rule
        applies = rule.categories is None or self.category in rule.categories
        if not applies:
            self.a.rules[(self.category, rule.id)] = RuleReach(
                rule.id, self.category, False, Truth(False, True), Span.point(ZERO),
                Truth(False, True))
            return
        condition = as_truth(self.a.formula(plan.when, self.category)) if plan.when else ALWAYS
        each = as_span(self.a.formula(plan.points, self.category))
        if rule.range is not None:
            each = clip(each, rule.range[0], rule.range[1])
        requested = each
        if plan.per is not None:
            requested = span_mul(each, as_span(self.a.formula(plan.per, self.category)))
        amount = clip(requested, None, rule.cap)
        amount = clip(span_round(amount, self.policy), ZERO, None)
        if condition.never:
            amount = Span.point(ZERO)
        elif condition.can_false:
            amount = amount.with_zero()
        fires = Truth(condition.can_true and amount.high > 0,
                      condition.can_false or amount.low <= 0)
        self.a.rules[(self.category, rule.id)] = RuleReach(rule.id, self.category, True,
                                                           condition, amount, fires)

    # -- nodes

    def node(self, plan: NodePlan) -> None:
        node = plan.node
        cid = self.category
        maximum = node.max.get(cid) if node.max is not None else None
        fixed_na = any(n.applies_to is not None and cid not in n.applies_to for n in plan.path)
        own = Truth(True, False)
        if node.applicable:
            formula = next((f for owner, f in plan.applicable if owner == node.id), None)
            if formula is not None:
                own = as_truth(self.a.formula(formula, cid))
        if fixed_na:
            own = Truth(False, True)
        self.own[node.id] = own
        along = own
        for owner, formula in plan.applicable:
            if owner != node.id:
                t = as_truth(self.a.formula(formula, cid))
                along = Truth(along.can_true and t.can_true, along.can_false or t.can_false)
        if fixed_na:
            along = Truth(False, True)
        if along.never:
            self.a.nodes[(cid, node.id)] = NodeReach(node.id, cid, along, None, None, None,
                                                     maximum)
            self.env[node.id] = Span.point(ZERO)
            return
        full = Span.point(maximum if maximum is not None else ZERO)
        if node.is_group:
            raw = self.group_sum(node, maximum)
        elif plan.when is not None:
            t = as_truth(self.a.formula(plan.when, cid, {"full": full}))
            top = maximum if maximum is not None else ZERO
            raw = Span(ZERO if t.can_false else top, top if t.can_true else ZERO)
        else:
            assert plan.points is not None
            raw = as_span(self.a.formula(plan.points, cid, {"full": full}))
        capped = clip(span_round(raw, self.policy), node.floor, maximum)
        points = self.adjust(plan.rules, capped, node, maximum)
        for veto in plan.zeroed_by:
            fires = self.a.vetoes[(cid, veto.id)].fires
            if fires.always:
                points = Span.point(ZERO)
            elif fires.can_true:
                points = points.with_zero()
        self.a.nodes[(cid, node.id)] = NodeReach(node.id, cid, along, raw, capped, points,
                                                 maximum)
        self.env[node.id] = points.with_zero() if along.can_false else points

    def group_sum(self, node: Node, maximum: Decimal | None) -> Span:
        cid = self.category
        present: list[tuple[Node, Span, bool]] = []  # child, points, may be not applicable
        for child in node.children:
            reach = self.a.nodes.get((cid, child.id))
            own = self.own.get(child.id, Truth(False, True))
            if reach is None or reach.points is None or not own.can_true:
                continue
            present.append((child, reach.points, own.can_false))
        if not node.renormalize or maximum is None:
            total = Span.point(ZERO)
            for child, points, may_lack in present:
                part = span_mul(points, Span.point(child.weight))
                total = span_add(total, part.with_zero() if may_lack else part)
            return total
        optional = [i for i, (_, _, opt) in enumerate(present) if opt]
        if len(optional) > MAX_SUBSETS_OPTIONAL:
            return Span(ZERO, maximum)  # a renormalised group reaches at most its max
        result: Span | None = None
        for chosen in itertools.product((True, False), repeat=len(optional)):
            left_out = {i for i, keep in zip(optional, chosen, strict=True) if not keep}
            members = [p for i, p in enumerate(present) if i not in left_out]
            reachable = sum((_max(c, cid) * c.weight for c, _, _ in members), ZERO)
            factor = maximum / reachable if reachable > 0 and reachable != maximum else ONE
            total = Span.point(ZERO)
            for child, points, _ in members:
                part = span_mul(span_mul(points, Span.point(child.weight)), Span.point(factor))
                total = span_add(total, part)
            result = total if result is None else result.union(total)
        return result if result is not None else Span.point(ZERO)

    def adjust(self, rules: tuple[Adjustment, ...], value: Span, node: Node,
               maximum: Decimal | None) -> Span:
        if not rules:
            return value
        deductions = [r for r in rules if r.kind == "deduction"]
        bonuses = [r for r in rules if r.kind == "bonus"]
        taken = self.total(deductions, rules)
        lo = _CTX.subtract(value.low, taken.high)
        hi = _CTX.subtract(value.high, taken.low)
        if node.floor is not None:  # a deduction takes at most what is left above the floor
            lo, hi = max(lo, min(node.floor, value.low)), max(hi, min(node.floor, value.high))
        capped = [r for r in bonuses if not r.above_max]
        above = [r for r in bonuses if r.above_max]
        given = self.total(capped, rules)
        extra = self.total(above, rules)
        if maximum is None:
            lo, hi = _CTX.add(lo, _CTX.add(given.low, extra.low)), _CTX.add(
                hi, _CTX.add(given.high, extra.high))
        else:
            new_hi = max(hi, min(maximum, _CTX.add(hi, given.high)))
            new_lo = lo if above else max(lo, min(maximum, _CTX.add(lo, given.low)))
            lo, hi = _CTX.add(new_lo, extra.low), _CTX.add(new_hi, extra.high)
        return Span(lo, hi)

    def total(self, chosen: list[Adjustment], every: tuple[Adjustment, ...]) -> Span:
        """What a set of rules on one node can take or give in all (就高: the largest of an
        exclusive group)."""
        cid = self.category
        result = Span.point(ZERO)
        groups: dict[str, list[Adjustment]] = {}
        for rule in chosen:
            if rule.exclusive is None:
                result = span_add(result, self.a.rules[(cid, rule.id)].amount)
            else:
                groups.setdefault(rule.exclusive, []).append(rule)
        for name, members in groups.items():
            amounts = [self.a.rules[(cid, r.id)].amount for r in members]
            mixed = any(r.exclusive == name and r.kind != members[0].kind for r in every)
            low = ZERO if mixed else max(a.low for a in amounts)
            result = span_add(result, Span(low, max(a.high for a in amounts)))
        return result

    # -- ratings

    def rating(self, rating: Rating) -> None:
        cid = self.category
        if rating.derived_from or rating.of is None:
            return
        reach = self.a.nodes.get((cid, rating.of))
        points = reach.points if reach is not None else None
        ranged = [lv for lv in rating.levels if lv.range is not None]
        conditions: dict[str, Truth] = {}
        plan = next((s for s in self.a.plan.steps
                     if isinstance(s, RatingPlan) and s.rating.id == rating.id), None)
        for lv in rating.levels:
            formula = plan.level_conditions.get(lv.id) if plan is not None else None
            if formula is not None:
                conditions[lv.id] = as_truth(self.a.formula(formula, cid))
        by_veto: set[str] = set()
        for veto in self.scheme.vetoes:
            if not self.a.vetoes[(cid, veto.id)].fires.can_true:
                continue
            for effect in veto.effects:
                if effect.rating == rating.id and effect.kind in ("set", "at_most") and \
                        effect.level:
                    by_veto.add(effect.level)

        def needed(i: int) -> list[str]:
            return [ranged[i].id] if rating.assess == "band" else [lv.id for lv in ranged[i:]]

        def can_hold(i: int) -> bool:
            return all(conditions.get(lid, ALWAYS).can_true for lid in needed(i))

        def can_pass(i: int) -> bool:
            return any(conditions.get(lid, ALWAYS).can_false for lid in needed(i))

        for j, lv in enumerate(ranged):
            ok = False
            if points is not None and can_hold(j):
                for i in range(j + 1):
                    band = ranged[i].range
                    if band is not None and intersects(points, band) and all(
                            can_pass(k) for k in range(i, j)):
                        ok = True
                        break
            self.a.levels[(rating.id, lv.id, cid)] = LevelReach(
                rating.id, lv.id, cid, ok, conditions.get(lv.id), lv.id in by_veto)
        edges = [lv.range for lv in ranged if lv.range is not None]
        gaps = tuple(uncovered(points, edges)) if points is not None else ()
        self.a.ratings[(rating.id, cid)] = RatingReach(rating.id, cid, points, gaps)


def _max(node: Node, category: str) -> Decimal:
    value = node.max.get(category) if node.max is not None else None
    return value if value is not None else ZERO
