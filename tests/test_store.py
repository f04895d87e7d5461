"""The results store: exact figures, replace only when asked, one transaction per run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from evalrules.periods import Period, PeriodError
from evalrules.store import SQLiteStore, StoreError, UnitRecord

D = Decimal


def record(unit: str, total: str, stars: str = "4") -> UnitRecord:
    return UnitRecord(unit, f"{unit}支部", "production", D(total),
                      {"total": D(total), "basic": D("50.25"), "special": None},
                      {"stars": stars}, ("late",), True, "sha256:x")


def save(store: SQLiteStore, period: str, units: list[UnitRecord], replace: bool = False):
    return store.save_run(scheme_id="s", scheme_version="1", scheme_hash="sha256:a",
                          facts_hash="sha256:b", period=period, kind="evaluation",
                          units=units, replace=replace)


def test_a_run_reads_back_exactly(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        info = save(store, "2024-03", [record("B1", "89.99"), record("B2", "90.00", "5")])
        assert info.units == 2 and info.status == "current"
        got = store.records(info.id)
    assert [r.total for r in got] == [D("89.99"), D("90.00")]
    assert str(got[1].total) == "90.00"
    assert got[0].points == {"total": D("89.99"), "basic": D("50.25"), "special": None}
    assert got[0].ratings == {"stars": "4"} and got[0].fired == ("late",)


def test_a_stored_period_is_replaced_only_when_asked(tmp_path: Path) -> None:
    """Re-running a period needs --replace; the replaced run stays in the audit history."""
    with SQLiteStore(tmp_path / "r.db") as store:
        first = save(store, "2024-03", [record("B1", "80")])
        with pytest.raises(StoreError, match="--replace"):
            save(store, "2024-03", [record("B1", "85")])
        second = save(store, "2024-03", [record("B1", "85")], replace=True)
        runs = store.runs("s", "2024-03")
        assert [(r.id, r.status, r.replaced_by) for r in runs] == [
            (first.id, "replaced", second.id), (second.id, "current", None)]
        assert store.current_run("s", "2024-03") == runs[1]
        assert [r.total for r in store.history("s", "B1")] == [D("85")]


def test_a_failed_run_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        save(store, "2024-01", [record("B1", "70")])

        def failing():
            yield record("B1", "71")
            raise ArithmeticError("a formula failed halfway")

        with pytest.raises(ArithmeticError):  # the generator is consumed inside the transaction
            store.save_run(scheme_id="s", scheme_version="1", scheme_hash="a", facts_hash="b",
                           period="2024-02", kind="evaluation", units=failing())
        assert [r.period for r in store.runs()] == ["2024-01"]
        assert store.current_run("s", "2024-02") is None


WRITER = textwrap.dedent("""
    import sys, time
    from decimal import Decimal
    from evalrules.store import SQLiteStore, UnitRecord
    def units():
        for i in range(100000):
            if i == 50:
                print("halfway", flush=True)
                time.sleep(float(sys.argv[3]))
            yield UnitRecord(f"B{i}", "n", "c", Decimal(i), {"total": Decimal(i)}, {}, (), True)
    with SQLiteStore(sys.argv[1]) as store:
        store.save_run(scheme_id="s", scheme_version="1", scheme_hash="h", facts_hash="f",
                       period=sys.argv[2], kind="evaluation", units=units())
    print("done", flush=True)
""")


def test_a_process_killed_mid_run_leaves_the_store_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with SQLiteStore(db) as store:
        save(store, "2024-01", [record("B1", "70")])
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "2024-02", "30"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "halfway"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with SQLiteStore(db) as store:
        assert [(r.period, r.units) for r in store.runs()] == [("2024-01", 1)]
        assert store.current_run("s", "2024-02") is None
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_two_runs_at_the_same_time_both_land_whole(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    SQLiteStore(db).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.replace("100000", "400"), str(db),
                               period, "0.3"], stdout=subprocess.PIPE, text=True)
             for period in ("2024-02", "2024-03")]
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.endswith("done\n")
    with SQLiteStore(db) as store:
        assert sorted((r.period, r.units, r.status) for r in store.runs()) == [
            ("2024-02", 400, "current"), ("2024-03", 400, "current")]
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.lang("en_US")
def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a results store"):
        SQLiteStore(bad)


@pytest.mark.parametrize(("text", "kind", "shown"), [
    ("2024-03", "month", "2024-03"), ("2024-Q2", "quarter", "2024-Q2"),
    ("2024-H2", "half", "2024-H2"), ("2024", "year", "2024")])
def test_periods_parse_and_print(text: str, kind: str, shown: str) -> None:
    period = Period.parse(text)
    assert period.kind == kind and str(period) == shown


def test_periods_nest_and_order() -> None:
    q1 = Period.parse("2024-Q1")
    assert [str(p) for p in q1.parts("month")] == ["2024-01", "2024-02", "2024-03"]
    assert [str(p) for p in Period.parse("2024").parts("quarter")] == [
        "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert str(Period.parse("2024-05").enclosing("quarter")) == "2024-Q2"
    assert q1.contains(Period.parse("2024-03")) and not q1.contains(Period.parse("2024-04"))
    assert str(Period.parse("2024-12").shift(1)) == "2025-01"
    assert Period.parse("2024-02") < Period.parse("2024-11")
    with pytest.raises(PeriodError, match="2024-Q1"):
        Period.parse("2024-13")
