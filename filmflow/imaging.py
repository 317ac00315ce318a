"""Decoding scans safely and turning them into small sRGB JPEGs (thumbnails and exports).

This module owns every pixel filmflow produces from a scan:

- `open_scan` / `read_scan_info`: open lab JPEGs, 16-bit home-scan TIFFs and huge 4x5
  sheets (up to `SCAN_PIXEL_LIMIT`) without Pillow's decompression-bomb guard getting in
  the way, and turn every failure (empty, truncated, not an image, unsupported) into one
  `UnreadableImageError` sentence.
- `make_thumbnail` and `export_jpeg`: the resize pipeline. JPEGs decode DCT-scaled
  (`draft`) to the smallest size still at least as large as the target; other formats are
  box-reduced by an integer factor right after decoding, so two full-size images are never
  held at once; then a LANCZOS resize to the exact target, 16-bit data brought to 8 bits
  by scaling (never by clipping), CMYK and ICC-tagged data converted to sRGB, greyscale
  kept greyscale, and the EXIF orientation applied.

Functions are module-level and take `Path` arguments so they pickle for a process pool.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import math
import os
import signal
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, UnidentifiedImageError

from filmflow import fsutil
from filmflow.errors import UnreadableImageError

log = logging.getLogger(__name__)

# A 4x5 sheet at 4000 dpi is ~300 MP; allow well beyond that, refuse the absurd.
SCAN_PIXEL_LIMIT = 2_000_000_000

_ORIENT_OPS: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

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


# --------------------------------------------------------------------------- workers


def worker_init(owner: int) -> None:
    """Process-pool initializer: a worker must not outlive the process that owns the pool.

    The owner-watch of ingest's thumbnail pool, for every pool that encodes images:
    PR_SET_PDEATHSIG kills a forked worker with its parent; a forkserver's worker has the
    forkserver as parent, so a daemon thread also checks every 0.5 s that `owner` exists.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch_owner() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGKILL)
            except PermissionError:
                pass
            if os.getppid() == 1:  # re-parented to init: the owner (our parent) is gone
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch_owner, name="owner-watch", daemon=True).start()


# --------------------------------------------------------------------------- opening

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
            Image.MAX_IMAGE_PIXELS = SCAN_PIXEL_LIMIT
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
            f"{path}: image is larger than filmflow's limit of {SCAN_PIXEL_LIMIT:,} pixels; "
            "scan it at a lower resolution or split it."
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise UnreadableImageError(f"{path}: corrupt image header ({e}); copy it again or re-scan.") from None
    w, h = im.size
    if w * h > SCAN_PIXEL_LIMIT:
        im.close()
        raise UnreadableImageError(
            f"{path}: {w}x{h} is larger than filmflow's limit of {SCAN_PIXEL_LIMIT:,} pixels; "
            "scan it at a lower resolution or split it."
        )
    return im


