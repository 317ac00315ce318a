"""The grease pencil of a contact sheet: circles for picks, crosses for rejects, stars for
ratings, drawn as slightly irregular, waxy, tapered strokes (seeded, so a sheet renders
to the same pixels every time). Boxes are sheetlayout.Box-like: x0, y0, x1, y1, w, h, center.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from PIL import Image, ImageChops, ImageDraw, ImageFilter

if TYPE_CHECKING:
    from filmflow.outputs.sheetlayout import Box


class Pencil:
    """Slightly irregular, waxy, tapered strokes, seeded per frame."""

    def __init__(self, canvas: Image.Image, colour: tuple[int, int, int], dpi: int, stroke_mm: float = 1.1):
        self.canvas, self.colour = canvas, colour
        self.px_per_page_mm = dpi / 25.4
        self.width = max(2, round(stroke_mm * self.px_per_page_mm))
        self._grain: Image.Image | None = None

    def grain(self, w: int, h: int) -> Image.Image:
        if self._grain is None or self._grain.width < w or self._grain.height < h:
            gw, gh = max(w, 256), max(h, 256)
            # Seeded (not Image.effect_noise) so the same sheet renders to the same pixels.
            noise = Image.frombytes("L", (gw, gh), random.Random(7).randbytes(gw * gh))
            noise = noise.filter(ImageFilter.GaussianBlur(0.8))
            # Mostly opaque with paler flecks where the wax skipped on the paper grain.
            self._grain = noise.point(lambda v: 255 if v > 118 else max(80, 255 - (118 - v) * 6))
        return self._grain

    def stroke(self, pts: list[tuple[float, float]], rng: random.Random, width: float | None = None) -> None:
        """Drag the pencil through `pts`: pressure rises, wavers and lifts; wax skips on the grain."""
        w = width or self.width
        pad = int(w) + 2
        x0 = max(0, int(min(p[0] for p in pts)) - pad)
        y0 = max(0, int(min(p[1] for p in pts)) - pad)
        x1 = min(self.canvas.width, int(max(p[0] for p in pts)) + pad)
        y1 = min(self.canvas.height, int(max(p[1] for p in pts)) + pad)
        if x1 <= x0 or y1 <= y0:
            return
        mask = Image.new("L", (x1 - x0, y1 - y0), 0)
        d = ImageDraw.Draw(mask)
        step = max(1.0, w / 4)  # stamp spacing: dense enough for a smooth edge
        stamps: list[tuple[float, float]] = []
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            n = max(1, int(math.hypot(bx - ax, by - ay) / step))
            stamps.extend((ax + (bx - ax) * k / n - x0, ay + (by - ay) * k / n - y0) for k in range(n))
        stamps.append((pts[-1][0] - x0, pts[-1][1] - y0))
        total = len(stamps)
        ph, fq = rng.uniform(0, 6.3), rng.uniform(2.0, 4.0)
        for k, (x, y) in enumerate(stamps):
            t = k / max(1, total - 1)
            ends = min(1.0, t / 0.07, (1 - t) / 0.12)  # press in quickly, lift off slowly
            r = w / 2 * (0.3 + 0.7 * ends) * (0.88 + 0.12 * math.sin(fq * math.tau * t + ph))
            d.ellipse((x - r, y - r, x + r, y + r), fill=255)
        g = self.grain(mask.width, mask.height)
        gx, gy = rng.randrange(0, g.width - mask.width + 1), rng.randrange(0, g.height - mask.height + 1)
        mask = ImageChops.multiply(mask, g.crop((gx, gy, gx + mask.width, gy + mask.height)))
        self.canvas.paste(self.colour, (x0, y0, x1, y1), mask)

    def circle(self, box: Box, rng: random.Random) -> None:
        """A loop just inside `box`: with its wobble, overshoot and stroke width it never leaves it."""
        inset = self.width * 0.6 + 1
        k = 1.08 * 1.001  # the largest wobble below, with the tilt
        cx = box.center[0] + rng.uniform(-0.01, 0.01) * box.w
        cy = box.center[1] + rng.uniform(-0.01, 0.01) * box.h
        rx = max(1.0, (box.w / 2 - inset - abs(cx - box.center[0])) / k)
        ry = max(1.0, (box.h / 2 - inset - abs(cy - box.center[1])) / k)
        tilt = rng.uniform(-0.02, 0.02) * min(rx, ry) / max(rx, ry)
        a0 = rng.uniform(0, 2 * math.pi)
        sweep = (2 * math.pi + rng.uniform(0.3, 0.6)) * rng.choice((1, -1))
        p1, p2 = rng.uniform(0, 6.3), rng.uniform(0, 6.3)
        pts = []
        n = 120
        for i in range(n + 1):
            t = i / n
            a = a0 + sweep * t
            wob = 1 + 0.022 * math.sin(2 * a + p1) + 0.01 * math.sin(5 * a + p2) + 0.05 * (t - 0.5)
            ex, ey = rx * wob * math.cos(a), ry * wob * math.sin(a)
            pts.append((cx + ex * math.cos(tilt) - ey * math.sin(tilt), cy + ex * math.sin(tilt) + ey * math.cos(tilt)))
        self.stroke(pts, rng)

    def cross(self, box: Box, rng: random.Random) -> None:
        """Two strokes corner to corner, ending just inside `box` (off the rebate's numbers)."""
        e = 0.04 * min(box.w, box.h)
        i = self.width * 0.6 + 1 + 0.05 * min(box.w, box.h)  # room for the bow and the stroke
        x0, y0, x1, y1 = box.x0 + i, box.y0 + i, box.x1 - i, box.y1 - i
        for (ax, ay), (bx, by) in (((x0, y0), (x1, y1)), ((x1, y0), (x0, y1))):
            sx, sy = (1 if bx > ax else -1), (1 if by > ay else -1)
            ax, ay = ax + sx * rng.uniform(0, 1.5) * e, ay + sy * rng.uniform(0, 1.5) * e
            bx, by = bx - sx * rng.uniform(0, 1.5) * e, by - sy * rng.uniform(0, 1.5) * e
            length = math.hypot(bx - ax, by - ay)
            nx, ny = -(by - ay) / length, (bx - ax) / length
            bow = rng.uniform(-0.04, 0.04) * length
            pts = []
            for i in range(41):
                t = i / 40
                b = 4 * t * (1 - t) * bow + math.sin(t * 9 + bow) * 0.002 * length
                pts.append((ax + (bx - ax) * t + nx * b, ay + (by - ay) * t + ny * b))
            self.stroke(pts, rng)

    def stars(self, box: Box, rating: int, rng: random.Random) -> None:
        r = min(box.h * 0.1, box.w * 0.075, 3.0 * self.px_per_page_mm)
        step = r * 2.3
        x = box.x1 - r * 1.5
        y = box.y1 - r * 1.5
        for _ in range(max(0, min(5, rating))):
            rot = rng.uniform(-0.25, 0.25) - math.pi / 2
            pts = []
            for k in (0, 2, 4, 1, 3, 0, 2):
                a = rot + k * 2 * math.pi / 5
                rr = r * rng.uniform(0.9, 1.1)
                pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
            self.stroke(pts[:6] + [(pts[0][0] * 0.7 + pts[6][0] * 0.3, pts[0][1] * 0.7 + pts[6][1] * 0.3)], rng,
                        width=max(2, self.width * 0.6))
            x -= step
