"""The hostile corpus (tests/hostile/cases.yaml): every broken or hostile input ends in a clear
error from evalrules, within 2 s of CPU time and 200 MB of memory, with no traceback, and a
failed run leaves an earlier result file exactly as it was.

Each case runs the command line in its own child process limited by setrlimit (RLIMIT_CPU,
RLIMIT_AS), in a copy of tests/hostile. The children are forked from one warm parent
(tests/hostile/runner.py), so that a case costs its own work rather than Python's start-up;
cases marked `fresh` run as `python -m evalrules.cli` from scratch. The reports written from
hostile labels are checked here too: CSV and XLSX cells never become formulas, HTML shows every
payload as text, JSON is strict.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import decimal
import hashlib
import html
import html.parser
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import evalrules
from evalrules import limits as limits_module
from evalrules.errors import EvaluationError, OutputError, SchemeError
from evalrules.facts import Subject
from evalrules.formula import (
    FormulaRejected,
    FormulaRuntimeError,
    build_globals,
    compile_tree,
    make_functions,
    reference_evaluate,
)
from evalrules.limits import DEFAULT_LIMITS, SERVICE_LIMITS, Limits
from evalrules.numeric import CONTEXT, NumericPolicy
from evalrules.workbook import FORMULA_TRIGGERS
from evalrules.yamlsource import load_yaml

HOSTILE = Path(__file__).resolve().parent / "hostile"
CPU_SECONDS = 2
MEMORY_BYTES = 200 * 1024 * 1024
WALL_SECONDS = 30  # a hang guard only: the budget is CPU time, which a busy machine cannot eat
KEPT = b"a good result from an earlier run\n"
PWNED = Path("/tmp/evalrules-pwned")
SRC = str(Path(__file__).resolve().parent.parent / "src")


@dataclass(frozen=True)
class Case:
    id: str
    area: str
    run: str
    exit: int
    codes: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    generate: str = ""
    input: str = ""
    keep: str = ""
    check: str = ""
    fresh: bool = False


def load_cases() -> list[Case]:
    doc, problems = load_yaml((HOSTILE / "cases.yaml").read_text("utf-8"), "cases.yaml")
    assert doc is not None and not problems, problems
    cases = []
    for raw in doc.data:
        raw = dict(raw)
        raw["codes"] = tuple(raw.get("codes", ()))
        raw["text"] = tuple(str(t) for t in raw.get("text", ()))
        raw["env"] = {str(k): str(v) for k, v in raw.get("env", {}).items()}
        cases.append(Case(**raw))
    return cases


CASES = load_cases()


# ----------------------------------------------------------------------------------------------
# Generated inputs: too large to keep in the repository


def _base() -> str:
    return (HOSTILE / "base" / "scheme.yaml").read_text("utf-8")


def large_scheme(path: Path) -> None:
    """A valid scheme padded with comments to one byte over 2,000,000."""
    text = _base()
    pad = 2_000_001 - len(text.encode("utf-8"))
    lines = ["#" + "x" * 99 + "\n"] * (pad // 101)
    tail = pad - 101 * len(lines)
    path.write_text(text + "".join(lines) + ("#" + "y" * (tail - 2) + "\n" if tail >= 2 else " "
                                             * tail), "utf-8")


def many_nodes_scheme(path: Path) -> None:
    path.write_text(_base() + "notes: [" + ",".join(["1"] * 210_000) + "]\n", "utf-8")


def long_scalar_scheme(path: Path) -> None:
    path.write_text(_base().replace("title: 党支部考核（对抗性测试基准）",
                                    "title: " + "长" * 100_001), "utf-8")


def medium_scheme(path: Path) -> None:
    """300 kB: fine on the command line, over the service profile's 256,000 bytes."""
    path.write_text(_base() + ("#" + "x" * 99 + "\n") * 3000, "utf-8")


