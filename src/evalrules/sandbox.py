"""Evaluate untrusted schemes and facts in a worker process with CPU and memory limits.

A service that lets users upload schemes (or facts) runs evaluation here rather than in its own
process:

    >>> from evalrules.sandbox import evaluate_in_worker
    >>> results = evaluate_in_worker(scheme_text, facts_bytes, facts_name="facts.xlsx")

The worker is a fresh Python process (`python -m evalrules.sandbox`) that limits itself before it
reads anything: RLIMIT_CPU (CPU seconds; SIGXCPU at the limit), RLIMIT_AS (address space) and no
core files; the parent adds a wall-clock timeout. The request and the answer travel as JSON on
the worker's standard input and output, decimals as exact JSON numbers: nothing is unpickled, so a
worker that misbehaved could not make the parent run anything. The worker applies the limits it
is given (`SERVICE_LIMITS` by default) to every file it reads and every formula it compiles.

Errors come back as the classes evalrules raises in-process: SchemeError and FactsError carrying
every diagnostic, EvaluationError naming the unit; a worker stopped by its CPU, memory or time
limit raises WorkerLimitError (an EvaluationError, exit code 5). docs/security.md describes the
threat model this serves.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Location, Severity
from .errors import EvalrulesError, EvaluationError, FactsError, OutputError, SchemeError
from .i18n import _, current_language, set_language
from .limits import SERVICE_LIMITS, Limits

DEFAULT_CPU_SECONDS = 20.0
DEFAULT_MEMORY_BYTES = 768 * 1024 * 1024
_EXIT_LIMIT = 5  # EvaluationError's exit code: the run was stopped by a resource limit


class WorkerLimitError(EvaluationError):
    """The worker was stopped by its CPU, memory or wall-clock limit."""


# ----------------------------------------------------------------------------------------------
# The parent's side


def evaluate_in_worker(scheme: str | Path, facts: str | Path | bytes, *,
                       facts_name: str | None = None, scheme_name: str = "scheme.yaml",
                       limits: Limits = SERVICE_LIMITS,
                       cpu_seconds: float = DEFAULT_CPU_SECONDS,
                       memory_bytes: int = DEFAULT_MEMORY_BYTES,
                       timeout: float | None = None) -> dict[str, Any]:
    """Check `scheme`, read `facts` and evaluate every unit in a separate, limited process.

    `scheme` is the scheme's text, or a Path to it. `facts` is a Path (or str path) to a facts
    file, or its bytes, with `facts_name` giving the name (its extension picks the reader:
    .yaml, .json, .xlsx, .csv). Returns the results document (format `evalrules.results`,
    as `evalrules evaluate --format json` writes it) with exact Decimals.

    Raises SchemeError, FactsError or EvaluationError as an in-process run would, and
    WorkerLimitError when the worker used more than `cpu_seconds` of CPU, more than
    `memory_bytes` of memory, or more than `timeout` seconds (default: twice the CPU limit
    plus 5 s).
    """
    if isinstance(scheme, Path):
        scheme_name = scheme.name
        scheme_text = _read_bounded(scheme, limits.scheme_bytes, "scheme").decode(
            "utf-8", "surrogateescape")
    else:
        scheme_text = scheme
    if isinstance(facts, bytes):
        facts_data = facts
        facts_name = facts_name or "facts.yaml"
    else:
        facts_path = Path(facts)
        facts_data = _read_bounded(facts_path, limits.facts_bytes, "facts")
        facts_name = facts_name or facts_path.name
    request = {
        "scheme": scheme_text, "scheme_name": _safe_name(scheme_name, "scheme.yaml"),
        "facts": base64.b64encode(facts_data).decode("ascii"),
        "facts_name": _safe_name(facts_name, "facts.yaml"),
        "limits": dataclasses.asdict(limits), "cpu_seconds": cpu_seconds,
        "memory_bytes": memory_bytes, "lang": current_language(),
    }
    wall = timeout if timeout is not None else 2 * cpu_seconds + 5
    try:
        done = subprocess.run(_worker_command(), input=json.dumps(request).encode("utf-8"),
                              capture_output=True, timeout=wall, env=_worker_env(),
                              check=False)
    except subprocess.TimeoutExpired:
        raise WorkerLimitError(_("the evaluation took longer than {seconds} s and was "
                                 "stopped").format(seconds=f"{wall:g}")) from None
    except OSError as exc:
        raise OutputError(_("cannot start the evaluation worker: {reason}").format(
            reason=exc.strerror or exc)) from None
    return _answer(done, cpu_seconds, memory_bytes)


def _read_bounded(path: Path, most: int, what: str) -> bytes:
    try:
        size = path.stat().st_size
        data = b"" if size > most else path.read_bytes()
    except OSError as exc:
        code = "unreadable-file" if what == "scheme" else "bad-facts-file"
        message = (_("cannot read the scheme: {reason}") if what == "scheme"
                   else _("cannot read the facts: {reason}"))
        diagnostic = _diagnostic(code, message.format(reason=exc.strerror or exc),
                                 Location(str(path)))
        raise (SchemeError if what == "scheme" else FactsError)([diagnostic]) from None
    if size > most:
        code = "too-large" if what == "scheme" else "facts-too-large"
        message = (_("the scheme file is larger than {most} bytes") if what == "scheme"
                   else _("the facts file is larger than {most} bytes"))
        diagnostic = _diagnostic(code, message.format(most=most), Location(str(path)))
        raise (SchemeError if what == "scheme" else FactsError)([diagnostic])
    return data


def _diagnostic(name: str, message: str, location: Location) -> Diagnostic:
    from . import diagnostics as dg

    return dg.make(name, message, location)


def _safe_name(name: str, default: str) -> str:
    """A plain file name (no folders) keeping the extension that picks the reader."""
    base = os.path.basename(name.replace("\\", "/")).strip().lstrip(".")
    cleaned = "".join(c for c in base if c.isalnum() or c in "-_.")[:100]
    return cleaned if "." in cleaned else default


def _worker_command() -> list[str]:
    """Python in isolated mode (no PYTHON* variables, no user site, not the current folder on
    the path), importing the same evalrules as this process, installed or not."""
    home = str(Path(__file__).resolve().parent.parent)
    code = (f"import sys; sys.path.insert(0, {home!r}); "
            "from evalrules.sandbox import worker_main; sys.exit(worker_main())")
    return [sys.executable, "-I", "-c", code]


def _worker_env() -> dict[str, str]:
    """The worker's environment: the parent's, less evalrules' own settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EVALRULES_")}


