"""The files beside the frames: the gallery (index.html), the Markdown post in its
--post layout, and the contact sheet's pages. Each is (re)made from the frame entries,
and only files an export recorded as its own are ever replaced or removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filmflow.errors import FilmflowError, InputError
from filmflow.export.files import GALLERY, SHEET, SHEET_PAGE, remove_own, write_if_changed
from filmflow.export.manifest import IntentLog
from filmflow.export.settings import ExportSettings
from filmflow.outputs import gallery


@dataclass(frozen=True, slots=True)
class Page:
    """What the gallery and the post show: the export folder, its title, description and frames."""

    out: Path
    title: str
    description: str | None
    frames: list[dict]


def write_gallery(page: Page, settings: ExportSettings, owned: set[str], files: list[str],
                  removed: list[str]) -> Path | None:
    """index.html when the settings want a gallery and there are frames; else our old one goes."""
    if settings.gallery and page.frames:
        path = page.out / GALLERY
        write_if_changed(path, gallery.render_gallery(page.title, page.description, page.frames,
                                                      settings.language).encode())
        files.append(GALLERY)
        return path
    if GALLERY in owned and remove_own(page.out, GALLERY):
        removed.append(GALLERY)
    return None


def write_post(page: Page, settings: ExportSettings, post_file: str, day: str, owned: set[str],
               files: list[str], removed: list[str]) -> Path:
    """The post in its layout; the post of another --post layout, if ours, goes."""
    path = page.out / post_file
    path.parent.mkdir(exist_ok=True)
    write_if_changed(path, gallery.render_post(page.title, page.description, day, page.frames,
                                               settings.post, page.out.name).encode())
    files.append(post_file)
    for stale in sorted(n for n in owned if gallery.is_post_name(n) and n != post_file):
        if remove_own(page.out, stale):
            removed.append(stale)
    return path


def write_sheet(out: Path, owned: set[str], old: dict, frames_doc: list[dict], set_changed: bool,
                make_sheet: Callable[..., object] | None, intent: IntentLog,
                failed: list[dict], removed: list[str]) -> tuple[Path | None, list[str]]:
    """Make (or keep) the contact sheet and its pages; remove our pages it no longer has.

    Returns (first page or None, names of every page now ours). A page is written only
    where no file stands that filmflow did not record as its own.
    """
    before = [n for n in old.get("sheet_pages") or [SHEET] if isinstance(n, str) and SHEET_PAGE.fullmatch(n)]
    pages = [n for n in before if n in owned and (out / n).is_file()]
    if frames_doc and make_sheet is not None and (set_changed or SHEET not in pages or pages != before):
        def claim(paths: list[Path]) -> None:
            names = [p.name for p in paths]
            foreign = [n for n in names if n not in owned and ((out / n).exists() or (out / n).is_symlink())]
            if foreign:
                raise InputError(f"{out / foreign[0]} was not written by a filmflow export of this project; "
                                 "move it away (or rename it) and export again to get the contact sheet.")
            owned.update(names)  # recorded as ours before a byte is written
            intent.claim(names)

        try:
            result = make_sheet(out / SHEET, claim)
            pages = [Path(p).name for p in (getattr(result, "paths", ()) or (out / SHEET,))]
        except (FilmflowError, OSError) as e:
            failed.append({"file": str(out / SHEET), "ref": None, "error": str(e)})
            pages = [n for n in pages if (out / n).is_file()]
    elif not frames_doc:
        pages = []
    for stale in sorted(n for n in owned if SHEET_PAGE.fullmatch(n) and n not in pages):
        if remove_own(out, stale):
            removed.append(stale)
    return (out / SHEET if SHEET in pages else None), pages
