"""Score units streamed from a file to a file, in constant memory, on several cores.

Input: JSON Lines (one unit a line: `{"id": ..., "category": ..., "name": ..., "facts": {...}}`)
or CSV (a header row naming the columns by id or label — `id`/单位编号, `name`/单位名称,
`category`/单位类别, one column per fact and `<fact>.reason` for a discretionary fact's
reason — then one row per unit). Every unit is checked by the facts checker exactly as a facts
file is, then scored by the compiled scheme. Output: CSV or JSON Lines, one row per unit in
input order, written atomically (a temporary file beside the target, renamed at the end).

Work is cut into chunks of lines; with `jobs > 1` a pool of processes checks and scores the
chunks (each worker gets the scheme — pickled where processes are spawned — and compiles its
scorers once) while this process reads ahead a bounded number of chunks and writes results in
order. The input never accumulates in memory; the unit ids seen, kept to refuse duplicates,
are held in memory up to 100,000 and in a temporary SQLite database beyond (`SeenIds`), so
that memory stays bounded however many units a file holds.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import compress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import diagnostics as dg
from .cells import neutral
from .diagnostics import Diagnostic, Location
from .errors import FactsError, OutputError, UsageError
from .i18n import _, current_language, set_language

if TYPE_CHECKING:
    from .api import CompiledScheme
    from .evaluate import Scores

INPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
MAX_PROBLEMS = 1000  # diagnostics kept for the report; later ones are only counted


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """What a streamed run did."""

    units: int  # scored and written
    skipped: int  # units with problems, left out (only with skip_invalid)
    problems: tuple[Diagnostic, ...]  # the first MAX_PROBLEMS problems found
    problem_count: int


# ----------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class _Layout:
    """How to read one chunk: the input format, the file name and, for CSV, the columns."""

    fmt: str
    file: str
    columns: tuple[str, ...] = ()  # CSV: the key of each column (unit key, fact id, reason)
    # The values of the scheme's `source: period` facts (fact id, value), when a period is given.
    period: tuple[tuple[str, Any], ...] | None = None


def input_format(path: Path) -> str:
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(_("cannot stream {file}: name it .jsonl (JSON Lines) or .csv").format(
            file=path.name))
    return fmt


def _csv_layout(scheme: CompiledScheme, header: Sequence[str], file: str) -> _Layout:
    from .tablefacts import REASON, REASON_LABEL, UNIT_COLUMNS

    keys: dict[str, str] = {}
    for key, label in UNIT_COLUMNS.items():
        keys[label] = key
        keys[key] = key
    for fact in scheme.model.facts:
        keys[fact.label] = fact.id
        keys[fact.id] = fact.id
        if fact.type == "discretionary":
            for name in (fact.id + REASON, fact.label + REASON_LABEL,
                         fact.label + REASON_LABEL.strip()):
                keys[name] = fact.id + REASON
    problems = []
    columns = []
    for i, text in enumerate(header, start=1):
        found = keys.get(text.strip().lstrip("\ufeff"))
        key = found or ""
        decl = scheme.model.fact(key) if key else None
        if not key or (decl is not None and decl.is_list):
            message = (_("column {column!r} is a list fact, which a streamed CSV cannot hold")
                       if key else _("column {column!r} is unknown"))
            problems.append(dg.make("unknown-fact", message.format(column=text),
                                    Location(file, 1, i), _("name columns by fact id or label; "
                                                            "give list facts in a JSON Lines "
                                                            "file")))
        columns.append(key)
    if "id" not in columns:
        problems.append(dg.make("bad-facts-file", _("the CSV has no column `id` ({label})").format(
            label=UNIT_COLUMNS["id"]), Location(file, 1, 1),
            _("add a column headed {key} or {label}").format(key="id", label=UNIT_COLUMNS["id"])))
    if problems:
        raise FactsError(problems)
    return _Layout("csv", file, tuple(columns))


@functools.cache
def _csv_reading() -> tuple[Any, str, Any, Any]:
    """What reading a CSV row needs, imported once (the import brings in openpyxl)."""
    from .tablefacts import EMPTY, REASON, coerce
    from .workbook import CellValue

    return EMPTY, REASON, coerce, CellValue


def _raw_unit(scheme: CompiledScheme, layout: _Layout, item: Any) -> Any:
    """The unit as the facts checker expects it, from a JSON line or a CSV row."""
    if layout.fmt == "jsonl":
        return json.loads(item, parse_float=Decimal)
    EMPTY, REASON, coerce, CellValue = _csv_reading()
    raw: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for column, (key, text) in enumerate(zip(layout.columns, item, strict=False), start=1):
        if key in ("id", "name", "category"):
            raw[key] = text.strip() or None
        elif key.endswith(REASON):
            if text.strip():
                reasons[key[: -len(REASON)]] = text.strip()
        elif key:
            decl = scheme.model.fact(key)
            assert decl is not None
            value = coerce(decl, CellValue(text, "value", 0, column))
            if value is not EMPTY:
                facts[key] = value
    for fact_id, reason in reasons.items():
        facts[fact_id] = {"value": facts.get(fact_id), "reason": reason}
    raw["facts"] = facts
    return raw


# ----------------------------------------------------------------------------------------------
# Checking and scoring a chunk (in a worker, or in this process)

_WORKER: dict[str, Any] = {}


def _init_worker(scheme: CompiledScheme, layout: _Layout, fmt: str, points: bool,
                 lang: str | None = None) -> None:
    _WORKER.update(scheme=scheme, layout=layout, fmt=fmt, points=points)
    if lang is not None:  # messages in the language of the process that started the pool
        set_language(lang)


@dataclass(slots=True)
class _Done:
    """A chunk's results: (unit id, output row) in order, problems, units skipped."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    skipped: int = 0
    size: int = 0  # bytes of input the chunk held, for the progress bar


