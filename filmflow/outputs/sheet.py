"""Contact sheets that look like a darkroom proof: layout per film format and rendering.

Owns `layout` (a pure function: frames -> pages of film strips with pixel rectangles)
and `render_sheet` (thumbnails -> JPEG / PNG / multi-page PDF).

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
import math
import random
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from filmflow.outputs import fonts
from filmflow.outputs.pencil import Pencil
from filmflow.errors import FilmflowError, InputError
from filmflow.outputs.sheetfile import SHEET_MARK, is_own_sheet, one_line, refuse_foreign, save_pages  # noqa: F401
from filmflow.stocks import FilmFormat, load_formats

log = logging.getLogger(__name__)

PAPERS_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "letter": (215.9, 279.4), "A3": (297.0, 420.0)}
OUTPUT_KINDS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".pdf": "PDF"}
STYLES = ("dark", "light")
SHEETS_PER_ROW = 2  # sheet film: four 4x5 sheets fit an 8x10 proof, two to a row
# Thumbnails shrink by ~0.7x onto a sheet: bicubic is as sharp there as Lanczos, ~1.5x faster.
RESAMPLE = Image.Resampling.BICUBIC

# Page geometry in page millimetres.
MARGIN_MM = 10.0
STRIP_GAP_MM = 3.0
TITLE_MM = 6.5
LINE_MM = 3.3
STRIP_LABEL_MM = 4.2
CAPTION_MM = 3.4
PENCIL_MM = 1.1


@dataclass(frozen=True, slots=True)
class SheetFrame:
    """One frame to put on a sheet (thumbnail from the cache; source only to rebuild it)."""

    thumbnail: Path
    source: Path | None
    label: str
    roll: str
    format: str | None
    edge_print: str | None
    pick: str = "no"
    rating: int = 0
    caption: str | None = None
    gap: bool = False  # a frame number with no scan (it failed or is missing): drawn empty, labelled


@dataclass(frozen=True, slots=True)
class SheetHeader:
    """The header: a title, detail lines, and (project sheets) a roll label on each strip."""

    title: str
    lines: tuple[str, ...] = ()
    strip_labels: bool = False


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


@dataclass(frozen=True, slots=True)
class Box:
    """A pixel rectangle, x1/y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[int, int]:
        return (self.x0 + self.x1) // 2, (self.y0 + self.y1) // 2


@dataclass(frozen=True, slots=True)
class Slot:
    """Where frame `frames[index]` goes: `box` is the image area, `cell` its piece of the strip."""

    index: int
    box: Box
    cell: Box


