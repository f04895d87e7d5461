"""Gaps: where a unit lost points, and the fewest improvements that reach the next level.

The losses are read from the unit's explanation (each criterion's `lost`, its rule and basis;
the deductions that took points; the vetoes that fired). The route to the next level is found
by evaluating the unit again with chosen criteria raised to their max: the scheme's own
evaluator on a plan in which those criteria score their max (no recomputation of the rules
here). The search is exact within a budget of evaluations:

1. Every candidate (an applicable criterion that lost points) is raised alone; its *gain* is
   what that adds to the rated node. If raising all candidates together does not reach the next
   level, no set does, and the reason is read from that evaluation (a veto, a level condition,
   or points that stay too low).
2. Greedy: raise the candidates by gain, largest first, until the level is reached. That gives
   an upper bound k on the size of the smallest set.
3. Exact: try every set of at most k candidates with a positive gain whose gains add up to at
   least the points still needed, smallest sets first; among the sets of the smallest size that
   reach the level, take the one that wins back the fewest points (then declaration order).
   When the budget runs out before the search is complete, the greedy set is reported and
   marked as such.

Limits: only criteria are raised (never facts, deductions or vetoes); a raised criterion counts
at its full max with no deduction of its own; skipping sets whose single gains add up to too
little assumes gains do not grow when combined (true for sums, caps and weights; rounding can
add a hundredth).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from .api import CompiledScheme
from .compiler import NodePlan, Plan
from .diagnostics import Location
from .evaluate import Evaluator, Result
from .explain import ExplainedInput, ExplainedNode, ExplainedRule, ExplainedVeto, Explanation
from .facts import Subject
from .model import Rating

DEFAULT_BUDGET = 2000


@dataclass(frozen=True, slots=True)
class Loss:
    id: str
    label: str
    parent: str  # the parent group's label
    points: Decimal
    max: Decimal
    lost: Decimal
    gain: Decimal | None  # what raising it alone adds to the rated node (None: not computed)
    kind: str  # "formula" | "condition" | "fixed"
    rule: str  # the formula or condition
    inputs: tuple[ExplainedInput, ...]
    basis: str
    location: Location


@dataclass(frozen=True, slots=True)
class Route:
    """The fewest criteria to raise to their max for the next level of a rating."""

    rating: str
    current: str | None
    target: str | None
    threshold: Decimal | None  # points of the rated node the target band starts at
    points: Decimal | None  # the rated node's points now
    reachable: bool
    reason: str  # "" | "best" | "no-level" | "veto" | "condition" | "sources" | "points"
    reason_refs: tuple[str, ...]  # vetoes, or the level whose condition fails
    raised: tuple[str, ...]  # criterion ids, declaration order
    points_after: Decimal | None
    total_after: Decimal | None
    level_after: str | None
    method: str  # "exact" | "greedy"
    tried: int  # evaluations made


@dataclass(frozen=True, slots=True)
class Gaps:
    explanation: Explanation
    rating: Rating | None
    losses: tuple[Loss, ...]
    deductions: tuple[ExplainedRule, ...]
    vetoes: tuple[ExplainedVeto, ...]
    route: Route | None


def raised_plan(plan: Plan, points: Mapping[str, Decimal]) -> Plan:
    """The plan in which the given criteria score the given points, with no rule or veto of
    their own."""
    steps = tuple(replace(s, points=points[s.node.id], when=None, rules=(), zeroed_by=())
                  if isinstance(s, NodePlan) and s.node.id in points else s
                  for s in plan.steps)
    return replace(plan, steps=steps)


class _Trials:
    def __init__(self, scheme: CompiledScheme, subject: Subject, maxima: Mapping[str, Decimal],
                 budget: int) -> None:
        self.scheme = scheme
        self.subject = subject
        self.maxima = maxima
        self.budget = budget
        self.tried = 0
        self.cache: dict[frozenset[str], Result] = {}

    def run(self, ids: Sequence[str]) -> Result:
        key = frozenset(ids)
        if key not in self.cache:
            self.tried += 1
            plan = raised_plan(self.scheme.plan, {i: self.maxima[i] for i in ids})
            self.cache[key] = Evaluator(plan, self.scheme.hash).evaluate(self.subject)
        return self.cache[key]

    @property
    def exhausted(self) -> bool:
        return self.tried >= self.budget


def default_rating(scheme: CompiledScheme) -> Rating | None:
    """The first rating that bands a node (the headline rating)."""
    return next((r for r in scheme.model.ratings if not r.derived_from), None)


def gaps(scheme: CompiledScheme, subject: Subject, rating_id: str | None = None,
         budget: int = DEFAULT_BUDGET) -> Gaps:
    result = scheme.evaluate(subject)
    explanation = result.explain()
    rating = scheme.model.rating(rating_id) if rating_id else default_rating(scheme)
    leaves = [n for n in explanation.root.walk() if n.kind == "criterion" and n.applicable
              and n.lost is not None and n.lost > 0 and n.max is not None]
    parents = {c.id: n.label for n in explanation.root.walk() for c in n.children}
    maxima = {n.id: n.max for n in leaves if n.max is not None}
    trials = _Trials(scheme, subject, maxima, budget)
    gains: dict[str, Decimal] = {}
    if rating is not None and rating.of is not None:
        base = result.points.get(rating.of)
        if base is not None:
            for n in leaves:
                after = trials.run([n.id]).points.get(rating.of)
                gains[n.id] = (after - base) if after is not None else Decimal(0)
    losses = [Loss(n.id, n.label, parents.get(n.id, ""), n.points or Decimal(0),
                   n.max or Decimal(0), n.lost or Decimal(0), gains.get(n.id), _kind(n),
                   n.formula, n.inputs, n.basis, n.location) for n in leaves]
    order = {n.id: i for i, n in enumerate(leaves)}
    losses.sort(key=lambda x: (-x.lost, order[x.id]))
    deductions = tuple(r for r in explanation.rules if r.kind == "deduction"
                       and r.status in ("applied", "limited") and r.applied > 0)
    vetoes = tuple(v for v in explanation.vetoes if v.fired)
    route = _route(result, rating, losses, gains, trials, order) if rating is not None else None
    return Gaps(explanation, rating, tuple(losses), deductions, vetoes, route)


def _kind(n: ExplainedNode) -> str:
    if n.condition is not None:
        return "condition"
    return "formula" if n.formula else "fixed"


def _route(result: Result, rating: Rating, losses: Sequence[Loss], gains: Mapping[str, Decimal],
           trials: _Trials, order: Mapping[str, int]) -> Route:
    current = result.ratings.get(rating.id)
    points = _node(result, rating)
    rank = rating.rank(current) if current is not None else len(rating.levels)
    # The nearest better level a unit can be banded into or fall to (not a veto-only level).
    better = [lv for lv in rating.levels[:rank] if lv.range is not None or rating.derived_from]
    target = better[-1] if better else None
    threshold: Decimal | None = None
    if target is not None and target.range is not None and target.range.low is not None:
        threshold = target.range.low if target.range.low_closed else \
            target.range.low + result.scheme.policy.quantum
    route = Route(rating=rating.id, current=current, target=target.id if target else None,
                  threshold=threshold, points=points, reachable=False, reason="",
                  reason_refs=(), raised=(), points_after=None, total_after=None,
                  level_after=None, method="exact", tried=trials.tried)
    if current is None:
        return replace(route, reason="no-level")
    if target is None:
        return replace(route, reason="best")
    target_rank = rating.rank(target.id)

    def reaches(r: Result) -> bool:
        level = r.ratings.get(rating.id)
        return level is not None and rating.rank(level) <= target_rank

    ids = [x.id for x in losses]
    everything = trials.run(ids)
    if not reaches(everything):
        reason, refs = _why_not(everything, rating)
        return replace(route, reason=reason, reason_refs=refs, tried=trials.tried,
                       points_after=_node(everything, rating), total_after=everything.total,
                       level_after=everything.ratings.get(rating.id))
    needed = (threshold - points) if threshold is not None and points is not None else None
    useful = [i for i in ids if gains.get(i, Decimal(1)) > 0]
    best: list[str] = []
    for i in sorted(useful, key=lambda i: (-gains.get(i, Decimal(0)), _lost(losses, i),
                                          order[i])):
        best.append(i)
        if reaches(trials.run(best)):
            break
    else:
        best = ids  # only the whole set works: the gains interact
    method = "exact"
    for size in range(1, len(best) + 1):
        found: list[tuple[Decimal, list[int], list[str]]] = []
        for combo in itertools.combinations(sorted(useful, key=order.__getitem__), size):
            if needed is not None and gains and sum(
                    (gains.get(i, Decimal(0)) for i in combo), Decimal(0)) < needed:
                continue
            if trials.exhausted and frozenset(combo) not in trials.cache:
                method = "greedy"
                break
            if reaches(trials.run(list(combo))):
                found.append((sum((_lost(losses, i) for i in combo), Decimal(0)),
                              [order[i] for i in combo], list(combo)))
        if method == "greedy":
            break
        if found:
            best = min(found)[2]
            break
    chosen = sorted(best, key=order.__getitem__)
    final = trials.run(chosen)
    return replace(route, reachable=True, raised=tuple(chosen),
                   points_after=_node(final, rating), total_after=final.total,
                   level_after=final.ratings.get(rating.id), method=method, tried=trials.tried)


def _lost(losses: Sequence[Loss], node_id: str) -> Decimal:
    return next(x.lost for x in losses if x.id == node_id)


def _node(result: Result, rating: Rating) -> Decimal | None:
    return result.points.get(rating.of) if rating.of else None


def _why_not(result: Result, rating: Rating) -> tuple[str, tuple[str, ...]]:
    """Why the unit stays below `target` even with every criterion at its max."""
    from .trace import RatingStep

    step = result.step(rating.id)
    if isinstance(step, RatingStep):
        if step.changes:
            return "veto", tuple(dict.fromkeys(c.veto for c in step.changes))
        failed = [c.failed for c in step.passed_over]
        if failed:
            return "condition", tuple(dict.fromkeys(failed))
        if step.sources:
            return "sources", tuple(s for s, _ in step.sources)
    return "points", ()
