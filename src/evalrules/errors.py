"""The one exception hierarchy of evalrules. Each class owns its CLI exit code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .i18n import _

if TYPE_CHECKING:  # not imported at run time: `evalrules --help` needs no diagnostics
    from .diagnostics import Diagnostic, Location


class EvalrulesError(Exception):
    """Base of every error evalrules raises on purpose."""

    exit_code = 1


class SchemeError(EvalrulesError, ValueError):
    """A scheme that cannot be used; carries every diagnostic found."""

    exit_code = 3

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else None
        count = len(errors)
        if first is None:
            summary = _("{count} error(s) in scheme").format(count=count)
        else:
            summary = _("{count} error(s) in scheme; first: {where}: {code} {message}").format(
                count=count, where=first.location, code=first.code, message=first.message)
        super().__init__(summary)


class FactsError(EvalrulesError, ValueError):
    """Facts that do not match the scheme's declarations; carries every diagnostic found."""

    exit_code = 4

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        count = len(self.diagnostics)
        if first is None:
            summary = _("{count} problem(s) in facts").format(count=count)
        else:
            summary = _("{count} problem(s) in facts; first: {where}: {code} {message}").format(
                count=count, where=first.location, code=first.code, message=first.message)
        super().__init__(summary)


class EvaluationError(EvalrulesError, ArithmeticError):
    """A formula failed for one unit's facts (division by zero, a value outside its range)."""

    exit_code = 5

    def __init__(self, message: str, *, unit: str = "", node: str = "",
                 location: Location | None = None) -> None:
        self.unit = unit
        self.node = node
        self.location = location
        where = f"{location}: " if location is not None and location.line else ""
        if unit:
            message = _("unit {unit}: {message}").format(unit=unit, message=message)
        super().__init__(f"{where}{message}")


class UsageError(EvalrulesError):
    """A request the library cannot serve as asked (an unknown unit or node)."""

    exit_code = 2


class StoreError(EvalrulesError):
    """The results store cannot do what was asked (a period already stored, a bad file)."""

    exit_code = 7


class OutputError(EvalrulesError, OSError):
    """A result file that cannot be written; earlier results are left as they were."""

    exit_code = 6
