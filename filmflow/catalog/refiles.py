"""Re-filing intents: the catalog's record of a roll being moved to a new archive folder.

`roll edit` records the intent (every file's old and new path) before it copies anything,
commits the roll's new paths and the state 'committed' in one transaction, and drops the
intent once the old files are gone. A command that finds an intent whose owner died
finishes it ('committed') or undoes it ('copying'): see filmflow/refile.py.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from filmflow.catalog.rolls import now, update_roll


@dataclass(frozen=True, slots=True)
class RefileMove:
    """One file of a re-filing: its frame (None for a sidecar), old and new catalog paths, hash, size."""

    frame_id: int | None
    old: str
    new: str
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class RefileIntent:
    """A recorded re-filing of one roll."""

    roll_id: int
    code: str
    old_dir: str
    new_dir: str
    moves: tuple[RefileMove, ...]
    preexisting: frozenset[str]
    fields: dict
    sources: dict
    state: str = "copying"
    pid: int | None = None


_COLS = "roll_id, code, old_dir, new_dir, moves, preexisting, fields, sources, state, pid"


def _intent(row: tuple) -> RefileIntent:
    roll_id, code, old_dir, new_dir, moves, pre, fields, sources, state, pid = row
    return RefileIntent(roll_id, code, old_dir, new_dir, tuple(RefileMove(*m) for m in json.loads(moves)),
                        frozenset(json.loads(pre)), json.loads(fields), json.loads(sources), state, pid)


def pending_refiles(conn: sqlite3.Connection) -> list[RefileIntent]:
    """Every re-filing not yet finished, oldest first."""
    return [_intent(r) for r in conn.execute(f"SELECT {_COLS} FROM refile_intents ORDER BY created_at, roll_id")]


def refile_paths(conn: sqlite3.Connection) -> set[str]:
    """Every old and new path of the unfinished re-filings (verify counts them as known)."""
    return {p for intent in pending_refiles(conn) for m in intent.moves for p in (m.old, m.new)}


def find_refile(conn: sqlite3.Connection, roll_id: int) -> RefileIntent | None:
    """The unfinished re-filing of one roll, or None."""
    row = conn.execute(f"SELECT {_COLS} FROM refile_intents WHERE roll_id = ?", (roll_id,)).fetchone()
    return _intent(row) if row else None


def refile_conflict(conn: sqlite3.Connection, roll_id: int, code: str, new_dir: str) -> str | None:
    """Why another roll (or another re-filing) already has this code or target folder, or None."""
    if conn.execute("SELECT 1 FROM rolls WHERE code = ? COLLATE NOCASE AND id != ?", (code, roll_id)).fetchone():
        return f"roll code {code} is already taken; pick another."
    row = conn.execute("SELECT code FROM refile_intents WHERE roll_id != ? AND (code = ? COLLATE NOCASE "
                       "OR new_dir = ?)", (roll_id, code, new_dir)).fetchone()
    if row:
        return f"another roll is being re-filed as {row[0]} into {new_dir}; wait for it, then run again."
    return None


def record_refile(conn: sqlite3.Connection, intent: RefileIntent) -> None:
    """Record a re-filing before any file is copied (state 'copying')."""
    conn.execute(
        f"INSERT INTO refile_intents ({_COLS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'copying', ?, ?)",
        (intent.roll_id, intent.code, intent.old_dir, intent.new_dir,
         json.dumps([[m.frame_id, m.old, m.new, m.sha256, m.bytes] for m in intent.moves]),
         json.dumps(sorted(intent.preexisting)), json.dumps(intent.fields), json.dumps(intent.sources),
         intent.pid, now()))


def commit_refile(conn: sqlite3.Connection, intent: RefileIntent) -> None:
    """Point the roll and its frames at the new folder and mark the intent 'committed' (one transaction)."""
    update_roll(conn, intent.roll_id, {**intent.fields, "path": intent.new_dir}, intent.sources)
    conn.executemany("UPDATE frames SET path = ? WHERE id = ?",
                     [(m.new, m.frame_id) for m in intent.moves if m.frame_id is not None])
    # versions (catalog/versions.py) and the record of each XMP sidecar (catalog/xmpstate.py) move too
    conn.executemany("UPDATE frame_versions SET path = ? WHERE path = ?",
                     [(m.new, m.old) for m in intent.moves if m.frame_id is None])
    conn.executemany("UPDATE xmp_sidecars SET path = ? WHERE path = ?",
                     [(m.new, m.old) for m in intent.moves if m.frame_id is None and m.old.lower().endswith(".xmp")])
    conn.execute("UPDATE refile_intents SET state = 'committed' WHERE roll_id = ?", (intent.roll_id,))


def drop_refile(conn: sqlite3.Connection, roll_id: int) -> None:
    """Forget a finished or undone re-filing."""
    conn.execute("DELETE FROM refile_intents WHERE roll_id = ?", (roll_id,))


def roll_file_rows(conn: sqlite3.Connection, roll_id: int) -> list[tuple[int, str, str, int]]:
    """(frame id, path, sha256, bytes) of every frame of a roll."""
    return conn.execute("SELECT id, path, sha256, bytes FROM frames WHERE roll_id = ? ORDER BY id",
                        (roll_id,)).fetchall()


def roll_code_of(conn: sqlite3.Connection, roll_id: int) -> str | None:
    """The current code of a roll id, or None when it is gone."""
    row = conn.execute("SELECT code FROM rolls WHERE id = ?", (roll_id,)).fetchone()
    return row[0] if row else None
