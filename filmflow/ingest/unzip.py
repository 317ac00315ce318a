"""Safe extraction of lab .zip deliveries.

Entries that would land outside the target (`../`, absolute paths, drive letters),
symlinks and device entries are refused; the extracted size is bounded both in total and
by compression ratio (a zip bomb never fills the disk: we count bytes as we write them).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from filmflow import fsutil
from filmflow.errors import InputError
from filmflow.ingest.discover import is_ignored

MAX_RATIO = 200  # scans barely compress; a 200:1 entry is a bomb, not a photograph


def _safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path of an entry, or None when it would escape the target."""
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    if any(part == ".." for part in p.parts):
        return None
    return p


def extract_zip(zip_path: Path, dest: Path, max_bytes: int) -> list[str]:
    """Extract `zip_path` into `dest` (created); return warnings about skipped entries.

    Raises InputError (naming the zip) for an escaping entry, a link, a bomb or a
    corrupt archive; in that case nothing is left in `dest`.
    """
    warnings: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
            for info in members:
                rel = _safe_member_path(info.filename)
                if rel is None:
                    raise InputError(f"{zip_path}: entry {info.filename!r} would land outside the target; "
                                     "the zip was refused, ask the lab for a clean delivery.")
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise InputError(f"{zip_path}: entry {info.filename!r} is a symbolic link; "
                                     "the zip was refused, unpack it by hand if you trust it.")
            for info in members:
                rel = _safe_member_path(info.filename)
                assert rel is not None
                if info.is_dir() or any(is_ignored(part) for part in rel.parts):
                    continue
                if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO and info.file_size > 1 << 20:
                    raise InputError(f"{zip_path}: entry {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}x "
                                     "(a zip bomb?); the zip was refused.")
                target = fsutil.safe_join(dest, *rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, fsutil.atomic_write(target) as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        total += len(chunk)
                        if total > max_bytes or written > info.file_size + (1 << 20):
                            raise InputError(f"{zip_path} expands past {max_bytes} bytes (a zip bomb?); "
                                             "the zip was refused. Raise [ingest] zip_max_bytes if it is real.")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        shutil.rmtree(dest, ignore_errors=True)
        raise InputError(f"{zip_path} is not a readable zip ({e}); download it again.") from None
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return warnings
