"""The fill-in workbook for a scheme's facts (`evalrules template`).

Sheets: 填表说明 (instructions, the scheme's id and version, the period to fill in, and every
fact explained), 单位 (one row per unit: labels in row 1, ids in row 2 for reading back; a
fact declared `source: period` has no column, the reader fills it in from the period), one
sheet per list fact, and a hidden `_lists` sheet holding the drop-down choices. Each fact column
carries a note (type, unit, range, default, source, description) and Excel data validation
(whole numbers, decimals and dates within the declared range, drop-down lists for categories,
booleans and enums). The reader is evalrules.tablefacts; docs/spreadsheets.md shows the layout.

The workbook is written in the current language (evalrules.i18n), and reads back in either: in
English the sheets are `instructions` and `units`, the key columns are headed by their ids
(`id`, `unit`), booleans are chosen as true / false, and the settings are keyed `scheme` and
`period` — all names the reader knows. Row 2 holds the ids in both languages.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..facts import listing
from ..i18n import CHINESE, N_, _, current_language
from ..model import Fact, Field, Scheme
from ..numeric import plain
from ..tablefacts import (
    INSTRUCTION_SHEETS,
    MAIN_SHEETS,
    REASON,
    RECORD_KEY,
    UNIT_COLUMNS,
)
from ..workbook import Sheet, Validation, column_letter, sheet_title, write_workbook

DEFAULT_ROWS = 1000
# Shown with _() where they are written.
TYPE_WORDS = {
    "integer": N_("whole number"), "number": N_("number"), "boolean": N_("true / false"),
    "enum": N_("choice"), "date": N_("date"), "text": N_("text"), "list": N_("list"),
    "discretionary": N_("discretionary points (a reason is required)"),
}
SOURCE_WORDS = {"online": N_("online (platform data)"),
                "offline": N_("offline (quality acceptance)"),
                "period": N_("the period (filled in from the period cell above)")}
LISTS_SHEET = "_lists"
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class _Names:
    """Names the facts reader must recognise, in one language (see evalrules.tablefacts)."""

    instructions: str  # the instructions sheet
    units: str  # the units sheet
    id_header: str  # row 1 of the units sheet's key column
    record_header: str  # row 1 of a list sheet's key column
    true: str  # the boolean choices
    false: str
    booleans: str  # the column of boolean choices on the hidden sheet


_NAMES = {
    CHINESE: _Names(INSTRUCTION_SHEETS[0], MAIN_SHEETS[0], UNIT_COLUMNS["id"], RECORD_KEY[1],
                    "是", "否", "是否"),
    "en_US": _Names(INSTRUCTION_SHEETS[1], MAIN_SHEETS[1], "id", RECORD_KEY[0],
                    "true", "false", "true/false"),
}


def _names() -> _Names:
    return _NAMES.get(current_language(), _NAMES["en_US"])


def _enum_sep() -> str:
    return "、" if current_language() == CHINESE else ", "


def _word(words: dict[str, str], key: str | None) -> str:
    return _(words[key]) if key in words else (key or "")


def _width(text: str) -> float:
    size = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return float(min(max(size + 2, 10), 40))


def _range_text(decl: Fact | Field) -> str:
    if decl.min is None and decl.max is None:
        return ""
    low = plain(decl.min) if decl.min is not None else "…"
    high = plain(decl.max) if decl.max is not None else "…"
    return f"{low} – {high}"


def _default_text(fact: Fact) -> str:
    if fact.source == "period":
        return _("no need to fill in")
    if not fact.has_default:
        return _("required") if fact.required else _("optional")
    value = fact.default
    if isinstance(value, bool):
        return _names().false if not value else _names().true
    if value in (None, []):
        return _("none (empty when not filled in)")
    if fact.type == "enum":
        return dict(fact.values).get(str(value), str(value))
    if isinstance(value, dict):
        value = value.get("value")
    return str(value)


def _note(decl: Fact | Field, column_id: str) -> str:
    lines = [decl.label, f"id: {column_id}",
             _("Type: {type}").format(type=_word(TYPE_WORDS, decl.type))]
    if decl.unit:
        lines.append(_("Measured in: {unit}").format(unit=decl.unit))
    if decl.type == "enum":
        lines.append(_("Choices: {choices}").format(
            choices=_enum_sep().join(label for _id, label in decl.values)))
    elif decl.type == "boolean":
        lines.append(_("Fill in: true / false"))
    elif decl.type == "date":
        lines.append(_("Format: {example}").format(example="2024-03-31"))
    span = _range_text(decl)
    if span:
        lines.append(_("Range: {range}").format(range=span))
    if isinstance(decl, Fact):
        lines.append(_("Default: {default}").format(default=_default_text(decl)))
        if decl.source:
            lines.append(_("Source: {source}").format(source=_word(SOURCE_WORDS, decl.source)))
        if decl.description:
            lines.append(_("Description: {description}").format(description=decl.description))
    return "\n".join(lines)


@dataclass
class _Choices:
    """The hidden sheet of drop-down choices: one column per list of choices."""

    columns: list[tuple[str, Sequence[str]]]

    def ref(self, name: str, choices: Sequence[str]) -> str:
        names = [key for key, _ in self.columns]
        if name not in names:
            self.columns.append((name, choices))
            names.append(name)
        letter = column_letter(names.index(name) + 1)
        return f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"

    def sheet(self) -> Sheet:
        height = max((len(c) for _name, c in self.columns), default=0)
        rows = [[choices[r] if r < len(choices) else None for _name, choices in self.columns]
                for r in range(height)]
        return Sheet(LISTS_SHEET, header=[[name for name, _choices in self.columns]], rows=rows,
                     hidden=True)


def _validation(decl: Fact | Field, cells: str, choices: _Choices, key: str) -> Validation | None:
    title = decl.label[:32]
    span = _range_text(decl)
    if decl.type in ("integer", "number", "discretionary"):
        kind = "whole" if decl.type == "integer" else "decimal"
        message = _("Enter a whole number") if decl.type == "integer" else _("Enter a number")
        if span:
            message = _("{message}, range {range}").format(message=message, range=span)
        if decl.unit:
            message = _("{message} (measured in {unit})").format(message=message,
                                                                 unit=decl.unit)
        return Validation(kind, cells, decl.min, decl.max, title=title, message=message)
    if decl.type == "date":
        return Validation("date", cells, EARLIEST, LATEST, title=title,
                          message=_("Enter a date, such as {example}").format(
                              example="2024-03-31"))
    if decl.type == "boolean":
        names = _names()
        return Validation("list", cells,
                          options=choices.ref(names.booleans, (names.true, names.false)),
                          title=title, message=_("Choose true or false"))
    if decl.type == "enum":
        labels = [label for _id, label in decl.values]
        return Validation("list", cells, options=choices.ref(key, labels), title=title,
                          message=_("Choose from the drop-down list: {choices}").format(
                              choices=_enum_sep().join(labels)))
    return None


def template_sheets(scheme: Scheme, rows: int = DEFAULT_ROWS) -> list[Sheet]:
    """The sheets of the fill-in workbook, in order."""
    choices = _Choices([])
    names = _names()
    first, last = 3, 2 + rows
    # ---- the units sheet
    # The key column keeps a header the reader knows (单位编号 or id): it finds the ids in
    # row 2 by it. The other labels of row 1 are for people; row 2 is what is read.
    labels = [names.id_header, _("Unit name"), _("Unit category")]
    ids = ["id", "name", "category"]
    notes = {(1, 1): _("Unit id\nid: id\nrequired, unique for each unit"),
             (1, 2): _("Unit name\nid: name"),
             (1, 3): _("Unit category\nid: category\nChoices: {choices}").format(
                 choices=_enum_sep().join(c.label for c in scheme.categories))}
    category_labels = [c.label for c in scheme.categories]
    validations = [Validation("list", f"C{first}:C{last}",
                              options=choices.ref("category", category_labels),
                              title=_("Unit category"),
                              message=_("Choose the unit's category from the drop-down list"))]
    for fact in scheme.facts:
        if fact.is_list or fact.source == "period":  # period facts: filled in from 考核周期
            continue
        labels.append(fact.label)
        ids.append(fact.id)
        col = len(ids)
        letter = column_letter(col)
        notes[(1, col)] = _note(fact, fact.id)
        check = _validation(fact, f"{letter}{first}:{letter}{last}", choices, fact.id)
        if check is not None:
            validations.append(check)
        if fact.type == "discretionary":
            # Chinese: the label the reader knows (`<label> 理由`); the id in row 2 is read.
            reason_label = _("{label} reason").format(label=fact.label)
            labels.append(reason_label)
            ids.append(fact.id + REASON)
            notes[(1, len(ids))] = _(
                "{column}\nid: {id}\nA reason is required when the points are not 0").format(
                column=reason_label, id=fact.id + REASON)
    sheets = [_instructions(scheme)]
    sheets.append(Sheet(names.units, header=[labels, ids], widths=[_width(t) for t in labels],
                        freeze="D3", notes=notes, validations=validations,
                        muted_rows=frozenset({2})))
    # ---- one sheet per list fact
    taken = [names.units, names.instructions, LISTS_SHEET]
    for fact in scheme.facts:
        if not fact.is_list:
            continue
        title = sheet_title(fact.label, taken)
        taken.append(title)
        f_labels = [names.record_header] + [f.label for f in fact.fields]
        f_ids = [RECORD_KEY[0]] + [f.id for f in fact.fields]
        colon = "：" if current_language() == CHINESE else ": "
        f_notes = {(1, 1): (_("Unit id\nid: {id}\nThe unit's id as on the “{sheet}” sheet; one "
                              "row per record, a unit may have several rows").format(
                                  id=RECORD_KEY[0], sheet=names.units)
                            + f"\n{fact.label}{colon}{fact.description}").rstrip(colon)}
        f_checks = []
        for i, fld in enumerate(fact.fields, start=2):
            f_notes[(1, i)] = _note(fld, fld.id)
            letter = column_letter(i)
            check = _validation(fld, f"{letter}{first}:{letter}{last}", choices,
                                f"{fact.id}.{fld.id}")
            if check is not None:
                f_checks.append(check)
        sheets.append(Sheet(title, header=[f_labels, f_ids],
                            widths=[_width(t) for t in f_labels], freeze="B3", notes=f_notes,
                            validations=f_checks, muted_rows=frozenset({2})))
    sheets.append(choices.sheet())
    return sheets


def _instructions(scheme: Scheme) -> Sheet:
    names = _names()
    from_period = [f for f in scheme.facts if f.source == "period"]
    period_note: list[list[object]] = [] if not from_period else [[
        "8", _("Fill in the period above (e.g. 2024-03): {facts} are filled in from it and have "
               "no column on the “{sheet}” sheet.").format(
                   facts=listing(f.label for f in from_period), sheet=names.units)]]
    # The reader takes the text before a bracket as the key: 方案 or scheme, 考核周期 or period.
    rows: list[list[object]] = [
        [_("scheme (the scheme's id)"), scheme.id],
        [_("Scheme title"), scheme.title],
        [_("version (the scheme's version)"), scheme.version],
        [_("period (the assessment period)"), None],
        [],
        [_("How to fill in")],
        ["1", _("Fill in one row per unit on the “{sheet}” sheet. Row 1 holds the names of the "
                "facts and row 2 their ids (read by the program): do not change or delete these "
                "two rows.").format(sheet=names.units)],
        ["2", _("Choose unit categories, true/false facts and choice facts from the drop-down "
                "lists; write dates as 2024-03-31; write numbers without their unit.")],
        ["3", _("An empty cell means not reported: a fact with a default takes its default, a "
                "required fact left empty is an error, and an empty cell is never taken as 0.")],
        ["4", _("Type the values themselves, not formulas (a cell holding a formula is refused); "
                "when copying from another sheet, use “Paste Special → Values”.")],
        ["5", _("For a discretionary fact, write the reason in the “reason” column beside it.")],
        ["6", _("List facts (such as safety incidents) are filled in on their own sheets, one "
                "row per record, linked by the unit id; leave out units that have no records.")],
        ["7", _("When it is filled in, run: evalrules evaluate scheme.yaml this-file.xlsx -o "
                "report.html")],
        *period_note,
        [],
        [_("The facts")],
        [_("Name"), _("Id"), _("Type"), _("Measured in"), _("Range"), _("Default"), _("Source"),
         _("Description")],
    ]
    for fact in scheme.facts:
        rows.append([fact.label, fact.id, _word(TYPE_WORDS, fact.type), fact.unit,
                     _range_text(fact) or (_enum_sep().join(label for _id, label in fact.values)
                                           if fact.type == "enum" else ""),
                     _default_text(fact),
                     _word(SOURCE_WORDS, fact.source) if fact.source else fact.source,
                     fact.description])
    title = _("{title} — facts form").format(title=scheme.title)
    return Sheet(names.instructions, header=[[title, None]],
                 rows=rows, widths=[36, 28, 14, 8, 20, 14, 16, 60])


def template_bytes(scheme: Scheme, rows: int = DEFAULT_ROWS) -> bytes:
    """The fill-in workbook as XLSX bytes."""
    return write_workbook(template_sheets(scheme, rows), streaming=False)


__all__ = ["DEFAULT_ROWS", "template_bytes", "template_sheets"]
