"""Rules that look at many units or many periods at once: rankings, quotas, awards, roll-ups.

They work on `UnitRecord`s — one unit's figures in one period, as evaluation produces them and
the results store keeps them — and record in each record's `notes` what they did and why, so
that an explanation can show it: which periods fed a roll-up and with which values, which
quota took a level away, which rank won an award.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .errors import EvalrulesError
from .evaluate import Result, apply_rating_vetoes, band_level, combine
from .i18n import ngettext
from .model import Award, Quota, Ranking, Rollup, Scheme
from .numeric import CONTEXT, ZERO
from .periods import Period
from .store import UnitRecord


class RollupError(EvalrulesError):
    """A roll-up that cannot be made: a part missing for a unit where the scheme says error."""

    exit_code = 7


def record_of(result: Result, levels_held: Mapping[str, Sequence[str]] | None = None,
              period: str = "") -> UnitRecord:
    """A unit's result as a record; `levels_held` lets roll-ups band its ratings again."""
    notes: dict[str, Any] = {}
    if levels_held is not None:
        notes["levels_held"] = {k: list(v) for k, v in levels_held.items()}
    return UnitRecord(result.unit, result.name, result.category, result.total,
                      dict(result.points), dict(result.ratings), result.fired,
                      result.award_eligible, result.facts_digest, notes, period)


# ----------------------------------------------------------------------------------------------
# Rankings


def _key(record: UnitRecord, nodes: Sequence[str]) -> tuple[Decimal, ...]:
    """Sort key: higher points first; a node not applicable ranks below any points."""
    key = []
    for node in nodes:
        value = record.points.get(node)
        key.append(-value if value is not None else Decimal("Infinity"))
    return tuple(key)


def rank(records: Sequence[UnitRecord], ranking: Ranking) -> dict[str, int]:
    """Unit id → rank (1 = best) under `ranking`; ties share a rank (1, 1, 3) or not (1, 1, 2)."""
    nodes = (ranking.of, *ranking.tie_break)
    groups: dict[str, list[UnitRecord]] = {}
    for record in records:
        groups.setdefault(record.category if ranking.within == "category" else "", []).append(
            record)
    ranks: dict[str, int] = {}
    for members in groups.values():
        ordered = sorted(members, key=lambda r: (_key(r, nodes), r.unit))
        previous: tuple[Decimal, ...] | None = None
        current = 0
        for position, record in enumerate(ordered, start=1):
            key = _key(record, nodes)
            if key != previous:
                current = position if ranking.ties == "shared" else current + 1
                previous = key
            ranks[record.unit] = current
    return ranks


def rank_all(scheme: Scheme, records: Sequence[UnitRecord]) -> dict[str, dict[str, int]]:
    """Every declared ranking: ranking id → unit id → rank."""
    return {ranking.id: rank(records, ranking) for ranking in scheme.rankings}


# ----------------------------------------------------------------------------------------------
# Quotas


def _limit(quota: Quota, size: int) -> int:
    if quota.count is not None:
        return quota.count
    assert quota.share is not None
    with decimal.localcontext(CONTEXT):
        return math.floor(quota.share * size / 100)  # a share is rounded down


def _rederive(scheme: Scheme, ratings: dict[str, str | None], changed: str) -> None:
    """Ratings derived (directly or through others) from `changed` follow its new level."""
    dirty = {changed}
    for _ in scheme.ratings:  # enough passes for any order of declaration
        for rating in scheme.ratings:
            if rating.id not in dirty and dirty.intersection(rating.derived_from):
                ratings[rating.id] = combine(rating, [ratings.get(s)
                                                      for s in rating.derived_from])
                dirty.add(rating.id)


