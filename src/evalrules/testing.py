"""Run the examples embedded in a scheme (`tests:`) and report what differs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .api import CompiledScheme
from .diagnostics import Diagnostic, Location
from .errors import EvaluationError
from .evaluate import Result
from .facts import facts_for_test
from .model import SchemeTest


@dataclass(frozen=True, slots=True)
class Mismatch:
    what: str  # "total", "points.basic", "ratings.stars", "fired", ...
    expected: Any
    actual: Any


@dataclass(frozen=True, slots=True)
class TestOutcome:
    name: str
    location: Location
    mismatches: tuple[Mismatch, ...]
    problems: tuple[Diagnostic, ...]  # facts that do not fit the scheme
    error: str  # an evaluation error
    result: Result | None

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.problems and not self.error


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    return None


def compare(test: SchemeTest, result: Result) -> list[Mismatch]:
    out: list[Mismatch] = []
    expect = test.expect
    if "total" in expect and _number(expect["total"]) != result.total:
        out.append(Mismatch("total", expect["total"], result.total))
    points = expect.get("points")
    if isinstance(points, dict):
        for node, value in points.items():
            actual = result.points.get(node)
            if node not in result.points or _number(value) != actual:
                out.append(Mismatch(f"points.{node}", value, actual))
    ratings = expect.get("ratings")
    if isinstance(ratings, dict):
        for rating, level in ratings.items():
            actual_level = result.ratings.get(rating)
            if rating not in result.ratings or level != actual_level:
                out.append(Mismatch(f"ratings.{rating}", level, actual_level))
    if isinstance(expect.get("fired"), list) and sorted(expect["fired"]) != sorted(result.fired):
        out.append(Mismatch("fired", sorted(expect["fired"]), sorted(result.fired)))
    if isinstance(expect.get("not_applicable"), list):
        actual_na = sorted(k for k, v in result.points.items() if v is None)
        if sorted(expect["not_applicable"]) != actual_na:
            out.append(Mismatch("not_applicable", sorted(expect["not_applicable"]), actual_na))
    if "award_eligible" in expect and expect["award_eligible"] != result.award_eligible:
        out.append(Mismatch("award_eligible", expect["award_eligible"], result.award_eligible))
    return out


def run_tests(scheme: CompiledScheme) -> list[TestOutcome]:
    outcomes = []
    for test in scheme.model.tests:
        subject, problems = facts_for_test(scheme.model, test.name, test.category, test.facts,
                                           test.facts_location)
        if subject is None:
            outcomes.append(TestOutcome(test.name, test.location, (), tuple(problems), "", None))
            continue
        try:
            result = scheme.evaluate(subject)
        except EvaluationError as exc:
            outcomes.append(TestOutcome(test.name, test.location, (), (), str(exc), None))
            continue
        outcomes.append(TestOutcome(test.name, test.location, tuple(compare(test, result)), (),
                                    "", result))
    return outcomes
