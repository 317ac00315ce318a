"""Issue 12: ingest never harms an archive, and the watcher survives anything in the inbox.

Each test reproduces one attack that broke today's main: a scan re-saved during a move,
unreadable folders and sidecars, FIFOs and devices, names that are not UTF-8, 2,000
nested folders, a full disk, concurrent runs, SIGTERM, over-long names. Outcomes are
checked on rows, bytes and files; nothing waits on wall-clock luck.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import imagegen
from conftest import REPO, make_library, wait_until
from test_ingest_apply import rows, sha
from filmflow import fsutil
from filmflow.ingest.mode import IngestMode
from filmflow.ingest.apply import Ingester
from filmflow.watch import Watcher, clean_leftovers
from filmflow.opencatalog import open_catalog

ROOT = os.geteuid() == 0


def frame_count(lib) -> int:
    return rows(lib, "SELECT count(*) FROM frames")[0][0]


def temp_files(root: Path) -> list[Path]:
    return [Path(d) / n for d, _, files in os.walk(root) for n in files if fsutil.TMP_MARK in n]


def archive_files(lib) -> set[str]:
    return {Path(d, n).relative_to(lib.root).as_posix() for d, _, files in os.walk(lib.archive)
            for n in files if not n.endswith(".toml")}


def catalogued_paths(lib) -> set[str]:
    return {r[0] for r in rows(lib, "SELECT path FROM frames")}


def ff(lib, *args, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """Run filmflow in a subprocess (for hangs, signals and concurrency)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "filmflow", "--library", str(lib.root), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, **kw)


@pytest.fixture
def roll(tmp_path: Path) -> Path:
    folder = tmp_path / "in" / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 3, pattern="R042_{n:04d}.jpg", seed=7)
    return folder


@pytest.fixture
def other(tmp_path: Path) -> Path:
    folder = tmp_path / "in" / "2023-06-01 HP5 R043"
    imagegen.make_roll(folder, 2, pattern="R043_{n:04d}.jpg", seed=8)
    return folder


def deny(monkeypatch, target: Path):
    """Make `target` unreadable; returns a function that makes it readable again.

    Not root: chmod 000. Root bypasses permissions, so its opens and listings raise
    PermissionError instead (the same error the kernel gives)."""
    if not ROOT:
        mode = target.stat().st_mode & 0o7777
        target.chmod(0)
        return lambda: target.chmod(mode)
    denied = str(target)

    def refuse(path) -> None:
        if isinstance(path, int):
            return
        if os.fspath(path) == denied:
            raise PermissionError(13, "Permission denied", denied)

    real_open, real_os_open, real_scandir = builtins.open, os.open, os.scandir

    def fake_open(file, *a, **k):
        refuse(file)
        return real_open(file, *a, **k)

    def fake_os_open(path, *a, **k):
        refuse(path)
        return real_os_open(path, *a, **k)

    def fake_scandir(path="."):
        refuse(path)
        return real_scandir(path)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    return monkeypatch.undo


# -- data loss ------------------------------------------------------------------------------

def test_move_keeps_a_scan_resaved_after_its_copy_was_verified(cli, library, roll, monkeypatch):
    """Item 2: the source is re-saved between verify and removal: it stays, named."""
    resaved = roll / "R042_0002.jpg"
    old_sha = sha(resaved)
    real = Ingester._remove_sources

    def resave_then_remove(self, plan, *args, **kw):
        imagegen.make_scan(resaved, seed=999)  # the photographer re-saves it in an editor
        return real(self, plan, *args, **kw)

    monkeypatch.setattr(Ingester, "_remove_sources", resave_then_remove)
    r = cli("ingest", "--mode", "move", roll, code=1)
    assert resaved.exists() and sha(resaved) != old_sha  # the new version is still there
    assert not (roll / "R042_0001.jpg").exists() and not (roll / "R042_0003.jpg").exists()
    assert "R042_0002.jpg" in r.stderr and "changed" in r.stderr
    (archived,) = rows(library, "SELECT path, sha256 FROM frames WHERE frame = '2'")
    assert sha(library.resolve(archived[0])) == old_sha == archived[1]
    assert any("R042_0002.jpg" in s for (s,) in rows(library, "SELECT source_path FROM failures"))


