"""The difference between two versions of a scheme, and its impact on real units.

The structural diff pairs declarations by id: what was added, removed, moved (an indicator
whose parent changed) or changed (maxima per category, weights, formulas, conditions, caps,
bands, veto effects, labels). The impact evaluates one facts file with both versions (the fast
scorer, `CompiledScheme.score_all`) and lists each unit's old and new total and levels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .api import CompiledScheme
from .diagnostics import Location
from .evaluate import Scores
from .facts import FactsFile
from .intervals import show
from .model import Adjustment, Fact, Node, PerCategory, Rating, Scheme, Veto


@dataclass(frozen=True, slots=True)
class Detail:
    """One changed property: what, its old and new value (as text), and where it applies (a
    category for maxima, a level for bands; "" otherwise)."""

    what: str
    old: str
    new: str
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    section: str  # "scheme" | "category" | "fact" | "derived" | "indicator" | "deduction" |
    #               "bonus" | "veto" | "rating"
    kind: str  # "added" | "removed" | "moved" | "changed"
    id: str
    label: str
    details: tuple[Detail, ...] = ()
    old_location: Location | None = None
    new_location: Location | None = None


SECTIONS = ("scheme", "category", "fact", "derived", "indicator", "deduction", "bonus", "veto",
            "rating")


@dataclass(frozen=True, slots=True)
class SchemeDiff:
    old: Scheme
    new: Scheme
    old_hash: str
    new_hash: str
    changes: tuple[Change, ...]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _num(value: Decimal | None) -> str:
    return "—" if value is None else show(value)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, (frozenset, set)):
        return ", ".join(sorted(value)) if value else "—"
    if isinstance(value, (tuple, list)):
        return ", ".join(_text(v) for v in value) if value else "—"
    return str(value) if value != "" else "—"


def _compare(out: list[Detail], what: str, old: Any, new: Any, scope: str = "") -> None:
    if old != new:
        out.append(Detail(what, _text(old), _text(new), scope))


def _max_details(out: list[Detail], old: PerCategory | None, new: PerCategory | None,
                 old_s: Scheme, new_s: Scheme) -> None:
    """Maxima compared category by category, as a unit of that category would see them;
    categories with the same change share one detail (no scope when all of them do)."""
    categories = [c.id for c in new_s.categories] + [
        c.id for c in old_s.categories if new_s.category(c.id) is None]
    groups: dict[tuple[str, str], list[str]] = {}
    for cid in categories:
        a = old.get(cid) if old is not None else None
        b = new.get(cid) if new is not None else None
        if a != b:
            groups.setdefault((_num(a), _num(b)), []).append(cid)
    for (a_text, b_text), cids in groups.items():
        if len(cids) == len(categories):
            out.append(Detail("max", a_text, b_text))
            continue
        labels = []
        for cid in cids:
            category = new_s.category(cid) or old_s.category(cid)
            labels.append(category.label if category else cid)
        out.append(Detail("max", a_text, b_text, "、".join(labels)))


def _paired(old: Iterable[Any], new: Iterable[Any]) -> tuple[list[Any], list[Any],
                                                             list[tuple[Any, Any]]]:
    """(removed, added, kept pairs) of two sequences of declarations with ids."""
    old_by = {x.id: x for x in old}
    new_by = {x.id: x for x in new}
    removed = [x for i, x in old_by.items() if i not in new_by]
    added = [x for i, x in new_by.items() if i not in old_by]
    kept = [(old_by[i], x) for i, x in new_by.items() if i in old_by]
    return removed, added, kept


def diff(old: CompiledScheme, new: CompiledScheme) -> SchemeDiff:
    """The structural difference between two compiled versions of a scheme."""
    a, b = old.model, new.model
    changes: list[Change] = []
    head: list[Detail] = []
    for what in ("id", "title", "version", "effective", "owner"):
        _compare(head, what, getattr(a, what), getattr(b, what))
    _compare(head, "scale", a.scale, b.scale)
    _compare(head, "places", a.policy.places, b.policy.places)
    _compare(head, "rounding", a.policy.rounding, b.policy.rounding)
    if head:
        changes.append(Change("scheme", "changed", b.id, b.title, tuple(head),
                              Location(a.file), Location(b.file)))
    changes += _simple("category", a.categories, b.categories,
                       lambda x, y: _fields(x, y, ("label",)))
    changes += _simple("fact", a.facts, b.facts, _fact_details)
    changes += _simple("derived", a.derived, b.derived,
                       lambda x, y: _fields(x, y, ("label", "formula", "unit")))
    changes += _indicators(a, b)
    changes += _simple("deduction", a.deductions, b.deductions, _rule_details)
    changes += _simple("bonus", a.bonuses, b.bonuses, _rule_details)
    changes += _simple("veto", a.vetoes, b.vetoes, _veto_details)
    changes += _simple("rating", a.ratings, b.ratings, _rating_details)
    return SchemeDiff(a, b, old.hash, new.hash, tuple(changes))


def _fields(x: Any, y: Any, names: Sequence[str]) -> list[Detail]:
    out: list[Detail] = []
    for name in names:
        _compare(out, name, getattr(x, name), getattr(y, name))
    return out


def _simple(section: str, old: Sequence[Any], new: Sequence[Any],
            details: Callable[[Any, Any], list[Detail]]) -> list[Change]:
    removed, added, kept = _paired(old, new)
    out = [Change(section, "removed", x.id, x.label, (), x.location, None) for x in removed]
    out += [Change(section, "added", x.id, x.label, (), None, x.location) for x in added]
    for x, y in kept:
        found = details(x, y)
        if found:
            out.append(Change(section, "changed", y.id, y.label, tuple(found), x.location,
                              y.location))
    return out


def _fact_details(x: Fact, y: Fact) -> list[Detail]:
    out = _fields(x, y, ("label", "type", "unit", "min", "max", "required", "source"))
    _compare(out, "default", x.default if x.has_default else None,
             y.default if y.has_default else None)
    _compare(out, "values", tuple(v for v, _ in x.values), tuple(v for v, _ in y.values))
    _compare(out, "fields", tuple(f.id for f in x.fields), tuple(f.id for f in y.fields))
    return out


def _formula(node: Node) -> tuple[str, str]:
    if node.is_group:
        return "", ""
    if node.when is not None:
        return "when", node.when
    return "points", _text(node.points)


def _node_details(x: Node, y: Node, a: Scheme, b: Scheme) -> list[Detail]:
    out: list[Detail] = []
    _compare(out, "label", x.label, y.label)
    if x.parent != y.parent:
        out.append(Detail("parent", _node_name(a, x.parent), _node_name(b, y.parent)))
    _max_details(out, x.max, y.max, a, b)
    _compare(out, "weight", x.weight, y.weight)
    _compare(out, "floor", x.floor, y.floor)
    kind_x, text_x = _formula(x)
    kind_y, text_y = _formula(y)
    if (kind_x, text_x) != (kind_y, text_y):
        out.append(Detail(kind_y or kind_x or "points", text_x or "—", text_y or "—"))
    _compare(out, "applies_to", x.applies_to, y.applies_to)
    _compare(out, "applicable", x.applicable, y.applicable)
    _compare(out, "renormalize", x.renormalize, y.renormalize)
    _compare(out, "basis", x.basis, y.basis)
    _compare(out, "tags", x.tags, y.tags)
    return out


def _node_name(scheme: Scheme, node_id: str | None) -> str:
    if node_id is None:
        return "—"
    node = scheme.node(node_id)
    return f"{node.label} [{node_id}]" if node is not None else node_id


def _indicators(a: Scheme, b: Scheme) -> list[Change]:
    old_nodes = [n for top in a.root.children for n in top.walk()]
    new_nodes = [n for top in b.root.children for n in top.walk()]
    removed, added, kept = _paired(old_nodes, new_nodes)
    out = [Change("indicator", "removed", x.id, x.label,
                  (Detail("parent", _node_name(a, x.parent), "—"),), x.location, None)
           for x in removed]
    out += [Change("indicator", "added", x.id, x.label,
                   (Detail("parent", "—", _node_name(b, x.parent)), *_added_max(x, b)), None,
                   x.location) for x in added]
    for x, y in kept:
        found = _node_details(x, y, a, b)
        if found:
            kind = "moved" if x.parent != y.parent else "changed"
            out.append(Change("indicator", kind, y.id, y.label, tuple(found), x.location,
                              y.location))
    return out


def _added_max(node: Node, scheme: Scheme) -> list[Detail]:
    out: list[Detail] = []
    _max_details(out, None, node.max, scheme, scheme)
    kind, text = _formula(node)
    if kind:
        out.append(Detail(kind, "—", text))
    if node.weight != 1:
        out.append(Detail("weight", "—", _text(node.weight)))
    return out


def _rule_details(x: Adjustment, y: Adjustment) -> list[Detail]:
    out = _fields(x, y, ("label", "applies_to", "when", "points", "per", "exclusive",
                         "categories", "above_max", "basis"))
    _compare(out, "cap", "none" if x.uncapped else x.cap, "none" if y.uncapped else y.cap)
    _compare(out, "range", x.range, y.range)
    return out


def _effects(veto: Veto) -> tuple[str, ...]:
    out = []
    for e in veto.effects:
        if e.kind == "zero":
            out.append(f"zero {e.node}")
        elif e.kind == "no_award":
            out.append("no_award")
        elif e.kind == "block":
            out.append(f"{e.rating} block {'/'.join(e.levels)}")
        else:
            out.append(f"{e.rating} {e.kind} {e.level}")
    return tuple(out)


def _veto_details(x: Veto, y: Veto) -> list[Detail]:
    out = _fields(x, y, ("label", "when", "categories", "reason", "basis"))
    _compare(out, "effects", "; ".join(_effects(x)), "; ".join(_effects(y)))
    return out


def _rating_details(x: Rating, y: Rating) -> list[Detail]:
    out = _fields(x, y, ("label", "of", "assess", "derived_from"))
    old = {lv.id: lv for lv in x.levels}
    new = {lv.id: lv for lv in y.levels}
    for lid, lv in old.items():
        if lid not in new:
            out.append(Detail("level", f"{lv.label} {_text(lv.range)}", "—", lid))
    for lid, lv in new.items():
        if lid not in old:
            out.append(Detail("level", "—", f"{lv.label} {_text(lv.range)}", lid))
            continue
        before = old[lid]
        _compare(out, "label", before.label, lv.label, lid)
        _compare(out, "range", before.range, lv.range, lid)
        _compare(out, "when", before.when, lv.when, lid)
        _compare(out, "includes", before.includes, lv.includes, lid)
    if [lv for lv in old if lv in new] != [lv for lv in new if lv in old]:
        out.append(Detail("order", ", ".join(old), ", ".join(new)))
    return out


# ----------------------------------------------------------------------------------------------
# Impact


@dataclass(frozen=True, slots=True)
class UnitImpact:
    unit: str
    name: str
    category: str
    old_total: Decimal
    new_total: Decimal
    old_levels: Mapping[str, str | None]  # rating id -> level, for ratings in both versions
    new_levels: Mapping[str, str | None]

    @property
    def delta(self) -> Decimal:
        return self.new_total - self.old_total


@dataclass(frozen=True, slots=True)
class Impact:
    facts_file: str
    ratings: tuple[str, ...]  # ratings present in both versions, in the new order
    units: tuple[UnitImpact, ...]
    new: Scheme

    def moved(self, rating_id: str) -> list[UnitImpact]:
        """Units whose level in the rating changed."""
        return [u for u in self.units if u.old_levels.get(rating_id) !=
                u.new_levels.get(rating_id)]

    def direction(self, unit: UnitImpact, rating_id: str) -> int:
        """+1 when the unit moved to a better level, -1 to a worse one, 0 when unchanged."""
        rating = self.new.rating(rating_id)
        before, after = unit.old_levels.get(rating_id), unit.new_levels.get(rating_id)
        if rating is None or before == after:
            return 0
        return 1 if rating.rank(after or "") < rating.rank(before or "") else -1

    def transitions(self, rating_id: str) -> list[tuple[str | None, str | None, int]]:
        """(old level, new level, units) for each change of level, most frequent first."""
        counts: dict[tuple[str | None, str | None], int] = {}
        for u in self.moved(rating_id):
            key = (u.old_levels.get(rating_id), u.new_levels.get(rating_id))
            counts[key] = counts.get(key, 0) + 1
        return [(a, b, n) for (a, b), n in sorted(counts.items(), key=lambda kv: -kv[1])]


def impact(old: CompiledScheme, new: CompiledScheme, old_facts: FactsFile,
           new_facts: FactsFile) -> Impact:
    """Every unit's total and levels under both versions (units paired by id)."""
    ratings = tuple(r.id for r in new.model.ratings if old.model.rating(r.id) is not None)
    before: dict[str, Scores] = {s.unit: s for s in old.score_all(old_facts.units)}
    units = []
    for s in new.score_all(new_facts.units):
        o = before.get(s.unit)
        if o is None:
            continue
        units.append(UnitImpact(s.unit, s.name, s.category, o.total, s.total,
                                {r: o.ratings.get(r) for r in ratings},
                                {r: s.ratings.get(r) for r in ratings}))
    return Impact(new_facts.file, ratings, tuple(units), new.model)
