"""Versions of a frame: edit marks, the perceptual match, `version add|list|prefer`, verify."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from filmflow import imaging
from filmflow.versions import EditMarks, distance, dhash, looks_alike
from imagegen import make_scan, scan_image

STEMS = {"r042_0012": "R042/12", "000007": "R042/7", "img 3": "R042/3"}


@pytest.mark.parametrize("name, want", [
    ("R042_0012-edit.tif", "R042/12"), ("R042_0012_edit.jpg", "R042/12"), ("R042_0012-Edit.tif", "R042/12"),
    ("R042_0012 copy.tif", "R042/12"), ("R042_0012 copy 2.tif", "R042/12"), ("R042_0012_01.jpg", "R042/12"),
    ("R042_0012-edit-edit.tif", "R042/12"), ("R042_0012-Edit-2.tif", "R042/12"), ("R042_0012_edited.png", "R042/12"),
    ("000007-levels.tif", "R042/7"), ("IMG 3 copy.tif", "R042/3"), ("r042_0012-EDIT.TIF", "R042/12"),
    ("R042_0012.jpg", None), ("R042_0013.jpg", None), ("R042_00123.jpg", None), ("R042_0012-portrait.jpg", None),
    ("R042_0012x-edit.jpg", None), ("other-edit.jpg", None),
])
def test_edit_marks(name, want):
    assert EditMarks.load().edit_of(name, STEMS) == want


def test_user_edit_marks_extend_the_built_in_ones():
    marks = EditMarks.load(("_insta",))
    assert marks.edit_of("R042_0012_insta.jpg", STEMS) == "R042/12"
    assert marks.edit_of("R042_0012-edit.jpg", STEMS) == "R042/12"


def _thumb(tmp: Path, img: Image.Image, name: str, quality: int = 90) -> str:
    src, thumb = tmp / f"{name}.jpg", tmp / f"{name}.thumb.jpg"
    img.save(src, quality=quality)
    imaging.make_thumbnail(src, thumb, 512)
    return dhash(thumb)


@pytest.mark.parametrize("seed", [3, 11, 27])
def test_a_rescan_looks_alike_and_another_frame_does_not(tmp_path, seed):
    original = scan_image((1200, 800), seed=seed, label="12")
    h = _thumb(tmp_path, original, "a")
    rescan = ImageEnhance.Contrast(ImageEnhance.Brightness(
        scan_image((2400, 1600), seed=seed, label="12", grain=24)).enhance(1.08)).enhance(1.1)
    other = scan_image((1200, 800), seed=seed + 1000, label="12")   # the same number on another roll's scan
    assert looks_alike(h, _thumb(tmp_path, rescan, "r", quality=75), 0.2)
    assert not looks_alike(h, _thumb(tmp_path, other, "o"), 0.2)
    assert distance(h, h) == 0.0 and len(h) == 64


@pytest.fixture
def roll(cli, tmp_path):
    folder = tmp_path / "R042 Portra 400 2024-10-06"
    for i in (1, 2, 3):
        make_scan(folder / f"R042_{i:04d}.jpg", size=(900, 600), seed=i)
    cli("ingest", folder)
    return folder


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_version_add_archives_a_verified_copy_and_prefers_the_newest_edit(cli, roll, tmp_path):
    edit = tmp_path / "R042_0002-edit.tif"
    Image.open(roll / "R042_0002.jpg").crop((40, 30, 860, 570)).save(edit)
    before = _sha(edit)
    r = cli("version", "add", "R042/2", edit)
    assert "version 2 (edit)" in r.stdout
    assert _sha(edit) == before                                   # the user's file is untouched
    versions = cli.json("version", "list", "R042/2")
    assert [(v["n"], v["kind"], v["preferred"]) for v in versions] == [(1, "original", False), (2, "edit", True)]
    archived = Path(versions[1]["path"])
    assert archived.parent == Path(versions[0]["path"]).parent and _sha(archived) == before
    assert (versions[1]["width"], versions[1]["height"]) == (820, 540)
    (frame,) = cli.json("frames", "R042/2")
    assert frame["versions"] == versions
    cli("version", "prefer", "R042/2", "1")
    assert [v["preferred"] for v in cli.json("version", "list", "R042/2")] == [True, False]
    # a frame with no other version lists its scan alone
    (one,) = cli.json("frames", "R042/1")
    assert [(v["n"], v["kind"], v["preferred"]) for v in one["versions"]] == [(1, "original", True)]


def test_a_larger_rescan_is_preferred_over_the_original(cli, roll, tmp_path):
    rescan = tmp_path / "R042_0003_hires.tif"
    make_scan(rescan, size=(1800, 1200), seed=3)
    cli("version", "add", "R042/3", rescan, "--kind", "scan")
    versions = cli.json("version", "list", "R042/3")
    assert [(v["kind"], v["preferred"]) for v in versions] == [("original", False), ("scan", True)]
    assert versions[1]["bits"] == 8 and versions[1]["width"] == 1800


def test_version_add_refuses_what_is_not_a_picture_or_already_there(cli, roll, tmp_path):
    psd = tmp_path / "R042_0001.psd"
    psd.write_bytes(b"8BPS" + b"\0" * 100)
    assert "Photoshop" in cli("version", "add", "R042/1", psd, code=2).stderr
    empty = tmp_path / "R042_0001-edit.jpg"
    empty.write_bytes(b"")
    assert "empty" in cli("version", "add", "R042/1", empty, code=2).stderr
    same = tmp_path / "R042_0001 copy.jpg"
    same.write_bytes((roll / "R042_0001.jpg").read_bytes())
    assert "byte-identical to R042/1" in cli("version", "add", "R042/1", same, code=2).stderr
    truncated = tmp_path / "R042_0001-cut.jpg"
    truncated.write_bytes((roll / "R042_0001.jpg").read_bytes()[:3000])
    err = cli("version", "add", "R042/1", truncated, code=2).stderr
    assert "R042_0001-cut.jpg" in err and "Traceback" not in err
    assert cli("version", "add", "R042/9", psd, code=2).stderr.count("\n") == 1
    assert [v["n"] for v in cli.json("version", "list", "R042/1")] == [1]
    assert "no version 5" in cli("version", "prefer", "R042/1", "5", code=2).stderr
    # nothing half-written was left beside the archive copies
    archive = Path(cli.json("frames", "R042/1")[0]["path"]).parent
    assert sorted(p.name for p in archive.iterdir()) == ["R042_0001.jpg", "R042_0002.jpg", "R042_0003.jpg"]


def test_verify_covers_versions(cli, roll, tmp_path):
    edit = tmp_path / "R042_0001-edit.jpg"
    make_scan(edit, size=(900, 600), seed=77)
    cli("version", "add", "R042/1", edit)
    ok = cli.json("verify", "--rehash")
    assert ok["unknown"] == [] and ok["missing"] == []
    archived = Path(cli.json("version", "list", "R042/1")[1]["path"])
    archived.write_bytes(archived.read_bytes()[:-10] + b"0123456789")
    changed = cli.json("verify", "--rehash", code=1)
    assert [c["ref"] for c in changed["changed"]] == ["R042/1 version 2"]
    archived.unlink()
    missing = cli.json("verify", code=1)
    assert [m["ref"] for m in missing["missing"]] == ["R042/1 version 2"]


def test_a_roll_edit_refiles_versions_with_their_frames(cli, roll, tmp_path):
    edit = tmp_path / "R042_0001-edit.jpg"
    make_scan(edit, size=(900, 600), seed=78)
    cli("version", "add", "R042/1", edit)
    cli("roll", "edit", "R042", "--code", "R050")
    versions = cli.json("version", "list", "R050/1")
    assert all("R050" in v["path"] for v in versions)
    assert Path(versions[1]["path"]).is_file() and _sha(Path(versions[1]["path"])) == _sha(edit)
    report = cli.json("verify", "--rehash")
    assert report["unknown"] == [] and report["missing"] == [] and report["changed"] == []


def test_an_edit_saved_into_the_archive_becomes_a_version_where_it_lies(cli, roll, tmp_path):
    import os
    import time

    archive = Path(cli.json("frames", "R042/2")[0]["path"]).parent
    edit = archive / "R042_0002_01.jpg"               # darktable's duplicate, exported beside the scan
    make_scan(edit, size=(900, 600), seed=90)
    fresh = archive / "R042_0003-edit.jpg"            # still being written (seconds old): left for next time
    make_scan(fresh, size=(900, 600), seed=91)
    stray = archive / "notes.jpg"
    make_scan(stray, size=(300, 200), seed=92)
    old = time.time() - 3600
    os.utime(edit, (old, old))
    os.utime(stray, (old, old))
    before = _sha(edit)
    report = cli.json("verify", code=1)               # the stray file stays unknown
    assert report["adopted"] == [{"ref": "R042/2 version 2", "path": str(edit)}]
    assert sorted(report["unknown"]) == sorted([str(fresh), str(stray)])
    versions = cli.json("version", "list", "R042/2")
    assert versions[1]["path"] == str(edit) and versions[1]["kind"] == "edit" and _sha(edit) == before
    assert cli.json("verify", code=1)["adopted"] == []  # nothing doubled on the next run
    os.utime(fresh, (old, old))
    stray.unlink()
    final = cli.json("verify")
    assert final["adopted"] == [{"ref": "R042/3 version 2", "path": str(fresh)}] and final["unknown"] == []


# -- found by themselves at ingest ----------------------------------------------------------

def _solid(path: Path, colour: tuple[int, int, int], size=(900, 600)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = scan_image(size, seed=sum(colour))
    img.paste(Image.new("RGB", (size[0] // 2, size[1] // 2), colour), (size[0] // 4, size[1] // 4))
    img.save(path, quality=92) if path.suffix.lower() in (".jpg", ".jpeg") else img.save(path)
    return path


def test_edits_arriving_with_their_scans_become_versions(cli, tmp_path):
    folder = tmp_path / "R050 HP5 2024-11-02"
    for i in (1, 2, 3):
        make_scan(folder / f"R050_{i:04d}.jpg", size=(900, 600), seed=200 + i)
    _solid(folder / "R050_0002-edit.tif", (200, 30, 30), (800, 540))     # cropped, converted to TIFF
    _solid(folder / "R050_0003_01.jpg", (30, 200, 30))                   # darktable duplicate
    _solid(folder / "R050_0003_01-edit.jpg", (30, 30, 200))              # an edit of that edit
    (rep,) = cli.json("ingest", folder)
    assert rep["added"] == 3 and sorted(rep["versions"]) == ["R050/2 version 2", "R050/3 version 2",
                                                            "R050/3 version 3"]
    assert [f["frame"] for f in cli.json("frames", "roll:R050")] == ["1", "2", "3"]
    v2 = cli.json("version", "list", "R050/2")
    assert [(v["kind"], v["file"], v["preferred"]) for v in v2] == [("original", "R050_0002.jpg", False),
                                                                    ("edit", "R050_0002-edit.tif", True)]
    assert Path(v2[1]["path"]).parent == Path(v2[0]["path"]).parent
    again = cli.json("ingest", folder)[0]            # nothing doubled on a re-run
    assert again["added"] == 0 and again["versions"] == []
    assert cli.json("verify")["unknown"] == []


def test_a_folder_of_edits_named_for_the_roll_joins_it(cli, roll, tmp_path):
    edits = tmp_path / "R042 edits"
    _solid(edits / "R042_0001-Edit.tif", (250, 250, 0))                  # Lightroom "Edit in Photoshop"
    _solid(edits / "R042_0003 copy.tif", (0, 250, 250))                  # Photoshop "Save as copy"
    (rep,) = cli.json("ingest", edits)
    assert rep["roll"] == "R042" and rep["added"] == 0
    assert sorted(rep["versions"]) == ["R042/1 version 2", "R042/3 version 2"]
    # an edit byte-identical to a version already there is a duplicate
    twin = tmp_path / "again" / "R042_0001-Edit.tif"
    twin.parent.mkdir()
    twin.write_bytes((edits / "R042_0001-Edit.tif").read_bytes())
    rep2 = cli.json("ingest", twin.parent, "--roll", "R042")[0]
    assert rep2["versions"] == [] and rep2["duplicates"] == 1


def test_a_rescan_with_a_frames_number_is_a_scan_version_and_another_picture_a_new_frame(cli, roll, tmp_path):
    later = tmp_path / "rescans"
    later.mkdir()
    # frame 2's negative scanned again at twice the resolution (the fixture made frame 2 from seed 2)
    make_scan(later / "R042_0002.jpg", size=(1800, 1200), seed=2)
    make_scan(later / "R042_0003.jpg", size=(900, 600), seed=999)   # another picture numbered 3
    (rep,) = cli.json("ingest", later, "--roll", "R042")
    assert rep["versions"] == ["R042/2 version 2"] and rep["frames"] == ["R042/3-2"]
    v = cli.json("version", "list", "R042/2")
    assert [(x["kind"], x["preferred"]) for x in v] == [("original", False), ("scan", True)]


def test_an_edit_mark_with_no_such_frame_is_a_new_frame_with_a_warning(cli, roll, tmp_path, caplog):
    folder = tmp_path / "extra"
    make_scan(folder / "R042_0099-edit.jpg", size=(900, 600), seed=5)
    (rep,) = cli.json("ingest", folder, "--roll", "R042")
    assert rep["versions"] == [] and rep["added"] == 1
    assert "named like an edit" in caplog.text
