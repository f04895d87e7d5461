"""Text for results over periods: period tables with ranks and awards, a unit's history with
its star movement, and the derivation of a rolled-up result from its parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cohort import Winner
from ..model import Scheme
from ..store import Item, RunInfo, UnitRecord
from .text import table

WORDS = {
    "unit": "单位", "name": "名称", "category": "类别", "total": "总分", "period": "期间",
    "kind": "类型", "award": "表彰", "quota": "名额限制",
    "no_level": "无", "eligible": "评优资格", "yes": "是", "no": "否", "movement": "变动",
    "up": "晋位↑", "down": "降级↓", "same": "持平", "from_parts": "由以下期间汇总",
    "method": "方法", "missing": "缺", "vetoes": "否决项", "run": "运行",
    "mean": "平均", "sum": "求和", "last": "取最后一期", "min": "取最低", "max": "取最高",
    "weighted": "加权平均", "trend": "趋势",
}


def _evaluated(scheme: Scheme) -> str:
    from ..periods import LABELS

    return f"{LABELS[scheme.evaluated_period]}评价"


def _level_label(scheme: Scheme, rating_id: str, level: str | None) -> str:
    rating = scheme.rating(rating_id)
    found = rating.level(level) if rating is not None and level is not None else None
    return found.label if found is not None else WORDS["no_level"]


def _shown_ratings(scheme: Scheme, records: Sequence[UnitRecord]) -> list[str]:
    present = {r for record in records for r in record.ratings}
    return [r.id for r in scheme.ratings if r.id in present]


def format_period(scheme: Scheme, records: Sequence[UnitRecord],
                  awards: Mapping[str, Sequence[Winner]], title: str = "") -> str:
    """One period's records with ranks, ratings after quotas, and the awards given."""
    ratings = _shown_ratings(scheme, records)
    rankings = [r.id for r in scheme.rankings]
    winners = {(w.award, w.unit) for ws in awards.values() for w in ws}
    header = [WORDS["unit"], WORDS["name"], WORDS["category"], WORDS["total"],
              *[scheme.rating(r).label for r in ratings if scheme.rating(r)],  # type: ignore[union-attr]
              *[scheme.ranking(r).label for r in rankings if scheme.ranking(r)],  # type: ignore[union-attr]
              WORDS["award"], WORDS["quota"]]
    rows = []
    for record in records:
        category = scheme.category(record.category)
        ranks = record.notes.get("ranks", {})
        quotas = record.notes.get("quotas", [])
        won = [a.label for a in scheme.awards if (a.id, record.unit) in winners]
        rows.append([record.unit, record.name, category.label if category else record.category,
                     str(record.total),
                     *[_level_label(scheme, r, record.ratings.get(r)) for r in ratings],
                     *[str(ranks.get(r, "")) for r in rankings], "、".join(won),
                     "；".join(f"{q['label']}：第{q['position']}名超出{q['limit']}个名额，"
                              f"{_level_label(scheme, q['rating'], q['from'])}→"
                              f"{_level_label(scheme, q['rating'], q['to'])}" for q in quotas)])
    out = [title] if title else []
    out.append(table(header, rows, numeric={3}))
    for award in scheme.awards:
        if award.id in awards:
            names = "、".join(f"{w.name}（{w.unit}，第{w.rank}名）" for w in awards[award.id])
            out.append(f"{award.label}：{names or WORDS['no_level']}")
    return "\n".join(out)


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
        return "（无记录）"
    ratings = _shown_ratings(scheme, records)
    header = [WORDS["period"], WORDS["kind"], WORDS["total"],
              *[scheme.rating(r).label for r in ratings if scheme.rating(r)],  # type: ignore[union-attr]
              WORDS["eligible"], WORDS["movement"]]
    rows = []
    previous: dict[str, tuple[str, int] | None] = {}
    for record in records:
        kind = record.notes.get("rollup", "evaluation")
        tier = _tier_of(scheme, record)
        before = previous.get(kind)
        movement = ""
        if tier is not None and before is not None and tier[0] == before[0]:
            movement = WORDS["up"] if tier[1] < before[1] else (
                WORDS["down"] if tier[1] > before[1] else WORDS["same"])
        previous[kind] = tier
        rollup = scheme.rollup(kind)
        rows.append([record.period, rollup.label if rollup else _evaluated(scheme),
                     str(record.total),
                     *[_level_label(scheme, r, record.ratings.get(r)) for r in ratings],
                     WORDS["yes"] if record.award_eligible else WORDS["no"], movement])
    first = records[0]
    out = [f"{first.unit} {first.name}", table(header, rows, numeric={2})]
    evaluations = [r for r in records if "rollup" not in r.notes]
    if len(evaluations) >= 2:
        change = evaluations[-1].total - evaluations[0].total
        sign = "+" if change >= 0 else "−"
        out.append(f"{WORDS['trend']}：{evaluations[0].period} {evaluations[0].total} → "
                   f"{evaluations[-1].period} {evaluations[-1].total}（{sign}{abs(change)}）")
    return "\n".join(out)


