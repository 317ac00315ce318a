"""Carry out an IngestPlan: verified copy/move, thumbnails, catalog rows; safe to re-run.

Order of durability for one scan folder:
1. each file is copied (hashed while copying) to a temp name beside its destination,
   fsynced, re-read and verified, and its thumbnail written to cache/ (in a process pool);
2. a verified copy is linked to its final name (never over a different file);
3. the roll and all its frame rows are inserted in ONE transaction, committed durably;
4. only then, in move mode, the sources are removed.
A kill at any instant leaves either temp files (ours, cleaned on the next run), archive
files with no row (re-linked and catalogued on the next run: the content matches) or a
committed roll whose sources remain (the next run finishes the move). Nothing is lost.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.db import refresh_statistics, transaction
from filmflow.catalog.failures import clear_failures, failure_key, record_failures, replace_source_failures
from filmflow.catalog.frames import insert_frames, known_hashes
from filmflow.ingest.mode import IngestMode
from filmflow.catalog.logs import pair_roll
from filmflow.catalog.projects import append_to_project
from filmflow.catalog.rolls import insert_roll, now, record_auto_code, set_roll_tags, update_roll
from filmflow.catalog.summary import record_last_roll
from filmflow.errors import ArchiveError, FilmflowError
from filmflow.ingest.xmpin import take_xmp
from filmflow.ingest.discover import SIDECAR_NAME
from filmflow.ingest.plan import FilePlan, IngestPlan
from filmflow.ingest.versionsin import insert_versions, split_versions
from filmflow.ingest.worker import pool_context, process_file, worker_init
from filmflow.library import Library
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """The result for one scan folder: SPEC's `ingest --json` object."""

    source: str
    roll: str | None
    added: list[str] = field(default_factory=list)          # refs
    duplicates: list[dict[str, str]] = field(default_factory=list)  # {file, of}
    versions: list[str] = field(default_factory=list)      # "R042/12 version 2": edits and re-scans added
    failed: list[dict[str, str]] = field(default_factory=list)      # {file, error}
    moved: int = 0
    path: str | None = None
    dry_run: bool = False
    plan: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """SPEC's object: source, roll, added, duplicates, failed (+ frames, paths, plan)."""
        extra = {"plan": self.plan} if self.plan is not None else {}
        return {**extra,
            "source": self.source, "roll": self.roll, "added": len(self.added),
            "duplicates": len(self.duplicates), "failed": self.failed, "frames": self.added,
            "duplicate_files": self.duplicates, "versions": self.versions, "path": self.path,
            "dry_run": self.dry_run,
        }


def source_file_key(plan: IngestPlan, name: str) -> str:
    """The failure key of one file of a plan: its path in the user's folder, or `<zip>!entry` beside the zip."""
    return failure_key((plan.source.parent if plan.in_zip else plan.folder) / name)




class IngestInterrupted(Exception):
    """A stop was requested mid-folder: nothing of it was committed, our temp files are gone."""


