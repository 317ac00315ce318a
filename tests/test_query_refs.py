"""One grammar for roll codes and frame references (filmflow/query/refs.py): its worked examples,
every frame number ingest can give, codes from roll.toml / --roll / roll edit, and numbers too big
for SQLite (issue 11 item 12, issue 12 items 9 and 17)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Cli, add_roll, make_library
from filmflow.catalog.db import transaction
from filmflow.errors import InputError, QueryError
from filmflow.ingest.plan import _unique, parse_frame_number
from filmflow.library import Library
from filmflow.query.parse import parse_term
from filmflow.query.refs import (MAX_FRAME_DIGITS, FrameRef, Interval, code_candidates, frame_number_from_name,
                                 parse_frame_number as parse_frame_text, parse_frame_ref, parse_roll_code)
from filmflow.opencatalog import open_catalog

# the module docstring's table
REFS = [
    ("R042/12", FrameRef("R042", "12")),
    ("R042/12A", FrameRef("R042", "12A")),
    ("R001/6-2", FrameRef("R001", "6-2")),
    ("2023-014/00", FrameRef("2023-014", "00")),
    ("R042/3..7", FrameRef("R042", None, Interval(3, 7))),
    ("R042/4..", FrameRef("R042", None, Interval(4, None))),
    ("R042/012", FrameRef("R042", "12")),
    ("r042/12a", FrameRef("r042", "12A")),
    ("R042/6-02", FrameRef("R042", "6-2")),
    ("R042/12A-3", FrameRef("R042", "12A-3")),
    ("롤042/3", FrameRef("롤042", "3")),
]


@pytest.mark.parametrize("text,ref", REFS, ids=[r[0] for r in REFS])
def test_frame_reference_examples(text: str, ref: FrameRef) -> None:
    assert parse_frame_ref(text) == ref
    term = parse_term(text)
    assert (term.key, term.value) == ("ref", ref)
    neg = parse_term("^" + text)
    assert (neg.key, neg.value, neg.negate) == ("ref", ref, True)


BAD_REFS = [
    ("R001/", "names no frame; give one after the slash (R001/12)"),
    ("R001/ ", "names no frame"),
    ("R042/1234567", f"at most {MAX_FRAME_DIGITS} digits"),
    ("R001/0..99999999999999999999", "at most"),
    ("R042/9..3", "runs backwards"),
    ("R042/..", "needs at least one end"),
    ("R042/12AB", "not a frame number"),
    ("R042/6-", "not a frame number"),
    ("a..b/3", "not a roll code"),
    ("-R1/3", "not a roll code"),
]


@pytest.mark.parametrize("text,message", BAD_REFS, ids=[b[0] for b in BAD_REFS])
def test_bad_references_are_query_errors_naming_the_fix(text: str, message: str) -> None:
    for parse in (parse_frame_ref, parse_term):
        with pytest.raises(QueryError) as e:
            parse(text)
        assert message in str(e.value) and e.value.exit_code == 2


def test_slash_words_that_are_not_references_stay_text() -> None:
    assert parse_term("AC/DC").key == "text"
    assert parse_term('"R001/"').key == "text"  # quoted: a phrase


# file names as labs and scanners write them -> the frame ingest gives (plan.parse_frame_number)
INGEST_NAMES = [
    ("R042_0012.jpg", "12"), ("000012.JPG", "12"), ("12A.tif", "12A"), ("12a.tif", "12A"),
    ("R042_00.jpg", "00"), ("R042_0.jpg", "0"), ("000000.jpg", "00"), ("00A.jpg", "0A"),
    ("CNV00036.JPG", "36"), ("scan 7.tiff", "7"), ("R1-00012-0012.JPG", "12"), ("R042_123456.jpg", "123456"),
]


@pytest.mark.parametrize("name,frame", INGEST_NAMES, ids=[n[0] for n in INGEST_NAMES])
def test_every_frame_number_ingest_gives_is_addressable(name: str, frame: str) -> None:
    parsed = parse_frame_number(name)
    assert parsed is not None and parsed[0] == frame
    used: set[str] = set()
    for _ in range(3):  # the frame, then the rescans ingest names 12-2, 12-3
        got = _unique(parsed[0], used)
        used.add(got)
        assert parse_frame_ref(f"R042/{got}") == FrameRef("R042", got)
        assert parse_term(f"frame:{got}").value == (got if not got.isdigit() else Interval(int(got), int(got)))
    assert used == {frame, f"{frame}-2", f"{frame}-3"}


@pytest.mark.parametrize("name", ["IMG_20240501123045123456.jpg", "99999999999999999999.tif", "1234567.jpg",
                                  "scan_0001234567.jpg", "scan.jpg", "1" * 5000 + ".jpg"])
def test_long_digit_runs_are_not_frame_numbers(name: str) -> None:
    assert frame_number_from_name(name) is None and parse_frame_number(name) is None


CODES_OK = [("R042", "R042"), (" R042 ", "R042"), ("2023-014", "2023-014"), ("롤042", "롤042"),
            ("roll_7.b", "roll_7.b"), (42, "42"), ("x" * 32, "x" * 32)]
CODES_BAD = [("R9/sub", "not a roll code"), ("..", "not a roll code"), ("a\x00b", "not a roll code"),
             (True, "not bool"), ("x" * 5000, "5000 characters long"), ("", "not a roll code"),
             ("R 42", "not a roll code"), ("R..1", "not a roll code"), (["R1"], "not list"),
             ("R042/12", "not a roll code"), ('R"1', "not a roll code")]


@pytest.mark.parametrize("value,code", CODES_OK, ids=[str(c[1])[:10] for c in CODES_OK])
def test_valid_roll_codes(value: object, code: str) -> None:
    assert parse_roll_code(value) == code


@pytest.mark.parametrize("value,message", CODES_BAD, ids=[repr(c[0])[:12] for c in CODES_BAD])
def test_invalid_roll_codes_are_refused_naming_the_fix(value: object, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_roll_code(value, "roll.toml [code]")
    assert message in str(e.value) and "roll.toml [code]" in str(e.value) and "R042" in str(e.value)
    assert len(str(e.value)) < 300


def test_code_candidates_follow_the_template() -> None:
    assert code_candidates("R1") == ("R1", "R001")
    assert code_candidates("r0042") == ("r0042", "R042")
    assert code_candidates("R001") == ("R001",)
    assert code_candidates("F7", "F{n:04d}") == ("F7", "F0007")
    assert code_candidates("2023-7", "2023-{n:03d}") == ("2023-7", "2023-007")
    assert code_candidates("R1", "{year}-{n:03d}") == ("R1",)  # not prefix + number: as written only


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_reference_parsing_never_crashes(text: str) -> None:
    try:
        parse_frame_ref(text)
    except QueryError:
        pass
    try:
        parse_frame_text(text)
    except QueryError:
        pass


# --------------------------------------------------------------------------- through the CLI


@pytest.fixture
def suffixed(library: Library) -> Library:
    """R001 with frames 1..6 where 5 became 6-2 (a rescan), 4 became 12A and 3 became 00."""
    add_roll(library, "R001", 6)
    add_roll(library, "R008", 2)
    db = open_catalog(library)
    with transaction(db) as conn:
        conn.execute("UPDATE frames SET frame = '6-2', frame_num = 6 WHERE roll_id = 1 AND frame = '5'")
        conn.execute("UPDATE frames SET frame = '12A', frame_num = 12 WHERE roll_id = 1 AND frame = '4'")
        conn.execute("UPDATE frames SET frame = '00', frame_num = 0 WHERE roll_id = 1 AND frame = '3'")
        conn.execute("UPDATE frames SET frame = '1-2' WHERE roll_id = 2 AND frame = '2'")
    db.conn.close()
    return library


def refs(cli: Cli, *query: str) -> list[str]:
    return [f["ref"] for f in cli.json("frames", *query)]


def test_suffixed_frames_are_addressable_everywhere(cli: Cli, suffixed: Library) -> None:
    assert refs(cli, "R001/6-2") == ["R001/6-2"]
    assert refs(cli, "frame:6-2") == ["R001/6-2"]
    assert refs(cli, "R001/00") == ["R001/00"] and refs(cli, "R001/12a") == ["R001/12A"]
    assert "R001/6-2" not in refs(cli, "roll:R001", "^R001/6-2") and len(refs(cli, "roll:R001", "^R001/6-2")) == 5
    assert cli.json("pick", "R008/1-2") == {"matched": 1, "changed": 1}
    assert [f["pick"] for f in cli.json("frames", "R008/1-2")] == ["yes"]
    assert cli.json("tag", "add", "rescan", "R001/6-2") == {"matched": 1, "changed": 1}
    assert refs(cli, "tag:rescan") == ["R001/6-2"]
    cli("project", "create", "P")
    cli("project", "add", "P", "R001/6-2", "R001/12A")
    cli("project", "caption", "P", "R001/6-2", "the rescan")
    cli("project", "move", "P", "R001/6-2", "2")
    shown = cli.json("project", "show", "P")
    assert [(f["ref"], f["caption"]) for f in shown["frames"]] == [("R001/12A", None), ("R001/6-2", "the rescan")]


def test_short_codes_follow_the_default_template(cli: Cli, suffixed: Library) -> None:
    assert refs(cli, "R1/6-2") == ["R001/6-2"]
    assert refs(cli, "r1/2..3") == ["R001/2"]  # 3 is frame 00 now (frame_num 0)
    assert len(refs(cli, "roll:R8")) == 2


def test_project_move_and_caption_take_short_codes(cli: Cli, suffixed: Library) -> None:
    cli("project", "create", "P")
    cli("project", "add", "P", "R001/6-2", "R001/12A")
    assert cli("project", "caption", "P", "R1/6-2", "the rescan").stdout.strip() == "captioned R001/6-2"
    cli("project", "move", "P", "r1/6-2", "1")
    shown = cli.json("project", "show", "P")
    assert [(f["ref"], f["caption"]) for f in shown["frames"]] == [("R001/6-2", "the rescan"), ("R001/12A", None)]
    assert "no frame R9/1" in cli("project", "move", "P", "R9/1", "1", code=2).stderr


def test_short_codes_follow_a_configured_template(tmp_path) -> None:
    lib = make_library(tmp_path / "lib", code_template='"F{n:04d}"')
    add_roll(lib, "F0007", 2)
    cli = Cli(lib)
    assert refs(cli, "F7/2") == ["F0007/2"]
    r = cli("frames", "R7/2", code=2)
    assert "no roll with code 'R7'" in r.stderr


def test_a_bare_code_and_slash_is_an_error_naming_the_fix(cli: Cli, suffixed: Library) -> None:
    r = cli("frames", "R001/", code=2)
    assert "'R001/' names no frame" in r.stderr and "roll:R001" in r.stderr and "Traceback" not in r.stderr
    r = cli("pick", "R001/", code=2)
    assert "names no frame" in r.stderr


HUGE = "99999999999999999999"  # 20 digits: beyond SQLite's 64-bit integers


@pytest.mark.parametrize("args,message", [
    (("frames", f"frame:{HUGE}"), "frame must be 0 to 999999"),
    (("frames", f"frame:>={HUGE}"), "frame must be 0 to 999999"),
    (("frames", f"ei:{HUGE}"), "ei must be 1 to 1000000"),
    (("rolls", f"iso:>{HUGE}"), "iso must be 1 to 1000000"),
    (("frames", f"iso:{'9' * 400}"), "out of range"),
    (("frames", f"rating:{HUGE}"), "rating"),
    (("frames", f"year:{HUGE}"), "year must be"),
    (("frames", f"R001/0..{HUGE}"), "at most 6 digits"),
    (("frames", f"R001/{HUGE}"), "at most 6 digits"),
    (("frames", "--limit", HUGE), "--limit"),
    (("rolls", "--limit", HUGE), "--limit"),
    (("rate", HUGE, "R001/1"), "STARS"),
    (("rate", "3", f"frame:{HUGE}"), "frame must be"),
    (("pick", f"frame:..{HUGE}"), "frame must be"),
])
def test_numbers_beyond_64_bits_are_bad_input_not_internal_errors(cli: Cli, suffixed: Library,
                                                                  args: tuple[str, ...], message: str) -> None:
    r = cli(*args, code=2)
    assert message in r.stderr and "internal error" not in r.stderr


# --------------------------------------------------------------------------- codes and numbers at ingest


@pytest.mark.parametrize("toml", ['code = "R9/sub"', 'code = ".."', 'code = "R1\\u0000x"', "code = true",
                                  f'code = "{"x" * 5000}"', 'code = "a b"'])
def test_roll_toml_codes_follow_the_grammar(cli: Cli, library: Library, tmp_path, toml: str) -> None:
    from imagegen import make_roll

    folder = tmp_path / "in" / "2023-05-01 Portra400"
    make_roll(folder, 2)
    (folder / "roll.toml").write_text(toml + "\n", encoding="utf-8")
    r = cli("ingest", folder, code=1)
    assert "roll.toml [code]" in r.output and "R042" in r.output and "Traceback" not in r.output
    assert cli.json("rolls") == [] and not list(library.archive.rglob("*.jpg"))


def test_roll_option_and_roll_edit_code_follow_the_grammar(cli: Cli, library: Library, tmp_path) -> None:
    from imagegen import make_roll

    folder = tmp_path / "in" / "2023-05-01 Portra400"
    make_roll(folder, 2)
    for bad in ("R9/sub", "..", "x" * 5000):
        r = cli("ingest", "--roll", bad, folder, code=2)
        assert "--roll" in r.stderr and "R042" in r.stderr
    assert cli.json("rolls") == []
    cli("ingest", "--roll", "R7", folder)
    for bad in ("R9/sub", "..", "x" * 5000, "a b"):
        r = cli("roll", "edit", "R7", "--code", bad, code=2)
        assert "--code" in r.stderr and "R042" in r.stderr
    assert [r["code"] for r in cli.json("rolls")] == ["R7"]
    cli("roll", "edit", "R7", "--code", "2023-014")
    assert refs(cli, "2023-014/2") == ["2023-014/2"]


def test_timestamp_file_names_are_numbered_in_scan_order(cli: Cli, library: Library, tmp_path) -> None:
    from imagegen import make_roll

    folder = tmp_path / "in" / "phone scans"
    make_roll(folder, 3, pattern="IMG_2024050112304512345{n}.jpg")  # 20 digits: beyond SQLite's integer
    make_roll(folder, 1, pattern="R042_{n:04d}.jpg", start=7, seed=3)
    r = cli("ingest", folder)
    assert "internal error" not in r.output
    frames = cli.json("frames")
    assert sorted(f["frame"] for f in frames) == ["10", "7", "8", "9"]
    assert {f["file"] for f in frames if f["frame"] == "7"} == {"R042_0007.jpg"}
    assert len(list(library.archive.rglob("*.jpg"))) == 4


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.integers(), st.booleans(), st.none(), st.floats()))
def test_code_parsing_never_crashes_and_valid_codes_make_references(value: object) -> None:
    try:
        code = parse_roll_code(value)
    except InputError:
        return
    assert parse_frame_ref(f"{code}/12A-2") == FrameRef(code, "12A-2")
    assert parse_term(f"{code}/3..4").value == FrameRef(code, None, Interval(3, 4))
