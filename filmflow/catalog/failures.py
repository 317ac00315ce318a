"""The failures table: files and sources that could not be ingested, kept for `status`.

A failure is keyed by the path that failed (a scan file, or a whole source when it
could not even be planned); a later successful ingest of that path clears it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def record_failures(conn: sqlite3.Connection, rows: Iterable[tuple[str, str | None, str, str]]) -> None:
    """Insert or replace (source_path, roll_code, error, at) rows."""
    conn.executemany("INSERT OR REPLACE INTO failures (source_path, roll_code, error, at) VALUES (?, ?, ?, ?)",
                     list(rows))


def clear_failures(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Forget the failures of paths that have now been ingested."""
    conn.executemany("DELETE FROM failures WHERE source_path = ?", [(p,) for p in paths])
