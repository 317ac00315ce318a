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
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filmflow import __version__, fsutil, imaging, metadata, xmpio
from filmflow.outputs import gallery
from filmflow.errors import FilmflowError, InputError, OperationError
from filmflow.stocks import format_push  # noqa: F401 - re-exported (tests, other modules)

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
GALLERY = "index.html"
POST = "post.md"
SHEET = "contact-sheet.jpg"
_SHEET_PAGE = re.compile(r"contact-sheet(-[1-9][0-9]*)?\.jpg")  # contact-sheet.jpg, contact-sheet-2.jpg, ...
META_FILES = (GALLERY, POST, SHEET)
MANIFEST_FORMAT = 1
# Bump when the pixel pipeline or the metadata written changes: every frame is redone.
PIPELINE_VERSION = 3  # 2: a smaller copy for the gallery's srcset; 3: metadata through exiv2 (issue 15)
# A frame exported larger than this also gets a copy this size, for phones (srcset).
SMALL_EDGE = 1024
CHECKPOINT_SECONDS = 1.0



@dataclass(frozen=True, slots=True)
class ExportItem:
    """One frame of the project, as the catalog knows it."""

    position: int
    ref: str
    roll: str
    frame: str
    source: Path
    sha256: str
    caption: str | None
    stock: str | None
    ei: int | None
    push: float | None
    format: str | None
    camera: str | None
    lens: str | None
    roll_title: str | None
    developed: str | None
    shot: str | None
    scanner: str | None
    rating: int = 0
    pick: str = "no"
    tags: tuple[str, ...] = ()
    stock_key: str | None = None
    film_maker: str | None = None
    process: str | None = None
    developer: str | None = None
    lab: str | None = None
    scanned: str | None = None
    shot_at: str | None = None  # the frame's own shot time (film logs); wins over the roll's `shot`
    version: int = 1  # which version of the frame `source` is (1: the original scan)
    aperture: float | None = None  # film-log capture data (catalog/logs.py); `lens` is already the frame's
    shutter: str | None = None
    focal_length: float | None = None
    gps: tuple[float, float] | None = None  # (lat, lon) as logged: written only with keep_gps
    place: str | None = None


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """How to export (options of `project export` plus config)."""

    long_edge: int = 2048
    quality: int = 90
    picks_only: bool = False
    min_rating: int = 0
    gallery: bool = True
    keep_gps: bool = False
    artist: str | None = None
    copyright: str | None = None
    grey_as_rgb: bool = False
    workers: int = 2
    language: str = "en"  # <html lang> of the gallery ([export] language)
    post: str = "plain"  # gallery.POST_LAYOUTS: plain, hugo, jekyll
    version: str = "preferred"  # the pixel source: each frame's preferred version, or "original"


@dataclass
class ExportReport:
    """What an export did; `failed` non-empty means exit 1 (the rest was exported)."""

    out_dir: Path
    written: list[str]
    unchanged: list[str]
    removed: list[str]
    failed: list[dict]  # {"file": ..., "error": ..., "ref": ...}
    manifest: Path
    gallery: Path | None
    post: Path | None
    sheet: Path | None
    renamed: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- text


def _meta(item: ExportItem, settings: ExportSettings | None = None) -> metadata.FrameMeta:
    return metadata.FrameMeta(
        ref=item.ref, roll=item.roll, frame=item.frame, rating=item.rating, pick=item.pick, tags=item.tags,
        caption=item.caption, title=item.ref, stock=item.stock, stock_key=item.stock_key,
        film_maker=item.film_maker, format=item.format, process=item.process, developer=item.developer,
        lab=item.lab, scanner=item.scanner, ei=item.ei, push=item.push, camera=item.camera, lens=item.lens,
        shot=item.shot_at or item.shot, scanned=item.scanned,
        artist=settings.artist if settings else None, copyright=settings.copyright if settings else None,
        aperture=item.aperture, shutter=item.shutter, focal_length=item.focal_length, gps=item.gps, place=item.place)


def film_line(item: ExportItem) -> str:
    """'Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/12'."""
    return metadata.film_line(_meta(item))


def output_name(index: int, count: int, item: ExportItem) -> str:
    """'03_R042-12.jpg': sorts in project order and says which frame it is."""
    width = max(2, len(str(count)))
    roll = fsutil.safe_component(item.roll, 60).replace(" ", "_")
    frame = fsutil.safe_component(item.frame, 30).replace(" ", "_")
    return f"{index:0{width}d}_{roll}-{frame}.jpg"


