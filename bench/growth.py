"""How the cost grows with the scheme's size and with the number of units.

    python -m bench.growth                      # 10, 100 and 1,000 criteria; 1k to 100k units

For each scheme size: the time to load (check and compile) the scheme, the first call (code
generation), and µs per branch for the baseline, evalrules scores only and with the full trace,
and ZEN when installed. For the number of units: the time and the peak memory of scoring 1,000,
10,000 and 100,000 branches one at a time (`score_all` over a generator: memory stays flat).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import engines
from .workload import make_units, make_workload, scheme_yaml


def _per_unit(run: Callable[[Any], Any], inputs: Sequence[Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for x in inputs:
            run(x)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1e6


def _peak_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def by_size(sizes: Sequence[int], branches: int, seed: int, folder: Path) -> list[str]:
    import evalrules
    from evalrules.facts import subject_from_mapping

    rows = [f"{'criteria':>8} {'facts':>6} {'load ms':>8} {'codegen ms':>10} "
            f"{'baseline µs':>11} {'score µs':>9} {'trace µs':>9} {'ZEN µs':>8}"]
    for size in sizes:
        w = make_workload(size, seed)
        path = folder / f"growth-{size}.yaml"
        path.write_text(scheme_yaml(w), encoding="utf-8")
        start = time.perf_counter()
        scheme = evalrules.load_scheme(path)
        load_ms = (time.perf_counter() - start) * 1000
        raw = list(make_units(w, branches, seed))
        subjects = [subject_from_mapping(scheme.model, u) for u in raw]
        start = time.perf_counter()
        scheme.score(subjects[0])
        scheme.evaluate(subjects[0])
        codegen_ms = (time.perf_counter() - start) * 1000
        base = _per_unit(engines.baseline(w), raw)
        score = _per_unit(scheme.score, subjects)
        trace = _per_unit(scheme.evaluate, subjects, 1)
        zen = "-"
        if not engines.zen_available():
            zen = f"{_per_unit(engines.zen_engine(w), raw):8.1f}"
        rows.append(f"{len(list(w.criteria())):8} {len(w.facts()):6} {load_ms:8.0f} "
                    f"{codegen_ms:10.0f} {base:11.1f} {score:9.1f} {trace:9.1f} {zen:>8}")
    return rows


def by_units(counts: Sequence[int], seed: int, folder: Path) -> list[str]:
    import evalrules

    w = make_workload(101, seed)
    path = folder / "growth-units.yaml"
    path.write_text(scheme_yaml(w), encoding="utf-8")
    scheme = evalrules.load_scheme(path)
    rows = [f"{'units':>8} {'seconds':>8} {'µs/unit':>8} {'peak RSS MB':>12}  "
            "(check + score, one at a time)"]
    for count in counts:
        with contextlib.suppress(OSError):  # peak resident set from here on (Linux)
            Path("/proc/self/clear_refs").write_text("5")
        start = time.perf_counter()
        done = sum(1 for _ in scheme.score_all(make_units(w, count, seed)))
        seconds = time.perf_counter() - start
        rows.append(f"{done:8,} {seconds:8.1f} {seconds / done * 1e6:8.0f} {_peak_mb():12.0f}")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--units", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.sizes:
            print("\n".join(by_size(args.sizes, args.branches, args.seed, Path(tmp))),
                  flush=True)
            print()
        print("\n".join(by_units(args.units, args.seed, Path(tmp))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
