"""Versions of a frame: adding them, preferring one, adopting edits saved into the archive.

Recognising them (`EditMarks`: edits by name; `dhash` / `looks_alike`: re-scans by look) is
ingest/recognise.py's, re-exported here.

- `add_version`: the verified copy beside the frame's original, its thumbnail and its row,
  used by `filmflow version add` and by ingest.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path
from typing import Any


from filmflow import fsutil
from filmflow.catalog.db import transaction
from filmflow.catalog.rolls import now
from filmflow.catalog.versions import insert_version, set_preferred, versions_of
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.opencatalog import open_catalog
# recognising versions is ingest's; re-exported for version add, verify and the watcher
from filmflow.ingest.recognise import HASH_SIDE, EditMarks, dhash, distance, looks_alike  # noqa: F401

log = logging.getLogger(__name__)

KINDS = ("edit", "scan")
REFUSED_FORMATS = {".psd": "Photoshop documents", ".psb": "Photoshop documents", ".xcf": "GIMP documents",
                   ".afphoto": "Affinity documents"}


def check_version_file(path: Path) -> None:
    """Refuse what cannot be a version: a layered document, a missing or empty file."""
    kind = REFUSED_FORMATS.get(path.suffix.lower())
    if kind:
        raise InputError(f"{path}: {kind} keep layers, not a picture filmflow can show; "
                         "export a TIFF or JPEG from it and add that.")
    if not path.is_file():
        raise InputError(f"{path} is not a file; give the edited scan's file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes); save the edit again.")


def add_version(lib: Library, frame: Any, src: Path, *, kind: str = "edit", prefer: bool = False,
                source_path: str | None = None) -> int:
    """Archive `src` beside the frame's original by verified copy and record it; returns its number."""
    from filmflow.catalog.frames import known_hashes
    from filmflow.catalog.versions import known_version_hashes
    from filmflow.ingest.apply import Ingester
    from filmflow.ingest.worker import process_file

    if kind not in KINDS:
        raise InputError(f"--kind {kind!r}: a version is an `edit` or a `scan`.")
    src = Path(src)
    check_version_file(src)
    original = Path(frame.path)
    folder = original.parent if not _outside_archive(lib, original) else lib.archive / "versions" / frame.roll
    dest = fsutil.safe_join(folder, fsutil.safe_component(src.name, 200))
    r = process_file(str(src), str(dest), lib.thumbnail_template, lib.settings.thumbnail_size,
                     preview=lib.preview_template)
    if not r["ok"]:
        raise InputError(f"{r['error']}")
    db = open_catalog(lib)
    try:
        dup = known_hashes(db.conn, [r["sha"]]).get(r["sha"]) or known_version_hashes(db.conn, [r["sha"]]).get(r["sha"])
        if dup is not None:
            Path(r["tmp"]).unlink(missing_ok=True)
            raise InputError(f"{src} is byte-identical to {dup['ref']}" + (f" version {dup['n']}" if "n" in dup else "")
                             + "; nothing added.")
        final, _made = Ingester._link_tmp(Path(r["tmp"]), dest, r["sha"])
        with transaction(db) as conn:
            n = insert_version(conn, {
                "frame_id": frame.id, "kind": kind, "path": lib.rel(final), "file": src.name,
                "source_path": source_path or str(src.resolve()), "sha256": r["sha"], "bytes": r["bytes"],
                "width": r["width"], "height": r["height"], "bits": r["bits"], "format": r["format"],
                "mode": r["mode"], "thumbnail": lib.rel(Path(r["thumbnail"])), "dhash": dhash(Path(r["thumbnail"])),
                "added_at": now()})
            if prefer:
                set_preferred(conn, frame.id, n)
        return n
    except BaseException:
        if r.get("tmp"):
            Path(r["tmp"]).unlink(missing_ok=True)
        raise
    finally:
        db.conn.close()


def _outside_archive(lib: Library, path: Path) -> bool:
    try:
        path.resolve().relative_to(lib.archive.resolve())
        return False
    except ValueError:
        return True   # an in-place roll: versions go into the archive, never beside the user's own files


def prefer_version(lib: Library, frame: Any, n: int) -> None:
    """Make version n the one shown (1 = the original scan)."""
    db = open_catalog(lib)
    try:
        known = {1} | {v["n"] for v in versions_of(db.conn, frame.id)}
        if n not in known:
            raise InputError(f"{frame.ref} has no version {n}; `filmflow version list {frame.ref}` lists "
                             f"{', '.join(map(str, sorted(known)))}.")
        with transaction(db) as conn:
            set_preferred(conn, frame.id, n)
    finally:
        db.conn.close()


SETTLED_SECONDS = 60  # a file saved into the archive less than this long ago may still be being written


def adopt_archive_edits(lib: Library, unknown: list[Path], marks: EditMarks | None = None,
                        now_ts: float | None = None, settled: float = SETTLED_SECONDS
                        ) -> tuple[list[tuple[str, Path]], list[Path]]:
    """Edits a user saved straight into a roll's archive folder become versions of their frames,
    where they lie (nothing is moved or rewritten). Returns ([(ref version n, path)], still unknown)."""
    import time

    from filmflow.catalog.frames import frame_ref_of, known_hashes
    from filmflow.catalog.versions import frames_in_folder, known_version_hashes

    marks = marks or EditMarks.load(lib.settings.edit_marks)
    adopted: list[tuple[str, Path]] = []
    rest: list[Path] = []
    now_ts = time.time() if now_ts is None else now_ts
    db = open_catalog(lib)
    try:
        by_folder: dict[Path, dict[str, int]] = {}
        for p in unknown:
            folder = p.parent
            if folder not in by_folder:
                by_folder[folder] = {unicodedata.normalize("NFC", f.rsplit(".", 1)[0]).casefold(): fid
                                     for fid, f in frames_in_folder(db.conn, lib.rel(folder))}
            fid = marks.edit_of(p.name, by_folder[folder]) if p.suffix.lower() not in REFUSED_FORMATS else None
            try:
                quiet = now_ts - p.stat().st_mtime >= settled
            except OSError:
                quiet = False
            if fid is None or not quiet:
                rest.append(p)
                continue
            r = _read_in_place(lib, p)
            if r is None:
                rest.append(p)
                continue
            dup = known_hashes(db.conn, [r["sha"]]) or known_version_hashes(db.conn, [r["sha"]])
            if dup:
                rest.append(p)   # a copy of something catalogued: verify keeps calling it unknown
                continue
            with transaction(db) as conn:
                n = insert_version(conn, {
                    "frame_id": fid, "kind": "edit", "path": lib.rel(p), "file": p.name, "source_path": None,
                    "sha256": r["sha"], "bytes": r["bytes"], "width": r["width"], "height": r["height"],
                    "bits": r["bits"], "format": r["format"], "mode": r["mode"],
                    "thumbnail": lib.rel(Path(r["thumbnail"])), "dhash": dhash(Path(r["thumbnail"])),
                    "added_at": now()})
                ref = frame_ref_of(conn, fid)
            adopted.append((f"{ref} version {n}", p))
    finally:
        db.conn.close()
    return adopted, rest


def _read_in_place(lib: Library, path: Path) -> dict[str, Any] | None:
    """Hash, size and thumbnail of a file read where it lies (None when it is not a readable image)."""
    from filmflow.ingest.worker import process_file

    r = process_file(str(path), None, lib.thumbnail_template, lib.settings.thumbnail_size,
                     preview=lib.preview_template)
    if not r["ok"]:
        log.warning("%s looks like an edit of a frame but cannot be read (%s); it stays an unknown file",
                    path, r["error"])
        return None
    return r
