"""The HTML audit report: one self-contained file that works offline.

Inline CSS and JavaScript only, no external URL of any kind, and a Content-Security-Policy that
forbids loading anything (`default-src 'none'`) and runs only the report's own script and style
sheet, named by their sha256 hashes: a script that found its way into the data would not run.
Every piece of data goes through `esc` (html.escape with quote=True), in text and in attributes
alike; the script reads the page and never receives data of its own, so a unit named
`<script>…</script>` is shown as text.

Sections: the overview (sortable by any column, filterable by category), the distribution of
each rating's levels, and a drill-down per unit (a <details> element) with the radar chart of
its indices (SVG drawn here), its explanation tree (formula, inputs, points lost and why, basis,
source line of every node), the deductions, bonuses and vetoes, the rating steps and derived
values. The footer carries the scheme's id, version and hash and the facts' hash. Printing on
A4 shows the overview, the distribution and the units whose drill-down is open.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..explain import ExplainedInput, ExplainedNode, ExplainedRating, Explanation
from ..numeric import plain
from ..summary import IndexFigure, Report, UnitSummary
from .text import WORDS, show_value

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
EFFECT_WORDS = {"zero": "清零", "set": "设为", "at_most": "最高为", "block": "不得评为"}


def esc(value: Any) -> str:
    """Text for HTML, in element content and in quoted attributes alike."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return html.escape(format(value, "f"), quote=True)
    return html.escape(str(value), quote=True)


def anchor(unit: str, index: int) -> str:
    """The id of a unit's drill-down: `unit-B01`, or `unit~7` for an id unfit for a URL."""
    return f"unit-{unit}" if _SAFE_ID.fullmatch(unit) else f"unit~{index + 1}"


def _number(value: Decimal | None) -> str:
    return "—" if value is None else esc(value)


# ----------------------------------------------------------------------------------------------
# Radar chart


