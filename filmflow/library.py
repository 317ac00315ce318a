"""Library: the folder layout (filmflow.toml, filmflow.db, inbox/, archive/, exports/,
cache/, logs/), its settings and stocks, and the one-watcher-per-library lock.

The catalog is opened by `filmflow.opencatalog.open_catalog(lib)`, not here: opening it
also repairs a half-done `roll edit`, which is an operation above this layer."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from filmflow import fsutil
from filmflow.config import CONFIG_NAME, DB_NAME, DEFAULT_TOML, Settings, load_settings
from filmflow.errors import ConfigError, LibraryLockedError

if TYPE_CHECKING:
    from filmflow.stocks import FilmFormat, StockCatalog

SUBDIRS = ("inbox", "archive", "exports", "cache", "logs")


@dataclass
class Library:
    """An initialised library folder and its settings."""

    root: Path
    settings: Settings = field(default_factory=Settings)
    _stocks: "StockCatalog | None" = None
    _formats: "dict[str, FilmFormat] | None" = None

    @classmethod
    def open(cls, root: Path) -> "Library":
        """Open an existing library; ConfigError (exit 2) when it was never initialised."""
        root = Path(root).expanduser().absolute()
        if not (root / CONFIG_NAME).is_file():
            raise ConfigError(
                f"{root} is not a filmflow library (no {CONFIG_NAME}); run `filmflow init {root}` "
                "or pass --library DIR."
            )
        return cls(root=root, settings=load_settings(root / CONFIG_NAME))

    @classmethod
    def init(cls, root: Path) -> tuple["Library", bool]:
        """Create the folder layout, a commented filmflow.toml and the catalog; returns (library, created).

        A re-filing left half-done in an existing library is finished by the next
        `open_catalog` (the `init` command opens it so right after)."""
        root = Path(root).expanduser().absolute()
        db = root / DB_NAME
        created = not (root / CONFIG_NAME).exists() or not db.exists() or db.stat().st_size == 0
        try:
            root.mkdir(parents=True, exist_ok=True)
            for sub in SUBDIRS:
                (root / sub).mkdir(exist_ok=True)
            if not (root / CONFIG_NAME).exists():
                fsutil.atomic_write_text(root / CONFIG_NAME, DEFAULT_TOML)
        except OSError as e:
            raise ConfigError(f"cannot create a library in {root} ({e.strerror}); pick a writable folder.") from None
        from filmflow.catalog.db import connect

        lib = cls.open(root)
        connect(lib.db_path, create=True).conn.close()  # an empty catalog; open_catalog does the rest
        return lib, created

    # folders
    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def stocks(self) -> "StockCatalog":
        """The stock catalog with this library's additions (loaded once)."""
        if self._stocks is None:
            from filmflow.stocks import StockCatalog

            self._stocks = StockCatalog.load(self.settings.stocks)
        return self._stocks

    @property
    def formats(self) -> "dict[str, FilmFormat]":
        """Known film formats with this library's additions."""
        if self._formats is None:
            from filmflow.stocks import load_formats

            self._formats = load_formats(self.settings.formats)
        return self._formats

    def rel(self, path: Path) -> str:
        """A path as stored in the catalog: library-relative POSIX, else absolute."""
        path = Path(path).absolute()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def resolve(self, stored: str) -> Path:
        """The absolute path of a catalog path."""
        p = Path(stored)
        return p if p.is_absolute() else self.root / p

    def thumbnail_rel(self, sha256: str) -> str:
        """Content-addressed thumbnail path: cache/thumbs/ab/<sha>.jpg."""
        return f"cache/thumbs/{sha256[:2]}/{sha256}.jpg"

    @property
    def thumbnail_template(self) -> str:
        """Where a scan's thumbnail goes, for the image workers ({sh}: the hash's first two digits)."""
        return str(self.root / "cache" / "thumbs" / "{sh}" / "{sha}.jpg")

    @property
    def preview_template(self) -> str | None:
        """Where the light table's loupe preview goes when `[serve] previews = "ingest"` makes it at
        ingest (any new scan or version), else None (made when first viewed)."""
        return str(self.cache / "previews" / "{sha}.jpg") if self.settings.serve_previews == "ingest" else None


WATCH_LOCK = "watch.lock"              # in logs/: held by the running watcher (see WatcherLock)
WATCH_STATE = "watch.state.json"      # in logs/: what the watcher waits for, for `filmflow status`


@dataclass
class WatcherLock:
    """An fcntl lock on logs/watch.lock; the kernel drops it when the process dies.

    A stale file left by a killed watcher holds no lock, so a new watcher simply takes it.
    """

    path: Path
    fd: int | None = None

    def acquire(self, inbox: Path) -> None:
        """Take the lock or raise LibraryLockedError naming the holder's pid."""
        fcntl = fsutil.posix_locks()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                info = read_lock_info(self.path)
                pid = info.get("pid", "?")
                raise LibraryLockedError(
                    f"another watcher (pid {pid}) is already running on this library; stop it first "
                    f"(kill {pid}) or use another --library."
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                 "inbox": str(inbox)}).encode())
        os.fsync(fd)
        self.fd = fd

    def release(self) -> None:
        """Drop the lock and clear the pid note."""
        if self.fd is not None:
            fcntl = fsutil.posix_locks()
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def read_lock_info(path: Path) -> dict:
    """What the lock file says (pid, since, inbox), or {} when empty/unreadable."""
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def watcher_running(path: Path) -> dict | None:
    """The running watcher's info when its lock is held, else None."""
    if not path.exists():
        return None
    fcntl = fsutil.posix_locks()
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return read_lock_info(path) or {"pid": "?"}
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
