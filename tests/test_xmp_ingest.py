"""Ingest reads what other programs wrote (issue 15, item 3): sidecars beside scans (darktable,
digiKam, Lightroom naming), embedded XMP/IPTC, archived with the scan; malformed ones warn."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import Image

import xmpgen
from conftest import Cli, make_library
from tests.imagegen import make_scan


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(make_library(tmp_path / "lib"))


def _folder(tmp_path: Path, n: int = 3) -> Path:
    src = tmp_path / "in" / "2024-10-05 HP5 R042"
    for i in range(1, n + 1):
        make_scan(src / f"R042_{i:04d}.jpg", (120, 80), seed=i)
    return src


def _frames(cli: Cli) -> dict[str, dict]:
    return {f["ref"]: f for f in cli.json("frames", "roll:R042")}


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_sidecars_of_three_programs_are_read_and_archived(tmp_path, cli, mode):
    src = _folder(tmp_path)
    (src / "R042_0001.jpg.xmp").write_bytes(xmpgen.darktable(rating=-1, tags=["Jongno"], hier=["places|Seoul|Jongno"],
                                                             title="Gate"))
    (src / "R042_0002.jpg.xmp").write_bytes(xmpgen.digikam(rating=4, pick=3, tags=["people|Min"], caption="민지"))
    (src / "R042_0003.xmp").write_bytes(xmpgen.lightroom(rating=5, tags=["sea"], hier=["places|Busan|sea"],
                                                         caption="Busan"))
    out = cli.json("ingest", src, "--mode", mode)
    assert out[0]["added"] == 3 and out[0]["failed"] == []
    f = _frames(cli)
    assert f["R042/1"]["pick"] == "reject" and f["R042/1"]["rating"] == 0
    assert f["R042/1"]["tags"] == ["places|Seoul|Jongno"]  # hierarchy kept
    assert (f["R042/2"]["rating"], f["R042/2"]["pick"], f["R042/2"]["tags"], f["R042/2"]["caption"]) == (
        4, "yes", ["people|Min"], "민지")
    assert (f["R042/3"]["rating"], f["R042/3"]["tags"], f["R042/3"]["caption"]) == (5, ["places|Busan|sea"], "Busan")
    lib = cli.lib
    archived = sorted(p.name for p in lib.archive.rglob("*.xmp"))
    assert archived == ["R042_0001.jpg.xmp", "R042_0002.jpg.xmp", "R042_0003.jpg.xmp"]
    dt = next(lib.archive.rglob("R042_0001.jpg.xmp")).read_bytes()
    assert dt == xmpgen.darktable(rating=-1, tags=["Jongno"], hier=["places|Seoul|Jongno"], title="Gate")
    assert (list(src.glob("*.xmp")) == []) == (mode == "move")
    v = cli.json("verify")
    assert v["unknown"] == [] and v["checked"] == 3  # sidecars are ours, never frames
    if mode == "copy":
        assert cli.json("ingest", src, "--mode", mode)[0]["added"] == 0  # re-run changes nothing
        assert len(list(lib.archive.rglob("*.xmp"))) == 3
    assert _frames(cli)["R042/2"]["rating"] == 4


def test_embedded_xmp_and_iptc_are_read(tmp_path, cli):
    src = tmp_path / "in" / "2024-10-05 HP5 R042"
    src.mkdir(parents=True)
    im = Image.new("RGB", (120, 80), (90, 100, 110))
    packet = xmpgen.digikam(rating=5, pick=0, tags=["print"], caption="embedded")
    im.save(src / "R042_0001.jpg", quality=90, xmp=packet)
    out = cli.json("ingest", src)
    assert out[0]["added"] == 1
    f = _frames(cli)["R042/1"]
    assert (f["rating"], f["tags"], f["caption"]) == (5, ["print"], "embedded")


def test_ambiguous_lightroom_sidecar_is_not_guessed(tmp_path, cli, caplog):
    src = _folder(tmp_path, 1)
    make_scan(src / "R042_0001.tif", (120, 80), seed=9)
    (src / "R042_0001.xmp").write_bytes(xmpgen.lightroom(rating=5))
    with caplog.at_level(logging.WARNING):
        cli("ingest", src)
    assert all(f["rating"] == 0 for f in _frames(cli).values())
    assert "R042_0001.xmp" in caplog.text and "not guessing" in caplog.text


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&lol3;</x:xmpmeta>')


@pytest.mark.parametrize("name,data", [
    ("bad-xml", b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>unclosed"),
    ("bomb", BOMB),
    ("huge", b"<x:xmpmeta>" + b" " * (50 << 20) + b"</x:xmpmeta>"),
    ("latin1", '<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- café -->'.encode("latin-1") + b"\xe9\xff</x:xmpmeta>"),
])
def test_malformed_sidecar_is_a_warning_and_the_scan_is_ingested(tmp_path, cli, caplog, name, data):
    src = _folder(tmp_path, 2)
    (src / "R042_0001.jpg.xmp").write_bytes(data)
    (src / "R042_0002.jpg.xmp").write_bytes(xmpgen.digikam(rating=3))
    with caplog.at_level(logging.WARNING):
        out = cli.json("ingest", src)
    assert out[0]["added"] == 2 and out[0]["failed"] == []
    assert "R042_0001.jpg.xmp" in caplog.text
    assert "Traceback" not in caplog.text
    f = _frames(cli)
    assert f["R042/1"]["rating"] == 0 and f["R042/2"]["rating"] == 3
    assert cli.json("verify")["unknown"] == []
    st = cli.json("status")["xmp"]  # what was refused shows in status
    assert st["sidecars"] == 2 and [Path(p).name for p in st["unreadable"]] == ["R042_0001.jpg.xmp"]
    assert "unreadable" in cli("status").stdout


def test_iptc_keywords_and_caption_are_read(tmp_path, cli):
    import exiv2

    src = tmp_path / "in" / "2024-10-05 HP5 R042"
    src.mkdir(parents=True)
    Image.new("RGB", (120, 80), (90, 100, 110)).save(src / "R042_0001.jpg", quality=90)
    img = exiv2.ImageFactory.open(str(src / "R042_0001.jpg"))
    img.readMetadata()
    iptc = img.iptcData()
    for word in ("sea", "Busan"):
        v = exiv2.Value.create(exiv2.TypeId.string)
        v.read(word)
        iptc.add(exiv2.IptcKey("Iptc.Application2.Keywords"), v)
    iptc["Iptc.Application2.Caption"] = "바다"
    img.writeMetadata()
    cli("ingest", src)
    f = _frames(cli)["R042/1"]
    assert (sorted(f["tags"]), f["caption"]) == (["Busan", "sea"], "바다")


def test_darktable_duplicate_sidecars_travel_with_their_scan(tmp_path, cli):
    src = _folder(tmp_path, 1)
    (src / "R042_0001.jpg.xmp").write_bytes(xmpgen.darktable(rating=3))
    (src / "R042_0001_01.jpg.xmp").write_bytes(xmpgen.darktable(rating=5))
    out = cli.json("ingest", src, "--mode", "move")
    assert out[0]["added"] == 1
    assert sorted(p.name for p in cli.lib.archive.rglob("*.xmp")) == ["R042_0001.jpg.xmp", "R042_0001_01.jpg.xmp"]
    assert _frames(cli)["R042/1"]["rating"] == 3  # the duplicate is not another frame, nor read
    assert not src.exists()  # nothing orphaned in the inbox
    assert cli.json("verify")["unknown"] == []
