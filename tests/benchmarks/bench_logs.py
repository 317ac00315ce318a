"""Benchmark film-log import (issue #16): a 1,000-frame log in each format, and what a user
would script instead (exiftool writing a Lightme `-json=` array onto scans, per frame).

    .venv/bin/python tests/benchmarks/bench_logs.py [--frames 1000] [--repeat 5] [--query-frames 200000]

Targets: importing a 1,000-frame log < 1 s (read + pair + one transaction, the roll holding
1,000 catalogued frames); an `aperture:` frame query at 200k frames < 30 ms p95 (when the
query key exists in this build).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import logfixtures as lf  # noqa: E402
from filmflow.catalog.db import transaction  # noqa: E402
from filmflow.catalog.frames import insert_frames  # noqa: E402
from filmflow.catalog.rolls import insert_roll, now  # noqa: E402
from filmflow.library import Library  # noqa: E402
from filmflow.logs.importer import import_logs  # noqa: E402
from filmflow.opencatalog import open_catalog  # noqa: E402


def frames(n: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        out.append({"n": i, "date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}",
                    "aperture": (2, 2.8, 4, 5.6, 8, 11, 16)[i % 7], "shutter": ("1/60", "1/125", "1/250", "1/500")[i % 4],
                    "focal": (28, 35, 50, 90)[i % 4], "lens": f"Lens {i % 4}", "lat": 37.5 + i / 1e4,
                    "lon": 126.9 + i / 1e4, "place": f"서울 {i % 25}구", "note": f"frame {i}"})
    return out


def make_roll(lib: Library, code: str, n: int) -> None:
    db = open_catalog(lib)
    with transaction(db) as conn:
        rid = insert_roll(conn, {"code": code}, {"code": "option"})
        insert_frames(conn, [{"roll_id": rid, "frame": str(i), "frame_num": i, "path": f"a/{code}/{i}.jpg",
                              "file": f"{i}.jpg", "sha256": f"{code}{i:060d}"[-64:].rjust(64, "0"), "bytes": 1,
                              "added_at": now()} for i in range(1, n + 1)])
    db.conn.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ff-bench-logs-"))
    ok = True
    try:
        Library.init(tmp / "lib")
        lib = Library.open(tmp / "lib")
        data = frames(args.frames)
        writers = {
            "exif-notes-csv": lambda p: lf.exif_notes_csv(p, "R900 bench", data),
            "exif-notes-json": lambda p: lf.exif_notes_json(p, "R901 bench", data),
            "lightme-json": lambda p: lf.lightme_json(p, "R902", data),
            "film-rolls-xml": lambda p: lf.film_rolls_xml(p, "R903", data),
            "plain-csv": lambda p: lf.plain_csv(p, data),
        }
        print(f"{args.frames}-frame log, roll of {args.frames} catalogued frames; best / median of {args.repeat}")
        for i, (fmt, write) in enumerate(writers.items()):
            code = f"R9{i:02d}"
            make_roll(lib, code, args.frames)
            path = write(tmp / f"{fmt}.log")
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                (rep,) = import_logs(lib, [path], roll=code)
                times.append(time.perf_counter() - t)
                assert rep.matched == args.frames, rep
            first_import = times[0]
            verdict = "PASS" if first_import < 1.0 else "MISS"
            ok &= first_import < 1.0
            print(f"  {fmt:16s} first import {first_import * 1000:7.1f} ms ({verdict} < 1 s), "
                  f"re-import best {min(times[1:] or times) * 1000:6.1f} ms, median {statistics.median(times) * 1000:6.1f} ms")
        exiftool = shutil.which("exiftool")
        if exiftool:
            from imagegen import make_scan

            scans = tmp / "scans"
            n = 36
            for i in range(1, n + 1):
                make_scan(scans / f"{i}.jpg", seed=i)
            arr = lf.lightme_json(tmp / "lm36.json", "R999", frames(n))
            text = arr.read_text().replace('".\\/', f'"{scans}/').replace('."', '.jpg"')
            arr.write_text(text)
            t = time.perf_counter()
            subprocess.run([exiftool, "-q", "-overwrite_original", f"-json={arr}", str(scans)], check=True,
                           capture_output=True)
            dt = time.perf_counter() - t
            print(f"  exiftool -json= onto {n} scans (rewrites each scan): {dt * 1000:.0f} ms = "
                  f"{dt / n * 1000:.1f} ms/frame -> {dt / n * args.frames:.1f} s for {args.frames} frames")
        else:
            print("  exiftool not installed: comparison skipped (apt-get install libimage-exiftool-perl)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
