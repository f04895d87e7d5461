"""Commands over periods and many units: roll-ups, rankings and awards, a unit's history."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from ..i18n import N_, _
from .app import _emit, _load, handle_errors, main, output_option, scheme_argument

store_option = click.option("--store", "store_path", required=True,
                            type=click.Path(dir_okay=False, path_type=Path),
                            help=N_("The results store (an SQLite file; created when "
                                    "missing)."))


def _period(text: str) -> str:
    from ..periods import Period, PeriodError

    try:
        return str(Period.parse(text))
    except PeriodError as exc:
        raise UsageError(str(exc)) from None


@main.command(
    short_help=N_("Roll stored results up to a longer period."),
    help=N_("Roll stored results up to a longer period (a quarter's stars from its months, a "
            "year's grade from its quarters) and store the outcome."))
@scheme_argument
@store_option
@click.option("--period", required=True,
              help=N_("The longer period to make, e.g. 2024-Q1 or 2024."))
@click.option("--rollup", "rollup_id", default=None,
              help=N_("The roll-up to apply (default: the one that makes this kind of "
                      "period)."))
@click.option("--replace", is_flag=True, help=N_("Replace this period's stored roll-up."))
@output_option
@handle_errors
def rollup(scheme: Path, store_path: Path, period: str, rollup_id: str | None, replace: bool,
           output: Path | None) -> None:
    from ..cohort import cohort, roll_up
    from ..periods import Period
    from ..render.history import format_period
    from ..store import SQLiteStore

    compiled = _load(scheme)
    model = compiled.model
    target = Period.parse(_period(period))
    candidates = [r for r in model.rollups if r.to == target.kind
                  and (rollup_id is None or r.id == rollup_id)]
    if not candidates:
        if rollup_id:
            raise UsageError(_("the scheme declares no roll-up to a {kind} named `{rollup}`")
                             .format(kind=target.kind, rollup=rollup_id))
        raise UsageError(_("the scheme declares no roll-up to a {kind}").format(
            kind=target.kind))
    chosen = candidates[0]
    part_kind = model.period_of(chosen.source)
    source_kind = "evaluation" if chosen.source == "evaluation" else chosen.source
    with SQLiteStore(store_path) as store:
        parts = {}
        for part in target.parts(part_kind):
            run = store.current_run(model.id, str(part), source_kind)
            parts[str(part)] = store.records(run.id) if run is not None else []
        records, awards = cohort(model, roll_up(model, chosen, target, parts), str(target))
        info = store.save_run(scheme_id=model.id, scheme_version=model.version,
                              scheme_hash=compiled.hash, facts_hash="", period=str(target),
                              kind=chosen.id, units=records, replace=replace)
    title = _("{rollup} {period} (run {run}, {units} units)").format(
        rollup=chosen.label, period=target, run=info.id, units=info.units)
    _emit(format_period(model, records, awards, title), output)


@main.command(
    short_help=N_("Rankings, quota effects and awards of a stored period."),
    help=N_("Rankings, quota effects and awards of a stored period."))
@scheme_argument
@store_option
@click.option("--period", required=True,
              help=N_("The stored period, e.g. 2024-03 or 2024-Q1."))
@click.option("--kind", default="evaluation", show_default=True,
              help=N_("`evaluation`, or the id of the roll-up that made the period."))
@output_option
@handle_errors
def rank(scheme: Path, store_path: Path, period: str, kind: str, output: Path | None) -> None:
    from ..cohort import cohort
    from ..render.history import format_period
    from ..store import SQLiteStore, UnitRecord

    compiled = _load(scheme)
    model = compiled.model
    with SQLiteStore(store_path) as store:
        run = store.current_run(model.id, _period(period), kind)
        if run is None:
            raise UsageError(_("no stored results of `{kind}` for {period} in {store}").format(
                kind=kind, period=period, store=store_path))
        stored = store.records(run.id)
    # Stored records carry their quota changes already (applying quotas again changes
    # nothing); ranks and awards are worked out again from the stored points.
    records, awards = cohort(model, stored, run.period)
    first = model.rankings[0].id if model.rankings else None

    def by_rank(record: UnitRecord) -> tuple[int, str]:
        return record.notes.get("ranks", {}).get(first, 0), record.unit

    _emit(format_period(model, sorted(records, key=by_rank), awards,
                        _("{period} (run {run})").format(period=run.period, run=run.id)),
          output)


@main.command(
    short_help=N_("A unit's results period by period, and its roll-ups."),
    help=N_("A unit's results period by period, its star movement, and roll-up "
            "derivations."))
@scheme_argument
@store_option
@click.option("--unit", "unit_id", required=True, help=N_("The unit whose history to show."))
@click.option("--period", default=None,
              help=N_("Also show how this period's rolled-up result was reached."))
@output_option
@handle_errors
def history(scheme: Path, store_path: Path, unit_id: str, period: str | None,
            output: Path | None) -> None:
    from ..render.history import format_derivation, format_history
    from ..store import SQLiteStore

    compiled = _load(scheme)
    model = compiled.model
    with SQLiteStore(store_path) as store:
        records = store.history(model.id, unit_id)
    if not records:
        raise UsageError(_("no stored results for unit `{unit}` of {scheme} in {store}").format(
            unit=unit_id, scheme=model.id, store=store_path))
    text = format_history(model, records)
    if period is not None:
        wanted = _period(period)
        by_key = {(r.period, r.notes.get("rollup", "evaluation")): r for r in records}
        top = [r for r in records if r.period == wanted]
        if not top:
            raise UsageError(_("unit `{unit}` has no stored result for {period}").format(
                unit=unit_id, period=wanted))
        text += "\n\n" + format_derivation(model, top[-1], by_key)
    _emit(text, output)


@main.command(
    short_help=N_("Rectification items: found, due, rectified or overdue."),
    help=N_("Rectification items and their follow-up review: found when, due when, "
            "rectified or overdue."))
@scheme_argument
@store_option
@click.option("--unit", "unit_id", default=None, help=N_("Only this unit's items."))
@click.option("--all", "show_all", is_flag=True, help=N_("Also the items already rectified."))
@click.option("--as-of", "as_of", default=None,
              help=N_("Mark items overdue as of this period (default: the latest stored "
                      "one)."))
@output_option
@handle_errors
def rectification(scheme: Path, store_path: Path, unit_id: str | None, show_all: bool,
                  as_of: str | None, output: Path | None) -> None:
    from ..periods import Period
    from ..render.history import format_items
    from ..store import SQLiteStore

    compiled = _load(scheme)
    model = compiled.model
    if model.rectification is None:
        raise UsageError(_("{file} declares no `rectification`").format(file=scheme))
    with SQLiteStore(store_path) as store:
        items = store.items(model.id, open_only=not show_all)
        runs = [r for r in store.runs(model.id) if r.kind == "evaluation"
                and r.status == "current"]
    if unit_id is not None:
        items = [i for i in items if i.unit == unit_id]
    latest = _period(as_of) if as_of else (
        str(max((Period.parse(r.period) for r in runs), key=lambda p: p.index + p.months))
        if runs else "")
    _emit(format_items(model, items, latest), output)
