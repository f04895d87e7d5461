"""The scheme model: frozen, typed objects built from a loaded document.

Building is tolerant: a part that the JSON Schema already rejected is skipped, so that the
meaning checks (ids, categories, bands, maxima) still run and every problem is reported in one
pass. Nothing past this module sees raw dicts.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .i18n import N_, _
from .numeric import NumericPolicy
from .yamlsource import Document

RESERVED_IDS = frozenset({"total", "full", "true", "false", "True", "False"})
ADJUSTMENT_KINDS = ("deduction", "bonus")


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval of points with explicit edges; None stands for an infinite end."""

    low: Decimal | None
    low_closed: bool
    high: Decimal | None
    high_closed: bool

    def __contains__(self, value: Decimal) -> bool:
        if self.low is not None and (value < self.low or (value == self.low
                                                          and not self.low_closed)):
            return False
        return not (self.high is not None and (value > self.high or (
            value == self.high and not self.high_closed)))

    def __str__(self) -> str:
        low = "-inf" if self.low is None else _plain(self.low)
        high = "+inf" if self.high is None else _plain(self.high)
        return f"{'[' if self.low_closed else '('}{low}, {high}{']' if self.high_closed else ')'}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


_INTERVAL = re.compile(r"\s*([\[(])\s*(-inf|[-+]?[0-9]+(?:\.[0-9]+)?)\s*,\s*"
                       r"(\+?inf|[-+]?[0-9]+(?:\.[0-9]+)?)\s*([\])])\s*")


def parse_interval(text: str) -> Interval | None:
    match = _INTERVAL.fullmatch(text)
    if match is None:
        return None
    left, low, high, right = match.groups()
    return Interval(None if low == "-inf" else Decimal(low), left == "[" and low != "-inf",
                    None if high.endswith("inf") else Decimal(high),
                    right == "]" and not high.endswith("inf"))


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of unit evaluated (e.g. one of the branch categories)."""

    id: str
    label: str
    description: str
    location: Location


@dataclass(frozen=True, slots=True)
class Field:
    """A field of each record of a list fact."""

    id: str
    label: str
    type: str
    unit: str
    min: Decimal | None
    max: Decimal | None
    values: tuple[tuple[str, str], ...]
    required: bool
    default: Any
    location: Location


@dataclass(frozen=True, slots=True)
class Fact:
    """An input a unit supplies: a value, or a list of records with fields."""

    id: str
    label: str
    type: str
    unit: str
    min: Decimal | None
    max: Decimal | None
    values: tuple[tuple[str, str], ...]  # enum (id, label)
    fields: tuple[Field, ...]
    required: bool
    has_default: bool
    default: Any
    source: str
    description: str
    location: Location

    @property
    def is_list(self) -> bool:
        return self.type == "list"


@dataclass(frozen=True, slots=True)
class Derived:
    """A named intermediate value computed from facts by a formula."""

    id: str
    label: str
    formula: str
    unit: str
    description: str
    location: Location
    formula_location: Location


@dataclass(frozen=True, slots=True)
class PerCategory:
    """A number that may differ per category; `default` applies to the others."""

    by_category: Mapping[str, Decimal]
    default: Decimal | None

    def get(self, category: str) -> Decimal | None:
        return self.by_category.get(category, self.default)

    def values(self) -> tuple[Decimal, ...]:
        out = tuple(self.by_category.values())
        return out + ((self.default,) if self.default is not None else ())


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the indicator tree: a criterion with points, or a group of children."""

    id: str
    label: str
    description: str
    basis: str
    tags: tuple[str, ...]
    max: PerCategory | None
    floor: Decimal | None
    weight: Decimal
    applies_to: frozenset[str] | None
    applicable: str | None
    renormalize: bool
    children: tuple[Node, ...]
    points: Decimal | str | None
    when: str | None
    self_score: str | None
    location: Location
    parent: str | None
    formula_locations: Mapping[str, Location] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return bool(self.children)

    def walk(self) -> Iterator[Node]:
        """This node and every descendant, parents first, in declaration order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A deduction (扣分) or a bonus (加分) on one node."""

    kind: str  # "deduction" | "bonus"
    id: str
    label: str
    description: str
    basis: str
    applies_to: str
    categories: frozenset[str] | None
    when: str | None
    points: Decimal | str
    per: str | None
    range: tuple[Decimal, Decimal] | None
    cap: Decimal | None
    uncapped: bool
    exclusive: str | None
    above_max: bool
    location: Location
    formula_locations: Mapping[str, Location] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VetoEffect:
    """What a veto does when it fires: zero a node, or limit, set or block a rating."""

    kind: str  # "zero" | "set" | "at_most" | "block" | "no_award"
    node: str | None = None
    rating: str | None = None
    level: str | None = None
    levels: tuple[str, ...] = ()
    location: Location = field(default_factory=Location)


@dataclass(frozen=True, slots=True)
class Veto:
    """A condition that alone zeroes a node or limits a rating (否决项)."""

    id: str
    label: str
    description: str
    basis: str
    categories: frozenset[str] | None
    when: str
    reason: str
    effects: tuple[VetoEffect, ...]
    location: Location
    formula_location: Location
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Level:
    """A level of a rating: a range of points and an optional extra condition."""

    id: str
    label: str
    description: str
    range: Interval | None
    when: str | None
    location: Location
    formula_location: Location
    includes: tuple[str, ...] = ()  # with Rating.source: the source levels mapped here


@dataclass(frozen=True, slots=True)
class Rating:
    """Bands on a node's points (stars, grades), or a rating derived from others."""

    id: str
    label: str
    description: str
    basis: str
    of: str | None
    assess: str
    levels: tuple[Level, ...]
    lowest_of: tuple[str, ...]
    highest_of: tuple[str, ...]
    location: Location
    source: str | None = None  # `from`: a rating whose levels are grouped into these

    @property
    def derived_from(self) -> tuple[str, ...]:
        return self.lowest_of or self.highest_of or ((self.source,) if self.source else ())

    def rank(self, level: str) -> int:
        """Position of a level, best first; unknown levels rank last."""
        for i, candidate in enumerate(self.levels):
            if candidate.id == level:
                return i
        return len(self.levels)

    def level(self, level_id: str) -> Level | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)


@dataclass(frozen=True, slots=True)
class SchemeTest:
    """An embedded test: facts in, expected points and ratings out."""

    name: str
    category: str
    facts: Mapping[str, Any]
    expect: Mapping[str, Any]
    location: Location
    facts_location: Location


