"""Find scan folders and zips in an inbox and the scan files inside a folder.

Partial and temporary files (.part, .crdownload, .tmp, ~ suffix), dotfiles, system
clutter (Thumbs.db, .DS_Store, __MACOSX) and our own temp files are never scan files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from filmflow import fsutil
from filmflow.fsutil import is_temp_name

PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".download", ".partial", ".opdownload", "~")
SYSTEM_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "__macosx", "icon\r", ".spotlight-v100",
                ".trashes", ".fseventsd", "@eadir"}
SIDECAR_NAME = "roll.toml"
# Files that are part of a delivery but are not scans: kept out of the catalog quietly.
NON_SCAN_SUFFIXES = (".toml", ".txt", ".md", ".pdf", ".xmp", ".json", ".html", ".csv", ".log", ".ini")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".tif", ".tiff", ".png", ".webp", ".bmp", ".heic", ".dng", ".jxl")


def is_ignored(name: str) -> bool:
    """True for names that are never scans nor scan folders (temp, partial, hidden, system)."""
    low = name.lower()
    return (
        name.startswith(".")
        or is_temp_name(name)
        or low in SYSTEM_NAMES
        or low.endswith(PARTIAL_SUFFIXES)
        or low.startswith("~$")
    )


def is_partial(name: str) -> bool:
    """True for a download or copy still in progress."""
    return name.lower().endswith(PARTIAL_SUFFIXES)


MAX_DEPTH = 32  # nested folders below a scan folder; deeper is not a lab delivery


def list_scan_files(folder: Path, problems: list[dict[str, str]] | None = None) -> list[Path]:
    """Every candidate scan file below `folder`, nested folders included, in name order.

    Sidecars and obvious non-image documents are left out; everything else that is a
    regular file (or a link to one) is a candidate (a file that turns out not to be an
    image is reported as failed). What cannot be taken is appended to `problems` as
    `{file, error}`: an unreadable or too deep folder, a FIFO or device, a name that is
    not UTF-8. Nothing here reads a file's content.
    """
    out: list[Path] = []
    sink: list[dict[str, str]] = problems if problems is not None else []
    stack: list[tuple[Path, int]] = [(Path(folder), 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            sink.append(_problem(folder, here, _folder_error(here, e)))
            continue
        for entry in entries:
            if is_ignored(entry.name):
                continue
            path = Path(entry.path)
            if not _is_utf8(entry.name):
                sink.append(_problem(folder, path, _name_error(path)))
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if depth + 1 >= MAX_DEPTH:
                    sink.append(_problem(folder, path, f"{fsutil.display(path)}: folders nested deeper than "
                                         f"{MAX_DEPTH} levels were not ingested; move the scans up into "
                                         "a shallower folder and ingest again."))
                else:
                    stack.append((path, depth + 1))
                continue
            low = entry.name.lower()
            if low == SIDECAR_NAME or low.endswith(NON_SCAN_SUFFIXES):
                continue
            kind = _not_regular(entry)
            if kind:
                sink.append(_problem(folder, path, f"{fsutil.display(path)} is {kind}, not a scan file; "
                                     "filmflow skipped it (move it out of the scan folder)."))
                continue
            out.append(path)
    return sorted(out, key=lambda p: _natural_key(p.relative_to(folder).as_posix()))


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_regular(entry: os.DirEntry) -> str | None:
    """What a non-regular entry is ('a FIFO (named pipe)'), None for a regular file or a
    link to one; a link to a folder is left out silently, as before."""
    try:
        st = entry.stat(follow_symlinks=True)
    except OSError:
        return None  # a dangling link: the copy reports it
    if stat.S_ISREG(st.st_mode) or (stat.S_ISDIR(st.st_mode) and entry.is_symlink()):
        return None
    return fsutil.kind_of(st.st_mode)


def _problem(root: Path, path: Path, error: str) -> dict[str, str]:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    return {"file": fsutil.display(rel or path.name), "error": error}


def _folder_error(path: Path, e: OSError) -> str:
    where = fsutil.display(path)
    if isinstance(e, PermissionError):
        return (f"{where}: folder cannot be read (permission denied), so its scans were not ingested; "
                "fix its permissions (chmod -R u+rX) and ingest again.")
    return f"{where}: folder cannot be read ({e.strerror or e}), so its scans were not ingested."


def suggest_name(name: str) -> str:
    """A UTF-8 name for one that is not: invalid bytes become '_'."""
    return os.fsencode(name).decode("utf-8", "replace").replace("\ufffd", "_")


def _name_error(path: Path) -> str:
    return (f"{fsutil.display(path)}: the name is not valid UTF-8 text, so it cannot be catalogued; "
            f"rename it (e.g. to {suggest_name(path.name)!r}) and ingest again.")


def _natural_key(text: str) -> list:
    import re

    return [int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", text)]


@dataclass(frozen=True, slots=True)
class InboxScan:
    """What an inbox holds: scan sources (folders and .zip files) and loose images."""

    sources: tuple[Path, ...]
    loose: tuple[Path, ...]


def scan_inbox(inbox: Path) -> InboxScan:
    """Direct children of the inbox: folders and zips are sources, loose images are not."""
    sources: list[Path] = []
    loose: list[Path] = []
    for entry in sorted(os.scandir(inbox), key=lambda e: e.name):
        if is_ignored(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            sources.append(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            if entry.name.lower().endswith(".zip"):
                sources.append(Path(entry.path))
            elif entry.name.lower().endswith(IMAGE_SUFFIXES):
                loose.append(Path(entry.path))
    return InboxScan(tuple(sources), tuple(loose))
