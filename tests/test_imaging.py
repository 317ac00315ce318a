"""imaging: safe decoding, thumbnails and the sRGB export pipeline, checked on real pixels."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from filmflow import imaging
from filmflow.errors import UnreadableImageError
from filmflow.imaging import ScanInfo, export_jpeg, make_thumbnail, open_scan, read_scan_info
from tests import imagegen
from tests.imagegen import EPSON, NORITSU, make_scan, scanner_exif


def _flat_jpeg(path: Path, size, colour, *, icc=None, exif=None, mode="RGB", quality=95) -> Path:
    im = Image.new(mode, size, colour)
    kw = {"quality": quality, "subsampling": 0}
    if icc:
        kw["icc_profile"] = icc
    if exif is not None:
        kw["exif"] = exif
    im.save(path, "JPEG", **kw)
    return path


def _close(a, b, tol):
    if isinstance(a, int):
        return abs(a - b) <= tol
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def _centre(im: Image.Image):
    return im.getpixel((im.width // 2, im.height // 2))


# --------------------------------------------------------------------------- info


def test_read_scan_info_jpeg_with_scanner_exif(tmp_path):
    p = make_scan(tmp_path / "000012.jpg", (300, 200), exif=scanner_exif(NORITSU))
    info = read_scan_info(p)
    assert info == ScanInfo(width=300, height=200, bits=8, format="JPEG", mode="RGB", icc=False, orientation=1)


def test_read_scan_info_16bit_rgb_tiff(tmp_path):
    p = make_scan(tmp_path / "a.tif", (120, 80), bits=16, icc=imagegen.adobe_rgb_icc())
    info = read_scan_info(p)
    assert (info.width, info.height, info.bits, info.format, info.icc) == (120, 80, 16, "TIFF", True)


def test_read_scan_info_grey16_and_orientation(tmp_path):
    p = make_scan(tmp_path / "g.tif", (90, 60), mode="L", bits=16)
    info = read_scan_info(p)
    assert info.bits == 16 and info.mode.startswith("I;16")
    q = _flat_jpeg(tmp_path / "o.jpg", (40, 20), (1, 2, 3), exif=scanner_exif(EPSON, Orientation=6))
    assert read_scan_info(q).orientation == 6


def test_scan_info_pickles_for_process_pool(tmp_path):
    info = read_scan_info(make_scan(tmp_path / "a.jpg", (60, 40)))
    assert pickle.loads(pickle.dumps(info)) == info


# --------------------------------------------------------------------------- thumbnails


def test_thumbnail_jpeg_long_edge_and_returns_source_info(tmp_path):
    src = make_scan(tmp_path / "in.jpg", (1200, 800), seed=3)
    dst = tmp_path / "cache" / "deep" / "t.jpg"
    info = make_thumbnail(src, dst, long_edge=256)
    assert (info.width, info.height, info.format) == (1200, 800, "JPEG")
    with Image.open(dst) as t:
        assert t.format == "JPEG" and t.size == (256, 171) and t.mode == "RGB"
    assert not [p for p in dst.parent.iterdir() if p.name != "t.jpg"]  # no temp files left


def test_thumbnail_never_upscales(tmp_path):
    src = make_scan(tmp_path / "small.jpg", (200, 100))
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=512)
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.size == (200, 100)


def test_thumbnail_8bit_tiff(tmp_path):
    src = tmp_path / "a.tif"
    Image.new("RGB", (800, 600), (200, 40, 90)).save(src, compression="raw")
    info = make_thumbnail(src, tmp_path / "t.jpg", long_edge=200)
    assert info.bits == 8 and info.format == "TIFF"
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.size == (200, 150)
        assert _close(_centre(t), (200, 40, 90), 3)


def test_thumbnail_16bit_rgb_tiff_keeps_colours(tmp_path):
    # A mid-grey and a coloured patch, as 16-bit samples (8-bit value in the high byte).
    img8 = Image.new("RGB", (400, 300), (128, 128, 128))
    img8.paste((220, 90, 30), (0, 0, 200, 300))
    src = imagegen.write_tiff16_rgb(tmp_path / "s16.tif", img8, seed=1)
    info = make_thumbnail(src, tmp_path / "t.jpg", long_edge=200)
    assert info.bits == 16
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.mode == "RGB" and t.size == (200, 150)
        assert _close(t.getpixel((150, 75)), (128, 128, 128), 1)
        assert _close(t.getpixel((40, 75)), (220, 90, 30), 3)


def test_thumbnail_grey16_scales_not_clips(tmp_path):
    src = tmp_path / "g16.tif"
    Image.new("I;16", (300, 200), 32768).save(src)
    info = make_thumbnail(src, tmp_path / "t.jpg", long_edge=150)
    assert info.bits == 16
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.mode == "L"
        assert _close(_centre(t), 128, 1)  # not 255


def test_thumbnail_grey16_full_range(tmp_path):
    src = tmp_path / "g16.tif"
    im = Image.new("I;16", (300, 200), 0)
    im.paste(65535, (150, 0, 300, 200))
    im.save(src)
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=300)
    with Image.open(tmp_path / "t.jpg") as t:
        assert _close(t.getpixel((30, 100)), 0, 2)
        assert _close(t.getpixel((270, 100)), 255, 2)


def test_thumbnail_greyscale_jpeg_stays_grey(tmp_path):
    src = make_scan(tmp_path / "bw.jpg", (600, 400), mode="L")
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=300)
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.mode == "L" and t.size == (300, 200)


def test_thumbnail_cmyk_jpeg_to_rgb(tmp_path):
    src = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (400, 200), (0, 255, 255, 0)).save(src, quality=95)  # pure red ink
    assert read_scan_info(src).mode == "CMYK"
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=200)
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.mode == "RGB"
        r, g, b = _centre(t)
        assert r > 200 and g < 60 and b < 60


def test_thumbnail_applies_exif_orientation_6(tmp_path):
    # Landscape pixels, orientation 6 (rotate 90 CW to view): a portrait result.
    im = Image.new("RGB", (400, 200), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 200, 200))  # left half red
    exif = scanner_exif(NORITSU, Orientation=6)
    src = tmp_path / "o6.jpg"
    im.save(src, quality=95, exif=exif)
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=100)
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.size == (50, 100)
        assert _close(t.getpixel((25, 10)), (255, 0, 0), 40)  # left went to the top
        assert _close(t.getpixel((25, 90)), (0, 0, 255), 40)


def _expected_srgb(rgb, icc):
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    one = Image.new("RGB", (1, 1), rgb)
    out = ImageCms.profileToProfile(one, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    return out.getpixel((0, 0))


def test_thumbnail_adobe_rgb_converted_to_srgb(tmp_path):
    icc = imagegen.adobe_rgb_icc()
    patch = (60, 160, 90)  # a green well inside sRGB after conversion
    src = _flat_jpeg(tmp_path / "argb.jpg", (300, 200), patch, icc=icc)
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=150)
    want = _expected_srgb(patch, icc)
    assert not _close(want, patch, 10)  # the conversion is visible
    with Image.open(tmp_path / "t.jpg") as t:
        assert _close(_centre(t), want, 3)


def test_broken_icc_profile_treated_as_srgb(tmp_path, caplog):
    src = _flat_jpeg(tmp_path / "bad_icc.jpg", (200, 100), (10, 120, 200), icc=b"not a profile at all" * 10)
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=100)
    with Image.open(tmp_path / "t.jpg") as t:
        assert _close(_centre(t), (10, 120, 200), 3)
    assert "ICC" in caplog.text


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "maker, words",
    [
        (lambda p: imagegen.make_zero(p), "empty file (0 bytes)"),
        (lambda p: imagegen.make_truncated(p), "truncated"),
        (lambda p: imagegen.make_text_as_jpg(p), "not an image"),
    ],
    ids=["zero", "truncated", "text"],
)
def test_unreadable_files_give_one_clear_sentence(tmp_path, maker, words):
    bad = maker(tmp_path / "bad.jpg")
    with pytest.raises(UnreadableImageError) as e:
        make_thumbnail(bad, tmp_path / "t.jpg")
    msg = str(e.value)
    assert str(bad) in msg and words in msg and msg.endswith(".") and "\n" not in msg
    assert not (tmp_path / "t.jpg").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.jpg"]  # no temp file left behind


def test_read_scan_info_errors_header_only(tmp_path):
    with pytest.raises(UnreadableImageError, match="empty file"):
        read_scan_info(imagegen.make_zero(tmp_path / "z.jpg"))
    with pytest.raises(UnreadableImageError, match="not an image"):
        read_scan_info(imagegen.make_text_as_jpg(tmp_path / "t.jpg"))
    with pytest.raises(UnreadableImageError, match="not found"):
        read_scan_info(tmp_path / "missing.jpg")
    heic = tmp_path / "x.heic"
    heic.write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 64)
    with pytest.raises(UnreadableImageError, match="unsupported format .HEIC"):
        read_scan_info(heic)


def test_bad_long_edge_rejected(tmp_path):
    src = make_scan(tmp_path / "a.jpg", (60, 40))
    for bad in (0, -5):
        with pytest.raises(ValueError):
            make_thumbnail(src, tmp_path / "t.jpg", long_edge=bad)


# --------------------------------------------------------------------------- huge scans


def test_huge_scan_below_limit_has_no_bomb_error(tmp_path):
    """A 300 MP greyscale 4x5 sheet (TIFF, deflate: quick to write) opens and thumbnails."""
    src = tmp_path / "sheet.tif"
    im = Image.new("L", (20000, 15000), 100)
    im.paste(200, (0, 0, 10000, 15000))
    im.save(src, compression="tiff_deflate")
    del im
    limit_before = Image.MAX_IMAGE_PIXELS
    assert read_scan_info(src).width == 20000
    info = make_thumbnail(src, tmp_path / "t.jpg", long_edge=400)
    assert (info.width, info.height) == (20000, 15000)
    assert Image.MAX_IMAGE_PIXELS == limit_before  # never changed outside the helper
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.size == (400, 300) and t.mode == "L"
        assert _close(t.getpixel((50, 150)), 200, 2) and _close(t.getpixel((350, 150)), 100, 2)
    # Pillow's own guard is still in force for everything else.
    with pytest.raises(Image.DecompressionBombError):
        Image.open(src)


def test_huge_jpeg_uses_dct_scaling(tmp_path):
    src = tmp_path / "big.jpg"
    Image.new("L", (20000, 15000), 90).save(src, quality=50)
    with open_scan(src, draft_size=(512, 384)) as im:
        assert im.size == (2500, 1875)  # decoded at 1/8, not 300 MP
    make_thumbnail(src, tmp_path / "t.jpg", long_edge=512)
    with Image.open(tmp_path / "t.jpg") as t:
        assert t.size == (512, 384)


def test_too_large_refused_with_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(imaging, "SCAN_PIXEL_LIMIT", 1000)
    src = make_scan(tmp_path / "a.jpg", (60, 40))
    with pytest.raises(UnreadableImageError, match="larger than filmflow's limit"):
        read_scan_info(src)


# --------------------------------------------------------------------------- export pixels


def test_export_jpeg_embeds_srgb_and_resets_orientation(tmp_path):
    icc = imagegen.adobe_rgb_icc()
    patch = (60, 160, 90)
    src = _flat_jpeg(tmp_path / "a.jpg", (900, 600), patch, icc=icc,
                     exif=scanner_exif(NORITSU, Orientation=8))
    exif = Image.Exif()
    exif[0x013B] = "Kim"  # Artist
    exif[0x0112] = 8
    size = export_jpeg(src, tmp_path / "out" / "01.jpg", 300, 90, exif=exif)
    assert size == (200, 300)
    with Image.open(tmp_path / "out" / "01.jpg") as o:
        assert o.size == (200, 300)
        prof = ImageCms.ImageCmsProfile(io.BytesIO(o.info["icc_profile"]))
        assert prof.profile.profile_description.startswith("sRGB")
        e = o.getexif()
        assert e[0x013B] == "Kim" and e.get(0x0112, 1) == 1
        assert _close(_centre(o), _expected_srgb(patch, icc), 3)


def test_export_jpeg_grey_stays_grey_unless_asked(tmp_path):
    src = make_scan(tmp_path / "bw.jpg", (600, 400), mode="L")
    export_jpeg(src, tmp_path / "g.jpg", 300, 90)
    export_jpeg(src, tmp_path / "c.jpg", 300, 90, grey_as_rgb=True)
    with Image.open(tmp_path / "g.jpg") as g, Image.open(tmp_path / "c.jpg") as c:
        assert g.mode == "L" and "icc_profile" not in g.info
        assert c.mode == "RGB" and c.info.get("icc_profile")


def test_export_jpeg_exact_long_edge_from_16bit_tiff(tmp_path):
    src = make_scan(tmp_path / "s.tif", (1080, 720), bits=16, seed=5)
    assert export_jpeg(src, tmp_path / "o.jpg", 1000, 90) == (1000, 667)
    assert export_jpeg(src, tmp_path / "p.jpg", 5000, 90) == (1080, 720)  # never upscaled
