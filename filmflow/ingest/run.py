"""Ingest a list of sources: open each (a delivery may hold several rolls), plan each roll,
apply it (or preview it, for --dry-run), collect reports.

The terminal layer passes a progress callback and gets reports back; this module never
prints. One bad source, or one bad roll of a delivery, is reported and the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from filmflow.catalog.db import transaction
from filmflow.catalog.failures import failure_key, record_failures
from filmflow.catalog.models import IngestMode
from filmflow.catalog.rolls import now
from filmflow.errors import FilmflowError, InputError
from filmflow.ingest import unzip
from filmflow.ingest.apply import IngestReport, Ingester, remove_delivered_zip, remove_empty_dirs
from filmflow.ingest.delivery import RollSource, open_source
from filmflow.ingest.plan import IngestPlan, build_plan, claimed_code, claimed_name_code
from filmflow.ingest.preview import preview_plan
from filmflow.library import Library

log = logging.getLogger(__name__)

ProgressFactory = Callable[[IngestPlan], Callable[[int], None] | None]


def _failed(name: str, e: FilmflowError) -> IngestReport:
    return IngestReport(source=name, roll=None, failed=[{"file": name, "error": e.message}])


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
    if not dry_run:
        unzip.clean_stale(lib.cache)  # extraction folders left by a killed run (never a running one's)
    reports: list[IngestReport] = []
    plans: list[IngestPlan] = []
    own = ingester is None
    ing = ingester or Ingester(lib)
    reserved = {c for c in (claimed_name_code(lib, Path(s)) for s in [*sources, *neighbours]) if c}
    try:
        for src in sources:
            src = Path(src)
            try:
                with open_source(lib, src, dry_run=dry_run) as units:
                    if len(units) > 1:  # the rolls of a delivery reserve each other's codes
                        reserved |= {c for c in (claimed_code(lib, u) for u in units) if c}
                    done = [_one_roll(lib, ing, u, mode, options, reserved, dry_run, progress, plans)
                            for u in units]
                    if mode is IngestMode.MOVE and not dry_run and src.is_file():
                        remove_delivered_zip(src, done)
                    elif mode is IngestMode.MOVE and not dry_run and len(units) > 1 and not any(r.failed for r in done):
                        remove_empty_dirs(src)  # the delivery's folder, once its rolls have moved out
                    reports += done
            except FilmflowError as e:
                if isinstance(e, InputError) and not src.exists():
                    raise
                failed = _failed(src.name, e)
                failed.source = src.stem if src.suffix.lower() == ".zip" else src.name  # as its rolls say
                reports.append(failed)
                if not dry_run:  # a source refused whole shows in `status` until it is fixed
                    _record_refused(lib, failure_key(src), e)
    finally:
        if own:
            ing.close()
    return reports, plans


def _one_roll(lib: Library, ing: Ingester, unit: RollSource, mode: IngestMode, options: dict[str, Any],
              reserved: set[str], dry_run: bool, progress: ProgressFactory | None,
              plans: list[IngestPlan]) -> IngestReport:
    db = lib.db()
    try:
        plan = build_plan(lib, db, unit, mode=mode, options=options, reserved=frozenset(reserved))
        reserved.add(plan.code)  # the next roll of this run (a dry run's too) takes another code
        plans.append(plan)
        if dry_run:
            return preview_plan(lib, db, plan)
    except FilmflowError as e:
        if not dry_run:
            _record_refused(lib, failure_key(unit.key), e)
        return _failed(unit.display, e)
    finally:
        db.conn.close()
    return ing.apply(plan, progress(plan) if progress else None)


def _record_refused(lib: Library, key: str, e: FilmflowError) -> None:
    """Keep a source refused whole (a code another roll uses, a broken roll.toml) in `failures`."""
    db = lib.db()
    try:
        with transaction(db) as conn:
            record_failures(conn, [(key, e.message)], None, now())
    finally:
        db.conn.close()
