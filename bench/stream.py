"""The streaming run: 1,000,000 branches from JSON Lines through `evalrules score` to CSV.

    python -m bench.stream --units 1000000 --dir /tmp/stream   # writes the input once (~2 GB)

Runs the command as a separate process with --jobs 1 and --jobs 2 on --single units (by default
a tenth), and, as the most this machine's two cores give, two independent --jobs 1 processes
side by side on the two halves of those units; interleaved for --repeat rounds so that all see
the same conditions; then --jobs 2 on the whole file. For each run it prints wall time,
units/s, the CPU time of the command and its workers (CPU over wall: the cores it was given),
the share of the machine's CPU the hypervisor took meanwhile (steal, from /proc/stat) and the
peak resident memory of the whole process tree, sampled every half second; then the speed-ups
of each round and their medians, and whether every run wrote the same rows.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .workload import make_workload, scheme_yaml, write_jsonl


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants, in MB: psutil when installed
    (the bench extra), else Linux's /proc; 0 where neither can tell."""
    try:
        import psutil
    except ImportError:
        return _proc_tree_rss_mb(pid)
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


def _proc_tree_rss_mb(pid: int) -> float:
    pids, total_kib = [pid], 0
    for process in pids:  # grows as children are found
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{process}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


# A round counts as quiet when the hypervisor took at most this share of the machine's CPU in
# each of its runs (steal time: the VM's cores running someone else's work).
QUIET_STEAL = 0.05


def _cpu_ticks() -> tuple[int, int]:
    """(all ticks, stolen ticks) of the machine so far, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0, 0
    ticks = [int(f) for f in fields]
    return sum(ticks[:8]), ticks[7] if len(ticks) > 7 else 0


@dataclass
class Run:
    seconds: float  # wall
    cpu: float  # user + system of the command and its workers
    peak: float  # MB, all processes
    steal: float  # share of the machine's CPU time taken by the hypervisor meanwhile


def run_commands(scheme: Path, jobs: int, *pairs: tuple[Path, Path]) -> Run:
    """`evalrules score` of each (facts, output) pair, all at once, as separate processes."""
    with contextlib.ExitStack() as stack:
        # Messages go to files: the exact wait below reads no pipe, which they could fill.
        errors = [stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
                  for _pair in pairs]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        ticks = _cpu_ticks()
        start = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-m", "evalrules.cli", "score",
                                       str(scheme), str(facts), "-o", str(out), "--jobs",
                                       str(jobs)], stderr=err, text=True)
                     for (facts, out), err in zip(pairs, errors, strict=True)]
        peaks = [0.0]
        ended = threading.Event()

        def sample() -> None:  # memory every half second, beside the exact wait for the end
            while not ended.wait(0.5):
                peaks.append(sum(_tree_rss_mb(p.pid) for p in processes))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            for process in processes:
                process.wait()
            seconds = time.perf_counter() - start
        finally:  # interrupted: leave no command running
            ended.set()
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers too: the command waits
        total, stolen = (b - a for a, b in zip(ticks, _cpu_ticks(), strict=True))
        for process, handle in zip(processes, errors, strict=True):
            handle.seek(0)
            err = handle.read()
            if process.returncode:
                raise SystemExit(f"evalrules score failed ({process.returncode}): {err}")
            print(err.strip(), file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(seconds, cpu, max(peaks), stolen / total if total else 0.0)


def run_command(scheme: Path, facts: Path, out: Path, jobs: int) -> Run:
    return run_commands(scheme, jobs, (facts, out))


def _line(label: str, count: int, run: Run) -> str:
    return (f"{label:18} {count:>9,} units  {run.seconds:8.1f} s  {count / run.seconds:8,.0f} "
            f"units/s  {run.cpu:7.1f} s CPU ({run.cpu / run.seconds:.2f} cores)  steal "
            f"{run.steal:4.0%}  peak RSS {run.peak:5.0f} MB")


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
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds of one-core and two-core runs (default 3)")
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
    with small.open("rb") as lines:
        count = sum(1 for _ in lines)
    halves = [args.dir / f"units-{single}-half-{n}.jsonl" for n in (1, 2)]
    with small.open("rb") as src, halves[0].open("wb") as first, halves[1].open("wb") as second:
        for i, line in enumerate(src):
            (first if i < count // 2 else second).write(line)
    speed_ups, ceilings, quiet = [], [], []
    outputs = set()
    for repeat in range(1, args.repeat + 1):
        # Interleaved, so that all three see the same conditions: one process on one core; two
        # independent one-core processes side by side on the two halves (the most two cores of
        # this machine give, with no coordination at all); --jobs 2.
        one = run_command(scheme, small, args.dir / "results-1-jobs.csv", 1)
        print(_line(f"round {repeat}, 1 job", count, one), flush=True)
        apart = run_commands(scheme, 1, *[(h, h.with_suffix(".csv")) for h in halves])
        print(_line(f"round {repeat}, halves", count, apart), flush=True)
        two = run_command(scheme, small, args.dir / "results-2-jobs.csv", 2)
        print(_line(f"round {repeat}, 2 jobs", count, two), flush=True)
        outputs |= {(args.dir / f"results-{j}-jobs.csv").read_bytes() for j in (1, 2)}
        speed_ups.append(one.seconds / two.seconds)
        ceilings.append(one.seconds / apart.seconds)
        quiet.append(max(one.steal, apart.steal, two.steal) <= QUIET_STEAL)
        print(f"round {repeat}: --jobs 2 {speed_ups[-1]:.2f}×, two independent halves "
              f"{ceilings[-1]:.2f}×", flush=True)
    same = len(outputs) == 1
    print(f"2-core speed-up on {count:,} units over {args.repeat} interleaved rounds: median "
          f"{statistics.median(speed_ups):.2f}×, best {max(speed_ups):.2f}×, worst "
          f"{min(speed_ups):.2f}× ({'identical output' if same else 'OUTPUT DIFFERS'}); two "
          f"independent processes on the halves: median {statistics.median(ceilings):.2f}×, "
          f"best {max(ceilings):.2f}×, worst {min(ceilings):.2f}×")
    calm = [(a, b) for a, b, q in zip(speed_ups, ceilings, quiet, strict=True) if q]
    if calm:
        print(f"rounds where the hypervisor took at most {QUIET_STEAL:.0%} of the CPU in every "
              f"run ({len(calm)} of {args.repeat}): --jobs 2 median "
              f"{statistics.median(a for a, _b in calm):.2f}×, two independent processes median "
              f"{statistics.median(b for _a, b in calm):.2f}×")
    print(f"--jobs 2 against two independent processes, round by round: median "
          f"{statistics.median(a / b for a, b in zip(speed_ups, ceilings, strict=True)):.2f}")
    if not args.speed_up_only:
        out = args.dir / "results-2-jobs-all-units.csv"
        run = run_command(scheme, facts, out, 2)
        with facts.open("rb") as lines:
            print(_line("2 jobs, all units", sum(1 for _ in lines), run), flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
