"""Lint: what `check` cannot see in a scheme that compiles.

`check` proves a scheme can run. Lint asks whether it does what its author meant: whether the
maxima add up, whether every band can be reached and every reachable point falls in a band
(decided by the interval analysis of what the formulas can produce, never by reading text),
whether the embedded tests exercise every criterion and rule, whether deductions can ask for
more than their node has, whether vetoes and rules can fire at all, and whether labels and
bases are there for the auditors. Every finding is a warning diagnostic with an L code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from . import diagnostics as dg
from .api import CompiledScheme
from .coverage import Coverage, coverage
from .diagnostics import Diagnostic, Location
from .intervals import INF, Analysis, analyse, show
from .model import Node, Scheme
from .testing import TestOutcome, run_tests

LINT_CODES = tuple(c.code for c in dg.CODES.values() if c.code.startswith("L"))


def lint(compiled: CompiledScheme, *, analysis: Analysis | None = None,
         outcomes: Sequence[TestOutcome] | None = None) -> list[Diagnostic]:
    """Every lint finding of a compiled scheme, with the warnings of `check`, sorted."""
    analysis = analysis or analyse(compiled.plan)
    outcomes = run_tests(compiled) if outcomes is None else outcomes
    linter = _Linter(compiled.model, analysis, coverage(compiled.model, outcomes))
    linter.run()
    return dg.sorted_diagnostics(list(compiled.warnings) + linter.found)


def _plain(value: Decimal) -> str:
    return show(value)


class _Linter:
    def __init__(self, scheme: Scheme, analysis: Analysis, covered: Coverage) -> None:
        self.scheme = scheme
        self.a = analysis
        self.covered = covered
        self.found: list[Diagnostic] = []
        self.labels = {c.id: c.label for c in scheme.categories}

    def add(self, name: str, message: str, where: Location, hint: str = "",
            related: tuple[Location, ...] = ()) -> None:
        self.found.append(dg.make(name, message, where, hint, related))

    def which(self, categories: Sequence[str], never: bool = False) -> str:
        """'in every category' ('in any category' after a negation) or 'in 生产类, 辅助类'."""
        if len(categories) == len(self.scheme.categories) and len(categories) > 1:
            return "in any category" if never else "in every category"
        return "in " + ", ".join(self.labels.get(c, c) for c in categories)

    def run(self) -> None:
        self.maxima()
        self.criteria()
        self.ratings()
        self.rules()
        self.vetoes()
        self.tests()
        self.labels_and_bases()

    # -- L101 maxima-short

    def maxima(self) -> None:
        for node in self.scheme.nodes():
            if not node.is_group or node.max is None or node.renormalize:
                continue
            short: dict[tuple[Decimal, Decimal], list[str]] = {}
            for category in self.scheme.categories:
                cid = category.id
                if node.applies_to is not None and cid not in node.applies_to:
                    continue
                group_max = node.max.get(cid)
                if group_max is None:
                    continue
                total = sum((_max_of(c, cid) * c.weight for c in node.children
                             if c.applies_to is None or cid in c.applies_to), Decimal(0))
                if total < group_max:
                    short.setdefault((total, group_max), []).append(cid)
            for (total, group_max), categories in short.items():
                if node.id == "total":
                    self.add("maxima-short", f"the top-level indicators add up to "
                             f"{_plain(total)} points {self.which(categories)}, less than the "
                             f"scale {_plain(group_max)}: no unit can reach full marks without "
                             "a bonus", node.location,
                             "make the maxima of the top-level indicators add up to `scale`")
                else:
                    self.add("maxima-short", f"the children of `{node.id}` ({node.label}) add "
                             f"up to {_plain(total)} points {self.which(categories)}, less than "
                             f"its max {_plain(group_max)}: no unit can get full marks for it",
                             node.location, "make the children's maxima add up to the group's "
                             "max, or lower the group's max")

    # -- L111 max-unreachable, L112 points-fixed

    def criteria(self) -> None:
        for node in self.scheme.nodes():
            if node.is_group:
                continue
            unreachable: dict[Decimal, list[str]] = {}
            fixed: dict[Decimal, list[str]] = {}
            for cid in self.a.categories:
                reach = self.a.node(cid, node.id)
                if reach.raw is None or reach.capped is None or reach.max is None:
                    continue
                if reach.raw.high < reach.max:
                    unreachable.setdefault(reach.capped.high, []).append(cid)
                elif reach.capped.is_point:
                    fixed.setdefault(reach.capped.low, []).append(cid)
            where = node.formula_locations.get("points") or node.formula_locations.get(
                "when") or node.location
            for best, categories in unreachable.items():
                why = (f"its condition `{node.when}` is never true" if node.when else
                       f"its formula reaches at most {_plain(best)}")
                self.add("max-unreachable", f"criterion `{node.id}` ({node.label}) can never "
                         f"get its full marks {self.which(categories, never=True)}: {why}", where,
                         "check the formula against the facts' declared ranges, or lower "
                         "`max` to what the formula can give")
            for value, categories in fixed.items():
                self.add("points-fixed", f"criterion `{node.id}` ({node.label}) always gets "
                         f"{_plain(value)} points {self.which(categories)}: no fact value "
                         "changes it", where, "make the formula read the facts it is about, "
                         "or check the facts' declared ranges")

    # -- L102 band-uncovered, L103 level-unreachable

    def ratings(self) -> None:
        for rating in self.scheme.ratings:
            if rating.derived_from:
                continue
            gaps: dict[str, list[str]] = {}
            for cid in self.a.categories:
                reach = self.a.ratings.get((rating.id, cid))
                if reach is None or reach.points is None or not reach.uncovered:
                    continue
                text = ", ".join(str(i) for i in reach.uncovered)
                gaps.setdefault(text, []).append(cid)
            for text, categories in gaps.items():
                self.add("band-uncovered", f"points {text} of `{rating.of}` can be reached "
                         f"{self.which(categories)} but belong to no level of rating "
                         f"`{rating.id}` ({rating.label})", rating.location,
                         "extend the lowest or highest range to an open end, e.g. "
                         "`(-inf, 60)` and `[90, +inf)`")
            for level in rating.levels:
                if level.range is None:
                    continue
                dead: list[str] = []
                by_condition = True
                spans = []
                for cid in self.a.categories:
                    reach = self.a.ratings.get((rating.id, cid))
                    lr = self.a.levels.get((rating.id, level.id, cid))
                    if reach is None or reach.points is None or lr is None:
                        continue
                    if not lr.by_points and not lr.by_veto:
                        dead.append(cid)
                        spans.append(str(reach.points))
                        if lr.condition is None or lr.condition.can_true:
                            by_condition = False
                if not dead:
                    continue
                if by_condition and level.when:
                    why = f"its condition `{level.when}` is never true"
                else:
                    why = (f"the points of `{rating.of}` stay within "
                           f"{', '.join(sorted(set(spans)))}")
                self.add("level-unreachable", f"level `{level.id}` ({level.label}) "
                         f"{level.range} of rating `{rating.id}` can never be reached "
                         f"{self.which(dead, never=True)}: {why}", level.location,
                         "move the range into what the node can score, or check the maxima "
                         "and the level's condition")

    # -- L106 deduction-exceeds-node, L108 rule-never-fires

    def rules(self) -> None:
        for rule in self.scheme.adjustments:
            target = self.scheme.node(rule.applies_to)
            never = True
            exceeds: dict[tuple[Decimal, Decimal], list[str]] = {}
            for cid in self.a.categories:
                rr = self.a.rules[(cid, rule.id)]
                reach = self.a.nodes.get((cid, rule.applies_to))
                if not rr.applies or reach is None or reach.capped is None:
                    continue
                if rr.fires.can_true:
                    never = False
                if rule.kind != "deduction" or target is None:
                    continue
                top = reach.max if reach.max is not None else reach.capped.high
                room = top - (target.floor if target.floor is not None else Decimal(0))
                if target.floor is not None and rr.amount.high > room:
                    exceeds.setdefault((rr.amount.high, room), []).append(cid)
            where = rule.formula_locations.get("when") or rule.location
            if never:
                self.add("rule-never-fires", f"{rule.kind} `{rule.id}` ({rule.label}) can "
                         "never fire: for facts within their declared ranges its condition "
                         "is never true or its points are never above 0", where,
                         "check the condition and the points against the facts' declared "
                         "ranges, or remove the rule")
            for (asked, room), categories in exceeds.items():
                amount = "any number of points (`cap: none`)" if asked == INF else \
                    f"up to {_plain(asked)} points"
                self.add("deduction-exceeds-node", f"deduction `{rule.id}` ({rule.label}) can "
                         f"ask for {amount}, but `{rule.applies_to}` has at most "
                         f"{_plain(room)} points to lose {self.which(categories)}: the rest is "
                         "silently dropped at the floor", rule.location,
                         "lower its `cap` to what the node can lose, or let it apply to the "
                         "group above")

    # -- L107 veto-never-fires

    def vetoes(self) -> None:
        for veto in self.scheme.vetoes:
            if any(self.a.vetoes[(cid, veto.id)].fires.can_true for cid in self.a.categories):
                continue
            self.add("veto-never-fires", f"veto `{veto.id}` ({veto.label}) can never fire: "
                     f"its condition `{veto.when}` is never true for facts within their "
                     "declared ranges (or it applies to no category)", veto.formula_location,
                     "check the condition against the facts' declared ranges and values")

    # -- L104 untested-criterion, L105 untested-rule

    def tests(self) -> None:
        if not self.scheme.tests:
            self.add("untested-criterion", f"the scheme has no embedded tests: none of its "
                     f"{len(self.covered.criteria)} criteria is exercised",
                     Location(self.scheme.file, 1, 1),
                     "add `tests:` with examples whose facts make criteria lose points")
            return
        for item in self.covered.criteria:
            if item.exercised or not self._can_lose(item.id):
                continue
            if not item.applicable:
                why = "it is not applicable in any test"
            elif len(item.applicable) == 1:
                why = "it gets its full marks in the only test that evaluates it"
            else:
                why = f"it gets its full marks in all {len(item.applicable)} tests that " \
                      "evaluate it"
            self.add("untested-criterion", f"no embedded test takes points from criterion "
                     f"`{item.id}` ({item.label}): {why}", item.location,
                     "add a test (or one that `extends:` another) whose facts make it lose "
                     "points, so that a wrong formula cannot pass unnoticed")
        for rule in (*self.covered.rules, *self.covered.vetoes):
            if rule.exercised or not self._can_fire(rule.id, rule.kind):
                continue
            self.add("untested-rule", f"no embedded test fires {rule.kind} `{rule.id}` "
                     f"({rule.label})", rule.location,
                     "add a test whose facts make it fire, and list it under `fired:`")

    def _can_lose(self, node_id: str) -> bool:
        for cid in self.a.categories:
            reach = self.a.node(cid, node_id)
            if reach.points is not None and reach.max is not None and \
                    reach.points.low < reach.max:
                return True
        return False

    def _can_fire(self, item: str, kind: str) -> bool:
        table = self.a.vetoes if kind == "veto" else self.a.rules
        return any(table[(cid, item)].fires.can_true for cid in self.a.categories)

    # -- L109 missing-label, L110 missing-basis

    def labels_and_bases(self) -> None:
        s = self.scheme

        def unlabelled(items: Iterable[tuple[str, str, str, Location]]) -> None:
            for what, item_id, label, where in items:
                if label == item_id:
                    self.add("missing-label", f"{what} `{item_id}` has no label: reports will "
                             f"show the id `{item_id}` instead of a name", where,
                             "add `label:` with the Chinese name that reports should show")

        unlabelled(("category", c.id, c.label, c.location) for c in s.categories)
        for fact in s.facts:
            unlabelled([("fact", fact.id, fact.label, fact.location)])
            unlabelled((f"value of `{fact.id}`", v, label, fact.location)
                       for v, label in fact.values)
            for f in fact.fields:
                unlabelled([(f"field of `{fact.id}`", f.id, f.label, f.location)])
                unlabelled((f"value of `{fact.id}.{f.id}`", v, label, f.location)
                           for v, label in f.values)
        unlabelled(("derived value", d.id, d.label, d.location) for d in s.derived)
        unlabelled(("indicator", n.id, n.label, n.location) for n in s.root.children
                   for n in n.walk())
        unlabelled((r.kind, r.id, r.label, r.location) for r in s.adjustments)
        unlabelled(("veto", v.id, v.label, v.location) for v in s.vetoes)
        for rating in s.ratings:
            unlabelled([("rating", rating.id, rating.label, rating.location)])
            unlabelled((f"level of `{rating.id}`", lv.id, lv.label, lv.location)
                       for lv in rating.levels)
        for group in s.nodes():
            leaves = [c for c in group.children if not c.is_group]
            with_basis = [c for c in leaves if c.basis.strip()]
            if not with_basis:
                continue
            for child in leaves:
                if not child.basis.strip():
                    self.add("missing-basis", f"criterion `{child.id}` ({child.label}) states "
                             f"no `basis`, while {len(with_basis)} of its "
                             f"{len(leaves) - 1} sibling criteria do", child.location,
                             "add `basis:` naming the regulation article or rule behind its "
                             "points, so auditors can trace them",
                             related=(with_basis[0].location,))


def _max_of(node: Node, category: str) -> Decimal:
    value = node.max.get(category) if node.max is not None else None
    return value if value is not None else Decimal(0)
