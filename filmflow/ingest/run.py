"""Ingest a list of sources: plan each, apply (or only plan, for --dry-run), collect reports.

The terminal layer passes a progress callback and gets reports back; this module never
prints. One bad source is reported and the rest go on: whatever goes wrong while one
source is planned or applied (a FilmflowError or any other exception) becomes that
source's failure, recorded in the catalog for `status`, with its traceback logged at
debug level. One source is ingested by one process at a time (a lock per source), so
two runs over one folder end with every frame once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.db import transaction
from filmflow.catalog.failures import record_failures
from filmflow.catalog.models import IngestMode
from filmflow.catalog.rolls import now
from filmflow.errors import ArchiveError, FilmflowError, InputError
from filmflow.ingest.apply import IngestInterrupted, IngestReport, Ingester
from filmflow.ingest.plan import IngestPlan, build_plan, check_source_allowed, claimed_code, source_key
from filmflow.library import Library

log = logging.getLogger(__name__)

ProgressFactory = Callable[[IngestPlan], Callable[[int], None] | None]


def ingest_sources(lib: Library, sources: Sequence[Path], *, mode: IngestMode, options: dict[str, Any],
                   dry_run: bool = False, progress: ProgressFactory | None = None,
                   ingester: Ingester | None = None, neighbours: Sequence[Path] = ()
                   ) -> tuple[list[IngestReport], list[IngestPlan]]:
    """Ingest each source as one roll; returns (reports, plans).

    Codes that the sources (and `neighbours`, e.g. the rest of the inbox) name for
    themselves are reserved, so a roll given the next free code never takes one of them.
    """
    if options.get("stock"):
        lib.stocks.get(options["stock"])  # an unknown --stock is bad input for every source: fail early
    for src in sources:  # a library's own folder is bad usage: refuse before touching anything
        if Path(src).exists():
            check_source_allowed(lib, Path(src))
    reports: list[IngestReport] = []
    plans: list[IngestPlan] = []
    own = ingester is None
    ing = ingester or Ingester(lib)
    reserved = frozenset(c for c in (claimed_code(lib, Path(s)) for s in [*sources, *neighbours]) if c)
    try:
        for src in sources:
            report = _one_source(lib, ing, Path(src), mode=mode, options=options, reserved=reserved,
                                 dry_run=dry_run, progress=progress, plans=plans)
            reports.append(report)
    finally:
        if own:
            ing.close()
    return reports, plans


def _one_source(lib: Library, ing: Ingester, src: Path, *, mode: IngestMode, options: dict[str, Any],
                reserved: frozenset[str], dry_run: bool, progress: ProgressFactory | None,
                plans: list[IngestPlan]) -> IngestReport:
    """Plan and apply one source; any error is this source's failure, never the run's."""
    plan: IngestPlan | None = None
    try:
        with _source_lock(lib, src, ing.should_stop):
            db = lib.db()
            try:
                plan = build_plan(lib, db, src, mode=mode, options=options, reserved=reserved)
            finally:
                db.conn.close()
            plans.append(plan)
            if dry_run:
                return _dry_report(lib, plan)
            return ing.apply(plan, progress(plan) if progress else None)
    except (IngestInterrupted, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - one source's failure, whatever it is
        if isinstance(e, InputError) and not src.exists():
            raise
        log.debug("ingest of %s failed", fsutil.display(src), exc_info=True)
        if plan is not None and plan.extracted is not None:
            shutil.rmtree(plan.extracted, ignore_errors=True)
        return _source_failed(lib, src, source_error_text(lib, src, e), record=not dry_run)


def _dry_report(lib: Library, plan: IngestPlan) -> IngestReport:
    report = IngestReport(source=plan.source_name, roll=plan.code, dry_run=True,
                          added=[f"{plan.code}/{f.frame}" for f in plan.files], failed=list(plan.problems),
                          path=str(plan.dest_dir or plan.folder), plan=plan.to_json(lib))
    if plan.extracted is not None:
        shutil.rmtree(plan.extracted, ignore_errors=True)
    return report


def source_error_text(lib: Library, src: Path, e: BaseException) -> str:
    """One sentence for an error that stopped the ingest of a whole source."""
    where = fsutil.display(src)
    if fsutil.is_disk_full(e) and not isinstance(e, ArchiveError):  # (an ArchiveError already says so)
        return (f"{where}: the disk holding the library {fsutil.display(lib.root)} (mounted at "
                f"{fsutil.display(fsutil.mount_point(lib.root))}) is full; nothing of it was kept, "
                "free some space and ingest again.")
    if isinstance(e, FilmflowError):
        return e.message
    if isinstance(e, PermissionError):
        return (f"{where}: {fsutil.display(e.filename or src)} cannot be read (permission denied); "
                "fix its permissions and ingest again.")
    if isinstance(e, OSError):
        return f"{where}: {e.strerror or e} ({fsutil.display(e.filename or '')}); the source was left untouched."
    if isinstance(e, RecursionError):
        return f"{where}: its folders are nested too deeply; move the scans into a shallower folder."
    return (f"{where}: cannot be ingested ({type(e).__name__}: {fsutil.display(str(e))}); the source was left "
            "untouched (rerun with --debug for details).")


def _source_failed(lib: Library, src: Path, text: str, *, record: bool) -> IngestReport:
    """A report for a source that failed as a whole; recorded in the catalog for `status`."""
    name = fsutil.display(src.name or src)
    if record:
        try:
            db = lib.db()
            try:
                with transaction(db) as conn:
                    record_failures(conn, [(_failure_key(src), None, text, now())])
            finally:
                db.conn.close()
        except Exception:  # noqa: BLE001 - a catalog that cannot take the note must not hide the failure
            log.debug("could not record the failure of %s", name, exc_info=True)
    return IngestReport(source=name, roll=None, failed=[{"file": name, "error": text}])


@contextlib.contextmanager
def _source_lock(lib: Library, src: Path, should_stop: Callable[[], bool]) -> Iterator[None]:
    """Hold the per-source ingest lock (cache/locks/); wait for another process that holds it."""
    try:
        key = source_key(src)
    except (OSError, RuntimeError, ValueError):
        key = str(src)
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    path = lib.cache / "locks" / f"ingest-{digest}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.warning("%s is being ingested by another filmflow process; waiting for it to finish",
                                fsutil.display(src))
                    waited = True
                if should_stop():
                    raise IngestInterrupted() from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _failure_key(src: Path) -> str:
    """The failures-table key of a whole source: its resolved path (what a later commit clears)."""
    try:
        return fsutil.display(Path(src).resolve())
    except (OSError, RuntimeError):
        return fsutil.display(Path(src).absolute())
