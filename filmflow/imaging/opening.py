"""Opening scans safely: the pixel limit, one-sentence errors, and what a scan is (its header).

`open_scan` / `read_scan_info` open lab JPEGs, 16-bit home-scan TIFFs and huge 4x5 sheets
(up to `SCAN_PIXEL_LIMIT`) without Pillow's decompression-bomb guard getting in the way,
and turn every failure (empty, truncated, not an image, unsupported) into one
`UnreadableImageError` sentence. The limit is read from the package (`filmflow.imaging.
SCAN_PIXEL_LIMIT`), where callers and tests set it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from filmflow.errors import UnreadableImageError

log = logging.getLogger("filmflow.imaging")

# A 4x5 sheet at 4000 dpi is ~300 MP; allow well beyond that, refuse the absurd.
SCAN_PIXEL_LIMIT = 2_000_000_000

# Magic numbers of image formats Pillow cannot decode here, to name them in the error.
_KNOWN_UNSUPPORTED: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"\xff\x0a", "JPEG XL"),
    (4, b"JXL ", "JPEG XL"),
    (0, b"8BPS", "Photoshop PSD"),
    (0, b"%PDF", "PDF"),
)


@dataclass(frozen=True, slots=True)
class ScanInfo:
    """What a scan file is, read from its header."""

    width: int
    height: int
    bits: int  # bits per channel (TIFF tag 258), 8 for JPEG
    format: str  # "JPEG", "TIFF", "PNG", ...
    mode: str  # Pillow mode as opened ("RGB", "L", "I;16", "CMYK", ...)
    icc: bool  # an embedded ICC profile
    orientation: int  # EXIF orientation, 1 if none

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as the scan is shown, its EXIF orientation applied (5-8 turn it)."""
        return (self.height, self.width) if self.orientation in (5, 6, 7, 8) else (self.width, self.height)


def _limit() -> int:
    """SCAN_PIXEL_LIMIT as the package holds it (`filmflow.imaging.SCAN_PIXEL_LIMIT` is the one to set)."""
    from filmflow import imaging

    return imaging.SCAN_PIXEL_LIMIT


_limit_lock = threading.Lock()
_limit_users = 0
_limit_saved: int | None = None


@contextlib.contextmanager
def _scan_pixel_limit() -> Iterator[None]:
    """Raise Pillow's decompression-bomb limit to SCAN_PIXEL_LIMIT while scans are opened.

    Pillow reads the module global at open and at TIFF load time, so it is raised only
    inside this block (ref-counted for threads) and restored afterwards; it is never
    changed at import.
    """
    global _limit_users, _limit_saved
    with _limit_lock:
        if _limit_users == 0:
            _limit_saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = _limit()
        _limit_users += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                Image.MAX_IMAGE_PIXELS = _limit_saved


