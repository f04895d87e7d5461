"""Commands for large populations: stream units from a file through the scheme to a file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..i18n import N_, _
from .app import _load, facts_argument, handle_errors, main, scheme_argument


@main.command(
    short_help=N_("Score a large facts file in constant memory."),
    help=N_("Score every unit of FACTS (JSON Lines, one unit a line, or CSV, one row a unit) "
            "in constant memory, on JOBS cores: totals, ratings, fired rules — one row per "
            "unit, in input order. Explain any unit afterwards with `evalrules explain`."))
@scheme_argument
@facts_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Results file, .csv or .jsonl, written atomically (default: JSON Lines "
                      "on standard output)."))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help=N_("Output format (default: from the output file's extension)."))
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64),
              help=N_("Worker processes; results keep the input order."))
@click.option("--chunk", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help=N_("Units per piece of work."))
@click.option("--points", is_flag=True, help=N_("Also write every indicator's points."))
@click.option("--skip-invalid", is_flag=True,
              help=N_("Write the units whose facts are valid and report the others, instead "
                      "of writing nothing."))
@click.option("--period", default=None,
              help=N_("The period the facts cover, e.g. 2024-03: fills in the scheme's facts "
                      "declared `source: period`."))
@handle_errors
def score(scheme: Path, facts: Path, output: Path | None, fmt: str | None, jobs: int,
          chunk: int, points: bool, skip_invalid: bool, period: str | None) -> None:
    from ..render.text import format_diagnostics
    from ..stream import score_file

    compiled = _load(scheme)
    started = time.perf_counter()
    size = facts.stat().st_size
    bar = None
    if sys.stderr.isatty() and size:
        bar = click.progressbar(length=size, label=_("scoring"), file=sys.stderr, width=30,
                                show_eta=True, show_percent=True)
        bar.__enter__()
    try:
        summary = score_file(compiled, facts, output, fmt=fmt, jobs=jobs, chunk=chunk,
                             points=points, skip_invalid=skip_invalid,
                             progress=bar.update if bar is not None else None, period=period)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if summary.problems:
        click.echo(format_diagnostics(summary.problems), err=True)
        click.echo(_("skipped {count} unit(s) with errors (--skip-invalid)").format(
            count=summary.skipped), err=True)
    seconds = time.perf_counter() - started
    figures = {"units": f"{summary.units:,}", "seconds": f"{seconds:.1f}",
               "rate": f"{summary.units / seconds if seconds else 0:,.0f}", "jobs": jobs}
    if output is not None:
        line = _("scored {units} unit(s) to {file} in {seconds} s ({rate} units/s, {jobs} "
                 "job(s))").format(file=output, **figures)
    else:
        line = _("scored {units} unit(s) in {seconds} s ({rate} units/s, {jobs} job(s))"
                 ).format(**figures)
    click.echo(line, err=True)
