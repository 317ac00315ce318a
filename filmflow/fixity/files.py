"""Reading the archive's files for fixity: `hash_file` (SHA-256 in one pass through a reused
buffer) and `walk_files` (every regular file below a folder, without dotfiles, dot-folders
or our temp files). Used by verify.py (the checks, unknown files) and repair.py (copies).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from filmflow import fsutil


def hash_file(path: Path | str, buf: bytearray | None = None) -> tuple[str, int]:
    """(SHA-256 hex, bytes read) of a file, streamed in 1 MiB blocks through a reused buffer."""
    h = hashlib.sha256()
    buf = buf if buf is not None else bytearray(fsutil.CHUNK)
    view = memoryview(buf)
    total = 0
    with open(path, "rb", buffering=0) as f:
        with contextlib.suppress(AttributeError, OSError):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while n := f.readinto(buf):
            h.update(view[:n])
            total += n
    return h.hexdigest(), total


def walk_files(top: Path, temps: list[Path] | None = None) -> Iterable[tuple[str, str]]:
    """(folder, name) of every regular file below `top`, skipping dotfiles, dot-folders and our
    temp files (collected in `temps` when given)."""
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if fsutil.is_temp_name(name):
                if temps is not None:
                    temps.append(Path(dirpath) / name)
                continue
            if name.startswith("."):
                continue
            yield dirpath, name
