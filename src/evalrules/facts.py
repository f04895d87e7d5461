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
from typing import TYPE_CHECKING, Any

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .errors import FactsError
from .i18n import N_, _, current_language
from .limits import DEFAULT_LIMITS, Limits, effective
from .model import Fact, Field, Scheme, check_value_shape

if TYPE_CHECKING:
    from .factcode import FastUnit

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


class _What:
    """"{who}: `{fact}` ({label})", made when a message is formatted with it."""

    __slots__ = ("decl", "who")

    def __init__(self, who: str, decl: Fact | Field) -> None:
        self.who = who
        self.decl = decl

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __str__(self) -> str:
        return _("{who}: `{fact}` ({label})").format(who=self.who, fact=self.decl.id,
                                                     label=self.decl.label)


class _Checker:
    def __init__(self, scheme: Scheme, locate: Any, limits: Limits, table: bool = False, *,
                 fast: bool = True) -> None:
        self.scheme = scheme
        self.locate = locate  # (path, key=False) -> Location
        self.limits = effective(limits)  # the active profile's, when none is given
        self.table = table  # values come from spreadsheet cells: hints speak of cells and columns
        self.problems: list[Diagnostic] = []
        self.facts = {f.id: f for f in scheme.facts}
        self.by_label = {f.label: f for f in scheme.facts}
        # The values of `source: period` facts, when the facts come with their period.
        self.period_values: Mapping[str, Any] | None = None
        # evalrules.factcode's function for well-formed units, once it is generated.
        self.fast: FastUnit | None = None
        self.use_fast = fast

    def problem(self, name: str, message: str, path: Path, hint: str = "",
                key: bool = False) -> None:
        self.problems.append(dg.make(name, message, self.locate(path, key=key), hint))

    def value(self, decl: Fact | Field, raw: Any, path: Path, who: str) -> Any:
        """The typed value, or None after reporting a problem."""
        # Only a problem needs the description: built then, not for every value checked.
        what = _What(who, decl)
        if decl.type in ("integer", "number") and isinstance(raw, str):
            self.problem("bad-fact-value",
                         _("{what} must be a number, not the text {raw!r}").format(
                             what=what, raw=raw), path,
                         _("type the number alone, without units") if self.table else
                         _("write the number without quotes or units"))
            return None
        shape = check_value_shape(decl, raw)
        if shape:
            self.problem("bad-fact-value", _("{what}: {problem}").format(what=what, problem=shape),
                         path, _cell_hint(decl) if self.table else _type_hint(decl))
            return None
        if decl.type in ("integer", "number", "discretionary"):
            number = Decimal(raw)
            if not number.is_finite():
                self.problem("bad-fact-value",
                             _("{what} must be a finite number").format(what=what), path)
                return None
            if (decl.min is not None and number < decl.min) or (
                    decl.max is not None and number > decl.max):
                self.problem("bad-fact-value",
                             _("{what} is {value}, outside [{low}, {high}]").format(
                                 what=what, value=raw, low=_bound(decl.min),
                                 high=_bound(decl.max)), path,
                             _("check the value, or the range declared in the scheme"))
                return None
            return number
        if decl.type == "enum":
            return str(raw)
        if decl.type == "date":
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                self.problem("bad-fact-value",
                             _("{what} is not a date: {raw!r}").format(what=what, raw=raw), path,
                             _("write dates as YYYY-MM-DD, e.g. \"2024-03-31\""))
                return None
        return raw

    def list_value(self, fact: Fact, raw: Any, path: Path, who: str) -> Any:
        if not isinstance(raw, list):
            self.problem("bad-fact-value",
                         _("{who}: `{fact}` ({label}) must be a list of records").format(
                             who=who, fact=fact.id, label=fact.label), path,
                         _("write `- {{field: value, ...}}` per record").format())
            return None
        if len(raw) > self.limits.max_list_records:
            self.problem("bad-fact-value",
                         _("{who}: `{fact}` has more than {most} records").format(
                             who=who, fact=fact.id, most=self.limits.max_list_records), path)
            return None
        count = Decimal(len(raw))
        if (fact.min is not None and count < fact.min) or (fact.max is not None
                                                           and count > fact.max):
            self.problem("bad-fact-value",
                         _("{who}: `{fact}` has {count} records, outside [{low}, {high}]").format(
                             who=who, fact=fact.id, count=len(raw), low=_bound(fact.min),
                             high=_bound(fact.max)), path)
            return None
        fields = {f.id: f for f in fact.fields}
        records = []
        ok = True
        for i, item in enumerate(raw):
            here = (*path, i)
            if not isinstance(item, dict):
                self.problem("bad-fact-value",
                             _("{who}: record {number} of `{fact}` must be a mapping of "
                               "fields").format(who=who, number=i + 1, fact=fact.id), here,
                             _("fields: {fields}").format(fields=", ".join(fields)))
                ok = False
                continue
            record: dict[str, Any] = {}
            for key in item:
                if key not in fields:
                    self.problem("unknown-fact",
                                 _("{who}: record {number} of `{fact}` has unknown field "
                                   "`{field}`").format(who=who, number=i + 1, fact=fact.id,
                                                       field=key),
                                 (*here, key), _suggest(key, fields), key=True)
                    ok = False
            for f in fact.fields:
                if f.id in item and item[f.id] is not None:
                    typed = self.value(f, item[f.id], (*here, f.id), f"{who}, {fact.id}[{i + 1}]")
                    ok = ok and typed is not None
                    record[f.id] = typed
                elif f.default is not None:
                    record[f.id] = self.value(f, f.default, here, f"{who}, {fact.id}[{i + 1}]")
                else:
                    self.problem("missing-fact",
                                 _("{who}: record {number} of `{fact}` lacks field `{field}` "
                                   "({label})").format(who=who, number=i + 1, fact=fact.id,
                                                       field=f.id, label=f.label),
                                 (*here, f.id),
                                 _("fill in the column {label} [{field}]").format(
                                     label=f.label, field=f.id) if self.table
                                 else _("add `{field}: ...`").format(field=f.id))
                    ok = False
            records.append(MappingProxyType(record))
        return tuple(records) if ok else None

    def unit(self, raw: Any, path: Path, seen: dict[str, Location],
             reported: frozenset[str] = frozenset()) -> Subject | None:
        if self.fast is None and self.use_fast:
            from .factcode import unit_checker

            self.fast = unit_checker(self.scheme)
        if self.fast is not None and not reported:
            found = self.fast(raw, seen, self.period_values, self.limits.max_list_records)
            if found is not None:  # well formed: the same subject the checks below would build
                seen[found[0]] = self.locate((*path, "id"))
                return Subject(found[0], found[1], MappingProxyType(found[2]), found[3],
                               MappingProxyType(found[4]), self.locate(path))
        if not isinstance(raw, dict):
            self.problem("bad-unit", _("a unit must be a mapping with id, category and facts"),
                         path, _("write `- {{id: B01, category: production, facts: "
                                 "{{...}}}}`").format())
            return None
        for key in raw:
            if key not in UNIT_KEYS:
                self.problem("bad-unit", _("unknown key `{key}` in a unit").format(key=key),
                             (*path, key), _suggest(key, UNIT_KEYS) or
                             _("a unit has id, name, category, facts"), key=True)
        unit_id = raw.get("id")
        if isinstance(unit_id, int) and not isinstance(unit_id, bool):
            unit_id = str(unit_id)
        if not isinstance(unit_id, str) or not unit_id:
            self.problem("bad-unit", _("a unit lacks its `id`"), path, _("add `id: ...`"))
            return None
        if unit_id in seen:
            self.problem("duplicate-unit",
                         _("unit `{unit}` appears twice (first at line {line})").format(
                             unit=unit_id, line=seen[unit_id].line), (*path, "id"),
                         _("give each unit its own id"))
        seen.setdefault(unit_id, self.locate((*path, "id")))
        who = _("unit {unit}").format(unit=unit_id)
        category = raw.get("category")
        categories = [c.id for c in self.scheme.categories]
        if not isinstance(category, str) or category not in categories:
            by_label = {c.label: c.id for c in self.scheme.categories}
            if isinstance(category, str) and category in by_label:
                category = by_label[category]
            else:
                self.problem("unknown-unit-category",
                             _("{who}: unknown category {category!r}").format(
                                 who=who, category=category),
                             (*path, "category"), _suggest(str(category), categories) or
                             _("categories: {categories}").format(
                                 categories=", ".join(categories)))
                return None
        facts = raw.get("facts", {})
        if not isinstance(facts, dict):
            self.problem("bad-unit",
                         _("{who}: `facts` must be a mapping of fact ids to values").format(
                             who=who), (*path, "facts"))
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
        who = _("unit {unit}").format(unit=unit_id)
        before = len(self.problems)
        values: dict[str, Any] = {}
        reasons: dict[str, str] = {}
        supplied: dict[str, Any] = {}
        for key, raw in facts.items():
            decl = self.facts.get(key) or self.by_label.get(key)
            if decl is None:
                self.problem("unknown-fact",
                             _("{who}: unknown fact `{fact}`").format(who=who, fact=key),
                             (*path, key), _suggest(key, self.facts) or
                             _("remove it, or declare it in the scheme"), key=True)
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
                    self.problem("missing-fact",
                                 _("{who}: required fact `{fact}` ({label}) is missing").format(
                                     who=who, fact=fact.id, label=fact.label), (*path, fact.id),
                                 _("fill in the column {label} [{fact}]; an empty cell is never "
                                   "taken as 0").format(label=fact.label, fact=fact.id)
                                 if self.table else
                                 _("add `{fact}: ...`; a missing value is never taken as "
                                   "0").format(fact=fact.id))
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
                                                            label=fact.label,
                                                            given=self.shown(given),
                                                            value=self.shown(value)),
                             supplied[1], _("clear the cell: the value is filled in from "
                                            "the period (考核周期)") if self.table
                             else _("remove it: it is filled from the period"))
        return value

    def shown(self, value: Any) -> str:
        """A typed value as the user writes it: 是/否 in a cell, true/false in YAML."""
        if isinstance(value, bool):
            return ("是" if value else "否") if self.table else ("true" if value else "false")
        return str(_plain(value))

    def typed(self, fact: Fact, raw: Any, path: Path, who: str, reasons: dict[str, str]) -> Any:
        if fact.is_list:
            return self.list_value(fact, raw, path, who)
        if fact.type == "discretionary":
            reason = ""
            if isinstance(raw, dict):
                extra = [k for k in raw if k not in ("value", "reason")]
                if extra:
                    self.problem("bad-fact-value",
                                 _("{who}: `{fact}` takes `value` and `reason`, not "
                                   "`{key}`").format(who=who, fact=fact.id, key=extra[0]),
                                 (*path, extra[0]), key=True)
                given = raw.get("reason")
                reason = given if isinstance(given, str) else ""
                raw = raw.get("value")
                path = (*path, "value")
            value = self.value(fact, raw, path, who)
            if value is not None and value != 0 and not reason.strip():
                self.problem("missing-reason",
                             _("{who}: `{fact}` ({label}) is {value} without a "
                               "justification").format(who=who, fact=fact.id, label=fact.label,
                                                       value=raw), path,
                             _("fill in the column {column} [{fact}.reason]: a discretionary "
                               "deduction must say why").format(
                                 column=fact.label + REASON_LABEL, fact=fact.id)
                             if self.table else
                             _("write `{fact}: {{value: {value}, reason: \"…\"}}`: a "
                               "discretionary deduction must say why").format(
                                 fact=fact.id, value=raw))
            if reason.strip():
                reasons[fact.id] = reason.strip()
            return value
        return self.value(fact, raw, path, who)


