"""Evaluate one unit against a compiled plan: exact decimal points and a trace of every step.

Evaluation is pure: the plan is never changed and each unit gets a fresh value table, so one
compiled scheme can serve many threads. Nothing here formats text.
"""

from __future__ import annotations

import decimal
import hashlib
from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .compiler import DerivedPlan, NodePlan, Plan, RatingPlan, RulePlan, VetoPlan
from .errors import EvaluationError
from .facts import Subject
from .formula import Formula, FormulaRuntimeError
from .i18n import _
from .model import Adjustment, Node, Rating, Scheme, Veto
from .numeric import CONTEXT, ZERO, NumericPolicy, allocate
from .trace import (
    DerivedStep,
    Input,
    LevelCheck,
    Line,
    NodeStep,
    RatingStep,
    RuleStep,
    Step,
    VetoChange,
    VetoStep,
)

if TYPE_CHECKING:
    from .explain import Explanation


@dataclass(frozen=True, slots=True)
class Result:
    """What one unit scored: points per node, ratings, the rules that fired, and the trace."""

    unit: str
    name: str
    category: str
    total: Decimal
    points: Mapping[str, Decimal | None]  # None: not applicable
    ratings: Mapping[str, str | None]
    fired: tuple[str, ...]  # deductions, bonuses and vetoes that took effect
    award_eligible: bool
    steps: Sequence[Step]  # a tuple, or the same steps built on first use (_RecordedSteps)
    scheme_id: str
    scheme_version: str
    scheme_hash: str
    facts_digest: str
    reasons: Mapping[str, str]  # discretionary facts' justifications
    scheme: Scheme = field(repr=False, compare=False)

    def step(self, ref: str) -> Step | None:
        """The step that computed node, rule, veto, rating or derived value `ref`."""
        return next((s for s in self.steps if s.id == ref), None)

    def explain(self) -> Explanation:
        """The explanation tree, read from the trace."""
        from .explain import explain

        return explain(self)


