"""Test coverage: which parts of a scheme its embedded tests exercised.

Read from the results (and their traces) of the embedded tests, never recomputed: a criterion
is *exercised* when some test gave it less than its max (so its rule decided points), and
*reached full* when some test gave it its max; a rating level is reached when some test ends at
it; a deduction, bonus or veto when some test fired it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .diagnostics import Location
from .model import Scheme
from .testing import TestOutcome
from .trace import NodeStep


@dataclass(frozen=True, slots=True)
class CriterionCoverage:
    id: str
    label: str
    location: Location
    applicable: tuple[str, ...]  # tests in which the criterion was applicable
    full: tuple[str, ...]  # tests in which it got its max
    short: tuple[str, ...]  # tests in which it lost points

    @property
    def exercised(self) -> bool:
        return bool(self.short)


@dataclass(frozen=True, slots=True)
class ItemCoverage:
    """A rating level, a deduction, a bonus or a veto, and the tests that reached it."""

    kind: str  # "level" | "deduction" | "bonus" | "veto"
    id: str
    label: str
    owner: str  # the rating of a level, the node a rule applies to; "" for vetoes
    owner_label: str
    location: Location
    tests: tuple[str, ...]

    @property
    def exercised(self) -> bool:
        return bool(self.tests)


@dataclass(frozen=True, slots=True)
class Coverage:
    scheme_id: str
    title: str
    file: str
    tests: int
    evaluated: int  # tests that produced a result (facts fit, no evaluation error)
    passed: int
    criteria: tuple[CriterionCoverage, ...]
    levels: tuple[ItemCoverage, ...]
    rules: tuple[ItemCoverage, ...]
    vetoes: tuple[ItemCoverage, ...]

    def summary(self) -> list[tuple[str, int, int]]:
        """(what, covered, total) for each kind, in reporting order."""
        deductions = [r for r in self.rules if r.kind == "deduction"]
        bonuses = [r for r in self.rules if r.kind == "bonus"]
        return [
            ("criteria", sum(c.exercised for c in self.criteria), len(self.criteria)),
            ("criteria_full", sum(bool(c.full) for c in self.criteria), len(self.criteria)),
            ("levels", sum(i.exercised for i in self.levels), len(self.levels)),
            ("deductions", sum(i.exercised for i in deductions), len(deductions)),
            ("bonuses", sum(i.exercised for i in bonuses), len(bonuses)),
            ("vetoes", sum(i.exercised for i in self.vetoes), len(self.vetoes)),
        ]


def percent(covered: int, total: int) -> Decimal | None:
    """covered / total as a percentage with one decimal (None when there is nothing)."""
    if total == 0:
        return None
    return (Decimal(covered) * 100 / Decimal(total)).quantize(Decimal("0.1"),
                                                              rounding=ROUND_HALF_UP)


def coverage(scheme: Scheme, outcomes: Sequence[TestOutcome]) -> Coverage:
    """What the outcomes of `run_tests` exercised in `scheme`."""
    criteria = [n for n in scheme.nodes() if not n.is_group]
    applicable: dict[str, list[str]] = {n.id: [] for n in criteria}
    full: dict[str, list[str]] = {n.id: [] for n in criteria}
    short: dict[str, list[str]] = {n.id: [] for n in criteria}
    levels: dict[tuple[str, str], list[str]] = {
        (r.id, lv.id): [] for r in scheme.ratings for lv in r.levels}
    fired: dict[str, list[str]] = {r.id: [] for r in scheme.adjustments}
    fired.update({v.id: [] for v in scheme.vetoes})
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            continue
        for step in result.steps:
            if isinstance(step, NodeStep) and step.id in applicable and step.applicable:
                applicable[step.id].append(outcome.name)
                lost = step.lost
                if lost is not None and lost > 0:
                    short[step.id].append(outcome.name)
                else:
                    full[step.id].append(outcome.name)
        for rating_id, level in result.ratings.items():
            if level is not None and (rating_id, level) in levels:
                levels[(rating_id, level)].append(outcome.name)
        for item in result.fired:
            if item in fired:
                fired[item].append(outcome.name)
    return Coverage(
        scheme_id=scheme.id, title=scheme.title, file=scheme.file, tests=len(outcomes),
        evaluated=sum(o.result is not None for o in outcomes),
        passed=sum(o.passed for o in outcomes),
        criteria=tuple(CriterionCoverage(n.id, n.label, n.location, tuple(applicable[n.id]),
                                         tuple(full[n.id]), tuple(short[n.id]))
                       for n in criteria),
        levels=tuple(ItemCoverage("level", lv.id, lv.label, r.id, r.label, lv.location,
                                  tuple(levels[(r.id, lv.id)]))
                     for r in scheme.ratings for lv in r.levels),
        rules=tuple(ItemCoverage(r.kind, r.id, r.label, r.applies_to, _label(scheme, r.applies_to),
                                 r.location, tuple(fired[r.id])) for r in scheme.adjustments),
        vetoes=tuple(ItemCoverage("veto", v.id, v.label, "", "", v.location, tuple(fired[v.id]))
                     for v in scheme.vetoes))


def _label(scheme: Scheme, node_id: str) -> str:
    node = scheme.node(node_id)
    return node.label if node is not None else node_id