def apply_quotas(scheme: Scheme, records: Sequence[UnitRecord],
                 ranks: Mapping[str, Mapping[str, int]]) -> list[UnitRecord]:
    """Records after every quota: units ranked beyond a quota drop one level, and say why."""
    current = {r.unit: r for r in records}
    for quota in scheme.quotas:
        rating = scheme.rating(quota.rating)
        if rating is None:
            continue
        order = ranks[quota.ranking]
        groups: dict[str, list[UnitRecord]] = {}
        for record in current.values():
            key = record.category if quota.within == "category" else ""
            groups.setdefault(key, []).append(record)
        for members in groups.values():
            limit = _limit(quota, len(members))
            holders = sorted((r for r in members if r.ratings.get(rating.id) == quota.level),
                             key=lambda r: (order.get(r.unit, 10**9), r.unit))
            for position, record in enumerate(holders, start=1):
                if position <= limit:
                    continue
                lower = rating.levels[rating.rank(quota.level) + 1].id \
                    if rating.rank(quota.level) + 1 < len(rating.levels) else None
                ratings = dict(record.ratings)
                ratings[rating.id] = lower
                _rederive(scheme, ratings, rating.id)
                note = {"quota": quota.id, "label": quota.label, "rating": rating.id,
                        "from": quota.level, "to": lower, "rank": order.get(record.unit),
                        "position": position, "limit": limit, "of": len(members)}
                notes = {**record.notes, "quotas": [*record.notes.get("quotas", []), note]}
                current[record.unit] = replace(record, ratings=ratings, notes=notes)
    return [current[r.unit] for r in records]


# ----------------------------------------------------------------------------------------------
# Awards


@dataclass(frozen=True, slots=True)
class Winner:
    award: str
    unit: str
    name: str
    category: str
    rank: int
    total: Decimal


def select_awards(award: Award, records: Sequence[UnitRecord],
                  ranks: Mapping[str, int]) -> list[Winner]:
    """The top N award-eligible units by rank (per category when `within: category`).

    Units tied with the N-th are all honoured: a tie is never broken by the file's order.
    """
    groups: dict[str, list[UnitRecord]] = {}
    for record in records:
        if record.award_eligible:
            key = record.category if award.within == "category" else ""
            groups.setdefault(key, []).append(record)
    winners = []
    for members in groups.values():
        ordered = sorted(members, key=lambda r: (ranks.get(r.unit, 10**9), r.unit))
        if not ordered:
            continue
        cut = ranks.get(ordered[min(award.top, len(ordered)) - 1].unit, 10**9)
        winners += [Winner(award.id, r.unit, r.name, r.category, ranks[r.unit], r.total)
                    for r in ordered if ranks.get(r.unit, 10**9) <= cut]
    return winners


def cohort(scheme: Scheme, records: Sequence[UnitRecord], period: str = ""
           ) -> tuple[list[UnitRecord], dict[str, list[Winner]]]:
    """Rank, apply quotas and pick the awards of one period's records.

    Ranks are noted in each record; awards apply to `period`'s kind (or to every kind when the
    award names none).
    """
    ranks = rank_all(scheme, records)
    adjusted = apply_quotas(scheme, records, ranks) if scheme.quotas else list(records)
    if scheme.rankings:
        adjusted = [replace(r, notes={**r.notes, "ranks": {k: v[r.unit] for k, v in
                                                          ranks.items()}})
                    for r in adjusted]
    kind = Period.parse(period).kind if period else ""
    awards = {a.id: select_awards(a, adjusted, ranks[a.ranking])
              for a in scheme.awards if not a.period or not kind or a.period == kind}
    return adjusted, awards


# ----------------------------------------------------------------------------------------------
# Roll-ups


def _aggregate(method: str, values: Sequence[Decimal], weights: Sequence[Decimal]) -> Decimal:
    with decimal.localcontext(CONTEXT):
        if method == "sum":
            return sum(values, ZERO)
        if method == "last":
            return values[-1]
        if method == "min":
            return min(values)
        if method == "max":
            return max(values)
        if method == "weighted":
            total = sum(weights, ZERO)
            return sum((v * w for v, w in zip(values, weights, strict=True)), ZERO) / total \
                if total else ZERO
        return sum(values, ZERO) / len(values)


