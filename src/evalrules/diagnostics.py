"""Diagnostics: every problem found in a scheme or a facts file, as data.

A diagnostic carries a stable code, a severity, a message, a location and a hint. Nothing
here prints: renderers decide how a diagnostic looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

Path = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where something is: a file, a 1-based line and column, and the data path to it.

    In a spreadsheet, `sheet` names the worksheet and line and column are the cell's 1-based row
    and column: `facts.xlsx[单位]:5:3` is cell C5 of sheet 单位.
    """

    file: str = "<text>"
    line: int = 0
    column: int = 0
    path: Path = field(default=(), compare=False)
    sheet: str = ""

    def __str__(self) -> str:
        where = f"{self.file}[{self.sheet}]" if self.sheet else self.file
        if self.line:
            return f"{where}:{self.line}:{self.column}"
        return where


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str


def _codes(*entries: tuple[str, str, Severity, str]) -> dict[str, Code]:
    return {name: Code(code, name, sev, summary) for code, name, sev, summary in entries}


E, W = Severity.ERROR, Severity.WARNING

# Codes are stable: never renumber, only add. docs/diagnostics.md describes each one.
CODES: Final[dict[str, Code]] = _codes(
    # Y: reading YAML
    ("Y001", "yaml-syntax", E, "the file is not well-formed YAML"),
    ("Y002", "duplicate-key", E, "a mapping gives the same key twice"),
    ("Y003", "alias-refused", E, "anchors, aliases and merge keys are not accepted"),
    ("Y004", "tag-refused", E, "explicit YAML tags are not accepted"),
    ("Y005", "ambiguous-scalar", E, "a plain value YAML readers disagree on"),
    ("Y006", "multiple-documents", E, "a scheme file holds one YAML document"),
    ("Y007", "too-large", E, "the file exceeds a size, depth or node limit"),
    ("Y008", "non-string-key", E, "mapping keys must be plain text"),
    ("Y009", "unreadable-file", E, "the file cannot be read"),
    ("Y010", "number-too-large", E, "a number beyond the digits evalrules accepts"),
    # S: JSON Schema
    ("S101", "unknown-property", E, "a key the scheme language does not define"),
    ("S102", "missing-property", E, "a required key is missing"),
    ("S103", "wrong-type", E, "a value of the wrong type"),
    ("S104", "invalid-value", E, "a value outside what the language allows"),
    ("S105", "wrong-format-version", E, "the scheme does not declare `evalrules: 1`"),
    ("S106", "reserved-feature", E, "a feature reserved for a later release"),
    # M: meaning
    ("M201", "duplicate-id", E, "two declarations share one id"),
    ("M202", "unknown-category", E, "a category id that is not declared"),
    ("M203", "unknown-node", E, "a node id that is not declared"),
    ("M204", "unknown-rating", E, "a rating id that is not declared"),
    ("M205", "unknown-level", E, "a rating level that is not declared"),
    ("M206", "children-exceed-max", E, "a group's children can give more than its max"),
    ("M207", "bands-overlap", E, "two levels of a rating cover the same points"),
    ("M208", "bands-gap", E, "points between two levels belong to no level"),
    ("M209", "bad-range", E, "a level's range is empty or malformed"),
    ("M210", "missing-cap", E, "a variable deduction or bonus without a cap"),
    ("M211", "bad-fact-declaration", E, "a fact declaration that contradicts itself"),
    ("M212", "missing-max", E, "a criterion without max"),
    ("M213", "criterion-shape", E, "a node must have exactly one of children, points, when"),
    ("M214", "reserved-id", E, "an id reserved by the language"),
    ("M215", "bad-derived-rating", E, "a derived rating whose sources do not fit"),
    ("M216", "bad-self-score", E, "self_score must name a number fact"),
    ("M217", "bad-test", E, "an embedded test that cannot run"),
    ("M218", "rating-shape", E,
     "a rating needs levels and at most one of of, lowest_of, highest_of, from"),
    ("M219", "unknown-rollup", E, "a roll-up that rolls up something not declared"),
    ("M220", "bad-period", E, "periods that do not nest, or weights that do not fit them"),
    ("M221", "unknown-ranking", E, "a ranking id that is not declared"),
    ("W201", "unused-fact", W, "a fact no formula reads"),
    ("W202", "max-below-children", W, "a group's max is below what its children can give"),
    # F: formulas
    ("F301", "formula-syntax", E, "a formula that does not parse"),
    ("F302", "unknown-name", E, "a name that is not a fact, derived value or node"),
    ("F303", "unsupported-syntax", E, "syntax the formula language does not allow"),
    ("F304", "unknown-function", E, "a function the formula language does not provide"),
    ("F305", "bad-arguments", E, "a function called with the wrong arguments"),
    ("F306", "formula-too-complex", E, "a formula beyond the size or depth limits"),
    # G: graph
    ("G401", "dependency-cycle", E, "values that depend on each other in a circle"),
    # D: facts
    ("D501", "missing-fact", E, "a required fact is missing"),
    ("D502", "unknown-fact", E, "a fact the scheme does not declare"),
    ("D503", "bad-fact-value", E, "a fact value of the wrong type or out of range"),
    ("D504", "unknown-unit-category", E, "a unit whose category the scheme does not declare"),
    ("D505", "missing-reason", E, "a discretionary value without its justification"),
    ("D506", "bad-unit", E, "a unit record without id or category"),
    ("D507", "duplicate-unit", E, "two units share one id"),
    ("D508", "bad-facts-file", E, "a facts file that cannot be read"),
    ("D509", "formula-cell", E, "a spreadsheet cell holds a formula or an error, not a value"),
    ("D510", "facts-too-large", E,
     "a facts file beyond the size, row, column or expansion limits"),
    # L: lint (`evalrules lint`), from the interval analysis and the embedded tests
    ("L101", "maxima-short", W, "a group's children add up to less than its max or the scale"),
    ("L102", "band-uncovered", W, "reachable points that no level of a rating holds"),
    ("L103", "level-unreachable", W, "a rating level no reachable points can get"),
    ("L104", "untested-criterion", W, "a criterion no embedded test takes points from"),
    ("L105", "untested-rule", W, "a deduction, bonus or veto no embedded test fires"),
    ("L106", "deduction-exceeds-node", W, "a deduction that can ask for more than its node has"),
    ("L107", "veto-never-fires", W, "a veto whose condition no fact value can make true"),
    ("L108", "rule-never-fires", W, "a deduction or bonus that no fact value can fire"),
    ("L109", "missing-label", W, "a declaration without a label"),
    ("L110", "missing-basis", W, "a criterion without basis where its siblings have one"),
    ("L111", "max-unreachable", W, "a criterion that can never get its full marks"),
    ("L112", "points-fixed", W, "a criterion whose points no fact value can change"),
)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: what, where, and how to fix it."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    hint: str = ""
    related: tuple[Location, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, str, int, int, str]:
        loc = self.location
        return (loc.file, loc.sheet, loc.line, loc.column, self.code)


def make(name: str, message: str, location: Location, hint: str = "",
         related: tuple[Location, ...] = ()) -> Diagnostic:
    """Build a diagnostic from its registered name."""
    code = CODES[name]
    return Diagnostic(code.code, code.name, code.severity, message, location, hint, related)


def sorted_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    unique = {(d.code, d.location, d.message): d for d in diagnostics}
    return sorted(unique.values(), key=Diagnostic.sort_key)
