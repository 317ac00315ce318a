"""`rolls`, `frames`, `rate`, `pick`, `reject`, `unflag`, `tag add/remove` end to end through click:
exit codes, stderr wording, --json shapes, --paths, --sort/--limit, and a catalog left unchanged
by every refused command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from filmflow.library import Library
from filmflow.opencatalog import open_catalog
from tests.conftest import Cli, add_roll

FRAME_KEYS = {"ref", "roll", "frame", "path", "file", "sha256", "bytes", "width", "height", "bits", "format",
              "rating", "pick", "caption", "tags", "projects", "scanner", "scanned", "thumbnail"}
ROLL_KEYS = {"code", "title", "stock", "stock_iso", "ei", "push", "process", "format", "camera", "lens",
             "developed", "shot_from", "shot_to", "scanned", "lab", "developer", "scanner", "notes", "tags",
             "frames", "source", "path"}


@pytest.fixture
def lib(library: Library) -> Library:
    add_roll(library, "R001", 4, title="서울 산책", stock="Kodak Portra 400", stock_key="kodak-portra-400",
             stock_iso=400, format="135", format_family="135", developed="2023-05-10", year=2023,
             path="archive/2023/R001 Kodak Portra 400")
    add_roll(library, "R002", 3, title="Été à Paris", stock="Ilford HP5 Plus", stock_key="ilford-hp5-plus",
             stock_iso=400, ei=1600, push=2.0, format="6x7", format_family="120", developed="2022-07-01", year=2022)
    return library


def snapshot(lib: Library) -> dict[str, Any]:
    """Everything a curation or project command could change."""
    db = open_catalog(lib)
    out = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
           for t in ("frames", "rolls", "tags", "frame_tags", "roll_tags", "projects", "project_frames")}
    db.conn.close()
    return out


def test_frames_table_json_and_paths(cli: Cli, lib: Library) -> None:
    r = cli("frames")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["REF", "RATING", "PICK", "SIZE", "TAGS", "PROJECTS", "CAPTION/FILE"]
    assert [ln.split()[0] for ln in lines[1:]] == ["R001/1", "R001/2", "R001/3", "R001/4", "R002/1", "R002/2",
                                                   "R002/3"]
    data = cli.json("frames", "roll:R002")
    assert [d["ref"] for d in data] == ["R002/1", "R002/2", "R002/3"]
    assert FRAME_KEYS <= set(data[0])
    assert data[0]["path"] == str(lib.root / "archive/R002/000001.jpg")
    paths = cli("frames", "R001/2", "R002/3", "--paths").stdout.splitlines()
    assert paths == [str(lib.root / "archive/R001/000002.jpg"), str(lib.root / "archive/R002/000003.jpg")]


def test_rolls_table_json_and_paths(cli: Cli, lib: Library) -> None:
    r = cli("rolls")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["CODE", "DEVELOPED", "STOCK"]
    assert [ln.split()[0] for ln in lines[1:]] == ["R002", "R001"]       # by developed date
    data = cli.json("rolls", "format:120")
    assert [d["code"] for d in data] == ["R002"]
    assert ROLL_KEYS <= set(data[0])
    assert data[0]["frames"] == 3 and data[0]["push"] == 2.0 and data[0]["stock"] == "Ilford HP5 Plus"
    assert cli("rolls", "--paths").stdout.splitlines() == [str(lib.root / "archive/2023/R001 Kodak Portra 400")]


def test_sort_limit_and_verbose_description(cli: Cli, lib: Library) -> None:
    cli("rate", "4", "R002/2")
    cli("rate", "2", "R001/3")
    assert [d["ref"] for d in cli.json("frames", "--sort", "-rating", "--limit", "2")] == ["R002/2", "R001/3"]
    assert [d["code"] for d in cli.json("rolls", "--sort", "-code", "--limit", "1")] == ["R002"]
    r = cli("-v", "frames", "stock:portra400", "rating:>=2")
    assert "frames matching: stock is Kodak Portra 400 and rating ≥ 2" in r.stderr
    assert r.stdout.splitlines()[1].split()[0] == "R001/3"


def test_empty_result_says_so_on_stderr(cli: Cli, lib: Library) -> None:
    r = cli("frames", "rating:5")
    assert r.stdout == ""
    assert "no frames match (rating 5)" in r.stderr
    assert cli.json("frames", "rating:5") == []


def test_json_stream_is_valid_for_many_frames(cli: Cli, library: Library) -> None:
    add_roll(library, "R100", 1200)
    data = cli.json("frames")
    assert len(data) == 1200 and data[-1]["ref"] == "R100/1200"


@pytest.mark.parametrize("args,message", [
    (["frames", "foo:bar"], "unknown query key 'foo'"),
    (["frames", "rating:9"], "rating must be 0 to 5"),
    (["frames", "frame:7..3"], "runs backwards"),
    (["frames", "developed:2023-13"], "not a real date"),
    (["frames", 'camera:"Nikon'], "unbalanced quote"),
    (["frames", "'; DROP TABLE frames; --"], "unbalanced quote"),
    (["frames", "project:nope"], "no project named 'nope'"),
    (["frames", "R001/99"], "no frame R001/99"),
    (["frames", "stock:portra4000"], "no film stock matches 'portra4000'"),
    (["frames", "--sort", "colour"], "sort by one of: ref, roll, frame, rating"),
    (["rolls", "--sort", "rating"], "sort by one of: code, developed"),
    (["rate", "4"], "needs a QUERY"),
    (["pick"], "needs a QUERY"),
    (["tag", "add", "print"], "needs a QUERY"),
    (["rate", "9", "R001/1"], "9 is not in the range"),
    (["rate", "4", "rating:9"], "rating must be 0 to 5"),
    (["rate", "5", "'; DROP TABLE frames; --"], "unbalanced quote"),
    (["reject", "R009/1"], "no roll with code 'R009'"),
    (["tag", "add", " ", "R001/1"], "tag name cannot be empty"),
    (["tag", "remove", "print", "foo:1"], "unknown query key"),
])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(cli: Cli, lib: Library, args: list[str],
                                                             message: str) -> None:
    before = snapshot(lib)
    r = cli(*args, code=2)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(lib) == before


def test_rate_pick_reject_unflag_report_changes(cli: Cli, lib: Library) -> None:
    assert cli("rate", "4", "roll:R001").stdout.strip() == "rated 4 frames 4"
    assert cli("rate", "4", "roll:R001", "R001/1").stdout.strip() == "rated 0 frames 4 (1 already were)"
    assert cli.json("rate", "5", "R001/1") == {"matched": 1, "changed": 1}
    assert [d["rating"] for d in cli.json("frames", "roll:R001")] == [5, 4, 4, 4]
    assert cli("pick", "rating:>=4").stdout.strip() == "picked 4 frames"
    assert cli("reject", "R001/2").stdout.strip() == "rejected 1 frame"
    assert [d["pick"] for d in cli.json("frames", "roll:R001")] == ["yes", "reject", "yes", "yes"]
    assert cli("unflag", "pick:reject").stdout.strip() == "unflagged 1 frame"
    assert cli("rate", "0", "--all").stdout.strip() == "rated 4 frames 0 (3 already were)"
    assert {d["rating"] for d in cli.json("frames")} == {0}


def test_rate_over_an_empty_match(cli: Cli, lib: Library) -> None:
    r = cli("rate", "3", "rating:5")
    assert r.stdout.strip() == "rated 0 frames 3"
    assert "no frames matched" in r.stderr


def test_tag_add_and_remove(cli: Cli, lib: Library) -> None:
    assert cli("tag", "add", "print", "roll:R002").stdout.strip() == "tagged 3 frames 'print'"
    assert cli("tag", "add", "Print", "R002/1", "R001/1").stdout.strip() == "tagged 1 frame 'Print' (1 already were)"
    assert [d["ref"] for d in cli.json("frames", "tag:print")] == ["R001/1", "R002/1", "R002/2", "R002/3"]
    assert cli.json("frames", "R002/1")[0]["tags"] == ["print"]
    assert cli("tag", "add", "인화", "R001/1").stdout.strip() == "tagged 1 frame '인화'"
    assert [d["ref"] for d in cli.json("frames", "tag:인화")] == ["R001/1"]
    assert cli("tag", "remove", "PRINT", "roll:R002").stdout.strip() == "removed 'PRINT' from 3 frames"
    assert [d["ref"] for d in cli.json("frames", "tag:print")] == ["R001/1"]
    assert [d["ref"] for d in cli.json("frames", "^tag:print", "roll:R001")] == ["R001/2", "R001/3", "R001/4"]


def test_tag_remove_warns_about_roll_tags(cli: Cli, lib: Library) -> None:
    db = open_catalog(lib)
    db.execute("INSERT INTO tags (name) VALUES ('film')")
    db.execute("INSERT INTO roll_tags VALUES (1, 1)")
    db.conn.commit()
    r = cli("tag", "remove", "film", "R001/1")
    assert "still match tag:film through their roll's tags" in r.stderr


def test_every_command_has_help(cli: Cli) -> None:
    for args in (["frames"], ["rolls"], ["rate"], ["pick"], ["reject"], ["unflag"], ["tag", "add"], ["tag", "remove"]):
        r = cli(*args, "--help")
        assert "QUERY" in r.stdout


def test_paths_are_absolute_files(cli: Cli, lib: Library) -> None:
    for line in cli("frames", "--paths", "--limit", "2").stdout.splitlines():
        assert Path(line).is_absolute()


# --------------------------------------------------------------------------- stock families, -v, dates


@pytest.fixture
def kodaks(lib: Library) -> Library:
    """lib plus R003 Portra 160 and R004 Ektar 100."""
    add_roll(lib, "R003", 2, stock="Kodak Portra 160", stock_key="kodak-portra-160", stock_iso=160,
             developed="2023-06-01", year=2023)
    add_roll(lib, "R004", 1, stock="Kodak Ektar 100", stock_key="kodak-ektar-100", stock_iso=100,
             developed="2023-07-01", year=2023)
    return lib


def codes(cli: Cli, *args: str) -> list[str]:
    return sorted(r["code"] for r in cli.json("rolls", *args))


def test_stock_family_or_maker_means_all_its_stocks(cli: Cli, kodaks: Library) -> None:
    assert codes(cli, "stock:portra400") == ["R001"]
    assert codes(cli, "stock:portra") == ["R001", "R003"]
    assert codes(cli, "stock:포트라") == ["R001", "R003"]
    assert codes(cli, "stock:kodak") == ["R001", "R003", "R004"]
    assert codes(cli, "stock:hp5") == ["R002"]
    assert codes(cli, "^stock:portra") == ["R002", "R004"]
    assert [f["ref"] for f in cli.json("frames", "stock:portra", "frame:2")] == ["R001/2", "R003/2"]


def test_verbose_after_the_command_says_which_stocks_were_meant(cli: Cli, kodaks: Library) -> None:
    r = cli("rolls", "-v", "stock:portra")
    assert "rolls matching: stock is of the Portra family (" in r.stderr
    assert "Kodak Portra 160" in r.stderr and "Kodak Portra 400" in r.stderr
    assert "rolls matching: stock is Kodak Portra 400" in cli("rolls", "--verbose", "stock:portra400").stderr
    assert "frames matching" in cli("frames", "-v", "R001/1").stderr
    assert "frames matching" not in cli("frames", "R001/1").stderr
    for args in (("rate", "3", "-v", "R001/1"), ("pick", "-v", "R001/1"), ("reject", "-v", "R001/2"),
                 ("unflag", "-v", "R001/2"), ("tag", "add", "-v", "t", "R001/1"), ("tag", "remove", "-v", "t", "R001/1")):
        assert "frames matching: frame R001/" in cli(*args).stderr, args
    cli("project", "create", "P")
    assert "frames matching: stock is made by Kodak" in cli("project", "add", "-v", "P", "stock:kodak").stderr
    assert "frames matching: frame R001/1" in cli("project", "remove", "-v", "P", "R001/1").stderr


@pytest.fixture
def dated(library: Library) -> Library:
    """Rolls whose developed and shot dates disagree in order; one known only by its scan date."""
    add_roll(library, "R001", 1, developed="2023-01-10", shot_from="2022-12-01", year=2022)
    add_roll(library, "R002", 1, developed="2022-06-01", shot_from="2023-03-01", year=2023)
    add_roll(library, "R003", 1, shot_from="2021-05-01", year=2021)
    add_roll(library, "R004", 1, developed="2020-02-02", year=2020)
    add_roll(library, "R005", 1, scanned="2024-01-05", year=2024)  # ingest files it under its scan year
    return library


def table_dates(cli: Cli, *args: str) -> tuple[str, list[tuple[str, str]]]:
    lines = cli("rolls", *args).stdout.splitlines()
    header = lines[0].split()[1]
    rows = [(ln.split()[0], ln.split()[1] if len(ln.split()) > 1 and ln.split()[1][:2] == "20" else "")
            for ln in lines[1:]]
    return header, rows


def test_rolls_date_column_names_the_date_and_is_sorted_by_it(cli: Cli, dated: Library) -> None:
    header, rows = table_dates(cli)
    assert header == "DEVELOPED"
    assert rows == [("R004", "2020-02-02"), ("R002", "2022-06-01"), ("R001", "2023-01-10"), ("R003", ""),
                    ("R005", "")]
    header, rows = table_dates(cli, "--sort", "shot")
    assert header == "SHOT"
    assert rows == [("R003", "2021-05-01"), ("R001", "2022-12-01"), ("R002", "2023-03-01"), ("R004", ""),
                    ("R005", "")]
    header, rows = table_dates(cli, "--sort", "-shot")
    assert header == "SHOT" and [d for _, d in rows if d] == ["2023-03-01", "2022-12-01", "2021-05-01"]
    assert table_dates(cli, "--sort", "code")[0] == "DEVELOPED"


def test_year_is_the_shot_year_else_the_developed_year_never_the_scan_year(cli: Cli, dated: Library) -> None:
    assert codes(cli, "year:2022") == ["R001"]           # shot 2022, developed 2023
    assert codes(cli, "year:2023") == ["R002"]
    assert codes(cli, "year:2020..2021") == ["R003", "R004"]
    assert codes(cli, "year:2024") == []                 # only a scan date: no shot or developed year
    assert codes(cli, "^year:2024") == ["R001", "R002", "R003", "R004", "R005"]


def test_readme_path_examples_match_the_default_archive_layout(cli: Cli, library: Library, tmp_path: Path) -> None:
    import re

    from tests.imagegen import make_roll

    make_roll(tmp_path / "in" / "2023-05-01 Portra400 R042", 2)
    make_roll(tmp_path / "in" / "2023-06-01 HP5 R043", 1, pattern="{n:06d}.tif", seed=5)
    cli("ingest", *sorted((tmp_path / "in").iterdir()))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    row = next(ln for ln in readme.splitlines() if ln.startswith("| `path:` |"))
    examples = re.findall(r"`([^`]+)`", row.split("|")[2])
    assert examples
    for value in examples:
        assert cli.json("frames", f"path:{value}"), f"README example path:{value} matches no frame"
    assert not cli.json("frames", "path:R042/")  # the old example: the folder is 'R042 Kodak Portra 400/'


def test_frames_size_column_is_the_size_as_shown(cli, tmp_path):
    """A portrait frame stored on its side (EXIF orientation 6) lists as 400x600, not 600x400."""
    from PIL import Image

    import imagegen

    exif = Image.Exif()
    exif[0x0112] = 6
    folder = tmp_path / "2024-01-02 HP5 R077"
    imagegen.make_scan(folder / "R077_0001.jpg", size=(600, 400), seed=1, exif=exif)
    imagegen.make_scan(folder / "R077_0002.jpg", size=(600, 400), seed=2)
    cli("ingest", folder)
    out = cli("frames", "roll:R077").stdout
    lines = {ln.split()[0]: ln for ln in out.splitlines()[1:]}
    assert "400x600" in lines["R077/1"] and "600x400" in lines["R077/2"]
    frames = {f["frame"]: f for f in cli.json("frames", "roll:R077")}
    assert frames["1"]["orientation"] == 6 and (frames["1"]["width"], frames["1"]["height"]) == (600, 400)
