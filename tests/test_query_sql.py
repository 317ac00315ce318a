"""The query compiler against a real catalog: the rows each key returns, bare-word search
(Unicode folding, NFC/NFD, short and substring words), negation, roll listings via EXISTS,
and the FTS triggers of schema m002."""

from __future__ import annotations

import unicodedata

import pytest

from filmflow.catalog import curation
from filmflow.catalog.db import transaction
from filmflow.errors import InputError, NotFoundError, QueryError
from filmflow.library import Library
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import compile_args, order_by
from filmflow.opencatalog import open_catalog
from tests.conftest import add_roll

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731


@pytest.fixture
def lib(library: Library) -> Library:
    """Four rolls: R001 Portra 135 (5 frames), R002 HP5 6x7 pushed (3), R003 Ektachrome 645 (2), R004 bare (2)."""
    add_roll(library, "R001", 5, title="서울 산책", stock="Kodak Portra 400", stock_key="kodak-portra-400",
             stock_iso=400, process="C-41", format="135", format_family="135", camera="Nikon FM2",
             lens="50mm f/1.4", lab="Mono Lab", developed="2023-05-10", shot_from="2023-04-20",
             shot_to="2023-05-02", year=2023, source="2023-05-10 Portra400 서울 산책")
    add_roll(library, "R002", 3, title="Été à Paris", stock="Ilford HP5 Plus", stock_key="ilford-hp5-plus",
             stock_iso=400, ei=1600, push=2.0, process="B&W", format="6x7", format_family="120",
             camera="Pentax 67", developed="2023-07-01", year=2023, notes="rainy night",
             source=NFD("서울산책 HP5 +2"))
    add_roll(library, "R003", 2, title="東京 散歩", stock="Kodak Ektachrome E100", stock_key="kodak-ektachrome-e100",
             stock_iso=100, process="E-6", format="645", format_family="120", developed="2022-11-30",
             shot_from="2022-11-01", year=2022, lab="film lab seoul")
    add_roll(library, "R004", 2, developed="2021", year=2021)
    db = open_catalog(library)
    with transaction(db) as conn:
        conn.execute("UPDATE frames SET rating = 5, pick = 'yes' WHERE id IN (1, 6)")
        conn.execute("UPDATE frames SET rating = 3 WHERE id = 2")
        conn.execute("UPDATE frames SET pick = 'reject' WHERE id = 3")
        conn.execute("UPDATE frames SET scanned = '2024-01-05T10:00:00' WHERE roll_id = 3")
        conn.execute("UPDATE frames SET frame = '3A' WHERE id = 3")
        conn.execute("UPDATE frames SET caption = 'Le café de Flore' WHERE id = 9")
        conn.execute("INSERT INTO tags (name) VALUES ('print'), ('Été')")
        conn.execute("INSERT INTO frame_tags VALUES (1, 1), (4, 2)")
        conn.execute("INSERT INTO roll_tags VALUES (3, 1)")
        conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES (1, '서울 2023', 'x', 'x')")
        conn.execute("INSERT INTO project_frames VALUES (1, 2, 1, 'golden hour'), (1, 6, 2, NULL)")
    db.conn.close()
    return library


def refs(lib: Library, *query: str) -> list[str]:
    db = open_catalog(lib)
    c = compile_args(query, CatalogResolver(db.conn, lib.stocks, lib.formats), "frames")
    return [f.ref for f in curation.list_frames(db, c)]


def rolls(lib: Library, *query: str) -> list[str]:
    db = open_catalog(lib)
    c = compile_args(query, CatalogResolver(db.conn, lib.stocks, lib.formats), "rolls")
    return sorted(r.code for r in curation.list_rolls(db, c))


R1 = ["R001/1", "R001/2", "R001/3A", "R001/4", "R001/5"]
R2 = ["R002/1", "R002/2", "R002/3"]
R3 = ["R003/1", "R003/2"]
R4 = ["R004/1", "R004/2"]

