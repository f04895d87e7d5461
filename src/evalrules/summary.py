"""Report-ready figures derived from results and their explanations.

Renderers (XLSX, CSV, Markdown, HTML) only format what is here; every figure a report shows
that is not in a Result or an Explanation is derived in this module:

- **rank within category**: units of one category ordered by total, highest first; units with
  equal totals share a rank and the next rank is skipped (competition ranking: 1, 1, 3);
- **index percentages**: for each tag used on criteria (in the shipped scheme the five star
  indices 星级队伍, 星级管理, 星级业绩, 星级品牌, 星级服务), the sum of the points of the applicable
  criteria (leaf nodes) carrying the tag ÷ the sum of their maxima for the unit's category,
  as a percentage rounded to one place with the scheme's rounding mode. Deductions, bonuses and
  vetoes acting on groups or on the total are not part of an index; a criterion's own points
  already include rules that act on it;
- **distribution**: how many units reached each level of each rating, per category and in all.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .diagnostics import Location
from .evaluate import Result
from .explain import ExplainedNode, Explanation
from .i18n import N_, _, current_language
from .model import Node, Scheme
from .numeric import CONTEXT, ZERO
from .store import UnitRecord

# Labels of well-known tags (shown with _()); a scheme's other tags are shown by their id.
TAG_LABELS = {
    "star_team": N_("Star team"),
    "star_management": N_("Star management"),
    "star_performance": N_("Star performance"),
    "star_brand": N_("Star brand"),
    "star_service": N_("Star service"),
}
INDEX_PLACES = 1


@dataclass(frozen=True, slots=True)
class IndexFigure:
    """One index of one unit: points of the tagged criteria over their maxima."""

    tag: str
    label: str
    points: Decimal
    max: Decimal
    percent: Decimal | None  # None when no applicable criterion carries the tag


@dataclass(frozen=True, slots=True)
class LevelFigure:
    rating: str
    rating_label: str
    level: str | None
    label: str  # "" when no level


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A deduction, bonus or veto that took effect (or was superseded) for a unit."""

    id: str
    kind: str  # "deduction" | "bonus" | "veto"
    label: str
    target: str
    target_label: str
    status: str  # "applied" | "limited" | "superseded" | "fired" (a veto)
    requested: Decimal | None  # what the rule asked for
    applied: Decimal | None  # what it actually took or gave (None for a veto)
    detail: str  # the veto's reason, or the rule that superseded this one
    basis: str
    location: Location


@dataclass(frozen=True, slots=True)
class UnitSummary:
    unit: str
    name: str
    category: str
    category_label: str
    total: Decimal
    levels: tuple[LevelFigure, ...]
    rank: int  # within the category, 1 = best; ties share a rank
    rank_of: int  # units in the category
    award_eligible: bool
    fired: tuple[FiredRule, ...]
    indices: tuple[IndexFigure, ...]
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Distribution:
    """How many units reached each level of one rating, per category and in all."""

    rating: str
    label: str
    levels: tuple[tuple[str | None, str], ...]  # (level id, label), best first; None: no level
    counts: tuple[tuple[str, tuple[int, ...]], ...]  # (category id, count per level)
    totals: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NodeColumn:
    id: str
    label: str
    depth: int  # 0 for the total
    kind: str  # "group" | "criterion"


@dataclass(frozen=True, slots=True)
class Report:
    scheme_id: str
    scheme_title: str
    scheme_version: str
    scheme_hash: str
    scheme_file: str
    facts_file: str
    facts_hash: str
    period: str
    scale: Decimal
    categories: tuple[tuple[str, str], ...]
    ratings: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]  # the indices: (tag, label)
    nodes: tuple[NodeColumn, ...]
    units: tuple[UnitSummary, ...]
    distributions: tuple[Distribution, ...]
    skipped: tuple[str, ...]  # units not evaluated because their facts have problems


