"""What-if: one unit evaluated as it is and with some facts changed, and the steps that moved.

Values given as text (`--set fact=value`) are read by the fact's declared type; a value that
does not fit is reported as a diagnostic (D502, D503) naming the `--set` it came from. Both
evaluations are ordinary traced evaluations; the comparison reads their traces.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import diagnostics as dg
from .api import CompiledScheme
from .diagnostics import Diagnostic, Location
from .errors import FactsError
from .evaluate import Result
from .facts import Subject, subject_from_mapping
from .i18n import N_, _
from .model import Fact, check_value_shape
from .trace import DerivedStep, NodeStep, RuleStep, VetoStep

ASSUMED_REASON = N_("assumed in a what-if analysis")
TRUE_WORDS = {"true": True, "yes": True, "是": True, "1": True,
              "false": False, "no": False, "否": False, "0": False}


@dataclass(frozen=True, slots=True)
class Assumption:
    fact: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class StepChange:
    """A step whose outcome differs: a node's points, a rule's amount, a veto, a rating level,
    a derived value."""

    kind: str  # "node" | "deduction" | "bonus" | "veto" | "rating" | "derived"
    id: str
    label: str
    old: Any
    new: Any
    depth: int = 0  # nodes: depth in the indicator tree


@dataclass(frozen=True, slots=True)
class WhatIf:
    before: Result
    after: Result
    assumptions: tuple[Assumption, ...]
    changes: tuple[StepChange, ...]


def parse_assignments(scheme: CompiledScheme, texts: Sequence[str]
                      ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """`fact=value` texts as plain values for the facts checker, and the problems found."""
    model = scheme.model
    values: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    facts = {f.id: f for f in model.facts}
    by_label = {f.label: f for f in model.facts}
    for text in texts:
        where = Location(f"--set {text}")
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(dg.make("bad-fact-value", _("`{text}` is not `fact=value`").format(
                text=text), where, _("write e.g. --set committee_meetings=3")))
            continue
        fact = facts.get(name) or by_label.get(name)
        if fact is None:
            close = difflib.get_close_matches(name, list(facts), n=1, cutoff=0.6)
            problems.append(dg.make("unknown-fact", _("the scheme declares no fact `{fact}`")
                                    .format(fact=name), where,
                                    _("did you mean `{fact}`?").format(fact=close[0]) if close
                                    else _("use a fact id from the scheme's `facts:`")))
            continue
        value, problem = read_value(fact, raw.strip())
        if problem:
            problems.append(dg.make("bad-fact-value", _("`{fact}` ({label}): {problem}").format(
                fact=fact.id, label=fact.label, problem=problem), where, _hint(fact)))
            continue
        values[fact.id] = value
    return values, problems


def read_value(fact: Fact, raw: str) -> tuple[Any, str]:
    """The plain value `raw` stands for, by the fact's type, or a problem."""
    kind = fact.type
    if kind in ("integer", "number", "discretionary"):
        if kind == "discretionary" and raw.startswith("{"):
            return _structured(raw, dict)
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return None, _("expected a number, got {value}").format(value=repr(raw))
        if not number.is_finite():
            return None, _("expected a finite number")
        if (fact.min is not None and number < fact.min) or (
                fact.max is not None and number > fact.max):
            low = "-inf" if fact.min is None else str(fact.min)
            high = "+inf" if fact.max is None else str(fact.max)
            return None, _("{value} is outside [{low}, {high}]").format(value=raw, low=low,
                                                                         high=high)
        if kind == "discretionary" and number != 0:
            return {"value": number, "reason": _(ASSUMED_REASON)}, ""
        problem = check_value_shape(fact, number)
        return (number, "") if not problem else (None, problem)
    if kind == "boolean":
        if raw.lower() in TRUE_WORDS:
            return TRUE_WORDS[raw.lower()], ""
        return None, _("expected true or false, got {value}").format(value=repr(raw))
    if kind == "enum":
        for value_id, label in fact.values:
            if raw in (value_id, label):
                return value_id, ""
        return None, _("expected one of {values}, got {value}").format(
            values=", ".join(v for v, _label in fact.values), value=repr(raw))
    if kind == "date":
        try:
            return dt.date.fromisoformat(raw).isoformat(), ""
        except ValueError:
            return None, _("expected a date (YYYY-MM-DD), got {value}").format(value=repr(raw))
    if kind == "list":
        return _structured(raw, list)
    return raw, ""


def _structured(raw: str, kind: type) -> tuple[Any, str]:
    """A YAML flow value ([...] or {...}), read by the same strict loader as schemes."""
    from .yamlsource import load_yaml

    doc, problems = load_yaml(raw, "--set")
    if doc is None or any(p.is_error for p in problems) or not isinstance(doc.data, kind):
        if kind is list:
            return None, _("expected a list of records such as {example}, got {value}").format(
                example="[{level: ordinary, persons: 1}]", value=repr(raw))
        return None, _("expected {example}, got {value}").format(
            example="{value: 2, reason: ...}", value=repr(raw))
    return doc.data, ""


