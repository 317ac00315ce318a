"""Open the catalog: WAL, busy timeout, foreign keys, migrations; a transaction helper.

Every connection to filmflow.db goes through `connect`. WAL lets the CLI read and write
while the watcher ingests; the busy timeout means a writer waits instead of failing
with "database is locked".
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from filmflow.catalog.version import SCHEMA_VERSION
from filmflow.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000


class Catalog:
    """An open catalog: the sqlite3 connection (`conn`) and sqlite-utils' `execute`.

    Not a sqlite_utils.Database: importing sqlite-utils costs ~0.16 s per command, so it
    is imported only to apply a pending migration (catalog/schema.py).
    """

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement on the connection."""
        return self.conn.execute(sql, params)


def connect(path: Path, *, migrate: bool = True, durable: bool = False) -> Catalog:
    """Open (and migrate) the catalog at `path`.

    `durable=True` sets synchronous=FULL: a commit is on disk when it returns, which a
    move-mode ingest needs before it removes a source file.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.OperationalError as e:
        raise ConfigError(f"cannot open the catalog {path} ({e}); check the library folder.") from None
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as e:
        raise ConfigError(f"{path} is not a filmflow catalog ({e}); move it aside or pick another library.") from None
    conn.execute("PRAGMA synchronous = FULL" if durable else "PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise ConfigError(f"{path} was written by a newer filmflow (schema {version}, this one knows {SCHEMA_VERSION}); "
                          "upgrade filmflow (pip install -U filmflow) before using this library.")
    if migrate and version != SCHEMA_VERSION:
        import sqlite_utils

        from filmflow.catalog.schema import migrate as run_migrations

        run_migrations(sqlite_utils.Database(conn))
    return Catalog(conn)


@contextlib.contextmanager
def transaction(db: Catalog) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error); takes the write lock up front.

    Taking the lock at BEGIN (not at the first write) avoids the deadlock-style
    SQLITE_BUSY that a deferred read-then-write transaction can hit under WAL.
    """
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT ff_nested")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO ff_nested")
            conn.execute("RELEASE ff_nested")
            raise
        conn.execute("RELEASE ff_nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def refresh_statistics(conn: sqlite3.Connection) -> bool:
    """ANALYZE when the catalog has doubled since the last time (returns whether it ran).

    Without statistics SQLite walks every frame in roll order for `pick:yes rating:5`
    (~40 ms at 200k frames); with them it reads the matching rows (~2 ms). ANALYZE of
    200k frames takes a fraction of a second, and doubling keeps it rare.
    """
    frames = conn.execute("SELECT max(id) FROM frames").fetchone()[0] or 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'analyzed_frames'").fetchone()
    last = int(row[0]) if row else 0
    if frames < 1000 or frames < 2 * last:
        return False
    conn.execute("ANALYZE")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('analyzed_frames', ?)", (str(frames),))
    return True
