"""`xmp read`: take in what darktable, digiKam or Lightroom changed in sidecars since filmflow
last wrote them.

A sidecar whose mtime and SHA-256 are what filmflow recorded is skipped unread. For a
changed one, each curation field (rating, pick, tags, caption, title) is compared with
the value both sides held at the last sync: changed only in the sidecar -> taken in;
changed only in the catalog -> kept (and the sidecar re-asserted on the next write);
changed on both sides to different values -> the newer side wins (sidecar mtime against
the catalog's `changed_at`) and the field is listed in `conflicts`. `dry_run` reports
the changes without touching the catalog.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from filmflow.metadata import xmpio
from filmflow.catalog import xmpstate
from filmflow.catalog.db import transaction
from filmflow.library import Library
from filmflow.metadata.sidecars import XmpReport, _meta, _now, _synced, sidecar_path, write_sidecars
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


def _norm(fieldname: str, value: Any) -> Any:
    if fieldname == "tags":
        return sorted(value or [], key=str.casefold)
    if fieldname in ("caption", "title"):
        return value or None
    return value


def _side_values(cur: xmpio.XmpCuration, base: dict[str, Any]) -> dict[str, Any]:
    """The sidecar's curation; a pick it does not state stays, except un-rejecting (-1 -> stars)."""
    vals = cur.fields()
    if "pick" not in vals and base.get("pick") == "reject" and cur.rating is not None:
        vals["pick"] = "no"
    return vals


def _mtime_iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _decide(ref: str, catalog: dict[str, Any], side: dict[str, Any], base: dict[str, Any] | None,
            side_newer: bool, report: XmpReport) -> tuple[dict[str, Any], bool]:
    """(fields to take from the sidecar, whether the catalog won somewhere)."""
    take: dict[str, Any] = {}
    catalog_won = False
    for f, value in side.items():
        new, now = _norm(f, value), _norm(f, catalog.get(f))
        if new == now:
            continue
        if base is None:
            take[f] = value  # never synced: what another program wrote is news
            continue
        was = _norm(f, base.get(f))
        side_changed, cat_changed = new != was, now != was
        if side_changed and not cat_changed:
            take[f] = value
        elif side_changed and cat_changed:
            report.conflicts.append({"ref": ref, "field": f, "winner": "sidecar" if side_newer else "catalog"})
            if side_newer:
                take[f] = value
            else:
                catalog_won = True
        else:
            catalog_won = True
    return take, catalog_won


def _read_one(lib: Library, row: dict[str, Any], state: dict[str, Any] | None, report: XmpReport):  # noqa: ANN202
    """(fields to take, record, catalog won) for one frame; None when its sidecar has no news."""
    path = lib.resolve(state["path"]) if state and state.get("path") else sidecar_path(
        lib.resolve(row["path"]), lib.settings.xmp_sidecar_name)
    try:
        st = path.stat()
    except OSError:
        return None
    if state and state.get("mtime_ns") == st.st_mtime_ns:
        report.unchanged += 1
        return None
    try:
        xd, raw = xmpio.load_sidecar(path)
    except xmpio.XmpError as e:
        report.failed.append({"file": str(path), "error": str(e)})
        return None
    record = {"frame_id": row["id"], "path": lib.rel(path), "mtime_ns": st.st_mtime_ns,
              "sha256": hashlib.sha256(raw).hexdigest()}
    if state and state.get("sha256") == record["sha256"]:  # touched, not changed
        report.unchanged += 1
        return {}, {**record, "synced": state["synced"]}, False
    base = state["synced"] if state and state.get("synced") else None
    cur = xmpio.read_curation(xd, {k: tuple(v) for k, v in (base or {}).get("lists", {}).items()})
    m = _meta(lib, row)
    catalog = {"rating": m.rating, "pick": m.pick, "tags": list(m.tags), "caption": m.caption, "title": m.title}
    changed_at = (state or {}).get("changed_at") or (state or {}).get("synced_at") or ""
    take, catalog_won = _decide(m.ref, catalog, _side_values(cur, base or {}), base,
                                _mtime_iso(st.st_mtime_ns) >= changed_at, report)
    for f, v in take.items():
        report.changes.append({"ref": m.ref, "field": f, "old": catalog.get(f), "new": v})
    merged = {k: (tuple(v) if k == "tags" else v) for k, v in {**catalog, **take}.items()}
    record["synced"] = {**_synced(dataclasses.replace(m, **merged)),
                        "lists": {k: list(v) for k, v in cur.tag_lists.items()}}
    return take, record, catalog_won


def read_sidecars(lib: Library, ids: Sequence[int], *, dry_run: bool = False) -> XmpReport:
    """Take in sidecar changes for these frames (see the module docstring)."""
    report = XmpReport()
    db = open_catalog(lib)
    rewrite: list[int] = []
    try:
        states = xmpstate.sidecar_states(db.conn, ids)
        updates: list[tuple[int, dict[str, Any]]] = []
        records = []
        for row in xmpstate.frames_for_sidecars(db.conn, ids):
            got = _read_one(lib, row, states.get(row["id"]), report)
            if got is None:
                continue
            take, record, catalog_won = got
            records.append(record)
            if take:
                report.read += 1
                updates.append((row["id"], take))
            if catalog_won:
                rewrite.append(row["id"])
        if not dry_run and records:
            with transaction(db) as conn:
                for fid, take in updates:
                    xmpstate.set_frame_curation(conn, fid, take)
                xmpstate.record_sidecars(conn, records, _now())
    finally:
        db.conn.close()
    if rewrite and not dry_run:
        write_sidecars(lib, rewrite)  # the catalog's newer values go back out
    return report
