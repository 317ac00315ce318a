"""XMP packets through libexiv2: load a sidecar safely, read curation from it, merge and write it.

libexiv2 (python-exiv2) is what darktable, digiKam and gThumb read metadata with, so a
packet it writes is one they read. A merge keeps every property filmflow does not manage
(a darktable history stack, Lightroom develop settings): only `metadata.MANAGED_XMP`
keys are replaced. Untrusted packets are checked before parsing: a size cap, no DTD or
entity declarations (the XML-bomb shapes), UTF-8/16 only; a bad one raises XmpError
naming the file, which callers turn into a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmflow.errors import FilmflowError
from filmflow.metadata import MANAGED_XMP, exiv2_module

log = logging.getLogger(__name__)

MAX_SIDECAR_BYTES = 8 << 20
_MANAGED = frozenset(MANAGED_XMP)  # darktable history stacks run to a few hundred kB


class XmpError(FilmflowError):
    """A sidecar or embedded packet that cannot be read (the scan itself is fine)."""


@dataclass(frozen=True, slots=True)
class XmpCuration:
    """What a packet says about a frame's curation; None = the packet does not say."""

    rating: int | None = None
    pick: str | None = None
    tags: tuple[str, ...] | None = None
    tag_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title: str | None = None
    caption: str | None = None

    def fields(self) -> dict[str, Any]:
        """The fields this packet sets (rating, pick, tags, title, caption)."""
        out = {k: getattr(self, k) for k in ("rating", "pick", "tags", "title", "caption")}
        return {k: v for k, v in out.items() if v is not None}


def check_packet(data: bytes, name: str) -> str:
    """The packet as text, or XmpError when it is too big, not UTF-8/16 or declares a DTD/entities."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise XmpError(f"{name}: XMP of {len(data) >> 20} MB is larger than {MAX_SIDECAR_BYTES >> 20} MB; "
                       "it was left out (the scan is ingested); trim it in the program that wrote it.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise XmpError(f"{name}: XMP is not UTF-8 text (XMP must be); it was left out; "
                       "re-save it from the program that wrote it.")
    head = text.upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in head:
        raise XmpError(f"{name}: XMP declares a DTD or entities (not allowed in XMP, an XML-bomb shape); "
                       "it was left out.")
    return text


def decode(data: bytes, name: str):  # noqa: ANN201 - exiv2.XmpData
    """Parse a packet (checked first) into exiv2 XmpData; XmpError when it is not valid XMP."""
    text = check_packet(data, name)
    exiv2 = exiv2_module()
    try:
        img = exiv2.ImageFactory.open(text.encode("utf-8"))
        img.readMetadata()
        out = exiv2.XmpData()
        for d in img.xmpData():  # a copy that outlives `img`
            out.add(d)
        return out
    except exiv2.Exiv2Error as e:
        raise XmpError(f"{name}: not valid XMP ({_reason(e)}); filmflow leaves it as it is: "
                       "re-save it from the program that wrote it, or delete it.") from None


def _reason(e: Exception) -> str:
    """libexiv2's message without its error-code tuple."""
    args = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], tuple) else e.args
    return str(args[-1]) if args else str(e)


def _set(xd, key: str, value: Any) -> None:  # noqa: ANN001
    exiv2 = exiv2_module()
    if isinstance(value, tuple):
        kind, items = value
        if kind == "alt":
            xd[key] = f'lang="x-default" {items}'
            return
        v = exiv2.XmpArrayValue(exiv2.TypeId.xmpBag if kind == "bag" else exiv2.TypeId.xmpSeq)
        for item in items:
            v.read(item)
        xd.add(exiv2.XmpKey(key), v)
    else:
        xd[key] = str(value)


def encode(values: dict[str, Any], base=None, *, wrapper: bool = True) -> bytes:  # noqa: ANN001
    """A packet holding `values` (metadata.xmp_values) merged over `base` XmpData (kept otherwise)."""
    exiv2 = exiv2_module()
    xd = exiv2.XmpData()
    if base is not None:
        for d in base:
            if d.key() not in _MANAGED:
                xd.add(d)
    for key, value in values.items():
        _set(xd, key, value)
    flags = exiv2.XmpParser.XmpFormatFlags
    fmt = flags.useCompactFormat | (0 if wrapper else flags.omitPacketWrapper)
    rc, packet = exiv2.XmpParser.encode(xd, fmt, 0)
    if rc != 0:
        raise XmpError(f"cannot encode XMP (exiv2 code {rc}).")
    return packet.encode("utf-8")


def _text(xd, key: str) -> str | None:  # noqa: ANN001
    exiv2 = exiv2_module()
    it = xd.findKey(exiv2.XmpKey(key))
    if it == xd.end():
        return None
    return it.toString()


def _items(xd, key: str) -> tuple[str, ...] | None:  # noqa: ANN001
    exiv2 = exiv2_module()
    it = xd.findKey(exiv2.XmpKey(key))
    if it == xd.end():
        return None
    return tuple(it.toString(i) for i in range(it.count()))


def _alt(xd, key: str) -> str | None:  # noqa: ANN001
    exiv2 = exiv2_module()
    it = xd.findKey(exiv2.XmpKey(key))
    if it == xd.end():
        return None
    v = it.value()
    try:
        return v.toString("x-default") or None
    except (TypeError, AttributeError, exiv2.Exiv2Error):
        text = it.toString()
        return text.split(" ", 1)[1] if text.startswith("lang=") and " " in text else text


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text not in (None, "") else None
    except ValueError:
        return None