@dataclass(frozen=True, slots=True)
class Rollup:
    """How the results of shorter periods become a longer period's (季评星, 年定级)."""

    id: str
    label: str
    description: str
    source: str  # "evaluation" or another roll-up's id
    to: str  # period kind
    method: str  # mean | sum | last | min | max | weighted
    weights: tuple[Decimal, ...]
    missing: str  # error | skip | zero
    ratings: tuple[str, ...]
    vetoes: str  # any | none
    location: Location


@dataclass(frozen=True, slots=True)
class Ranking:
    """An order of units by a node's points, overall or within each category."""

    id: str
    label: str
    of: str
    within: str  # all | category
    ties: str  # shared | dense
    tie_break: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Quota:
    """At most so many units (or such a share) may hold a rating level."""

    id: str
    label: str
    rating: str
    level: str
    count: int | None  # at most this many units ...
    share: Decimal | None  # ... or this share of them (30 for 30 %), rounded down
    within: str
    ranking: str
    location: Location


@dataclass(frozen=True, slots=True)
class Award:
    """The top N units of a ranking per period."""

    id: str
    label: str
    ranking: str
    top: int
    period: str  # period kind ("" = the evaluated period)
    within: str
    location: Location


@dataclass(frozen=True, slots=True)
class Rectification:
    """整改回头看: which deductions open an item, how long a unit has, and the facts that
    carry the unit's overdue items (filled from the store) and its rectified ones."""

    label: str
    opened_by: tuple[str, ...]
    within: int
    overdue: str
    closed_by: str | None
    location: Location


@dataclass(frozen=True, slots=True)
class Scheme:
    """A checked scheme: every reference resolves, every band is sound."""

    id: str
    title: str
    version: str
    effective: str
    owner: str
    description: str
    scale: Decimal
    policy: NumericPolicy
    categories: tuple[Category, ...]
    facts: tuple[Fact, ...]
    derived: tuple[Derived, ...]
    root: Node
    deductions: tuple[Adjustment, ...]
    bonuses: tuple[Adjustment, ...]
    vetoes: tuple[Veto, ...]
    ratings: tuple[Rating, ...]
    tests: tuple[SchemeTest, ...]
    file: str
    text: str
    evaluated_period: str = "month"
    rollups: tuple[Rollup, ...] = ()
    rankings: tuple[Ranking, ...] = ()
    quotas: tuple[Quota, ...] = ()
    awards: tuple[Award, ...] = ()
    rectification: Rectification | None = None

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return self.deductions + self.bonuses

    def nodes(self) -> Iterator[Node]:
        return self.root.walk()

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes() if n.id == node_id), None)

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def rating(self, rating_id: str) -> Rating | None:
        return next((r for r in self.ratings if r.id == rating_id), None)

    def rollup(self, rollup_id: str) -> Rollup | None:
        return next((r for r in self.rollups if r.id == rollup_id), None)

    def ranking(self, ranking_id: str) -> Ranking | None:
        return next((r for r in self.rankings if r.id == ranking_id), None)

    def period_of(self, source: str) -> str:
        """The period kind of an evaluation (`evaluation`) or of a roll-up's results."""
        if source == "evaluation":
            return self.evaluated_period
        rollup = self.rollup(source)
        return rollup.to if rollup is not None else ""


# ----------------------------------------------------------------------------------------------
# Building


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _opt_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _tags(value: Any) -> tuple[str, ...]:
    return tuple(t for t in value if isinstance(t, str)) if isinstance(value, list) else ()


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    return None


def _ids(value: Any) -> frozenset[str] | None:
    if not isinstance(value, list):
        return None
    return frozenset(v for v in value if isinstance(v, str))