def _unsupported_name(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    for offset, magic, name in _KNOWN_UNSUPPORTED:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _open_lazy(path: Path) -> Image.Image:
    """Image.open under our pixel limit; header only. Caller must be inside _scan_pixel_limit."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableImageError(f"{path}: file not found; check that it is still in place.") from None
    except OSError as e:
        raise UnreadableImageError(f"{path}: cannot be read ({e.strerror}); check its permissions.") from None
    if size == 0:
        raise UnreadableImageError(
            f"{path}: empty file (0 bytes); copy it again from the lab delivery or the scanner."
        )
    try:
        im = Image.open(path)
    except UnidentifiedImageError:
        fmt = _unsupported_name(path)
        if fmt:
            raise UnreadableImageError(
                f"{path}: unsupported format ({fmt}); export it from your scanning software as TIFF or JPEG."
            ) from None
        raise UnreadableImageError(
            f"{path}: not an image (no known image header); remove it from the scan folder or replace it."
        ) from None
    except Image.DecompressionBombError:
        raise UnreadableImageError(
            f"{path}: image is larger than filmflow's limit of {_limit():,} pixels; "
            "scan it at a lower resolution or split it."
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise UnreadableImageError(f"{path}: corrupt image header ({e}); copy it again or re-scan.") from None
    w, h = im.size
    if w * h > _limit():
        im.close()
        raise UnreadableImageError(
            f"{path}: {w}x{h} is larger than filmflow's limit of {_limit():,} pixels; "
            "scan it at a lower resolution or split it."
        )
    return im


def _load(im: Image.Image, path: Path) -> None:
    """Decode fully, turning decoder failures into UnreadableImageError."""
    try:
        im.load()
    except Image.DecompressionBombError:
        raise UnreadableImageError(
            f"{path}: image is larger than filmflow's limit of {_limit():,} pixels; "
            "scan it at a lower resolution or split it."
        ) from None
    except (OSError, SyntaxError, ValueError, IndexError, EOFError) as e:
        text = str(e)
        if "truncated" in text.lower() or isinstance(e, EOFError):
            raise UnreadableImageError(
                f"{path}: truncated (the file ends before the image does); copy it again from its source."
            ) from None
        raise UnreadableImageError(f"{path}: corrupt image data ({text}); copy it again or re-scan.") from None
    except MemoryError:
        raise UnreadableImageError(
            f"{path}: not enough memory to decode this {im.size[0]}x{im.size[1]} scan; "
            "close other programs or use fewer workers."
        ) from None


def _bits(im: Image.Image) -> int:
    tags = getattr(im, "tag_v2", None)
    if tags is not None:
        v = tags.get(258)
        if isinstance(v, tuple) and v:
            return int(max(v))
        if isinstance(v, int):
            return v
        return 1 if im.mode == "1" else 8
    if im.mode.startswith("I;16") or im.mode == "I":
        return 16
    if im.mode == "1":
        return 1
    if im.mode == "F":
        return 32
    return 8


def _orientation(im: Image.Image, shown: Path | None = None) -> int:
    try:
        v = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not make the scan unreadable
        log.warning("%s: unreadable EXIF block, assuming no rotation", shown or getattr(im, "filename", "?"))
        return 1
    try:
        v = int(v)
    except (TypeError, ValueError):
        return 1
    return v if 1 <= v <= 8 else 1


_XMP_ORIENTATION = re.compile(r'tiff:Orientation(="|>)([0-9])')


def _xmp_orientation(im: Image.Image) -> int:
    """An XMP packet's tiff:Orientation (Pillow's own fallback when EXIF has none), else 1."""
    xmp = im.info.get("XML:com.adobe.xmp") or im.info.get("xmp")
    if not xmp:
        return 1
    m = _XMP_ORIENTATION.search(xmp if isinstance(xmp, str) else xmp.decode("latin-1"))
    v = int(m.group(2)) if m else 1
    return v if 1 <= v <= 8 else 1


def _info(im: Image.Image, shown: Path | None = None, orientation: int | None = None) -> ScanInfo:
    """What `im` is; `orientation` as the caller read it from EXIF (0: EXIF names none), None: read it here."""
    if orientation is None:
        orientation = _orientation(im, shown)
    elif orientation == 0:
        orientation = _xmp_orientation(im)
    return ScanInfo(
        width=im.size[0],
        height=im.size[1],
        bits=_bits(im),
        format=im.format or "unknown",
        mode=im.mode,
        icc=bool(im.info.get("icc_profile")),
        orientation=orientation,
    )


def read_scan_info(path: Path, shown: Path | None = None, *, orientation: int | None = None) -> ScanInfo:
    """Read size, bit depth, format, mode, ICC presence and orientation from the header only.

    Warnings name `shown` (the user's scan when `path` is our temp copy of it). `orientation`:
    the EXIF orientation when the caller has read it (ingest's one exifread pass; 0 when
    the EXIF names none), so Pillow does not parse the EXIF again; None reads it here."""
    with _scan_pixel_limit():
        im = _open_lazy(path)
        try:
            return _info(im, shown, orientation)
        finally:
            im.close()


def read_exif(path: Path) -> Image.Exif:
    """The scan's EXIF (header only); an empty Exif when it has none or it is unreadable."""
    with _scan_pixel_limit():
        im = _open_lazy(path)
        try:
            return im.getexif()
        except Exception as e:  # a broken EXIF block is not worth failing a frame for
            log.warning("%s: unreadable EXIF block (%s); ignoring it", path, e)
            return Image.Exif()
        finally:
            im.close()


def open_scan(path: Path, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode a scan safely (huge, 16-bit, truncated files handled).

    With `draft_size`, a JPEG decodes DCT-scaled to the smallest size still at least
    that large. Raises UnreadableImageError with one sentence on any failure.
    """
    path = Path(path)
    with _scan_pixel_limit():
        im = _open_lazy(path)
        if draft_size and im.format in ("JPEG", "MPO"):
            im.draft("RGB" if im.mode == "RGB" else None, draft_size)
        _load(im, path)
    return im
