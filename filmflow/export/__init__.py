"""Project export: frames as ordered sRGB JPEGs, manifest.json, gallery, post and contact sheet.

Owns the export folder of one project. What it promises (SPEC "Export", issue #6):

- Frames are written in project order as `NN_ROLL-FRAME.jpg`, through
  `imaging.export_jpeg` (long edge, sRGB, orientation, 16-bit), in a process pool.
- Metadata is written fresh, never copied, as `filmflow.metadata` maps it (EXIF and XMP
  that exiftool and exiv2 read alike: shot date, camera, ISO = EI, rating, pick, tags,
  caption, AnalogExif film data). The scanner's Make/Model and every serial number are
  never written; GPS only with `keep_gps`.
- `manifest.json` records every file the export wrote. Re-export re-encodes only frames
  whose source hash or settings changed, renames frames that only moved, and removes
  only files a previous export recorded. Before anything is touched an in-progress
  manifest lists every name about to be written, so an export killed midway and run
  again ends complete and still owns what it half did.

`export_project` runs the stages in order: plan (plan.py) -> diff against the old
manifest (manifest.py) -> rename -> encode (encode.py) -> frame entries and clean-up
(files.py) -> gallery, post and sheet (meta.py) -> the final manifest. This module is the
package's public API; the values are in settings.py.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from filmflow import fsutil
from filmflow.errors import OperationError
from filmflow.export.encode import SMALL_EDGE, Job, run_jobs, small_name
from filmflow.export.files import (GALLERY, MANIFEST, META_FILES, POST, SHEET, check_out_dir, clean_own_temps,
                                   remove_stale_frames, rename_frames, write_if_changed)
from filmflow.export.manifest import (MANIFEST_FORMAT, IntentLog, check_foreign, check_project, created_date,
                                      diff_manifest, final_manifest, frame_entries, known_sizes, load_manifest,
                                      manifest_bytes, owned_files, set_key)
from filmflow.export.meta import Page, write_gallery, write_post, write_sheet
from filmflow.export.plan import (PIPELINE_VERSION, FramePlan, export_dir_for, film_line, output_name,
                                  plan_frames, wanted_names)
from filmflow.export.settings import ExportItem, ExportReport, ExportSettings
from filmflow.outputs import gallery
from filmflow.stocks import format_push  # noqa: F401 - re-exported (tests, other modules)

__all__ = [
    "CHECKPOINT_SECONDS", "GALLERY", "MANIFEST", "MANIFEST_FORMAT", "META_FILES", "PIPELINE_VERSION", "POST",
    "SHEET", "SMALL_EDGE", "ExportItem", "ExportReport", "ExportSettings", "export_dir_for",
    "export_project", "film_line", "format_push", "output_name", "small_name",
]

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0  # how often the in-progress manifest records finished frames


def export_project(
    name: str,
    title: str | None,
    description: str | None,
    items: Sequence[ExportItem],
    out_dir: Path,
    settings: ExportSettings,
    *,
    forbidden_roots: Sequence[Path] = (),
    make_sheet: Callable[[Path], object] | None = None,
) -> ExportReport:
    """Export a project's frames (filtered by picks/rating) into `out_dir`, incrementally.

    Raises InputError for an `out_dir` inside a forbidden root (the archive) or not
    writable (bad settings raise when the ExportSettings is made), OperationError when the
    disk fills up. A frame that cannot be exported is reported in `failed`; the rest are
    exported.
    """
    try:
        return _export(name, title, description, items, out_dir, settings,
                       forbidden_roots=forbidden_roots, make_sheet=make_sheet)
    except OSError as e:
        where = e.filename or out_dir
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OperationError(f"{where}: the disk is full; free some space and export again "
                                 "(the frames already written are kept).") from None
        raise OperationError(f"{where}: cannot be written ({e.strerror or e}); "
                             "check the export folder's disk and permissions, then export again.") from None


def _export(name: str, title: str | None, description: str | None, items: Sequence[ExportItem], out_dir: Path,
            settings: ExportSettings, *, forbidden_roots: Sequence[Path],
            make_sheet: Callable[..., object] | None) -> ExportReport:
    """export_project's stages (OSErrors escape them to become one sentence)."""
    out = check_out_dir(out_dir, forbidden_roots)
    clean_own_temps(out)
    chosen = [it for it in sorted(items, key=lambda i: i.position) if settings.wants(it)]
    old = load_manifest(out)
    check_project(out, old, name)
    old_frames, owned = owned_files(old)

    plans = plan_frames(chosen, out, settings)
    day = gallery.post_date([{"shot": i.shot, "developed": i.developed} for i in chosen])
    post_file = gallery.post_name(settings.post, fsutil.slugify(name), day or date.today().isoformat())
    wanted = wanted_names(plans, post_file)
    check_foreign(out, old, owned, wanted)
    diff = diff_manifest(out, old_frames, plans)

    intent = IntentLog(out, name, plans, old_frames, diff.unchanged, owned | wanted | set(META_FILES),
                       CHECKPOINT_SECONDS)
    if diff.encode or diff.moves or (owned - wanted - set(META_FILES)) or not old:
        intent.write()
    by_name = {p.name: p for p in plans}
    renamed, retry = rename_frames(out, diff.moves, set(by_name))
    intent.sizes.update(known_sizes(old_frames, plans, diff.unchanged, renamed))
    written, failed = _encode_frames([*diff.encode, *(by_name[n].job for n in retry)], by_name,
                                     settings.workers, intent)

    frames_doc = frame_entries(plans, intent.sizes, old_frames)
    frame_names = {e["file"] for e in frames_doc} | {e["small"] for e in frames_doc if e.get("small")}
    removed = remove_stale_frames(out, owned, frame_names)
    key, created, files = set_key(frames_doc), created_date(old), sorted(frame_names)
    page = Page(out, title or name, description, frames_doc)
    gallery_path = write_gallery(page, settings, owned, files, removed)
    post_path = write_post(page, settings, post_file, day or created, owned, files, removed)
    sheet_path, pages = write_sheet(out, owned, old, frames_doc, key != old.get("set_key"), make_sheet, intent,
                                    failed, removed)
    files.extend(pages)
    write_if_changed(out / MANIFEST, manifest_bytes(final_manifest(
        name, title, description, created, settings, key, frames_doc, files, pages, failed)))
    log.info(
        "exported %s to %s: %d written, %d renamed, %d unchanged, %d removed, %d failed",
        name, out, len(written), len(renamed), len(diff.unchanged), len(removed), len(failed),
    )
    return ExportReport(
        out_dir=out, written=written, unchanged=list(diff.unchanged), removed=removed, failed=failed,
        manifest=out / MANIFEST, gallery=gallery_path, post=post_path, sheet=sheet_path, renamed=renamed,
    )


def _encode_frames(jobs: list[Job], plans: dict[str, FramePlan], workers: int,
                   intent: IntentLog) -> tuple[list[str], list[dict]]:
    """Encode `jobs`, recording each finished frame's size (and a checkpoint now and then);
    returns (names written, failures: one dict per frame that could not be exported)."""
    written: list[str] = []
    failed: list[dict] = []
    for name, size, err in run_jobs(jobs, workers):
        if err is None and size is not None:
            written.append(name)
            intent.sizes[name] = size
            intent.checkpoint()
            continue
        item = plans[name].item
        hint = (f" (it is version {item.version} of {item.ref}; `--version original` or `filmflow version "
                f"prefer {item.ref} 1` exports the original scan)") if item.version != 1 else ""
        failed.append({"file": str(plans[name].job.source), "ref": item.ref, "error": (err or "unknown error") + hint})
    return written, failed