def _enum_values(value: Any) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                out.append((item, item))
            elif isinstance(item, dict) and isinstance(item.get("id"), str):
                out.append((item["id"], _text(item.get("label")) or item["id"]))
    return tuple(out)


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Diagnostic] = []
        self.lines: list[str] | None = None  # the text's lines, split once when first needed

    def at(self, path: Path, *, key: bool = False) -> Location:
        return self.doc.locate(path, key=key)

    def formula_at(self, path: Path) -> Location:
        """Location of a formula's first character (after an opening quote, if any)."""
        loc = self.doc.locate(path)
        if self.lines is None:
            self.lines = self.doc.text.splitlines()
        lines = self.lines
        if loc.path == tuple(path) and 0 < loc.line <= len(lines):
            line = lines[loc.line - 1]
            if loc.column - 1 < len(line) and line[loc.column - 1] in "\"'":
                return Location(loc.file, loc.line, loc.column + 1, loc.path)
        return loc

    def problem(self, name: str, message: str, location: Location, hint: str = "",
                related: tuple[Location, ...] = ()) -> None:
        self.problems.append(dg.make(name, message, location, hint, related))

    def items(self, key: str) -> Iterator[tuple[Path, dict[str, Any]]]:
        data = self.doc.data
        seq = data.get(key) if isinstance(data, dict) else None
        if not isinstance(seq, list):
            return
        for i, item in enumerate(seq):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                yield (key, i), item

    # -- parts

    def field(self, path: Path, raw: dict[str, Any]) -> Field:
        return Field(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"], type=_text(raw.get("type")),
            unit=_text(raw.get("unit")), min=_number(raw.get("min")), max=_number(raw.get("max")),
            values=_enum_values(raw.get("values")), required=raw.get("required") is True,
            default=raw.get("default"), location=self.at(path))

    def fact(self, path: Path, raw: dict[str, Any]) -> Fact:
        fields = []
        raw_fields = raw.get("fields")
        if isinstance(raw_fields, list):
            for j, f in enumerate(raw_fields):
                if isinstance(f, dict) and isinstance(f.get("id"), str):
                    fields.append(self.field((*path, "fields", j), f))
        has_default = "default" in raw
        fact = Fact(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"], type=_text(raw.get("type")),
            unit=_text(raw.get("unit")), min=_number(raw.get("min")), max=_number(raw.get("max")),
            values=_enum_values(raw.get("values")), fields=tuple(fields),
            required=raw.get("required", not has_default) is True, has_default=has_default,
            default=raw.get("default"), source=_text(raw.get("source")),
            description=_text(raw.get("description")), location=self.at(path))
        self.check_fact(path, fact, raw)
        return fact

    def check_fact(self, path: Path, fact: Fact, raw: dict[str, Any]) -> None:
        where = self.at(path)
        if fact.min is not None and fact.max is not None and fact.min > fact.max:
            self.problem("bad-fact-declaration",
                         _("fact `{fact}` has min {low} above max {high}").format(
                             fact=fact.id, low=fact.min, high=fact.max),
                         self.at((*path, "min")), _("swap min and max"))
        if fact.type == "enum" and not fact.values:
            self.problem("bad-fact-declaration",
                         _("enum fact `{fact}` lists no `values`").format(fact=fact.id),
                         where, _("add `values: [a, b]` or values with id and label"))
        if fact.type == "list" and not fact.fields:
            self.problem("bad-fact-declaration",
                         _("list fact `{fact}` declares no `fields`").format(fact=fact.id),
                         where, _("add `fields:` describing each record"))
        if fact.type != "list" and fact.fields:
            self.problem("bad-fact-declaration",
                         _("fact `{fact}` has `fields` but is not a list").format(fact=fact.id),
                         self.at((*path, "fields"), key=True), _("set `type: list`"))
        if fact.type == "discretionary" and (fact.min is None or fact.max is None):
            self.problem("bad-fact-declaration",
                         _("discretionary fact `{fact}` needs both `min` and `max` (酌情扣分 is "
                           "always bounded)").format(fact=fact.id), where,
                         _("add e.g. `min: 0` and `max: 3`"))
        if raw.get("required") is True and fact.has_default:
            self.problem("bad-fact-declaration",
                         _("fact `{fact}` is required and has a default; a default is only "
                           "used for optional facts").format(fact=fact.id),
                         self.at((*path, "default"), key=True), _("remove one of them"))
        if fact.has_default and fact.default is not None:
            problem = check_value_shape(fact, fact.default)
            if problem:
                self.problem("bad-fact-declaration",
                             _("default of `{fact}`: {problem}").format(fact=fact.id,
                                                                        problem=problem),
                             self.at((*path, "default")), _("give a default of the fact's type"))
        seen: set[str] = set()
        for f in fact.fields:
            if f.id in seen:
                self.problem("duplicate-id",
                             _("field `{field}` is declared twice in `{fact}`").format(
                                 field=f.id, fact=fact.id), f.location, _("rename one of them"))
            seen.add(f.id)
            if f.type == "enum" and not f.values:
                self.problem("bad-fact-declaration",
                             _("enum field `{field}` lists no `values`").format(field=f.id),
                             f.location, _("add `values: [...]`"))

    def node(self, path: Path, raw: dict[str, Any], parent: str | None) -> Node:
        children: list[Node] = []
        raw_children = raw.get("children")
        if isinstance(raw_children, list):
            for j, child in enumerate(raw_children):
                if isinstance(child, dict) and isinstance(child.get("id"), str):
                    children.append(self.node((*path, "children", j), child, raw["id"]))
        points: Decimal | str | None = None
        raw_points = raw.get("points")
        if isinstance(raw_points, str):
            points = raw_points
        elif _number(raw_points) is not None:
            points = _number(raw_points)
        formula_locations = {key: self.formula_at((*path, key))
                             for key in ("points", "when", "applicable")
                             if isinstance(raw.get(key), str)}
        floor = _number(raw.get("floor")) if "floor" in raw else Decimal(0)
        weight = _number(raw.get("weight"))
        node = Node(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            description=_text(raw.get("description")), basis=_text(raw.get("basis")),
            tags=_tags(raw.get("tags")),
            max=self.per_category((*path, "max"), raw.get("max")),
            floor=floor, weight=weight if weight is not None else Decimal(1),
            applies_to=_ids(raw.get("applies_to")),
            applicable=raw.get("applicable") if isinstance(raw.get("applicable"), str) else None,
            renormalize=raw.get("renormalize") is True, children=tuple(children), points=points,
            when=raw.get("when") if isinstance(raw.get("when"), str) else None,
            self_score=raw.get("self_score") if isinstance(raw.get("self_score"), str) else None,
            location=self.at(path), parent=parent, formula_locations=formula_locations)
        shapes = [k for k in ("children", "points", "when") if k in raw]
        if len(shapes) != 1:
            message = _("node `{node}` has none of `children`, `points`, `when`") if not shapes \
                else _("node `{node}` has more than one of `children`, `points`, `when`")
            self.problem("criterion-shape", message.format(node=node.id), self.at(path),
                         _("a group has `children`; a criterion has `points` (a number or "
                           "formula) or `when` (a condition)"))
        elif shapes[0] != "children" and "max" not in raw:
            self.problem("missing-max", _("criterion `{node}` has no `max`").format(node=node.id),
                         self.at(path), _("add `max:` with the points it is worth"))
        if node.renormalize and not node.is_group:
            self.problem("criterion-shape",
                         _("`renormalize` on criterion `{node}` has no effect").format(
                             node=node.id), self.at((*path, "renormalize"), key=True),
                         _("put it on the group whose children may be not applicable"))
        return node

    def per_category(self, path: Path, raw: Any) -> PerCategory | None:
        number = _number(raw)
        if number is not None:
            return PerCategory({}, number)
        if isinstance(raw, dict):
            values = {k: _number(v) for k, v in raw.items() if isinstance(k, str)}
            clean = {k: v for k, v in values.items() if v is not None}
            default = clean.pop("default", None)
            return PerCategory(clean, default)
        return None

    def adjustment(self, kind: str, path: Path, raw: dict[str, Any]) -> Adjustment:
        points_raw = raw.get("points")
        points: Decimal | str = points_raw if isinstance(points_raw, str) else (
            _number(points_raw) or Decimal(0))
        rng = raw.get("range")
        bounds = None
        if isinstance(rng, list) and len(rng) == 2:
            low, high = _number(rng[0]), _number(rng[1])
            if low is not None and high is not None:
                bounds = (low, high)
                if low > high:
                    self.problem("bad-range", _("range [{low}, {high}] of `{rule}` is "
                                                "empty").format(low=low, high=high,
                                                                rule=raw["id"]),
                                 self.at((*path, "range")), _("write the lower bound first"))
        cap_raw = raw.get("cap")
        formula_locations = {key: self.formula_at((*path, key))
                             for key in ("points", "when", "per") if isinstance(raw.get(key), str)}
        adj = Adjustment(
            kind=kind, id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            description=_text(raw.get("description")), basis=_text(raw.get("basis")),
            applies_to=_opt_text(raw.get("applies_to")) or "total",
            categories=_ids(raw.get("categories")),
            when=raw.get("when") if isinstance(raw.get("when"), str) else None,
            points=points, per=raw.get("per") if isinstance(raw.get("per"), str) else None,
            range=bounds, cap=_number(cap_raw), uncapped=cap_raw == "none",
            exclusive=raw.get("exclusive") if isinstance(raw.get("exclusive"), str) else None,
            above_max=raw.get("above_max") is True, location=self.at(path),
            formula_locations=formula_locations, tags=_tags(raw.get("tags")))
        variable = isinstance(adj.points, str) or adj.per is not None
        if variable and adj.cap is None and not adj.uncapped:
            message = _("deduction `{rule}` computes its points but states no `cap`") \
                if kind == "deduction" else \
                _("bonus `{rule}` computes its points but states no `cap`")
            self.problem("missing-cap", message.format(rule=adj.id), self.at(path),
                         _("add `cap: N`, or `cap: none` to say it is uncapped on purpose "
                           "(上不封顶)"))
        return adj

    def veto(self, path: Path, raw: dict[str, Any]) -> Veto:
        effects: list[VetoEffect] = []
        raw_effects = raw.get("effects")
        if isinstance(raw_effects, list):
            for j, e in enumerate(raw_effects):
                if not isinstance(e, dict):
                    continue
                here = self.at((*path, "effects", j))
                keys = set(e)
                if keys == {"zero"} and isinstance(e["zero"], str):
                    effects.append(VetoEffect("zero", node=e["zero"], location=here))
                elif keys == {"no_award"}:
                    effects.append(VetoEffect("no_award", location=here))
                elif "rating" in keys and len(keys) == 2 and isinstance(e["rating"], str):
                    other = (keys - {"rating"}).pop()
                    if other in ("set", "at_most") and isinstance(e[other], str):
                        effects.append(VetoEffect(other, rating=e["rating"], level=e[other],
                                                  location=here))
                    elif other == "block" and isinstance(e[other], list):
                        effects.append(VetoEffect("block", rating=e["rating"], levels=tuple(
                            v for v in e[other] if isinstance(v, str)), location=here))
                    else:
                        self.bad_effect(here)
                else:
                    self.bad_effect(here)
        return Veto(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            description=_text(raw.get("description")), basis=_text(raw.get("basis")),
            categories=_ids(raw.get("categories")), when=_text(raw.get("when")),
            reason=_text(raw.get("reason")), effects=tuple(effects), location=self.at(path),
            formula_location=self.formula_at((*path, "when")), tags=_tags(raw.get("tags")))

    def bad_effect(self, where: Location) -> None:
        # Not formatted: the braces are YAML, not placeholders.
        self.problem("invalid-value", _("a veto effect must be one of {zero: NODE}, {rating: R, "
                                        "set: LEVEL}, {rating: R, at_most: LEVEL}, {rating: R, "
                                        "block: [LEVEL]}, {no_award: true}"),
                     where, _("write one effect per list item"))

    def rating(self, path: Path, raw: dict[str, Any]) -> Rating:
        levels: list[Level] = []
        raw_levels = raw.get("levels")
        if isinstance(raw_levels, list):
            for j, lv in enumerate(raw_levels):
                if not isinstance(lv, dict) or not isinstance(lv.get("id"), str):
                    continue
                lpath = (*path, "levels", j)
                interval = parse_interval(lv["range"]) if isinstance(lv.get("range"), str) \
                    else None
                if interval is not None and interval.low is not None and \
                        interval.high is not None and (interval.low > interval.high or (
                            interval.low == interval.high and not (
                                interval.low_closed and interval.high_closed))):
                    self.problem("bad-range", _("range {range} of level `{level}` holds no "
                                                "points").format(range=lv["range"],
                                                                 level=lv["id"]),
                                 self.at((*lpath, "range")),
                                 _("write the lower edge first, e.g. [80, 90)"))
                levels.append(Level(
                    id=lv["id"], label=_text(lv.get("label")) or lv["id"],
                    description=_text(lv.get("description")), range=interval,
                    when=lv.get("when") if isinstance(lv.get("when"), str) else None,
                    location=self.at(lpath), formula_location=self.formula_at((*lpath, "when")),
                    includes=_tags(lv.get("includes"))))
        lowest = tuple(v for v in raw.get("lowest_of", []) if isinstance(v, str)) \
            if isinstance(raw.get("lowest_of"), list) else ()
        highest = tuple(v for v in raw.get("highest_of", []) if isinstance(v, str)) \
            if isinstance(raw.get("highest_of"), list) else ()
        rating = Rating(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            description=_text(raw.get("description")), basis=_text(raw.get("basis")),
            of=raw.get("of") if isinstance(raw.get("of"), str) else None,
            assess="ladder" if raw.get("assess") == "ladder" else "band",
            levels=tuple(levels), lowest_of=lowest, highest_of=highest, location=self.at(path),
            source=_opt_text(raw.get("from")))
        kinds = [k for k in ("of", "lowest_of", "highest_of", "from") if k in raw]
        if not levels or len(kinds) > 1:
            self.problem("rating-shape", _("rating `{rating}` needs `levels` and at most one of "
                                           "`of` (a node to band), `lowest_of`, `highest_of` or "
                                           "`from`").format(rating=rating.id),
                         self.at(path), _("see docs/scheme-language.md#ratings"))
        if not rating.derived_from:
            rating = replace(rating, of=rating.of or "total")
        return rating

    def rollup(self, path: Path, raw: dict[str, Any]) -> Rollup:
        weights = tuple(w for w in (_number(v) for v in raw.get("weights", []))
                        if w is not None) if isinstance(raw.get("weights"), list) else ()
        return Rollup(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            description=_text(raw.get("description")), source=_text(raw.get("from")),
            to=_text(raw.get("to")), method=_text(raw.get("method")) or "mean",
            weights=weights, missing=_text(raw.get("missing")) or "error",
            ratings=_tags(raw.get("ratings")), vetoes=_text(raw.get("vetoes")) or "any",
            location=self.at(path))

    def rectification(self, raw: dict[str, Any]) -> Rectification | None:
        if not raw:
            return None
        within = raw.get("within")
        return Rectification(
            label=_text(raw.get("label")) or _("Follow-up review"),
            opened_by=_tags(raw.get("opened_by")),
            within=within if isinstance(within, int) and not isinstance(within, bool) else 1,
            overdue=_text(raw.get("overdue")), closed_by=_opt_text(raw.get("closed_by")),
            location=self.at(("rectification",)))

    def ranking(self, path: Path, raw: dict[str, Any]) -> Ranking:
        return Ranking(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            of=_text(raw.get("of")) or "total", within=_text(raw.get("within")) or "all",
            ties=_text(raw.get("ties")) or "shared", tie_break=_tags(raw.get("tie_break")),
            location=self.at(path))

    def quota(self, path: Path, raw: dict[str, Any]) -> Quota:
        limit = raw.get("at_most")
        count = limit if isinstance(limit, int) and not isinstance(limit, bool) else None
        share = Decimal(limit[:-1]) if isinstance(limit, str) and limit.endswith("%") \
            and limit[:-1].replace(".", "", 1).isdigit() else None
        return Quota(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            rating=_text(raw.get("rating")), level=_text(raw.get("level")), count=count,
            share=share, within=_text(raw.get("within")) or "all",
            ranking=_text(raw.get("ranking")), location=self.at(path))

    def award(self, path: Path, raw: dict[str, Any]) -> Award:
        top = raw.get("top")
        return Award(
            id=raw["id"], label=_text(raw.get("label")) or raw["id"],
            ranking=_text(raw.get("ranking")),
            top=top if isinstance(top, int) and not isinstance(top, bool) else 1,
            period=_text(raw.get("period")), within=_text(raw.get("within")) or "all",
            location=self.at(path))

    def test(self, path: Path, raw: dict[str, Any],
             earlier: Mapping[str, SchemeTest]) -> SchemeTest | None:
        if not isinstance(raw.get("name"), str):
            return None
        facts = _mapping(raw.get("facts"))
        category = _text(raw.get("category"))
        base_name = raw.get("extends")
        if isinstance(base_name, str):
            base = earlier.get(base_name)
            if base is None:
                self.problem("bad-test", _("test `{test}` extends `{base}`, which is not an "
                                           "earlier test").format(test=raw["name"],
                                                                  base=base_name),
                             self.at((*path, "extends")),
                             _did_you_mean(base_name, earlier) or
                             _("name a test declared above this one"))
            else:
                facts = {**base.facts, **facts}
                category = category or base.category
        elif not category:
            self.problem("bad-test", _("test `{test}` names no `category`").format(
                test=raw["name"]), self.at(path),
                _("add `category:`, or `extends:` an earlier test"))
        return SchemeTest(
            name=raw["name"], category=category, facts=facts,
            expect=_mapping(raw.get("expect")), location=self.at(path),
            facts_location=self.at((*path, "facts")))


