"""Ingest end to end through the CLI: archive bytes, catalog rows, origins, idempotence, modes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

import imagegen
from conftest import SAMPLES
from filmflow.opencatalog import open_catalog


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def rows(lib, sql, *params):
    db = open_catalog(lib)
    try:
        return db.conn.execute(sql, params).fetchall()
    finally:
        db.conn.close()


@pytest.fixture
def lab_roll(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox" / "2023-05-01 Portra400 EI800 R042"
    imagegen.make_roll(folder, 6, pattern="R042_{n:04d}.jpg", scanner=imagegen.NORITSU, seed=1)
    return folder


def test_copy_ingest_archives_verified_copies_and_tags_the_roll(cli, library, lab_roll):
    before = tree_hashes(lab_roll)
    out = cli.json("ingest", lab_roll)
    assert out[0]["roll"] == "R042" and out[0]["added"] == 6 and out[0]["duplicates"] == 0 and out[0]["failed"] == []
    assert tree_hashes(lab_roll) == before  # the source is never touched in copy mode
    frames = cli.json("frames")
    assert [f["ref"] for f in frames] == [f"R042/{i}" for i in range(1, 7)]
    for f in frames:
        p = Path(f["path"])
        assert p.is_relative_to(library.archive / "2023" / "R042 Kodak Portra 400")
        assert sha(p) == f["sha256"] == before[f["file"]]
        assert f["scanner"] == "NORITSU KOKI EZ Controller" and f["scanned"].startswith("2023-05-03")
        thumb = Image.open(f["thumbnail"])
        assert max(thumb.size) == 512 and thumb.mode == "RGB"
    roll = cli.json("roll", "show", "R042")
    assert roll["stock"] == "Kodak Portra 400" and roll["stock_iso"] == 400
    assert roll["ei"] == 800 and roll["push"] == 1.0 and roll["process"] == "C-41"
    assert roll["developed"] == "2023-05-01" and roll["camera"] is None  # the scanner is not the camera
    assert roll["scanner"] == "NORITSU KOKI EZ Controller" and roll["frames"] == 6
    assert roll["source"] == lab_roll.name
    assert roll["sources"]["stock"] == "folder" and roll["sources"]["scanner"] == "exif"
    assert roll["sources"]["code"] == "folder"


def test_rerun_changes_nothing_and_later_files_join_the_roll(cli, library, lab_roll):
    cli("ingest", lab_roll)
    db_before = rows(library, "SELECT id, sha256, path FROM frames ORDER BY id")
    again = cli.json("ingest", lab_roll)
    assert again[0]["added"] == 0 and again[0]["duplicates"] == 6
    assert rows(library, "SELECT id, sha256, path FROM frames ORDER BY id") == db_before
    imagegen.make_scan(lab_roll / "R042_0007.jpg", label="7", seed=77, exif=imagegen.scanner_exif(imagegen.NORITSU))
    later = cli.json("ingest", lab_roll)
    assert later[0]["roll"] == "R042" and later[0]["added"] == 1 and later[0]["frames"] == ["R042/7"]
    assert rows(library, "SELECT count(*), count(DISTINCT roll_id) FROM frames") == [(7, 1)]


def test_same_bytes_in_another_folder_are_a_duplicate(cli, library, lab_roll, tmp_path):
    cli("ingest", lab_roll)
    other = tmp_path / "inbox" / "copy of roll"
    shutil.copytree(lab_roll, other)
    out = cli.json("ingest", other)
    assert out[0]["added"] == 0 and out[0]["duplicates"] == 6
    assert out[0]["duplicate_files"][0]["of"] == "R042/1"
    assert rows(library, "SELECT count(*) FROM frames") == [(6,)]
    assert rows(library, "SELECT count(*) FROM rolls") == [(1,)]  # no empty roll for pure duplicates


def test_move_mode_empties_the_source_after_verified_copies(cli, library, lab_roll):
    before = tree_hashes(lab_roll)
    cli("ingest", "--mode", "move", lab_roll)
    assert not lab_roll.exists()
    frames = cli.json("frames")
    assert sorted(sha(Path(f["path"])) for f in frames) == sorted(before.values())


def test_in_place_catalogues_where_files_lie(cli, library, lab_roll):
    cli("ingest", "--mode", "in-place", lab_roll)
    frames = cli.json("frames")
    assert {Path(f["path"]).parent for f in frames} == {lab_roll}
    assert not any(library.archive.rglob("*.jpg"))


def test_sidecar_beats_folder_and_option_beats_sidecar(cli, library, tmp_path):
    folder = tmp_path / "in" / "2023-06-20 Tri-X 400 120"
    imagegen.make_roll(folder, 3, pattern="{n:02d}.jpg", scanner=imagegen.EPSON, mode="L", seed=5)
    (folder / "roll.toml").write_text(
        'code = "R043"\nstock = "HP5 Plus"\nei = 1600\nformat = "6x7"\ncamera = "Mamiya RB67"\n'
        'developed = 2023-06-12\nshot = "2023-06-01..2023-06-05"\ndeveloper = "HC-110 B 9min"\n'
        'tags = ["night"]\nproject = "Night markets"\n', encoding="utf-8")
    cli("ingest", "--developed", "2023-06-13", folder)
    roll = cli.json("roll", "show", "R043")
    assert roll["stock"] == "Ilford HP5 Plus" and roll["push"] == 2.0 and roll["ei"] == 1600
    assert roll["format"] == "6x7" and roll["camera"] == "Mamiya RB67"
    assert roll["developed"] == "2023-06-13" and roll["sources"]["developed"] == "option"
    assert roll["sources"]["stock"] == "sidecar" and roll["sources"]["format"] == "sidecar"
    assert (roll["shot_from"], roll["shot_to"]) == ("2023-06-01", "2023-06-05")
    assert roll["tags"] == ["night"]
    # the sidecar is archived beside the scans
    assert (Path(roll["path"]) / "roll.toml").read_text(encoding="utf-8").startswith('code = "R043"')
    assert rows(library, "SELECT count(*) FROM project_frames") == [(3,)]


def test_bad_files_fail_alone_with_reasons(cli, library, tmp_path):
    folder = tmp_path / "in" / "2023-11-20 Ultramax400"
    imagegen.make_roll(folder, 3, seed=9)
    imagegen.make_zero(folder / "000004.jpg")
    imagegen.make_truncated(folder / "000005.jpg", seed=3)
    imagegen.make_text_as_jpg(folder / "000006.jpg")
    (folder / "000007.nef").write_bytes(b"\x00NEF raw data" * 100)
    before = tree_hashes(folder)
    r = cli("ingest", "--json", folder, code=1)
    out = json.loads(r.stdout)[0]
    assert out["added"] == 3
    errors = {f["file"]: f["error"] for f in out["failed"]}
    assert set(errors) == {"000004.jpg", "000005.jpg", "000006.jpg", "000007.nef"}
    assert "empty" in errors["000004.jpg"] and "truncated" in errors["000005.jpg"]
    assert "Traceback" not in r.stderr and "000005.jpg" in r.stderr
    assert tree_hashes(folder) == before
    archived = {p.name for p in library.archive.rglob("*") if p.is_file()}
    assert archived == {"000001.jpg", "000002.jpg", "000003.jpg"}
    assert not [p for p in library.root.rglob("*") if ".filmflow-tmp-" in p.name]
    assert rows(library, "SELECT count(*) FROM failures") == [(4,)]


def test_unreadable_and_vanishing_files_are_reported(cli, library, tmp_path, monkeypatch):
    from filmflow import fsutil

    folder = tmp_path / "in" / "2023-01-02 Gold200"
    imagegen.make_roll(folder, 4, seed=21)
    real = fsutil.copy_hashing

    def flaky(src, out):
        if src.name == "000002.jpg":
            raise PermissionError(13, "Permission denied", str(src))
        if src.name == "000003.jpg":
            src.unlink()  # vanishes between listing and copying
        return real(src, out)

    monkeypatch.setattr(fsutil, "copy_hashing", flaky)
    out = json.loads(cli("ingest", "--json", folder, code=1).stdout)[0]
    errors = {f["file"]: f["error"] for f in out["failed"]}
    assert "permission denied" in errors["000002.jpg"] and "chmod" in errors["000002.jpg"]
    assert "vanished" in errors["000003.jpg"]
    assert out["added"] == 2


def test_unknown_stock_option_names_close_matches(cli, lab_roll, library):
    r = cli("ingest", "--stock", "Portra 4000", lab_roll, code=2)
    assert "Portra 400" in r.stderr and "Traceback" not in r.stderr
    assert rows(library, "SELECT count(*) FROM frames") == [(0,)]


def test_folder_without_date_or_stock_gets_a_default_code(cli, library, tmp_path):
    folder = tmp_path / "in" / "random scans"
    imagegen.make_roll(folder, 2, seed=31, pattern="scan{n}.jpg")
    out = cli.json("ingest", folder)
    assert out[0]["roll"] == "R001"
    roll = cli.json("roll", "show", "R001")
    assert roll["stock"] is None and roll["title"] == "random scans" and roll["sources"]["code"] == "default"
    assert roll["developed"] is None and roll["scanned"] == "2023-05-03"
    assert "undated" not in roll["path"]  # the scan year files it


def test_bad_sidecar_refuses_only_that_folder(cli, library, tmp_path, lab_roll):
    bad = tmp_path / "in" / "2023-02-02 HP5"
    imagegen.make_roll(bad, 2, seed=41)
    (bad / "roll.toml").write_text('stock = "HP5\n', encoding="utf-8")
    r = cli("ingest", bad, lab_roll, code=1)
    assert "roll.toml" in r.stderr and "not valid TOML" in r.stderr
    assert rows(library, "SELECT count(*) FROM frames") == [(6,)]


def test_sidecar_unknown_key_is_a_warning(cli, library, tmp_path):
    folder = tmp_path / "in" / "2023-02-03 HP5"
    imagegen.make_roll(folder, 1, seed=42)
    (folder / "roll.toml").write_text('camra = "FM2"\n', encoding="utf-8")
    r = cli("ingest", folder)
    assert "camra" in r.stderr and "'camera'" in r.stderr


def test_zip_delivery_and_hostile_zips(cli, library, tmp_path):
    src = tmp_path / "zsrc"
    files = imagegen.make_roll(src, 3, seed=51)
    good = imagegen.make_zip(tmp_path / "in" / "2023-08-15_Gold200_135.zip",
                             {f"2023-08-15_Gold200_135/{p.name}": p for p in files})
    out = cli.json("ingest", good)
    assert out[0]["added"] == 3
    roll = cli.json("roll", "show", out[0]["roll"])
    assert roll["stock"] == "Kodak Gold 200" and roll["format"] == "135"
    assert good.exists()  # copy mode keeps the delivery
    assert not any((library.cache / "unzip").rglob("*.jpg"))  # our extraction is cleaned up
    evil = imagegen.make_escaping_zip(tmp_path / "in" / "evil.zip")
    r = cli("ingest", evil, code=1)
    assert "outside" in r.stderr
    assert not (library.root / "cache" / "evil.jpg").exists() and not Path("/abs.jpg").exists()
    bomb = imagegen.make_bomb_zip(tmp_path / "in" / "bomb.zip")
    r = cli("ingest", bomb, code=1)
    assert "bomb" in r.stderr
    assert rows(library, "SELECT count(*) FROM frames") == [(3,)]


def test_dry_run_writes_nothing(cli, library, lab_roll):
    out = cli.json("ingest", "--dry-run", lab_roll)
    assert out[0]["dry_run"] and len(out[0]["plan"]["files"]) == 6 and out[0]["roll"] == "R042"
    assert not any(library.archive.rglob("*")) and rows(library, "SELECT count(*) FROM rolls") == [(0,)]


def test_missing_path_and_uninitialised_library(cli, tmp_path):
    r = cli("ingest", tmp_path / "nope", code=2)
    assert "does not exist" in r.stderr
    from click.testing import CliRunner

    from filmflow.cli import cli as root

    res = CliRunner().invoke(root, ["--library", str(tmp_path / "nolib"), "rolls"])
    assert res.exit_code == 2 and "filmflow init" in res.stderr and "Traceback" not in res.stderr


def test_16bit_tiff_keeps_bits_and_colour(cli, library, tmp_path):
    folder = tmp_path / "in" / "2023-10-14 Portra160 6x6 home"
    img = Image.new("RGB", (300, 300), (200, 120, 40))
    imagegen.write_tiff16_rgb(folder / "scan_0001.tif", img, exif_tags={"Make": "EPSON", "Model": "Perfection V850"})
    cli("ingest", folder)
    f = cli.json("frames")[0]
    assert f["bits"] == 16 and f["format"] == "TIFF" and (f["width"], f["height"]) == (300, 300)
    px = Image.open(f["thumbnail"]).convert("RGB").getpixel((150, 150))
    assert all(abs(a - b) <= 3 for a, b in zip(px, (200, 120, 40)))


def test_pool_ingest_matches_inline(tmp_path, lab_roll):
    from conftest import Cli, make_library

    lib = make_library(tmp_path / "pooled", workers="2")
    out = Cli(lib).json("ingest", lab_roll)
    assert out[0]["added"] == 6
    assert len(list((lib.cache / "thumbs").rglob("*.jpg"))) == 6


def test_roll_edit_refiles_by_verified_move(cli, library, lab_roll):
    cli("ingest", lab_roll)
    before = {f["sha256"] for f in cli.json("frames")}
    old_dir = Path(cli.json("roll", "show", "R042")["path"])
    cli("roll", "edit", "R042", "--code", "R100", "--stock", "ektar100", "--camera", "Nikon FM2")
    roll = cli.json("roll", "show", "R100")
    assert roll["stock"] == "Kodak Ektar 100" and roll["push"] == 3.0 and roll["camera"] == "Nikon FM2"
    assert roll["sources"]["camera"] == "option"
    frames = cli.json("frames")
    assert {f["sha256"] for f in frames} == before and all(f["ref"].startswith("R100/") for f in frames)
    assert all(sha(Path(f["path"])) == f["sha256"] and "R100 Kodak Ektar 100" in f["path"] for f in frames)
    assert not old_dir.exists()
    cli("roll", "show", "R042", code=2)
    # the path index follows the move (path: substrings search it)
    assert len(cli.json("frames", "path:R100 Kodak")) == 6 and cli.json("frames", "path:R042 Kodak") == []


def test_sample_scans_ingest(cli, library, tmp_path):
    inbox = tmp_path / "samples"
    shutil.copytree(SAMPLES, inbox)
    r = cli("ingest", "--json", *sorted(p for p in inbox.iterdir() if p.name != "README.md"), code=1)
    out = {o["source"]: o for o in json.loads(r.stdout)}
    assert out["2023-05-01 Portra400 EI800 R042"]["added"] == 12
    assert out["HP5 Plus 120 Mamiya"]["roll"] == "R043"
    assert out["포트라400 서울 산책 2023-07-02"]["added"] == 9  # nested extra/ included, junk ignored
    assert [f["file"] for f in out["2023-11-20 Ultramax400 bad"]["failed"]] == ["000003.jpg"]
    assert sum(o["added"] for o in out.values()) == sum(1 for _ in library.archive.rglob("*.[jJt][pPi]*[gGf]"))


def test_progress_bar_only_on_a_terminal(library, lab_roll):
    import pty
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "filmflow", "--library", str(library.root), "ingest"]
    piped = subprocess.run([*cmd, lab_roll], capture_output=True, text=True)
    assert piped.returncode == 0 and "6/6" not in piped.stderr and "R042" in piped.stdout
    # on a terminal: the bar is drawn on stderr (re-ingest a second roll through a pty)
    other = lab_roll.parent / "2023-05-02 Portra400 R043"
    imagegen.make_roll(other, 4, seed=61)
    master, slave = pty.openpty()
    p = subprocess.Popen([*cmd, other], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert p.wait(timeout=60) == 0
    assert b"4/4" in b"".join(chunks)
    os.close(master)


def test_move_mode_zip_is_removed_only_when_all_of_it_is_ours(cli, library, tmp_path, lab_roll):
    cli("ingest", lab_roll)  # R042 catalogued from its folder (copy mode)
    fresh = imagegen.make_roll(tmp_path / "z", 2, seed=71)
    mine = imagegen.make_zip(tmp_path / "in" / "2023-09-09_Gold200.zip", {p.name: p for p in fresh})
    assert cli.json("ingest", "--mode", "move", mine)[0]["added"] == 2
    assert not mine.exists()  # every entry is now in the archive under its own roll
    mixed = imagegen.make_zip(tmp_path / "in" / "2023-09-10_Gold200.zip",
                              {"new.jpg": imagegen.make_scan(tmp_path / "n.jpg", seed=72),
                               "dup.jpg": lab_roll / "R042_0001.jpg"})
    out = cli.json("ingest", "--mode", "move", mixed)[0]
    assert out["added"] == 1 and out["duplicates"] == 1
    assert mixed.exists()  # holds a scan catalogued as R042/1: not ours to delete
