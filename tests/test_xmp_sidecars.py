"""XMP sidecars (issue 15, items 2 and 4): `xmp write`, `[xmp] sidecars = "auto"`, foreign
properties kept, `xmp read` with newer-wins conflicts, read back by exiftool and exiv2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import xmpgen
from conftest import Cli, make_library
from filmflow.library import Library
from tests.imagegen import make_scan

CONFIG = Path(__file__).parent / "data" / "filmflow.exiftool.config"


def _library(tmp_path: Path, **settings: str) -> tuple[Library, Cli]:
    lib = make_library(tmp_path / "lib", **settings)
    src = tmp_path / "in" / "2024-10-05 HP5 EI800 R042"
    for i in (1, 2, 3):
        make_scan(src / f"R042_{i:04d}.jpg", (120, 80), seed=i)
    cli = Cli(lib)
    cli("ingest", src)
    cli("roll", "edit", "R042", "--camera", "Nikon FM2", "--lens", "Nikkor 50mm f/1.4 AI-S", "--shot", "2024-10-03")
    return lib, cli


def _scan(lib: Library, n: int) -> Path:
    return next(lib.archive.rglob(f"R042_{n:04d}.jpg"))


def _sidecar(lib: Library, n: int) -> Path:
    return _scan(lib, n).with_name(f"R042_{n:04d}.jpg.xmp")


def _frame(cli: Cli, ref: str) -> dict:
    return cli.json("frames", ref)[0]


def _bump_mtime(p: Path, seconds: float = 5) -> None:
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


def test_xmp_write_names_sidecars_and_never_touches_the_scan(tmp_path):
    lib, cli = _library(tmp_path)
    before = {n: _scan(lib, n).read_bytes() for n in (1, 2, 3)}
    cli("rate", "4", "R042/1")
    cli("reject", "R042/2")
    cli("tag", "add", "places|Seoul|Jongno", "R042/1")
    out = cli.json("xmp", "write", "roll:R042")
    assert out["written"] == 3 and out["failed"] == [] and out["conflicts"] == []
    assert all(_sidecar(lib, n).is_file() for n in (1, 2, 3))
    assert {n: _scan(lib, n).read_bytes() for n in (1, 2, 3)} == before
    again = cli.json("xmp", "write", "roll:R042")
    assert again["written"] == 0 and again["unchanged"] == 3
    assert not list(lib.archive.rglob("*filmflow-tmp*"))


@pytest.mark.skipif(not (shutil.which("exiftool") and shutil.which("exiv2")), reason="exiftool + exiv2 CLIs")
def test_sidecar_read_back_by_exiftool_and_exiv2(tmp_path):
    lib, cli = _library(tmp_path)
    cli("rate", "4", "R042/1")
    cli("pick", "R042/1")
    cli("tag", "add", "places|Seoul|Jongno", "R042/1")
    cli("reject", "R042/2")
    cli("xmp", "write", "roll:R042")
    t = json.loads(subprocess.run(["exiftool", "-config", str(CONFIG), "-j", "-G1", "-a", str(_sidecar(lib, 1))],
                                  capture_output=True, text=True, check=True).stdout)[0]
    assert t["XMP-xmp:Rating"] == 4 and t["XMP-digiKam:PickLabel"] == 3
    assert t["XMP-lr:HierarchicalSubject"] == "places|Seoul|Jongno" and t["XMP-dc:Subject"] == "Jongno"
    assert t["XMP-digiKam:TagsList"] == "places/Seoul/Jongno"
    assert t["XMP-tiff:Make"] == "Nikon" and t["XMP-tiff:Model"] == "FM2"
    assert t["XMP-photoshop:DateCreated"] == "2024:10:03"
    assert t["XMP-AnalogExif:Film"] == "Ilford HP5 Plus" and t["XMP-AnalogExif:RollId"] == "R042"
    assert t["XMP-filmflow:EI"] == 800 and str(t["XMP-filmflow:Frame"]) == "1"
    v = subprocess.run(["exiftool", "-validate", "-warning", "-a", str(_sidecar(lib, 1))],
                       capture_output=True, text=True)
    assert "Validate                        : OK" in v.stdout, v.stdout
    px = subprocess.run(["exiv2", "-q", "-Pkt", str(_sidecar(lib, 2))], capture_output=True, check=True)
    lines = dict(line.split(None, 1) for line in px.stdout.decode().splitlines() if " " in line)
    assert lines["Xmp.xmp.Rating"].strip() == "-1" and lines["Xmp.digiKam.PickLabel"].strip() == "1"
    assert lines["Xmp.AnalogExif.Film"].strip() == "Ilford HP5 Plus"
    px = subprocess.run(["exiv2", "-q", "-Pkt", str(_sidecar(lib, 1))], capture_output=True, check=True)
    one = {k: v.strip() for k, v in (line.split(None, 1) for line in px.stdout.decode().splitlines() if " " in line)}
    assert (one["Xmp.xmp.Rating"], one["Xmp.digiKam.PickLabel"]) == ("4", "3")
    assert one["Xmp.lr.hierarchicalSubject"] == "places|Seoul|Jongno" and one["Xmp.dc.subject"] == "Jongno"
    assert one["Xmp.digiKam.TagsList"] == "places/Seoul/Jongno"
    assert (one["Xmp.tiff.Make"], one["Xmp.tiff.Model"]) == ("Nikon", "FM2")
    assert one["Xmp.exifEX.LensModel"] == "Nikkor 50mm f/1.4 AI-S"
    assert one["Xmp.photoshop.DateCreated"] == "2024-10-03"
    assert (one["Xmp.filmflow.EI"], one["Xmp.AnalogExif.RollId"], one["Xmp.AnalogExif.ExposureNumber"]) == (
        "800", "R042", "1")


def test_auto_sidecars_follow_every_curation_change(tmp_path):
    lib, cli = _library(tmp_path, sidecars='"auto"')
    cli("rate", "5", "R042/3")
    assert b'xmp:Rating="5"' in _sidecar(lib, 3).read_bytes()
    cli("rate", "0", "rating:5")  # the query no longer matches after the change: still synced
    assert b'xmp:Rating="0"' in _sidecar(lib, 3).read_bytes()
    cli("tag", "add", "print", "R042/3")
    assert b"<rdf:li>print</rdf:li>" in _sidecar(lib, 3).read_bytes()
    cli("roll", "edit", "R042", "--lab", "Lab Seoul")
    assert all(b'AnalogExif:Lab="Lab Seoul"' in _sidecar(lib, n).read_bytes() for n in (1, 2, 3))
    cli("roll", "edit", "R042", "--code", "R043")  # re-filed: the sidecars move with their scans
    assert all(p.name.startswith("R042_") for p in lib.archive.rglob("*.xmp"))
    assert len(list(lib.archive.rglob("*.xmp"))) == 3
    assert all(b'AnalogExif:RollId="R043"' in p.read_bytes() for p in lib.archive.rglob("*.xmp"))
    assert cli.json("verify")["unknown"] == []


def test_replace_naming_gives_lightroom_form(tmp_path):
    lib, cli = _library(tmp_path, sidecar_name='"replace"')
    cli("xmp", "write", "R042/1")
    assert _scan(lib, 1).with_name("R042_0001.xmp").is_file()
    assert not _sidecar(lib, 1).exists()


def test_foreign_properties_survive_our_write_byte_for_byte(tmp_path):
    lib, cli = _library(tmp_path)
    dt = xmpgen.darktable(rating=2, tags=["Jongno"], hier=["places|Seoul|Jongno"], labels=[0])
    _sidecar(lib, 1).write_bytes(dt)
    cli("rate", "4", "R042/1")
    cli("xmp", "write", "R042/1")
    after = _sidecar(lib, 1).read_bytes()
    assert b'xmp:Rating="4"' in after
    # darktable's own properties: every value byte for byte
    for value in (xmpgen.DT_PARAMS, "gz48eJzjYhgFo2AUjAIGBgAAqAAB", 'darktable:xmp_version="5"',
                  'darktable:history_end="2"', 'darktable:operation="exposure"', 'darktable:operation="colorin"',
                  'xmpMM:DerivedFrom="R042_0012.jpg"', 'darktable:auto_presets_applied="1"'):
        assert value.encode() in after, value
    assert b"<darktable:colorlabels>" in after
    lr = xmpgen.lightroom(rating=3, tags=["Jongno"], hier=["places|Seoul|Jongno"])
    _sidecar(lib, 2).write_bytes(lr)
    cli("xmp", "write", "R042/2")
    after = _sidecar(lib, 2).read_bytes()
    for value in ('crs:Exposure2012="+0.35"', 'crs:Contrast2012="+12"', 'crs:WhiteBalance="As Shot"',
                  'crs:Version="16.2"', 'xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13.2"'):
        assert value.encode() in after, value


def test_round_trip_rate_then_darktable_edits_then_xmp_read(tmp_path):
    lib, cli = _library(tmp_path)
    cli("rate", "3", "R042/1")
    cli("tag", "add", "print", "R042/1")
    cli("xmp", "write", "roll:R042")
    sc = _sidecar(lib, 1)
    # darktable: 5 stars, a new hierarchical tag (it rewrites hierarchicalSubject, never TagsList)
    text = sc.read_text(encoding="utf-8")
    text = text.replace('xmp:Rating="3"', 'xmp:Rating="5"')
    text = text.replace("<rdf:li>print</rdf:li>\n    </rdf:Bag>\n   </lr:hierarchicalSubject>",
                        "<rdf:li>print</rdf:li>\n     <rdf:li>places|Busan</rdf:li>\n    </rdf:Bag>\n"
                        "   </lr:hierarchicalSubject>")
    assert "places|Busan" in text
    sc.write_text(text, encoding="utf-8")
    _bump_mtime(sc)
    dry = cli.json("xmp", "read", "roll:R042", "--dry-run")
    assert dry["read"] == 1 and {c["field"] for c in dry["changes"]} == {"rating", "tags"}
    assert _frame(cli, "R042/1")["rating"] == 3  # dry run changed nothing
    out = cli.json("xmp", "read", "roll:R042")
    assert out["read"] == 1 and out["conflicts"] == []
    f = _frame(cli, "R042/1")
    assert f["rating"] == 5 and sorted(f["tags"]) == ["places|Busan", "print"]
    assert cli.json("xmp", "read", "roll:R042")["read"] == 0  # nothing new since


def test_both_sides_changed_newer_wins_and_is_listed(tmp_path):
    lib, cli = _library(tmp_path)
    cli("xmp", "write", "roll:R042")
    sc = _sidecar(lib, 2)
    cli("rate", "2", "R042/2")  # the catalog changes first...
    sc.write_text(sc.read_text(encoding="utf-8").replace('xmp:Rating="0"', 'xmp:Rating="4"'), encoding="utf-8")
    _bump_mtime(sc, 60)  # ...then darktable, later
    out = cli.json("xmp", "read", "R042/2")
    assert out["conflicts"] == [{"ref": "R042/2", "field": "rating", "winner": "sidecar"}]
    assert _frame(cli, "R042/2")["rating"] == 4
    # now the other order: darktable first (an old mtime), the catalog after
    sc.write_text(sc.read_text(encoding="utf-8").replace('xmp:Rating="4"', 'xmp:Rating="1"'), encoding="utf-8")
    _bump_mtime(sc, -3600)
    cli("rate", "3", "R042/2")
    out = cli.json("xmp", "read", "R042/2")
    assert out["conflicts"] == [{"ref": "R042/2", "field": "rating", "winner": "catalog"}]
    assert _frame(cli, "R042/2")["rating"] == 3
    assert b'xmp:Rating="3"' in sc.read_bytes()  # the newer catalog value went back out


def test_unparsable_sidecar_is_reported_and_left_alone(tmp_path):
    lib, cli = _library(tmp_path)
    bad = b"<x:xmpmeta><rdf:RDF>not closed"
    _sidecar(lib, 1).write_bytes(bad)
    r = cli("xmp", "write", "roll:R042", "--json", code=1)
    out = json.loads(r.stdout)
    assert out["written"] == 2 and len(out["failed"]) == 1 and "R042_0001.jpg.xmp" in out["failed"][0]["file"]
    assert _sidecar(lib, 1).read_bytes() == bad
    assert "Traceback" not in r.stderr


def test_auto_write_takes_in_another_programs_change_first(tmp_path):
    lib, cli = _library(tmp_path, sidecars='"auto"')
    sc = _sidecar(lib, 1)
    text = sc.read_text(encoding="utf-8").replace('xmp:Rating="0"', 'xmp:Rating="2" xmp:Label="Blue"')
    sc.write_text(text, encoding="utf-8")
    _bump_mtime(sc, -60)  # darktable, a minute ago
    cli("tag", "add", "print", "R042/1")  # the change made now in filmflow
    f = _frame(cli, "R042/1")
    assert f["rating"] == 2 and f["tags"] == ["print"]  # darktable's stars kept, our tag added
    after = sc.read_bytes()
    assert b'xmp:Rating="2"' in after and b"<rdf:li>print</rdf:li>" in after and b'xmp:Label="Blue"' in after



@pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool CLI")
def test_foreign_properties_read_the_same_by_exiftool_after_our_write(tmp_path):
    lib, cli = _library(tmp_path)
    sc1, sc2 = _sidecar(lib, 1), _sidecar(lib, 2)
    sc1.write_bytes(xmpgen.darktable(rating=2, hier=["a|b"], labels=[0, 3]))
    sc2.write_bytes(xmpgen.lightroom(rating=3, tags=["x"], hier=["x"]))

    def foreign() -> list[dict]:
        out = subprocess.run(["exiftool", "-j", "-struct", "-G1", "-XMP-darktable:all", "-XMP-crs:all",
                              "-XMP-xmpMM:all", "-XMP-xmp:CreatorTool", str(sc1), str(sc2)],
                             capture_output=True, text=True, check=True).stdout
        return [{k: v for k, v in d.items() if k != "SourceFile"} for d in json.loads(out)]

    before = foreign()
    assert before[0]["XMP-darktable:History"] and before[1]["XMP-crs:Exposure2012"] == "+0.35"
    cli("tag", "add", "print", "R042/1", "R042/2")
    cli("xmp", "write", "roll:R042")
    assert foreign() == before
