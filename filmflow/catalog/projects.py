"""Projects: named, ordered sets of frames with per-frame captions (create, list, show, add,
remove, move, caption, rename, delete).

Positions are 1-based and dense; every change keeps the order of the frames it does not
touch. A frame may sit in several projects, once in each. Deleting a project removes only
its membership rows: frames, files and tags stay. Names hold any Unicode and are compared
NFC-normalised and case-folded ("Seoul" and "SEOUL" are one project).
"""

from __future__ import annotations

import logging
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from filmflow.catalog.db import Catalog
from filmflow.catalog.curation import Change
from filmflow.catalog.db import transaction
from filmflow.catalog.frames import FRAMES_FROM, frame_key, frames_by_id, parse_ref
from filmflow.query.refs import DEFAULT_CODE_TEMPLATE, code_candidates
from filmflow.catalog.models import Frame
from filmflow.catalog.rolls import now
from filmflow.errors import InputError, NotFoundError
from filmflow.catalog.querysql import Compiled

log = logging.getLogger(__name__)

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """A project's own fields and how many frames it holds."""

    id: int
    name: str
    title: str | None
    description: str | None
    size: int
    created_at: str
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        """`project list` shape: `frames` is the count here."""
        return {"name": self.name, "title": self.title, "description": self.description,
                "frames": self.size, "created": self.created_at, "updated": self.updated_at}


@dataclass(frozen=True, slots=True)
class ProjectEntry:
    """One frame in a project: its 1-based position and the project's caption for it."""

    position: int
    caption: str | None
    frame: Frame

    @property
    def text(self) -> str | None:
        """The caption to show: the project's, else the frame's own."""
        return self.caption if self.caption is not None else self.frame.caption

    def to_json(self) -> dict[str, Any]:
        """SPEC's frame object plus `position`; `caption` is the project caption (else the frame's)."""
        d = self.frame.to_json()
        d["frame_caption"] = d["caption"]
        d["project_caption"] = self.caption
        d["caption"] = self.text
        d["position"] = self.position
        return d


@dataclass(frozen=True, slots=True)
class Project:
    """A project with its frames in order."""

    info: ProjectInfo
    entries: tuple[ProjectEntry, ...]

    @property
    def name(self) -> str:
        return self.info.name

    def to_json(self) -> dict[str, Any]:
        """SPEC's project shape: name, title, description, frames (ordered, with position and caption)."""
        return {"name": self.info.name, "title": self.info.title, "description": self.info.description,
                "frames": [e.to_json() for e in self.entries]}


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def parse_project_name(text: str) -> str:
    """A project name as stored: NFC and trimmed; InputError when empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", text).strip()
    if not name:
        raise InputError("a project name cannot be empty; give one such as \"Seoul 2023\".")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        raise InputError(f"project name {text!r} holds a control character; remove it.")
    if len(name) > MAX_NAME:
        raise InputError(f"project name {name[:20]!r}... is longer than {MAX_NAME} characters; shorten it.")
    return name


def _clean_text(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise InputError(f"the {what} holds a control character; remove it.")
    return text.strip() or None


_INFO_SQL = """SELECT p.id, p.name, p.title, p.description,
  (SELECT count(*) FROM project_frames pf WHERE pf.project_id = p.id), p.created_at, p.updated_at
