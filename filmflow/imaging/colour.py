"""Colour: 16-bit and float data to 8 bits, any mode LANCZOS can resample, ICC-tagged and CMYK data
to sRGB (greyscale kept greyscale), and the byte-stable sRGB profile every colour export embeds."""

from __future__ import annotations

import functools
import io
import logging
import struct
from pathlib import Path

from PIL import Image, ImageCms

log = logging.getLogger("filmflow.imaging")


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
