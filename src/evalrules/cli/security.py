"""The service profile for a command-line run: `EVALRULES_PROFILE=service evalrules ...`.

A service that runs the command line on uploaded files (a job runner, a queue worker) sets
`EVALRULES_PROFILE=service`. The run then reads and computes within `SERVICE_LIMITS` and
limits its own process, as evalrules.sandbox limits its workers: `EVALRULES_CPU_SECONDS`
(default 20) of CPU time and `EVALRULES_MEMORY_MB` (default 768) of address space. A run
stopped by either prints one `error:` line, removes the temporary file of any output it was
writing (the previous output stays as it was) and exits with 5.

`EVALRULES_PROFILE=cli` (or no variable) is the default: `DEFAULT_LIMITS`, no process limits.
`EVALRULES_LIMITS="table_rows=5000,unit_work=1000000"` changes single fields of the profile.
The variables are read when a command starts; docs/security.md describes the profiles.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _
from .app import main

if TYPE_CHECKING:  # evalrules.limits is imported only when a profile is asked for
    from ..limits import Limits

ENV_PROFILE = "EVALRULES_PROFILE"
ENV_CPU = "EVALRULES_CPU_SECONDS"
ENV_MEMORY = "EVALRULES_MEMORY_MB"
ENV_LIMITS = "EVALRULES_LIMITS"
EXIT_LIMIT = 5


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise click.UsageError(_("{variable} must be a number, not {value}").format(
            variable=name, value=repr(raw))) from None
    if value <= 0:
        raise click.UsageError(_("{variable} must be more than 0").format(variable=name))
    return value


def _stop(line: str) -> None:
    """Print one error line, remove pending temporary outputs, exit at once with EXIT_LIMIT."""
    from ..atomic import remove_pending

    remove_pending()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os.write(2, f"{line}\n".encode())
    os._exit(EXIT_LIMIT)


def with_overrides(limits: Limits, text: str) -> Limits:
    """`limits` with the fields named in `text` ("field=value,field=value") changed."""
    from ..limits import Limits

    fields = set(Limits.__dataclass_fields__)
    changes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in fields:
            raise click.UsageError(_("{variable}: {item} is not FIELD=NUMBER with a field of "
                                     "Limits ({fields})").format(
                variable=ENV_LIMITS, item=repr(item), fields=", ".join(sorted(fields))))
        try:
            changes[name] = int(value.strip().replace("_", ""))
        except ValueError:
            raise click.UsageError(_("{variable}: {field} must be a whole number, not {value}")
                                   .format(variable=ENV_LIMITS, field=name,
                                           value=repr(value.strip()))) from None
        if changes[name] < 0:
            raise click.UsageError(_("{variable}: {field} must not be negative").format(
                variable=ENV_LIMITS, field=name))
    return limits.replace(**changes)


def apply_profile(name: str, overrides: str = "") -> None:
    """Activate a limits profile for this run (with single fields changed by `overrides`);
    `service` also limits the process."""
    from ..limits import PROFILES, activate, active
    from ..sandbox import DEFAULT_CPU_SECONDS, DEFAULT_MEMORY_BYTES, limit_process

    name = name or "cli"
    if name not in PROFILES:
        raise click.UsageError(_("{variable} must be one of {profiles}, not {value}").format(
            variable=ENV_PROFILE, profiles=", ".join(PROFILES), value=repr(name)))
    limits = with_overrides(PROFILES[name], overrides)
    previous = active()
    activate(limits)
    context = click.get_current_context(silent=True)
    if context is not None:  # in-process runs (tests) get the earlier limits back
        context.call_on_close(lambda: activate(previous))
    if name != "service":
        return
    cpu = _number(ENV_CPU, DEFAULT_CPU_SECONDS)
    memory = int(_number(ENV_MEMORY, DEFAULT_MEMORY_BYTES / 2**20) * 2**20)

    # Translated before the limits hold: a run out of memory must not need more to say so.
    cpu_message = _("the run used more than {seconds} s of CPU time ({variable}) and was "
                    "stopped").format(seconds=f"{cpu:g}", variable=ENV_CPU)
    memory_message = _("the run needed more than {megabytes} MB of memory ({variable}) and "
                       "was stopped").format(megabytes=memory // 2**20, variable=ENV_MEMORY)
    error_line = _("error: {message}")

    def on_cpu_limit(signum: int, frame: Any) -> None:
        _stop(error_line.format(message=cpu_message))

    limit_process(cpu, memory, on_cpu_limit)
    previous_hook = sys.excepthook

    def on_error(kind: type[BaseException], value: BaseException,
                 trace: TracebackType | None) -> None:
        if issubclass(kind, MemoryError):
            _stop(error_line.format(message=memory_message))
        previous_hook(kind, value, trace)

    sys.excepthook = on_error


def _with_profile(callback: Callable[..., Any] | None) -> Callable[..., Any]:
    @functools.wraps(callback or (lambda: None))
    def start(*args: Any, **kwargs: Any) -> Any:
        profile = os.environ.get(ENV_PROFILE, "").strip()
        overrides = os.environ.get(ENV_LIMITS, "").strip()
        if profile or overrides:
            apply_profile(profile, overrides)
        return callback(*args, **kwargs) if callback is not None else None

    return start


main.callback = _with_profile(main.callback)