def test_move_keeps_a_lab_zip_rewritten_during_the_ingest(cli, library, roll, monkeypatch):
    """Item 2, zip delivery: a zip replaced after it was extracted is not the one archived."""
    zpath = imagegen.make_zip(roll.parent / "2023-05-01 Portra400 R042.zip",
                              {p.name: p for p in sorted(roll.iterdir())})
    real = Ingester._remove_sources

    def rewrite_then_remove(self, plan, *args, **kw):
        imagegen.make_zip(zpath, {"R042_0009.jpg": imagegen.make_scan(roll.parent / "new.jpg", seed=90)})
        return real(self, plan, *args, **kw)

    monkeypatch.setattr(Ingester, "_remove_sources", rewrite_then_remove)
    r = cli("ingest", "--mode", "move", zpath, code=1)
    assert zpath.exists() and "changed" in r.stderr


def test_move_removes_a_source_touched_but_unchanged(cli, library, roll, monkeypatch):
    """Item 2: a new mtime with the same bytes is still the file we archived (hash check)."""
    real = Ingester._remove_sources

    def touch_then_remove(self, plan, *args, **kw):
        os.utime(roll / "R042_0002.jpg", ns=(1, 1))
        return real(self, plan, *args, **kw)

    monkeypatch.setattr(Ingester, "_remove_sources", touch_then_remove)
    cli("ingest", "--mode", "move", roll)
    assert not roll.exists() or not any(roll.iterdir())


def test_unreadable_subfolder_is_a_named_failure(cli, library, roll, monkeypatch):
    """Item 5: move mode must not say '3 added', exit 0 while a sub-folder stays behind."""
    sub = roll / "extra"
    imagegen.make_roll(sub, 2, pattern="X_{n:04d}.jpg", seed=70)
    allow = deny(monkeypatch, sub)
    r = cli("ingest", "--mode", "move", "--json", roll, code=1)
    out = json.loads(r.stdout)[0]
    assert out["added"] == 3
    assert [f["file"] for f in out["failed"]] == ["extra"]
    assert "permission" in out["failed"][0]["error"] and "chmod" in out["failed"][0]["error"]
    allow()
    assert sorted(p.name for p in sub.iterdir()) == ["X_0001.jpg", "X_0002.jpg"]  # left, not lost


def test_relative_source_is_stored_absolute_so_repair_finds_it(cli, library, roll, monkeypatch):
    """Item 6: `ingest in/FOLDER` from its parent stores absolute, resolved source paths."""
    monkeypatch.chdir(roll.parent.parent)
    cli("ingest", Path("in") / roll.name)
    paths = [Path(s) for (s,) in rows(library, "SELECT source_path FROM frames ORDER BY frame")]
    assert paths == [(roll / f"R042_{n:04d}.jpg").resolve() for n in (1, 2, 3)]
    (key,) = rows(library, "SELECT source_key FROM rolls")[0]
    assert Path(key) == roll.resolve()
    monkeypatch.chdir(library.root.parent)
    (lost,) = rows(library, "SELECT path FROM frames WHERE frame = '1'")[0]
    library.resolve(lost).unlink()
    cli("verify", "--repair")
    assert sha(library.resolve(lost)) == sha(roll / "R042_0001.jpg")


