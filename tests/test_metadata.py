"""filmflow.metadata: the worked examples of its parsers, and the XMP a frame maps to."""

from __future__ import annotations

import pytest

from filmflow import metadata as m


@pytest.mark.parametrize("camera,expected", [
    ("Nikon FM2", ("Nikon", "FM2")),
    ("Mamiya RB67 Pro S", ("Mamiya", "RB67 Pro S")),
    ("FM2", (None, "FM2")),
    ("  ", (None, None)),
    (None, (None, None)),
    ("펜탁스 67", ("펜탁스", "67")),
])
def test_split_camera(camera, expected):
    assert m.split_camera(camera) == expected


@pytest.mark.parametrize("tag,expected", [
    ("places|Seoul|Jongno", ("Jongno", "places|Seoul|Jongno", "places/Seoul/Jongno")),
    ("print", ("print", "print", "print")),
    ("f/8", ("f/8", "f/8", "f\u22158")),
    ("서울|종로", ("종로", "서울|종로", "서울/종로")),
])
def test_tag_forms(tag, expected):
    assert m.tag_forms(tag) == expected


@pytest.mark.parametrize("text,expected", [
    ("2024-10-03", ("2024-10-03", None)),
    ("2024-10-03T10:02", ("2024-10-03", "10:02:00")),
    ("2024-10-03 10:02:07", ("2024-10-03", "10:02:07")),
    ("2024-10", None),
    ("", None),
    (None, None),
])
def test_parse_when(text, expected):
    assert m.parse_when(text) == expected


@pytest.mark.parametrize("frame,expected", [("12", "12"), ("00", "0"), ("12A", None), ("12-2", None)])
def test_exposure_number_is_an_integer_or_absent(frame, expected):
    assert m.exposure_number(frame) == expected


def test_xmp_values_reject_pick_and_precision():
    base = dict(ref="R042/12", roll="R042", frame="12")
    rej = m.xmp_values(m.FrameMeta(**base, rating=4, pick="reject", shot="2024-10-03"))
    assert rej["Xmp.xmp.Rating"] == "-1" and rej["Xmp.digiKam.PickLabel"] == "1" and rej["Xmp.xmpDM.pick"] == "-1"
    assert rej["Xmp.photoshop.DateCreated"] == "2024-10-03" and "Xmp.exif.DateTimeOriginal" not in rej
    pick = m.xmp_values(m.FrameMeta(**base, rating=4, pick="yes", shot="2024-10-03T10:02:00", ei=800, push=1))
    assert pick["Xmp.xmp.Rating"] == "4" and pick["Xmp.digiKam.PickLabel"] == "3"
    assert pick["Xmp.exif.DateTimeOriginal"] == "2024-10-03T10:02:00"
    assert pick["Xmp.exif.ISOSpeedRatings"] == ("seq", ["800"]) and pick["Xmp.filmflow.Push"] == "+1"
    plain = m.xmp_values(m.FrameMeta(**base, caption="a\x00b\nc"))
    assert plain["Xmp.dc.description"] == ("alt", "ab c") and "Xmp.digiKam.PickLabel" not in plain
    assert set(plain) <= set(m.MANAGED_XMP)


def test_exif_never_names_the_scanner_and_dates_keep_precision():
    e = m.exif_values(m.FrameMeta(ref="R042/12", roll="R042", frame="12", scanner="NORITSU", camera="Nikon FM2",
                                  shot="2024-10-03", ei=400))
    assert (e["Exif.Image.Make"], e["Exif.Image.Model"]) == ("Nikon", "FM2")
    assert "NORITSU" not in "".join(e.values())
    assert e["Exif.Photo.DateTimeOriginal"] == "2024:10:03 00:00:00" and e["Exif.Photo.ISOSpeedRatings"] == "400"


from hypothesis import given, settings, strategies as st  # noqa: E402

from filmflow.metadata import xmpio  # noqa: E402

_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40).map(m.clean_text).filter(bool)
_tag = _text.filter(lambda t: "|" not in t and "/" not in t and t.strip() == t)


@settings(max_examples=60, deadline=None)
@given(caption=_text, title=_text, tags=st.lists(_tag, max_size=4, unique_by=str.casefold),
       rating=st.integers(0, 5), pick=st.sampled_from(["yes", "no", "reject"]))
def test_curation_survives_a_round_trip_through_exiv2(caption, title, tags, rating, pick):
    meta = m.FrameMeta(ref="R1/1", roll="R1", frame="1", rating=rating, pick=pick, tags=tuple(tags),
                       caption=caption, title=title)
    cur = xmpio.read_curation(xmpio.decode(xmpio.encode(m.xmp_values(meta)), "t.xmp"))
    assert cur.caption == caption and cur.title == title
    assert list(cur.tags or ()) == tags
    assert cur.pick == (None if pick == "no" else pick)
    assert cur.rating == (None if pick == "reject" else rating)
