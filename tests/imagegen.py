"""Test image generators: film-scan-like JPEG/TIFF/PNG files, scanner EXIF, ICC profiles, broken files, zips.

Pillow only (no numpy). Every generated frame is a gradient "scene" with seeded shapes,
an optional big label (the frame number) and seeded grain, so frames with a different
seed or label always differ byte for byte (ingest deduplicates by SHA-256), while the
same arguments always give the same bytes (handy for duplicate tests).

Like Pillow's own ``hopper()``, the base scene is built once per size and callers
get copies (greyscale frames are drawn in RGB and converted, so one cache serves both). Pillow cannot write 16-bit-per-channel RGB, so
:func:`write_tiff16_rgb` writes a small baseline TIFF by hand.

These helpers write files directly (not through ``fsutil.atomic_write``): they are
fixtures, and watcher tests sometimes want to see a file being written.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import struct
import zipfile
from pathlib import Path

from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "NORITSU",
    "FRONTIER",
    "EPSON",
    "scanner_exif",
    "srgb_icc",
    "adobe_rgb_icc",
    "make_scan",
    "scan_image",
    "write_tiff16_rgb",
    "make_roll",
    "make_zero",
    "make_truncated",
    "make_text_as_jpg",
    "make_zip",
    "make_bomb_zip",
    "make_escaping_zip",
]

NORITSU = {"Make": "NORITSU KOKI", "Model": "EZ Controller", "Software": "EZController 5.2"}
FRONTIER = {"Make": "FUJI PHOTO FILM CO., LTD.", "Model": "SP-3000", "Software": "Frontier Controller"}
EPSON = {"Make": "EPSON", "Model": "Perfection V850", "Software": "SilverFast 9.0"}

IFD_EXIF = 0x8769
IFD_GPS = 0x8825

# Tags that live in IFD0 (the image's own directory); every other named tag goes to the Exif IFD.
_IFD0_NAMES = {
    "Make", "Model", "Software", "DateTime", "Orientation", "Artist", "Copyright",
    "ImageDescription", "HostComputer", "XResolution", "YResolution", "ResolutionUnit",
}

_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".png": "PNG"}


# --------------------------------------------------------------------------- EXIF


def _tag_id(name: str | int, table: type = ExifTags.Base) -> int:
    if isinstance(name, int):
        return name
    try:
        return int(table[name])
    except KeyError:
        raise ValueError(f"unknown EXIF tag name {name!r}") from None


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = round(((value - deg) * 60 - minutes) * 60, 2)
    return (float(deg), float(minutes), float(seconds))


def scanner_exif(scanner: dict, when: str = "2023:05:03 14:22:10", **extra: object) -> Image.Exif:
    """EXIF as a film scanner writes it: Make/Model/Software/DateTime, plus any `extra` tags.

    `extra` keys are EXIF tag names (``Orientation=6``, ``Artist="Kim"``,
    ``BodySerialNumber="123"``, ``LensModel=...``). IFD0 tags go in IFD0, others in
    the Exif IFD. ``GPS=(lat, lon)`` writes a GPS IFD; ``GPSInfo={name: value}`` writes
    raw GPS tags. A scanner key set to None leaves that tag out.
    """
    exif = Image.Exif()
    for name in ("Make", "Model", "Software"):
        if scanner.get(name) is not None:
            exif[_tag_id(name)] = scanner[name]
    if when:
        exif[_tag_id("DateTime")] = when
    for name, value in extra.items():
        if name == "GPS":
            lat, lon = value  # type: ignore[misc]
            gps = exif.get_ifd(IFD_GPS)
            gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
            gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
            gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
            gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
            gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
        elif name == "GPSInfo":
            gps = exif.get_ifd(IFD_GPS)
            for gname, gvalue in value.items():  # type: ignore[attr-defined]
                gps[_tag_id(gname, ExifTags.GPS)] = gvalue
        elif name in _IFD0_NAMES:
            exif[_tag_id(name)] = value
        else:
            exif.get_ifd(IFD_EXIF)[_tag_id(name)] = value
    return exif


# --------------------------------------------------------------------------- ICC


@functools.cache
def srgb_icc() -> bytes:
    """The sRGB profile LittleCMS builds (``ImageCms.createProfile("sRGB")``), as bytes.

    LittleCMS stamps the creation time into the header, so the date is pinned and the
    profile ID (an MD5) recomputed: the same code always writes the same bytes.
    """
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = struct.pack(">6H", 2023, 1, 1, 0, 0, 0)
    if any(icc[84:100]):  # a v4 profile ID: MD5 with flags, intent and ID zeroed
        masked = bytearray(icc)
        for lo, hi in ((44, 48), (64, 68), (84, 100)):
            masked[lo:hi] = bytes(hi - lo)
        icc[84:100] = hashlib.md5(bytes(masked)).digest()
    return bytes(icc)


def _s15f16(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _desc_tag(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return (
        b"desc" + b"\0" * 4
        + struct.pack(">I", len(ascii_)) + ascii_
        + struct.pack(">II", 0, 0)          # Unicode language code, count
        + struct.pack(">HB", 0, 0)          # ScriptCode code, count
        + b"\0" * 67
    )


def _text_tag(text: str) -> bytes:
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


@functools.cache
def adobe_rgb_icc() -> bytes:
    """A hand-built ICC v2 matrix/TRC display profile with Adobe RGB (1998) primaries.

    Colorants are the D50-adapted values of the real profile, gamma 563/256 = 2.19921875.
    """
    gamma = _pad4(b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563))
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _desc_tag("Adobe RGB (1998) compatible (filmflow test)")),
        (b"cprt", _text_tag("No copyright, test profile for filmflow")),
        (b"wtpt", _xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz_tag(0.6097, 0.3111, 0.0195)),
        (b"gXYZ", _xyz_tag(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", _xyz_tag(0.1492, 0.0632, 0.7446)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    table = b""
    data = b""
    offset = 128 + 4 + 12 * len(tags)
    shared: dict[bytes, int] = {}
    for sig, body in tags:
        body = _pad4(body)
        if body in shared:  # the three TRCs share one curve, as in the real profile
            at = shared[body]
        else:
            at = offset + len(data)
            shared[body] = at
            data += body
        table += sig + struct.pack(">II", at, len(body))
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"none"                       # preferred CMM
        + bytes([2, 0x10, 0, 0])        # version 2.1.0
        + b"mntr" + b"RGB " + b"XYZ "
        + struct.pack(">6H", 2023, 1, 1, 0, 0, 0)
        + b"acsp" + b"APPL"
        + b"\0" * 4                     # flags
        + b"none" + b"\0" * 4           # device manufacturer, model
        + b"\0" * 8                     # attributes
        + struct.pack(">I", 0)          # rendering intent: perceptual
        + _s15f16(0.9642) + _s15f16(1.0) + _s15f16(0.8249)
        + b"none"                       # creator
        + b"\0" * 16 + b"\0" * 28       # profile ID (v4 only), reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


# --------------------------------------------------------------------------- scenes


@functools.lru_cache(maxsize=16)
def _base_rgb(size: tuple[int, int]) -> Image.Image:
    """Sky-to-ground gradient with a vignette: the shared, never-mutated base scene."""
    w, h = size
    grad = Image.linear_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    sky = Image.merge("RGB", (
        grad.point(lambda v: 70 + v * 150 // 255),
        grad.point(lambda v: 110 + v * 100 // 255),
        grad.point(lambda v: 190 - v * 40 // 255),
    ))
    ground = Image.merge("RGB", (
        grad.point(lambda v: 120 - v * 80 // 255),
        grad.point(lambda v: 100 - v * 60 // 255),
        grad.point(lambda v: 70 - v * 45 // 255),
    ))
    horizon = h * 62 // 100
    img = sky.copy()
    img.paste(ground.crop((0, 0, w, h - horizon)).resize((w, h - horizon)), (0, horizon))
    vignette = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: 0 if v < 150 else min(255, (v - 150) * 2))
    return Image.composite(Image.new("RGB", size, (10, 8, 12)), img, vignette)


@functools.lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=px)


def _grain(size: tuple[int, int], rng: random.Random, strength: int) -> Image.Image:
    """Seeded, slightly clumped noise centred on 128 (added with an offset of -128)."""
    w, h = size
    noise = Image.frombytes("L", (w, h), rng.randbytes(w * h))
    lo = 128 - strength
    span = 2 * strength
    noise = noise.point(lambda v: lo + v * span // 255)
    return noise.filter(ImageFilter.GaussianBlur(0.7))


def scan_image(size: tuple[int, int] = (600, 400), *, mode: str = "RGB", seed: int = 0,
               label: str | None = None, grain: int = 18) -> Image.Image:
    """A film-scan-like image in memory: scene varied by `seed`, big `label`, seeded grain."""
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', not {mode!r}")
    size = (int(size[0]), int(size[1]))
    w, h = size
    rng = random.Random(seed)
    img = _base_rgb(size).copy()
    draw = ImageDraw.Draw(img)
    # a sun or a moon
    r = rng.randint(min(w, h) // 16, min(w, h) // 7)
    cx, cy = rng.randint(r, w - r), rng.randint(r, h * 45 // 100)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 236, 190))
    # two ranges of hills
    for layer, colour in enumerate(((74, 92, 80), (44, 58, 46))):
        base_y = h * (55 + 10 * layer) // 100
        pts = [(0, h)]
        steps = 8
        for i in range(steps + 1):
            pts.append((w * i // steps, base_y - rng.randint(0, h // 6)))
        pts.append((w, h))
        draw.polygon(pts, fill=colour)
    # a few lit windows / market stalls
    for _ in range(rng.randint(3, 7)):
        bw, bh = rng.randint(w // 30, w // 10), rng.randint(h // 12, h // 4)
        x0, y1 = rng.randint(0, w - bw), rng.randint(h * 75 // 100, h)
        shade = rng.randint(30, 90)
        draw.rectangle((x0, y1 - bh, x0 + bw, y1), fill=(shade, shade - 10, shade - 20))
        draw.rectangle((x0 + bw // 4, y1 - bh * 3 // 4, x0 + bw * 3 // 4, y1 - bh // 2),
                       fill=(255, 200, 110))
    if label:
        font = _font(max(12, h // 4))
        x, y = w * 6 // 100, h * 68 // 100
        draw.text((x + 3, y + 3), label, font=font, fill=(0, 0, 0), anchor="lm")
        draw.text((x, y), label, font=font, fill=(245, 240, 228), anchor="lm")
    # per-frame colour balance, as a lab's scanner operator would vary it
    shifts = [rng.randint(-14, 14) for _ in range(3)]
    img = Image.merge("RGB", [
        band.point(lambda v, s=s: max(0, min(255, v + s))) for band, s in zip(img.split(), shifts)
    ])
    if mode == "L":
        img = img.convert("L")
    if grain:
        noise = _grain(size, rng, grain)
        if mode == "RGB":
            noise = Image.merge("RGB", (noise, noise, noise))
        img = _add_centred(img, noise)
    return img


def _add_centred(img: Image.Image, noise: Image.Image) -> Image.Image:
    return ImageChops.add(img, noise, scale=1.0, offset=-128)


# --------------------------------------------------------------------------- writers


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        names = {"JPG": "JPEG", "JPEG": "JPEG", "TIF": "TIFF", "TIFF": "TIFF", "PNG": "PNG"}
        try:
            return names[fmt.upper()]
        except KeyError:
            raise ValueError(f"unsupported image format {fmt!r}; use JPEG, TIFF or PNG") from None
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"cannot tell the image format from {path.name!r}; pass fmt=") from None


def _exif_ascii_tags(exif: Image.Exif | None) -> dict[int, object]:
    if exif is None:
        return {}
    # IFD0 only: the Exif/GPS sub-IFD pointers (and their tags) are not carried over
    return {tag: value for tag, value in exif.items()
            if isinstance(value, (str, int)) and tag not in (IFD_EXIF, IFD_GPS)}


def make_scan(path: Path, size: tuple[int, int] = (600, 400), fmt: str | None = None, *,
              mode: str = "RGB", bits: int = 8, exif: Image.Exif | None = None,
              icc: bytes | None = None, seed: int = 0, label: str | None = None,
              quality: int = 90, grain: int = 18) -> Path:
    """Write a film-scan-like image to `path` (JPEG/TIFF/PNG by suffix or `fmt`); return the path.

    ``bits=16`` writes a 16-bit TIFF: mode "L" as Pillow ``I;16``, mode "RGB" through
    :func:`write_tiff16_rgb`.
    """
    path = Path(path)
    fmt = _format_for(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = scan_image(size, mode=mode, seed=seed, label=label, grain=grain)
    if bits == 16:
        if fmt != "TIFF":
            raise ValueError(f"16-bit scans are written as TIFF only, not {fmt} ({path.name})")
        if mode == "RGB":
            return write_tiff16_rgb(path, img, seed=seed, exif_tags=_exif_ascii_tags(exif), icc=icc)
        img = _to_i16(img, seed)
    elif bits != 8:
        raise ValueError(f"bits must be 8 or 16, not {bits}")
    params: dict[str, object] = {}
    if exif is not None:
        params["exif"] = exif
    if icc is not None:
        params["icc_profile"] = icc
    if fmt == "JPEG":
        params.update(quality=quality, subsampling="4:2:0")
    elif fmt == "TIFF":
        params["compression"] = "raw"
    img.save(path, fmt, **params)
    return path


def _to_i16(img8: Image.Image, seed: int) -> Image.Image:
    """8-bit L → I;16: the 8-bit value in the high byte, seeded noise in the low byte."""
    hi = img8.tobytes()
    out = bytearray(2 * len(hi))
    out[1::2] = hi  # I;16 is little-endian: low byte first
    out[0::2] = random.Random(seed ^ 0x5EED).randbytes(len(hi))
    return Image.frombytes("I;16", img8.size, bytes(out))


# TIFF field types
_ASCII, _SHORT, _LONG, _RATIONAL, _UNDEFINED = 2, 3, 4, 5, 7

_TIFF_NAMES = {"Make": 271, "Model": 272, "Software": 305, "DateTime": 306, "Artist": 315,
               "Orientation": 274, "Copyright": 33432, "ImageDescription": 270}


def write_tiff16_rgb(path: Path, img8: Image.Image, *, seed: int = 0,
                     exif_tags: dict | None = None, icc: bytes | None = None,
                     dpi: int = 2400) -> Path:
    """Write `img8` (RGB) as an uncompressed 48-bit baseline TIFF; return the path.

    Each 16-bit sample is the 8-bit value in the high byte plus a seeded low byte, so
    Pillow (which keeps the high byte) reads back exactly `img8`. `exif_tags` maps tag
    ids or names (Make, Model, Software, DateTime, Artist, Orientation, ...) to str
    (ASCII) or int (SHORT/LONG) values; `icc` goes in tag 34675. Only IFD0 tags: no
    Exif/GPS sub-IFDs.
    """
    path = Path(path)
    if img8.mode != "RGB":
        img8 = img8.convert("RGB")
    w, h = img8.size
    hi = img8.tobytes()
    data = bytearray(2 * len(hi))
    data[1::2] = hi  # little-endian ("II"): low byte first
    data[0::2] = random.Random(seed ^ 0x7A6).randbytes(len(hi))
    row_bytes = w * 6
    rows_per_strip = max(1, (256 * 1024) // row_bytes)
    strips = [(y, min(rows_per_strip, h - y)) for y in range(0, h, rows_per_strip)]

    entries: list[tuple[int, int, int, bytes]] = []  # (tag, type, count, payload)

    def add(tag: int, typ: int, values: object) -> None:
        if typ == _ASCII:
            payload = str(values).encode("ascii", "replace") + b"\0"
            entries.append((tag, typ, len(payload), payload))
        elif typ == _UNDEFINED:
            entries.append((tag, typ, len(values), bytes(values)))  # type: ignore[arg-type]
        else:
            vals = list(values) if isinstance(values, (list, tuple)) else [values]
            fmt = {_SHORT: "H", _LONG: "I", _RATIONAL: "II"}[typ]
            flat: list[int] = []
            for v in vals:
                flat.extend(v if isinstance(v, tuple) else (v,))
            count = len(vals)
            entries.append((tag, typ, count, struct.pack("<" + fmt * count, *flat)))

    add(256, _LONG, w)
    add(257, _LONG, h)
    add(258, _SHORT, [16, 16, 16])
    add(259, _SHORT, 1)
    add(262, _SHORT, 2)
    for key, value in (exif_tags or {}).items():
        tag = _TIFF_NAMES.get(key, key) if isinstance(key, str) else key
        if not isinstance(tag, int):
            raise ValueError(f"unknown TIFF tag name {key!r}")
        if isinstance(value, int):
            add(tag, _SHORT if 0 <= value <= 0xFFFF else _LONG, value)
        else:
            add(tag, _ASCII, value)
    add(273, _LONG, [0] * len(strips))  # StripOffsets, patched below
    add(277, _SHORT, 3)
    add(278, _LONG, rows_per_strip)
    add(279, _LONG, [n * row_bytes for _, n in strips])
    add(282, _RATIONAL, [(dpi, 1)])
    add(283, _RATIONAL, [(dpi, 1)])
    add(284, _SHORT, 1)
    add(296, _SHORT, 2)
    if icc:
        add(34675, _UNDEFINED, icc)
    entries.sort(key=lambda e: e[0])

    # layout: header | IFD | out-of-line values | strips
    ifd_off = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra_off = ifd_off + ifd_size
    extra = bytearray()
    offsets: dict[int, int] = {}
    for tag, _typ, _count, payload in entries:
        if len(payload) > 4:
            if (extra_off + len(extra)) % 2:
                extra += b"\0"
            offsets[tag] = extra_off + len(extra)
            extra += payload
    data_off = extra_off + len(extra)
    data_off += data_off % 2
    strip_offsets = [data_off + y * row_bytes for y, _ in strips]
    so_payload = struct.pack("<" + "I" * len(strip_offsets), *strip_offsets)
    if 273 in offsets:
        at = offsets[273] - extra_off
        extra[at:at + len(so_payload)] = so_payload

    ifd = bytearray(struct.pack("<H", len(entries)))
    for tag, typ, count, payload in entries:
        if tag == 273 and 273 not in offsets:
            payload = so_payload
        if len(payload) > 4:
            value = struct.pack("<I", offsets[tag])
        else:
            value = payload.ljust(4, b"\0")
        ifd += struct.pack("<HHI", tag, typ, count) + value
    ifd += struct.pack("<I", 0)

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", ifd_off))
        f.write(ifd)
        f.write(extra)
        f.write(b"\0" * (data_off - extra_off - len(extra)))
        f.write(data)
    return path


def make_roll(folder: Path, n: int, *, pattern: str = "{n:06d}.jpg", start: int = 1,
              size: tuple[int, int] = (600, 400), scanner: dict = NORITSU,
              when: str = "2023:05:03 14:22:10", seed: int = 0, **kw: object) -> list[Path]:
    """Write `n` frames named by `pattern` (``{n}`` = frame number) into `folder`; return their paths.

    Frame k gets label ``str(k)`` and seed ``seed * 100_003 + k``, so rolls with the same
    arguments are byte-identical and rolls with another seed are not. ``scanner=None``
    writes no EXIF. Extra keywords go to :func:`make_scan` (mode, bits, icc, quality, fmt,
    grain, label, exif).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(start, start + n):
        options = dict(kw)
        if "exif" in options:
            exif = options.pop("exif")
        else:
            exif = scanner_exif(scanner, when) if scanner is not None else None
        label = options.pop("label") if "label" in options else str(k)
        paths.append(make_scan(folder / pattern.format(n=k), size, exif=exif, label=label,
                               seed=seed * 100_003 + k, **options))  # type: ignore[arg-type]
    return paths