def many_typos_scheme(path: Path) -> None:
    """400 criteria whose formulas misspell one of 400 facts: every typo is reported, with
    a suggestion, in bounded time (suggestions compare a few names of about the same length)."""
    facts = "".join(f"  - {{id: fact_number_{i}, label: f{i}, type: integer}}\n"
                    for i in range(400))
    nodes = "".join(f"      - {{id: c{i}, label: c{i}, max: 0.01, points: fact_numbr_{i}}}\n"
                    for i in range(400))
    path.write_text(f"""evalrules: 1
id: typos
title: typos
version: "1"
scale: 4
categories:
  - {{id: production, label: 生产类}}
facts:
{facts}indicators:
  - id: all
    label: all
    max: 4
    children:
{nodes}""", "utf-8")


def work_bomb(path: Path) -> None:
    records = ", ".join(["{level: major, persons: 5}"] * 200)
    path.write_text("units:\n  - {id: B01, category: production, facts: {meetings: 11, "
                    f"members: 9, incidents: [{records}]}}}}\n", "utf-8")


def many_records(path: Path) -> None:
    """Units in a CSV file, and beside it 101 incident records for unit B01."""
    path.write_text("id,name,category,meetings,members\nB01,x,production,11,9\n", "utf-8")
    path.with_name(f"{path.stem}.incidents.csv").write_text(
        "unit,level,persons\n" + "B01,ordinary,1\n" * 101, "utf-8")


def many_units(path: Path, count: int = 2000) -> None:
    path.write_text("units:\n" + "".join(
        f"  - {{id: U{i}, category: production, facts: {{meetings: 11, members: 9}}}}\n"
        for i in range(count)), "utf-8")


def many_units_large(path: Path) -> None:
    many_units(path, 60_000)


def huge_json_string(path: Path) -> None:
    path.write_text(json.dumps({"units": [{"id": "B01", "category": "production", "facts": {
        "meetings": 11, "members": 9, "note": "长" * 100_001}}]}, ensure_ascii=False), "utf-8")


CSV_HEADER = "id,name,category,meetings,members\n"


def huge_csv_field(path: Path) -> None:
    path.write_text(CSV_HEADER + "B01,\"" + "x" * 200_000 + "\",production,11,9\n", "utf-8")


def long_csv_cell(path: Path) -> None:
    path.write_text(CSV_HEADER + "B01," + "x" * 100_001 + ",production,11,9\n", "utf-8")


def many_csv_columns(path: Path) -> None:
    path.write_text(CSV_HEADER.strip() + "," * 1000 + "\nB01,x,production,11,9\n", "utf-8")


def many_csv_rows(path: Path) -> None:
    path.write_text(CSV_HEADER + "".join(f"U{i},x,production,11,9\n" for i in range(1500)),
                    "utf-8")


GENERATORS: dict[str, Callable[[Path], None]] = {
    f.__name__: f for f in (large_scheme, many_nodes_scheme, long_scalar_scheme, medium_scheme,
                            many_typos_scheme, work_bomb, many_records, many_units,
                            many_units_large, huge_json_string, huge_csv_field, long_csv_cell,
                            many_csv_columns, many_csv_rows)}


# ----------------------------------------------------------------------------------------------
# Running the corpus


@dataclass
class Outcome:
    returncode: int
    output: str
    wall: float
    cpu: float = -1.0
    memory_kb: int = 0
    kept: bytes | None = None
    leftovers: list[str] = field(default_factory=list)


def _limit_child() -> None:  # pragma: no cover - runs in the child between fork and exec
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _args(case: Case) -> list[str]:
    import shlex

    return shlex.split(case.run.replace("{out}", f"out/{case.id}"))


def _prepare(case: Case, work: Path) -> Path:
    out = work / "out" / case.id
    out.mkdir(parents=True, exist_ok=True)
    if case.keep:
        (out / case.keep).write_bytes(KEPT)
    return out


def _finish(case: Case, out: Path, outcome: Outcome) -> Outcome:
    if case.keep and (out / case.keep).exists():
        outcome.kept = (out / case.keep).read_bytes()
    outcome.leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    return outcome


