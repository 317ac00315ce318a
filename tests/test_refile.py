"""Re-filing a roll (`roll edit`): kill -9 at every step, two edits at once, year changes.

A real `filmflow roll edit` subprocess is paused at a named step through
$FILMFLOW_TEST_PAUSE_AT (it writes a marker file and waits until the marker is removed),
then SIGKILLed or let go; the next command must leave exactly one copy of every scan, in
the folder the catalog names, and `verify` clean.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import imagegen
from conftest import wait_until

N = 4


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def ingested(cli, library, tmp_path):
    folder = tmp_path / "inbox" / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, N, pattern="R042_{n:04d}.jpg", seed=7)
    (folder / "roll.toml").write_text('camera = "Nikon FM2"\n', encoding="utf-8")
    cli("ingest", folder)
    return {f["sha256"] for f in cli.json("frames")}


def edit(library, *args, pause: str | None = None, marker: Path | None = None, **kw) -> subprocess.Popen:
    env = {**os.environ}
    if pause:
        env["FILMFLOW_TEST_PAUSE_AT"] = f"{pause}:{marker}"
    return subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(library.root), "roll", "edit", *args],
                            env=env, stdout=subprocess.PIPE, text=True, **kw)


def archive_scans(library) -> list[Path]:
    return sorted(p for p in library.archive.rglob("*") if p.is_file())


def assert_one_clean_copy(cli, library, shas: set[str], code: str, folder_part: str) -> None:
    frames = cli.json("frames")
    assert {f["sha256"] for f in frames} == shas and all(f["ref"].startswith(f"{code}/") for f in frames)
    roll = cli.json("roll", "show", code)
    assert folder_part in Path(roll["path"]).name and roll["path"].startswith(str(library.archive))
    for f in frames:
        assert Path(f["path"]).parent == Path(roll["path"]) and sha(Path(f["path"])) == f["sha256"]
    scans = [p for p in archive_scans(library) if p.suffix == ".jpg"]
    assert len(scans) == N, scans  # one copy each, nothing doubled, no hidden temp copies
    assert not [p for p in library.archive.rglob(".*") if p.is_file()]
    assert len(list(library.archive.rglob("roll.toml"))) == 1
    doc = cli.json("verify", "--rehash")
    assert doc["unknown"] == [] and doc["missing"] == [] and doc["changed"] == []


@pytest.mark.parametrize("step, survives_as", [
    ("intent", ("R042", "R042 Kodak Portra 400")),      # nothing copied yet: undone
    ("copied-2", ("R042", "R042 Kodak Portra 400")),    # half the copies: undone
    ("copied", ("R042", "R042 Kodak Portra 400")),      # every copy, no commit: undone
    ("committed", ("R100", "R100 Kodak Portra 400")),   # committed, old files still there: finished
])
def test_kill_9_during_refile_then_any_command_leaves_one_copy(cli, library, ingested, tmp_path, step, survives_as):
    marker = tmp_path / "paused"
    p = edit(library, "R042", "--code", "R100", pause=step, marker=marker)
    try:
        wait_until(marker.exists, timeout=60)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL
    if step == "committed":
        assert len([p for p in archive_scans(library) if p.suffix == ".jpg"]) == 2 * N  # both copies on disk
    cli("rolls")  # any command that opens the catalog finishes or undoes the re-filing
    code, folder = survives_as
    assert_one_clean_copy(cli, library, ingested, code, folder)
    # and the edit can simply be run again
    cli("roll", "edit", code, "--code", "R200")
    assert_one_clean_copy(cli, library, ingested, "R200", "R200 Kodak Portra 400")


def edits_at_once(library, tmp_path, first_args, pause, second_args, then) -> str:
    """Run `first_args` paused at `pause`, start `second_args` and wait until it waits for the roll's
    lock, then call then(first, marker); returns the second edit's stderr once it exited 0."""
    marker, err = tmp_path / "paused", tmp_path / "second.err"
    first = edit(library, *first_args, pause=pause, marker=marker)
    procs = [first]
    try:
        wait_until(marker.exists, timeout=60)
        with open(err, "w") as f:
            procs.append(edit(library, *second_args, stderr=f))
        wait_until(lambda: "waiting" in err.read_text(), timeout=60)
        assert procs[1].poll() is None
        then(first, marker)
        assert procs[1].wait(timeout=120) == 0, err.read_text()
        return err.read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def test_two_edits_of_one_roll_run_one_after_the_other(cli, library, ingested, tmp_path):
    def let_go(first, marker):
        marker.unlink()
        assert first.wait(timeout=120) == 0

    edits_at_once(library, tmp_path, ("R042", "--stock", "ektar100"), "copied-1", ("R042", "--code", "R200"), let_go)
    assert_one_clean_copy(cli, library, ingested, "R200", "R200 Kodak Ektar 100")


def test_an_edit_waiting_for_a_killed_edit_undoes_it_first(cli, library, ingested, tmp_path):
    def kill(first, _marker):
        first.kill()
        first.wait(timeout=60)

    edits_at_once(library, tmp_path, ("R042", "--code", "R100"), "copied-2", ("R042", "--stock", "hp5"), kill)
    assert_one_clean_copy(cli, library, ingested, "R042", "R042 Ilford HP5 Plus")