def _xmp_packet(item: ExportItem, description: str, settings: ExportSettings) -> bytes:
    """The export's XMP (metadata.xmp_values): curation, caption (else the film line), film data."""
    values = metadata.xmp_values(_meta(item, settings), export=True)
    values.setdefault("Xmp.dc.description", ("alt", description))
    return xmpio.encode(values)


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True, slots=True)
class _Job:
    """One frame to encode; plain data so it pickles into a worker process."""

    name: str
    source: Path
    dst: Path
    long_edge: int
    quality: int
    grey_as_rgb: bool
    keep_gps: bool
    exif: tuple[tuple[str, str], ...]
    xmp: bytes


def _finish(job: _Job, jpeg: bytes, size: tuple[int, int]) -> bytes:
    exif = dict(job.exif)
    exif["Exif.Photo.PixelXDimension"], exif["Exif.Photo.PixelYDimension"] = str(size[0]), str(size[1])
    # a logged position (already in exif) wins over a GPS block the scan may carry
    copy_gps = job.keep_gps and "Exif.GPSInfo.GPSLatitude" not in exif
    return xmpio.embed_jpeg(jpeg, exif, job.xmp, gps_from=job.source if copy_gps else None)


def small_name(name: str) -> str:
    """'03_R042-12.jpg' -> '03_R042-12@1024.jpg' (no frame name holds an @)."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}@{SMALL_EDGE}.{ext}" if dot else f"{name}@{SMALL_EDGE}"


def _encode(job: _Job) -> tuple[str, tuple[int, int] | None, str | None]:
    """Worker: write one frame (and its small copy when it is larger than SMALL_EDGE);
    return (name, size, None) or (name, None, error sentence)."""
    try:
        size = imaging.export_jpeg(
            job.source, job.dst, job.long_edge, job.quality,
            grey_as_rgb=job.grey_as_rgb, finish=functools.partial(_finish, job),
        )
        if max(size) > SMALL_EDGE:
            try:  # from the export just written: already upright sRGB, decoded DCT-scaled
                imaging.export_jpeg(job.dst, job.dst.with_name(small_name(job.name)), SMALL_EDGE, job.quality,
                                    finish=functools.partial(_finish, job))
            except BaseException:
                with contextlib.suppress(OSError):
                    job.dst.unlink()  # ours, just written: a frame is whole (both sizes) or absent
                raise
        return job.name, size, None
    except FilmflowError as e:
        return job.name, None, str(e)
    except OSError as e:
        return job.name, None, f"{job.dst}: cannot be written ({e.strerror or e}); check free space and permissions."
    except Exception as e:  # noqa: BLE001 - one odd scan (a Pillow or exiv2 error) fails alone, as in ingest
        log.debug("export of %s failed", job.source, exc_info=True)
        return job.name, None, (f"{job.source}: cannot be exported ({type(e).__name__}: {e}); the other frames "
                                "were; rerun with --debug for details.")


def _frame_key(item: ExportItem, job: _Job) -> str:
    """Changes whenever the bytes we would write change: source, settings or metadata."""
    blob = json.dumps(
        [PIPELINE_VERSION, item.sha256, job.long_edge, job.quality, job.grey_as_rgb, job.keep_gps,
         [list(kv) for kv in job.exif],
         job.xmp.hex()],
        ensure_ascii=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


# --------------------------------------------------------------------------- checks


def export_dir_for(exports_root: Path, name: str) -> Path:
    """exports/<slug>: any project name (Unicode, ../, slashes, CON, very long) stays inside."""
    return fsutil.safe_join(Path(exports_root), fsutil.slugify(name))


def _check_settings(s: ExportSettings) -> None:
    if not isinstance(s.long_edge, int) or s.long_edge < 1:
        raise InputError(f"--long-edge {s.long_edge}: must be a positive number of pixels, e.g. 2048.")
    if not isinstance(s.quality, int) or not 1 <= s.quality <= 100:
        raise InputError(f"--quality {s.quality}: must be a JPEG quality from 1 to 100, e.g. 90.")
    if not isinstance(s.min_rating, int) or not 0 <= s.min_rating <= 5:
        raise InputError(f"--min-rating {s.min_rating}: must be 0 to 5 stars.")
    if s.post not in gallery.POST_LAYOUTS:
        raise InputError(f"--post {s.post}: use one of {', '.join(gallery.POST_LAYOUTS)}.")
    if s.workers < 1:
        raise InputError(f"workers {s.workers}: must be at least 1.")
    if s.version not in ("preferred", "original"):
        raise InputError(f"--version {s.version}: use preferred (each frame's preferred version) or original.")


def _check_out_dir(out_dir: Path, forbidden_roots: Sequence[Path]) -> Path:
    out = Path(out_dir).expanduser().resolve()
    for root in forbidden_roots:
        r = Path(root).expanduser().resolve()
        if out == r or r in out.parents:
            raise InputError(
                f"--to {out_dir} is inside {root}; exports never write there, choose a folder outside it."
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(
            f"--to {out_dir}: cannot create the export folder ({e.strerror or e}); choose a writable folder."
        ) from None
    if not out.is_dir():
        raise InputError(f"--to {out_dir} is not a folder; choose a folder to export into.")
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix="." + fsutil.TMP_MARK.strip(".")):
            pass
    except OSError as e:
        raise InputError(
            f"--to {out_dir}: the folder is not writable ({e.strerror or e}); choose a writable folder."
        ) from None
    return out


def _is_plain_name(name: object) -> bool:
    """A file name directly in the export folder (or the jekyll post in its _posts/)."""
    if isinstance(name, str) and name.startswith(gallery.POSTS_DIR + "/"):
        name = name[len(gallery.POSTS_DIR) + 1:]
    return (
        isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
        and "\0" not in name and not fsutil.is_temp_name(name)
    )


def _load_manifest(out: Path) -> dict:
    """The previous manifest, or {} when there is none or it is not ours / unreadable."""
    p = out / MANIFEST
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s is unreadable (%s); no earlier export file will be removed", p, e)
        return {}
    if not isinstance(data, dict) or data.get("generator", "").split(" ")[0] != "filmflow":
        log.warning("%s was not written by filmflow; no earlier export file will be removed", p)
        return {}
    return data


def _owned(old: dict) -> tuple[dict[str, dict], set[str]]:
    """(frame entries by output name, every file name a previous export recorded)."""
    frames: dict[str, dict] = {}
    for e in old.get("frames", []) or []:
        if isinstance(e, dict) and _is_plain_name(e.get("file")):
            frames[e["file"]] = e
    names = set(frames)
    for key in ("files", "pending"):
        names.update(n for n in old.get(key, []) or [] if _is_plain_name(n))
    return frames, names


def _check_foreign(out: Path, old: dict, owned: set[str], wanted: set[str]) -> None:
    """Refuse to overwrite files in `out` that no filmflow export of this project wrote."""
    targets = wanted | set(META_FILES) | ({MANIFEST} if not old else set())
    foreign = sorted(n for n in targets - owned if (out / n).exists() or (out / n).is_symlink())
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InputError(
            f"{out} already holds {shown}, not written by a filmflow export of this project; "
            "choose an empty --to folder or move those files away."
        )


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    fsutil.atomic_write_bytes(path, data)
    return True


def _manifest_bytes(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- export


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

    Raises InputError for bad settings, an `out_dir` inside a forbidden root (the
    archive) or not writable, OperationError when the disk fills up. A frame that
    cannot be exported is reported in `failed`; the rest are exported.
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
    """export_project's body (OSErrors escape it to become one sentence)."""
    _check_settings(settings)
    out = _check_out_dir(out_dir, forbidden_roots)
    _clean_own_temps(out)

    chosen = [
        it for it in sorted(items, key=lambda i: i.position)
        if (not settings.picks_only or it.pick == "yes") and it.rating >= settings.min_rating
    ]
    old = _load_manifest(out)
    if old and old.get("project") != name:
        raise InputError(
            f"{out} holds the export of project {old.get('project')!r}, not {name!r}; "
            "choose another --to so neither export removes the other's files."
        )
    old_frames, owned = _owned(old)

    plans: list[tuple[ExportItem, _Job, str, str]] = []  # item, job, key, description
    for idx, item in enumerate(chosen, 1):
        fname = output_name(idx, len(chosen), item)
        desc = film_line(item)
        job = _Job(
            name=fname, source=Path(item.source), dst=out / fname, long_edge=settings.long_edge,
            quality=settings.quality, grey_as_rgb=settings.grey_as_rgb, keep_gps=settings.keep_gps,
            exif=tuple(metadata.exif_values(_meta(item, settings), gps=settings.keep_gps).items()),
            xmp=_xmp_packet(item, desc, settings),
        )
        plans.append((item, job, _frame_key(item, job), desc))

    day = gallery.post_date([{"shot": i.shot, "developed": i.developed} for i in chosen])
    post_file = gallery.post_name(settings.post, fsutil.slugify(name), day or date.today().isoformat())
    wanted = {job.name for _, job, _, _ in plans} | {small_name(job.name) for _, job, _, _ in plans} | {post_file}
    _check_foreign(out, old, owned, wanted)
    unchanged: list[str] = []
    to_encode: list[_Job] = []
    moves: list[tuple[str, str]] = []  # (old name, new name)
    old_by_key = {
        e.get("key"): n for n, e in old_frames.items() if e.get("key") and (out / n).is_file()
    }
    kept_by_name = set()
    for _item, job, key, _d in plans:
        prev = old_frames.get(job.name)
        if prev and prev.get("key") == key and _intact(job.dst, prev) and (
                not prev.get("small") or (out / prev["small"]).is_file()):
            unchanged.append(job.name)
            kept_by_name.add(job.name)
    for _item, job, key, _d in plans:
        if job.name in kept_by_name:
            continue
        src_name = old_by_key.get(key)
        if src_name and src_name != job.name and src_name not in kept_by_name and src_name not in {
            m[0] for m in moves
        }:
            moves.append((src_name, job.name))
        else:
            to_encode.append(job)

    # Intent log: everything not verified unchanged is "pending" (ours, possibly stale).
    entries_by_name = {e["file"]: e for e in (old_frames.get(n) for n in unchanged) if e}
    in_progress = {
        "generator": f"filmflow {__version__}",
        "format": MANIFEST_FORMAT,
        "complete": False,
        "project": name,
        "frames": [entries_by_name[n] for n in unchanged],
        "files": sorted(unchanged),
        "pending": sorted((owned | wanted | set(META_FILES)) - set(unchanged)),
    }
    if to_encode or moves or (owned - wanted - set(META_FILES)) or not old:
        fsutil.atomic_write_bytes(out / MANIFEST, _manifest_bytes(in_progress))

    by_plan = {job.name for _, job, _, _ in plans}
    # Frames that only changed position: rename (two phases, so swaps work).
    renamed: list[str] = []
    staged: list[tuple[Path, str]] = []
    for src_name, dst_name in moves:
        tmp = fsutil.temp_path_for(out / dst_name)
        try:
            os.replace(out / src_name, tmp)
            staged.append((tmp, dst_name))
            if (out / small_name(src_name)).is_file():
                small_tmp = fsutil.temp_path_for(out / small_name(dst_name))
                os.replace(out / small_name(src_name), small_tmp)
                staged.append((small_tmp, small_name(dst_name)))
        except OSError as e:
            log.warning("could not reuse %s for %s (%s); re-encoding it", src_name, dst_name, e)
            to_encode.append(next(j for _, j, _, _ in plans if j.name == dst_name))
    for tmp, dst_name in staged:
        os.replace(tmp, out / dst_name)
        if dst_name in by_plan:
            renamed.append(dst_name)
    if staged:
        fsutil.fsync_dir(out)

    by_name = {job.name: (item, job, key, desc) for item, job, key, desc in plans}
    renamed_sizes = {}
    for n in renamed:
        prev = next((e for e in old_frames.values() if e.get("key") == by_name[n][2]), None) or {}
        renamed_sizes[n] = (prev.get("width"), prev.get("height"))
    sizes: dict[str, tuple[int, int]] = {
        **{n: (old_frames[n].get("width"), old_frames[n].get("height")) for n in unchanged},
        **renamed_sizes,
    }
    failed: list[dict] = []
    written: list[str] = []
    last_checkpoint = [time.monotonic()]

    def checkpoint(force: bool = False) -> None:
        # Record finished frames now and then, so a killed export keeps them on the next run.
        if not force and time.monotonic() - last_checkpoint[0] < CHECKPOINT_SECONDS:
            return
        done = [n for n in by_name if n in sizes]
        doc = {**in_progress,
               "frames": [_frame_entry(*by_name[n], sizes[n]) for n in done],
               "files": sorted(done),
               "pending": sorted(set(in_progress["pending"]) - set(done))}
        fsutil.atomic_write_bytes(out / MANIFEST, _manifest_bytes(doc))
        last_checkpoint[0] = time.monotonic()

    for name_, size, err in _run_jobs(to_encode, settings.workers):
        if err is None and size is not None:
            written.append(name_)
            sizes[name_] = size
            checkpoint()
        else:
            item, job, _k, _d = by_name[name_]
            hint = (f" (it is version {item.version} of {item.ref}; `--version original` or `filmflow version "
                    f"prefer {item.ref} 1` exports the original scan)") if item.version != 1 else ""
            failed.append({"file": str(job.source), "ref": item.ref, "error": (err or "unknown error") + hint})

    # Frame entries, in order; a failed frame keeps its previous output (marked stale) if any.
    frames_doc: list[dict] = []
    for item, job, key, desc in plans:
        if job.name not in sizes:
            prev = old_frames.get(job.name)
            if prev and job.dst.is_file():
                frames_doc.append({**prev, "position": len(frames_doc) + 1, "stale": True})
            continue
        frames_doc.append({"position": len(frames_doc) + 1, **_frame_entry(item, job, key, desc, sizes[job.name])})

    frame_names = {e["file"] for e in frames_doc} | {e["small"] for e in frames_doc if e.get("small")}
    removed: list[str] = []
    for stale in sorted(owned - frame_names - set(META_FILES) - {MANIFEST}):
        if _SHEET_PAGE.fullmatch(stale) or gallery.is_post_name(stale):
            continue  # the contact sheet's pages and the post: settled once they are (re)made
        if _remove_own(out, stale):
            removed.append(stale)

    set_key = hashlib.sha256(
        json.dumps([[e["file"], e["key"]] for e in frames_doc]).encode()
    ).hexdigest()[:32]
    set_changed = set_key != old.get("set_key")
    created = old.get("created") or date.today().isoformat()
    page_title = title or name
    files = sorted(frame_names)

    gallery_path: Path | None = None
    if settings.gallery and frames_doc:
        gallery_path = out / GALLERY
        _write_if_changed(gallery_path, gallery.render_gallery(page_title, description, frames_doc,
                                                                   settings.language).encode())
        files.append(GALLERY)
    elif GALLERY in owned and _remove_own(out, GALLERY):
        removed.append(GALLERY)

    post_path = out / post_file
    post_path.parent.mkdir(exist_ok=True)
    _write_if_changed(post_path, gallery.render_post(page_title, description, day or created, frames_doc,
                                                     settings.post, out.name).encode())
    files.append(post_file)
    for stale in sorted(n for n in owned if gallery.is_post_name(n) and n != post_file):
        if _remove_own(out, stale):  # the post of another --post layout
            removed.append(stale)

    sheet_path, pages = _sheet_step(out, owned, old, frames_doc, set_changed, make_sheet, in_progress,
                                    checkpoint, failed, removed)
    files.extend(pages)

    doc = {
        "generator": f"filmflow {__version__}",
        "format": MANIFEST_FORMAT,
        "complete": True,
        "project": name,
        "title": title,
        "description": description,
        "created": created,
        "settings": {
            "long_edge": settings.long_edge, "quality": settings.quality,
            "picks_only": settings.picks_only, "min_rating": settings.min_rating,
            "gallery": settings.gallery, "keep_gps": settings.keep_gps,
            "grey_as_rgb": settings.grey_as_rgb, "artist": settings.artist,
            "copyright": settings.copyright,
        },
        "set_key": set_key,
        "frames": frames_doc,
        "files": sorted(set(files)),
        "sheet_pages": pages,
        "pending": [],
        "failed": failed,
    }
    _write_if_changed(out / MANIFEST, _manifest_bytes(doc))
    log.info(
        "exported %s to %s: %d written, %d renamed, %d unchanged, %d removed, %d failed",
        name, out, len(written), len(renamed), len(unchanged), len(removed), len(failed),
    )
    return ExportReport(
        out_dir=out, written=written, unchanged=unchanged, removed=removed, failed=failed,
        manifest=out / MANIFEST, gallery=gallery_path, post=post_path, sheet=sheet_path, renamed=renamed,
    )


