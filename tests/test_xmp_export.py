"""Exports read right by exiftool AND exiv2 (issue 15, item 1): every field, both tools, validate clean."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from filmflow.export import ExportItem, ExportSettings, export_project
from tests.imagegen import NORITSU, make_scan, scanner_exif

CONFIG = Path(__file__).parent / "data" / "filmflow.exiftool.config"
needs_tools = pytest.mark.skipif(not (shutil.which("exiftool") and shutil.which("exiv2")),
                                 reason="exiftool and exiv2 CLIs (Debian libimage-exiftool-perl, exiv2)")


def _export(tmp_path: Path, **kw) -> Path:
    src = make_scan(tmp_path / "in" / "R042_0012.jpg", (400, 300), exif=scanner_exif(NORITSU), seed=12)
    fields = dict(position=1, ref="R042/12", roll="R042", frame="12", source=src, sha256="0" * 64,
                  caption="서울 종로구 & <gate>", stock="Ilford HP5 Plus", ei=800, push=1.0, format="135",
                  camera="Nikon FM2", lens="Nikkor 50mm f/1.4 AI-S", roll_title=None, developed="2024-10-05",
                  shot="2024-10-03", scanner="Plustek OpticFilm 8200i", rating=4, pick="yes",
                  tags=("places|Seoul|Jongno", "print"), stock_key="ilford-hp5-plus", film_maker="Ilford",
                  process="B&W", developer="Ilfotec DD-X 1+4", lab="Home")
    fields.update(kw)
    out = tmp_path / "out"
    rep = export_project("p", None, None, [ExportItem(**fields)], out,
                         ExportSettings(long_edge=320, artist="Kim Minji", copyright="© Kim", workers=1))
    assert not rep.failed, rep.failed
    return out / rep.written[0]


def exiftool(path: Path) -> dict:
    r = subprocess.run(["exiftool", "-config", str(CONFIG), "-j", "-G1", "-a", "-struct", str(path)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)[0]


def exiv2_values(path: Path) -> dict[str, str]:
    r = subprocess.run(["exiv2", "-q", "-Pkt", str(path)], capture_output=True, check=True)
    out: dict[str, str] = {}
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        out[key] = value.strip()
    return out


@needs_tools
def test_exiftool_reads_every_field_and_validates(tmp_path):
    jpg = _export(tmp_path)
    t = exiftool(jpg)
    assert t["IFD0:Make"] == "Nikon" and t["IFD0:Model"] == "FM2"
    assert t["ExifIFD:LensModel"] == "Nikkor 50mm f/1.4 AI-S"
    assert t["ExifIFD:UserComment"] == "서울 종로구 & <gate>"
    assert t["ExifIFD:ISO"] == 800
    assert t["ExifIFD:DateTimeOriginal"] == "2024:10:03 00:00:00"
    assert t["XMP-photoshop:DateCreated"] == "2024:10:03"  # date only: no invented time
    assert "XMP-exif:DateTimeOriginal" not in t
    assert t["XMP-xmp:Rating"] == 4 and t["XMP-digiKam:PickLabel"] == 3
    assert t["XMP-dc:Subject"] == ["Jongno", "print"]
    assert t["XMP-lr:HierarchicalSubject"] == ["places|Seoul|Jongno", "print"]
    assert t["XMP-digiKam:TagsList"] == ["places/Seoul/Jongno", "print"]
    assert t["XMP-dc:Description"] == "서울 종로구 & <gate>"
    assert t["XMP-AnalogExif:Film"] == "Ilford HP5 Plus" and t["XMP-AnalogExif:FilmMaker"] == "Ilford"
    assert str(t["XMP-AnalogExif:FilmType"]) == "135" and t["XMP-AnalogExif:DevelopProcess"] == "B&W"
    assert t["XMP-AnalogExif:Developer"] == "Ilfotec DD-X 1+4" and t["XMP-AnalogExif:Lab"] == "Home"
    assert t["XMP-AnalogExif:Scanner"] == "Plustek OpticFilm 8200i"
    assert t["XMP-AnalogExif:RollId"] == "R042" and t["XMP-AnalogExif:ExposureNumber"] == 12
    assert t["XMP-filmflow:EI"] == 800 and t["XMP-filmflow:Push"] == "+1"
    assert t["ExifIFD:ColorSpace"] == "sRGB" and t["ExifIFD:ExifVersion"] == "0232"
    assert t["IFD0:XResolution"] == 300
    v = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(jpg)], capture_output=True, text=True)
    assert "Validate                        : OK" in v.stdout, v.stdout


@needs_tools
def test_exiv2_reads_every_field_as_text(tmp_path):
    v = exiv2_values(_export(tmp_path))
    assert v["Exif.Photo.LensModel"] == "Nikkor 50mm f/1.4 AI-S"  # ASCII, not int8u numbers
    # charset header understood (exiv2 0.27 prints it, newer ones drop it): text, not byte numbers
    assert v["Exif.Photo.UserComment"].removeprefix("charset=Unicode ") == "서울 종로구 & <gate>"
    assert v["Exif.Image.Make"] == "Nikon" and v["Exif.Image.Model"] == "FM2"
    assert v["Exif.Photo.ISOSpeedRatings"] == "800"
    assert v["Exif.Photo.DateTimeOriginal"] == "2024:10:03 00:00:00"
    assert v["Xmp.photoshop.DateCreated"] == "2024-10-03"
    assert v["Xmp.xmp.Rating"] == "4" and v["Xmp.digiKam.PickLabel"] == "3"
    assert v["Xmp.lr.hierarchicalSubject"] == "places|Seoul|Jongno, print"
    assert v["Xmp.dc.description"] == 'lang="x-default" 서울 종로구 & <gate>'
    assert v["Xmp.AnalogExif.Film"] == "Ilford HP5 Plus" and v["Xmp.filmflow.EI"] == "800"


@needs_tools
def test_reject_is_rating_minus_one_and_shot_time_kept(tmp_path):
    t = exiftool(_export(tmp_path, pick="reject", rating=3, shot="2024-10-03T10:02:00", caption=None))
    assert t["XMP-xmp:Rating"] == -1 and t["XMP-digiKam:PickLabel"] == 1
    assert t["ExifIFD:DateTimeOriginal"] == "2024:10:03 10:02:00"
    assert t["XMP-exif:DateTimeOriginal"] == "2024:10:03 10:02:00"
    assert "ExifIFD:UserComment" not in t
