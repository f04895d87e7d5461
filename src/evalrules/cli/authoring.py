"""Commands for scheme authors and auditors: lint, diff, what-if, gaps, init."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import FactsError, UsageError
from ..i18n import N_, _
from .app import (
    _emit,
    _load,
    facts_argument,
    handle_errors,
    main,
    output_option,
    report_diagnostics,
    scheme_argument,
)
from .evaluation import _unknown_unit

if TYPE_CHECKING:
    from ..api import CompiledScheme
    from ..facts import FactsFile, Subject

format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True,
                             help=N_("The report as text or as one JSON document."))


def _unit(compiled: CompiledScheme, facts: Path, unit_id: str) -> tuple[FactsFile, Subject]:
    data = compiled.read_facts(facts)
    unit = next((u for u in data.units if u.id == unit_id), None)
    if unit is None:
        import difflib

        ids = [u.id for u in data.units]
        close = difflib.get_close_matches(unit_id, ids, n=1)
        raise UsageError(_unknown_unit(unit_id, facts, close[0] if close else None, ids))
    return data, unit


@main.command(
    short_help=N_("Find what `check` cannot see in a scheme."),
    help=N_("Find what `check` cannot: maxima that do not add up, bands no points reach, "
            "criteria and rules no test exercises, deductions larger than their node, vetoes "
            "that never fire, missing labels and bases."))
@click.argument("schemes", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
@click.option("--strict", is_flag=True, help=N_("Exit with 1 when there is any warning."))
@click.option("--ignore", "ignored", multiple=True, metavar="CODE",
              help=N_("Leave out findings with this code, e.g. L104 (repeatable)."))
def lint(schemes: Sequence[Path], fmt: str, strict: bool, ignored: Sequence[str]) -> None:
    from .. import api
    from ..diagnostics import CODES
    from ..lint import LINT_CODES
    from ..lint import lint as find

    known = {c.code for c in CODES.values()}
    unknown = [c for c in ignored if c.upper() not in known]
    if unknown:
        raise click.BadParameter(_("{codes} (lint codes: {known})").format(
            codes=", ".join(unknown), known=", ".join(LINT_CODES)), param_hint="--ignore")
    skip = {c.upper() for c in ignored}
    every = []
    for path in schemes:
        compiled, problems = api.check(path)
        if compiled is None:
            every.extend(problems)
            continue
        every.extend(d for d in find(compiled) if d.code not in skip)
    report_diagnostics(every, fmt, strict,
                       _("{count} scheme(s) linted: no problems").format(count=len(schemes)))


@main.command(
    short_help=N_("Compare two versions of a scheme; --facts: impact on units."),
    help=N_("Compare two versions of a scheme: indicators added, removed, moved or changed; "
            "maxima, formulas, weights, bands and vetoes. With --facts, every unit's old and "
            "new total and levels, who changes level, and counts."))
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--facts", "facts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("Evaluate these units with both versions and show the impact."))
@format_option
@output_option
@handle_errors
def diff(old: Path, new: Path, facts: Path | None, fmt: str, output: Path | None) -> None:
    from ..diff import diff as compare
    from ..diff import impact
    from ..render import jsonout
    from ..render.authoring import diff_json, format_diff

    before, after = _load(old), _load(new)
    result = compare(before, after)
    effect = None
    if facts is not None:
        effect = impact(before, after, before.read_facts(facts), after.read_facts(facts))
    if fmt == "json":
        _emit(jsonout.dumps(diff_json(result, effect)), output)
    else:
        _emit(format_diff(result, effect), output)


@main.command(
    "what-if",
    short_help=N_("One unit's result with some facts changed."),
    help=N_("Evaluate one unit as it is and with some facts changed, and show the steps that "
            "changed: node points, deductions and bonuses, vetoes, ratings, derived values."))
@scheme_argument
@facts_argument
@click.option("--unit", "unit_id", required=True, help=N_("Id of the unit."))
@click.option("--set", "assignments", multiple=True, required=True, metavar="FACT=VALUE",
              help=N_("A fact and the value to assume, read by the fact's type "
                      "(repeatable)."))
@format_option
@output_option
@handle_errors
def what_if(scheme: Path, facts: Path, unit_id: str, assignments: Sequence[str], fmt: str,
            output: Path | None) -> None:
    from ..render import jsonout
    from ..render.authoring import format_what_if, what_if_json
    from ..whatif import parse_assignments
    from ..whatif import what_if as compare

    compiled = _load(scheme)
    _data, unit = _unit(compiled, facts, unit_id)
    values, problems = parse_assignments(compiled, assignments)
    if problems:
        raise FactsError(problems)
    result = compare(compiled, unit, values)
    text = jsonout.dumps(what_if_json(result)) if fmt == "json" else format_what_if(result)
    _emit(text, output)


@main.command(
    short_help=N_("Where one unit lost points; the way to the next level."),
    help=N_("Where one unit lost points, criterion by criterion, largest first with the rule "
            "and its basis; and the fewest criteria to raise to their max to reach the next "
            "level."))
@scheme_argument
@facts_argument
@click.option("--unit", "unit_id", required=True, help=N_("Id of the unit."))
@click.option("--rating", "rating_id", default=None,
              help=N_("The rating whose next level to aim at (default: the first rating that "
                      "bands a node)."))
@click.option("--budget", default=2000, show_default=True, type=click.IntRange(1, 1_000_000),
              help=N_("Most evaluations for the exact search of the fewest improvements."))
@format_option
@output_option
@handle_errors
def gaps(scheme: Path, facts: Path, unit_id: str, rating_id: str | None, budget: int, fmt: str,
         output: Path | None) -> None:
    from ..gaps import gaps as find
    from ..render import jsonout
    from ..render.authoring import format_gaps, gaps_json

    compiled = _load(scheme)
    if rating_id is not None and compiled.model.rating(rating_id) is None:
        ratings = ", ".join(r.id for r in compiled.model.ratings)
        if not ratings:
            raise UsageError(_("no rating `{rating}` in {file}; it declares no ratings").format(
                rating=rating_id, file=scheme))
        raise UsageError(_("no rating `{rating}` in {file}; ratings: {ratings}").format(
            rating=rating_id, file=scheme, ratings=ratings))
    _data, unit = _unit(compiled, facts, unit_id)
    result = find(compiled, unit, rating_id, budget)
    _emit(jsonout.dumps(gaps_json(result)) if fmt == "json" else format_gaps(result), output)


@main.command(
    short_help=N_("Write a commented scaffold of a new scheme."),
    help=N_("Write a commented scaffold of a new scheme that passes check, test and lint."))
@click.option("--id", "scheme_id", default="new-scheme", show_default=True,
              help=N_("The new scheme's id (lower case: letters, digits, _ . -)."))
@click.option("--title", default=None,
              help=N_("The new scheme's title (default: Party branch evaluation scheme, in the "
                      "chosen language)."))
@click.option("--year", default=2025, show_default=True, type=click.IntRange(2000, 2100),
              help=N_("The year of its version and effective date."))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write the scheme to this file instead of standard output."))
@click.option("--force", is_flag=True, help=N_("Replace the output file if it exists."))
@handle_errors
def init(scheme_id: str, title: str | None, year: int, output: Path | None, force: bool) -> None:
    from ..scaffold import scaffold

    if output is not None and output.exists() and not force:
        raise UsageError(_("{file} exists; choose another name or add --force").format(
            file=output))
    try:
        text = scaffold(scheme_id, title or "", year,
                        output.name if output else "scheme.yaml")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _emit(text, output)
