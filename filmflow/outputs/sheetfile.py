"""Contact-sheet files: the mark that says a sheet is filmflow's, the default claim that
refuses to replace anything else, one-line text, and checked atomic saves of the pages.

Every page carries SHEET_MARK (JPEG/PNG: EXIF Software; PDF: Creator and Producer), so a
later render may replace its own pages and nothing else (issue 12: `-o holiday.jpg` once
replaced an unrelated `holiday-2.jpg`). Each page is checked before its rename (an image
decodes, a PDF has its trailer), so a full disk never leaves a cut sheet under its name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from filmflow.errors import InputError
from filmflow.fsutil import atomic_write
from filmflow.imaging import check_image_file

JPEG_QUALITY = 90
PNG_COMPRESS_LEVEL = 2  # level 6 (default) is ~4x slower for ~15% less size (PERF_NOTES)
SHEET_MARK = "filmflow contact sheet"


def one_line(text: str | None) -> str:
    """Text drawn on one line: newlines, tabs and other control characters become spaces."""
    if not text:
        return ""
    # Only controls and line/paragraph separators: format characters (ZWJ, ZWNJ) stay.
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                            for c in str(text)).split())


def is_own_sheet(path: Path) -> bool:
    """True when `path` is a contact sheet filmflow wrote (it carries our mark)."""
    try:
        if path.suffix.lower() == ".pdf":
            with open(path, "rb") as f:
                size = f.seek(0, 2)
                f.seek(max(0, size - 65536))
                tail = f.read()
            # Pillow writes PDF text strings as UTF-16 with a byte-order mark.
            return any(m in tail for m in (SHEET_MARK.encode(), SHEET_MARK.encode("utf-16-be")))
        with Image.open(path) as im:
            return str(im.getexif().get(0x0131, "")).startswith(SHEET_MARK)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def refuse_foreign(paths: Sequence[Path]) -> None:
    """The default claim of `render_sheet`: refuse to replace a file that is not one of our sheets."""
    for p in paths:
        if (p.exists() or p.is_symlink()) and not (p.is_file() and is_own_sheet(p)):
            raise InputError(
                f"{p} already exists and is not a filmflow contact sheet; "
                "choose another output name or move that file away (roll and project sheet: --force replaces it)."
            )


def _check_pdf(path: Path) -> None:
    """A PDF cut short by a full disk lacks its trailer."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - 64))
        if b"%%EOF" not in f.read():
            raise OSError(f"{path}: the PDF written is incomplete; the disk may be full, free some space.")


def save_pages(images: list[Image.Image], paths: list[Path], kind: str, dpi: int, title: str) -> None:
    if kind == "PDF":
        with atomic_write(paths[0], check=_check_pdf) as f:
            # Title given explicitly: Pillow would take the temp file's name.
            images[0].save(f, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi),
                           quality=JPEG_QUALITY, title=title or paths[0].stem, creator=SHEET_MARK,
                           producer=SHEET_MARK)
        return
    exif = Image.Exif()
    exif[0x0131] = SHEET_MARK  # Software: marks the page as ours, so a re-render may replace it
    for im, path in zip(images, paths):
        with atomic_write(path, check=lambda tmp, shown=path: check_image_file(tmp, shown=shown)) as f:
            if kind == "JPEG":
                im.save(f, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi), exif=exif.tobytes())
            else:
                im.save(f, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi), exif=exif.tobytes())
