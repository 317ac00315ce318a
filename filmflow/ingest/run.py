"""Ingest a list of sources: the stage runner.

Each source goes through the same stages: open it (delivery.open_source: a folder, or a zip
read from its directory and unpacked to a deterministic cache folder only when applying;
a delivery may hold several rolls), plan each roll (plan.build_plan: survey, resolve, match,
number) and then the last stage, chosen once for the run: `Ingester.apply` or, for
--dry-run, `preview.preview_plan`, the report the real run would give (as beets' "pretend"
mode swaps its last stage). Reports are collected.

The terminal layer passes a progress callback and gets reports back; this module never
prints. One bad source, or one bad roll of a delivery, is reported and the rest go on:
whatever goes wrong while a source is opened or one of its rolls is planned or applied (a
FilmflowError or any other exception) becomes that source's (or roll's) failure, recorded
in the catalog for `status`, with its traceback logged at debug level. One source is
ingested by one process at a time (a lock per source), so two runs over one folder end
with every frame once. A roll being joined is planned and applied under its roll lock
(filmflow.refile.roll_lock), so new scans never land in a folder a `roll edit` is moving.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.db import transaction
from filmflow.catalog.failures import failure_key, record_failures
from filmflow.ingest.mode import IngestMode
from filmflow.catalog.rolls import now
from filmflow.errors import ArchiveError, FilmflowError, InputError
from filmflow.ingest import unzip
from filmflow.ingest.apply import IngestInterrupted, IngestReport, Ingester, remove_delivered_zip, remove_empty_dirs
from filmflow.ingest.delivery import RollSource, check_source_allowed, open_source, source_key
from filmflow.ingest.plan import IngestPlan, build_plan, claimed_code, claimed_name_code
from filmflow.ingest.preview import preview_plan
from filmflow.library import Library
from filmflow.opencatalog import open_catalog
from filmflow.refile import roll_lock

log = logging.getLogger(__name__)

ProgressFactory = Callable[[IngestPlan], Callable[[int], None] | None]
LastStage = Callable[[IngestPlan], IngestReport]


def apply_stage(ing: Ingester, progress: ProgressFactory | None) -> LastStage:
    """The real run's last stage: carry the plan out."""
    return lambda plan: ing.apply(plan, progress(plan) if progress else None)


def preview_stage(lib: Library) -> LastStage:
    """The dry run's last stage: what applying the plan would report, with nothing written."""
    def preview(plan: IngestPlan) -> IngestReport:
        db = open_catalog(lib)
        try:
            return preview_plan(lib, db, plan)
        finally:
            db.conn.close()
    return preview


def ingest_sources(lib: Library, sources: Sequence[Path], *, mode: IngestMode, options: dict[str, Any],
                   dry_run: bool = False, progress: ProgressFactory | None = None,
                   ingester: Ingester | None = None, neighbours: Sequence[Path] = ()
                   ) -> tuple[list[IngestReport], list[IngestPlan]]:
    """Ingest each source (one roll, or one roll per child of a delivery); returns (reports, plans).

    Codes that the sources (and `neighbours`, e.g. the rest of the inbox) name for
    themselves are reserved, so a roll given the next free code never takes one of them.
    A dry run plans exactly what the real run would do and writes nothing.
    """
    if options.get("stock"):
        lib.stocks.get(options["stock"])  # an unknown --stock is bad input for every source: fail early
    for src in sources:  # a library's own folder is bad usage: refuse before touching anything
        if Path(src).exists():
            check_source_allowed(lib, Path(src))
    if options.get("code"):
        _check_one_roll_each(lib, sources, options["code"])
    if not dry_run:
        unzip.clean_stale(lib.cache)  # extraction folders left by a killed run (never a running one's)
    reports: list[IngestReport] = []
    plans: list[IngestPlan] = []
    own = ingester is None
    ing = ingester or Ingester(lib)
    reserved = {c for c in (claimed_name_code(lib, Path(s)) for s in [*sources, *neighbours]) if c}
    last = preview_stage(lib) if dry_run else apply_stage(ing, progress)
    try:
        for src in sources:
            reports += _one_source(lib, ing, Path(src), mode=mode, options=options, reserved=reserved,
                                   dry_run=dry_run, last=last, plans=plans)
    finally:
        if own:
            ing.close()
    return reports, plans


def _check_one_roll_each(lib: Library, sources: Sequence[Path], code: str) -> None:
    """--roll names one roll: a delivery of several rolls (one per child folder) would merge them
    into it, the very mistake deliveries are split to avoid. Refused before anything is touched."""
    for src in sources:
        if not Path(src).exists():
            continue
        try:
            with open_source(lib, Path(src), dry_run=True) as units:  # the zip's directory only
                names = [u.display.rsplit("/", 1)[-1] for u in units]
        except FilmflowError:
            continue  # this source's own problem, reported when it is ingested
        if len(names) > 1:
            shown = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
            raise InputError(f"{fsutil.display(src)} holds {len(names)} rolls ({shown}); --roll {code} would put "
                             "them all into one roll. Leave --roll out (each roll gets its own code), or ingest "
                             "one roll folder at a time with its own --roll.")


