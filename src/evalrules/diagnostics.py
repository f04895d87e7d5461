"""Diagnostics: every problem found in a scheme or a facts file, as data.

A diagnostic carries a stable code, a severity, a message, a location and a hint. Nothing
here prints: renderers decide how a diagnostic looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from .i18n import N_, _

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
    """A diagnostic code: its stable number, its name, its severity and a summary."""

    code: str
    name: str
    severity: Severity
    summary: str  # English; `description` gives it in the current language

    @property
    def description(self) -> str:
        """The summary in the current language."""
        return _(self.summary)


def _codes(*entries: tuple[str, str, Severity, str]) -> dict[str, Code]:
    return {name: Code(code, name, sev, summary) for code, name, sev, summary in entries}


E, W = Severity.ERROR, Severity.WARNING

# Codes are stable: never renumber, only add. Each has its page: docs/diagnostics/<CODE>.md,
# lint codes docs/lint/<CODE>.md.
CODES: Final[dict[str, Code]] = _codes(
    # Y: reading YAML
    ("Y001", "yaml-syntax", E, N_("the file is not well-formed YAML")),
    ("Y002", "duplicate-key", E, N_("a mapping gives the same key twice")),
    ("Y003", "alias-refused", E, N_("anchors, aliases and merge keys are not accepted")),
    ("Y004", "tag-refused", E, N_("explicit YAML tags are not accepted")),
    ("Y005", "ambiguous-scalar", E, N_("a plain value YAML readers disagree on")),
    ("Y006", "multiple-documents", E, N_("a scheme file holds one YAML document")),
    ("Y007", "too-large", E, N_("the file exceeds a size, depth or node limit")),
    ("Y008", "non-string-key", E, N_("mapping keys must be plain text")),
    ("Y009", "unreadable-file", E, N_("the file cannot be read")),
    ("Y010", "number-too-large", E, N_("a number beyond the digits evalrules accepts")),
    # S: JSON Schema
    ("S101", "unknown-property", E, N_("a key the scheme language does not define")),
    ("S102", "missing-property", E, N_("a required key is missing")),
    ("S103", "wrong-type", E, N_("a value of the wrong type")),
    ("S104", "invalid-value", E, N_("a value outside what the language allows")),
    ("S105", "wrong-format-version", E, N_("the scheme does not declare `evalrules: 1`")),
    ("S106", "reserved-feature", E, N_("a feature reserved for a later release")),
    # M: meaning
    ("M201", "duplicate-id", E, N_("two declarations share one id")),
    ("M202", "unknown-category", E, N_("a category id that is not declared")),
    ("M203", "unknown-node", E, N_("a node id that is not declared")),
    ("M204", "unknown-rating", E, N_("a rating id that is not declared")),
    ("M205", "unknown-level", E, N_("a rating level that is not declared")),
    ("M206", "children-exceed-max", E, N_("a group's children can give more than its max")),
    ("M207", "bands-overlap", E, N_("two levels of a rating cover the same points")),
    ("M208", "bands-gap", E, N_("points between two levels belong to no level")),
    ("M209", "bad-range", E, N_("a level's range is empty or malformed")),
    ("M210", "missing-cap", E, N_("a variable deduction or bonus without a cap")),
    ("M211", "bad-fact-declaration", E, N_("a fact declaration that contradicts itself")),
    ("M212", "missing-max", E, N_("a criterion without max")),
    ("M213", "criterion-shape", E, N_("a node must have exactly one of children, points, when")),
    ("M214", "reserved-id", E, N_("an id reserved by the language")),
    ("M215", "bad-derived-rating", E, N_("a derived rating whose sources do not fit")),
    ("M216", "bad-self-score", E, N_("self_score must name a number fact")),
    ("M217", "bad-test", E, N_("an embedded test that cannot run")),
    ("M218", "rating-shape", E,
     N_("a rating needs levels and at most one of of, lowest_of, highest_of, from")),
    ("M219", "unknown-rollup", E, N_("a roll-up that rolls up something not declared")),
    ("M220", "bad-period", E, N_("periods that do not nest, or weights that do not fit them")),
    ("M221", "unknown-ranking", E, N_("a ranking id that is not declared")),
    ("W201", "unused-fact", W, N_("a fact no formula reads")),
    ("W202", "max-below-children", W, N_("a group's max is below what its children can give")),
    # F: formulas
    ("F301", "formula-syntax", E, N_("a formula that does not parse")),
    ("F302", "unknown-name", E, N_("a name that is not a fact, derived value or node")),
    ("F303", "unsupported-syntax", E, N_("syntax the formula language does not allow")),
    ("F304", "unknown-function", E, N_("a function the formula language does not provide")),
    ("F305", "bad-arguments", E, N_("a function called with the wrong arguments")),
    ("F306", "formula-too-complex", E, N_("a formula beyond the size or depth limits")),
    # G: graph
    ("G401", "dependency-cycle", E, N_("values that depend on each other in a circle")),
    # D: facts
    ("D501", "missing-fact", E, N_("a required fact is missing")),
    ("D502", "unknown-fact", E, N_("a fact the scheme does not declare")),
    ("D503", "bad-fact-value", E, N_("a fact value of the wrong type or out of range")),
    ("D504", "unknown-unit-category", E, N_("a unit whose category the scheme does not declare")),
    ("D505", "missing-reason", E, N_("a discretionary value without its justification")),
    ("D506", "bad-unit", E, N_("a unit record without id or category")),
    ("D507", "duplicate-unit", E, N_("two units share one id")),
    ("D508", "bad-facts-file", E, N_("a facts file that cannot be read")),
    ("D509", "formula-cell", E, N_("a spreadsheet cell holds a formula or an error, not a value")),
    ("D510", "facts-too-large", E,
     N_("a facts file beyond the size, row, column or expansion limits")),
    # L: lint (`evalrules lint`), from the interval analysis and the embedded tests
    ("L101", "maxima-short", W, N_("a group's children add up to less than its max or the scale")),
    ("L102", "band-uncovered", W, N_("reachable points that no level of a rating holds")),
    ("L103", "level-unreachable", W, N_("a rating level no reachable points can get")),
    ("L104", "untested-criterion", W, N_("a criterion no embedded test takes points from")),
    ("L105", "untested-rule", W, N_("a deduction, bonus or veto no embedded test fires")),
    ("L106", "deduction-exceeds-node", W,
     N_("a deduction that can ask for more than its node has")),
    ("L107", "veto-never-fires", W, N_("a veto whose condition no fact value can make true")),
    ("L108", "rule-never-fires", W, N_("a deduction or bonus that no fact value can fire")),
    ("L109", "missing-label", W, N_("a declaration without a label")),
    ("L110", "missing-basis", W, N_("a criterion without basis where its siblings have one")),
    ("L111", "max-unreachable", W, N_("a criterion that can never get its full marks")),
    ("L112", "points-fixed", W, N_("a criterion whose points no fact value can change")),
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
