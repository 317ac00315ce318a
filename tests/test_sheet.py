"""Contact sheets: layout per format, pixels where the layout puts them, grease pencil, output, fonts."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from filmflow.outputs import fonts
from filmflow.errors import InputError
from filmflow.outputs.sheet import (
    Page,
    SheetFrame,
    SheetHeader,
    layout,
    render_sheet,
)
from filmflow.stocks import load_formats

FORMATS = load_formats()
# Bright, distinct and never red-ish, so grease-pencil pixels are easy to tell apart.
COLOURS = [(40, 200, 230), (60, 220, 90), (240, 230, 40), (90, 110, 250), (250, 90, 250), (200, 250, 200)]
HDR = SheetHeader("R042 · Test roll", ("Kodak Portra 400 · EI 400", "135 · developed 2023-05-01"))
DPI = 150  # small pages keep the suite fast; geometry scales with dpi


def make_thumb(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (512, 341)) -> Path:
    Image.new("RGB", size, colour).save(path, quality=95)
    return path


def roll(
    tmp_path: Path, n: int, fmt: str | None = "135", roll_code: str = "R042", size=(512, 341), **marks
) -> list[SheetFrame]:
    """`n` frames with solid-colour thumbnails; marks: picks={i: 'yes'|'reject'}, ratings={i: r}."""
    d = tmp_path / "cache" / roll_code
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        t = make_thumb(d / f"{i + 1:02d}.jpg", COLOURS[i % len(COLOURS)], size)
        out.append(SheetFrame(
            thumbnail=t, source=tmp_path / "unmounted-archive" / f"{i}.tif", label=str(i + 1), roll=roll_code,
            format=fmt, edge_print="KODAK PORTRA 400", pick=marks.get("picks", {}).get(i, "no"),
            rating=marks.get("ratings", {}).get(i, 0),
        ))
    return out


def slot_of(pages: list[Page], index: int):
    for page in pages:
        for strip in page.strips:
            for slot in strip.slots:
                if slot.index == index:
                    return page, strip, slot
    raise AssertionError(f"frame {index} not laid out")


def is_red(px: tuple[int, int, int]) -> bool:
    r, g, b = px[:3]
    return r > 110 and r > 2 * g and r > 2 * b


def red_count(im: Image.Image, box: tuple[int, int, int, int]) -> int:
    raw = im.crop(box).convert("RGB").tobytes()
    return sum(1 for k in range(0, len(raw), 3) if is_red(raw[k : k + 3]))


def near(a, b, tol=12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


# --- layout ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,per_strip", [("135", 6), ("half", 12), ("645", 4), ("6x6", 3), ("120", 3), ("6x7", 3),
                                           ("6x9", 2), ("4x5", 2)])
def test_frames_per_strip_follow_the_format(tmp_path, fmt, per_strip):
    frames = [SheetFrame(tmp_path / f"{i}.jpg", None, str(i + 1), "R1", fmt, None) for i in range(13)]
    pages = layout(frames, HDR, "A4", DPI, FORMATS)
    strips = [s for p in pages for s in p.strips]
    assert [len(s.slots) for s in strips][0] == per_strip
    assert sum(len(s.slots) for s in strips) == 13
    full = strips[0]
    W = pages[0].size[0]
    margin = round(10 / 25.4 * DPI)
    assert abs(full.box.x0 - margin) <= 1 and abs(full.box.x1 - (W - margin)) <= 2  # a full strip fills the width
    order = [sl.index for s in strips for sl in s.slots]
    assert order == list(range(13))
    for s in strips:  # frames left to right, inside their strip, never overlapping
        xs = [sl.box.x0 for sl in s.slots]
        assert xs == sorted(xs)
        for a, b in zip(s.slots, s.slots[1:]):
            assert a.box.x1 <= b.box.x0
        for sl in s.slots:
            assert s.box.y0 <= sl.box.y0 < sl.box.y1 <= s.box.y1
    if fmt == "4x5":
        assert len(strips[0].pieces) == 2  # each sheet is its own piece of film


def test_a_new_roll_starts_a_new_strip_and_pages_hold_whole_strips(tmp_path):
    frames = [SheetFrame(tmp_path / "x.jpg", None, str(i), "R1", "135", None) for i in range(8)]
    frames += [SheetFrame(tmp_path / "y.jpg", None, str(i), "R2", "135", None) for i in range(3)]
    pages = layout(frames, SheetHeader("P", strip_labels=True), "A4", DPI, FORMATS)
    strips = [s for p in pages for s in p.strips]
    assert [(s.roll, len(s.slots)) for s in strips] == [("R1", 6), ("R1", 2), ("R2", 3)]
    assert all(s.label_box is not None and s.label_box.y1 <= s.box.y0 for s in strips)
    H = pages[0].size[1]
    for p in pages:
        for s in p.strips:
            assert p.header.y1 <= s.box.y0 and s.box.y1 <= H


def test_unknown_format_gets_a_sensible_default_and_a_warning(tmp_path, caplog):
    wide = [SheetFrame(tmp_path / "a.jpg", None, "1", "R7", "weird", None)]
    square = [SheetFrame(tmp_path / "b.jpg", None, "1", "R8", None, None)]
    with caplog.at_level(logging.WARNING, logger="filmflow.outputs.sheet"):
        p1 = layout(wide, HDR, "A4", DPI, FORMATS, aspects={"R7": 1.5})
        p2 = layout(square, HDR, "A4", DPI, FORMATS, aspects={"R8": 1.0})
    assert p1[0].strips[0].fmt.name == "135"
    assert p2[0].strips[0].fmt.name == "6x6"
    assert "R7" in caplog.text and "R8" in caplog.text


def test_render_picks_the_default_for_an_unknown_format_from_the_thumbnails(tmp_path, caplog):
    frames = roll(tmp_path, 4, fmt=None, size=(400, 400))
    with caplog.at_level(logging.WARNING, logger="filmflow.outputs.sheet"):
        res = render_sheet(frames, HDR, tmp_path / "s.png", dpi=DPI)
    assert res.pages == 1
    assert "6x6" in caplog.text


# --- pixels ---------------------------------------------------------------------------


def test_dark_sheet_pixels_strips_frames_and_grease_pencil(tmp_path):
    frames = roll(tmp_path, 12, picks={2: "yes", 8: "reject"}, ratings={4: 3})
    out = tmp_path / "sheet.png"
    res = render_sheet(frames, HDR, out, dpi=DPI, style="dark")
    assert (res.path, res.pages, res.frames) == (out, 1, 12)
    pages = layout(frames, HDR, "A4", DPI, FORMATS)
    im = Image.open(out).convert("RGB")
    assert im.size == pages[0].size == (1240, 1754)  # A4 at 150 dpi

    for i in (0, 1, 3, 5, 6, 11):  # unmarked frames show their thumbnail where the layout puts them
        assert near(im.getpixel(slot_of(pages, i)[2].box.center), COLOURS[i % len(COLOURS)]), i

    # The film between two frames is black.
    _, strip, slot = slot_of(pages, 0)
    nxt = slot_of(pages, 1)[2]
    gap_x = (slot.box.x1 + nxt.box.x0) // 2
    for y in range(slot.box.y0 + 3, slot.box.y1 - 3, 5):
        assert max(im.getpixel((gap_x, y))) < 20

    def above(idx):  # the rebate above the frame's middle
        _, st, sl = slot_of(pages, idx)
        cx = sl.box.center[0]
        return (cx - sl.box.w // 4, st.box.y0, cx + sl.box.w // 4, sl.box.y0 - 1)

    pk = slot_of(pages, 2)[2].box
    assert red_count(im, (pk.x0, pk.y0, pk.x1, pk.y0 + pk.h // 6)) > 20  # the circle, inside the picked frame
    for i in (0, 1, 2, 3, 5):  # marks stay off the rebate (its edge print and numbers)
        assert red_count(im, above(i)) == 0, i
    rej = slot_of(pages, 8)[2].box
    cx, cy = rej.center
    assert red_count(im, (cx - 12, cy - 12, cx + 12, cy + 12)) > 50  # the cross's crossing point
    assert red_count(im, (rej.x0, rej.y0, rej.x0 + 25, rej.y0 + 25)) > 20  # and its arms reach the corners
    st = slot_of(pages, 4)[2].box
    assert red_count(im, (st.x1 - st.w // 2, st.y1 - st.h // 3, st.x1, st.y1)) > 20  # rating stars
    plain = slot_of(pages, 5)[2].box
    assert red_count(im, (plain.x0, plain.y0, plain.x1, plain.y1)) == 0


def test_135_strips_have_sprocket_holes(tmp_path):
    frames = roll(tmp_path, 6)
    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI)
    strip = layout(frames, HDR, "A4", DPI, FORMATS)[0].strips[0]
    s = strip.px_per_mm
    im = Image.open(out).convert("L")
    for y in (round(strip.box.y0 + 3.4 * s), round(strip.box.y1 - 3.4 * s)):
        row = [im.getpixel((x, y)) > 100 for x in range(strip.box.x0, strip.box.x1)]
        starts = [x for x in range(1, len(row)) if row[x] and not row[x - 1]]
        assert 44 <= len(starts) <= 49  # 8 perforations per 38 mm frame pitch, 6 frames
        pitches = [b - a for a, b in zip(starts, starts[1:])]
        assert max(pitches) - min(pitches) <= 2 and abs(sum(pitches) / len(pitches) - 4.75 * s) < 1


def test_120_has_a_plain_rebate(tmp_path):
    frames = roll(tmp_path, 3, fmt="6x6", size=(400, 400))
    frames = [SheetFrame(f.thumbnail, None, f.label, f.roll, f.format, None) for f in frames]  # no edge print
    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI)
    strip = layout(frames, HDR, "A4", DPI, FORMATS)[0].strips[0]
    im = Image.open(out).convert("L")
    y = round(strip.box.y0 + 1.0 * strip.px_per_mm)
    assert max(im.getpixel((x, y)) for x in range(strip.box.x0 + 2, strip.box.x1 - 2)) < 20


def test_portrait_frame_is_turned_as_it_lies_on_a_landscape_strip(tmp_path):
    t = tmp_path / "p.jpg"
    im = Image.new("RGB", (341, 512), (40, 60, 240))
    im.paste((240, 230, 40), (0, 256, 341, 512))  # blue sky over yellow ground
    im.save(t, quality=95)
    frames = [SheetFrame(t, None, "1", "R1", "135", None)]
    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI)
    box = layout(frames, HDR, "A4", DPI, FORMATS)[0].strips[0].slots[0].box
    sheet = Image.open(out).convert("RGB")
    cy = box.center[1]
    assert box.w > box.h
    assert near(sheet.getpixel((box.x0 + box.w // 5, cy)), (40, 60, 240), 20)  # sky to the left
    assert near(sheet.getpixel((box.x1 - box.w // 5, cy)), (240, 230, 40), 20)


def test_light_style_is_a_paper_proof_with_black_strips(tmp_path):
    frames = roll(tmp_path, 6)
    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI, style="light")
    pages = layout(frames, HDR, "A4", DPI, FORMATS)
    im = Image.open(out).convert("RGB")
    assert min(im.getpixel((5, 5))) > 230  # paper
    _, _, a = slot_of(pages, 0)
    b = slot_of(pages, 1)[2]
    assert max(im.getpixel(((a.box.x1 + b.box.x0) // 2, a.box.center[1]))) < 20
    assert near(im.getpixel(a.box.center), COLOURS[0])


def test_rendering_is_deterministic(tmp_path):
    frames = roll(tmp_path, 6, picks={1: "yes", 2: "reject"}, ratings={3: 2})
    render_sheet(frames, HDR, tmp_path / "a.png", dpi=DPI)
    render_sheet(frames, HDR, tmp_path / "b.png", dpi=DPI)
    assert Image.open(tmp_path / "a.png").tobytes() == Image.open(tmp_path / "b.png").tobytes()


# --- output ---------------------------------------------------------------------------


def test_pdf_has_one_page_per_layout_page(tmp_path):
    frames = roll(tmp_path, 72)
    pages = layout(frames, HDR, "A4", DPI, FORMATS)
    assert len(pages) == 2 and sum(len(s.slots) for s in pages[0].strips) >= 36
    out = tmp_path / "sheet.pdf"
    res = render_sheet(frames, HDR, out, dpi=DPI)
    assert res.pages == 2 and res.frames == 72
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 2
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".pdf"] == ["sheet.pdf"]
    assert not [p for p in tmp_path.iterdir() if "filmflow-tmp" in p.name]


def test_jpeg_pages_are_numbered_files(tmp_path):
    frames = roll(tmp_path, 72)
    out = tmp_path / "sheet.jpg"
    res = render_sheet(frames, HDR, out, dpi=DPI)
    assert res.pages == 2 and res.path == out
    assert out.exists() and (tmp_path / "sheet-2.jpg").exists()
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.size == (1240, 1754) and round(im.info["dpi"][0]) == DPI


@pytest.mark.parametrize("paper,size", [("A4", (1240, 1754)), ("letter", (1275, 1650)), ("a3", (1754, 2480))])
def test_paper_sizes(tmp_path, paper, size):
    assert layout(roll(tmp_path, 1), HDR, paper, DPI, FORMATS)[0].size == size


# --- bad input ------------------------------------------------------------------------


def test_empty_project_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="project Summer has no frames"):
        render_sheet([], SheetHeader("Summer", strip_labels=True), tmp_path / "s.pdf")


def test_unknown_extension_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"\.jpg, \.png or \.pdf"):
        render_sheet(roll(tmp_path, 1), HDR, tmp_path / "s.gif")


def test_missing_output_folder_is_an_input_error(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(InputError, match=re.escape(str(missing))):
        render_sheet(roll(tmp_path, 1), HDR, missing / "s.png")


@pytest.mark.parametrize("kw,msg", [({"paper": "B5"}, "A4, letter or A3"), ({"dpi": 10}, "72 to 1200"),
                                    ({"style": "neon"}, "dark or light")])
def test_bad_options_are_input_errors(tmp_path, kw, msg):
    with pytest.raises(InputError, match=msg):
        render_sheet(roll(tmp_path, 1), HDR, tmp_path / "s.png", **kw)


# --- thumbnails from the cache ----------------------------------------------------------


def test_missing_thumbnail_is_rebuilt_once_and_present_ones_never_touch_the_archive(tmp_path):
    frames = roll(tmp_path, 6)  # sources point into an unmounted archive
    scan = tmp_path / "archive" / "03.jpg"
    scan.parent.mkdir()
    make_thumb(scan, (250, 90, 250), (1500, 1000))
    frames[2].thumbnail.unlink()
    frames[2] = SheetFrame(frames[2].thumbnail, scan, "3", "R042", "135", None)
    calls = []

    def thumbnailer(source: Path, thumb: Path) -> None:
        calls.append(source)
        with Image.open(source) as im:
            im.thumbnail((512, 512))
            im.save(thumb, quality=90)

    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI, thumbnailer=thumbnailer)
    assert calls == [scan]
    assert frames[2].thumbnail.exists()
    box = slot_of(layout(frames, HDR, "A4", DPI, FORMATS), 2)[2].box
    assert near(Image.open(out).convert("RGB").getpixel(box.center), (250, 90, 250))
    render_sheet(frames, HDR, out, dpi=DPI, thumbnailer=thumbnailer)
    assert calls == [scan]  # now cached


def test_without_thumbnailer_the_scan_is_decoded_in_memory(tmp_path):
    frames = roll(tmp_path, 2)
    scan = tmp_path / "scan.jpg"
    make_thumb(scan, (60, 220, 90), (1800, 1200))
    frames[1].thumbnail.unlink()
    frames[1] = SheetFrame(frames[1].thumbnail, scan, "2", "R042", "135", None)
    out = tmp_path / "s.png"
    render_sheet(frames, HDR, out, dpi=DPI)
    box = slot_of(layout(frames, HDR, "A4", DPI, FORMATS), 1)[2].box
    assert near(Image.open(out).convert("RGB").getpixel(box.center), (60, 220, 90))
    assert not frames[1].thumbnail.exists()


def test_unrebuildable_thumbnail_is_drawn_as_missing(tmp_path, caplog):
    frames = roll(tmp_path, 3)
    frames[1].thumbnail.unlink()

    def broken(source: Path, thumb: Path) -> None:
        raise OSError(f"{source} is not mounted")

    out = tmp_path / "s.png"
    with caplog.at_level(logging.WARNING, logger="filmflow.outputs.sheet"):
        res = render_sheet(frames, HDR, out, dpi=DPI, thumbnailer=broken)
    assert res.frames == 3 and "missing" in caplog.text
    pages = layout(frames, HDR, "A4", DPI, FORMATS)
    im = Image.open(out).convert("RGB")
    box = slot_of(pages, 1)[2].box
    px = im.getpixel((box.x0 + 4, box.y0 + 4))
    assert 30 < px[0] < 80 and near(px, (px[0],) * 3, 4)  # a grey empty frame
    assert near(im.getpixel(slot_of(pages, 2)[2].box.center), COLOURS[2])


# --- fonts ----------------------------------------------------------------------------


def test_hangul_title_font_has_real_glyphs():
    path = fonts.find_font("서울 산책")
    if path is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    idx = fonts.face_index(path, "서울 산책")
    font = ImageFont.truetype(str(path), 48, index=idx)
    seo, ul, notdef = (bytes(font.getmask(c)) for c in ("서", "울", "\U0010fffd"))
    assert seo != ul and seo != notdef and ul != notdef
    assert fonts.covers(path, "R042 · 서울 산책", idx)
    if path.suffix == ".ttc" and "CJK" in path.name:
        assert "KR" in " ".join(font.getname())


def test_japanese_and_accented_latin_are_covered():
    for text in ("東京さんぽ", "Crème brûlée à Montréal"):
        path = fonts.find_font(text)
        if path is None:
            pytest.skip("no font for this script installed (CI installs fonts-noto-cjk)")
        assert fonts.covers(path, text, fonts.face_index(path, text))


def test_dejavu_does_not_claim_hangul():
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.exists():
        pytest.skip("DejaVu Sans not installed")
    assert fonts.covers(dejavu, "Crème")
    assert not fonts.covers(dejavu, "서울")


def test_no_covering_font_warns_once_and_falls_back(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "_candidates", lambda text, bold: [])
    fonts.find_font.cache_clear()
    fonts._warn_uncovered.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="filmflow.outputs.fonts"):
            assert fonts.find_font("서울 산책") is None
            assert fonts.find_font("서울 산책") is None
            f = fonts.load_font("서울 산책", 20)
        assert len([r for r in caplog.records if "no installed font" in r.message]) == 1
        assert f.getbbox("A") is not None
    finally:
        fonts.find_font.cache_clear()


def test_configured_font_comes_first(tmp_path):
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.exists():
        pytest.skip("DejaVu Sans not installed")
    assert fonts.find_font("Portra", dejavu) == dejavu
    assert fonts.find_font("Portra", tmp_path / "nope.ttf") not in (None, tmp_path / "nope.ttf")


def test_hangul_roll_title_renders(tmp_path):
    if fonts.find_font("서울 산책") is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    frames = roll(tmp_path, 1)
    out = tmp_path / "s.png"
    render_sheet(frames, SheetHeader("R042 · 서울 산책"), out, dpi=DPI)
    hdr = layout(frames, SheetHeader("R042 · 서울 산책"), "A4", DPI, FORMATS)[0].header
    im = Image.open(out).convert("L").crop((hdr.x0, hdr.y0, hdr.x0 + hdr.w // 2, hdr.y1))
    assert sum(1 for v in im.tobytes() if v > 150) > 200  # the title is drawn


def test_grease_pencil_stays_inside_each_frame_and_off_the_edge_numbers(tmp_path):
    """Issue 11: circles and stars ran into the next frame and over the numbers (▶8)."""
    n = 12
    frames = roll(tmp_path, n, picks={k: ("yes" if k % 3 else "reject") for k in range(n)},
                  ratings={k: 5 for k in range(n)})
    out = tmp_path / "sheet.png"
    render_sheet(frames, HDR, out, dpi=DPI, style="light")
    page = layout(frames, HDR, "A4", DPI, FORMATS)[0]
    im = Image.open(out).convert("RGB")
    boxes = [sl.box for st in page.strips for sl in st.slots]
    for st in page.strips:
        for x in range(st.box.x0, st.box.x1):
            for y in range(st.box.y0, st.box.y1):
                if is_red(im.getpixel((x, y))):
                    assert any(b.x0 <= x < b.x1 and b.y0 <= y < b.y1 for b in boxes), (x, y)
    for b in boxes:  # every frame got its marks
        assert red_count(im, (b.x0, b.y0, b.x1, b.y1)) > 50


def test_a_sheet_whose_every_frame_is_picked_circles_none(tmp_path):
    frames = roll(tmp_path, 4, picks={k: "yes" for k in range(4)})
    out = tmp_path / "sheet.png"
    render_sheet(frames, HDR, out, dpi=DPI)
    page = layout(frames, HDR, "A4", DPI, FORMATS)[0]
    im = Image.open(out).convert("RGB")
    for st in page.strips:
        assert red_count(im, (st.box.x0, st.box.y0, st.box.x1, st.box.y1)) == 0
