"""File primitives that protect the archive: atomic writes, verified copies, hashing, safe names.

Every file filmflow writes goes through `atomic_write` (temp file in the same folder,
fsync, rename, fsync of the folder). `copy_verified` never overwrites a different file
and checks the SHA-256 of the copy it made by reading it back.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from filmflow.errors import ArchiveError, OperationError

TMP_MARK = ".filmflow-tmp-"
CHUNK = 1 << 20  # 1 MiB: hashlib runs at full speed with this read size (PERF_NOTES)


NAME_MAX = 255  # bytes per path component on every file system filmflow supports
_OWNER = re.compile(re.escape(TMP_MARK) + r"(\d+)-[0-9a-f]+$")


def is_temp_name(name: str) -> bool:
    """True for our own temporary files (`.<name>.filmflow-tmp-<pid>-<random>`)."""
    return TMP_MARK in name


def temp_path_for(path: Path, owner: int | None = None) -> Path:
    """A fresh temporary name beside `path`: `.<name>.filmflow-tmp-<owner pid>-<random>`.

    The owner's pid lets a sweep tell a running process's in-flight file from a crash's
    leftover. A long final name is cut (whole UTF-8 characters) so the temp name stays
    within NAME_MAX; the final name itself is never changed.
    """
    tail = f"{TMP_MARK}{owner if owner is not None else os.getpid()}-{secrets.token_hex(4)}"
    room = NAME_MAX - 1 - len(tail.encode())
    head = path.name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return path.with_name(f".{head}{tail}")


def temp_owner(name: str) -> int | None:
    """The pid that owns a temp file of ours, or None for an older, pid-less temp name."""
    m = _OWNER.search(name)
    return int(m.group(1)) if m else None


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


LEGACY_TEMP_AGE = 600.0  # seconds: a pid-less temp name (older versions, a probe) this old is a leftover


def is_orphan_temp(path: Path) -> bool:
    """A temp file of ours that no running process owns: its owner is gone, or it names
    none (an older version's) and has not changed for LEGACY_TEMP_AGE seconds."""
    name = Path(path).name
    if not is_temp_name(name):
        return False
    owner = temp_owner(name)
    if owner is not None:
        return not pid_alive(owner)
    try:
        return time.time() - os.lstat(path).st_mtime > LEGACY_TEMP_AGE
    except OSError:
        return False


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it is durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "wb", *,
                 check: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """Write `path` atomically: temp file, flush, fsync, check, os.replace, fsync the folder.

    Before the rename the temp file must hold every byte written (a full disk can cut a
    write short without an error reaching the writer) and pass `check(temp_path)` (e.g.
    "the image decodes"), which raises to refuse it; the final name is then never touched.
    """
    path = Path(path)
    tmp = temp_path_for(path)
    f = open(tmp, mode)
    try:
        yield f
        f.flush()
        os.fsync(f.fileno())
        written = f.tell()
        f.close()
        on_disk = os.stat(tmp).st_size
        if on_disk < written:
            raise OSError(errno.ENOSPC, f"only {on_disk} of {written} bytes reached the disk", str(path))
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to `path` atomically."""
    with atomic_write(path) as f:
        f.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


class NotRegularFileError(ArchiveError):
    """A FIFO, device, socket or folder where a scan file was expected: never read."""


def kind_of(mode: int) -> str:
    """'a FIFO', 'a character device', ... for a stat mode (for messages)."""
    for test, what in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return "not a regular file"


def open_regular(path: Path) -> BinaryIO:
    """Open a file for reading only if it is a regular file (after following links).

    O_NONBLOCK keeps a FIFO from blocking the open; fstat then refuses anything that
    is not a regular file, so a device or a link to /dev/zero is never read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{display(path)} is {kind_of(mode)}, not a scan file; filmflow skipped it "
                                      "(move it out of the scan folder).")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def display(path: Path | str) -> str:
    """A path as printable text: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def identity(path: Path) -> tuple[int, int, int, int]:
    """(size, mtime_ns, inode, device) of a file: changes when it is re-saved or replaced."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def is_unchanged(path: Path, ident: tuple[int, int, int, int] | None, sha: str) -> bool:
    """True when `path` is still the file that was copied: same identity, else same hash."""
    try:
        if ident is not None and identity(path) == ident:
            return True
        return sha256_file(path) == sha
    except (OSError, ArchiveError):
        return False


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a regular file, read in 1 MiB blocks into a reused buffer."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open_regular(path) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def copy_hashing(src: Path, dst_file: BinaryIO) -> tuple[str, int]:
    """Copy regular file `src` into an open file while hashing it; return (sha256, bytes)."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    with open_regular(src) as f:
        while n := f.readinto(buf):
            chunk = view[:n]
            h.update(chunk)
            dst_file.write(chunk)
            total += n
    return h.hexdigest(), total


def copy_verified(src: Path, dst: Path, expect_sha: str | None = None) -> tuple[str, int, bool]:
    """Copy `src` to `dst` and verify the copy by re-reading it.

    Returns (sha256, bytes, copied). If `dst` already exists with the same content
    nothing is written and `copied` is False; if it exists with other content,
    ArchiveError is raised (we never overwrite a different file). The copy goes to a
    temp name in the target folder, is fsynced, re-read and hashed, then renamed.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists():
        have = sha256_file(dst)
        want = expect_sha or sha256_file(src)
        if have == want:
            return have, dst.stat().st_size, False
        raise ArchiveError(
            f"{dst} already exists with different content; filmflow will not overwrite it "
            "(rename or move that file, then run again)."
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dst)
    try:
        with open(tmp, "xb") as out:
            sha, size = copy_hashing(src, out)
            out.flush()
            os.fsync(out.fileno())
        if expect_sha is not None and sha != expect_sha:
            raise ArchiveError(f"{src} changed while it was being copied; run again once it is stable.")
        if sha256_file(tmp) != sha:
            raise ArchiveError(f"the archive copy of {src} does not match its source; check the archive disk.")
        with contextlib.suppress(OSError):
            os.utime(tmp, ns=(os.stat(src).st_atime_ns, os.stat(src).st_mtime_ns))
        # link() refuses to replace an existing file, unlike rename(): a racing writer
        # can never make us clobber a different file at dst.
        try:
            os.link(tmp, dst)
        except FileExistsError:
            if sha256_file(dst) != sha:
                raise ArchiveError(
                    f"{dst} appeared with different content during the copy; filmflow left it alone."
                ) from None
        except OSError:
            if dst.exists():
                raise
            os.replace(tmp, dst)
        fsync_dir(dst.parent)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return sha, size, True


