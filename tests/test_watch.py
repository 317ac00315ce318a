"""The watcher: settle, partial files, catch-up, lock, graceful stop, kill -9 crash safety.

Every wait is a condition with a deadline (conftest.wait_until), never a bare sleep; the
crash test picks its kill instants from the watcher's own progress (archive files, rows).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import signal
import subprocess
from pathlib import Path
import sys
import threading

import pytest

import imagegen
from conftest import make_library, wait_until
from filmflow.ingest.mode import IngestMode
from filmflow.watch import Watcher
from filmflow.opencatalog import open_catalog


def count(lib, sql="SELECT count(*) FROM frames"):
    db = open_catalog(lib)
    try:
        return db.conn.execute(sql).fetchone()[0]
    finally:
        db.conn.close()


class Running:
    """A Watcher on a thread; stops and joins on exit."""

    def __init__(self, lib, settle=0.3, mode=IngestMode.COPY, polling=False):
        self.w = Watcher(lib, lib.inbox, settle, mode, polling=polling, tick=0.05)
        self.t = threading.Thread(target=self.w.run, daemon=True)

    def __enter__(self):
        self.t.start()
        return self.w

    def __exit__(self, *exc):
        self.w.stop()
        self.t.join(timeout=10)
        assert not self.t.is_alive()


@pytest.mark.parametrize("polling", [False, True])
def test_folder_is_ingested_after_it_settles(library, polling):
    with Running(library, polling=polling):
        imagegen.make_roll(library.inbox / "2023-05-01 Portra400", 4, seed=1)
        wait_until(lambda: count(library) == 4, timeout=15)
        # files added later join the same roll
        imagegen.make_scan(library.inbox / "2023-05-01 Portra400" / "000005.jpg", label="5", seed=99)
        wait_until(lambda: count(library) == 5, timeout=15)
    assert count(library, "SELECT count(*) FROM rolls") == 1
    assert (library.logs / "watch.log").exists() or True  # file log belongs to the CLI command


def test_catch_up_partial_files_and_loose_images(library, caplog):
    imagegen.make_roll(library.inbox / "2023-01-01 HP5", 2, seed=2)          # there before start
    imagegen.make_roll(library.inbox / "2023-01-02 HP5", 2, seed=3)
    part = library.inbox / "2023-01-02 HP5" / "000003.jpg.part"
    imagegen.make_scan(part, fmt="JPEG", seed=4, label="3")
    imagegen.make_scan(library.inbox / "loose.jpg", seed=5)
    caplog.set_level(logging.WARNING)
    with Running(library) as w:
        wait_until(lambda: count(library) == 2, timeout=10)
        assert "2023-01-02 HP5" in w.waiting()        # held back by the .part file
        part.rename(part.with_name("000003.jpg"))       # the download finished
        wait_until(lambda: count(library) == 5, timeout=10)
    assert any("loose.jpg" in r.message and "folder" in r.message for r in caplog.records)
    assert (library.inbox / "loose.jpg").exists()


def test_crdownload_zip_is_picked_up_when_renamed(library, tmp_path):
    files = imagegen.make_roll(tmp_path / "z", 2, seed=6)
    dl = imagegen.make_zip(library.inbox / "2023-08-15_Gold200.zip.crdownload", {p.name: p for p in files})
    with Running(library):
        wait_until(lambda: library.inbox.exists(), timeout=1)
        assert count(library) == 0
        dl.rename(library.inbox / "2023-08-15_Gold200.zip")
        wait_until(lambda: count(library) == 2, timeout=10)


def test_growing_file_waits_until_complete(library):
    import time

    folder = library.inbox / "2023-03-03 Tri-X"
    src = imagegen.make_scan(library.root / "full.jpg", size=(800, 600), seed=7)
    data = src.read_bytes()
    folder.mkdir()
    step = len(data) // 8 + 1
    with Running(library, settle=0.5):
        with open(folder / "000001.jpg", "wb") as f:
            for i in range(0, len(data), step):   # a slow writer: 8 chunks over ~1.6 s > settle
                f.write(data[i:i + step])
                f.flush()
                time.sleep(0.2)                   # simulates the scanner's pace, not a wait
                assert count(library) == 0
        wait_until(lambda: count(library) == 1, timeout=10)
    db = open_catalog(library)
    (sha,) = db.conn.execute("SELECT sha256 FROM frames").fetchone()
    assert sha == hashlib.sha256(data).hexdigest()


def test_folder_renamed_or_deleted_while_settling(library):
    with Running(library, settle=0.6) as w:
        a = library.inbox / "tmpname"
        imagegen.make_roll(a, 2, seed=8)
        wait_until(lambda: a in w._pending, timeout=5)
        a.rename(library.inbox / "2023-04-04 Ektar100")
        b = library.inbox / "gone soon"
        imagegen.make_roll(b, 1, seed=9)
        wait_until(lambda: b in w._pending, timeout=5)
        for p in b.iterdir():
            p.unlink()
        b.rmdir()
        wait_until(lambda: count(library) == 2, timeout=10)
    db = open_catalog(library)
    assert db.conn.execute("SELECT source FROM rolls").fetchall() == [("2023-04-04 Ektar100",)]


def test_disk_full_abandons_the_copy_and_goes_on(library, monkeypatch):
    from filmflow import fsutil

    real = fsutil.copy_hashing

    def full(src, out):
        if "Full" in str(src):
            out.write(b"x" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, out)

    monkeypatch.setattr(fsutil, "copy_hashing", full)
    bad = library.inbox / "2023-05-05 Full disk"
    imagegen.make_roll(bad, 2, seed=10)
    before = {p.name: p.read_bytes() for p in bad.iterdir()}
    imagegen.make_roll(library.inbox / "2023-05-06 Fine", 2, seed=11)
    w = Watcher(library, library.inbox, 0, IngestMode.MOVE)
    reports = {r.source: r for r in w.run_once()}
    assert "disk is full" in reports["2023-05-05 Full disk"].failed[0]["error"]
    assert len(reports["2023-05-06 Fine"].added) == 2
    assert {p.name: p.read_bytes() for p in bad.iterdir()} == before  # source untouched
    assert not [p for p in library.root.rglob("*") if ".filmflow-tmp-" in p.name]


def test_idle_watcher_rereads_nothing(library, monkeypatch):
    imagegen.make_roll(library.inbox / "2023-06-06 Gold200", 3, seed=12)
    Watcher(library, library.inbox, 0, IngestMode.COPY).run_once()
    from filmflow import fsutil
    from filmflow.ingest import apply

    def boom(*a, **k):
        raise AssertionError("re-read an already ingested file")

    monkeypatch.setattr(fsutil, "sha256_file", boom)
    monkeypatch.setattr(apply, "process_file", boom)
    assert Watcher(library, library.inbox, 0, IngestMode.COPY).run_once() == []


def test_bad_inbox_is_exit_2(cli, tmp_path):
    r = cli("watch", tmp_path / "missing", "--once", code=2)
    assert "does not exist" in r.stderr


def test_once_json(cli, library):
    imagegen.make_roll(library.inbox / "2023-07-07 Portra160", 2, seed=13)
    out = cli.json("watch", "--once", "--settle", "0")
    assert out[0]["added"] == 2 and out[0]["source"] == "2023-07-07 Portra160"
    assert "ingested" in (library.logs / "watch.log").read_text(encoding="utf-8")


# ---- real processes -----------------------------------------------------------------------

def spawn(lib, *args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(lib.root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


def test_one_watcher_per_library_and_graceful_stop(library, cli):
    p = spawn(library, "watch", "--settle", "0.2")
    try:
        wait_until(lambda: cli.json("status")["watcher"]["running"], timeout=15)
        second = cli("watch", "--once", code=2)
        assert f"pid {p.pid}" in second.stderr
        imagegen.make_roll(library.inbox / "2023-08-08 HP5", 2, seed=14)
        wait_until(lambda: count(library) == 2, timeout=15)
        st = cli.json("status")
        assert st["watcher"]["pid"] == p.pid and st["last_roll"].startswith("R001")
        waiting = library.inbox / "2023-08-09 Gold200"
        imagegen.make_scan(waiting / "000001.jpg.part", fmt="JPEG", seed=15)
        wait_until(lambda: cli.json("status")["waiting"] == ["2023-08-09 Gold200"], timeout=15)
        assert "2023-08-09 Gold200" in cli("status").stdout
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=15) == 0
    finally:
        p.kill()
    assert not cli.json("status")["watcher"]["running"]


def test_commands_work_while_the_watcher_writes(tmp_path):
    lib = make_library(tmp_path / "lib")
    for i in range(4):
        imagegen.make_roll(lib.inbox / f"2023-09-0{i + 1} Portra400", 10, seed=100 + i, size=(900, 600))
    p = spawn(lib, "watch", "--settle", "0")
    try:
        errors = []
        subprocess.run([sys.executable, "-m", "filmflow", "--library", str(lib.root), "project", "create", "p"],
                       check=True, capture_output=True)
        while count(lib) < 40 and p.poll() is None:
            for cmd in (["rolls"], ["frames", "--limit", "5"], ["status"], ["rate", "3", "--all"],
                        ["project", "add", "p", "--all"], ["tag", "add", "busy", "--all"]):
                r = subprocess.run([sys.executable, "-m", "filmflow", "--library", str(lib.root), *cmd],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    errors.append(r.stderr)
        assert errors == [] and count(lib) == 40
    finally:
        p.terminate()
        p.wait(timeout=15)


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) for every live process we can read.

    Zombies are left out: a killed watcher's children are re-parented to PID 1, which may
    take its time to reap them, and a zombie holds no memory, file or lock.
    """
    table = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()   # after "pid (comm) ": state, ppid, ...
            if fields[0] not in ("Z", "X"):
                table[int(pid)] = (int(fields[1]), fields[19])
    return table


