"""The one module that touches openpyxl: read the cells of an XLSX file, write a workbook.

Reading streams rows (openpyxl's read-only mode) and never evaluates anything: a formula cell
is reported as a formula, an error cell (#DIV/0!) as an error, so that the caller can refuse
them. Before openpyxl sees the file, its zip directory is checked against the limits (number of
parts, their uncompressed size and compression ratio), so a small file cannot expand into
gigabytes; rows and columns are counted while streaming, and the sheet's own size header is
ignored (a forged one would make openpyxl pad every row to 16,384 cells). Writing takes plain
descriptions of sheets (`Sheet`) and returns the file's bytes, so that the caller can write them
atomically.

Every text cell is written as a string, never as a formula: openpyxl would store a string that
begins with `=` as a formula, and Excel evaluates text beginning with = + - @ (or a tab or a
carriage return) when a user edits the cell, so such text is also marked quotePrefix, the way
Excel marks text typed after a leading apostrophe.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .cells import FORMULA_TRIGGERS as FORMULA_TRIGGERS  # re-exported
from .errors import OutputError
from .i18n import _
from .limits import DEFAULT_LIMITS, Limits, effective

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


class WorkbookError(Exception):
    """A workbook that cannot be read (openpyxl's errors, wrapped); the reader of facts turns it
    into a diagnostic. Failures to write raise evalrules.OutputError."""


class WorkbookLimitError(WorkbookError):
    """A workbook (or CSV file) beyond the limits: too large once expanded, too many rows,
    columns or parts, a cell too long."""


# Parts smaller than this are not held to the compression ratio: tiny parts compress oddly.
_RATIO_FLOOR = 1_000_000
# A spreadsheet's XML never declares a DTD; one that does is probably an entity bomb or an
# external entity. The prolog is read (at most this much of each part) before openpyxl runs;
# expat's own limit on entity expansion stays behind it.
_PROLOG_BYTES = 65_536
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


# ----------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class CellValue:
    """One cell as stored: its value, and whether it holds a value, a formula or an error."""

    value: Any  # str | int | float | bool | datetime | date | time | None
    kind: str  # "value" | "formula" | "error"
    row: int
    column: int
    number_format: str = "General"


@dataclass(frozen=True, slots=True)
class SheetRows:
    title: str
    hidden: bool
    rows: Iterator[list[CellValue]]


# openpyxl raises many kinds of exceptions for a damaged or foreign file: XML it cannot parse
# (ParseError is a SyntaxError; expat refuses entity expansion bombs and undefined entities),
# deflate data that does not inflate (zlib.error), compression it does not know, numbers that
# overflow a date.
_READ_ERRORS = (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError,
                TypeError, AttributeError, IndexError, EOFError, SyntaxError, zlib.error,
                ArithmeticError, RuntimeError)  # RuntimeError: a part flagged as encrypted
# (zipfile), and NotImplementedError (a compression it does not know) and RecursionError


def check_archive(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose zip would expand beyond the limits, before anything is inflated:
    more than xlsx_members parts, more than xlsx_bytes uncompressed in all, or a part above 1 MB
    that expands more than xlsx_ratio times. zipfile never inflates a part beyond the size its
    directory declares (it fails on the checksum instead), so the declared sizes are a bound."""
    limits = effective(limits)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except _READ_ERRORS as exc:
        raise WorkbookError(_describe(exc)) from None
    if len(infos) > limits.xlsx_members:
        raise WorkbookLimitError(_("the workbook holds {count} parts, more than {most}").format(
            count=len(infos), most=limits.xlsx_members))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > info.compress_size * \
                limits.xlsx_ratio:
            raise WorkbookLimitError(
                _("part {part!r} expands from {packed} to {size} bytes, more than {ratio} "
                  "times: a zip bomb, not a workbook").format(
                    part=info.filename[:80], packed=f"{info.compress_size:,}",
                    size=f"{info.file_size:,}", ratio=limits.xlsx_ratio))
    if total > limits.xlsx_bytes:
        raise WorkbookLimitError(_("the workbook expands to {size} bytes, more than "
                                   "{most}").format(size=f"{total:,}",
                                                    most=f"{limits.xlsx_bytes:,}"))
    try:
        with zipfile.ZipFile(path) as archive:
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with archive.open(info) as part:
                        if _DTD.search(part.read(_PROLOG_BYTES)):
                            raise WorkbookError(_(
                                "part {part!r} declares a DTD (<!DOCTYPE or <!ENTITY), which "
                                "spreadsheet programs never write").format(
                                    part=info.filename[:80]))
    except _READ_ERRORS as exc:
        raise WorkbookError(_describe(exc)) from None


class open_workbook:  # lower case: used like open(), as a context manager
    """Open an XLSX file for reading: `with open_workbook(path) as sheets: ...`.

    `sheets` lists the sheets in order, each with a stream of its rows (valid until the block
    ends). Raises WorkbookError when the file is not a readable workbook, WorkbookLimitError
    when it is beyond the limits (checked before openpyxl reads it, and while rows stream).
    Rows are lists of CellValue with 1-based row and column numbers.
    """

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.limits = effective(limits)
        self._book: Any = None

    def __enter__(self) -> list[SheetRows]:
        check_archive(self.path, self.limits)
        try:
            with warnings.catch_warnings():  # unsupported extensions: nothing the reader needs
                warnings.simplefilter("ignore")
                self._book = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
            sheets = []
            for ws in self._book.worksheets:
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # never trust (or pad rows to) the size header
                sheets.append(SheetRows(ws.title, ws.sheet_state != "visible",
                                        _rows(ws, self.limits)))
            return sheets
        except _READ_ERRORS as exc:
            self.__exit__()
            raise WorkbookError(_describe(exc)) from None

    def __exit__(self, *exc: object) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None


def _rows(sheet: Any, limits: Limits) -> Iterator[list[CellValue]]:
    title = str(sheet.title)[:40]
    most_rows = limits.table_rows
    try:
        rows = sheet.iter_rows()
        row_number = 0
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = next(rows, None)
            if row is None:
                break
            row_number += 1
            if row_number > most_rows:
                raise WorkbookLimitError(_("sheet {sheet!r} has more than {most} rows").format(
                    sheet=title, most=most_rows))
            if not row:  # a row missing from the file, which openpyxl fills in
                yield []
                continue
            if len(row) > limits.table_columns:
                raise WorkbookLimitError(_("row {row} of sheet {sheet!r} has more than {most} "
                                           "columns").format(row=row_number, sheet=title,
                                                             most=limits.table_columns))
            cells = []
            for column, cell in enumerate(row, start=1):
                value = getattr(cell, "value", None)
                if type(value) is str and len(value) > limits.text_chars:
                    raise WorkbookLimitError(_("cell {cell} of sheet {sheet!r} holds more than "
                                               "{most} characters").format(
                                                 cell=f"{column_letter(column)}{row_number}",
                                                 sheet=title, most=limits.text_chars))
                data_type = getattr(cell, "data_type", "n")
                kind = {"f": "formula", "e": "error"}.get(data_type, "value")
                if kind == "value" and isinstance(value, str) and value.startswith("=") \
                        and data_type != "s":
                    kind = "formula"
                number_format = getattr(cell, "number_format", None) or "General"
                cells.append(CellValue(value, kind, row_number, column, number_format))
            yield cells
    except _READ_ERRORS as exc:
        raise WorkbookError(_describe(exc)) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, (zipfile.BadZipFile, InvalidFileException)):
        return _("not an XLSX workbook (save it as an Excel Workbook, .xlsx)")
    if isinstance(exc, SyntaxError):  # xml.etree.ElementTree.ParseError
        return _("the workbook's XML cannot be read ({problem})").format(problem=str(exc)[:120])
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return _("the workbook is encrypted: save it without a password")
    return _("the workbook is damaged ({kind}: {problem})").format(kind=type(exc).__name__,
                                                                   problem=exc)