def index_tags(scheme: Scheme) -> tuple[tuple[str, str], ...]:
    """The tags carried by criteria: well-known ones in their usual order, then the others."""
    found: list[str] = []
    for node in scheme.nodes():
        if node.is_group:
            continue
        for tag in node.tags:
            if tag not in found:
                found.append(tag)
    known = [t for t in TAG_LABELS if t in found]
    ordered = known + [t for t in found if t not in TAG_LABELS]
    return tuple((t, _(TAG_LABELS[t]) if t in TAG_LABELS else t) for t in ordered)


def indices(explanation: Explanation, tags: Sequence[tuple[str, str]],
            scheme: Scheme) -> tuple[IndexFigure, ...]:
    """The unit's index figures, read from its explanation tree."""
    points = {tag: ZERO for tag, _ in tags}
    maxima = {tag: ZERO for tag, _ in tags}
    counts = {tag: 0 for tag, _ in tags}
    for node in explanation.root.walk():
        if not isinstance(node, ExplainedNode) or node.kind != "criterion":
            continue
        if not node.applicable or node.max is None or node.points is None:
            continue
        for tag in node.tags:
            if tag in counts:
                points[tag] += node.points
                maxima[tag] += node.max
                counts[tag] += 1
    out = []
    with decimal.localcontext(CONTEXT):
        for tag, label in tags:
            percent = None
            if counts[tag] and maxima[tag] > 0:
                percent = scheme.policy.round_to(points[tag] / maxima[tag] * 100, INDEX_PLACES)
            out.append(IndexFigure(tag, label, points[tag], maxima[tag], percent))
    return tuple(out)


def ranks(results: Sequence[Result]) -> list[tuple[int, int]]:
    """(rank within category, units in category) for each result, in the given order."""
    by_category: dict[str, list[Decimal]] = {}
    for r in results:
        by_category.setdefault(r.category, []).append(r.total)
    rank_of: dict[str, dict[Decimal, int]] = {}
    for category, totals in by_category.items():
        places = rank_of[category] = {}
        for position, total in enumerate(sorted(totals, reverse=True), start=1):
            places.setdefault(total, position)
    return [(rank_of[r.category][r.total], len(by_category[r.category])) for r in results]


def _enum_sep() -> str:
    return "、" if current_language() == "zh_CN" else ", "


def fired_rules(e: Explanation) -> tuple[FiredRule, ...]:
    out = []
    for rule in e.rules:
        if rule.status not in ("applied", "limited", "superseded"):
            continue
        out.append(FiredRule(rule.id, rule.kind, rule.label, rule.target, rule.target_label,
                             rule.status, rule.amount,
                             rule.applied if rule.status != "superseded" else ZERO,
                             rule.superseded_by, rule.basis, rule.location))
    for veto in e.vetoes:
        if veto.fired:
            targets = _enum_sep().join(dict.fromkeys(effect[1] for effect in veto.effects
                                                     if effect[1]))
            out.append(FiredRule(veto.id, "veto", veto.label, targets, targets, "fired", None,
                                 None, veto.reason or veto.label, veto.basis, veto.location))
    return tuple(out)


def _levels(e: Explanation) -> tuple[LevelFigure, ...]:
    return tuple(LevelFigure(r.id, r.label, r.level, r.level_label) for r in e.ratings)


def distributions(scheme: Scheme, units: Sequence[UnitSummary]) -> tuple[Distribution, ...]:
    out = []
    categories = [c.id for c in scheme.categories]
    for rating in scheme.ratings:
        levels: list[tuple[str | None, str]] = [(lv.id, lv.label) for lv in rating.levels]
        reached = {lf.level for u in units for lf in u.levels if lf.rating == rating.id}
        if None in reached:
            levels.append((None, _("none")))
        index = {level: i for i, (level, _) in enumerate(levels)}
        table = {c: [0] * len(levels) for c in categories}
        for u in units:
            level = next((lf.level for lf in u.levels if lf.rating == rating.id), None)
            if level in index:
                table.setdefault(u.category, [0] * len(levels))[index[level]] += 1
        totals = tuple(sum(row[i] for row in table.values()) for i in range(len(levels)))
        out.append(Distribution(rating.id, rating.label, tuple(levels),
                                tuple((c, tuple(n)) for c, n in table.items()), totals))
    return tuple(out)


