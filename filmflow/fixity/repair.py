"""`verify --repair`: restore a missing or changed archive file from an identical copy.

The copy is the frame's ingest source or a file of the same size and SHA-256 under
`--from DIR` (each candidate hashed at most once, only when its size matches). A changed
file is first moved aside to `<name>.corrupt-<YYYYMMDD>`, never deleted; the copy is
verified (fsutil.copy_verified). verify.py finds the problems and records the repairs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filmflow import fsutil
from filmflow.errors import FilmflowError
from filmflow.fixity.files import hash_file, walk_files

log = logging.getLogger("filmflow.fixity.verify")  # verify's one logger (its log lines name it)


@dataclass(frozen=True, slots=True)
class Repair:
    """A missing or changed frame restored from an identical copy."""

    ref: str
    path: Path
    source: Path
    was: str                       # "missing" | "changed"
    moved_aside: Path | None       # where the changed file was kept


@dataclass(frozen=True, slots=True)
class Unrepaired:
    """A problem `--repair` could not fix, and why."""

    ref: str
    path: Path
    reason: str


class _Copies:
    """Files under the --from folders, by size; hashed at most once each, only when a size matches."""

    def __init__(self, dirs: Sequence[Path], buf: bytearray) -> None:
        self.dirs, self.buf = list(dirs), buf
        self._by_size: dict[int, list[Path]] | None = None
        self._sha: dict[Path, str | None] = {}

    def _index(self) -> dict[int, list[Path]]:
        if self._by_size is None:
            self._by_size = defaultdict(list)
            for d in self.dirs:
                for dirpath, name in walk_files(Path(d)):
                    p = Path(dirpath) / name
                    with contextlib.suppress(OSError):
                        self._by_size[p.stat().st_size].append(p)
        return self._by_size

    def sha_of(self, p: Path) -> str | None:
        if p not in self._sha:
            try:
                self._sha[p] = hash_file(p, self.buf)[0]
            except OSError:
                self._sha[p] = None
        return self._sha[p]

    def find(self, sha: str, size: int, source: Path | None) -> Path | None:
        """An existing file with exactly this size and SHA-256: the ingest source first."""
        if source is not None:
            try:
                if source.is_file() and source.stat().st_size == size and self.sha_of(source) == sha:
                    return source
            except OSError:
                pass
        for p in self._index().get(size, ()):
            if self.sha_of(p) == sha:
                return p
        return None


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d")
    cand = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while cand.exists():
        cand = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return cand


def repair_files(root: Path, problems: Sequence[tuple[str, Path, str, int, str | None, int, str]],
                 from_dirs: Sequence[Path], buf: bytearray) -> tuple[list[Repair], list[Unrepaired]]:
    """Restore each (ref, path, sha, size, source, frame id, "missing"|"changed") from an identical copy."""
    copies = _Copies(from_dirs, buf)
    repaired: list[Repair] = []
    unrepaired: list[Unrepaired] = []
    for ref, path, sha, size, source, _fid, was in problems:
        src = copies.find(sha, size, (root / source) if source else None)  # `/` keeps an absolute source
        if src is None:
            where = "its ingest source" + (" or under --from" if from_dirs else "; pass --from DIR with a backup")
            unrepaired.append(Unrepaired(ref, path, f"no identical copy found in {where}"))
            continue
        aside: Path | None = None
        try:
            if was == "changed" and path.exists():
                aside = _aside_name(path)
                os.rename(path, aside)  # kept beside it, never deleted
            fsutil.copy_verified(src, path, expect_sha=sha)
        except (FilmflowError, OSError) as e:
            if aside is not None and not path.exists():
                with contextlib.suppress(OSError):
                    os.rename(aside, path)
                aside = None
            unrepaired.append(Unrepaired(ref, path, f"copy from {src} failed: {e}"))
            continue
        log.info("repaired %s from %s", ref, src)
        repaired.append(Repair(ref, path, src, was, aside))
    return repaired, unrepaired
