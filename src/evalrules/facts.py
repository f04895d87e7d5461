"""Facts: what each unit supplies, checked against the scheme's declarations.

A facts file (YAML or JSON) holds `units:`, each with an id, a category and its facts. Every
value is checked and typed (numbers become exact decimals, dates become dates, list records
become read-only mappings); all problems are collected before anything is evaluated.
Spreadsheets (XLSX, CSV) are read by evalrules.tablefacts into the same checker; `read_facts`
and `check_facts_file` choose the reader by the file's extension.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FilePath
from types import MappingProxyType
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .errors import FactsError
from .i18n import _
from .limits import DEFAULT_LIMITS, Limits, effective
from .model import Fact, Field, Scheme, check_value_shape

UNIT_KEYS = ("id", "name", "category", "facts")


@dataclass(frozen=True, slots=True)
class Subject:
    """One unit to evaluate: its id, category and typed, read-only facts."""

    id: str
    category: str
    values: Mapping[str, Any]
    name: str = ""
    reasons: Mapping[str, str] = field(default_factory=dict)  # discretionary fact -> reason
    location: Location = field(default_factory=Location)

    def digest(self) -> str:
        """A hash of the unit's typed facts, to tie an explanation to its input."""
        payload = {"id": self.id, "category": self.category,
                   "facts": {k: _plain(v) for k, v in sorted(self.values.items())},
                   "reasons": dict(sorted(self.reasons.items()))}
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FactsFile:
    """Units read from one file, with the file's own hash."""

    units: tuple[Subject, ...]
    file: str
    digest: str
    period: str = ""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value


