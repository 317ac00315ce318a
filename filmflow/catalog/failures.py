"""What could not be ingested: failed files and folders refused whole, for `status` and re-runs.

A failure is keyed by the user's source, as an absolute path (`failure_key`): a file of a
scan folder (`/in/2023-05-01 HP5/000003.jpg`), an entry of a lab zip (`/in/order.zip/12.jpg`)
or a whole folder or zip refused before any file was read (a roll.toml that does not
parse, a code another roll owns). The same source failing again replaces its row, so a
failure is listed once however the folder was named (relative or absolute); a later
success (the file added, or found to be a duplicate; the folder planned) clears it, and
each ingest of a source replaces all of that source's failures with the ones it found.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def failure_key(path: Path | str) -> str:
    """The one spelling of a source path a failure is stored under: absolute, normalised."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def record_failures(conn: sqlite3.Connection, failures: Iterable[tuple[str, str]], roll: str | None,
                    at: str) -> None:
    """Store (key, error) pairs, replacing an older failure of the same source."""
    conn.executemany("INSERT OR REPLACE INTO failures (source_path, roll_code, error, at) VALUES (?, ?, ?, ?)",
                     [(key, roll, error, at) for key, error in failures])


def clear_failures(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Forget the failures of sources that have now been ingested (or refused no more)."""
    conn.executemany("DELETE FROM failures WHERE source_path = ?", [(k,) for k in keys])


def replace_source_failures(conn: sqlite3.Connection, source: str, failures: Iterable[tuple[str, str]],
                            roll: str | None, at: str) -> None:
    """A source was just ingested: its failures are now exactly `failures` (older ones of files
    since replaced, renamed or deleted go, and so does a refusal of the whole source)."""
    prefix = source.rstrip("/") + "/"  # compared exactly: LIKE would fold ASCII case
    entry = source + "!"               # a lab zip's entries: /inbox/delivery.zip!2023-05/000003.jpg
    conn.execute("DELETE FROM failures WHERE source_path = ? OR substr(source_path, 1, length(?)) = ? "
                 "OR substr(source_path, 1, length(?)) = ?", (source, prefix, prefix, entry, entry))
    record_failures(conn, failures, roll, at)


def list_failures(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest failures first: `source_path`, `roll`, `error`, `at`."""
    rows = conn.execute("SELECT source_path, roll_code, error, at FROM failures ORDER BY at DESC, id DESC LIMIT ?",
                        (limit,))
    return [{"source_path": s, "roll": r, "error": e, "at": a} for s, r, e, a in rows]


def count_failures(conn: sqlite3.Connection) -> int:
    """How many sources are failing now."""
    return conn.execute("SELECT count(*) FROM failures").fetchone()[0]
