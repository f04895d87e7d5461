"""Compile a checked scheme: parse every formula once, build the dependency graph, fix the order.

The result, `Plan`, is immutable and holds everything evaluation needs: compiled formulas, the
steps in a deterministic topological order, and the graph edges with the source location of
each reference (for cycle reports and `evalrules graph`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location
from .formula import (
    FUNCTION_NAMES,
    Formula,
    FormulaRejected,
    build_globals,
    compile_tree,
    make_functions,
)
from .i18n import N_, _
from .limits import DEFAULT_LIMITS, Limits
from .model import Adjustment, Derived, Node, Rating, Scheme, Veto


@dataclass(frozen=True, slots=True)
class DerivedPlan:
    """A derived value and its compiled formula."""

    derived: Derived
    formula: Formula


@dataclass(frozen=True, slots=True)
class RulePlan:
    """A deduction or bonus and its compiled condition, points and multiplier."""

    rule: Adjustment
    when: Formula | None
    points: Formula | Decimal
    per: Formula | None


@dataclass(frozen=True, slots=True)
class VetoPlan:
    """A veto and its compiled condition."""

    veto: Veto
    when: Formula


@dataclass(frozen=True, slots=True)
class NodePlan:
    """A node with what decides its points: applicability, points, condition, rules, vetoes."""

    node: Node
    path: tuple[Node, ...]  # root .. node, for applicability
    applicable: tuple[tuple[str, Formula], ...]  # (node id, formula) along the path
    points: Formula | Decimal | None
    when: Formula | None
    rules: tuple[Adjustment, ...]  # deductions and bonuses on this node, declaration order
    zeroed_by: tuple[Veto, ...]


@dataclass(frozen=True, slots=True)
class RatingPlan:
    """A rating, its levels' compiled conditions and the vetoes that limit it."""

    rating: Rating
    level_conditions: Mapping[str, Formula]
    vetoes: tuple[Veto, ...]  # vetoes with an effect on this rating


PlanStep = DerivedPlan | RulePlan | VetoPlan | NodePlan | RatingPlan


@dataclass(frozen=True, slots=True)
class Edge:
    """A dependency: `target` reads `source`, at `location` in the scheme."""

    source: str  # "fact:x", "derived:x", "node:x", "rule:x", "veto:x", "rating:x"
    target: str
    location: Location


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything evaluation needs: the steps in order, the graph, the formulas' globals."""

    scheme: Scheme
    steps: tuple[PlanStep, ...]
    edges: tuple[Edge, ...]
    globals: Mapping[str, Any]
    scalar_facts: frozenset[str]


# A declared id that is also a function name, by the kind of declaration (graph node kinds).
_RESERVED = {
    "fact": N_("`{name}` is the name of a formula function and cannot be a fact id"),
    "derived": N_("`{name}` is the name of a formula function and cannot be a derived id"),
    "node": N_("`{name}` is the name of a formula function and cannot be a node id"),
}


def _kind_id(graph_node: str) -> tuple[str, str]:
    kind, _, name = graph_node.partition(":")
    return kind, name


class _Compiler:
    def __init__(self, scheme: Scheme, limits: Limits) -> None:
        self.scheme = scheme
        self.limits = limits
        self.problems: list[Diagnostic] = []
        self.formulas: list[Formula] = []
        self.edges: list[Edge] = []
        self.known: dict[str, str] = {}  # name -> graph node
        self.known_lists: dict[str, dict[str, Any]] = {}
        for fact in scheme.facts:
            if fact.is_list:
                self.known_lists[fact.id] = {f.id: f for f in fact.fields}
            self.known[fact.id] = f"fact:{fact.id}"
        for d in scheme.derived:
            self.known[d.id] = f"derived:{d.id}"
        for node in scheme.nodes():
            self.known[node.id] = f"node:{node.id}"
        # The names a formula may read, built once: compile_tree only reads it.
        self.scalars: dict[str, Any] = {k: None for k in self.known if k not in self.known_lists}

    def compile(self, text: str, where: Location, consumer: str, *,
                extra: Mapping[str, Any] | None = None) -> Formula | None:
        known = {**self.scalars, **extra} if extra else self.scalars
        try:
            formula = compile_tree(text, known=known, known_lists=self.known_lists,
                                   limits=self.limits)
        except FormulaRejected as rejected:
            for p in rejected.problems:
                at = Location(where.file, where.line, where.column + p.column - 1, where.path)
                self.problems.append(dg.make(p.kind, p.message, at, p.hint))
            return None
        self.formulas.append(formula)
        for name, column in formula.name_columns:
            if name in self.known:
                at = Location(where.file, where.line, where.column + column - 1, where.path)
                self.edges.append(Edge(self.known[name], consumer, at))
        return formula

    def number_or_formula(self, value: Decimal | str, where: Location, consumer: str,
                          extra: Mapping[str, Any] | None = None) -> Formula | Decimal | None:
        if isinstance(value, Decimal):
            return value
        return self.compile(value, where, consumer, extra=extra)


