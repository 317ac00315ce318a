"""Fixity of the archive: is every catalogued file where the catalog says, whole and unchanged?

Owns `verify_library` (the checks, the nightly `--rehash` slice, recording
`frames.verified_at`), the report, and the walk for files the catalog does not know.
`--repair` from an identical copy (the frame's ingest source, or a file found under
`--from DIR`) is repair.py; hashing and walking files is files.py (`hash_file`, `Repair`
and `Unrepaired` are importable from here too).

Rules: verify never changes an archive file, except `--repair`, which restores a file by
verified copy and first moves a changed file aside to `<name>.corrupt-<YYYYMMDD>` (never
deletes it). The quick check is one streamed SELECT plus one stat per frame. `--rehash`
walks frames oldest-verified first and records each good frame's time in batched
UPDATEs on a second connection (the reading SELECT keeps its WAL snapshot, so rows it
has not reached yet do not move under it). An archive folder that is missing or empty
while the catalog holds frames in it is reported once (an unmounted disk), not as
100,000 missing files. Our temp files (`.NAME.filmflow-tmp-*`) that a killed filmflow left
are reported, and `--repair` removes those no live process owns (filmflow/tempfiles.py).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filmflow import fsutil, tempfiles
from filmflow.catalog.db import transaction
from filmflow.catalog.fixity import (count_files, expects_archive_files, fixity_rows, fixity_totals,
                                     record_verified, stored_paths)
from filmflow.catalog.refiles import refile_paths
from filmflow.catalog.rolls import now
from filmflow.catalog.xmpstate import sidecar_paths
from filmflow.errors import InputError
from filmflow.fixity.files import hash_file, walk_files
from filmflow.fixity.repair import Repair, Unrepaired, repair_files
from filmflow.opencatalog import open_catalog

if TYPE_CHECKING:
    from filmflow.library import Library

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]   # (frames done, bytes hashed) since the last call
CORRUPT_RE = re.compile(r"\.corrupt-\d{8}(?:-\d+)?$")
FLUSH_EVERY = 500          # frames per batched UPDATE of verified_at
FLUSH_SECONDS = 10.0       # ... or this often, so an interrupted night keeps most of its work


@dataclass(frozen=True, slots=True)
class MissingFile:
    """A catalogued frame whose file is not at its path."""

    ref: str
    path: Path


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """A catalogued frame whose file has other bytes than were ingested (bit rot, an edit)."""

    ref: str
    path: Path
    expected: str
    actual: str | None
    expected_bytes: int
    actual_bytes: int | None


@dataclass(frozen=True, slots=True)
class UnreadableFile:
    """A frame's file that exists but could not be read (permissions, I/O error)."""

    ref: str
    path: Path
    error: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What `verify` found; `failed` decides the exit status."""

    archive: Path
    checked: int = 0
    ok: int = 0
    hashed: int = 0
    hashed_bytes: int = 0
    missing: tuple[MissingFile, ...] = ()
    changed: tuple[ChangedFile, ...] = ()
    unreadable: tuple[UnreadableFile, ...] = ()
    unknown: tuple[Path, ...] = ()
    quarantined: tuple[Path, ...] = ()
    repaired: tuple[Repair, ...] = ()
    unrepaired: tuple[Unrepaired, ...] = ()
    archive_missing: bool = False
    not_checked: int = 0
    budget_reached: bool = False
    rehash: bool = False
    elapsed: float = 0.0
    temp_files: tuple[Path, ...] = ()          # leftovers of a killed filmflow (still there)
    removed_temp_files: tuple[Path, ...] = ()  # ... that --repair removed
    adopted: tuple[tuple[str, Path], ...] = ()  # edits saved into the archive, now versions of their frames

    @property
    def failed(self) -> bool:
        """True when anything is wrong that was not repaired."""
        fixed = {r.ref for r in self.repaired}
        open_problems = [p for p in (*self.missing, *self.changed) if p.ref not in fixed]
        return bool(self.archive_missing or open_problems or self.unreadable or self.unknown)

    def to_json(self) -> dict[str, Any]:
        """The `verify --json` document (paths absolute)."""
        return {
            "checked": self.checked,
            "ok": self.ok,
            "missing": [{"ref": m.ref, "path": str(m.path)} for m in self.missing],
            "changed": [{"ref": c.ref, "path": str(c.path), "expected": c.expected, "actual": c.actual,
                         "expected_bytes": c.expected_bytes, "actual_bytes": c.actual_bytes}
                        for c in self.changed],
            "unknown": [str(p) for p in self.unknown],
            "adopted": [{"ref": ref, "path": str(p)} for ref, p in self.adopted],
            "repaired": [{"ref": r.ref, "path": str(r.path), "from": str(r.source), "was": r.was,
                          "moved_aside": str(r.moved_aside) if r.moved_aside else None} for r in self.repaired],
            "archive_missing": self.archive_missing,
            "elapsed": round(self.elapsed, 3),
            "unreadable": [{"ref": u.ref, "path": str(u.path), "error": u.error} for u in self.unreadable],
            "unrepaired": [{"ref": u.ref, "path": str(u.path), "reason": u.reason} for u in self.unrepaired],
            "quarantined": [str(p) for p in self.quarantined],
            "rehash": self.rehash,
            "hashed": self.hashed,
            "hashed_bytes": self.hashed_bytes,
            "not_checked": self.not_checked,
            "budget_reached": self.budget_reached,
            "archive": str(self.archive),
            "temp_files": [str(p) for p in self.temp_files],
            "removed_temp_files": [str(p) for p in self.removed_temp_files],
        }


def check_options(limit: int | None, max_time: float | None, from_dirs: Sequence[Path]) -> None:
    """InputError for a bad --limit, --max-time or --from."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit} must be 1 or more.")
    if max_time is not None and not max_time > 0:  # nan too
        raise InputError(f"--max-time {max_time:g} must be a positive number of seconds.")
    for d in from_dirs:
        if not Path(d).is_dir():
            raise InputError(f"--from {d} is not a folder; give the folder holding copies of your scans.")


