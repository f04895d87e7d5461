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
from ..i18n import CHINESE, _, current_language, ngettext
from ..numeric import plain
from ..summary import IndexFigure, Report, UnitSummary
from .text import (
    EFFECT_WORDS,
    WORDS,
    marks,
    not_applicable_text,
    requested_text,
    show_value,
    verdict,
    with_unit,
)

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
# The `lang` of the page, by the language of the report.
HTML_LANG = {CHINESE: "zh-CN", "en_US": "en"}


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
    m = marks()
    items = []
    for i in inputs:
        value = esc(show_value(i.value))
        if i.unit and not isinstance(i.value, (tuple, bool)):
            value = with_unit(value, esc(i.unit))
        text = f'<span class="in">{esc(i.label)}<code>{esc(i.name)}</code>=<b>{value}</b>'
        if i.reason:
            reason = _("[reason: {reason}]").format(reason=esc(i.reason))
            text += f'{m.gap}<span class="reason">{reason}</span>'
        items.append(text + "</span>")
    return m.list_sep.join(items)


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
    m = marks()
    if not n.applicable:
        if n.formula:
            out.append(_row(_("Condition"), f"<code>{esc(n.formula)}</code> → {verdict(False)}"))
        if n.inputs:
            out.append(_row(_("Inputs"), _inputs(n.inputs)))
        return out
    if n.kind == "criterion":
        if n.condition is not None:
            out.append(_row(_("Condition"), f"<code>{esc(n.formula)}</code> → "
                            f"{verdict(n.condition)}"))
        elif n.formula:
            out.append(_row(_("Formula"), f"<code>{esc(n.formula)}</code>"))
        if n.inputs:
            out.append(_row(_("Inputs"), _inputs(n.inputs)))
        first = n.lines[0] if n.lines else None
        if first is not None and first.exact is not None:
            out.append(_row(_("Computed"), _("{exact}, rounded to {amount}").format(
                exact=esc(plain(first.exact)), amount=esc(first.amount))))
    if n.factor is not None:
        out.append(_row(_("Scaled to the applicable items"), f"×{esc(plain(n.factor))}"))
    for line in n.lines:
        if line.kind == "cap":
            out.append(_row(_("Cap"), f"{_signed(line.amount)}{m.paren(_number(n.max))}"))
        elif line.kind == "floor":
            out.append(_row(_("Floor"), _signed(line.amount)))
        elif line.kind in ("deduction", "bonus"):
            text = f'<b class="{line.kind}">{_signed(line.amount)}</b> {esc(line.label)} ' \
                   f'<code>{esc(line.ref)}</code>'
            if line.requested is not None:
                text += m.paren(requested_text(line.kind, esc(line.requested)))
            out.append(_row(WORDS[line.kind], text))
        elif line.kind == "veto":
            out.append(_row(_("Veto, zeroed"), f'<b class="veto">{_signed(line.amount)}</b> '
                            f'{esc(line.label)} <code>{esc(line.ref)}</code>'))
    for rule, by in n.superseded:
        out.append(_row(_("Superseded (the higher one applies)"),
                        f"<code>{esc(rule)}</code> → <code>{esc(by)}</code>"))
    if n.kind == "group" and n.lines:
        terms = " ".join(_signed(line.amount) for line in n.lines)
        out.append(_row(_("Sum"), f"{terms} = {_number(n.points)}"))
    if n.lost is not None and n.lost > 0 and n.description:
        out.append(_row(_("Rule"), esc(n.description)))
    if n.self_score is not None:
        out.append(_row(_("Self-score"), esc(plain(n.self_score))))
    if n.basis:
        out.append(_row(_("Basis"), esc(n.basis)))
    where = _where(n.location)
    if where:
        out.append(_row(_("Source"), f'<span class="src">{where}</span>'))
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
        out.append(f' <span class="na-note">{esc(not_applicable_text(n))}</span>')
    else:
        maximum = f" / {esc(plain(n.max))}" if n.max is not None else ""
        out.append(f' <span class="pts">{_number(n.points)}{maximum}</span>')
        if n.lost is not None and n.lost > 0:
            lost = _("lost {points}").format(points=esc(n.lost))
            out.append(f' <span class="lost-pts">{lost}</span>')
        if n.weight != 1:
            weight = _("weight ×{weight}").format(weight=esc(plain(n.weight)))
            out.append(f' <span class="weight">{weight}</span>')
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
        return ['<p class="none">' + _("No deductions or bonuses") + "</p>"]
    out = ['<ul class="rules">']
    for r in active:
        sign = "−" if r.kind == "deduction" else "+"
        if r.status == "superseded":
            amount = _("superseded by {by} (the higher one applies)").format(
                by=f"<code>{esc(r.superseded_by)}</code>")
        else:
            amount = f'<b class="{esc(r.kind)}">{sign}{esc(r.applied)}</b>'
        out.append(f'<li class="rule {esc(r.kind)}"><div class="rule-head">{WORDS[r.kind]} '
                   f'{esc(r.label)} <code>{esc(r.id)}</code> → {esc(r.target_label)} '
                   f'<code>{esc(r.target)}</code> {amount}</div>')
        parts = []
        if r.condition_text:
            parts.append(_row(_("Condition"), f"<code>{esc(r.condition_text)}</code> → "
                              f"{verdict(r.condition)}"))
        if r.count is not None:
            parts.append(_row(_("Count"), _("each {each} × {count} ({per}) = {requested}").format(
                each=esc(plain(r.each or Decimal(0))), count=esc(plain(r.count)),
                per=f"<code>{esc(r.per_text)}</code>",
                requested=esc(plain(r.requested or Decimal(0))))))
        elif r.points_text:
            parts.append(_row(_("Formula"), f"<code>{esc(r.points_text)}</code> = "
                              f"{esc(plain(r.each or Decimal(0)))}"))
        if r.capped and r.cap is not None:
            parts.append(_row(_("Cap"), esc(plain(r.cap))))
        if r.inputs:
            parts.append(_row(_("Inputs"), _inputs(r.inputs)))
        if r.status == "limited":
            limited = (_("requested bonus {amount}, applied {applied}") if r.kind == "bonus"
                       else _("requested deduction {amount}, applied {applied}"))
            parts.append(_row(_("Held within the limits"), limited.format(
                amount=esc(r.amount), applied=esc(r.applied))))
        if r.description:
            parts.append(_row(_("Rule"), esc(r.description)))
        if r.basis:
            parts.append(_row(_("Basis"), esc(r.basis)))
        parts.append(_row(_("Source"), f'<span class="src">{_where(r.location)}</span>'))
        out.append('<div class="node-detail">' + "".join(parts) + "</div></li>")
    out.append("</ul>")
    return out


