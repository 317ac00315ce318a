"""Query-driven reads and writes over many frames: counts, ids and paths of frames, roll
listings, and curation (rate, pick/reject/unflag, tag add/remove). Frames themselves are
read by `catalog.frames.read_frames` / `frames_by_id`.

Every function takes a `Compiled` query (see `filmflow.query`) and runs set-based SQL: one
statement per operation, never a Python loop over the matched frames. Writes happen in one
transaction and report how many frames matched and how many actually changed.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


from filmflow.catalog.db import Catalog, transaction
from filmflow.catalog.frames import BATCH, FRAMES_FROM, read_frames
from filmflow.catalog.models import Pick, Roll
from filmflow.catalog.rolls import ensure_tag
from filmflow.errors import InputError
from filmflow.catalog.querysql import Compiled, order_by

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """What a curation command did: frames the query matched, frames whose value changed."""

    matched: int
    changed: int
    note: str | None = None


def _where(compiled: Compiled) -> str:
    return f" WHERE {compiled.where}" if compiled.where else ""


def _ids(compiled: Compiled) -> str:
    return f"SELECT f.id {FRAMES_FROM}{_where(compiled)}"


# --- listings ------------------------------------------------------------------------------------

def count_frames(db: Catalog, compiled: Compiled) -> int:
    """How many frames match."""
    return int(db.conn.execute(f"SELECT count(*) {FRAMES_FROM}{_where(compiled)}", compiled.params).fetchone()[0])


# Frames are read by catalog.frames.read_frames; `list_frames` is its old name here (tests call it).
list_frames = read_frames


def frame_ids(db: Catalog, compiled: Compiled, sort: str | None = None,
              limit: int | None = None) -> Iterator[int]:
    """Stream the ids of matching frames in `sort` order (see catalog.querysql.FRAME_SORTS)."""
    sql = f"SELECT f.id {FRAMES_FROM}{_where(compiled)} ORDER BY {order_by(sort, 'frames')}"
    params = list(compiled.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    for (fid,) in db.conn.execute(sql, params):
        yield fid


def frame_paths(db: Catalog, compiled: Compiled, sort: str | None = None,
                limit: int | None = None, root: Path | None = None) -> Iterator[str]:
    """Stream the file path of each matching frame (absolute under `root`)."""
    sql = f"SELECT f.path {FRAMES_FROM}{_where(compiled)} ORDER BY {order_by(sort, 'frames')}"
    params = list(compiled.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    prefix = None if root is None else str(root).rstrip("/") + "/"
    for (path,) in db.conn.execute(sql, params):
        yield path if prefix is None or path.startswith("/") else prefix + path


# Roll's fields in order, with n_frames where Roll has `frames` (tags are added between)
_ROLLS_SQL = """SELECT id, code, title, stock, stock_key, stock_iso, ei, push, process, format, camera, lens,
  developed, shot_from, shot_to, scanned, lab, developer, scanner, notes, n_frames, source, path, mode, year,
  sources, source_key FROM rolls WHERE id IN (SELECT value FROM json_each(?))"""


def rolls_by_id(db: Catalog, ids: list[int], root: Path | None = None) -> list[Roll]:
    """Full Roll objects for these ids, in the same order (set-based, like frames_by_id)."""
    if not ids:
        return []
    conn = db.conn
    arg = (json.dumps(ids),)
    tags: dict[int, list[str]] = {}
    for rid, name in conn.execute("SELECT rt.roll_id, t.name FROM roll_tags rt JOIN tags t ON t.id = rt.tag_id "
                                  "WHERE rt.roll_id IN (SELECT value FROM json_each(?))", arg):
        tags.setdefault(rid, []).append(name)
    prefix = "" if root is None else str(root).rstrip("/") + "/"
    by_id: dict[int, Roll] = {}
    for (rid, *head, notes, n, source, path, mode, year, sources, skey) in conn.execute(_ROLLS_SQL, arg):
        if path is not None and prefix and path[:1] != "/":
            path = prefix + path
        t = tags.get(rid)
        by_id[rid] = Roll(rid, *head, notes, tuple(sorted(t)) if t else (), n, source, path, mode, year,
                          json.loads(sources) if sources and sources != "{}" else {}, skey)
    return [by_id[i] for i in ids if i in by_id]


def list_rolls(db: Catalog, compiled: Compiled, sort: str | None = None,
               limit: int | None = None, root: Path | None = None) -> Iterator[Roll]:
    """Stream matching rolls in `sort` order (see catalog.querysql.ROLL_SORTS), in batches."""
    order = order_by(sort, "rolls")
    order = order.replace("n_frames", "r.n_frames")
    sql = f"SELECT r.id FROM rolls r{_where(compiled)} ORDER BY {order}"
    params = list(compiled.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    ids = [rid for (rid,) in db.conn.execute(sql, params)]  # rolls are few (thousands)
    for i in range(0, len(ids), BATCH):
        yield from rolls_by_id(db, ids[i:i + BATCH], root)


def roll_paths(db: Catalog, compiled: Compiled, sort: str | None = None,
               limit: int | None = None, root: Path | None = None) -> Iterator[str]:
    """Stream the folder of each matching roll (absolute under `root`); rolls without one are skipped."""
    for roll in list_rolls(db, compiled, sort, limit, root):
        if roll.path:
            yield roll.path


# --- curation writes -----------------------------------------------------------------------------

def _matched(conn, compiled: Compiled) -> int:  # noqa: ANN001 - sqlite3.Connection
    return int(conn.execute(f"SELECT count(*) {FRAMES_FROM}{_where(compiled)}", compiled.params).fetchone()[0])


def rate_frames(db: Catalog, compiled: Compiled, stars: int) -> Change:
    """Set the rating (0-5) of every matching frame."""
    if not isinstance(stars, int) or not 0 <= stars <= 5:
        raise InputError(f"rating {stars!r} is out of range; give 0 to 5 stars.")
    with transaction(db) as conn:
        matched = _matched(conn, compiled)
        cur = conn.execute(f"UPDATE frames SET rating = ? WHERE rating <> ? AND id IN ({_ids(compiled)})",
                           (stars, stars, *compiled.params))
    return Change(matched, cur.rowcount)


def pick_frames(db: Catalog, compiled: Compiled, state: Pick | str) -> Change:
    """Set the pick state (yes / no / reject) of every matching frame."""
    try:
        value = Pick(state).value
    except ValueError:
        raise InputError(f"pick state {state!r} is not one of yes, no, reject.") from None
    with transaction(db) as conn:
        matched = _matched(conn, compiled)
        cur = conn.execute(f"UPDATE frames SET pick = ? WHERE pick <> ? AND id IN ({_ids(compiled)})",
                           (value, value, *compiled.params))
    return Change(matched, cur.rowcount)


def parse_tag_name(text: str) -> str:
    """A tag as stored: NFC, trimmed; InputError when empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", text).strip()
    if not name:
        raise InputError("a tag name cannot be empty; give one such as print.")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InputError(f"tag {text!r} holds a control character; remove it.")
    if len(name) > 100:
        raise InputError(f"tag {name[:20]!r}... is longer than 100 characters; shorten it.")
    return name