def verify_totals(lib: Library, *, limit: int | None = None) -> tuple[int, int]:
    """(frames, bytes) a run would check/hash: for sizing a progress bar."""
    db = open_catalog(lib)
    try:
        return fixity_totals(db.conn, limit)
    finally:
        db.conn.close()


def _archive_missing(lib: Library, conn: sqlite3.Connection) -> bool:
    """True when archive/ is absent, or empty although the catalog keeps frames there (unmounted)."""
    archive = Path(lib.archive)
    if not archive.is_dir():
        return True
    if not expects_archive_files(conn):
        return False
    with os.scandir(archive) as it:
        return next(iter(it), None) is None


class _Batch:
    """verified_at updates, written in batches on their own connection."""

    def __init__(self, lib: Library, clock: Callable[[], float]) -> None:
        self.lib, self.clock = lib, clock
        self.db: Any = None
        self.pending: list[tuple[str, int]] = []
        self.last = clock()

    def add(self, frame_id: int) -> None:
        self.pending.append((now(), frame_id))
        if len(self.pending) >= FLUSH_EVERY or self.clock() - self.last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last = self.clock()
        if not self.pending:
            return
        if self.db is None:
            self.db = open_catalog(self.lib)
        with transaction(self.db) as conn:
            record_verified(conn, self.pending)
        self.pending.clear()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self.db is not None:
                self.db.conn.close()


@dataclass
class _Run:
    """Mutable tallies of one run (turned into a VerifyReport at the end)."""

    checked: int = 0
    ok: int = 0
    hashed: int = 0
    hashed_bytes: int = 0
    missing: list[MissingFile] = field(default_factory=list)
    changed: list[ChangedFile] = field(default_factory=list)
    unreadable: list[UnreadableFile] = field(default_factory=list)
    to_repair: list[tuple[str, Path, str, int, str | None, int, str]] = field(default_factory=list)
    skipped: int = 0
    budget_reached: bool = False


