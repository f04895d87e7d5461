"""Arrange a result's trace into an explanation shaped like the scheme.

Everything here is read from the trace and from the scheme's declarations (labels, basis,
source lines). Nothing is recomputed: the lines of every node are the lines the evaluator
recorded, and they add up to the node's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .diagnostics import Location
from .i18n import _
from .model import Scheme
from .trace import DerivedStep, Input, Line, NodeStep, RatingStep, RuleStep, VetoChange, VetoStep

if TYPE_CHECKING:
    from .evaluate import Result

FORMAT = "evalrules.explanation"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExplainedInput:
    name: str
    label: str
    value: Any
    unit: str
    reason: str  # a discretionary fact's justification


@dataclass(frozen=True, slots=True)
class ExplainedLine:
    kind: str
    amount: Decimal
    ref: str
    label: str
    exact: Decimal | None
    requested: Decimal | None


@dataclass(frozen=True, slots=True)
class ExplainedNode:
    id: str
    label: str
    kind: str  # "group" | "criterion"
    basis: str
    description: str
    tags: tuple[str, ...]
    location: Location
    applicable: bool
    not_applicable: str
    formula: str
    inputs: tuple[ExplainedInput, ...]
    condition: bool | None
    raw: Decimal | None
    max: Decimal | None
    floor: Decimal | None
    weight: Decimal
    factor: Decimal | None
    lines: tuple[ExplainedLine, ...]
    superseded: tuple[tuple[str, str], ...]
    points: Decimal | None
    lost: Decimal | None
    self_score: Decimal | None
    children: tuple[ExplainedNode, ...]

    def walk(self) -> Any:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class ExplainedRule:
    id: str
    kind: str
    label: str
    basis: str
    description: str
    target: str
    target_label: str
    status: str  # "applied" | "limited" | "superseded" | "not-fired" | "not-applicable"
    condition_text: str
    condition: bool | None
    inputs: tuple[ExplainedInput, ...]
    points_text: str
    per_text: str
    each: Decimal | None
    count: Decimal | None
    requested: Decimal | None
    amount: Decimal
    applied: Decimal  # what it actually took or gave
    cap: Decimal | None
    uncapped: bool
    capped: bool
    superseded_by: str
    location: Location


@dataclass(frozen=True, slots=True)
class ExplainedVeto:
    id: str
    label: str
    basis: str
    reason: str
    condition_text: str
    fired: bool
    category_applies: bool
    inputs: tuple[ExplainedInput, ...]
    effects: tuple[tuple[str, str, tuple[str, ...]], ...]  # (kind, node or rating, levels)
    location: Location


@dataclass(frozen=True, slots=True)
class ExplainedRating:
    id: str
    label: str
    of: str
    points: Decimal | None
    band: str | None
    passed_over: tuple[tuple[str, str, str, tuple[ExplainedInput, ...]], ...]
    sources: tuple[tuple[str, str | None], ...]
    changes: tuple[VetoChange, ...]
    level: str | None
    level_label: str
    labels: tuple[tuple[str, str], ...]  # every level's (id, label)
    location: Location


@dataclass(frozen=True, slots=True)
class ExplainedDerived:
    id: str
    label: str
    formula: str
    inputs: tuple[ExplainedInput, ...]
    value: Any
    unit: str
    location: Location


@dataclass(frozen=True, slots=True)
class Explanation:
    unit: str
    name: str
    category: str
    category_label: str
    scheme_id: str
    scheme_title: str
    scheme_version: str
    scheme_hash: str
    scheme_file: str
    facts_digest: str
    total: Decimal
    scale: Decimal
    root: ExplainedNode
    derived: tuple[ExplainedDerived, ...]
    rules: tuple[ExplainedRule, ...]
    vetoes: tuple[ExplainedVeto, ...]
    ratings: tuple[ExplainedRating, ...]
    fired: tuple[str, ...]
    award_eligible: bool

    def node(self, node_id: str) -> ExplainedNode | None:
        return next((n for n in self.root.walk() if n.id == node_id), None)

    def rules_on(self, node_id: str) -> tuple[ExplainedRule, ...]:
        return tuple(r for r in self.rules if r.target == node_id)


class _Labels:
    def __init__(self, scheme: Scheme, reasons: Any) -> None:
        self.scheme = scheme
        self.reasons = reasons
        points = _("points")  # the unit of points, written after a value: 10分
        self.names: dict[str, tuple[str, str]] = {"full": (_("Full marks"), points)}
        for fact in scheme.facts:
            self.names[fact.id] = (fact.label, fact.unit)
        for d in scheme.derived:
            self.names[d.id] = (d.label, d.unit)
        for node in scheme.nodes():
            self.names[node.id] = (node.label, points)
        for rule in scheme.adjustments:
            self.names[rule.id] = (rule.label, points)
        for veto in scheme.vetoes:
            self.names[veto.id] = (veto.label, "")
        for rating in scheme.ratings:
            self.names[rating.id] = (rating.label, "")

    def label(self, name: str) -> str:
        return self.names.get(name, (name, ""))[0]

    def inputs(self, inputs: tuple[Input, ...]) -> tuple[ExplainedInput, ...]:
        out = []
        for i in inputs:
            label, unit = self.names.get(i.name, (i.name, ""))
            out.append(ExplainedInput(i.name, label, i.value, unit, self.reasons.get(i.name, "")))
        return tuple(out)


def explain(result: Result, scheme: Scheme | None = None) -> Explanation:
    """The explanation of `result`. The scheme defaults to the one that produced it."""
    scheme = scheme or result.scheme
    labels = _Labels(scheme, result.reasons)
    steps = {s.id: s for s in result.steps}
    applied: dict[str, Line] = {}  # rule id -> the line it added to its node
    superseded: dict[str, str] = {}
    for step in result.steps:
        if isinstance(step, NodeStep):
            for node_line in step.lines:
                if node_line.kind in ("deduction", "bonus"):
                    applied[node_line.ref] = node_line
            superseded.update(dict(step.superseded))

    def node(n: Any) -> ExplainedNode:
        step = steps.get(n.id)
        assert isinstance(step, NodeStep), f"no step for node {n.id}"
        lines = tuple(ExplainedLine(ln.kind, ln.amount, ln.ref, labels.label(ln.ref) if ln.ref
                                    else "", ln.exact, ln.requested) for ln in step.lines)
        return ExplainedNode(
            id=n.id, label=n.label, kind="group" if n.is_group else "criterion", basis=n.basis,
            description=n.description, tags=n.tags, location=n.location,
            applicable=step.applicable, not_applicable=step.not_applicable,
            formula=step.formula, inputs=labels.inputs(step.inputs), condition=step.condition,
            raw=step.raw, max=step.max, floor=step.floor, weight=n.weight, factor=step.factor,
            lines=lines, superseded=step.superseded, points=step.points, lost=step.lost,
            self_score=step.self_score,
            children=tuple(node(c) for c in n.children) if step.applicable else ())

    rules = []
    for rule in scheme.adjustments:
        rs = steps.get(rule.id)
        if not isinstance(rs, RuleStep):
            continue
        target = steps.get(rule.applies_to)
        line = applied.get(rule.id)
        if not rs.category_applies or (isinstance(target, NodeStep) and not target.applicable):
            status = "not-applicable"
        elif rule.id in superseded:
            status = "superseded"
        elif line is not None:
            status = "limited" if line.requested is not None else "applied"
        else:
            status = "not-fired"
        rules.append(ExplainedRule(
            id=rule.id, kind=rule.kind, label=rule.label, basis=rule.basis,
            description=rule.description, target=rule.applies_to,
            target_label=labels.label(rule.applies_to), status=status,
            condition_text=rule.when or "", condition=rs.condition,
            inputs=labels.inputs(rs.inputs),
            points_text=rule.points if isinstance(rule.points, str) else "",
            per_text=rule.per or "", each=rs.each, count=rs.count, requested=rs.requested,
            amount=rs.amount, applied=abs(line.amount) if line is not None else Decimal(0),
            cap=rule.cap, uncapped=rule.uncapped, capped=rs.capped,
            superseded_by=superseded.get(rule.id, ""), location=rule.location))
    vetoes = []
    for veto in scheme.vetoes:
        vs = steps.get(veto.id)
        if not isinstance(vs, VetoStep):
            continue
        effects = tuple((e.kind, e.node or e.rating or "",
                         (e.level,) if e.level else e.levels) for e in veto.effects)
        vetoes.append(ExplainedVeto(veto.id, veto.label, veto.basis, veto.reason, veto.when,
                                    vs.fired, vs.category_applies, labels.inputs(vs.inputs),
                                    effects, veto.location))
    ratings = []
    for rating in scheme.ratings:
        st = steps.get(rating.id)
        if not isinstance(st, RatingStep):
            continue
        level = rating.level(st.level) if st.level else None
        ratings.append(ExplainedRating(
            id=rating.id, label=rating.label, of=rating.of or "", points=st.points, band=st.band,
            passed_over=tuple((c.level, c.failed, _condition_of(rating, c.failed),
                               labels.inputs(c.inputs)) for c in st.passed_over),
            sources=st.sources, changes=st.changes, level=st.level,
            level_label=level.label if level else "",
            labels=tuple((lv.id, lv.label) for lv in rating.levels), location=rating.location))
    derived = []
    for d in scheme.derived:
        ds = steps.get(d.id)
        if isinstance(ds, DerivedStep):
            derived.append(ExplainedDerived(d.id, d.label, d.formula, labels.inputs(ds.inputs),
                                            ds.value, d.unit, d.location))
    category = scheme.category(result.category)
    return Explanation(
        unit=result.unit, name=result.name, category=result.category,
        category_label=category.label if category else result.category,
        scheme_id=scheme.id, scheme_title=scheme.title, scheme_version=scheme.version,
        scheme_hash=result.scheme_hash, scheme_file=scheme.file,
        facts_digest=result.facts_digest, total=result.total, scale=scheme.scale,
        root=node(scheme.root), derived=tuple(derived), rules=tuple(rules),
        vetoes=tuple(vetoes), ratings=tuple(ratings), fired=result.fired,
        award_eligible=result.award_eligible)


def _condition_of(rating: Any, level_id: str) -> str:
    level = rating.level(level_id)
    return (level.when or "") if level is not None else ""