def _answer(done: subprocess.CompletedProcess[bytes], cpu_seconds: float,
            memory_bytes: int) -> dict[str, Any]:
    if done.returncode < 0:
        raise _stopped(-done.returncode, cpu_seconds, memory_bytes)
    try:
        answer = json.loads(done.stdout.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        stderr = done.stderr.decode("utf-8", "replace")
        if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
            # The memory limit can bite anywhere, even before evaluation starts.
            raise WorkerLimitError(_memory_message(memory_bytes))
        tail = stderr.strip().splitlines()[-1:]
        raise EvaluationError(_("the evaluation worker failed: {problem}").format(
            problem=tail[0][:200]) if tail else _("the evaluation worker failed"))
    if "results" in answer:
        return answer
    raise _error(answer.get("error", {}))


def _stopped(signum: int, cpu_seconds: float, memory_bytes: int) -> WorkerLimitError:
    if signum in (signal.SIGXCPU, signal.SIGKILL):
        return WorkerLimitError(_("the evaluation used more than {seconds} s of CPU time and "
                                  "was stopped").format(seconds=f"{cpu_seconds:g}"))
    if signum == signal.SIGSEGV:  # a stack or allocation failure under the memory limit
        return WorkerLimitError(_memory_message(memory_bytes))
    return WorkerLimitError(_("the evaluation worker was stopped by signal {signal}").format(
        signal=signum))


def _memory_message(memory_bytes: int) -> str:
    return _("the evaluation needed more than {megabytes} MB of memory and was stopped").format(
        megabytes=memory_bytes // 2**20)


def _error(error: Mapping[str, Any]) -> EvalrulesError:
    kind = error.get("class")
    message = str(error.get("message") or _("the evaluation failed"))
    if kind in ("SchemeError", "FactsError"):
        diagnostics = [_diagnostic_from(d) for d in error.get("diagnostics", [])]
        return SchemeError(diagnostics) if kind == "SchemeError" else FactsError(diagnostics)
    if kind == "WorkerLimitError":
        return WorkerLimitError(message)
    if kind == "EvaluationError":
        return EvaluationError(message)
    return EvaluationError(message)


def _diagnostic_from(d: Mapping[str, Any]) -> Diagnostic:
    location = Location(str(d.get("file", "")), int(d.get("line", 0)), int(d.get("column", 0)),
                        tuple(d.get("path", ())))
    related = tuple(Location(str(r.get("file", "")), int(r.get("line", 0)),
                             int(r.get("column", 0))) for r in d.get("related", ()))
    return Diagnostic(str(d.get("code", "")), str(d.get("name", "")),
                      Severity(d.get("severity", "error")), str(d.get("message", "")), location,
                      str(d.get("hint", "")), related)


# ----------------------------------------------------------------------------------------------
# Limiting a process (the worker, and the command line's service profile)


def limit_process(cpu_seconds: float, memory_bytes: int, on_cpu_limit: Any = None) -> None:
    """Limit this process: CPU seconds (SIGXCPU at the soft limit, SIGKILL one second later),
    address space, no core files. `on_cpu_limit(signum, frame)` handles SIGXCPU."""
    import resource

    cpu = max(1, int(cpu_seconds + 0.999))
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower(resource.RLIMIT_AS, memory_bytes, memory_bytes)
    _lower(resource.RLIMIT_CORE, 0, 0)
    if on_cpu_limit is not None:
        signal.signal(signal.SIGXCPU, on_cpu_limit)


def _lower(which: int, soft: int, hard: int) -> None:
    """Set a limit, never above the one already in force (an unprivileged process cannot)."""
    import resource

    old_soft, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
    if old_soft != resource.RLIM_INFINITY:
        soft = min(soft, old_soft)
    resource.setrlimit(which, (min(soft, hard), hard))


# ----------------------------------------------------------------------------------------------
# The worker's side


def _reply(payload: Mapping[str, Any]) -> None:
    from .render.jsonout import dumps

    sys.stdout.write(dumps(payload, indent=None))
    sys.stdout.flush()


def _reply_error(exc: EvalrulesError) -> None:
    from .render import jsonout

    error: dict[str, Any] = {"class": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, (SchemeError, FactsError)):
        error["diagnostics"] = [jsonout.diagnostic(d) for d in exc.diagnostics]
    _reply({"error": error})


_CPU_ANSWER: list[bytes] = []  # the worker's answer at its CPU limit, in its language


def _on_cpu_limit(signum: int, frame: Any) -> None:
    os.write(1, _CPU_ANSWER[0] if _CPU_ANSWER else json.dumps({"error": {
        "class": "WorkerLimitError",
        "message": "the evaluation used more than its CPU time and was stopped"}}).encode())
    os._exit(_EXIT_LIMIT)


def _work(request: Mapping[str, Any]) -> dict[str, Any]:
    from . import api
    from .facts import check_facts_file
    from .render import jsonout

    limits = Limits(**request["limits"])
    folder = Path(tempfile.mkdtemp(prefix="evalrules-worker-"))
    try:
        os.chdir(folder)  # file names in diagnostics are the names the caller gave
        scheme_path = Path(request["scheme_name"])
        scheme_path.write_bytes(str(request["scheme"]).encode("utf-8", "surrogateescape"))
        facts_path = Path(request["facts_name"])
        facts_path.write_bytes(base64.b64decode(request["facts"]))
        compiled = api.load_scheme(scheme_path, limits)
        data = check_facts_file(compiled.model, facts_path, limits).strict()
        results = [compiled.evaluate(unit) for unit in data.units]
        return jsonout.results(results, scheme_id=compiled.id,
                               scheme_version=compiled.version, scheme_hash=compiled.hash,
                               facts_file=facts_path.name, facts_hash=data.digest,
                               period=data.period)
    finally:
        os.chdir("/")
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def worker_main() -> int:
    """`python -m evalrules.sandbox`: one request on standard input, one answer on output."""
    raw = sys.stdin.buffer.read()
    try:
        request = json.loads(raw)
        if request.get("lang"):
            set_language(str(request["lang"]))
        _CPU_ANSWER.append(json.dumps({"error": {"class": "WorkerLimitError", "message": _(
            "the evaluation used more than its CPU time and was stopped")}}).encode())
        limit_process(float(request["cpu_seconds"]), int(request["memory_bytes"]),
                      _on_cpu_limit)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        _reply({"error": {"class": "EvaluationError",
                          "message": _("a bad request: {problem}").format(problem=exc)}})
        return 2
    try:
        _reply(_work(request))
    except EvalrulesError as exc:
        _reply_error(exc)
        return exc.exit_code
    except MemoryError:
        _reply({"error": {"class": "WorkerLimitError",
                          "message": _memory_message(int(request["memory_bytes"]))}})
        return _EXIT_LIMIT
    except RecursionError:
        _reply({"error": {"class": "WorkerLimitError",
                          "message": _("the evaluation nested too deeply and was stopped")}})
        return _EXIT_LIMIT
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