def radar_svg(indices: Sequence[IndexFigure], title: str, width: int = 340,
              height: int = 280) -> str:
    """An SVG radar chart of the index percentages (0 at the centre, 100 % at the rim)."""
    count = len(indices)
    if count < 3:
        return ""
    centre, middle = width / 2, height / 2
    radius = height * 0.31

    def point(k: int, fraction: float, r: float = radius) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / count
        return centre + r * fraction * math.cos(angle), middle + r * fraction * math.sin(angle)

    def polygon(points: list[tuple[float, float]]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)

    parts = [f'<svg class="radar" role="img" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label="{esc(title)}"><title>{esc(title)}</title>']
    for level in (0.25, 0.5, 0.75, 1.0):
        ring = polygon([point(k, level) for k in range(count)])
        parts.append(f'<polygon class="grid" points="{ring}"/>')
    for k in range(count):
        x, y = point(k, 1.0)
        parts.append(f'<line class="axis" x1="{centre:.1f}" y1="{middle:.1f}" '
                     f'x2="{x:.1f}" y2="{y:.1f}"/>')
    shape = []
    for k, figure in enumerate(indices):
        fraction = 0.0 if figure.percent is None else min(max(float(figure.percent) / 100, 0), 1)
        shape.append(point(k, fraction))
    parts.append(f'<polygon class="area" points="{polygon(shape)}"/>')
    for (x, y), figure in zip(shape, indices, strict=True):
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                     f'<title>{esc(figure.label)} {_percent(figure)}</title></circle>')
    for k, figure in enumerate(indices):
        x, y = point(k, 1.0, radius + 16)
        y -= 6 if y < middle else 0
        anchor_side = "middle" if abs(x - centre) < 1 else ("start" if x > centre else "end")
        parts.append(f'<text class="axis-label" x="{x:.1f}" y="{y:.1f}" '
                     f'text-anchor="{anchor_side}" dominant-baseline="middle">'
                     f'{esc(figure.label)}<tspan class="pct" x="{x:.1f}" dy="1.2em">'
                     f'{_percent(figure)}</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)


def _percent(figure: IndexFigure) -> str:
    return "—" if figure.percent is None else f"{esc(figure.percent)}%"


# ----------------------------------------------------------------------------------------------
# The explanation of one unit


def _inputs(inputs: Sequence[ExplainedInput]) -> str:
    items = []
    for i in inputs:
        value = esc(show_value(i.value))
        if i.unit and not isinstance(i.value, (tuple, bool)):
            value += esc(i.unit)
        text = f'<span class="in">{esc(i.label)}<code>{esc(i.name)}</code>=<b>{value}</b>'
        if i.reason:
            text += f'<span class="reason">〔{WORDS["reason"]}：{esc(i.reason)}〕</span>'
        items.append(text + "</span>")
    return "；".join(items)


def _where(location: Any) -> str:
    if not getattr(location, "line", 0):
        return ""
    return f"{esc(location.file)}:{location.line}"


def _row(label: str, content: str) -> str:
    return (f'<div class="kv"><span class="k">{esc(label)}</span>'
            f'<span class="v">{content}</span></div>')


def _signed(value: Decimal) -> str:
    return esc(f"+{value}" if value >= 0 else f"−{-value}")


def _node_details(n: ExplainedNode) -> list[str]:
    out: list[str] = []
    if not n.applicable:
        if n.formula:
            out.append(_row(WORDS["condition"], f"<code>{esc(n.formula)}</code> → "
                            f"{WORDS['fails']}"))
        if n.inputs:
            out.append(_row(WORDS["inputs"], _inputs(n.inputs)))
        return out
    if n.kind == "criterion":
        if n.condition is not None:
            verdict = WORDS["holds"] if n.condition else WORDS["fails"]
            out.append(_row(WORDS["condition"], f"<code>{esc(n.formula)}</code> → {verdict}"))
        elif n.formula:
            out.append(_row(WORDS["formula"], f"<code>{esc(n.formula)}</code>"))
        if n.inputs:
            out.append(_row(WORDS["inputs"], _inputs(n.inputs)))
        first = n.lines[0] if n.lines else None
        if first is not None and first.exact is not None:
            out.append(_row(WORDS["computed"], f"{esc(plain(first.exact))}，{WORDS['rounded']} "
                            f"{esc(first.amount)}"))
    if n.factor is not None:
        out.append(_row(WORDS["factor"], f"×{esc(plain(n.factor))}"))
    for line in n.lines:
        if line.kind == "cap":
            out.append(_row(WORDS["cap"], f"{_signed(line.amount)}（{_number(n.max)}）"))
        elif line.kind == "floor":
            out.append(_row(WORDS["floor"], _signed(line.amount)))
        elif line.kind in ("deduction", "bonus"):
            text = f'<b class="{line.kind}">{_signed(line.amount)}</b> {esc(line.label)} ' \
                   f'<code>{esc(line.ref)}</code>'
            if line.requested is not None:
                text += f"（{WORDS['asked']}{WORDS[line.kind]} {esc(line.requested)}，" \
                        f"{WORDS['limited']}）"
            out.append(_row(WORDS[line.kind], text))
        elif line.kind == "veto":
            out.append(_row(WORDS["veto_zero"], f'<b class="veto">{_signed(line.amount)}</b> '
                            f'{esc(line.label)} <code>{esc(line.ref)}</code>'))
    for rule, by in n.superseded:
        out.append(_row(WORDS["superseded"], f"<code>{esc(rule)}</code> → <code>{esc(by)}"
                        "</code>"))
    if n.kind == "group" and n.lines:
        terms = " ".join(_signed(line.amount) for line in n.lines)
        out.append(_row(WORDS["sum"], f"{terms} = {_number(n.points)}"))
    if n.lost is not None and n.lost > 0 and n.description:
        out.append(_row("规则", esc(n.description)))
    if n.self_score is not None:
        out.append(_row(WORDS["self_score"], esc(plain(n.self_score))))
    if n.basis:
        out.append(_row(WORDS["basis"], esc(n.basis)))
    where = _where(n.location)
    if where:
        out.append(_row(WORDS["source"], f'<span class="src">{where}</span>'))
    return out


def _node(n: ExplainedNode, out: list[str]) -> None:
    classes = ["node", n.kind]
    if not n.applicable:
        classes.append("na")
    elif n.lost is not None and n.lost > 0:
        classes.append("lost")
    out.append(f'<li class="{" ".join(classes)}" data-node="{esc(n.id)}">')
    out.append(f'<div class="node-head"><span class="label">{esc(n.label)}</span> '
               f'<code>{esc(n.id)}</code>')
    if not n.applicable:
        why = WORDS["na_category"] if n.not_applicable == "category" else WORDS["na_condition"]
        out.append(f' <span class="na-note">{WORDS["na"]}（{why}）</span>')
    else:
        maximum = f" / {esc(plain(n.max))}" if n.max is not None else ""
        out.append(f' <span class="pts">{_number(n.points)}{maximum}</span>')
        if n.lost is not None and n.lost > 0:
            out.append(f' <span class="lost-pts">{WORDS["lost"]} {esc(n.lost)}</span>')
        if n.weight != 1:
            out.append(f' <span class="weight">{WORDS["weight"]} ×{esc(plain(n.weight))}</span>')
    out.append("</div>")
    details = _node_details(n)
    if details:
        out.append('<div class="node-detail">' + "".join(details) + "</div>")
    if n.children:
        out.append('<ul class="tree">')
        for child in n.children:
            _node(child, out)
        out.append("</ul>")
    out.append("</li>")


def _rules(e: Explanation) -> list[str]:
    active = [r for r in e.rules if r.status in ("applied", "limited", "superseded")]
    if not active:
        return [f'<p class="none">无{WORDS["rules"]}</p>']
    out = ['<ul class="rules">']
    for r in active:
        sign = "−" if r.kind == "deduction" else "+"
        if r.status == "superseded":
            amount = f'{WORDS["superseded"]} <code>{esc(r.superseded_by)}</code>'
        else:
            amount = f'<b class="{esc(r.kind)}">{sign}{esc(r.applied)}</b>'
        out.append(f'<li class="rule {esc(r.kind)}"><div class="rule-head">{WORDS[r.kind]} '
                   f'{esc(r.label)} <code>{esc(r.id)}</code> → {esc(r.target_label)} '
                   f'<code>{esc(r.target)}</code> {amount}</div>')
        parts = []
        if r.condition_text:
            verdict = WORDS["holds"] if r.condition else WORDS["fails"]
            parts.append(_row(WORDS["condition"], f"<code>{esc(r.condition_text)}</code> → "
                              f"{verdict}"))
        if r.count is not None:
            parts.append(_row(WORDS["per"], f"{WORDS['each']} {esc(plain(r.each or Decimal(0)))}"
                              f" × {esc(plain(r.count))}（<code>{esc(r.per_text)}</code>） = "
                              f"{esc(plain(r.requested or Decimal(0)))}"))
        elif r.points_text:
            parts.append(_row(WORDS["formula"], f"<code>{esc(r.points_text)}</code> = "
                              f"{esc(plain(r.each or Decimal(0)))}"))
        if r.capped and r.cap is not None:
            parts.append(_row(WORDS["cap"], esc(plain(r.cap))))
        if r.inputs:
            parts.append(_row(WORDS["inputs"], _inputs(r.inputs)))
        if r.status == "limited":
            parts.append(_row(WORDS["limited"], f"{WORDS['asked']}{WORDS[r.kind]} "
                              f"{esc(r.amount)}，实际 {esc(r.applied)}"))
        if r.description:
            parts.append(_row("规则", esc(r.description)))
        if r.basis:
            parts.append(_row(WORDS["basis"], esc(r.basis)))
        parts.append(_row(WORDS["source"], f'<span class="src">{_where(r.location)}</span>'))
        out.append('<div class="node-detail">' + "".join(parts) + "</div></li>")
    out.append("</ul>")
    return out


def _vetoes(e: Explanation) -> list[str]:
    fired = [v for v in e.vetoes if v.fired]
    if not fired:
        return []
    out = [f'<h4>{WORDS["vetoes"]}</h4><ul class="rules">']
    for v in fired:
        out.append(f'<li class="rule veto"><div class="rule-head">{WORDS["veto"]} '
                   f'{esc(v.label)} <code>{esc(v.id)}</code>：<b class="veto">'
                   f'{esc(v.reason or v.label)}</b></div>')
        parts = [_row(WORDS["condition"], f"<code>{esc(v.condition_text)}</code> → "
                      f"{WORDS['holds']}")]
        if v.inputs:
            parts.append(_row(WORDS["inputs"], _inputs(v.inputs)))
        effects = []
        for kind, target, levels in v.effects:
            if kind == "no_award":
                effects.append(WORDS["no_award"])
                continue
            text = f"{esc(EFFECT_WORDS.get(kind, kind))} <code>{esc(target)}</code>"
            if levels:
                text += " " + "、".join(esc(level) for level in levels)
            effects.append(text)
        parts.append(_row("效果", "；".join(effects)))
        if v.basis:
            parts.append(_row(WORDS["basis"], esc(v.basis)))
        parts.append(_row(WORDS["source"], f'<span class="src">{_where(v.location)}</span>'))
        out.append('<div class="node-detail">' + "".join(parts) + "</div></li>")
    out.append("</ul>")
    return out


def _rating(rt: ExplainedRating, e: Explanation) -> str:
    labels = dict(rt.labels)
    level = f"{esc(rt.level_label)}（{esc(rt.level)}）" if rt.level else WORDS["no_level"]
    parts = [f'<li><b>{esc(rt.label)}</b> <code>{esc(rt.id)}</code>：{level}']
    if rt.sources:
        parts.append("<div>" + "、".join(
            f"<code>{esc(s)}</code>={esc(labels.get(lv, lv)) if lv else WORDS['no_level']}"
            for s, lv in rt.sources) + "</div>")
    elif rt.points is not None:
        band = esc(labels.get(rt.band, rt.band)) if rt.band else WORDS["no_level"]
        parts.append(f"<div><code>{esc(rt.of)}</code> = {esc(rt.points)} → {WORDS['band']} "
                     f"{band}</div>")
    for level_id, failed, formula, inputs in rt.passed_over:
        text = f"<div>{WORDS['passed_over']} {esc(labels.get(level_id, level_id))}：" \
               f"<code>{esc(formula)}</code> → {WORDS['fails']}"
        if failed != level_id:
            text += f"（{esc(labels.get(failed, failed))}）"
        if inputs:
            text += f"；{WORDS['inputs']}：{_inputs(inputs)}"
        parts.append(text + "</div>")
    vetoes = {v.id: v for v in e.vetoes}
    for change in rt.changes:
        veto = vetoes.get(change.veto)
        name = veto.label if veto else change.veto
        before = labels.get(change.before or "", WORDS["no_level"])
        after = labels.get(change.after or "", WORDS["no_level"])
        parts.append(f'<div class="veto">{WORDS["veto"]} {esc(name)} <code>{esc(change.veto)}'
                     f'</code>：{WORDS.get(change.effect, esc(change.effect))} → {esc(before)} ⇒ '
                     f'{esc(after)}</div>')
    return "".join(parts) + "</li>"


def unit_section(u: UnitSummary, index: int, report: Report) -> str:
    e = u.explanation
    levels = " ".join(f'<span class="level">{esc(lv.label or WORDS["no_level"])}</span>'
                      for lv in u.levels)
    out = [f'<details class="unit" id="{esc(anchor(u.unit, index))}" '
           f'data-category="{esc(u.category)}" data-unit="{esc(u.unit)}">',
           f'<summary><span class="uid">{esc(u.unit)}</span> <span class="uname">'
           f'{esc(u.name)}</span> <span class="cat">{esc(u.category_label)}</span> '
           f'<span class="total">{esc(u.total)}</span> {levels}</summary>',
           '<div class="unit-body"><div class="unit-head">']
    chart = radar_svg(u.indices, f"{u.unit} {u.name} 指数雷达图")
    if chart:
        out.append(f'<figure class="chart">{chart}<figcaption>指数（%）</figcaption></figure>')
    facts = [("总分", f"{esc(u.total)} / {esc(plain(report.scale))}")]
    facts += [(lv.rating_label, esc(lv.label or WORDS["no_level"])) for lv in u.levels]
    facts.append(("类别内排名", f"{u.rank} / {u.rank_of}"))
    facts.append((WORDS["award"], WORDS["yes"] if u.award_eligible else
                  f'<b class="veto">{WORDS["no_award"]}</b>'))
    facts.append(("事实摘要", f'<span class="hash">{esc(e.facts_digest)}</span>'))
    out.append('<dl class="unit-facts">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    if u.indices:
        out.append('<table class="indices"><thead><tr><th>指数</th><th>得分</th><th>满分</th>'
                   '<th>%</th></tr></thead><tbody>')
        for figure in u.indices:
            out.append(f"<tr><td>{esc(figure.label)}</td><td class=\"num\">"
                       f"{esc(figure.points)}</td><td class=\"num\">{esc(figure.max)}</td>"
                       f"<td class=\"num\">{_percent(figure)}</td></tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    out.append('<h4>指标得分</h4><ul class="tree root">')
    tree: list[str] = []
    _node(e.root, tree)
    out.extend(tree)
    out.append("</ul>")
    out.append(f'<h4>{WORDS["rules"]}</h4>')
    out.extend(_rules(e))
    out.extend(_vetoes(e))
    if e.ratings:
        out.append(f'<h4>{WORDS["ratings"]}</h4><ul class="ratings">')
        out.extend(_rating(rt, e) for rt in e.ratings)
        out.append("</ul>")
    if e.derived:
        out.append(f'<h4>{WORDS["derived"]}</h4><ul class="derived">')
        for d in e.derived:
            out.append(f"<li>{esc(d.label)} <code>{esc(d.id)}</code> = "
                       f"<b>{esc(show_value(d.value))}{esc(d.unit)}</b>"
                       f"（{WORDS['formula']}：<code>{esc(d.formula)}</code>）"
                       + (f"<div>{WORDS['inputs']}：{_inputs(d.inputs)}</div>" if d.inputs
                          else "") + "</li>")
        out.append("</ul>")
    out.append("</div></details>")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# The page


def _overview(report: Report) -> list[str]:
    header = [("单位编号", "text"), ("单位名称", "text"), ("类别", "text"), ("总分", "num")]
    header += [(label, "num") for _, label in report.ratings]
    header += [("类别内排名", "num"), (WORDS["award"], "text")]
    header += [(f"{label}(%)", "num") for _, label in report.tags]
    header += [("触发规则", "num")]
    out = ['<table id="overview-table" class="sortable"><thead><tr>']
    out += [f'<th scope="col" data-type="{kind}" tabindex="0">{esc(label)}</th>'
            for label, kind in header]
    out.append("</tr></thead><tbody>")
    ranks = {rid: {lv: i for i, (lv, _) in enumerate(d.levels)}
             for rid, d in ((d.rating, d) for d in report.distributions)}
    for i, u in enumerate(report.units):
        cells = [f'<td data-v="{esc(u.unit)}"><a href="#{esc(anchor(u.unit, i))}">'
                 f"{esc(u.unit)}</a></td>",
                 f"<td>{esc(u.name)}</td>",
                 f'<td data-v="{esc(u.category_label)}">{esc(u.category_label)}</td>',
                 f'<td class="num" data-v="{esc(u.total)}">{esc(u.total)}</td>']
        for lv in u.levels:
            position = ranks.get(lv.rating, {}).get(lv.level, 99)
            cells.append(f'<td data-v="{-position}">'
                         f'{esc(lv.label or WORDS["no_level"])}</td>')
        cells.append(f'<td class="num" data-v="{u.rank}">{u.rank} / {u.rank_of}</td>')
        cells.append(f"<td>{WORDS['yes'] if u.award_eligible else WORDS['no']}</td>")
        for figure in u.indices:
            value = "-1" if figure.percent is None else esc(figure.percent)
            cells.append(f'<td class="num" data-v="{value}">{_percent(figure)}</td>')
        fired = [r for r in u.fired if r.status != "superseded"]
        names = "、".join(r.label for r in fired)
        cells.append(f'<td class="num" data-v="{len(fired)}" title="{esc(names)}">'
                     f"{len(fired)}</td>")
        out.append(f'<tr data-category="{esc(u.category)}" data-order="{i}">'
                   + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


def _distribution(report: Report) -> list[str]:
    labels = dict(report.categories)
    out = []
    for d in report.distributions:
        most = max(d.totals, default=0) or 1
        out.append(f'<h3>{esc(d.label)}分布</h3><table class="distribution" '
                   f'data-rating="{esc(d.rating)}"><thead><tr><th>类别</th>')
        out += [f"<th>{esc(label)}</th>" for _, label in d.levels]
        out.append("<th>合计</th></tr></thead><tbody>")
        for category, counts in d.counts:
            out.append(f'<tr data-category="{esc(category)}"><th scope="row">'
                       f"{esc(labels.get(category, category))}</th>")
            out += [f'<td class="num">{n}</td>' for n in counts]
            out.append(f'<td class="num">{sum(counts)}</td></tr>')
        out.append('<tr class="sum"><th scope="row">合计</th>')
        out += [f'<td class="num">{n}</td>' for n in d.totals]
        out.append(f'<td class="num">{sum(d.totals)}</td></tr></tbody></table>')
        out.append('<div class="bars">')
        for (_, label), n in zip(d.levels, d.totals, strict=True):
            width = round(100 * n / most)
            out.append(f'<div class="bar-row"><span class="bar-label">{esc(label)}</span>'
                       f'<span class="bar-track"><span class="bar" style="width:{width}%">'
                       f'</span></span><span class="bar-n">{n}</span></div>')
        out.append("</div>")
    return out


def report_html(report: Report, generator: str = "evalrules") -> str:
    """The whole report as one HTML document."""
    title = f"{report.scheme_title} — 评价报告"
    meta = [f"方案 {esc(report.scheme_id)}", f"版本 {esc(report.scheme_version)}"]
    if report.period:
        meta.append(f"考核周期 {esc(report.period)}")
    meta.append(f"{len(report.units)} 个单位")
    meta.append(f"满分 {esc(plain(report.scale))}")
    options = "".join(f'<option value="{esc(c)}">{esc(label)}</option>'
                      for c, label in report.categories)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<header class="masthead"><h1>{esc(report.scheme_title)}</h1>'
        f'<p class="meta">{" · ".join(meta)}</p></header>',
        '<nav class="toolbar no-print"><label>类别 <select id="category-filter">'
        f'<option value="">全部类别</option>{options}</select></label> '
        '<span id="shown-count"></span> '
        '<button type="button" id="expand-all">展开全部明细</button> '
        '<button type="button" id="collapse-all">收起全部明细</button> '
        '<button type="button" id="print-report">打印</button></nav>',
    ]
    if report.skipped:
        parts.append('<p class="warning">以下单位的事实有误，未评价：'
                     + "、".join(esc(s) for s in report.skipped) + "</p>")
    parts.append('<section id="overview"><h2>总览</h2>')
    parts.extend(_overview(report))
    parts.append('<p class="note">点击列标题排序；点击单位编号查看评价明细。'
                 "类别内排名：按总分从高到低，总分相同者并列，其后名次顺延（1、1、3）。"
                 "指数：带该标签的适用末级指标得分之和 ÷ 满分之和。</p></section>")
    parts.append('<section id="distribution"><h2>等级分布</h2>')
    parts.extend(_distribution(report))
    parts.append("</section>")
    parts.append('<section id="units"><h2>单位评价明细</h2>')
    parts.extend(unit_section(u, i, report) for i, u in enumerate(report.units))
    parts.append("</section>")
    parts.append(
        '<footer><dl>'
        f"<dt>方案</dt><dd>{esc(report.scheme_id)} {esc(report.scheme_title)}</dd>"
        f"<dt>方案版本</dt><dd>{esc(report.scheme_version)}</dd>"
        f'<dt>方案哈希</dt><dd class="hash" id="scheme-hash">{esc(report.scheme_hash)}</dd>'
        f"<dt>事实文件</dt><dd>{esc(report.facts_file)}</dd>"
        f'<dt>事实哈希</dt><dd class="hash" id="facts-hash">{esc(report.facts_hash)}</dd>'
        f"<dt>生成</dt><dd>{esc(generator)}</dd></dl></footer>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


STYLE = """
:root{--red:#a61b1b;--ink:#1f2328;--muted:#5c6470;--line:#d8dde3;--bg:#f6f7f9;--good:#1b6e3a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.55 "Noto Sans CJK SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:var(--ink);background:var(--bg)}
.masthead{background:var(--red);color:#fff;padding:14px 24px}
.masthead h1{margin:0;font-size:22px}.masthead .meta{margin:4px 0 0;opacity:.9}
.toolbar{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);
padding:8px 24px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
.toolbar button,.toolbar select{font:inherit;padding:3px 10px}
section{background:#fff;margin:16px 24px;padding:8px 16px 16px;border:1px solid var(--line);
border-radius:6px}
h2{font-size:18px;border-left:4px solid var(--red);padding-left:8px}
h3{font-size:15px;margin:16px 0 6px}h4{font-size:14px;margin:14px 0 6px;color:var(--red)}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
thead th{background:#eef1f5}
.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
.sortable th[aria-sort=ascending]::after{content:" ▲"}
.sortable th[aria-sort=descending]::after{content:" ▼"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
#overview-table tbody tr:nth-child(even){background:#fafbfc}
#overview-table a{color:var(--red);font-weight:600}
.note{color:var(--muted);font-size:12px}
.warning{margin:16px 24px;padding:8px 12px;background:#fff4e5;border:1px solid #f0b35a}
.bars{max-width:520px;margin-top:8px}
.bar-row{display:flex;align-items:center;gap:8px;margin:2px 0}
.bar-label{flex:none;width:80px;text-align:right;font-size:12px}
.bar-track{flex:1}
.bar{display:block;height:12px;background:var(--red);min-width:1px}
.bar-n{flex:none;width:3em;font-size:12px;color:var(--muted)}
details.unit{border:1px solid var(--line);border-radius:4px;margin:6px 0;
scroll-margin-top:56px}
details.unit>summary{cursor:pointer;padding:6px 10px;background:#fafbfc}
details.unit[open]>summary{border-bottom:1px solid var(--line)}
.uid{font-weight:700;color:var(--red)}.cat{color:var(--muted);margin-left:6px}
.total{font-weight:700;margin-left:10px}.level{margin-left:8px;padding:0 6px;
border:1px solid var(--line);border-radius:10px;font-size:12px}
.unit-body{padding:8px 14px}
.unit-head{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
figure.chart{margin:0;text-align:center}figure.chart figcaption{font-size:12px;
color:var(--muted)}
svg.radar .grid{fill:none;stroke:#ccd2da;stroke-width:1}
svg.radar .axis{stroke:#ccd2da;stroke-width:1}
svg.radar .area{fill:rgba(166,27,27,.25);stroke:var(--red);stroke-width:2}
svg.radar .dot{fill:var(--red)}
svg.radar text{font-size:11px;fill:var(--ink)}svg.radar .pct{fill:var(--muted)}
dl.unit-facts{display:grid;grid-template-columns:auto auto;gap:2px 12px;margin:0}
dl.unit-facts dt{color:var(--muted)}dl.unit-facts dd{margin:0}
.hash{font-family:ui-monospace,monospace;font-size:11px;word-break:break-all}
ul.tree{list-style:none;margin:0;padding-left:18px;border-left:1px dotted var(--line)}
ul.tree.root{padding-left:0;border-left:0}
li.node{margin:3px 0}
.node-head .label{font-weight:600}.node.criterion>.node-head .label{font-weight:400}
.node-head code,.rule-head code{color:var(--muted);font-size:11px}
.pts{margin-left:6px;font-variant-numeric:tabular-nums}
.lost-pts{margin-left:6px;color:var(--red)}
.na>.node-head{color:var(--muted)}.na-note{font-size:12px}
.node-detail{margin:2px 0 4px 14px;font-size:12.5px;color:#333}
.kv{display:flex;gap:8px}.kv .k{color:var(--muted);min-width:3.5em;flex:none}
.kv .v code{background:#f2f4f7;padding:0 3px;border-radius:3px}
.in{margin-right:4px}.in code{font-size:11px;color:var(--muted)}
.reason{color:#7a4a00}
.src{font-family:ui-monospace,monospace;font-size:11px;color:var(--muted)}
.deduction,.veto{color:var(--red)}.bonus{color:var(--good)}
ul.rules,ul.ratings,ul.derived{margin:0;padding-left:18px}
li.rule{margin:4px 0}
.none{color:var(--muted)}
footer{margin:16px 24px 32px;color:var(--muted);font-size:12px}
footer dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px}
footer dd{margin:0}
[hidden]{display:none!important}
@page{size:A4;margin:14mm 12mm}
@media print{
body{background:#fff;font-size:9.5pt}
.no-print,.toolbar{display:none!important}
.masthead{background:none;color:#000;border-bottom:2px solid #000;padding:0 0 6px}
section{border:0;margin:0 0 10px;padding:0}
table{font-size:8pt}thead{display:table-header-group}tr{break-inside:avoid}
#overview-table th,#overview-table td{padding:2px 4px}
#overview-table th{white-space:normal}
#overview-table th:first-child{white-space:nowrap}
h4{break-after:avoid}
#overview-table td:nth-child(2){white-space:nowrap}
#overview-table td{white-space:nowrap}
.bar,svg.radar{-webkit-print-color-adjust:exact;print-color-adjust:exact}
#units:not(:has(details.unit[open])){display:none}
details.unit:not([open]){display:none}
details.unit[open]{break-before:page;border:0}
details.unit>summary{list-style:none;background:none;font-size:11pt}
details.unit>summary::-webkit-details-marker{display:none}
li.node,li.rule{break-inside:avoid}
a{color:inherit;text-decoration:none}
footer{margin:10px 0 0;break-inside:avoid}
}
"""

def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() \
        + "'"


SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("overview-table");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var collator = new Intl.Collator("zh-CN", {numeric: true});
  function value(row, index, numeric) {
    var cell = row.cells[index];
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent; }
    if (!numeric) { return v; }
    var n = parseFloat(v);
    return isNaN(n) ? -Infinity : n;
  }
  function sortBy(index) {
    var th = heads[index];
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var dir = current === "descending" ? "ascending" :
      current === "ascending" ? "descending" : numeric ? "descending" : "ascending";
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index, numeric), y = value(b, index, numeric);
      var c = numeric ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
      if (c === 0) {
        return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
      }
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(heads, function (th, index) {
    th.addEventListener("click", function () { sortBy(index); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(index); }
    });
  });
  var units = document.querySelectorAll("details.unit");
  var filter = document.getElementById("category-filter");
  var count = document.getElementById("shown-count");
  function applyFilter() {
    var wanted = filter.value;
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      row.hidden = wanted !== "" && row.getAttribute("data-category") !== wanted;
      if (!row.hidden) { shown += 1; }
    });
    Array.prototype.forEach.call(units, function (d) {
      d.hidden = wanted !== "" && d.getAttribute("data-category") !== wanted;
    });
    count.textContent = "显示 " + shown + " / " + body.rows.length + " 个单位";
  }
  filter.addEventListener("change", applyFilter);
  applyFilter();
  function openFromHash() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { return; }
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openFromHash);
  openFromHash();
  function setAll(open) {
    Array.prototype.forEach.call(units, function (d) { if (!d.hidden) { d.open = open; } });
  }
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () {
    setAll(false);
  });
  document.getElementById("print-report").addEventListener("click", function () {
    window.print();
  });
}());
"""

# Only the report's own <script> and <style> run, named by hash; style attributes (the bar
# widths) are allowed, event-handler attributes and javascript: URLs are not. Nothing is
# fetched, framed, submitted or based elsewhere.
CSP = (f"default-src 'none'; script-src {_sha256(SCRIPT)}; style-src {_sha256(STYLE)}; "
       f"style-src-elem {_sha256(STYLE)}; style-src-attr 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