def _work(chunk: tuple[list[tuple[int, Any]], int]) -> _Done:
    return _process(_WORKER["scheme"], _WORKER["layout"], _WORKER["fmt"], _WORKER["points"],
                    chunk)


def _process(scheme: CompiledScheme, layout: _Layout, fmt: str, points: bool,
             chunk: tuple[list[tuple[int, Any]], int]) -> _Done:
    from .facts import UnitChecker

    items, size = chunk
    # One checker per chunk: duplicate ids across chunks are found by the caller.
    checker = UnitChecker(scheme.model, lambda path, key=False: Location(
        layout.file, int(path[0]) if path else 0, 0, tuple(path[1:])),
        period_values=dict(layout.period) if layout.period is not None else None)
    writer = _Writer(scheme, fmt, points)
    done = _Done(size=size)
    for line, item in items:
        try:
            raw = _raw_unit(scheme, layout, item)
        except ValueError as exc:  # not JSON
            done.problems.append(dg.make("bad-facts-file",
                                         _("line {line} is not a JSON object: {problem}").format(
                                             line=line, problem=exc),
                                         Location(layout.file, line),
                                         _("write one {{\"id\", \"category\", \"facts\"}} "
                                           "object a line").format()))
            done.skipped += 1
            continue
        subject, problems = checker.check(raw if isinstance(raw, dict) else {"": raw}, (line,))
        if subject is None:
            done.problems.extend(problems or [dg.make(
                "bad-unit", _("line {line} is not a unit").format(line=line),
                Location(layout.file, line))])
            done.skipped += 1
            continue
        writer.row(scheme.score(subject))
        done.rows.append((subject.id, writer.text()))
    return done


# ----------------------------------------------------------------------------------------------
# Writing


