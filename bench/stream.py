"""The streaming run: 1,000,000 branches from JSON Lines through `evalrules score` to CSV.

    python -m bench.stream --units 1000000 --dir /tmp/stream   # writes the input once (~2 GB)

Runs the command as a separate process with --jobs 1 and --jobs 2 (the one-core run on
--single units, by default a tenth, to save time), samples the resident memory of the whole
process tree (the command and its workers) every half second, checks that both runs wrote the
same rows, and prints time, units/s, peak RSS and the speed-up.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from pathlib import Path

from .workload import make_workload, scheme_yaml, write_jsonl


def _tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


def run_command(scheme: Path, facts: Path, out: Path, jobs: int) -> tuple[float, float]:
    command = [sys.executable, "-m", "evalrules.cli", "score", str(scheme), str(facts), "-o",
               str(out), "--jobs", str(jobs)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    err = process.stderr.read() if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"evalrules score failed ({process.returncode}): {err}")
    print(err.strip(), file=sys.stderr)
    return seconds, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=0,
                        help="units for the one-core run (default: a tenth of --units)")
    parser.add_argument("--dir", type=Path, default=Path("bench-stream"))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--speed-up-only", action="store_true",
                        help="only the one-core and two-core runs on --single units")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    w = make_workload(101, args.seed)
    scheme = args.dir / "bench-101.yaml"
    scheme.write_text(scheme_yaml(w), encoding="utf-8")
    facts = args.dir / f"units-{args.units}.jsonl"
    if not facts.exists():
        start = time.perf_counter()
        write_jsonl(facts, w, args.units, args.seed)
        print(f"wrote {facts} ({facts.stat().st_size / 2**30:.2f} GiB) in "
              f"{time.perf_counter() - start:.0f} s")
    single = args.single or max(1, args.units // 10)
    small = args.dir / f"units-{single}.jsonl"
    if not small.exists():
        with facts.open("rb") as src, small.open("wb") as dst:
            for i, line in enumerate(src):
                if i >= single:
                    break
                dst.write(line)
    rows = {}
    runs = [("1 job", small, 1), ("2 jobs", small, 2), ("2 jobs, all units", facts, 2)]
    for label, path, jobs in runs[: 2 if args.speed_up_only else 3]:
        out = args.dir / f"results-{label.replace(' ', '-').replace(',', '')}.csv"
        seconds, peak = run_command(scheme, path, out, jobs)
        count = sum(1 for _ in path.open("rb"))
        rows[label] = (count, seconds, peak, out)
        print(f"{label:18} {count:>9,} units  {seconds:8.1f} s  {count / seconds:8,.0f} units/s"
              f"  peak RSS {peak:6.0f} MB (all processes)", flush=True)
    one, two = rows["1 job"], rows["2 jobs"]
    same = one[3].read_bytes() == two[3].read_bytes()
    print(f"2-core speed-up on {one[0]:,} units: {one[1] / two[1]:.2f}× "
          f"({'identical output' if same else 'OUTPUT DIFFERS'})")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
