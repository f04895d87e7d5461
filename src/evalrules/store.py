"""The results store: every evaluation run kept with its period, scheme and facts hashes.

`ResultStore` is the small interface the rest of evalrules uses; `SQLiteStore` implements it on
an SQLite file opened by path (no server). Each run is written in one transaction, so a run that
fails — or a process killed in the middle of one — leaves the store exactly as it was. A period
evaluated again replaces its results only when asked, and the replaced run stays in the audit
history. Points are stored as exact decimal text.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from .errors import StoreError
from .i18n import _

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    scheme_id: str
    scheme_version: str
    scheme_hash: str
    facts_hash: str
    period: str
    kind: str  # "evaluation" or a roll-up id
    started: str
    finished: str
    status: str  # "current" | "replaced"
    replaced_by: int | None
    units: int


@dataclass(frozen=True, slots=True)
class Item:
    """A rectification item (整改事项): a problem found in one period, due in another."""

    unit: str
    rule: str
    found: str
    due: str
    closed: str | None = None


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One unit's figures in one run."""

    unit: str
    name: str
    category: str
    total: Decimal
    points: Mapping[str, Decimal | None]
    ratings: Mapping[str, str | None]
    fired: tuple[str, ...]
    award_eligible: bool
    facts_digest: str = ""
    notes: Mapping[str, Any] = field(default_factory=dict)  # roll-up sources, quota changes
    period: str = ""
    run_id: int = 0


class ResultStore(Protocol):
    """What evalrules needs from a results store; a server database can implement it too."""

    def save_run(self, *, scheme_id: str, scheme_version: str, scheme_hash: str,
                 facts_hash: str, period: str, kind: str, units: Iterable[UnitRecord],
                 replace: bool = False, opened: Iterable[Item] = (),
                 closed: Iterable[Item] = ()) -> RunInfo: ...

    def items(self, scheme_id: str, *, open_only: bool = True) -> list[Item]: ...

    def current_run(self, scheme_id: str, period: str, kind: str = "evaluation"
                    ) -> RunInfo | None: ...

    def runs(self, scheme_id: str | None = None, period: str | None = None) -> list[RunInfo]: ...

    def records(self, run_id: int) -> list[UnitRecord]: ...

    def history(self, scheme_id: str, unit: str, kind: str | None = None
                ) -> list[UnitRecord]: ...

    def close(self) -> None: ...


_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scheme_id TEXT NOT NULL, scheme_version TEXT NOT NULL, scheme_hash TEXT NOT NULL,
    facts_hash TEXT NOT NULL, period TEXT NOT NULL, kind TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('current', 'replaced')),
    replaced_by INTEGER REFERENCES runs(id), units INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_current_run
    ON runs (scheme_id, period, kind) WHERE status = 'current';
CREATE TABLE IF NOT EXISTS unit_results (
    run_id INTEGER NOT NULL REFERENCES runs(id), unit TEXT NOT NULL, name TEXT NOT NULL,
    category TEXT NOT NULL, total TEXT NOT NULL, ratings TEXT NOT NULL, fired TEXT NOT NULL,
    award_eligible INTEGER NOT NULL, facts_digest TEXT NOT NULL, notes TEXT NOT NULL,
    PRIMARY KEY (run_id, unit)
);
CREATE TABLE IF NOT EXISTS rectification_items (
    scheme_id TEXT NOT NULL, unit TEXT NOT NULL, rule TEXT NOT NULL, found TEXT NOT NULL,
    due TEXT NOT NULL, found_run INTEGER NOT NULL, closed TEXT, closed_run INTEGER,
    PRIMARY KEY (scheme_id, unit, rule, found)
);
CREATE TABLE IF NOT EXISTS node_points (
    run_id INTEGER NOT NULL, unit TEXT NOT NULL, node TEXT NOT NULL, points TEXT,
    PRIMARY KEY (run_id, unit, node)
);
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