def _sheet_step(out: Path, owned: set[str], old: dict, frames_doc: list[dict], set_changed: bool,
                make_sheet: Callable[..., object] | None, in_progress: dict, checkpoint: Callable[..., None],
                failed: list[dict], removed: list[str]) -> tuple[Path | None, list[str]]:
    """Make (or keep) the contact sheet and its pages; remove our pages it no longer has.

    Returns (first page or None, names of every page now ours). A page is written only
    where no file stands that filmflow did not record as its own.
    """
    before = [n for n in old.get("sheet_pages") or [SHEET] if isinstance(n, str) and _SHEET_PAGE.fullmatch(n)]
    pages = [n for n in before if n in owned and (out / n).is_file()]
    if frames_doc and make_sheet is not None and (set_changed or SHEET not in pages or pages != before):
        def claim(paths: list[Path]) -> None:
            names = [p.name for p in paths]
            foreign = [n for n in names if n not in owned and ((out / n).exists() or (out / n).is_symlink())]
            if foreign:
                raise InputError(f"{out / foreign[0]} was not written by a filmflow export of this project; "
                                 "move it away (or rename it) and export again to get the contact sheet.")
            owned.update(names)  # recorded as ours before a byte is written
            in_progress["pending"] = sorted(set(in_progress["pending"]) | set(names))
            checkpoint(True)

        try:
            result = make_sheet(out / SHEET, claim)
            pages = [Path(p).name for p in (getattr(result, "paths", ()) or (out / SHEET,))]
        except (FilmflowError, OSError) as e:
            failed.append({"file": str(out / SHEET), "ref": None, "error": str(e)})
            pages = [n for n in pages if (out / n).is_file()]
    elif not frames_doc:
        pages = []
    for stale in sorted(n for n in owned if _SHEET_PAGE.fullmatch(n) and n not in pages):
        if _remove_own(out, stale):
            removed.append(stale)
    return (out / SHEET if SHEET in pages else None), pages


