"""Reading frames, the one read model, and frame rows' writes (batched inserts, look-ups by hash).

Every listing, sheet, export, stats sheet and the light table read frames through two
functions: `read_frames` (a compiled query, a sort and a limit -> typed `Frame`s, streamed
in batches) and `frames_by_id`. Both build frames the fast way: one SELECT for the rows,
then one query per batch for tags, projects, film-log data (`catalog.logs.fill_capture`)
and versions (`catalog.versions.fill_versions`: `Frame.shown` is the preferred version).

Sheets and exports ask for `with_roll=True`: each Frame then carries a frozen `RollFacts`
(its roll's format, stock, EI, camera, dates, lab...; one query per batch, one object per
roll). `Frame.shown_file(version)` gives the path, thumbnail, hash and version number a
sheet or export shows ("preferred" or "original"). A project's frames with their positions
and captions are `catalog.projects.ProjectEntry` values (`get_project`, read by id here).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from filmflow.catalog.db import Catalog
from filmflow.catalog.logs import fill_capture
from filmflow.catalog.versions import fill_versions
from filmflow.catalog.models import Frame, RollFacts
from filmflow.errors import NotFoundError
from filmflow.catalog.querysql import Compiled, order_by
# frame_key is re-exported: ingest and projects spell frame names through it
from filmflow.query.refs import DEFAULT_CODE_TEMPLATE, code_candidates, frame_key, parse_frame_ref  # noqa: F401

FRAME_COLUMNS = (
    "roll_id", "frame", "frame_num", "path", "file", "source_path", "sha256", "bytes", "width",
    "height", "bits", "format", "mode", "scanner", "scanned", "thumbnail", "added_at", "orientation",
)

FRAMES_FROM = "FROM frames f JOIN rolls r ON r.id = f.roll_id"
BATCH = 500  # frames built per batch: tags, projects, film-log data, versions and roll facts in one query each

_COLUMNS = """f.id, r.code, f.frame, f.path, f.file, f.sha256, f.bytes, f.width, f.height, f.bits,
  f.format, f.rating, f.pick, f.caption, f.scanner, f.scanned, f.thumbnail, f.orientation, f.roll_id"""
_ROW_SQL = f"SELECT {_COLUMNS} {FRAMES_FROM} WHERE f.id IN (SELECT value FROM json_each(?))"
_TAGS_SQL = """SELECT ft.frame_id, t.name FROM frame_tags ft JOIN tags t ON t.id = ft.tag_id
WHERE ft.frame_id IN (SELECT value FROM json_each(?))"""
_PROJECTS_SQL = """SELECT pf.frame_id, p.name FROM project_frames pf JOIN projects p ON p.id = pf.project_id
WHERE pf.frame_id IN (SELECT value FROM json_each(?))"""
# RollFacts' fields in order
_ROLL_FACTS_SQL = """SELECT id, format, stock, stock_key, ei, push, camera, lens, title, developed, shot_from,
  scanned, process, lab, developer FROM rolls WHERE id IN (SELECT value FROM json_each(?))"""

# orders the catalog's own readers ask for by name (users sort by catalog.querysql.FRAME_SORTS)
ORDERS = {
    "shooting": "coalesce(r.shot_from, r.developed, r.scanned), r.code, f.frame_num, f.frame",
}


def read_frames(db: Catalog, compiled: Compiled, sort: str | None = None, limit: int | None = None,
                root: Path | None = None, *, with_roll: bool = False, order: str | None = None) -> Iterator[Frame]:
    """Stream the frames matching a compiled query in `sort` order (catalog.querysql.FRAME_SORTS; or one
    of ORDERS by name as `order`), at most `limit`, in batches of BATCH (memory stays flat).

    Paths are absolute under `root` (as stored when None); `with_roll` fills `roll_facts`.
    """
    where = f" WHERE {compiled.where}" if compiled.where else ""
    sql = f"SELECT {_COLUMNS} {FRAMES_FROM}{where} ORDER BY {ORDERS[order] if order else order_by(sort, 'frames')}"
    params = list(compiled.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    cur = db.conn.execute(sql, params)
    while rows := cur.fetchmany(BATCH):
        yield from _build(db.conn, rows, root, with_roll)


def select_roll(roll_id: int) -> Compiled:
    """A compiled query matching one roll's frames (read them in film order with sort "frame")."""
    return Compiled("f.roll_id = ?", (int(roll_id),), ("the roll's frames",))


def frames_by_id(db: Catalog, ids: Sequence[int], root: Path | None = None, *,
                 with_roll: bool = False) -> list[Frame]:
    """The frames with these ids, in the same order (unknown ids left out; set-based queries)."""
    if not ids:
        return []
    rows = db.conn.execute(_ROW_SQL, (json.dumps(list(ids)),)).fetchall()
    by_id = {f.id: f for f in _build(db.conn, rows, root, with_roll)}
    return [by_id[i] for i in ids if i in by_id]


