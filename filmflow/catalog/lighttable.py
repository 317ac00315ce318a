"""Catalog reads and writes the light table (`filmflow serve`) needs beyond the CLI's.

Selecting frames by id (the page names frames by id), the first thumbnails of each roll
for the rolls page, a cheap change marker the page polls for live updates, where a
frame's files are (its preferred version's, or a version named by SHA-256), and a frame's
own caption. Every curation change still goes through
`catalog.curation` / `catalog.projects`, the functions the CLI calls.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any

from filmflow.catalog.db import Catalog, transaction
from filmflow.catalog.versions import preferred_n
from filmflow.errors import InputError, NotFoundError
from filmflow.catalog.querysql import Compiled

log = logging.getLogger(__name__)

MAX_CAPTION = 2000


def select_frame_ids(ids: list[int]) -> Compiled:
    """A compiled query matching exactly these frame ids (for curation.rate_frames & co)."""
    clean = sorted({int(i) for i in ids})
    return Compiled("f.id IN (SELECT value FROM json_each(?))", (json.dumps(clean),),
                    (f"{len(clean)} selected frame{'s' * (len(clean) != 1)}",))


@dataclass(frozen=True, slots=True)
class StripFrame:
    """One thumbnail of a roll's strip on the rolls page."""

    id: int
    frame: str
    sha256: str
    rating: int
    pick: str

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the page."""
        return {"id": self.id, "frame": self.frame, "sha256": self.sha256, "rating": self.rating, "pick": self.pick}


def first_frames(db: Catalog, roll_ids: list[int], per_roll: int) -> dict[int, list[StripFrame]]:
    """Each roll's first `per_roll` frames in film order (one query for all rolls)."""
    if not roll_ids:
        return {}
    out: dict[int, list[StripFrame]] = {}
    rows = db.conn.execute(
        """SELECT roll_id, id, frame, sha256, rating, pick FROM (
             SELECT f.roll_id, f.id, f.frame, f.sha256, f.rating, f.pick,
                    row_number() OVER (PARTITION BY f.roll_id ORDER BY f.frame_num, f.frame, f.id) AS n
             FROM frames f WHERE f.roll_id IN (SELECT value FROM json_each(?)))
           WHERE n <= ? ORDER BY roll_id, n""", (json.dumps(roll_ids), int(per_roll)))
    for rid, fid, frame, sha, rating, pick in rows:
        out.setdefault(rid, []).append(StripFrame(fid, frame, sha, rating, pick))
    return out


def picks_per_roll(db: Catalog, roll_ids: list[int]) -> dict[int, int]:
    """How many picks each roll holds."""
    if not roll_ids:
        return {}
    rows = db.conn.execute("SELECT roll_id, count(*) FROM frames WHERE pick = 'yes' AND roll_id IN "
                           "(SELECT value FROM json_each(?)) GROUP BY roll_id", (json.dumps(roll_ids),))
    return {rid: n for rid, n in rows}


def change_marker(db: Catalog) -> str:
    """A short text that changes whenever another connection commits (the watcher, a CLI rating)
    or a roll or frame is added or removed (cheap: PRAGMA data_version and index reads)."""
    version = db.conn.execute("PRAGMA data_version").fetchone()[0]
    row = db.conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM rolls), (SELECT count(*) FROM rolls), "
                          "(SELECT coalesce(max(id), 0) FROM frames), "
                          "(SELECT coalesce(sum(n_frames), 0) FROM rolls)").fetchone()
    return "-".join(str(x) for x in (version, *row))


@dataclass(frozen=True, slots=True)
class FrameFiles:
    """Where one frame's files are (catalog paths, library-relative or absolute)."""

    id: int
    sha256: str
    path: str
    thumbnail: str | None
    format: str | None
    width: int | None
    height: int | None


def get_frame_files(db: Catalog, frame_id: int) -> FrameFiles:
    """The files of the frame with this id, or NotFoundError."""
    row = db.conn.execute("SELECT id, sha256, path, thumbnail, format, width, height FROM frames WHERE id = ?",
                          (int(frame_id),)).fetchone()
    if row is None:
        raise NotFoundError(f"no frame with id {frame_id}; reload the page.")
    return FrameFiles(*row)


def shown_files(db: Catalog, frame_id: int, sha256: str | None = None) -> FrameFiles:
    """The files of the frame's preferred version, or (with `sha256`) of its version with that
    SHA-256; NotFoundError for an unknown frame or a SHA-256 that is none of its versions."""
    orig = get_frame_files(db, frame_id)
    rows = db.conn.execute("SELECT n, kind, sha256, path, thumbnail, format, width, height FROM frame_versions "
                           "WHERE frame_id = ? ORDER BY n", (int(frame_id),)).fetchall()
    if sha256 is not None:
        if sha256 == orig.sha256:
            return orig
        for _n, _kind, sha, path, thumb, fmt, w, h in rows:
            if sha == sha256:
                return FrameFiles(orig.id, sha, path, thumb, fmt, w, h)
        raise NotFoundError(f"frame {frame_id} has no version with SHA-256 {sha256}; reload the page.")
    if not rows:
        return orig
    chosen = db.conn.execute("SELECT preferred FROM frames WHERE id = ?", (int(frame_id),)).fetchone()[0]
    extra = [{"n": n, "kind": kind, "width": w, "height": h} for n, kind, _s, _p, _t, _f, w, h in rows]
    want = preferred_n({"width": orig.width, "height": orig.height}, extra, chosen)
    for n, _kind, sha, path, thumb, fmt, w, h in rows:
        if n == want:
            return FrameFiles(orig.id, sha, path, thumb, fmt, w, h)
    return orig


def frame_id_for_sha(db: Catalog, sha256: str) -> int | None:
    """The id of the frame whose scan has this SHA-256, or None."""
    row = db.conn.execute("SELECT id FROM frames WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone()
    return None if row is None else int(row[0])


def set_frame_caption(db: Catalog, frame_id: int, text: str | None) -> str | None:
    """Set (or, with empty text, clear) a frame's own caption; returns what was stored."""
    caption = unicodedata.normalize("NFC", text or "").strip() or None
    if caption is not None:
        if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in caption):
            raise InputError("the caption holds a control character; remove it.")
        if len(caption) > MAX_CAPTION:
            raise InputError(f"the caption is longer than {MAX_CAPTION} characters; shorten it.")
    with transaction(db) as conn:
        cur = conn.execute("UPDATE frames SET caption = ? WHERE id = ?", (caption, int(frame_id)))
        if not cur.rowcount:
            raise NotFoundError(f"no frame with id {frame_id}; reload the page.")
    return caption


def rolls_by_code(db: Catalog, codes: list[str]) -> dict[str, int]:
    """Roll ids by code for these codes (those that exist)."""
    if not codes:
        return {}
    rows = db.conn.execute("SELECT code, id FROM rolls WHERE code IN (SELECT value FROM json_each(?))",
                           (json.dumps(sorted(set(codes))),))
    return {code: int(rid) for code, rid in rows}
