"""Find scan folders and zips in an inbox and the scan files inside a folder.

Partial and temporary files (.part, .crdownload, .tmp, ~ suffix), dotfiles, system
clutter (Thumbs.db, .DS_Store, __MACOSX) and our own temp files are never scan files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def list_scan_files(folder: Path) -> list[Path]:
    """Every candidate scan file below `folder`, nested folders included, in name order.

    Sidecars and obvious non-image documents are left out; everything else is a
    candidate (a file that turns out not to be an image is reported as failed).
    """
    out: list[Path] = []
    for dirpath, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_ignored(d))
        for name in files:
            if is_ignored(name):
                continue
            low = name.lower()
            if low == SIDECAR_NAME or low.endswith(NON_SCAN_SUFFIXES):
                continue
            out.append(Path(dirpath) / name)
    return sorted(out, key=lambda p: _natural_key(p.relative_to(folder).as_posix()))


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