def _bound(value: Decimal | None) -> str:
    return "…" if value is None else str(value)


# The column of a discretionary fact's reason is headed by the fact's label and this word (it is
# also what the spreadsheet reader accepts, in every language).
REASON_LABEL = " 理由"

_TYPE_HINTS = {
    "integer": N_("write a whole number"), "number": N_("write a number"),
    "discretionary": N_("write `{{value: N, reason: \"…\"}}`"),
    "boolean": N_("write true or false"), "date": N_("write a date as \"YYYY-MM-DD\""),
    "enum": N_("use one of the declared values"), "text": N_("write text"),
}
_CELL_HINTS = {
    "integer": N_("type a whole number"), "number": N_("type a number"),
    "discretionary": N_("type a number, and its reason in the column beside it"),
    "boolean": N_("type 是 or 否 (true or false)"), "date": N_("type a date, e.g. 2024-03-31"),
    "text": N_("type text"),
}


def _type_hint(decl: Fact | Field) -> str:
    hint = _TYPE_HINTS.get(decl.type)
    return _(hint).format() if hint else ""


def _cell_hint(decl: Fact | Field) -> str:
    if decl.type == "enum":
        return _("choose from the drop-down list: {values}").format(values=listing(
            _("{label} ({value})").format(label=label, value=value) if label != value
            else value for value, label in decl.values))
    hint = _CELL_HINTS.get(decl.type)
    return _(hint) if hint else ""


