"""Lightme Logbook (iOS) exports: an exiftool `-json=` array, one object per frame."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from filmflow.logs.common import checked, format_name
from filmflow.logs.model import LogError, LogFrame, LogRoll, ParsedLog
from filmflow.logs.values import (
    blank, clean_text, frame_label, parse_aperture, parse_focal, parse_local_time, parse_position, parse_shutter,
)

_APP_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")   # "FM2 (Nikon)", "Nikkor 50mm f/1.8 (50mm)"


def is_lightme(data: Any) -> bool:
    """An exiftool import array written by Lightme."""
    return (isinstance(data, list) and bool(data) and all(isinstance(o, dict) for o in data)
            and any(str(o.get("Software", "")).startswith("Lightme") for o in data)
            and any("ImageNumber" in o or "DateTimeOriginal" in o for o in data))


def _gear(make: Any, model: Any) -> str | None:
    model = clean_text(model)
    if model:
        model = _APP_SUFFIX.sub("", model) or model
    make = clean_text(make)
    if make and model and model.lower().startswith(make.lower()):
        make = None
    return " ".join(p for p in (make, model) if p) or None


def _comment(text: Any) -> dict[str, str]:
    """UserComment: `roll_notes:`/`dev_notes:`/`load_date:`/`unload_date:` blocks."""
    out: dict[str, str] = {}
    key = None
    for ln in str(text or "").splitlines():
        if re.fullmatch(r"[a-z_]+:", ln.strip()):
            key = ln.strip()[:-1]
            out[key] = ""
        elif key:
            out[key] = (out[key] + "\n" + ln).strip()
    return out


def read(path: Path, data: list[dict[str, Any]]) -> list[ParsedLog]:
    """One roll (the objects repeat the roll's data), its frames in file order."""
    first = data[0]
    comment = _comment(first.get("UserComment"))
    desc = clean_text(first.get("Description")) or ""
    fmt = re.search(r"\(([^()]+)\)\s*$", desc)
    roll = LogRoll(
        code=clean_text(first.get("ReelName")), name=clean_text(first.get("ReelName")),
        stock=clean_text(first.get("DocumentName")) or clean_text(first.get("SpectralSensitivity")),
        ei=first.get("ISO") if isinstance(first.get("ISO"), int) and first.get("ISO") > 0 else None,
        format=format_name(fmt.group(1)) if fmt else None,
        camera=_gear(first.get("Make"), first.get("Model")),
        loaded=(checked(path, None, parse_local_time, comment.get("load_date")) or "")[:10] or None,
        unloaded=(checked(path, None, parse_local_time, comment.get("unload_date")) or "")[:10] or None,
        developer=clean_text(comment.get("dev_notes")), notes=clean_text(comment.get("roll_notes")),
    )
    frames = []
    for i, o in enumerate(data):
        label = checked(path, None, frame_label, o.get("ImageNumber", i + 1), frame=str(o.get("ImageNumber", i + 1)))
        shutter, secs = checked(path, None, parse_shutter, o.get("ExposureTime"), frame=label)
        lat, lon = (None, None)
        if not (blank(o.get("GPSLatitude")) and blank(o.get("GPSLongitude"))):
            lat, lon = checked(path, None, parse_position, o.get("GPSLatitude"), o.get("GPSLongitude"),
                               o.get("GPSLatitudeRef"), o.get("GPSLongitudeRef"), frame=label)
        frames.append(LogFrame(
            frame=label, shot_at=checked(path, None, parse_local_time, o.get("DateTimeOriginal"), frame=label),
            aperture=checked(path, None, parse_aperture, o.get("FNumber"), frame=label), shutter=shutter,
            shutter_s=secs, focal_length=checked(path, None, parse_focal, o.get("FocalLength"), frame=label),
            lens=_gear(o.get("LensMake"), o.get("LensModel")), lat=lat, lon=lon, note=clean_text(o.get("Notes")),
        ))
    if not frames:
        raise LogError(f"{path}: a Lightme log with no frames; export the roll again.")
    return [ParsedLog("lightme-json", roll, tuple(frames))]
