"""Plain-text renderings: diagnostics, result tables and the explanation tree.

Labels come from the scheme; the fixed words and sentences are English msgids translated with
`_()` where they are shown (Chinese by default, see evalrules.i18n). Punctuation that joins
scheme content (list separators, brackets around a reason) follows the language too: see
`marks()`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..diagnostics import Diagnostic
from ..evaluate import Result
from ..explain import ExplainedInput, ExplainedNode, ExplainedRating, ExplainedRule, Explanation
from ..i18n import CHINESE, N_, _, current_language, ngettext
from ..model import Scheme
from ..numeric import plain


class _Words(Mapping[str, str]):
    """Single words by key, translated when read: `WORDS["total"]` is 总分 or Total."""

    def __init__(self, ids: Mapping[str, str]) -> None:
        self._ids = dict(ids)

    def __getitem__(self, key: str) -> str:
        return _(self._ids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


WORDS: Mapping[str, str] = _Words({
    "scheme": N_("Scheme"),
    "version": N_("version"),
    "total": N_("Total"),
    "na": N_("not applicable"),
    "formula": N_("Formula"),
    "condition": N_("Condition"),
    "holds": N_("holds"),
    "fails": N_("fails"),
    "inputs": N_("Inputs"),
    "basis": N_("Basis"),
    "source": N_("Source"),
    "deduction": N_("Deduction"),
    "bonus": N_("Bonus"),
    "veto": N_("Veto"),
    "rules": N_("Deductions and bonuses"),
    "vetoes": N_("Vetoes"),
    "ratings": N_("Ratings"),
    "derived": N_("Derived values"),
    "fired": N_("Fired"),
    "no_level": N_("none"),
    "award": N_("Award eligibility"),
    "no_award": N_("not eligible for awards"),
    "yes": N_("yes"),
    "no": N_("no"),
    "unit": N_("Unit"),
    "name": N_("Name"),
    "category": N_("Category"),
    "not_fired": N_("not fired"),
})

# What a veto does to a rating, by effect kind.
EFFECT_WORDS: Mapping[str, str] = _Words({
    "zero": N_("zero"),
    "set": N_("set to"),
    "at_most": N_("at most"),
    "block": N_("block"),
})


@dataclass(frozen=True, slots=True)
class Marks:
    """Punctuation that joins pieces of scheme content, in one language."""

    colon: str  # between a label and its value
    list_sep: str  # between the items of a list of phrases
    enum_sep: str  # between the names in a short enumeration
    comma: str  # between the fields of one record
    open: str  # before a parenthesis (with the space English puts before it)
    close: str
    record_open: str  # around one record of a list fact
    record_close: str
    gap: str  # before a note that follows a value
    indent: str  # one level of indentation inside a table cell

    def paren(self, text: str) -> str:
        return f"{self.open}{text}{self.close}"


_MARKS = {
    CHINESE: Marks("：", "；", "、", "，", "（", "）", "〔", "〕", "", "　"),
    "en_US": Marks(": ", "; ", ", ", ", ", " (", ")", "[", "]", " ", "  "),
}


def marks() -> Marks:
    """The punctuation of the current language."""
    return _MARKS.get(current_language(), _MARKS["en_US"])


def with_unit(value: str, unit: str) -> str:
    """A value followed by its unit: `10分`, `3次` in Chinese; `10 points`, `85%` in English."""
    if not unit:
        return value
    if unit[0].isalpha():
        return _("{value} {unit}").format(value=value, unit=unit)
    return value + unit


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
        shown = ngettext("{count} record", "{count} records", len(value)).format(
            count=len(value))
        if 0 < len(value) <= 5 and all(isinstance(r, Mapping) for r in value):
            m = marks()
            shown += m.colon + m.list_sep.join(
                m.record_open + m.comma.join(f"{k}={show_value(v)}" for k, v in r.items())
                + m.record_close for r in value)
        return shown
    return str(value)


# ----------------------------------------------------------------------------------------------
# Diagnostics


def format_diagnostic(d: Diagnostic) -> str:
    text = f"{d.location}: {d.code} {d.name}: {d.message}"
    if d.hint:
        text += "\n  " + _("help: {hint}").format(hint=d.hint)
    for related in d.related:
        if related.line and related != d.location:
            text += "\n  " + _("see: {location}").format(location=related)
    return text


def format_diagnostics(diagnostics: Sequence[Diagnostic]) -> str:
    lines = [format_diagnostic(d) for d in diagnostics]
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    lines.append(_("{errors} error(s), {warnings} warning(s)").format(errors=errors,
                                                                        warnings=warnings))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Results


def format_results(results: Sequence[Result], scheme: Scheme) -> str:
    ratings = [r for r in scheme.ratings]
    header = [WORDS["unit"], WORDS["name"], WORDS["category"], WORDS["total"],
              *[r.label for r in ratings], WORDS["fired"]]
    none = WORDS["no_level"]
    rows = []
    for res in results:
        category = scheme.category(res.category)
        levels = []
        for rating in ratings:
            level_id = res.ratings.get(rating.id)
            level = rating.level(level_id) if level_id else None
            levels.append(level.label if level else none)
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


def verdict(holds: bool | None) -> str:
    return _("holds") if holds else _("fails")


def condition_text(formula: str, holds: bool | None) -> str:
    """`Condition: formula → holds` (条件：… → 成立)."""
    return _("Condition: {formula} → {verdict}").format(formula=formula, verdict=verdict(holds))


def inputs_line(inputs: Sequence[ExplainedInput]) -> str:
    return _("Inputs: {inputs}").format(inputs=inputs_text(inputs))


def requested_text(kind: str, amount: Any) -> str:
    """What a rule asked for before the node's limits held it back."""
    if kind == "bonus":
        return _("requested bonus {amount}, held within the limits").format(amount=amount)
    return _("requested deduction {amount}, held within the limits").format(amount=amount)