def listing(items: Any) -> str:
    """Items joined as a list is written in the current language: 甲、乙 or a, b."""
    return ("、" if current_language() == "zh_CN" else ", ").join(items)


def _suggest(word: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return _("did you mean `{name}`?").format(name=close[0]) if close else ""


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
                 table: bool = False, period_values: Mapping[str, Any] | None = None) -> None:
        self._checker = _Checker(scheme, locate, limits, table)
        # The values of the scheme's `source: period` facts (periods.period_values), when the
        # period is known: they are filled in, and a unit that states one must agree.
        self._checker.period_values = period_values
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
    given, overrides the file's own (`period:`, or 考核周期 on a workbook's instructions sheet)
    for the scheme's `source: period` facts.
    """
    if FilePath(path).suffix.lower() in TABLE_SUFFIXES:
        from .tablefacts import check_table_facts

        return check_table_facts(scheme, path, limits, lists, period)
    name = str(path)
    try:
        data = FilePath(path).read_bytes()
    except OSError as exc:
        problem = dg.make("bad-facts-file", _("cannot read the facts file: {reason}").format(
            reason=exc.strerror or exc), Location(name), _("check the path"))
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
        return unusable([dg.make("too-large", _("the facts file is larger than {most} "
                                                "bytes").format(most=limits.facts_bytes),
                                 Location(name), _("split it, or raise Limits.facts_bytes"))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return unusable([dg.make("bad-facts-file", _("the file is not UTF-8 text (byte "
                                                    "{byte})").format(byte=exc.start),
                                 Location(name), _("save it as UTF-8"))])
    doc, problems = load_yaml(text, name, limits, max_bytes=limits.facts_bytes)
    if doc is None or any(p.is_error for p in problems):
        return unusable(problems)
    raw = doc.data
    period = ""
    if isinstance(raw, dict):
        extra = [k for k in raw if k not in ("units", "scheme", "period")]
        if extra:
            problems.append(dg.make("bad-facts-file", _("unknown key `{key}` at the top of the "
                                                      "facts file").format(key=extra[0]),
                                    doc.locate((extra[0],), key=True),
                                    _("the top level holds `units`, and optionally `scheme` and "
                                      "`period`")))
        if isinstance(raw.get("scheme"), str) and raw["scheme"] != scheme.id:
            problems.append(dg.make("bad-facts-file", _("these facts are for scheme `{given}`, "
                                                      "not `{scheme}`").format(
                                                          given=raw["scheme"], scheme=scheme.id),
                                    doc.locate(("scheme",)), _("pass the matching scheme")))
        period = str(raw.get("period") or "")
        units_raw = raw.get("units")
        base: Path = ("units",)
    else:
        units_raw, base = raw, ()
    if not isinstance(units_raw, list):
        problems.append(dg.make("bad-facts-file", _("the facts file holds no list of units"),
                                doc.locate(base), _("write `units:` followed by one `- id: ...` "
                                                    "per unit")))
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
                   where: Location, hint: str = "") -> Mapping[str, Any]:
    """The values of the period facts, or a problem when the period is missing or wrong."""
    from .periods import Period, PeriodError, period_values

    try:
        return period_values(Period.parse(period))
    except PeriodError as exc:
        reason = str(exc) if period else _("no period is given")
        problems.append(dg.make("bad-facts-file", _("the scheme reads the period ({names}): "
                                "{reason}").format(names=", ".join(names), reason=reason),
                                where, hint or _("add `period: 2024-03` at the top of the facts "
                                                 "file, or pass --period")))
        return {}


def facts_for_test(scheme: Scheme, name: str, category: str, facts: Mapping[str, Any],
                   location: Location) -> tuple[Subject | None, Sequence[Diagnostic]]:
    """The subject of an embedded test, or the problems with its facts."""
    checker = _Checker(scheme, lambda path, key=False: location, DEFAULT_LIMITS)
    subject = checker.subject(name, name, category, facts, (), location)
    return subject, checker.problems
