"""The watcher and `status` tell the truth: partial files, failures once, refused folders, loose images, quiet logs.

Partial-file ages are set with os.utime (no sleeping on luck); live watchers are waited on
with conftest.wait_until.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import imagegen
from conftest import make_library, wait_until
from filmflow.ingest.mode import IngestMode
from filmflow.watch import Watcher
from filmflow.opencatalog import open_catalog


def frames(lib) -> int:
    db = open_catalog(lib)
    try:
        return db.conn.execute("SELECT count(*) FROM frames").fetchone()[0]
    finally:
        db.conn.close()


def age(path: Path, seconds: float) -> None:
    """Make `path` look unchanged for `seconds`."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def once(lib, **kw) -> Watcher:
    w = Watcher(lib, lib.inbox, 0, IngestMode.COPY, **kw)
    w.run_once()
    return w


# ---- 4: a partial file holds its folder back until it is abandoned ----------------------------

def test_stale_partial_is_left_out_with_a_warning_and_the_folder_ingested(tmp_path, caplog):
    lib = make_library(tmp_path / "lib", abandon_partial="30")
    folder = lib.inbox / "2023-02-02 HP5"
    imagegen.make_roll(folder, 3, seed=61)
    part = folder / "000004.jpg.part"
    part.write_bytes(b"half a download")
    for p in folder.iterdir():
        age(p, 100)                                   # older than abandon_partial (30 s)
    caplog.set_level(logging.INFO)
    once(lib)
    assert frames(lib) == 3
    assert part.exists()                              # left alone, never catalogued
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "000004.jpg.part" in r.message]
    assert len(warned) == 1 and "left out" in warned[0].message


def test_changing_partial_holds_the_folder_back_and_says_which_file(tmp_path, caplog):
    lib = make_library(tmp_path / "lib", abandon_partial="30")
    folder = lib.inbox / "2023-02-03 HP5"
    imagegen.make_roll(folder, 2, seed=62)
    for p in folder.iterdir():
        age(p, 100)
    part = folder / "000003.jpg.part"
    part.write_bytes(b"still downloading")
    age(part, 5)                                      # changed 5 s ago: still arriving
    caplog.set_level(logging.INFO)
    w = once(lib)
    assert frames(lib) == 0
    assert w.held() == {"2023-02-03 HP5": "000003.jpg.part"}
    assert any("held back" in r.message and "000003.jpg.part" in r.message for r in caplog.records)
    age(part, 31)                                     # the download died
    w.run_once()
    assert frames(lib) == 2 and w.held() == {}


def test_folder_still_arriving_names_its_partial_before_it_settles(library):
    folder = library.inbox / "2023-02-04 HP5"
    imagegen.make_roll(folder, 2, seed=63)             # just written: the folder has not settled
    (folder / "000003.jpg.crdownload").write_bytes(b"arriving")
    w = Watcher(library, library.inbox, 1000, IngestMode.COPY)
    w.run_once()
    assert frames(library) == 0
    assert w.held() == {"2023-02-04 HP5": "000003.jpg.crdownload"}


def test_default_abandon_partial_is_600_seconds(tmp_path):
    lib = make_library(tmp_path / "lib")
    assert lib.settings.abandon_partial == 600
    assert "abandon_partial = 600" in (lib.root / "filmflow.toml").read_text()


def test_status_names_the_file_a_held_folder_waits_for(library, cli):
    from test_watch import spawn

    p = spawn(library, "watch", "--settle", "0.2")
    try:
        wait_until(lambda: cli.json("status")["watcher"]["running"], timeout=30)
        imagegen.make_scan(library.inbox / "2023-08-09 Gold200" / "000001.jpg.part", fmt="JPEG", seed=15)
        wait_until(lambda: cli.json("status")["held_back"], timeout=30)
        st = cli.json("status")
        assert st["held_back"] == [{"source": "2023-08-09 Gold200", "waits_for": "000001.jpg.part"}]
        assert "2023-08-09 Gold200 (waits for 000001.jpg.part)" in cli("status").stdout
        imagegen.make_scan(library.inbox / "IMG_0042.jpg", seed=16)     # a loose image, while it runs
        wait_until(lambda: cli.json("status")["loose"] == ["IMG_0042.jpg"], timeout=30)
        assert "IMG_0042.jpg (left alone: put each in a folder" in cli("status").stdout
    finally:
        p.kill()
        p.wait()


# ---- 5: failures listed once, cleared by a later success ---------------------------------------

def test_a_failure_is_listed_once_and_cleared_when_the_file_is_replaced(library, cli, tmp_path, monkeypatch):
    folder = tmp_path / "scans" / "2023-03-03 Portra400"
    imagegen.make_roll(folder, 2, seed=63)
    bad = imagegen.make_truncated(folder / "000003.jpg", seed=64)
    cli("ingest", str(folder), code=1)                                 # absolute path
    monkeypatch.chdir(tmp_path)
    cli("ingest", os.path.join("scans", folder.name), code=1)         # the same folder, relative
    st = cli.json("status")
    assert st["failures"] == 1 and len(st["failed"]) == 1
    assert st["failed"][0]["source_path"] == str(bad)
    imagegen.make_scan(bad, seed=65, label="3")                        # the lab sends it again
    cli("ingest", str(folder))
    st = cli.json("status")
    assert st["failures"] == 0 and st["failed"] == []
    assert "000003.jpg" not in cli("status").stdout


# ---- 6: a folder refused whole shows in status with the reason and the fix ---------------------

