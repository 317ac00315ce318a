"""Benchmark: project export at 2048 px against vipsthumbnail and ImageMagick, in one run.

    .venv/bin/python tests/benchmarks/bench_export.py [--jpegs 36] [--tiffs 6] [--im-frames 6] [--keep DIR]

Inputs (made once, with film-like grain): lab JPEGs 6000x4000 q95 and 16-bit RGB TIFFs
5400x3600 with an Adobe RGB profile. Targets (issue #6): per JPEG frame within 1.3x of
`vipsthumbnail --size 2048` (colour conversion included), per TIFF within 1.5x; >= 3x
faster than ImageMagick `convert -resize`; both cores used on a whole project (2
workers); re-export of the unchanged project < 1 s. Tools that are missing are skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from filmflow import imaging  # noqa: E402
from filmflow.export import ExportItem, ExportSettings, export_project  # noqa: E402
from tests import imagegen  # noqa: E402

EDGE = 2048
QUALITY = 90


def _grainy(size: tuple[int, int], seed: int) -> Image.Image:
    """A big film-like frame, quickly: imagegen's scene at 1/4 size, upscaled, plus fine grain."""
    small = imagegen.scan_image((size[0] // 4, size[1] // 4), seed=seed, label=str(seed), grain=0)
    img = small.resize(size, Image.Resampling.BILINEAR)
    rng = random.Random(seed)
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(lambda v: 110 + v * 36 // 255)
    noise = noise.filter(ImageFilter.BoxBlur(1))
    return ImageChops.add(img, Image.merge("RGB", (noise, noise, noise)), offset=-128)


def make_inputs(folder: Path, jpegs: int, tiffs: int) -> tuple[list[Path], list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    jp, tf = [], []
    base = None
    for k in range(1, jpegs + 1):
        p = folder / f"L_{k:03d}.jpg"
        if not p.exists():
            base = base or _grainy((6000, 4000), 1)
            im = base.copy()
            ImageDraw.Draw(im).rectangle((200 + k * 40, 200, 600 + k * 40, 600), fill=(k * 7 % 255, 90, 160))
            im.save(p, quality=95, exif=imagegen.scanner_exif(imagegen.FRONTIER))
        jp.append(p)
    tbase = None
    for k in range(1, tiffs + 1):
        p = folder / f"T_{k:03d}.tif"
        if not p.exists():
            tbase = tbase or _grainy((5400, 3600), 2)
            imagegen.write_tiff16_rgb(p, tbase, seed=k, icc=imagegen.adobe_rgb_icc())
        tf.append(p)
    return jp, tf


def _time(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def ours(src: Path, out: Path) -> None:
    imaging.export_jpeg(src, out, EDGE, QUALITY)


def vips(src: Path, out: Path) -> None:
    subprocess.run(["vipsthumbnail", str(src), "--size", str(EDGE), "--export-profile", "srgb",
                    "-o", f"{out}[Q={QUALITY}]"], check=True, capture_output=True)


def _im_binary() -> str | None:
    for name in ("convert-im6.q16", "magick", "convert"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def magick(src: Path, out: Path) -> None:
    subprocess.run([_im_binary(), str(src), "-resize", f"{EDGE}x{EDGE}", "-quality", str(QUALITY), str(out)],
                   check=True, capture_output=True)


def per_file(fn, files: list[Path], outdir: Path) -> float:
    """Median ms per file (each file once, one process at a time)."""
    outdir.mkdir(parents=True, exist_ok=True)
    return statistics.median(_time(fn, f, outdir / (f.stem + ".jpg")) for f in files)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jpegs", type=int, default=36)
    ap.add_argument("--tiffs", type=int, default=6)
    ap.add_argument("--im-frames", type=int, default=6, help="frames given to ImageMagick (it is slow)")
    ap.add_argument("--keep", type=Path, help="cache the generated inputs here")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ff-bench-export-"))
    try:
        src = a.keep or tmp / "in"
        t0 = time.perf_counter()
        jp, tf = make_inputs(src, a.jpegs, a.tiffs)
        print(f"inputs: {len(jp)} JPEG 6000x4000, {len(tf)} TIFF 16-bit 5400x3600 "
              f"({time.perf_counter() - t0:.1f} s to make)")
        # warm the page cache and the Python imports
        for f in jp + tf:
            f.read_bytes()
        ours(jp[0], tmp / "warm.jpg")

        rows = []
        o_j = per_file(ours, jp, tmp / "ours")
        o_t = per_file(ours, tf, tmp / "ours") if tf else None
        rows.append(("filmflow export_jpeg", o_j, o_t))
        v_j = v_t = None
        if shutil.which("vipsthumbnail"):
            v_j = per_file(vips, jp, tmp / "vips")
            v_t = per_file(vips, tf, tmp / "vips") if tf else None
            rows.append(("vipsthumbnail --size 2048 (+sRGB)", v_j, v_t))
        else:
            print("vipsthumbnail not installed: skipped")
        m_j = m_t = None
        if _im_binary():
            n = max(1, a.im_frames)
            m_j = per_file(magick, jp[:n], tmp / "im")
            m_t = per_file(magick, tf[: max(1, n // 3)], tmp / "im") if tf else None
            rows.append((f"ImageMagick -resize ({Path(_im_binary()).name})", m_j, m_t))
        else:
            print("ImageMagick not installed: skipped")

        print(f"\nper frame, median ms (one process)     {'JPEG 6000x4000':>15} {'TIFF16 5400x3600':>17}")
        for name, j, t in rows:
            print(f"  {name:38} {j:13.0f}   {t if t is None else round(t):>15}")

        print("\nratios")
        if v_j:
            print(f"  JPEG vs vips      {o_j / v_j:5.2f}x  (target <= 1.3)  {_verdict(o_j / v_j <= 1.3)}")
        if v_t and o_t:
            print(f"  TIFF vs vips      {o_t / v_t:5.2f}x  (target <= 1.5)  {_verdict(o_t / v_t <= 1.5)}")
        if m_j:
            print(f"  ImageMagick/ours  {m_j / o_j:5.2f}x JPEG, "
                  f"{(m_t / o_t) if (m_t and o_t) else float('nan'):5.2f}x TIFF  (target >= 3)  "
                  f"{_verdict(m_j / o_j >= 3 and (not m_t or m_t / o_t >= 3))}")

        items = [
            ExportItem(position=i, ref=f"B001/{i}", roll="B001", frame=str(i), source=p, sha256=f"{i:064x}",
                       caption=f"frame {i}", stock="Kodak Portra 400", ei=400, push=None, format="135",
                       camera="Nikon F3", lens=None, roll_title=None, developed=None, shot=None, scanner=None)
            for i, p in enumerate(jp + tf, 1)
        ]
        s2 = ExportSettings(long_edge=EDGE, quality=QUALITY, workers=2)
        s1 = dataclasses.replace(s2, workers=1)
        print(f"\nwhole project ({len(items)} frames) through export_project")
        t = time.perf_counter()
        export_project("bench", None, None, items, tmp / "p1", s1)
        w1 = time.perf_counter() - t
        t = time.perf_counter()
        rep = export_project("bench", None, None, items, tmp / "p2", s2)
        w2 = time.perf_counter() - t
        assert not rep.failed, rep.failed
        print(f"  1 worker  {w1:6.2f} s  ({w1 / len(items) * 1000:.0f} ms/frame)")
        print(f"  2 workers {w2:6.2f} s  ({w2 / len(items) * 1000:.0f} ms/frame)  speed-up {w1 / w2:.2f}x  "
              f"(target: both cores used, > 1.6x)  {_verdict(w1 / w2 > 1.6)}")
        t = time.perf_counter()
        rep = export_project("bench", None, None, items, tmp / "p2", s2)
        again = time.perf_counter() - t
        assert not rep.written and len(rep.unchanged) == len(items)
        print(f"  re-export unchanged {again * 1000:6.0f} ms  (target < 1000)  {_verdict(again < 1.0)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
