"""Exif Notes (Android) exports: the CSV (`Key: value` preamble, then the frame table) and the JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from filmflow.logs.common import checked, format_name
from filmflow.logs.model import LogError, LogFrame, LogRoll, ParsedLog
from filmflow.logs.values import (
    clean_text, frame_label, parse_aperture, parse_dms_pair, parse_focal, parse_int, parse_local_time,
    parse_position, parse_shutter,
)

CSV_HEADER = "Frame Count,Date,Lens,"
_PREAMBLE_KEYS = ("Roll name", "Loaded on", "Unloaded on", "Developed on", "Film stock", "ISO", "Format",
                  "Push/pull", "Camera", "Serial number", "Notes", "Artist name", "Copyright")


def _preamble(lines: list[str]) -> dict[str, str]:
    """`Key: value` lines; a line that starts no known key continues the previous value (a roll note)."""
    out: dict[str, str] = {}
    last = None
    for ln in lines:
        key, sep, value = ln.partition(": ")
        if not sep and ln.endswith(":"):
            key, sep, value = ln[:-1], ":", ""
        if sep and key in _PREAMBLE_KEYS:
            out[key] = value.strip()
            last = key
        elif last is not None:
            out[last] = (out[last] + "\n" + ln).strip()
    return out


def _date(path: Path, line: int, text: str | None) -> str | None:
    return checked(path, line, parse_local_time, text)


def read_csv(path: Path, text: str) -> list[ParsedLog]:
    """Exif Notes' `<roll>_csv.txt`: preamble (may have been cut off), then the frame table."""
    lines = text.splitlines()
    head = next((i for i, ln in enumerate(lines) if ln.startswith(CSV_HEADER)), None)
    if head is None:
        raise LogError(f"{path}: an Exif Notes CSV needs its frame table header ({CSV_HEADER}...); "
                       "export the roll again from Exif Notes.")
    pre = _preamble(lines[:head])
    dates = {k: (_date(path, i + 1, pre.get(k)) or "")[:10] or None
             for i, k in enumerate(("Loaded on", "Unloaded on", "Developed on"))}
    camera = clean_text(pre.get("Camera"))
    roll = LogRoll(
        name=clean_text(pre.get("Roll name")), stock=clean_text(pre.get("Film stock")),
        ei=checked(path, None, parse_int, pre.get("ISO"), "ISO") or None, push=clean_text(pre.get("Push/pull")),
        format=format_name(pre.get("Format")), camera=camera.replace("null ", "") if camera else None,
        loaded=dates["Loaded on"], unloaded=dates["Unloaded on"], developed=dates["Developed on"],
        notes=clean_text(pre.get("Notes")),
    )
    reader = csv.DictReader(io.StringIO("\n".join(lines[head:])))
    frames = []
    for row in reader:
        line = head + reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        frames.append(_csv_frame(path, line, row))
    return [ParsedLog("exif-notes-csv", roll, tuple(frames))]


def _csv_frame(path: Path, line: int, row: dict[str, Any]) -> LogFrame:
    shutter, secs = checked(path, line, parse_shutter, row.get("Shutter"))
    lat, lon = checked(path, line, parse_dms_pair, row.get("Location"))
    flash = (row.get("Flash") or "").strip().lower()
    return LogFrame(
        frame=checked(path, line, frame_label, row.get("Frame Count")), line=line,
        shot_at=checked(path, line, parse_local_time, row.get("Date")),
        aperture=checked(path, line, parse_aperture, row.get("Aperture")), shutter=shutter, shutter_s=secs,
        focal_length=checked(path, line, parse_focal, row.get("Focal length")),
        lens=clean_text(row.get("Lens")), exposure_comp=clean_text(row.get("Exposure compensation")),
        lat=lat, lon=lon, place=clean_text(row.get("Address")), note=clean_text(row.get("Notes")),
        flash=True if flash == "true" else False if flash == "false" else None,
        light_source=clean_text(row.get("Light source")), filters=clean_text(row.get("Filter")),
        exposures=checked(path, line, parse_int, row.get("No of exposures"), "number of exposures"),
    )


def _gear(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    parts = [clean_text(obj.get("make")), clean_text(obj.get("model"))]
    return " ".join(p for p in parts if p) or None


def read_json(path: Path, data: dict[str, Any]) -> list[ParsedLog]:
    """Exif Notes' `<roll>.json`: one roll object with a `frames` array."""
    stock = data.get("filmStock")
    roll = LogRoll(
        name=clean_text(data.get("name")), stock=_gear(stock),
        ei=int(data["iso"]) if isinstance(data.get("iso"), int) and data["iso"] > 0 else None,
        push=clean_text(data.get("pushPull")), format=format_name(data.get("format")),
        camera=_gear(data.get("camera")), notes=clean_text(data.get("note")),
        loaded=(checked(path, None, parse_local_time, data.get("date")) or "")[:10] or None,
        unloaded=(checked(path, None, parse_local_time, data.get("unloaded")) or "")[:10] or None,
        developed=(checked(path, None, parse_local_time, data.get("developed")) or "")[:10] or None,
    )
    frames = []
    for i, fr in enumerate(data.get("frames") or []):
        if not isinstance(fr, dict) or "count" not in fr:
            raise LogError(f"{path}: frame {i + 1} of `frames` has no `count`; this is not an Exif Notes roll.")
        label = checked(path, None, frame_label, fr.get("count"), frame=str(fr.get("count")))
        shutter, secs = checked(path, None, parse_shutter, fr.get("shutter"), frame=label)
        loc = fr.get("location") if isinstance(fr.get("location"), dict) else {}
        lat, lon = checked(path, None, parse_position, loc.get("latitude"), loc.get("longitude"), frame=label)
        filters = [_gear(f) for f in fr.get("filters") or []]
        frames.append(LogFrame(
            frame=label, shot_at=checked(path, None, parse_local_time, fr.get("date"), frame=label),
            aperture=checked(path, None, parse_aperture, fr.get("aperture"), frame=label),
            shutter=shutter, shutter_s=secs,
            focal_length=checked(path, None, parse_focal, fr.get("focalLength"), frame=label),
            lens=_gear(fr.get("lens")), exposure_comp=clean_text(fr.get("exposureComp")) if fr.get("exposureComp") not in ("0", 0) else None,
            lat=lat, lon=lon, place=clean_text(fr.get("formattedAddress")), note=clean_text(fr.get("note")),
            flash=fr.get("flashUsed") if isinstance(fr.get("flashUsed"), bool) else None,
            light_source=clean_text(fr.get("lightSource")),
            filters=" | ".join(f for f in filters if f) or None,
            exposures=fr.get("noOfExposures") if isinstance(fr.get("noOfExposures"), int) else None,
        ))
    return [ParsedLog("exif-notes-json", roll, tuple(frames))]


def load_json(path: Path, text: str) -> Any:
    """json.loads with the file and line in the error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise LogError(f"{path}, line {e.lineno}: not valid JSON ({e.msg}); export the log again.") from None