def check_value_shape(fact: Fact | Field, value: Any) -> str:
    """Why `value` cannot be a value of `fact`'s type ('' when it can). Shape only, no range.

    The reason is in the current language."""
    kind = fact.type
    if kind in ("integer", "number", "discretionary"):
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return _("expected a number, got {value}").format(value=repr(value))
        if kind == "integer" and Decimal(value) != Decimal(value).to_integral_value():
            return _("expected a whole number, got {value}").format(value=value)
        return ""
    if kind == "boolean":
        return "" if isinstance(value, bool) else \
            _("expected true or false, got {value}").format(value=repr(value))
    if kind == "enum":
        ids = [v for v, _label in fact.values]
        return "" if str(value) in ids and not isinstance(value, bool) else \
            _("expected one of {options}, got {value}").format(options=", ".join(ids),
                                                               value=repr(value))
    if kind in ("text", "date"):
        return "" if isinstance(value, str) else \
            _("expected text, got {value}").format(value=repr(value))
    if kind == "list":
        return "" if isinstance(value, list) else \
            _("expected a list, got {value}").format(value=repr(value))
    return ""


def build_scheme(doc: Document, file: str) -> tuple[Scheme | None, list[Diagnostic]]:
    """Build the model and run the checks that need no formula parsing."""
    data = doc.data
    if not isinstance(data, dict):
        return None, []
    b = _Builder(doc)
    categories = tuple(Category(raw["id"], _text(raw.get("label")) or raw["id"],
                                _text(raw.get("description")), b.at(path))
                       for path, raw in b.items("categories"))
    facts = tuple(b.fact(path, raw) for path, raw in b.items("facts"))
    derived = tuple(Derived(raw["id"], _text(raw.get("label")) or raw["id"],
                            _text(raw.get("formula")), _text(raw.get("unit")),
                            _text(raw.get("description")), b.at(path),
                            b.formula_at((*path, "formula")))
                    for path, raw in b.items("derived"))
    total_raw = _mapping(data.get("total"))
    scale = _number(data.get("scale")) or Decimal(100)
    children = tuple(b.node(path, raw, "total") for path, raw in b.items("indicators"))
    root = Node(id="total", label=_text(total_raw.get("label")) or _("Total"),
                description=_text(total_raw.get("description")),
                basis=_text(total_raw.get("basis")), tags=(), max=PerCategory({}, scale),
                floor=Decimal(0), weight=Decimal(1), applies_to=None, applicable=None,
                renormalize=False, children=children, points=None, when=None, self_score=None,
                location=b.at(("indicators",), key=True), parent=None)
    deductions = tuple(b.adjustment("deduction", path, raw) for path, raw in b.items("deductions"))
    bonuses = tuple(b.adjustment("bonus", path, raw) for path, raw in b.items("bonuses"))
    vetoes = tuple(b.veto(path, raw) for path, raw in b.items("vetoes"))
    ratings = tuple(b.rating(path, raw) for path, raw in b.items("ratings"))
    tests: list[SchemeTest] = []
    raw_tests = data.get("tests")
    if isinstance(raw_tests, list):
        for i, raw in enumerate(raw_tests):
            if isinstance(raw, dict):
                t = b.test(("tests", i), raw, {earlier.name: earlier for earlier in tests})
                if t is not None:
                    tests.append(t)
    numeric = _mapping(data.get("numeric"))
    places = numeric.get("places", 2)
    rounding = numeric.get("rounding", "half_up")
    policy = NumericPolicy(places if isinstance(places, int) and 0 <= places <= 6 else 2,
                           rounding if isinstance(rounding, str) and rounding in (
                               "half_up", "half_even", "half_down", "up", "down", "ceiling",
                               "floor") else "half_up")
    periods = _mapping(data.get("periods"))
    evaluated = periods.get("evaluated") if periods.get("evaluated") in (
        "month", "quarter", "half", "year") else "month"
    scheme = Scheme(
        id=_text(data.get("id")), title=_text(data.get("title")),
        version=_text(data.get("version")), effective=_text(data.get("effective")),
        owner=_text(data.get("owner")), description=_text(data.get("description")),
        scale=scale, policy=policy, categories=categories, facts=facts, derived=derived,
        root=root, deductions=deductions, bonuses=bonuses, vetoes=vetoes, ratings=ratings,
        tests=tuple(tests), file=file, text=doc.text, evaluated_period=str(evaluated),
        rollups=tuple(b.rollup(path, raw) for path, raw in b.items("rollups")),
        rankings=tuple(b.ranking(path, raw) for path, raw in b.items("rankings")),
        quotas=tuple(b.quota(path, raw) for path, raw in b.items("quotas")),
        awards=tuple(b.award(path, raw) for path, raw in b.items("awards")),
        rectification=b.rectification(_mapping(data.get("rectification"))))
    _check_meaning(scheme, b)
    _check_periods(scheme, b)
    check_rectification(scheme, b)
    check_period_facts(scheme, b, "periods" in data)
    return scheme, b.problems


