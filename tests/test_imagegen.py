"""Tests for the test-image generators (tests/imagegen.py) and the shipped sample_scans/ tree."""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import sys
import tomllib
import unicodedata
import zipfile
from pathlib import Path

import exifread
import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat, UnidentifiedImageError

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imagegen as g  # noqa: E402
import make_sample_scans  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_scans"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff", ".png"}
BAD_FILE = "2023-11-20 Ultramax400 bad/000003.jpg"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exif_tags(data: bytes) -> dict[str, str]:
    return {k: str(v) for k, v in exifread.process_file(io.BytesIO(data), details=False).items()}


# --------------------------------------------------------------------------- 16-bit TIFF


def test_tiff16_rgb_opens_as_48_bit_with_icc_and_scanner_tags(tmp_path):
    path = g.make_scan(tmp_path / "scan_0001.tif", (64, 48), bits=16, seed=3, label="1",
                       exif=g.scanner_exif(g.EPSON, "2023:10:15 19:01:00"), icc=g.adobe_rgb_icc())
    with Image.open(path) as im:
        assert (im.format, im.mode, im.size) == ("TIFF", "RGB", (64, 48))
        assert im.tag_v2[258] == (16, 16, 16)
        assert im.tag_v2[259] == 1 and im.tag_v2[262] == 2 and im.tag_v2[277] == 3
        assert im.info["icc_profile"] == g.adobe_rgb_icc()
        assert im.tag_v2[271] == "EPSON" and im.tag_v2[272] == "Perfection V850"
        assert im.tag_v2[306] == "2023:10:15 19:01:00"
        im.load()
        # Pillow keeps the high byte, which is exactly the 8-bit scene
        assert ImageChops.difference(im, g.scan_image((64, 48), seed=3, label="1")).getbbox() is None
    tags = exif_tags(path.read_bytes())
    assert tags["Image Make"] == "EPSON" and tags["Image Software"] == "SilverFast 9.0"


def test_tiff16_rgb_low_bytes_carry_real_16_bit_data(tmp_path):
    img = g.scan_image((32, 8), seed=1)
    path = g.write_tiff16_rgb(tmp_path / "a.tif", img, seed=1)
    raw = path.read_bytes()
    with Image.open(path) as im:
        offsets, counts = im.tag_v2[273], im.tag_v2[279]
    pixels = b"".join(raw[o:o + n] for o, n in zip(offsets, counts))
    assert len(pixels) == 32 * 8 * 3 * 2
    samples = struct.unpack(f"<{len(pixels) // 2}H", pixels)
    assert [s >> 8 for s in samples] == list(img.tobytes())
    assert len({s & 0xFF for s in samples}) > 100  # low bytes are noise, not zero
    other = g.write_tiff16_rgb(tmp_path / "b.tif", img, seed=2)
    assert sha(other.read_bytes()) != sha(raw)


def test_tiff16_grey_is_pillow_i16(tmp_path):
    path = g.make_scan(tmp_path / "g.tif", (40, 30), mode="L", bits=16, seed=2,
                       exif=g.scanner_exif(g.EPSON))
    with Image.open(path) as im:
        assert im.mode == "I;16" and im.tag_v2[258] == (16,)
        assert im.tag_v2[271] == "EPSON"
        im.load()
        raw = im.tobytes()  # I;16 is little-endian: the high byte is the odd one
    assert raw[1::2] == g.scan_image((40, 30), mode="L", seed=2).tobytes()
    assert len(set(raw[0::2])) > 100


# --------------------------------------------------------------------------- ICC

# Expected sRGB values computed independently with the standard matrix math:
# AdobeRGB (gamma 563/256, the profile's D50 colorants) -> XYZ D50 -> Bradford to D65
# -> linear sRGB (IEC 61966-2-1 matrix) -> clip -> sRGB curve.
ADOBE_TO_SRGB = [
    ((128, 128, 128), (129, 129, 129)),
    ((64, 64, 64), (62, 62, 62)),
    ((200, 60, 40), (231, 57, 34)),
    ((60, 120, 200), (0, 121, 204)),
    ((30, 200, 90), (0, 201, 80)),
    ((0, 255, 0), (0, 255, 0)),  # out of sRGB gamut: clipped
    ((255, 255, 255), (255, 255, 255)),
    ((0, 0, 0), (0, 0, 0)),
]