def verify_library(
    lib: Library,
    *,
    rehash: bool = False,
    limit: int | None = None,
    max_time: float | None = None,
    repair: bool = False,
    from_dirs: Sequence[Path] = (),
    progress: ProgressFn | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> VerifyReport:
    """Check every catalogued file; see the module docstring for the rules.

    Without `rehash`: size check of every frame (`limit`/`max_time` stop the pass early).
    With `rehash`: frames oldest-verified first; the first `limit` frames (or as many as
    `max_time` seconds allow) are re-hashed and their `verified_at` recorded, the rest
    still get the size check, so a missing file is always found.
    """
    check_options(limit, max_time, from_dirs)
    start = clock()
    deadline = start + max_time if max_time is not None else None
    db = open_catalog(lib)
    run = _Run()
    batch = _Batch(lib, clock) if rehash else None
    buf = bytearray(fsutil.CHUNK)
    try:
        archive_missing = _archive_missing(lib, db.conn)
        if archive_missing:
            log.info("the archive folder %s is missing or empty; is its disk mounted?", lib.archive)
        _check_files(lib, db.conn, run, rehash=rehash, limit=limit, deadline=deadline, clock=clock,
                     batch=batch, buf=buf, archive_missing=archive_missing, progress=progress)
        not_checked = 0
        if run.budget_reached and not rehash:
            total = count_files(db.conn)
            not_checked = max(0, total - run.checked - run.skipped)
        temps: list[Path] = []
        unknown, quarantined = ((), ()) if archive_missing else find_unknown(lib, db.conn, temps)
        adopted: list[tuple[str, Path]] = []
        if unknown:  # an edit the user saved into a roll's folder becomes a version of its frame, in place
            from filmflow.versions import adopt_archive_edits

            adopted, unknown = adopt_archive_edits(lib, list(unknown))
        removed = tempfiles.remove_files(tempfiles.stale_temp_files(temps, lib.db_path)) if repair else []
        repaired, unrepaired = _repair_all(lib, run, from_dirs, buf, batch) if repair else ([], [])
    finally:
        if batch is not None:
            batch.close()
        db.conn.close()
    return VerifyReport(
        archive=Path(lib.archive), checked=run.checked, ok=run.ok, hashed=run.hashed,
        hashed_bytes=run.hashed_bytes, missing=tuple(run.missing), changed=tuple(run.changed),
        unreadable=tuple(run.unreadable), unknown=tuple(unknown), quarantined=tuple(quarantined),
        adopted=tuple(adopted),
        repaired=tuple(repaired), unrepaired=tuple(unrepaired), archive_missing=archive_missing,
        not_checked=not_checked + run.skipped, budget_reached=run.budget_reached, rehash=rehash,
        temp_files=tuple(sorted(set(temps) - set(removed))), removed_temp_files=tuple(sorted(removed)),
        elapsed=clock() - start,
    )


def _check_files(lib: Library, conn: sqlite3.Connection, run: _Run, *, rehash: bool, limit: int | None,
                 deadline: float | None, clock: Callable[[], float], batch: _Batch | None, buf: bytearray,
                 archive_missing: bool, progress: ProgressFn | None) -> None:
    """The pass over every catalogued file: a size check, and a re-hash while the budget lasts."""
    root = str(lib.root)
    archive_rel = "archive/"
    archive_abs = str(Path(lib.archive)) + os.sep
    for fid, ref, stored, size, sha, source, _ in fixity_rows(conn, oldest_first=rehash):
        full = stored if os.path.isabs(stored) else os.path.join(root, stored)
        if archive_missing and (stored.startswith(archive_rel) or full.startswith(archive_abs)):
            run.skipped += 1
            continue
        over = ((limit is not None and (run.hashed if rehash else run.checked) >= limit)
                or (deadline is not None and clock() >= deadline))
        if over and not run.budget_reached:
            run.budget_reached = True
            log.info("verify budget reached after %d frames", run.checked)
        if over and not rehash:
            break
        do_hash = rehash and not over
        nbytes = _check_one(run, fid, ref, Path(full), size, sha, source, do_hash, buf)
        if batch is not None and nbytes is not None and do_hash:
            batch.add(fid)
        if progress is not None:
            progress(1, nbytes or 0)


def _repair_all(lib: Library, run: _Run, from_dirs: Sequence[Path], buf: bytearray,
                batch: _Batch | None) -> tuple[list[Repair], list[Unrepaired]]:
    """Repair what the pass found damaged; a repaired frame's `verified_at` is recorded too."""
    if not run.to_repair:
        return [], []
    repaired, unrepaired = repair_files(Path(lib.root), run.to_repair, from_dirs, buf)
    if batch is not None:
        ids = {t[0]: t[5] for t in run.to_repair}
        for r in repaired:
            batch.add(ids[r.ref])
    return repaired, unrepaired


def _check_one(run: _Run, fid: int, ref: str, path: Path, size: int, sha: str, source: str | None,
               do_hash: bool, buf: bytearray) -> int | None:
    """Check one frame, recording the outcome in `run`; returns bytes hashed (None: not ok)."""
    run.checked += 1
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
        actual_sha: str | None = None
        hashed = 0
        if do_hash or st.st_size != size:
            actual_sha, hashed = hash_file(path, buf)
            if do_hash:
                run.hashed += 1
                run.hashed_bytes += hashed
        actual_size = hashed if actual_sha is not None else st.st_size
    except (FileNotFoundError, NotADirectoryError):
        run.missing.append(MissingFile(ref, path))
        run.to_repair.append((ref, path, sha, size, source, fid, "missing"))
        return None
    except OSError as e:
        run.unreadable.append(UnreadableFile(ref, path, e.strerror or str(e)))
        return None
    if actual_size != size or (actual_sha is not None and actual_sha != sha):
        run.changed.append(ChangedFile(ref, path, sha, actual_sha, size, actual_size))
        run.to_repair.append((ref, path, sha, size, source, fid, "changed"))
        return None
    run.ok += 1
    return hashed


# ingest files a roll's roll.toml beside its scans (roll-<sha8>.toml when a newer one differs)
ARCHIVED_SIDECAR_RE = re.compile(r"^roll(-[0-9a-f]{8})?\.toml$")
DT_DUPLICATE_RE = re.compile(r"^(.*)_\d\d(\.[^./]+)$")


def _known_sidecars(conn: sqlite3.Connection, known: set[str]) -> set[str]:
    """Names an XMP sidecar of a catalogued scan may have, minus `.xmp` (ours: never unknown files,
    never frames): recorded sidecars, `<scan file name>`, `<scan stem>`, and darktable's
    duplicates `<stem>_NN.<ext>`."""
    out = {fsutil.nfc(p)[:-4] for p in sidecar_paths(conn) if p.lower().endswith(".xmp")}
    out |= known
    out |= {k.rsplit(".", 1)[0] for k in known if "." in k.rsplit("/", 1)[-1]}
    return out


def _is_our_sidecar(rel: str, sidecars: set[str]) -> bool:
    if not rel.lower().endswith(".xmp"):
        return False
    base = rel[:-4]
    if base in sidecars:
        return True
    m = DT_DUPLICATE_RE.match(base)
    return bool(m and m.group(1) + m.group(2) in sidecars)


def find_unknown(lib: Library, conn: sqlite3.Connection,
                 temps: list[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Files under archive/ the catalog does not know, and the `.corrupt-*` files verify set aside
    (our leftover temp files go to `temps` when given)."""
    root = Path(lib.root)
    archive = Path(lib.archive)
    if not archive.is_dir():
        return [], []
    known: set[str] = set()
    root_prefix = str(root) + os.sep
    for stored in stored_paths(conn):
        if os.path.isabs(stored):
            if not stored.startswith(root_prefix):
                continue
            stored = Path(stored).relative_to(root).as_posix()
        known.add(fsutil.nfc(stored))
    known |= {fsutil.nfc(p) for p in refile_paths(conn)}  # copies of a roll edit still running
    sidecars = _known_sidecars(conn, known)
    unknown: list[Path] = []
    quarantined: list[Path] = []
    for dirpath, name in walk_files(archive, temps):
        full = os.path.join(dirpath, name)
        rel = fsutil.nfc(Path(full).relative_to(root).as_posix())
        if rel in known or ARCHIVED_SIDECAR_RE.match(name) or _is_our_sidecar(rel, sidecars):
            continue
        (quarantined if CORRUPT_RE.search(name) else unknown).append(Path(full))
    return sorted(unknown), sorted(quarantined)
