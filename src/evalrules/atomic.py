"""Write output files atomically: a reader sees the old file or the new one, never half.

The data goes to a temporary file in the same folder, is flushed to disk, and replaces the
target with one rename; the folder is then flushed too, so the rename survives a power cut. A
failure at any point (a full disk, an interrupt) removes the temporary file and leaves the
target as it was. The new file gets the target's permissions, or the usual ones (0666 less the
umask) for a new file, rather than the 0600 of a temporary file. Temporary files still being
written are listed, so that a process stopped by a signal (see evalrules.sandbox) can remove
them before it exits.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import OutputError
from .i18n import _

_PENDING: set[str] = set()
_LOCK = threading.Lock()


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename."""
    with open_atomic(path) as handle:
        handle.write(data)


@contextmanager
def open_atomic(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                newline: str | None = None) -> Iterator[IO[Any]]:
    """A file to write `path` through, in pieces (a stream of results): a temporary file in
    the same folder, with the permissions `path` will have, renamed over it when the block
    ends. On any error in the block or in writing, the temporary file is removed, `path` is
    left as it was, and an OSError becomes an OutputError."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(_("cannot write {file}: {reason}").format(
            file=target, reason=exc.strerror or exc)) from None
    with _LOCK:
        _PENDING.add(temp)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            os.fchmod(handle.fileno(), _mode_for(target))
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        _sync_folder(folder)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(_("cannot write {file}: {reason}").format(
            file=target, reason=exc.strerror or exc)) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    finally:
        with _LOCK:
            _PENDING.discard(temp)


def _mode_for(target: Path) -> int:
    """The permissions the new file gets: those of the file it replaces, else 0666 - umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)  # elsewhere: set and restore (briefly visible to other threads)
    os.umask(umask)
    return umask


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file (not possible on every system)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_pending() -> None:
    """Remove the temporary files of writes still in progress (before a forced exit)."""
    with _LOCK:
        pending = list(_PENDING)
        _PENDING.clear()
    for temp in pending:
        with contextlib.suppress(OSError):
            os.unlink(temp)
