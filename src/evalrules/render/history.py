"""Text for results over periods: period tables with ranks and awards, a unit's history with
its star movement, and the derivation of a rolled-up result from its parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cohort import Winner
from ..i18n import N_, _
from ..model import Scheme
from ..store import Item, RunInfo, UnitRecord
from .text import marks, table

# How a roll-up combines its parts; shown with _().
METHOD_WORDS = {
    "mean": N_("mean"), "sum": N_("sum"), "last": N_("the last period"),
    "min": N_("the lowest"), "max": N_("the highest"), "weighted": N_("weighted mean"),
}
# The kind of a record that was evaluated (not rolled up), by the scheme's evaluated period.
EVALUATED_WORDS = {
    "month": N_("monthly evaluation"), "quarter": N_("quarterly evaluation"),
    "half": N_("half-year evaluation"), "year": N_("annual evaluation"),
}


def _evaluated(scheme: Scheme) -> str:
    period = scheme.evaluated_period
    if period in EVALUATED_WORDS:
        return _(EVALUATED_WORDS[period])
    return _("{period} evaluation").format(period=period)


def _level_label(scheme: Scheme, rating_id: str, level: str | None) -> str:
    rating = scheme.rating(rating_id)
    found = rating.level(level) if rating is not None and level is not None else None
    return found.label if found is not None else _("none")


def _shown_ratings(scheme: Scheme, records: Sequence[UnitRecord]) -> list[str]:
    present = {r for record in records for r in record.ratings}
    return [r.id for r in scheme.ratings if r.id in present]


def format_period(scheme: Scheme, records: Sequence[UnitRecord],
                  awards: Mapping[str, Sequence[Winner]], title: str = "") -> str:
    """One period's records with ranks, ratings after quotas, and the awards given."""
    ratings = _shown_ratings(scheme, records)
    rankings = [r.id for r in scheme.rankings]
    winners = {(w.award, w.unit) for ws in awards.values() for w in ws}
    m = marks()
    header = [_("Unit"), _("Name"), _("Category"), _("Total"),
              *[scheme.rating(r).label for r in ratings if scheme.rating(r)],  # type: ignore[union-attr]
              *[scheme.ranking(r).label for r in rankings if scheme.ranking(r)],  # type: ignore[union-attr]
              _("Awards"), _("Quota")]
    rows = []
    for record in records:
        category = scheme.category(record.category)
        ranks = record.notes.get("ranks", {})
        quotas = record.notes.get("quotas", [])
        won = [a.label for a in scheme.awards if (a.id, record.unit) in winners]
        rows.append([record.unit, record.name, category.label if category else record.category,
                     str(record.total),
                     *[_level_label(scheme, r, record.ratings.get(r)) for r in ratings],
                     *[str(ranks.get(r, "")) for r in rankings], m.enum_sep.join(won),
                     m.list_sep.join(_quota_text(scheme, q) for q in quotas)])
    out = [title] if title else []
    out.append(table(header, rows, numeric={3}))
    for award in scheme.awards:
        if award.id in awards:
            names = m.enum_sep.join(
                _("{name} ({unit}, ranked {rank})").format(name=w.name, unit=w.unit, rank=w.rank)
                for w in awards[award.id])
            out.append(award.label + m.colon + (names or _("none")))
    return "\n".join(out)


def _quota_text(scheme: Scheme, q: Mapping[str, object]) -> str:
    rating = str(q["rating"])
    return _("{quota}: ranked {position}, beyond the {limit} places, {before}→{after}").format(
        quota=q["label"], position=q["position"], limit=q["limit"],
        before=_level_label(scheme, rating, q["from"]),  # type: ignore[arg-type]
        after=_level_label(scheme, rating, q["to"]))  # type: ignore[arg-type]


def _tier_of(scheme: Scheme, record: UnitRecord) -> tuple[str, int] | None:
    """The rating used for movement — a ladder grouped from another rating, else the first —
    and the unit's position on it (0 = best)."""
    ladder = next((r for r in scheme.ratings if r.source is not None), None)
    rating = ladder or (scheme.ratings[0] if scheme.ratings else None)
    if rating is None or record.ratings.get(rating.id) is None:
        return None
    return rating.id, rating.rank(record.ratings[rating.id] or "")