class Points(Mapping[str, "Decimal | None"]):
    """A unit's points per node, read-only: one tuple of values beside an index of node ids
    shared by every unit of the scheme. A batch that reads only the total never pays for a
    dict of every node."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: tuple[Decimal | None, ...]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str) -> Decimal | None:
        return self._values[self._index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        position = self._index.get(key)
        return default if position is None else self._values[position]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> KeysView[str]:
        return self._index.keys()

    def values(self) -> ValuesView[Decimal | None]:
        return _PointValues(self)

    def items(self) -> ItemsView[str, Decimal | None]:
        return _PointItems(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(zip(self._index, self._values, strict=True)) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Points({dict(zip(self._index, self._values, strict=True))!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Points, (dict(self._index), self._values)


class _PointValues(ValuesView["Decimal | None"]):
    __slots__ = ()
    _mapping: Points

    def __iter__(self) -> Iterator[Decimal | None]:
        return iter(self._mapping._values)


class _PointItems(ItemsView[str, "Decimal | None"]):
    __slots__ = ()
    _mapping: Points

    def __iter__(self) -> Iterator[tuple[str, Decimal | None]]:
        return zip(self._mapping._index, self._mapping._values, strict=True)


@dataclass(frozen=True, slots=True)
class Scores:
    """What one unit scored, without the trace: the fast path for large batches."""

    unit: str
    name: str
    category: str
    total: Decimal
    points: Mapping[str, Decimal | None]
    ratings: Mapping[str, str | None]
    fired: tuple[str, ...]
    award_eligible: bool
    subject: Subject = field(repr=False, compare=False)

    @property
    def facts_digest(self) -> str:
        return self.subject.digest()


_NOT_RECORDED = object()


class _RecordedSteps(Sequence[Step]):
    """A unit's trace, built on first use from the formula values its compiled evaluation
    recorded: no formula runs again, and the steps are those `Evaluator.interpret` builds."""

    __slots__ = ("_evaluator", "_known", "_steps", "_subject")

    def __init__(self, evaluator: Evaluator, subject: Subject, known: Mapping[int, Any]) -> None:
        self._evaluator = evaluator
        self._subject = subject
        self._known = known
        self._steps: tuple[Step, ...] | None = None

    def _all(self) -> tuple[Step, ...]:
        steps = self._steps
        if steps is None:  # two threads may both build them: the same steps either way
            steps = tuple(self._evaluator._walk(self._subject, self._known).steps)
            self._steps = steps
        return steps

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Step]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (_RecordedSteps, tuple)):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return repr(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self._all(),))


class _Unit:
    """Per-unit working state; never shared."""

    __slots__ = ("applicable", "env", "known", "points", "ratings", "rules", "steps", "subject",
                 "vetoes")

    def __init__(self, subject: Subject, known: Mapping[int, Any] | None = None) -> None:
        self.subject = subject
        self.known = known  # formula values recorded by the compiled evaluation, by id(formula)
        self.env: dict[str, Any] = dict(subject.values)
        self.points: dict[str, Decimal | None] = {}
        self.rules: dict[str, RuleStep] = {}
        self.vetoes: dict[str, VetoStep] = {}
        self.ratings: dict[str, str | None] = {}
        self.steps: list[Step] = []
        self.applicable: dict[str, tuple[bool, tuple[Input, ...]]] = {}


class Evaluator:
    """Evaluates units against one plan. Immutable after construction."""

    def __init__(self, plan: Plan, scheme_hash: str = "") -> None:
        self.plan = plan
        self.scheme = plan.scheme
        self.policy = plan.scheme.policy
        self._globals = dict(plan.globals)
        self._nodes = {n.id: n for n in plan.scheme.nodes()}
        self._tracers: dict[str, Any] = {}  # category -> compiled evaluation, made on first use
        self.scheme_hash = scheme_hash or "sha256:" + hashlib.sha256(
            plan.scheme.text.encode("utf-8")).hexdigest()

    # -- helpers

    def _run(self, formula: Formula, u: _Unit, owner: str, where: Any) -> Any:
        if u.known is not None:
            value = u.known.get(id(formula), _NOT_RECORDED)
            if value is not _NOT_RECORDED:
                return value
        try:
            return formula.evaluate(self._globals, u.env)
        except (FormulaRuntimeError, ArithmeticError, TypeError, ValueError) as exc:
            raise EvaluationError(_describe(exc, formula.text), unit=u.subject.id, node=owner,
                                  location=where) from None

    def _number(self, formula: Formula | Decimal, u: _Unit, owner: str, where: Any) -> Decimal:
        if isinstance(formula, Decimal):
            return formula
        value = self._run(formula, u, owner, where)
        if isinstance(value, bool) or not isinstance(value, Decimal):
            raise EvaluationError(_("`{formula}` gave {value}, not a number").format(
                formula=formula.text, value=_show(value)),
                unit=u.subject.id, node=owner, location=where)
        return value

    def _condition(self, formula: Formula, u: _Unit, owner: str, where: Any) -> bool:
        value = self._run(formula, u, owner, where)
        if not isinstance(value, bool):
            raise EvaluationError(_("condition `{formula}` gave {value}, not true or false")
                                  .format(formula=formula.text, value=_show(value)),
                                  unit=u.subject.id, node=owner, location=where)
        return value

    @staticmethod
    def _inputs(u: _Unit, *formulas: Formula | Decimal | None) -> tuple[Input, ...]:
        seen: dict[str, Input] = {}
        for formula in formulas:
            if isinstance(formula, Formula):
                for name, _column in formula.name_columns:
                    if name not in seen and name in u.env:
                        seen[name] = Input(name, u.env[name])
        return tuple(seen.values())

    # -- the run

    def levels_held(self, subject: Subject) -> dict[str, list[str]]:
        """For each rating, the levels whose extra condition holds for this unit (every level
        is asked, not only those the banding reached). Roll-ups band again with these."""
        u = self._walk(subject)
        held: dict[str, list[str]] = {}
        with decimal.localcontext(CONTEXT):
            for step in self.plan.steps:
                if isinstance(step, RatingPlan):
                    rating = step.rating
                    held[rating.id] = [
                        lv.id for lv in rating.levels
                        if lv.id not in step.level_conditions or self._condition(
                            step.level_conditions[lv.id], u, rating.id, lv.formula_location)]
        return held

    def evaluate(self, subject: Subject) -> Result:
        """The unit's result with its full trace.

        The scheme compiled to Python (evalrules.codegen) computes the figures and records the
        value of every formula it runs; the steps of the trace are built from those values
        the first time they are read (`_RecordedSteps`), by the same code as `interpret`, so
        they are the steps `interpret` gives. A unit whose formulas fail goes through
        `interpret`, which raises the error with its place.
        """
        if not self._tracers:
            from .codegen import compile_tracers

            self._tracers.update(compile_tracers(self.plan))
        from .codegen import UNIT_ERRORS

        try:
            with decimal.localcontext(CONTEXT):
                points, ratings, fired, award, known = self._tracers[subject.category](
                    subject.values)
        except UNIT_ERRORS:
            return self.interpret(subject)
        total = points.get("total")
        return Result(
            unit=subject.id, name=subject.name, category=subject.category,
            total=total if total is not None else ZERO, points=MappingProxyType(points),
            ratings=MappingProxyType(ratings), fired=tuple(fired), award_eligible=award,
            steps=_RecordedSteps(self, subject, known), scheme_id=self.scheme.id,
            scheme_version=self.scheme.version, scheme_hash=self.scheme_hash,
            facts_digest=subject.digest(), reasons=subject.reasons, scheme=self.scheme)

    def interpret(self, subject: Subject) -> Result:
        """The unit's result, every formula evaluated and every step built as it goes."""
        u = self._walk(subject)
        return self._result(u)

    def _walk(self, subject: Subject, known: Mapping[int, Any] | None = None) -> _Unit:
        u = _Unit(subject, known)
        with decimal.localcontext(CONTEXT):
            for step in self.plan.steps:
                if isinstance(step, NodePlan):
                    self._node(step, u)
                elif isinstance(step, RulePlan):
                    self._rule(step, u)
                elif isinstance(step, VetoPlan):
                    self._veto(step, u)
                elif isinstance(step, RatingPlan):
                    self._rating(step, u)
                else:
                    self._derived(step, u)
        return u

    def _result(self, u: _Unit) -> Result:
        subject = u.subject
        applied = self._applied(u)
        fired = [s.id for s in u.steps if isinstance(s, RuleStep) and s.id in applied]
        fired += [s.id for s in u.steps if isinstance(s, VetoStep) and s.fired]
        no_award = any(u.vetoes[v.id].fired and any(e.kind == "no_award" for e in v.effects)
                       for v in self.scheme.vetoes if v.id in u.vetoes)
        total = u.points.get("total")
        return Result(
            unit=subject.id, name=subject.name, category=subject.category,
            total=total if total is not None else ZERO,
            points=MappingProxyType(dict(u.points)), ratings=MappingProxyType(dict(u.ratings)),
            fired=tuple(fired), award_eligible=not no_award, steps=tuple(u.steps),
            scheme_id=self.scheme.id, scheme_version=self.scheme.version,
            scheme_hash=self.scheme_hash, facts_digest=subject.digest(),
            reasons=subject.reasons, scheme=self.scheme)

    @staticmethod
    def _applied(u: _Unit) -> set[str]:
        """Rules that took effect on an applicable node and were not superseded."""
        out: set[str] = set()
        for step in u.steps:
            if isinstance(step, NodeStep):
                out.update(line.ref for line in step.lines
                           if line.kind in ("deduction", "bonus"))
        return out

    def _derived(self, plan: DerivedPlan, u: _Unit) -> None:
        d = plan.derived
        value = self._run(plan.formula, u, d.id, d.formula_location)
        u.env[d.id] = value
        u.steps.append(DerivedStep(d.id, d.formula, self._inputs(u, plan.formula), value,
                                   d.location))

    def _rule(self, plan: RulePlan, u: _Unit) -> None:
        rule = plan.rule
        applies = rule.categories is None or u.subject.category in rule.categories
        condition: bool | None = None
        each = count = requested = None
        amount = ZERO
        capped = False
        if applies:
            locs = rule.formula_locations
            condition = True
            if plan.when is not None:
                condition = self._condition(plan.when, u, rule.id, locs.get("when"))
            if condition:
                each = self._number(plan.points, u, rule.id, locs.get("points", rule.location))
                if rule.range is not None and not rule.range[0] <= each <= rule.range[1]:
                    message = (_("bonus `{id}` ({label}) gives {points} points, outside its "
                                 "range [{low}, {high}]") if rule.kind == "bonus" else
                               _("deduction `{id}` ({label}) gives {points} points, outside "
                                 "its range [{low}, {high}]"))
                    raise EvaluationError(
                        message.format(id=rule.id, label=rule.label, points=each,
                                       low=rule.range[0], high=rule.range[1]),
                        unit=u.subject.id, node=rule.id,
                        location=locs.get("points", rule.location))
                requested = each
                if plan.per is not None:
                    count = self._number(plan.per, u, rule.id, locs.get("per"))
                    requested = each * count
                amount = requested
                if rule.cap is not None and amount > rule.cap:
                    amount, capped = rule.cap, True
                amount = max(ZERO, self.policy.round(amount))
        step = RuleStep(rule.id, rule.kind, rule.applies_to, applies, condition,
                        self._inputs(u, plan.when, plan.points, plan.per), each, count,
                        requested, amount, capped, rule.location)
        u.rules[rule.id] = step
        u.steps.append(step)

    def _veto(self, plan: VetoPlan, u: _Unit) -> None:
        veto = plan.veto
        applies = veto.categories is None or u.subject.category in veto.categories
        fired = applies and self._condition(plan.when, u, veto.id, veto.formula_location)
        step = VetoStep(veto.id, applies, fired, self._inputs(u, plan.when), veto.location)
        u.vetoes[veto.id] = step
        u.steps.append(step)

    def _is_applicable(self, plan: NodePlan, u: _Unit) -> tuple[bool, str, tuple[Input, ...]]:
        category = u.subject.category
        for node in plan.path:
            if node.applies_to is not None and category not in node.applies_to:
                return False, "category", ()
        for owner, formula in plan.applicable:
            cached = u.applicable.get(owner)
            if cached is None:
                owner_node = self._nodes.get(owner)
                where = owner_node.formula_locations.get("applicable") if owner_node else None
                cached = (self._condition(formula, u, owner, where), self._inputs(u, formula))
                u.applicable[owner] = cached
            if not cached[0]:
                return False, f"condition:{owner}", cached[1]
        return True, "", ()

    def _node(self, plan: NodePlan, u: _Unit) -> None:
        node = plan.node
        category = u.subject.category
        applicable, why, cond_inputs = self._is_applicable(plan, u)
        maximum = node.max.get(category) if node.max is not None else None
        if not applicable:
            u.points[node.id] = None
            u.env[node.id] = ZERO
            owner = self._nodes.get(why.removeprefix("condition:")) if why != "category" else None
            condition_text = (owner.applicable or "") if owner is not None else ""
            u.steps.append(NodeStep(node.id, False, why, condition_text, cond_inputs, None,
                                    None, maximum, node.floor, None, (), (), None, None,
                                    node.location))
            return
        lines: list[Line] = []
        condition: bool | None = None
        factor: Decimal | None = None
        formula_text = ""
        inputs: tuple[Input, ...] = ()
        u.env["full"] = maximum if maximum is not None else ZERO
        where = node.formula_locations
        if node.is_group:
            children = [c for c in node.children if u.points.get(c.id) is not None]
            if node.renormalize and maximum is not None:
                reachable = sum((_max_of(c, category) * c.weight for c in children), ZERO)
                if reachable > 0 and reachable != maximum:
                    factor = maximum / reachable
            exact = [_child_points(u, c) * c.weight * (factor or 1) for c in children]
            raw = sum(exact, ZERO)
            value = self.policy.round(raw)
            shares = allocate(exact, value, self.policy.quantum)
            lines += [Line("child", share, c.id, e if e != share else None)
                      for c, share, e in zip(children, shares, exact, strict=True)]
        elif plan.when is not None:
            formula_text = node.when or ""
            inputs = self._inputs(u, plan.when)
            condition = self._condition(plan.when, u, node.id, where.get("when"))
            raw = (maximum or ZERO) if condition else ZERO
            value = self.policy.round(raw)
            lines.append(Line("condition", value, node.id))
        else:
            assert plan.points is not None
            formula_text = node.points if isinstance(node.points, str) else ""
            inputs = self._inputs(u, plan.points)
            raw = self._number(plan.points, u, node.id, where.get("points", node.location))
            value = self.policy.round(raw)
            lines.append(Line("formula", value, node.id, raw if raw != value else None))
        del u.env["full"]
        if maximum is not None and value > maximum:
            lines.append(Line("cap", self.policy.round(maximum - value)))
            value = self.policy.round(maximum)
        if node.floor is not None and value < node.floor:
            lines.append(Line("floor", self.policy.round(node.floor - value)))
            value = self.policy.round(node.floor)
        value, superseded = self._adjust(plan.rules, u, value, maximum, node, lines)
        for veto in plan.zeroed_by:
            if u.vetoes[veto.id].fired and value != 0:
                lines.append(Line("veto", -value, veto.id))
                value = self.policy.round(ZERO)
        self_score = None
        if node.self_score is not None:
            self_score = u.env.get(node.self_score)
        u.points[node.id] = value
        u.env[node.id] = value
        u.steps.append(NodeStep(node.id, True, "", formula_text, inputs, condition, raw,
                                maximum, node.floor, factor, tuple(lines), superseded, value,
                                self_score, node.location))

    def _adjust(self, rules: tuple[Adjustment, ...], u: _Unit, value: Decimal,
                maximum: Decimal | None, node: Node, lines: list[Line]
                ) -> tuple[Decimal, tuple[tuple[str, str], ...]]:
        fired = [(r, u.rules[r.id].amount) for r in rules if u.rules[r.id].fired]
        value, added, superseded = adjust(fired, value, node.floor, maximum, self.policy)
        lines += added
        return value, superseded

    def _rating(self, plan: RatingPlan, u: _Unit) -> None:
        rating = plan.rating
        points: Decimal | None = None
        band: str | None = None
        passed: list[LevelCheck] = []
        sources: tuple[tuple[str, str | None], ...] = ()
        if rating.derived_from:
            sources = tuple((s, u.ratings.get(s)) for s in rating.derived_from)
            level = combine(rating, [lv for _, lv in sources])
        else:
            points = u.points.get(rating.of or "total")
            level = None
            if points is not None:
                level, band, passed = self._band(plan, u, points)
        level, changes = apply_rating_vetoes(rating, level, plan.vetoes,
                                             lambda veto_id: u.vetoes[veto_id].fired)
        u.ratings[rating.id] = level
        u.steps.append(RatingStep(rating.id, points, band, tuple(passed), sources,
                                  tuple(changes), level, rating.location))

    def _band(self, plan: RatingPlan, u: _Unit, points: Decimal
              ) -> tuple[str | None, str | None, list[LevelCheck]]:
        rating = plan.rating
        holds: dict[str, tuple[bool, tuple[Input, ...]]] = {}

        def check(level_id: str) -> tuple[bool, tuple[Input, ...]]:
            if level_id not in holds:
                formula = plan.level_conditions.get(level_id)
                if formula is None:
                    holds[level_id] = (True, ())
                else:
                    lv = rating.level(level_id)
                    where = lv.formula_location if lv else rating.location
                    holds[level_id] = (self._condition(formula, u, rating.id, where),
                                       self._inputs(u, formula))
            return holds[level_id]

        level, band, passed = band_level(rating, points, lambda level_id: check(level_id)[0])
        return level, band, [LevelCheck(lv, failed, check(failed)[1]) for lv, failed in passed]