def summarize(scheme: Scheme, results: Sequence[Result], *, scheme_hash: str,
              facts_file: str = "", facts_hash: str = "", period: str = "",
              skipped: Sequence[str] = (),
              explanations: Iterable[Explanation] | None = None,
              progress: Callable[[int], None] | None = None,
              adjusted: Sequence[UnitRecord] | None = None) -> Report:
    """Everything a report shows, in the order of `results`.

    `adjusted` gives the same units after the period's quotas (cohort.cohort): their ratings
    replace the evaluated ones, and each quota that took a level away is listed with the rules.
    """
    tags = index_tags(scheme)
    explained = list(explanations) if explanations is not None else None
    places = ranks(results)
    units = []
    for i, result in enumerate(results):
        e = explained[i] if explained is not None else result.explain()
        category = scheme.category(result.category)
        rank, rank_of = places[i]
        levels, fired = _levels(e), fired_rules(e)
        if adjusted is not None:
            levels, fired = _after_quotas(scheme, adjusted[i], levels, fired)
        units.append(UnitSummary(
            unit=result.unit, name=result.name, category=result.category,
            category_label=category.label if category else result.category,
            total=result.total, levels=levels, rank=rank, rank_of=rank_of,
            award_eligible=result.award_eligible, fired=fired,
            indices=indices(e, tags, scheme), explanation=e))
        if progress is not None:
            progress(1)
    nodes = tuple(_columns(scheme.root, 0))
    return Report(
        scheme_id=scheme.id, scheme_title=scheme.title, scheme_version=scheme.version,
        scheme_hash=scheme_hash, scheme_file=scheme.file, facts_file=facts_file,
        facts_hash=facts_hash, period=period, scale=scheme.scale,
        categories=tuple((c.id, c.label) for c in scheme.categories),
        ratings=tuple((r.id, r.label) for r in scheme.ratings), tags=tags, nodes=nodes,
        units=tuple(units), distributions=distributions(scheme, units),
        skipped=tuple(skipped))


def _columns(node: Node, depth: int) -> Iterator[NodeColumn]:
    yield NodeColumn(node.id, node.label, depth, "group" if node.is_group else "criterion")
    for child in node.children:
        yield from _columns(child, depth + 1)


def _after_quotas(scheme: Scheme, record: UnitRecord, levels: tuple[LevelFigure, ...],
                  fired: tuple[FiredRule, ...]
                  ) -> tuple[tuple[LevelFigure, ...], tuple[FiredRule, ...]]:
    """The unit's levels after the period's quotas, and one entry per quota that applied."""
    def label(rating_id: str, level: str | None) -> str:
        rating = scheme.rating(rating_id)
        found = rating.level(level) if rating is not None and level is not None else None
        return found.label if found is not None else ""

    new_levels = tuple(LevelFigure(lf.rating, lf.rating_label,
                                   record.ratings.get(lf.rating, lf.level),
                                   label(lf.rating, record.ratings.get(lf.rating, lf.level)))
                       for lf in levels)
    quotas = []
    for note in record.notes.get("quotas", []):
        quota = next((q for q in scheme.quotas if q.id == note["quota"]), None)
        detail = _("ranked {position}, beyond the {limit} places ({of} units in all), "
                   "{before}→{after}").format(
            position=note["position"], limit=note["limit"], of=note["of"],
            before=label(note["rating"], note["from"]), after=label(note["rating"], note["to"]))
        quotas.append(FiredRule(note["quota"], "quota", note["label"], note["rating"],
                                label(note["rating"], note["from"]), "applied", None, None,
                                detail, "", quota.location if quota else Location()))
    return new_levels, fired + tuple(quotas)
