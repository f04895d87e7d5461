"""Commands that check schemes, evaluate units and explain results."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from ..i18n import N_, _
from .app import (
    EXIT_TESTS_FAILED,
    EXTENSIONS,
    FORMATS,
    REPORT_FORMATS,
    _emit,
    _emit_bytes,
    _list_files,
    _load,
    _progress,
    _read_facts_for,
    facts_argument,
    handle_errors,
    main,
    output_option,
    report_diagnostics,
    scheme_argument,
)

if TYPE_CHECKING:
    from ..api import CompiledScheme
    from ..evaluate import Result
    from ..explain import Explanation
    from ..facts import FactsFile
    from ..store import UnitRecord


def _unknown_unit(unit_id: str, facts: Path, close: str | None, ids: Sequence[str]) -> str:
    """The message for a unit id the facts file does not hold."""
    if close is not None:
        return _("no unit `{unit}` in {file}; did you mean {close}?").format(
            unit=unit_id, file=facts, close=close)
    return _("no unit `{unit}` in {file}; units: {units}").format(
        unit=unit_id, file=facts, units=", ".join(ids[:20]))


@main.command(
    short_help=N_("Check schemes and report every problem."),
    help=N_("Check schemes and report every problem with file:line:column and a hint."))
@click.argument("schemes", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=N_("Diagnostics as text lines or as one JSON document."))
@click.option("--strict", is_flag=True, help=N_("Treat warnings as errors (exit 1)."))
def check(schemes: Sequence[Path], fmt: str, strict: bool) -> None:
    from .. import api

    every = []
    for path in schemes:
        every.extend(api.diagnose(path))
    report_diagnostics(every, fmt, strict,
                       _("{count} scheme(s) checked: no problems").format(count=len(schemes)))


@main.command(
    short_help=N_("Evaluate every unit of a facts file."),
    help=N_("Evaluate every unit in FACTS (YAML, JSON, XLSX or CSV) and report totals, "
            "ratings and the rules that fired: as text, JSON, CSV, an XLSX workbook, Markdown "
            "or an HTML audit report."))
@scheme_argument
@facts_argument
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help=N_("Output format (default: from the output file's extension, else text)."))
@output_option
@click.option("--list", "lists", multiple=True, metavar="FACT=FILE",
              help=N_("CSV file holding a list fact's records, for CSV facts (repeatable; by "
                      "default FACTS's stem + .FACT.csv beside it)."))
@click.option("--skip-invalid", is_flag=True,
              help=N_("Evaluate the units whose facts are valid and list the others, instead "
                      "of refusing the whole file."))
@click.option("--period", default=None,
              help=N_("The period the facts cover, e.g. 2024-03 (default: the facts file's)."))
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help=N_("Record the run in this results store (an SQLite file)."))
@click.option("--replace", is_flag=True,
              help=N_("With --store: replace the period's stored results (kept in the "
                      "history)."))
@handle_errors
def evaluate(scheme: Path, facts: Path, fmt: str | None, output: Path | None,
             lists: Sequence[str], skip_invalid: bool, period: str | None,
             store_path: Path | None, replace: bool) -> None:
    from ..render import jsonout
    from ..render.text import format_results

    if fmt is None:
        fmt = EXTENSIONS.get(output.suffix.lower(), "text") if output is not None else "text"
    if fmt == "xlsx" and output is None:
        raise UsageError(_("an XLSX workbook needs an output file: add -o results.xlsx"))
    compiled = _load(scheme)
    data, skipped = _read_facts_for(compiled, facts, _list_files(lists), skip_invalid,
                                    period)
    if store_path is not None and compiled.model.rectification is not None:
        data = _with_overdue(compiled, data, period, store_path)
    report = fmt in REPORT_FORMATS
    results: list[Result] = []
    explanations: list[Explanation] = []
    with _progress(len(data.units), _("evaluating")) as advance:
        for unit in data.units:
            result = compiled.evaluate(unit)
            results.append(result)
            if report:
                explanations.append(result.explain())
            advance(1)
    model = compiled.model
    adjusted = None
    if store_path is not None or model.rankings or model.quotas or model.awards:
        text, adjusted = _period_run(compiled, data, results, period, store_path, replace)
        if fmt == "text":
            _emit(text, output)
            return
    if fmt == "json":
        _emit(jsonout.dumps(jsonout.results(
            results, scheme_id=compiled.id, scheme_version=compiled.version,
            scheme_hash=compiled.hash, facts_file=str(facts), facts_hash=data.digest,
            period=period or data.period, adjusted=adjusted)), output)
        return
    if not report:
        _emit(format_results(results, compiled.model), output)
        return
    from ..summary import summarize

    summary = summarize(compiled.model, results, scheme_hash=compiled.hash,
                        facts_file=str(facts), facts_hash=data.digest,
                        period=period or data.period,
                        skipped=skipped, explanations=explanations, adjusted=adjusted)
    if fmt == "xlsx":
        from ..render.xlsx import results_workbook

        _emit_bytes(results_workbook(summary), output)
    elif fmt == "csv":
        from ..render.csvout import results_csv

        _emit_bytes(results_csv(summary), output)
    elif fmt == "md":
        from ..render.markdown import results_markdown

        _emit(results_markdown(summary), output)
    else:
        from .. import __version__
        from ..render.html import report_html

        _emit_bytes(report_html(summary, f"evalrules {__version__}").encode("utf-8"), output)


@main.command(
    short_help=N_("Write a fill-in facts workbook for a scheme."),
    help=N_("Write a fill-in workbook for the facts SCHEME declares: Chinese headers with the "
            "ids kept for reading back, notes with units and ranges, drop-down lists and range "
            "checks, a sheet per list fact and an instructions sheet."))
@scheme_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=N_("The workbook to write (.xlsx), atomically."))
@click.option("--rows", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help=N_("Rows prepared with drop-down lists and range checks, per sheet."))
@handle_errors
def template(scheme: Path, output: Path, rows: int) -> None:
    if output.suffix.lower() != ".xlsx":
        raise UsageError(_("the template is an Excel workbook: name it .xlsx, not {name}")
                         .format(name=output.name))
    from ..render.template import template_bytes

    compiled = _load(scheme)
    _emit_bytes(template_bytes(compiled.model, rows), output)


@main.command(
    short_help=N_("Show how one unit's points were reached, down to the facts."),
    help=N_("Show how one unit's points were reached, down to the facts."))
@scheme_argument
@facts_argument
@click.option("--unit", "unit_id", required=True, help=N_("Id of the unit to explain."))
@click.option("--node", "node_id", default=None,
              help=N_("Explain only this indicator subtree."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help=N_("The explanation as text or as an evalrules.explanation JSON document."))
@click.option("--period", default=None,
              help=N_("The period the facts cover, e.g. 2024-03 (default: the facts file's)."))
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help=N_("Take the unit's overdue rectification items as of the "
                                    "facts' period from this results store."))
@output_option
@handle_errors
def explain(scheme: Path, facts: Path, unit_id: str, node_id: str | None, fmt: str,
            period: str | None, store_path: Path | None, output: Path | None) -> None:
    from ..render import jsonout
    from ..render.text import format_explanation

    compiled = _load(scheme)
    data, _skipped = _read_facts_for(compiled, facts, {}, False, period)
    if store_path is not None and compiled.model.rectification is not None:
        data = _with_overdue(compiled, data, period, store_path)
    unit = next((u for u in data.units if u.id == unit_id), None)
    if unit is None:
        import difflib

        ids = [u.id for u in data.units]
        close = difflib.get_close_matches(unit_id, ids, n=1)
        raise UsageError(_unknown_unit(unit_id, facts, close[0] if close else None, ids))
    if node_id is not None and compiled.model.node(node_id) is None:
        import difflib

        nodes = [n.id for n in compiled.model.nodes()]
        close = difflib.get_close_matches(node_id, nodes, n=1)
        if close:
            raise UsageError(_("no indicator `{node}` in {file}; did you mean {close}?").format(
                node=node_id, file=scheme, close=close[0]))
        raise UsageError(_("no indicator `{node}` in {file}").format(node=node_id, file=scheme))
    explanation = compiled.evaluate(unit).explain()
    if fmt == "json":
        payload = jsonout.explanation(explanation)
        payload["facts"] = {"file": str(facts), "hash": data.digest}
        text = jsonout.dumps(payload)
    else:
        text = format_explanation(explanation, node_id)
    _emit(text, output)


@main.command(
    "test",
    short_help=N_("Run the examples embedded in each scheme's `tests:`."),
    help=N_("Run the examples embedded in each scheme's `tests:`."))
@click.argument("schemes", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coverage", "with_coverage", is_flag=True,
              help=N_("Also report which criteria, rating levels, deductions, bonuses and "
                      "vetoes the tests exercised."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help=N_("Results as lines of text or as one evalrules.tests JSON document."))
@handle_errors
def test_command(schemes: Sequence[Path], with_coverage: bool, fmt: str) -> None:
    from ..coverage import coverage
    from ..render.authoring import coverage_json, format_coverage, outcomes_json
    from ..render.text import format_diagnostic
    from ..testing import run_tests

    failed = passed = 0
    reports = []
    documents = []
    for path in schemes:
        compiled = _load(path)
        outcomes = run_tests(compiled)
        report = coverage(compiled.model, outcomes) if with_coverage else None
        if report is not None:
            reports.append(format_coverage(report))
        documents.append({"scheme": {"id": compiled.id, "version": compiled.version,
                                     "file": str(path)},
                          "tests": outcomes_json(outcomes),
                          **({"coverage": coverage_json(report)} if report else {})})
        for outcome in outcomes:
            if outcome.passed:
                passed += 1
                if fmt == "text":
                    click.echo(_("PASS {location}: {name}").format(
                        location=outcome.location, name=outcome.name))
                continue
            failed += 1
            if fmt != "text":
                continue
            click.echo(_("FAIL {location}: {name}").format(location=outcome.location,
                                                            name=outcome.name))
            for m in outcome.mismatches:
                click.echo("  " + _("{what}: expected {expected}, got {actual}").format(
                    what=m.what, expected=m.expected, actual=m.actual))
            for d in outcome.problems:
                click.echo("  " + format_diagnostic(d).replace("\n", "\n  "))
            if outcome.error:
                click.echo("  " + _("error: {message}").format(message=outcome.error))
    if fmt == "json":
        from ..render import jsonout

        click.echo(jsonout.dumps({"format": "evalrules.tests", "format_version": 1,
                                  "schemes": documents, "passed": passed, "failed": failed}))
    else:
        click.echo(_("{passed} passed, {failed} failed").format(passed=passed, failed=failed))
        for text in reports:
            click.echo("\n" + text)
    if failed:
        sys.exit(EXIT_TESTS_FAILED)


@main.command(
    short_help=N_("Print a scheme's dependency graph."),
    help=N_("Print the scheme's dependency graph (facts → criteria → groups → rules → "
            "ratings)."))
@scheme_argument
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True, help=N_("Graphviz dot or a Mermaid flowchart."))
@output_option
@handle_errors
def graph(scheme: Path, fmt: str, output: Path | None) -> None:
    from ..render.graph import to_dot, to_mermaid

    compiled = _load(scheme)
    _emit(to_dot(compiled.plan) if fmt == "dot" else to_mermaid(compiled.plan), output)


@main.command(
    short_help=N_("Generate realistic facts from example units."),
    help=N_("Generate realistic facts for a whole enterprise, varied from example units."))
@scheme_argument
@click.option("--like", "examples", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("Facts file whose units the generated ones are varied from."))
@click.option("--units", default=359, show_default=True, type=click.IntRange(1, 1_000_000),
              help=N_("How many units to generate."))
@click.option("--seed", default=2024, show_default=True, type=int,
              help=N_("The same seed always gives the same file."))
@click.option("--period", default="", help=N_("Period written into the facts file."))
@output_option
@handle_errors
def generate(scheme: Path, examples: Path, units: int, seed: int, period: str,
             output: Path | None) -> None:
    from ..generate import generate as make_units
    from ..generate import to_yaml

    compiled = _load(scheme)
    like = compiled.read_facts(examples)
    text = to_yaml(make_units(compiled.model, like.units, units, seed), compiled.id,
                   period or like.period,
                   # The same seed gives the same file, whatever the language.
                   f"{units} units generated by evalrules generate (seed {seed}) from {examples}")
    _emit(text, output)




def _period_run(compiled: CompiledScheme, data: FactsFile, results: Sequence[Result],
                period: str | None, store_path: Path | None, replace: bool
                ) -> tuple[str, list[UnitRecord]]:
    """Rank, apply quotas and awards to a period's results, record them in the store when
    asked, and return the period's table."""
    from ..cohort import cohort, record_of
    from ..periods import Period, PeriodError
    from ..render.history import format_period

    model = compiled.model
    text = period or data.period
    if store_path is not None and not text:
        raise UsageError(_("--store needs the period: add --period 2024-03 (or `period:` in "
                           "the facts file)"))
    if text:
        try:
            text = str(Period.parse(text))
        except PeriodError as exc:
            raise UsageError(str(exc)) from None
    keep_levels = bool(model.rollups) and any(lv.when for r in model.ratings for lv in r.levels)
    by_id = {u.id: u for u in data.units}
    records = [record_of(r, compiled.levels_held(by_id[r.unit]) if keep_levels else None, text)
               for r in results]
    records, awards = cohort(model, records, text)
    title = text
    if store_path is not None:
        from ..rectify import opened_items, reported_closed
        from ..store import SQLiteStore

        with SQLiteStore(store_path) as store:
            info = store.save_run(scheme_id=model.id, scheme_version=model.version,
                                  scheme_hash=compiled.hash, facts_hash=data.digest,
                                  period=text, kind="evaluation", units=records,
                                  replace=replace, opened=opened_items(model, results, text),
                                  closed=reported_closed(model, data.units))
        title = _("{period} (recorded: run {run}, {units} units)").format(
            period=text, run=info.id, units=info.units)
    return format_period(model, records, awards, title), records


def _with_overdue(compiled: CompiledScheme, data: FactsFile, period: str | None,
                  store_path: Path) -> FactsFile:
    """The facts with each unit's overdue rectification items from the store."""
    from dataclasses import replace

    from ..periods import Period, PeriodError
    from ..rectify import with_overdue
    from ..store import SQLiteStore

    text = period or data.period
    try:
        text = str(Period.parse(text))
    except PeriodError as exc:
        raise UsageError(_("--store needs the period: {problem}").format(problem=exc)) from None
    with SQLiteStore(store_path) as store:
        items = store.items(compiled.model.id, open_only=False)
    # The items still open at this period: a past period explained or evaluated again later
    # sees the items that were open then.
    start = Period.parse(text).index
    items = [i for i in items if i.closed is None or Period.parse(i.closed).index >= start]
    return replace(data, units=tuple(with_overdue(compiled.model, data.units, items, text)))