def inputs_text(inputs: Sequence[ExplainedInput]) -> str:
    """Inputs as `label(id)=value unit〔理由：…〕`, joined by ；."""
    m = marks()
    parts = []
    for i in inputs:
        value = show_value(i.value)
        if i.unit and not isinstance(i.value, (tuple, bool)):
            value = with_unit(value, i.unit)
        text = f"{i.label}({i.name})={value}"
        if i.reason:
            text = _("{input} [reason: {reason}]").format(input=text, reason=i.reason)
        parts.append(text)
    return m.list_sep.join(parts)


def where(location: Any) -> str:
    """`file:line` of a location, or nothing when it has no line."""
    return f"{location.file}:{location.line}" if getattr(location, "line", 0) else ""


def not_applicable_reason(n: ExplainedNode) -> str:
    return (_("this category is not assessed on this item") if n.not_applicable == "category"
            else _("its condition does not hold"))


def not_applicable_text(n: ExplainedNode) -> str:
    return _("not applicable ({why})").format(why=not_applicable_reason(n))


def _node_header(n: ExplainedNode) -> str:
    head = f"{n.label} [{n.id}]"
    if not n.applicable:
        return f"{head}  {not_applicable_text(n)}"
    head += f"  {number(n.points)}"
    if n.max is not None:
        head += f" / {plain(n.max)}"
    if n.lost is not None and n.lost > 0:
        head += "  " + _("lost {points}").format(points=n.lost)
    if n.weight != 1:
        head += "  " + _("weight ×{weight}").format(weight=plain(n.weight))
    return head


