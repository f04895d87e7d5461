"""Facts from spreadsheets: an XLSX workbook, or CSV files, one row per unit.

The layout (written by `evalrules template`, described in docs/spreadsheets.md):

- the units sheet (名 `单位` or `units`, else the first sheet) has one row per unit; its columns
  are named by fact id or by the fact's Chinese label: `id` 单位编号, `name` 单位名称,
  `category` 单位类别, then one column per fact; a discretionary fact has a second column
  `<id>.reason` (`<label> 理由`). When the second row holds the ids of the columns (as in the
  template), the first row is taken as labels and the data starts on row 3;
- each list fact (records such as incidents) has its own sheet, named by the fact's id or
  label, with a column `unit` (单位编号) naming the unit and one column per field; in CSV the
  records are in a second file, `<facts>.<fact id>.csv`, or one given with `lists`;
- the instructions sheet (`填表说明`) may name the scheme and the period; sheets whose name
  begins with `_` are ignored.

Every cell is coerced to what the facts checker expects and then checked by it, so messages are
the same as for YAML facts; only what a spreadsheet adds (formulas, unknown columns and sheets)
is reported here. Rows are streamed, and every file is held to the limits (rows, columns,
length of a cell, and for a workbook its expanded size: see evalrules.workbook); a file beyond
them is refused as a whole with D510.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path as FilePath
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .facts import REASON_LABEL as REASON_LABEL  # re-exported: the reason column's header
from .facts import FactsCheck, FactsFile, Subject, UnitChecker, listing
from .i18n import N_, _
from .limits import DEFAULT_LIMITS, Limits, effective, number_problem
from .model import Fact, Field, Scheme
from .workbook import (
    CellValue,
    SheetRows,
    WorkbookError,
    WorkbookLimitError,
    column_letter,
    open_workbook,
    sheet_title,
)

UNIT_COLUMNS = {"id": "单位编号", "name": "单位名称", "category": "单位类别"}
RECORD_KEY = ("unit", "单位编号")
REASON = ".reason"
MAIN_SHEETS = ("单位", "units")
INSTRUCTION_SHEETS = ("填表说明", "instructions")
SETTING_KEYS = {"scheme": ("scheme", "方案"), "period": ("period", "考核周期")}
TRUE_WORDS = frozenset({"是", "true", "1", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "false", "0", "×", "✗", "✘"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DATE_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
EMPTY: Any = object()  # an empty cell: the fact is not supplied


# ----------------------------------------------------------------------------------------------
# Cells to values


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(" \t\r\n\u3000\xa0"))


def _text(value: Any) -> str:
    return value.strip(" \t\r\n\u3000\xa0") if isinstance(value, str) else str(value)


def _number_text(value: Decimal) -> str:
    return format(value, "f")


class CellProblem(ValueError):
    """A cell whose value is refused by the limits (a number with too many digits)."""


def coerce(decl: Fact | Field, cell: CellValue, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The value the facts checker expects for `decl`, from a cell; EMPTY for an empty cell.

    Text that cannot be read is passed on as text, so that the checker reports it the way it
    reports any wrong value. Formula and error cells are refused by the caller before this.
    Raises CellProblem for a number beyond the limits' digits.
    """
    value = cell.value
    if _is_blank(value):
        return EMPTY
    kind = "number" if decl.type in ("integer", "number", "discretionary") else decl.type
    if kind == "number":
        number = _as_number(value, decl, cell.number_format)
        if isinstance(number, (int, Decimal)) and not isinstance(number, bool):
            problem = number_problem(Decimal(number), effective(limits))
            if problem:
                raise CellProblem(_("the number {number} {problem}").format(
                    number=_shown(_number_text(Decimal(number))), problem=problem))
        return number
    if kind == "boolean":
        return _as_boolean(value)
    if kind == "enum":
        return _as_enum(value, decl)
    if kind == "date":
        return _as_date(value)
    if isinstance(value, float):
        return _number_text(Decimal(repr(value)))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return _text(value)


def _as_number(value: Any, decl: Fact | Field, number_format: str) -> Any:
    if isinstance(value, bool):
        return value
    percent = decl.unit == "%" and "%" in number_format
    if isinstance(value, int):
        return Decimal(value) * 100 if percent else value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return _text(repr(value))
        number = Decimal(repr(value))
        return number * 100 if percent else number
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", _text(value))
    if decl.unit == "%" and text.endswith("%"):
        text = text[:-1].strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if _NUMBER.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return _text(value)
    return _text(value)


def _as_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", _text(value)).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return _text(value)


