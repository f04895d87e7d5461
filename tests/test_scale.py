"""Streaming, pickling and the benchmark command: large populations give the same figures."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import evalrules
from evalrules.cli import main
from evalrules.errors import FactsError
from evalrules.stream import read_jsonl, score_file, score_records

from .conftest import ROOT

sys.path.insert(0, str(ROOT))  # the bench/ folder beside src/
from bench.workload import make_units, make_workload, scheme_yaml, write_jsonl

WORKLOAD = make_workload(criteria=12, seed=5)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[evalrules.CompiledScheme, Path, Path]:
    folder = tmp_path_factory.mktemp("scale")
    scheme_path = folder / "bench.yaml"
    scheme_path.write_text(scheme_yaml(WORKLOAD), encoding="utf-8")
    facts = folder / "units.jsonl"
    write_jsonl(facts, WORKLOAD, 130, seed=3)
    return evalrules.load_scheme(scheme_path), scheme_path, facts


def _expected(scheme: evalrules.CompiledScheme, facts: Path) -> list[tuple[Any, ...]]:
    return [(s.unit, s.total, dict(s.ratings), list(s.fired), s.award_eligible)
            for s in scheme.score_all(read_jsonl(facts))]


def _rows(path: Path) -> list[tuple[Any, ...]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line, parse_float=Decimal)
        out.append((row["id"], row["total"], row["ratings"], row["fired"], row["award_eligible"]))
    return out


def test_streaming_on_two_processes_equals_score_all_in_input_order(small: Any, tmp_path: Path) -> None:
    """Two workers and small chunks write exactly what score_all gives, unit for unit, in order."""
    scheme, _, facts = small
    out = tmp_path / "results.jsonl"
    summary = score_file(scheme, facts, out, jobs=2, chunk=7)
    assert summary.units == 130 and summary.problem_count == 0
    rows = _rows(out)
    assert rows == _expected(scheme, facts)
    assert [str(r[1]) for r in rows] == [str(s.total) for s in scheme.score_all(read_jsonl(facts))]
    one = tmp_path / "one.jsonl"
    score_file(scheme, facts, one, jobs=1, chunk=50)
    assert one.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_reaches_the_whole_input_chunk_by_chunk(small: Any, tmp_path: Path,
                                                         jobs: int) -> None:
    """What drives the progress bar: one call per chunk, in bytes, adding up to the file."""
    scheme, _, facts = small
    done: list[int] = []
    score_file(scheme, facts, tmp_path / "out.csv", jobs=jobs, chunk=40, progress=done.append)
    assert len(done) == 4 and all(size > 0 for size in done)  # 130 units, 40 a chunk
    assert sum(done) == facts.stat().st_size


def test_streaming_csv_in_and_out_with_every_points_column(small: Any, tmp_path: Path) -> None:
    """A CSV of one row per unit (fact ids as headers) scores like the same units in JSON Lines."""
    scheme, _, facts = small
    units = list(read_jsonl(facts))[:40]
    names = [f for f, _ in WORKLOAD.facts()]
    lines = ["id,category,name," + ",".join(names)]
    for u in units:
        cells = ["true" if v is True else "false" if v is False else str(v)
                 for v in (u["facts"][n] for n in names)]
        lines.append(f"{u['id']},{u['category']},=HYPERLINK(1)," + ",".join(cells))
    source = tmp_path / "units.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    score_file(scheme, source, out, jobs=2, chunk=9, points=True)
    text = out.read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    assert header[:4] == ["id", "name", "category", "total"] and "c001" in header
    expected = {s.unit: s for s in scheme.score_all(units)}
    assert len(text) == 41
    for line in text[1:]:
        cells = line.split(",")
        assert cells[1] == "'=HYPERLINK(1)"  # neutralised, as every evalrules CSV
        assert Decimal(cells[3]) == expected[cells[0]].total
        assert cells[header.index("c001")] == format(expected[cells[0]].points["c001"], "f")


@pytest.mark.lang("en_US")
def test_streaming_refuses_bad_facts_and_leaves_the_old_output(small: Any, tmp_path: Path) -> None:
    """A unit with a wrong value stops the run with every problem; nothing is replaced; with
    skip_invalid the others are written."""
    scheme, _, facts = small
    lines = facts.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[5])
    fact = next(f for f, kind in WORKLOAD.facts() if kind == "integer")
    broken["facts"][fact] = "many"
    lines[5] = json.dumps(broken)
    lines[9] = lines[8]  # a duplicate id
    source = tmp_path / "units.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(FactsError) as info:
        score_file(scheme, source, out, jobs=2, chunk=4)
    messages = " ".join(d.message for d in info.value.diagnostics)
    assert fact in messages and "appears twice" in messages
    assert info.value.diagnostics[0].location.line == 6
    assert out.read_text(encoding="utf-8") == "old\n"
    assert not list(tmp_path.glob(".results.jsonl.*"))
    for chunk in (4, 500):  # the duplicate in another chunk, and in the same one
        summary = score_file(scheme, source, out, skip_invalid=True, chunk=chunk, jobs=2)
        assert (summary.skipped, summary.units, summary.problem_count) == (2, 128, 2)


@pytest.mark.parametrize("jobs", [1, 2])
def test_problems_name_the_line_of_the_unit_after_blank_lines(small: Any, tmp_path: Path,
                                                             jobs: int) -> None:
    """Blank lines, and in CSV a value running over two lines, do not shift the line a
    problem names: it is the line where the unit starts."""
    scheme, _, facts = small
    lines = facts.read_text(encoding="utf-8").splitlines()[:9]
    broken = json.loads(lines[7])
    broken["category"] = "nowhere"
    lines[7] = json.dumps(broken)
    source = tmp_path / "units.jsonl"
    source.write_text("\n".join([*lines[:3], "", "  ", *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(FactsError) as info:
        score_file(scheme, source, tmp_path / "out.csv", jobs=jobs, chunk=3)
    assert [d.location.line for d in info.value.diagnostics] == [10]
    table = tmp_path / "units.csv"
    table.write_text('id,name,category\nA,"two\nlines",production\n\nB,b,nowhere\n'
                     'C,"more\n\nlines",nowhere\n', encoding="utf-8")
    with pytest.raises(FactsError) as info:
        score_file(scheme, table, tmp_path / "out.csv", jobs=jobs, chunk=1)
    assert [d.location.line for d in info.value.diagnostics
            if d.name == "unknown-unit-category"] == [5, 6]


def test_streamed_output_has_the_permissions_of_every_other_output(small: Any,
                                                                    tmp_path: Path) -> None:
    """`score -o` writes through evalrules.atomic: a new file gets 0666 less the umask (not the
    temporary file's 0600), a replaced one keeps its permissions, and no temporary file is
    left registered or on disk."""
    import os
    import stat

    from evalrules import atomic

    scheme, _, facts = small
    out = tmp_path / "results.csv"
    score_file(scheme, facts, out)
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    out.chmod(0o640)
    score_file(scheme, facts, out, fmt="csv")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]
    assert not atomic._PENDING


def test_seen_ids_refuse_a_duplicate_before_and_after_moving_to_disk() -> None:
    """The duplicate check is exact in memory and in its temporary SQLite database."""
    from evalrules.stream import SeenIds

    seen = SeenIds(in_memory=3)
    assert [seen.add(i) for i in ["a", "b", "a", "c"]] == [True, True, False, True]
    assert seen.db is None
    assert seen.add("d") and seen.db is not None  # the fourth id moves them all to SQLite
    seen.commit()
    assert [seen.add(i) for i in ["a", "d", "e", "e", "单位1", "单位1"]] == [
        False, False, True, False, True, False]
    seen.close()
    assert seen.db is None


@pytest.mark.lang("en_US")
def test_streaming_refuses_a_duplicate_found_on_disk_the_same_way(
        small: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the ids past the in-memory limit (here 10), a duplicate is refused with the same
    problem, and with skip_invalid the first occurrence is written."""
    from evalrules import stream

    scheme, _, facts = small
    lines = facts.read_text(encoding="utf-8").splitlines()
    lines[120] = lines[3]  # the 121st unit repeats the 4th
    source = tmp_path / "units.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FactsError) as expected:
        score_file(scheme, source, tmp_path / "a.jsonl", chunk=7)
    class Small(stream.SeenIds):
        def __init__(self) -> None:
            super().__init__(in_memory=10)

    monkeypatch.setattr(stream, "SeenIds", Small)
    for jobs in (1, 2):
        with pytest.raises(FactsError) as info:
            score_file(scheme, source, tmp_path / "b.jsonl", chunk=7, jobs=jobs)
        assert info.value.diagnostics == expected.value.diagnostics
        assert [d.message for d in info.value.diagnostics] == [
            f"unit `{json.loads(lines[3])['id']}` appears twice"]
        out = tmp_path / "c.jsonl"
        summary = score_file(scheme, source, out, chunk=7, jobs=jobs, skip_invalid=True)
        assert (summary.units, summary.skipped) == (129, 1)
        assert [r[0] for r in _rows(out)] == [json.loads(line)["id"] for line in lines[:120]
                                              + lines[121:]]


@pytest.mark.lang("en_US")
def test_score_command_writes_csv_atomically(small: Any, tmp_path: Path) -> None:
    """`evalrules score` streams a file to CSV and says how many units it scored."""
    _, scheme_path, facts = small
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(main, ["score", str(scheme_path), str(facts), "-o", str(out),
                                       "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert re.search(r"scored 130 unit\(s\) to .*r\.csv", result.output)
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 131


def test_a_pickled_scheme_scores_identically_in_a_child_process(small: Any) -> None:
    """pickle.dumps(scheme) re-compiles in another process: same hash, same figures."""
    scheme, _, facts = small
    units = list(read_jsonl(facts))[:30]
    payload = pickle.dumps((scheme, units))
    child = ("import pickle, sys\n"
             "scheme, units = pickle.loads(sys.stdin.buffer.read())\n"
             "print(scheme.hash)\n"
             "for s in scheme.score_all(units):\n"
             "    print(s.unit, s.total, dict(s.ratings), list(s.fired), s.award_eligible)\n")
    done = subprocess.run([sys.executable, "-c", child], input=payload, capture_output=True,
                          check=True)
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines[0] == scheme.hash
    assert lines[1:] == [f"{s.unit} {s.total} {dict(s.ratings)} {list(s.fired)} "
                         f"{s.award_eligible}" for s in scheme.score_all(units)]
    again = pickle.loads(pickle.dumps(scheme))
    assert again.model.file == scheme.model.file and again.hash == scheme.hash


def test_the_dask_example_of_docs_scale_runs_on_the_local_scheduler(
        small: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/scale.md's partitioned example, on two worker processes, gives score_records' rows."""
    pytest.importorskip("dask.bag")
    scheme, scheme_path, facts = small
    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    code = re.search(r"## A partitioned dataset with Dask.*?```python\n(.*?)```", text,
                     re.S).group(1)  # type: ignore[union-attr]
    (tmp_path / "scheme.yaml").write_text(scheme_path.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    (tmp_path / "units").mkdir()
    lines = facts.read_text(encoding="utf-8").splitlines(keepends=True)
    for i in range(3):
        (tmp_path / "units" / f"part-{i:03d}.jsonl").write_text(
            "".join(lines[i * 45:(i + 1) * 45]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/scale.md", "exec"), {"__name__": "docs_scale"})
    rows = []
    for i in range(3):
        for line in (tmp_path / "units" / f"result-{i:03d}.jsonl").read_text(
                encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["id"], Decimal(row["total"]), row["ratings"], row["fired"],
                         row["award_eligible"]))
    assert rows == [(r["id"], r["total"], r["ratings"], r["fired"], r["award_eligible"])
                    for r in score_records(scheme, read_jsonl(facts))]


def test_the_benchmark_command_runs_and_every_engine_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bench` on a tiny workload: every engine gives the same total and stars."""
    from bench.run import main as bench_main

    assert bench_main(["--branches", "12", "--criteria", "10", "--repeat", "1",
                       "--parse-sample", "3", "--no-cold-start"]) == 0
    out = capsys.readouterr().out
    assert "evalrules score (scores only)" in out and "DISAGREE" not in out
    assert "µs/branch" in out


def test_the_streaming_benchmark_runs_and_both_runs_write_the_same_rows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench.stream` on a tiny input: one job, two independent halves and two jobs,
    all real `evalrules score` processes; the one-job and two-job results are the same bytes.
    Without the bench extra (psutil), memory is read from /proc."""
    from bench.stream import main as stream_main

    monkeypatch.setitem(sys.modules, "psutil", None)

    assert stream_main(["--units", "40", "--single", "30", "--repeat", "1", "--speed-up-only",
                        "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "identical output" in out and "two independent processes" in out
    assert (tmp_path / "results-1-jobs.csv").read_bytes().count(b"\n") == 31  # header + 30


def test_generated_units_are_seeded() -> None:
    """The same seed gives the same branches."""
    w = make_workload(10, seed=1)
    assert list(make_units(w, 3, seed=9)) == list(make_units(w, 3, seed=9))