def _load(im: Image.Image, path: Path) -> None:
    """Decode fully, turning decoder failures into UnreadableImageError."""
    try:
        im.load()
    except Image.DecompressionBombError:
        raise UnreadableImageError(
            f"{path}: image is larger than filmflow's limit of {SCAN_PIXEL_LIMIT:,} pixels; "
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


def _info(im: Image.Image, shown: Path | None = None) -> ScanInfo:
    return ScanInfo(
        width=im.size[0],
        height=im.size[1],
        bits=_bits(im),
        format=im.format or "unknown",
        mode=im.mode,
        icc=bool(im.info.get("icc_profile")),
        orientation=_orientation(im, shown),
    )


def read_scan_info(path: Path, shown: Path | None = None) -> ScanInfo:
    """Read size, bit depth, format, mode, ICC presence and orientation from the header only.

    Warnings name `shown` (the user's scan when `path` is our temp copy of it)."""
    with _scan_pixel_limit():
        im = _open_lazy(path)
        try:
            return _info(im, shown)
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


# --------------------------------------------------------------------------- pixels


def target_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The size with `long_edge` pixels on the long side; never larger than `size`."""
    w, h = size
    if max(w, h) <= long_edge:
        return w, h
    if w >= h:
        return long_edge, max(1, round(h * long_edge / w))
    return max(1, round(w * long_edge / h)), long_edge


def _normalise_mode_for_resize(im: Image.Image) -> Image.Image:
    """Modes LANCZOS cannot resample, or that carry alpha, become L/RGB first."""
    m = im.mode
    if m in ("RGB", "L", "CMYK", "I", "F") or m.startswith("I;16"):
        return im
    if m == "1" or m == "LA" or m == "La":
        return im.convert("L")
    if m == "P":
        return im.convert("RGBA").convert("RGB") if "transparency" in im.info else im.convert("RGB")
    if m == "PA":
        return im.convert("RGBA").convert("RGB")
    if m in ("RGBA", "RGBa", "RGBX", "YCbCr", "HSV"):
        return im.convert("RGB")
    if m == "LAB":
        return ImageCms.applyTransform(
            im, ImageCms.buildTransform(ImageCms.createProfile("LAB"), _srgb_profile(), "LAB", "RGB")
        )
    raise ValueError(f"unsupported colour mode {m}")


def _shrink(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Box-reduce by the largest integer factor that keeps the image >= target."""
    factor = min(im.size[0] // target[0], im.size[1] // target[1])
    if factor < 2:
        return im
    if im.mode in ("RGB", "L", "CMYK", "I", "F"):
        return im.reduce(factor)
    size = (math.ceil(im.size[0] / factor), math.ceil(im.size[1] / factor))
    return im.resize(size, Image.Resampling.BOX)


def _to_8bit(im: Image.Image, bits: int) -> Image.Image:
    """16-bit greyscale (and 32-bit I/F) to L by scaling the range, never by clipping."""
    m = im.mode
    if m.startswith("I;16") or m == "I":
        scale = 1 / 257 if (m != "I" or bits <= 16) else 1 / 16843009
        return im.point(lambda v: v * scale + 0.5).convert("L")
    if m == "F":
        lo, hi = im.getextrema()
        if hi <= 1.0 and lo >= 0.0:
            return im.point(lambda v: v * 255 + 0.5).convert("L")
        return im.convert("L")
    return im


@functools.lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    """The sRGB ICC profile embedded in every exported colour JPEG (byte-for-byte stable).

    LittleCMS stamps the creation time into the header; a fixed date (and a zero
    profile ID, meaning "not computed") keeps exports identical from run to run.
    """
    data = bytearray(_srgb_profile().tobytes())
    data[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    data[84:100] = bytes(16)
    return bytes(data)


def _parse_icc(data: bytes, path: Path) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError) as e:
        log.warning("%s: unreadable ICC profile (%s); treating the scan as sRGB", path, e)
        return None


def _to_srgb(im: Image.Image, icc: bytes | None, path: Path) -> tuple[Image.Image, bytes | None]:
    """Convert to 8-bit sRGB (RGB) or keep greyscale (L); return the image and the ICC to embed."""
    profile = _parse_icc(icc, path) if icc else None
    space = profile.profile.xcolor_space.strip() if profile is not None else None
    if im.mode == "L":
        # Greyscale stays greyscale; a grey profile travels with it unchanged.
        return im, (icc if space == "GRAY" else None)
    if im.mode == "CMYK":
        if profile is not None and space == "CMYK":
            try:
                return ImageCms.profileToProfile(
                    im, profile, _srgb_profile(), renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
                ), srgb_icc_bytes()
            except (ImageCms.PyCMSError, OSError, ValueError) as e:
                log.warning("%s: ICC profile cannot be applied (%s); converting CMYK naively", path, e)
        return im.convert("RGB"), srgb_icc_bytes()
    if im.mode != "RGB":
        im = im.convert("RGB")
    if profile is None:
        return im, srgb_icc_bytes()
    if space != "RGB":
        log.warning("%s: ICC profile is for %s, not RGB; treating the scan as sRGB", path, space)
        return im, srgb_icc_bytes()
    desc = (profile.profile.profile_description or "").strip().lower()
    if desc.startswith("srgb"):
        return im, srgb_icc_bytes()
    try:
        out = ImageCms.profileToProfile(
            im, profile, _srgb_profile(), renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        log.warning("%s: ICC profile cannot be applied (%s); treating the scan as sRGB", path, e)
        return im, srgb_icc_bytes()
    return out, srgb_icc_bytes()


def _render(src: Path, long_edge: int, grey_as_rgb: bool, shown: Path | None = None
            ) -> tuple[Image.Image, bytes | None, ScanInfo]:
    """Decode `src` and return an 8-bit sRGB/L image with `long_edge`, oriented upright.

    Warnings name `shown` (the user's scan when `src` is our temp copy of it)."""
    src = Path(src)
    with _scan_pixel_limit():
        im = _open_lazy(src)
        info = _info(im, shown)
        icc = im.info.get("icc_profile")
        target = target_size(im.size, long_edge)
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB" if im.mode == "RGB" else None, target)
        _load(im, src)
    try:
        im = _normalise_mode_for_resize(im)
    except ValueError as e:
        raise UnreadableImageError(f"{src}: {e}; convert it to RGB TIFF or JPEG.") from None
    except (ImageCms.PyCMSError, OSError) as e:
        raise UnreadableImageError(f"{src}: cannot convert its colours ({e}); convert it to RGB.") from None
    im = _shrink(im, target)
    if im.size != target:
        im = im.resize(target, Image.Resampling.LANCZOS, reducing_gap=None)
    im = _to_8bit(im, info.bits)
    im, out_icc = _to_srgb(im, icc, Path(shown) if shown else src)
    if grey_as_rgb and im.mode == "L":
        im, out_icc = im.convert("RGB"), srgb_icc_bytes()
    op = _ORIENT_OPS.get(info.orientation)
    if op is not None:
        im = im.transpose(op)
    return im, out_icc, info


def _save_jpeg(
    im: Image.Image,
    dst: Path,
    quality: int,
    icc: bytes | None,
    exif: Image.Exif | None,
    xmp: bytes | None = None,
    finish: Callable[[bytes, tuple[int, int]], bytes] | None = None,
) -> None:
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    # optimize (Huffman tables per image): 10.5% fewer bytes at the same quality for ~0-5% more
    # time per 2048 px frame; progressive saves 1% more but costs ~15%, so it is not asked for
    kw: dict = {"format": "JPEG", "quality": quality, "optimize": True}
    if im.mode == "RGB":
        # As libvips does: no chroma subsampling at high quality, where it shows on fine colour edges.
        kw["subsampling"] = 0 if quality >= 90 else 2
    if icc:
        kw["icc_profile"] = icc
    if exif is not None:
        kw["exif"] = exif.tobytes()
    if xmp:
        kw["xmp"] = xmp
    check = lambda tmp: check_image_file(tmp, shown=dst)  # noqa: E731 - a cut file never gets the name
    if finish is not None:
        buf = io.BytesIO()
        im.save(buf, **kw)
        data = finish(buf.getvalue(), im.size)
        with fsutil.atomic_write(dst, check=check) as f:
            f.write(data)
        return
    with fsutil.atomic_write(dst, check=check) as f:
        im.save(f, **kw)


def check_image_file(path: Path, shown: Path | None = None) -> None:
    """Raise UnreadableImageError unless `path` decodes to its end (a full disk can cut a
    JPEG short while Pillow reports success); `atomic_write` calls this before the rename.
    The error names `shown` (the final name) rather than the temp file."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise UnreadableImageError(
            f"{shown or path}: the file written does not decode ({e}); "
            "the disk may be full, free some space and run again."
        ) from None


def _check_size_args(long_edge: int, quality: int) -> None:
    if not isinstance(long_edge, int) or long_edge < 1:
        raise ValueError(f"long edge must be a positive number of pixels, got {long_edge!r}")
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1-100, got {quality!r}")


def make_thumbnail(src: Path, dst: Path, long_edge: int = 512, quality: int = 85, *,
                   shown: Path | None = None) -> ScanInfo:
    """Write an upright 8-bit sRGB (or greyscale) JPEG thumbnail; return the SOURCE's ScanInfo.

    `shown` is the name warnings use (the user's scan, when `src` is our temp copy)."""
    _check_size_args(long_edge, quality)
    im, _icc, info = _render(Path(src), long_edge, grey_as_rgb=False, shown=shown)
    # Thumbnails stay small: sRGB is implied, no profile embedded.
    _save_jpeg(im, Path(dst), quality, None, None)
    return info


def export_jpeg(
    src: Path,
    dst: Path,
    long_edge: int,
    quality: int,
    *,
    grey_as_rgb: bool = False,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    finish: Callable[[bytes, tuple[int, int]], bytes] | None = None,
) -> tuple[int, int]:
    """Write an export JPEG: `long_edge` (never upscaled), sRGB embedded, oriented, `exif` attached.

    Nothing of the source's metadata is copied: the output carries only `exif` (its
    orientation tag reset to 1, since the pixels are upright) and the `xmp` packet.
    `finish(jpeg bytes, size)` may return the bytes with metadata added before the one
    atomic write (filmflow.xmpio.embed_jpeg). Returns the output (width, height).
    """
    _check_size_args(long_edge, quality)
    im, icc, _info_ = _render(Path(src), long_edge, grey_as_rgb=grey_as_rgb)
    if exif is not None:
        exif[0x0112] = 1
    _save_jpeg(im, Path(dst), quality, icc, exif, xmp, finish)
    return im.size