def format_derivation(scheme: Scheme, record: UnitRecord,
                      parts: Mapping[tuple[str, str], UnitRecord], depth: int = 0) -> str:
    """How a rolled-up result was reached: each part's period and figures, down to the
    evaluated periods. `parts` maps (period, kind) to the stored part records."""
    pad = "   " * depth
    rollup = scheme.rollup(record.notes.get("rollup", ""))
    ratings = "  ".join(f"{scheme.rating(r).label}：{_level_label(scheme, r, lv)}"  # type: ignore[union-attr]
                        for r, lv in record.ratings.items() if scheme.rating(r))
    kind = rollup.label if rollup else _evaluated(scheme)
    lines = [f"{pad}{record.period}（{kind}） {WORDS['total']} {record.total}  {ratings}"]
    if rollup is None:
        return "\n".join(lines)
    method = WORDS.get(rollup.method, rollup.method)
    if rollup.method == "weighted":
        method += "（" + "、".join(str(w) for w in rollup.weights) + "）"
    lines.append(f"{pad}   {WORDS['from_parts']}，{WORDS['method']}：{method}")
    vetoes = record.notes.get("vetoes", [])
    if vetoes:
        lines.append(f"{pad}   {WORDS['vetoes']}：{'、'.join(vetoes)}")
    for q in record.notes.get("quotas", []):
        lines.append(f"{pad}   {WORDS['quota']}：{q['label']}：第{q['position']}名超出{q['limit']}"
                     f"个名额，{_level_label(scheme, q['rating'], q['from'])}→"
                     f"{_level_label(scheme, q['rating'], q['to'])}")
    for part in record.notes.get("parts", []):
        if "missing" in part:
            lines.append(f"{pad}   {part['period']}：{WORDS['missing']}（{part['missing']}）")
            continue
        child = parts.get((part["period"], rollup.source))
        if child is not None:
            lines.append(format_derivation(scheme, child, parts, depth + 1))
        else:
            lines.append(f"{pad}   {part['period']} {WORDS['total']} {part['total']}")
    return "\n".join(lines)


def format_runs(runs: Sequence[RunInfo]) -> str:
    header = [WORDS["run"], WORDS["period"], WORDS["kind"], "单位数", "状态", "完成时间"]
    rows = [[str(r.id), r.period, r.kind, str(r.units),
             "有效" if r.status == "current" else f"已被{r.replaced_by}替换", r.finished]
            for r in runs]
    return table(header, rows)


def format_items(scheme: Scheme, items: Sequence[Item], as_of: str) -> str:
    """Rectification items with their state as of a period: open, overdue or rectified."""
    from ..periods import Period

    def end(period: str) -> int:
        parsed = Period.parse(period)
        return parsed.index + parsed.months

    labels = {d.id: d.label for d in scheme.deductions}
    header = [WORDS["unit"], "问题来源", "发现期间", "整改期限", "状态"]
    rows = []
    for item in items:
        if item.closed:
            state = f"已于{item.closed}整改销号"
        elif as_of and end(item.due) < end(as_of):
            state = f"逾期（截至{as_of}）"
        else:
            state = "整改中"
        rows.append([item.unit, f"{labels.get(item.rule, item.rule)} [{item.rule}]", item.found,
                     item.due, state])
    if not rows:
        return "（无整改事项）"
    return table(header, rows)
