"""The export folder's files: checking the folder, telling a whole frame from a cut one,
renaming frames that only moved, and removing only files an export recorded as its own."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from filmflow import fsutil
from filmflow.errors import InputError
from filmflow.export.encode import small_name
from filmflow.outputs import gallery

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
GALLERY = "index.html"
POST = "post.md"
SHEET = "contact-sheet.jpg"
SHEET_PAGE = re.compile(r"contact-sheet(-[1-9][0-9]*)?\.jpg")  # contact-sheet.jpg, contact-sheet-2.jpg, ...
META_FILES = (GALLERY, POST, SHEET)


def check_out_dir(out_dir: Path, forbidden_roots: Sequence[Path]) -> Path:
    """The export folder, resolved and created; InputError when it lies inside a forbidden
    root (the archive) or cannot be written."""
    out = Path(out_dir).expanduser().resolve()
    for root in forbidden_roots:
        r = Path(root).expanduser().resolve()
        if out == r or r in out.parents:
            raise InputError(
                f"--to {out_dir} is inside {root}; exports never write there, choose a folder outside it."
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(
            f"--to {out_dir}: cannot create the export folder ({e.strerror or e}); choose a writable folder."
        ) from None
    if not out.is_dir():
        raise InputError(f"--to {out_dir} is not a folder; choose a folder to export into.")
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix="." + fsutil.TMP_MARK.strip(".")):
            pass
    except OSError as e:
        raise InputError(
            f"--to {out_dir}: the folder is not writable ({e.strerror or e}); choose a writable folder."
        ) from None
    return out


def is_plain_name(name: object) -> bool:
    """A file name directly in the export folder (or the jekyll post in its _posts/)."""
    if isinstance(name, str) and name.startswith(gallery.POSTS_DIR + "/"):
        name = name[len(gallery.POSTS_DIR) + 1:]
    return (
        isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
        and "\0" not in name and not fsutil.is_temp_name(name)
    )


def clean_own_temps(out: Path) -> None:
    """Remove our temp files left in the export folder (top level only) by a killed export."""
    for p in out.iterdir():
        if fsutil.is_temp_name(p.name) and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` (atomically) unless the file already holds exactly it."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    fsutil.atomic_write_bytes(path, data)
    return True


def size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def intact(path: Path, entry: dict) -> bool:
    """The file is there with the size the manifest recorded (older manifests recorded
    none) and ends with the JPEG end-of-image marker (a cut file does not)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            f.seek(max(0, size - 2))
            tail = f.read(2)
    except OSError:
        return False
    want = entry.get("bytes")
    return path.is_file() and (not isinstance(want, int) or size == want) and tail == b"\xff\xd9"


def remove_own(out: Path, name: str) -> bool:
    """Remove one file a previous export recorded, only if it is a plain file inside `out`."""
    if not is_plain_name(name):
        return False
    p = out / name
    try:
        if p.is_symlink() or not p.is_file():
            return False
        p.unlink()
        return True
    except OSError as e:
        log.warning("could not remove %s (%s)", p, e)
        return False


def remove_stale_frames(out: Path, owned: Iterable[str], keep: set[str]) -> list[str]:
    """Remove our frame files the export no longer has (not the sheet's pages nor the post:
    those are settled once they are (re)made); return the names removed."""
    removed = []
    for stale in sorted(set(owned) - keep - set(META_FILES) - {MANIFEST}):
        if SHEET_PAGE.fullmatch(stale) or gallery.is_post_name(stale):
            continue
        if remove_own(out, stale):
            removed.append(stale)
    return removed


def rename_frames(out: Path, moves: Sequence[tuple[str, str]], frame_names: set[str]) -> tuple[list[str], list[str]]:
    """Rename frames (and their small copies) that only changed position, in two phases so
    swaps work. Returns (frames renamed, frames whose rename failed: encode those again)."""
    renamed: list[str] = []
    retry: list[str] = []
    staged: list[tuple[Path, str]] = []
    for src_name, dst_name in moves:
        tmp = fsutil.temp_path_for(out / dst_name)
        try:
            os.replace(out / src_name, tmp)
            staged.append((tmp, dst_name))
            if (out / small_name(src_name)).is_file():
                small_tmp = fsutil.temp_path_for(out / small_name(dst_name))
                os.replace(out / small_name(src_name), small_tmp)
                staged.append((small_tmp, small_name(dst_name)))
        except OSError as e:
            log.warning("could not reuse %s for %s (%s); re-encoding it", src_name, dst_name, e)
            retry.append(dst_name)
    for tmp, dst_name in staged:
        os.replace(tmp, out / dst_name)
        if dst_name in frame_names:
            renamed.append(dst_name)
    if staged:
        fsutil.fsync_dir(out)
    return renamed, retry
