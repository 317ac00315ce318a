"""Film-log query keys (issue 16 item 4): aperture, shutter, focal, place, gps, and lens/shot at
frame level (a frame's own logged value, else its roll's), in frame and roll listings, with
their `-v` sentences. Log rows go in through catalog.logs (store_log + pair_roll), as import does."""

from __future__ import annotations

import unicodedata

import pytest

from filmflow.catalog import curation
from filmflow.catalog.db import transaction
from filmflow.catalog.logs import pair_roll, store_log
from filmflow.errors import QueryError
from filmflow.library import Library
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import compile_args
from filmflow.catalog import querykeys as key_table
from filmflow.opencatalog import open_catalog
from tests.conftest import add_roll

LOG = {  # roll -> logged frames (frame 3 of R001 is not logged; R003 has no log)
    "R001": [
        dict(frame="1", shot_at="2024-10-03T10:02", aperture=8.0, shutter="1/250", shutter_s=0.004,
             focal_length=50.0, lens="Nikon Nikkor 50mm f/1.8 AI-S", lat=37.5759, lon=126.9768, place="서울 종로구 세종로"),
        dict(frame="2", shot_at="2024-10-03T19:40", aperture=11.0, shutter='2"', shutter_s=2.0, focal_length=50.0,
             lat=37.5696, lon=126.9784, place="청계천로, 중구"),
        dict(frame="4", shot_at="2024-10-04T11:15", aperture=5.6, shutter="1/60", shutter_s=0.0167,
             focal_length=35.0, lens="Voigtländer 35mm f/2.5", place=unicodedata.normalize("NFD", "Évora, Alentejo")),
    ],
    "R002": [
        dict(frame="1", shot_at="2024-10-05T01:02:00Z", aperture=2.8, shutter="1/1000", shutter_s=0.001,
             focal_length=28.0, place="Lisboa, Alfama"),
        dict(frame="2", aperture=2.0, shutter="B", shutter_s=None),
    ],
}


@pytest.fixture
def lib(library: Library) -> Library:
    """R001 Nikon FM2 (4 frames, 3 logged), R002 (2, both logged), R003 (2, no log), R004 pending (log, no scans)."""
    add_roll(library, "R001", 4, camera="Nikon FM2", lens="Nikkor 50mm f/1.4", shot_from="2024-10-03",
             shot_to="2024-10-05")
    add_roll(library, "R002", 2, lens="Canon FD 28mm", shot_from="2024-09-01")
    add_roll(library, "R003", 2, lens="Nikkor 105mm", shot_from="2024-10-03")
    add_roll(library, "R004", 0, lens="Nikkor 24mm")
    db = open_catalog(library)
    with transaction(db) as conn:
        ids = dict(conn.execute("SELECT code, id FROM rolls"))
        for code, rows in {**LOG, "R004": [dict(frame="1", aperture=16.0, place="제주")]}.items():
            store_log(conn, ids[code], rows, f"{code}.csv", "exif-notes-csv", "2024-10-06T00:00:00")
            pair_roll(conn, ids[code])
    db.conn.close()
    return library


def _compile(lib: Library, query: tuple[str, ...], target: str):
    db = open_catalog(lib)
    return db, compile_args(query, CatalogResolver(db.conn, lib.stocks, lib.formats), target)


def refs(lib: Library, *query: str) -> list[str]:
    db, c = _compile(lib, query, "frames")
    return [f.ref for f in curation.list_frames(db, c)]


def rolls(lib: Library, *query: str) -> list[str]:
    db, c = _compile(lib, query, "rolls")
    return sorted(r.code for r in curation.list_rolls(db, c))


CASES = [
    (("aperture:8",), ["R001/1"]),
    (("aperture:f/8",), ["R001/1"]),
    (("aperture:5.6",), ["R001/4"]),
    (("aperture:<=2.8",), ["R002/1", "R002/2"]),
    (("aperture:2..4",), ["R002/1", "R002/2"]),
    (("aperture:>11",), []),
    (("^aperture:8", "roll:R001"), ["R001/2", "R001/3", "R001/4"]),   # unlogged frame 3 is "not f/8"
    (("shutter:1/250",), ["R001/1"]),
    (("shutter:1/60",), ["R001/4"]),                     # stored 0.0167 s still is 1/60
    (("shutter:>=1/60",), ["R001/2", "R001/4"]),          # at least that long: 1/60 and 2"
    (("shutter:<=1/250",), ["R001/1", "R002/1"]),         # at most that long: 1/250 and faster
    (("shutter:1/500..1/125",), ["R001/1"]),
    (("shutter:2s",), ["R001/2"]),
    (("shutter:>1/250", "shutter:<1"), ["R001/4"]),
    (("focal:50",), ["R001/1", "R001/2"]),
    (("focal:28..35",), ["R001/4", "R002/1"]),
    (("focal:50mm", "aperture:11"), ["R001/2"]),
    (("place:종로",), ["R001/1"]),
    (("place:중구",), ["R001/2"]),
    (("place:évora",), ["R001/4"]),                      # stored NFD, asked NFC, other case
    (("place:ÉVORA",), ["R001/4"]),
    (("place:lisboa*",), ["R002/1"]),
    (("place:nowhere",), []),
    (("gps:yes",), ["R001/1", "R001/2"]),
    (("gps:no", "roll:R001"), ["R001/3", "R001/4"]),
    (("lens:Voigtländer",), ["R001/4"]),                 # a frame's own lens
    (("lens:Nikkor 50mm f/1.4",), ["R001/2", "R001/3"]),  # else the roll's (frames 1, 4 logged others)
    (("lens:nikkor",), ["R001/1", "R001/2", "R001/3", "R003/1", "R003/2"]),
    (("lens:canon fd",), ["R002/1", "R002/2"]),
    (("shot:2024-10-04",), ["R001/3", "R001/4"]),        # frame 3 (no log) has the roll's span 10-03..10-05
    (("shot:2024-10-03",), ["R001/1", "R001/2", "R001/3", "R003/1", "R003/2"]),
    (("shot:2024-10-05",), ["R001/3", "R002/1"]),         # R002/1: a UTC instant on that day
    (("shot:2024-09",), ["R002/2"]),                      # logged without a time: the roll's date
    (("shot:..2024-10-03",), ["R001/1", "R001/2", "R001/3", "R002/2", "R003/1", "R003/2"]),
]