class _Checker:
    def __init__(self, scheme: Scheme, locate: Any, limits: Limits, table: bool = False) -> None:
        self.scheme = scheme
        self.locate = locate  # (path, key=False) -> Location
        self.limits = effective(limits)  # the active profile's, when none is given
        self.table = table  # values come from spreadsheet cells: hints speak of cells and columns
        self.problems: list[Diagnostic] = []
        self.facts = {f.id: f for f in scheme.facts}
        self.by_label = {f.label: f for f in scheme.facts}
        # The values of `source: period` facts, when the facts come with their period.
        self.period_values: Mapping[str, Any] | None = None

    def problem(self, name: str, message: str, path: Path, hint: str = "",
                key: bool = False) -> None:
        self.problems.append(dg.make(name, message, self.locate(path, key=key), hint))

    def value(self, decl: Fact | Field, raw: Any, path: Path, who: str) -> Any:
        """The typed value, or None after reporting a problem."""
        what = f"{who}: `{decl.id}` ({decl.label})"
        if decl.type in ("integer", "number") and isinstance(raw, str):
            self.problem("bad-fact-value", f"{what} must be a number, not the text {raw!r}",
                         path, "type the number alone, without units" if self.table else
                         "write the number without quotes or units")
            return None
        shape = check_value_shape(decl, raw)
        if shape:
            self.problem("bad-fact-value", f"{what}: {shape}", path,
                         _cell_hint(decl) if self.table else _type_hint(decl))
            return None
        if decl.type in ("integer", "number", "discretionary"):
            number = Decimal(raw)
            if not number.is_finite():
                self.problem("bad-fact-value", f"{what} must be a finite number", path)
                return None
            if (decl.min is not None and number < decl.min) or (
                    decl.max is not None and number > decl.max):
                self.problem("bad-fact-value", f"{what} is {raw}, outside "
                             f"[{_bound(decl.min)}, {_bound(decl.max)}]", path,
                             "check the value, or the range declared in the scheme")
                return None
            return number
        if decl.type == "enum":
            return str(raw)
        if decl.type == "date":
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                self.problem("bad-fact-value", f"{what} is not a date: {raw!r}", path,
                             "write dates as YYYY-MM-DD, e.g. \"2024-03-31\"")
                return None
        return raw

    def list_value(self, fact: Fact, raw: Any, path: Path, who: str) -> Any:
        if not isinstance(raw, list):
            self.problem("bad-fact-value", f"{who}: `{fact.id}` ({fact.label}) must be a list "
                         "of records", path, "write `- {field: value, ...}` per record")
            return None
        if len(raw) > self.limits.max_list_records:
            self.problem("bad-fact-value", f"{who}: `{fact.id}` has more than "
                         f"{self.limits.max_list_records} records", path)
            return None
        count = Decimal(len(raw))
        if (fact.min is not None and count < fact.min) or (fact.max is not None
                                                           and count > fact.max):
            self.problem("bad-fact-value", f"{who}: `{fact.id}` has {len(raw)} records, "
                         f"outside [{_bound(fact.min)}, {_bound(fact.max)}]", path)
            return None
        fields = {f.id: f for f in fact.fields}
        records = []
        ok = True
        for i, item in enumerate(raw):
            here = (*path, i)
            if not isinstance(item, dict):
                self.problem("bad-fact-value", f"{who}: record {i + 1} of `{fact.id}` must be "
                             "a mapping of fields", here, f"fields: {', '.join(fields)}")
                ok = False
                continue
            record: dict[str, Any] = {}
            for key in item:
                if key not in fields:
                    self.problem("unknown-fact", f"{who}: record {i + 1} of `{fact.id}` has "
                                 f"unknown field `{key}`", (*here, key), _suggest(key, fields),
                                 key=True)
                    ok = False
            for f in fact.fields:
                if f.id in item and item[f.id] is not None:
                    typed = self.value(f, item[f.id], (*here, f.id), f"{who}, {fact.id}[{i + 1}]")
                    ok = ok and typed is not None
                    record[f.id] = typed
                elif f.default is not None:
                    record[f.id] = self.value(f, f.default, here, f"{who}, {fact.id}[{i + 1}]")
                else:
                    self.problem("missing-fact", f"{who}: record {i + 1} of `{fact.id}` lacks "
                                 f"field `{f.id}` ({f.label})", (*here, f.id),
                                 f"fill in the column {f.label} [{f.id}]" if self.table
                                 else f"add `{f.id}: ...`")
                    ok = False
            records.append(MappingProxyType(record))
        return tuple(records) if ok else None

    def unit(self, raw: Any, path: Path, seen: dict[str, Location],
             reported: frozenset[str] = frozenset()) -> Subject | None:
        if not isinstance(raw, dict):
            self.problem("bad-unit", "a unit must be a mapping with id, category and facts",
                         path, "write `- {id: B01, category: production, facts: {...}}`")
            return None
        for key in raw:
            if key not in UNIT_KEYS:
                self.problem("bad-unit", f"unknown key `{key}` in a unit", (*path, key),
                             _suggest(key, UNIT_KEYS) or "a unit has id, name, category, facts",
                             key=True)
        unit_id = raw.get("id")
        if isinstance(unit_id, int) and not isinstance(unit_id, bool):
            unit_id = str(unit_id)
        if not isinstance(unit_id, str) or not unit_id:
            self.problem("bad-unit", "a unit lacks its `id`", path, "add `id: ...`")
            return None
        if unit_id in seen:
            self.problem("duplicate-unit", f"unit `{unit_id}` appears twice (first at line "
                         f"{seen[unit_id].line})", (*path, "id"), "give each unit its own id")
        seen.setdefault(unit_id, self.locate((*path, "id")))
        who = f"unit {unit_id}"
        category = raw.get("category")
        categories = [c.id for c in self.scheme.categories]
        if not isinstance(category, str) or category not in categories:
            by_label = {c.label: c.id for c in self.scheme.categories}
            if isinstance(category, str) and category in by_label:
                category = by_label[category]
            else:
                self.problem("unknown-unit-category", f"{who}: unknown category {category!r}",
                             (*path, "category"), _suggest(str(category), categories) or
                             f"categories: {', '.join(categories)}")
                return None
        facts = raw.get("facts", {})
        if not isinstance(facts, dict):
            self.problem("bad-unit", f"{who}: `facts` must be a mapping of fact ids to values",
                         (*path, "facts"))
            return None
        return self.subject(unit_id, str(raw.get("name") or ""), category, facts,
                            (*path, "facts"), self.locate(path), reported)

    def subject(self, unit_id: str, name: str, category: str, facts: Mapping[str, Any],
                path: Path, location: Location, reported: frozenset[str] = frozenset()
                ) -> Subject | None:
        """The typed unit, or None after reporting its problems.

        `reported` names facts whose problem the caller has already reported (a spreadsheet
        cell holding a formula, a missing column): they are neither read nor reported again,
        and the unit fails.
        """
        who = f"unit {unit_id}"
        before = len(self.problems)
        values: dict[str, Any] = {}
        reasons: dict[str, str] = {}
        supplied: dict[str, Any] = {}
        for key, raw in facts.items():
            decl = self.facts.get(key) or self.by_label.get(key)
            if decl is None:
                self.problem("unknown-fact", f"{who}: unknown fact `{key}`", (*path, key),
                             _suggest(key, self.facts) or "remove it, or declare it in the "
                             "scheme", key=True)
                continue
            supplied[decl.id] = (raw, (*path, key))
        for fact in self.scheme.facts:
            if fact.id in reported:
                continue
            if fact.source == "period" and self.period_values is not None:
                values[fact.id] = self.from_period(fact, supplied.get(fact.id), who)
                continue
            if fact.id not in supplied or supplied[fact.id][0] is None:
                if fact.has_default:
                    default = fact.default
                    values[fact.id] = (tuple() if fact.is_list and default in (None, [])
                                       else self.typed(fact, default, path, who, reasons))
                elif fact.required:
                    self.problem("missing-fact", f"{who}: required fact `{fact.id}` "
                                 f"({fact.label}) is missing", (*path, fact.id),
                                 f"fill in the column {fact.label} [{fact.id}]; an empty cell "
                                 "is never taken as 0" if self.table else
                                 f"add `{fact.id}: ...`; a missing value is never taken as 0")
                continue
            raw, here = supplied[fact.id]
            values[fact.id] = self.typed(fact, raw, here, who, reasons)
        if len(self.problems) > before or any(f in reported for f in self.facts):
            return None
        return Subject(unit_id, category, MappingProxyType(values), name,
                       MappingProxyType(reasons), location)

    def from_period(self, fact: Fact, supplied: tuple[Any, Path] | None, who: str) -> Any:
        """A `source: period` fact's value; a unit that states it must agree with the period."""
        assert self.period_values is not None
        value = self.period_values.get(fact.id)
        if supplied is not None and supplied[0] is not None:
            given = self.value(fact, supplied[0], supplied[1], who)
            if given is not None and given != value:
                self.problem("bad-fact-value", _("{who}: `{fact}` ({label}) is {given}, but the "
                             "period gives {value}").format(who=who, fact=fact.id,
                                                            label=fact.label, given=supplied[0],
                                                            value=_plain(value)),
                             supplied[1], _("remove it: it is filled from the period"))
        return value

    def typed(self, fact: Fact, raw: Any, path: Path, who: str, reasons: dict[str, str]) -> Any:
        if fact.is_list:
            return self.list_value(fact, raw, path, who)
        if fact.type == "discretionary":
            reason = ""
            if isinstance(raw, dict):
                extra = [k for k in raw if k not in ("value", "reason")]
                if extra:
                    self.problem("bad-fact-value", f"{who}: `{fact.id}` takes `value` and "
                                 f"`reason`, not `{extra[0]}`", (*path, extra[0]), key=True)
                given = raw.get("reason")
                reason = given if isinstance(given, str) else ""
                raw = raw.get("value")
                path = (*path, "value")
            value = self.value(fact, raw, path, who)
            if value is not None and value != 0 and not reason.strip():
                self.problem("missing-reason", f"{who}: `{fact.id}` ({fact.label}) is {raw} "
                             "without a justification", path,
                             f"fill in the column {fact.label} 理由 [{fact.id}.reason]: a "
                             "discretionary deduction must say why" if self.table else
                             f"write `{fact.id}: {{value: {raw}, reason: \"…\"}}`: a "
                             "discretionary deduction must say why")
            if reason.strip():
                reasons[fact.id] = reason.strip()
            return value
        return self.value(fact, raw, path, who)