def band_level(rating: Rating, points: Decimal, holds: Callable[[str], bool]
               ) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """(level, band, passed over) for `points`: the band holding the points, then down to the
    first level whose condition holds (on a ladder, with every level below it).

    `passed over` lists (level, level whose condition failed). Conditions are asked lazily.
    """
    ranged = [lv for lv in rating.levels if lv.range is not None]
    start = next((i for i, lv in enumerate(ranged)
                  if lv.range is not None and points in lv.range), None)
    if start is None:
        return None, None, []
    passed: list[tuple[str, str]] = []
    for i in range(start, len(ranged)):
        level = ranged[i]
        needed = [level] if rating.assess == "band" else ranged[i:]
        failed = next((lv for lv in needed if not holds(lv.id)), None)
        if failed is None:
            return level.id, ranged[start].id, passed
        passed.append((level.id, failed.id))
    return None, ranged[start].id, passed


def apply_rating_vetoes(rating: Rating, level: str | None, vetoes: Sequence[Veto],
                        fired: Callable[[str], bool]) -> tuple[str | None, list[VetoChange]]:
    """The level after the fired vetoes' effects on `rating`: limits and blocks in order, then
    the worst forced level, whatever the order."""
    changes: list[VetoChange] = []
    forced: str | None = None
    for veto in vetoes:
        if not fired(veto.id):
            continue
        for effect in veto.effects:
            if effect.rating != rating.id:
                continue
            before = level
            if effect.kind == "set":
                if forced is None or rating.rank(effect.level or "") > rating.rank(forced):
                    forced = effect.level
                continue
            if effect.kind == "at_most" and effect.level is not None and level is not None \
                    and rating.rank(level) < rating.rank(effect.level):
                level = effect.level
            elif effect.kind == "block" and level in effect.levels:
                level = _below(rating, level, effect.levels)
            if level != before:
                changes.append(VetoChange(veto.id, effect.kind, before, level))
    if forced is not None:
        setter = next(v.id for v in vetoes if fired(v.id) and any(
            e.kind == "set" and e.rating == rating.id and e.level == forced for e in v.effects))
        changes.append(VetoChange(setter, "set", level, forced))
        level = forced
    return level, changes


