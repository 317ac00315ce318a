"""Leftover temporary files of a filmflow that was killed (`.NAME.filmflow-tmp-*`, see fsutil).

Which of them a live process still owns, and removing the others. A temp file is owned
while any other process has it open, or while any other process has the library's
catalog open and the temp file changed in the last `RECENT_SECONDS` (a copy is closed for
a moment between writing and renaming it), or while the process its name names
(`fsutil.temp_owner`, the ingest that made it) is another live process. Ownership is read
from /proc (Linux); where /proc is unreadable, every temp file counts as owned and nothing
is removed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from filmflow import fsutil

RECENT_SECONDS = 600.0


def open_elsewhere() -> set[str] | None:
    """Real paths of the files other processes have open, or None when /proc cannot be read."""
    me = os.getpid()
    found: set[str] = set()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        if pid == me:
            continue
        fd_dir = f"/proc/{pid}/fd"
        with contextlib.suppress(OSError):
            for fd in os.listdir(fd_dir):
                with contextlib.suppress(OSError):
                    found.add(os.readlink(f"{fd_dir}/{fd}"))
    return found


def stale_temp_files(temps: Sequence[Path], catalog: Path) -> list[Path]:
    """The temp files in `temps` that no live process owns (see the module docstring)."""
    if not temps:
        return []
    busy = open_elsewhere()
    if busy is None:
        return []
    me = os.getpid()  # (this process copies nothing while it sweeps)
    cat = os.path.realpath(catalog)
    catalog_in_use = any(p in busy for p in (cat, f"{cat}-wal"))
    stale = []
    now = time.time()
    for t in temps:
        real = os.path.realpath(t)
        if real in busy:
            continue
        owner = fsutil.temp_owner(Path(t).name)
        if owner is not None and owner != me and fsutil.pid_alive(owner):
            continue  # another process's ingest still copies into it (its workers may have it closed)
        try:
            changed = os.stat(t).st_ctime
        except OSError:
            continue
        if catalog_in_use and now - changed < RECENT_SECONDS:
            continue
        stale.append(Path(t))
    return stale


def remove_files(paths: Iterable[Path]) -> list[Path]:
    """Unlink each file (our own temp files only); returns those removed."""
    removed = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
            removed.append(Path(p))
    return removed
