"""export: project export pixels, metadata, manifest, incremental re-export and safety."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from filmflow.errors import InputError
from filmflow.export import ExportItem, ExportSettings, export_dir_for, export_project, film_line, format_push
from filmflow.outputs.gallery import render_gallery, render_post
from tests import imagegen
from tests.imagegen import NORITSU, make_scan, scanner_exif

SERIAL_TAGS = (0xA431, 0xA435, 0xC62F)  # BodySerialNumber, LensSerialNumber, CameraSerialNumber


def _item(pos: int, src: Path, *, roll="R042", frame=None, **kw) -> ExportItem:
    frame = frame or str(pos)
    base = dict(
        position=pos, ref=f"{roll}/{frame}", roll=roll, frame=frame, source=src,
        sha256=f"{pos:064x}", caption=None, stock="Kodak Portra 400", ei=800, push=1.0,
        format="120 6x7", camera="Mamiya RB67", lens="Sekor C 90mm", roll_title="Seoul nights",
        developed="2023-05-02", shot="2023-04", scanner="NORITSU KOKI EZ Controller",
    )
    base.update(kw)
    return ExportItem(**base)


@pytest.fixture
def scans(tmp_path):
    """Four small lab-like JPEGs with scanner EXIF, GPS and serial numbers."""
    folder = tmp_path / "archive" / "2023" / "R042 Portra 400"
    exif_kw = dict(GPS=(37.5665, 126.978), BodySerialNumber="SN-BODY-123", LensSerialNumber="SN-LENS-9")
    paths = [
        make_scan(folder / f"{k:06d}.jpg", (640, 427), seed=k, label=str(k),
                  exif=scanner_exif(NORITSU, **exif_kw))
        for k in range(1, 5)
    ]
    return paths


@pytest.fixture
def items(scans):
    return [_item(i, p, caption=f"Frame {i}") for i, p in enumerate(scans, 1)]


SET = ExportSettings(long_edge=320, quality=88, artist="Kim Minji", copyright="© 2023 Kim Minji", workers=1)


def _run(items, out, settings=SET, **kw):
    return export_project("Seoul 서울 / 2023", "Seoul at night", "Night walks", items, out, settings, **kw)


def _exif_text(v) -> str:
    # Pillow decodes EXIF ASCII as latin-1; we write UTF-8 there (as exiftool does).
    return v.encode("latin-1").decode("utf-8") if isinstance(v, str) else v.decode("utf-8")


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "push, text",
    [(1.0, "+1"), (-1.0, "-1"), (0.33, "+1/3"), (0.67, "+2/3"), (1.33, "+1 1/3"), (-2.0, "-2"),
     (0.0, None), (None, None)],
)
def test_format_push(push, text):
    assert format_push(push) == text


def test_film_line_example_from_issue(tmp_path):
    it = _item(12, tmp_path / "x.jpg", frame="12")
    assert film_line(it) == "Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/12"
    bare = dataclasses.replace(it, stock=None, ei=None, push=None, format=None, camera=None)
    assert film_line(bare) == "R042/12"


# --------------------------------------------------------------------------- outputs


def test_export_writes_ordered_files_manifest_gallery_post(tmp_path, items):
    out = tmp_path / "exports" / "seoul"
    sheets = []
    rep = _run(items, out, make_sheet=lambda p, claim=None: (sheets.append(p), Image.new("RGB", (10, 10)).save(p)))
    names = ["01_R042-1.jpg", "02_R042-2.jpg", "03_R042-3.jpg", "04_R042-4.jpg"]
    assert sorted(rep.written) == names and rep.failed == [] and rep.removed == []
    assert sorted(p.name for p in out.iterdir()) == sorted(
        names + ["manifest.json", "index.html", "post.md", "contact-sheet.jpg"])
    assert sheets == [out / "contact-sheet.jpg"] and rep.sheet == out / "contact-sheet.jpg"
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [f["file"] for f in m["frames"]] == names
    f0 = m["frames"][0]
    assert (f0["ref"], f0["roll"], f0["stock"], f0["caption"], f0["sha256"]) == (
        "R042/1", "R042", "Kodak Portra 400", "Frame 1", items[0].sha256)
    assert m["settings"]["long_edge"] == 320 and m["complete"] is True
    post = (out / "post.md").read_text("utf-8")
    assert post.startswith('---\ntitle: "Seoul at night"\n') and "description: \"Night walks\"" in post
    assert post.index("01_R042-1.jpg") < post.index("02_R042-2.jpg") < post.index("04_R042-4.jpg")


def test_pixels_long_edge_mode_and_srgb(tmp_path, items):
    out = tmp_path / "o"
    _run(items[:1], out)
    with Image.open(out / "01_R042-1.jpg") as im:
        assert im.size == (320, 214) and im.mode == "RGB"
        prof = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        assert prof.profile.profile_description.startswith("sRGB")


def test_adobe_rgb_patch_converted_and_16bit_tiff(tmp_path):
    icc = imagegen.adobe_rgb_icc()
    patch = (60, 160, 90)
    img8 = Image.new("RGB", (900, 600), patch)
    tif = imagegen.write_tiff16_rgb(tmp_path / "a16.tif", img8, icc=icc)
    out = tmp_path / "o"
    rep = _run([_item(1, tif)], out)
    assert rep.failed == []
    want = ImageCms.profileToProfile(Image.new("RGB", (1, 1), patch), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                     ImageCms.createProfile("sRGB"), outputMode="RGB").getpixel((0, 0))
    with Image.open(out / "01_R042-1.jpg") as im:
        assert im.size == (320, 213)
        got = im.getpixel((160, 100))
    assert all(abs(a - b) <= 3 for a, b in zip(got, want)) and got != patch


def test_greyscale_stays_grey_unless_asked(tmp_path):
    bw = make_scan(tmp_path / "bw.jpg", (600, 400), mode="L")
    _run([_item(1, bw)], tmp_path / "a")
    _run([_item(1, bw)], tmp_path / "b", dataclasses.replace(SET, grey_as_rgb=True))
    with Image.open(tmp_path / "a" / "01_R042-1.jpg") as a, Image.open(tmp_path / "b" / "01_R042-1.jpg") as b:
        assert a.mode == "L" and b.mode == "RGB"


def test_metadata_artist_description_caption_no_gps_no_serials_no_scanner(tmp_path, items):
    out = tmp_path / "o"
    cap = dataclasses.replace(items[0], caption="밤의 시장 <b>&</b>")
    _run([cap], out)
    with Image.open(out / "01_R042-1.jpg") as im:
        exif = im.getexif()
        xmp = im.info.get("xmp", b"")
    assert _exif_text(exif[0x013B]) == "Kim Minji"
    assert _exif_text(exif[0x8298]) == "© 2023 Kim Minji"
    assert _exif_text(exif[0x010E]) == "Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/1"
    # the camera as Make/Model; the scanner never (issue 15)
    assert (_exif_text(exif[0x010F]), _exif_text(exif[0x0110])) == ("Mamiya", "RB67")
    assert not exif.get_ifd(0x8825)  # no GPS
    sub = exif.get_ifd(0x8769)
    assert not any(t in sub for t in SERIAL_TAGS)
    order = "utf-16-le" if exif.endian == "<" else "utf-16-be"
    assert sub[0x9286].startswith(b"UNICODE\0") and sub[0x9286][8:].decode(order) == "밤의 시장 <b>&</b>"
    assert "밤의 시장 &lt;b&gt;&amp;&lt;/b&gt;".encode() in xmp
    raw = (out / "01_R042-1.jpg").read_bytes()
    assert b"SN-BODY" not in raw and b"SN-LENS" not in raw
    # the scanner appears once: as film data (AnalogExif:Scanner, SPEC), never as Make/Model
    assert raw.count(b"NORITSU") == 1 and b'AnalogExif:Scanner="NORITSU' in raw


def test_keep_gps_keeps_gps_only(tmp_path, items):
    out = tmp_path / "o"
    _run(items[:1], out, dataclasses.replace(SET, keep_gps=True))
    with Image.open(out / "01_R042-1.jpg") as im:
        exif = im.getexif()
    gps = exif.get_ifd(0x8825)
    assert gps and gps[2][0] == 37.0  # GPSLatitude degrees
    assert not any(t in exif.get_ifd(0x8769) for t in SERIAL_TAGS)


def test_exiftool_agrees_when_installed(tmp_path, items):
    import shutil
    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed")
    out = tmp_path / "o"
    _run(items[:1], out)
    r = subprocess.run(["exiftool", "-j", "-G1", "-a", str(out / "01_R042-1.jpg")],
                       capture_output=True, text=True, check=True)
    tags = json.loads(r.stdout)[0]
    assert tags["IFD0:Artist"] == "Kim Minji"
    assert tags["ExifIFD:UserComment"] == "Frame 1"
    assert tags["XMP-dc:Description"] == "Frame 1"
    assert not [k for k in tags if k.startswith("GPS:") or "Serial" in k]
    assert (tags["IFD0:Make"], tags["IFD0:Model"]) == ("Mamiya", "RB67")  # the camera, not the scanner


# --------------------------------------------------------------------------- filters


def test_picks_only_and_min_rating(tmp_path, scans):
    its = [
        _item(1, scans[0], pick="yes", rating=5),
        _item(2, scans[1], pick="no", rating=4),
        _item(3, scans[2], pick="yes", rating=2),
        _item(4, scans[3], pick="reject", rating=0),
    ]
    rep = _run(its, tmp_path / "p", dataclasses.replace(SET, picks_only=True))
    assert sorted(rep.written) == ["01_R042-1.jpg", "02_R042-3.jpg"]
    rep = _run(its, tmp_path / "r", dataclasses.replace(SET, min_rating=4))
    assert sorted(rep.written) == ["01_R042-1.jpg", "02_R042-2.jpg"]


# --------------------------------------------------------------------------- incremental


def test_reexport_unchanged_writes_nothing(tmp_path, items):
    out = tmp_path / "o"
    _run(items, out, make_sheet=lambda p, claim=None: Image.new("RGB", (10, 10)).save(p))
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    calls = []
    rep = _run(items, out, make_sheet=lambda p, claim=None: calls.append(p))
    assert rep.written == [] and rep.removed == [] and len(rep.unchanged) == 4 and calls == []
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_reexport_reencodes_only_changed(tmp_path, items, scans):
    out = tmp_path / "o"
    _run(items, out)
    changed = list(items)
    changed[1] = dataclasses.replace(items[1], sha256="f" * 64)  # new source content
    changed[2] = dataclasses.replace(items[2], caption="new words")  # new metadata
    rep = _run(changed, out)
    assert sorted(rep.written) == ["02_R042-2.jpg", "03_R042-3.jpg"]
    assert sorted(rep.unchanged) == ["01_R042-1.jpg", "04_R042-4.jpg"]
    rep = _run(changed, out, dataclasses.replace(SET, quality=70))
    assert len(rep.written) == 4


def test_reorder_renames_instead_of_reencoding(tmp_path, items):
    out = tmp_path / "o"
    _run(items, out)
    data = {p.name: p.read_bytes() for p in out.glob("*.jpg")}
    swapped = [dataclasses.replace(items[1], position=1), dataclasses.replace(items[0], position=2), *items[2:]]
    rep = _run(swapped, out)
    assert rep.written == [] and sorted(rep.renamed) == ["01_R042-2.jpg", "02_R042-1.jpg"]
    assert rep.removed == []  # moved, not removed
    assert (out / "01_R042-2.jpg").read_bytes() == data["02_R042-2.jpg"]
    assert sorted(p.name for p in out.glob("*.jpg")) == ["01_R042-2.jpg", "02_R042-1.jpg", "03_R042-3.jpg",
                                                          "04_R042-4.jpg"]


def test_removed_frame_output_removed_but_foreign_files_kept(tmp_path, items):
    out = tmp_path / "o"
    _run(items, out, make_sheet=lambda p, claim=None: Image.new("RGB", (10, 10)).save(p))
    (out / "notes.txt").write_text("mine")
    (out / "05_R042-9.jpg").write_bytes(b"a user's own file that looks like ours")
    sheets = []
    rep = _run(items[:3], out, make_sheet=lambda p, claim=None: (sheets.append(p), Image.new("RGB", (10, 10)).save(p)))
    assert rep.removed == ["04_R042-4.jpg"] and sheets == [out / "contact-sheet.jpg"]
    assert (out / "notes.txt").read_text() == "mine" and (out / "05_R042-9.jpg").exists()
    rep = _run(items[:3], out, dataclasses.replace(SET, gallery=False))
    assert rep.removed == ["index.html"] and rep.gallery is None


def test_tampered_manifest_never_removes_outside(tmp_path, items):
    out = tmp_path / "o"
    _run(items[:1], out)
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"keep me")
    m = json.loads((out / "manifest.json").read_text())
    m["files"] += ["../victim.jpg", str(victim), "/etc/passwd"]
    m["frames"].append({"file": "../victim.jpg", "key": "x"})
    (out / "manifest.json").write_text(json.dumps(m))
    _run(items[:1], out)
    assert victim.read_bytes() == b"keep me"


def test_foreign_files_are_never_overwritten(tmp_path, items):
    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"files": ["keep.jpg"]}))
    (out / "keep.jpg").write_bytes(b"x")
    with pytest.raises(InputError, match="manifest.json"):
        _run(items[:1], out)
    assert (out / "keep.jpg").read_bytes() == b"x"
    (out / "manifest.json").unlink()
    (out / "index.html").write_text("my own site")
    with pytest.raises(InputError, match="index.html"):
        _run(items[:1], out)
    assert (out / "index.html").read_text() == "my own site"
    (out / "index.html").unlink()
    rep = _run(items[:1], out)  # an otherwise unrelated folder is fine
    assert rep.removed == [] and (out / "keep.jpg").read_bytes() == b"x"


def test_other_projects_export_folder_refused(tmp_path, items):
    out = tmp_path / "o"
    _run(items[:1], out)
    with pytest.raises(InputError, match="holds the export of project"):
        export_project("Another", None, None, items[1:2], out, SET)
    assert (out / "01_R042-1.jpg").exists()


def test_killed_export_rerun_ends_complete(tmp_path, items, scans):
    """Kill an export in a subprocess midway (SIGKILL after the first frame), run again, compare."""
    out = tmp_path / "o"
    ref = tmp_path / "ref"
    _run(items, ref)
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from pathlib import Path
from filmflow import export as ex, imaging
from tests.test_export import _item, SET
n = [0]
real = imaging.export_jpeg
def dying(*a, **k):
    n[0] += 1
    if n[0] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*a, **k)
imaging.export_jpeg = dying
ex.CHECKPOINT_SECONDS = 0  # record every finished frame
scans = {[str(p) for p in scans]!r}
items = [_item(i, Path(p), caption=f"Frame {{i}}") for i, p in enumerate(scans, 1)]
ex.export_project("Seoul 서울 / 2023", "Seoul at night", "Night walks", items, Path({str(out)!r}), SET)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == -9, r.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["complete"] is False and "04_R042-4.jpg" in m["pending"]
    assert (out / "01_R042-1.jpg").exists() and not (out / "04_R042-4.jpg").exists()
    rep = _run(items, out)
    assert rep.failed == [] and sorted(rep.written) == ["03_R042-3.jpg", "04_R042-4.jpg"]
    assert sorted(rep.unchanged) == ["01_R042-1.jpg", "02_R042-2.jpg"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in ref.iterdir())
    for p in ref.glob("*.jpg"):
        assert (out / p.name).read_bytes() == p.read_bytes()
    assert json.loads((out / "manifest.json").read_text())["complete"] is True


def test_parallel_workers_match_serial(tmp_path, items):
    a = _run(items, tmp_path / "a", dataclasses.replace(SET, workers=2))
    b = _run(items, tmp_path / "b", dataclasses.replace(SET, workers=1))
    assert sorted(a.written) == sorted(b.written)
    for name in a.written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# --------------------------------------------------------------------------- bad input


def test_missing_and_corrupt_sources_reported_rest_exported(tmp_path, scans):
    trunc = imagegen.make_truncated(tmp_path / "t.jpg")
    its = [_item(1, scans[0]), _item(2, tmp_path / "gone.jpg"), _item(3, trunc), _item(4, scans[1])]
    rep = _run(its, tmp_path / "o")
    assert sorted(rep.written) == ["01_R042-1.jpg", "04_R042-4.jpg"]
    assert [f["ref"] for f in rep.failed] == ["R042/2", "R042/3"]
    assert "not found" in rep.failed[0]["error"] and "truncated" in rep.failed[1]["error"]
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [f["ref"] for f in m["failed"]] == ["R042/2", "R042/3"]
    assert [f["file"] for f in m["frames"]] == ["01_R042-1.jpg", "04_R042-4.jpg"]


def test_cmyk_and_broken_icc_sources(tmp_path):
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (500, 300), (0, 255, 255, 0)).save(cmyk, quality=95)
    bad = tmp_path / "bad_icc.jpg"
    Image.new("RGB", (500, 300), (10, 120, 200)).save(bad, quality=95, icc_profile=b"junk" * 40)
    rep = _run([_item(1, cmyk), _item(2, bad)], tmp_path / "o")
    assert rep.failed == []
    with Image.open(tmp_path / "o" / "01_R042-1.jpg") as a, Image.open(tmp_path / "o" / "02_R042-2.jpg") as b:
        assert a.mode == "RGB" and a.getpixel((160, 100))[0] > 200
        assert all(abs(x - y) <= 4 for x, y in zip(b.getpixel((160, 100)), (10, 120, 200)))


@pytest.mark.parametrize("edge", [0, -1])
def test_bad_long_edge(tmp_path, items, edge):
    with pytest.raises(InputError, match="--long-edge"):
        _run(items, tmp_path / "o", dataclasses.replace(SET, long_edge=edge))
    assert not (tmp_path / "o").exists()


def test_to_not_writable(tmp_path, items):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InputError, match="writable|not a folder"):
        _run(items, blocker / "sub")
    with pytest.raises(InputError):
        _run(items, blocker)


def test_to_inside_archive_refused(tmp_path, items):
    archive = tmp_path / "archive"
    with pytest.raises(InputError, match="inside"):
        _run(items, archive / "2023" / "out", forbidden_roots=[archive])
    with pytest.raises(InputError):
        _run(items, archive, forbidden_roots=[archive])
    assert not (archive / "2023" / "out").exists()


@pytest.mark.parametrize("name", ["../../etc", "a/b/../../..", "CON", "서울 / 밤", "x" * 500, "..", "", "\0nul"])
def test_export_dir_for_any_name_stays_inside(tmp_path, name):
    root = tmp_path / "exports"
    d = export_dir_for(root, name)
    assert d.parent == root.resolve() and d.name not in ("", ".", "..")
    assert len(d.name.encode()) <= 120 and d.name.lower() != "con"


def test_sheet_failure_reported_not_fatal(tmp_path, items):
    def broken(p, claim=None):
        raise OSError("disk full")
    rep = _run(items[:2], tmp_path / "o", make_sheet=broken)
    assert len(rep.written) == 2 and rep.sheet is None
    assert rep.failed and "disk full" in rep.failed[0]["error"]


# --------------------------------------------------------------------------- gallery / post text


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_gallery_is_self_contained_and_escaped(tmp_path, items):
    evil = '<script>alert(1)</script>" onerror="x'
    its = [dataclasses.replace(items[0], caption=evil, ref="R042/<1>"), items[1]]
    out = tmp_path / "o"
    rep = export_project(evil, evil, evil, its, out, SET)
    page = (out / "index.html").read_text("utf-8")
    assert "<script>alert" not in page and 'onerror="x' not in page
    p = _Collect()
    p.feed(page)
    tags = [t for t, _ in p.tags]
    assert tags.count("script") == 1 and "link" not in tags and "iframe" not in tags
    assert all("src" not in a for t, a in p.tags if t == "script")
    imgs = [a["src"] for t, a in p.tags if t == "img"]
    assert imgs == ["./01_R042-1.jpg", "./02_R042-2.jpg"]
    assert all((out / s[2:]).is_file() for s in imgs)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert evil in "".join(p.text)  # shown as text, intact
    assert rep.gallery == out / "index.html"


def test_post_markdown_escapes_and_front_matter(tmp_path):
    frames = [{"file": "01_R 1#.jpg", "ref": "R1/1", "caption": "<img src=x> *hi*", "description": "d",
               "tags": ["night", 'a"b'], "stock": "Kodak Portra 400"}]
    md = render_post('Ti"tle', "multi\nline", "2023-05-01", frames)
    head, body = md.split("---\n")[1], md.split("---\n")[2]
    assert 'title: "Ti\\"tle"' in head and 'description: "multi\\nline"' in head
    assert 'tags: ["night", "a\\"b", "Kodak Portra 400"]' in head
    assert "(./01_R%201%23.jpg)" in body and "<img" not in body and "\\*hi\\*" in body


def test_gallery_urls_quote_odd_names():
    page = render_gallery("t", None, [{"file": "01_R#4 2.jpg", "ref": "x"}])
    assert 'src="./01_R%234%202.jpg"' in page


def test_small_copies_for_srcset_are_owned_moved_and_removed_with_their_frame(tmp_path):
    srcs = [make_scan(tmp_path / "s" / f"{k}.jpg", (1500, 1000), seed=k, label=str(k)) for k in range(1, 4)]
    items = [_item(i, p) for i, p in enumerate(srcs, 1)]
    out = tmp_path / "out"
    settings = ExportSettings(long_edge=1400, workers=1)
    _run(items, out, settings)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [e["small"] for e in manifest["frames"]] == [f"0{k}_R042-{k}@1024.jpg" for k in (1, 2, 3)]
    e2 = manifest["frames"][1]
    assert Image.open(out / "02_R042-2@1024.jpg").size == (e2["small_width"], e2["small_height"]) == (1024, 682)
    assert {"01_R042-1@1024.jpg", "03_R042-3@1024.jpg"} <= set(manifest["files"])
    swapped = [dataclasses.replace(items[2], position=1), dataclasses.replace(items[0], position=3), items[1]]
    small_of_3 = (out / "03_R042-3@1024.jpg").read_bytes()
    rep = _run(swapped, out, settings)
    assert rep.written == [] and sorted(rep.renamed) == ["01_R042-3.jpg", "03_R042-1.jpg"]
    assert (out / "01_R042-3@1024.jpg").read_bytes() == small_of_3
    rep = _run(swapped[:2], out, settings)
    assert "03_R042-2@1024.jpg" not in {p.name for p in out.iterdir()}
    small = _run([_item(1, srcs[0])], tmp_path / "o2", ExportSettings(long_edge=800, workers=1))
    assert not list(small.out_dir.glob("*@1024.jpg"))  # no copy for frames already small


def test_an_unexpected_error_on_one_frame_fails_that_frame_alone(tmp_path, items, monkeypatch):
    """Issue 13: export isolates each frame's failure, whatever it is, as ingest does."""
    from filmflow import imaging

    real = imaging.export_jpeg

    def odd(src, *a, **k):
        if Path(src).name == "000002.jpg":
            raise ValueError("broken PNG chunk")   # what Pillow raises for some damaged files
        return real(src, *a, **k)

    monkeypatch.setattr(imaging, "export_jpeg", odd)
    rep = _run(items, tmp_path / "out")
    assert [f["ref"] for f in rep.failed] == ["R042/2"] and "ValueError" in rep.failed[0]["error"]
    assert len(rep.written) == 3 and not (tmp_path / "out" / "02_R042-2.jpg").exists()
