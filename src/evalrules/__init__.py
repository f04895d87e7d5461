"""evalrules: evaluation schemes as declarative YAML, every point explained.

    >>> import evalrules
    >>> scheme = evalrules.load_scheme("schemes/star-branch-5521.yaml")
    >>> facts = scheme.read_facts("examples/star-branch-5521/facts.yaml")
    >>> result = scheme.evaluate(facts.units[0])
    >>> str(result.total), result.ratings["stars"]
    ('100.00', '5')

Names are imported on first use, so that `evalrules --help` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import CompiledScheme, check, load_scheme
    from .diagnostics import Diagnostic, Location, Severity
    from .errors import (
        EvalrulesError,
        EvaluationError,
        FactsError,
        OutputError,
        SchemeError,
        UsageError,
    )
    from .evaluate import Result
    from .explain import Explanation
    from .facts import FactsFile, Subject
    from .limits import DEFAULT_LIMITS, Limits

__version__ = "0.1.0"

_HOMES = {
    "CompiledScheme": "api", "check": "api", "load_scheme": "api",
    "Diagnostic": "diagnostics", "Location": "diagnostics", "Severity": "diagnostics",
    "EvalrulesError": "errors", "EvaluationError": "errors", "FactsError": "errors",
    "OutputError": "errors", "SchemeError": "errors", "UsageError": "errors",
    "Result": "evaluate", "Explanation": "explain", "FactsFile": "facts", "Subject": "facts",
    "DEFAULT_LIMITS": "limits", "Limits": "limits",
}

__all__ = [
    "DEFAULT_LIMITS",
    "CompiledScheme",
    "Diagnostic",
    "EvalrulesError",
    "EvaluationError",
    "Explanation",
    "FactsError",
    "FactsFile",
    "Limits",
    "Location",
    "OutputError",
    "Result",
    "SchemeError",
    "Severity",
    "Subject",
    "UsageError",
    "__version__",
    "check",
    "load_scheme",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'evalrules' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