FROM projects p"""


def _info(row: tuple) -> ProjectInfo:
    return ProjectInfo(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5], row[6])


def find_project(conn: sqlite3.Connection, name: str) -> ProjectInfo | None:
    """The project of this name (NFC, case-insensitive), or None."""
    want = _fold(name.strip())
    for row in conn.execute(_INFO_SQL + " ORDER BY p.id"):
        if _fold(row[1]) == want:
            return _info(row)
    return None


def get_project_info(conn: sqlite3.Connection, name: str) -> ProjectInfo:
    """The project of this name, or NotFoundError listing some known ones."""
    info = find_project(conn, name)
    if info is None:
        names = [r[0] for r in conn.execute("SELECT name FROM projects ORDER BY name LIMIT 10")]
        known = ", ".join(names) if names else "none yet"
        raise NotFoundError(f"no project named {name!r} (projects: {known}); "
                            "`filmflow project create NAME` makes one.")
    return info


def list_projects(db: Catalog) -> list[ProjectInfo]:
    """All projects by name."""
    rows = db.conn.execute(_INFO_SQL).fetchall()
    return sorted((_info(r) for r in rows), key=lambda p: _fold(p.name))


def get_project(db: Catalog, name: str, root: Path | None = None, *, with_roll: bool = False) -> Project:
    """A project with its frames in order (NotFoundError when unknown); `with_roll`: each frame's
    `roll_facts` filled, for sheets and exports."""
    info = get_project_info(db.conn, name)
    rows = db.conn.execute("SELECT frame_id, position, caption FROM project_frames WHERE project_id = ? "
                           "ORDER BY position, frame_id", (info.id,)).fetchall()
    frames = frames_by_id(db, [fid for fid, _, _ in rows], root, with_roll=with_roll)
    by_id = {f.id: f for f in frames}
    entries = tuple(ProjectEntry(pos, cap, by_id[fid]) for fid, pos, cap in rows if fid in by_id)
    return Project(info, entries)


def create_project(db: Catalog, name: str, title: str | None = None,
                   description: str | None = None) -> ProjectInfo:
    """Create an empty project; InputError when the name is taken."""
    name = parse_project_name(name)
    title, description = _clean_text(title, "title"), _clean_text(description, "description")
    with transaction(db) as conn:
        if find_project(conn, name) is not None:
            raise InputError(f"a project named {name!r} already exists; pick another name or "
                             "`filmflow project add` to it.")
        ts = now()
        conn.execute("INSERT INTO projects (name, title, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                     (name, title, description, ts, ts))
        info = find_project(conn, name)
    assert info is not None
    return info


def _touch(conn: sqlite3.Connection, pid: int) -> None:
    conn.execute("UPDATE projects SET updated_at = ? WHERE id = ?", (now(), pid))


def _renumber(conn: sqlite3.Connection, pid: int) -> None:
    """Make positions 1..N again, keeping their order (a correlated UPDATE would see its own writes)."""
    fids = [fid for (fid,) in conn.execute(
        "SELECT frame_id FROM project_frames WHERE project_id = ? ORDER BY position, frame_id", (pid,))]
    conn.executemany("UPDATE project_frames SET position = ? WHERE project_id = ? AND frame_id = ?",
                     [(i, pid, fid) for i, fid in enumerate(fids, 1)])


def add_frames(db: Catalog, name: str, compiled: Compiled) -> Change:
    """Append the matching frames (in roll/frame order) to the end; frames already there stay put."""
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        where = f" WHERE {compiled.where}" if compiled.where else ""
        matched = int(conn.execute(f"SELECT count(*) {FRAMES_FROM}{where}", compiled.params).fetchone()[0])
        last = conn.execute("SELECT coalesce(max(position), 0) FROM project_frames WHERE project_id = ?",
                            (info.id,)).fetchone()[0]
        cur = conn.execute(
            f"""INSERT INTO project_frames (project_id, frame_id, position)
                SELECT ?, f.id, ? + row_number() OVER (ORDER BY r.code, f.frame_num, f.frame, f.id)
                {FRAMES_FROM}{where or ' WHERE 1'}
                  AND f.id NOT IN (SELECT frame_id FROM project_frames WHERE project_id = ?)""",
            (info.id, last, *compiled.params, info.id))
        if cur.rowcount:
            _touch(conn, info.id)
    return Change(matched, cur.rowcount)


def remove_frames(db: Catalog, name: str, compiled: Compiled) -> Change:
    """Take the matching frames out of the project (the frames themselves stay in the catalog)."""
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        where = f" WHERE {compiled.where}" if compiled.where else ""
        ids = f"SELECT f.id {FRAMES_FROM}{where}"
        matched = int(conn.execute(
            f"SELECT count(*) FROM project_frames WHERE project_id = ? AND frame_id IN ({ids})",
            (info.id, *compiled.params)).fetchone()[0])
        cur = conn.execute(f"DELETE FROM project_frames WHERE project_id = ? AND frame_id IN ({ids})",
                           (info.id, *compiled.params))
        if cur.rowcount:
            _renumber(conn, info.id)
            _touch(conn, info.id)
    return Change(matched, cur.rowcount)


def frame_id(conn: sqlite3.Connection, ref: str, template: str = DEFAULT_CODE_TEMPLATE) -> tuple[int, str]:
    """(id, canonical ref) of the frame at ROLL/FRAME (`R1/3` is `R001/3` under the code template),
    or NotFoundError."""
    roll, frame = parse_ref(ref)
    for code in code_candidates(roll, template):
        row = conn.execute("SELECT f.id, r.code, f.frame FROM frames f JOIN rolls r ON r.id = f.roll_id "
                           "WHERE r.code = ? COLLATE NOCASE AND f.frame = ? COLLATE NOCASE",
                           (code, frame_key(frame))).fetchone()
        if row is not None:
            return int(row[0]), f"{row[1]}/{row[2]}"
    raise NotFoundError(f"no frame {ref}; `filmflow frames roll:{roll}` lists that roll's frames.")


def _position(conn: sqlite3.Connection, info: ProjectInfo, ref: str,
              template: str = DEFAULT_CODE_TEMPLATE) -> tuple[int, str, int]:
    fid, canon = frame_id(conn, ref, template)
    row = conn.execute("SELECT position FROM project_frames WHERE project_id = ? AND frame_id = ?",
                       (info.id, fid)).fetchone()
    if row is None:
        raise NotFoundError(f"{canon} is not in project {info.name!r}; "
                            f"`filmflow project add {info.name!r} {canon}` adds it.")
    return fid, canon, int(row[0])


def move_frame(db: Catalog, name: str, ref: str, position: int,
               template: str = DEFAULT_CODE_TEMPLATE) -> tuple[int, int]:
    """Move one frame to a 1-based position, shifting the frames between; returns (old, new)."""
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        fid, canon, old = _position(conn, info, ref, template)
        if not isinstance(position, int) or not 1 <= position <= info.size:
            raise InputError(f"position {position} is outside project {info.name!r}; give 1 to {info.size}.")
        if position < old:
            conn.execute("UPDATE project_frames SET position = position + 1 "
                         "WHERE project_id = ? AND position >= ? AND position < ?", (info.id, position, old))
        elif position > old:
            conn.execute("UPDATE project_frames SET position = position - 1 "
                         "WHERE project_id = ? AND position > ? AND position <= ?", (info.id, old, position))
        conn.execute("UPDATE project_frames SET position = ? WHERE project_id = ? AND frame_id = ?",
                     (position, info.id, fid))
        if position != old:
            _touch(conn, info.id)
    return old, position


def set_caption(db: Catalog, name: str, ref: str, text: str,
                template: str = DEFAULT_CODE_TEMPLATE) -> str | None:
    """Set (or, with empty text, clear) the project's caption for one frame; returns what was stored."""
    caption = _clean_text(text, "caption")
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        fid, _, _ = _position(conn, info, ref, template)
        conn.execute("UPDATE project_frames SET caption = ? WHERE project_id = ? AND frame_id = ?",
                     (caption, info.id, fid))
        _touch(conn, info.id)
    return caption


