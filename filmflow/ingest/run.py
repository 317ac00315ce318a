"""Ingest a list of sources: plan each, apply (or only plan, for --dry-run), collect reports.

The terminal layer passes a progress callback and gets reports back; this module never
prints. One bad source is reported and the rest go on.
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
from filmflow.ingest.apply import IngestReport, Ingester
from filmflow.ingest.plan import IngestPlan, build_plan, claimed_code
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
    reports: list[IngestReport] = []
    plans: list[IngestPlan] = []
    own = ingester is None
    ing = ingester or Ingester(lib)
    reserved = frozenset(c for c in (claimed_code(lib, Path(s)) for s in [*sources, *neighbours]) if c)
    try:
        for src in sources:
            db = lib.db()
            try:
                plan = build_plan(lib, db, Path(src), mode=mode, options=options, reserved=reserved)
            except FilmflowError as e:
                if isinstance(e, InputError) and not Path(src).exists():
                    raise
                reports.append(IngestReport(source=Path(src).name, roll=None,
                                            failed=[{"file": Path(src).name, "error": e.message}]))
                if not dry_run:  # a folder refused whole shows in `status` until it is fixed
                    with transaction(db) as conn:
                        record_failures(conn, [(failure_key(src), e.message)], None, now())
                continue
            finally:
                db.conn.close()
            plans.append(plan)
            if dry_run:
                reports.append(IngestReport(source=plan.source_name, roll=plan.code, dry_run=True,
                                            added=[f"{plan.code}/{f.frame}" for f in plan.files],
                                            path=str(plan.dest_dir or plan.folder), plan=plan.to_json(lib)))
                if plan.extracted is not None:
                    import shutil

                    shutil.rmtree(plan.extracted, ignore_errors=True)
                continue
            reports.append(ing.apply(plan, progress(plan) if progress else None))
    finally:
        if own:
            ing.close()
    return reports, plans
