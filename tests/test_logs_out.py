"""Film logs in what leaves the catalog (issue 16 item 5): export EXIF (DateTimeOriginal from the
frame's own time, FNumber, ExposureTime, FocalLength, LensModel, GPS only with --keep-gps) read
back by exiftool and exiv2; the gallery's and post's place and exposure line; the sheet header
naming the log. End to end: scans ingested, an Exif Notes log imported, a project exported."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import logfixtures as lf
from filmflow import metadata
from filmflow.outputs import sheet
from filmflow.export import ExportItem, ExportSettings, export_project
from tests.imagegen import make_scan
from tests.test_xmp_export import exiftool, exiv2_values, needs_tools

LENS = "Nikon Nikkor 50mm f/1.8 AI-S"


def _export(tmp_path: Path, keep_gps: bool = False, **kw) -> Path:
    src = make_scan(tmp_path / "in" / "R042_0001.jpg", (400, 300), seed=1)
    fields = dict(position=1, ref="R042/1", roll="R042", frame="1", source=src, sha256="0" * 64, caption=None,
                  stock="Ilford HP5 Plus", ei=800, push=1.0, format="135", camera="Nikon FM2", lens=LENS,
                  roll_title=None, developed="2024-10-05", shot="2024-10-03", scanner=None,
                  shot_at="2024-10-03T10:02", aperture=8.0, shutter="1/250", focal_length=50.0,
                  gps=(37.5759, 126.9768), place="서울 종로구 세종로")
    fields.update(kw)
    out = tmp_path / "out"
    rep = export_project("p", None, None, [ExportItem(**fields)], out,
                         ExportSettings(long_edge=320, keep_gps=keep_gps, workers=1))
    assert not rep.failed, rep.failed
    return out / rep.written[0]


def _validate(path: Path) -> None:
    v = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(path)], capture_output=True, text=True)
    assert "Validate                        : OK" in v.stdout, v.stdout


@needs_tools
def test_export_writes_the_logged_exposure_read_by_both_tools(tmp_path):
    jpg = _export(tmp_path)
    t = exiftool(jpg)
    assert t["ExifIFD:DateTimeOriginal"] == "2024:10:03 10:02:00"     # the frame's own time, not the roll's day
    assert "ExifIFD:OffsetTimeOriginal" not in t                       # local: no zone invented
    assert t["ExifIFD:FNumber"] == 8.0 and t["ExifIFD:ExposureTime"] == "1/250"
    assert t["ExifIFD:FocalLength"] == "50.0 mm" and t["ExifIFD:LensModel"] == LENS
    assert not any(k.startswith("GPS:") for k in t), "GPS without --keep-gps"
    assert t["XMP-exif:DateTimeOriginal"] == "2024:10:03 10:02:00"
    x = exiv2_values(jpg)
    assert x["Exif.Photo.FNumber"] == "F8" and x["Exif.Photo.ExposureTime"] == "1/250 s"
    assert x["Exif.Photo.FocalLength"] == "50.0 mm" and x["Exif.Photo.DateTimeOriginal"] == "2024:10:03 10:02:00"
    assert "Exif.GPSInfo.GPSLatitude" not in x
    _validate(jpg)


@needs_tools
def test_keep_gps_writes_the_logged_position(tmp_path):
    jpg = _export(tmp_path, keep_gps=True)
    r = subprocess.run(["exiftool", "-j", "-n", "-GPSLatitude", "-GPSLongitude", str(jpg)],
                       capture_output=True, text=True, check=True)
    pos = json.loads(r.stdout)[0]
    assert pos["GPSLatitude"] == pytest.approx(37.5759, abs=1e-5)
    assert pos["GPSLongitude"] == pytest.approx(126.9768, abs=1e-5)
    x = exiv2_values(jpg)
    assert x["Exif.GPSInfo.GPSLatitudeRef"] == "North" and x["Exif.GPSInfo.GPSLongitudeRef"] == "East"
    _validate(jpg)


@needs_tools
def test_a_utc_instant_keeps_its_zone_and_long_exposures_are_rationals(tmp_path):
    jpg = _export(tmp_path, shot_at="2024-10-03T01:02:00Z", shutter='2"', aperture=5.6, focal_length=None,
                  lens=None, gps=(-33.8568, -151.2153))
    t = exiftool(jpg)
    assert t["ExifIFD:DateTimeOriginal"] == "2024:10:03 01:02:00" and t["ExifIFD:OffsetTimeOriginal"] == "+00:00"
    assert t["XMP-exif:DateTimeOriginal"] == "2024:10:03 01:02:00Z"
    assert t["ExifIFD:ExposureTime"] == 2 and t["ExifIFD:FNumber"] == 5.6
    assert "ExifIFD:FocalLength" not in t and "ExifIFD:LensModel" not in t
    _validate(jpg)


def test_without_a_log_export_exif_is_as_before(tmp_path):
    m = metadata.FrameMeta(ref="R1/1", roll="R1", frame="1", shot="2024-10-03", lens="50mm")
    v = metadata.exif_values(m, gps=True)
    assert v["Exif.Photo.DateTimeOriginal"] == "2024:10:03 00:00:00"
    assert not {"Exif.Photo.FNumber", "Exif.Photo.ExposureTime", "Exif.Photo.FocalLength",
                "Exif.Photo.OffsetTimeOriginal"} & set(v)
    assert not any(k.startswith("Exif.GPSInfo") for k in v)


@pytest.mark.parametrize("shutter,rational", [("1/250", "1/250"), ('2"', "2/1"), ('0.5"', "1/2"), ("B", None),
                                              ("T", None), ("", None), (None, None), ('30"', "30/1")])
def test_exposure_time_from_the_logged_text(shutter, rational):
    assert metadata.exposure_time(shutter) == rational


def test_gallery_shot_text():
    from filmflow.outputs.gallery import shot_text

    assert shot_text("2024-10-03T10:02") == "2024-10-03 10:02"
    assert shot_text("2024-10-03T01:02:00Z") == "2024-10-03 01:02 UTC"
    assert shot_text("2024-10-03") == "2024-10-03"


def test_exposure_line():
    assert metadata.exposure_line(8.0, "1/250", 50.0) == "f/8 · 1/250 · 50mm"
    assert metadata.exposure_line(5.6, None, None) == "f/5.6"
    assert metadata.exposure_line(None, None, None) == ""


def test_sheet_log_line():
    assert sheet.log_line(["exif-notes-csv"] * 3) == "log: Exif Notes CSV"
    assert sheet.log_line(["film-rolls-xml", None, None]) == "log: Film Rolls XML (1 of 3 frames)"
    assert sheet.log_line(["lightme-json", "plain-csv"]) == "logs: Lightme Logbook JSON, plain CSV"
    assert sheet.log_line([None, None]) is None


# -- end to end ------------------------------------------------------------------------------

@pytest.fixture
def logged(cli, library, tmp_path):
    """R042: three scans, an Exif Notes CSV log (frames 1, 2, 4 logged), a project of frames 1 and 3."""
    folder = tmp_path / "in" / "R042"
    for i in (1, 2, 3):
        make_scan(folder / f"R042_{i:04d}.jpg", (480, 320), seed=i)
    cli("ingest", folder, "--roll", "R042")
    cli("log", "import", lf.exif_notes_csv(tmp_path / "seoul_csv.txt", "R042 Seoul HP5", lf.SEOUL))
    cli("project", "create", "seoul")
    cli("project", "add", "seoul", "R042/1", "R042/3")
    return library


@needs_tools
def test_round_trip_log_import_to_export_exif(cli, logged, tmp_path):
    out = tmp_path / "exp"
    cli("project", "export", "seoul", "--to", out, "--long-edge", "320", "--keep-gps")
    files = sorted(out.glob("*_R042-*.jpg"))
    one, three = (exiftool(p) for p in files if "_small" not in p.name)
    assert one["ExifIFD:DateTimeOriginal"] == "2024:10:03 10:02:00" and one["ExifIFD:FNumber"] == 8.0
    assert one["ExifIFD:ExposureTime"] == "1/250" and one["ExifIFD:LensModel"] == LENS
    assert one["GPS:GPSLatitudeRef"] == "North"
    assert three["ExifIFD:DateTimeOriginal"] == "2024:10:03 00:00:00"   # not logged: the roll's first day
    assert "ExifIFD:FNumber" not in three and "GPS:GPSLatitude" not in three
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "서울 종로구 세종로" in page and "f/8 · 1/250 · 50mm" in page
    assert "shot 2024-10-03 10:02" in page and "shot 2024-10-03<" in page   # frame 3: its roll's date
    post = next(p for p in out.iterdir() if p.suffix == ".md").read_text(encoding="utf-8")
    assert "서울 종로구 세종로 · f/8 · 1/250 · 50mm" in post
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [f.get("exposure") for f in manifest["frames"]] == ["f/8 · 1/250 · 50mm", None]


def test_sheet_headers_name_the_log(cli, logged, tmp_path, monkeypatch):
    seen = []
    real = sheet.render_sheet

    def spy(frames, header, out, **kw):  # noqa: ANN001, ANN202
        seen.append(header)
        return real(frames, header, out, **kw)

    monkeypatch.setattr(sheet, "render_sheet", spy)
    cli("roll", "sheet", "R042", "-o", tmp_path / "R042.png")
    assert "log: Exif Notes CSV (2 of 3 frames)" in seen[-1].lines   # frame 3 is not logged
    cli("project", "sheet", "seoul", "-o", tmp_path / "seoul.png")
    assert "log: Exif Notes CSV (1 of 2 frames)" in seen[-1].lines
    assert (tmp_path / "R042.png").stat().st_size > 0