def _as_enum(value: Any, decl: Fact | Field) -> Any:
    if isinstance(value, float) and value == int(value):
        value = int(value)
    text = _text(value)
    for enum_id, _label in decl.values:
        if text == enum_id:
            return enum_id
    for enum_id, label in decl.values:
        if text == label:
            return enum_id
    return text


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            return value.isoformat(sep=" ")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", _text(value))
    match = _DATE.fullmatch(text) or _DATE_ZH.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return _text(value)


def _unit_id(value: Any) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, float):
        return _number_text(Decimal(repr(value)))
    return _text(value)


# ----------------------------------------------------------------------------------------------
# Tables: a sheet of a workbook or a CSV file


@dataclass(slots=True)
class _Table:
    file: str
    sheet: str
    rows: Iterator[list[CellValue]]

    def at(self, row: int, column: int, path: Path = ()) -> Location:
        return Location(self.file, row, column, path, self.sheet)


@dataclass(frozen=True, slots=True)
class _Column:
    index: int  # 1-based
    key: str  # "id" | "name" | "category" | fact id | "<fact id>.reason" | "unit" | field id
    header: str


@dataclass(slots=True)
class _Header:
    columns: list[_Column]
    unkeyed: list[int]  # columns whose header is unknown (reported already)
    first_data_row: int

    def stray(self, column: int) -> bool:
        """Whether a value in `column` belongs to no column that is read or reported."""
        return column not in self.unkeyed and all(c.index != column for c in self.columns)