@pytest.mark.parametrize("key, stored, want", [
    ("/home/me/in/ROLL", "in/ROLL/sub/x.jpg", "/home/me/in/ROLL/sub/x.jpg"),
    ("/home/me/in/ROLL", "ROLL/x.jpg", "/home/me/in/ROLL/x.jpg"),
    ("/home/me/ROLL", "x.jpg", "/home/me/ROLL/x.jpg"),                     # `ingest .` from the roll
    ("/home/me/sub/../in/필름", "../in/필름/x.jpg", "/home/me/in/필름/x.jpg"),
])
def test_old_relative_source_paths_are_read_against_their_roll(key, stored, want):
    from filmflow.catalog.schema import absolute_source_path

    assert absolute_source_path(key, stored) == want


def test_migration_makes_old_relative_source_paths_absolute(cli, library, roll, monkeypatch):
    import sqlite_utils

    from filmflow.catalog import schema

    cli("ingest", roll)
    db = open_catalog(library)
    with db.conn:
        db.conn.execute("UPDATE frames SET source_path = 'in/' || ? || '/' || file", (roll.name,))
    db.conn.close()
    conn = sqlite3.connect(library.db_path)
    with conn:
        schema.m009_ingest_safety(sqlite_utils.Database(conn))
    conn.close()
    assert {Path(s) for (s,) in rows(library, "SELECT source_path FROM frames")} == set(roll.iterdir())


@pytest.mark.parametrize("own", ["cache", "archive", "exports", "logs", "."])
def test_ingest_refuses_the_librarys_own_folders(cli, library, roll, own):
    """Item 8: `ingest --mode move LIB/cache` would catalogue thumbnails and move them away."""
    cli("ingest", roll)
    before = {p: sha(p) for p in library.root.rglob("*") if p.is_file() and p.suffix == ".jpg"}
    (library.root / own).mkdir(exist_ok=True)
    r = cli("ingest", "--mode", "move", library.root / own, code=2)
    assert "library" in r.stderr and "\n" not in r.stderr.strip() and "Traceback" not in r.stderr
    assert {p: sha(p) for p in before} == before
    assert rows(library, "SELECT count(*) FROM rolls")[0][0] == 1


def test_a_folder_in_the_librarys_own_inbox_is_ingested(cli, library):
    folder = library.inbox / "2023-07-01 Gold200 R050"
    imagegen.make_roll(folder, 2, seed=50)
    cli("ingest", "--mode", "move", folder)
    assert frame_count(library) == 2


# -- the watcher and ingest survive anything in the inbox ------------------------------------

def test_fifo_device_and_dev_zero_link_are_skipped_and_named(library, roll):
    """Item 10: a FIFO blocked ingest for ever; a link to /dev/zero filled the disk."""
    os.mkfifo(roll / "R042_0004.jpg")
    os.symlink("/dev/zero", roll / "R042_0005.jpg")
    os.symlink("/dev/null", roll / "R042_0006.tif")
    r = ff(library, "ingest", "--json", roll, timeout=90)
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)[0]
    assert out["added"] == 3
    errors = {f["file"]: f["error"] for f in out["failed"]}
    assert set(errors) == {"R042_0004.jpg", "R042_0005.jpg", "R042_0006.tif"}
    assert "FIFO" in errors["R042_0004.jpg"] and "character device" in errors["R042_0005.jpg"]
    assert sum(p.stat().st_size for p in library.archive.rglob("*") if p.is_file()) < 10_000_000


def test_watch_once_goes_past_a_fifo(library, tmp_path):
    folder = library.inbox / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 2, seed=9)
    os.mkfifo(folder / "000003.jpg")
    r = ff(library, "watch", "--once", "--settle", "0", timeout=90)
    assert r.returncode == 1 and "FIFO" in (library.logs / "watch.log").read_text()
    assert frame_count(library) == 2