@pytest.fixture(params=["ids", "walk"])
def reach(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both plans: few matches (frame ids looked up first) and many (tested while walking frames)."""
    if request.param == "walk":
        monkeypatch.setattr(key_table, "WALK_ABOVE", 0)
    return request.param


@pytest.mark.parametrize("query,expected", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_each_log_key_returns_the_right_frames(lib: Library, reach: str, query: tuple[str, ...],
                                              expected: list[str]) -> None:
    assert refs(lib, *query) == expected


ROLLS = [
    (("aperture:8",), ["R001"]),
    (("aperture:16",), []),               # R004's entry has no scan: no such frame
    (("shutter:>=1/60",), ["R001"]),
    (("place:lisboa",), ["R002"]),
    (("gps:yes",), ["R001"]),
    (("gps:no",), ["R001", "R002", "R003"]),
    (("^gps:yes",), ["R002", "R003", "R004"]),
    (("lens:Voigtländer",), ["R001"]),
    (("lens:nikkor",), ["R001", "R003", "R004"]),          # the pending roll keeps its own lens
    (("shot:2024-10-05",), ["R001", "R002"]),
    (("shot:2024-09",), ["R002"]),
]


@pytest.mark.parametrize("query,expected", ROLLS, ids=[" ".join(c[0]) for c in ROLLS])
def test_roll_listing_means_rolls_having_such_a_frame(lib: Library, reach: str, query: tuple[str, ...],
                                                      expected: list[str]) -> None:
    assert rolls(lib, *query) == expected


def test_descriptions_say_what_the_terms_meant(lib: Library) -> None:
    _, c = _compile(lib, ("aperture:<=2.8", "shutter:>=1/60", "focal:28..35", "place:종로", "gps:yes"), "frames")
    assert c.description == ("aperture f/2.8 or less and shutter 1/60 s or longer and focal length 28mm to 35mm "
                             "and place contains '종로' and GPS position logged")
    _, c = _compile(lib, ("shutter:1/500..1/125", "aperture:8", "shutter:2s"), "frames")
    assert c.description == "shutter 1/500 s to 1/125 s and aperture f/8 and shutter 2 s"
    _, c = _compile(lib, ("shutter:<=1/250",), "rolls")
    assert c.description == "shutter 1/250 s or faster"


def test_cli_verbose_and_json(lib: Library, cli) -> None:
    out = cli("frames", "-v", "aperture:8", "place:종로")
    assert "aperture f/8 and place contains '종로'" in out.stderr + out.stdout
    assert [f["ref"] for f in cli.json("frames", "focal:50", "gps:yes")] == ["R001/1", "R001/2"]
    assert [r["code"] for r in cli.json("rolls", "shutter:1/1000")] == ["R002"]


@pytest.mark.parametrize("term,message", [
    ("aperture:x", "aperture:8, aperture:<=2.8"),
    ("shutter:B", "shutter:1/250"),
    ("focal:0", "focal must be 1 to 5000"),
    ("gps:maybe", "not yes or no"),
    ("aperture:4..2", "runs backwards"),
])
def test_bad_values_name_the_term_and_the_form(lib: Library, term: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        refs(lib, term)


def test_user_text_only_travels_as_parameters(lib: Library) -> None:
    evil = "x') OR 1=1; DROP TABLE log_frames; --"
    db, c = _compile(lib, (f"place:{evil}", f"lens:{evil}"), "frames")
    assert "DROP" not in c.where and list(curation.list_frames(db, c)) == []
    assert db.execute("SELECT count(*) FROM log_frames").fetchone()[0] == 6


def _plan(db, sql: str, params) -> str:  # noqa: ANN001
    return " | ".join(r[-1] for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_frame_queries_use_the_log_indexes(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from filmflow.catalog import logs

    seen: list[str] = []
    real = logs.frames_logged_where

    def spy(conn, cond, params, at_most):  # noqa: ANN001, ANN202
        seen.append(_plan(open_catalog(lib), f"SELECT f.id FROM log_frames lf JOIN frames f ON f.log_id = lf.id WHERE {cond}",
                          params))
        return real(conn, cond, params, at_most)

    monkeypatch.setattr("filmflow.catalog.resolver.frames_logged_where", spy)
    _compile(lib, ("aperture:8",), "frames")
    _compile(lib, ("gps:yes",), "frames")
    assert "log_frames_aperture" in seen[0] and "frames_log" in seen[0], seen
    assert "log_frames_gps" in seen[1], seen
    monkeypatch.setattr(key_table, "WALK_ABOVE", 0)   # the walk: frames_walk (log_id in it), then a primary key
    db, c = _compile(lib, ("aperture:8",), "frames")
    plan = _plan(db, f"SELECT f.id FROM frames f JOIN rolls r ON r.id = f.roll_id WHERE {c.where} "
                     "ORDER BY r.code, f.frame_num, f.frame", c.params)
    assert "COVERING INDEX frames_walk" in plan and "INTEGER PRIMARY KEY" in plan, plan
