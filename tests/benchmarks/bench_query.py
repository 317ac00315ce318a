"""Benchmark the query language on a 200,000-frame catalog (~5,500 rolls, generated rows, no images).

    .venv/bin/python tests/benchmarks/bench_query.py [--frames 200000] [--repeat 15] [--keep DIR]

Targets (issue #5; film-log keys issue #16, ~60% of frames logged), all at 200k frames:
- a key query returning up to 1,000 rows: p95 < 30 ms (compile + SQL + building the rows);
- a bare-word search: p95 < 100 ms;
- `frames --json` over every frame streams with max RSS < 150 MB (a child process);
- `rate` over 10,000 frames < 1 s.
The same SQL run by the `sqlite3` shell (when installed) is timed as an outside baseline.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from filmflow.catalog import curation  # noqa: E402
from filmflow.catalog.db import refresh_statistics, transaction  # noqa: E402
from filmflow.catalog.rolls import now  # noqa: E402
from filmflow.library import Library  # noqa: E402
from filmflow.catalog.resolver import CatalogResolver  # noqa: E402
from filmflow.catalog.querysql import Compiled, compile_args  # noqa: E402
from filmflow.opencatalog import open_catalog  # noqa: E402

CAMERAS = ["Nikon FM2", "Pentax 67", "Mamiya 7", "Leica M6", "Canon AE-1", "Hasselblad 500C/M", "Olympus XA"]
LENSES = ["50mm f/1.4", "35mm f/2", "80mm f/2.8", "105mm f/2.4", "90mm f/4"]
LABS = ["Mono Lab", "Film Lab Seoul", "Carmencita", "Richard Photo Lab", "home"]
WORDS = ["서울", "산책", "부산", "바다", "東京", "散歩", "été", "Paris", "Lisboa", "night", "market", "rain",
         "mountain", "family", "제주", "京都", "café", "harbour", "snow", "festival"]
FORMATS = [*[("135", "135")] * 6, ("half", "135"), ("half", "135"), ("645", "120"), ("6x6", "120"), ("6x7", "120"),
           ("6x9", "120"), ("4x5", "sheet")]


def build(lib: Library, n_frames: int, seed: int = 7) -> None:
    """Generated rolls and frames (tags, projects, captions on a few) in a handful of transactions."""
    rnd = random.Random(seed)
    stocks = lib.stocks.all()
    db = open_catalog(lib)
    conn = db.conn
    ts = now()
    fid = 0
    code_n = 0
    with transaction(db):
        for t in ("print", "portfolio", "family", "street", "blog"):
            conn.execute("INSERT INTO tags (name) VALUES (?)", (t,))
        for i, name in enumerate(["서울 2023", "Portfolio", "東京", "Été"], 1):
            conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         (i, name, ts, ts))
    while fid < n_frames:
        with transaction(db):
            for _ in range(500):
                if fid >= n_frames:
                    break
                code_n += 1
                st = rnd.choice(stocks)
                fmt, fam = rnd.choice(FORMATS)
                n = {"135": 36, "half": 72, "645": 15, "6x6": 12, "6x7": 10, "6x9": 8, "4x5": 4}[fmt]
                n = min(n, n_frames - fid)
                y = rnd.randint(2012, 2024)
                dev = f"{y}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
                push = rnd.choice([0, 0, 0, 0, 1, -1, 2, 1 / 3])
                words = " ".join(rnd.sample(WORDS, 2))
                source = f"{dev} {st.name} {words}"
                if rnd.random() < 0.3:
                    source = unicodedata.normalize("NFD", source)
                cur = conn.execute(
                    "INSERT INTO rolls (code, title, stock, stock_key, stock_iso, ei, push, process, format, "
                    "format_family, camera, lens, developed, shot_from, shot_to, year, lab, notes, source, path, "
                    "mode, sources, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (f"R{code_n:05d}", words, st.name, st.key, st.iso, int(st.iso * 2 ** push), push or None,
                     st.process, fmt, fam, rnd.choice(CAMERAS), rnd.choice(LENSES), dev, f"{y}-{rnd.randint(1, 12):02d}-01",
                     None, y, rnd.choice(LABS), "notes " + rnd.choice(WORDS) if rnd.random() < 0.2 else None,
                     source, f"archive/{y}/R{code_n:05d}", "copy", "{}", ts, ts))
                rid = cur.lastrowid
                scanned = f"{dev}T{rnd.randint(9, 18):02d}:{rnd.randint(0, 59):02d}:00"  # EXIF DateTime, as ingest stores it
                rows = []
                for k in range(1, n + 1):
                    fid += 1
                    rows.append((rid, str(k), k, f"archive/{y}/R{code_n:05d}/{k:06d}.jpg", f"{k:06d}.jpg",
                                 f"{fid:064x}", 3_900_000 + k, 3089, 2048, 8, "JPEG",
                                 rnd.choices(range(6), (60, 10, 10, 10, 6, 4))[0],
                                 rnd.choices(("no", "yes", "reject"), (85, 8, 7))[0],
                                 ("caption " + rnd.choice(WORDS)) if rnd.random() < 0.03 else None, scanned, ts))
                conn.executemany(
                    "INSERT INTO frames (roll_id, frame, frame_num, path, file, sha256, bytes, width, height, bits, "
                    "format, rating, pick, caption, scanned, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                first = fid - n + 1
                for f in range(first, fid + 1):
                    if rnd.random() < 0.05:
                        conn.execute("INSERT INTO frame_tags VALUES (?, ?)", (f, rnd.randint(1, 5)))
                if rnd.random() < 0.05:
                    conn.execute("INSERT INTO roll_tags VALUES (?, ?)", (rid, rnd.randint(1, 5)))
    with transaction(db):
        pos = {1: 0, 2: 0, 3: 0, 4: 0}
        for f in rnd.sample(range(1, fid + 1), 2000):
            p = rnd.randint(1, 4)
            pos[p] += 1
            conn.execute("INSERT INTO project_frames (project_id, frame_id, position, caption) VALUES (?,?,?,?)",
                         (p, f, pos[p], "서울의 밤" if rnd.random() < 0.1 else None))
    refresh_statistics(conn)  # what an ingest does after its commit
    conn.close()


APERTURES = [1.4, 2, 2.8, 4, 5.6, 8, 11, 16]
SHUTTERS = [("1/1000", 0.001), ("1/500", 0.002), ("1/250", 0.004), ("1/125", 0.008), ("1/60", 1 / 60),
            ("1/30", 1 / 30), ('2"', 2.0)]
PLACES = ["서울 종로구", "부산 해운대", "東京 浅草", "Lisboa, Alfama", "Paris 11e", None, None]


def add_logs(lib: Library, share: float = 0.6, seed: int = 11) -> int:
    """Film-log rows for `share` of the rolls (every frame of those), paired through frames.log_id."""
    rnd = random.Random(seed)
    db = open_catalog(lib)
    conn = db.conn
    ts = now()
    n = 0
    rolls = [r for (r,) in conn.execute("SELECT id FROM rolls ORDER BY id")]
    with transaction(db):
        for rid in rolls:
            if rnd.random() >= share:
                continue
            rows = []
            for fid, frame in conn.execute("SELECT id, frame FROM frames WHERE roll_id = ?", (rid,)).fetchall():
                sh, secs = rnd.choice(SHUTTERS)
                place = rnd.choice(PLACES)
                gps = (37.5 + rnd.random(), 126.9 + rnd.random()) if place and rnd.random() < 0.5 else (None, None)
                rows.append((rid, frame, f"2021-05-{rnd.randint(1, 28):02d}T{rnd.randint(8, 20):02d}:00",
                             rnd.choice(APERTURES), sh, secs, rnd.choice([28.0, 35.0, 50.0, 80.0]),
                             rnd.choice(["Nikon Nikkor 50mm f/1.8", "Zeiss Planar 80mm f/2.8", None]), *gps, place, "bench.csv", "plain-csv", ts, fid))
            conn.executemany(
                "INSERT INTO log_frames (roll_id, frame, shot_at, aperture, shutter, shutter_s, focal_length, lens, "
                "lat, lon, place, log_file, log_format, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [r[:-1] for r in rows])
            conn.execute("UPDATE frames SET log_id = (SELECT lf.id FROM log_frames lf WHERE lf.roll_id = frames.roll_id "
                         "AND lf.frame = frames.frame) WHERE roll_id = ?", (rid,))
            n += len(rows)
    refresh_statistics(conn)
    conn.close()
    return n


KEY_QUERIES = [
    ["roll:R01234"], ["R01234/1"], ["R01234/1..3", "R00100/1"], ["frame:3..7", "roll:R00100"], ["frame:12"], ["stock:portra400", "rating:5"],
    ["iso:>=1600", "rating:>=4"], ["ei:1600", "pick:yes"], ["push:+1", "rating:5"], ["format:6x7", "rating:>=4"],
    ["format:120", "pick:yes"], ["process:e6", "rating:5"], ['camera:"Nikon FM2"', "rating:5"], ["lens:80mm", "rating:5"],
    ["lab:mono", "pick:yes"], ["developed:2023-05"], ["shot:2021-05-01..2021-07-31", "rating:>=4"],
    ["scanned:2024", "rating:5"], ["year:2019", "pick:yes"], ["rating:5", "pick:yes"], ["pick:reject", "year:2020"],
    ["project:Portfolio"], ["tag:print", "rating:>=3"], ["path:R00042/"], ["^tag:print", "roll:R02000"],
    ["rating:>=4"], ["stock:hp5"],
    # film-log keys (issue 16): ~60% of frames logged
    ["aperture:8"], ["aperture:<=2.8", "rating:>=4"], ["shutter:>=1/60"], ["focal:28..35", "pick:yes"],
    ["place:종로"], ["gps:yes", "rating:5"], ["lens:Nikkor"], ["shot:2021-05-03"],
]
TEXT_QUERIES = [["서울"], ["산책"], ["서울산"], ["東京"], ["été"], ["ÉTÉ"], ["paris"], ["night"], ["é"],
                [unicodedata.normalize("NFD", "서울")], ["서울의 밤"], ["festival", "rating:5"]]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ffbench-")) if a.keep is None else a.keep
    lib_dir = tmp / "lib"
    if (lib_dir / "filmflow.db").exists():
        lib = Library.open(lib_dir)
    else:
        lib, _ = Library.init(lib_dir)
        t0 = time.perf_counter()
        build(lib, a.frames)
        print(f"built {a.frames} frames in {time.perf_counter() - t0:.1f} s at {lib_dir}")
    if not open_catalog(lib).conn.execute("SELECT 1 FROM log_frames LIMIT 1").fetchone():
        t0 = time.perf_counter()
        print(f"logged {add_logs(lib)} frames in {time.perf_counter() - t0:.1f} s")
    db = open_catalog(lib)
    n_rolls, n_frames = db.conn.execute("SELECT (SELECT count(*) FROM rolls), (SELECT count(*) FROM frames)").fetchone()
    print(f"catalog: {n_rolls} rolls, {n_frames} frames")
    res = CatalogResolver(db.conn, lib.stocks, lib.formats)
    sqlite_cli = shutil.which("sqlite3")
    failures = []

    def run(query: list[str], target: str, limit: int | None) -> int:
        c = compile_args(query, res, target)
        rows = curation.list_frames(db, c, None, limit, lib.root) if target == "frames" else \
            curation.list_rolls(db, c, None, limit, lib.root)
        return sum(1 for _ in rows)

    def section(title: str, queries: list[list[str]], target: str, budget: float) -> None:
        print(f"\n{title} (target p95 < {budget:.0f} ms)")
        print(f"  {'query':44} {'rows':>6} {'p50 ms':>8} {'p95 ms':>8}" + ("  sqlite3 CLI ms" if sqlite_cli else ""))
        for q in queries:
            n = run(q, target, 1000)
            ts = timed(lambda: run(q, target, 1000), a.repeat)
            line = f"  {' '.join(q):44} {n:>6} {statistics.median(ts):>8.2f} {p95(ts):>8.2f}"
            if sqlite_cli and target == "frames":
                c = compile_args(q, res, target)
                line += f"  {_cli_ms(sqlite_cli, lib.db_path, c):>10.1f}"
            ok = p95(ts) < budget
            print(line + ("" if ok else "   <-- over target"))
            if not ok:
                failures.append(" ".join(q))

    section("frames: one key query each, LIMIT 1000", KEY_QUERIES, "frames", 30)
    section("rolls: key queries (frame keys via EXISTS)", [["stock:portra400"], ["rating:5", "year:2020"],
                                                           ["tag:print"], ["format:120", "push:+1"],
                                                           ["aperture:8"], ["lens:Nikkor"]], "rolls", 30)
    section("frames: bare words (FTS5 trigram + short-word scan), LIMIT 1000", TEXT_QUERIES, "frames", 100)

    # rate over 10,000 frames
    (last_id,) = db.conn.execute("SELECT id FROM frames ORDER BY id LIMIT 1 OFFSET 9999").fetchone()
    ten_k = Compiled("f.id <= ?", (last_id,), ("the first 10,000 frames",))
    t0 = time.perf_counter()
    ch = curation.rate_frames(db, ten_k, 3)
    rate_ms = (time.perf_counter() - t0) * 1000
    print(f"\nrate 3 over {ch.matched} frames ({ch.changed} changed): {rate_ms:.0f} ms (target < 1000 ms)")
    if rate_ms >= 1000:
        failures.append("rate")
    t0 = time.perf_counter()
    ch = curation.tag_frames(db, ten_k, "bench")
    print(f"tag add over {ch.matched} frames: {(time.perf_counter() - t0) * 1000:.0f} ms")

    # frames --json over everything, in a child process: wall time and max RSS
    cmd = [sys.executable, "-m", "filmflow", "--library", str(lib.root), "frames", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    with open("/dev/null", "wb") as devnull:
        subprocess.run(cmd, stdout=devnull, check=True)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nframes --json over {n_frames} frames: {wall:.1f} s ({wall / n_frames * 1e6:.1f} µs/frame), "
          f"max RSS {rss:.0f} MB (target < 150 MB){'' if before < rss * 1024 else ' (RSS of an earlier child)'}")
    if rss >= 150:
        failures.append("frames --json RSS")
    t0 = time.perf_counter()
    with open("/dev/null", "wb") as devnull:
        subprocess.run(cmd[:-1] + ["--paths"], stdout=devnull, check=True)
    print(f"frames --paths over {n_frames} frames: {time.perf_counter() - t0:.1f} s")
    if shutil.which("sqlite3"):
        t0 = time.perf_counter()
        with open("/dev/null", "wb") as devnull:
            subprocess.run([sqlite_cli, "-json", str(lib.db_path), "SELECT * FROM frames"], stdout=devnull, check=True)
        print(f"sqlite3 -json 'SELECT * FROM frames' (no joins, baseline): {time.perf_counter() - t0:.1f} s")

    print("\nall targets met" if not failures else f"\nover target: {', '.join(failures)}")
    if a.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


def _cli_ms(sqlite_cli: str, db_path: Path, c) -> float:  # noqa: ANN001
    """The same id selection run by the sqlite3 shell (its own .timer), params inlined as literals."""
    sql = "SELECT f.id FROM frames f JOIN rolls r ON r.id = f.roll_id" + (f" WHERE {c.where}" if c.where else "")
    sql += " ORDER BY r.code, f.frame_num, f.frame LIMIT 1000"
    parts = sql.split("?")
    lits = [str(p) if isinstance(p, (int, float)) else "'" + str(p).replace("'", "''") + "'" for p in c.params]
    # only for this baseline shell run; the product never inlines user text into SQL
    sql = parts[0] + "".join(lit + rest for lit, rest in zip(lits, parts[1:]))
    t0 = time.perf_counter()
    subprocess.run([sqlite_cli, str(db_path), sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
