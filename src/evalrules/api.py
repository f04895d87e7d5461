"""The library surface: load and check a scheme, evaluate units, explain results."""

from __future__ import annotations

import decimal
import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import diagnostics as dg
from .compiler import Plan, compile_scheme
from .diagnostics import Diagnostic, Location
from .errors import SchemeError
from .facts import FactsFile, Subject, read_facts, subject_from_mapping
from .i18n import _
from .limits import DEFAULT_LIMITS, Limits
from .model import Scheme, build_scheme
from .numeric import CONTEXT, ZERO
from .validate import validate_document
from .yamlsource import load_yaml

if TYPE_CHECKING:
    # Imported when a scheme is compiled for evaluation, not by `evalrules check`.
    from .evaluate import Evaluator, Result, Scores


class _ThreadContext(threading.local):
    """Each thread's own copy of the context scoring runs in (a context is mutable)."""

    def __init__(self) -> None:
        self.context = CONTEXT.copy()


# Swapped in for each call to `score`: cheaper than entering a fresh localcontext.
_SCORING = _ThreadContext()
# Set when the first scheme compiles its scorers (importing them here would slow `check`).
_UNIT_ERRORS: tuple[type[BaseException], ...] = ()
_Scores: type[Scores]


@dataclass(frozen=True, slots=True)
class CompiledScheme:
    """A checked, compiled scheme: immutable, safe to share between threads."""

    model: Scheme
    plan: Plan
    warnings: tuple[Diagnostic, ...]
    _evaluator: Evaluator
    _scorers: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _limits: Limits = field(default=DEFAULT_LIMITS, repr=False, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the scheme's source text, file name, limits and hash; unpickling checks
        and compiles it again (compiled code does not pickle), so process pools and
        distributed engines can ship a compiled scheme to their workers."""
        limits = None if self._limits is DEFAULT_LIMITS else self._limits  # keep "the default"
        return (_unpickle, (self.model.text, self.model.file, limits, self.hash))

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def hash(self) -> str:
        """sha256 of the scheme's source text, as recorded in every result."""
        return self._evaluator.scheme_hash

    def evaluate(self, unit: Subject | Mapping[str, Any]) -> Result:
        """Evaluate one unit: a Subject, or a mapping {id, category, facts, name?}.

        Raises FactsError for facts that do not match the scheme and EvaluationError when a
        formula cannot be computed for this unit (both name the unit and the place).
        """
        subject = unit if isinstance(unit, Subject) else subject_from_mapping(self.model, unit)
        return self._evaluator.evaluate(subject)

    def evaluate_all(self, units: Iterable[Subject | Mapping[str, Any]]) -> Iterator[Result]:
        for unit in units:
            yield self.evaluate(unit)

    def levels_held(self, unit: Subject | Mapping[str, Any]) -> dict[str, list[str]]:
        """For each rating, the levels whose extra condition holds for the unit (kept with
        stored results so that roll-ups can band their ratings again)."""
        subject = unit if isinstance(unit, Subject) else subject_from_mapping(self.model, unit)
        return self._evaluator.levels_held(subject)

    def score(self, unit: Subject | Mapping[str, Any]) -> Scores:
        """Points, ratings and fired rules of one unit, without the trace (much faster).

        Equal to `evaluate(unit)` in every figure; errors are raised the same way.
        """
        context = decimal.getcontext()
        decimal.setcontext(_SCORING.context)
        try:
            return self._score(unit)
        finally:
            decimal.setcontext(context)

    def score_all(self, units: Iterable[Subject | Mapping[str, Any]]) -> Iterator[Scores]:
        # One swap per unit: a context held across `yield` would be the caller's in between.
        for unit in units:
            yield self.score(unit)

    def prepare(self) -> None:
        """Generate now the code that scoring and checking facts otherwise generate on first
        use: before forking workers, so that they share it instead of each generating it."""
        from .factcode import unit_checker

        self._compiled_scorers()
        unit_checker(self.model, now=True)

    def _compiled_scorers(self) -> dict[str, Any]:
        global _UNIT_ERRORS, _Scores
        if not self._scorers:
            from .codegen import UNIT_ERRORS, compile_scorers
            from .evaluate import Scores

            # Bound once here, not imported at each unit: an import statement costs 2 µs.
            _UNIT_ERRORS, _Scores = UNIT_ERRORS, Scores
            self._scorers.update(compile_scorers(self.plan))
        return self._scorers

    def _score(self, unit: Subject | Mapping[str, Any]) -> Scores:
        subject = unit if isinstance(unit, Subject) else subject_from_mapping(self.model, unit)
        scorers = self._scorers or self._compiled_scorers()
        points: Mapping[str, Any]
        try:
            points, ratings, fired, award = scorers[subject.category](subject.values)
        except _UNIT_ERRORS:
            # The traced evaluator raises the same failure with its place in the scheme.
            from .codegen import point_index
            from .evaluate import Points

            result = self._evaluator.evaluate(subject)
            index = point_index(self.plan)  # the scheme's order, as the scorer gives
            points = Points(index, tuple(result.points[k] for k in index))
            ratings = dict(result.ratings)
            fired, award = list(result.fired), result.award_eligible
        total = points.get("total")
        return _Scores(subject.id, subject.name, subject.category,
                       total if total is not None else ZERO, points,
                       MappingProxyType(ratings), tuple(fired), award, subject)

    def read_facts(self, path: str | Path, limits: Limits = DEFAULT_LIMITS) -> FactsFile:
        """Read and check a YAML or JSON facts file for this scheme."""
        return read_facts(self.model, path, limits)


def _source(source: str | Path | None, text: str | None, path: str | Path | None
            ) -> tuple[str, str, bytes]:
    """(text, file name, raw bytes) of the scheme given as `source`, `text=` or `path=`."""
    if sum(x is not None for x in (source, text, path)) != 1:
        raise TypeError("give the scheme exactly once: as source, text= or path=")
    if text is not None:
        return text, "<text>", text.encode("utf-8")
    # A one-line str ending in .yaml is taken for a path: convenient at a prompt, but a
    # service handing on uploaded text must say text= so that it is never read as a path.
    if isinstance(source, str) and ("\n" in source
                                    or not source.strip().endswith((".yaml", ".yml"))):
        return source, "<text>", source.encode("utf-8")
    file = Path(path if path is not None else source)  # type: ignore[arg-type]
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SchemeError([dg.make("unreadable-file",
                                   _("cannot read the scheme: {reason}").format(
                                       reason=exc.strerror or exc), Location(str(file)),
                                   _("check the path"))]) from None
    try:
        return data.decode("utf-8-sig"), str(file), data
    except UnicodeDecodeError as exc:
        raise SchemeError([dg.make("unreadable-file",
                                   _("the scheme is not UTF-8 text (byte {byte})").format(
                                       byte=exc.start), Location(str(file)),
                                   _("save it as UTF-8"))]) from None


def check(source: str | Path | None = None, limits: Limits = DEFAULT_LIMITS, *,
          text: str | None = None, path: str | Path | None = None
          ) -> tuple[CompiledScheme | None, list[Diagnostic]]:
    """Every problem in a scheme, sorted by place, and the compiled scheme when there is none.

    Give the scheme once: `text=` (never read as a path: what a service passes on), `path=`
    (always a file), or `source`, a Path, or a str taken for a path when it is one line
    ending in .yaml/.yml and for the scheme's text otherwise.
    """
    try:
        text, file, raw = _source(source, text, path)
    except SchemeError as exc:
        return None, list(exc.diagnostics)
    return _check_text(text, file, "sha256:" + hashlib.sha256(raw).hexdigest(), limits)


def diagnose(source: str | Path | None = None, limits: Limits = DEFAULT_LIMITS, *,
             text: str | None = None, path: str | Path | None = None) -> list[Diagnostic]:
    """Every problem in a scheme, sorted by place: `check` without building what evaluation
    needs (the evaluator is not even imported), for `evalrules check`. The scheme is given
    as in `check`."""
    try:
        text, file, _raw = _source(source, text, path)
    except SchemeError as exc:
        return list(exc.diagnostics)
    return _checked(text, file, limits)[2]


def _checked(text: str, file: str, limits: Limits
             ) -> tuple[Scheme | None, Plan | None, list[Diagnostic]]:
    """The model and plan of a scheme with no error, and every problem, sorted by place."""
    doc, problems = load_yaml(text, file, limits)
    if doc is None:
        return None, None, dg.sorted_diagnostics(problems)
    schema_problems = validate_document(doc)
    problems += schema_problems
    if any(p.code == "S105" for p in schema_problems):
        return None, None, dg.sorted_diagnostics(problems)
    model, model_problems = build_scheme(doc, file)
    problems += model_problems
    if model is None:
        return None, None, dg.sorted_diagnostics(problems)
    plan, compile_problems = compile_scheme(model, limits)
    problems += compile_problems
    problems += _test_problems(model)
    problems = dg.sorted_diagnostics(problems)
    if plan is None or any(p.is_error for p in problems):
        return None, None, problems
    return model, plan, problems


def _check_text(text: str, file: str, digest: str, limits: Limits
                ) -> tuple[CompiledScheme | None, list[Diagnostic]]:
    """`check` of text read already; `digest` is the hash of the file's bytes."""
    model, plan, problems = _checked(text, file, limits)
    if model is None or plan is None:
        return None, problems
    from .evaluate import Evaluator

    warnings = tuple(p for p in problems if not p.is_error)
    # `digest` is of the bytes, as sha256sum shows.
    return CompiledScheme(model, plan, warnings, Evaluator(plan, digest), _limits=limits), problems


def _unpickle(text: str, file: str, limits: Limits | None, digest: str) -> CompiledScheme:
    compiled, problems = _check_text(text, file, digest,
                                     DEFAULT_LIMITS if limits is None else limits)
    if compiled is None:
        raise SchemeError(problems)
    return compiled


def _test_problems(model: Scheme) -> list[Diagnostic]:
    """Embedded tests whose facts do not fit the scheme cannot run: report them now."""
    from .facts import facts_for_test

    out = []
    for test in model.tests:
        if not test.category or model.category(test.category) is None:
            continue  # reported already
        _subject, problems = facts_for_test(model, test.name, test.category, test.facts,
                                          test.facts_location)
        out += [dg.make("bad-test", _("test `{test}` cannot run: {problem}").format(
            test=test.name, problem=p.message), p.location, p.hint) for p in problems]
    return out


def load_scheme(source: str | Path | None = None, limits: Limits = DEFAULT_LIMITS, *,
                text: str | None = None, path: str | Path | None = None) -> CompiledScheme:
    """Load, check and compile a scheme; raise SchemeError carrying every diagnostic.

    The scheme is given as in `check`: `text=`, `path=`, or `source`.
    """
    compiled, problems = check(source, limits, text=text, path=path)
    if compiled is None:
        raise SchemeError(problems)
    return compiled
