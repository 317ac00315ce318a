"""Reads and writes of frames: batched inserts, lookup by ref or hash, streaming listings."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any


from filmflow.catalog.db import Catalog
from filmflow.catalog.logs import fill_capture
from filmflow.catalog.versions import fill_versions
from filmflow.catalog.models import Frame
from filmflow.errors import NotFoundError
# frame_key is re-exported: ingest and projects spell frame names through it
from filmflow.query.refs import DEFAULT_CODE_TEMPLATE, code_candidates, frame_key, parse_frame_ref  # noqa: F401

FRAME_SELECT = """
SELECT f.*, r.code AS roll_code,
  (SELECT json_group_array(t.name) FROM frame_tags ft JOIN tags t ON t.id = ft.tag_id
    WHERE ft.frame_id = f.id) AS tag_list,
  (SELECT json_group_array(p.name) FROM project_frames pf JOIN projects p ON p.id = pf.project_id
    WHERE pf.frame_id = f.id) AS project_list
FROM frames f JOIN rolls r ON r.id = f.roll_id
"""

FRAME_COLUMNS = (
    "roll_id", "frame", "frame_num", "path", "file", "source_path", "sha256", "bytes", "width",
    "height", "bits", "format", "mode", "scanner", "scanned", "thumbnail", "added_at", "orientation",
)


def frame_from_row(row: dict[str, Any], root: Path | None = None) -> Frame:
    """Build a Frame from a FRAME_SELECT row (paths absolute under `root`)."""
    def absolute(p: str | None) -> str | None:
        if p is None or root is None:
            return p
        return str(Path(p) if Path(p).is_absolute() else root / p)

    return Frame(
        id=row["id"], ref=f"{row['roll_code']}/{row['frame']}", roll=row["roll_code"], frame=row["frame"],
        path=absolute(row["path"]) or "", file=row["file"], sha256=row["sha256"], bytes=row["bytes"],
        width=row["width"], height=row["height"], bits=row["bits"], format=row["format"],
        rating=row["rating"], pick=row["pick"], caption=row["caption"],
        tags=tuple(sorted(json.loads(row.get("tag_list") or "[]"))),
        projects=tuple(sorted(json.loads(row.get("project_list") or "[]"))),
        scanner=row["scanner"], scanned=row["scanned"], thumbnail=absolute(row["thumbnail"]),
        orientation=row.get("orientation"),
    )


def iter_frames(db: Catalog, where: str = "", params: Sequence[Any] = (),
                order: str = "r.code, f.frame_num, f.frame", limit: int | None = None,
                root: Path | None = None) -> Iterator[Frame]:
    """Stream frames matching a WHERE clause (parameterised), in `order`."""
    sql = FRAME_SELECT + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cur = db.conn.execute(sql, params)
    cols = [c[0] for c in cur.description]
    while rows := cur.fetchmany(500):
        batch = [frame_from_row(dict(zip(cols, r)), root) for r in rows]
        fill_capture(db.conn, batch)
        fill_versions(db.conn, batch, str(root) if root else "")
        yield from batch


def parse_ref(ref: str) -> tuple[str, str]:
    """'R042/12' → ('R042', '12'), 'R001/6-2' → ('R001', '6-2'); QueryError otherwise (query/refs.py's grammar)."""
    parsed = parse_frame_ref(ref, ranges=False)
    assert parsed.frame is not None
    return parsed.roll, parsed.frame


def get_frame(db: Catalog, ref: str, root: Path | None = None, template: str = DEFAULT_CODE_TEMPLATE) -> Frame:
    """The frame at ROLL/FRAME (`R1/3` is `R001/3` under the code template), or NotFoundError."""
    roll, frame = parse_ref(ref)
    for code in code_candidates(roll, template):
        for f in iter_frames(db, "r.code = ? COLLATE NOCASE AND f.frame = ? COLLATE NOCASE", (code, frame),
                             root=root):
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
