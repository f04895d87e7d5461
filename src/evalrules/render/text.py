"""Plain-text renderings: diagnostics, result tables and the explanation tree.

Labels come from the scheme (Chinese); the few fixed words live in WORDS so that one table
holds every phrase this module prints.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..diagnostics import Diagnostic
from ..evaluate import Result
from ..explain import ExplainedInput, ExplainedNode, ExplainedRating, ExplainedRule, Explanation
from ..model import Scheme
from ..numeric import plain

WORDS = {
    "title": "评价说明",
    "scheme": "方案",
    "version": "版本",
    "facts": "事实摘要",
    "total": "总分",
    "lost": "失分",
    "na": "不适用",
    "na_category": "本类别不考核此项",
    "na_condition": "适用条件不成立",
    "formula": "公式",
    "condition": "条件",
    "holds": "成立",
    "fails": "不成立",
    "inputs": "取值",
    "reason": "理由",
    "basis": "依据",
    "computed": "计算值",
    "rounded": "四舍五入为",
    "cap": "封顶",
    "floor": "保底",
    "deduction": "扣分",
    "bonus": "加分",
    "veto": "否决",
    "veto_zero": "否决清零",
    "asked": "应",
    "limited": "受上下限限制",
    "superseded": "就高原则，由以下规则取代",
    "weight": "权重",
    "factor": "按适用项折算",
    "self_score": "自评",
    "rules": "扣分与加分",
    "vetoes": "否决项",
    "ratings": "评级",
    "derived": "中间值",
    "fired": "触发",
    "per": "次数",
    "each": "每次",
    "band": "分数段",
    "passed_over": "未达条件",
    "no_level": "无",
    "award": "评优资格",
    "no_award": "取消评优资格",
    "yes": "是",
    "no": "否",
    "unit": "单位",
    "name": "名称",
    "category": "类别",
    "source": "来源",
    "sum": "合计",
    "records": "条记录",
    "not_fired": "未触发",
    "set": "设为",
    "at_most": "最高为",
    "block": "不得评为",
    "lowest_of": "取较低者",
    "highest_of": "取较高者",
}


def width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def number(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def signed(value: Decimal) -> str:
    return f"+{value}" if value >= 0 else f"−{-value}"


def show_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        shown = f"{len(value)}{WORDS['records']}"
        if 0 < len(value) <= 5 and all(isinstance(r, Mapping) for r in value):
            shown += "：" + "；".join(
                "〔" + "，".join(f"{k}={show_value(v)}" for k, v in r.items()) + "〕"
                for r in value)
        return shown
    return str(value)


# ----------------------------------------------------------------------------------------------
# Diagnostics


def format_diagnostic(d: Diagnostic) -> str:
    text = f"{d.location}: {d.code} {d.name}: {d.message}"
    if d.hint:
        text += f"\n  help: {d.hint}"
    for related in d.related:
        if related.line and related != d.location:
            text += f"\n  see: {related}"
    return text


def format_diagnostics(diagnostics: Sequence[Diagnostic]) -> str:
    lines = [format_diagnostic(d) for d in diagnostics]
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Results


def format_results(results: Sequence[Result], scheme: Scheme) -> str:
    ratings = [r for r in scheme.ratings]
    header = [WORDS["unit"], WORDS["name"], WORDS["category"], WORDS["total"],
              *[r.label for r in ratings], WORDS["fired"]]
    rows = []
    for res in results:
        category = scheme.category(res.category)
        levels = []
        for rating in ratings:
            level_id = res.ratings.get(rating.id)
            level = rating.level(level_id) if level_id else None
            levels.append(level.label if level else WORDS["no_level"])
        rows.append([res.unit, res.name, category.label if category else res.category,
                     str(res.total), *levels, ", ".join(res.fired)])
    return table(header, rows, numeric={3})


def table(header: list[str], rows: Iterable[list[str]], numeric: set[int] | None = None) -> str:
    rows = list(rows)
    numeric = numeric or set()
    widths = [max([width(header[i])] + [width(r[i]) for r in rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            gap = widths[i] - width(cell)
            out.append(" " * gap + cell if i in numeric else cell + " " * gap)
        return "  ".join(out).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


# ----------------------------------------------------------------------------------------------
# Explanations


def inputs_text(inputs: Sequence[ExplainedInput]) -> str:
    """Inputs as `label(id)=value unit〔理由：…〕`, joined by ；."""
    parts = []
    for i in inputs:
        text = f"{i.label}({i.name})={show_value(i.value)}"
        if i.unit and not isinstance(i.value, (tuple, bool)):
            text += i.unit
        if i.reason:
            text += f"〔{WORDS['reason']}：{i.reason}〕"
        parts.append(text)
    return "；".join(parts)


def where(location: Any) -> str:
    """`file:line` of a location, or nothing when it has no line."""
    return f"{location.file}:{location.line}" if getattr(location, "line", 0) else ""


def _node_header(n: ExplainedNode) -> str:
    head = f"{n.label} [{n.id}]"
    if not n.applicable:
        why = WORDS["na_category"] if n.not_applicable == "category" else WORDS["na_condition"]
        return f"{head}  {WORDS['na']}（{why}）"
    head += f"  {number(n.points)}"
    if n.max is not None:
        head += f" / {plain(n.max)}"
    if n.lost is not None and n.lost > 0:
        head += f"  {WORDS['lost']} {n.lost}"
    if n.weight != 1:
        head += f"  {WORDS['weight']} ×{plain(n.weight)}"
    return head


def _node_details(n: ExplainedNode, e: Explanation) -> list[str]:
    out: list[str] = []
    source = where(n.location)
    if not n.applicable:
        if n.formula:
            out.append(f"{WORDS['condition']}：{n.formula} → {WORDS['fails']}")
        if n.inputs:
            out.append(f"{WORDS['inputs']}：{inputs_text(n.inputs)}")
        return out
    if n.kind == "criterion":
        if n.condition is not None:
            verdict = WORDS["holds"] if n.condition else WORDS["fails"]
            out.append(f"{WORDS['condition']}：{n.formula} → {verdict}")
        elif n.formula:
            out.append(f"{WORDS['formula']}：{n.formula}")
        if n.inputs:
            out.append(f"{WORDS['inputs']}：{inputs_text(n.inputs)}")
        first = n.lines[0] if n.lines else None
        if first is not None and first.exact is not None:
            out.append(f"{WORDS['computed']}：{plain(first.exact)}，{WORDS['rounded']} "
                       f"{first.amount}")
    if n.factor is not None:
        out.append(f"{WORDS['factor']} ×{plain(n.factor)}")
    for line in n.lines:
        if line.kind == "cap":
            out.append(f"{WORDS['cap']} {signed(line.amount)}（{plain(n.max or Decimal(0))}）")
        elif line.kind == "floor":
            out.append(f"{WORDS['floor']} {signed(line.amount)}")
        elif line.kind in ("deduction", "bonus"):
            text = f"{WORDS[line.kind]} {signed(line.amount)}  {line.label} [{line.ref}]"
            if line.requested is not None:
                text += f"（{WORDS['asked']}{WORDS[line.kind]} {line.requested}，" \
                        f"{WORDS['limited']}）"
            out.append(text)
        elif line.kind == "veto":
            out.append(f"{WORDS['veto_zero']} {signed(line.amount)}  {line.label} [{line.ref}]")
    for rule, by in n.superseded:
        out.append(f"{rule}：{WORDS['superseded']} {by}")
    if n.kind == "group" and n.lines:
        terms = " ".join(signed(line.amount) for line in n.lines)
        out.append(f"{WORDS['sum']}：{terms} = {number(n.points)}")
    if n.self_score is not None:
        out.append(f"{WORDS['self_score']}：{plain(n.self_score)}")
    if n.basis:
        out.append(f"{WORDS['basis']}：{n.basis}")
    if source:
        out.append(f"{WORDS['source']}：{source}")
    return out


def _tree(n: ExplainedNode, e: Explanation, prefix: str, last: bool, top: bool,
          out: list[str]) -> None:
    branch = "" if top else ("└─ " if last else "├─ ")
    out.append(prefix + branch + _node_header(n))
    inner = prefix + ("" if top else ("   " if last else "│  "))
    child_bar = "│  " if n.children else "   "
    for detail in _node_details(n, e):
        out.append(inner + child_bar + detail)
    for i, child in enumerate(n.children):
        _tree(child, e, inner, i == len(n.children) - 1, False, out)


def _rule_line(r: ExplainedRule) -> list[str]:
    head = f"{WORDS[r.kind]} {r.label} [{r.id}] → {r.target_label} [{r.target}]"
    if r.status in ("applied", "limited"):
        sign = "−" if r.kind == "deduction" else "+"
        head += f"  {sign}{r.applied}"
    elif r.status == "superseded":
        head += f"  {WORDS['superseded']} {r.superseded_by}"
    out = [head]
    if r.condition_text:
        verdict = WORDS["holds"] if r.condition else WORDS["fails"]
        out.append(f"   {WORDS['condition']}：{r.condition_text} → {verdict}")
    if r.count is not None:
        out.append(f"   {WORDS['each']} {plain(r.each or Decimal(0))} × {WORDS['per']} "
                   f"{plain(r.count)}（{r.per_text}） = {plain(r.requested or Decimal(0))}")
    elif r.points_text:
        out.append(f"   {WORDS['formula']}：{r.points_text} = {plain(r.each or Decimal(0))}")
    if r.capped and r.cap is not None:
        out.append(f"   {WORDS['cap']} {plain(r.cap)}")
    if r.inputs:
        out.append(f"   {WORDS['inputs']}：{inputs_text(r.inputs)}")
    if r.status == "limited":
        out.append(f"   {WORDS['asked']}{WORDS[r.kind]} {r.amount}，{WORDS['limited']}")
    if r.basis:
        out.append(f"   {WORDS['basis']}：{r.basis}")
    out.append(f"   {WORDS['source']}：{where(r.location)}")
    return out


def _rating_lines(rt: ExplainedRating, e: Explanation) -> list[str]:
    labels = dict(rt.labels)
    level = f"{rt.level_label}（{rt.level}）" if rt.level else WORDS["no_level"]
    out = [f"{rt.label} [{rt.id}]：{level}"]
    if rt.sources:
        parts = [f"{s}={labels.get(lv, lv) if lv else WORDS['no_level']}" for s, lv in rt.sources]
        out.append(f"   {'、'.join(parts)}")
    elif rt.points is not None:
        band = f"{labels.get(rt.band, rt.band)}" if rt.band else WORDS["no_level"]
        out.append(f"   {rt.of} = {rt.points} → {WORDS['band']} {band}")
    for level_id, failed, formula, inputs in rt.passed_over:
        text = f"   {WORDS['passed_over']} {labels.get(level_id, level_id)}：{formula} → " \
               f"{WORDS['fails']}"
        if failed != level_id:
            text += f"（{labels.get(failed, failed)}）"
        if inputs:
            text += f"；{WORDS['inputs']}：{inputs_text(inputs)}"
        out.append(text)
    vetoes = {v.id: v for v in e.vetoes}
    for change in rt.changes:
        veto = vetoes.get(change.veto)
        name = veto.label if veto else change.veto
        before = labels.get(change.before or "", WORDS["no_level"])
        after = labels.get(change.after or "", WORDS["no_level"])
        out.append(f"   {WORDS['veto']} {name} [{change.veto}]：{WORDS[change.effect]} → "
                   f"{before} ⇒ {after}")
    return out


def format_explanation(e: Explanation, node: str | None = None) -> str:
    """The explanation as an indented tree with the scheme's labels."""
    out = [f"{WORDS['title']}：{e.unit} {e.name}（{e.category_label}）".replace(" （", "（"),
           f"{WORDS['scheme']}：{e.scheme_id} {e.scheme_title} {WORDS['version']} "
           f"{e.scheme_version}  {e.scheme_hash}",
           f"{WORDS['facts']}：{e.facts_digest}"]
    summary = f"{WORDS['total']}：{e.total} / {plain(e.scale)}"
    for rt in e.ratings:
        summary += f"  {rt.label}：{rt.level_label or WORDS['no_level']}"
    if not e.award_eligible:
        summary += f"  {WORDS['no_award']}"
    out += [summary, ""]
    start = e.root if node is None else e.node(node)
    if start is None:
        raise KeyError(node)
    _tree(start, e, "", True, True, out)
    if node is not None:
        rules = [r for r in e.rules if r.target == node and r.status != "not-fired"]
        for r in rules:
            out += _rule_line(r)
        return "\n".join(out)
    active = [r for r in e.rules if r.status in ("applied", "limited", "superseded")]
    if active:
        out += ["", f"{WORDS['rules']}："]
        for r in active:
            out += _rule_line(r)
    fired = [v for v in e.vetoes if v.fired]
    if fired:
        out += ["", f"{WORDS['vetoes']}："]
        for v in fired:
            out.append(f"{WORDS['veto']} {v.label} [{v.id}]：{v.reason or v.label}")
            out.append(f"   {WORDS['condition']}：{v.condition_text} → {WORDS['holds']}")
            if v.inputs:
                out.append(f"   {WORDS['inputs']}：{inputs_text(v.inputs)}")
            if v.basis:
                out.append(f"   {WORDS['basis']}：{v.basis}")
            out.append(f"   {WORDS['source']}：{where(v.location)}")
    if e.ratings:
        out += ["", f"{WORDS['ratings']}："]
        for rt in e.ratings:
            out += _rating_lines(rt, e)
    if e.derived:
        out += ["", f"{WORDS['derived']}："]
        for d in e.derived:
            out.append(f"{d.label} [{d.id}] = {show_value(d.value)}{d.unit}  "
                       f"{WORDS['formula']}：{d.formula}")
            if d.inputs:
                out.append(f"   {WORDS['inputs']}：{inputs_text(d.inputs)}")
    return "\n".join(out)