def find_orphan_temp_files(root: Path) -> list[Path]:
    """Our temp files below `root` that no running process owns (a killed run's leftovers)."""
    if not Path(root).exists():
        return []
    return [Path(dirpath) / name for dirpath, _dirs, files in os.walk(root) for name in files
            if is_temp_name(name) and is_orphan_temp(Path(dirpath) / name)]


def clean_temp_files(root: Path) -> int:
    """Remove our leftover temp files below `root`; return how many.

    Only files whose owner process is gone: a sweep started beside a running ingest or
    export (a cron `watch --once`) leaves their in-flight temp files alone.
    """
    n = 0
    for p in find_orphan_temp_files(root):
        with contextlib.suppress(OSError):
            p.unlink()
            n += 1
    return n


def is_disk_full(e: BaseException) -> bool:
    """True for ENOSPC/EDQUOT, and SQLite's 'database or disk is full'."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "disk is full" in str(e) or "SQLITE_FULL" in str(e)


def mount_point(path: Path) -> Path:
    """The mount point of the disk holding `path` (the nearest existing ancestor)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    dev = p.stat().st_dev
    while p != p.parent and p.parent.stat().st_dev == dev:
        p = p.parent
    return p


def nfc(text: str) -> str:
    """NFC-normalise (macOS writes Hangul and accents decomposed)."""
    return unicodedata.normalize("NFC", text)


_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_component(text: str, max_len: int = 120) -> str:
    """Make one path component safe on every OS, keeping Unicode letters."""
    s = _UNSAFE.sub("_", nfc(text)).strip().strip(".").strip()
    s = re.sub(r"\s+", " ", s)
    if not s:
        s = "_"
    if s.split(".")[0].lower() in _RESERVED:
        s = "_" + s
    encoded = s.encode("utf-8")
    if len(encoded) > max_len:
        s = encoded[:max_len].decode("utf-8", "ignore").rstrip()
    return s


def slugify(text: str, max_len: int = 80) -> str:
    """A folder-safe slug that keeps Unicode letters: 'Seoul 서울 / 2023' → 'seoul-서울-2023'."""
    s = nfc(text).casefold()
    s = re.sub(r"[^\w]+", "-", s, flags=re.UNICODE).strip("-_")
    s = safe_component(s, max_len) if s else ""
    s = s.strip("-_. ")
    if not s or s in {".", ".."}:
        s = "untitled"
    if s.split(".")[0] in _RESERVED:
        s = "_" + s
    return s


def safe_join(root: Path, *parts: str) -> Path:
    """Join `parts` under `root`, refusing any result that escapes it."""
    root_r = Path(root).resolve()
    p = root_r.joinpath(*parts).resolve()
    if p != root_r and root_r not in p.parents:
        raise ArchiveError(f"refusing path {'/'.join(parts)!r}: it would land outside {root}.")
    return p


def posix_locks() -> ModuleType:
    """The `fcntl` module, imported when a lock is first taken, so that the package itself
    imports on any OS; OperationError on a system without POSIX file locks."""
    try:
        import fcntl
    except ImportError:
        raise OperationError("this system has no POSIX file locks (Python's fcntl module); the watcher, "
                             "`roll edit` and zip ingest need Linux, macOS or WSL.") from None
    return fcntl