def _vetoes(e: Explanation) -> list[str]:
    fired = [v for v in e.vetoes if v.fired]
    if not fired:
        return []
    m = marks()
    out = ["<h4>" + _("Vetoes") + '</h4><ul class="rules">']
    for v in fired:
        out.append('<li class="rule veto"><div class="rule-head">' + _("Veto") + " "
                   + f'{esc(v.label)} <code>{esc(v.id)}</code>{m.colon}<b class="veto">'
                   f'{esc(v.reason or v.label)}</b></div>')
        parts = [_row(_("Condition"), f"<code>{esc(v.condition_text)}</code> → "
                      f"{verdict(True)}")]
        if v.inputs:
            parts.append(_row(_("Inputs"), _inputs(v.inputs)))
        effects = []
        for kind, target, levels in v.effects:
            if kind == "no_award":
                effects.append(_("not eligible for awards"))
                continue
            text = f"{esc(EFFECT_WORDS.get(kind, kind))} <code>{esc(target)}</code>"
            if levels:
                text += " " + m.enum_sep.join(esc(level) for level in levels)
            effects.append(text)
        parts.append(_row(_("Effect"), m.list_sep.join(effects)))
        if v.basis:
            parts.append(_row(_("Basis"), esc(v.basis)))
        parts.append(_row(_("Source"), f'<span class="src">{_where(v.location)}</span>'))
        out.append('<div class="node-detail">' + "".join(parts) + "</div></li>")
    out.append("</ul>")
    return out


