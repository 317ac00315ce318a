"""The preferred version is what people see (issue 17 item 4): sheets and export pixels,
`--version original`, incremental re-export; query key `version`; `roll show` and `stats`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image, ImageChops

YELLOW, GREEN, BLUE = (220, 200, 40), (40, 160, 60), (40, 60, 180)
MAGENTA = (230, 20, 230)   # the edit of frame 2: nothing else on a sheet is this colour


def _solid(path: Path, colour: tuple[int, int, int], size=(900, 600)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=95)
    return path


@pytest.fixture
def roll(cli, tmp_path):
    folder = tmp_path / "R042 Portra 400 2024-10-06"
    for i, colour in enumerate((YELLOW, GREEN, BLUE), 1):
        _solid(folder / f"R042_{i:04d}.jpg", colour)
    cli("ingest", folder)
    return folder


@pytest.fixture
def edited(cli, roll, tmp_path):
    """Frame 2 has an edit (a visibly different picture) that is now preferred."""
    edit = _solid(tmp_path / "edits" / "R042_0002-edit.tif", MAGENTA, size=(860, 560))
    cli("version", "add", "R042/2", edit)
    return edit


def _mask(im: Image.Image, colour: tuple[int, int, int], tol: int = 30) -> Image.Image:
    """A 1-bit-like L mask of the pixels within `tol` of `colour` in every channel."""
    bands = [b.point(lambda v, c=c: 255 if abs(v - c) <= tol else 0) for b, c in zip(im.convert("RGB").split(), colour)]
    return ImageChops.darker(ImageChops.darker(bands[0], bands[1]), bands[2])


def _area(im: Image.Image, colour) -> tuple[int, tuple[int, int, int, int] | None]:
    m = _mask(im, colour)
    return m.histogram()[255], m.getbbox()


def _centre_x(bbox) -> float:
    return (bbox[0] + bbox[2]) / 2


def _assert_sheet_shows(path: Path, second: tuple[int, int, int], absent: tuple[int, int, int]) -> None:
    """Frames 1 and 3 show their scans; frame 2's cell (between them) shows `second`, nowhere `absent`."""
    im = Image.open(path)
    (ny, by), (n2, b2), (nb, bb) = _area(im, YELLOW), _area(im, second), _area(im, BLUE)
    assert ny > 2000 and nb > 2000 and n2 > 2000, (ny, n2, nb)
    assert _centre_x(by) < _centre_x(b2) < _centre_x(bb)
    assert abs(n2 - ny) < 0.25 * ny            # a whole frame's cell, not a sliver
    assert _area(im, absent)[0] < 50


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_roll_and_project_sheets_show_the_preferred_version(cli, edited, tmp_path):
    out = tmp_path / "sheet.png"
    cli("roll", "sheet", "R042", "-o", out, "--dpi", "150")
    _assert_sheet_shows(out, MAGENTA, GREEN)
    cli("project", "create", "P")
    cli("project", "add", "P", "roll:R042")
    cli("project", "sheet", "P", "-o", tmp_path / "p.png", "--dpi", "150")
    _assert_sheet_shows(tmp_path / "p.png", MAGENTA, GREEN)
    cli("version", "prefer", "R042/2", "1")
    cli("roll", "sheet", "R042", "-o", out, "--dpi", "150")
    _assert_sheet_shows(out, GREEN, MAGENTA)


def test_the_stats_sheet_shows_the_preferred_version_and_counts_edited_picks(cli, edited, tmp_path):
    cli("pick", "R042/1", "R042/2", "R042/3")
    out = tmp_path / "year.png"
    doc = cli.json("stats", "--year", "all", "--sheet", out)
    assert doc["picks"] == 3 and doc["edited_picks"] == 1
    _assert_sheet_shows(out, MAGENTA, GREEN)
    assert "1 edited pick" in cli("stats", "--year", "all").stdout
    cli("unflag", "R042/2")
    assert cli.json("stats", "--year", "all")["edited_picks"] == 0


def _export(cli, out: Path, *extra: str) -> dict:
    return cli.json("project", "export", "P", "--to", out, "--long-edge", "300", *extra)


