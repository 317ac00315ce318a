"""Metadata that travels: one table of frame/roll fields -> EXIF and XMP, for exports and sidecars.

The package: this module (the field table), `xmpio` (XMP packets through libexiv2),
`sidecars` (writing sidecars beside archived scans) and `sidecarread` (`xmp read`: taking in
what another tool changed).

What a frame's metadata means is decided here, once (SPEC "Metadata that travels",
../shared/formats/xmp.md); `filmflow.metadata.xmpio` reads, merges and writes XMP packets with
libexiv2 (python-exiv2), and `filmflow.export` embeds what `export_metadata` builds.

Dates keep the precision known: a shot time gives `exif:DateTimeOriginal` and
`photoshop:DateCreated` (`2024-10-03T10:02:00`, no zone); a shot date alone gives
`photoshop:DateCreated = 2024-10-03` in XMP and, since EXIF has no date-only form and DAMs
file a picture by its EXIF date, EXIF `DateTimeOriginal = 2024:10:03 00:00:00` (midnight
stands for "that day, time unknown"; the XMP date says so exactly). The camera is
Make/Model, never the scanner; ISO is the EI the roll was shot at.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from filmflow import __version__
from filmflow.stocks import format_push as stock_push

NS_ANALOGEXIF = "http://analogexif.sourceforge.net/ns"
NS_FILMFLOW = "https://filmflow.org/ns/1.0/"
NAMESPACES = {"AnalogExif": NS_ANALOGEXIF, "filmflow": NS_FILMFLOW}

# XMP properties filmflow owns in a sidecar: replaced on every write, everything else kept.
MANAGED_XMP = (
    "Xmp.xmp.Rating", "Xmp.digiKam.PickLabel", "Xmp.xmpDM.pick",
    "Xmp.dc.subject", "Xmp.lr.hierarchicalSubject", "Xmp.digiKam.TagsList",
    "Xmp.dc.title", "Xmp.dc.description", "Xmp.dc.creator", "Xmp.dc.rights",
    "Xmp.tiff.Make", "Xmp.tiff.Model", "Xmp.aux.Lens", "Xmp.exifEX.LensModel",
    "Xmp.exif.DateTimeOriginal", "Xmp.photoshop.DateCreated", "Xmp.exif.DateTimeDigitized",
    "Xmp.xmp.CreateDate", "Xmp.exif.ISOSpeedRatings",
    "Xmp.AnalogExif.Film", "Xmp.AnalogExif.FilmMaker", "Xmp.AnalogExif.FilmType",
    "Xmp.AnalogExif.DevelopProcess", "Xmp.AnalogExif.Developer", "Xmp.AnalogExif.Lab",
    "Xmp.AnalogExif.Scanner", "Xmp.AnalogExif.RollId", "Xmp.AnalogExif.ExposureNumber",
    "Xmp.filmflow.EI", "Xmp.filmflow.Push", "Xmp.filmflow.StockKey", "Xmp.filmflow.RollCode",
    "Xmp.filmflow.Frame",
)


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """What filmflow knows about one frame and its roll, as metadata sees it."""

    ref: str
    roll: str
    frame: str
    rating: int = 0
    pick: str = "no"
    tags: tuple[str, ...] = ()
    caption: str | None = None
    title: str | None = None
    stock: str | None = None
    stock_key: str | None = None
    film_maker: str | None = None
    format: str | None = None
    process: str | None = None
    developer: str | None = None
    lab: str | None = None
    scanner: str | None = None
    ei: int | None = None
    push: float | None = None
    camera: str | None = None
    lens: str | None = None
    shot: str | None = None       # "2024-10-03", "2024-10-03T10:02:00" or a UTC instant "...T01:02:00Z"
    scanned: str | None = None    # scan date(-time)
    artist: str | None = None
    copyright: str | None = None
    # capture data from a film log (catalog/logs.py); gps is (lat, lon), written only on request
    aperture: float | None = None
    shutter: str | None = None    # as logged: "1/250", '2"', "B"
    focal_length: float | None = None
    gps: tuple[float, float] | None = None
    place: str | None = None


def clean_text(text: str | None) -> str:
    """Drop control characters (not allowed in XML, useless in EXIF); newlines become spaces."""
    if not text:
        return ""
    return "".join(" " if c in "\r\n\t" else c for c in str(text) if c >= " " or c in "\r\n\t").strip()


def split_camera(camera: str | None) -> tuple[str | None, str | None]:
    """'Nikon FM2' -> ('Nikon', 'FM2'); 'Mamiya RB67 Pro S' -> ('Mamiya', 'RB67 Pro S'); 'FM2' -> (None, 'FM2')."""
    text = clean_text(camera)
    if not text:
        return None, None
    make, _, model = text.partition(" ")
    return (make, model.strip()) if model.strip() else (None, make)


def format_push(push: float | None) -> str | None:
    """+1, -1, 0, +0.7 (signed stops as text)."""
    if push is None:
        return None
    if abs(push - round(push)) < 0.01:
        return f"{int(round(push)):+d}" if round(push) else "0"
    return f"{push:+.1f}"


def exposure_number(frame: str) -> str | None:
    """AnalogExif:ExposureNumber takes integers only: '12' -> '12', '12A' -> None, '00' -> '0'."""
    return str(int(frame)) if frame.isdigit() else None


def film_type(fmt: str | None) -> str | None:
    """'120 6x7' -> '120'; '135' -> '135'; '4x5' -> '4x5'."""
    text = clean_text(fmt)
    return text.split()[0] if text else None


def tag_forms(tag: str) -> tuple[str, str, str]:
    """(dc:subject leaf, lr:hierarchicalSubject, digiKam:TagsList) for a filmflow tag.

    filmflow keeps a hierarchy with `|` (as Lightroom does): 'places|Seoul|Jongno' ->
    ('Jongno', 'places|Seoul|Jongno', 'places/Seoul/Jongno'); a `/` inside a name is not
    hierarchy in filmflow, so TagsList gets U+2215 for it: 'f/8' -> ('f/8', 'f/8', 'f∕8').
    """
    parts = [p.strip() for p in tag.split("|") if p.strip()] or [tag]
    return parts[-1], "|".join(parts), "/".join(p.replace("/", "\u2215") for p in parts)


_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_when(text: str | None) -> tuple[str, str | None] | None:
    """('2024-10-03', '10:02:00') or ('2024-10-03', None) for a date only; None if not a date."""
    m = _DATE_RE.match(text or "")
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    return f"{y}-{mo}-{d}", (f"{hh}:{mm}:{ss or '00'}" if hh else None)


def is_utc(text: str | None) -> bool:
    """A date-time that is a UTC instant (Film Rolls logs them so): '2024-10-03T01:02:00Z'."""
    when = parse_when(text)
    return bool(when and when[1] and str(text).strip().upper().endswith("Z"))


def _xmp_date(text: str | None) -> str | None:
    when = parse_when(text)
    if when is None:
        return None
    return when[0] if when[1] is None else f"{when[0]}T{when[1]}" + ("Z" if is_utc(text) else "")


def rational(value: float, max_den: int = 1000) -> str:
    """8 -> '8/1', 5.6 -> '28/5' (EXIF RATIONAL text for exiv2)."""
    f = Fraction(value).limit_denominator(max_den)
    return f"{f.numerator}/{f.denominator}"


def exposure_time(shutter: str | None) -> str | None:
    """The logged shutter text as an EXIF ExposureTime rational: '1/250' -> '1/250', '2"' -> '2/1'; 'B' -> None."""
    text = clean_text(shutter).rstrip('"').rstrip("s").strip()
    try:
        secs = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    if secs <= 0:
        return None
    f = secs.limit_denominator(100000) if secs.denominator > 100000 else secs
    return f"{f.numerator}/{f.denominator}"


def exposure_line(aperture: float | None, shutter: str | None, focal: float | None) -> str:
    """'f/8 · 1/250 · 50mm' from what the log has ('' when it has none of them)."""
    parts = [f"f/{aperture:g}" if aperture else "", clean_text(shutter), f"{focal:g}mm" if focal else ""]
    return " · ".join(p for p in parts if p)


def _dms(value: float) -> str:
    """37.5759 -> '37/1 34/1 3324/100' (degrees, minutes, hundredths of seconds)."""
    total = round(abs(value) * 360000)
    d, rest = divmod(total, 360000)
    m, cs = divmod(rest, 6000)
    return f"{d}/1 {m}/1 {cs}/100"


def gps_exif(lat: float, lon: float) -> dict[str, str]:
    """The EXIF GPS block for a logged position (export --keep-gps)."""
    return {"Exif.GPSInfo.GPSVersionID": "2 3 0 0",
            "Exif.GPSInfo.GPSLatitudeRef": "N" if lat >= 0 else "S", "Exif.GPSInfo.GPSLatitude": _dms(lat),
            "Exif.GPSInfo.GPSLongitudeRef": "E" if lon >= 0 else "W", "Exif.GPSInfo.GPSLongitude": _dms(lon),
            "Exif.GPSInfo.GPSMapDatum": "WGS-84"}


def xmp_values(m: FrameMeta, *, export: bool = False) -> dict[str, Any]:
    """The managed XMP properties for a frame: key -> text, list (bag/seq) or ('alt', text).

    Only keys with a value appear; `export` adds creator/rights (settings of the export).
    """
    make, model = split_camera(m.camera)
    lens = clean_text(m.lens) or None
    shot = _xmp_date(m.shot)
    scanned = _xmp_date(m.scanned)
    tags = [clean_text(t) for t in m.tags if clean_text(t)]
    forms = [tag_forms(t) for t in tags]
    v: dict[str, Any] = {
        "Xmp.xmp.Rating": "-1" if m.pick == "reject" else str(int(m.rating or 0)),
        "Xmp.digiKam.PickLabel": {"reject": "1", "yes": "3"}.get(m.pick),
        "Xmp.xmpDM.pick": {"reject": "-1", "yes": "1"}.get(m.pick),
        "Xmp.dc.subject": ("bag", list(dict.fromkeys(f[0] for f in forms))) if forms else None,
        "Xmp.lr.hierarchicalSubject": ("bag", [f[1] for f in forms]) if forms else None,
        "Xmp.digiKam.TagsList": ("seq", [f[2] for f in forms]) if forms else None,
        "Xmp.dc.title": ("alt", clean_text(m.title)) if clean_text(m.title) else None,
        "Xmp.dc.description": ("alt", clean_text(m.caption)) if clean_text(m.caption) else None,
        "Xmp.tiff.Make": make, "Xmp.tiff.Model": model,
        "Xmp.aux.Lens": lens, "Xmp.exifEX.LensModel": lens,
        "Xmp.exif.DateTimeOriginal": shot if shot and "T" in shot else None,
        "Xmp.photoshop.DateCreated": shot,
        "Xmp.exif.DateTimeDigitized": scanned if scanned and "T" in scanned else None,
        "Xmp.xmp.CreateDate": scanned,
        "Xmp.exif.ISOSpeedRatings": ("seq", [str(int(m.ei))]) if m.ei else None,
        "Xmp.AnalogExif.Film": clean_text(m.stock) or None,
        "Xmp.AnalogExif.FilmMaker": clean_text(m.film_maker) or None,
        "Xmp.AnalogExif.FilmType": film_type(m.format),
        "Xmp.AnalogExif.DevelopProcess": clean_text(m.process) or None,
        "Xmp.AnalogExif.Developer": clean_text(m.developer) or None,
        "Xmp.AnalogExif.Lab": clean_text(m.lab) or None,
        "Xmp.AnalogExif.Scanner": clean_text(m.scanner) or None,
        "Xmp.AnalogExif.RollId": clean_text(m.roll) or None,
        "Xmp.AnalogExif.ExposureNumber": exposure_number(m.frame),
        "Xmp.filmflow.EI": str(int(m.ei)) if m.ei else None,
        "Xmp.filmflow.Push": format_push(m.push),
        "Xmp.filmflow.StockKey": m.stock_key or None,
        "Xmp.filmflow.RollCode": clean_text(m.roll) or None,
        "Xmp.filmflow.Frame": clean_text(m.frame) or None,
    }
    if export:
        if clean_text(m.artist):
            v["Xmp.dc.creator"] = ("seq", [clean_text(m.artist)])
        if clean_text(m.copyright):
            v["Xmp.dc.rights"] = ("alt", clean_text(m.copyright))
    return {k: val for k, val in v.items() if val is not None}


def film_line(m: FrameMeta) -> str:
    """'Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/12'."""
    stock = m.stock or ""
    if m.ei:
        stock = f"{stock} @ EI {m.ei}".strip()
    push = stock_push(m.push)
    if push and stock:
        stock += f" ({push})"
    parts = [stock, m.format or "", m.camera or "", m.ref]
    return " · ".join(p.strip() for p in parts if p and p.strip())


def exif_values(m: FrameMeta, size: tuple[int, int] | None = None, *, gps: bool = False) -> dict[str, str]:
    """EXIF for an export (exiv2 key -> value text); validates clean with `exiftool -validate`.

    ImageDescription names the film; the caption is UserComment (`charset=Unicode`, the
    EXIF `undefined` type with its charset header) and XMP dc:description. A film log adds
    FNumber, ExposureTime, FocalLength and (with `gps`, export --keep-gps) the position; a
    logged UTC instant gets OffsetTimeOriginal +00:00, a local time none (no zone invented).
    """
    caption = clean_text(m.caption)
    desc = film_line(m)
    make, model = split_camera(m.camera)
    v: dict[str, str | None] = {
        "Exif.Image.ImageDescription": desc,
        "Exif.Photo.UserComment": f"charset=Unicode {caption}" if caption else None,
        "Exif.Image.Make": make, "Exif.Image.Model": model,
        "Exif.Image.XResolution": "300/1", "Exif.Image.YResolution": "300/1",
        "Exif.Image.ResolutionUnit": "2",
        "Exif.Image.Software": f"filmflow {__version__}",
        "Exif.Image.Artist": clean_text(m.artist) or None,
        "Exif.Image.Copyright": clean_text(m.copyright) or None,
        "Exif.Image.YCbCrPositioning": "1",
        "Exif.Photo.ExifVersion": "48 50 51 50",  # "0232"
        "Exif.Photo.FlashpixVersion": "48 49 48 48",  # "0100"
        "Exif.Photo.ComponentsConfiguration": "1 2 3 0",
        "Exif.Photo.ColorSpace": "1",  # sRGB: exports are converted to it
        "Exif.Photo.ISOSpeedRatings": str(int(m.ei)) if m.ei else None,
        "Exif.Photo.SensitivityType": "2" if m.ei else None,  # recommended exposure index
        "Exif.Photo.LensModel": clean_text(m.lens) or None,
        "Exif.Photo.FNumber": rational(m.aperture) if m.aperture else None,
        "Exif.Photo.ExposureTime": exposure_time(m.shutter),
        "Exif.Photo.FocalLength": rational(m.focal_length) if m.focal_length else None,
    }
    when = parse_when(m.shot)
    if when:
        v["Exif.Photo.DateTimeOriginal"] = f"{when[0].replace('-', ':')} {when[1] or '00:00:00'}"
        if is_utc(m.shot):
            v["Exif.Photo.OffsetTimeOriginal"] = "+00:00"
    if gps and m.gps is not None:
        v.update(gps_exif(*m.gps))
    scanned = parse_when(m.scanned)
    if scanned and scanned[1]:
        v["Exif.Photo.DateTimeDigitized"] = f"{scanned[0].replace('-', ':')} {scanned[1]}"
    if size:
        v["Exif.Photo.PixelXDimension"], v["Exif.Photo.PixelYDimension"] = str(size[0]), str(size[1])
    return {k: val for k, val in v.items() if val is not None}


@functools.cache
def exiv2_module():  # noqa: ANN201 - the exiv2 module, namespaces registered
    """python-exiv2, with the AnalogExif and filmflow namespaces registered (once per process)."""
    import exiv2

    exiv2.XmpParser.initialize()
    exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
    for prefix, uri in NAMESPACES.items():
        try:
            exiv2.XmpProperties.ns(prefix)
        except exiv2.Exiv2Error:
            exiv2.XmpProperties.registerNs(uri, prefix)
    return exiv2
