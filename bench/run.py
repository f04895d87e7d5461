"""Run every engine on the same branches in one process, check they agree, print the figures.

    python -m bench                       # 10,000 branches of the 101-criterion scheme
    python -m bench --branches 200 --criteria 10 --no-cold-start   # a quick look

Engines: the hand-written baseline (integer hundredths), evalrules scores only (checked units,
and from raw records with the facts check), evalrules with the full trace, simpleeval with
pre-parsed formulas and parsing every time, GoRules ZEN as a JDM graph (plain and with its
trace; skipped with a note when zen-engine is not installed). Slow engines run once, fast ones
`--repeat` times, interleaved, best round kept. Times are the CPU time of this process
(`time.process_time`), so that other jobs on the machine do not count as evalrules' or ZEN's
time (the garbage collector runs as usual). Peak memory is the
process's peak resident set during the engine's run (Linux: VmHWM, reset before each engine),
over what it held before. No figure is a pass or fail.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import engines
from .workload import make_units, make_workload, scheme_yaml

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Engine:
    name: str
    run: Callable[[Any], Any]
    inputs: Sequence[Any]
    slow: bool = False
    seconds: float = float("inf")
    peak_mb: float = 0.0
    outcomes: list[Any] = field(default_factory=list)
    note: str = ""

    @property
    def per_unit_us(self) -> float:
        return self.seconds / len(self.inputs) * 1e6

    @property
    def per_second(self) -> float:
        return len(self.inputs) / self.seconds


def _status(key: str) -> float:
    """A VmHWM/VmRSS figure of this process in MB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _time(engine: Engine, keep: bool) -> float:
    run, inputs = engine.run, engine.inputs
    gc.collect()
    if keep:
        start = time.process_time()
        outcomes = [run(x) for x in inputs]
        elapsed = time.process_time() - start
        engine.outcomes = outcomes
    else:
        start = time.process_time()
        for x in inputs:
            run(x)
        elapsed = time.process_time() - start
    return elapsed


def _command() -> list[str]:
    """The real `evalrules` command (the console script installed beside this interpreter),
    else `python -m evalrules.cli`."""
    script = Path(sys.executable).with_name("evalrules")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evalrules.cli"]


