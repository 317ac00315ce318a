"""The one frame read model (issue 13 item 1): catalog/frames.read_frames and frames_by_id build
every Frame; sheets and exports get typed roll facts and the shown version's file."""

from __future__ import annotations

from conftest import add_roll

from filmflow.catalog.db import transaction
from filmflow.catalog.frames import frames_by_id, get_frame, read_frames, select_roll
from filmflow.catalog.models import RollFacts
from filmflow.catalog.versions import insert_version
from filmflow.catalog.yearstats import year_picks
from filmflow.catalog.querysql import Compiled
from filmflow.opencatalog import open_catalog


def _two_rolls(library):
    a = add_roll(library, "R001", 4, stock="Kodak Portra 400", stock_key="kodak-portra-400", ei=800, push=1.0,
                 format="135", camera="Nikon FM2", lens="50mm f/1.4", title="Seoul", developed="2023-05-02",
                 shot_from="2023-04-30", lab="Mono Lab")
    b = add_roll(library, "R002", 2, format="6x7", developed="2022-01-01")
    return a, b


def test_read_frames_streams_in_sort_order_with_limit_and_roll_facts(library):
    a, _ = _two_rolls(library)
    db = open_catalog(library)
    everything = Compiled("", ())
    assert [f.ref for f in read_frames(db, everything)] == ["R001/1", "R001/2", "R001/3", "R001/4",
                                                            "R002/1", "R002/2"]
    assert [f.ref for f in read_frames(db, everything, "-ref", 2)] == ["R002/2", "R002/1"]
    plain = next(read_frames(db, select_roll(a)))
    assert plain.roll_facts is None
    frames = list(read_frames(db, select_roll(a), "frame", with_roll=True))
    facts = frames[0].roll_facts
    assert isinstance(facts, RollFacts) and facts is frames[3].roll_facts  # one value per roll and batch
    assert (facts.format, facts.stock, facts.stock_key, facts.ei, facts.push, facts.camera, facts.lens,
            facts.title, facts.developed, facts.shot_from, facts.lab) == (
        "135", "Kodak Portra 400", "kodak-portra-400", 800, 1.0, "Nikon FM2", "50mm f/1.4", "Seoul",
        "2023-05-02", "2023-04-30", "Mono Lab")
    assert "roll_facts" not in frames[0].to_json() and "log_format" not in frames[0].to_json()
    db.conn.close()


def test_frames_by_id_keeps_the_order_asked_and_skips_unknown_ids(library):
    _two_rolls(library)
    db = open_catalog(library)
    ids = [f.id for f in read_frames(db, Compiled("", ()))]
    got = frames_by_id(db, [ids[4], ids[0], 99999, ids[2]], library.root, with_roll=True)
    assert [f.ref for f in got] == ["R002/1", "R001/1", "R001/3"]
    assert got[0].path == str(library.root / "archive/R002/000001.jpg")
    assert got[0].roll_facts.format == "6x7" and got[1].roll_facts.format == "135"
    assert frames_by_id(db, []) == []
    assert get_frame(db, "R1/2", library.root).id == ids[1]
    db.conn.close()


def test_shown_file_is_the_preferred_version_or_the_original(library):
    a, _ = _two_rolls(library)
    db = open_catalog(library)
    f = next(read_frames(db, select_roll(a)))
    assert f.shown_file() == f.shown_file("original") == (f.path, f.thumbnail, f.sha256, 1)
    with transaction(db) as conn:
        insert_version(conn, {"frame_id": f.id, "kind": "edit", "path": "archive/R001/000001-edit.tif",
                              "file": "000001-edit.tif", "sha256": "e" * 64, "bytes": 5, "width": 10,
                              "height": 10, "thumbnail": "cache/thumbs/ee/e.jpg", "added_at": "2024-01-01"})
    f = frames_by_id(db, [f.id])[0]
    assert f.shown_file() == ("archive/R001/000001-edit.tif", "cache/thumbs/ee/e.jpg", "e" * 64, 2)
    assert f.shown_file("original") == ("archive/R001/000001.jpg", None, f.sha256, 1)
    db.conn.close()


def test_year_picks_in_shooting_order_with_roll_facts(library):
    _two_rolls(library)
    db = open_catalog(library)
    with transaction(db) as conn:
        conn.execute("UPDATE frames SET pick = 'yes' WHERE frame IN ('1', '2')")
        conn.execute("UPDATE rolls SET year = substr(coalesce(shot_from, developed), 1, 4)")
    picks = year_picks(db, None)
    assert [p.ref for p in picks] == ["R002/1", "R002/2", "R001/1", "R001/2"]  # R002 was shot first
    assert [p.ref for p in year_picks(db, 2023)] == ["R001/1", "R001/2"]
    assert picks[0].roll_facts.format == "6x7"
    db.conn.close()