def read_curation(xd, previous: dict[str, tuple[str, ...]] | None = None) -> XmpCuration:  # noqa: ANN001
    """Rating, pick, tags, title and caption from XmpData (formats/xmp.md's read rules).

    Tags: digiKam:TagsList, else lr:hierarchicalSubject, else dc:subject; when `previous`
    (the lists as filmflow last wrote them) is given, the first list that changed wins,
    since darktable rewrites hierarchicalSubject and never TagsList.
    """
    rating = _int(_text(xd, "Xmp.xmp.Rating"))
    label = _int(_text(xd, "Xmp.digiKam.PickLabel"))
    dm = _int(_text(xd, "Xmp.xmpDM.pick"))
    pick = None
    if label is not None:
        pick = {1: "reject", 3: "yes"}.get(label, "no")
    elif rating == -1 or dm == -1:
        pick = "reject"
    elif dm == 1:
        pick = "yes"
    stars = rating if rating is not None and 0 <= rating <= 5 else None
    lists = {
        "TagsList": tuple(t.replace("/", "|").replace("\u2215", "/") for t in _items(xd, "Xmp.digiKam.TagsList") or ()),
        "hierarchicalSubject": _items(xd, "Xmp.lr.hierarchicalSubject") or (),
        "subject": _items(xd, "Xmp.dc.subject") or (),
    }
    present = [(k, v) for k, v in lists.items() if v or (previous and previous.get(k))]
    tags = None
    if previous:
        changed = [(k, v) for k, v in present if tuple(v) != tuple(previous.get(k, ()))]
        if changed:
            tags = changed[0][1]
        elif present:
            tags = present[0][1]
    elif present:
        tags = present[0][1]
    clean = tuple(dict.fromkeys(t.strip() for t in tags if t.strip())) if tags is not None else None
    return XmpCuration(rating=stars, pick=pick, tags=clean, tag_lists=lists,
                       title=_alt(xd, "Xmp.dc.title"), caption=_alt(xd, "Xmp.dc.description"))


def load_sidecar(path: Path):  # noqa: ANN201 - (XmpData, raw bytes)
    """Read and parse a sidecar; XmpError naming it when it is unreadable or malformed."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SIDECAR_BYTES + 1)
    except OSError as e:
        raise XmpError(f"{path}: cannot be read ({e.strerror or e}); check its permissions.") from None
    return decode(data, str(path)), data


def read_embedded(path: Path):  # noqa: ANN201 - exiv2.XmpData or None
    """XMP embedded in a scan (and IPTC keywords/caption mapped in), read-only; None if none."""
    exiv2 = exiv2_module()
    try:
        img = exiv2.ImageFactory.open(str(path))
        img.readMetadata()
    except exiv2.Exiv2Error as e:
        if e.code == exiv2.ErrorCode.kerFileContainsUnknownImageType:
            log.debug("%s: a format exiv2 does not read; no embedded XMP taken", path)
            return None
        raise XmpError(f"{path}: its embedded metadata cannot be read ({_reason(e)}); "
                       "the scan is catalogued without it.") from None
    xd = exiv2.XmpData()
    for d in img.xmpData():
        xd.add(d)
    iptc = img.iptcData()
    if xd.count() == 0 and iptc.count():
        words = [d.toString() for d in iptc if d.key() == "Iptc.Application2.Keywords"]
        if words:
            _set(xd, "Xmp.dc.subject", ("bag", words))
        for key, xkey in (("Iptc.Application2.Caption", "Xmp.dc.description"),
                          ("Iptc.Application2.ObjectName", "Xmp.dc.title")):
            it = iptc.findKey(exiv2.IptcKey(key))
            if it != iptc.end() and it.toString().strip():
                _set(xd, xkey, ("alt", it.toString().strip()))
    return xd if xd.count() else None


def embed_jpeg(jpeg: bytes, exif: dict[str, str], xmp: bytes, gps_from: Path | None = None) -> bytes:
    """The JPEG bytes with `exif` (exiv2 key -> text) and the `xmp` packet embedded.

    With `gps_from`, the source scan's GPS block is copied too (export --keep-gps).
    """
    exiv2 = exiv2_module()
    try:
        return _embed(exiv2, jpeg, exif, xmp, gps_from)
    except exiv2.Exiv2Error as e:
        raise XmpError(f"cannot embed metadata ({_reason(e)}); export without it is refused, report this.") from None


def _embed(exiv2, jpeg: bytes, exif: dict[str, str], xmp: bytes, gps_from: Path | None) -> bytes:  # noqa: ANN001
    img = exiv2.ImageFactory.open(jpeg)
    img.readMetadata()
    ed = exiv2.ExifData()
    for key, value in exif.items():
        ed[key] = value
    if gps_from is not None:
        try:
            src = exiv2.ImageFactory.open(str(gps_from))
            src.readMetadata()
            for d in src.exifData():
                if d.groupName() == "GPSInfo":
                    ed.add(d)
        except exiv2.Exiv2Error as e:
            log.warning("%s: GPS not copied (%s)", gps_from, e)
    img.setExifData(ed)
    img.setXmpPacket(xmp.decode("utf-8"))
    img.writeMetadata()
    io = img.io()
    return bytes(io.mmap())
