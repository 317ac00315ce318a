"""The catalog side of XMP sidecars (table xmp_sidecars, migration m007): what filmflow last
wrote or read in each frame's sidecar, and the frame/roll facts a sidecar is built from.

Every statement is set-based over a batch of frame ids (json_each), so keeping 1,000
sidecars in step costs a few queries, not thousands.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from filmflow.catalog.rolls import ensure_tag

_META_SQL = """SELECT f.id, r.code, f.frame, f.path, f.file, f.rating, f.pick, f.caption, f.scanner, f.scanned,
  r.stock, r.stock_key, r.format, r.process, r.developer, r.lab, r.ei, r.push, r.camera, r.lens,
  r.shot_from, r.scanner AS roll_scanner, x.title
FROM frames f JOIN rolls r ON r.id = f.roll_id LEFT JOIN xmp_sidecars x ON x.frame_id = f.id
WHERE f.id IN (SELECT value FROM json_each(?))"""
_TAGS_SQL = """SELECT ft.frame_id, t.name FROM frame_tags ft JOIN tags t ON t.id = ft.tag_id
WHERE ft.frame_id IN (SELECT value FROM json_each(?)) ORDER BY t.name"""
_PROJECT_CAPTION_SQL = """SELECT pf.frame_id, pf.caption FROM project_frames pf
WHERE pf.caption IS NOT NULL AND pf.caption <> '' AND pf.frame_id IN (SELECT value FROM json_each(?))
ORDER BY pf.project_id DESC"""
_STATE_SQL = """SELECT frame_id, path, mtime_ns, sha256, synced, title, origin, synced_at, changed_at
FROM xmp_sidecars WHERE frame_id IN (SELECT value FROM json_each(?))"""


def frames_for_sidecars(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Frame + roll facts for each id (tags; caption else a project caption), in id order."""
    arg = (json.dumps(list(ids)),)
    cur = conn.execute(_META_SQL, arg)
    cols = [c[0] for c in cur.description]
    rows = {r[0]: dict(zip(cols, r)) for r in cur}
    tags: dict[int, list[str]] = {}
    for fid, name in conn.execute(_TAGS_SQL, arg):
        tags.setdefault(fid, []).append(name)
    captions: dict[int, str] = {}
    for fid, cap in conn.execute(_PROJECT_CAPTION_SQL, arg):
        captions[fid] = cap
    out = []
    for fid in ids:
        row = rows.get(fid)
        if row is None:
            continue
        row["tags"] = tuple(tags.get(fid, ()))
        row["caption"] = row["caption"] or captions.get(fid)
        out.append(row)
    return out


def sidecar_states(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What filmflow last recorded for each frame's sidecar (frames without a record are absent)."""
    cur = conn.execute(_STATE_SQL, (json.dumps(list(ids)),))
    cols = [c[0] for c in cur.description]
    out = {}
    for r in cur:
        d = dict(zip(cols, r))
        d["synced"] = json.loads(d["synced"]) if d["synced"] else {}
        out[d["frame_id"]] = d
    return out


def record_sidecars(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]], at: str) -> None:
    """Remember sidecars as filmflow left them: frame_id, path, mtime_ns, sha256, synced (+ title, origin)."""
    conn.executemany(
        """INSERT INTO xmp_sidecars (frame_id, path, mtime_ns, sha256, synced, title, origin, synced_at, changed_at)
           VALUES (:frame_id, :path, :mtime_ns, :sha256, :synced, :title, :origin, :at, NULL)
           ON CONFLICT (frame_id) DO UPDATE SET path = excluded.path, mtime_ns = excluded.mtime_ns,
             sha256 = excluded.sha256, synced = excluded.synced,
             title = coalesce(excluded.title, xmp_sidecars.title),
             origin = coalesce(excluded.origin, xmp_sidecars.origin), synced_at = excluded.synced_at,
             changed_at = NULL""",
        [{"title": None, "origin": None, **r, "synced": json.dumps(r["synced"], ensure_ascii=False), "at": at}
         for r in rows])