# ----------------------------------------------------------------------------------------------
# Meaning checks that need no formulas


def _check_meaning(scheme: Scheme, b: _Builder) -> None:
    category_ids = [c.id for c in scheme.categories]
    _check_unique(b, N_("category `{id}` is declared twice (first at line {line})"),
                  [(c.id, c.location) for c in scheme.categories])
    named: list[tuple[str, Location]] = []
    named += [(f.id, f.location) for f in scheme.facts]
    named += [(d.id, d.location) for d in scheme.derived]
    named += [(n.id, n.location) for n in scheme.root.children for n in n.walk()]
    named += [(a.id, a.location) for a in scheme.adjustments]
    named += [(v.id, v.location) for v in scheme.vetoes]
    named += [(r.id, r.location) for r in scheme.ratings]
    _check_unique(b, _DECLARED_TWICE, named)
    for name, where in named:
        if name in RESERVED_IDS:
            b.problem("reserved-id", _("`{id}` is reserved by the language").format(id=name),
                      where, _("choose another id"))

    def check_categories(ids: frozenset[str] | None, where: Location) -> None:
        for cid in sorted(ids or ()):
            if cid not in category_ids:
                b.problem("unknown-category",
                          _("unknown category `{category}`").format(category=cid), where,
                          _did_you_mean(cid, category_ids) or _declared_categories(category_ids))

    node_ids = {n.id: n for n in scheme.nodes()}
    for node in scheme.nodes():
        check_categories(node.applies_to, node.location)
        if node.max is not None:
            for cid in node.max.by_category:
                if cid not in category_ids:
                    b.problem("unknown-category",
                              _("`max` of `{node}` names unknown category `{category}`").format(
                                  node=node.id, category=cid), node.location,
                              _did_you_mean(cid, category_ids) or
                              _declared_categories(category_ids))
            if node.max.default is None and set(node.max.by_category) != set(category_ids) and \
                    node.max.by_category:
                missing = [c for c in category_ids if c not in node.max.by_category
                           and (node.applies_to is None or c in node.applies_to)]
                if missing:
                    b.problem("missing-max",
                              _("`max` of `{node}` gives no value for {categories}").format(
                                  node=node.id, categories=", ".join(missing)), node.location,
                              _("add those categories or a `default:`"))
        if node.self_score is not None:
            fact = scheme.fact(node.self_score)
            if fact is None or fact.type not in ("number", "integer"):
                b.problem("bad-self-score",
                          _("self_score of `{node}` must name a number fact, not "
                            "`{fact}`").format(node=node.id, fact=node.self_score),
                          node.location,
                          _("declare a fact of type number holding the unit's own score"))
        if node.is_group:
            _check_children_max(scheme, node, b)
    for adj in scheme.adjustments:
        check_categories(adj.categories, adj.location)
        if adj.applies_to not in node_ids:
            message = _("deduction `{rule}` applies to unknown node `{node}`") \
                if adj.kind == "deduction" else \
                _("bonus `{rule}` applies to unknown node `{node}`")
            b.problem("unknown-node", message.format(rule=adj.id, node=adj.applies_to),
                      adj.location,
                      _did_you_mean(adj.applies_to, node_ids) or _("use the id of an indicator"))
    rating_ids = {r.id: r for r in scheme.ratings}
    for veto in scheme.vetoes:
        check_categories(veto.categories, veto.location)
        for effect in veto.effects:
            if effect.kind == "zero" and effect.node not in node_ids:
                b.problem("unknown-node", _("veto `{veto}` zeroes unknown node `{node}`").format(
                    veto=veto.id, node=effect.node), effect.location,
                    _did_you_mean(effect.node or "", node_ids) or
                    _("use the id of an indicator"))
            if effect.rating is not None:
                rating = rating_ids.get(effect.rating)
                if rating is None:
                    b.problem("unknown-rating",
                              _("veto `{veto}` names unknown rating `{rating}`").format(
                                  veto=veto.id, rating=effect.rating), effect.location,
                              _did_you_mean(effect.rating, rating_ids) or
                              _declared_ratings(rating_ids))
                    continue
                level_ids = [lv.id for lv in rating.levels]
                for level in ((effect.level,) if effect.level else effect.levels):
                    if level not in level_ids:
                        b.problem("unknown-level",
                                  _("rating `{rating}` has no level `{level}`").format(
                                      rating=rating.id, level=level), effect.location,
                                  _("levels: {levels}").format(levels=", ".join(level_ids)))
    for rating in scheme.ratings:
        _check_unique(b, N_("level `{id}` is declared twice (first at line {line})"),
                      [(lv.id, lv.location) for lv in rating.levels])
        if rating.derived_from:
            for source in rating.derived_from:
                other = rating_ids.get(source)
                if other is None or other is rating:
                    b.problem("bad-derived-rating",
                              _("rating `{rating}` derives from unknown rating `{source}`").format(
                                  rating=rating.id, source=source), rating.location,
                              _did_you_mean(source, rating_ids) or _("name declared ratings"))
                    continue
                if rating.source is not None:
                    _check_mapping(rating, other, b)
                    continue
                missing = [lv.id for lv in other.levels if rating.level(lv.id) is None]
                if missing:
                    b.problem("bad-derived-rating",
                              _("levels {levels} of `{source}` are not levels of `{rating}`, so "
                                "they cannot be compared").format(
                                  levels=", ".join(missing), source=source, rating=rating.id),
                              rating.location,
                              _("add them to the levels of `{rating}`").format(rating=rating.id))
        else:
            if rating.of not in node_ids:
                b.problem("unknown-node", _("rating `{rating}` bands unknown node `{node}`").format(
                    rating=rating.id, node=rating.of), rating.location,
                    _did_you_mean(rating.of or "", node_ids) or _("use an indicator id"))
            _check_bands(rating, b)
    for test in scheme.tests:
        if test.category and test.category not in category_ids:
            b.problem("unknown-category",
                      _("test `{test}` uses unknown category `{category}`").format(
                          test=test.name, category=test.category), test.location,
                      _did_you_mean(test.category, category_ids) or
                      _declared_categories(category_ids))