CASES = [
    ((), R1 + R2 + R3 + R4),
    (("roll:R002",), R2),
    (("roll:r002",), R2),
    (("roll:R00*",), R1 + R2 + R3 + R4),
    (("frame:2",), ["R001/2", "R002/2", "R003/2", "R004/2"]),
    (("frame:4..5",), ["R001/4", "R001/5"]),
    (("frame:3A",), ["R001/3A"]),
    (("R001/2",), ["R001/2"]),
    (("R001/2", "R003/1"), ["R001/2", "R003/1"]),
    (("R001/4..",), ["R001/4", "R001/5"]),
    (("^R001/2", "roll:R001"), ["R001/1", "R001/3A", "R001/4", "R001/5"]),
    (("stock:portra400",), R1),
    (("stock:포트라400",), R1),
    (("stock:hp5+",), R2),
    (("iso:100",), R3),
    (("iso:>=400",), R1 + R2),
    (("ei:1600",), R2),
    (("ei:400",), R1),
    (("push:+2",), R2),
    (("push:0",), R1 + R3 + R4),
    (("push:+1..+2",), R2),
    (("push:>0",), R2),
    (("format:120",), R2 + R3),
    (("format:6x7",), R2),
    (("format:35mm",), R1),
    (("format:135",), R1),
    (("process:e6",), R3),
    (("process:bw",), R2),
    (("process:C41",), R1),
    (("camera:nikon",), R1),
    (('camera:"Pentax 67"',), R2),
    (("lens:50mm",), R1),
    (("lab:SEOUL",), R3),
    (("lab:mono",), R1),
    (("developed:2023",), R1 + R2),
    (("developed:2023-07",), R2),
    (("developed:2023-05-01..2023-06-30",), R1),
    (("developed:2021-06",), R4),          # a stored year-only date meets a month inside it
    (("developed:<2023",), R3 + R4),
    (("shot:2023-05",), R1),               # 2023-04-20..2023-05-02 overlaps May
    (("shot:2023-04-25",), R1),
    (("shot:2023-06",), []),
    (("scanned:2024",), R3),
    (("year:2023",), R1 + R2),
    (("year:2021..2022",), R3 + R4),
    (("rating:5",), ["R001/1", "R002/1"]),
    (("rating:>=3",), ["R001/1", "R001/2", "R002/1"]),
    (("rating:<1",), [r for r in R1 + R2 + R3 + R4 if r not in ("R001/1", "R001/2", "R002/1")]),
    (("rating:3..5", "pick:yes"), ["R001/1", "R002/1"]),
    (("pick:yes",), ["R001/1", "R002/1"]),
    (("pick:reject",), ["R001/3A"]),
    (("project:서울 2023",), ["R001/2", "R002/1"]),
    (("tag:print",), ["R001/1"] + R3),      # a frame tag, or its roll's tag
    (("tag:PRINT",), ["R001/1"] + R3),
    (("tag:été",), ["R001/4"]),
    (("tag:nothing",), []),
    (("^tag:print",), ["R001/2", "R001/3A", "R001/4", "R001/5"] + R2 + R4),
    (("path:R002/",), R2),
    (("path:*R003/*.jpg",), R3),
    (("path:000005.jpg",), ["R001/5"]),
    (("^camera:nikon",), R2 + R3 + R4),     # a roll with no camera is "not nikon"
    (("stock:portra400", "rating:5"), ["R001/1"]),
]


@pytest.mark.parametrize("query,expected", CASES, ids=[" ".join(c[0]) or "everything" for c in CASES])
def test_each_key_returns_the_right_frames(lib: Library, query: tuple[str, ...], expected: list[str]) -> None:
    assert refs(lib, *query) == expected


TEXT = [
    ("서울", R1 + R2),                       # title (NFC) and source (NFD), a 2-character word
    (NFD("서울"), R1 + R2),
    ("울산책", R2),                           # a substring inside 서울산책 (source, NFD)
    ("서울산책", R2),
    ("산책", R1 + R2),
    ("東京", R3),
    ("été", R2),                             # title "Été": Unicode case folding
    ("ÉTÉ", R2),
    (NFD("été"), R2),
    ("é", R2 + ["R003/1"]),                   # one character: Été, and café in a caption
    ("CAFÉ", ["R003/1"]),
    ("golden hour", ["R001/2"]),             # a project caption
    ("ektachrome", R3),                      # the stock name
    ("portra400", R1),                       # the source folder name
    ("NIGHT", R2),                           # notes
    ("nowhere", []),
    ("DROP TABLE frames; --", []),
]


@pytest.mark.parametrize("word,expected", TEXT, ids=[t[0] for t in TEXT])
def test_bare_words_search_text_with_unicode_folding(lib: Library, word: str, expected: list[str]) -> None:
    assert refs(lib, word) == expected


def test_negated_bare_word_and_combination(lib: Library) -> None:
    assert refs(lib, "^서울") == R3 + R4
    assert refs(lib, "서울", "rating:5") == ["R001/1", "R002/1"]


ROLLS = [
    ((), ["R001", "R002", "R003", "R004"]),
    (("rating:5",), ["R001", "R002"]),       # rolls having such a frame (EXISTS)
    (("pick:reject",), ["R001"]),
    (("^rating:5",), ["R003", "R004"]),
    (("project:서울 2023",), ["R001", "R002"]),
    (("tag:print",), ["R001", "R003"]),
    (("format:120",), ["R002", "R003"]),
    (("café",), ["R003"]),
    (("서울",), ["R001", "R002"]),
    (("scanned:2024",), ["R003"]),
    (("R002/1",), ["R002"]),
]


