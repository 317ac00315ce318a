"""Film logs: each app's format read by content, paired with rolls and frames, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import logfixtures as lf
from conftest import add_roll
from filmflow.catalog.logs import pair_labels
from filmflow.logs import values as v
from filmflow.logs.detect import read_log
from filmflow.logs.model import LogError
from filmflow.opencatalog import open_catalog

# -- value parsers (tables) ---------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    ("f8", 8.0), ("f/2.8", 2.8), ("2.8", 2.8), (11, 11.0), ("", None), ("null", None), (" f16 ", 16.0),
])
def test_aperture(text, want):
    assert v.parse_aperture(text) == want


@pytest.mark.parametrize("text, want", [
    ("1/250", ("1/250", 0.004)), ('2"', ('2"', 2.0)), ('30"', ('30"', 30.0)), ('0.5"', ('0.5"', 0.5)),
    ("B", ("B", None)), (0.004, ("1/250", 0.004)), (2, ('2"', 2.0)), (0.008, ("1/125", 0.008)),
    (1 / 60, ("1/60", 1 / 60)), ("", (None, None)),
])
def test_shutter(text, want):
    got = v.parse_shutter(text)
    assert got[0] == want[0] and (got[1] == pytest.approx(want[1]) if want[1] else got[1] is None)


@pytest.mark.parametrize("lat, lon, want", [
    ("37.5759", "126.9768", (37.5759, 126.9768)),
    ("37° 34' 33.24\" N", "126° 58' 36.48\" E", (37.5759, 126.9768)),
    ("33deg 52' 4\" S", "151deg 12' 36\" W", (-33.8677778, -151.21)),
    ("-33.8688", "151.2093", (-33.8688, 151.2093)),
])
def test_position(lat, lon, want):
    got = v.parse_position(lat, lon)
    assert got == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize("bad", ["north 37", "abc", "200.0", "37° 99' 1\" N"])
def test_position_refused(bad):
    with pytest.raises(ValueError):
        v.parse_position(bad, "126.9")


@pytest.mark.parametrize("text, want", [
    ("2024-10-03 10:02", "2024-10-03T10:02"), ("2024-10-03T10:02:07.481", "2024-10-03T10:02:07"),
    ("2024:10:03 10:02:00", "2024-10-03T10:02"), ("2024-10-03", "2024-10-03"), ("2024-1-3 9:05", "2024-01-03T09:05"),
    ("3 Oct 2024 at 09:10", "2024-10-03T09:10"),
])
def test_local_time(text, want):
    assert v.parse_local_time(text) == want


@pytest.mark.parametrize("bad", ["2024-02-30 10:00", "2999-01-01", "2024-10-03T10:02+09:00", "2024-10-03T10:02Z",
                                 "yesterday"])
def test_local_time_refused(bad):
    with pytest.raises(ValueError):
        v.parse_local_time(bad)


@pytest.mark.parametrize("text, want", [(1, "1"), ("012", "12"), ("0", "0"), ("00", "00"), ("12a", "12A"), (3.0, "3")])
def test_frame_label(text, want):
    assert v.frame_label(text) == want


def test_pairing_table():
    scans = ["00", "1", "2", "3", "12A", "12-2", "12", "30"]
    logged = ["0", "1", "3", "12", "12A", "12-2", "36"]
    assert pair_labels(scans, logged) == {"00": "0", "1": "1", "3": "3", "12A": "12A", "12-2": "12-2", "12": "12"}
    # a rescan 12-2 with no repeat in the log takes frame 12's entry
    assert pair_labels(["12", "12-2"], ["12"]) == {"12": "12", "12-2": "12"}


# -- every format, read by content --------------------------------------------------------

WRITERS = {
    "exif-notes-csv": lambda p, fr: lf.exif_notes_csv(p, "R042 Seoul HP5", fr),
    "exif-notes-json": lambda p, fr: lf.exif_notes_json(p, "R042 Seoul HP5", fr),
    "lightme-json": lambda p, fr: lf.lightme_json(p, "R042", fr),
    "film-rolls-xml": lambda p, fr: lf.film_rolls_xml(p, "R042", fr),
    "plain-csv": lambda p, fr: lf.plain_csv(p, fr),
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_each_format_read_by_content_under_any_name(tmp_path, fmt):
    path = WRITERS[fmt](tmp_path / "renamed.dat", lf.SEOUL)
    (log,) = read_log(path)
    assert log.format == fmt
    assert [f.frame for f in log.frames] == ["1", "2", "4"]
    one = log.frames[0]
    assert one.aperture == 8.0 and one.shutter == "1/250" and one.shutter_s == pytest.approx(0.004)
    if fmt == "film-rolls-xml":
        assert one.shot_at == "2024-10-03T01:02:00Z"   # a UTC instant stays one, never relabelled local
    else:
        assert one.shot_at == "2024-10-03T10:02"
    if fmt != "film-rolls-xml" and fmt != "lightme-json":
        assert one.place == "서울 종로구 세종로"
    assert one.lat == pytest.approx(37.5759, abs=2e-4) and one.lon == pytest.approx(126.9768, abs=2e-4)
    assert log.frames[2].aperture == 5.6 and log.frames[2].lat is None


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_each_format_without_optional_fields(tmp_path, fmt):
    bare = [{"n": 1}, {"n": 2, "aperture": 4}, {"n": 3, "shutter": "1/60"}]
    (log,) = read_log(WRITERS[fmt](tmp_path / "x", bare))
    assert [f.frame for f in log.frames] == ["1", "2", "3"]
    assert log.frames[0].aperture is None and log.frames[0].shot_at is None and log.frames[0].lat is None
    assert log.frames[1].aperture == 4.0 and log.frames[2].shutter == "1/60"


def test_roll_data_from_each_app(tmp_path):
    (csv_log,) = read_log(WRITERS["exif-notes-csv"](tmp_path / "a.txt", lf.SEOUL))
    assert csv_log.roll.name == "R042 Seoul HP5" and csv_log.roll.ei == 800 and csv_log.roll.camera == "Nikon FM2"
    assert csv_log.roll.loaded == "2024-10-03" and csv_log.roll.format == "135"
    assert csv_log.roll.notes == "first line\nsecond line of the note"
    (old,) = read_log(lf.exif_notes_json(tmp_path / "old.json", "R042", lf.SEOUL, old_enums=True))
    assert old.roll.format == "135" and old.roll.stock == "Ilford HP5 Plus"
    (lm,) = read_log(WRITERS["lightme-json"](tmp_path / "b.json", lf.SEOUL))
    assert lm.roll.code == "R042" and lm.roll.camera == "Nikon FM2" and lm.roll.developer == "DD-X 1+4"
    assert lm.frames[0].lens == "Nikon Nikkor 50mm f/1.8 AI-S"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp949"])
def test_encodings(tmp_path, encoding):
    (log,) = read_log(lf.plain_csv(tmp_path / "k.csv", lf.SEOUL, encoding=encoding))
    assert log.frames[0].place == "서울 종로구 세종로"


# -- the CLI: pairing, pending rolls, idempotence -------------------------------------------

def test_import_pairs_frames_and_sets_roll_fields(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=5)
    log = WRITERS["exif-notes-csv"](tmp_path / "seoul_csv.txt", lf.SEOUL)
    (rep,) = cli.json("log", "import", log)
    assert rep["roll"] == "R042" and rep["matched"] == 3 and rep["unmatched"] == [] and not rep["created_roll"]
    frames = {f["frame"]: f for f in cli.json("frames", "roll:R042")}
    assert frames["2"]["shutter"] == '2"' and frames["2"]["aperture"] == 11.0 and frames["2"]["focal_length"] == 50.0
    assert frames["1"]["gps"] == pytest.approx({"lat": 37.5759, "lon": 126.9768}, abs=2e-4)
    assert frames["1"]["shot_at"] == "2024-10-03T10:02" and frames["1"]["lens"] == "Nikon Nikkor 50mm f/1.8 AI-S"
    assert frames["3"]["aperture"] is None and frames["3"]["gps"] is None
    roll = cli.json("roll", "show", "R042")
    assert roll["camera"] == "Nikon FM2" and roll["sources"]["camera"] == "log"
    assert roll["shot_from"] == "2024-10-03" and roll["shot_to"] == "2024-10-05" and roll["ei"] == 800
    assert roll["log"]["frames"] == 3 and roll["log"]["paired"] == 3


def test_log_ranks_below_sidecar_above_folder(library, cli, tmp_path):
    from filmflow.catalog.db import transaction
    from filmflow.catalog.rolls import insert_roll

    db = open_catalog(library)
    with transaction(db) as conn:
        insert_roll(conn, {"code": "R042", "camera": "Pentax MX", "ei": 400},
                    {"code": "folder", "camera": "sidecar", "ei": "folder"})
    db.conn.close()
    cli("log", "import", WRITERS["exif-notes-csv"](tmp_path / "l.txt", lf.SEOUL))
    roll = cli.json("roll", "show", "R042")
    assert roll["camera"] == "Pentax MX" and roll["sources"]["camera"] == "sidecar"
    assert roll["ei"] == 800 and roll["sources"]["ei"] == "log"


def test_import_twice_changes_nothing_and_a_corrected_log_updates(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=5)
    log = WRITERS["exif-notes-json"](tmp_path / "r.json", lf.SEOUL)
    cli("log", "import", log)
    first = cli.json("frames", "roll:R042")
    (again,) = cli.json("log", "import", log)
    assert again["changes"] == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0}
    assert cli.json("frames", "roll:R042") == first
    corrected = [dict(lf.SEOUL[0], aperture=16), lf.SEOUL[1]]
    (fix,) = cli.json("log", "import", WRITERS["exif-notes-json"](tmp_path / "r2.json", corrected))
    assert fix["changes"] == {"added": 0, "updated": 1, "unchanged": 1, "removed": 1}
    frames = {f["frame"]: f for f in cli.json("frames", "roll:R042")}
    assert frames["1"]["aperture"] == 16.0 and frames["4"]["aperture"] is None


def test_dry_run_prints_pairing_and_writes_nothing(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=2)
    before = library.db_path.read_bytes()
    (rep,) = cli.json("log", "import", WRITERS["lightme-json"](tmp_path / "l.json", lf.SEOUL), "--dry-run")
    assert rep["dry_run"] and rep["matched"] == 2 and rep["unmatched"] == ["4"]
    assert cli.json("frames", "roll:R042")[0]["aperture"] is None
    text = cli("log", "import", tmp_path / "l.json", "--dry-run").stdout
    assert "would pair 2 frames" in text and "logged but not scanned (1): 4" in text
    assert library.db_path.read_bytes() == before


def test_more_logged_frames_than_scans_are_reported_and_kept(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=24)
    frames = [{"n": i, "aperture": 8, "shutter": "1/125"} for i in range(1, 37)]
    (rep,) = cli.json("log", "import", lf.plain_csv(tmp_path / "36.csv", frames), "--roll", "R042")
    assert rep["matched"] == 24 and rep["unmatched"] == [str(i) for i in range(25, 37)]
    assert cli.json("roll", "show", "R042")["log"]["frames"] == 36


def test_log_of_gaps_repeats_zero_and_half_frames(library, cli, tmp_path):
    from filmflow.catalog.db import transaction
    from filmflow.catalog.frames import insert_frames
    from filmflow.catalog.rolls import insert_roll, now

    db = open_catalog(library)
    with transaction(db) as conn:
        rid = insert_roll(conn, {"code": "R060"}, {"code": "option"})
        insert_frames(conn, [{"roll_id": rid, "frame": fr, "frame_num": int(fr[:2].rstrip("A-") or 0), "path": f"a/{i}.jpg",
                              "file": f"{i}.jpg", "sha256": f"{i:064d}", "bytes": 1, "added_at": now()}
                             for i, fr in enumerate(["00", "1", "3", "12A", "12", "12-2"])])
    db.conn.close()
    log = [{"n": "0", "aperture": 2}, {"n": 1, "aperture": 4}, {"n": 3, "aperture": 5.6}, {"n": 3, "aperture": 8},
           {"n": "12A", "aperture": 11}, {"n": 12, "aperture": 16}]
    (rep,) = cli.json("log", "import", lf.plain_csv(tmp_path / "g.csv", log), "--roll", "R060")
    got = {f["frame"]: f["aperture"] for f in cli.json("frames", "roll:R060")}
    # 00 ~ 0; the second "3" in the log is 3-2 (no scan of it); the rescan 12-2 takes 12's entry
    assert got == {"00": 2.0, "1": 4.0, "3": 5.6, "12A": 11.0, "12": 16.0, "12-2": 16.0}
    assert rep["unmatched"] == ["3-2"]


def test_a_log_first_makes_a_roll_that_scans_join_later(library, cli, tmp_path):
    from imagegen import make_scan

    (rep,) = cli.json("log", "import", WRITERS["lightme-json"](tmp_path / "lm.json", lf.SEOUL))
    assert rep["created_roll"] and rep["roll"] == "R042" and rep["matched"] == 0
    roll = cli.json("roll", "show", "R042")
    assert roll["frames"] == 0 and roll["camera"] == "Nikon FM2" and roll["stock"] == "Ilford HP5 Plus"
    assert roll["shot_from"] == "2024-10-03" and roll["sources"]["stock"] == "log" and roll["path"] is None
    folder = tmp_path / "R042 scans"
    for i in (1, 2, 3):
        make_scan(folder / f"R042_{i:04d}.jpg", seed=40 + i)
    (ing,) = cli.json("ingest", folder)
    assert ing["roll"] == "R042" and ing["added"] == 3
    roll = cli.json("roll", "show", "R042")
    assert roll["frames"] == 3 and roll["path"].endswith("2024/R042 Ilford HP5 Plus")  # filed by the log's year
    assert Path(roll["path"], "R042_0002.jpg").is_file()
    frames = {f["frame"]: f for f in cli.json("frames", "roll:R042")}
    assert frames["1"]["aperture"] == 8.0 and frames["2"]["shutter"] == '2"' and frames["3"]["aperture"] is None
    assert cli.json("roll", "show", "R042")["log"]["paired"] == 2


def test_log_with_no_roll_name_needs_roll_option(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=3)
    log = lf.exif_notes_csv(tmp_path / "cut_csv.txt", "x", lf.SEOUL, preamble=False)
    r = cli("log", "import", log, code=2)
    assert "names no roll" in r.stderr and "--roll" in r.stderr
    (rep,) = cli.json("log", "import", log, "--roll", "R042")
    assert rep["matched"] == 2


# -- bad input: one line naming file and line, exit 2, nothing written ---------------------

def _refused(cli, library, path: Path, *needles: str) -> str:
    before = library.db_path.read_bytes()
    r = cli("log", "import", path, "--roll", "R042", code=2)
    err = r.stderr.strip()
    assert err.count("\n") == 0 and str(path) in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, err
    assert library.db_path.read_bytes() == before
    return err


def test_bad_logs_are_refused_naming_file_and_line(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=3)
    future = lf.plain_csv(tmp_path / "future.csv", [{"n": 1, "date": "2099-01-01 10:00"}])
    _refused(cli, library, future, "line 2", "future")
    impossible = lf.plain_csv(tmp_path / "imp.csv", [{"n": 1}, {"n": 2, "date": "2024-02-30"}])
    _refused(cli, library, impossible, "line 3")
    dms = lf.exif_notes_csv(tmp_path / "dms_csv.txt", "R042", [{"n": 1, "lat": 37.5, "lon": 126.9}])
    dms.write_text(dms.read_text().replace("37° 30'", "37° 99'"), encoding="utf-8")
    _refused(cli, library, dms, "line 16", "minutes or seconds")
    zone = lf.plain_csv(tmp_path / "zone.csv", [{"n": 1, "date": "2024-10-03T10:02+09:00"}])
    _refused(cli, library, zone, "line 2", "time zone")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _refused(cli, library, empty, "empty")
    notlog = tmp_path / "settings.json"
    notlog.write_text(json.dumps({"theme": "dark", "frames": 36}))
    _refused(cli, library, notlog, "neither an Exif Notes roll nor a Lightme")
    big = tmp_path / "huge.csv"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    _refused(cli, library, big, "MB")
    garbage = tmp_path / "bin.csv"
    garbage.write_bytes(b"frame,note\n1,ok\n2,\xff\xfe\xfd\xff\n")
    _refused(cli, library, garbage, "line 3")
    cmds = tmp_path / "R042_ExifToolCmds.txt"
    cmds.write_text('exiftool -Make="Nikon" 1.jpg\n')
    _refused(cli, library, cmds, "not a log")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><data xmlns="http://www.w3schools.com">&a;</data>')
    _refused(cli, library, bomb, "entities")


def test_bulb_and_long_shutters_are_read(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=2)
    cli("log", "import", lf.plain_csv(tmp_path / "b.csv", [{"n": 1, "shutter": "B"}, {"n": 2, "shutter": '30"'}]),
        "--roll", "R042")
    got = {f["frame"]: f["shutter"] for f in cli.json("frames", "roll:R042")}
    assert got == {"1": "B", "2": '30"'}


def test_a_bad_file_among_good_ones_writes_nothing(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=3)
    good = WRITERS["exif-notes-csv"](tmp_path / "good_csv.txt", lf.SEOUL)
    bad = tmp_path / "bad.csv"
    bad.write_text("frame,aperture\n1,wide open\n")
    r = cli("log", "import", good, bad, code=2)
    assert "bad.csv, line 2" in r.stderr
    assert cli.json("frames", "roll:R042")[0]["aperture"] is None


def test_stats_count_lenses_apertures_and_focal_lengths(library, cli, tmp_path):
    add_roll(library, "R042", n_frames=4, year=2024, lens="Roll lens 35mm")
    cli("pick", "R042/1", "R042/4")
    frames = [{"n": 1, "aperture": 8, "focal": 50, "lens": "Nikkor 50mm"},
              {"n": 2, "aperture": 8, "focal": 50, "lens": "Nikkor 50mm"},
              {"n": 3, "aperture": 2.8, "focal": 28, "lens": "Nikkor 28mm"}]
    cli("log", "import", lf.plain_csv(tmp_path / "s.csv", frames), "--roll", "R042")
    s = cli.json("stats", "--year", "2024")
    lenses = {g["name"]: (g["frames"], g["picks"], g["keeper_rate"]) for g in s["lenses"]}
    # frame 4 has no log entry: it counts under its roll's lens
    assert lenses == {"Nikkor 50mm": (2, 1, 0.5), "Nikkor 28mm": (1, 0, 0.0), "Roll lens 35mm": (1, 1, 1.0)}
    assert s["by_aperture"] == {"f/2.8": 1, "f/8": 2} and s["by_focal_length"] == {"28mm": 1, "50mm": 2}
    assert "By lens" in cli("stats", "--year", "2024").stdout