def _rating(rt: ExplainedRating, e: Explanation) -> str:
    m = marks()
    none = _("none")
    labels = dict(rt.labels)
    level = f"{esc(rt.level_label)}{m.paren(esc(rt.level))}" if rt.level else none
    parts = [f'<li><b>{esc(rt.label)}</b> <code>{esc(rt.id)}</code>{m.colon}{level}']
    if rt.sources:
        parts.append("<div>" + m.enum_sep.join(
            f"<code>{esc(s)}</code>={esc(labels.get(lv, lv)) if lv else none}"
            for s, lv in rt.sources) + "</div>")
    elif rt.points is not None:
        band = esc(labels.get(rt.band, rt.band)) if rt.band else none
        parts.append("<div>" + _("{of} = {points} → band {band}").format(
            of=f"<code>{esc(rt.of)}</code>", points=esc(rt.points), band=band) + "</div>")
    for level_id, failed, formula, inputs in rt.passed_over:
        text = "<div>" + _("condition of {level} not met: {formula} → fails").format(
            level=esc(labels.get(level_id, level_id)), formula=f"<code>{esc(formula)}</code>")
        if failed != level_id:
            text += m.paren(esc(labels.get(failed, failed)))
        if inputs:
            text += m.list_sep + _("Inputs: {inputs}").format(inputs=_inputs(inputs))
        parts.append(text + "</div>")
    vetoes = {v.id: v for v in e.vetoes}
    for change in rt.changes:
        veto = vetoes.get(change.veto)
        name = veto.label if veto else change.veto
        before = labels.get(change.before or "", none)
        after = labels.get(change.after or "", none)
        parts.append('<div class="veto">' + _("Veto") + f' {esc(name)} <code>{esc(change.veto)}'
                     f'</code>{m.colon}{esc(EFFECT_WORDS.get(change.effect, change.effect))} → '
                     f'{esc(before)} ⇒ {esc(after)}</div>')
    return "".join(parts) + "</li>"