def _node_details(n: ExplainedNode, e: Explanation) -> list[str]:
    out: list[str] = []
    m = marks()
    source = where(n.location)
    if not n.applicable:
        if n.formula:
            out.append(condition_text(n.formula, False))
        if n.inputs:
            out.append(inputs_line(n.inputs))
        return out
    if n.kind == "criterion":
        if n.condition is not None:
            out.append(condition_text(n.formula, n.condition))
        elif n.formula:
            out.append(_("Formula: {formula}").format(formula=n.formula))
        if n.inputs:
            out.append(inputs_line(n.inputs))
        first = n.lines[0] if n.lines else None
        if first is not None and first.exact is not None:
            out.append(_("Computed: {exact}, rounded to {amount}").format(
                exact=plain(first.exact), amount=first.amount))
    if n.factor is not None:
        out.append(_("Scaled to the applicable items ×{factor}").format(factor=plain(n.factor)))
    for line in n.lines:
        if line.kind == "cap":
            out.append(_("Cap {amount} (max {max})").format(
                amount=signed(line.amount), max=plain(n.max or Decimal(0))))
        elif line.kind == "floor":
            out.append(_("Floor {amount}").format(amount=signed(line.amount)))
        elif line.kind in ("deduction", "bonus"):
            template = (_("Bonus {amount}  {label} [{ref}]") if line.kind == "bonus"
                        else _("Deduction {amount}  {label} [{ref}]"))
            text = template.format(amount=signed(line.amount), label=line.label, ref=line.ref)
            if line.requested is not None:
                text += m.paren(requested_text(line.kind, line.requested))
            out.append(text)
        elif line.kind == "veto":
            out.append(_("Veto, zeroed {amount}  {label} [{ref}]").format(
                amount=signed(line.amount), label=line.label, ref=line.ref))
    for rule, by in n.superseded:
        out.append(_("{rule}: superseded by {by} (the higher one applies)").format(
            rule=rule, by=by))
    if n.kind == "group" and n.lines:
        terms = " ".join(signed(line.amount) for line in n.lines)
        out.append(_("Sum: {terms} = {points}").format(terms=terms, points=number(n.points)))
    if n.self_score is not None:
        out.append(_("Self-score: {points}").format(points=plain(n.self_score)))
    if n.basis:
        out.append(_("Basis: {basis}").format(basis=n.basis))
    if source:
        out.append(_("Source: {source}").format(source=source))
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


def rule_heading(r: ExplainedRule) -> str:
    template = (_("Bonus {label} [{id}] → {target_label} [{target}]") if r.kind == "bonus"
                else _("Deduction {label} [{id}] → {target_label} [{target}]"))
    return template.format(label=r.label, id=r.id, target_label=r.target_label,
                           target=r.target)


def _rule_line(r: ExplainedRule) -> list[str]:
    head = rule_heading(r)
    if r.status in ("applied", "limited"):
        sign = "−" if r.kind == "deduction" else "+"
        head += f"  {sign}{r.applied}"
    elif r.status == "superseded":
        head += "  " + _("superseded by {by} (the higher one applies)").format(
            by=r.superseded_by)
    out = [head]
    if r.condition_text:
        out.append("   " + condition_text(r.condition_text, r.condition))
    if r.count is not None:
        out.append("   " + _("Each {each} × count {count} ({per}) = {requested}").format(
            each=plain(r.each or Decimal(0)), count=plain(r.count), per=r.per_text,
            requested=plain(r.requested or Decimal(0))))
    elif r.points_text:
        out.append("   " + _("Formula: {formula} = {value}").format(
            formula=r.points_text, value=plain(r.each or Decimal(0))))
    if r.capped and r.cap is not None:
        out.append("   " + _("Capped at {cap}").format(cap=plain(r.cap)))
    if r.inputs:
        out.append("   " + inputs_line(r.inputs))
    if r.status == "limited":
        out.append("   " + requested_text(r.kind, r.amount))
    if r.basis:
        out.append("   " + _("Basis: {basis}").format(basis=r.basis))
    out.append("   " + _("Source: {source}").format(source=where(r.location)))
    return out


def level_text(label: str, level: str | None) -> str:
    """A rating's level as `四星（4）`, or 无 when there is none."""
    return label + marks().paren(level) if level else WORDS["no_level"]


