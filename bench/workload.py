"""A seeded synthetic workload: a scheme in evalrules YAML, described once as plain data.

The description (`Workload`) is what every engine is built from: evalrules reads the YAML
written from it, the hand-written baseline and the ZEN graph are generated from it, and
simpleeval evaluates the same formula texts. The default shape is the one of the PDCA
post-evaluation scheme: 21 categories (类别), 44 items (项目), 101 criteria (评价标准) — capped
ratio-to-target, threshold steps, boolean checks and capped counts — with 4 category-dependent
special indicators, 5 capped deductions, 3 vetoes and star bands; 143 facts per branch.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

UNIT_CATEGORIES = ("production", "auxiliary", "general_management", "market_operation")
CATEGORY_LABELS = {"production": "生产类", "auxiliary": "辅助类",
                   "general_management": "综合管理类", "market_operation": "市场经营类"}
KINDS = ("ratio", "steps", "boolean", "count")
STAR_BANDS = (("5", "五星级", "[90, +inf)", 90), ("4", "四星级", "[80, 90)", 80),
              ("3", "三星级", "[70, 80)", 70), ("2", "二星级", "[60, 70)", 60),
              ("1", "一星级", "(-inf, 60)", None))


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str  # ratio | steps | boolean | count
    max: Decimal
    facts: tuple[str, ...]
    edges: tuple[Decimal, ...] = ()  # steps: thresholds
    values: tuple[Decimal, ...] = ()  # steps: points at each threshold
    step: Decimal = Decimal(0)  # count: points per occurrence

    @property
    def formula(self) -> str:
        if self.kind == "ratio":
            return f"ratio({self.facts[0]}, {self.facts[1]}, cap=1) * full"
        if self.kind == "steps":
            edges = ", ".join(str(e) for e in self.edges)
            values = ", ".join(str(v) for v in self.values)
            return f"band({self.facts[0]}, ({edges}), ({values}))"
        if self.kind == "boolean":
            return self.facts[0]
        return f"min(full, {self.step} * {self.facts[0]})"


@dataclass(frozen=True)
class Group:
    id: str
    children: tuple[Any, ...]  # Group | Criterion

    @property
    def max(self) -> Decimal:
        return sum((c.max for c in self.children), Decimal(0))


@dataclass(frozen=True)
class Special:
    id: str
    fact: str
    categories: tuple[str, ...]
    max: Decimal


@dataclass(frozen=True)
class Deduction:
    id: str
    fact: str
    each: Decimal
    cap: Decimal
    target: str  # node id


@dataclass(frozen=True)
class Workload:
    groups: tuple[Group, ...]  # the 类别, each of items, each of criteria
    specials: tuple[Special, ...]
    special_max: Decimal
    deductions: tuple[Deduction, ...]
    vetoes: tuple[tuple[str, str, str], ...] = field(default=())  # (id, fact, effect)

    def criteria(self) -> Iterator[Criterion]:
        for group in self.groups:
            for item in group.children:
                yield from item.children

    def facts(self) -> list[tuple[str, str]]:
        """(fact id, type) in declaration order."""
        out: list[tuple[str, str]] = []
        for c in self.criteria():
            if c.kind == "ratio":
                out += [(c.facts[0], "number"), (c.facts[1], "number")]
            elif c.kind == "steps":
                out.append((c.facts[0], "number"))
            elif c.kind == "boolean":
                out.append((c.facts[0], "boolean"))
            else:
                out.append((c.facts[0], "integer"))
        out += [(s.fact, "number") for s in self.specials]
        out += [(d.fact, "integer") for d in self.deductions]
        out += [("major_accident", "boolean"), ("discipline_cases", "integer"),
                ("audit_issues", "integer")]
        return out


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` things in `parts` non-empty piles, sizes varying."""
    sizes = [1] * parts
    for _ in range(total - parts):
        sizes[rng.randrange(parts)] += 1
    return sizes