def _frame_entry(item: ExportItem, job: _Job, key: str, desc: str, size: tuple) -> dict:
    """The manifest entry of one exported frame."""
    return {
        "ref": item.ref, "roll": item.roll, "frame": item.frame,
        "file": job.name, "sha256": item.sha256, "source": str(item.source), "version": item.version,
        "stock": item.stock, "ei": item.ei, "push": item.push, "format": item.format,
        "camera": item.camera, "lens": item.lens, "roll_title": item.roll_title,
        "developed": item.developed, "shot": item.shot, "scanner": item.scanner,
        "shot_at": item.shot_at, "place": item.place,
        "exposure": metadata.exposure_line(item.aperture, item.shutter, item.focal_length) or None,
        "caption": item.caption, "rating": item.rating, "pick": item.pick, "tags": list(item.tags),
        "description": desc, "width": size[0], "height": size[1], "key": key,
        "bytes": _size_of(job.dst), **_small_entry(job, size),
    }


def _small_entry(job: _Job, size: tuple) -> dict:
    """The small copy's manifest fields (none for a frame no larger than SMALL_EDGE)."""
    if not size[0] or not size[1] or max(size) <= SMALL_EDGE:
        return {}
    w, h = imaging.target_size((int(size[0]), int(size[1])), SMALL_EDGE)
    return {"small": small_name(job.name), "small_width": w, "small_height": h}


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _intact(path: Path, entry: dict) -> bool:
    """The file is there with the size the manifest recorded (older manifests recorded
    none) and ends with the JPEG end-of-image marker (a cut file does not)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            f.seek(max(0, size - 2))
            tail = f.read(2)
    except OSError:
        return False
    want = entry.get("bytes")
    return path.is_file() and (not isinstance(want, int) or size == want) and tail == b"\xff\xd9"


def _clean_own_temps(out: Path) -> None:
    """Remove our temp files left in the export folder (top level only) by a killed export."""
    for p in out.iterdir():
        if fsutil.is_temp_name(p.name) and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()


def _remove_own(out: Path, name: str) -> bool:
    """Remove one file a previous export recorded, only if it is a plain file inside `out`."""
    if not _is_plain_name(name):
        return False
    p = out / name
    try:
        if p.is_symlink() or not p.is_file():
            return False
        p.unlink()
        return True
    except OSError as e:
        log.warning("could not remove %s (%s)", p, e)
        return False


def _run_jobs(jobs: list[_Job], workers: int) -> Iterator[tuple[str, tuple[int, int] | None, str | None]]:
    """Encode `jobs`, yielding results as they finish (in a process pool when workers > 1)."""
    if not jobs:
        return
    n = min(workers, len(jobs))
    if n <= 1:
        for j in jobs:
            yield _encode(j)
        return
    # Big frames first so the workers finish together.
    order = sorted(jobs, key=lambda j: _size_hint(j.source), reverse=True)
    # Workers die with a killed (or SIGTERMed) export instead of encoding on for ever.
    with ProcessPoolExecutor(max_workers=n, initializer=imaging.worker_init, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_encode, j) for j in order]
        for fut in as_completed(futures):
            yield fut.result()


def _size_hint(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0
