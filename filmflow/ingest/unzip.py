"""Lab .zip deliveries: read the directory safely, unpack into our own cache folder, clean up.

Entries that would land outside the target (`../`, absolute paths, drive letters),
symlinks, encrypted entries, names or nesting no file system can hold, and a file and a
folder of one name are refused, naming the zip and the entry; the extracted size is bounded both in total
and by compression ratio (a zip bomb never fills the disk: we count bytes as we write them).
Two different entries under one name are both kept: the second is unpacked as
`dup2_<name>` (its trailing frame number is kept, so it becomes frame `N-2`).

Extraction folders are `cache/unzip/<slug>-<sha256 of path, size, mtime>`: the same zip
always unpacks to the same folder, so one left by a killed ingest is found again. Each is
owned by the process holding the flock on its `.lock` file beside it; `clean_stale` removes
only folders no running process owns.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from filmflow import fsutil
from filmflow.errors import InputError, OperationError
from filmflow.ingest.discover import is_ignored

MAX_RATIO = 200  # scans barely compress; a 200:1 entry is a bomb, not a photograph
MAX_NAME_BYTES = 255  # one path component, on every common file system
MAX_DEPTH = 64  # folders inside a delivery (labs nest 2 or 3)
MAX_PATH_BYTES = 2048  # an entry's whole path: leaves room for the cache folder under PATH_MAX
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, zlib.error)


@dataclass(frozen=True, slots=True)
class Member:
    """One file entry of a zip: where it unpacks (`rel`) and its name in the zip (`entry`)."""

    info: zipfile.ZipInfo
    rel: PurePosixPath
    entry: str


def _safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path of an entry, or None when it would escape the target."""
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    if any(part == ".." for part in p.parts):
        return None
    return p


