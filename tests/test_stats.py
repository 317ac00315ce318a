"""Year in review: parse_year, push labels, figures that sum to the catalog, chart, picks sheet, CLI."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import warnings

import pytest

from filmflow import stats
from filmflow.outputs import chart
from filmflow.catalog.db import transaction
from filmflow.errors import InputError, MissingExtraError
from filmflow.opencatalog import open_catalog
from tests.conftest import add_roll

HAS_MPL = importlib.util.find_spec("matplotlib") is not None
needs_mpl = pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the charts extra) is not installed")

SPEC_KEYS = {"year", "rolls", "frames", "picks", "by_stock", "by_month", "by_format", "by_camera",
             "push_pull", "projects"}


@pytest.mark.parametrize(("text", "year"), [
    ("2023", 2023), (" 1999 ", 1999), ("all", None), ("ALL", None), (2021, 2021),
])
def test_parse_year(text, year):
    assert stats.parse_year(text) == year


def test_parse_year_default_is_this_year():
    assert stats.parse_year(None, today=dt.date(2024, 3, 1)) == 2024
    assert stats.parse_year(None) == dt.date.today().year


@pytest.mark.parametrize("text", ["20x3", "23", "", "-2023", "2023-05", "０２０２", "twenty"])
def test_parse_year_rejects(text):
    with pytest.raises(InputError, match="not a year"):
        stats.parse_year(text)


@pytest.mark.parametrize(("push", "label"), [
    (None, "0"), (0, "0"), (1, "+1"), (2.0, "+2"), (0.333, "+1/3"), (0.667, "+2/3"), (1.667, "+1 2/3"),
    (-1, "-1"), (-0.333, "-1/3"), (0.1, "0"),
])
def test_push_label(push, label):
    assert stats.push_label(push) == label


def _pick(lib, code: str, frames: tuple[str, ...], state: str = "yes") -> None:
    db = open_catalog(lib)
    with transaction(db) as conn:
        for fr in frames:
            conn.execute("UPDATE frames SET pick = ? WHERE frame = ? AND roll_id = (SELECT id FROM rolls WHERE code = ?)",
                         (state, fr, code))
    db.conn.close()


@pytest.fixture
def year_2023(library):
    """Five 2023 rolls (Korean names included), one 2022 roll, picks and a project."""
    add_roll(library, "R001", 36, stock="Kodak Portra 400", format="135", camera="Nikon FM2", push=0.0,
             year=2023, shot_from="2023-01-03", shot_to="2023-01-20", developed="2023-01-27", lab="Chungmuro")
    add_roll(library, "R002", 36, stock="Kodak Portra 400", format="135", camera="Nikon FM2", push=1.0, ei=800,
             year=2023, shot_from="2023-05-01", shot_to="2023-05-02", developed="2023-05-12", lab="Chungmuro")
    add_roll(library, "R003", 10, stock="Ilford HP5 Plus", format="6x7", camera="마미야 7", push=2.0,
             year=2023, shot_from="2023-05-20", developed="2023-06-01", lab="Mono")
    add_roll(library, "R004", 12, stock="후지 C200", format="6x6", camera=None, push=None,
             year=2023, developed="2023-11-09")
    add_roll(library, "R005", 8, stock=None, format=None, camera=None, push=-1.0, year=2023,
             shot_from="2023-12-30", shot_to="2023-12-31", developed="2023-12-29")  # typo: before shooting
    add_roll(library, "R100", 24, stock="Kodak Portra 400", format="135", camera="Nikon FM2", year=2022,
             shot_from="2022-08-01", developed="2022-08-20")
    _pick(library, "R001", ("1", "2", "3", "4"))
    _pick(library, "R002", ("10",))
    _pick(library, "R003", ("1", "2"))
    _pick(library, "R003", ("3",), "reject")
    _pick(library, "R100", ("5", "6"))
    db = open_catalog(library)
    with transaction(db) as conn:
        conn.execute("INSERT INTO projects (name, title, created_at, updated_at) VALUES "
                     "('seoul', '서울 산책', '2023-02-01T10:00:00', '2023-02-01T10:00:00')")
        conn.execute("INSERT INTO projects (name, title, created_at, updated_at) VALUES "
                     "('old', 'Old one', '2021-02-01T10:00:00', '2021-02-01T10:00:00')")
        pid = conn.execute("SELECT id FROM projects WHERE name = 'seoul'").fetchone()[0]
        ids = [r[0] for r in conn.execute(
            "SELECT f.id FROM frames f JOIN rolls r ON r.id = f.roll_id WHERE f.pick = 'yes' ORDER BY f.id")]
        conn.executemany("INSERT INTO project_frames (project_id, frame_id, position) VALUES (?, ?, ?)",
                         [(pid, fid, i + 1) for i, fid in enumerate(ids)])
    db.conn.close()
    return library


def test_year_stats_sums_match_the_catalog(year_2023):
    db = open_catalog(year_2023)
    s = stats.year_stats(db, 2023)
    rolls, frames, picks, rejects = db.conn.execute(
        "SELECT count(DISTINCT r.id), count(f.id), sum(f.pick = 'yes'), sum(f.pick = 'reject') "
        "FROM rolls r JOIN frames f ON f.roll_id = r.id WHERE r.year = 2023").fetchone()
    db.conn.close()
    assert (s.rolls, s.frames, s.picks, s.rejects) == (rolls, frames, picks, rejects) == (5, 102, 7, 1)
    for by in (s.by_stock, s.by_month, s.by_format, s.by_camera, s.push_pull, s.by_process):
        assert sum(by.values()) == s.rolls
    assert sum(g.frames for g in s.stocks) == s.frames
    assert sum(g.picks for g in s.cameras) == s.picks
    assert s.by_stock == {"Kodak Portra 400": 2, "Ilford HP5 Plus": 1, "후지 C200": 1, "unknown": 1}
    assert s.by_camera == {"Nikon FM2": 2, "마미야 7": 1, "unknown": 2}
    assert s.by_format == {"135": 2, "6x6": 1, "6x7": 1, "unknown": 1}
    assert s.push_pull == {"-1": 1, "0": 2, "+1": 1, "+2": 1}
    assert list(s.by_month) == [f"2023-{m:02d}" for m in range(1, 13)]
    assert (s.by_month["2023-01"], s.by_month["2023-05"], s.by_month["2023-11"], s.by_month["2023-12"]) == (1, 2, 1, 1)


def test_keeper_rate_first_last_and_turnaround(year_2023):
    db = open_catalog(year_2023)
    s = stats.year_stats(db, 2023)
    db.conn.close()
    portra = next(g for g in s.stocks if g.name == "Kodak Portra 400")
    assert (portra.rolls, portra.frames, portra.picks) == (2, 72, 5)
    assert portra.keeper_rate == round(5 / 72, 4)
    assert portra.first == {"code": "R001", "date": "2023-01-03"}
    assert portra.last == {"code": "R002", "date": "2023-05-01"}
    fm2 = next(g for g in s.cameras if g.name == "Nikon FM2")
    assert fm2.keeper_rate == round(5 / 72, 4)
    t = s.turnaround
    # R001: 01-20 → 01-27 = 7; R002: 05-02 → 05-12 = 10; R003: 05-20 → 06-01 = 12; R005 negative: left out
    assert t is not None and t.rolls == 3
    assert (t.min_days, t.max_days, t.median_days) == (7, 12, 10.0)
    assert t.slowest == {"code": "R003", "days": 12}
    assert t.by_lab["Chungmuro"] == {"rolls": 2, "median_days": 8.5}


def test_projects_and_their_sizes(year_2023):
    db = open_catalog(year_2023)
    y23 = stats.year_stats(db, 2023)
    y21 = stats.year_stats(db, 2021)
    every = stats.year_stats(db, None)
    db.conn.close()
    assert [(p.name, p.title, p.frames, p.frames_in_year) for p in y23.projects] == [("seoul", "서울 산책", 9, 7)]
    assert [p.name for p in y21.projects] == ["old"]  # created that year, empty
    assert {p.name: p.frames_in_year for p in every.projects} == {"seoul": 9, "old": 0}


def test_all_years(year_2023):
    db = open_catalog(year_2023)
    s = stats.year_stats(db, None)
    db.conn.close()
    assert (s.rolls, s.frames, s.picks) == (6, 126, 9)
    assert s.to_json()["year"] == "all"
    assert s.by_month["2022-08"] == 1 and list(s.by_month)[0] == "2022-08"
    assert sum(s.by_month.values()) == 6


def test_year_without_rolls_is_zeros_not_an_error(library, cli):
    add_roll(library, "R001", 3, year=2023, developed="2023-04-01")
    db = open_catalog(library)
    s = stats.year_stats(db, 1999)
    db.conn.close()
    assert (s.rolls, s.frames, s.picks, s.by_stock, s.turnaround) == (0, 0, 0, {}, None)
    doc = cli.json("stats", "--year", "1999")
    assert doc["year"] == 1999 and doc["rolls"] == 0 and doc["frames"] == 0 and doc["picks"] == 0
    assert sum(doc["by_month"].values()) == 0 and len(doc["by_month"]) == 12
    r = cli("stats", "--year", "1999")
    assert "no rolls in 1999" in r.stdout


def test_cli_json_has_spec_keys(year_2023, cli):
    doc = cli.json("stats", "--year", "2023")
    assert SPEC_KEYS <= set(doc)
    assert doc["rolls"] == 5 and doc["picks"] == 7
    assert {"stocks", "cameras", "turnaround", "keeper_rate"} <= set(doc)
    assert cli.json("stats", "--year", "all")["rolls"] == 6


def test_cli_default_year_is_current(library, cli):
    this = dt.date.today().year
    add_roll(library, "R001", 2, year=this, developed=f"{this}-01-02")
    add_roll(library, "R002", 2, year=this - 1, developed=f"{this - 1}-01-02")
    doc = cli.json("stats")
    assert doc["year"] == this and doc["rolls"] == 1


def test_cli_table(year_2023, cli):
    out = cli("stats", "--year", "2023").stdout
    assert "2023: 5 rolls · 102 frames · 7 picks" in out
    assert "후지 C200" in out and "마미야 7" in out
    assert "Lab turnaround" in out and "median 10 days" in out


def test_cli_bad_year_exit_2(cli):
    r = cli("stats", "--year", "20x3", code=2)
    assert "20x3" in r.stderr and "four digits" in r.stderr


def test_cli_chart_in_missing_folder_exit_2(cli, tmp_path):
    r = cli("stats", "--chart", str(tmp_path / "nope" / "chart.png"), code=2)
    assert "does not exist" in r.stderr and "nope" in r.stderr
    r = cli("stats", "--chart", str(tmp_path / "chart.gif"), code=2)
    assert ".png" in r.stderr


def test_missing_matplotlib_names_the_extra(year_2023, cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    with pytest.raises(MissingExtraError, match=r"filmflow\[charts\]"):
        chart.require_matplotlib()
    r = cli("stats", "--year", "2023", "--chart", str(tmp_path / "c.png"), code=2)
    assert "filmflow[charts]" in r.stderr
    assert not (tmp_path / "c.png").exists()


@needs_mpl
def test_chart_png_and_svg(year_2023, cli, tmp_path):
    from PIL import Image

    png, svg = tmp_path / "2023.png", tmp_path / "2023.svg"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = cli.json("stats", "--year", "2023", "--chart", str(png))
        cli("stats", "--year", "2023", "--chart", str(svg))
    assert doc["chart"] == str(png)
    with Image.open(png) as im:
        assert im.format == "PNG" and im.width >= 1200 and im.height >= 800
        colours = im.convert("RGB").getcolors(1 << 20)
    assert colours is not None and len(colours) > 50  # drawn, not a blank page
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "2023 on film" in text  # svg.fonttype none keeps text as text
    assert [p.name for p in tmp_path.iterdir() if ".filmflow-tmp-" in p.name] == []
    from filmflow.outputs.fonts import find_font

    if find_font("후지 마미야") is not None:  # CI installs fonts-noto-cjk; Hangul then has glyphs
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        assert missing == []


@needs_mpl
def test_chart_of_empty_year(library, tmp_path):
    db = open_catalog(library)
    s = stats.year_stats(db, 1999)
    db.conn.close()
    out = chart.render_chart(s, tmp_path / "empty.png")
    assert out.stat().st_size > 10_000


def test_year_pick_frames(year_2023):
    db = open_catalog(year_2023)
    rows = stats.year_pick_frames(year_2023, db, 2023)
    db.conn.close()
    assert [r["ref"] for r in rows] == ["R001/1", "R001/2", "R001/3", "R001/4", "R002/10", "R003/1", "R003/2"]
    first = rows[0]
    assert first["path"] == year_2023.root / "archive/R001/000001.jpg"
    assert first["thumbnail"].is_absolute() and first["thumbnail"].parent.parent.name == "thumbs"
    assert first["format"] == "135" and first["edge_print"] and "PORTRA" in first["edge_print"].upper()
    assert all(r["pick"] == "yes" for r in rows)


def test_sheet_of_picks(year_2023, cli, tmp_path):
    pytest.importorskip("filmflow.outputs.sheet")
    from PIL import Image

    out = tmp_path / "picks.jpg"
    doc = cli.json("stats", "--year", "2023", "--sheet", str(out))
    assert doc["sheet"]["frames"] == 7 and doc["sheet"]["pages"] >= 1
    with Image.open(out) as im:
        assert im.format == "JPEG"
    r = cli("stats", "--year", "2023", "--sheet", str(tmp_path / "nope" / "x.jpg"), code=2)
    assert "does not exist" in r.stderr
    r = cli("stats", "--year", "1999", "--sheet", str(tmp_path / "y.jpg"), code=2)
    assert "no picked frames" in r.stderr
