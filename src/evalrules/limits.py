"""Limits on what evalrules reads and computes, as one object passed in.

Every reader and the formula compiler take a `Limits`; `DEFAULT_LIMITS` suits the command line
(schemes written by an organisation department, facts from its units), `SERVICE_LIMITS` is the
stricter profile for services where schemes and facts are uploaded by users. docs/security.md
explains each field: what it prevents, its default and its service value.

A program passes the limits it wants. The command line's `--profile service` cannot reach every
call, so it sets the *active* limits for the run (`use`); functions that were given
`DEFAULT_LIMITS` (the default argument) then apply the active ones (`effective`).
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .i18n import _

MB = 1_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on the input evalrules reads and the work it does (see docs/security.md)."""

    # Scheme files
    scheme_bytes: int = 2 * MB  # size of one scheme file
    yaml_depth: int = 64  # nesting of mappings and lists, in schemes and YAML/JSON facts
    yaml_nodes: int = 200_000  # keys, values and containers of one scheme file
    text_chars: int = 100_000  # one text value: a YAML scalar, a spreadsheet cell, a result
    # Numbers read from schemes and facts; computed values (see docs/security.md)
    integer_digits: int = 15  # digits before the decimal point: |x| < 10**15
    fraction_digits: int = 20  # decimal places of a number read; smallest non-zero result
    # Formulas
    formula_chars: int = 2_000
    formula_nodes: int = 400  # parts of the syntax tree, where= conditions included
    formula_depth: int = 40
    max_exponent: int = 100  # the largest |n| in x ** n
    unit_work: int = 20_000_000  # parts of formulas run on list records, for one unit
    # Facts files
    facts_bytes: int = 200 * MB  # size of one facts file (YAML, JSON, CSV or XLSX)
    facts_nodes: int = 1_000_000  # keys, values and containers of one YAML or JSON facts file
    max_list_records: int = 100_000  # records of one list fact for one unit
    table_rows: int = 100_000  # rows of one sheet or CSV file
    table_columns: int = 1_000  # columns of one sheet or CSV file
    xlsx_bytes: int = 200 * MB  # uncompressed size of all the parts of a workbook
    xlsx_ratio: int = 200  # uncompressed / compressed size of one part (above 1 MB)
    xlsx_members: int = 2_000  # files inside the workbook's zip

    @classmethod
    def service(cls) -> Limits:
        """The profile for services that evaluate uploaded schemes and facts."""
        return SERVICE_LIMITS

    @classmethod
    def profile(cls, name: str) -> Limits:
        """The limits of a named profile: `cli` (the default) or `service`."""
        try:
            return PROFILES[name]
        except KeyError:
            raise ValueError(f"unknown limits profile {name!r}; profiles: "
                             f"{', '.join(PROFILES)}") from None

    def replace(self, **changes: Any) -> Limits:
        """A copy with some fields changed: `DEFAULT_LIMITS.replace(scheme_bytes=500_000)`."""
        return dataclasses.replace(self, **changes)


DEFAULT_LIMITS = Limits()

SERVICE_LIMITS = Limits(
    scheme_bytes=256_000,
    yaml_depth=32,
    yaml_nodes=30_000,
    text_chars=10_000,
    formula_chars=1_000,
    formula_nodes=200,
    formula_depth=24,
    max_exponent=50,
    unit_work=2_000_000,
    facts_bytes=10 * MB,
    facts_nodes=300_000,
    max_list_records=10_000,
    table_rows=20_000,
    table_columns=300,
    xlsx_bytes=50 * MB,
    xlsx_ratio=100,
    xlsx_members=200,
)

PROFILES: dict[str, Limits] = {"cli": DEFAULT_LIMITS, "service": SERVICE_LIMITS}

_ACTIVE: contextvars.ContextVar[Limits] = contextvars.ContextVar("evalrules_limits",
                                                                default=DEFAULT_LIMITS)


def active() -> Limits:
    """The limits in force for calls that were given `DEFAULT_LIMITS`."""
    return _ACTIVE.get()


def effective(limits: Limits) -> Limits:
    """`limits`, or the active limits when `limits` is `DEFAULT_LIMITS`."""
    return _ACTIVE.get() if limits is DEFAULT_LIMITS else limits


@contextmanager
def use(limits: Limits) -> Iterator[Limits]:
    """Make `limits` the active limits inside the block (the CLI's --profile)."""
    token = _ACTIVE.set(limits)
    try:
        yield limits
    finally:
        _ACTIVE.reset(token)


def activate(limits: Limits) -> None:
    """Make `limits` the active limits for the rest of this context (a CLI run)."""
    _ACTIVE.set(limits)


def number_problem(value: Decimal, limits: Limits) -> str | None:
    """Why a number read from a scheme, a facts file or a formula literal is refused, or None.

    The number must be finite, with at most `integer_digits` digits before the decimal point and
    `fraction_digits` after it (trailing zeros not counted). A number written `1e999999999` is
    small on disk and a gigabyte of digits when shown; one beyond 34 significant digits would be
    rounded silently by the arithmetic.

    The reason is the predicate of a sentence whose subject is the number, in the current
    language: "the number `x` {reason}".
    """
    if not value.is_finite():
        return _("is not a finite number")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    length = len(digits)
    while length > 1 and digits[length - 1] == 0:  # trailing zeros
        length -= 1
        exponent += 1
    if length + exponent > limits.integer_digits and any(digits):
        return _("has {digits} digits before the decimal point; numbers have at most "
                 "{most}").format(digits=length + exponent, most=limits.integer_digits)
    if -exponent > limits.fraction_digits:
        return _("has {places} decimal places; numbers have at most {most}").format(
            places=-exponent, most=limits.fraction_digits)
    if length > 34:
        return _("has {digits} significant digits; arithmetic keeps {kept}").format(
            digits=length, kept=34)
    return None


def result_problem(value: Decimal, limits: Limits, digits: int = 34) -> str | None:
    """Why a number a formula computed is refused, or None: it must be finite, have fewer than
    `digits` digits before the decimal point (34 less the scheme's decimal places, so that
    rounding stays exact), and be zero or at least 10**-fraction_digits. The reason is a
    predicate, as with `number_problem`: "the result {reason}"."""
    if not value.is_finite():
        return _("is not a finite number")
    if not value:
        return None
    magnitude = value.adjusted()
    if magnitude >= digits:
        return _("is {value}: more than {digits} digits before the decimal point, beyond "
                 "exact arithmetic").format(value=f"{value:.3E}", digits=digits)
    if magnitude < -limits.fraction_digits:
        return _("is {value}, smaller than 1E-{places} (the smallest non-zero "
                 "value)").format(value=f"{value:.3E}", places=limits.fraction_digits)
    return None