def _english(env: dict[str, str]) -> dict[str, str]:
    """The corpus runs in English, whatever the machine's locale: cases.yaml quotes English
    messages."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(variable, None)
    env["LANG"] = "en_US.UTF-8"
    return env


def run_fresh(case: Case, work: Path) -> Outcome:
    """`python -m evalrules.cli ...` from scratch, in a limited subprocess."""
    out = _prepare(case, work)
    env = _english({k: v for k, v in os.environ.items() if not k.startswith("EVALRULES_")})
    env.update(case.env)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    env.update(LANG="en_US.UTF-8", LANGUAGE="", LC_ALL="", LC_MESSAGES="")  # English output
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "evalrules.cli", *_args(case)], cwd=work,
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=_limit_child)
    try:
        raw, _ = process.communicate(timeout=WALL_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raw, _ = process.communicate()
        raw += f"\n[hung: killed after {WALL_SECONDS} s]".encode()
    wall = time.perf_counter() - start
    return _finish(case, out, Outcome(process.returncode, raw.decode("utf-8", "replace"), wall))


def run_forked(cases: list[Case], work: Path, jobs: int) -> dict[str, Outcome]:
    """Run `cases` as children of one warm parent (tests/hostile/runner.py)."""
    lines = []
    outs = {}
    for case in cases:
        out = outs[case.id] = _prepare(case, work)
        lines.append(json.dumps({
            "id": case.id, "args": _args(case), "cwd": str(work), "env": case.env,
            "output": str(out / "output.txt"), "cpu": CPU_SECONDS, "memory": MEMORY_BYTES,
            "wall": WALL_SECONDS}))
    env = _english(dict(os.environ))
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    env.update(LANG="en_US.UTF-8", LANGUAGE="", LC_ALL="", LC_MESSAGES="")  # English output
    done = subprocess.run([sys.executable, str(HOSTILE / "runner.py"), str(jobs)],
                          input="\n".join(lines).encode(), capture_output=True, env=env,
                          timeout=WALL_SECONDS * len(cases), check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    outcomes = {}
    by_id = {case.id: case for case in cases}
    for line in done.stdout.decode().splitlines():
        answer = json.loads(line)
        case = by_id[answer["id"]]
        out = outs[case.id]
        text = (out / "output.txt").read_text("utf-8", "replace")
        (out / "output.txt").unlink()
        code = answer["status"] if answer["status"] is not None else -answer["signal"]
        if answer["signal"] == 9 and answer["wall"] > WALL_SECONDS:
            text += f"\n[hung: killed after {WALL_SECONDS} s]"
        outcomes[case.id] = _finish(case, out, Outcome(code, text, answer["wall"],
                                                       answer["cpu"], answer["maxrss_kb"]))
    return outcomes


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's outcome, run two at a time in one copy of tests/hostile."""
    work = tmp_path_factory.mktemp("hostile")
    shutil.copytree(HOSTILE, work, dirs_exist_ok=True)
    for case in CASES:
        if case.generate and not (work / case.input).exists():
            GENERATORS[case.generate](work / case.input)
    PWNED.unlink(missing_ok=True)
    jobs = max(2, os.cpu_count() or 2)
    fresh = [c for c in CASES if c.fresh]
    # The cases expect English messages; the locale reaches threads and forked workers alike.
    with pytest.MonkeyPatch.context() as env, ThreadPoolExecutor(max_workers=1) as pool:
        for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            env.delenv(variable, raising=False)
        env.setenv("LANG", "en_US.UTF-8")
        started = [pool.submit(run_fresh, case, work) for case in fresh]
        outcomes = run_forked([c for c in CASES if not c.fresh], work, jobs)
        outcomes.update({case.id: future.result() for case, future in zip(fresh, started,
                                                                          strict=True)})
    outcomes["__work__"] = Outcome(0, str(work), 0)
    return outcomes


def test_corpus_is_large_and_varied() -> None:
    """At least 60 inputs, across every area, each case named once and each file used."""
    assert len(CASES) >= 60
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    areas = {c.area for c in CASES}
    assert areas == {"scheme", "formula", "facts-yaml", "facts-json", "facts-csv", "facts-xlsx",
                     "report"}
    files = {p.relative_to(HOSTILE).as_posix() for p in HOSTILE.rglob("*")
             if p.is_file() and p.name not in ("cases.yaml", "runner.py")
             and "__pycache__" not in p.parts}
    used = " ".join(c.run for c in CASES)
    unused = sorted(f for f in files if f not in used and not f.startswith("base/"))
    assert not unused, f"files no case uses: {unused}"
    for case in CASES:
        assert not case.generate or case.generate in GENERATORS, case.id


