"""Contact sheets that look like a darkroom proof: `render_sheet` (thumbnails -> JPEG / PNG /
multi-page PDF), the thumbnails it decodes, and the header's texts.

The parts: sheetlayout.py owns `layout` (a pure function: frames -> pages of film strips
with pixel rectangles) and the sheet's values (`SheetFrame`, `SheetHeader`, `Box`, `Page`,
re-exported here); sheetpaint.py paints a page; pencil.py draws the grease pencil;
sheetfile.py writes the files.

Frames sit on black film strips as they lie on the negative: 135 six to a strip with
sprocket holes, 120 with the per-format counts of config/formats.toml and a plain
rebate, sheet film (4x5) as separate sheets, two to a row as on an 8x10 proof. Each
format is scaled so that its full strip fills the page width between the margins, as a
135 or a 120 roll fills an 8x10 proof (so a mixed project sheet is not 1:1 across
formats). Frame numbers ("12 ▸ 12A") and the stock's edge print sit in the rebate;
picks are circled, rejects crossed and ratings starred with a red grease pencil
(seeded, slightly irregular wax strokes, so a re-render gives the same pixels).
`render_sheet` paints exactly the rectangles `layout` returns, so a frame can be found
on the output by its `Slot.box`.

Sheets are built from the cached thumbnails only, each decoded once at the size it is
drawn (JPEG draft mode); a missing thumbnail is rebuilt through the `thumbnailer`
callback, so the archive disk need not be mounted. `.pdf` pages go into one file;
`.jpg`/`.png` sheets longer than a page are written as `name.jpg`, `name-2.jpg`, ...
(sheetfile.py writes them, and refuses to replace a file that is not one of ours).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from filmflow.errors import FilmflowError, InputError
from filmflow.outputs.pencil import Pencil
from filmflow.outputs.sheetfile import SHEET_MARK, is_own_sheet, one_line, refuse_foreign, save_pages  # noqa: F401
from filmflow.outputs.sheetlayout import (PAPERS_MM, Box, Page, SheetFrame, SheetHeader, Slot,  # noqa: F401
                                          Strip, check_paper, layout)
from filmflow.outputs.sheetpaint import LOOKS, PENCIL_MM, STYLES, Look, Painter, mark_page  # noqa: F401
from filmflow.stocks import FilmFormat, load_formats

log = logging.getLogger(__name__)

OUTPUT_KINDS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".pdf": "PDF"}
# Thumbnails shrink by ~0.7x onto a sheet: bicubic is as sharp there as Lanczos, ~1.5x faster.
RESAMPLE = Image.Resampling.BICUBIC

# film-log formats (filmflow/logs readers' names) as a sheet header names them
LOG_FORMAT_NAMES = {"exif-notes-csv": "Exif Notes CSV", "exif-notes-json": "Exif Notes JSON",
                    "lightme-json": "Lightme Logbook JSON", "film-rolls-xml": "Film Rolls XML",
                    "plain-csv": "plain CSV"}


def log_line(formats: Sequence[str | None]) -> str | None:
    """The header line naming the film log(s) the frames' capture data came from (one entry per
    frame, None for a frame without one): 'log: Exif Notes CSV (3 of 5 frames)'; None without a log."""
    logged = [f for f in formats if f]
    if not logged:
        return None
    names = sorted({LOG_FORMAT_NAMES.get(f, f) for f in logged})
    count = "" if len(logged) == len(formats) else f" ({len(logged)} of {len(formats)} frames)"
    return ("log: " if len(names) == 1 else "logs: ") + ", ".join(names) + count


@dataclass(frozen=True, slots=True)
class SheetResult:
    """What was written: the first file, how many pages, how many frames."""

    path: Path
    pages: int
    frames: int
    paths: tuple[Path, ...] = ()  # every file written (a .jpg/.png sheet has one per page)


# --- thumbnails -----------------------------------------------------------------------

_IMAGE_ERRORS = (FilmflowError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def _thumb_source(
    frame: SheetFrame, thumbnailer: Callable[[Path, Path], object] | None
) -> tuple[Path | Image.Image | None, tuple[int, int] | None]:
    """The thumbnail to draw (path, or an image decoded from the scan) and its pixel size."""
    if frame.gap:
        return None, None
    try:
        with Image.open(frame.thumbnail) as im:
            return frame.thumbnail, im.size
    except _IMAGE_ERRORS:
        pass
    if frame.source is None:
        log.warning("thumbnail %s is missing and frame %s/%s has no source; drawn as missing",
                    frame.thumbnail, frame.roll, frame.label)
        return None, None
    try:
        if thumbnailer is not None:
            thumbnailer(frame.source, frame.thumbnail)
            with Image.open(frame.thumbnail) as im:
                return frame.thumbnail, im.size
        # No thumbnailer: decode the scan once, at thumbnail size, for this sheet only.
        with Image.open(frame.source) as im:
            im.draft("RGB", (512, 512))
            im.thumbnail((512, 512), reducing_gap=None)
            im = im.convert("RGB")
        return im, im.size
    except _IMAGE_ERRORS as e:
        log.warning("could not rebuild the thumbnail of %s (%s); frame %s/%s drawn as missing",
                    frame.source, e, frame.roll, frame.label)
        return None, None


def _tile(src: Path | Image.Image, box: Box, frame: SheetFrame | None = None,
          thumbnailer: Callable[[Path, Path], object] | None = None) -> Image.Image | None:
    """Decode `src` once at about the size of `box`, fitted to it (rotated as it lies on the film).

    A cached thumbnail that does not decode (cut short by a full disk) is rebuilt once
    from the scan through `thumbnailer`, so the frame is not drawn missing for ever.
    """
    try:
        if isinstance(src, Path):
            with Image.open(src) as opened:
                return _fit(opened, box, draft=True)
        return _fit(src, box, draft=False)
    except _IMAGE_ERRORS as e:
        if isinstance(src, Path) and frame is not None and frame.source is not None and thumbnailer is not None:
            log.info("thumbnail %s does not decode (%s); rebuilding it from %s", src, e, frame.source)
            try:
                thumbnailer(frame.source, src)
                return _tile(src, box)
            except _IMAGE_ERRORS as e2:
                e = e2
        log.warning("thumbnail %s could not be decoded (%s); drawn as missing", src, e)
        return None


def _fit(im: Image.Image, box: Box, draft: bool) -> Image.Image:
    """Fit a thumbnail to `box`: fill it when the shapes nearly match, else keep it whole."""
    iw, ih = im.size
    rotate = (iw > ih * 1.05 and box.h > box.w * 1.05) or (ih > iw * 1.05 and box.w > box.h * 1.05)
    bw, bh = (box.h, box.w) if rotate else (box.w, box.h)
    if draft:
        im.draft("RGB", (bw, bh))
        iw, ih = im.size
    if im.mode != "RGB":
        im = im.convert("RGB")
    ra, rb = iw / ih, bw / bh
    if abs(ra / rb - 1) <= 0.08:  # near the frame's shape: fill it, trimming a sliver
        if ra > rb:
            cw = ih * rb
            crop = ((iw - cw) / 2, 0, (iw + cw) / 2, ih)
        else:
            ch = iw / rb
            crop = (0, (ih - ch) / 2, iw, (ih + ch) / 2)
        out = im.resize((bw, bh), RESAMPLE, box=crop)
    else:  # a different shape (a crop, a 6x4.5 in a 6x6 layout): keep it whole on black
        k = min(bw / iw, bh / ih)
        out = im.resize((max(1, round(iw * k)), max(1, round(ih * k))), RESAMPLE)
    return out.transpose(Image.Transpose.ROTATE_90) if rotate else out


# --- rendering ------------------------------------------------------------------------

def _clean(frames: Sequence[SheetFrame], header: SheetHeader) -> tuple[list[SheetFrame], SheetHeader]:
    """Frames and header with every drawn text on one line (a title may hold newlines)."""
    import dataclasses

    lines: list[str] = []
    for line in header.lines:
        parts = [one_line(p) for p in str(line).splitlines()]
        if any(parts):
            lines.append(" · ".join(p for p in parts if p))
    header = SheetHeader(one_line(header.title), tuple(lines), header.strip_labels)
    frames = [dataclasses.replace(f, label=one_line(f.label), roll=one_line(f.roll),
                                  edge_print=one_line(f.edge_print) or None, caption=one_line(f.caption) or None)
              for f in frames]
    return frames, header


def _check_output(out: Path) -> str:
    kind = OUTPUT_KINDS.get(out.suffix.lower())
    if kind is None:
        raise InputError(f"cannot write a contact sheet as {out.name!r}; name it .jpg, .png or .pdf.")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it or choose another output path.")
    return kind


def _page_paths(out: Path, pages: int, kind: str) -> list[Path]:
    if kind == "PDF":
        return [out]
    return [out] + [out.with_name(f"{out.stem}-{n}{out.suffix}") for n in range(2, pages + 1)]


def render_sheet(
    frames: Sequence[SheetFrame],
    header: SheetHeader,
    out: Path,
    *,
    paper: str = "A4",
    dpi: int = 300,
    style: str = "dark",
    font: Path | None = None,
    formats: dict[str, FilmFormat] | None = None,
    thumbnailer: Callable[[Path, Path], object] | None = None,
    claim: Callable[[list[Path]], object] | None = refuse_foreign,
) -> SheetResult:
    """Render a contact sheet of `frames` to `out` (.jpg, .png or .pdf) and return what was written.

    A .pdf holds every page; a .jpg/.png longer than one page is written as `out`,
    `out-2`, `out-3`, ... (SheetResult.path is the first, `pages` says how many).
    Once the page count is known, `claim(paths)` is called before anything is written:
    it raises to refuse (default: any existing file that is not one of our sheets), and
    an export uses it to record the pages as its own first. `None` replaces anything.
    """
    out = Path(out)
    kind = _check_output(out)
    check_paper(paper, dpi)
    if style not in LOOKS:
        raise InputError(f"unknown sheet style {style!r}; use dark or light.")
    if not frames:
        what = "project" if header.strip_labels else "roll"
        raise InputError(f"{what} {header.title} has no frames to put on a contact sheet; add frames first.")
    formats = formats if formats is not None else load_formats()
    frames, header = _clean(frames, header)
    sources = [_thumb_source(f, thumbnailer) for f in frames]
    aspects: dict[str, float] = {}
    for f, (_src, size) in zip(frames, sources):
        if size and f.roll not in aspects and (f.format or "") not in formats:
            aspects[f.roll] = max(size) / max(1, min(size))
    pages = layout(frames, header, paper, dpi, formats, aspects=aspects)
    paths = _page_paths(out, len(pages), kind)
    if claim is not None:
        claim(paths)
    images = _paint(pages, frames, header, sources, LOOKS[style], font, dpi, formats, thumbnailer)
    save_pages(images, paths, kind, dpi, header.title)
    n = sum(not f.gap for f in frames)
    log.info("wrote contact sheet %s (%d pages, %d frames)", out, len(images), n)
    return SheetResult(out, len(images), n, tuple(paths))


def _paint(pages: list[Page], frames: Sequence[SheetFrame], header: SheetHeader,
           sources: list[tuple[Path | Image.Image | None, tuple[int, int] | None]], look: Look,
           font: Path | None, dpi: int, formats: dict[str, FilmFormat],
           thumbnailer: Callable[[Path, Path], object] | None) -> list[Image.Image]:
    """Every page painted: strips, header, thumbnails (decoded on a second thread) and pencil marks."""
    texts = _texts(frames, header, formats)
    summary, circle = _summary(frames)
    images: list[Image.Image] = []
    with ThreadPoolExecutor(max_workers=2) as pool:  # decode+resize release the GIL
        for page in pages:
            # Decode this page's thumbnails while the film, holes and text are drawn.
            slots = [slot for strip in page.strips for slot in strip.slots]
            tiles = pool.map(lambda sl: _tile(sources[sl.index][0], sl.box, frames[sl.index], thumbnailer)
                             if sources[sl.index][0] else None, slots)
            painter = Painter(page, look, texts, font, dpi)
            painter.header(header, len(pages), summary)
            for strip in page.strips:
                painter.strip(strip, frames, header.strip_labels)
            for slot, tile in zip(slots, tiles):
                painter.frame(slot, tile, frames[slot.index].gap)
            mark_page(Pencil(painter.img, look.pencil, dpi, PENCIL_MM), page, frames, circle)
            images.append(painter.img)
    return images


def _texts(frames: Sequence[SheetFrame], header: SheetHeader, formats: dict[str, FilmFormat]) -> dict[str, str]:
    """Text group -> all the text drawn in it: one font per group, so an odd character in a
    caption cannot cost the title its font."""
    return {
        "header": " ".join([header.title, *header.lines,
                            "continued page 0123456789 frames picked rejected without a scan ·…"]),
        "small": " ".join(sorted({f.roll for f in frames} | {f.caption or "" for f in frames}))
        + " missing no scan · … " + " ".join(formats),
        "edge": " ".join(sorted({f.edge_print or "" for f in frames} | {f.label + "A" for f in frames})),
    }


def _summary(frames: Sequence[SheetFrame]) -> tuple[str, bool]:
    """The header's count ('12 frames · 3 picked · 1 without a scan') and whether to circle
    picks (not when every frame is picked: circling them all says nothing)."""
    picks = sum(f.pick == "yes" for f in frames)
    rejects = sum(f.pick == "reject" for f in frames)
    gaps = sum(f.gap for f in frames)
    summary = f"{len(frames) - gaps} frames" + (f" · {picks} picked" if picks else "") + (
        f" · {rejects} rejected" if rejects else "") + (f" · {gaps} without a scan" if gaps else "")
    return summary, picks < len(frames) - gaps