def _one_source(lib: Library, ing: Ingester, src: Path, *, mode: IngestMode, options: dict[str, Any],
                reserved: set[str], dry_run: bool, last: LastStage, plans: list[IngestPlan]) -> list[IngestReport]:
    """Open one source and ingest each of its rolls; any error is this source's failure, never the run's."""
    try:
        lock = contextlib.nullcontext() if dry_run else _source_lock(lib, src, ing.should_stop)  # dry: writes nothing
        with lock, open_source(lib, src, dry_run=dry_run) as units:
            if len(units) > 1:  # the rolls of a delivery reserve each other's codes
                reserved |= {c for c in (claimed_code(lib, u) for u in units) if c}
            done = [_one_roll(lib, u, mode, options, reserved, dry_run, last, plans) for u in units]
            if mode is IngestMode.MOVE and not dry_run and units and units[0].in_zip:
                before = len(done[-1].failed) if done else 0
                remove_delivered_zip(units[0].source, done, units[0].ident)
                if done and len(done[-1].failed) > before:  # the zip changed since it was extracted: noted
                    changed = [(failure_key(units[0].source), f["error"]) for f in done[-1].failed[before:]]
                    _record_refused(lib, changed, done[-1].roll)
            elif mode is IngestMode.MOVE and not dry_run and len(units) > 1 and not any(r.failed for r in done):
                remove_empty_dirs(units[0].source)  # the delivery's folder, once its rolls have moved out
            return done
    except (IngestInterrupted, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - one source's failure, whatever it is
        if isinstance(e, InputError) and not src.exists():
            raise
        log.debug("ingest of %s failed", fsutil.display(src), exc_info=True)
        text = source_error_text(lib, src, e)
        if not dry_run:  # a source refused whole shows in `status` until it is fixed
            _record_refused(lib, [(_failure_key(src), text)], None)
        name = fsutil.display(src.stem if src.suffix.lower() == ".zip" else (src.name or src))  # as its rolls say
        return [IngestReport(source=name, roll=None, failed=[{"file": fsutil.display(src.name or src),
                                                                "error": text}])]


def _one_roll(lib: Library, unit: RollSource, mode: IngestMode, options: dict[str, Any],
              reserved: set[str], dry_run: bool, last: LastStage, plans: list[IngestPlan]) -> IngestReport:
    """Plan one roll and run the last stage on it; any error is this roll's failure, the delivery's
    other rolls go on."""
    try:
        plan = _plan(lib, unit, mode, options, reserved)
        if plan.roll is not None and not dry_run:  # joining a roll: not while a roll edit moves it
            with roll_lock(lib, plan.roll.id):
                plan = _plan(lib, unit, mode, options, reserved)  # the edit may have moved or renamed it
                return _last(plan, last, reserved, plans)
        return _last(plan, last, reserved, plans)
    except (IngestInterrupted, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - one roll's failure, whatever it is
        log.debug("ingest of %s failed", unit.display, exc_info=True)
        text = source_error_text(lib, unit.source if unit.in_zip else unit.folder, e)
        if not dry_run:
            _record_refused(lib, [(fsutil.display(failure_key(unit.key)), text)], None)
        return IngestReport(source=unit.display, roll=None, failed=[{"file": unit.display, "error": text}])


def _plan(lib: Library, unit: RollSource, mode: IngestMode, options: dict[str, Any], reserved: set[str]) -> IngestPlan:
    db = open_catalog(lib)
    try:
        return build_plan(lib, db, unit, mode=mode, options=options, reserved=frozenset(reserved))
    finally:
        db.conn.close()


def _last(plan: IngestPlan, last: LastStage, reserved: set[str], plans: list[IngestPlan]) -> IngestReport:
    reserved.add(plan.code)  # the next roll of this run (a dry run's too) takes another code
    plans.append(plan)
    return last(plan)


def _record_refused(lib: Library, failures: list[tuple[str, str]], roll: str | None) -> None:
    """Keep a source refused whole (a code another roll uses, a broken roll.toml, any error while
    opening or planning it), or a zip changed since its extraction, in `failures`."""
    try:
        db = open_catalog(lib)
        try:
            with transaction(db) as conn:
                record_failures(conn, failures, roll, now())
        finally:
            db.conn.close()
    except Exception:  # noqa: BLE001 - a catalog that cannot take the note must not hide the failure
        log.debug("could not record %d failures", len(failures), exc_info=True)


def source_error_text(lib: Library, src: Path, e: BaseException) -> str:
    """One sentence for an error that stopped the ingest of a whole source (or roll)."""
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


@contextlib.contextmanager
def _source_lock(lib: Library, src: Path, should_stop: Callable[[], bool]) -> Iterator[None]:
    """Hold the per-source ingest lock (cache/locks/); wait for another process that holds it."""
    fcntl = fsutil.posix_locks()
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
    """The failures-table key of a whole source: its resolved path (what its rolls' commits clear)."""
    try:
        return fsutil.display(failure_key(Path(src).resolve()))
    except (OSError, RuntimeError):
        return fsutil.display(failure_key(src))
