"""Benchmark versions at ingest (issue #17): a 36-frame roll of edits ingested beside its
originals vs a plain 36-frame roll, and the perceptual match per file from the thumbnail cache.

    .venv/bin/python tests/benchmarks/bench_versions.py [--frames 36] [--repeat 3]

Targets: the roll of edits costs < 10% more than a plain roll; the match < 5 ms a file.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from imagegen import make_scan  # noqa: E402
from filmflow.ingest.mode import IngestMode  # noqa: E402
from filmflow.ingest.run import ingest_sources  # noqa: E402
from filmflow.library import Library  # noqa: E402
from filmflow.versions import dhash, looks_alike  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=36)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ff-bench-versions-"))
    ok = True
    try:
        src = tmp / "src"
        for i in range(1, args.frames + 1):
            make_scan(src / "plain" / f"R100_{i:04d}.jpg", size=(3089, 2048), seed=i)
            make_scan(src / "orig" / f"R200_{i:04d}.jpg", size=(3089, 2048), seed=1000 + i)
            make_scan(src / "R200 edits" / f"R200_{i:04d}-edit.jpg", size=(2900, 1950), seed=5000 + i)
        plain, edits = [], []
        for rnd in range(args.repeat):
            lib_dir = tmp / f"lib{rnd}"
            Library.init(lib_dir)
            lib = Library.open(lib_dir)
            t = time.perf_counter()
            ingest_sources(lib, [src / "plain"], mode=IngestMode.COPY, options={"code": "R100"})
            plain.append(time.perf_counter() - t)
            ingest_sources(lib, [src / "orig"], mode=IngestMode.COPY, options={"code": "R200"})
            t = time.perf_counter()
            reports, _ = ingest_sources(lib, [src / "R200 edits"], mode=IngestMode.COPY, options={})
            edits.append(time.perf_counter() - t)
            assert len(reports[0].versions) == args.frames, reports[0].to_json()
        p, e = statistics.median(plain), statistics.median(edits)
        verdict = "PASS" if e <= p * 1.10 else "MISS"
        ok &= e <= p * 1.10
        print(f"{args.frames} frames, 3089x2048 JPEGs, median of {args.repeat}:")
        print(f"  plain roll ingest       {p * 1000:8.0f} ms ({p / args.frames * 1000:.1f} ms/frame)")
        print(f"  roll of edits (versions) {e * 1000:7.0f} ms ({e / args.frames * 1000:.1f} ms/frame) "
              f"= {e / p:.2f}x ({verdict} <= 1.10x)")
        thumbs = sorted((tmp / "lib0" / "cache" / "thumbs").rglob("*.jpg"))[:36]
        t = time.perf_counter()
        hashes = [dhash(th) for th in thumbs]
        for a, b in zip(hashes, hashes[1:]):
            looks_alike(a, b, 0.2)
        per = (time.perf_counter() - t) / len(thumbs) * 1000
        ok &= per < 5
        print(f"  perceptual match from the thumbnail cache: {per:.2f} ms a file ({'PASS' if per < 5 else 'MISS'} < 5 ms)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