def test_adobe_rgb_icc_is_a_valid_v2_profile():
    data = g.adobe_rgb_icc()
    assert struct.unpack(">I", data[:4])[0] == len(data)
    assert data[36:40] == b"acsp" and data[8] == 2 and data[12:20] == b"mntrRGB "
    profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    assert ImageCms.getProfileDescription(profile).strip() == "Adobe RGB (1998) compatible (filmflow test)"
    assert profile.profile.red_colorant[0][:3] == pytest.approx((0.6097, 0.3111, 0.0195), abs=2e-4)
    assert profile.profile.media_white_point[0][:3] == pytest.approx((0.9642, 1.0, 0.8249), abs=2e-4)


@pytest.mark.parametrize(("adobe", "srgb"), ADOBE_TO_SRGB)
def test_adobe_rgb_patches_convert_to_srgb(adobe, srgb):
    transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(g.adobe_rgb_icc())),
                                        ImageCms.createProfile("sRGB"), "RGB", "RGB")
    got = ImageCms.applyTransform(Image.new("RGB", (1, 1), adobe), transform).getpixel((0, 0))
    assert all(abs(a - b) <= 3 for a, b in zip(got, srgb)), (adobe, got, srgb)


def test_srgb_icc_loads_and_is_stable():
    profile = ImageCms.ImageCmsProfile(io.BytesIO(g.srgb_icc()))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    first = g.srgb_icc()
    g.srgb_icc.cache_clear()
    assert g.srgb_icc() == first  # creation date pinned: same bytes every build
    assert first[24:36] == struct.pack(">6H", 2023, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- scans and EXIF


def test_make_scan_differs_by_seed_and_label_and_repeats_exactly(tmp_path):
    a = g.make_scan(tmp_path / "a.jpg", seed=1, label="1").read_bytes()
    assert g.make_scan(tmp_path / "b.jpg", seed=1, label="1").read_bytes() == a
    assert g.make_scan(tmp_path / "c.jpg", seed=2, label="1").read_bytes() != a
    assert g.make_scan(tmp_path / "d.jpg", seed=1, label="2").read_bytes() != a


def test_make_scan_formats_modes_and_sizes(tmp_path):
    for name, fmt in (("a.jpg", "JPEG"), ("b.JPEG", "JPEG"), ("c.tif", "TIFF"), ("d.png", "PNG")):
        for mode in ("RGB", "L"):
            path = g.make_scan(tmp_path / mode / name, (90, 60), mode=mode, exif=g.scanner_exif(g.NORITSU))
            with Image.open(path) as im:
                assert (im.format, im.mode, im.size) == (fmt, mode, (90, 60))
                assert im.getexif()[0x010F] == "NORITSU KOKI"
                im.load()
    with pytest.raises(ValueError):
        g.make_scan(tmp_path / "x.gif")
    with pytest.raises(ValueError):
        g.make_scan(tmp_path / "x.jpg", bits=16)


def test_scan_looks_like_a_scene_not_a_flat_field():
    img = g.scan_image((300, 200), seed=5, label="12")
    stat_ = ImageStat.Stat(img)
    assert all(20 < m < 200 for m in stat_.mean)
    assert all(s > 15 for s in stat_.stddev)


def test_scanner_exif_round_trips_through_exifread(tmp_path):
    exif = g.scanner_exif(g.FRONTIER, "2023:08:15 17:01:30", Orientation=6, Artist="Kim",
                          BodySerialNumber="SN123", GPS=(37.5665, -126.978))
    path = g.make_scan(tmp_path / "f.jpg", exif=exif, icc=g.srgb_icc())
    tags = exif_tags(path.read_bytes())
    assert tags["Image Make"] == "FUJI PHOTO FILM CO., LTD."
    assert tags["Image Model"] == "SP-3000"
    assert tags["Image Software"] == "Frontier Controller"
    assert tags["Image DateTime"] == "2023:08:15 17:01:30"
    assert tags["Image Orientation"] == "Rotated 90 CW"
    assert tags["Image Artist"] == "Kim"
    assert tags["EXIF BodySerialNumber"] == "SN123"
    assert tags["GPS GPSLatitudeRef"] == "N" and tags["GPS GPSLongitudeRef"] == "W"
    with Image.open(path) as im:
        assert im.info["icc_profile"] == g.srgb_icc()
        assert im.getexif().get_ifd(g.IFD_GPS)[2][0] == 37


def test_make_roll_names_frames_and_is_reproducible(tmp_path):
    paths = g.make_roll(tmp_path / "r1", 4, size=(120, 80), scanner=g.FRONTIER)
    assert [p.name for p in paths] == ["000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg"]
    hashes = {sha(p.read_bytes()) for p in paths}
    assert len(hashes) == 4
    again = g.make_roll(tmp_path / "r2", 4, size=(120, 80), scanner=g.FRONTIER)
    assert {sha(p.read_bytes()) for p in again} == hashes
    other = g.make_roll(tmp_path / "r3", 4, size=(120, 80), scanner=g.FRONTIER, seed=1)
    assert not hashes & {sha(p.read_bytes()) for p in other}
    tifs = g.make_roll(tmp_path / "r4", 2, pattern="scan_{n:04d}.tif", start=7, size=(40, 40),
                       bits=16, icc=g.adobe_rgb_icc(), scanner=g.EPSON)
    assert [p.name for p in tifs] == ["scan_0007.tif", "scan_0008.tif"]
    with Image.open(tifs[0]) as im:
        assert im.tag_v2[258] == (16, 16, 16) and im.tag_v2[271] == "EPSON"


# --------------------------------------------------------------------------- broken files and zips


def test_truncated_jpeg_opens_but_fails_on_load(tmp_path):
    path = g.make_truncated(tmp_path / "000003.jpg")
    with Image.open(path) as im:
        assert im.format == "JPEG"
        with pytest.raises(OSError):
            im.load()


def test_zero_and_text_files_are_not_images(tmp_path):
    assert g.make_zero(tmp_path / "z.jpg").stat().st_size == 0
    for path in (tmp_path / "z.jpg", g.make_text_as_jpg(tmp_path / "t.jpg")):
        with pytest.raises(UnidentifiedImageError):
            Image.open(path)


def test_make_zip_is_deflated_and_deterministic(tmp_path):
    frame = g.make_scan(tmp_path / "f.jpg", (60, 40))
    a = g.make_zip(tmp_path / "a.zip", {"roll/000001.jpg": frame, "roll/notes.txt": b"hi"})
    b = g.make_zip(tmp_path / "b.zip", {"roll/000001.jpg": frame, "roll/notes.txt": b"hi"})
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == ["roll/000001.jpg", "roll/notes.txt"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        assert zf.read("roll/000001.jpg") == frame.read_bytes()


def test_bomb_zip_expands_far_beyond_its_size(tmp_path):
    path = g.make_bomb_zip(tmp_path / "bomb.zip", uncompressed_bytes=8 * 1024 * 1024)
    with zipfile.ZipFile(path) as zf:
        (info,) = zf.infolist()
        assert info.file_size == 8 * 1024 * 1024
    assert path.stat().st_size < 64 * 1024


def test_escaping_zip_holds_traversal_absolute_and_symlink_entries(tmp_path):
    path = g.make_escaping_zip(tmp_path / "evil.zip")
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert set(infos) == {"roll/000001.jpg", "../evil.jpg", "/abs.jpg", "link.jpg"}
    assert stat.S_ISLNK(infos["link.jpg"].external_attr >> 16)
    assert not stat.S_ISLNK(infos["roll/000001.jpg"].external_attr >> 16)
    with zipfile.ZipFile(g.make_escaping_zip(tmp_path / "evil2.zip", with_good=False)) as zf:
        assert "roll/000001.jpg" not in zf.namelist()


# --------------------------------------------------------------------------- sample_scans


def sample_images() -> dict[str, bytes]:
    """Every image in sample_scans (zip entries included), by relative path."""
    found: dict[str, bytes] = {}
    for path in sorted(SAMPLES.rglob("*")):
        rel = path.relative_to(SAMPLES).as_posix()
        if path.suffix.lower() in IMAGE_SUFFIXES:
            found[rel] = path.read_bytes()
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.startswith("__MACOSX/"):
                        found[f"{rel}/{name}"] = zf.read(name)
    return found


def test_sample_scans_is_small():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert 1_000_000 < total < 8 * 1024 * 1024


def test_sample_images_have_scanner_exif_and_are_unique():
    images = sample_images()
    assert len(images) == 12 + 10 + 9 + 3 + 6 + 5 + 3 + 3
    for rel, data in images.items():
        if rel == BAD_FILE:
            continue
        tags = exif_tags(data)
        assert tags.get("Image Make") and tags.get("Image Model"), rel
        assert tags.get("Image DateTime"), rel
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    assert len({sha(d) for d in images.values()}) == len(images)


def test_sample_scans_folders_hold_what_the_readme_promises():
    def names(folder: str) -> list[str]:
        return sorted(p.relative_to(SAMPLES / folder).as_posix()
                      for p in (SAMPLES / folder).rglob("*") if p.is_file())

    assert names("2023-05-01 Portra400 EI800 R042") == [f"{k:06d}.jpg" for k in range(1, 13)]
    with Image.open(SAMPLES / "2023-05-01 Portra400 EI800 R042/000007.jpg") as im:
        assert im.size == (600, 900)
    hp5 = names("HP5 Plus 120 Mamiya")
    assert hp5 == [f"HP5_120_{k:02d}.jpg" for k in range(1, 11)] + ["roll.toml"]
    with Image.open(SAMPLES / "HP5 Plus 120 Mamiya/HP5_120_01.jpg") as im:
        assert (im.mode, im.size) == ("L", (700, 560))
    sidecar = tomllib.loads((SAMPLES / "HP5 Plus 120 Mamiya/roll.toml").read_text("utf-8"))
    assert sidecar["code"] == "R043" and sidecar["ei"] == 1600 and sidecar["format"] == "6x7"
    assert str(sidecar["developed"]) == "2023-06-12" and sidecar["tags"] == ["night", "market"]
    seoul = names("포트라400 서울 산책 2023-07-02")
    assert {".DS_Store", "Thumbs.db", "extra/IMG_0009.JPG", "IMG_0001.JPG", "IMG_0008.JPG"} <= set(seoul)
    for k in range(1, 4):
        with Image.open(SAMPLES / f"2023-10-14 Portra160 6x6 home scan/scan_{k:04d}.tif") as im:
            assert im.tag_v2[258] == (16, 16, 16)
            assert im.info["icc_profile"] == g.adobe_rgb_icc()
    with zipfile.ZipFile(SAMPLES / "2023-08-15_Gold200_135.zip") as zf:
        jpgs = [n for n in zf.namelist() if n.endswith(".jpg") and not n.startswith("__MACOSX/")]
        assert jpgs == [f"2023-08-15_Gold200_135/{k:06d}.jpg" for k in range(1, 7)]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    with Image.open(SAMPLES / BAD_FILE) as im, pytest.raises(OSError):
        im.load()
    assert (SAMPLES / "README.md").is_file()
    for path in SAMPLES.rglob("*"):  # stored composed, as git and Linux tools see them
        assert path.name == unicodedata.normalize("NFC", path.name)


def test_sample_scan_dates_match_folder_names():
    for rel, data in sample_images().items():
        folder = rel.split("/")[0].removesuffix(".zip")
        if folder[:4].isdigit():
            folder_date = folder[:10].replace("_", "-")
            scan_date = exif_tags(data)["Image DateTime"][:10].replace(":", "-")
            assert scan_date >= folder_date, rel


def test_make_sample_scans_regenerates_the_shipped_tree(tmp_path):
    out = make_sample_scans.build(tmp_path / "samples")
    shipped = {p.relative_to(SAMPLES).as_posix(): p for p in SAMPLES.rglob("*") if p.is_file()}
    fresh = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    assert fresh.keys() == shipped.keys()
    for rel, path in fresh.items():
        if path.read_bytes() == shipped[rel].read_bytes():
            continue
        # another Pillow/libjpeg may encode differently: then the pixels must still match
        assert path.suffix.lower() in IMAGE_SUFFIXES and rel != BAD_FILE, rel
        with Image.open(path) as a, Image.open(shipped[rel]) as b:
            diff = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
            assert max(diff.mean) < 2, rel
