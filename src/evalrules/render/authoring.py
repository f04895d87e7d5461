"""Text and JSON renderings of the authoring reports: test coverage, scheme diffs and their
impact, what-if comparisons and gaps. Labels come from the schemes (Chinese), with ids.

Nothing here computes a figure: every number is read from the report objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..coverage import Coverage, percent
from ..diff import Change, Impact, SchemeDiff
from ..evaluate import Result
from ..explain import ExplainedInput
from ..gaps import Gaps, Route
from ..model import Rating, Scheme
from ..numeric import plain
from ..testing import TestOutcome
from ..whatif import WhatIf
from .jsonout import diagnostics as diagnostics_json
from .text import WORDS, show_value, signed, table

FORMAT_COVERAGE = "evalrules.coverage"
FORMAT_DIFF = "evalrules.diff"
FORMAT_WHATIF = "evalrules.what-if"
FORMAT_GAPS = "evalrules.gaps"

SUMMARY_WORDS = {
    "criteria": "指标（有测试失分）",
    "criteria_full": "指标（有测试得满分）",
    "levels": "评级档次（有测试评定）",
    "deductions": "扣分项（有测试触发）",
    "bonuses": "加分项（有测试触发）",
    "vetoes": "否决项（有测试触发）",
}
SECTION_WORDS = {
    "scheme": "方案", "category": "类别", "fact": "事实", "derived": "中间值",
    "indicator": "指标", "deduction": "扣分项", "bonus": "加分项", "veto": "否决项",
    "rating": "评级",
}
KIND_MARKS = {"added": "+ 新增", "removed": "− 删除", "moved": "→ 移动", "changed": "~ 修改"}
DETAIL_WORDS = {
    "id": "方案编号", "title": "标题", "version": "版本", "effective": "生效日期",
    "owner": "制定部门", "scale": "满分", "places": "小数位数", "rounding": "舍入方式",
    "label": "名称", "type": "类型", "unit": "单位", "min": "最小值", "max": "满分",
    "required": "必填", "source": "数据来源", "default": "默认值", "values": "取值",
    "fields": "字段", "formula": "公式", "parent": "上级", "weight": "权重", "floor": "保底",
    "points": "计分", "when": "条件", "applies_to": "适用类别", "applicable": "适用条件",
    "renormalize": "按适用项折算", "basis": "依据", "tags": "标签", "per": "次数",
    "exclusive": "就高分组", "categories": "适用类别", "above_max": "可超过满分",
    "cap": "上限", "range": "取值范围", "reason": "否决理由", "effects": "否决效果",
    "of": "评级对象", "assess": "评定方式", "derived_from": "来源评级", "level": "档次",
    "includes": "包含", "order": "档次顺序",
}
# Words whose meaning depends on the section.
SECTION_DETAIL_WORDS = {
    ("fact", "max"): "最大值", ("deduction", "applies_to"): "作用于",
    ("bonus", "applies_to"): "作用于", ("rating", "range"): "分数段",
    ("deduction", "points"): "分值", ("bonus", "points"): "分值",
}


def _pct(covered: int, total: int) -> str:
    value = percent(covered, total)
    return "—" if value is None else f"{value}%"


def _level_label(rating: Rating | None, level: str | None) -> str:
    if level is None:
        return WORDS["no_level"]
    found = rating.level(level) if rating is not None else None
    return found.label if found is not None else level


# ----------------------------------------------------------------------------------------------
# Coverage


def format_coverage(cov: Coverage) -> str:
    out = [f"测试覆盖：{cov.scheme_id} {cov.title}",
           f"文件：{cov.file}  测试：{cov.tests} 个（通过 {cov.passed} 个）", ""]
    rows = [[SUMMARY_WORDS[what], str(n), str(total), _pct(n, total)]
            for what, n, total in cov.summary()]
    out.append(table(["项目", "覆盖", "合计", "覆盖率"], rows, numeric={1, 2, 3}))
    untested = [c for c in cov.criteria if not c.exercised]
    if untested:
        out += ["", "没有测试失分的指标："]
        for c in untested:
            why = f"{len(c.full)} 个测试均得满分" if c.applicable else "没有测试适用"
            out.append(f"  {c.label} [{c.id}]（{why}）")
    never_full = [c for c in cov.criteria if not c.full and c.applicable]
    if never_full:
        out += ["", "没有测试得满分的指标："]
        out += [f"  {c.label} [{c.id}]" for c in never_full]
    missed = [lv for lv in cov.levels if not lv.exercised]
    if missed:
        out += ["", "没有测试评定的档次："]
        out += [f"  {lv.owner_label} [{lv.owner}]：{lv.label}（{lv.id}）" for lv in missed]
    for kind, title in (("deduction", "没有测试触发的扣分项："),
                        ("bonus", "没有测试触发的加分项：")):
        items = [r for r in cov.rules if r.kind == kind and not r.exercised]
        if items:
            out += ["", title] + [f"  {r.label} [{r.id}]" for r in items]
    vetoes = [v for v in cov.vetoes if not v.exercised]
    if vetoes:
        out += ["", "没有测试触发的否决项："] + [f"  {v.label} [{v.id}]" for v in vetoes]
    return "\n".join(out)


def coverage_json(cov: Coverage) -> dict[str, Any]:
    return {
        "scheme": {"id": cov.scheme_id, "title": cov.title, "file": cov.file},
        "tests": {"total": cov.tests, "evaluated": cov.evaluated, "passed": cov.passed},
        "summary": {what: {"covered": n, "total": total, "percent": percent(n, total)}
                    for what, n, total in cov.summary()},
        "criteria": [{"id": c.id, "label": c.label, "line": c.location.line,
                      "applicable": list(c.applicable), "full": list(c.full),
                      "short": list(c.short)} for c in cov.criteria],
        "levels": [{"rating": lv.owner, "id": lv.id, "label": lv.label,
                    "tests": list(lv.tests)} for lv in cov.levels],
        "rules": [{"kind": r.kind, "id": r.id, "label": r.label, "node": r.owner,
                   "tests": list(r.tests)} for r in cov.rules],
        "vetoes": [{"id": v.id, "label": v.label, "tests": list(v.tests)} for v in cov.vetoes],
    }


def outcomes_json(outcomes: Sequence[TestOutcome]) -> list[dict[str, Any]]:
    return [{"name": o.name, "file": o.location.file, "line": o.location.line,
             "passed": o.passed,
             "mismatches": [{"what": m.what, "expected": _jsonable(m.expected),
                             "actual": _jsonable(m.actual)} for m in o.mismatches],
             "problems": diagnostics_json(list(o.problems))["diagnostics"],
             "error": o.error} for o in outcomes]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, bool, Decimal, int)) or value is None:
        return value
    return str(value)


# ----------------------------------------------------------------------------------------------
# Diff


def _detail_word(section: str, what: str) -> str:
    return SECTION_DETAIL_WORDS.get((section, what)) or DETAIL_WORDS.get(what, what)


def _change_lines(change: Change) -> list[str]:
    out = [f"  {KIND_MARKS[change.kind]}  {change.label} [{change.id}]"]
    for d in change.details:
        word = _detail_word(change.section, d.what)
        scope = f"（{d.scope}）" if d.scope else ""
        if change.kind == "added" and d.old == "—":
            out.append(f"      {word}{scope}：{d.new}")
        elif change.kind == "removed" and d.new == "—":
            out.append(f"      {word}{scope}：{d.old}")
        else:
            out.append(f"      {word}{scope}：{d.old} → {d.new}")
    return out


def format_diff(d: SchemeDiff, impact: Impact | None = None) -> str:
    a, b = d.old, d.new
    out = [f"方案对比：{b.id} {a.version} → {b.version}",
           f"旧版本：{a.file}  {d.old_hash}",
           f"新版本：{b.file}  {d.new_hash}"]
    if not d.changes:
        out += ["", "两个版本的结构相同。"]
    for section in SECTION_WORDS:
        changes = [c for c in d.changes if c.section == section]
        if not changes:
            continue
        out += ["", f"{SECTION_WORDS[section]}："]
        for change in changes:
            out += _change_lines(change)
    out += ["", f"共 {len(d.changes)} 处变化：新增 {d.count('added')}，删除 {d.count('removed')}，"
                f"移动 {d.count('moved')}，修改 {d.count('changed')}"]
    if impact is not None:
        out += ["", *format_impact(impact, a, b)]
    return "\n".join(out)


def format_impact(impact: Impact, old: Scheme, new: Scheme) -> list[str]:
    ratings = [r for r in new.ratings if r.id in impact.ratings]
    out = [f"影响：{impact.facts_file}，{len(impact.units)} 个单位", ""]
    header = ["单位", "名称", "类别", "旧总分", "新总分", "变化"]
    for r in ratings:
        header += [f"旧{r.label}", f"新{r.label}"]
    rows = []
    for u in impact.units:
        category = new.category(u.category)
        row = [u.unit, u.name, category.label if category else u.category, str(u.old_total),
               str(u.new_total), signed(u.delta) if u.delta else "0"]
        for r in ratings:
            row += [_level_label(old.rating(r.id), u.old_levels.get(r.id)),
                    _level_label(r, u.new_levels.get(r.id))]
        rows.append(row)
    out.append(table(header, rows, numeric={3, 4, 5}))
    out += ["", "评级变化："]
    for r in ratings:
        moved = impact.moved(r.id)
        up = sum(1 for u in moved if impact.direction(u, r.id) > 0)
        down = sum(1 for u in moved if impact.direction(u, r.id) < 0)
        out.append(f"  {r.label} [{r.id}]：{len(moved)} 个单位变化（升 {up}，降 {down}）")
        for before, after, n in impact.transitions(r.id):
            out.append(f"    {_level_label(old.rating(r.id), before)} → "
                       f"{_level_label(r, after)}：{n}")
        for u in moved:
            before_label = _level_label(old.rating(r.id), u.old_levels.get(r.id))
            out.append(f"    {u.unit} {u.name}：{before_label} → "
                       f"{_level_label(r, u.new_levels.get(r.id))}（{u.old_total} → "
                       f"{u.new_total}）")
    up = sum(1 for u in impact.units if u.delta > 0)
    down = sum(1 for u in impact.units if u.delta < 0)
    same = len(impact.units) - up - down
    out += ["", f"汇总：总分上升 {up} 个，下降 {down} 个，不变 {same} 个"]
    if impact.units:
        low = min(impact.units, key=lambda u: u.delta)
        high = max(impact.units, key=lambda u: u.delta)
        if high.delta > 0:
            out.append(f"      最大增幅 {signed(high.delta)}（{high.unit} {high.name}）")
        if low.delta < 0:
            out.append(f"      最大降幅 {signed(low.delta)}（{low.unit} {low.name}）")
    return out


def diff_json(d: SchemeDiff, impact: Impact | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "format": FORMAT_DIFF, "format_version": 1,
        "old": {"id": d.old.id, "version": d.old.version, "file": d.old.file,
                "hash": d.old_hash},
        "new": {"id": d.new.id, "version": d.new.version, "file": d.new.file,
                "hash": d.new_hash},
        "changes": [{"section": c.section, "kind": c.kind, "id": c.id, "label": c.label,
                     "details": [{"what": x.what, "scope": x.scope, "old": x.old, "new": x.new}
                                 for x in c.details],
                     "old_line": c.old_location.line if c.old_location else None,
                     "new_line": c.new_location.line if c.new_location else None}
                    for c in d.changes],
        "counts": {k: d.count(k) for k in ("added", "removed", "moved", "changed")},
    }
    if impact is not None:
        payload["impact"] = {
            "facts": impact.facts_file,
            "units": [{"unit": u.unit, "name": u.name, "category": u.category,
                       "old_total": u.old_total, "new_total": u.new_total, "delta": u.delta,
                       "old_ratings": dict(u.old_levels), "new_ratings": dict(u.new_levels)}
                      for u in impact.units],
            "ratings": {r: {"changed": len(impact.moved(r)),
                            "up": sum(1 for u in impact.moved(r) if impact.direction(u, r) > 0),
                            "down": sum(1 for u in impact.moved(r)
                                        if impact.direction(u, r) < 0),
                            "transitions": [{"old": a, "new": b, "units": n}
                                            for a, b, n in impact.transitions(r)]}
                        for r in impact.ratings},
            "totals": {"up": sum(1 for u in impact.units if u.delta > 0),
                       "down": sum(1 for u in impact.units if u.delta < 0),
                       "same": sum(1 for u in impact.units if u.delta == 0)},
        }
    return payload


# ----------------------------------------------------------------------------------------------
# What-if


def _head(result: Result) -> list[str]:
    scheme = result.scheme
    category = scheme.category(result.category)
    return [f"{result.unit} {result.name}（{category.label if category else result.category}）"
            .replace(" （", "（"),
            f"{WORDS['scheme']}：{scheme.id} {scheme.title} {WORDS['version']} "
            f"{scheme.version}"]


def _show(value: Any) -> str:
    if value is None:
        return "—"
    return show_value(value)


def format_what_if(w: WhatIf) -> str:
    before, after = w.before, w.after
    scheme = after.scheme
    head = _head(after)
    out = [f"假设分析：{head[0]}", head[1], "", "假设："]
    for a in w.assumptions:
        out.append(f"  {a.label} [{a.fact}]：{_show(a.old)} → {_show(a.new)}")
    delta = after.total - before.total
    out += ["", "结果：", f"  {WORDS['total']}：{before.total} → {after.total}"
            f"（{signed(delta) if delta else '不变'}）"]
    for rating in scheme.ratings:
        out.append(f"  {rating.label}：{_level_label(rating, before.ratings.get(rating.id))} → "
                   f"{_level_label(rating, after.ratings.get(rating.id))}")
    out.append(f"  {WORDS['award']}：{WORDS['yes'] if before.award_eligible else WORDS['no']} → "
               f"{WORDS['yes'] if after.award_eligible else WORDS['no']}")
    out += ["", "变化的步骤："]
    if not w.changes:
        out.append("  （没有变化）")
    nodes = [c for c in w.changes if c.kind == "node"]
    if nodes:
        rows = []
        for c in nodes:
            diff = (c.new or Decimal(0)) - (c.old or Decimal(0))
            rows.append(["  " * c.depth + f"{c.label} [{c.id}]", _points(c.old),
                         _points(c.new), signed(diff)])
        body = table(["指标", "之前", "之后", "变化"], rows, numeric={1, 2, 3})
        out += ["  " + line for line in body.splitlines()]
    for c in w.changes:
        if c.kind in ("deduction", "bonus"):
            sign = "−" if c.kind == "deduction" else "+"
            was = f"{sign}{c.old}" if c.old is not None else WORDS["not_fired"]
            now = f"{sign}{c.new}" if c.new is not None else WORDS["not_fired"]
            out.append(f"  {WORDS[c.kind]} {c.label} [{c.id}]：{was} → {now}")
        elif c.kind == "veto":
            out.append(f"  {WORDS['veto']} {c.label} [{c.id}]："
                       f"{'触发' if c.old else WORDS['not_fired']} → "
                       f"{'触发' if c.new else WORDS['not_fired']}")
        elif c.kind == "rating":
            rated = scheme.rating(c.id)
            out.append(f"  {WORDS['ratings']} {c.label} [{c.id}]：{_level_label(rated, c.old)} → "
                       f"{_level_label(rated, c.new)}")
        elif c.kind == "derived":
            out.append(f"  {WORDS['derived']} {c.label} [{c.id}]：{_show(c.old)} → "
                       f"{_show(c.new)}")
    return "\n".join(out)


def _points(value: Any) -> str:
    return WORDS["na"] if value is None else str(value)


def what_if_json(w: WhatIf) -> dict[str, Any]:
    def side(r: Result) -> dict[str, Any]:
        return {"total": r.total, "ratings": dict(r.ratings), "fired": list(r.fired),
                "award_eligible": r.award_eligible}

    return {
        "format": FORMAT_WHATIF, "format_version": 1,
        "scheme": {"id": w.after.scheme_id, "version": w.after.scheme_version,
                   "hash": w.after.scheme_hash},
        "unit": {"id": w.after.unit, "name": w.after.name, "category": w.after.category},
        "assumptions": [{"fact": a.fact, "label": a.label, "old": _value(a.old),
                         "new": _value(a.new)} for a in w.assumptions],
        "before": side(w.before), "after": side(w.after),
        "changes": [{"kind": c.kind, "id": c.id, "label": c.label, "old": _value(c.old),
                     "new": _value(c.new)} for c in w.changes],
    }


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, (str, bool, Decimal, int)) or value is None:
        return value
    return show_value(value)


# ----------------------------------------------------------------------------------------------
# Gaps


def format_gaps(g: Gaps) -> str:
    e = g.explanation
    head = f"{e.unit} {e.name}（{e.category_label}）".replace(" （", "（")
    out = [f"失分分析：{head}",
           f"{WORDS['scheme']}：{e.scheme_id} {e.scheme_title} {WORDS['version']} "
           f"{e.scheme_version}"]
    summary = f"{WORDS['total']}：{e.total} / {plain(e.scale)}"
    for rt in e.ratings:
        summary += f"  {rt.label}：{rt.level_label or WORDS['no_level']}"
    out += [summary, ""]
    of = g.rating.of if g.rating is not None else None
    lost = sum((x.lost for x in g.losses), Decimal(0))
    if not g.losses:
        out.append("失分：各项指标均得满分")
    else:
        out.append(f"失分（{len(g.losses)} 项指标共失 {lost} 分，按失分从多到少）：")
        rows = [[str(x.lost), f"{x.points}/{plain(x.max)}",
                 signed(x.gain) if x.gain is not None else "—",
                 f"{x.label} [{x.id}]" + (f"（{x.parent}）" if x.parent else "")]
                for x in g.losses]
        body = table(["失分", "得分/满分", "可增分", "指标"], rows, numeric={0, 1, 2})
        lines = body.splitlines()
        out += ["  " + line for line in lines[:2]]
        indent = "  " + " " * (len(lines[1]) - len(lines[1].split("  ")[-1]))
        for x, line in zip(g.losses, lines[2:], strict=True):
            out.append("  " + line)
            if x.rule:
                word = WORDS["condition"] if x.kind == "condition" else WORDS["formula"]
                out.append(f"{indent}{word}：{x.rule}")
            if x.inputs:
                out.append(f"{indent}{WORDS['inputs']}：{_inputs(x.inputs)}")
            if x.basis:
                out.append(f"{indent}{WORDS['basis']}：{x.basis}")
        if of:
            out.append(f"  （可增分：只把该项提到满分、其余不变时，{of} 增加的分数）")
    if g.deductions:
        taken = sum((r.applied for r in g.deductions), Decimal(0))
        out += ["", f"扣分项（共扣 {taken} 分）："]
        for r in g.deductions:
            out.append(f"  −{r.applied}  {r.label} [{r.id}] → {r.target_label} [{r.target}]")
            if r.basis:
                out.append(f"         {WORDS['basis']}：{r.basis}")
    if g.vetoes:
        out += ["", f"{WORDS['vetoes']}："]
        for v in g.vetoes:
            out.append(f"  {v.label} [{v.id}]：{v.reason or v.label}")
    if g.route is not None and g.rating is not None:
        out += ["", "下一档：", *_route_lines(g, g.route, g.rating)]
    return "\n".join(out)


def _inputs(inputs: Sequence[ExplainedInput]) -> str:
    parts = []
    for i in inputs:
        unit = i.unit if i.unit and not isinstance(i.value, (tuple, bool)) else ""
        parts.append(f"{i.label}({i.name})={show_value(i.value)}{unit}")
    return "；".join(parts)


def _route_lines(g: Gaps, route: Route, rating: Rating) -> list[str]:
    current = _level_label(rating, route.current)
    if route.reason == "best":
        return [f"  {rating.label} [{rating.id}]：{current}，已是最高档"]
    if route.reason == "no-level":
        return [f"  {rating.label} [{rating.id}]：没有评定档次"]
    target = rating.level(route.target) if route.target else None
    head = f"  {rating.label} [{rating.id}]：{current} → {_level_label(rating, route.target)}"
    if target is not None and target.range is not None:
        head += f"（分数段 {target.range}"
        if route.threshold is not None and rating.of:
            head += f"，{rating.of} 须达到 {route.threshold}，现为 {route.points}"
        if target.when:
            head += f"；另须满足 {target.when}"
        head += "）"
    out = [head]
    vetoes = {v.id: v for v in g.explanation.vetoes}
    if not route.reachable:
        after = (f"各项指标都提到满分后：{WORDS['total']} {route.total_after}，"
                 f"{rating.label} {_level_label(rating, route.level_after)}")
        if route.reason == "veto":
            names = "、".join(f"{vetoes[v].label} [{v}]" if v in vetoes else v
                             for v in route.reason_refs)
            out.append(f"  仅提高指标得分无法达到：否决项 {names} 限定了{rating.label}")
        elif route.reason == "condition":
            conditions = "；".join(
                f"{_level_label(rating, lv)} 须满足 `{rating.level(lv).when}`"  # type: ignore[union-attr]
                for lv in route.reason_refs if rating.level(lv) is not None)
            out.append(f"  仅提高指标得分无法达到：{conditions}，该条件不成立")
        elif route.reason == "sources":
            out.append(f"  仅提高指标得分无法达到：来源评级 {'、'.join(route.reason_refs)} 未达到")
        else:
            out.append("  仅提高指标得分无法达到：各项指标都得满分仍不够")
        out.append(f"  （{after}）")
        return out
    losses = {x.id: x for x in g.losses}
    out.append(f"  最少需要把 {len(route.raised)} 项指标提到满分：")
    for node_id in route.raised:
        x = losses[node_id]
        out.append(f"    {x.label} [{x.id}]：{x.points} → {plain(x.max)}（失分 {x.lost}）")
    after = f"  提升后：{WORDS['total']} {route.total_after}"
    if rating.of and rating.of != "total":
        after += f"，{rating.of} {route.points_after}"
    after += f"，{rating.label} {_level_label(rating, route.level_after)}"
    out.append(after)
    if route.method == "exact":
        out.append(f"  方法：精确搜索，没有更少项数的组合（试算 {route.tried} 次）")
    else:
        out.append(f"  方法：试算达到上限（{route.tried} 次），以上为贪心结果"
                   "（按可增分数从大到小），可能不是最少")
    return out


def gaps_json(g: Gaps) -> dict[str, Any]:
    e = g.explanation
    route = g.route
    return {
        "format": FORMAT_GAPS, "format_version": 1,
        "scheme": {"id": e.scheme_id, "version": e.scheme_version, "hash": e.scheme_hash},
        "unit": {"id": e.unit, "name": e.name, "category": e.category},
        "total": e.total,
        "ratings": {rt.id: rt.level for rt in e.ratings},
        "losses": [{"id": x.id, "label": x.label, "parent": x.parent, "points": x.points,
                    "max": x.max, "lost": x.lost, "gain": x.gain, "kind": x.kind,
                    "rule": x.rule, "basis": x.basis, "line": x.location.line}
                   for x in g.losses],
        "deductions": [{"id": r.id, "label": r.label, "node": r.target, "points": r.applied,
                        "basis": r.basis} for r in g.deductions],
        "vetoes": [{"id": v.id, "label": v.label, "reason": v.reason} for v in g.vetoes],
        "next_level": None if route is None else {
            "rating": route.rating, "current": route.current, "target": route.target,
            "threshold": route.threshold, "points": route.points,
            "reachable": route.reachable, "reason": route.reason,
            "reason_refs": list(route.reason_refs), "raise": list(route.raised),
            "points_after": route.points_after, "total_after": route.total_after,
            "level_after": route.level_after, "method": route.method, "tried": route.tried},
    }
