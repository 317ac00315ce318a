"""Benchmark: 512 px thumbnails (ingest's cost) against vipsthumbnail and ImageMagick, in one run.

    .venv/bin/python tests/benchmarks/bench_thumbnail.py [--frames 36] [--keep DIR]

Inputs: lab JPEGs 3089x2048 q95 ("S"), 6000x4000 q95 ("L") and 16-bit RGB TIFFs
5400x3600. Prints per-file ms for `imaging.make_thumbnail`, `vipsthumbnail --size 512`
and ImageMagick `-thumbnail 512x512`, and the speed-up of a 2-process pool on a roll.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from filmflow import imaging  # noqa: E402
from tests import imagegen  # noqa: E402
from tests.benchmarks.bench_export import _grainy, _im_binary  # noqa: E402

EDGE = 512


def make_inputs(folder: Path, frames: int) -> dict[str, list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {"S": [], "L": [], "TIFF16": []}
    bases: dict[str, Image.Image] = {}
    specs = {"S": ((3089, 2048), frames), "L": ((6000, 4000), max(1, frames // 4)), "TIFF16": ((5400, 3600), 3)}
    for kind, (size, n) in specs.items():
        for k in range(1, n + 1):
            p = folder / f"{kind}_{k:03d}.{'tif' if kind == 'TIFF16' else 'jpg'}"
            if not p.exists():
                if kind not in bases:
                    bases[kind] = _grainy(size, len(kind))
                im = bases[kind].copy()
                im.paste((k * 9 % 255, 40, 200), (100 + k * 30, 100, 300 + k * 30, 300))
                if kind == "TIFF16":
                    imagegen.write_tiff16_rgb(p, im, seed=k)
                else:
                    im.save(p, quality=95, exif=imagegen.scanner_exif(imagegen.NORITSU))
            out[kind].append(p)
    return out


def ours(src: Path, dst: Path) -> None:
    imaging.make_thumbnail(src, dst, EDGE)


def vips(src: Path, dst: Path) -> None:
    subprocess.run(["vipsthumbnail", str(src), "--size", str(EDGE), "-o", f"{dst}[Q=85]"],
                   check=True, capture_output=True)


def magick(src: Path, dst: Path) -> None:
    subprocess.run([_im_binary(), str(src), "-thumbnail", f"{EDGE}x{EDGE}", "-quality", "85", str(dst)],
                   check=True, capture_output=True)


def _ms(fn, src: Path, dst: Path) -> float:
    t = time.perf_counter()
    fn(src, dst)
    return (time.perf_counter() - t) * 1000


def _thumb_job(args: tuple[Path, Path]) -> None:
    imaging.make_thumbnail(args[0], args[1], EDGE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=36)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ff-bench-thumb-"))
    try:
        files = make_inputs(a.keep or tmp / "in", a.frames)
        for fs in files.values():
            for f in fs:
                f.read_bytes()
        tools = [("filmflow make_thumbnail", ours)]
        if shutil.which("vipsthumbnail"):
            tools.append(("vipsthumbnail --size 512", vips))
        else:
            print("vipsthumbnail not installed: skipped")
        if _im_binary():
            tools.append(("ImageMagick -thumbnail", magick))
        else:
            print("ImageMagick not installed: skipped")
        ours(files["S"][0], tmp / "warm.jpg")
        print(f"per file, median ms        {'S 3089x2048':>12} {'L 6000x4000':>12} {'TIFF16':>8}")
        results: dict[str, dict[str, float]] = {}
        for name, fn in tools:
            row = {}
            for kind, fs in files.items():
                sample = fs if fn is ours or fn is vips else fs[:3]
                row[kind] = statistics.median(_ms(fn, f, tmp / f"{name[:4]}_{f.stem}.jpg") for f in sample)
            results[name] = row
            print(f"  {name:24} {row['S']:12.0f} {row['L']:12.0f} {row['TIFF16']:8.0f}")
        base = results["filmflow make_thumbnail"]
        for name, row in results.items():
            if name != "filmflow make_thumbnail":
                print("  " + name + " / ours: " + ", ".join(f"{k} {row[k] / base[k]:.2f}x" for k in row))

        roll = files["S"]
        jobs = [(f, tmp / "roll" / f"{f.stem}.jpg") for f in roll]
        (tmp / "roll").mkdir()
        t = time.perf_counter()
        for j in jobs:
            _thumb_job(j)
        one = time.perf_counter() - t
        t = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_thumb_job, jobs))
        two = time.perf_counter() - t
        print(f"\nroll of {len(roll)} S frames: 1 process {one * 1000 / len(roll):.0f} ms/frame, "
              f"2 processes {two * 1000 / len(roll):.0f} ms/frame ({one / two:.2f}x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