def _bound(value: Decimal | None) -> str:
    return "…" if value is None else str(value)


def _type_hint(decl: Fact | Field) -> str:
    return {
        "integer": "write a whole number", "number": "write a number",
        "discretionary": "write `{value: N, reason: \"…\"}`",
        "boolean": "write true or false", "date": "write a date as \"YYYY-MM-DD\"",
        "enum": "use one of the declared values", "text": "write text",
    }.get(decl.type, "")


def _cell_hint(decl: Fact | Field) -> str:
    if decl.type == "enum":
        return "choose from the drop-down list: " + "、".join(
            f"{label} ({value})" if label != value else value for value, label in decl.values)
    return {
        "integer": "type a whole number", "number": "type a number",
        "discretionary": "type a number, and its reason in the column beside it",
        "boolean": "type 是 or 否", "date": "type a date, e.g. 2024-03-31",
        "text": "type text",
    }.get(decl.type, "")


def _suggest(word: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


def subject_from_mapping(scheme: Scheme, unit: Mapping[str, Any]) -> Subject:
    """Check one unit given as a mapping {id, category, facts, name?}; raise FactsError."""
    checker = _Checker(scheme, lambda path, key=False: Location("<unit>", 0, 0, tuple(path)),
                       DEFAULT_LIMITS)
    subject = checker.unit(_to_plain(dict(unit)), (), {})
    if subject is None or checker.problems:
        raise FactsError(checker.problems)
    return subject


def _to_plain(value: Any) -> Any:
    """Programs may pass floats and tuples; make them what the checker expects."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class FactsCheck:
    """A facts file read leniently: the units without problems, and every problem found.

    `skipped` lists the units (by id, or by place when a unit has no id) that have problems;
    `blocking` is true when a problem concerns the file as a whole (it cannot be read, it is
    for another scheme, a required column is missing), so no unit can be trusted.
    """

    facts: FactsFile
    problems: tuple[Diagnostic, ...] = ()
    skipped: tuple[str, ...] = ()
    blocking: bool = False

    def strict(self) -> FactsFile:
        """The facts, or FactsError listing every problem if there is any."""
        if self.problems:
            raise FactsError(self.problems)
        return self.facts

    def lenient(self) -> FactsFile:
        """The units without problems; FactsError only when the file itself is unusable."""
        if self.blocking:
            raise FactsError(self.problems)
        return self.facts


class UnitChecker:
    """Check units one at a time, for readers of other formats (spreadsheets, CSV).

    `locate(path, key=False)` maps a data path to a Location: the path of a unit's fact is
    (*unit_path, "facts", fact_id), of a discretionary value (..., fact_id, "value"), of a list
    record's field (..., fact_id, record_index, field_id).
    """

    def __init__(self, scheme: Scheme, locate: Any, limits: Limits = DEFAULT_LIMITS, *,
                 table: bool = False) -> None:
        self._checker = _Checker(scheme, locate, limits, table)
        self._seen: dict[str, Location] = {}

    def check(self, raw_unit: Mapping[str, Any], path: Path,
              reported: frozenset[str] = frozenset()) -> tuple[Subject | None, list[Diagnostic]]:
        """The unit (None when it has problems) and the problems found in it."""
        before = len(self._checker.problems)
        subject = self._checker.unit(dict(raw_unit), path, self._seen, reported)
        problems = self._checker.problems[before:]
        return (subject if not problems else None), problems

    def problem(self, name: str, message: str, location: Location, hint: str = "") -> Diagnostic:
        return dg.make(name, message, location, hint)


TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv")


def check_facts_file(scheme: Scheme, path: str | FilePath, limits: Limits = DEFAULT_LIMITS,
                     lists: Mapping[str, str | FilePath] | None = None,
                     period: str | None = None) -> FactsCheck:
    """Read a facts file leniently, by its extension: YAML or JSON, XLSX, or CSV.

    `lists` maps list facts to separate CSV files of records (for CSV facts). `period`, when
    given, overrides the file's `period:` for the scheme's `source: period` facts.
    """
    if FilePath(path).suffix.lower() in TABLE_SUFFIXES:
        from .tablefacts import check_table_facts

        return check_table_facts(scheme, path, limits, lists)
    name = str(path)
    try:
        data = FilePath(path).read_bytes()
    except OSError as exc:
        problem = dg.make("bad-facts-file", f"cannot read the facts file: "
                          f"{exc.strerror or exc}", Location(name), "check the path")
        return FactsCheck(FactsFile((), name, ""), (problem,), (), True)
    return check_facts_data(scheme, data, name, limits, period)


def read_facts(scheme: Scheme, path: str | FilePath, limits: Limits = DEFAULT_LIMITS
               ) -> FactsFile:
    """Read and check a facts file (YAML, JSON, XLSX or CSV); raise FactsError listing every
    problem."""
    return check_facts_file(scheme, path, limits).strict()


def parse_facts(scheme: Scheme, data: bytes, name: str = "<facts>",
                limits: Limits = DEFAULT_LIMITS) -> FactsFile:
    """Check YAML or JSON facts given as bytes; raise FactsError listing every problem."""
    return check_facts_data(scheme, data, name, limits).strict()


def check_facts_data(scheme: Scheme, data: bytes, name: str = "<facts>",
                     limits: Limits = DEFAULT_LIMITS, period_given: str | None = None
                     ) -> FactsCheck:
    """Check YAML or JSON facts given as bytes, leniently (see FactsCheck)."""
    from .yamlsource import load_yaml

    limits = effective(limits)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()

    def unusable(problems: Sequence[Diagnostic]) -> FactsCheck:
        return FactsCheck(FactsFile((), name, digest), tuple(dg.sorted_diagnostics(
            list(problems))), (), True)

    if len(data) > limits.facts_bytes:
        return unusable([dg.make("too-large", f"the facts file is larger than "
                                 f"{limits.facts_bytes} bytes", Location(name),
                                 "split it, or raise Limits.facts_bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return unusable([dg.make("bad-facts-file", f"the file is not UTF-8 text (byte "
                                 f"{exc.start})", Location(name), "save it as UTF-8")])
    doc, problems = load_yaml(text, name, limits, max_bytes=limits.facts_bytes)
    if doc is None or any(p.is_error for p in problems):
        return unusable(problems)
    raw = doc.data
    period = ""
    if isinstance(raw, dict):
        extra = [k for k in raw if k not in ("units", "scheme", "period")]
        if extra:
            problems.append(dg.make("bad-facts-file", f"unknown key `{extra[0]}` at the top of "
                                    "the facts file", doc.locate((extra[0],), key=True),
                                    "the top level holds `units`, and optionally `scheme` and "
                                    "`period`"))
        if isinstance(raw.get("scheme"), str) and raw["scheme"] != scheme.id:
            problems.append(dg.make("bad-facts-file", f"these facts are for scheme "
                                    f"`{raw['scheme']}`, not `{scheme.id}`",
                                    doc.locate(("scheme",)), "pass the matching scheme"))
        period = str(raw.get("period") or "")
        units_raw = raw.get("units")
        base: Path = ("units",)
    else:
        units_raw, base = raw, ()
    if not isinstance(units_raw, list):
        problems.append(dg.make("bad-facts-file", "the facts file holds no list of units",
                                doc.locate(base), "write `units:` followed by one `- id: ...` "
                                "per unit"))
        return unusable(problems)
    checker = _Checker(scheme, doc.locate, limits)
    from_period = [f.id for f in scheme.facts if f.source == "period"]
    if from_period:
        checker.period_values = _period_values(from_period, period_given or period, problems,
                                               doc.locate(("period",) if period else ()))
    blocking = bool(problems)
    checker.problems = problems
    seen: dict[str, Location] = {}
    units = []
    skipped = []
    for i, raw_unit in enumerate(units_raw):
        before = len(checker.problems)
        subject = checker.unit(raw_unit, (*base, i), seen)
        if len(checker.problems) > before:
            unit_id = raw_unit.get("id") if isinstance(raw_unit, dict) else None
            skipped.append(str(unit_id) if unit_id not in (None, "") else
                           str(doc.locate((*base, i))))
        elif subject is not None:
            units.append(subject)
    return FactsCheck(FactsFile(tuple(units), name, digest, period),
                      tuple(dg.sorted_diagnostics(checker.problems)), tuple(skipped), blocking)


def _period_values(names: Sequence[str], period: str, problems: list[Diagnostic],
                   where: Location) -> Mapping[str, Any]:
    """The values of the period facts, or a problem when the period is missing or wrong."""
    from .periods import Period, PeriodError, period_values

    try:
        return period_values(Period.parse(period))
    except PeriodError as exc:
        reason = str(exc) if period else _("no period is given")
        problems.append(dg.make("bad-facts-file", _("the scheme reads the period ({names}): "
                                "{reason}").format(names=", ".join(names), reason=reason),
                                where, _("add `period: 2024-03` at the top of the facts file, "
                                         "or pass --period")))
        return {}


def facts_for_test(scheme: Scheme, name: str, category: str, facts: Mapping[str, Any],
                   location: Location) -> tuple[Subject | None, Sequence[Diagnostic]]:
    """The subject of an embedded test, or the problems with its facts."""
    checker = _Checker(scheme, lambda path, key=False: location, DEFAULT_LIMITS)
    subject = checker.subject(name, name, category, facts, (), location)
    return subject, checker.problems