class SQLiteStore:
    """A results store in one SQLite file."""

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_DDL)
            found = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if found is None:
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                                 (str(SCHEMA_VERSION),))
            elif int(found[0]) > SCHEMA_VERSION:
                raise StoreError(_("{file} was written by a newer evalrules (store format "
                                   "{version}); upgrade evalrules to read it").format(
                                     file=self.path, version=found[0]))
        except sqlite3.DatabaseError as exc:
            raise StoreError(_("{file} is not a results store: {problem}").format(
                file=self.path, problem=exc)) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing

    def save_run(self, *, scheme_id: str, scheme_version: str, scheme_hash: str,
                 facts_hash: str, period: str, kind: str, units: Iterable[UnitRecord],
                 replace: bool = False, opened: Iterable[Item] = (),
                 closed: Iterable[Item] = ()) -> RunInfo:
        """Store a whole run in one transaction; `units` may be evaluated lazily inside it.

        `opened` rectification items are recorded as found in this run and `closed` ones as
        rectified in it; replacing a run first undoes what the replaced run opened and closed.
        """
        db = self._db
        started = _now()
        try:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time; others wait for the lock
        except sqlite3.OperationalError as exc:
            raise StoreError(_("{file} is busy: {problem}").format(
                file=self.path, problem=exc)) from None
        try:
            current = self.current_run(scheme_id, period, kind)
            if current is not None and not replace:
                raise StoreError(_(
                    "period {period} of scheme {scheme} is already stored (run {run}, "
                    "{finished}); use --replace to replace it — the earlier run stays in the "
                    "audit history").format(period=period, scheme=scheme_id, run=current.id,
                                            finished=current.finished))
            cursor = db.execute(
                "INSERT INTO runs (scheme_id, scheme_version, scheme_hash, facts_hash, period, "
                "kind, started, finished, status, units) VALUES (?,?,?,?,?,?,?,?,?,0)",
                (scheme_id, scheme_version, scheme_hash, facts_hash, period, kind, started,
                 started, "replaced"))
            run_id = int(cursor.lastrowid or 0)
            count = 0
            for record in units:
                self._insert(run_id, record)
                count += 1
            if current is not None:
                db.execute("UPDATE runs SET status='replaced', replaced_by=? WHERE id=?",
                           (run_id, current.id))
                db.execute("DELETE FROM rectification_items WHERE found_run=?", (current.id,))
                db.execute("UPDATE rectification_items SET closed=NULL, closed_run=NULL "
                           "WHERE closed_run=?", (current.id,))
            for item in opened:
                db.execute("INSERT OR IGNORE INTO rectification_items VALUES "
                           "(?,?,?,?,?,?,NULL,NULL)",
                           (scheme_id, item.unit, item.rule, item.found, item.due, run_id))
            for item in closed:
                db.execute("UPDATE rectification_items SET closed=?, closed_run=? WHERE "
                           "scheme_id=? AND unit=? AND rule=? AND found=? AND closed IS NULL",
                           (period, run_id, scheme_id, item.unit, item.rule, item.found))
            db.execute("UPDATE runs SET status='current', finished=?, units=? WHERE id=?",
                       (_now(), count, run_id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        info = self._run(run_id)
        assert info is not None
        return info

    def _insert(self, run_id: int, r: UnitRecord) -> None:
        self._db.execute(
            "INSERT INTO unit_results VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run_id, r.unit, r.name, r.category, str(r.total),
             json.dumps(dict(r.ratings), ensure_ascii=False), json.dumps(list(r.fired)),
             int(r.award_eligible), r.facts_digest,
             json.dumps(dict(r.notes), ensure_ascii=False, default=str)))
        self._db.executemany(
            "INSERT INTO node_points VALUES (?,?,?,?)",
            [(run_id, r.unit, node, None if p is None else str(p))
             for node, p in r.points.items()])

    # -- reading

    def _run(self, run_id: int) -> RunInfo | None:
        row = self._db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return RunInfo(*row) if row else None

    def current_run(self, scheme_id: str, period: str, kind: str = "evaluation"
                    ) -> RunInfo | None:
        row = self._db.execute(
            "SELECT * FROM runs WHERE scheme_id=? AND period=? AND kind=? AND status='current'",
            (scheme_id, period, kind)).fetchone()
        return RunInfo(*row) if row else None

    def runs(self, scheme_id: str | None = None, period: str | None = None) -> list[RunInfo]:
        sql = "SELECT * FROM runs WHERE 1=1"
        args: list[str] = []
        if scheme_id is not None:
            sql, args = sql + " AND scheme_id=?", [*args, scheme_id]
        if period is not None:
            sql, args = sql + " AND period=?", [*args, period]
        return [RunInfo(*row) for row in self._db.execute(sql + " ORDER BY id", args)]

    def items(self, scheme_id: str, *, open_only: bool = True) -> list[Item]:
        """Rectification items of a scheme (only those not yet rectified, by default)."""
        sql = "SELECT unit, rule, found, due, closed FROM rectification_items WHERE scheme_id=?"
        if open_only:
            sql += " AND closed IS NULL"
        return [Item(*row) for row in self._db.execute(sql + " ORDER BY unit, found, rule",
                                                       (scheme_id,))]

    def records(self, run_id: int) -> list[UnitRecord]:
        info = self._run(run_id)
        if info is None:
            raise StoreError(_("no run {run} in {file}").format(run=run_id, file=self.path))
        return list(self._records("WHERE u.run_id=?", (run_id,)))

    def history(self, scheme_id: str, unit: str, kind: str | None = None) -> list[UnitRecord]:
        """The unit's figures in every current run of the scheme, oldest period first."""
        sql = "WHERE r.scheme_id=? AND u.unit=? AND r.status='current'"
        args: tuple[Any, ...] = (scheme_id, unit)
        if kind is not None:
            sql, args = sql + " AND r.kind=?", (*args, kind)
        out = list(self._records(sql, args))
        from .periods import Period

        def order(record: UnitRecord) -> tuple[int, int]:  # by end, shorter periods first
            period = Period.parse(record.period)
            return period.index + period.months, period.months

        return sorted(out, key=order)

    def _records(self, where: str, args: tuple[Any, ...]) -> Iterator[UnitRecord]:
        rows = self._db.execute(
            "SELECT u.run_id, r.period, u.unit, u.name, u.category, u.total, u.ratings, "
            "u.fired, u.award_eligible, u.facts_digest, u.notes FROM unit_results u "
            f"JOIN runs r ON r.id = u.run_id {where} ORDER BY u.run_id, u.rowid", args
        ).fetchall()
        points: dict[tuple[int, str], dict[str, Decimal | None]] = {}
        run_ids = sorted({row[0] for row in rows})
        for run_id in run_ids:
            for _run, unit, node, value in self._db.execute(
                    "SELECT run_id, unit, node, points FROM node_points WHERE run_id=? "
                    "ORDER BY rowid", (run_id,)):
                points.setdefault((run_id, unit), {})[node] = _decimal(value)
        for (run_id, period, unit, name, category, total, ratings, fired, award, digest,
             notes) in rows:
            yield UnitRecord(unit, name, category, Decimal(total),
                             points.get((run_id, unit), {}), json.loads(ratings),
                             tuple(json.loads(fired)), bool(award), digest, json.loads(notes),
                             period, run_id)
