"""The dry run's last stage: what applying a plan would report, with nothing written.

Like beets' "pretend" mode, a dry run runs the same stages as the real ingest (open the
source, split a delivery, plan each roll) and swaps only the last one: instead of copying,
each file is hashed where it lies (a zip entry is streamed from the zip, never unpacked) and
looked up, so files already catalogued show as duplicates exactly as the real run reports
them. Images are not decoded: a file that is not a readable image fails only in the real run.
"""

from __future__ import annotations

from filmflow.catalog.frames import known_hashes
from filmflow.errors import FilmflowError
from filmflow.ingest.apply import IngestReport
from filmflow.ingest.plan import IngestPlan
from filmflow.library import Library


def preview_plan(lib: Library, db, plan: IngestPlan) -> IngestReport:
    """The report `Ingester.apply(plan)` would give (added, duplicates, empty or unreadable files,
    and what the listing could not take: FIFOs, unreadable folders, names that are not UTF-8)."""
    report = IngestReport(source=plan.source_name, roll=plan.code, dry_run=True, failed=list(plan.problems),
                          path=str(plan.dest_dir or plan.folder), plan=plan.to_json(lib))
    hashed: list[tuple] = []
    for f in plan.files:
        if f.already is not None:
            report.duplicates.append({"file": f.label, "of": f.already["ref"]})
            continue
        try:
            sha, size = plan.tree.sha256(f.src)
        except FilmflowError as e:
            report.failed.append({"file": f.label, "error": e.message})
            continue
        except OSError as e:
            report.failed.append({"file": f.label, "error": f"{f.shown or f.src} cannot be read "
                                  f"({e.strerror or e}); fix it and ingest again."})
            continue
        if size == 0:
            report.failed.append({"file": f.label, "error": f"{f.shown or f.src} is empty (0 bytes); "
                                  "copy it from the lab's delivery again."})
            continue
        hashed.append((f, sha))
    known = known_hashes(db.conn, [sha for _f, sha in hashed])
    seen: dict[str, str] = {}
    for f, sha in hashed:
        of = known[sha]["ref"] if sha in known else seen.get(sha)
        if of is not None:
            report.duplicates.append({"file": f.label, "of": of})
        else:
            seen[sha] = f"{plan.code}/{f.frame}"
            report.added.append(seen[sha])
    if plan.roll is None and not report.added:
        report.roll = None  # the real run creates no empty roll
    return report
