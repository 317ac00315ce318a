"""Ingest's XMP step: a sidecar beside a scan and XMP/IPTC embedded in it give the frame's
rating, reject, pick, keywords (hierarchy kept), title and caption (origin `xmp`), and the
sidecar is archived beside its scan (verified copy; in move mode the inbox copy goes after).

Runs after the frames are committed, so a crash before it is caught up on the next run
(frames of the roll without an xmp_sidecars row). A sidecar that cannot be read is a
warning naming it: the scan is ingested all the same, and the sidecar is still archived
(it is the user's file). `IMG.xmp` is taken only when no other scan shares the stem.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.metadata import xmpio
from filmflow.catalog import xmpstate
from filmflow.catalog.db import transaction
from filmflow.ingest.mode import IngestMode
from filmflow.errors import FilmflowError
from filmflow.library import Library

log = logging.getLogger(__name__)


def find_sidecar(scan: Path, names: dict[str, list[str]]) -> Path | None:
    """The sidecar of `scan` among its folder's `names` (lowercased stem -> names), or None.

    'IMG.jpg.xmp' first (darktable, digiKam), then 'IMG.xmp' (Lightroom, digiKam's
    compatible mode) unless another scan in the folder has the stem 'IMG' (ambiguous).
    """
    low = scan.name.lower()
    for n in names.get(low, ()):
        if n.lower() == low + ".xmp":
            return scan.with_name(n)
    stem = scan.stem.lower()
    lr = [n for n in names.get(stem, ()) if n.lower() == stem + ".xmp"]
    if lr:
        scans = [n for n in names.get("\0scans", ()) if Path(n).stem.lower() == stem]
        if len(scans) > 1:
            log.warning("%s: belongs to one of %s, not guessing which; rename it to <file name>.xmp",
                        scan.with_name(lr[0]), ", ".join(sorted(scans)))
            return None
        return scan.with_name(lr[0])
    return None


def find_duplicates(scan: Path, names: dict[str, list[str]]) -> list[Path]:
    """darktable's duplicate sidecars of `scan`: 'IMG_01.jpg.xmp', 'IMG_02.jpg.xmp' (same scan, not frames)."""
    out = []
    for key, found in names.items():
        if key.startswith(scan.stem.lower() + "_") and key.endswith(scan.suffix.lower()):
            middle = key[len(scan.stem) + 1:len(key) - len(scan.suffix)]
            if len(middle) == 2 and middle.isdigit():
                out += [scan.with_name(n) for n in found if n.lower() == key + ".xmp"]
    return sorted(out)