def test_a_running_watcher_goes_past_a_fifo_and_stops_on_sigterm(library):
    folder = library.inbox / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 2, seed=10)
    os.mkfifo(folder / "000003.jpg")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(library.root), "watch", "--settle",
                          "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_until(lambda: frame_count(library) == 2, timeout=120)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_a_name_that_is_not_utf8_fails_alone(cli, library, roll, other):
    """Item 11: nothing of the roll nor of later folders was catalogued; now only that file fails."""
    bad = Path(os.fsdecode(bytes(roll) + b"/R042_\xff\xfe_0009.jpg"))
    imagegen.make_scan(bad, seed=77)
    r = cli("ingest", "--json", roll, other, code=1)
    out = json.loads(r.stdout)
    assert [o["added"] for o in out] == [3, 2]
    (fail,) = out[0]["failed"]
    assert "UTF-8" in fail["error"] and "rename" in fail["error"] and "R042____0009.jpg" in fail["error"]
    assert frame_count(library) == 5


def test_watcher_survives_a_folder_name_that_is_not_utf8(library):
    bad = Path(os.fsdecode(bytes(library.inbox) + b"/roll \xff"))
    imagegen.make_roll(bad, 1, seed=31)
    good = library.inbox / "2023-06-01 HP5 R043"
    imagegen.make_roll(good, 2, seed=32)
    reports = Watcher(library, library.inbox, 0, IngestMode.COPY).run_once()
    assert sorted(len(r.added) for r in reports) == [0, 2]
    assert any("UTF-8" in f["error"] for r in reports for f in r.failed)
    assert frame_count(library) == 2


def test_running_watcher_survives_a_folder_name_that_is_not_utf8(library):
    import threading

    w = Watcher(library, library.inbox, 0, IngestMode.COPY, tick=0.05)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            w.run()
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        imagegen.make_roll(Path(os.fsdecode(bytes(library.inbox) + b"/roll \xff")), 1, seed=34)
        imagegen.make_roll(library.inbox / "2023-06-01 HP5 R043", 2, seed=35)
        wait_until(lambda: frame_count(library) == 2 and rows(library, "SELECT count(*) FROM failures")[0][0],
                   timeout=60)
        assert t.is_alive() and not errors
    finally:
        w.stop()
        t.join(timeout=30)
    assert not t.is_alive() and not errors


