"""The trace: one immutable step per value computed for a unit.

Steps are data, not text. The explainer arranges them into a tree and renderers print them;
neither recomputes anything, so an explanation can never disagree with its result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .diagnostics import Location


@dataclass(frozen=True, slots=True)
class Input:
    """A name a formula read, and the value it had."""

    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class Line:
    """One signed contribution to a node's points. A node's lines add up to its points.

    kind: "formula" (a criterion's value), "condition" (full marks or none), "child" (a
    child's weighted share), "cap", "floor", "deduction", "bonus", "veto".
    """

    kind: str
    amount: Decimal
    ref: str = ""
    exact: Decimal | None = None  # before rounding or allocation, where it differs
    requested: Decimal | None = None  # a rule's amount before the floor or max limited it


@dataclass(frozen=True, slots=True)
class DerivedStep:
    id: str
    formula: str
    inputs: tuple[Input, ...]
    value: Any
    location: Location


@dataclass(frozen=True, slots=True)
class NodeStep:
    id: str
    applicable: bool
    not_applicable: str  # "" | "category" | "condition:<node id>"
    formula: str
    inputs: tuple[Input, ...]
    condition: bool | None  # a `when` criterion's condition
    raw: Decimal | None  # exact value before rounding (formula or sum of contributions)
    max: Decimal | None
    floor: Decimal | None
    factor: Decimal | None  # renormalisation factor applied to the children
    lines: tuple[Line, ...]
    superseded: tuple[tuple[str, str], ...]  # (rule, rule that superseded it)
    points: Decimal | None
    self_score: Decimal | None
    location: Location

    @property
    def lost(self) -> Decimal | None:
        """Points short of the max (negative when bonuses lift the node above it)."""
        if self.max is None or self.points is None:
            return None
        return self.max - self.points


@dataclass(frozen=True, slots=True)
class RuleStep:
    """A deduction or bonus: whether its condition held and how much it asked for."""

    id: str
    kind: str
    target: str
    category_applies: bool
    condition: bool | None
    inputs: tuple[Input, ...]
    each: Decimal | None  # points per occurrence (or in all without `per`)
    count: Decimal | None  # occurrences from `per`
    requested: Decimal | None  # before the cap
    amount: Decimal  # after the cap, rounded; 0 when it did not fire
    capped: bool
    location: Location

    @property
    def fired(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True, slots=True)
class VetoStep:
    id: str
    category_applies: bool
    fired: bool
    inputs: tuple[Input, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class LevelCheck:
    """A level passed over: its `when` (or a lower level's, on a ladder) did not hold."""

    level: str
    failed: str  # id of the level whose condition failed
    inputs: tuple[Input, ...]


@dataclass(frozen=True, slots=True)
class VetoChange:
    veto: str
    effect: str  # "set" | "at_most" | "block"
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class RatingStep:
    id: str
    points: Decimal | None
    band: str | None  # the level whose range holds the points
    passed_over: tuple[LevelCheck, ...]
    sources: tuple[tuple[str, str | None], ...]  # derived ratings: (rating, its level)
    changes: tuple[VetoChange, ...]
    level: str | None
    location: Location


Step = DerivedStep | NodeStep | RuleStep | VetoStep | RatingStep