def _csv_rows(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[list[CellValue]]:
    """The rows of a CSV file; WorkbookLimitError past the limits' rows, columns or cell length,
    WorkbookError for text the csv module cannot split."""
    limits = effective(limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese system saves "CSV (逗号分隔)" in the ANSI code page (GBK).
        text = data.decode("gb18030", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    row_number = 0
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:  # a field over csv's own limit (131,072 characters), ...
            if "field larger than field limit" in str(exc):
                raise WorkbookLimitError(_("line {line}: a field longer than {most} "
                                           "characters").format(
                                             line=reader.line_num,
                                             most=csv.field_size_limit())) from None
            raise WorkbookError(_("line {line}: {problem}").format(
                line=reader.line_num, problem=exc)) from None
        if row is None:
            return
        row_number += 1
        if row_number > limits.table_rows:
            raise WorkbookLimitError(_("more than {most} rows").format(most=limits.table_rows))
        if len(row) > limits.table_columns:
            raise WorkbookLimitError(_("row {row} has more than {most} columns").format(
                row=row_number, most=limits.table_columns))
        for column, value in enumerate(row, start=1):
            if len(value) > limits.text_chars:
                raise WorkbookLimitError(_("cell {cell} holds more than {most} "
                                           "characters").format(
                                             cell=f"{column_letter(column)}{row_number}",
                                             most=limits.text_chars))
        yield [CellValue(value, "formula" if value.startswith("=") else "value", row_number,
                         column) for column, value in enumerate(row, start=1)]


# ----------------------------------------------------------------------------------------------
# The reader


@dataclass(slots=True)
class _Record:
    values: dict[str, Any]
    row: int
    cells: dict[str, Location]
    location: Location


@dataclass(slots=True)
class _Reader:
    scheme: Scheme
    file: str
    limits: Limits
    problems: list[Diagnostic] = field(default_factory=list)
    blocking: bool = False
    facts: dict[str, Fact] = field(default_factory=dict)
    records: dict[str, dict[str, list[_Record]]] = field(default_factory=dict)  # fact -> unit
    record_problems: dict[tuple[str, str], list[Diagnostic]] = field(default_factory=dict)
    present_lists: set[str] = field(default_factory=set)
    period: str = ""  # 考核周期 on the instructions sheet
    period_given: str | None = None  # --period: wins over the sheet's
    period_at: Location | None = None  # the cell of 考核周期, when the sheet has the row

    def __post_init__(self) -> None:
        self.facts = {f.id: f for f in self.scheme.facts}

    def file_problem(self, name: str, message: str, location: Location, hint: str = "") -> None:
        self.problems.append(dg.make(name, message, location, hint))
        self.blocking = True

    # -- headers

    def _main_keys(self) -> dict[str, str]:
        """Accepted header text -> column key, for the units sheet."""
        keys: dict[str, str] = {}
        for key, label in UNIT_COLUMNS.items():
            keys[label] = key
        for fact in self.scheme.facts:
            keys[fact.label] = fact.id
            if fact.type == "discretionary":
                keys[fact.label + REASON_LABEL] = fact.id + REASON
                keys[fact.label + REASON_LABEL.strip()] = fact.id + REASON
        for key in UNIT_COLUMNS:  # ids win over labels
            keys[key] = key
        for fact in self.scheme.facts:
            keys[fact.id] = fact.id
            if fact.type == "discretionary":
                keys[fact.id + REASON] = fact.id + REASON
        return keys

    @staticmethod
    def _record_keys(fact: Fact) -> dict[str, str]:
        keys = {RECORD_KEY[1]: RECORD_KEY[0]}
        keys.update({f.label: f.id for f in fact.fields})
        keys.update({f.id: f.id for f in fact.fields})
        keys[RECORD_KEY[0]] = RECORD_KEY[0]
        return keys

    def header(self, table: _Table, keys: Mapping[str, str], key_column: str,
               what: str) -> _Header | None:
        """Read the header: row 1 names the columns (ids or labels); a second row whose cell
        under the key column is the key's id (`id`, `unit`) holds the ids, as in the template,
        and wins over the labels."""
        first = next(table.rows, None)
        while first is not None and all(_is_blank(c.value) for c in first):
            first = next(table.rows, None)
        if first is None:
            return None
        header_row = first[0].row
        names = {c.column: _text(c.value).replace("\n", "") for c in first
                 if not _is_blank(c.value)}
        resolved = {column: keys.get(text) for column, text in names.items()}
        first_data = header_row + 1
        second = next(table.rows, None)
        if second is not None:
            key_columns = [col for col, key in resolved.items() if key == key_column]
            by_column = {c.column: _text(c.value) for c in second if not _is_blank(c.value)}
            if key_columns and by_column.get(key_columns[0]) == key_column:
                first_data = header_row + 2
                for column, text in by_column.items():
                    names[column] = text
                    resolved[column] = text if text in set(keys.values()) else None
                second = None
        if second is not None:
            table.rows = _chain(second, table.rows)
        columns: list[_Column] = []
        unkeyed: list[int] = []
        seen: dict[str, _Column] = {}
        row = header_row if first_data == header_row + 1 else header_row + 1
        for column in sorted(names):
            key, text = resolved[column], names[column]
            if key is None:
                close = _close(text, list(keys))
                self.file_problem("unknown-fact",
                                  _("unknown column {column!r} in {what}").format(
                                      column=text, what=what),
                                  table.at(row, column),
                                  _("did you mean `{name}`?").format(name=close) if close else
                                  _("name columns by fact id or by the fact's label, as in "
                                    "`evalrules template`; remove columns the scheme does not "
                                    "declare"))
                unkeyed.append(column)
                continue
            col = _Column(column, key, text)
            if key in seen:
                self.file_problem("bad-facts-file",
                                  _("column `{key}` appears twice in {what} (columns {first} "
                                    "and {second})").format(key=key, what=what,
                                                            first=seen[key].index,
                                                            second=column),
                                  table.at(row, column), _("keep one of them"))
                unkeyed.append(column)
                continue
            seen[key] = col
            columns.append(col)
        if key_column not in seen:
            self.file_problem("bad-facts-file",
                              _("{what} has no column `{key}` ({label})").format(
                                  what=what, key=key_column, label=UNIT_COLUMNS["id"]),
                              table.at(header_row, 1),
                              _("add a column headed {label} or {key}").format(
                                  label=UNIT_COLUMNS["id"], key=key_column))
            return None
        return _Header(columns, unkeyed, first_data)

    def _stray(self, table: _Table, header: _Header, row: list[CellValue],
               reported: set[int]) -> None:
        for cell in row:
            if cell.column not in reported and not _is_blank(cell.value) \
                    and header.stray(cell.column):
                reported.add(cell.column)
                self.file_problem("unknown-fact",
                                  _("a value in column {column}, which has no header the scheme "
                                    "knows").format(column=cell.column),
                                  table.at(cell.row, cell.column),
                                  _("give the column a fact's id or label, or clear it"))

    # -- list facts

    def read_records(self, fact: Fact, table: _Table) -> None:
        what = _("the records of {label} [{fact}]").format(label=fact.label, fact=fact.id)
        header = self.header(table, self._record_keys(fact), RECORD_KEY[0], what)
        self.present_lists.add(fact.id)
        by_unit = self.records.setdefault(fact.id, {})
        if header is None:
            return
        fields = {f.id: f for f in fact.fields}
        key_col = next(c for c in header.columns if c.key == RECORD_KEY[0])
        stray: set[int] = set()
        for row in table.rows:
            if all(_is_blank(c.value) for c in row):
                continue
            self._stray(table, header, row, stray)
            cells = {c.column: c for c in row}
            key_cell = cells.get(key_col.index)
            unit_id = _unit_id(key_cell.value if key_cell else None)
            row_number = row[0].row
            if not unit_id:
                self.file_problem("bad-unit",
                                  _("a record of `{fact}` names no unit").format(fact=fact.id),
                                  table.at(row_number, key_col.index),
                                  _("fill in the column {label} [{field}]").format(
                                      label=RECORD_KEY[1], field=RECORD_KEY[0]))
                continue
            record = _Record({}, row_number, {}, table.at(row_number, key_col.index))
            for col in header.columns:
                if col.key == RECORD_KEY[0]:
                    continue
                cell = cells.get(col.index)
                if cell is None:
                    continue
                record.cells[col.key] = table.at(row_number, col.index)
                if cell.kind != "value":
                    self.record_problems.setdefault((fact.id, unit_id), []).append(
                        _formula_problem(_("unit {unit}").format(unit=unit_id) + f", {fact.id}",
                                         fields[col.key], cell, record.cells[col.key]))
                    continue
                try:
                    value = coerce(fields[col.key], cell, self.limits)
                except CellProblem as exc:
                    self.record_problems.setdefault((fact.id, unit_id), []).append(
                        dg.make("bad-fact-value",
                                _("{who}: `{fact}` ({label}): {problem}").format(
                                    who=_("unit {unit}").format(unit=unit_id) + f", {fact.id}",
                                    fact=col.key, label=fields[col.key].label, problem=exc),
                                record.cells[col.key], _digits_hint(self.limits)))
                    continue
                if value is not EMPTY:
                    record.values[col.key] = value
            by_unit.setdefault(unit_id, []).append(record)

    # -- units

    def read_units(self, table: _Table) -> tuple[list[Subject], list[str]]:
        what = (_("the units sheet {sheet}").format(sheet=table.sheet) if table.sheet
                else _("the units file"))
        header = self.header(table, self._main_keys(), "id", what)
        if header is None:
            if not self.blocking:
                self.file_problem("bad-facts-file", _("{what} is empty").format(what=what),
                                  table.at(0, 0), _("start from `evalrules template`"))
            return [], []
        by_key = {c.key: c for c in header.columns}
        header_row = header.first_data_row - 1
        reported: set[str] = set()
        period_values = self._period_values(table, reported)
        for col in header.columns:
            fact = self.facts.get(col.key)
            if fact is not None and fact.is_list:
                self.file_problem("bad-facts-file",
                                  _("the list fact {label} [{fact}] cannot be a column of "
                                    "{what}").format(label=fact.label, fact=fact.id, what=what),
                                  table.at(header_row, col.index),
                                  _("give its records a sheet of their own, named {label} or "
                                    "{fact}, with a column {unit}").format(
                                      label=fact.label, fact=fact.id, unit=RECORD_KEY[1]))
                reported.add(fact.id)
        for fact in self.scheme.facts:
            if fact.has_default or not fact.required or fact.id in reported or (
                    fact.source == "period" and period_values is not None):
                continue
            if fact.is_list and fact.id not in self.present_lists:
                self.file_problem("missing-fact",
                                  _("required list fact {label} [{fact}] has no sheet").format(
                                      label=fact.label, fact=fact.id), table.at(0, 0),
                                  _("add a sheet named {label} or {fact}").format(
                                      label=fact.label, fact=fact.id))
                reported.add(fact.id)
            elif not fact.is_list and fact.id not in by_key:
                self.file_problem("missing-fact",
                                  _("required fact {label} [{fact}] has no column in "
                                    "{what}").format(label=fact.label, fact=fact.id, what=what),
                                  table.at(header_row, 1),
                                  _("add a column headed {label} or {fact}; an absent value is "
                                    "never taken as 0").format(label=fact.label, fact=fact.id))
                reported.add(fact.id)
        fact_columns = [(c, self.facts[c.key]) for c in header.columns if c.key in self.facts
                        and not self.facts[c.key].is_list]
        reasons = {c.key[:-len(REASON)]: c for c in header.columns if c.key.endswith(REASON)}
        units: list[Subject] = []
        skipped: list[str] = []
        seen_ids: set[str] = set()
        stray: set[int] = set()
        places: dict[Path, Location] = {}
        checker = UnitChecker(self.scheme, _Locator(places), self.limits, table=True,
                              period_values=period_values)
        for row in table.rows:
            if all(_is_blank(c.value) for c in row):
                continue
            self._stray(table, header, row, stray)
            cells = {c.column: c for c in row}
            r = row[0].row
            places.clear()
            base: Path = (r,)
            places[base] = table.at(r, by_key["id"].index, base)
            raw: dict[str, Any] = {}
            formulas: list[tuple[str, CellValue]] = []
            for key in UNIT_COLUMNS:
                unit_col = by_key.get(key)
                if unit_col is None:
                    continue
                places[(r, key)] = table.at(r, unit_col.index, (r, key))
                cell = cells.get(unit_col.index)
                if cell is not None and cell.kind != "value":
                    formulas.append((key, cell))
                    raw[key] = "" if key == "id" else None
                    continue
                value = cell.value if cell is not None else None
                raw[key] = _unit_id(value) if key == "id" else (
                    None if _is_blank(value) else _text(value))
            unit_id = str(raw.get("id") or "")
            here = table.at(r, by_key["id"].index)
            pre: list[Diagnostic] = []
            for key, cell in formulas:
                who = (_("unit {unit}").format(unit=unit_id) if unit_id
                       else _("row {row}").format(row=r))
                message = (_("{who}: the {label} [{key}] cell holds an error ({value}), not a "
                             "value") if cell.kind == "error" else
                           _("{who}: the {label} [{key}] cell holds a formula ({value}), not a "
                             "value"))
                pre.append(dg.make("formula-cell", message.format(
                    who=who, label=UNIT_COLUMNS[key], key=key, value=_shown(cell.value)),
                    places[(r, key)], _("type the text itself")))
            if not unit_id:
                if not formulas:
                    pre.append(dg.make("bad-unit", _("row {row} has no unit id").format(row=r),
                                       here, _("fill in the column {label} [{field}]").format(
                                           label=UNIT_COLUMNS["id"], field="id")))
                self.problems.extend(pre)
                skipped.append(str(here))
                continue
            unit_reported = set(reported)
            facts: dict[str, Any] = {}
            places[(r, "facts")] = here
            for col, fact in fact_columns:
                path = (r, "facts", fact.id)
                places[path] = table.at(r, col.index, path)
                cell = cells.get(col.index)
                if cell is not None and cell.kind != "value":
                    pre.append(_formula_problem(_("unit {unit}").format(unit=unit_id), fact, cell,
                                                places[path]))
                    unit_reported.add(fact.id)
                    continue
                try:
                    value = EMPTY if cell is None else coerce(fact, cell, self.limits)
                except CellProblem as exc:
                    pre.append(dg.make("bad-fact-value",
                                       _("{who}: `{fact}` ({label}): {problem}").format(
                                           who=_("unit {unit}").format(unit=unit_id),
                                           fact=fact.id, label=fact.label, problem=exc),
                                       places[path], _digits_hint(self.limits)))
                    unit_reported.add(fact.id)
                    continue
                if fact.type == "discretionary":
                    value = self._discretionary(fact, value, r, unit_id, cells, reasons, places,
                                                table, pre, unit_reported)
                if value is not EMPTY:
                    facts[fact.id] = value
            for fact_id in self.present_lists:
                if fact_id in reported:
                    continue
                problems = self.record_problems.get((fact_id, unit_id))
                if problems:
                    pre.extend(problems)
                    unit_reported.add(fact_id)
                    continue
                records = self.records.get(fact_id, {}).get(unit_id, [])
                facts[fact_id] = [rec.values for rec in records]
                list_path = (r, "facts", fact_id)
                if records:
                    places[list_path] = records[0].location
                for k, rec in enumerate(records):
                    places[(*list_path, k)] = rec.location
                    for field_id, loc in rec.cells.items():
                        places[(*list_path, k, field_id)] = loc
            raw["facts"] = facts
            subject, problems = checker.check(raw, base, frozenset(unit_reported))
            seen_ids.add(unit_id)
            if pre or problems:
                self.problems.extend(pre)
                self.problems.extend(problems)
                skipped.append(unit_id)
            elif subject is not None:
                units.append(subject)
        for fact_id, by_unit in self.records.items():
            for unit_id, records in by_unit.items():
                if unit_id not in seen_ids:
                    self.file_problem("bad-unit",
                                      _("records of `{fact}` for unit {unit!r}, which is not in "
                                        "{what}").format(fact=fact_id, unit=unit_id, what=what),
                                      records[0].location,
                                      _close_hint(unit_id, seen_ids))
        return units, skipped

    def _period_values(self, table: _Table, reported: set[str]) -> Mapping[str, Any] | None:
        """The values of the scheme's `source: period` facts, from --period or else 考核周期 on
        the instructions sheet (read before the units: see _read_workbook). None when the
        scheme has none; when there is no period, or it cannot be read, one problem for the
        file, and the facts are `reported` so that no unit reports them again."""
        from .facts import _period_values

        names = [f.id for f in self.scheme.facts if f.source == "period"]
        if not names:
            return None
        text = self.period_given or self.period
        where = Location(self.file) if self.period_given else (self.period_at or
                                                               table.at(0, 0))
        hint = (_("fill in the period (考核周期) on the instructions sheet (填表说明), e.g. "
                  "2024-03, or pass --period") if table.sheet  # a workbook; CSV has no sheet
                else _("pass --period, e.g. --period 2024-03"))
        problems: list[Diagnostic] = []
        values = _period_values(names, text, problems, where, hint)
        if problems:
            self.problems.extend(problems)
            self.blocking = True
            reported.update(names)
            return None
        return values

    def _discretionary(self, fact: Fact, value: Any, r: int, unit_id: str,
                       cells: Mapping[int, CellValue], reasons: Mapping[str, _Column],
                       places: dict[Path, Location], table: _Table, pre: list[Diagnostic],
                       unit_reported: set[str]) -> Any:
        col = reasons.get(fact.id)
        reason = ""
        if col is not None:
            path = (r, "facts", fact.id, "reason")
            places[path] = table.at(r, col.index, path)
            places[(r, "facts", fact.id, "value")] = places[(r, "facts", fact.id)]
            cell = cells.get(col.index)
            if cell is not None and cell.kind != "value":
                pre.append(_formula_problem(_("unit {unit}").format(unit=unit_id), fact, cell,
                                            places[path]))
                unit_reported.add(fact.id)
                return EMPTY
            if cell is not None and not _is_blank(cell.value):
                reason = _text(cell.value)
        if value is EMPTY:
            if reason:
                pre.append(dg.make("bad-fact-value",
                                   _("{who}: `{fact}` ({label}) has a reason but no "
                                     "value").format(who=_("unit {unit}").format(unit=unit_id),
                                                     fact=fact.id, label=fact.label),
                                   places[(r, "facts", fact.id)],
                                   _("type the points in the column beside the reason")))
                unit_reported.add(fact.id)
            return EMPTY
        places[(r, "facts", fact.id, "value")] = places[(r, "facts", fact.id)]
        return {"value": value, "reason": reason}

    def read_settings(self, table: _Table) -> None:
        """The scheme and period named on the instructions sheet (key in A, value in B)."""
        for row in table.rows:
            if not row or _is_blank(row[0].value):
                continue
            key = _text(row[0].value).split("（")[0].split("(")[0].strip()
            if key in SETTING_KEYS["period"]:  # the cell to fill in, even when it is empty
                self.period_at = table.at(row[0].row, 2)
            if len(row) < 2:
                continue
            value = row[1].value
            if key in SETTING_KEYS["period"] and not _is_blank(value):
                # Excel takes 2024-03 typed into a cell for the date 2024-03-01: its month.
                self.period = _unit_id(value) if not isinstance(value, dt.date) else \
                    f"{value.year:04d}-{value.month:02d}"
            elif key in SETTING_KEYS["scheme"] and not _is_blank(value) \
                    and _text(value) != self.scheme.id:
                self.file_problem("bad-facts-file",
                                  _("this workbook is for scheme `{given}`, not "
                                    "`{scheme}`").format(given=_text(value),
                                                         scheme=self.scheme.id),
                                  table.at(row[1].row, 2), _("pass the matching scheme"))


class _Locator:
    """The checker's `locate`: the cell of a path, else of its nearest ancestor."""

    def __init__(self, places: dict[Path, Location]) -> None:
        self.places = places

    def __call__(self, path: Path, key: bool = False) -> Location:
        probe = tuple(path)
        while probe:
            found = self.places.get(probe)
            if found is not None:
                return Location(found.file, found.line, found.column, tuple(path), found.sheet)
            probe = probe[:-1]
        return Location("<facts>", 0, 0, tuple(path))


def _chain(first: list[CellValue], rest: Iterator[list[CellValue]]
           ) -> Iterator[list[CellValue]]:
    yield first
    yield from rest


def _shown(value: Any) -> str:
    shown = str(value)
    return shown[:57] + "…" if len(shown) > 60 else shown


def _formula_problem(who: str, decl: Fact | Field, cell: CellValue,
                     location: Location) -> Diagnostic:
    shown = _shown(cell.value)
    if cell.kind == "error":
        return dg.make("formula-cell",
                       _("{who}: `{fact}` ({label}): the cell holds the error {value}, not a "
                         "value").format(who=who, fact=decl.id, label=decl.label, value=shown),
                       location,
                       _("type the value itself; a formula's error is never taken as a fact"))
    return dg.make("formula-cell",
                   _("{who}: `{fact}` ({label}): the cell holds the formula {value}, not a "
                     "value").format(who=who, fact=decl.id, label=decl.label, value=shown),
                   location,
                   _("type the value itself, or copy the cells and paste values only (Paste "
                     "Special → Values): evalrules never computes a spreadsheet formula"))


def _digits_hint(limits: Limits) -> str:
    return _("type at most {digits} digits before the decimal point").format(
        digits=limits.integer_digits)


def _close(word: str, options: list[str]) -> str:
    import difflib

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else ""


def _close_hint(word: str, options: set[str]) -> str:
    close = _close(word, sorted(options))
    return _("did you mean {name}?").format(name=close) if close else \
        _("add the unit to the units sheet, or remove its records")


# ----------------------------------------------------------------------------------------------
# Entry points


def _list_fact_for(scheme: Scheme, name: str) -> Fact | None:
    for fact in scheme.facts:
        if fact.is_list and name in (fact.id, fact.label, sheet_title(fact.label)):
            return fact
    return None


def check_table_facts(scheme: Scheme, path: str | FilePath, limits: Limits = DEFAULT_LIMITS,
                      lists: Mapping[str, str | FilePath] | None = None,
                      period: str | None = None) -> FactsCheck:
    """Read facts from an XLSX workbook or CSV file(s), leniently (see facts.FactsCheck).

    `period` (--period), when given, wins over 考核周期 on the instructions sheet: the
    scheme's `source: period` facts are filled in from it, so their columns may be left out.
    """
    name = str(path)
    limits = effective(limits)
    reader = _Reader(scheme, name, limits, period_given=period or None)

    def unusable(message: str, hint: str = "", code: str = "bad-facts-file") -> FactsCheck:
        problem = dg.make(code, message, Location(name), hint)
        return FactsCheck(FactsFile((), name, ""), (problem,), (), True)

    try:
        size = FilePath(path).stat().st_size
        if size > limits.facts_bytes:
            return unusable(_("the facts file is larger than {most} bytes").format(
                most=limits.facts_bytes), _("split it, or raise Limits.facts_bytes"),
                "facts-too-large")
        data = FilePath(path).read_bytes()
    except OSError as exc:
        return unusable(_("cannot read the facts file: {reason}").format(
            reason=exc.strerror or exc), _("check the path"))
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if FilePath(path).suffix.lower() == ".csv":
        try:
            return _check_csv(scheme, FilePath(path), data, reader, lists or {})
        except WorkbookLimitError as exc:
            return unusable(_("the CSV file is beyond the limits: {problem}").format(
                problem=exc), _(_LIMIT_HINT), "facts-too-large")
        except WorkbookError as exc:
            return unusable(_("cannot read the CSV file: {problem}").format(problem=exc),
                            _("save it from Excel or WPS as CSV UTF-8 (Comma delimited)"))
    if lists:
        return unusable(_("separate list files go with CSV facts; a workbook holds its lists "
                          "as sheets"))
    try:
        with open_workbook(path, limits) as sheets:
            units, skipped = _read_workbook(scheme, sheets, reader)
    except WorkbookLimitError as exc:
        return unusable(_("the workbook is beyond the limits: {problem}").format(problem=exc),
                        _(_LIMIT_HINT), "facts-too-large")
    except WorkbookError as exc:
        return unusable(_("cannot read the workbook: {problem}").format(problem=exc),
                        _("save it from Excel or WPS as .xlsx"))
    return _result(reader, units, skipped, name, digest)


def _read_workbook(scheme: Scheme, sheets: Sequence[SheetRows], reader: _Reader
                   ) -> tuple[list[Subject], list[str]]:
    main: SheetRows | None = None
    list_sheets: list[tuple[Fact, SheetRows]] = []
    unknown: list[SheetRows] = []
    for sheet in sheets:
        if sheet.title.startswith("_"):
            continue
        if sheet.title in INSTRUCTION_SHEETS:
            reader.read_settings(_Table(reader.file, sheet.title, sheet.rows))
            continue
        if sheet.title.lower() in MAIN_SHEETS and main is None:
            main = sheet
            continue
        fact = _list_fact_for(scheme, sheet.title)
        if fact is not None:
            list_sheets.append((fact, sheet))
        else:
            unknown.append(sheet)
    if main is None and unknown:
        main = unknown.pop(0)
    for sheet in unknown:
        lists = [f for f in scheme.facts if f.is_list]
        reader.file_problem("unknown-fact",
                            _("sheet {sheet!r} is neither the units sheet nor a list fact's "
                              "sheet").format(sheet=sheet.title),
                            Location(reader.file, 0, 0, (), sheet.title),
                            _("list sheets are named by the fact: {facts}; rename the sheet, or "
                              "begin its name with _ to keep it aside").format(facts=listing(
                                  _("{label} ({value})").format(label=f.label, value=f.id)
                                  for f in lists)))
    for fact, sheet in list_sheets:
        if fact.id in reader.present_lists:
            reader.file_problem("bad-facts-file",
                                _("two sheets hold the records of {fact}").format(fact=fact.id),
                                Location(reader.file, 0, 0, (), sheet.title))
            continue
        reader.read_records(fact, _Table(reader.file, sheet.title, sheet.rows))
    if main is None:
        reader.file_problem("bad-facts-file", _("the workbook has no units sheet"),
                            Location(reader.file),
                            _("name the sheet of units {name} or {label}").format(
                                name=MAIN_SHEETS[1], label=MAIN_SHEETS[0]))
        return [], []
    return reader.read_units(_Table(reader.file, main.title, main.rows))


def list_files_for(scheme: Scheme, path: FilePath) -> dict[str, FilePath]:
    """The CSV files of list records that sit beside `path`: `<stem>.<fact id or label>.csv`."""
    found = {}
    for fact in scheme.facts:
        if not fact.is_list:
            continue
        for name in (fact.id, fact.label):
            candidate = path.with_name(f"{path.stem}.{name}.csv")
            if candidate.is_file():
                found[fact.id] = candidate
                break
    return found


def _check_csv(scheme: Scheme, path: FilePath, data: bytes, reader: _Reader,
               lists: Mapping[str, str | FilePath]) -> FactsCheck:
    files = list_files_for(scheme, path)
    for key, given in lists.items():
        fact = _list_fact_for(scheme, key)
        if fact is None:
            names = [f.id for f in scheme.facts if f.is_list]
            reader.file_problem("unknown-fact",
                                _("`{key}` is not a list fact of the scheme").format(key=key),
                                Location(str(given)),
                                _("list facts: {facts}").format(facts=", ".join(names)))
            continue
        files[fact.id] = FilePath(given)
    manifest = [(hashlib.sha256(data).hexdigest(), path.name)]
    for fact in scheme.facts:
        list_file = files.get(fact.id)
        if list_file is None:
            continue
        try:
            list_data = list_file.read_bytes()
        except OSError as exc:
            reader.file_problem("bad-facts-file",
                                _("cannot read the records of {fact}: {reason}").format(
                                    fact=fact.id, reason=exc.strerror or exc),
                                Location(str(list_file)))
            continue
        if len(list_data) > reader.limits.facts_bytes:
            raise WorkbookLimitError(_("{file} is larger than {most} bytes").format(
                file=list_file.name, most=reader.limits.facts_bytes))
        manifest.append((hashlib.sha256(list_data).hexdigest(), list_file.name))
        try:
            reader.read_records(fact, _Table(str(list_file), "", _csv_rows(list_data,
                                                                           reader.limits)))
        except WorkbookError as exc:
            raise type(exc)(f"{list_file.name}: {exc}") from None
    if len(manifest) == 1:
        digest = "sha256:" + manifest[0][0]
    else:  # the hash of what `sha256sum main.csv list.csv ...` prints
        text = "".join(f"{h}  {n}\n" for h, n in manifest)
        digest = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    units, skipped = reader.read_units(_Table(str(path), "", _csv_rows(data, reader.limits)))
    return _result(reader, units, skipped, str(path), digest)


_LIMIT_HINT = N_("split the file, or remove empty rows and columns; a service may hold files "
                 "to stricter limits (docs/security.md)")


def _result(reader: _Reader, units: list[Subject], skipped: list[str], name: str,
            digest: str) -> FactsCheck:
    problems = tuple(dg.sorted_diagnostics(reader.problems))
    period = reader.period_given or reader.period  # the period used
    return FactsCheck(FactsFile(tuple(units), name, digest, period), problems,
                      tuple(skipped), reader.blocking)
