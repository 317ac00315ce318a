"""`roll sheet`, `project sheet`, `project export`, `stocks` end to end from sample_scans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from conftest import SAMPLES


@pytest.fixture
def filled(cli, library, tmp_path):
    """The library with three sample rolls ingested, a few picks and a project."""
    for name in ("2023-05-01 Portra400 EI800 R042", "HP5 Plus 120 Mamiya", "포트라400 서울 산책 2023-07-02"):
        shutil.copytree(SAMPLES / name, tmp_path / "in" / name)
    cli("ingest", *sorted((tmp_path / "in").iterdir()))
    cli("pick", "R042/3", "R043/2")
    cli("reject", "R042/5")
    cli("project", "create", "서울 / 2023", "--title", "Seoul, 2023")
    cli("project", "add", "서울 / 2023", "roll:R042", "frame:1..4")
    cli("project", "add", "서울 / 2023", "R043/2")
    cli("project", "caption", "서울 / 2023", "R042/3", "<b>Night</b> & rain")
    return library


def test_roll_sheet_formats_and_pages(cli, filled, tmp_path):
    out = tmp_path / "r042.pdf"
    r = cli("roll", "sheet", "R042", "-o", out)
    assert "12 frames" in r.stdout and out.read_bytes().startswith(b"%PDF")
    jpg = tmp_path / "r043.jpg"
    cli("roll", "sheet", "R043", "-o", jpg, "--paper", "letter", "--dpi", "100", "--style", "light")
    im = Image.open(jpg)
    assert im.size == (round(215.9 / 25.4 * 100), round(279.4 / 25.4 * 100))
    assert im.getpixel((2, 2))[0] > 200  # light style: paper white
    default = cli("roll", "sheet", "R042").stdout.split(" (")[0]
    assert Path(default) == filled.exports / "sheets" / "R042.pdf" and Path(default).exists()  # code kept as is


def test_sheet_bad_input(cli, filled, tmp_path):
    assert "no roll" in cli("roll", "sheet", "R999", code=2).stderr
    assert ".pdf" in cli("roll", "sheet", "R042", "-o", tmp_path / "x.gif", code=2).stderr
    assert "does not exist" in cli("roll", "sheet", "R042", "-o", tmp_path / "nope" / "x.jpg", code=2).stderr
    cli("project", "create", "empty")
    assert "no frames" in cli("project", "sheet", "empty", code=2).stderr
    assert "no project" in cli("project", "sheet", "nothing", code=2).stderr


def test_project_export_end_to_end(cli, filled, tmp_path):
    out = json.loads(cli("project", "export", "서울 / 2023", "--long-edge", "400", "--json").stdout)
    folder = Path(out["to"])
    assert folder.parent == filled.exports and "/" not in folder.name
    names = sorted(p.name for p in folder.glob("*.jpg") if not p.name.startswith("contact"))
    assert names == ["01_R042-1.jpg", "02_R042-2.jpg", "03_R042-3.jpg", "04_R042-4.jpg", "05_R043-2.jpg"]
    for n in names:
        im = Image.open(folder / n)
        assert max(im.size) == 400
    assert Image.open(folder / "05_R043-2.jpg").mode == "L"  # the HP5 roll stays greyscale
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [f["ref"] for f in manifest["frames"]] == ["R042/1", "R042/2", "R042/3", "R042/4", "R043/2"]
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Night&lt;/b&gt; &amp; rain" in html and "<b>Night</b>" not in html
    assert (folder / "contact-sheet.jpg").exists() and (folder / "post.md").exists()
    # re-export: nothing re-encoded; removing a frame removes only its file
    again = json.loads(cli("project", "export", "서울 / 2023", "--long-edge", "400", "--json").stdout)
    assert again["written"] == [] and len(again["unchanged"]) == 5
    (folder / "my-notes.txt").write_text("mine")
    cli("project", "remove", "서울 / 2023", "R042/2")
    third = json.loads(cli("project", "export", "서울 / 2023", "--long-edge", "400", "--json").stdout)
    assert third["removed"] and (folder / "my-notes.txt").exists()
    assert not (folder / "02_R042-2.jpg").exists()


def test_export_bad_input(cli, filled, tmp_path):
    assert "--long-edge" in cli("project", "export", "서울 / 2023", "--long-edge", "0", code=2).stderr
    assert "no project" in cli("project", "export", "nope", code=2).stderr
    r = cli("project", "export", "서울 / 2023", "--to", filled.archive / "x", code=2)
    assert "archive" in r.stderr


def test_export_missing_source_is_reported_rest_exported(cli, filled):
    victim = Path(cli.json("frames", "R042/1")[0]["path"])
    victim.rename(victim.with_suffix(".moved"))
    r = cli("project", "export", "서울 / 2023", "--json", code=1)
    doc = json.loads(r.stdout)
    assert len(doc["failed"]) == 1 and len(doc["written"]) == 4


def test_stocks_command(cli):
    out = cli.json("stocks", "포트라400")
    assert out[0]["name"] == "Kodak Portra 400" and out[0]["iso"] == 400
    assert len(cli.json("stocks")) >= 150
    assert "Ilford HP5 Plus" in cli("stocks", "hp5+").stdout


def test_export_summary_counts_renamed_frames(cli, filled):
    cli("project", "export", "서울 / 2023", "--long-edge", "200")
    cli("project", "move", "서울 / 2023", "R043/2", "1")
    r = cli("project", "export", "서울 / 2023", "--long-edge", "200")
    assert ": 0 written, 5 renamed, 0 unchanged, 0 removed, 0 failed" in r.stdout