def adjust(fired: Sequence[tuple[Adjustment, Decimal]], value: Decimal, floor: Decimal | None,
           maximum: Decimal | None, policy: NumericPolicy
           ) -> tuple[Decimal, list[Line], tuple[tuple[str, str], ...]]:
    """Apply a node's fired rules (declaration order, amount above 0): of each exclusive group
    only the largest (ties: the first); deductions first, each down to the floor at most; then
    bonuses, each up to the max at most unless `above_max`. Returns (value, lines, superseded)."""
    winners: dict[str, tuple[Adjustment, Decimal]] = {}
    for rule, amount in fired:  # 就高原则
        if rule.exclusive is not None:
            best = winners.get(rule.exclusive)
            if best is None or amount > best[1]:
                winners[rule.exclusive] = (rule, amount)
    superseded = tuple((rule.id, winners[rule.exclusive][0].id) for rule, _ in fired
                       if rule.exclusive is not None and winners[rule.exclusive][0] is not rule)
    taking = [(r, a) for r, a in fired if r.exclusive is None or winners[r.exclusive][0] is r]
    lines: list[Line] = []
    for rule, wanted in taking:
        if rule.kind != "deduction":
            continue
        room = value - floor if floor is not None else wanted
        take = policy.round(min(wanted, max(room, ZERO)))
        lines.append(Line("deduction", -take, rule.id, None, wanted if take != wanted else None))
        value -= take
    for rule, wanted in taking:
        if rule.kind != "bonus":
            continue
        give = wanted
        if maximum is not None and not rule.above_max:
            give = policy.round(min(wanted, max(maximum - value, ZERO)))
        lines.append(Line("bonus", give, rule.id, None, wanted if give != wanted else None))
        value += give
    return value, lines, superseded


