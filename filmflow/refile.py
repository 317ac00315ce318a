"""Re-filing a roll into another archive folder, safe against kill -9 and concurrent edits.

The steps, each safe to die after: (1) take the roll's lock (`cache/locks/roll-<id>.lock`,
an flock the kernel drops when its holder dies) and record the intent in the catalog;
(2) copy every file to the new folder, each verified; (3) one transaction points the roll
and its frames at the new paths and marks the intent 'committed'; (4) remove the old
files (each only when its verified copy is in place) and drop the intent.

`recover_refiles` runs whenever the catalog is opened for writing: an intent whose roll
lock is free belongs to a dead process. A 'committed' one is finished (step 4); a
'copying' one is undone: the new copies are removed, only where they are byte-identical
to an original that is still in place and were not there before the edit began.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filmflow import fsutil
from filmflow.catalog.db import transaction
from filmflow.catalog.versions import roll_version_rows
from filmflow.catalog.refiles import (RefileIntent, RefileMove, commit_refile, drop_refile, find_refile,
                                      pending_refiles, record_refile, refile_conflict, roll_file_rows)
from filmflow.errors import FilmflowError, InputError

if TYPE_CHECKING:
    from filmflow.catalog.db import Catalog
    from filmflow.catalog.models import Roll
    from filmflow.library import Library

log = logging.getLogger(__name__)

PAUSE_ENV = "FILMFLOW_TEST_PAUSE_AT"   # "STEP:MARKER_FILE": tests kill a re-filing at a named step


def _test_pause(step: str) -> None:
    """When $FILMFLOW_TEST_PAUSE_AT names this step, write its marker file and wait until it is removed.

    Tests kill the process while it waits (kill -9 at a known step) or remove the marker
    to let it go on (two edits at once).
    """
    name, _, marker = os.environ.get(PAUSE_ENV, "").partition(":")
    if name != step or not marker:
        return
    Path(marker).write_text(str(os.getpid()))
    while Path(marker).exists():
        time.sleep(0.05)


@contextlib.contextmanager
def roll_lock(lib: Library, roll_id: int, *, wait: bool = True) -> Iterator[bool]:
    """Hold the roll's lock for the block; yields False at once (wait=False) when another process has it."""
    fcntl = fsutil.posix_locks()
    path = lib.cache / "locks" / f"roll-{roll_id}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        got = _flock(fd, wait, roll_id)
        try:
            yield got
        finally:
            if got:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _flock(fd: int, wait: bool, roll_id: int) -> bool:
    fcntl = fsutil.posix_locks()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        if not wait:
            return False
        if not told:
            log.warning("another filmflow is editing this roll (lock roll-%d); waiting for it to finish", roll_id)
            told = True
        time.sleep(0.1)


def plan_moves(lib: Library, db: Catalog, roll: Roll, new_dir: Path) -> list[RefileMove]:
    """Every file of the roll (frames, their .xmp sidecars, roll*.toml) with its path in `new_dir`."""
    old_dir = Path(roll.path)
    moves: list[RefileMove] = []

    def target(src: Path) -> Path:
        try:
            rel = src.relative_to(old_dir)
        except ValueError:
            rel = Path(src.name)
        return fsutil.safe_join(new_dir, *rel.parts)

    seen: set[Path] = set()

    def side(src: Path) -> None:  # a sidecar (IMG.xmp may serve IMG.jpg and IMG.tif): once
        if src not in seen and src.is_file() and not src.is_symlink():
            seen.add(src)
            moves.append(RefileMove(None, lib.rel(src), lib.rel(target(src)), fsutil.sha256_file(src),
                                    src.stat().st_size))

    for fid, stored, sha, nbytes in roll_file_rows(db.conn, roll.id):
        src = lib.resolve(stored)
        moves.append(RefileMove(fid, lib.rel(src), lib.rel(target(src)), sha, nbytes))
        for sidecar in {src.with_name(src.name + ".xmp"), src.with_suffix(".xmp")}:
            side(sidecar)
    for stored, sha, nbytes in roll_version_rows(db.conn, roll.id):  # edits and re-scans go with their frames
        src = lib.resolve(stored)
        if src.parent == old_dir or old_dir in src.parents:
            moves.append(RefileMove(None, lib.rel(src), lib.rel(target(src)), sha, nbytes))
            seen.add(src)
    if old_dir.is_dir():
        for p in sorted(old_dir.glob("roll*.toml")):
            side(p)
    return moves


