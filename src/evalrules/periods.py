"""Evaluation periods: months, quarters, half-years and years, written as people write them.

`2024-03` is a month, `2024-Q1` a quarter, `2024-H1` a half-year and `2024` a year. A longer
period contains shorter ones (`2024-Q1` holds `2024-01`..`2024-03`); periods of one kind are
ordered, so that "the period before" and "still open after its deadline" have a meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .i18n import N_, _

KINDS = ("month", "quarter", "half", "year")
_MONTHS_IN = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_PATTERN = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])"
                      r"|H(?P<half>[12])))?")
LABELS = {"month": "月度", "quarter": "季度", "half": "半年", "year": "年度"}
# The kinds as adjectives in messages (in Chinese the labels above).
_KIND_WORDS = {"month": N_("monthly"), "quarter": N_("quarterly"), "half": N_("half-yearly"),
               "year": N_("yearly")}


class PeriodError(ValueError):
    """Text that is not a period."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A period as its first month (year, month) and its length in months."""

    year: int
    first_month: int
    kind: str

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PATTERN.fullmatch(text.strip())
        if match is None:
            raise PeriodError(_("{text!r} is not a period: write 2024-03 (month), 2024-Q1 "
                                "(quarter), 2024-H1 (half-year) or 2024 (year)").format(
                                  text=text))
        year = int(match["year"])
        if match["month"]:
            return cls(year, int(match["month"]), "month")
        if match["quarter"]:
            return cls(year, 3 * int(match["quarter"]) - 2, "quarter")
        if match["half"]:
            return cls(year, 6 * int(match["half"]) - 5, "half")
        return cls(year, 1, "year")

    @property
    def months(self) -> int:
        return _MONTHS_IN[self.kind]

    @property
    def index(self) -> int:
        """Position on a month axis: comparable across kinds by first month."""
        return self.year * 12 + self.first_month - 1

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.first_month:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.first_month + 2) // 3}"
        if self.kind == "half":
            return f"{self.year}-H{(self.first_month + 5) // 6}"
        return str(self.year)

    def contains(self, other: Period) -> bool:
        return self.index <= other.index and \
            other.index + other.months <= self.index + self.months

    def parts(self, kind: str) -> tuple[Period, ...]:
        """The periods of `kind` this period is made of, in order (2024-Q1 → three months)."""
        size = _MONTHS_IN[kind]
        if size > self.months or self.months % size:
            raise PeriodError(_("a {kind} period is not made of {part} periods").format(
                kind=_(_KIND_WORDS[self.kind]), part=_(_KIND_WORDS[kind])))
        return tuple(_from_index(self.index + i * size, kind)
                     for i in range(self.months // size))

    def enclosing(self, kind: str) -> Period:
        """The period of `kind` that contains this one (2024-02 → 2024-Q1)."""
        size = _MONTHS_IN[kind]
        if size < self.months:
            raise PeriodError(_("a {kind} period cannot contain a {part} period").format(
                kind=_(_KIND_WORDS[kind]), part=_(_KIND_WORDS[self.kind])))
        start = (self.index // size) * size
        return _from_index(start, kind)

    def shift(self, steps: int) -> Period:
        """The period `steps` periods of the same kind later (earlier when negative)."""
        return _from_index(self.index + steps * self.months, self.kind)


def _from_index(index: int, kind: str) -> Period:
    return Period(index // 12, index % 12 + 1, kind)


# Facts a scheme may declare with `source: period`: filled from the period being evaluated
# (`--period`, or `period:` in the facts file), never typed in by hand. A period longer than a
# month is described by its last month (2024-Q1 → month_of_year 3, is_quarter_end true).
PERIOD_FACTS = {
    "month_of_year": "integer",     # 1..12
    "month_of_quarter": "integer",  # 1..3
    "quarter_of_year": "integer",   # 1..4
    "is_quarter_end": "boolean",    # the last month of a quarter (3, 6, 9, 12)
    "is_half_end": "boolean",       # 6, 12
    "is_year_end": "boolean",       # 12
}


def period_values(period: Period) -> dict[str, object]:
    """The value of every name in PERIOD_FACTS for `period` (integers as Decimal)."""
    from decimal import Decimal

    last = period.first_month + period.months - 1
    return {"month_of_year": Decimal(last), "month_of_quarter": Decimal((last - 1) % 3 + 1),
            "quarter_of_year": Decimal((last - 1) // 3 + 1), "is_quarter_end": last % 3 == 0,
            "is_half_end": last % 6 == 0, "is_year_end": last == 12}
