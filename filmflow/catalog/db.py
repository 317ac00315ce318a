"""Open the catalog: WAL, busy timeout, foreign keys, migrations; a transaction helper.

Every connection to filmflow.db goes through `connect`. WAL lets the CLI read and write
while the watcher ingests; the busy timeout means a writer waits instead of failing
with "database is locked".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from filmflow.catalog.version import SCHEMA_VERSION
from filmflow.errors import (CatalogDamagedError, CatalogMissingError, ConfigError, FilmflowError,
                             OperationError, ReadOnlyLibraryError)

BUSY_TIMEOUT_MS = 30_000


class Catalog:
    """An open catalog: the sqlite3 connection (`conn`), its file and whether it is read-only.

    Not a sqlite_utils.Database: importing sqlite-utils costs ~0.16 s per command, so it
    is imported only to apply a pending migration (catalog/schema.py).
    """

    __slots__ = ("conn", "path", "readonly")

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None, readonly: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement on the connection."""
        return self.conn.execute(sql, params)


def read_only_message(path: Path) -> str:
    """The sentence for a write to a library whose catalog cannot be written."""
    return (f"the library {path.parent} is read-only (filmflow.db cannot be written there); filmflow can list "
            "and show it but not change it: make the folder writable (or remount its disk read-write) "
            "and run again. The catalog and the archive are unchanged.")


def catalog_error(e: sqlite3.Error, path: Path) -> FilmflowError | None:
    """The FilmflowError an SQLite error on the catalog at `path` means, or None for a bug."""
    name = getattr(e, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_CORRUPT") or "malformed" in str(e):
        return CatalogDamagedError(
            f"the catalog {path} is damaged ({e}); check it with `sqlite3 {path} 'PRAGMA integrity_check'` "
            "and restore filmflow.db from a backup. The archive files are untouched.")
    if name == "SQLITE_NOTADB":
        return ConfigError(f"{path} is not a filmflow catalog ({e}): a damaged header or another kind of file; "
                           "restore filmflow.db from a backup, or move it aside and run `filmflow init`. "
                           "The archive files are untouched.")
    if name.startswith("SQLITE_READONLY"):
        return ReadOnlyLibraryError(read_only_message(path))
    if name == "SQLITE_FULL":
        return OperationError(f"the disk holding {path.parent} is full; free some space and run again "
                              "(the catalog kept its last good state).")
    if name.startswith("SQLITE_IOERR"):
        return OperationError(f"an I/O error on the catalog {path} ({e}); check the disk, then run "
                              f"`sqlite3 {path} 'PRAGMA integrity_check'`.")
    return None


def _require_catalog_file(path: Path) -> None:
    """CatalogMissingError when filmflow.db is gone or empty: only `init` creates a catalog."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        what = "is missing"
    except OSError:
        return  # let SQLite say what is wrong
    else:
        wal = Path(f"{path}-wal")
        if size > 0 or (wal.exists() and wal.stat().st_size > 0):
            return
        what = "is empty (0 bytes)"
    raise CatalogMissingError(
        f"the catalog {path} {what}, although {path.parent} is a filmflow library; restore filmflow.db from "
        f"your backup, or run `filmflow init {path.parent}` to start a new, empty catalog. "
        "The archive files are untouched.")


def _sqlite(path: Path, mode: str) -> sqlite3.Connection:
    uri = f"file:{quote(os.fsencode(path))}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)


def _is_read_only(e: sqlite3.Error, path: Path) -> bool:
    name = getattr(e, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_READONLY") or (
        name.startswith("SQLITE_CANTOPEN") and not os.access(path.parent, os.W_OK))


def _open(path: Path, create: bool) -> tuple[sqlite3.Connection, bool]:
    """(connection in WAL mode, False), or a read-only connection and True when the library is read-only."""
    conn = _sqlite(path, "rwc" if create else "rw")
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        return conn, False
    except sqlite3.Error as e:
        conn.close()
        if not _is_read_only(e, path):
            raise
    # A WAL catalog opens read-only while its -wal/-shm exist or can be made; a folder that
    # is read-only too needs immutable=1, which is right only when no -wal holds commits.
    conn = _sqlite(path, "ro")
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn, True
    except sqlite3.Error as e:
        conn.close()
        wal = Path(f"{path}-wal")
        if not _is_read_only(e, path) or (wal.exists() and wal.stat().st_size > 0):
            raise
    return _sqlite(path, "ro&immutable=1"), True


def connect(path: Path, *, migrate: bool = True, durable: bool = False, create: bool = False) -> Catalog:
    """Open (and migrate) the catalog at `path`; only `create=True` (init) makes a new one.

    `durable=True` sets synchronous=FULL: a commit is on disk when it returns, which a
    move-mode ingest needs before it removes a source file. A catalog that cannot be written
    opens read-only (`Catalog.readonly`): reads work, `transaction` refuses.
    """
    path = Path(path)
    if not create:
        _require_catalog_file(path)
    try:
        conn, readonly = _open(path, create)
    except sqlite3.Error as e:
        err = catalog_error(e, path)
        raise err or ConfigError(f"cannot open the catalog {path} ({e}); check the library folder.") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = FULL" if durable else "PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as e:
        conn.close()
        raise catalog_error(e, path) or ConfigError(f"cannot read the catalog {path} ({e}).") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise ConfigError(f"{path} was written by a newer filmflow (schema {version}, this one knows {SCHEMA_VERSION}); "
                          "upgrade filmflow (pip install -U filmflow) before using this library.")
    if migrate and version != SCHEMA_VERSION:
        if readonly:
            conn.close()
            raise ReadOnlyLibraryError(f"the catalog {path} needs upgrading to schema {SCHEMA_VERSION} "
                                       f"(it has {version}), which needs write access, but the library "
                                       f"{path.parent} is read-only; make it writable and run again.")
        import sqlite_utils

        from filmflow.catalog.schema import migrate as run_migrations

        run_migrations(sqlite_utils.Database(conn))
    return Catalog(conn, path, readonly)


@contextlib.contextmanager
def transaction(db: Catalog) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error); takes the write lock up front.

    Taking the lock at BEGIN (not at the first write) avoids the deadlock-style
    SQLITE_BUSY that a deferred read-then-write transaction can hit under WAL. When SQLite
    has already rolled back by itself (disk full, I/O error, RAISE(ROLLBACK)) there is
    nothing to roll back, and the real error is raised, not "no transaction is active"
    (sqlite-utils' atomic() guards the same way).
    """
    if getattr(db, "readonly", False):
        raise ReadOnlyLibraryError(read_only_message(db.path or Path("filmflow.db")))
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT ff_nested")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK TO ff_nested")
                    conn.execute("RELEASE ff_nested")
            raise
        conn.execute("RELEASE ff_nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


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
