"""整改回头看: rectification items opened by deductions, and their follow-up.

A deduction named in the scheme's `rectification.opened_by` that fires for a unit opens an item
(the rule, the period it was found in, the period it is due by). A later period's facts report
the items rectified (`closed_by`); an item still open after its due period is handed to the
evaluation as the `overdue` list fact, so that the scheme's own deduction on it applies — and
the explanation shows each item with the period where it was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import MappingProxyType

from .evaluate import Result
from .facts import Subject
from .model import Scheme
from .periods import Period
from .store import Item


def _end(period: str) -> int:
    parsed = Period.parse(period)
    return parsed.index + parsed.months


def reported_closed(scheme: Scheme, units: Iterable[Subject]) -> list[Item]:
    """The items each unit reports rectified this period."""
    rect = scheme.rectification
    if rect is None or rect.closed_by is None:
        return []
    return [Item(u.id, str(r["rule"]), str(r["found"]), "")
            for u in units for r in u.values.get(rect.closed_by, ())]


def with_overdue(scheme: Scheme, units: Sequence[Subject], open_items: Iterable[Item],
                 period: str) -> list[Subject]:
    """The units with their overdue items — open, due before `period`, not reported
    rectified now — as the scheme's `overdue` list fact."""
    rect = scheme.rectification
    if rect is None:
        return list(units)
    closed = {(i.unit, i.rule, i.found) for i in reported_closed(scheme, units)}
    now = _end(period)
    overdue: dict[str, list[Item]] = {}
    for item in open_items:
        if _end(item.due) < now and (item.unit, item.rule, item.found) not in closed \
                and item.found != period:
            overdue.setdefault(item.unit, []).append(item)
    out = []
    for unit in units:
        records = tuple(MappingProxyType({"rule": i.rule, "found": i.found, "due": i.due})
                        for i in overdue.get(unit.id, ()))
        values = dict(unit.values)
        values[rect.overdue] = records
        out.append(replace(unit, values=MappingProxyType(values)))
    return out


def opened_items(scheme: Scheme, results: Iterable[Result], period: str) -> list[Item]:
    """Items opened this period: one per opening deduction that fired for a unit."""
    rect = scheme.rectification
    if rect is None:
        return []
    due = str(Period.parse(period).shift(rect.within))
    return [Item(r.unit, rule, period, due) for r in results for rule in rect.opened_by
            if rule in r.fired]