def unit_section(u: UnitSummary, index: int, report: Report) -> str:
    e = u.explanation
    m = marks()
    none = _("none")
    levels = " ".join(f'<span class="level">{esc(lv.label or none)}</span>'
                      for lv in u.levels)
    out = [f'<details class="unit" id="{esc(anchor(u.unit, index))}" '
           f'data-category="{esc(u.category)}" data-unit="{esc(u.unit)}">',
           f'<summary><span class="uid">{esc(u.unit)}</span> <span class="uname">'
           f'{esc(u.name)}</span> <span class="cat">{esc(u.category_label)}</span> '
           f'<span class="total">{esc(u.total)}</span> {levels}</summary>',
           '<div class="unit-body"><div class="unit-head">']
    chart = radar_svg(u.indices, _("{unit} {name} radar chart of the indices").format(
        unit=u.unit, name=u.name))
    if chart:
        out.append(f'<figure class="chart">{chart}<figcaption>' + _("Indices (%)")
                   + "</figcaption></figure>")
    facts = [(_("Total"), f"{esc(u.total)} / {esc(plain(report.scale))}")]
    facts += [(lv.rating_label, esc(lv.label or none)) for lv in u.levels]
    facts.append((_("Rank in category"), f"{u.rank} / {u.rank_of}"))
    facts.append((_("Award eligibility"), _("yes") if u.award_eligible else
                  '<b class="veto">' + _("not eligible for awards") + "</b>"))
    facts.append((_("Facts digest"), f'<span class="hash">{esc(e.facts_digest)}</span>'))
    out.append('<dl class="unit-facts">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    if u.indices:
        head = "".join(f"<th>{word}</th>" for word in (_("Index"), _("Points"), _("Full marks"),
                                                         "%"))
        out.append(f'<table class="indices"><thead><tr>{head}</tr></thead><tbody>')
        for figure in u.indices:
            out.append(f"<tr><td>{esc(figure.label)}</td><td class=\"num\">"
                       f"{esc(figure.points)}</td><td class=\"num\">{esc(figure.max)}</td>"
                       f"<td class=\"num\">{_percent(figure)}</td></tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    out.append("<h4>" + _("Points by indicator") + '</h4><ul class="tree root">')
    tree: list[str] = []
    _node(e.root, tree)
    out.extend(tree)
    out.append("</ul>")
    out.append("<h4>" + _("Deductions and bonuses") + "</h4>")
    out.extend(_rules(e))
    out.extend(_vetoes(e))
    if e.ratings:
        out.append("<h4>" + _("Ratings") + '</h4><ul class="ratings">')
        out.extend(_rating(rt, e) for rt in e.ratings)
        out.append("</ul>")
    if e.derived:
        out.append("<h4>" + _("Derived values") + '</h4><ul class="derived">')
        for d in e.derived:
            formula = _("Formula: {formula}").format(formula=f"<code>{esc(d.formula)}</code>")
            inputs = _("Inputs: {inputs}").format(inputs=_inputs(d.inputs)) if d.inputs else ""
            out.append(f"<li>{esc(d.label)} <code>{esc(d.id)}</code> = "
                       f"<b>{with_unit(esc(show_value(d.value)), esc(d.unit))}</b>"
                       f"{m.paren(formula)}"
                       + (f"<div>{inputs}</div>" if d.inputs else "") + "</li>")
        out.append("</ul>")
    out.append("</div></details>")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# The page


def _overview(report: Report) -> list[str]:
    none = _("none")
    header = [(_("Unit id"), "text"), (_("Unit name"), "text"), (_("Category"), "text"),
              (_("Total"), "num")]
    header += [(label, "num") for _rid, label in report.ratings]
    header += [(_("Rank in category"), "num"), (_("Award eligibility"), "text")]
    header += [(f"{label}(%)", "num") for _tag, label in report.tags]
    header += [(_("Rules fired"), "num")]
    out = ['<table id="overview-table" class="sortable"><thead><tr>']
    out += [f'<th scope="col" data-type="{kind}" tabindex="0">{esc(label)}</th>'
            for label, kind in header]
    out.append("</tr></thead><tbody>")
    ranks = {rid: {lv: i for i, (lv, _label) in enumerate(d.levels)}
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
                         f'{esc(lv.label or none)}</td>')
        cells.append(f'<td class="num" data-v="{u.rank}">{u.rank} / {u.rank_of}</td>')
        cells.append("<td>" + (_("yes") if u.award_eligible else _("no")) + "</td>")
        for figure in u.indices:
            value = "-1" if figure.percent is None else esc(figure.percent)
            cells.append(f'<td class="num" data-v="{value}">{_percent(figure)}</td>')
        fired = [r for r in u.fired if r.status != "superseded"]
        names = marks().enum_sep.join(r.label for r in fired)
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
        heading = _("Distribution of {rating}").format(rating=esc(d.label))
        category, total = _("Category"), _("Sum")
        out.append(f'<h3>{heading}</h3><table class="distribution" '
                   f'data-rating="{esc(d.rating)}"><thead><tr><th>{category}</th>')
        out += [f"<th>{esc(label)}</th>" for _level, label in d.levels]
        out.append(f"<th>{total}</th></tr></thead><tbody>")
        for category, counts in d.counts:
            out.append(f'<tr data-category="{esc(category)}"><th scope="row">'
                       f"{esc(labels.get(category, category))}</th>")
            out += [f'<td class="num">{n}</td>' for n in counts]
            out.append(f'<td class="num">{sum(counts)}</td></tr>')
        out.append(f'<tr class="sum"><th scope="row">{total}</th>')
        out += [f'<td class="num">{n}</td>' for n in d.totals]
        out.append(f'<td class="num">{sum(d.totals)}</td></tr></tbody></table>')
        out.append('<div class="bars">')
        for (_level, label), n in zip(d.levels, d.totals, strict=True):
            width = round(100 * n / most)
            out.append(f'<div class="bar-row"><span class="bar-label">{esc(label)}</span>'
                       f'<span class="bar-track"><span class="bar" style="width:{width}%">'
                       f'</span></span><span class="bar-n">{n}</span></div>')
        out.append("</div>")
    return out


def report_html(report: Report, generator: str = "evalrules") -> str:
    """The whole report as one HTML document."""
    m = marks()
    count = len(report.units)
    title = _("{title} — evaluation report").format(title=report.scheme_title)
    meta = [_("scheme {id}").format(id=esc(report.scheme_id)),
            _("version {version}").format(version=esc(report.scheme_version))]
    if report.period:
        meta.append(_("period {period}").format(period=esc(report.period)))
    meta.append(ngettext("{count} unit", "{count} units", count).format(count=count))
    meta.append(_("full marks {scale}").format(scale=esc(plain(report.scale))))
    options = "".join(f'<option value="{esc(c)}">{esc(label)}</option>'
                      for c, label in report.categories)
    # The script fills in {shown}: the page carries the sentence in its language.
    shown = ngettext("Showing {shown} / {total} unit", "Showing {shown} / {total} units",
                     count).format(total=count, shown="{shown}")
    lang = HTML_LANG.get(current_language(), "en")
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<header class="masthead"><h1>{esc(report.scheme_title)}</h1>'
        f'<p class="meta">{" · ".join(meta)}</p></header>',
        '<nav class="toolbar no-print"><label>' + _("Category")
        + ' <select id="category-filter"><option value="">' + _("All categories")
        + f'</option>{options}</select></label> '
        f'<span id="shown-count" data-text="{esc(shown)}"></span> '
        '<button type="button" id="expand-all">' + _("Expand all details") + "</button> "
        '<button type="button" id="collapse-all">' + _("Collapse all details") + "</button> "
        '<button type="button" id="print-report">' + _("Print") + "</button></nav>",
    ]
    if report.skipped:
        skipped = m.enum_sep.join(esc(s) for s in report.skipped)
        parts.append('<p class="warning">' + _(
            "The facts of these units have errors; they were not evaluated: {units}").format(
            units=skipped) + "</p>")
    parts.append('<section id="overview"><h2>' + _("Overview") + "</h2>")
    parts.extend(_overview(report))
    parts.append('<p class="note">' + _(
        "Click a column heading to sort; click a unit id to see its details. Rank in "
        "category: by total, highest first; equal totals share a rank and the ranks after "
        "them are skipped (1, 1, 3). Index: the points of the applicable criteria that carry "
        "the tag ÷ their full marks.") + "</p></section>")
    parts.append('<section id="distribution"><h2>' + _("Distribution of levels") + "</h2>")
    parts.extend(_distribution(report))
    parts.append("</section>")
    parts.append('<section id="units"><h2>' + _("Details by unit") + "</h2>")
    parts.extend(unit_section(u, i, report) for i, u in enumerate(report.units))
    parts.append("</section>")
    footer = [
        (_("Scheme"), "", f"{esc(report.scheme_id)} {esc(report.scheme_title)}"),
        (_("Scheme version"), "", esc(report.scheme_version)),
        (_("Scheme hash"), ' class="hash" id="scheme-hash"', esc(report.scheme_hash)),
        (_("Facts file"), "", esc(report.facts_file)),
        (_("Facts hash"), ' class="hash" id="facts-hash"', esc(report.facts_hash)),
        (_("Generated by"), "", esc(generator)),
    ]
    parts.append("<footer><dl>" + "".join(f"<dt>{term}</dt><dd{attrs}>{value}</dd>"
                                           for term, attrs, value in footer)
                 + "</dl></footer>")
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
  var collator = new Intl.Collator(document.documentElement.lang || undefined,
    {numeric: true});
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
    count.textContent = count.getAttribute("data-text").split("{shown}").join(String(shown));
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