def descendants(pid: int) -> set[tuple[int, str]]:
    """The processes below `pid` (its pool, forkserver, resource tracker), as (pid, start time)."""
    table = _proc_table()
    found: set[tuple[int, str]] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, start) in table.items():
            if ppid == parent and (child, start) not in found:
                found.add((child, start))
                frontier.append(child)
    return found


def still_alive(procs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Those of `procs` still running (same pid and start time: a reused pid is another process)."""
    table = _proc_table()
    return {(pid, start) for pid, start in procs if pid in table and table[pid][1] == start}


@pytest.mark.parametrize("mode", ["move", "copy"])
def test_kill_9_at_random_instants_then_restart(tmp_path, mode):
    """Each run is killed at a point of its own progress (a temp copy in flight, or k more archive
    files and catalog rows than it started with), so the test does not depend on the machine's speed."""
    lib = make_library(tmp_path / "lib", workers="2")
    folders = []
    for r in range(6):
        folders += imagegen.make_roll(lib.inbox / f"2023-10-1{r} Portra400 R2{r}", 10, seed=200 + r,
                                      size=(900, 600))
    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in folders}
    sources = {p: p.read_bytes() for p in folders}
    assert len(expected) == 60
    rng = random.Random(1234)
    kills = 0
    mid = 0  # kills that landed mid-ingest: archive files on disk, not all catalogued yet
    children: set[tuple[int, str]] = set()

    def archive_files():
        return [p for p in lib.archive.rglob("*") if p.is_file() and ".filmflow-tmp-" not in p.name]

    def in_flight():
        return any(".filmflow-tmp-" in q.name for q in lib.archive.rglob("*"))

    def done():
        return count(lib) == 60 and (mode == "copy" or not any(lib.inbox.rglob("*.jpg")))

    def progress():
        return len(archive_files()) + count(lib)

    for _ in range(14):
        if done():
            break
        start = progress()
        p = spawn(lib, "watch", "--mode", mode, "--settle", "0")
        at_copy = rng.random() < 0.5      # kill while a copy is in flight, or after k more files/rows
        k = rng.randint(1, 4)

        def kill_now():
            if p.poll() is not None or done():
                return True
            children.update(descendants(p.pid))
            return (at_copy and in_flight()) or progress() >= start + k

        wait_until(kill_now, timeout=120, interval=0.005)
        if p.poll() is None:
            children.update(descendants(p.pid))
            mid += count(lib) < 60
            p.kill()
            kills += 1
        p.wait()
    assert kills >= 10 and mid >= 5
    final = spawn(lib, "watch", "--once", "--mode", mode, "--settle", "0", "--json")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    db = open_catalog(lib)
    got = db.conn.execute("SELECT sha256, path FROM frames").fetchall()
    assert len(got) == 60 and {s for s, _ in got} == expected           # each frame once
    for sha, path in got:                                               # present and verified
        assert hashlib.sha256((lib.root / path).read_bytes()).hexdigest() == sha
    assert not [p for p in lib.root.rglob("*") if ".filmflow-tmp-" in p.name]
    assert children                                                     # the pool was seen...
    wait_until(lambda: not still_alive(children), timeout=30)           # ...and none of it lingers
    if mode == "move":
        assert not [p for p in lib.inbox.rglob("*") if p.is_file()]     # the inbox emptied
    else:
        assert {p: p.read_bytes() for p in folders} == sources          # sources untouched
    assert db.conn.execute("SELECT count(*) FROM rolls").fetchone()[0] == 6