def _hint(fact: Fact) -> str:
    if fact.type == "enum":
        return _("values: {values}").format(values=", ".join(
            f"{v} ({label})" if label != v else v for v, label in fact.values))
    return _(HINTS.get(fact.type, HINTS["number"]))


HINTS = {
    "boolean": N_("write true or false"),
    "date": N_("write a date, e.g. 2024-03-31"),
    "list": N_("write the records as YAML, e.g. '[]' or '[{field: value}]'"),
    "discretionary": N_("write a number (the reason is recorded as a what-if), or "
                        "'{value: 2, reason: ...}'"),
    "number": N_("write a number"),
}


def _plain_facts(subject: Subject, scheme: CompiledScheme) -> dict[str, Any]:
    """The unit's facts as the checker reads them (discretionary values with their reasons)."""
    out: dict[str, Any] = {}
    for fact_id, value in subject.values.items():
        fact = scheme.model.fact(fact_id)
        if fact is not None and fact.type == "discretionary" and subject.reasons.get(fact_id):
            out[fact_id] = {"value": value, "reason": subject.reasons[fact_id]}
        else:
            out[fact_id] = value
    return out


def what_if(scheme: CompiledScheme, subject: Subject, values: Mapping[str, Any]) -> WhatIf:
    """Evaluate the unit as it is and with `values` replacing its facts; raise FactsError when
    the changed facts do not fit the scheme."""
    facts = _plain_facts(subject, scheme)
    facts.update(values)
    try:
        changed = subject_from_mapping(scheme.model, {
            "id": subject.id, "name": subject.name, "category": subject.category,
            "facts": facts})
    except FactsError as exc:
        raise FactsError([_renamed(d) for d in exc.diagnostics]) from None
    before = scheme.evaluate(subject)
    after = scheme.evaluate(changed)
    assumptions = []
    for fact_id in values:
        fact = scheme.model.fact(fact_id)
        assumptions.append(Assumption(fact_id, fact.label if fact else fact_id,
                                      subject.values.get(fact_id), changed.values.get(fact_id)))
    return WhatIf(before, after, tuple(assumptions), tuple(compare(before, after)))


def _renamed(d: Diagnostic) -> Diagnostic:
    """A problem found in the changed facts, placed at `--set` rather than `<unit>`."""
    fact = next((p for p in d.location.path if isinstance(p, str) and p != "facts"), "")
    return Diagnostic(d.code, d.name, d.severity, d.message, Location(f"--set {fact}"), d.hint)


def compare(before: Result, after: Result) -> list[StepChange]:
    """Every step whose outcome differs, in the order the scheme declares them: nodes (tree
    order), deductions and bonuses, vetoes, ratings, derived values."""
    scheme = after.scheme
    old = {s.id: s for s in before.steps}
    new = {s.id: s for s in after.steps}
    out: list[StepChange] = []

    def walk(node: Any, depth: int) -> None:
        a, b = old.get(node.id), new.get(node.id)
        if isinstance(a, NodeStep) and isinstance(b, NodeStep) and a.points != b.points:
            out.append(StepChange("node", node.id, node.label, a.points, b.points, depth))
        for child in node.children:
            walk(child, depth + 1)

    walk(scheme.root, 0)
    for rule in scheme.adjustments:
        a, b = old.get(rule.id), new.get(rule.id)
        if isinstance(a, RuleStep) and isinstance(b, RuleStep):
            was = _applied(before, rule.id)
            now = _applied(after, rule.id)
            if was != now:
                out.append(StepChange(rule.kind, rule.id, rule.label, was, now))
    for veto in scheme.vetoes:
        a, b = old.get(veto.id), new.get(veto.id)
        if isinstance(a, VetoStep) and isinstance(b, VetoStep) and a.fired != b.fired:
            out.append(StepChange("veto", veto.id, veto.label, a.fired, b.fired))
    for rating in scheme.ratings:
        was_level, now_level = before.ratings.get(rating.id), after.ratings.get(rating.id)
        if was_level != now_level:
            out.append(StepChange("rating", rating.id, rating.label, was_level, now_level))
    for d in scheme.derived:
        a, b = old.get(d.id), new.get(d.id)
        if isinstance(a, DerivedStep) and isinstance(b, DerivedStep) and a.value != b.value:
            out.append(StepChange("derived", d.id, d.label, a.value, b.value))
    return out


def _applied(result: Result, rule_id: str) -> Decimal | None:
    """What a rule took or gave (None when it did not fire)."""
    for step in result.steps:
        if isinstance(step, NodeStep):
            for line in step.lines:
                if line.ref == rule_id and line.kind in ("deduction", "bonus"):
                    return abs(line.amount)
    return None
