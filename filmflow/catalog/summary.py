"""The catalog's headline figures for `filmflow status`: counts, bytes, schema, last roll."""

from __future__ import annotations

import sqlite3
from typing import Any

_COUNTS = {
    "rolls": "SELECT count(*) FROM rolls",
    "frames": "SELECT count(*) FROM frames",
    "picks": "SELECT count(*) FROM frames WHERE pick = 'yes'",
    "projects": "SELECT count(*) FROM projects",
    "bytes": "SELECT coalesce(sum(bytes), 0) FROM frames",
}


def status_counts(conn: sqlite3.Connection) -> dict[str, Any]:
    """Rolls, frames, picks, projects and archive bytes (one query per figure)."""
    return {key: conn.execute(sql).fetchone()[0] for key, sql in _COUNTS.items()}


def schema_version(conn: sqlite3.Connection) -> int:
    """The catalog's schema version (SQLite's user_version)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def last_roll_note(conn: sqlite3.Connection) -> str | None:
    """The stored "CODE<TAB>time" of the last roll ingested, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'last_roll'").fetchone()
    return row[0] if row else None


def record_last_roll(conn: sqlite3.Connection, code: str, at: str) -> None:
    """Remember the roll just ingested (read back by `last_roll_note`)."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_roll', ?)", (f"{code}\t{at}",))