@pytest.mark.lang("en_US")  # quotes English diagnostics
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, corpus: dict[str, Outcome]) -> None:
    """The expected exit code and diagnostics, no traceback, within the budget."""
    outcome = corpus[case.id]
    output = outcome.output
    assert "Traceback" not in output, output[-3000:]
    assert outcome.returncode >= 0, (f"killed by signal {-outcome.returncode} (over "
                                     f"{CPU_SECONDS} s of CPU or {MEMORY_BYTES >> 20} MB?)\n"
                                     + output[-2000:])
    assert outcome.returncode == case.exit, output[-3000:]
    for code in case.codes:
        assert re.search(rf"\b{code} [a-z-]+:", output), f"{code} missing from:\n{output[-3000:]}"
    for text in case.text:
        assert text in output, f"{text!r} missing from:\n{output[-3000:]}"
    if case.keep:
        assert outcome.kept == KEPT, "a failed run changed the earlier result file"
    assert not outcome.leftovers, f"temporary files left behind: {outcome.leftovers}"
    if case.check:
        work = Path(corpus["__work__"].output)
        written = work / _args(case)[_args(case).index("-o") + 1]
        CHECKS[case.check](written)


def test_nothing_was_executed(corpus: dict[str, Outcome]) -> None:
    """The payloads that try to run a command (YAML python tags, __import__) never ran."""
    assert not PWNED.exists()


def test_budget_summary(corpus: dict[str, Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    """Every forked case stayed within 2 s of CPU time and 200 MB; print the heaviest."""
    measured = {k: o for k, o in corpus.items() if k != "__work__" and o.cpu >= 0}
    assert measured
    for key, outcome in measured.items():
        assert outcome.cpu <= CPU_SECONDS, (key, outcome.cpu)
    by_cpu = sorted(measured.items(), key=lambda item: -item[1].cpu)[:5]
    by_memory = sorted(measured.items(), key=lambda item: -item[1].memory_kb)[:3]
    with capsys.disabled():
        print(f"\nhostile corpus: {len(corpus) - 1} cases; most CPU: "
              + ", ".join(f"{k} {o.cpu:.2f}s" for k, o in by_cpu) + "; most memory (peak RSS): "
              + ", ".join(f"{k} {o.memory_kb // 1024} MB" for k, o in by_memory))


# ----------------------------------------------------------------------------------------------
# Checks on reports written from hostile labels


PAYLOAD_MARKERS = ("<script>", "onerror=", "cmd|")


def _formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def check_csv(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) > 5
    cells = [cell for row in rows for cell in row]
    assert any("cmd|" in c for c in cells), "the payloads should appear, as text"
    for cell in cells:
        if _formula_like(cell):
            raise AssertionError(f"a CSV cell a spreadsheet would run: {cell!r}")


def check_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path)  # full mode: formulas read as formulas
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise AssertionError(f"formula cell {sheet.title}!{cell.coordinate}")
                if isinstance(cell.value, str) and _formula_like(cell.value):
                    seen += 1
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert seen, "the formula-like payloads should be stored, as quoted text"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


class _Elements(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(path: Path) -> None:
    page = path.read_text("utf-8")
    parser = _Elements()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert tags.count("script") == 1 and tags.count("style") == 1
    assert "img" not in tags and "iframe" not in tags
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), f"<{tag} {name}=...>"
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, name)
    shown = "".join(parser.text)
    assert "<script>alert('xss')</script>" in shown  # the payload, shown as text
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = html.unescape(csp.group(1))
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy.split(
        "style-src-attr")[0]


def check_json(path: Path) -> None:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON number {token}")

    data = json.loads(path.read_text("utf-8"), parse_constant=refuse)
    assert data


def check_markdown(path: Path) -> None:
    text = path.read_text("utf-8")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text


CHECKS: dict[str, Callable[[Path], None]] = {
    "csv-neutral": check_csv, "xlsx-neutral": check_xlsx, "html-escaped": check_html,
    "json-strict": check_json, "markdown-escaped": check_markdown,
}


def test_every_check_is_used() -> None:
    assert {c.check for c in CASES if c.check} == set(CHECKS)