def refile_roll(lib: Library, db: Catalog, roll: Roll, new_dir: Path, fields: dict[str, Any],
                sources: dict[str, str]) -> int:
    """Move a roll's files to `new_dir` and apply `fields`, by the steps of the module docstring.

    The caller holds `roll_lock`. Returns the number of frames re-filed.
    """
    moves = plan_moves(lib, db, roll, new_dir)
    intent = RefileIntent(
        roll_id=roll.id, code=fields.get("code", roll.code), old_dir=lib.rel(Path(roll.path)),
        new_dir=lib.rel(new_dir), moves=tuple(moves),
        preexisting=frozenset(m.new for m in moves if lib.resolve(m.new).exists()),
        fields=fields, sources=sources, pid=os.getpid())
    with transaction(db) as conn:
        why = refile_conflict(conn, roll.id, intent.code, intent.new_dir)
        if why:
            raise InputError(why)
        record_refile(conn, intent)
    _test_pause("intent")
    try:
        for i, m in enumerate(moves, 1):
            fsutil.copy_verified(lib.resolve(m.old), lib.resolve(m.new), expect_sha=m.sha256)
            _test_pause(f"copied-{i}")
        _test_pause("copied")
        with transaction(db) as conn:
            commit_refile(conn, intent)
    except BaseException:
        with contextlib.suppress(Exception):
            if (find_refile(db.conn, roll.id) or intent).state == "copying":
                undo_refile(lib, db, intent)
        raise
    _test_pause("committed")
    finish_refile(lib, db, intent)
    return sum(1 for m in moves if m.frame_id is not None)


def finish_refile(lib: Library, db: Catalog, intent: RefileIntent) -> None:
    """After the commit: remove each old file whose copy is in place, then the empty old folders."""
    for m in intent.moves:
        src, dst = lib.resolve(m.old), lib.resolve(m.new)
        if src == dst or not src.exists():
            continue
        try:
            ok = dst.is_file() and dst.stat().st_size == m.bytes
        except OSError:
            ok = False
        if not ok:
            log.warning("%s: its new copy %s is not in place, so the original stays; run `filmflow verify`", src, dst)
            continue
        with contextlib.suppress(FileNotFoundError):
            src.unlink()
    _remove_empty_dirs(lib.resolve(intent.old_dir))
    with transaction(db) as conn:
        drop_refile(conn, intent.roll_id)


def undo_refile(lib: Library, db: Catalog, intent: RefileIntent) -> None:
    """Before the commit: remove the new copies (identical to an original still in place) and our temp files."""
    for m in intent.moves:
        src, dst = lib.resolve(m.old), lib.resolve(m.new)
        if m.new not in intent.preexisting and src != dst and _same_file_content(dst, src, m):
            with contextlib.suppress(FileNotFoundError):
                dst.unlink()
        _remove_our_temps(dst)
    _remove_empty_dirs(lib.resolve(intent.new_dir))
    with transaction(db) as conn:
        drop_refile(conn, intent.roll_id)


def _same_file_content(dst: Path, src: Path, m: RefileMove) -> bool:
    try:
        if not (dst.is_file() and src.is_file() and dst.stat().st_size == m.bytes == src.stat().st_size):
            return False
        return fsutil.sha256_file(dst) == m.sha256
    except OSError:
        return False


def _remove_our_temps(dst: Path) -> None:
    """Temp files a killed copy of `dst` left beside it."""
    with contextlib.suppress(OSError):
        for p in dst.parent.iterdir():
            if fsutil.is_temp_name(p.name) and p.name.startswith(f".{dst.name}"):
                with contextlib.suppress(OSError):
                    p.unlink()


def _remove_empty_dirs(top: Path) -> None:
    """rmdir `top` and the folders below it that are empty, deepest first (never a parent of `top`)."""
    if top.is_dir():
        for dirpath, _d, _f in sorted(os.walk(top), key=lambda t: -len(t[0])):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)


def recover_roll(lib: Library, db: Catalog, roll_id: int) -> bool:
    """Finish or undo the roll's re-filing left by a dead process; the caller holds the roll's lock."""
    intent = find_refile(db.conn, roll_id)
    if intent is None:
        return False
    if intent.state == "committed":
        log.info("finishing the re-filing of %s into %s left by a stopped roll edit", intent.code, intent.new_dir)
        finish_refile(lib, db, intent)
    else:
        log.warning("undoing the re-filing of a roll into %s that a stopped roll edit left half-done; "
                    "the roll stays in %s", intent.new_dir, intent.old_dir)
        undo_refile(lib, db, intent)
    return True


def recover_refiles(lib: Library, db: Catalog) -> int:
    """Finish or undo every re-filing whose owner died (its roll lock is free); returns how many."""
    handled = 0
    for intent in pending_refiles(db.conn):
        try:
            with roll_lock(lib, intent.roll_id, wait=False) as got:
                if got and recover_roll(lib, db, intent.roll_id):
                    handled += 1
        except (OSError, FilmflowError) as e:
            log.warning("could not finish the re-filing of roll %s (%s); the next command tries again",
                        intent.code, e)
    return handled