# ----------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True, slots=True)
class Validation:
    """Excel data validation on a range: a number range, a date, or a drop-down list."""

    kind: str  # "whole" | "decimal" | "date" | "list"
    cells: str  # e.g. "D3:D2000"
    minimum: Decimal | dt.date | None = None
    maximum: Decimal | dt.date | None = None
    options: str = ""  # for "list": a range such as "'_lists'!$A$1:$A$4"
    title: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet to write: header rows, then data rows (streamed), and how to show them."""

    title: str
    header: Sequence[Sequence[Any]] = ()  # header rows, bold; the first is the main header
    rows: Iterable[Sequence[Any]] = ()
    widths: Sequence[float] = ()
    freeze: str = ""  # top-left cell that is not frozen, e.g. "B3"
    number_formats: dict[int, str] = field(default_factory=dict)  # 0-based column -> format
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 1-based
    validations: Sequence[Validation] = ()
    hidden: bool = False
    wrap: bool = False  # wrap the text of data rows
    muted_rows: frozenset[int] = frozenset()  # 1-based header rows shown small and grey


_BOLD = Font(bold=True)
_MUTED = Font(size=8, color="808080")
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A valid, unused sheet name made from `text` (at most 31 characters, no []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("_", text).strip("'") or "Sheet"
    base = base[:SHEET_NAME_MAX]
    used = {t.lower() for t in taken}
    title, n = base, 2
    while title.lower() in used:
        suffix = f"~{n}"
        title = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    return title


def write_workbook(sheets: Iterable[Sheet], *, streaming: bool = True) -> bytes:
    """The XLSX file holding `sheets`, as bytes.

    With `streaming` (openpyxl's write-only mode) rows are written as they come and memory stays
    flat however many units there are; notes and data validation need `streaming=False`.
    """
    book = openpyxl.Workbook(write_only=streaming)
    if not streaming:
        for default in list(book.worksheets):
            book.remove(default)
    try:
        for spec in sheets:
            if streaming:
                _write_streaming(book, spec)
            else:
                _write_full(book, spec)
        buffer = io.BytesIO()
        book.save(buffer)
    except (IllegalCharacterError, ValueError, TypeError) as exc:
        raise OutputError(_("cannot write the workbook: {problem}").format(problem=exc)) from None
    return buffer.getvalue()


def _plain(value: Any) -> tuple[Any, bool]:
    """(value to store, whether it is text that must never become a formula)."""
    if isinstance(value, str):
        text = _ILLEGAL.sub("\ufffd", value)
        return text, text.startswith(FORMULA_TRIGGERS)
    if isinstance(value, Decimal) and not value.is_finite():
        return str(value), False
    return value, False


def _style(cell: Any, value: Any, quote: bool, number_format: str, font: Font | None,
           fill: PatternFill | None, alignment: Alignment | None) -> None:
    if isinstance(value, str):
        cell.data_type = "s"
        if quote:
            cell.quotePrefix = True
    if number_format and isinstance(value, (int, float, Decimal, dt.date)) \
            and not isinstance(value, bool):
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment


def _header_style(spec: Sheet, row: int) -> tuple[Font, PatternFill | None]:
    if row in spec.muted_rows:
        return _MUTED, None
    return _BOLD, _HEADER_FILL


def _write_streaming(book: Any, spec: Sheet) -> None:
    ws = book.create_sheet(_safe_title(spec.title))
    _dimensions(ws, spec)
    for r, header in enumerate(spec.header, start=1):
        font, fill = _header_style(spec, r)
        cells = []
        for value in header:
            stored, quote = _plain(value)
            cell = WriteOnlyCell(ws, value=stored)
            _style(cell, stored, quote, "", font, fill, _WRAP)
            cells.append(cell)
        ws.append(cells)
    styles = _StyleCache(ws, _WRAP if spec.wrap else None)
    for row in spec.rows:
        ws.append([styles.cell(value, spec.number_formats.get(c, ""))
                   for c, value in enumerate(row)])
    if spec.hidden:
        ws.sheet_state = "hidden"


class _StyleCache:
    """Styled cells for streamed rows: each distinct style is built once, then shared.

    Setting a style on each of thousands of cells is most of openpyxl's writing time; a cell
    built with the `style_array` of an earlier one costs nothing extra.
    """

    def __init__(self, ws: Any, alignment: Alignment | None) -> None:
        self.ws = ws
        self.alignment = alignment
        self.arrays: dict[tuple[bool, str], Any] = {}

    def cell(self, value: Any, number_format: str) -> Any:
        stored, quote = _plain(value)
        if isinstance(stored, bool) or not isinstance(stored, (int, float, Decimal, dt.date)):
            number_format = ""
        elif isinstance(stored, dt.datetime):
            number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(stored, dt.date):
            number_format = "yyyy-mm-dd"
        text = isinstance(stored, str)
        if stored is None or (not quote and not number_format and self.alignment is None):
            return stored  # a plain value: openpyxl stores text that cannot be a formula as text
        key = (quote, number_format)
        array = self.arrays.get(key)
        if array is None:
            prototype = WriteOnlyCell(self.ws, value=stored)
            _style(prototype, stored, quote, number_format, None, None, self.alignment)
            array = self.arrays[key] = prototype._style  # type: ignore[attr-defined]
        cell = Cell(self.ws, row=1, column=1, value=stored, style_array=array)
        if text:
            cell.data_type = "s"
        return cell


def _write_full(book: Any, spec: Sheet) -> None:
    ws = book.create_sheet(_safe_title(spec.title))
    _dimensions(ws, spec)
    for r, header in enumerate(spec.header, start=1):
        font, fill = _header_style(spec, r)
        for c, value in enumerate(header, start=1):
            stored, quote = _plain(value)
            cell = ws.cell(row=r, column=c, value=stored)
            _style(cell, stored, quote, "", font, fill, _WRAP)
    alignment = _WRAP if spec.wrap else None
    for r, row in enumerate(spec.rows, start=len(spec.header) + 1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            stored, quote = _plain(value)
            cell = ws.cell(row=r, column=c, value=stored)
            _style(cell, stored, quote, spec.number_formats.get(c - 1, ""), None, None,
                   alignment)
    for (note_row, note_column), text in spec.notes.items():
        note = Comment(_ILLEGAL.sub("\ufffd", text), "evalrules")
        note.width, note.height = 320, 160
        ws.cell(row=note_row, column=note_column).comment = note
    for v in spec.validations:
        ws.add_data_validation(_validation(v))
    if spec.hidden:
        ws.sheet_state = "hidden"


def _safe_title(title: str) -> str:
    return sheet_title(title)


def _dimensions(ws: Any, spec: Sheet) -> None:
    for i, w in enumerate(spec.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    if spec.freeze:
        ws.freeze_panes = spec.freeze


def _bound(value: Decimal | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    return format(value, "f")


_KINDS: dict[str, Literal["whole", "decimal", "date", "list"]] = {
    "whole": "whole", "decimal": "decimal", "date": "date", "list": "list"}


def _validation(v: Validation) -> DataValidation:
    kind = _KINDS[v.kind]
    if kind == "list":
        dv = DataValidation(type="list", formula1=v.options, allow_blank=True)
    else:
        low, high = _bound(v.minimum), _bound(v.maximum)
        if low is not None and high is not None:
            dv = DataValidation(type=kind, operator="between", formula1=low, formula2=high,
                                allow_blank=True)
        elif low is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=low,
                                allow_blank=True)
        elif high is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=high,
                                allow_blank=True)
        else:
            # Any number (or date): Excel needs bounds, so use the widest it accepts.
            dv = DataValidation(type=kind, operator="between",
                                formula1="-1E+307" if v.kind != "date" else "1",
                                formula2="1E+307" if v.kind != "date" else "2958465",
                                allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.error = v.message[:255]
    dv.errorTitle = v.title[:32]
    dv.showInputMessage = bool(v.message)
    dv.prompt = v.message[:255]
    dv.promptTitle = v.title[:32]
    dv.add(v.cells)
    return dv


def column_letter(index: int) -> str:
    """The letters of a 1-based column number: 1 -> A, 28 -> AB."""
    return str(get_column_letter(index))