def _max_of(node: Node, category: str) -> Decimal:
    value = node.max.get(category) if node.max is not None else None
    return value if value is not None else ZERO


def _child_points(u: _Unit, child: Node) -> Decimal:
    value = u.points[child.id]
    assert value is not None
    return value


def combine(rating: Rating, levels: list[str | None]) -> str | None:
    if any(lv is None for lv in levels):
        return None
    if rating.source is not None:
        return next((lv.id for lv in rating.levels if levels[0] in lv.includes), None)
    ranks = [rating.rank(lv) for lv in levels if lv is not None]
    pick = max(ranks) if rating.lowest_of else min(ranks)
    return rating.levels[pick].id if pick < len(rating.levels) else None


def _below(rating: Rating, level: str | None, blocked: tuple[str, ...]) -> str | None:
    """The best level below `level` that is not blocked."""
    start = rating.rank(level or "")
    for candidate in rating.levels[start + 1:]:
        if candidate.id not in blocked:
            return candidate.id
    return None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _("the text {text}").format(text=repr(value))
    if isinstance(value, tuple):
        return _("a list")
    return repr(value) if not isinstance(value, Decimal) else str(value)


def _describe(exc: Exception, text: str) -> str:
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return _("division by zero in `{formula}`").format(formula=text)
    if isinstance(exc, decimal.Overflow):
        return _("a number too large in `{formula}`").format(formula=text)
    if isinstance(exc, decimal.InvalidOperation):
        return _("an undefined operation (such as 0/0) in `{formula}`").format(formula=text)
    if isinstance(exc, TypeError):
        return _("values of different kinds are combined in `{formula}` (e.g. text and a "
                 "number)").format(formula=text)
    return _("{error} in `{formula}`").format(error=exc, formula=text)