@dataclass(frozen=True, slots=True)
class Strip:
    """One strip of film (or a row of sheets, each in `pieces`) at `px_per_mm` pixels per film mm."""

    box: Box
    fmt: FilmFormat
    roll: str
    slots: tuple[Slot, ...]
    pieces: tuple[Box, ...]
    px_per_mm: float
    label_box: Box | None = None
    caption_box: Box | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its pixel size, header area (full on page 1) and strips."""

    number: int
    size: tuple[int, int]
    header: Box
    full_header: bool
    strips: tuple[Strip, ...]


@dataclass(frozen=True, slots=True)
class _Look:
    paper: tuple[int, int, int]
    film: tuple[int, int, int]
    hole: tuple[int, int, int]
    edge: tuple[int, int, int]
    title: tuple[int, int, int]
    text: tuple[int, int, int]
    missing: tuple[int, int, int]
    pencil: tuple[int, int, int]


LOOKS = {
    # Whole page exposed to black, orange edge print as on a lightbox, red china marker.
    "dark": _Look((24, 23, 22), (5, 5, 5), (196, 190, 178), (243, 146, 46), (236, 233, 226), (160, 156, 148),
                  (46, 46, 46), (232, 44, 36)),
    # A paper proof: white paper, black strips, pale edge print, red grease pencil.
    "light": _Look((248, 247, 243), (8, 8, 8), (248, 247, 243), (222, 216, 204), (20, 20, 20), (88, 86, 82),
                   (58, 58, 58), (206, 28, 30)),
}


def _gap_mm(fmt: FilmFormat) -> float:
    """Unexposed film between two frames (sheets: the space between two sheets)."""
    if fmt.rebate == "sprockets":
        return fmt.frame_w / 18.0  # 135: 38 mm pitch for 36 mm frames, half frame 19 mm
    if fmt.rebate == "sheet":
        return 6.0
    return 4.0


def _per_row(fmt: FilmFormat) -> int:
    return SHEETS_PER_ROW if fmt.rebate == "sheet" else max(1, fmt.frames_per_strip)


def _piece_mm(fmt: FilmFormat) -> float:
    """Length of one sheet of sheet film (image plus its border on both ends)."""
    return fmt.frame_w + max(0.0, fmt.film_width - fmt.frame_h)


def _length_mm(fmt: FilmFormat, n: int) -> float:
    """Length along the page of a strip (or row of sheets) holding `n` frames."""
    if fmt.rebate == "sheet":
        return n * _piece_mm(fmt) + (n - 1) * _gap_mm(fmt)
    return n * (fmt.frame_w + _gap_mm(fmt))


def _default_format(
    roll: str, declared: str | None, aspect: float | None, formats: dict[str, FilmFormat]
) -> FilmFormat:
    name = "135" if aspect is None or 1.4 <= aspect <= 1.6 else "6x6"
    fmt = formats.get(name) or next(iter(formats.values()))
    log.warning("roll %s has no known film format (%r); laying it out as %s", roll, declared, fmt.name)
    return fmt


def _check_paper(paper: str, dpi: int) -> tuple[int, int]:
    key = next((k for k in PAPERS_MM if k.lower() == str(paper).lower()), None)
    if key is None:
        raise InputError(f"unknown paper size {paper!r}; use A4, letter or A3.")
    if not isinstance(dpi, int) or not 72 <= dpi <= 1200:
        raise InputError(f"dpi {dpi!r} is out of range; use a whole number from 72 to 1200 (300 prints well).")
    w_mm, h_mm = PAPERS_MM[key]
    return round(w_mm / 25.4 * dpi), round(h_mm / 25.4 * dpi)


def layout(
    frames: Sequence[SheetFrame],
    header: SheetHeader,
    paper: str = "A4",
    dpi: int = 300,
    formats: dict[str, FilmFormat] | None = None,
    *,
    aspects: dict[str, float] | None = None,
) -> list[Page]:
    """Lay frames out on strips and pages; pure apart from a warning for an unknown format.

    A new strip starts at every change of roll. `aspects` (long/short side of a roll's
    thumbnails) picks the layout of a roll whose format is unknown: 135 near 1.5, else 6x6.
    """
    W, H = _check_paper(paper, dpi)
    formats = formats if formats is not None else load_formats()
    mm = dpi / 25.4
    # Group consecutive frames by roll; resolve each roll's format once.
    groups: list[tuple[str, FilmFormat, list[int]]] = []
    resolved: dict[tuple[str, str | None], FilmFormat] = {}
    for i, f in enumerate(frames):
        key = (f.roll, f.format)
        if key not in resolved:
            resolved[key] = formats.get(f.format or "") or _default_format(
                f.roll, f.format, (aspects or {}).get(f.roll), formats
            )
        if groups and groups[-1][0] == f.roll and groups[-1][1] is resolved[key]:
            groups[-1][2].append(i)
        else:
            groups.append((f.roll, resolved[key], [i]))
    if not groups:
        return []
    usable_w = W - 2 * MARGIN_MM * mm
    x_left = MARGIN_MM * mm

    n_lines = len(header.lines)
    rows = n_lines if n_lines <= 3 else math.ceil(n_lines / 2)
    full_h = (TITLE_MM * 1.45 + rows * LINE_MM * 1.5 + 3.0) * mm
    short_h = (LINE_MM * 1.6 + 2.0) * mm
    top, bottom = MARGIN_MM * mm, H - MARGIN_MM * mm

    pages: list[Page] = []
    cur: list[Strip] = []
    y = top + full_h

    def close_page() -> None:
        first = not pages
        hdr = Box(round(x_left), round(top), round(W - x_left), round(top + (full_h if first else short_h)))
        pages.append(Page(len(pages) + 1, (W, H), hdr, first, tuple(cur)))

    for roll, fmt, idxs in groups:
        k = _per_row(fmt)
        s = usable_w / _length_mm(fmt, k)  # pixels per film mm: a full strip fills the page width
        for start in range(0, len(idxs), k):
            chunk = idxs[start : start + k]
            film_h = fmt.film_width * s
            label_h = STRIP_LABEL_MM * mm if header.strip_labels else 0.0
            cap_h = CAPTION_MM * mm if any(frames[i].caption for i in chunk) else 0.0
            need = label_h + film_h + cap_h
            if cur and y + need > bottom:
                close_page()
                cur = []
                y = top + short_h
            strip = _strip(fmt, roll, chunk, x_left, y + label_h, s)
            label_box = Box(strip.box.x0, round(y), strip.box.x1, strip.box.y0) if label_h else None
            cap_box = Box(strip.box.x0, strip.box.y1, strip.box.x1, round(strip.box.y1 + cap_h)) if cap_h else None
            cur.append(Strip(strip.box, fmt, roll, strip.slots, strip.pieces, s, label_box, cap_box))
            y += need + STRIP_GAP_MM * mm
    close_page()
    return pages


def _strip(fmt: FilmFormat, roll: str, idxs: list[int], x: float, y: float, s: float) -> Strip:
    gap = _gap_mm(fmt)
    film_h = fmt.film_width * s
    box = Box(round(x), round(y), round(x + _length_mm(fmt, len(idxs)) * s), round(y + film_h))
    slots: list[Slot] = []
    pieces: list[Box] = []
    fy0 = y + (fmt.film_width - fmt.frame_h) / 2 * s
    for n, i in enumerate(idxs):
        if fmt.rebate == "sheet":
            px = x + n * (_piece_mm(fmt) + gap) * s
            cell = Box(round(px), box.y0, round(px + _piece_mm(fmt) * s), box.y1)
            pieces.append(cell)
            fx0 = px + (_piece_mm(fmt) - fmt.frame_w) / 2 * s
        else:
            px = x + n * (fmt.frame_w + gap) * s
            cell = Box(round(px), box.y0, round(px + (fmt.frame_w + gap) * s), box.y1)
            fx0 = px + gap / 2 * s
        img = Box(round(fx0), round(fy0), round(fx0 + fmt.frame_w * s), round(fy0 + fmt.frame_h * s))
        slots.append(Slot(i, img, cell))
    return Strip(box, fmt, roll, tuple(slots), tuple(pieces) if pieces else (box,), s)


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


# --- drawing --------------------------------------------------------------------------


class _Painter:
    """Draws one page on one RGB canvas."""

    def __init__(self, page: Page, look: _Look, texts: dict[str, str], font: Path | None, dpi: int):
        self.page, self.look, self.mm = page, look, dpi / 25.4
        self.img = Image.new("RGB", page.size, look.paper)
        self.draw = ImageDraw.Draw(self.img)
        self.font = font
        self.texts = texts  # text group -> all the text drawn in it (one font must cover it)
        self._hole_rows: dict[tuple[int, float], Image.Image] = {}

    def _font(self, size_px: float, group: str, bold: bool = False) -> fonts.Font:
        return fonts.load_font(self.texts[group], max(6, round(size_px)), self.font, bold)

    def _fit_text(self, text: str, font: fonts.Font, max_w: float) -> str:
        if self.draw.textlength(text, font=font) <= max_w:
            return text
        while text and self.draw.textlength(text + "…", font=font) > max_w:
            text = text[:-1]
        return text + "…" if text else ""

    def header(self, header: SheetHeader, pages: int, summary: str) -> None:
        b, mm, d = self.page.header, self.mm, self.draw
        small = self._font(LINE_MM * mm, "header")
        right = f"{summary} · page {self.page.number}/{pages}" if pages > 1 else summary
        if not self.page.full_header:
            d.text((b.x0, b.y0), self._fit_text(f"{header.title} (continued)", small, b.w * 0.6), font=small,
                   fill=self.look.title, anchor="la")
            d.text((b.x1, b.y0), right, font=small, fill=self.look.text, anchor="ra")
            return
        title = self._font(TITLE_MM * mm, "header", bold=True)
        d.text((b.x0, b.y0), self._fit_text(header.title, title, b.w * 0.72), font=title, fill=self.look.title,
               anchor="la")
        d.text((b.x1, b.y0 + TITLE_MM * mm * 0.35), right, font=small, fill=self.look.text, anchor="ra")
        y0 = b.y0 + TITLE_MM * mm * 1.45
        lines = header.lines
        cols = 1 if len(lines) <= 3 else 2
        rows = math.ceil(len(lines) / cols) if lines else 0
        col_w = b.w / cols
        for n, line in enumerate(lines):
            c, r = divmod(n, rows)
            d.text((b.x0 + c * col_w, y0 + r * LINE_MM * mm * 1.5), self._fit_text(line, small, col_w - 2 * mm),
                   font=small, fill=self.look.text, anchor="la")

    def strip(self, strip: Strip, frames: Sequence[SheetFrame], labels: bool) -> None:
        d, look, s = self.draw, self.look, strip.px_per_mm
        for piece in strip.pieces:
            d.rectangle((piece.x0, piece.y0, piece.x1 - 1, piece.y1 - 1), fill=look.film)
        fmt = strip.fmt
        rebate = (fmt.film_width - fmt.frame_h) / 2  # film mm on each side of the frames
        if fmt.rebate == "sprockets":
            self._sprockets(strip)
            band = (0.35, 1.85)  # film mm from the edge: edge print outside the holes
        elif fmt.rebate == "sheet":
            band = (0.4, rebate - 0.5)
            self._notches(strip)
        else:
            band = (0.3, rebate - 0.3)
        size = (band[1] - band[0]) * s * 0.78
        efont = self._font(size, "edge", bold=True)
        top_y = strip.box.y0 + (band[0] + band[1]) / 2 * s
        bot_y = strip.box.y1 - (band[0] + band[1]) / 2 * s
        for n, slot in enumerate(strip.slots):
            f = frames[slot.index]
            cx = slot.box.center[0]
            if f.edge_print and (n % 2 == 0 or fmt.rebate != "sprockets"):
                x = slot.box.x0 + 1.5 * s
                d.text((x, top_y), self._fit_text(f.edge_print, efont, slot.cell.x1 + slot.cell.w - x),
                       font=efont, fill=look.edge, anchor="lm")
            self._arrow_label(cx, bot_y, f.label, efont, size, arrow=fmt.rebate == "sprockets")
            if f.label.isdigit() and fmt.rebate == "sprockets" and fmt.frame_w >= 30:
                ax = slot.cell.x1
                if ax + 4 * s < strip.box.x1:
                    self._arrow_label(ax, bot_y, f.label + "A", efont, size, arrow=True)
        if labels and strip.label_box is not None:
            lb = strip.label_box
            lf = self._font(lb.h * 0.62, "small", bold=True)
            first = self._first_of_roll(strip, frames)
            d.text((lb.x0, lb.y1 - 0.6 * self.mm), f"{strip.roll}  ·  {fmt.name}", font=lf,
                   fill=look.title if first else look.text, anchor="ld")
        if strip.caption_box is not None:
            cf = self._font(strip.caption_box.h * 0.6, "small")
            for slot in strip.slots:
                cap = frames[slot.index].caption
                if cap:
                    d.text((slot.box.center[0], strip.caption_box.y0 + 0.4 * self.mm),
                           self._fit_text(cap, cf, slot.cell.w * 0.96), font=cf, fill=look.text, anchor="ma")

    @staticmethod
    def _first_of_roll(strip: Strip, frames: Sequence[SheetFrame]) -> bool:
        i = strip.slots[0].index
        return i == 0 or frames[i - 1].roll != strip.roll

    def _arrow_label(self, cx: float, cy: float, text: str, font: fonts.Font, size: float, arrow: bool) -> None:
        tw = self.draw.textlength(text, font=font)
        if arrow:
            a = size * 0.62
            gap = size * 0.3
            x0 = cx - (tw + a + gap) / 2
            self.draw.polygon([(x0, cy - a / 2), (x0 + a * 0.9, cy), (x0, cy + a / 2)], fill=self.look.edge)
            self.draw.text((x0 + a + gap, cy), text, font=font, fill=self.look.edge, anchor="lm")
        else:
            self.draw.text((cx, cy), text, font=font, fill=self.look.edge, anchor="mm")

    def _sprockets(self, strip: Strip) -> None:
        s, box = strip.px_per_mm, strip.box
        pitch, hw, hh, edge = 4.75, 1.98, 2.79, 2.0  # KS-1870 perforations, film mm
        key = (box.w, s)
        row = self._hole_rows.get(key)
        if row is None:  # one row of holes per strip length, pasted twice per strip
            row = Image.new("L", (box.w, round(hh * s) + 1), 0)
            d = ImageDraw.Draw(row)
            r = max(1, round(0.45 * s))
            for k in range(int(box.w / (pitch * s))):
                x = (k * pitch + (pitch - hw) / 2) * s
                d.rounded_rectangle((round(x), 0, round(x + hw * s), round(hh * s)), r, fill=255)
            self._hole_rows[key] = row
        for y in (box.y0 + edge * s, box.y1 - (edge + hh) * s):
            self.img.paste(self.look.hole, (box.x0, round(y), box.x0 + row.width, round(y) + row.height), row)

    def _notches(self, strip: Strip) -> None:
        s = strip.px_per_mm
        for piece in strip.pieces:  # the notch code a sheet film carries in one corner
            for k, shape in enumerate(("v", "u", "v")):
                x = piece.x1 - (6 + 3.2 * k) * s
                y = piece.y0
                if shape == "v":
                    pts = [(x - 1.1 * s, y), (x + 1.1 * s, y), (x, y + 1.8 * s)]
                    self.draw.polygon(pts, fill=self.look.paper)
                else:
                    self.draw.rounded_rectangle((x - 0.9 * s, y - s, x + 0.9 * s, y + 1.6 * s), round(0.8 * s),
                                                fill=self.look.paper)

    def frame(self, slot: Slot, tile: Image.Image | None, gap: bool = False) -> None:
        b = slot.box
        if tile is None:
            self.draw.rectangle((b.x0, b.y0, b.x1 - 1, b.y1 - 1), fill=self.look.missing)
            f = self._font(min(b.h * 0.12, 4 * self.mm), "small")
            self.draw.text(b.center, "no scan" if gap else "missing", font=f, fill=(150, 150, 150), anchor="mm")
            return
        self.img.paste(tile, (b.x0 + (b.w - tile.width) // 2, b.y0 + (b.h - tile.height) // 2))


def _seed(frame: SheetFrame) -> random.Random:
    return random.Random(zlib.crc32(f"{frame.roll}/{frame.label}/{frame.thumbnail.name}".encode()))


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
    _check_paper(paper, dpi)
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
    look = LOOKS[style]
    texts = _texts(frames, header, formats)
    summary, circle = _summary(frames)
    images: list[Image.Image] = []
    with ThreadPoolExecutor(max_workers=2) as pool:  # decode+resize release the GIL
        for page in pages:
            # Decode this page's thumbnails while the film, holes and text are drawn.
            slots = [slot for strip in page.strips for slot in strip.slots]
            tiles = pool.map(lambda sl: _tile(sources[sl.index][0], sl.box, frames[sl.index], thumbnailer)
                             if sources[sl.index][0] else None, slots)
            painter = _Painter(page, look, texts, font, dpi)
            painter.header(header, len(pages), summary)
            for strip in page.strips:
                painter.strip(strip, frames, header.strip_labels)
            for slot, tile in zip(slots, tiles):
                painter.frame(slot, tile, frames[slot.index].gap)
            _mark(Pencil(painter.img, look.pencil, dpi, PENCIL_MM), page, frames, circle)
            images.append(painter.img)
    save_pages(images, paths, kind, dpi, header.title)
    n = sum(not f.gap for f in frames)
    log.info("wrote contact sheet %s (%d pages, %d frames)", out, len(images), n)
    return SheetResult(out, len(images), n, tuple(paths))


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


def _mark(pencil: Pencil, page: Page, frames: Sequence[SheetFrame], circle: bool) -> None:
    """Grease pencil on one page: every mark stays inside its frame's image area, so it
    never reaches the next frame nor the edge numbers in the rebate."""
    for strip in page.strips:
        for slot in strip.slots:
            f = frames[slot.index]
            rng = _seed(f)
            if f.pick == "yes" and circle:
                pencil.circle(slot.box, rng)
            elif f.pick == "reject":
                pencil.cross(slot.box, rng)
            if f.rating > 0:
                pencil.stars(slot.box, f.rating, rng)