def compile_scheme(scheme: Scheme, limits: Limits = DEFAULT_LIMITS
                   ) -> tuple[Plan | None, list[Diagnostic]]:
    """Parse every formula and order the evaluation; return the plan and every problem."""
    c = _Compiler(scheme, limits)
    for name, graph_node in c.known.items():
        if name in FUNCTION_NAMES:
            kind, _name = _kind_id(graph_node)
            c.problems.append(dg.make("reserved-id", _(_RESERVED[kind]).format(name=name),
                                      _location_of(scheme, graph_node), _("choose another id")))
    steps: dict[str, PlanStep] = {}
    order: dict[str, int] = {}

    def add(graph_node: str, step: PlanStep | None) -> None:
        order.setdefault(graph_node, len(order))
        if step is not None:
            steps[graph_node] = step

    for fact in scheme.facts:
        order.setdefault(f"fact:{fact.id}", len(order))
    for d in scheme.derived:
        f = c.compile(d.formula, d.formula_location, f"derived:{d.id}")
        add(f"derived:{d.id}", DerivedPlan(d, f) if f else None)
    rules_on: dict[str, list[Adjustment]] = {}
    for rule in scheme.adjustments:
        me = f"rule:{rule.id}"
        locs = rule.formula_locations
        when = c.compile(rule.when, locs["when"], me) if rule.when else None
        points = c.number_or_formula(rule.points, locs.get("points", rule.location), me)
        per = c.compile(rule.per, locs["per"], me) if rule.per else None
        ok = points is not None and (rule.when is None or when) and (rule.per is None or per)
        add(me, RulePlan(rule, when, points, per) if ok and points is not None else None)
        rules_on.setdefault(rule.applies_to, []).append(rule)
        c.edges.append(Edge(me, f"node:{rule.applies_to}", rule.location))
    zeroed: dict[str, list[Veto]] = {}
    on_rating: dict[str, list[Veto]] = {}
    for veto in scheme.vetoes:
        me = f"veto:{veto.id}"
        when = c.compile(veto.when, veto.formula_location, me)
        add(me, VetoPlan(veto, when) if when else None)
        for effect in veto.effects:
            if effect.kind == "zero" and effect.node:
                zeroed.setdefault(effect.node, []).append(veto)
                c.edges.append(Edge(me, f"node:{effect.node}", effect.location))
            elif effect.rating:
                if veto not in on_rating.get(effect.rating, []):
                    on_rating.setdefault(effect.rating, []).append(veto)
                c.edges.append(Edge(me, f"rating:{effect.rating}", effect.location))
    _compile_nodes(c, scheme.root, (), (), rules_on, zeroed, add)
    for rating in scheme.ratings:
        me = f"rating:{rating.id}"
        conditions: dict[str, Formula] = {}
        for level in rating.levels:
            if level.when:
                f = c.compile(level.when, level.formula_location, me)
                if f:
                    conditions[level.id] = f
        if rating.derived_from:
            for source in rating.derived_from:
                c.edges.append(Edge(f"rating:{source}", me, rating.location))
        elif rating.of:
            c.edges.append(Edge(f"node:{rating.of}", me, rating.location))
        add(me, RatingPlan(rating, MappingProxyType(conditions),
                           tuple(on_rating.get(rating.id, ()))))

    edges = [e for e in c.edges if e.source in order and e.target in order]
    ordered = _topological_order(order, edges)
    if ordered is None:  # a cycle: networkx finds and reports each one
        c.problems += _cycles(_graph(order, edges), scheme)
    c.problems += _unused_facts(scheme, {e.source for e in edges})
    if ordered is None or any(p.is_error for p in c.problems):
        return None, c.problems
    sequence = [n for n in ordered if n in steps]
    functions = make_functions(scheme.policy, limits)
    plan = Plan(scheme=scheme, steps=tuple(steps[n] for n in sequence),
                edges=tuple(edges),
                globals=MappingProxyType(build_globals(functions, c.formulas)),
                scalar_facts=frozenset(f.id for f in scheme.facts if not f.is_list))
    return plan, c.problems


