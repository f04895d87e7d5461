"""Text and JSON renderings of the authoring reports: test coverage, scheme diffs and their
impact, what-if comparisons and gaps. Labels come from the schemes (Chinese), with ids.

Nothing here computes a figure: every number is read from the report objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from .. import i18n
from ..coverage import Coverage, percent
from ..diff import Change, Impact, SchemeDiff
from ..evaluate import Result
from ..explain import ExplainedInput
from ..gaps import Gaps, Route
from ..i18n import N_, _
from ..model import Rating, Scheme
from ..numeric import plain
from ..testing import TestOutcome
from ..whatif import WhatIf
from .jsonout import diagnostics as diagnostics_json
from .text import show_value, signed, table

FORMAT_COVERAGE = "evalrules.coverage"
FORMAT_DIFF = "evalrules.diff"
FORMAT_WHATIF = "evalrules.what-if"
FORMAT_GAPS = "evalrules.gaps"

SUMMARY_WORDS = {
    "criteria": N_("Criteria (a test loses points)"),
    "criteria_full": N_("Criteria (a test gives full marks)"),
    "levels": N_("Rating levels (a test reaches them)"),
    "deductions": N_("Deductions (a test fires them)"),
    "bonuses": N_("Bonuses (a test fires them)"),
    "vetoes": N_("Vetoes (a test fires them)"),
}
SECTION_WORDS = {
    "scheme": N_("Scheme"), "category": N_("Categories"), "fact": N_("Facts"),
    "derived": N_("Derived values"), "indicator": N_("Indicators"),
    "deduction": N_("Deductions"), "bonus": N_("Bonuses"), "veto": N_("Vetoes"),
    "rating": N_("Ratings"),
}
KIND_MARKS = {"added": N_("+ added"), "removed": N_("− removed"), "moved": N_("→ moved"),
              "changed": N_("~ changed")}
DETAIL_WORDS = {
    "id": N_("Scheme id"), "title": N_("Title"), "version": N_("Version"),
    "effective": N_("Effective date"), "owner": N_("Issuing department"),
    "scale": N_("Full marks"), "places": N_("Decimal places"), "rounding": N_("Rounding"),
    "label": N_("Name"), "type": N_("Type"), "unit": N_("Unit of measure"),
    "min": N_("Minimum"), "max": N_("Full marks"), "required": N_("Required"),
    "source": N_("Data source"), "default": N_("Default value"), "values": N_("Values"),
    "fields": N_("Fields"), "formula": N_("Formula"), "parent": N_("Parent"),
    "weight": N_("Weight"), "floor": N_("Floor"), "points": N_("Scoring"),
    "when": N_("Condition"), "applies_to": N_("Categories applied to"),
    "applicable": N_("Applicable when"), "renormalize": N_("Rescaled to applicable items"),
    "basis": N_("Basis"), "tags": N_("Tags"), "per": N_("Occurrences"),
    "exclusive": N_("Highest-only group"), "categories": N_("Categories applied to"),
    "above_max": N_("May exceed full marks"), "cap": N_("Upper limit"),
    "range": N_("Value range"), "reason": N_("Veto reason"), "effects": N_("Veto effects"),
    "of": N_("Rated node"), "assess": N_("Assessment method"),
    "derived_from": N_("Source rating"), "level": N_("Rating level"),
    "includes": N_("Includes"), "order": N_("Level order"),
}
# Words whose meaning depends on the section.
SECTION_DETAIL_WORDS = {
    ("fact", "max"): N_("Maximum"), ("deduction", "applies_to"): N_("Applies to"),
    ("bonus", "applies_to"): N_("Applies to"), ("rating", "range"): N_("Band"),
    ("deduction", "points"): N_("Point value"), ("bonus", "points"): N_("Point value"),
}


def _join(items: Iterable[str], semicolons: bool = False) -> str:
    """A list in the current language: 甲、乙 (甲；乙) in Chinese, "a, b" ("a; b") in English."""
    chinese = i18n.current_language() == i18n.CHINESE
    if semicolons:
        return ("；" if chinese else "; ").join(items)
    return ("、" if chinese else ", ").join(items)


def _pct(covered: int, total: int) -> str:
    value = percent(covered, total)
    return "—" if value is None else f"{value}%"


def _level_label(rating: Rating | None, level: str | None) -> str:
    if level is None:
        return _("no level")
    found = rating.level(level) if rating is not None else None
    return found.label if found is not None else level


# ----------------------------------------------------------------------------------------------
# Coverage


def format_coverage(cov: Coverage) -> str:
    out = [_("Test coverage: {scheme} {title}").format(scheme=cov.scheme_id, title=cov.title),
           _("File: {file}  Tests: {tests} ({passed} passed)").format(
               file=cov.file, tests=cov.tests, passed=cov.passed), ""]
    rows = [[_(SUMMARY_WORDS[what]), str(n), str(total), _pct(n, total)]
            for what, n, total in cov.summary()]
    out.append(table([_("Item"), _("Covered"), _("Total items"), _("Coverage")], rows,
                     numeric={1, 2, 3}))
    untested = [c for c in cov.criteria if not c.exercised]
    if untested:
        out += ["", _("Criteria no test takes points from:")]
        for c in untested:
            why = (_("full marks in all {count} test(s)").format(count=len(c.full))
                   if c.applicable else _("no test applies"))
            out.append("  " + _("{label} [{id}] ({why})").format(label=c.label, id=c.id,
                                                                why=why))
    never_full = [c for c in cov.criteria if not c.full and c.applicable]
    if never_full:
        out += ["", _("Criteria no test gives full marks:")]
        out += [f"  {c.label} [{c.id}]" for c in never_full]
    missed = [lv for lv in cov.levels if not lv.exercised]
    if missed:
        out += ["", _("Levels no test reaches:")]
        out += ["  " + _("{owner} [{owner_id}]: {label} ({id})").format(
            owner=lv.owner_label, owner_id=lv.owner, label=lv.label, id=lv.id)
            for lv in missed]
    for kind, title in (("deduction", N_("Deductions no test fires:")),
                        ("bonus", N_("Bonuses no test fires:"))):
        items = [r for r in cov.rules if r.kind == kind and not r.exercised]
        if items:
            out += ["", _(title)] + [f"  {r.label} [{r.id}]" for r in items]
    vetoes = [v for v in cov.vetoes if not v.exercised]
    if vetoes:
        out += ["", _("Vetoes no test fires:")] + [f"  {v.label} [{v.id}]" for v in vetoes]
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
    word = SECTION_DETAIL_WORDS.get((section, what)) or DETAIL_WORDS.get(what)
    return _(word) if word else what


def _change_lines(change: Change) -> list[str]:
    mark = _(KIND_MARKS[change.kind])
    out = [f"  {mark}  {change.label} [{change.id}]"]
    for d in change.details:
        word = _detail_word(change.section, d.what)
        if change.kind == "added" and d.old == "—":
            value = d.new
        elif change.kind == "removed" and d.new == "—":
            value = d.old
        else:
            value = None
        if value is not None:
            line = (_("{what} ({scope}): {value}") if d.scope else _("{what}: {value}")).format(
                what=word, scope=d.scope, value=value)
        else:
            line = (_("{what} ({scope}): {old} → {new}") if d.scope
                    else _("{what}: {old} → {new}")).format(what=word, scope=d.scope, old=d.old,
                                                           new=d.new)
        out.append("      " + line)
    return out


def format_diff(d: SchemeDiff, impact: Impact | None = None) -> str:
    a, b = d.old, d.new
    out = [_("Scheme diff: {scheme} {old} → {new}").format(scheme=b.id, old=a.version,
                                                            new=b.version),
           _("Old version: {file}  {hash}").format(file=a.file, hash=d.old_hash),
           _("New version: {file}  {hash}").format(file=b.file, hash=d.new_hash)]
    if not d.changes:
        out += ["", _("The two versions have the same structure.")]
    for section in SECTION_WORDS:
        changes = [c for c in d.changes if c.section == section]
        if not changes:
            continue
        out += ["", _("{heading}:").format(heading=_(SECTION_WORDS[section]))]
        for change in changes:
            out += _change_lines(change)
    out += ["", _("{count} change(s): {added} added, {removed} removed, {moved} moved, "
                  "{changed} changed").format(count=len(d.changes), added=d.count("added"),
                                              removed=d.count("removed"),
                                              moved=d.count("moved"),
                                              changed=d.count("changed"))]
    if impact is not None:
        out += ["", *format_impact(impact, a, b)]
    return "\n".join(out)


def format_impact(impact: Impact, old: Scheme, new: Scheme) -> list[str]:
    ratings = [r for r in new.ratings if r.id in impact.ratings]
    out = [_("Impact: {file}, {count} unit(s)").format(file=impact.facts_file,
                                                        count=len(impact.units)), ""]
    header = [_("Unit"), _("Name"), _("Category"), _("Old total"), _("New total"), _("Change")]
    for r in ratings:
        header += [_("Old {rating}").format(rating=r.label),
                   _("New {rating}").format(rating=r.label)]
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
    out += ["", _("Rating changes:")]
    for r in ratings:
        moved = impact.moved(r.id)
        up = sum(1 for u in moved if impact.direction(u, r.id) > 0)
        down = sum(1 for u in moved if impact.direction(u, r.id) < 0)
        out.append("  " + _("{rating} [{id}]: {count} unit(s) changed ({up} up, {down} down)")
                   .format(rating=r.label, id=r.id, count=len(moved), up=up, down=down))
        for before, after, n in impact.transitions(r.id):
            out.append("    " + _("{before} → {after}: {count}").format(
                before=_level_label(old.rating(r.id), before), after=_level_label(r, after),
                count=n))
        for u in moved:
            out.append("    " + _("{unit} {name}: {before} → {after} ({old_total} → "
                                  "{new_total})").format(
                unit=u.unit, name=u.name,
                before=_level_label(old.rating(r.id), u.old_levels.get(r.id)),
                after=_level_label(r, u.new_levels.get(r.id)), old_total=u.old_total,
                new_total=u.new_total))
    up = sum(1 for u in impact.units if u.delta > 0)
    down = sum(1 for u in impact.units if u.delta < 0)
    same = len(impact.units) - up - down
    out += ["", _("Summary: total up for {up}, down for {down}, unchanged for {same}").format(
        up=up, down=down, same=same)]
    if impact.units:
        low = min(impact.units, key=lambda u: u.delta)
        high = max(impact.units, key=lambda u: u.delta)
        if high.delta > 0:
            out.append("      " + _("Largest rise {delta} ({unit} {name})").format(
                delta=signed(high.delta), unit=high.unit, name=high.name))
        if low.delta < 0:
            out.append("      " + _("Largest fall {delta} ({unit} {name})").format(
                delta=signed(low.delta), unit=low.unit, name=low.name))
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


def _unit_head(unit: str, name: str, category: str) -> str:
    """B01 第一党支部（生产类）; the name left out when there is none."""
    return _("{unit} ({category})").format(unit=" ".join(p for p in (unit, name) if p),
                                           category=category)


def _scheme_line(scheme_id: str, title: str, version: str) -> str:
    return _("Scheme: {id} {title} version {version}").format(id=scheme_id, title=title,
                                                              version=version)


def _head(result: Result) -> list[str]:
    scheme = result.scheme
    category = scheme.category(result.category)
    return [_unit_head(result.unit, result.name,
                       category.label if category else result.category),
            _scheme_line(scheme.id, scheme.title, scheme.version)]


def _show(value: Any) -> str:
    if value is None:
        return "—"
    return show_value(value)


def format_what_if(w: WhatIf) -> str:
    before, after = w.before, w.after
    scheme = after.scheme
    head = _head(after)
    out = [_("What-if: {unit}").format(unit=head[0]), head[1], "", _("Assumptions:")]
    for a in w.assumptions:
        out.append("  " + _("{label} [{id}]: {old} → {new}").format(
            label=a.label, id=a.fact, old=_show(a.old), new=_show(a.new)))
    delta = after.total - before.total
    out += ["", _("Result:"), "  " + _("Total: {old} → {new} ({change})").format(
        old=before.total, new=after.total, change=signed(delta) if delta else _("unchanged"))]
    for rating in scheme.ratings:
        out.append("  " + _("{what}: {old} → {new}").format(
            what=rating.label, old=_level_label(rating, before.ratings.get(rating.id)),
            new=_level_label(rating, after.ratings.get(rating.id))))
    out.append("  " + _("Award eligibility: {old} → {new}").format(
        old=_("yes") if before.award_eligible else _("no"),
        new=_("yes") if after.award_eligible else _("no")))
    out += ["", _("Steps that changed:")]
    if not w.changes:
        out.append("  " + _("(no change)"))
    nodes = [c for c in w.changes if c.kind == "node"]
    if nodes:
        rows = []
        for c in nodes:
            diff = (c.new or Decimal(0)) - (c.old or Decimal(0))
            rows.append(["  " * c.depth + f"{c.label} [{c.id}]", _points(c.old),
                         _points(c.new), signed(diff)])
        body = table([_("Indicator"), _("Before"), _("After"), _("Change")], rows,
                     numeric={1, 2, 3})
        out += ["  " + line for line in body.splitlines()]
    not_fired = _("not fired")
    for c in w.changes:
        if c.kind in ("deduction", "bonus"):
            sign = "−" if c.kind == "deduction" else "+"
            was = f"{sign}{c.old}" if c.old is not None else not_fired
            now = f"{sign}{c.new}" if c.new is not None else not_fired
            out.append("  " + _(STEP_LINES[c.kind]).format(label=c.label, id=c.id, old=was,
                                                          new=now))
        elif c.kind == "veto":
            out.append("  " + _(STEP_LINES[c.kind]).format(
                label=c.label, id=c.id, old=_("fired") if c.old else not_fired,
                new=_("fired") if c.new else not_fired))
        elif c.kind == "rating":
            rated = scheme.rating(c.id)
            out.append("  " + _(STEP_LINES[c.kind]).format(
                label=c.label, id=c.id, old=_level_label(rated, c.old),
                new=_level_label(rated, c.new)))
        elif c.kind == "derived":
            out.append("  " + _(STEP_LINES[c.kind]).format(
                label=c.label, id=c.id, old=_show(c.old), new=_show(c.new)))
    return "\n".join(out)


STEP_LINES = {
    "deduction": N_("Deduction {label} [{id}]: {old} → {new}"),
    "bonus": N_("Bonus {label} [{id}]: {old} → {new}"),
    "veto": N_("Veto {label} [{id}]: {old} → {new}"),
    "rating": N_("Rating {label} [{id}]: {old} → {new}"),
    "derived": N_("Derived value {label} [{id}]: {old} → {new}"),
}


def _points(value: Any) -> str:
    return _("not applicable") if value is None else str(value)


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
    out = [_("Gaps: {unit}").format(unit=_unit_head(e.unit, e.name, e.category_label)),
           _scheme_line(e.scheme_id, e.scheme_title, e.scheme_version)]
    summary = _("Total: {total} / {scale}").format(total=e.total, scale=plain(e.scale))
    for rt in e.ratings:
        summary += "  " + _("{what}: {value}").format(what=rt.label,
                                                      value=rt.level_label or _("no level"))
    out += [summary, ""]
    of = g.rating.of if g.rating is not None else None
    lost = sum((x.lost for x in g.losses), Decimal(0))
    if not g.losses:
        out.append(_("Lost points: full marks on every criterion"))
    else:
        out.append(_("Lost points ({count} criteria lost {lost} in all, largest first):").format(
            count=len(g.losses), lost=lost))
        rows = [[str(x.lost), f"{x.points}/{plain(x.max)}",
                 signed(x.gain) if x.gain is not None else "—",
                 _("{label} [{id}] ({parent})").format(label=x.label, id=x.id, parent=x.parent)
                 if x.parent else f"{x.label} [{x.id}]"]
                for x in g.losses]
        body = table([_("Lost"), _("Points/max"), _("Gain"), _("Criterion")], rows,
                     numeric={0, 1, 2})
        lines = body.splitlines()
        out += ["  " + line for line in lines[:2]]
        indent = "  " + " " * (len(lines[1]) - len(lines[1].split("  ")[-1]))
        for x, line in zip(g.losses, lines[2:], strict=True):
            out.append("  " + line)
            if x.rule:
                line = (_("Condition: {rule}") if x.kind == "condition"
                        else _("Formula: {rule}"))
                out.append(indent + line.format(rule=x.rule))
            if x.inputs:
                out.append(indent + _("Inputs: {inputs}").format(inputs=_inputs(x.inputs)))
            if x.basis:
                out.append(indent + _("Basis: {basis}").format(basis=x.basis))
        if of:
            out.append("  " + _("(Gain: how much {node} rises when only this criterion is "
                                "raised to its max, the rest unchanged)").format(node=of))
    if g.deductions:
        taken = sum((r.applied for r in g.deductions), Decimal(0))
        out += ["", _("Deductions ({points} points taken in all):").format(points=taken)]
        for r in g.deductions:
            out.append(f"  −{r.applied}  {r.label} [{r.id}] → {r.target_label} [{r.target}]")
            if r.basis:
                out.append("         " + _("Basis: {basis}").format(basis=r.basis))
    if g.vetoes:
        out += ["", _("Vetoes:")]
        for v in g.vetoes:
            out.append("  " + _("{label} [{id}]: {reason}").format(
                label=v.label, id=v.id, reason=v.reason or v.label))
    if g.route is not None and g.rating is not None:
        out += ["", _("Next level:"), *_route_lines(g, g.route, g.rating)]
    return "\n".join(out)


def _inputs(inputs: Sequence[ExplainedInput]) -> str:
    parts = []
    for i in inputs:
        unit = i.unit if i.unit and not isinstance(i.value, (tuple, bool)) else ""
        parts.append(f"{i.label}({i.name})={show_value(i.value)}{unit}")
    return _join(parts, semicolons=True)


def _route_lines(g: Gaps, route: Route, rating: Rating) -> list[str]:
    current = _level_label(rating, route.current)
    if route.reason == "best":
        return ["  " + _("{rating} [{id}]: {current}, already the highest level").format(
            rating=rating.label, id=rating.id, current=current)]
    if route.reason == "no-level":
        return ["  " + _("{rating} [{id}]: no level assessed").format(rating=rating.label,
                                                                      id=rating.id)]
    target = rating.level(route.target) if route.target else None
    fields = {"rating": rating.label, "id": rating.id, "current": current,
              "target": _level_label(rating, route.target), "node": rating.of,
              "threshold": route.threshold, "points": route.points,
              "range": target.range if target is not None else None,
              "condition": target.when if target is not None else None}
    if target is None or target.range is None:
        head = _("{rating} [{id}]: {current} → {target}")
    else:
        threshold = route.threshold is not None and bool(rating.of)
        head = _(ROUTE_HEADS[threshold, bool(target.when)])
    out = ["  " + head.format(**fields)]
    vetoes = {v.id: v for v in g.explanation.vetoes}
    if not route.reachable:
        after = _("after raising every criterion to its max: total {total}, {rating} "
                  "{level}").format(total=route.total_after, rating=rating.label,
                                    level=_level_label(rating, route.level_after))
        if route.reason == "veto":
            names = _join(f"{vetoes[v].label} [{v}]" if v in vetoes else v
                          for v in route.reason_refs)
            out.append("  " + _("not reachable by raising criteria alone: veto {vetoes} "
                                "limits {rating}").format(vetoes=names, rating=rating.label))
        elif route.reason == "condition":
            conditions = _join((
                _("{level} must meet `{condition}`").format(
                    level=_level_label(rating, lv),
                    condition=rating.level(lv).when)  # type: ignore[union-attr]
                for lv in route.reason_refs if rating.level(lv) is not None), semicolons=True)
            out.append("  " + _("not reachable by raising criteria alone: {conditions}, which "
                                "does not hold").format(conditions=conditions))
        elif route.reason == "sources":
            out.append("  " + _("not reachable by raising criteria alone: source rating(s) "
                                "{ratings} not reached").format(
                ratings=_join(route.reason_refs)))
        else:
            out.append("  " + _("not reachable by raising criteria alone: full marks on every "
                                "criterion are still not enough"))
        out.append("  " + _("({text})").format(text=after))
        return out
    losses = {x.id: x for x in g.losses}
    out.append("  " + _("At least {count} criteria must be raised to their max:").format(
        count=len(route.raised)))
    for node_id in route.raised:
        x = losses[node_id]
        out.append("    " + _("{label} [{id}]: {points} → {max} (lost {lost})").format(
            label=x.label, id=x.id, points=x.points, max=plain(x.max), lost=x.lost))
    if rating.of and rating.of != "total":
        after = _("After raising: total {total}, {node} {points}, {rating} {level}")
    else:
        after = _("After raising: total {total}, {rating} {level}")
    out.append("  " + after.format(total=route.total_after, node=rating.of,
                                   points=route.points_after, rating=rating.label,
                                   level=_level_label(rating, route.level_after)))
    if route.method == "exact":
        out.append("  " + _("Method: exact search, no combination of fewer criteria ({tried} "
                            "evaluations)").format(tried=route.tried))
    else:
        out.append("  " + _("Method: the evaluation budget ran out ({tried} evaluations); the "
                            "above is the greedy result (largest gain first) and may not be the "
                            "fewest").format(tried=route.tried))
    return out


# The next level's line: (with the threshold of the rated node, with a condition).
ROUTE_HEADS = {
    (False, False): N_("{rating} [{id}]: {current} → {target} (band {range})"),
    (True, False): N_("{rating} [{id}]: {current} → {target} (band {range}, {node} must reach "
                      "{threshold}, now {points})"),
    (False, True): N_("{rating} [{id}]: {current} → {target} (band {range}; it must also meet "
                      "{condition})"),
    (True, True): N_("{rating} [{id}]: {current} → {target} (band {range}, {node} must reach "
                     "{threshold}, now {points}; it must also meet {condition})"),
}


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