def make_deep(base: Path, depth: int) -> None:
    """`depth` nested folders below `base` with a scan at the bottom (beyond PATH_MAX)."""
    data = imagegen.make_scan(base.parent / "deep-scan.jpg", seed=41).read_bytes()
    fd = os.open(base, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    out = os.open("frame_0099.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(out, data)
    os.close(out)
    os.close(fd)


def remove_deep(base: Path, depth: int) -> None:
    fds = [os.open(base, os.O_RDONLY)]
    for _ in range(depth):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    with contextlib.suppress(FileNotFoundError):
        os.unlink("frame_0099.jpg", dir_fd=fds[-1])
    for i in range(depth, 0, -1):
        os.close(fds[i])
        os.rmdir("d", dir_fd=fds[i - 1])
    os.close(fds[0])


def test_two_thousand_nested_folders_fail_alone(cli, library, roll, other):
    """Item 12 (nesting): an internal error that also killed the watcher."""
    make_deep(roll, 2000)
    try:
        out = json.loads(cli("ingest", "--json", roll, other, code=1).stdout)
        assert [o["added"] for o in out] == [3, 2]
        (fail,) = out[0]["failed"]
        assert "nested" in fail["error"]
        reports = Watcher(library, roll.parent, 0, IngestMode.COPY).run_once()  # the watcher lives on
        assert [len(r.failed) for r in reports] == [1, 0]
    finally:
        remove_deep(roll, 2000)


def test_unreadable_roll_toml_fails_that_folder(cli, library, roll, other, monkeypatch):
    """Item 13: a PermissionError on roll.toml was an internal error (and a dead watcher)."""
    side = roll / "roll.toml"
    side.write_text('stock = "portra400"\n')
    allow = deny(monkeypatch, side)
    out = json.loads(cli("ingest", "--json", roll, other, code=1).stdout)
    assert [o["added"] for o in out] == [0, 2]
    assert "roll.toml" in out[0]["failed"][0]["error"] and "permission" in out[0]["failed"][0]["error"].lower()
    reports = Watcher(library, roll.parent, 0, IngestMode.COPY).run_once()
    assert [len(r.failed) for r in reports] == [1, 0]
    allow()


@pytest.mark.parametrize("content", ["[]", "null", "42", '"text"', "{broken"])
def test_watch_seen_file_of_another_shape_is_treated_as_empty(library, content, caplog):
    """Item 14: `[]`, `null` or a number in cache/watch-seen.json failed every start."""
    (library.cache / "watch-seen.json").write_text(content)
    imagegen.make_roll(library.inbox / "2023-06-01 HP5 R043", 2, seed=33)
    with caplog.at_level(logging.WARNING, logger="filmflow"):
        reports = Watcher(library, library.inbox, 0, IngestMode.COPY).run_once()
    assert [len(r.added) for r in reports] == [2]
    assert "watch-seen.json" in caplog.text
    assert isinstance(json.loads((library.cache / "watch-seen.json").read_text()), dict)


def test_any_error_while_planning_one_source_is_its_failure(cli, library, roll, other, monkeypatch):
    """Item 15: only FilmflowError was caught while planning; any exception is one source's."""
    from filmflow.ingest import plan

    real = plan.parse_folder_name

    def explode(name, *a, **k):
        if "R042" in name:
            raise RuntimeError("unexpected")
        return real(name, *a, **k)

    monkeypatch.setattr(plan, "parse_folder_name", explode)
    out = json.loads(cli("ingest", "--json", roll, other, code=1).stdout)
    assert [o["added"] for o in out] == [0, 2]
    assert "RuntimeError" in out[0]["failed"][0]["error"]
    status = cli.json("status")
    assert any(roll.name in f["source_path"] for f in status["failed"])
    reports = Watcher(library, roll.parent, 0, IngestMode.COPY).run_once()  # and the watcher goes on
    assert [len(r.failed) for r in reports] == [1, 0]


def test_any_error_while_applying_one_source_is_its_failure(cli, library, roll, other, monkeypatch):
    real = Ingester._commit

    def explode(self, plan, *a, **k):
        if plan.code == "R042":
            raise ValueError("boom")
        return real(self, plan, *a, **k)

    monkeypatch.setattr(Ingester, "_commit", explode)
    out = json.loads(cli("ingest", "--json", roll, other, code=1).stdout)
    assert [o["added"] for o in out] == [0, 2]
    assert archive_files(library) == catalogued_paths(library)  # no orphan of R042 left
    assert not temp_files(library.root)


# -- crashes, leaks and misleading messages -------------------------------------------------

def test_disk_full_at_the_commit_names_the_disk_and_removes_our_copies(cli, library, roll, monkeypatch):
    """Item 16: internal error, no failure recorded, copied files left as orphans."""
    def full(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Ingester, "_commit", full)
    r = cli("ingest", "--mode", "move", roll, code=1)
    assert "disk" in r.stderr and "is full" in r.stderr and "mounted at" in r.stderr
    assert "internal error" not in r.stderr
    assert archive_files(library) == set() and not temp_files(library.root)
    assert len(list(roll.iterdir())) == 3  # move mode kept every source
    monkeypatch.undo()
    cli("ingest", "--mode", "move", roll)
    assert frame_count(library) == 3 and archive_files(library) == catalogued_paths(library)


def test_disk_full_while_opening_the_catalog_is_not_called_a_damaged_catalog(cli, library, roll, monkeypatch):
    """Item 16: "filmflow.db is not a filmflow catalog ... move it aside" sent users the wrong way."""
    from filmflow.errors import ConfigError
    from filmflow.opencatalog import open_catalog

    real = open_catalog
    calls = []

    def full(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:  # the ingest's own open (the CLI's first one went through)
            raise ConfigError(f"{self.db_path} is not a filmflow catalog (database or disk is full); "
                              "move it aside or pick another library.")
        return real(self, *a, **k)

    for module in [m for n, m in list(sys.modules.items()) if n.startswith("filmflow.")]:
        if getattr(module, "open_catalog", None) is real:  # every module that opens the catalog
            monkeypatch.setattr(module, "open_catalog", full)
    r = cli("ingest", roll, code=1)
    assert "is full" in r.stderr and "mounted at" in r.stderr and "move it aside" not in r.stderr


@pytest.fixture
def small_disk(tmp_path: Path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if not ROOT:
        pytest.skip("SKIPPED LOUDLY: the disk-full test mounts a 3 MB tmpfs and needs root (CI runs as root)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode:
        pytest.skip(f"SKIPPED LOUDLY: cannot mount a tmpfs here ({r.stderr.decode().strip()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_while_copying_on_a_real_small_disk(tmp_path, small_disk):
    lib = make_library(small_disk / "lib")
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 8, size=(1400, 1000), seed=5, quality=98, grain=60)
    assert sum(p.stat().st_size for p in folder.iterdir()) > 4_000_000
    r = ff(lib, "ingest", folder)
    assert r.returncode == 1, r.stderr
    assert "full" in r.stderr and "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert archive_files(lib) == catalogued_paths(lib)  # nothing uncatalogued left behind
    assert not temp_files(lib.root)
    assert ff(lib, "rolls", "--json").returncode == 0  # the catalog is healthy


def test_disk_full_at_the_commit_on_a_real_small_disk(tmp_path, small_disk, monkeypatch):
    """Item 16: the copies fit, then the disk fills before the catalog commit."""
    from conftest import Cli

    lib = make_library(small_disk / "lib")
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 3, seed=6)
    filler = small_disk / "filler"
    real = Ingester._commit

    def fill_then_commit(self, *a, **k):
        with open(filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        return real(self, *a, **k)

    monkeypatch.setattr(Ingester, "_commit", fill_then_commit)
    r = Cli(lib)("ingest", "--mode", "move", folder, code=1)
    assert "is full" in r.stderr and str(small_disk) in r.stderr and "internal error" not in r.stderr
    filler.unlink()
    assert archive_files(lib) == set() and not temp_files(lib.root)
    assert len(list(folder.iterdir())) == 3
    monkeypatch.undo()
    Cli(lib)("ingest", "--mode", "move", folder)
    assert frame_count(lib) == 3 and archive_files(lib) == catalogued_paths(lib)


def test_temp_sweep_removes_only_files_no_running_process_owns(cli, library):
    """Item 18: `watch --once` deleted a running ingest's or export's in-flight temp files."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    folder = library.archive / "2023" / "R001"
    folder.mkdir(parents=True)
    live = folder / fsutil.temp_path_for(folder / "a.jpg").name  # ours: this process is alive
    gone = folder / fsutil.temp_path_for(folder / "b.jpg", int(dead)).name
    legacy = folder / ".c.jpg.filmflow-tmp-0123abcd"
    fresh_legacy = folder / ".d.jpg.filmflow-tmp-4567cdef"  # e.g. a probe file being used right now
    for p in (live, gone, legacy, fresh_legacy):
        p.write_bytes(b"x")
    os.utime(legacy, (1e9, 1e9))
    assert clean_leftovers(library) == 2
    assert live.exists() and fresh_legacy.exists() and not gone.exists() and not legacy.exists()
    cli("watch", "--once", "--settle", "0")
    assert live.exists()


def test_two_ingests_of_one_folder_at_once_end_with_every_frame_once(library, tmp_path):
    """Item 18: one internal error and dozens of hidden temp copies left."""
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 12, seed=12)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "filmflow", "--library", str(library.root), "ingest", str(folder)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [rc for rc, _ in results] == [0, 0], results
    assert frame_count(library) == 12 and len(archive_files(library)) == 12
    assert archive_files(library) == catalogued_paths(library)
    assert not temp_files(library.root)


def test_temp_names_stay_within_name_max():
    for name in ("a" * 250 + ".jpg", "필름" * 40 + "_0001.tif", "x.jpg"):
        tmp = fsutil.temp_path_for(Path("/x") / name)
        assert len(tmp.name.encode()) <= 255 and fsutil.is_temp_name(tmp.name)
        assert fsutil.temp_owner(tmp.name) == os.getpid()


@pytest.mark.parametrize("name", ["a" * 245 + "_0001.jpg", "필름" * 40 + "_0001.jpg"])
def test_a_legal_long_scan_name_is_archived_under_its_own_name(cli, library, tmp_path, name):
    """Item 24: a 232-255-byte name could never be archived (and the error blamed the name)."""
    assert 232 <= len(name.encode()) <= 255
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_scan(folder / name, seed=24)
    out = cli.json("ingest", folder)
    assert out[0]["added"] == 1
    (path,) = rows(library, "SELECT path FROM frames")[0]
    assert Path(path).name == name and sha(library.resolve(path)) == sha(folder / name)


SLOW_INGEST = """
import sys, time
import filmflow.imaging as im
real = im.make_thumbnail
def slow(*a, **k):
    time.sleep(0.4)
    return real(*a, **k)
im.make_thumbnail = slow
from filmflow.cli import main
sys.argv = ["filmflow", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_mid_ingest_leaves_no_temp_copies(tmp_path, workers):
    """Item 25: an ingest stopped by SIGTERM left hidden temp copies in the archive."""
    lib = make_library(tmp_path / "lib", workers=workers)
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 16, seed=25)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-c", SLOW_INGEST, "--library", str(lib.root), "ingest", str(folder)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_until(lambda: temp_files(lib.archive) or p.poll() is not None, timeout=120)
        assert p.poll() is None, "the ingest ended before it could be stopped"
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
        p.stderr.close()
    assert rc == 130
    wait_until(lambda: not temp_files(lib.root), timeout=30)  # pool workers finish the file in hand
    assert ff(lib, "ingest", folder).returncode == 0
    assert frame_count(lib) == 16 and archive_files(lib) == catalogued_paths(lib)


def test_watch_once_started_during_an_ingest_leaves_its_temp_copies_alone(tmp_path):
    """Item 18: cron's `watch --once` swept a running ingest's in-flight copies (it crashed)."""
    from conftest import Cli

    lib = make_library(tmp_path / "lib")
    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 8, seed=18)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-c", SLOW_INGEST, "--library", str(lib.root), "ingest", str(folder)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_until(lambda: temp_files(lib.archive) or p.poll() is not None, timeout=120)
        assert p.poll() is None, "the ingest ended before the watcher started"
        Cli(lib)("watch", "--once", "--settle", "0")  # its start-up sweep runs beside the ingest
        rc = p.wait(timeout=300)
        err = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
        p.stderr.close()
    assert rc == 0, err
    assert frame_count(lib) == 8 and archive_files(lib) == catalogued_paths(lib) and not temp_files(lib.root)


def test_colour_profile_warnings_name_the_users_scan(cli, library, tmp_path, caplog):
    """Item 27: the warning named filmflow's temp file, not the scan."""
    folder = tmp_path / "2023-05-01 Portra400 R042"
    scan = imagegen.make_scan(folder / "R042_0001.jpg", seed=27, icc=b"this is no ICC profile at all" * 4)
    with caplog.at_level(logging.WARNING, logger="filmflow"):
        cli("ingest", folder)
    warnings = [r.getMessage() for r in caplog.records if "ICC" in r.getMessage()]
    assert warnings and all(str(scan) in w and fsutil.TMP_MARK not in w for w in warnings)