def format_history(scheme: Scheme, records: Sequence[UnitRecord]) -> str:
    """A unit's results period by period, with promotion or demotion on the ladder and the
    trend of its total."""
    if not records:
        return _("(no records)")
    ratings = _shown_ratings(scheme, records)
    header = [_("Period"), _("Kind"), _("Total"),
              *[scheme.rating(r).label for r in ratings if scheme.rating(r)],  # type: ignore[union-attr]
              _("Award eligibility"), _("Movement")]
    rows = []
    previous: dict[str, tuple[str, int] | None] = {}
    for record in records:
        kind = record.notes.get("rollup", "evaluation")
        tier = _tier_of(scheme, record)
        before = previous.get(kind)
        movement = ""
        if tier is not None and before is not None and tier[0] == before[0]:
            movement = _("promoted ↑") if tier[1] < before[1] else (
                _("demoted ↓") if tier[1] > before[1] else _("steady"))
        previous[kind] = tier
        rollup = scheme.rollup(kind)
        rows.append([record.period, rollup.label if rollup else _evaluated(scheme),
                     str(record.total),
                     *[_level_label(scheme, r, record.ratings.get(r)) for r in ratings],
                     _("yes") if record.award_eligible else _("no"), movement])
    first = records[0]
    out = [f"{first.unit} {first.name}", table(header, rows, numeric={2})]
    evaluations = [r for r in records if "rollup" not in r.notes]
    if len(evaluations) >= 2:
        change = evaluations[-1].total - evaluations[0].total
        sign = "+" if change >= 0 else "−"
        out.append(_("Trend: {first} {first_total} → {last} {last_total} ({change})").format(
            first=evaluations[0].period, first_total=evaluations[0].total,
            last=evaluations[-1].period, last_total=evaluations[-1].total,
            change=f"{sign}{abs(change)}"))
    return "\n".join(out)


def format_derivation(scheme: Scheme, record: UnitRecord,
                      parts: Mapping[tuple[str, str], UnitRecord], depth: int = 0) -> str:
    """How a rolled-up result was reached: each part's period and figures, down to the
    evaluated periods. `parts` maps (period, kind) to the stored part records."""
    pad = "   " * depth
    m = marks()
    rollup = scheme.rollup(record.notes.get("rollup", ""))
    ratings = "  ".join(f"{scheme.rating(r).label}{m.colon}{_level_label(scheme, r, lv)}"  # type: ignore[union-attr]
                        for r, lv in record.ratings.items() if scheme.rating(r))
    kind = rollup.label if rollup else _evaluated(scheme)
    lines = [pad + _("{period} ({kind}) total {total}  {ratings}").format(
        period=record.period, kind=kind, total=record.total, ratings=ratings)]
    if rollup is None:
        return "\n".join(lines)
    method = _(METHOD_WORDS[rollup.method]) if rollup.method in METHOD_WORDS else rollup.method
    if rollup.method == "weighted":
        method += m.paren(m.enum_sep.join(str(w) for w in rollup.weights))
    lines.append(f"{pad}   " + _("Rolled up from these periods, method: {method}").format(
        method=method))
    vetoes = record.notes.get("vetoes", [])
    if vetoes:
        lines.append(f"{pad}   " + _("Vetoes: {vetoes}").format(vetoes=m.enum_sep.join(vetoes)))
    for q in record.notes.get("quotas", []):
        lines.append(f"{pad}   " + _("Quota: {text}").format(text=_quota_text(scheme, q)))
    for part in record.notes.get("parts", []):
        if "missing" in part:
            lines.append(f"{pad}   " + _("{period}: missing ({why})").format(
                period=part["period"], why=part["missing"]))
            continue
        child = parts.get((part["period"], rollup.source))
        if child is not None:
            lines.append(format_derivation(scheme, child, parts, depth + 1))
        else:
            lines.append(f"{pad}   " + _("{period} total {total}").format(
                period=part["period"], total=part["total"]))
    return "\n".join(lines)


def format_runs(runs: Sequence[RunInfo]) -> str:
    header = [_("Run"), _("Period"), _("Kind"), _("Units"), _("Status"), _("Finished")]
    rows = [[str(r.id), r.period, r.kind, str(r.units),
             _("current") if r.status == "current" else
             _("replaced by {run}").format(run=r.replaced_by), r.finished]
            for r in runs]
    return table(header, rows)


def format_items(scheme: Scheme, items: Sequence[Item], as_of: str) -> str:
    """Rectification items with their state as of a period: open, overdue or rectified."""
    from ..periods import Period

    def end(period: str) -> int:
        parsed = Period.parse(period)
        return parsed.index + parsed.months

    labels = {d.id: d.label for d in scheme.deductions}
    header = [_("Unit"), _("Source of the problem"), _("Found in"), _("Rectify by"),
              _("Status")]
    rows = []
    for item in items:
        if item.closed:
            state = _("rectified and closed out in {period}").format(period=item.closed)
        elif as_of and end(item.due) < end(as_of):
            state = _("overdue (as of {period})").format(period=as_of)
        else:
            state = _("being rectified")
        rows.append([item.unit, f"{labels.get(item.rule, item.rule)} [{item.rule}]", item.found,
                     item.due, state])
    if not rows:
        return _("(no rectification items)")
    return table(header, rows)