def _tag_id(conn, name: str) -> int | None:  # noqa: ANN001
    want = name.casefold()
    for tid, tname in conn.execute("SELECT id, name FROM tags"):
        if unicodedata.normalize("NFC", tname).casefold() == want:
            return int(tid)
    return None


def tag_frames(db: Catalog, compiled: Compiled, tag: str) -> Change:
    """Add a tag to every matching frame (frames that have it already are left alone)."""
    name = parse_tag_name(tag)
    with transaction(db) as conn:
        matched = _matched(conn, compiled)
        tid = _tag_id(conn, name)
        if tid is None:
            if not matched:
                return Change(0, 0)
            tid = ensure_tag(conn, name)
        cur = conn.execute(f"INSERT OR IGNORE INTO frame_tags (frame_id, tag_id) SELECT id, ? FROM ({_ids(compiled)})",
                           (tid, *compiled.params))
    return Change(matched, cur.rowcount)


def untag_frames(db: Catalog, compiled: Compiled, tag: str) -> Change:
    """Remove a tag from every matching frame; the note says when their rolls still carry it."""
    name = parse_tag_name(tag)
    with transaction(db) as conn:
        matched = _matched(conn, compiled)
        tid = _tag_id(conn, name)
        if tid is None:
            return Change(matched, 0)
        cur = conn.execute(f"DELETE FROM frame_tags WHERE tag_id = ? AND frame_id IN ({_ids(compiled)})",
                           (tid, *compiled.params))
        via_roll = conn.execute(
            f"SELECT count(*) {FRAMES_FROM} WHERE f.roll_id IN (SELECT roll_id FROM roll_tags WHERE tag_id = ?)"
            + (f" AND ({compiled.where})" if compiled.where else ""), (tid, *compiled.params)).fetchone()[0]
    note = None
    if via_roll:
        note = (f"{via_roll} of these frames still match tag:{name} through their roll's tags; "
                "change those with `filmflow roll edit`.")
    return Change(matched, cur.rowcount, note)
