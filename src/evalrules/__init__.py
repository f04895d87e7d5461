"""evalrules: evaluation schemes as declarative YAML, every point explained.

    >>> import evalrules
    >>> scheme = evalrules.load_scheme("schemes/star-branch-5521.yaml")  # doctest: +SKIP
    >>> result = scheme.evaluate({"id": "B01", "category": "production", "facts": {...}})
    >>> print(evalrules.render_explanation(result.explain()))
"""

from .api import CompiledScheme, check, load_scheme
from .diagnostics import Diagnostic, Location, Severity
from .errors import EvalrulesError, EvaluationError, FactsError, SchemeError, UsageError
from .evaluate import Result
from .explain import Explanation
from .facts import FactsFile, Subject
from .limits import DEFAULT_LIMITS, Limits

__version__ = "0.1.0"

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
    "Result",
    "SchemeError",
    "Severity",
    "Subject",
    "UsageError",
    "__version__",
    "check",
    "load_scheme",
]