def short_name(entry: str, limit: int = 100) -> str:
    """An entry name fit for a one-line message ('roll/d/d/…/000001.jpg')."""
    return entry if len(entry) <= limit else entry[: limit // 2] + "…" + entry[-(limit // 2):]


def _refuse(zip_path: Path, entry: str, why: str, fix: str) -> InputError:
    return InputError(f"{zip_path}: entry {short_name(entry)!r} {why}; the zip was refused, {fix}.")


def _check_entry(zip_path: Path, info: zipfile.ZipInfo) -> PurePosixPath:
    rel = _safe_member_path(info.filename)
    if rel is None:
        raise _refuse(zip_path, info.filename, "would land outside the target", "ask the lab for a clean delivery")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _refuse(zip_path, info.filename, "is a symbolic link", "unpack it by hand if you trust it")
    if info.flag_bits & 0x1:
        raise _refuse(zip_path, info.filename, "is encrypted (password-protected)",
                      "unpack it with its password and ingest the folder")
    for part in rel.parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise _refuse(zip_path, info.filename, f"has a name of {len(part.encode())} bytes, "
                          f"longer than a file system allows ({MAX_NAME_BYTES})",
                          "unpack it by hand and shorten the name")
    if len(rel.parts) > MAX_DEPTH or len(info.filename.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise _refuse(zip_path, info.filename, f"is nested {len(rel.parts) - 1} folders deep, more than "
                      "a file system can unpack", "unpack it by hand and flatten its folders")
    return rel


def _numbered(rel: PurePosixPath, taken: set[PurePosixPath]) -> PurePosixPath:
    k = 2
    while (cand := rel.with_name(f"dup{k}_{rel.name}")) in taken:
        k += 1
    return cand


def list_members(zip_path: Path) -> list[Member]:
    """The zip's file entries, checked (InputError naming the zip and entry), without unpacking."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
    except _ZIP_ERRORS as e:
        raise InputError(f"{zip_path} is not a readable zip ({e}); download it again.") from None
    except OSError as e:
        raise InputError(f"{zip_path} cannot be read ({e.strerror or e}); check its permissions.") from None
    members: list[Member] = []
    files: set[PurePosixPath] = set()
    dirs: set[PurePosixPath] = set()
    for info in infos:
        rel = _check_entry(zip_path, info)
        if not rel.parts or any(is_ignored(part) for part in rel.parts):
            continue  # '.' names the target itself
        if info.is_dir():
            dirs.add(rel)
            continue
        if rel in files:  # two entries under one name: keep both, the second numbered
            rel = _numbered(rel, files)
        _bomb_check(zip_path, info)
        files.add(rel)
        dirs.update(rel.parents)
        members.append(Member(info, rel, info.filename))
    clash = sorted(files & dirs)
    if clash:
        raise _refuse(zip_path, str(clash[0]), "is both a file and a folder",
                      "unpack it by hand and rename one of them")
    return members


def _bomb_check(zip_path: Path, info: zipfile.ZipInfo) -> None:
    if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO and info.file_size > 1 << 20:
        ratio = info.file_size // max(info.compress_size, 1)
        raise InputError(f"{zip_path}: entry {short_name(info.filename)!r} expands {ratio}x "
                         "(a zip bomb?); the zip was refused.")


def _stream(zf: zipfile.ZipFile, zip_path: Path, m: Member, budget: list[int]) -> Iterator[bytes]:
    """An entry's bytes, counting them against `budget` (a zip bomb raises InputError)."""
    written = 0
    with zf.open(m.info) as src:
        while chunk := src.read(fsutil.CHUNK):
            written += len(chunk)
            budget[0] -= len(chunk)
            if budget[0] < 0 or written > m.info.file_size + (1 << 20):
                raise InputError(f"{zip_path} expands past its size limit (a zip bomb?); the zip was refused. "
                                 "Raise [ingest] zip_max_bytes if it is real.")
            yield chunk


def extract_zip(zip_path: Path, dest: Path, max_bytes: int) -> dict[str, str]:
    """Unpack `zip_path` into `dest` (created); return {unpacked relative path: entry name}.

    Raises InputError (naming the zip and entry) for a refused entry, a bomb, a corrupt
    archive or an entry that cannot be written; in that case nothing is left in `dest`.
    """
    members = list_members(zip_path)
    dest.mkdir(parents=True, exist_ok=True)
    budget = [max_bytes]
    current = ""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for m in members:
                current = m.entry
                target = fsutil.safe_join(dest, *m.rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with fsutil.atomic_write(target) as out:
                    for chunk in _stream(zf, zip_path, m, budget):
                        out.write(chunk)
    except (*_ZIP_ERRORS, zipfile.error, RuntimeError) as e:
        shutil.rmtree(dest, ignore_errors=True)
        raise InputError(f"{zip_path}: entry {short_name(current)!r} cannot be read ({e}); "
                         "download the zip again.") from None
    except OSError as e:
        shutil.rmtree(dest, ignore_errors=True)
        if e.errno == errno.ENOSPC:
            raise OperationError(f"the disk holding {dest.parent} is full while unpacking {zip_path}; "
                                 "free some space and ingest it again.") from None
        raise InputError(f"{zip_path}: entry {short_name(current)!r} cannot be unpacked ({e.strerror or e}); "
                         "unpack the zip by hand and ingest the folder.") from None
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return {m.rel.as_posix(): m.entry for m in members}


def hash_member(zip_path: Path, m: Member, max_bytes: int) -> tuple[str, int]:
    """SHA-256 and size of one entry, streamed from the zip (nothing is written)."""
    h = hashlib.sha256()
    size = 0
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for chunk in _stream(zf, zip_path, m, [max_bytes]):
                h.update(chunk)
                size += len(chunk)
    except (*_ZIP_ERRORS, zipfile.error, RuntimeError) as e:
        raise InputError(f"{zip_path}: entry {short_name(m.entry)!r} cannot be read ({e}); "
                         "download the zip again.") from None
    return h.hexdigest(), size


def read_member(zip_path: Path, m: Member, limit: int = 1 << 20) -> bytes:
    """The first `limit` bytes of an entry (a roll.toml, the EXIF of a scan); InputError when unreadable."""
    try:
        with zipfile.ZipFile(zip_path) as zf, zf.open(m.info) as f:
            return f.read(limit)
    except (*_ZIP_ERRORS, RuntimeError, OSError) as e:
        raise InputError(f"{zip_path}: entry {short_name(m.entry)!r} cannot be read ({e}); "
                         "download the zip again.") from None


# ---- extraction folders and their owners ------------------------------------------------

def extraction_dir(cache: Path, zip_path: Path) -> Path:
    """cache/unzip/<slug>-<sha256(path, size, mtime)[:16]>: the same zip, the same folder."""
    st = zip_path.stat()
    ident = f"{fsutil.nfc(str(zip_path.absolute()))}\0{st.st_size}\0{st.st_mtime_ns}"
    digest = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache / "unzip" / f"{fsutil.slugify(zip_path.stem, 40)}-{digest}"


def _try_lock(path: Path) -> int | None:
    """An fd holding the exclusive flock on `path` (created), or None when another holds it."""
    fcntl = fsutil.posix_locks()
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        try:  # a cleaner may have unlinked the file between our open and our lock
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def owned_extraction(cache: Path, zip_path: Path, wait: float = 5.0) -> Iterator[Path]:
    """Hold the lock of a zip's extraction folder; the folder is removed on exit, whatever happened."""
    dest = extraction_dir(cache, zip_path)
    lock = dest.with_name(dest.name + ".lock")
    deadline = time.monotonic() + wait
    while (fd := _try_lock(lock)) is None:
        if time.monotonic() > deadline:
            raise OperationError(f"{zip_path} is being unpacked by another filmflow process; "
                                 "it is ingested once that one finishes (see `filmflow status`).")
        time.sleep(0.1)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        shutil.rmtree(dest, ignore_errors=True)  # a killed run's half extraction: start clean
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


def clean_stale(cache: Path) -> int:
    """Remove extraction folders (and lock files) that no running filmflow process owns."""
    root = cache / "unzip"
    if not root.is_dir():
        return 0
    n = 0
    for entry in sorted(root.iterdir()):
        if entry.name.endswith(".lock"):
            continue
        lock = entry.with_name(entry.name + ".lock")
        fd = _try_lock(lock)
        if fd is None:
            continue  # a running ingest owns it
        try:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
            n += 1
            with contextlib.suppress(OSError):
                lock.unlink()
        finally:
            os.close(fd)
    for lock in root.glob("*.lock"):  # a lock whose folder is gone
        if not lock.with_suffix("").exists() and (fd := _try_lock(lock)) is not None:
            with contextlib.suppress(OSError):
                lock.unlink()
            os.close(fd)
    return n
