"""The catalog side of `filmflow verify`: the files to check, their totals, `verified_at`.

Frames and their other versions (re-scans, edits) are checked alike; a version carries
its id negated so one stream of rows and one batch of `verified_at` updates serve both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

_SELECT = """
SELECT * FROM (
  SELECT f.id AS id, r.code || '/' || f.frame AS ref, f.path, f.bytes, f.sha256, f.source_path, f.verified_at
  FROM frames f JOIN rolls r ON r.id = f.roll_id
  UNION ALL
  SELECT -v.id, r.code || '/' || f.frame || ' version ' || v.n, v.path, v.bytes, v.sha256, v.source_path, v.verified_at
  FROM frame_versions v JOIN frames f ON f.id = v.frame_id JOIN rolls r ON r.id = f.roll_id)
"""
_FILES = "(SELECT id, bytes, verified_at FROM frames UNION ALL SELECT -id, bytes, verified_at FROM frame_versions)"


def fixity_rows(conn: sqlite3.Connection, oldest_first: bool = False) -> sqlite3.Cursor:
    """Stream (id, ref, path, bytes, sha256, source_path, verified_at) of every catalogued file
    (`oldest_first`: least recently verified first, never-verified before all)."""
    return conn.execute(_SELECT + (" ORDER BY verified_at NULLS FIRST, id" if oldest_first else ""))


def fixity_totals(conn: sqlite3.Connection, limit: int | None = None) -> tuple[int, int]:
    """(files, bytes) of every catalogued file, or of the `limit` least recently verified."""
    if limit is None:
        n, b = conn.execute(f"SELECT count(*), coalesce(sum(bytes), 0) FROM {_FILES}").fetchone()
    else:
        n, b = conn.execute(
            f"SELECT count(*), coalesce(sum(bytes), 0) FROM (SELECT bytes FROM {_FILES} "
            "ORDER BY verified_at NULLS FIRST, id LIMIT ?)", (min(int(limit), 2**63 - 1),)).fetchone()
    return int(n), int(b)


def count_files(conn: sqlite3.Connection) -> int:
    """How many files (frames and versions) the catalog keeps."""
    return int(conn.execute(f"SELECT count(*) FROM {_FILES}").fetchone()[0])


def expects_archive_files(conn: sqlite3.Connection) -> bool:
    """True when some frame is stored under archive/."""
    return bool(conn.execute(
        "SELECT EXISTS (SELECT 1 FROM frames WHERE path >= 'archive/' AND path < 'archive0')").fetchone()[0])


def record_verified(conn: sqlite3.Connection, pending: Sequence[tuple[str, int]]) -> None:
    """Store (time, id) verification times; negative ids are versions."""
    conn.executemany("UPDATE frames SET verified_at = ? WHERE id = ?", [p for p in pending if p[1] > 0])
    conn.executemany("UPDATE frame_versions SET verified_at = ? WHERE id = ?",
                     [(t, -i) for t, i in pending if i < 0])


def stored_paths(conn: sqlite3.Connection) -> Iterator[str]:
    """The stored path of every frame and version, as kept in the catalog."""
    for (stored,) in conn.execute("SELECT path FROM frames UNION ALL SELECT path FROM frame_versions"):
        yield stored