class Ingester:
    """Runs plans; owns the thumbnail process pool (reused across scan folders)."""

    def __init__(self, lib: Library, workers: int | None = None,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.lib = lib
        self.should_stop = should_stop or (lambda: False)
        n = workers if workers is not None else (lib.settings.workers or os.cpu_count() or 1)
        self.workers = max(1, n)
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> "Ingester":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _map(self, jobs: list[tuple], progress: Callable[[int], None] | None) -> Iterator[tuple[int, dict]]:
        if self.workers == 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                if self.should_stop():
                    raise IngestInterrupted()
                r = process_file(*job)
                if progress:
                    progress(1)
                yield i, r
            return
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=pool_context(),
                                                initializer=worker_init, initargs=(os.getpid(),))
        futs = {self._pool.submit(process_file, *job): i for i, job in enumerate(jobs)}
        try:
            for fut in cf.as_completed(futs):
                if progress:
                    progress(1)
                yield futs[fut], fut.result()
                if self.should_stop():
                    raise IngestInterrupted()
        except BaseException:
            for fut in futs:
                fut.cancel()
            for fut in futs:  # the files in hand finish; their temp copies are removed by apply
                if not fut.cancelled():
                    with contextlib.suppress(BaseException):
                        r = fut.result()
                        if r.get("tmp"):
                            with contextlib.suppress(OSError):
                                os.unlink(r["tmp"])
            raise

    def apply(self, plan: IngestPlan, progress: Callable[[int], None] | None = None) -> IngestReport:
        """Carry out a plan (see module docstring for the order of durability)."""
        lib = self.lib
        report = IngestReport(source=plan.source_name, roll=plan.code,
                              path=str(plan.dest_dir) if plan.dest_dir else str(plan.folder))
        in_place = plan.mode is IngestMode.IN_PLACE
        report.failed.extend(plan.problems)
        if plan.dest_dir is not None:
            fsutil.clean_temp_files(plan.dest_dir)  # a killed run's leftovers; never a running one's
        todo = [f for f in plan.files if f.already is None]
        jobs = [(str(f.src), None if in_place else str(f.dest), lib.thumbnail_template, lib.settings.thumbnail_size,
                 os.getpid(), lib.preview_template, f.exif) for f in todo]
        results: list[dict | None] = [None] * len(jobs)
        try:
            for i, r in self._map(jobs, progress):
                results[i] = r
        except BaseException:
            for r in results:  # ours: temp copies not yet linked
                if r and r.get("tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(r["tmp"])
            raise

        rows, finish_move = self._link_and_commit(plan, todo, results, report)
        if rows:
            with contextlib.suppress(Exception):  # planner statistics only: never fail a committed roll
                db = open_catalog(lib)
                try:
                    refresh_statistics(db.conn)
                finally:
                    db.conn.close()
        committed = len(report.failed)
        if rows or plan.roll is not None:
            self._keep_sidecar(plan, report)
        if plan.mode is IngestMode.MOVE:  # (a zip goes as a whole, later: remove_delivered_zip)
            self._remove_sources(plan, [(p, r["sha"], r.get("ident")) for p, r in rows] + finish_move, report)
        if len(report.failed) > committed:  # sources that changed after their copy: kept, and noted
            self._note_failures(plan, report.failed[committed:])
        return report

    def _link_and_commit(self, plan: IngestPlan, todo: list[FilePlan], results: list[dict | None],
                         report: IngestReport) -> tuple[list, list]:
        """Link the verified copies and commit the roll; on any error remove what this run
        put in the archive (a full disk is reported naming it)."""
        linked: list[tuple[Path, str]] = []
        try:
            db = open_catalog(self.lib, durable=plan.mode is IngestMode.MOVE)
            try:
                rows, finish_move = self._link(plan, todo, results, report, db, linked)
                finish_move += self._already(plan, report)
                self._commit(plan, rows, report, db)
                take_xmp(self.lib, plan, rows, db)  # sidecars and embedded XMP (issue 15)
            finally:
                db.conn.close()
        except BaseException as e:
            self._remove_uncatalogued(linked)  # archive files no committed row points to: ours
            for r in results:
                if r and r.get("tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(r["tmp"])
            if isinstance(e, Exception) and fsutil.is_disk_full(e):
                raise ArchiveError(self._disk_full_text(plan)) from e
            raise
        return rows, finish_move

    def _note_failures(self, plan: IngestPlan, failed: list[dict[str, str]]) -> None:
        """Record failures found after the commit (a source re-saved since its copy)."""
        db = open_catalog(self.lib)
        try:
            with transaction(db) as conn:
                record_failures(conn, [(source_file_key(plan, f["file"]), f["error"]) for f in failed],
                                plan.code, now())
        finally:
            db.conn.close()

    def _remove_uncatalogued(self, linked: list[tuple[Path, str]]) -> None:
        """After a failed commit: remove the archive files this run linked that no row names.

        When the catalog cannot be read to make sure, they stay (an uncatalogued copy
        is harmless; `verify` lists it, the next ingest adopts it)."""
        if not linked:
            return
        try:
            db = open_catalog(self.lib)
            try:
                known = known_hashes(db.conn, [sha for _, sha in linked])
            finally:
                db.conn.close()
        except Exception:  # noqa: BLE001 - keep the files rather than guess
            log.warning("could not check the catalog; %d archive copies are left for the next ingest", len(linked))
            return
        for path, sha in linked:
            k = known.get(sha)
            if k is None or self.lib.resolve(k["path"]) != path:
                with contextlib.suppress(OSError):
                    path.unlink()

    def _disk_full_text(self, plan: IngestPlan) -> str:
        where = plan.dest_dir or self.lib.root
        return (f"the disk holding {fsutil.display(self.lib.root)} (mounted at "
                f"{fsutil.display(fsutil.mount_point(where))}) is full; nothing of "
                f"{fsutil.display(plan.source_name)} was kept and the copies made for it were removed, "
                "free some space and ingest again.")

    def _already(self, plan: IngestPlan, report: IngestReport) -> list[tuple]:
        """Files catalogued before from the same path: duplicates, or a move to finish."""
        finish: list[tuple] = []
        for f in plan.files:
            if f.already is None:
                continue
            report.duplicates.append({"file": f.rel, "of": f.already["ref"]})
            if plan.mode is IngestMode.MOVE:
                archived = self.lib.resolve(f.already["path"])
                sha = f.already["sha256"]
                # remove the source only if both it and the archive copy hash to the catalogued value
                try:
                    ident = fsutil.identity(f.src)
                    if fsutil.sha256_file(archived) == sha and fsutil.sha256_file(f.src) == sha:
                        finish.append((f, sha, ident))
                except (OSError, FilmflowError):
                    pass
        return finish

    def _link(self, plan: IngestPlan, files: list[FilePlan], results: list[dict | None], report: IngestReport,
              db, linked: list[tuple[Path, str]]) -> tuple[list, list]:
        lib = self.lib
        ok = [(f, r) for f, r in zip(files, results) if r and r["ok"]]
        for f, r in zip(files, results):
            if r and not r["ok"]:  # a zip's file is named by its entry, never by our cache copy
                error = r["error"].replace(str(f.src), f.shown) if f.shown else r["error"]
                report.failed.append({"file": f.label, "error": error})
        known = known_hashes(db.conn, [r["sha"] for _, r in ok])
        seen: dict[str, str] = {}
        rows: list[tuple[FilePlan, dict]] = []
        finish_move: list[FilePlan] = []
        for f, r in ok:
            sha = r["sha"]
            k = known.get(sha)
            if k is not None or sha in seen:
                if r.get("tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(r["tmp"])
                of = k["ref"] if k else seen[sha]
                report.duplicates.append({"file": f.rel, "of": of})
                if k and k.get("source_path") == str(f.src) and plan.mode is IngestMode.MOVE:
                    # an earlier run committed this frame but was stopped before removing the source
                    if lib.resolve(k["path"]).exists() and fsutil.sha256_file(lib.resolve(k["path"])) == sha:
                        finish_move.append((f, sha, r.get("ident")))
                continue
            dest = f.dest
            if r.get("tmp"):
                dest, made = self._link_tmp(Path(r["tmp"]), f.dest, sha)
                if made:
                    linked.append((dest, sha))
            seen[sha] = f"{plan.code}/{f.frame}"
            rows.append((f, {**r, "dest": dest}))
        return rows, finish_move

    @staticmethod
    def _link_tmp(tmp: Path, dest: Path, sha: str) -> tuple[Path, bool]:
        """Give a verified temp copy its final name without ever replacing a different file.

        Returns (final path, whether this call created it)."""
        candidate = dest
        made = False
        for i in range(100):
            try:
                os.link(tmp, candidate)
                made = True
                break
            except FileExistsError:
                if fsutil.sha256_file(candidate) == sha:
                    break  # an earlier, interrupted run already put it there
                candidate = dest.with_name(f"{dest.stem}-{sha[:8]}{'-' + str(i) if i else ''}{dest.suffix}")
        else:
            raise ArchiveError(f"cannot find a free name for {dest} in the archive.")
        with contextlib.suppress(OSError):
            tmp.unlink()
        fsutil.fsync_dir(candidate.parent)
        return candidate, made

    def _commit(self, plan: IngestPlan, rows: list, report: IngestReport, db) -> None:
        """The roll and its frame rows (versions, pairing with a film log, the project) in ONE transaction,
        and the failures of this source made exactly what this report says."""
        ts = now()
        frame_rows = rows
        with transaction(db) as conn:
            roll_id = self._roll_row(conn, plan, rows)
            if roll_id is not None:
                frame_rows = self._frame_rows(conn, plan, roll_id, rows, report, ts)
            # this roll's failures are now exactly report.failed (a delivery's rolls each own their folder);
            # the files now ingested or found duplicate, and a refusal of the whole source, are cleared
            replace_source_failures(conn, failure_key(plan.source_key),
                                    [(source_file_key(plan, x["file"]), x["error"]) for x in report.failed],
                                    plan.code, ts)
            ok = [f.label for f, _ in rows] + [d["file"] for d in report.duplicates]
            clear_failures(conn, [failure_key(plan.source), *(source_file_key(plan, name) for name in ok)])
        report.added = [f"{plan.code}/{f.frame}" for f, _ in frame_rows]
        if roll_id is None:
            report.roll = None

    def _roll_fields(self, plan: IngestPlan) -> dict[str, Any]:
        """The roll's columns as planned, plus where it lives, how and from which source."""
        lib = self.lib
        return {**plan.resolved.fields, "path": lib.rel(plan.dest_dir) if plan.dest_dir else lib.rel(plan.folder),
                "mode": plan.mode.value, "source_key": plan.source_key}

    def _roll_row(self, conn, plan: IngestPlan, rows: list) -> int | None:
        """Insert the new roll (none when nothing new came: no empty roll), or fill what an existing
        roll does not say yet; returns its id."""
        fields = self._roll_fields(plan)
        sources = dict(plan.resolved.sources)
        if plan.roll is None:
            if not rows:
                return None  # nothing new (all failed or duplicates): no empty roll
            roll_id = insert_roll(conn, fields, sources)
            if sources.get("code") == "default":
                record_auto_code(conn, self.lib.settings.code_template, plan.code)
            return roll_id
        missing = {k: v for k, v in fields.items() if getattr(plan.roll, k, None) in (None, "") and k in sources}
        origins = {k: sources[k] for k in missing}
        if plan.roll.path is None and rows:  # a roll a film log made: its first scans give it a home
            missing.update({k: fields[k] for k in ("path", "mode", "source_key", "source") if fields.get(k)})
        if missing:
            update_roll(conn, plan.roll.id, missing, origins)
        return plan.roll.id

    def _frame_rows(self, conn, plan: IngestPlan, roll_id: int, rows: list, report: IngestReport,
                    ts: str) -> list:
        """Tags, frame and version rows, film-log pairing, the project; returns the rows that became frames."""
        lib = self.lib
        # a frame whose EXIF has no scan date takes its roll's (scanned together)
        roll_scanned = plan.resolved.fields.get("scanned") or (plan.roll.scanned if plan.roll else None)
        set_roll_tags(conn, roll_id, plan.resolved.tags)
        # edits (by name) and re-scans (by look) become versions of their frames, not frames
        frame_rows, version_rows = split_versions(conn, roll_id, rows, lib.settings.match_distance, lib.root)
        insert_frames(conn, [{
            "roll_id": roll_id, "frame": f.frame, "frame_num": f.frame_num,
            "path": lib.rel(r["dest"]), "file": f.src.name,
            "source_path": None if plan.extracted else str(f.src),
            "sha256": r["sha"], "bytes": r["bytes"], "width": r["width"], "height": r["height"],
            "bits": r["bits"], "format": r["format"], "mode": r["mode"], "scanner": r["scanner"],
            "orientation": r.get("orientation"),
            "scanned": r["scanned"] or roll_scanned, "thumbnail": lib.rel(Path(r["thumbnail"])),
            "added_at": ts,
        } for f, r in frame_rows])
        report.versions = insert_versions(conn, roll_id, version_rows, lib.rel, ts, plan.extracted is not None)
        pair_roll(conn, roll_id)  # scans that arrive after their film log take its data
        if plan.resolved.project and frame_rows:
            append_to_project(conn, plan.resolved.project, [r["sha"] for _, r in frame_rows])
        record_last_roll(conn, plan.code, ts)
        return frame_rows

    @staticmethod
    def _keep_sidecar(plan: IngestPlan, report: IngestReport) -> None:
        """Archive roll.toml beside the scans (the photographer's notes belong with the roll)."""
        sidecar = plan.folder / SIDECAR_NAME
        if plan.dest_dir is None or not sidecar.is_file():
            return
        ident = fsutil.identity(sidecar)
        sha = fsutil.sha256_file(sidecar)
        dest = plan.dest_dir / SIDECAR_NAME
        if dest.exists() and fsutil.sha256_file(dest) != sha:
            dest = plan.dest_dir / f"roll-{sha[:8]}.toml"
        fsutil.copy_verified(sidecar, dest, expect_sha=sha)
        if plan.mode is IngestMode.MOVE and plan.extracted is None:
            _remove_if_unchanged(sidecar, ident, sha, SIDECAR_NAME, report)

    def _remove_sources(self, plan: IngestPlan, done: list[tuple], report: IngestReport) -> None:
        """Move mode: the rows are durable; remove the sources and the folders they empty.

        `done` holds (file plan, sha256, identity when copied): a source re-saved since
        its copy was made is not the file we archived, so it stays, reported. A lab zip
        goes as a whole once all its rolls are in (run.py: remove_delivered_zip).
        """
        if plan.in_zip:
            return
        for f, sha, ident in done:
            if _remove_if_unchanged(f.src, ident, sha, f.rel, report):
                report.moved += 1
        parents = {f.src.parent for f, _, _ in done}
        for d in parents:
            fsutil.fsync_dir(d)
        if not report.failed:
            remove_empty_dirs(plan.folder)


def _identity(path: Path) -> tuple | None:
    try:
        return fsutil.identity(path)
    except OSError:
        return None


def _remove_if_unchanged(src: Path, ident: tuple | None, sha: str, rel: str, report: IngestReport) -> bool:
    """Unlink a moved source only if it is still the file that was archived; else report it."""
    if not src.exists():
        return False
    if not fsutil.is_unchanged(src, ident, sha):
        report.failed.append({"file": rel, "error": (
            f"{fsutil.display(src)} changed after it was archived, so it was not removed; the archive holds the "
            "earlier version, ingest the folder again to archive the new one.")})
        return False
    with contextlib.suppress(FileNotFoundError):
        src.unlink()
    return True


def remove_delivered_zip(zip_path: Path, reports: list[IngestReport],
                         ident: tuple[int, int, int, int] | None = None) -> bool:
    """Move mode: remove a lab zip once every scan in it belongs to one of its own rolls.

    A failed file, or a scan that duplicates a frame of another roll, keeps the zip where it is;
    so does a zip that changed since it was extracted (`ident`: its identity then), which is
    not the delivery archived: that is added to the last report's failures.
    """
    codes = {r.roll for r in reports if r.roll}
    foreign = [d for r in reports for d in r.duplicates if d["of"].split("/", 1)[0] not in codes]
    if foreign:
        log.warning("%s stays in place: %d of its scans are already catalogued elsewhere (%s)",
                    zip_path.name, len(foreign), ", ".join(d["of"] for d in foreign[:3]))
    if ident is not None and reports and _identity(zip_path) not in (ident, None):
        reports[-1].failed.append({"file": fsutil.display(zip_path.name), "error": (
            f"{fsutil.display(zip_path)} changed after it was extracted, so it was not removed; "
            "ingest it again to archive what it holds now.")})
        return False
    if any(r.failed for r in reports) or foreign or not zip_path.is_file():
        return False
    try:
        zip_path.unlink()
    except OSError:
        return False
    fsutil.fsync_dir(zip_path.parent)
    for r in reports:
        r.moved = len(r.added) + len(r.duplicates)
    return True


def remove_empty_dirs(root: Path) -> None:
    """rmdir folders left empty (bottom-up); never touches a file."""
    for dirpath, _dirs, _files in sorted(os.walk(root), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)