def _compile_nodes(c: _Compiler, node: Node, ancestors: tuple[Node, ...],
                   applicable: tuple[tuple[str, Formula], ...],
                   rules_on: dict[str, list[Adjustment]], zeroed: dict[str, list[Veto]],
                   add: Any) -> None:
    me = f"node:{node.id}"
    path = (*ancestors, node)
    locs = node.formula_locations
    if node.applicable:
        f = c.compile(node.applicable, locs["applicable"], me)
        if f:
            applicable = (*applicable, (node.id, f))
    # Names read by an ancestor's condition are inputs of this node too.
    for owner, formula in applicable:
        if owner != node.id:
            for name, _ in formula.name_columns:
                if name in c.known:
                    c.edges.append(Edge(c.known[name], me, node.location))
    for child in node.children:
        _compile_nodes(c, child, path, applicable, rules_on, zeroed, add)
        c.edges.append(Edge(f"node:{child.id}", me, child.location))
    points: Formula | Decimal | None = None
    when: Formula | None = None
    full = {"full": None}
    if node.points is not None:
        points = c.number_or_formula(node.points, locs.get("points", node.location), me, full)
    if node.when is not None:
        when = c.compile(node.when, locs["when"], me, extra=full)
    broken = (node.points is not None and points is None) or (node.when is not None
                                                              and when is None)
    add(me, None if broken else NodePlan(
        node, path, applicable, points, when, tuple(rules_on.get(node.id, ())),
        tuple(zeroed.get(node.id, ()))))


def _location_of(scheme: Scheme, graph_node: str) -> Location:
    kind, name = _kind_id(graph_node)
    if kind == "fact":
        fact = scheme.fact(name)
        return fact.location if fact else Location(scheme.file)
    if kind == "derived":
        return next((d.location for d in scheme.derived if d.id == name), Location(scheme.file))
    if kind == "node":
        node = scheme.node(name)
        return node.location if node else Location(scheme.file)
    if kind == "rule":
        return next((r.location for r in scheme.adjustments if r.id == name),
                    Location(scheme.file))
    if kind == "veto":
        return next((v.location for v in scheme.vetoes if v.id == name), Location(scheme.file))
    rating = scheme.rating(name)
    return rating.location if rating else Location(scheme.file)


def _topological_order(order: Mapping[str, int], edges: list[Edge]) -> list[str] | None:
    """The graph's nodes with every edge's source before its target and, among the nodes
    ready at each step, the one declared first (`order`): the order networkx's
    lexicographical_topological_sort gives. None when the edges close a cycle.

    graphlib (standard library) rather than networkx: importing networkx takes longer than
    checking a scheme; it is imported only to report a cycle and for `evalrules graph`.
    """
    import graphlib
    import heapq

    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for node in order:
        sorter.add(node)
    for edge in edges:
        sorter.add(edge.target, edge.source)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return None
    ready = [(order[n], n) for n in sorter.get_ready()]
    heapq.heapify(ready)
    out = []
    while ready:
        _rank, node = heapq.heappop(ready)
        out.append(node)
        sorter.done(node)
        for n in sorter.get_ready():
            heapq.heappush(ready, (order[n], n))
    return out


def _graph(order: Mapping[str, int], edges: list[Edge]) -> Any:
    """The dependency graph as a networkx DiGraph, each edge with the location of its
    reference."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    for edge in edges:
        graph.add_edge(edge.source, edge.target, location=edge.location)
    return graph


def _cycles(graph: Any, scheme: Scheme) -> list[Diagnostic]:
    """One diagnostic per circle of dependencies, naming the closed path and each edge's line."""
    import networkx as nx

    out = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        cycle = nx.find_cycle(graph.subgraph(component), source=members[0])
        names = [_kind_id(u)[1] for u, _ in cycle] + [_kind_id(cycle[0][0])[1]]
        locations = tuple(graph.edges[u, v]["location"] for u, v in cycle)
        reads = _("`{reader}` reads `{read}` at line {line}")
        detail = _("; ").join(reads.format(reader=_kind_id(v)[1], read=_kind_id(u)[1],
                                           line=graph.edges[u, v]["location"].line)
                              for u, v in cycle)
        first = min(locations, key=lambda loc: (loc.line, loc.column))
        out.append(dg.make("dependency-cycle",
                           _("dependency cycle: {cycle} ({detail})").format(
                               cycle=" -> ".join(names), detail=detail), first,
                           _("break the circle: a value cannot depend on itself, directly or "
                             "through others"), related=locations))
    return out


def _unused_facts(scheme: Scheme, read: set[str]) -> list[Diagnostic]:
    """Facts no formula reads; `read` holds the graph nodes with an outgoing edge."""
    used_elsewhere = {n.self_score for n in scheme.nodes() if n.self_score}
    if scheme.rectification is not None:  # read by the results store, not by formulas
        used_elsewhere |= {scheme.rectification.overdue, scheme.rectification.closed_by or ""}
    out = []
    for fact in scheme.facts:
        if f"fact:{fact.id}" not in read and fact.id not in used_elsewhere:
            out.append(dg.make("unused-fact",
                               _("fact `{fact}` ({label}) is declared but no formula reads "
                                 "it").format(fact=fact.id, label=fact.label), fact.location,
                               _("use it in a formula, or remove it if units need not supply "
                                 "it")))
    return out
