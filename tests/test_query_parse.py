"""The query parser: the worked examples of query/parse.py, every bad-input case, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filmflow.errors import QueryError
from filmflow.query.parse import DateSpan, FrameRef, Interval, Term, parse_query, parse_term

EXAMPLES = [
    ("rating:4", Term("rating", Interval(4, 4))),
    ("rating:>=4", Term("rating", Interval(4, None))),
    ("rating:<3", Term("rating", Interval(None, 2))),
    ("rating:3..5", Term("rating", Interval(3, 5))),
    ("frame:12", Term("frame", Interval(12, 12))),
    ("frame:3..7", Term("frame", Interval(3, 7))),
    ("frame:12A", Term("frame", "12A")),
    ("frame:012a", Term("frame", "12A")),
    ("iso:>=800", Term("iso", Interval(800, None))),
    ("ei:1600", Term("ei", Interval(1600, 1600))),
    ("push:+1", Term("push", Interval(1, 1))),
    ("push:-1", Term("push", Interval(-1, -1))),
    ("push:0", Term("push", Interval(0, 0))),
    ("push:+1..+2", Term("push", Interval(1, 2))),
    ("push:+1/3", Term("push", Interval(1 / 3, 1 / 3))),
    ("year:2021..2023", Term("year", Interval(2021, 2023))),
    ("developed:2023", Term("developed", DateSpan("2023", "2024", "2023"))),
    ("developed:2023-05", Term("developed", DateSpan("2023-05", "2023-06", "2023-05"))),
    ("developed:2023-12", Term("developed", DateSpan("2023-12", "2024-01", "2023-12"))),
    ("shot:2023-05-01..2023-07-31", Term("shot", DateSpan("2023-05-01", "2023-08-01", "2023-05-01..2023-07-31"))),
    ("scanned:2024..", Term("scanned", DateSpan("2024", None, "2024.."))),
    ("developed:..2023-06", Term("developed", DateSpan(None, "2023-07", "..2023-06"))),
    ("developed:>=2023-05", Term("developed", DateSpan("2023-05", None, ">=2023-05"))),
    ("developed:<2023", Term("developed", DateSpan(None, "2023", "<2023"))),
    ("process:c41", Term("process", "C-41")),
    ("process:E-6", Term("process", "E-6")),
    ("process:b&w", Term("process", "B&W")),
    ("process:ECN2", Term("process", "ECN-2")),
    ("pick:yes", Term("pick", "yes")),
    ("pick:reject", Term("pick", "reject")),
    ('camera:"Nikon FM2"', Term("camera", "Nikon FM2")),
    ("camera:Nikon FM2", Term("camera", "Nikon FM2")),
    ("lab:'Film Lab Seoul'", Term("lab", "Film Lab Seoul")),
    ("stock:포트라400", Term("stock", "포트라400")),
    ("project:서울 2023", Term("project", "서울 2023")),
    ("^tag:print", Term("tag", "print", negate=True)),
    ("Rating:5", Term("rating", Interval(5, 5))),
    ("R042/12", Term("ref", FrameRef("R042", "12"))),
    ("R042/012", Term("ref", FrameRef("R042", "12"))),
    ("2023-014/00", Term("ref", FrameRef("2023-014", "00"))),
    ("R042/3..7", Term("ref", FrameRef("R042", None, Interval(3, 7)))),
    ("^R042/12", Term("ref", FrameRef("R042", "12"), negate=True)),
    ("서울", Term("text", "서울")),
    ("東京", Term("text", "東京")),
    ("l'été", Term("text", "l'été")),
    ('"seoul night"', Term("text", "seoul night")),
    ("12:30", Term("text", "12:30")),
]


@pytest.mark.parametrize("text,term", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_worked_examples(text: str, term: Term) -> None:
    got = parse_term(text)
    assert (got.key, got.value, got.negate) == (term.key, term.value, term.negate)
    assert got.raw == text


def test_nfd_input_is_normalised_to_nfc() -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "서울")
    assert parse_term(nfd).value == "서울"
    assert parse_term("tag:" + unicodedata.normalize("NFD", "été")).value == "été"


BAD = [
    ("foo:bar", "unknown query key 'foo'"),
    ("rating:9", "rating must be 0 to 5"),
    ("rating:>5", "rating must be 0 to 5"),
    ("rating:-1", "rating must be 0 to 5"),
    ("rating:four", "not a number"),
    ("rating:3.5", "not a whole number"),
    ("frame:7..3", "runs backwards"),
    ("frame:abc", "not a number"),
    ("developed:2023-13", "not a real date"),
    ("developed:2023-02-30", "not a real date"),
    ("developed:May", "is not a date"),
    ("shot:2023-07..2023-05", "runs backwards"),
    ("year:23", "year must be"),
    ("push:++1", "not a number"),
    ("process:kodachrome", "not a process"),
    ("pick:maybe", "not a pick state"),
    ('camera:"Nikon', "unbalanced quote"),
    ('camera:Nikon"FM2', "stray quote"),
    ("'; DROP TABLE frames; --", "unbalanced quote"),
    ('"open phrase', "unbalanced quote"),
    ("rating:", "has no value"),
    ('tag:""', "has no value"),
    ("^", "negates"),
    ("", "empty query term"),
    ("R042/9..3", "runs backwards"),
    ("tag:a\x00b", "control character"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[b[0] or "empty" for b in BAD])
def test_bad_terms_raise_query_error_naming_the_term(text: str, message: str) -> None:
    with pytest.raises(QueryError) as e:
        parse_term(text)
    assert message in str(e.value)
    assert e.value.exit_code == 2
    if text.strip() and text != "^":
        assert repr(text)[1:-1][:8] in str(e.value) or text[:8] in str(e.value)


def test_unknown_key_lists_the_valid_keys() -> None:
    with pytest.raises(QueryError) as e:
        parse_term("colour:red")
    for key in ("roll", "frame", "stock", "rating", "pick", "project", "tag", "path", "developed"):
        assert key in str(e.value)


def test_parse_query_keeps_order_and_stops_at_the_first_bad_term() -> None:
    q = parse_query(["stock:portra400", "rating:>=4", "서울"])
    assert [t.key for t in q.terms] == ["stock", "rating", "text"]
    assert not parse_query([])
    with pytest.raises(QueryError, match="rating:9"):
        parse_query(["tag:x", "rating:9"])


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_parser_never_crashes_on_any_text(text: str) -> None:
    try:
        parse_term(text)
    except QueryError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["rating", "frame", "push", "developed", "year", "iso", "pick", "process", "tag"]),
       st.text(alphabet="0123456789-+.<>=:/ab\"'^", max_size=14))
def test_key_values_only_raise_query_error(key: str, value: str) -> None:
    try:
        parse_term(f"{key}:{value}")
    except QueryError:
        pass