def set_frame_curation(conn: sqlite3.Connection, frame_id: int, fields: dict[str, Any]) -> None:
    """Apply curation read from XMP: rating, pick, caption, title, tags (the frame's own tag set)."""
    if "rating" in fields:
        conn.execute("UPDATE frames SET rating = ? WHERE id = ?", (int(fields["rating"]), frame_id))
    if "pick" in fields:
        conn.execute("UPDATE frames SET pick = ? WHERE id = ?", (fields["pick"], frame_id))
    if "caption" in fields:
        conn.execute("UPDATE frames SET caption = ? WHERE id = ?", (fields["caption"] or None, frame_id))
    if "title" in fields:
        conn.execute("INSERT INTO xmp_sidecars (frame_id, title) VALUES (?, ?) "
                     "ON CONFLICT (frame_id) DO UPDATE SET title = excluded.title", (frame_id, fields["title"]))
    if "tags" in fields:
        want = {ensure_tag(conn, t) for t in fields["tags"]}
        have = {tid for (tid,) in conn.execute("SELECT tag_id FROM frame_tags WHERE frame_id = ?", (frame_id,))}
        conn.executemany("DELETE FROM frame_tags WHERE frame_id = ? AND tag_id = ?",
                         [(frame_id, t) for t in have - want])
        conn.executemany("INSERT OR IGNORE INTO frame_tags (frame_id, tag_id) VALUES (?, ?)",
                         [(frame_id, t) for t in want - have])


def move_sidecar_path(conn: sqlite3.Connection, frame_id: int, path: str) -> None:
    """A sidecar re-filed with its scan (roll edit)."""
    conn.execute("UPDATE xmp_sidecars SET path = ? WHERE frame_id = ?", (path, frame_id))


def sidecar_paths(conn: sqlite3.Connection) -> set[str]:
    """Every sidecar path the catalog records (library-relative or absolute, as stored)."""
    return {p for (p,) in conn.execute("SELECT path FROM xmp_sidecars WHERE path IS NOT NULL")}


def frame_ids_of_roll_code(conn: sqlite3.Connection, code: str) -> list[int]:
    """The ids of a roll's frames (a roll edit changes every frame's film data); [] for no such roll."""
    return [fid for (fid,) in conn.execute(
        "SELECT f.id FROM frames f JOIN rolls r ON r.id = f.roll_id WHERE r.code = ? ORDER BY f.id", (code,))]


def frame_ids_by_refs(conn: sqlite3.Connection, refs: Iterable[tuple[str, str]]) -> list[int]:
    """Ids of (roll code, frame) pairs that exist."""
    out = []
    for code, frame in refs:
        row = conn.execute("SELECT f.id FROM frames f JOIN rolls r ON r.id = f.roll_id "
                           "WHERE r.code = ? AND f.frame = ?", (code, frame)).fetchone()
        if row:
            out.append(int(row[0]))
    return out


def frame_ids_with_sha(conn: sqlite3.Connection, shas: Iterable[str]) -> dict[str, int]:
    """sha256 -> frame id for catalogued scans."""
    shas = list(shas)
    return {sha: fid for fid, sha in conn.execute(
        "SELECT id, sha256 FROM frames WHERE sha256 IN (SELECT value FROM json_each(?))", (json.dumps(shas),))}


def sidecar_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """For `status`: sidecars recorded, and archived ones filmflow could not read (malformed)."""
    n = conn.execute("SELECT count(*) FROM xmp_sidecars WHERE path IS NOT NULL").fetchone()[0]
    bad = [p for (p,) in conn.execute(
        "SELECT path FROM xmp_sidecars WHERE path IS NOT NULL AND sha256 IS NULL ORDER BY path LIMIT 20")]
    return {"sidecars": int(n), "unreadable": bad}