# ----------------------------------------------------------------------------------------------
# The guarantees, one by one, in-process (docs/security.md names each test)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "security.md"
POLICY = NumericPolicy()


def _run_formula(text: str, values: dict[str, Any] | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Any:
    values = values or {}
    formula = compile_tree(text, known=dict.fromkeys(values), limits=limits)
    env = build_globals(make_functions(POLICY, limits), [formula])
    with decimal.localcontext(CONTEXT):
        return formula.evaluate(env, values)


def test_limits_table_documents_every_field() -> None:
    """docs/security.md lists every Limits field with its command-line and service values."""
    text = DOCS.read_text("utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+\|[^|]+)\|", text, re.M))
    fields = [f.name for f in dataclasses.fields(Limits)]
    assert sorted(rows) == sorted(fields)
    for name in fields:
        cli, service = (cell.strip().replace(",", "").replace(" ", "") for cell in
                        rows[name].split("|"))
        assert int(cli) == getattr(DEFAULT_LIMITS, name), name
        assert int(service) == getattr(SERVICE_LIMITS, name), name


def test_security_doc_names_real_tests() -> None:
    """Every test docs/security.md cites as evidence exists."""
    text = DOCS.read_text("utf-8")
    cited = re.findall(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`", text)
    assert len(cited) >= 15
    for file, name in cited:
        source = (Path(__file__).resolve().parent.parent / file).read_text("utf-8")
        assert f"def {name}(" in source, f"{file}::{name}"


def test_service_profile_is_no_looser_than_the_default() -> None:
    for f in dataclasses.fields(Limits):
        assert getattr(SERVICE_LIMITS, f.name) <= getattr(DEFAULT_LIMITS, f.name), f.name
    assert Limits.service() is SERVICE_LIMITS and Limits.profile("cli") is DEFAULT_LIMITS
    with pytest.raises(ValueError):
        Limits.profile("nope")


def test_active_limits_are_scoped() -> None:
    """`use` changes what DEFAULT_LIMITS means inside the block only; explicit limits win."""
    mine = Limits(yaml_nodes=5)
    with limits_module.use(SERVICE_LIMITS):
        assert limits_module.effective(DEFAULT_LIMITS) is SERVICE_LIMITS
        assert limits_module.effective(mine) is mine
        _, problems = load_yaml("a: " + "x" * 10_001)
        assert [p.code for p in problems] == ["Y007"]
    assert limits_module.effective(DEFAULT_LIMITS) is DEFAULT_LIMITS
    assert load_yaml("a: " + "x" * 10_001)[1] == []


@pytest.mark.parametrize(("text", "ok"), [
    ("1" * 15, True), ("1" * 16, False), ("9" * 5000, False), ("1e14", True), ("1e15", False),
    ("1e999999999", False), ("7e" + "4" * 70, False), ("0." + "0" * 19 + "1", True),
    ("0." + "0" * 20 + "1", False), ("1e-999999999", False), ("0e-999999999", False),
    ("1.50000000000000000000000000", True), ("123456789012345.12345", True)])
def test_numbers_read_are_bounded(text: str, ok: bool) -> None:
    """Numbers in YAML and JSON have at most 15 digits before the point and 20 after (Y010),
    checked on the text before any conversion."""
    _, problems = load_yaml(f"a: {text}\n")
    assert ([p.code for p in problems] == []) is ok, problems


@pytest.mark.lang("en_US")  # quotes English diagnostics
def test_formula_results_are_bounded() -> None:
    """Each formula's value is bounded: exact once rounded, not tiny, text and lists short."""
    assert _run_formula("2 ** 100") == Decimal(2 ** 100)  # 31 digits: still exact
    for text in ("(10 ** 20) ** 2", "0.1 ** 30", "(1e30 * 1e30) * 1e30"):
        with pytest.raises(FormulaRuntimeError, match="result"):
            _run_formula(text)
    assert _run_formula("0 * 0.1 ** 25") == 0
    note = "长" * 1000
    with pytest.raises(FormulaRuntimeError, match="text of"):
        _run_formula(" + ".join(["(" + " + ".join(["note"] * 11) + ")"] * 10), {"note": note})


def test_floor_and_round_of_huge_numbers_are_fast() -> None:
    """floor/ceil stay Decimal (math.floor built a million-digit int: 65 s); round() checks
    its places before converting them."""
    start = time.process_time()
    value = _run_formula("min(1, floor((10 ** 100) ** 100 * (10 ** 100) ** 99 * (10 ** 100) "
                         "** 99) + ceil(-(10 ** 100) ** 100))")
    assert value == 1
    with pytest.raises(FormulaRuntimeError, match="places"):
        _run_formula("round(1, 1e999999)")
    assert time.process_time() - start < 1


@pytest.mark.parametrize("text", [
    "a.__class__", "a[0]", "(lambda: 1)()", "[x for x in (1, 2)]", "f'{a}'", "(b := 1)",
    "__import__('os')", "eval('1')", "open('/etc/passwd')", "max(*a)", "max(**a)", "a @ a",
    "a if a else {1: 2}", "{1, 2}", "a is a", "~a", "count(rs, where=\"rs.clear()\")",
    "rs + rs", "count(rs, where=\"count(rs) > 1\")"])
def test_formula_syntax_outside_the_allow_list_is_refused(text: str) -> None:
    with pytest.raises(FormulaRejected):
        compile_tree(text, known={"a": None}, known_lists={"rs": {"x": None}})


def test_formulas_see_a_read_only_mapping_of_plain_values() -> None:
    """The facts a formula reads are a read-only mapping of plain values (Decimal, str, bool,
    date, tuples of read-only records); the function table is ours alone, with no builtins."""
    scheme = evalrules.load_scheme(HOSTILE / "base" / "scheme.yaml")
    facts = scheme.read_facts(HOSTILE / "base" / "facts.yaml")
    for unit in facts.units:
        assert isinstance(unit.values, MappingProxyType)
        for value in unit.values.values():
            assert isinstance(value, (Decimal, str, bool, tuple)), type(value)
            if isinstance(value, tuple):
                assert all(isinstance(r, MappingProxyType) for r in value)
    env = scheme.plan.globals
    assert isinstance(env, MappingProxyType) and env["__builtins__"] == {}
    callables = {k for k, v in env.items() if callable(v) and not k.startswith("_")}
    from evalrules.formula import FUNCTION_NAMES

    assert callables == set(FUNCTION_NAMES)


def test_reference_evaluator_refuses_attribute_access() -> None:
    """simpleeval (the test oracle) would let `facts.clear()` empty a container: refused."""
    from simpleeval import FeatureNotAvailable

    box: dict[str, Any] = {"a": 1}
    with pytest.raises(FeatureNotAvailable):
        reference_evaluate("facts.clear()", {"facts": box}, POLICY)
    assert box == {"a": 1}


def _work_scheme() -> evalrules.CompiledScheme:
    return evalrules.load_scheme((HOSTILE / "formula" / "work-bomb.yaml"),
                                 Limits(unit_work=20_000))


def test_work_limit_bounds_a_unit() -> None:
    """A unit's list longer than unit_work // (the scheme's per-record parts) is refused before
    it is read, in both evaluation paths; shorter lists evaluate."""
    scheme = _work_scheme()
    record = MappingProxyType({"level": "major", "persons": Decimal(5)})

    def unit(count: int) -> Subject:
        return Subject("U1", "production", MappingProxyType({
            "meetings": Decimal(11), "members": Decimal(9), "rate": Decimal(100), "note": "",
            "brand": "none", "dues": Decimal(0), "incidents": (record,) * count}))

    assert scheme.evaluate(unit(50)).total >= 0
    for run in (scheme.evaluate, scheme.score):
        with pytest.raises(EvaluationError, match="unit_work"):
            run(unit(500))


def test_shipped_schemes_allow_thousands_of_records_in_the_service_profile() -> None:
    """The work limit leaves real schemes room: at least 5,000 records per list per unit."""
    from evalrules.formula import _guarded  # noqa: F401 - the guard exists

    for path in sorted((Path(__file__).resolve().parent.parent / "schemes").glob("*.yaml")):
        scheme = evalrules.load_scheme(path, SERVICE_LIMITS)
        guard = scheme.plan.globals["count"]
        cells = dict(zip(guard.__code__.co_freevars,
                         (c.cell_contents for c in guard.__closure__ or ()), strict=True))
        assert cells["most"] >= 5000, (path.name, cells["most"])


def test_json_refuses_nan_with_an_evalrules_error() -> None:
    for bad in (Decimal("NaN"), Decimal("-Infinity"), float("nan"), float("inf")):
        with pytest.raises(OutputError):
            jsonout_dumps({"total": bad})
    assert jsonout_dumps(Decimal("1E+400"), None) == "1E+400"


def jsonout_dumps(value: Any, indent: int | None = 2) -> str:
    from evalrules.render.jsonout import dumps

    return dumps(value, indent)


def test_csp_allows_only_the_reports_own_script_and_style() -> None:
    from evalrules.render import html as report

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(report.SCRIPT)}'" in report.CSP
    assert f"style-src-elem 'sha256-{digest(report.STYLE)}'" in report.CSP
    assert "default-src 'none'" in report.CSP
    assert "'unsafe-inline'" not in report.CSP.replace("style-src-attr 'unsafe-inline'", "")


def test_json_schema_patterns_are_linear_on_long_text() -> None:
    """The schema's patterns are fixed, and fast on 100,000-character adversarial text; user
    text is only ever matched, never compiled."""
    from evalrules.validate import scheme_json_schema

    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps(scheme_json_schema()))
    assert patterns
    for pattern in {json.loads(f'"{p}"') for p in patterns}:
        compiled = re.compile(pattern)
        for bait in ("a" * 100_000 + "!", "1" * 100_000 + "x", " " * 100_000 + "x",
                     "[" + "1" * 50_000 + ", " + "9" * 50_000 + " x"):
            start = time.perf_counter()
            compiled.search(bait)
            assert time.perf_counter() - start < 0.5, pattern


def test_no_reference_is_ever_fetched() -> None:
    """The validator's registry is empty: a $ref to a URL fails instead of being fetched."""
    from referencing.exceptions import Unresolvable

    from evalrules.validate import _validator

    registry = _validator()._resolver._registry
    with pytest.raises(Unresolvable):
        registry.resolver().lookup("http://127.0.0.1:9/evil.json")


@pytest.mark.lang("en_US")
def test_zip_members_are_checked_before_anything_is_inflated(tmp_path: Path) -> None:
    from evalrules.workbook import WorkbookError, WorkbookLimitError, check_archive

    check_archive(HOSTILE / "base" / "facts.xlsx")
    with pytest.raises(WorkbookLimitError, match="zip bomb"):
        check_archive(HOSTILE / "facts-xlsx" / "zip-bomb.xlsx")
    with pytest.raises(WorkbookLimitError, match="expands to"):
        check_archive(HOSTILE / "base" / "facts.xlsx", Limits(xlsx_bytes=1000))
    with pytest.raises(WorkbookError, match="DTD"):
        check_archive(HOSTILE / "facts-xlsx" / "billion-laughs.xlsx")


# -- atomic outputs


def test_atomic_write_that_fails_keeps_the_old_file(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from evalrules import atomic

    target = tmp_path / "report.html"
    target.write_bytes(KEPT)

    def refuse(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OutputError, match="No space left"):
        atomic.write_atomic(target, b"new")
    assert target.read_bytes() == KEPT
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_atomic_write_keeps_permissions(tmp_path: Path) -> None:
    from evalrules.atomic import write_atomic

    target = tmp_path / "report.html"
    write_atomic(target, b"one")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    target.chmod(0o640)
    write_atomic(target, b"two")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_bytes() == b"two"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_atomic_write_killed_midway_leaves_old_or_new(tmp_path: Path) -> None:
    """A writer killed at any moment leaves the previous file or the complete new one, never a
    part: 12 kills at different moments of a 40 MB write."""
    target = tmp_path / "results.csv"
    new = b"n" * 40_000_000
    code = (f"import sys; sys.path.insert(0, {SRC!r}); from evalrules.atomic import "
            f"write_atomic; print('go', flush=True); write_atomic({str(target)!r}, "
            f"b'n' * 40_000_000)")
    outcomes = set()
    for delay in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5):
        target.write_bytes(KEPT)
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        content = target.read_bytes()
        assert content in (KEPT, new)
        outcomes.add(content == new)
    assert False in outcomes  # at least one kill came before the rename


# -- the worker process (evalrules.sandbox)


def test_sandbox_evaluates_like_in_process() -> None:
    from evalrules.sandbox import evaluate_in_worker

    scheme = HOSTILE / "base" / "scheme.yaml"
    facts = HOSTILE / "base" / "facts.yaml"
    answer = evaluate_in_worker(scheme, facts)
    here = evalrules.load_scheme(scheme)
    expected = [here.evaluate(u).total for u in here.read_facts(facts).units]
    assert [r["total"] for r in answer["results"]] == expected
    assert answer["scheme"]["hash"] == here.hash
    answer = evaluate_in_worker(scheme.read_text("utf-8"), (HOSTILE / "base" / "facts.xlsx")
                                .read_bytes(), facts_name="facts.xlsx")
    assert answer["results"][0]["unit"] == "B01"


@pytest.mark.lang("en_US")
def test_sandbox_returns_diagnostics_and_unit_errors() -> None:
    from evalrules.sandbox import evaluate_in_worker

    with pytest.raises(SchemeError) as caught:
        evaluate_in_worker((HOSTILE / "scheme" / "alias-bomb.yaml"), b"units: []")
    assert {d.code for d in caught.value.diagnostics} >= {"Y003"}
    assert caught.value.diagnostics[0].location.file == "alias-bomb.yaml"
    with pytest.raises(evalrules.FactsError) as facts_error:
        evaluate_in_worker(HOSTILE / "base" / "scheme.yaml",
                           HOSTILE / "facts-xlsx" / "zip-bomb.xlsx")
    assert facts_error.value.diagnostics[0].code == "D510"
    with pytest.raises(EvaluationError, match="division by zero"):
        evaluate_in_worker(HOSTILE / "formula" / "division-by-zero.yaml",
                           HOSTILE / "base" / "facts.yaml")


def test_sandbox_stops_a_worker_over_its_cpu_time(tmp_path: Path) -> None:
    from evalrules.sandbox import WorkerLimitError, evaluate_in_worker

    facts = tmp_path / "facts.yaml"
    many_units(facts, 60_000)
    start = time.perf_counter()
    with pytest.raises(WorkerLimitError, match="CPU"):
        evaluate_in_worker(HOSTILE / "base" / "scheme.yaml", facts, cpu_seconds=1,
                           limits=DEFAULT_LIMITS)
    assert time.perf_counter() - start < 30


@pytest.mark.lang("en_US")
def test_sandbox_stops_a_worker_over_its_memory() -> None:
    from evalrules.sandbox import WorkerLimitError, evaluate_in_worker

    # Checking and evaluating the base scheme takes the worker about 30 MB of address space
    # (50 MB while `check` imported jsonschema and networkx for every scheme): give it less.
    with pytest.raises(WorkerLimitError, match=r"memory|stopped"):
        evaluate_in_worker(HOSTILE / "base" / "scheme.yaml", HOSTILE / "base" / "facts.yaml",
                           memory_bytes=24 * 1024 * 1024)


@pytest.mark.lang("en_US")  # quotes English diagnostics
def test_cli_limits_override_is_scoped_to_the_run() -> None:
    """EVALRULES_LIMITS changes single fields for one run (in-process runs get the previous
    limits back); a bad field is a usage error."""
    from click.testing import CliRunner

    from evalrules.cli import main

    runner = CliRunner()
    scheme = str(HOSTILE / "base" / "scheme.yaml")
    done = runner.invoke(main, ["check", scheme], env={"EVALRULES_LIMITS": "yaml_nodes=10"})
    assert done.exit_code == 3 and "more than 10 YAML nodes" in done.output
    assert limits_module.active() is DEFAULT_LIMITS
    done = runner.invoke(main, ["check", scheme], env={"EVALRULES_LIMITS": "nope=1"})
    assert done.exit_code == 2 and "EVALRULES_LIMITS" in done.output
    done = runner.invoke(main, ["check", scheme], env={"EVALRULES_PROFILE": "cli"})
    assert done.exit_code == 0