def make_workload(criteria: int = 101, seed: int = 2024) -> Workload:
    """The scheme's shape for `criteria` criteria: about 2.3 per item and 2.1 items per
    category, as in the PDCA scheme (101 criteria: 44 items in 21 categories)."""
    rng = random.Random(seed)
    items = max(1, round(criteria * 44 / 101))
    categories = max(1, round(criteria * 21 / 101))
    # Criterion maxima in half points adding up to 90 (the special indicators give 10 more).
    halves = _split(rng, 180 * max(1, criteria // 101 or 1), criteria) if criteria <= 180 \
        else [1] * criteria
    scale_main = Decimal(90) / (sum(halves) * Decimal("0.5"))
    kinds = [KINDS[i % 4] for i in range(criteria)]
    # Thirty of every 101 are ratios (two facts each): 143 facts for the default shape.
    kinds = []
    for i in range(criteria):
        r = (i * 30) // 101 != ((i + 1) * 30) // 101
        kinds.append("ratio" if r else KINDS[1 + i % 3])
    made: list[Criterion] = []
    for i, (kind, half) in enumerate(zip(kinds, halves, strict=True)):
        top = (Decimal(half) * Decimal("0.5") * scale_main).quantize(Decimal("0.01"))
        cid = f"c{i + 1:03d}"
        if kind == "ratio":
            made.append(Criterion(cid, kind, top, (f"{cid}_actual", f"{cid}_target")))
        elif kind == "steps":
            edges = tuple(Decimal(e) for e in sorted(rng.sample(range(40, 96, 5), 3)))
            values = tuple((top * Decimal(p)).quantize(Decimal("0.01"))
                           for p in ("0.4", "0.7", "1"))
            made.append(Criterion(cid, kind, top, (f"{cid}_score",), edges, values))
        elif kind == "boolean":
            made.append(Criterion(cid, kind, top, (f"{cid}_done",)))
        else:
            per = max(Decimal("0.01"), (top / rng.choice((2, 3, 4))).quantize(Decimal("0.01")))
            made.append(Criterion(cid, kind, top, (f"{cid}_count",), step=per))
    item_sizes = _split(rng, criteria, items)
    item_list: list[Group] = []
    k = 0
    for i, size in enumerate(item_sizes):
        item_list.append(Group(f"item{i + 1:03d}", tuple(made[k:k + size])))
        k += size
    group_sizes = _split(rng, items, categories)
    groups: list[Group] = []
    k = 0
    for i, size in enumerate(group_sizes):
        groups.append(Group(f"cat{i + 1:02d}", tuple(item_list[k:k + size])))
        k += size
    specials = tuple(
        Special(f"special{i + 1}", f"special{i + 1}_rate",
                tuple(UNIT_CATEGORIES[j] for j in range(4) if (i + j) % 2 == 0),
                Decimal(5)) for i in range(4))
    targets = ["total", groups[0].id, groups[1 % len(groups)].id, "total", "special"]
    deductions = tuple(Deduction(f"late{i + 1}", f"late{i + 1}_items", Decimal("0.5"),
                                 Decimal(3) if i % 2 == 0 else Decimal(2), targets[i])
                       for i in range(5))
    vetoes = (("major_accident_veto", "major_accident", "set0"),
              ("discipline_veto", "discipline_cases", "zero"),
              ("audit_veto", "audit_issues", "at_most3"))
    return Workload(tuple(groups), specials, Decimal(10), deductions, vetoes)


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def scheme_yaml(w: Workload, scheme_id: str = "bench-pdca") -> str:
    """The workload as an evalrules scheme."""
    out = [
        "# Generated by bench/workload.py: a synthetic scheme shaped like the PDCA",
        "# post-evaluation scheme. Do not edit; regenerate.",
        "evalrules: 1",
        f"id: {scheme_id}",
        "title: 基准测试方案",
        'version: "1"',
        "scale: 100",
        "categories:",
    ]
    out += [f"  - {{id: {c}, label: {CATEGORY_LABELS[c]}}}" for c in UNIT_CATEGORIES]
    out.append("facts:")
    for fact, kind in w.facts():
        extra = {"number": ", min: 0", "integer": ", min: 0", "boolean": ""}[kind]
        out.append(f"  - {{id: {fact}, label: {fact}, type: {kind}{extra}}}")
    out.append("indicators:")
    for group in w.groups:
        out.append(f"  - id: {group.id}")
        out.append(f"    label: 类别{group.id[3:]}")
        out.append(f"    max: {_num(group.max)}")
        out.append("    children:")
        for item in group.children:
            out.append(f"      - id: {item.id}")
            out.append(f"        label: 项目{item.id[4:]}")
            out.append(f"        max: {_num(item.max)}")
            out.append("        children:")
            for c in item.children:
                key = "when" if c.kind == "boolean" else "points"
                out.append(f"          - {{id: {c.id}, label: 标准{c.id[1:]}, "
                           f"max: {_num(c.max)}, {key}: \"{c.formula}\"}}")
    out.append("  - id: special")
    out.append("    label: 专项指标")
    out.append(f"    max: {_num(w.special_max)}")
    out.append("    children:")
    for s in w.specials:
        maxima = ", ".join(f"{c}: {_num(s.max)}" for c in s.categories)
        out.append(f"      - {{id: {s.id}, label: 专项{s.id[7:]}, applies_to: "
                   f"[{', '.join(s.categories)}], max: {{{maxima}}}, "
                   f"points: \"ratio({s.fact}, 100, cap=1) * full\"}}")
    out.append("deductions:")
    for d in w.deductions:
        out.append(f"  - {{id: {d.id}, label: 逾期{d.id[4:]}, applies_to: {d.target}, "
                   f"points: {_num(d.each)}, per: {d.fact}, cap: {_num(d.cap)}}}")
    out += [
        "vetoes:",
        "  - {id: major_accident_veto, label: 重大事故, when: major_accident, "
        "effects: [{rating: stars, set: \"0\"}]}",
        "  - {id: discipline_veto, label: 严重违纪, when: \"discipline_cases > 0\", "
        "effects: [{zero: total}]}",
        "  - {id: audit_veto, label: 审计问题, when: \"audit_issues >= 3\", "
        "effects: [{rating: stars, at_most: \"3\"}]}",
        "ratings:",
        "  - id: stars",
        "    label: 星级",
        "    levels:",
    ]
    for level, label, band, _ in STAR_BANDS:
        out.append(f"      - {{id: \"{level}\", label: {label}, range: \"{band}\"}}")
    out.append("      - {id: \"0\", label: 无星}")
    return "\n".join(out) + "\n"


def _money(rng: random.Random, low: int, high: int) -> float | int:
    value = rng.randint(low * 100, high * 100)
    return value // 100 if value % 100 == 0 else value / 100


def make_units(w: Workload, count: int, seed: int = 7, start: int = 0
               ) -> Iterator[dict[str, Any]]:
    """`count` branches as {id, category, facts}, with values as JSON gives them (ints,
    floats with at most two decimals, booleans). The same seed gives the same units."""
    facts = w.facts()
    for n in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + n)
        values: dict[str, Any] = {}
        for fact, kind in facts:
            if fact.endswith("_target"):
                values[fact] = 0 if rng.random() < 0.02 else _money(rng, 50, 500)
            elif fact.endswith("_actual"):
                values[fact] = _money(rng, 0, 600)
            elif fact.endswith(("_score", "_rate")):
                values[fact] = _money(rng, 30, 100)
            elif kind == "boolean":
                values[fact] = rng.random() < (0.01 if fact == "major_accident" else 0.85)
            elif fact in ("discipline_cases", "audit_issues"):
                values[fact] = 0 if rng.random() < 0.97 else rng.randint(1, 4)
            elif fact.startswith("late"):
                values[fact] = 0 if rng.random() < 0.8 else rng.randint(1, 8)
            else:
                values[fact] = rng.randint(0, 5)
        yield {"id": f"B{n + 1:07d}", "category": UNIT_CATEGORIES[n % 4], "facts": values}


def write_jsonl(path: Any, w: Workload, count: int, seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for unit in make_units(w, count, seed):
            handle.write(json.dumps(unit, ensure_ascii=False, separators=(",", ":")) + "\n")
