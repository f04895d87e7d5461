"""Generate realistic facts for a whole enterprise from a handful of example units.

Each generated unit starts from an example unit of the same category and varies it: counts and
amounts move by a few per cent, yes/no facts flip now and then, dates shift by days. Values stay
inside the declared ranges, so the result is a valid facts file whose spread of ratings resembles
the examples' (mostly 3–4 stars, a few vetoes). The same seed always gives the same file.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .facts import Subject
from .i18n import _
from .model import Fact, Field, Scheme

DEFAULT_UNITS = 359  # the group in seed 001 has 359 branches
DEFAULT_SEED = 2024


def _bounded(value: Decimal, decl: Fact | Field) -> Decimal:
    if decl.min is not None:
        value = max(value, decl.min)
    if decl.max is not None:
        value = min(value, decl.max)
    return value


def _vary_number(value: Decimal, decl: Fact | Field, rng: random.Random) -> Decimal:
    if decl.type == "integer":
        if value == 0:  # rare events (accidents, cases, notices) stay rare
            return value if rng.random() < 0.98 else _bounded(value + 1, decl)
        if value <= 5:
            step = rng.choices((-1, 0, 1), weights=(1, 6, 1))[0]
            return _bounded(value + step, decl)
        return _bounded(Decimal(round(value * Decimal(str(rng.uniform(0.9, 1.1))))), decl)
    exponent = value.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 2
    varied = value * Decimal(str(rng.uniform(0.93, 1.07)))
    return _bounded(varied.quantize(Decimal(1).scaleb(-min(places, 4))), decl)


def _vary(value: Any, decl: Fact | Field, rng: random.Random) -> Any:
    if value is None:
        return None
    if decl.type in ("integer", "number") and isinstance(value, Decimal):
        return _vary_number(value, decl, rng)
    if decl.type == "boolean" and isinstance(value, bool):
        # A requirement met may lapse now and then; a rare adverse flag is not invented.
        return False if value and rng.random() < 0.05 else value
    if decl.type == "enum" and decl.values and rng.random() < 0.05:
        return rng.choice([v for v, _ in decl.values])
    if decl.type == "date" and isinstance(value, dt.date):
        return value + dt.timedelta(days=rng.randint(-20, 20))
    return value


def _vary_unit(template: Subject, scheme: Scheme, rng: random.Random) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for fact in scheme.facts:
        if fact.id not in template.values or fact.source in ("history", "period"):
            continue  # the results store supplies history facts, the period period facts
        value = template.values[fact.id]
        if fact.is_list and not value and fact.has_default:
            continue  # an empty list that defaults to empty says nothing
        if fact.is_list:
            fields = {f.id: f for f in fact.fields}
            records = [{k: _vary(v, fields[k], rng) for k, v in r.items()} for r in value]
            fewest = int(fact.min) if fact.min is not None else 0
            if len(records) > fewest and rng.random() < 0.15:  # never below the declared least
                records.pop(rng.randrange(len(records)))
            facts[fact.id] = records
        elif fact.type == "discretionary":
            reason = template.reasons.get(fact.id, "")
            facts[fact.id] = {"value": value, "reason": reason} if reason else value
        else:
            facts[fact.id] = _vary(value, fact, rng)
    return facts


def _names(templates: Mapping[str, Sequence[Subject]], counts: Mapping[str, int]
           ) -> dict[str, list[str]]:
    """Unit names per category: the examples' names, then numbered variants of them."""
    ordinals = "一二三四五六七八九十"
    out: dict[str, list[str]] = {}
    for category, wanted in counts.items():
        names: list[str] = []
        stems = [t.name.removesuffix("党支部") or t.id for t in templates[category]]
        round_ = 0
        while len(names) < wanted:
            for stem in stems:
                if len(names) == wanted:
                    break
                if round_ == 0:
                    names.append(f"{stem}党支部")
                else:
                    n = round_ + 1
                    label = ordinals[n - 1] if n <= 10 else str(n)
                    names.append(f"{stem}第{label}党支部")
            round_ += 1
        out[category] = names
    return out


def generate(scheme: Scheme, examples: Sequence[Subject], units: int = DEFAULT_UNITS,
             seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """`units` unit records (id, name, category, facts) varied from `examples`."""
    if not examples:
        raise ValueError(_("at least one example unit is needed"))
    rng = random.Random(seed)
    templates: dict[str, list[Subject]] = {}
    for example in examples:
        templates.setdefault(example.category, []).append(example)
    categories = [c.id for c in scheme.categories if c.id in templates]
    # Categories keep the examples' proportions; every category present keeps at least one unit.
    shares = {c: len(templates[c]) / len(examples) for c in categories}
    counts = {c: max(1, int(units * shares[c])) for c in categories}
    while sum(counts.values()) < units:
        counts[max(categories, key=lambda c: units * shares[c] - counts[c])] += 1
    while sum(counts.values()) > units:
        counts[max(categories, key=lambda c: counts[c])] -= 1
    names = _names(templates, counts)
    width = len(str(units))
    out = []
    number = 0
    for category in categories:
        for i in range(counts[category]):
            number += 1
            template = templates[category][i % len(templates[category])]
            out.append({"id": f"B{number:0{width}d}", "name": names[category][i],
                        "category": category, "facts": _vary_unit(template, scheme, rng)})
    return out


def to_yaml(units: Sequence[Mapping[str, Any]], scheme_id: str, period: str = "",
            comment: str = "") -> str:
    """A facts file in the strict YAML evalrules reads: exact numbers, quoted dates."""
    lines = [f"# {line}" for line in comment.splitlines()] if comment else []
    lines.append(f"scheme: {scheme_id}")
    if period:
        lines.append(f"period: {_scalar(period)}")
    lines.append("units:")
    for unit in units:
        lines.append(f"  - id: {_scalar(unit['id'])}")
        lines.append(f"    name: {_scalar(unit['name'])}")
        lines.append(f"    category: {unit['category']}")
        lines.append("    facts:")
        for key, value in unit["facts"].items():
            lines.append(f"      {key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    return json.dumps(str(value), ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)