def test_invalid_roll_toml_shows_in_status_until_fixed(library, cli, tmp_path):
    folder = tmp_path / "2023-04-04 HP5"
    imagegen.make_roll(folder, 2, seed=66)
    (folder / "roll.toml").write_text('stock = "HP5\n')                  # unterminated string
    cli("ingest", str(folder), code=1)
    st = cli.json("status")
    assert st["failures"] == 1
    error = st["failed"][0]["error"]
    assert "roll.toml" in error and "fix" in error
    assert st["failed"][0]["source_path"] == str(folder)
    assert "roll.toml" in cli("status").stdout
    (folder / "roll.toml").write_text('stock = "HP5"\n')
    cli("ingest", str(folder))
    assert cli.json("status")["failures"] == 0


def test_sidecar_code_of_another_roll_shows_in_status(library, cli, tmp_path):
    first = tmp_path / "2023-05-05 HP5"
    imagegen.make_roll(first, 1, seed=67)
    (first / "roll.toml").write_text('code = "R100"\n')
    cli("ingest", str(first))
    second = tmp_path / "2023-05-06 HP5"
    imagegen.make_roll(second, 1, seed=68)
    (second / "roll.toml").write_text('code = "R100"\n')
    cli("ingest", str(second), code=1)
    st = cli.json("status")
    assert st["failures"] == 1 and "R100" in st["failed"][0]["error"] and "--roll" in st["failed"][0]["error"]


def test_watcher_records_a_refused_folder(library, cli):
    folder = library.inbox / "2023-04-05 HP5"
    imagegen.make_roll(folder, 1, seed=69)
    (folder / "roll.toml").write_text("ei = [\n")
    once(library)
    st = cli.json("status")
    assert st["failures"] == 1 and "roll.toml" in st["failed"][0]["error"]


# ---- 7: a loose image dropped while the watcher runs -------------------------------------------

def test_loose_image_dropped_while_running_is_warned_once(library, caplog):
    caplog.set_level(logging.WARNING)
    w = Watcher(library, library.inbox, 0.1, IngestMode.COPY, tick=0.05)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_until(lambda: (library.logs / "watch.state.json").exists(), timeout=30)   # caught up
        loose = library.inbox / "IMG_0001.jpg"
        imagegen.make_scan(loose, seed=70)

        def warned():
            return [r for r in caplog.records if "IMG_0001.jpg" in r.message and "loose" in r.message]
        wait_until(warned, timeout=30)
        imagegen.make_scan(library.inbox / "IMG_0002.jpg", seed=71)   # events keep coming
        os.utime(loose)
        wait_until(lambda: [r for r in caplog.records if "IMG_0002.jpg" in r.message], timeout=30)
        assert len(warned()) == 1
    finally:
        w.stop()
        t.join(timeout=10)
    assert loose.exists()


# ---- 8: log noise ------------------------------------------------------------------------------

def test_unknown_sidecar_key_is_warned_once_not_at_every_other_ingest(library, caplog):
    folder = library.inbox / "2023-06-06 HP5"
    imagegen.make_roll(folder, 1, seed=72)
    (folder / "roll.toml").write_text('stock = "HP5"\ncamra = "FM2"\n')
    caplog.set_level(logging.WARNING)
    w = once(library)

    def noise():
        return [r for r in caplog.records if "camra" in r.message]
    assert len(noise()) == 1
    for i in range(3):                                                 # more rolls arrive
        imagegen.make_roll(library.inbox / f"2023-06-1{i} HP5", 1, seed=73 + i)
        w.run_once()
    Watcher(library, library.inbox, 0, IngestMode.COPY).run_once()     # a restart's catch-up
    assert frames(library) == 4 and len(noise()) == 1


def test_nested_folder_creation_prints_no_watchdog_warning(library, recwarn):
    """watchdog registers a nested folder made during its parent's walk twice and warns (~3 KB)."""
    w = Watcher(library, library.inbox, 600, IngestMode.COPY, tick=0.05)   # nothing settles: no ingest
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_until(lambda: (library.logs / "watch.state.json").exists(), timeout=30)   # observer up
        for i in range(100):
            (library.inbox / f"2023-07-{i:03d} HP5" / "scans" / "jpg" / "small").mkdir(parents=True)
        marker = library.inbox / "zz-last"
        marker.mkdir()
        wait_until(lambda: "zz-last" in w.waiting(), timeout=60)  # events are handled in order
    finally:
        w.stop()
        t.join(timeout=10)
    noisy = [str(x.message)[:120] for x in recwarn if "will be Overwritten" in str(x.message)]
    assert noisy == []


def test_a_failed_file_deleted_or_renamed_is_no_longer_listed(library, cli, tmp_path):
    folder = tmp_path / "2023-03-04 Portra400"
    imagegen.make_roll(folder, 2, seed=90)
    bad = imagegen.make_truncated(folder / "000003.jpg", seed=91)
    other = tmp_path / "2023-03-04 portra400"                           # another folder, case apart
    imagegen.make_roll(other, 1, seed=93)
    imagegen.make_truncated(other / "000009.jpg", seed=94)
    cli("ingest", str(folder), code=1)
    cli("ingest", str(other), code=1)
    assert cli.json("status")["failures"] == 2
    bad.unlink()                                                       # the photographer removed it
    imagegen.make_truncated(folder / "000004.jpg", seed=92)            # and another one fails now
    cli("ingest", str(folder), code=1)
    st = cli.json("status")
    assert sorted(f["source_path"] for f in st["failed"]) == sorted([str(folder / "000004.jpg"),
                                                                      str(other / "000009.jpg")])