# --------------------------------------------------------------------------- broken files


def make_zero(path: Path) -> Path:
    """An empty (zero-byte) file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def make_truncated(path: Path, size: tuple[int, int] = (600, 400), *, seed: int = 0,
                   scanner: dict = NORITSU, when: str = "2023:05:03 14:22:10",
                   label: str = "X") -> Path:
    """A real JPEG (with scanner EXIF) cut in half: opens, but ``load()`` raises OSError."""
    path = Path(path)
    buf = io.BytesIO()
    scan_image(size, seed=seed, label=label).save(buf, "JPEG", quality=90,
                                                  exif=scanner_exif(scanner, when))
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: len(data) // 2])
    return path


def make_text_as_jpg(path: Path) -> Path:
    """A text file wearing a .jpg name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("This is not a JPEG, it is a note from the lab.\n", encoding="utf-8")
    return path


_ZIP_TIME = (2023, 8, 15, 12, 0, 0)


def _zinfo(name: str, *, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so external_attr carries the mode
    info.external_attr = mode << 16
    return info


def make_zip(zip_path: Path, files: dict[str, bytes | Path]) -> Path:
    """A deflated zip whose entries are `files` (name → bytes, or a Path to read); deterministic."""
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            data = Path(content).read_bytes() if isinstance(content, Path) else content
            zf.writestr(_zinfo(name), data)
    return zip_path


def make_bomb_zip(zip_path: Path, uncompressed_bytes: int = 64 * 1024 * 1024,
                  name: str = "bomb/000001.jpg") -> Path:
    """A zip with one highly compressible entry of `uncompressed_bytes` (zeros after a JPEG SOI)."""
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open(_zinfo(name), "w", force_zip64=uncompressed_bytes > 0x7FFFFFFF) as f:
            left = uncompressed_bytes
            head = b"\xff\xd8\xff\xe0"[: min(4, left)]
            f.write(head)
            left -= len(head)
            while left > 0:
                f.write(chunk[: min(len(chunk), left)])
                left -= min(len(chunk), left)
    return zip_path


def make_escaping_zip(zip_path: Path, *, with_good: bool = True) -> Path:
    """A zip whose entries try to escape: ``../evil.jpg``, ``/abs.jpg``, symlink ``link.jpg``.

    With `with_good` it also holds one harmless frame ``roll/000001.jpg``.
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    scan_image((120, 80), seed=666, label="!").save(buf, "JPEG", quality=80,
                                                   exif=scanner_exif(FRONTIER))
    jpeg = buf.getvalue()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        if with_good:
            zf.writestr(_zinfo("roll/000001.jpg"), jpeg)
        zf.writestr(_zinfo("../evil.jpg"), jpeg)
        zf.writestr(_zinfo("/abs.jpg"), jpeg)
        link = _zinfo("link.jpg", mode=0o120777)
        link.compress_type = zipfile.ZIP_STORED
        zf.writestr(link, "../../../../etc/passwd")
    return zip_path