def cold_start(scheme: Path, runs: int = 5) -> dict[str, dict[str, float]]:
    """Median wall and CPU time in ms of `evalrules --help` and `evalrules check` in fresh
    processes, the runs of the commands interleaved (CPU time is user + system of the child:
    less sensitive than wall time to other jobs on the machine), evalrules' bytecode compiled
    first."""
    import compileall

    import evalrules

    # Bytecode as an installation has it (pip compiles at install time): without it every start
    # would compile evalrules' own modules first (100-135 ms), e.g. under PYTHONDONTWRITEBYTECODE.
    compileall.compile_dir(Path(evalrules.__file__).parent, quiet=1)
    exe = _command()
    commands = {
        "evalrules --help": [*exe, "--help"],
        f"evalrules check {scheme.name}": [*exe, "check", str(scheme)],
        "evalrules check pdca-post-evaluation.yaml":
            [*exe, "check", str(ROOT / "schemes" / "pdca-post-evaluation.yaml")],
        "python -c pass (the interpreter alone)": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            start = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            _pid, _status, usage = os.wait4(child.pid, 0)
            times[label].append(((time.perf_counter() - start) * 1000,
                                 (usage.ru_utime + usage.ru_stime) * 1000))
    return {label: {"wall": statistics.median(w for w, _c in samples),
                    "cpu": statistics.median(c for _w, c in samples)}
            for label, samples in times.items()}


def build_engines(args: argparse.Namespace, workdir: Path) -> tuple[list[Engine], dict[str, Any]]:
    import evalrules
    from evalrules.facts import subject_from_mapping

    w = make_workload(args.criteria, args.seed)
    scheme_path = workdir / f"bench-{args.criteria}.yaml"
    scheme_path.write_text(scheme_yaml(w), encoding="utf-8")
    scheme = evalrules.load_scheme(scheme_path)
    raw = list(make_units(w, args.branches, args.seed))
    start = time.perf_counter()
    subjects = [subject_from_mapping(scheme.model, u) for u in raw]
    check_us = (time.perf_counter() - start) / len(raw) * 1e6
    plain = [{"category": s.category, "facts": s.values} for s in subjects]
    sample = raw[: args.parse_sample]
    info = {"criteria": len(list(w.criteria())), "facts": len(w.facts()),
            "items": sum(len(g.children) for g in w.groups), "categories": len(w.groups),
            "branches": len(raw), "facts_check_us": check_us, "scheme": scheme_path,
            "scheme_obj": scheme, "subjects": subjects}

    def score(subject: Any) -> engines.Outcome:
        s = scheme.score(subject)
        return s.total, s.ratings["stars"]

    def check_and_score(unit: Any) -> engines.Outcome:
        s = scheme.score(unit)
        return s.total, s.ratings["stars"]

    def traced(subject: Any) -> engines.Outcome:
        r = scheme.evaluate(subject)
        return r.total, r.ratings["stars"]

    def every_step(subject: Any) -> engines.Outcome:
        r = scheme.evaluate(subject)
        len(r.steps)  # build every Step object of the trace now
        return r.total, r.ratings["stars"]

    def interpreted(subject: Any) -> engines.Outcome:
        r = scheme._evaluator.interpret(subject)
        return r.total, r.ratings["stars"]

    base = engines.baseline(w)
    out = [
        Engine("hand-written Python (baseline)", base, raw),
        Engine("evalrules score (scores only)", score, subjects),
        Engine("evalrules score, facts checked too", check_and_score, raw, slow=True),
        Engine("evalrules evaluate (full trace)", traced, subjects, slow=True),
        Engine("evalrules evaluate, every step built", every_step,
               subjects[: args.parse_sample], slow=True),
        Engine("evalrules interpreter (no codegen)", interpreted,
               subjects[: args.parse_sample], slow=True),
        Engine("simpleeval, pre-parsed formulas", engines.simpleeval_engine(w), plain,
               slow=True),
        Engine("simpleeval, parsed every time", engines.simpleeval_engine(w, False),
               [{"category": u["category"], "facts": s.values}
                for u, s in zip(sample, subjects, strict=False)], slow=True),
    ]
    missing = engines.zen_available()
    if missing or args.no_zen:
        info["zen"] = missing or "skipped (--no-zen)"
    else:
        import zen

        info["zen"] = f"zen-engine {getattr(zen, '__version__', '')}".strip()
        out.append(Engine("GoRules ZEN (Rust), JDM graph", engines.zen_engine(w), raw))
        out.append(Engine("GoRules ZEN with its trace", engines.zen_engine(w, trace=True), raw,
                          slow=True))
    return out, info


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        all_engines, info = build_engines(args, Path(tmp))
        info["rss_loaded_mb"] = _status("VmRSS")
        baseline = all_engines[0]
        for engine in all_engines:  # warm up: first calls compile scorers, fill caches
            for x in engine.inputs[:20]:
                engine.run(x)
        for engine in all_engines:  # outcomes and peak memory, one run each
            rss = _status("VmRSS")
            _reset_peak()
            engine.seconds = _time(engine, keep=True)
            engine.peak_mb = max(_status("VmHWM") - rss, 0.0)
        for _ in range(max(args.repeat - 1, 0)):
            for engine in all_engines:
                if not engine.slow:
                    engine.seconds = min(engine.seconds, _time(engine, keep=False))
        for engine in all_engines:
            expected = baseline.outcomes[: len(engine.outcomes)]
            wrong = [i for i, (a, b) in enumerate(zip(engine.outcomes, expected, strict=True))
                     if a != b]
            engine.note = "all agree" if not wrong else (
                f"{len(wrong)} DISAGREE, e.g. branch {wrong[0]}: {engine.outcomes[wrong[0]]} "
                f"vs {expected[wrong[0]]}")
        # Explaining one unit of the batch on demand: no re-run of the batch.
        scheme, subjects = info["scheme_obj"], info["subjects"]
        pick = subjects[len(subjects) // 2]
        start = time.perf_counter()
        explanation = scheme.evaluate(pick).explain()
        info["explain_one_ms"] = (time.perf_counter() - start) * 1000
        info["explained_unit"] = pick.id
        assert explanation.total == next(
            e.outcomes for e in all_engines if e.name.startswith("evalrules score (")
        )[len(subjects) // 2][0]
        info["cold_start_ms"] = {} if args.no_cold_start else cold_start(info["scheme"])
        info["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"engines": all_engines, "info": info}


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    engines_, info = result["engines"], result["info"]
    by = {e.name: e for e in engines_}
    lines = [
        f"workload: {info['categories']} categories, {info['items']} items, "
        f"{info['criteria']} criteria, {info['facts']} facts per branch; "
        f"{info['branches']:,} branches; seed {args.seed}",
        f"machine: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; one core per engine",
        f"facts check (subject_from_mapping): {info['facts_check_us']:.0f} µs per branch",
        f"process memory with the branches loaded (raw and checked): "
        f"{info['rss_loaded_mb']:.0f} MB; 'peak MB' below is what an engine's run adds",
        "",
        f"{'engine':40} {'branches':>8} {'µs/branch':>10} {'branches/s':>11} "
        f"{'peak MB':>8}  agreement",
    ]
    for e in engines_:
        lines.append(f"{e.name:40} {len(e.inputs):8,} {e.per_unit_us:10.1f} "
                     f"{e.per_second:11,.0f} {e.peak_mb:8.1f}  {e.note}")
    if info.get("zen", "").startswith(("zen-engine is not", "skipped")):
        lines.append(f"GoRules ZEN: {info['zen']}")
    lines.append("")
    score = by["evalrules score (scores only)"]
    trace = by["evalrules evaluate (full trace)"]
    base = by["hand-written Python (baseline)"]
    lines.append(f"evalrules scores only: {score.per_unit_us / base.per_unit_us:.2f}× the "
                 "hand-written baseline's time per branch (target: at most 3×)")
    zen = by.get("GoRules ZEN (Rust), JDM graph")
    zen_trace = by.get("GoRules ZEN with its trace")
    if zen is not None and zen_trace is not None:
        lines.append(f"evalrules scores only: {score.per_second / zen.per_second:.2f}× ZEN's "
                     "throughput (target: at least 5×)")
        lines.append(f"evalrules full trace: {trace.per_second / zen_trace.per_second:.2f}× "
                     "ZEN-with-trace's throughput (target: at least 2×)")
    se = by["simpleeval, pre-parsed formulas"]
    lines.append(f"evalrules scores only: {se.per_unit_us / score.per_unit_us:.1f}× faster than "
                 "simpleeval with pre-parsed formulas")
    built = by["evalrules evaluate, every step built"]
    lines.append(f"evalrules full trace with every Step object built at once: "
                 f"{built.per_unit_us:.0f} µs per branch"
                 + (f" ({built.per_second / zen_trace.per_second:.2f}× ZEN-with-trace)"
                    if zen_trace is not None else ""))
    lines.append(f"explaining unit {info['explained_unit']} of the batch on demand: "
                 f"{info['explain_one_ms']:.1f} ms (one traced evaluation, no re-run)")
    if info["cold_start_ms"]:
        lines.append("")
        lines += _cold_lines(info)
    return "\n".join(lines)


def _cold_lines(info: dict[str, Any]) -> list[str]:
    lines = [f"cold start (median of 5 fresh processes, interleaved, bytecode compiled; load "
             f"average {info['load_average']}):"]
    for label, ms in info["cold_start_ms"].items():
        lines.append(f"  {label:45} {ms['wall']:7.0f} ms wall {ms['cpu']:7.0f} ms CPU")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--criteria", type=int, default=101)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed rounds of the fast engines; the best is kept")
    parser.add_argument("--parse-sample", type=int, default=500,
                        help="branches for the slowest engines: simpleeval parsing every time, "
                             "the interpreter, every trace step built")
    parser.add_argument("--no-zen", action="store_true")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--cold-start-only", action="store_true",
                        help="only time `evalrules --help` and `evalrules check` (the scheme "
                             "of --criteria) in fresh processes")
    args = parser.parse_args(argv)
    if args.cold_start_only:
        with tempfile.TemporaryDirectory() as tmp:
            scheme = Path(tmp) / f"bench-{args.criteria}.yaml"
            scheme.write_text(scheme_yaml(make_workload(args.criteria, args.seed)),
                              encoding="utf-8")
            info = {"cold_start_ms": cold_start(scheme),
                    "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
        print("\n".join(_cold_lines(info)))
        return 0
    result = run(args)
    print(report(result, args))
    if args.json:
        payload = {
            "info": {k: (str(v) if isinstance(v, (Path, Decimal)) else v)
                     for k, v in result["info"].items() if k not in ("scheme_obj", "subjects")},
            "engines": [{"name": e.name, "branches": len(e.inputs),
                         "us_per_branch": e.per_unit_us, "per_second": e.per_second,
                         "peak_mb": e.peak_mb, "agreement": e.note}
                        for e in result["engines"]],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    disagree = [e for e in result["engines"] if e.note != "all agree"]
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
