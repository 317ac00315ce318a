"""Painting one contact-sheet page: the style's colours, film strips with their sprocket holes
or sheet-film notches, edge print and frame numbers, header, captions, thumbnails, and the
grease-pencil marks (pencil.py draws the strokes).

`Painter` draws exactly the rectangles sheetlayout.py computed; sheet.py decodes the
thumbnails and writes the pages.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from filmflow.outputs import fonts
from filmflow.outputs.pencil import Pencil
from filmflow.outputs.sheetlayout import LINE_MM, TITLE_MM, Page, SheetFrame, SheetHeader, Slot, Strip

STYLES = ("dark", "light")
PENCIL_MM = 1.1


@dataclass(frozen=True, slots=True)
class Look:
    """A sheet style's colours (RGB)."""

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
    "dark": Look((24, 23, 22), (5, 5, 5), (196, 190, 178), (243, 146, 46), (236, 233, 226), (160, 156, 148),
                  (46, 46, 46), (232, 44, 36)),
    # A paper proof: white paper, black strips, pale edge print, red grease pencil.
    "light": Look((248, 247, 243), (8, 8, 8), (248, 247, 243), (222, 216, 204), (20, 20, 20), (88, 86, 82),
                   (58, 58, 58), (206, 28, 30)),
}


class Painter:
    """Draws one page on one RGB canvas."""

    def __init__(self, page: Page, look: Look, texts: dict[str, str], font: Path | None, dpi: int):
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


def mark_page(pencil: Pencil, page: Page, frames: Sequence[SheetFrame], circle: bool) -> None:
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