@pytest.mark.parametrize("option, value, year", [("--developed", "2021-06-30", "2021"),
                                                 ("--shot", "2020-01-02..2020-01-05", "2020")])
def test_a_date_edit_that_changes_the_year_refiles_the_roll(cli, library, ingested, option, value, year):
    old = Path(cli.json("roll", "show", "R042")["path"])
    assert old.parent.name == "2023"
    r = cli("roll", "edit", "R042", option, value)
    assert f"{N} files re-filed" in r.stdout
    roll = cli.json("roll", "show", "R042")
    assert Path(roll["path"]).parent.name == year and not old.exists()
    assert_one_clean_copy(cli, library, ingested, "R042", "R042 Kodak Portra 400")


def test_an_edit_the_archive_template_does_not_use_moves_nothing(cli, library, ingested):
    old = cli.json("roll", "show", "R042")["path"]
    r = cli("roll", "edit", "R042", "--developed", "2023-12-24", "--title", "Xmas")
    assert "re-filed" not in r.stdout and cli.json("roll", "show", "R042")["path"] == old


def test_a_refile_refused_midway_removes_its_copies(cli, library, ingested):
    roll = cli.json("roll", "show", "R042")
    target = library.archive / "2023" / "R100 Kodak Portra 400"
    target.mkdir(parents=True)
    stranger = target / sorted(Path(f["path"]).name for f in cli.json("frames"))[-1]
    stranger.write_bytes(b"the user's own, different file")
    r = cli("roll", "edit", "R042", "--code", "R100", code=1)
    assert "will not overwrite" in r.stderr and "Traceback" not in r.stderr
    assert cli.json("roll", "show", "R042")["path"] == roll["path"]
    assert sorted(p.name for p in target.iterdir()) == [stranger.name]  # our copies gone, theirs kept
    assert stranger.read_bytes() == b"the user's own, different file"


def test_xmp_sidecars_beside_scans_move_with_them(cli, library, ingested):
    frames = cli.json("frames")
    first = Path(frames[0]["path"])
    sidecar = first.with_name(first.name + ".xmp")
    sidecar.write_text("<x:xmpmeta/>", encoding="utf-8")
    cli("roll", "edit", "R042", "--code", "R300")
    new = Path(cli.json("roll", "show", "R300")["path"])
    assert (new / sidecar.name).read_text(encoding="utf-8") == "<x:xmpmeta/>"
    assert not first.parent.exists()


def test_status_shows_a_roll_edit_under_way_and_nothing_once_it_is_done(cli, library, ingested, tmp_path):
    marker = tmp_path / "paused"
    p = edit(library, "R042", "--code", "R100", pause="copied-2", marker=marker)
    try:
        wait_until(marker.exists, timeout=60)
        st = cli.json("status")
        assert len(st["refiling"]) == 1
        r = st["refiling"][0]
        assert (r["roll"], r["state"], r["files"], r["pid"]) == ("R042", "copying", N + 1, p.pid)  # + roll.toml
        assert r["from"] == cli.json("roll", "show", "R042")["path"] and "R100" in Path(r["to"]).name
        text = cli("status").stdout
        assert f"R042 moving to {r['to']} (copying, {N + 1} files, pid {p.pid})" in text
        marker.unlink()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=60)
    assert cli.json("status")["refiling"] == []
    assert "roll edits" in cli("status").stdout and "moving to" not in cli("status").stdout


def test_an_ingest_into_a_roll_being_moved_waits_and_files_into_the_new_folder(cli, library, ingested, tmp_path):
    folder = tmp_path / "inbox" / "2023-05-01 Portra400 R042"
    new_scan = imagegen.make_scan(folder / "R042_0005.jpg", seed=99)
    marker, err = tmp_path / "paused", tmp_path / "ingest.err"
    p = edit(library, "R042", "--code", "R100", pause="copied-2", marker=marker)
    ing = None
    try:
        wait_until(marker.exists, timeout=60)
        with err.open("w") as e:
            ing = subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(library.root), "ingest",
                                    str(folder)], stdout=subprocess.PIPE, stderr=e, text=True)
        wait_until(lambda: "editing this roll" in err.read_text(), timeout=60)  # it waits for the lock
        assert ing.poll() is None and len(cli.json("frames", "roll:R042")) == N  # nothing added yet
        marker.unlink()
        assert p.wait(timeout=60) == 0 and ing.wait(timeout=120) == 0, err.read_text()
    finally:
        for proc in (p, ing):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)
    roll = cli.json("roll", "show", "R100")
    frames = cli.json("frames", "roll:R100")
    assert len(frames) == N + 1 and all(Path(f["path"]).parent == Path(roll["path"]) for f in frames)
    assert sha(new_scan) in {f["sha256"] for f in frames}
    doc = cli.json("verify", "--rehash")
    assert doc["unknown"] == [] and doc["missing"] == [] and doc["changed"] == []