@pytest.mark.parametrize("query,expected", ROLLS, ids=[" ".join(c[0]) or "everything" for c in ROLLS])
def test_roll_listing_uses_exists_for_frame_keys(lib: Library, query: tuple[str, ...], expected: list[str]) -> None:
    assert rolls(lib, *query) == expected


@pytest.mark.parametrize("query,error,message", [
    (("stock:portra4000",), QueryError, "did you mean Kodak Portra 400"),
    (("project:nope",), NotFoundError, "no project named 'nope'"),
    (("R001/99",), NotFoundError, "no frame R001/99"),
    (("R999/1",), NotFoundError, "no roll with code 'R999'"),
    (("roll:R999",), NotFoundError, "R999"),
    (("format:9x12",), QueryError, "not a film format"),
])
def test_unknown_names_are_errors(lib: Library, query: tuple[str, ...], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        refs(lib, *query)


def test_user_text_only_travels_as_parameters(lib: Library) -> None:
    db = open_catalog(lib)
    evil = "x') OR 1=1; DROP TABLE frames; --"
    c = compile_args([evil, f"camera:{evil}", f"path:{evil}", f"tag:{evil}"],
                     CatalogResolver(db.conn, lib.stocks, lib.formats), "frames")
    assert evil not in c.where and "DROP" not in c.where
    assert list(curation.list_frames(db, c)) == []
    assert db.execute("SELECT count(*) FROM frames").fetchone()[0] == 12


def test_description_says_what_the_query_meant(lib: Library) -> None:
    db = open_catalog(lib)
    c = compile_args(["stock:portra400", "rating:>=4", "^tag:print", "developed:2023-05"],
                     CatalogResolver(db.conn, lib.stocks, lib.formats), "frames")
    assert c.description == "stock is Kodak Portra 400 and rating ≥ 4 and not tagged 'print' and developed 2023-05"


def test_sort_and_limit(lib: Library) -> None:
    db = open_catalog(lib)
    c = compile_args([], CatalogResolver(db.conn, lib.stocks, lib.formats), "frames")
    top = [f.ref for f in curation.list_frames(db, c, "-rating", 3)]
    assert top == ["R001/1", "R002/1", "R001/2"]
    assert [f.ref for f in curation.list_frames(db, c, "developed", 2)] == R4
    assert [f.ref for f in curation.list_frames(db, c, "-developed", 3)] == R2
    assert [r.code for r in curation.list_rolls(db, c, "-frames")] == ["R001", "R002", "R003", "R004"]
    with pytest.raises(InputError, match="sort by one of: ref, roll, frame, rating"):
        order_by("colour", "frames")
    with pytest.raises(InputError, match="code, developed, shot, stock, frames, added, ei"):
        order_by("rating", "rolls")


def test_fts_follows_edits_through_triggers(lib: Library) -> None:
    db = open_catalog(lib)
    with transaction(db) as conn:
        conn.execute("UPDATE rolls SET title = 'Lisboa à noite' WHERE code = 'R004'")
        conn.execute("UPDATE frames SET caption = 'tram 28' WHERE id = 11")
    assert refs(lib, "lisboa") == R4
    assert refs(lib, "TRAM") == ["R004/1"]
    with transaction(db) as conn:
        conn.execute("UPDATE frames SET caption = NULL WHERE id = 11")
        conn.execute("UPDATE project_frames SET caption = 'blue hour' WHERE frame_id = 2")
    assert refs(lib, "tram") == []
    assert refs(lib, "golden") == []
    assert refs(lib, "blue hour") == ["R001/2"]
    with transaction(db) as conn:
        conn.execute("DELETE FROM projects WHERE id = 1")   # cascades to project_frames
    assert refs(lib, "blue hour") == []
    assert db.execute("SELECT count(*) FROM frame_text").fetchone()[0] == 1   # the café caption


def test_migration_indexes_existing_rows(tmp_path) -> None:
    """A catalog made before m002 gets its text indexed when m002 runs."""
    import sqlite_utils

    from filmflow.catalog import schema

    db = sqlite_utils.Database(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="m002_search")
    db.execute("INSERT INTO rolls (id, code, title, created_at, updated_at) VALUES (1, 'R1', '제주 바다', 'x', 'x')")
    db.execute("INSERT INTO frames (roll_id, frame, path, file, sha256, bytes, caption, added_at) "
               "VALUES (1, '1', 'a.jpg', 'a.jpg', 'aa', 1, 'Jeju sunrise', 'x')")
    db.conn.commit()
    schema.migrate(db)
    assert db.execute("SELECT rowid FROM roll_text WHERE roll_text MATCH '\"제주 바\"'").fetchall() == [(1,)]
    assert db.execute("SELECT rowid FROM frame_text WHERE frame_text MATCH 'sunrise'").fetchall() == [(1,)]
    assert len(schema.migrations.applied(db)) == schema.SCHEMA_VERSION  # every migration ran, in order
