"""Outputs never harm what they did not write (issue 12 items 3, 4, 8, 20; issue 11 sheet edges).

Sheets and exports refuse to replace files filmflow did not record as its own, refuse
targets inside the library's own folders, never leave a cut file under its final name
(disk full), rebuild a cut thumbnail, and draw any text, newlines included.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, JpegImagePlugin

from conftest import SAMPLES, Cli, make_library
from filmflow import imaging
from filmflow.errors import UnreadableImageError
from filmflow.export import ExportSettings, export_project
from filmflow.outputs.make import with_gaps
from filmflow.outputs.sheet import SheetFrame, SheetHeader, is_own_sheet, render_sheet
from tests import imagegen


def _decodes(p: Path) -> bool:
    try:
        with Image.open(p) as im:
            im.load()
        return True
    except (OSError, SyntaxError, ValueError):
        return False


@pytest.fixture
def r042(cli, library, tmp_path):
    shutil.copytree(SAMPLES / "2023-05-01 Portra400 EI800 R042", tmp_path / "in" / "R042")
    cli("ingest", tmp_path / "in" / "R042")
    return library


def _many(tmp_path: Path, n: int) -> list[SheetFrame]:
    d = tmp_path / "thumbs"
    d.mkdir(exist_ok=True)
    out = []
    for i in range(n):
        t = d / f"{i}.jpg"
        Image.new("RGB", (90, 60), (20 + i * 3 % 200, 90, 160)).save(t)
        out.append(SheetFrame(t, None, str(i + 1), "R001", "135", "KODAK"))
    return out


# --------------------------------------------------------------------------- item 3


def test_multi_page_sheet_never_replaces_a_page_it_did_not_write(tmp_path):
    frames = _many(tmp_path, 60)  # 10 strips of 135: two A4 pages
    out = tmp_path / "holiday.jpg"
    theirs = tmp_path / "holiday-2.jpg"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(theirs)
    before = theirs.read_bytes()
    with pytest.raises(Exception) as err:
        render_sheet(frames, SheetHeader("R001"), out, dpi=72)
    assert "holiday-2.jpg" in str(err.value) and "--force" in str(err.value)
    assert theirs.read_bytes() == before and not out.exists()
    theirs.rename(tmp_path / "mine.jpg")
    res = render_sheet(frames, SheetHeader("R001"), out, dpi=72)
    assert res.pages == 2 and [p.name for p in res.paths] == ["holiday.jpg", "holiday-2.jpg"]
    assert is_own_sheet(out) and is_own_sheet(tmp_path / "holiday-2.jpg")
    again = render_sheet(frames, SheetHeader("R001"), out, dpi=72)  # our own pages: replaced freely
    assert again.pages == 2


def test_roll_sheet_refuses_an_existing_foreign_file_unless_forced(cli, r042, tmp_path):
    photo = tmp_path / "holiday.jpg"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(photo)
    before = photo.read_bytes()
    r = cli("roll", "sheet", "R042", "-o", photo, code=2)
    assert str(photo) in r.stderr and "--force" in r.stderr and "Traceback" not in r.stderr
    assert photo.read_bytes() == before
    cli("roll", "sheet", "R042", "-o", photo, "--force")
    assert is_own_sheet(photo)
    cli("roll", "sheet", "R042", "-o", photo)  # now ours: a re-render needs no --force


def _big_project(tmp_path: Path, n: int = 50, **settings: str) -> Cli:
    lib = make_library(tmp_path / "lib", **settings)
    c = Cli(lib)
    imagegen.make_roll(tmp_path / "in" / "2023-05-01 Portra400 R001", n, size=(120, 80), grain=4)
    c("ingest", tmp_path / "in" / "2023-05-01 Portra400 R001")
    c("project", "create", "big")
    c("project", "add", "big", "roll:R001")
    return c


def test_export_sheet_pages_are_recorded_refused_when_foreign_and_removed_when_stale(tmp_path):
    c = _big_project(tmp_path)
    theirs_dir = tmp_path / "site"
    theirs_dir.mkdir()
    theirs = theirs_dir / "contact-sheet-2.jpg"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(theirs)
    before = theirs.read_bytes()
    r = c("project", "export", "big", "--to", theirs_dir, "--long-edge", "100", "--json", code=1)
    doc = json.loads(r.stdout)
    assert len(doc["written"]) == 50 and "contact-sheet-2.jpg" in doc["failed"][0]["error"]
    assert theirs.read_bytes() == before

    doc = c.json("project", "export", "big", "--long-edge", "100")
    out = Path(doc["to"])
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["sheet_pages"] == ["contact-sheet.jpg", "contact-sheet-2.jpg"]
    assert {"contact-sheet.jpg", "contact-sheet-2.jpg"} <= set(manifest["files"])
    c("project", "remove", "big", "frame:11..50")
    doc = c.json("project", "export", "big", "--long-edge", "100")
    assert "contact-sheet-2.jpg" in doc["removed"] and not (out / "contact-sheet-2.jpg").exists()
    assert (out / "contact-sheet.jpg").exists()


# --------------------------------------------------------------------------- item 8


@pytest.mark.parametrize("where", ["inbox", "cache", "archive", "logs"])
def test_sheet_and_export_targets_inside_the_library_are_refused(cli, r042, where):
    folder = getattr(r042, where) / "x"
    r = cli("project", "create", "p")
    cli("project", "add", "p", "roll:R042")
    r = cli("project", "export", "p", "--to", folder, code=2)
    assert where in r.stderr and "choose a folder outside" in r.stderr
    assert not folder.exists()
    getattr(r042, where).mkdir(exist_ok=True)
    r = cli("roll", "sheet", "R042", "-o", getattr(r042, where) / "s.jpg", code=2)
    assert where in r.stderr and "choose a folder outside" in r.stderr


# --------------------------------------------------------------------------- item 20


def test_newlines_in_titles_camera_and_description_are_drawn_and_written(cli, r042, tmp_path):
    cli("roll", "edit", "R042", "--title", "two\nlines", "--camera", "Nikon\nFM2")
    cli("project", "create", "p", "--title", "Seoul\nat night", "--description", "one\ntwo\n\nthree")
    cli("project", "add", "p", "roll:R042")
    cli("roll", "sheet", "R042", "-o", tmp_path / "r.jpg")
    cli("project", "sheet", "p", "-o", tmp_path / "p.pdf")
    doc = cli.json("project", "export", "p", "--long-edge", "200")
    assert doc["failed"] == [] and len(doc["written"]) == 12
    out = Path(doc["to"])
    post = (out / "post.md").read_text("utf-8")
    front = post.split("---")[1]
    assert 'title: "Seoul\\nat night"' in front  # a YAML string, one line
    assert "<title>Seoul\nat night</title>" in (out / "index.html").read_text("utf-8")
    assert _decodes(out / "contact-sheet.jpg")


# --------------------------------------------------------------------------- issue 11 sheet edges


def test_pdf_title_is_the_sheet_title_not_the_temp_name(cli, r042, tmp_path):
    out = tmp_path / "r042.pdf"
    cli("roll", "sheet", "R042", "-o", out)
    data = out.read_bytes()
    title = data[data.index(b"/Title (") + 8:].split(b")\n")[0].decode("utf-16")
    assert title.startswith("R042") and "tmp" not in title and is_own_sheet(out)


@pytest.mark.parametrize("frames, shown", [
    (["1", "2", "2A", "4"], ["1", "2", "2A", "3*", "4"]),
    (["01", "02", "05"], ["01", "02", "03*", "04*", "05"]),
    (["00", "1"], ["00", "1"]),
    (["1", "2", "5", "10"], ["1", "2", "3*", "4*", "5", "6*", "7*", "8*", "9*", "10"]),
    (["1", "200"], ["1", "200"]),  # not one film's numbering: no gaps invented
    (["12A", "13"], ["12A", "13"]),
])
def test_a_proof_shows_the_gap_of_a_failed_frame(frames, shown):
    rows = [{"frame": f, "roll": "R007", "pick": "yes", "rating": 3, "caption": "c"} for f in frames]
    got = [r["frame"] + ("*" if r.get("gap") else "") for r in with_gaps(rows)]
    assert got == shown


def test_roll_sheet_of_a_roll_with_a_failed_scan_lays_out_its_gap(cli, library, tmp_path):
    folder = tmp_path / "in" / "2023-05-01 Portra400 R007"
    imagegen.make_roll(folder, 5, size=(120, 80))
    imagegen.make_truncated(folder / "000003.jpg")
    cli("ingest", folder, code=1)
    r = cli("roll", "sheet", "R007", "-o", tmp_path / "s.png")
    assert "(4 frames" in r.stdout


# --------------------------------------------------------------------------- item 4


def _short_writes(monkeypatch):
    """Make Pillow's JPEG writer stop half way without an error, as on a full disk."""
    real = JpegImagePlugin._save

    def cut(im, fp, filename):
        buf = io.BytesIO()
        real(im, buf, filename)
        fp.write(buf.getvalue()[: len(buf.getvalue()) // 2])

    monkeypatch.setitem(Image.SAVE, "JPEG", cut)


def test_a_cut_jpeg_never_lands_under_its_final_name(tmp_path, monkeypatch):
    src = imagegen.make_scan(tmp_path / "a.jpg", (300, 200))
    _short_writes(monkeypatch)
    with pytest.raises(UnreadableImageError, match="disk may be full"):
        imaging.export_jpeg(src, tmp_path / "out.jpg", 100, 90)
    with pytest.raises(UnreadableImageError):
        imaging.make_thumbnail(src, tmp_path / "thumb.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg"]  # no cut file, no temp file


def test_export_after_a_short_write_records_nothing_cut_and_redoes_it(tmp_path, monkeypatch):
    srcs = imagegen.make_roll(tmp_path / "scans", 2, size=(300, 200))
    from tests.test_export import _item
    items = [_item(i, p) for i, p in enumerate(srcs, 1)]
    settings = ExportSettings(long_edge=100, workers=1)
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _short_writes(m)
        rep = export_project("p", None, None, items, out, settings)
    assert len(rep.failed) == 2 and "disk may be full" in rep.failed[0]["error"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["frames"] == [] and not list(out.glob("0*.jpg"))
    rep = export_project("p", None, None, items, out, settings)
    assert sorted(rep.written) == ["01_R042-1.jpg", "02_R042-2.jpg"] and not rep.failed
    assert all(_decodes(out / n) for n in rep.written)


def test_a_cut_thumbnail_in_the_cache_is_rebuilt_by_the_next_sheet(cli, r042, tmp_path):
    frame = cli.json("frames", "R042/1")[0]
    thumb = r042.resolve(frame["thumbnail"])
    data = thumb.read_bytes()
    thumb.write_bytes(data[: len(data) // 2])
    assert not _decodes(thumb)
    cli("roll", "sheet", "R042", "-o", tmp_path / "s.jpg")
    assert _decodes(thumb)


def _mounted_tmpfs(path: Path, size: str):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("SKIPPED LOUDLY: a real full disk needs root to mount a tmpfs (CI runs as root)")
    path.mkdir(parents=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode:
        pytest.skip(f"SKIPPED LOUDLY: cannot mount a tmpfs here ({r.stderr.decode().strip()})")


def test_export_onto_a_really_full_disk(tmp_path):
    c = _big_project(tmp_path, 12)
    disk = tmp_path / "disk"
    _mounted_tmpfs(disk, "2m")
    try:
        filler = disk / "filler"
        with open(filler, "wb") as f:  # leave about 60 KB free
            free = shutil.disk_usage(disk).free
            f.write(b"\0" * (free - 60_000))
        out = disk / "export"
        r = c("project", "export", "big", "--to", out, "--long-edge", "120", code=None)
        assert r.exit_code == 1 and "Traceback" not in r.stderr
        for p in out.iterdir():  # whatever stands under a final name is whole
            if p.suffix == ".jpg":
                assert _decodes(p), p.name
        if (out / "manifest.json").exists():
            manifest = json.loads((out / "manifest.json").read_text("utf-8"))
            assert all(_decodes(out / e["file"]) for e in manifest["frames"])
        filler.unlink()
        doc = c.json("project", "export", "big", "--to", out, "--long-edge", "120")
        assert doc["failed"] == []
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        assert len(manifest["frames"]) == 12 and all(_decodes(out / e["file"]) for e in manifest["frames"])
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_a_cut_frame_recorded_by_an_older_export_is_redone_not_kept(tmp_path):
    """Issue 12 item 4: a cut file in the manifest was 'unchanged' at every later export."""
    srcs = imagegen.make_roll(tmp_path / "scans", 2, size=(300, 200))
    from tests.test_export import _item
    items = [_item(i, p) for i, p in enumerate(srcs, 1)]
    out, settings = tmp_path / "out", ExportSettings(long_edge=100, workers=1)
    export_project("p", None, None, items, out, settings)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for e in manifest["frames"]:
        del e["bytes"]  # as an older filmflow wrote it
    (out / "manifest.json").write_text(json.dumps(manifest))
    cut = out / "01_R042-1.jpg"
    cut.write_bytes(cut.read_bytes()[:-200])
    rep = export_project("p", None, None, items, out, settings)
    assert rep.written == ["01_R042-1.jpg"] and rep.unchanged == ["02_R042-2.jpg"]
    assert _decodes(cut)


@pytest.mark.parametrize("text, line", [
    ("two\nlines", "two lines"),
    ("a\r\n\tb\x00c", "a b c"),
    ("para\u2029graph\u2028line", "para graph line"),
    ("می\u200cخواهم", "می\u200cخواهم"),  # a ZWNJ is part of the word, kept
    ("서울  산책", "서울 산책"),
    (None, ""),
])
def test_sheet_text_is_drawn_on_one_line(text, line):
    from filmflow.outputs.sheetfile import one_line
    assert one_line(text) == line