def _folder_names(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        entries = os.listdir(folder)
    except OSError:
        return out
    for n in entries:
        if n.lower().endswith(".xmp"):
            out.setdefault(n[:-4].lower(), []).append(n)
        else:
            out.setdefault("\0scans", []).append(n)
    return out


def _read(sidecar: Path | None, archived: Path) -> tuple[xmpio.XmpCuration | None, list[str], bytes | None]:
    """Curation from the embedded XMP, overlaid by the sidecar's; warnings; the sidecar's bytes if it parsed."""
    warnings: list[str] = []
    raw = None
    fields: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    try:
        xd = xmpio.read_embedded(archived)
        if xd is not None:
            cur = xmpio.read_curation(xd)
            fields.update(cur.fields())
            lists = cur.tag_lists
    except xmpio.XmpError as e:
        warnings.append(str(e))
    if sidecar is not None:
        try:
            xd, raw = xmpio.load_sidecar(sidecar)
            cur = xmpio.read_curation(xd)
            fields.update(cur.fields())
            lists = cur.tag_lists
        except xmpio.XmpError as e:
            warnings.append(f"{e} The scan was ingested without it.")
            raw = None
    if not fields:
        return None, warnings, raw
    return xmpio.XmpCuration(**fields, tag_lists=lists), warnings, raw


def _archive_batch(todo: list[tuple[Path, Path, bytes | None]]) -> dict[Path, Path]:
    """Copy sidecars beside their archived scans, never replacing a different file.

    Parsed ones (bytes in hand) go as temp files, one os.sync() for all, then a hard link to
    the final name (refused if taken by other bytes: `<stem>-<sha8>.xmp` then); others
    (malformed, huge) through fsutil.copy_verified. Returns source -> archived path.
    """
    done: dict[Path, Path] = {}
    temps = []
    for src, target, data in todo:
        try:
            if data is None:
                sha = fsutil.sha256_file(src)
                if target.exists() and fsutil.sha256_file(target) != sha:
                    target = target.with_name(f"{target.stem}-{sha[:8]}.xmp")
                fsutil.copy_verified(src, target, expect_sha=sha)
                done[src] = target
                continue
            tmp = fsutil.temp_path_for(target)
            with open(tmp, "wb") as f:
                f.write(data)
            temps.append((src, target, tmp, hashlib.sha256(data).hexdigest()))
        except (OSError, FilmflowError) as e:
            log.warning("%s: not archived (%s); it stays where it is", src, e)
    if temps:
        os.sync()
    for src, target, tmp, sha in temps:
        try:
            for cand in (target, target.with_name(f"{target.stem}-{sha[:8]}.xmp")):
                try:
                    os.link(tmp, cand)
                except FileExistsError:
                    if fsutil.sha256_file(cand) != sha:
                        continue
                done[src] = cand
                break
        except OSError as e:
            log.warning("%s: not archived (%s); it stays where it is", src, e)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for d in {t.parent for t in done.values()}:
        fsutil.fsync_dir(d)
    return done


def _todo(lib: Library, plan, rows: list) -> list[tuple[Path, Path, str]]:  # noqa: ANN001
    """(source, archived scan, sha) for frames just committed and this roll's earlier ones."""
    todo = [(f.src, Path(r["dest"]) if r.get("dest") else f.src, r["sha"]) for f, r in rows]
    for f in plan.files:
        if f.already is not None and str(f.already.get("ref", "")).startswith(f"{plan.code}/"):
            todo.append((f.src, lib.resolve(f.already["path"]), f.already["sha256"]))
    return todo


def take_xmp(lib: Library, plan, rows: list, db) -> None:  # noqa: ANN001 - IngestPlan, Catalog
    """Read and archive sidecars for the frames just committed (and ones a crash left without)."""
    from filmflow.metadata.sidecars import _meta, _synced, sidecar_path

    todo = _todo(lib, plan, rows)
    if not todo:
        return
    ids = xmpstate.frame_ids_with_sha(db.conn, [sha for _, _, sha in todo])
    states = xmpstate.sidecar_states(db.conn, list(ids.values()))
    folders: dict[Path, dict[str, list[str]]] = {}
    shown_as = {f.src: f.shown for f in plan.files if f.shown}
    found = []
    for src, dest, sha in todo:
        fid = ids.get(sha)
        if fid is None or fid in states:
            continue
        sidecar = find_sidecar(src, folders.setdefault(src.parent, _folder_names(src.parent)))
        cur, warnings, raw = _read(sidecar, dest)
        shown = shown_as.get(src) or str(src)
        for w in warnings:  # read from the archive copy: name the user's scan (or its zip entry)
            log.warning("%s", w.replace(str(dest), shown))
        found.append((fid, sidecar, dest, cur, raw))
    in_place = plan.mode is IngestMode.IN_PLACE
    copies = [(sc, sidecar_path(dest, lib.settings.xmp_sidecar_name), raw) for _f, sc, dest, _c, raw in found if sc]
    dups = [(d, dest.with_name(dest.stem + d.name[len(src.stem):]), None)
            for src, dest, _sha in todo
            for d in find_duplicates(src, folders.get(src.parent, {}))]  # kept with the scan, not read
    archived = {} if in_place else _archive_batch(copies + dups)
    updates, records, remove = [], [], []
    if plan.mode is IngestMode.MOVE and plan.extracted is None:
        remove += [d for d, _t, _r in dups if d in archived]
    for fid, sidecar, _dest, cur, raw in found:
        kept = sidecar if in_place else archived.get(sidecar)
        if kept is not None and plan.mode is IngestMode.MOVE and plan.extracted is None:
            remove.append(sidecar)
        fields = cur.fields() if cur else {}
        if fields:
            updates.append((fid, fields))
        if fields or kept is not None:
            st = kept.stat() if kept is not None and raw is not None else None
            records.append({
                "frame_id": fid, "path": lib.rel(kept) if kept is not None else None,
                "mtime_ns": st.st_mtime_ns if st else None,
                "sha256": hashlib.sha256(raw).hexdigest() if st and raw is not None else None,
                "lists": {k: list(v) for k, v in (cur.tag_lists if cur else {}).items()},
                "title": fields.get("title"), "origin": "xmp" if fields else None})
    if records:
        with transaction(db) as conn:
            for fid, fields in updates:
                xmpstate.set_frame_curation(conn, fid, fields)
            now = {r["id"]: r for r in xmpstate.frames_for_sidecars(conn, [r["frame_id"] for r in records])}
            for rec in records:  # what both sides hold now, for `xmp read` later
                rec["synced"] = {**_synced(_meta(lib, now[rec["frame_id"]])), "lists": rec.pop("lists")}
            xmpstate.record_sidecars(conn, records, _now())
    for p in remove:
        with contextlib.suppress(OSError):
            p.unlink()


def _now() -> str:
    from filmflow.catalog.rolls import now

    return now()