def roll_up(scheme: Scheme, rollup: Rollup, period: Period,
            parts: Mapping[str, Sequence[UnitRecord]]) -> list[UnitRecord]:
    """The records of `period` made from its parts' records (part period text → records).

    Each node's points aggregate over the parts where the node applied; ratings named by the
    roll-up are banded again on the rolled-up points, their extra conditions taken from the
    latest part; vetoes that fired in any part apply again (unless `vetoes: none`).
    """
    part_kind = scheme.period_of(rollup.source)
    expected = [str(p) for p in period.parts(part_kind)]
    weights_by_part = dict(zip(expected, rollup.weights, strict=False))
    units: dict[str, dict[str, UnitRecord]] = {}
    for part in expected:
        for record in parts.get(part, ()):
            units.setdefault(record.unit, {})[part] = record
    missing_errors = []
    out = []
    for unit, by_part in units.items():
        missing = [p for p in expected if p not in by_part]
        if missing and rollup.missing == "error":
            missing_errors.append(f"{unit}: {', '.join(missing)}")
            continue
        present = [p for p in expected if p in by_part]
        latest = by_part[present[-1]]
        zero_parts = missing if rollup.missing == "zero" else []
        used = [p for p in expected if p in by_part or p in zero_parts]
        points: dict[str, Decimal | None] = {}
        for node in scheme.nodes():
            values, weights = [], []
            for part in used:
                value = by_part[part].points.get(node.id) if part in by_part else ZERO
                if value is not None:
                    values.append(value)
                    weights.append(weights_by_part.get(part, Decimal(1)))
            points[node.id] = scheme.policy.round(
                _aggregate(rollup.method, values, weights)) if values else None
        fired_vetoes = {v.id for v in scheme.vetoes for p in present
                        if v.id in by_part[p].fired} if rollup.vetoes == "any" else set()
        ratings = _rate(scheme, rollup, points, latest, fired_vetoes)
        sources = [{"period": p, "run": by_part[p].run_id, "total": by_part[p].total,
                    "ratings": dict(by_part[p].ratings)} if p in by_part
                   else {"period": p, "missing": rollup.missing} for p in expected]
        notes: dict[str, Any] = {"rollup": rollup.id, "method": rollup.method,
                                 "parts": sources, "vetoes": sorted(fired_vetoes)}
        if "levels_held" in latest.notes:
            notes["levels_held"] = latest.notes["levels_held"]
        no_award = any(not by_part[p].award_eligible for p in present) \
            if rollup.vetoes == "any" else False
        total = points.get("total")
        out.append(UnitRecord(unit, latest.name, latest.category,
                              total if total is not None else ZERO, points, ratings,
                              tuple(sorted(fired_vetoes)), not no_award, "", notes,
                              str(period)))
    if missing_errors:
        raise RollupError(ngettext(
            "roll-up `{rollup}` of {period} lacks parts for {count} unit: {missing} — evaluate "
            "and store those periods first, or declare `missing: skip` or `missing: zero` in "
            "the scheme",
            "roll-up `{rollup}` of {period} lacks parts for {count} units: {missing} — evaluate "
            "and store those periods first, or declare `missing: skip` or `missing: zero` in "
            "the scheme", len(missing_errors)).format(
                rollup=rollup.id, period=period, count=len(missing_errors),
                missing="; ".join(missing_errors[:10]) + ("; …" if len(missing_errors) > 10
                                                          else "")))
    return sorted(out, key=lambda r: r.unit)


def _rate(scheme: Scheme, rollup: Rollup, points: Mapping[str, Decimal | None],
          latest: UnitRecord, fired_vetoes: set[str]) -> dict[str, str | None]:
    """The roll-up's ratings: those it names banded again, those derived from them combined."""
    held: Mapping[str, Sequence[str]] = latest.notes.get("levels_held", {})
    ratings: dict[str, str | None] = {}
    for rating_id in _rating_order(scheme, rollup):
        rating = scheme.rating(rating_id)
        assert rating is not None
        level: str | None = None
        if rating.derived_from:
            level = combine(rating, [ratings.get(s) for s in rating.derived_from])
        else:
            value = points.get(rating.of or "total")
            if value is not None:
                ok = set(held.get(rating.id, [lv.id for lv in rating.levels]))
                level = band_level(rating, value, ok.__contains__)[0]
        vetoes = [v for v in scheme.vetoes if any(e.rating == rating.id for e in v.effects)]
        level, _ = apply_rating_vetoes(rating, level, vetoes, fired_vetoes.__contains__)
        ratings[rating.id] = level
    return ratings


def _rating_order(scheme: Scheme, rollup: Rollup) -> list[str]:
    """The ratings a roll-up gives: those it names, then those derived only from given ones,
    each after its sources."""
    order: list[str] = [r for r in rollup.ratings if scheme.rating(r) is not None]
    for _ in scheme.ratings:
        for rating in scheme.ratings:
            if rating.id not in order and rating.derived_from and all(
                    s in order for s in rating.derived_from):
                order.append(rating.id)
    return order