def _build(conn: sqlite3.Connection, rows: list[tuple], root: Path | None, with_roll: bool) -> list[Frame]:
    """Frames from _COLUMNS rows; tags, projects, capture data and versions fetched for the whole batch.

    Built without per-row subqueries, pathlib or keyword arguments (a listing of 1,000
    frames is ~5x faster this way than one subquery per row).
    """
    arg = (json.dumps([r[0] for r in rows]),)
    tags: dict[int, list[str]] = {}
    for fid, name in conn.execute(_TAGS_SQL, arg):
        tags.setdefault(fid, []).append(name)
    projects: dict[int, list[str]] = {}
    for fid, name in conn.execute(_PROJECTS_SQL, arg):
        projects.setdefault(fid, []).append(name)
    facts = _roll_facts(conn, {r[18] for r in rows}) if with_roll else {}
    prefix = "" if root is None else str(root).rstrip("/") + "/"
    empty: tuple[str, ...] = ()
    out = []
    for (fid, code, frame, path, file, sha, size, w, h, bits, fmt, rating, pick, caption, scanner,
         scanned, thumb, orientation, roll_id) in rows:
        t, p = tags.get(fid), projects.get(fid)
        f = Frame(  # positional, in Frame's field order
            fid, f"{code}/{frame}", code, frame, path if not prefix or path[:1] == "/" else prefix + path, file,
            sha, size, w, h, bits, fmt, rating, pick, caption, tuple(sorted(t)) if t else empty,
            tuple(sorted(p)) if p else empty, scanner, scanned,
            thumb if thumb is None or not prefix or thumb[:1] == "/" else prefix + thumb)
        f.orientation = orientation
        if with_roll:
            f.roll_facts = facts.get(roll_id)
        out.append(f)
    fill_capture(conn, out)
    fill_versions(conn, out, prefix)
    return out


def _roll_facts(conn: sqlite3.Connection, roll_ids: set[int]) -> dict[int, RollFacts]:
    return {rid: RollFacts(*facts) for rid, *facts in conn.execute(_ROLL_FACTS_SQL, (json.dumps(list(roll_ids)),))}


def parse_ref(ref: str) -> tuple[str, str]:
    """'R042/12' → ('R042', '12'), 'R001/6-2' → ('R001', '6-2'); QueryError otherwise (query/refs.py's grammar)."""
    parsed = parse_frame_ref(ref, ranges=False)
    assert parsed.frame is not None
    return parsed.roll, parsed.frame


def get_frame(db: Catalog, ref: str, root: Path | None = None, template: str = DEFAULT_CODE_TEMPLATE) -> Frame:
    """The frame at ROLL/FRAME (`R1/3` is `R001/3` under the code template), or NotFoundError."""
    roll, frame = parse_ref(ref)
    for code in code_candidates(roll, template):
        at = Compiled("r.code = ? COLLATE NOCASE AND f.frame = ? COLLATE NOCASE", (code, frame))
        for f in read_frames(db, at, limit=1, root=root):
            return f
    raise NotFoundError(f"no frame {ref}; `filmflow frames roll:{roll}` lists that roll's frames.")


def lookup_frames(conn: sqlite3.Connection, column: str, values: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Frames whose `column` (sha256 or source_path, both indexed) is one of `values`, 500 at a time."""
    if column not in ("sha256", "source_path"):
        raise ValueError(column)
    values = list(values)
    for i in range(0, len(values), 500):
        chunk = values[i:i + 500]
        marks = ','.join('?' * len(chunk))
        cur = conn.execute(  # a frame's other versions (re-scans, edits) count as catalogued too
            f"SELECT f.{column}, f.sha256, r.code || '/' || f.frame, f.frame, f.path, f.source_path, f.bytes, "
            f"f.roll_id FROM frames f JOIN rolls r ON r.id = f.roll_id WHERE f.{column} IN ({marks}) "
            f"UNION ALL SELECT v.{column}, v.sha256, r.code || '/' || f.frame || ' version ' || v.n, f.frame, "
            f"v.path, v.source_path, v.bytes, f.roll_id FROM frame_versions v JOIN frames f ON f.id = v.frame_id "
            f"JOIN rolls r ON r.id = f.roll_id WHERE v.{column} IN ({marks})", chunk + chunk)
        for key, sha, ref, frame, path, src, size, roll_id in cur:
            yield {"key": key, "sha256": sha, "ref": ref, "frame": frame, "path": path, "source_path": src,
                   "bytes": size, "roll_id": roll_id}


def known_hashes(conn: sqlite3.Connection, shas: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each given SHA-256 already catalogued: its ref, path and source_path."""
    return {r["key"]: r for r in lookup_frames(conn, "sha256", shas)}


def insert_frames(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert frame rows in one executemany (the caller holds the transaction)."""
    if not rows:
        return
    conn.executemany(
        f"INSERT INTO frames ({', '.join(FRAME_COLUMNS)}) VALUES ({', '.join('?' * len(FRAME_COLUMNS))})",
        [[r.get(c) for c in FRAME_COLUMNS] for r in rows],
    )


def frames_in_roll(conn: sqlite3.Connection, roll_id: int) -> dict[str, dict[str, Any]]:
    """frame number → {id, path, sha256} for one roll."""
    return {
        fr: {"id": i, "path": p, "sha256": s}
        for i, fr, p, s in conn.execute("SELECT id, frame, path, sha256 FROM frames WHERE roll_id = ?", (roll_id,))
    }


def frame_ref_of(conn: sqlite3.Connection, frame_id: int) -> str:
    """"CODE/FRAME" of the frame with this id (the frame must exist)."""
    return conn.execute("SELECT r.code || '/' || f.frame FROM frames f JOIN rolls r ON r.id = f.roll_id "
                        "WHERE f.id = ?", (frame_id,)).fetchone()[0]


def frame_ids_in_roll(conn: sqlite3.Connection, roll_id: int) -> dict[str, int]:
    """frame label → frame id for one roll."""
    return {label: fid for fid, label in conn.execute("SELECT id, frame FROM frames WHERE roll_id = ?", (roll_id,))}


def frame_thumbs_in_roll(conn: sqlite3.Connection, roll_id: int) -> dict[str, tuple[int, str | None]]:
    """frame label → (frame id, stored thumbnail path) for one roll."""
    return {label: (fid, thumb) for fid, label, thumb in
            conn.execute("SELECT id, frame, thumbnail FROM frames WHERE roll_id = ?", (roll_id,))}