def _did_you_mean(word: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return _("did you mean `{name}`?").format(name=close[0]) if close else ""


def _declared_categories(ids: list[str]) -> str:
    return _("declared categories: {ids}").format(ids=", ".join(ids))


def _declared_ratings(ids: Any) -> str:
    return _("ratings: {ids}").format(ids=", ".join(ids) or _("none declared"))


_DECLARED_TWICE = N_("id `{id}` is declared twice (first at line {line})")


def _check_unique(b: _Builder, message: str, items: list[tuple[str, Location]]) -> None:
    """One `duplicate-id` per repeated id; `message` (marked with N_) has {id} and {line}."""
    first: dict[str, Location] = {}
    for name, where in items:
        if name in first:
            b.problem("duplicate-id", _(message).format(id=name, line=first[name].line), where,
                      _("give each declaration its own id"), related=(first[name],))
        else:
            first[name] = where


def _check_children_max(scheme: Scheme, node: Node, b: _Builder) -> None:
    if node.max is None:
        return
    for category in scheme.categories:
        cid = category.id
        if node.applies_to is not None and cid not in node.applies_to:
            continue
        group_max = node.max.get(cid)
        if group_max is None:
            continue
        total = Decimal(0)
        for child in node.children:
            if child.applies_to is not None and cid not in child.applies_to:
                continue
            child_max = child.max.get(cid) if child.max is not None else None
            if child_max is None:
                continue
            weighted = child_max * child.weight
            total += weighted
            if weighted > group_max:
                b.problem("children-exceed-max",
                          _("`{child}` can give {points} points, more than its group `{group}` "
                            "allows ({max}) for {category}").format(
                              child=child.id, points=_plain(weighted), group=node.id,
                              max=_plain(group_max), category=category.label),
                          child.location,
                          _("lower the max of `{child}` or raise the max of `{group}`").format(
                              child=child.id, group=node.id))
        if total > group_max and not node.renormalize:
            b.problem("max-below-children",
                      _("the children of `{group}` add up to {total} points for {category}, "
                        "more than its max {max}; the group caps them").format(
                          group=node.id, total=_plain(total), category=category.label,
                          max=_plain(group_max)), node.location,
                      _("make the maxima add up, or keep the cap on purpose"))


def _check_bands(rating: Rating, b: _Builder) -> None:
    ranged = [lv for lv in rating.levels if lv.range is not None]
    for i, first in enumerate(ranged):
        for second in ranged[i + 1:]:
            assert first.range is not None and second.range is not None
            if _overlap(first.range, second.range):
                b.problem("bands-overlap",
                          _("levels `{first}` {first_range} and `{second}` {second_range} of "
                            "`{rating}` overlap").format(
                              first=first.id, first_range=first.range, second=second.id,
                              second_range=second.range, rating=rating.id),
                          second.location, _("make each edge inclusive on one side only, "
                                             "e.g. [80, 90) and [90, 100]"),
                          related=(first.location,))
    ordered = sorted(ranged, key=lambda lv: _low_key(lv.range))
    for lower, upper in itertools.pairwise(ordered):
        assert lower.range is not None and upper.range is not None
        if _overlap(lower.range, upper.range):
            continue
        hi, lo = lower.range, upper.range
        touching = hi.high is not None and lo.low is not None and hi.high == lo.low and (
            hi.high_closed != lo.low_closed)
        if not touching:
            b.problem("bands-gap",
                      _("points between `{lower}` {lower_range} and `{upper}` {upper_range} of "
                        "`{rating}` belong to no level").format(
                          lower=lower.id, lower_range=lower.range, upper=upper.id,
                          upper_range=upper.range, rating=rating.id),
                      upper.location, _("let one range start exactly where the other ends, "
                                        "inclusive on one side: [80, 90) then [90, 100]"),
                      related=(lower.location,))


def _low_key(interval: Interval | None) -> tuple[int, Decimal, int]:
    assert interval is not None
    if interval.low is None:
        return (0, Decimal(0), 0)
    return (1, interval.low, 0 if interval.low_closed else 1)


def _overlap(a: Interval, b: Interval) -> bool:
    """Whether two intervals share at least one point."""
    def below(x: Interval, y: Interval) -> bool:  # x lies entirely below y
        if x.high is None or y.low is None:
            return False
        return x.high < y.low or (x.high == y.low and not (x.high_closed and y.low_closed))
    return not (below(a, b) or below(b, a))


def _check_mapping(rating: Rating, source: Rating, b: _Builder) -> None:
    """Each level of the source rating must map to exactly one level of `rating`."""
    owner: dict[str, str] = {}
    for level in rating.levels:
        for included in level.includes:
            if source.level(included) is None:
                b.problem("bad-derived-rating",
                          _("level `{level}` of `{rating}` includes `{included}`, which is not a "
                            "level of `{source}`").format(level=level.id, rating=rating.id,
                                                          included=included, source=source.id),
                          level.location,
                          _("levels of `{source}`: {levels}").format(
                              source=source.id, levels=", ".join(lv.id for lv in source.levels)))
            elif included in owner:
                b.problem("bad-derived-rating",
                          _("level `{included}` of `{source}` is included by both `{first}` and "
                            "`{second}`").format(included=included, source=source.id,
                                                 first=owner[included], second=level.id),
                          level.location, _("include each source level once"))
            else:
                owner[included] = level.id
    missing = [lv.id for lv in source.levels if lv.id not in owner]
    if missing:
        b.problem("bad-derived-rating",
                  _("levels {levels} of `{source}` map to no level of `{rating}`").format(
                      levels=", ".join(missing), source=source.id, rating=rating.id),
                  rating.location, _("list them under `includes` of one level"))


_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _check_periods(scheme: Scheme, b: _Builder) -> None:
    """Roll-ups, rankings, quotas and awards name things that exist and periods that nest."""
    node_ids = [n.id for n in scheme.nodes()]
    rating_ids = [r.id for r in scheme.ratings]
    ranking_ids = [r.id for r in scheme.rankings]
    named = [(r.id, r.location) for r in scheme.rollups]
    named += [(r.id, r.location) for r in scheme.rankings]
    named += [(q.id, q.location) for q in scheme.quotas]
    named += [(a.id, a.location) for a in scheme.awards]
    _check_unique(b, _DECLARED_TWICE, named)
    seen: list[str] = []
    for rollup in scheme.rollups:
        source_kind = scheme.period_of(rollup.source) if (
            rollup.source == "evaluation" or rollup.source in seen) else ""
        if not source_kind:
            b.problem("unknown-rollup",
                      _("roll-up `{rollup}` rolls up `{source}`, which is neither `evaluation` "
                        "nor a roll-up declared above it").format(rollup=rollup.id,
                                                                  source=rollup.source),
                      rollup.location, _did_you_mean(rollup.source, ["evaluation", *seen]) or
                      _("write `from: evaluation` or the id of an earlier roll-up"))
        elif rollup.to not in _MONTHS or _MONTHS[rollup.to] <= _MONTHS[source_kind] or \
                _MONTHS[rollup.to] % _MONTHS[source_kind]:
            # {to} and {source} are period kinds as the scheme writes them (month, quarter, ...)
            b.problem("bad-period", _("roll-up `{rollup}` cannot make a {to} out of "
                                      "{source}s").format(rollup=rollup.id, to=rollup.to,
                                                          source=source_kind),
                      rollup.location,
                      _("roll up to a longer period made of whole shorter ones, e.g. month → "
                        "quarter → year"))
        elif rollup.method == "weighted" and len(rollup.weights) != \
                _MONTHS[rollup.to] // _MONTHS[source_kind]:
            b.problem("bad-period", _("roll-up `{rollup}` needs one weight per {source} of a "
                                      "{to} ({count}), not {given}").format(
                rollup=rollup.id, source=source_kind, to=rollup.to,
                count=_MONTHS[rollup.to] // _MONTHS[source_kind], given=len(rollup.weights)),
                      rollup.location, _("list one weight per part"))
        for rated in rollup.ratings:
            if rated not in rating_ids:
                b.problem("unknown-rating",
                          _("roll-up `{rollup}` names unknown rating `{rating}`").format(
                              rollup=rollup.id, rating=rated), rollup.location,
                          _did_you_mean(rated, rating_ids) or _declared_ratings(rating_ids))
        seen.append(rollup.id)
    for ranking in scheme.rankings:
        for node in (ranking.of, *ranking.tie_break):
            if node not in node_ids:
                b.problem("unknown-node",
                          _("ranking `{ranking}` orders by unknown node `{node}`").format(
                              ranking=ranking.id, node=node), ranking.location,
                          _did_you_mean(node, node_ids) or _("use an indicator id"))
    for quota in scheme.quotas:
        rating = scheme.rating(quota.rating)
        if rating is None:
            b.problem("unknown-rating", _("quota `{quota}` names unknown rating `{rating}`").format(
                quota=quota.id, rating=quota.rating), quota.location,
                _did_you_mean(quota.rating, rating_ids) or _("name a declared rating"))
        elif rating.level(quota.level) is None:
            b.problem("unknown-level", _("rating `{rating}` has no level `{level}`").format(
                rating=rating.id, level=quota.level), quota.location,
                _("levels: {levels}").format(levels=", ".join(lv.id for lv in rating.levels)))
        if quota.ranking not in ranking_ids:
            b.problem("unknown-ranking",
                      _("quota `{quota}` names unknown ranking `{ranking}`").format(
                          quota=quota.id, ranking=quota.ranking), quota.location,
                      _did_you_mean(quota.ranking, ranking_ids) or
                      _("declare it under rankings"))
        if quota.count is None and quota.share is None:
            b.problem("invalid-value", _("quota `{quota}`: `at_most` must be a whole number or "
                                         "a share such as \"30%\"").format(quota=quota.id),
                      quota.location, _("write at_most: \"30%\""))
    for award in scheme.awards:
        if award.ranking not in ranking_ids:
            b.problem("unknown-ranking",
                      _("award `{award}` names unknown ranking `{ranking}`").format(
                          award=award.id, ranking=award.ranking), award.location,
                      _did_you_mean(award.ranking, ranking_ids) or
                      _("declare it under rankings"))


def check_period_facts(scheme: Scheme, b: _Builder, periods_declared: bool) -> None:
    """Facts with `source: period` name a value of the period and need `periods` declared."""
    filled = [fact for fact in scheme.facts if fact.source == "period"]
    if not filled:
        return  # without importing periods (its dataclass and pattern) for nothing
    from .periods import PERIOD_FACTS

    for fact in filled:
        wanted = PERIOD_FACTS.get(fact.id)
        if wanted is None:
            b.problem("bad-fact-declaration", _("fact `{fact}` has `source: period`, but the "
                      "period has no value of that name").format(fact=fact.id), fact.location,
                      _did_you_mean(fact.id, PERIOD_FACTS) or
                      _("period values: {names}").format(names=", ".join(PERIOD_FACTS)))
        elif fact.type != wanted:
            b.problem("bad-fact-declaration", _("period fact `{fact}` must have `type: "
                      "{type}`").format(fact=fact.id, type=wanted), fact.location,
                      _("write `type: {type}`").format(type=wanted))
        if not periods_declared:
            b.problem("bad-fact-declaration", _("fact `{fact}` is filled from the evaluated "
                      "period, but the scheme declares no `periods`").format(fact=fact.id),
                      fact.location, _("add `periods: {evaluated: month}` (or quarter, half, "
                                       "year)"))


def check_rectification(scheme: Scheme, b: _Builder) -> None:
    rect = scheme.rectification
    if rect is None:
        return
    deductions = [d.id for d in scheme.deductions]
    for rule in rect.opened_by:
        if rule not in deductions:
            b.problem("unknown-node",
                      _("rectification is opened by unknown deduction `{rule}`").format(
                          rule=rule), rect.location, _did_you_mean(rule, deductions) or
                      _("deductions: {ids}").format(ids=", ".join(deductions) or
                                                    _("none declared")))
    wanted: dict[str, tuple[str, ...]] = {rect.overdue: ("rule", "found", "due")}
    if rect.closed_by:
        wanted[rect.closed_by] = ("rule", "found")
    for fact_id, fields in wanted.items():
        fact = scheme.fact(fact_id)
        have = {f.id for f in fact.fields} if fact is not None else set()
        if fact is None or not fact.is_list or not set(fields) <= have:
            b.problem("bad-fact-declaration",
                      _("rectification needs `{fact}` to be a list fact with fields "
                        "{fields}").format(fact=fact_id, fields=", ".join(fields)),
                      rect.location,
                      _("declare `{fact}` with `type: list` and those fields (text)").format(
                          fact=fact_id))
        elif fact_id == rect.overdue and fact.source != "history":
            b.problem("bad-fact-declaration",
                      _("`{fact}` carries overdue items from the results store: declare it "
                        "with `source: history`").format(fact=fact_id), fact.location,
                      _("add `source: history` and `default: []`"))
