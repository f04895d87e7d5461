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
from . import i18n
from .api import CompiledScheme
from .coverage import Coverage, coverage
from .diagnostics import Diagnostic, Location
from .i18n import N_, _
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


# Messages whose subject is a kind of rule: one whole sentence per kind.
NEVER_FIRES = {
    "deduction": N_("deduction `{rule}` ({label}) can never fire: for facts within their "
                    "declared ranges its condition is never true or its points are never above "
                    "0"),
    "bonus": N_("bonus `{rule}` ({label}) can never fire: for facts within their declared "
                "ranges its condition is never true or its points are never above 0"),
}
UNTESTED = {
    "deduction": N_("no embedded test fires deduction `{rule}` ({label})"),
    "bonus": N_("no embedded test fires bonus `{rule}` ({label})"),
    "veto": N_("no embedded test fires veto `{rule}` ({label})"),
}
KINDS = {"deduction": N_("deduction"), "bonus": N_("bonus")}


def _plain(value: Decimal) -> str:
    return show(value)


def _join(items: Iterable[str]) -> str:
    """Category labels as a list: 生产类、辅助类 in Chinese, "a, b" in English."""
    return ("、" if i18n.current_language() == i18n.CHINESE else ", ").join(items)


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
            return _("in any category") if never else _("in every category")
        return _("in {categories}").format(
            categories=_join(self.labels.get(c, c) for c in categories))

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
                    self.add("maxima-short", _(
                        "the top-level indicators add up to {total} points {scope}, less than "
                        "the scale {scale}: no unit can reach full marks without a bonus").format(
                        total=_plain(total), scope=self.which(categories),
                        scale=_plain(group_max)), node.location,
                        _("make the maxima of the top-level indicators add up to `scale`"))
                else:
                    self.add("maxima-short", _(
                        "the children of `{node}` ({label}) add up to {total} points {scope}, "
                        "less than its max {max}: no unit can get full marks for it").format(
                        node=node.id, label=node.label, total=_plain(total),
                        scope=self.which(categories), max=_plain(group_max)), node.location,
                        _("make the children's maxima add up to the group's max, or lower the "
                          "group's max"))

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
                why = (_("its condition `{condition}` is never true").format(
                    condition=node.when) if node.when else
                    _("its formula reaches at most {points}").format(points=_plain(best)))
                self.add("max-unreachable", _(
                    "criterion `{node}` ({label}) can never get its full marks {scope}: {why}")
                    .format(node=node.id, label=node.label,
                            scope=self.which(categories, never=True), why=why), where,
                    _("check the formula against the facts' declared ranges, or lower `max` to "
                      "what the formula can give"))
            for value, categories in fixed.items():
                self.add("points-fixed", _(
                    "criterion `{node}` ({label}) always gets {points} points {scope}: no fact "
                    "value changes it").format(node=node.id, label=node.label,
                                               points=_plain(value),
                                               scope=self.which(categories)), where,
                    _("make the formula read the facts it is about, or check the facts' "
                      "declared ranges"))

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
                self.add("band-uncovered", _(
                    "points {points} of `{node}` can be reached {scope} but belong to no level "
                    "of rating `{rating}` ({label})").format(
                    points=text, node=rating.of, scope=self.which(categories), rating=rating.id,
                    label=rating.label), rating.location,
                    _("extend the lowest or highest range to an open end, e.g. `(-inf, 60)` and "
                      "`[90, +inf)`"))
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
                    why = _("its condition `{condition}` is never true").format(
                        condition=level.when)
                else:
                    why = _("the points of `{node}` stay within {spans}").format(
                        node=rating.of, spans=", ".join(sorted(set(spans))))
                self.add("level-unreachable", _(
                    "level `{level}` ({label}) {range} of rating `{rating}` can never be reached "
                    "{scope}: {why}").format(level=level.id, label=level.label,
                                             range=level.range, rating=rating.id,
                                             scope=self.which(dead, never=True), why=why),
                    level.location,
                    _("move the range into what the node can score, or check the maxima and "
                      "the level's condition"))

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
                self.add("rule-never-fires", _(NEVER_FIRES[rule.kind]).format(
                    rule=rule.id, label=rule.label), where,
                    _("check the condition and the points against the facts' declared ranges, "
                      "or remove the rule"))
            for (asked, room), categories in exceeds.items():
                if asked == INF:
                    message = _("deduction `{rule}` ({label}) can ask for any number of points "
                                "(`cap: none`), but `{node}` has at most {room} points to lose "
                                "{scope}: the rest is silently dropped at the floor")
                else:
                    message = _("deduction `{rule}` ({label}) can ask for up to {points} points, "
                                "but `{node}` has at most {room} points to lose {scope}: the "
                                "rest is silently dropped at the floor")
                self.add("deduction-exceeds-node", message.format(
                    rule=rule.id, label=rule.label, points=_plain(asked), node=rule.applies_to,
                    room=_plain(room), scope=self.which(categories)), rule.location,
                    _("lower its `cap` to what the node can lose, or let it apply to the group "
                      "above"))

    # -- L107 veto-never-fires

    def vetoes(self) -> None:
        for veto in self.scheme.vetoes:
            if any(self.a.vetoes[(cid, veto.id)].fires.can_true for cid in self.a.categories):
                continue
            self.add("veto-never-fires", _(
                "veto `{veto}` ({label}) can never fire: its condition `{condition}` is never "
                "true for facts within their declared ranges (or it applies to no category)")
                .format(veto=veto.id, label=veto.label, condition=veto.when),
                veto.formula_location,
                _("check the condition against the facts' declared ranges and values"))

    # -- L104 untested-criterion, L105 untested-rule

    def tests(self) -> None:
        if not self.scheme.tests:
            self.add("untested-criterion", _(
                "the scheme has no embedded tests: none of its {count} criteria is exercised")
                .format(count=len(self.covered.criteria)), Location(self.scheme.file, 1, 1),
                _("add `tests:` with examples whose facts make criteria lose points"))
            return
        for item in self.covered.criteria:
            if item.exercised or not self._can_lose(item.id):
                continue
            if not item.applicable:
                why = _("it is not applicable in any test")
            elif len(item.applicable) == 1:
                why = _("it gets its full marks in the only test that evaluates it")
            else:
                why = _("it gets its full marks in all {count} tests that evaluate it").format(
                    count=len(item.applicable))
            self.add("untested-criterion", _(
                "no embedded test takes points from criterion `{node}` ({label}): {why}").format(
                node=item.id, label=item.label, why=why), item.location,
                _("add a test (or one that `extends:` another) whose facts make it lose points, "
                  "so that a wrong formula cannot pass unnoticed"))
        for rule in (*self.covered.rules, *self.covered.vetoes):
            if rule.exercised or not self._can_fire(rule.id, rule.kind):
                continue
            self.add("untested-rule", _(UNTESTED[rule.kind]).format(
                rule=rule.id, label=rule.label), rule.location,
                _("add a test whose facts make it fire, and list it under `fired:`"))

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
                    self.add("missing-label", _(
                        "{what} `{item}` has no label: reports will show the id `{item}` "
                        "instead of a name").format(what=what, item=item_id), where,
                        _("add `label:` with the Chinese name that reports should show"))

        unlabelled((_("category"), c.id, c.label, c.location) for c in s.categories)
        for fact in s.facts:
            unlabelled([(_("fact"), fact.id, fact.label, fact.location)])
            unlabelled((_("value of `{fact}`").format(fact=fact.id), v, label, fact.location)
                       for v, label in fact.values)
            for f in fact.fields:
                unlabelled([(_("field of `{fact}`").format(fact=fact.id), f.id, f.label,
                             f.location)])
                unlabelled((_("value of `{fact}`").format(fact=f"{fact.id}.{f.id}"), v, label,
                            f.location) for v, label in f.values)
        unlabelled((_("derived value"), d.id, d.label, d.location) for d in s.derived)
        unlabelled((_("indicator"), n.id, n.label, n.location) for n in s.root.children
                   for n in n.walk())
        unlabelled((_(KINDS[r.kind]), r.id, r.label, r.location) for r in s.adjustments)
        unlabelled((_("veto"), v.id, v.label, v.location) for v in s.vetoes)
        for rating in s.ratings:
            unlabelled([(_("rating"), rating.id, rating.label, rating.location)])
            unlabelled((_("level of `{rating}`").format(rating=rating.id), lv.id, lv.label,
                        lv.location) for lv in rating.levels)
        for group in s.nodes():
            leaves = [c for c in group.children if not c.is_group]
            with_basis = [c for c in leaves if c.basis.strip()]
            if not with_basis:
                continue
            for child in leaves:
                if not child.basis.strip():
                    self.add("missing-basis", _(
                        "criterion `{node}` ({label}) states no `basis`, while {count} of its "
                        "{siblings} sibling criteria do").format(
                        node=child.id, label=child.label, count=len(with_basis),
                        siblings=len(leaves) - 1), child.location,
                        _("add `basis:` naming the regulation article or rule behind its "
                          "points, so auditors can trace them"),
                        related=(with_basis[0].location,))


def _max_of(node: Node, category: str) -> Decimal:
    value = node.max.get(category) if node.max is not None else None
    return value if value is not None else Decimal(0)