def _rating_lines(rt: ExplainedRating, e: Explanation) -> list[str]:
    m = marks()
    none = WORDS["no_level"]
    labels = dict(rt.labels)
    level = f"{rt.level_label}{m.paren(rt.level)}" if rt.level else none
    out = [f"{rt.label} [{rt.id}]{m.colon}{level}"]
    if rt.sources:
        parts = [f"{s}={labels.get(lv, lv) if lv else none}" for s, lv in rt.sources]
        out.append(f"   {m.enum_sep.join(parts)}")
    elif rt.points is not None:
        band = f"{labels.get(rt.band, rt.band)}" if rt.band else none
        out.append("   " + _("{of} = {points} → band {band}").format(
            of=rt.of, points=rt.points, band=band))
    for level_id, failed, formula, inputs in rt.passed_over:
        text = "   " + _("condition of {level} not met: {formula} → fails").format(
            level=labels.get(level_id, level_id), formula=formula)
        if failed != level_id:
            text += m.paren(labels.get(failed, failed))
        if inputs:
            text += m.list_sep + inputs_line(inputs)
        out.append(text)
    vetoes = {v.id: v for v in e.vetoes}
    for change in rt.changes:
        veto = vetoes.get(change.veto)
        name = veto.label if veto else change.veto
        before = labels.get(change.before or "", none)
        after = labels.get(change.after or "", none)
        out.append("   " + _("Veto {label} [{id}]: {effect} → {before} ⇒ {after}").format(
            label=name, id=change.veto, effect=EFFECT_WORDS.get(change.effect, change.effect),
            before=before, after=after))
    return out


def explanation_title(e: Explanation) -> str:
    if e.name:
        title = _("Explanation: {unit} {name} ({category})")
    else:
        title = _("Explanation: {unit} ({category})")
    # No gap before a full-width bracket (the Chinese text of an unnamed unit has one).
    return title.format(unit=e.unit, name=e.name, category=e.category_label).replace(" （", "（")


def scheme_line(scheme_id: str, title: str, version: str, digest: str) -> str:
    return _("Scheme: {id} {title} version {version}  {hash}").format(
        id=scheme_id, title=title, version=version, hash=digest)


def format_explanation(e: Explanation, node: str | None = None) -> str:
    """The explanation as an indented tree with the scheme's labels."""
    m = marks()
    out = [explanation_title(e),
           scheme_line(e.scheme_id, e.scheme_title, e.scheme_version, e.scheme_hash),
           _("Facts digest: {digest}").format(digest=e.facts_digest)]
    summary = _("Total: {total} / {scale}").format(total=e.total, scale=plain(e.scale))
    for rt in e.ratings:
        summary += f"  {rt.label}{m.colon}{rt.level_label or WORDS['no_level']}"
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
        out += ["", _("Deductions and bonuses:")]
        for r in active:
            out += _rule_line(r)
    fired = [v for v in e.vetoes if v.fired]
    if fired:
        out += ["", _("Vetoes:")]
        for v in fired:
            out.append(_("Veto {label} [{id}]: {reason}").format(
                label=v.label, id=v.id, reason=v.reason or v.label))
            out.append("   " + condition_text(v.condition_text, True))
            if v.inputs:
                out.append("   " + inputs_line(v.inputs))
            if v.basis:
                out.append("   " + _("Basis: {basis}").format(basis=v.basis))
            out.append("   " + _("Source: {source}").format(source=where(v.location)))
    if e.ratings:
        out += ["", _("Ratings:")]
        for rt in e.ratings:
            out += _rating_lines(rt, e)
    if e.derived:
        out += ["", _("Derived values:")]
        for d in e.derived:
            value = with_unit(show_value(d.value), d.unit)
            out.append(f"{d.label} [{d.id}] = {value}  "
                       + _("Formula: {formula}").format(formula=d.formula))
            if d.inputs:
                out.append("   " + inputs_line(d.inputs))
    return "\n".join(out)
