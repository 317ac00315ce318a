"""XMP sidecars beside archived scans: write them (`xmp write`, `[xmp] sidecars = "auto"`) and
take in what darktable, digiKam or Lightroom changed in them (`xmp read`).

The scan file is never opened for writing. A sidecar is `<scan file name>.xmp`
(`sidecar_name = "replace"`: `<stem>.xmp`); an existing one is merged, so every property
filmflow does not manage survives (xmpio). Each write is atomic (temp file, fsync,
rename; the folders are fsynced once per batch) and is remembered in the catalog
(mtime, SHA-256, the curation written) so `xmp read` knows what another program changed
since: a field changed only in the sidecar is taken in; one changed on both sides goes
to the newer side and is listed in `conflicts`.

Any face (CLI, light table) calls `sync_sidecars(lib, frame_ids)` after a curation
change, or wraps the change in `kept_in_step(lib, db, compiled)`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filmflow import fsutil, metadata
from filmflow.metadata import xmpio
from filmflow.catalog import xmpstate
from filmflow.catalog.db import transaction
from filmflow.library import Library
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)

CURATION_FIELDS = ("rating", "pick", "tags", "caption", "title")
_PADDING_RE = re.compile(rb"\s+(<\?xpacket end=)")


@dataclass
class XmpReport:
    """What `xmp write` / `xmp read` did (SPEC JSON: written/read, conflicts, failed)."""

    written: int = 0
    read: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # {ref, field, old, new}

    def to_json(self, verb: str) -> dict[str, Any]:
        """SPEC's shape: `written` or `read`, then conflicts, failed (and the changes made)."""
        d: dict[str, Any] = {verb: getattr(self, verb), "unchanged": self.unchanged}
        d.update(conflicts=self.conflicts, failed=self.failed, changes=self.changes)
        return d


def sidecar_path(scan: Path, naming: str = "append") -> Path:
    """'R042_0012.jpg' -> 'R042_0012.jpg.xmp' (append) or 'R042_0012.xmp' (replace)."""
    scan = Path(scan)
    return scan.with_name(scan.name + ".xmp") if naming == "append" else scan.with_suffix(".xmp")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _meta(lib: Library, row: dict[str, Any]) -> metadata.FrameMeta:
    stock = lib.stocks.find(row["stock_key"]) if row.get("stock_key") else None
    return metadata.FrameMeta(
        ref=f"{row['code']}/{row['frame']}", roll=row["code"], frame=row["frame"], rating=row["rating"],
        pick=row["pick"], tags=row["tags"], caption=row["caption"], title=row.get("title"), stock=row["stock"],
        stock_key=row["stock_key"], film_maker=stock.manufacturer if stock else None, format=row["format"],
        process=row["process"], developer=row["developer"], lab=row["lab"],
        scanner=row["roll_scanner"] or row["scanner"], ei=row["ei"], push=row["push"], camera=row["camera"],
        lens=row["lens"], shot=row["shot_from"], scanned=row["scanned"])


def _synced(m: metadata.FrameMeta) -> dict[str, Any]:
    """The curation a sidecar holds after our write (compared on the next `xmp read`)."""
    forms = [metadata.tag_forms(t) for t in m.tags]
    return {
        "rating": m.rating, "pick": m.pick, "tags": list(m.tags), "caption": m.caption or None,
        "title": m.title or None,
        "lists": {"TagsList": [f[1] for f in forms], "hierarchicalSubject": [f[1] for f in forms],
                  "subject": list(dict.fromkeys(f[0] for f in forms))},
    }


def _write_batch(files: list[tuple[Path, bytes]]) -> list[tuple[int, str] | OSError]:
    """Atomically replace each file; (mtime_ns, sha256) or the OSError, in order.

    Temp files first, one os.sync() for all of them, then the renames, then one fsync per
    folder: every sidecar is the old one or the whole new one after a crash, at one flush
    per batch instead of one per file (3.5 ms each here). Leftover temps are ours
    (fsutil.clean_temp_files).
    """
    temps: list[tuple[Path, Path, bytes] | OSError] = []
    for path, data in files:
        tmp = fsutil.temp_path_for(path)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            temps.append((tmp, path, data))
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            temps.append(e)
    if any(not isinstance(t, OSError) for t in temps):
        os.sync()
    out: list[tuple[int, str] | OSError] = []
    for t in temps:
        if isinstance(t, OSError):
            out.append(t)
            continue
        tmp, path, data = t
        try:
            os.replace(tmp, path)
            out.append((os.stat(path).st_mtime_ns, hashlib.sha256(data).hexdigest()))
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            out.append(e)
    for d in {path.parent for path, _ in files}:
        with contextlib.suppress(OSError):
            fsutil.fsync_dir(d)
    return out


