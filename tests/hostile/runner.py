"""Run command-line cases in limited child processes, forked from one warm parent.

`python tests/hostile/runner.py JOBS` reads one case per line on standard input (JSON:
`{"id", "args", "cwd", "env", "output", "cpu", "memory", "wall"}`) and answers one line per
finished case (`{"id", "status", "signal", "cpu", "maxrss_kb", "wall"}`), in the order they
finish. The parent imports the command line (and what it loads) once; each case is a forked
child that sets RLIMIT_CPU and RLIMIT_AS, sends its output to a file and runs
`evalrules ARGS` exactly as `python -m evalrules.cli` would, so a case costs its own work rather
than Python's start-up. os.wait4 gives each child's CPU time and peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from typing import Any


def _warm() -> None:
    """Import what most commands import, so that children start warm."""
    import importlib

    for name in ("evalrules.api", "evalrules.cli", "evalrules.compiler", "evalrules.codegen",
                 "evalrules.render.html", "evalrules.render.xlsx", "evalrules.tablefacts"):
        importlib.import_module(name)
    from evalrules.validate import _validator

    _validator()


def _child(case: dict[str, Any]) -> None:  # pragma: no cover - runs in the forked child
    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (case["cpu"], case["cpu"] + 1))
        resource.setrlimit(resource.RLIMIT_AS, (case["memory"], case["memory"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        fd = os.open(case["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.chdir(case["cwd"])
        for key in [k for k in os.environ if k.startswith("EVALRULES_")]:
            del os.environ[key]
        os.environ.update(case["env"])
        from evalrules.cli import main

        sys.argv = ["evalrules", *case["args"]]
        try:
            main.main(args=case["args"], prog_name="evalrules")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> int:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    _warm()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pending = [json.loads(line) for line in sys.stdin if line.strip()]
    running: dict[int, tuple[dict[str, Any], float]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            case = pending.pop(0)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(case)
            running[pid] = (case, time.perf_counter())
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            now = time.perf_counter()
            for child, (case, started) in list(running.items()):
                if now - started > case["wall"]:
                    os.kill(child, signal.SIGKILL)
            time.sleep(0.005)
            continue
        case, started = running.pop(pid)
        answer = {
            "id": case["id"], "wall": time.perf_counter() - started,
            "status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