def output_format(path: Path | None, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if path is None:
        return "jsonl"
    found = OUTPUT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UsageError(_("cannot tell the output format of {file}: name it .csv or .jsonl, "
                           "or give --format").format(file=path.name))
    return found


_SEP = (",", ":")


def _plain(value: Decimal) -> str:
    return format(value, "f")


class _Writer:
    """Rows of results as CSV or JSON Lines text. Points are exact: written digit for digit."""

    def __init__(self, scheme: CompiledScheme, fmt: str, points: bool) -> None:
        self.fmt = fmt
        self.ratings = [r.id for r in scheme.model.ratings]
        self.nodes = [n.id for n in scheme.model.nodes()] if points else []
        self.point_columns = [n for n in self.nodes if n != "total"]  # total is a column
        self.not_total = [n != "total" for n in self.nodes]
        self.node_keys = [json.dumps(n) for n in self.nodes]
        self.buffer = io.StringIO(newline="")
        self.csv = csv.writer(self.buffer, lineterminator="\r\n") if fmt == "csv" else None

    def header(self) -> str:
        if self.csv is None:
            return ""
        self.csv.writerow([neutral(c) for c in ["id", "name", "category", "total",
                                                *self.ratings, "fired", "award_eligible",
                                                *self.point_columns]])
        return self.text()

    def row(self, scores: Scores) -> None:
        # `score` gives the points in the scheme's order of nodes, the order of self.nodes.
        if self.csv is not None:
            cells: list[Any] = [scores.unit, scores.name, scores.category, scores.total,
                                *[scores.ratings.get(r) for r in self.ratings],
                                " ".join(scores.fired), "true" if scores.award_eligible
                                else "false"]
            if self.nodes:
                cells.extend(compress(scores.points.values(), self.not_total))
            self.csv.writerow([neutral(c) for c in cells])
            return
        dumps = json.dumps
        parts = [f'{{"id":{dumps(scores.unit, ensure_ascii=False)}',
                 f'"name":{dumps(scores.name, ensure_ascii=False)}',
                 f'"category":{dumps(scores.category)}',
                 f'"total":{_plain(scores.total)}',
                 f'"ratings":{dumps(dict(scores.ratings), ensure_ascii=False, separators=_SEP)}',
                 f'"fired":{dumps(list(scores.fired), separators=_SEP)}',
                 f'"award_eligible":{"true" if scores.award_eligible else "false"}']
        if self.nodes:
            inner = ",".join(f'{key}:{"null" if v is None else _plain(v)}'
                             for key, v in zip(self.node_keys, scores.points.values(),
                                               strict=True))
            parts.append(f'"points":{{{inner}}}')
        self.buffer.write(",".join(parts) + "}\n")

    def text(self) -> str:
        out = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return out


def atomic_text(path: Path, encoding: str = "utf-8") -> AbstractContextManager[IO[str]]:
    """A text file written to a temporary file beside `path` and renamed over it at the end
    (evalrules.atomic: the permissions of the file it replaces, or 0666 less the umask for a
    new one; removed by a run stopped at its limits); on any error the temporary file is
    removed and `path` is left as it was."""
    from .atomic import open_atomic

    return open_atomic(path, "w", encoding=encoding, newline="")


# ----------------------------------------------------------------------------------------------
# Duplicate ids


class SeenIds:
    """The unit ids of a run so far, to refuse a duplicate, in bounded memory.

    Up to `in_memory` ids are kept in a set; past that they move to a private temporary SQLite
    database (`sqlite3.connect("")`: deleted when closed, its pages in a cache of `cache_kib`
    KiB and the rest in a temporary file that SQLite removes), and every later id is looked
    up and added there. The answer is exact either way: a duplicate is refused where it is
    read, with the same problem as before, however many units the input holds.
    """

    def __init__(self, in_memory: int = 100_000, cache_kib: int = 8192) -> None:
        self.in_memory = in_memory
        self.cache_kib = cache_kib
        self.ids: set[str] | None = set()
        self.db: Any = None

    def add(self, unit_id: str) -> bool:
        """Record `unit_id`; False when it was recorded before."""
        if self.ids is not None:
            if unit_id in self.ids:
                return False
            self.ids.add(unit_id)
            if len(self.ids) > self.in_memory:
                self._spill()
            return True
        cursor = self.db.execute("INSERT OR IGNORE INTO seen (id) VALUES (?)", (unit_id,))
        return bool(cursor.rowcount == 1)

    def commit(self) -> None:
        """End the current transaction (called once a chunk: one transaction per chunk)."""
        if self.db is not None:
            self.db.commit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self.ids = set()

    def _spill(self) -> None:
        import sqlite3

        db = sqlite3.connect("")
        db.execute(f"PRAGMA cache_size = -{int(self.cache_kib)}")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
        assert self.ids is not None
        db.executemany("INSERT INTO seen (id) VALUES (?)", ((i,) for i in self.ids))
        db.commit()
        self.db, self.ids = db, None


# ----------------------------------------------------------------------------------------------
# The run


def _chunks(path: Path, fmt: str, size: int, layout_out: list[_Layout], scheme: CompiledScheme,
            period: tuple[tuple[str, Any], ...] | None = None
            ) -> Iterator[tuple[list[tuple[int, Any]], int]]:
    """([(line number, line or row), ...], bytes) per chunk, blank lines left out; for CSV the
    header is read first."""
    if fmt == "jsonl":
        layout_out.append(_Layout("jsonl", str(path), period=period))
        with path.open("rb") as binary:
            items: list[tuple[int, Any]] = []
            nbytes = 0
            for number, line in enumerate(binary, start=1):
                nbytes += len(line)
                if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if not line.strip():
                    continue
                items.append((number, line))
                if len(items) >= size:
                    yield items, nbytes
                    items, nbytes = [], 0
            if items or nbytes:
                yield items, nbytes
        return
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise FactsError([dg.make("bad-facts-file", _("the CSV file is empty"),
                                      Location(str(path)), _("start with a header row"))])
        layout = _csv_layout(scheme, header, str(path))
        waiting = [f.id for f in scheme.model.facts
                   if f.source == "period" and f.id not in layout.columns]
        if waiting and period is None:
            raise UsageError(_("the scheme reads the period ({names}), and {file} has no column "
                               "for it: pass --period, e.g. --period 2024-03").format(
                                   names=", ".join(waiting), file=path.name))
        layout_out.append(replace(layout, period=period))
        rows: list[tuple[int, Any]] = []
        ended = reader.line_num  # a row starts on the line after the previous one ended
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((ended + 1, row))
            ended = reader.line_num
            if len(rows) >= size:
                yield rows, sum(len(c) + 1 for _line, r in rows for c in r)
                rows = []
        if rows:
            yield rows, sum(len(c) + 1 for _line, r in rows for c in r)


def score_file(scheme: CompiledScheme, source: str | Path, output: str | Path | None = None,
               *, fmt: str | None = None, jobs: int = 1, chunk: int = 500,
               points: bool = False, skip_invalid: bool = False,
               progress: Callable[[int], None] | None = None,
               stdout: IO[str] | None = None, period: str | None = None) -> StreamSummary:
    """Check and score every unit of `source` (.jsonl or .csv) and write one row per unit, in
    input order, to `output` (.csv or .jsonl; atomically) or to `stdout`.

    With problems in the facts nothing is written and FactsError lists them (the first
    MAX_PROBLEMS); with `skip_invalid` the valid units are written and the problems returned.
    `progress` is called with the size of the input done (bytes of JSON Lines, characters of
    CSV), chunk by chunk. `period` (e.g. "2024-03") fills in the scheme's `source: period` facts,
    as for a facts file; without it the input must state them (a CSV without their columns is
    refused up front).
    """
    source = Path(source)
    out_path = Path(output) if output is not None else None
    in_fmt = input_format(source)
    out_fmt = output_format(out_path, fmt)
    if out_fmt not in ("csv", "jsonl"):
        raise UsageError(_("unknown output format {format!r}: csv or jsonl").format(
            format=out_fmt))
    layouts: list[_Layout] = []
    chunks = _chunks(source, in_fmt, max(1, chunk), layouts, scheme,
                     _period_items(scheme, period))
    try:
        if out_path is None:
            return _run(scheme, chunks, layouts, out_fmt, jobs, points, skip_invalid,
                        progress, stdout)
        with atomic_text(out_path, "utf-8-sig" if out_fmt == "csv" else "utf-8") as handle:
            return _run(scheme, chunks, layouts, out_fmt, jobs, points, skip_invalid,
                        progress, handle)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise UsageError(_("cannot read {file}: {reason}").format(
            file=source, reason=exc.strerror or exc)) from None


def _period_items(scheme: CompiledScheme, period: str | None
                  ) -> tuple[tuple[str, Any], ...] | None:
    """The values of the scheme's period facts for `period`; UsageError for text that is not
    a period."""
    if period is None:
        return None
    from .periods import Period, PeriodError, period_values

    try:
        values = period_values(Period.parse(period))
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    return tuple((f.id, values.get(f.id)) for f in scheme.model.facts if f.source == "period")


def _run(scheme: CompiledScheme, chunks: Iterator[tuple[list[tuple[int, Any]], int]],
         layouts: list[_Layout], fmt: str, jobs: int, points: bool, skip_invalid: bool,
         progress: Callable[[int], None] | None, handle: IO[str] | None) -> StreamSummary:
    import sys

    out = handle if handle is not None else sys.stdout
    seen = SeenIds()
    problems: list[Diagnostic] = []
    count = skipped = written = 0
    header_done = False

    def take(done: _Done) -> None:
        nonlocal count, skipped, written, header_done
        if not header_done:
            out.write(_Writer(scheme, fmt, points).header())
            header_done = True
        count += len(done.problems)
        problems.extend(done.problems[: max(0, MAX_PROBLEMS - len(problems))])
        skipped += done.skipped
        for unit_id, row in done.rows:
            if not seen.add(unit_id):  # within a chunk the checker finds it; across, here
                count += 1
                skipped += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(dg.make("duplicate-unit",
                                            _("unit `{unit}` appears twice").format(unit=unit_id),
                                            Location(layouts[0].file),
                                            _("give each unit its own id")))
                continue
            if not count or skip_invalid:
                out.write(row)
                written += 1
        seen.commit()
        if progress is not None:
            progress(done.size)

    first = next(chunks, None)  # reads the CSV header: the layout is known from here on
    if first is not None:
        try:
            if jobs <= 1:
                for item in _prepend(first, chunks):
                    take(_process(scheme, layouts[0], fmt, points, item))
            else:
                _parallel(scheme, layouts[0], fmt, points, jobs, _prepend(first, chunks), take)
        finally:
            seen.close()
    elif not header_done:
        out.write(_Writer(scheme, fmt, points).header())
    if count and not skip_invalid:
        raise FactsError(problems)
    return StreamSummary(written, skipped, tuple(problems), count)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _parallel(scheme: CompiledScheme, layout: _Layout, fmt: str, points: bool, jobs: int,
              chunks: Iterator[Any], take: Callable[[_Done], None]) -> None:
    """Chunks through a pool of `jobs` processes, results in input order. At most a few chunks
    per worker are read ahead: Pool.imap alone would read the whole input into its queue."""
    import multiprocessing

    window = threading.BoundedSemaphore(jobs * 4)

    def bounded() -> Iterator[Any]:
        for item in chunks:
            window.acquire()
            yield item

    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if forking else None)
    if forking:  # generated once here and inherited, not once in every worker
        scheme.prepare()
    with context.Pool(jobs, initializer=_init_worker,
                      initargs=(scheme, layout, fmt, points, current_language())) as pool:
        for done in pool.imap(_work, bounded()):
            window.release()
            take(done)


# ----------------------------------------------------------------------------------------------
# For other engines (Dask, Spark, a service): plain rows from plain units


def score_records(scheme: CompiledScheme, units: Iterable[Mapping[str, Any]]
                  ) -> Iterator[dict[str, Any]]:
    """Check and score units given as mappings ({id, category, facts, name?}); yield one plain
    row each ({id, name, category, total, ratings, fired, award_eligible}; the total a
    Decimal). FactsError for a unit whose facts are wrong."""
    for scores in scheme.score_all(units):
        yield {"id": scores.unit, "name": scores.name, "category": scores.category,
               "total": scores.total, "ratings": dict(scores.ratings),
               "fired": list(scores.fired), "award_eligible": scores.award_eligible}


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """The units of a JSON Lines file, one at a time (numbers as exact decimals)."""
    with Path(path).open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line, parse_float=Decimal)
