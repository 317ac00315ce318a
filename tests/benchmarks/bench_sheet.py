"""Benchmark contact sheets: a 36-frame 135 roll at A4 300 dpi to PNG/JPEG/PDF, a 200-frame
project sheet, and ImageMagick `montage` doing the plain grid of the same 36 thumbnails.

Run: .venv/bin/python tests/benchmarks/bench_sheet.py   (prints ms; targets from issue #7:
JPEG/PDF < 500 ms, PNG < 1000 ms warm, >= 2.5x faster than montage to the same format).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from filmflow.outputs.sheet import SheetFrame, SheetHeader, render_sheet  # noqa: E402

REPEAT = 3


def make_thumbs(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Photo-like 512 px JPEG thumbnails (shapes + grain, so decode cost is realistic)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        rng = random.Random(seed * 1000 + i)
        size = (341, 512) if i % 9 == 4 else (512, 341)
        im = Image.new("RGB", size, tuple(rng.randrange(30, 220) for _ in range(3)))
        d = ImageDraw.Draw(im)
        for _ in range(15):
            x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(10, 140)
            d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
        im = im.filter(ImageFilter.GaussianBlur(2))
        grain = Image.effect_noise(size, 18).convert("RGB")
        im = Image.blend(im, grain, 0.12)
        p = folder / f"{i + 1:03d}.jpg"
        im.save(p, quality=88)
        out.append(p)
    return out


def timed(fn, repeat: int = REPEAT) -> float:
    """Median wall time of `fn` in ms."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        thumbs = make_thumbs(root / "cache" / "R042", 36)
        marks = {2: "yes", 7: "reject", 11: "yes", 20: "yes"}
        frames = [
            SheetFrame(t, None, str(i + 1), "R042", "135", "KODAK PORTRA 400", pick=marks.get(i, "no"),
                       rating=3 if i == 11 else 0)
            for i, t in enumerate(thumbs)
        ]
        header = SheetHeader("R042 · 서울 산책", ("Kodak Portra 400 · EI 800 (+1)", "135 · developed 2023-05-01",
                                                  "Nikon FM2 · 50mm f/1.4", "Lab: Chungmuro"))
        render_sheet(frames, header, root / "warm.jpg")  # fonts found and loaded, page cache warm

        print("contact sheet, 36-frame 135 roll, A4 300 dpi, warm cache (median of %d)" % REPEAT)
        ours: dict[str, float] = {}
        for ext in ("jpg", "pdf", "png"):
            ms = timed(lambda ext=ext: render_sheet(frames, header, root / f"roll.{ext}"))
            ours[ext] = ms
            size = (root / f"roll.{ext}").stat().st_size / 1e6
            print(f"  filmflow {ext:4s} {ms:7.0f} ms  ({ms / 36:5.1f} ms/frame, {size:.1f} MB)")

        # A 200-frame project: five 36-frame 135 rolls and a 120 roll, strips labelled per roll.
        proj: list[SheetFrame] = []
        for r in range(5):
            for i, t in enumerate(make_thumbs(root / "cache" / f"R{r}", 36, seed=r + 1)):
                proj.append(SheetFrame(t, None, str(i + 1), f"R10{r}", "135", "ILFORD HP5 PLUS",
                                       pick="yes" if i % 11 == 0 else "no"))
        for i, t in enumerate(make_thumbs(root / "cache" / "M1", 20, seed=9)):
            proj.append(SheetFrame(t, None, str(i + 1), "R200", "6x6", "KODAK PORTRA 160"))
        ph = SheetHeader("서울 2023 — a year on foot", ("6 rolls · 200 frames",), strip_labels=True)
        for ext in ("pdf", "jpg"):
            res = render_sheet(proj, ph, root / f"warm-project.{ext}")
            ms = timed(lambda ext=ext: render_sheet(proj, ph, root / f"project.{ext}"), repeat=1)
            print(f"  filmflow project {ext:4s} {ms:7.0f} ms  ({ms / len(proj):5.1f} ms/frame, {res.pages} pages)")

        montage = shutil.which("montage")
        if not montage:
            print("  montage: not installed, skipped (apt-get install imagemagick)")
            return
        # The plain grid of the same thumbnails at about the same frame size: no strips, no text.
        for ext in ("jpg", "png"):
            cmd = [montage, *map(str, thumbs), "-tile", "6x", "-geometry", "354x236+20+20", "-background", "black",
                   str(root / f"montage.{ext}")]
            try:
                ms = timed(lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True))
            except subprocess.CalledProcessError as e:
                print(f"  montage {ext}: failed ({e.stderr.decode(errors='replace').strip()[:120]})")
                continue
            ratio = ms / ours[ext]
            flag = "ok" if ratio >= 2.5 else "BELOW 2.5x TARGET"
            print(f"  montage  {ext:4s} {ms:7.0f} ms  ({ms / 36:5.1f} ms/frame)  "
                  f"filmflow is {ratio:.1f}x faster [{flag}]")
        print("  (Debian's ImageMagick policy refuses PDF output, so montage is timed for jpg/png only)")


if __name__ == "__main__":
    main()