def _packet(m: metadata.FrameMeta, existing: Path) -> tuple[bytes, bytes | None]:
    """(the merged packet, the sidecar's current bytes or None when there is none)."""
    base = raw = None
    try:
        base, raw = xmpio.load_sidecar(existing)
    except xmpio.XmpError:
        if existing.exists():
            raise
    return _PADDING_RE.sub(rb"\n\1", xmpio.encode(metadata.xmp_values(m), base)), raw


def write_sidecars(lib: Library, ids: Sequence[int], *, dry_run: bool = False) -> XmpReport:
    """Write (merge) the sidecar of each frame; a sidecar that cannot be parsed is left as it is."""
    report = XmpReport()
    db = open_catalog(lib)
    try:
        rows = xmpstate.frames_for_sidecars(db.conn, ids)
        states = xmpstate.sidecar_states(db.conn, ids)
        records, pending = [], []
        for row in rows:
            prev = states.get(row["id"], {})
            target = lib.resolve(prev["path"]) if prev.get("path") else sidecar_path(
                lib.resolve(row["path"]), lib.settings.xmp_sidecar_name)
            m = _meta(lib, row)
            try:
                data, raw = _packet(m, target)
                same = raw == data
            except xmpio.XmpError as e:
                report.failed.append({"file": str(target), "error": str(e)})
                continue
            except OSError as e:
                report.failed.append({"file": str(target), "error": _os_error(target, e)})
                continue
            rec = {"frame_id": row["id"], "path": lib.rel(target), "synced": _synced(m)}
            sha = hashlib.sha256(data).hexdigest()
            if same:
                report.unchanged += 1
                if prev.get("sha256") != sha or prev.get("mtime_ns") != target.stat().st_mtime_ns:
                    records.append({**rec, "mtime_ns": target.stat().st_mtime_ns, "sha256": sha})
            else:
                pending.append((target, data, rec))
        if dry_run:
            report.written = len(pending)
            return report
        for (target, _data, rec), res in zip(pending, _write_batch([(t, d) for t, d, _ in pending])):
            if isinstance(res, OSError):
                report.failed.append({"file": str(target), "error": _os_error(target, res)})
                continue
            report.written += 1
            records.append({**rec, "mtime_ns": res[0], "sha256": res[1]})
        if records:
            with transaction(db) as conn:
                xmpstate.record_sidecars(conn, records, _now())
    finally:
        db.conn.close()
    return report


def _os_error(path: Path, e: OSError) -> str:
    return f"{path}: cannot be written ({e.strerror or e}); check permissions and free space."


def sync_sidecars(lib: Library, ids: Sequence[int]) -> XmpReport | None:
    """After a curation change: rewrite these frames' sidecars when `[xmp] sidecars = "auto"`."""
    if lib.settings.xmp_sidecars != "auto" or not ids:
        return None
    from filmflow.metadata.sidecarread import read_sidecars

    # what another program changed since our last write comes in first (the change just
    # made is newer, so it wins its field), then nothing of theirs is overwritten
    taken = read_sidecars(lib, ids)
    report = write_sidecars(lib, ids)
    report.failed = taken.failed + [f for f in report.failed if f not in taken.failed]
    for f in report.failed:
        log.warning("%s", f["error"])
    return report


@contextlib.contextmanager
def kept_in_step(lib: Library, db, compiled) -> Iterator[None]:  # noqa: ANN001 - Catalog, Compiled
    """Around a query-driven curation change: the matched frames' sidecars follow (auto mode)."""
    if lib.settings.xmp_sidecars != "auto":
        yield
        return
    from filmflow.catalog.curation import frame_ids

    ids = list(frame_ids(db, compiled))  # before the change: it may un-match them
    yield
    sync_sidecars(lib, ids)


def sync_roll(lib: Library, code: str) -> XmpReport | None:
    """After a roll edit: every frame of the roll carries the new film data."""
    if lib.settings.xmp_sidecars != "auto":
        return None
    db = open_catalog(lib)
    try:
        ids = xmpstate.frame_ids_of_roll_code(db.conn, code)
    finally:
        db.conn.close()
    return sync_sidecars(lib, ids)


def sync_refs(lib: Library, refs: Sequence[str]) -> XmpReport | None:
    """After a change named by frame refs (`project caption NAME R042/12 ...`)."""
    if lib.settings.xmp_sidecars != "auto":
        return None
    db = open_catalog(lib)
    try:
        ids = xmpstate.frame_ids_by_refs(db.conn, [tuple(r.split("/", 1)) for r in refs if "/" in r])
    finally:
        db.conn.close()
    return sync_sidecars(lib, ids)