def _centre(path: Path) -> tuple[int, int, int]:
    with Image.open(path) as im:
        return im.convert("RGB").getpixel((im.width // 2, im.height // 2))


def _near(a, b, tol=12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_export_ships_the_preferred_version_and_re_exports_on_a_new_preference(cli, edited, tmp_path):
    cli("project", "create", "P")
    cli("project", "add", "P", "roll:R042")
    cli("rate", "4", "R042/2")
    out = tmp_path / "out"
    rep = _export(cli, out)
    assert len(rep["written"]) == 3 and rep["failed"] == []
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    second = next(f for f in manifest["frames"] if f["ref"] == "R042/2")
    assert (second["version"], second["sha256"], second["rating"]) == (2, _sha(edited), 4)
    assert _near(_centre(out / second["file"]), MAGENTA)
    assert [f["version"] for f in manifest["frames"] if f["ref"] != "R042/2"] == [1, 1]
    assert _near(_centre(out / manifest["frames"][0]["file"]), YELLOW)
    assert MAGENTA != _centre(out / manifest["frames"][2]["file"])
    # the gallery and the post come from the export: they name the exported (edited) file
    assert second["file"] in (out / "index.html").read_text("utf-8")
    # nothing changed: nothing re-encoded
    again = _export(cli, out)
    assert again["written"] == [] and len(again["unchanged"]) == 3
    # the escape: the original scan, only that frame re-encoded
    orig = _export(cli, out, "--version", "original")
    assert orig["written"] == [second["file"]]
    m2 = json.loads((out / "manifest.json").read_text("utf-8"))
    f2 = next(f for f in m2["frames"] if f["ref"] == "R042/2")
    assert f2["version"] == 1 and _near(_centre(out / f2["file"]), GREEN)
    assert _export(cli, out)["written"] == [second["file"]]
    assert _near(_centre(out / second["file"]), MAGENTA)
    # a new preference re-exports that frame alone
    cli("version", "prefer", "R042/2", "1")
    assert _export(cli, out)["written"] == [second["file"]]
    assert _near(_centre(out / second["file"]), GREEN)
    # the edit stays archived and untouched; the frame keeps its rating
    (frame,) = cli.json("frames", "R042/2")
    assert frame["rating"] == 4 and _sha(Path(frame["versions"][1]["path"])) == _sha(edited)


def test_export_version_option_is_checked(cli, roll, tmp_path):
    cli("project", "create", "P")
    cli("project", "add", "P", "roll:R042")
    err = cli("project", "export", "P", "--to", tmp_path / "o", "--version", "newest", code=2).stderr
    assert "newest" in err and "Traceback" not in err


def test_query_key_version(cli, edited, tmp_path):
    rescan = _solid(tmp_path / "R042_0003_hires.jpg", BLUE, size=(1800, 1200))
    cli("version", "add", "R042/3", rescan, "--kind", "scan")
    _solid(tmp_path / "R043" / "R043_0001.jpg", YELLOW)
    cli("ingest", tmp_path / "R043")
    assert [f["ref"] for f in cli.json("frames", "version:edit")] == ["R042/2"]
    assert [f["ref"] for f in cli.json("frames", "version:scan")] == ["R042/3"]
    assert [f["ref"] for f in cli.json("frames", "R042/1..3", "^version:edit")] == ["R042/1", "R042/3"]
    r = cli("frames", "-v", "version:edit")
    assert "having an edit" in r.stderr
    assert "not having an edit" in cli("frames", "-v", "^version:edit").stderr
    assert [r["code"] for r in cli.json("rolls", "version:edit")] == ["R042"]
    assert "R042" not in [r["code"] for r in cli.json("rolls", "^version:edit")]
    bad = cli("frames", "version:layers", code=2).stderr
    assert "version:edit" in bad and "Traceback" not in bad


def test_roll_show_counts_versions(cli, edited, tmp_path):
    assert cli.json("roll", "show", "R042")["versions"] == {"edit": 1, "scan": 0}
    second = _solid(tmp_path / "R042_0001 copy.tif", MAGENTA, size=(880, 580))
    cli("version", "add", "R042/1", second)
    cli("version", "add", "R042/3", _solid(tmp_path / "R042_0003-scan.jpg", BLUE, size=(1800, 1200)),
        "--kind", "scan")
    assert cli.json("roll", "show", "R042")["versions"] == {"edit": 2, "scan": 1}
    line = next(x for x in cli("roll", "show", "R042").stdout.splitlines() if x.startswith("versions"))
    assert line.split(None, 1)[1] == "2 edits, 1 re-scan"


def test_a_missing_preferred_version_fails_that_frame_alone_and_names_the_escape(cli, edited, tmp_path):
    cli("project", "create", "P")
    cli("project", "add", "P", "roll:R042")
    archived = Path(cli.json("version", "list", "R042/2")[1]["path"])
    keep = tmp_path / "kept.tif"
    archived.rename(keep)   # the archive disk lost it (verify reports it too)
    rep = cli.json("project", "export", "P", "--to", tmp_path / "out", code=1)
    assert len(rep["written"]) == 2 and [f["ref"] for f in rep["failed"]] == ["R042/2"]
    err = rep["failed"][0]["error"]
    assert archived.name in err and "--version original" in err
    assert "R042/2 version 2" in [m["ref"] for m in cli.json("verify", code=1)["missing"]]
    ok = cli.json("project", "export", "P", "--to", tmp_path / "out", "--version", "original")
    assert ok["failed"] == [] and len(ok["written"]) == 1
    assert _near(_centre(tmp_path / "out" / ok["written"][0]), GREEN)
