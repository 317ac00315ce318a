"""Contact-sheet layout: where every frame of a sheet goes, as pixel rectangles.

Owns the sheet's input values (`SheetFrame`, `SheetHeader`), its geometry (`Box`, `Slot`,
`Strip`, `Page`; papers and page millimetres) and `layout`, a pure function from frames to
pages of film strips: a new strip at every change of roll, each format scaled so that its
full strip fills the page width, 135 six to a strip, 120 per config/formats.toml, sheet
film two to a row. sheet.py paints exactly these rectangles (sheetpaint.py draws them).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filmflow.errors import InputError
from filmflow.stocks import FilmFormat, load_formats

log = logging.getLogger("filmflow.outputs.sheet")  # the sheet's one logger (layout and rendering alike)

PAPERS_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "letter": (215.9, 279.4), "A3": (297.0, 420.0)}
SHEETS_PER_ROW = 2  # sheet film: four 4x5 sheets fit an 8x10 proof, two to a row

# Page geometry in page millimetres.
MARGIN_MM = 10.0
STRIP_GAP_MM = 3.0
TITLE_MM = 6.5
LINE_MM = 3.3
STRIP_LABEL_MM = 4.2
CAPTION_MM = 3.4


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


def check_paper(paper: str, dpi: int) -> tuple[int, int]:
    """The page size in pixels; InputError for an unknown paper or a dpi out of range."""
    key = next((k for k in PAPERS_MM if k.lower() == str(paper).lower()), None)
    if key is None:
        raise InputError(f"unknown paper size {paper!r}; use A4, letter or A3.")
    if not isinstance(dpi, int) or not 72 <= dpi <= 1200:
        raise InputError(f"dpi {dpi!r} is out of range; use a whole number from 72 to 1200 (300 prints well).")
    w_mm, h_mm = PAPERS_MM[key]
    return round(w_mm / 25.4 * dpi), round(h_mm / 25.4 * dpi)


def _roll_groups(frames: Sequence[SheetFrame], formats: dict[str, FilmFormat],
                 aspects: dict[str, float] | None) -> list[tuple[str, FilmFormat, list[int]]]:
    """Consecutive frames grouped by roll as (roll, format, frame indexes); each roll's format resolved once."""
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
    return groups


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
    W, H = check_paper(paper, dpi)
    formats = formats if formats is not None else load_formats()
    mm = dpi / 25.4
    groups = _roll_groups(frames, formats, aspects)
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