def rename_project(db: Catalog, name: str, new: str) -> ProjectInfo:
    """Rename a project (a change of case only is allowed); InputError when the new name is taken."""
    new = parse_project_name(new)
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        other = find_project(conn, new)
        if other is not None and other.id != info.id:
            raise InputError(f"a project named {other.name!r} already exists; pick another name.")
        conn.execute("UPDATE projects SET name = ?, updated_at = ? WHERE id = ?", (new, now(), info.id))
        renamed = find_project(conn, new)
    assert renamed is not None
    return renamed


def delete_project(db: Catalog, name: str) -> ProjectInfo:
    """Delete a project and its membership rows only; returns what it was."""
    with transaction(db) as conn:
        info = get_project_info(conn, name)
        conn.execute("DELETE FROM projects WHERE id = ?", (info.id,))
    return info


def append_to_project(conn: sqlite3.Connection, name: str, shas: list[str]) -> None:
    """Append frames (by SHA-256) to the project of this exact name, made (titled `name`) when missing.

    Ingest's sidecar `project = "..."`; a frame already in the project keeps its place.
    """
    row = conn.execute("SELECT id FROM projects WHERE name = ?", (name,)).fetchone()
    if row is None:
        ts = now()
        pid = conn.execute("INSERT INTO projects (name, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           (name, name, ts, ts)).lastrowid
    else:
        pid = row[0]
    pos = conn.execute("SELECT coalesce(max(position), 0) FROM project_frames WHERE project_id = ?", (pid,)).fetchone()[0]
    for sha in shas:
        fid = conn.execute("SELECT id FROM frames WHERE sha256 = ?", (sha,)).fetchone()[0]
        pos += 1
        conn.execute("INSERT OR IGNORE INTO project_frames (project_id, frame_id, position) VALUES (?, ?, ?)",
                     (pid, fid, pos))
