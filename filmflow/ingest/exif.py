"""Scanner EXIF: on a film scan, Make/Model/Software name the scanner, DateTime the scan.

Never the camera that exposed the film: a Noritsu, a Frontier or an Epson did not
take the photograph. Each fragile field is read in its own try. This is the one EXIF
read of a scan at ingest (exifread, headers only): it also gives the orientation, which
imaging is told, so Pillow only decodes pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import exifread

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScannerInfo:
    """What EXIF says about the scan: the scanner and when it scanned."""

    scanner: str | None = None
    software: str | None = None
    scanned: str | None = None  # ISO 8601 date-time
    orientation: int = 0  # EXIF orientation 1-8; 0 when the EXIF names none (imaging then looks at XMP)


def _tag(tags: dict, *names: str) -> str | None:
    for name in names:
        try:
            v = tags.get(name)
            if v is not None:
                s = str(v.values if isinstance(v.values, str) else v).strip().strip("\x00").strip()
                if s:
                    return s
        except Exception:  # noqa: BLE001 - one broken tag must not lose the others
            log.debug("unreadable EXIF tag %s", name)
    return None


def scanner_name(make: str | None, model: str | None) -> str | None:
    """'NORITSU KOKI' + 'EZ Controller' → 'NORITSU KOKI EZ Controller' (no repeated make)."""
    if make and model:
        return model if model.lower().startswith(make.split()[0].lower()) else f"{make} {model}"
    return make or model


def parse_exif_datetime(value: str | None) -> str | None:
    """'2023:05:03 14:22:10' → '2023-05-03T14:22:10'; None when absent or nonsense."""
    if not value or len(value) < 10:
        return None
    date = value[:10].replace(":", "-")
    if not (date[:4].isdigit() and date[5:7].isdigit() and date[8:10].isdigit()) or date.startswith("0000"):
        return None
    time = value[11:19].strip()
    return f"{date}T{time}" if len(time) == 8 else date


def _orientation(tags: dict) -> int:
    """The Orientation tag (1-8; 1 for a value out of range), 0 when there is none."""
    tag = tags.get("Image Orientation")
    if tag is None:
        return 0
    try:
        v = int(tag.values[0])
    except (TypeError, ValueError, IndexError, AttributeError):
        return 1
    return v if 1 <= v <= 8 else 1


def read_scanner_info(path: Path | BinaryIO, *, warn: bool = False) -> ScannerInfo:
    """Scanner, scan date and orientation from a file's EXIF, or an open binary file (empty
    ScannerInfo when none). With `warn`, a broken EXIF block is a warning naming the file
    (the frame is still ingested, unrotated), as it is when the scan's pixels are read."""
    try:
        if hasattr(path, "read"):
            tags = exifread.process_file(path, details=False, extract_thumbnail=False)
        else:
            with open(path, "rb") as f:
                tags = exifread.process_file(f, details=False, extract_thumbnail=False)
    except Exception:  # noqa: BLE001 - exifread raises many kinds on odd files
        if warn and not hasattr(path, "read") and Path(path).is_file():
            log.warning("%s: unreadable EXIF block, assuming no rotation", path)
        else:
            log.debug("no readable EXIF in %s", path)
        return ScannerInfo()
    make = _tag(tags, "Image Make")
    model = _tag(tags, "Image Model")
    return ScannerInfo(
        scanner=scanner_name(make, model),
        software=_tag(tags, "Image Software"),
        scanned=parse_exif_datetime(_tag(tags, "EXIF DateTimeOriginal", "Image DateTime", "EXIF DateTimeDigitized")),
        orientation=_orientation(tags),
    )