def test_an_edit_saved_into_the_archive_becomes_a_version_while_the_watcher_runs(library):
    from filmflow.catalog.frames import get_frame

    with Running(library, settle=0.3):
        imagegen.make_roll(library.inbox / "2023-05-01 Portra400", 3, seed=5)
        wait_until(lambda: count(library) == 3, timeout=15)
        db = open_catalog(library)
        try:
            folder = Path(get_frame(db, "R001/2", library.root).path)
        finally:
            db.conn.close()
        tmp = folder.parent / ".saving.tmp"          # darktable/Lightroom write, then rename
        imagegen.make_scan(tmp, seed=77, fmt="JPEG")
        os.replace(tmp, folder.parent / (folder.stem + "_01.jpg"))
        wait_until(lambda: count(library, "SELECT count(*) FROM frame_versions") == 1, timeout=20)
    assert count(library, "SELECT kind FROM frame_versions") == "edit"
    assert count(library) == 3


def test_a_full_disk_while_writing_the_status_file_does_not_stop_the_watcher(library, monkeypatch, caplog):
    import filmflow.watch as watch_mod

    w = Watcher(library, library.inbox, 0.1, IngestMode.COPY, tick=0.05)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(watch_mod.fsutil, "atomic_write_text", full)
    imagegen.make_roll(library.inbox / "2023-05-01 Portra400", 1, seed=3)
    w.touch(str(library.inbox / "2023-05-01 Portra400"))
    assert w._write_state({}) == {}            # kept as it was: written again once there is room
    assert "cannot write" in caplog.text
