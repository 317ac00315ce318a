"""filmflow's plain CSV: a header row (`frame` required), columns matched by name."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from filmflow.logs.common import checked
from filmflow.logs.model import LogError, LogFrame, LogRoll, ParsedLog
from filmflow.logs.values import (
    clean_text, frame_label, parse_aperture, parse_focal, parse_local_time, parse_position, parse_shutter,
)

COLUMNS = ("frame", "date", "aperture", "shutter", "focal_length", "lens", "lat", "lon", "place", "note")


def header_of(text: str) -> list[str] | None:
    """The header's column names when the first line is a plain-CSV header, else None."""
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    names = [c.strip().lower() for c in next(csv.reader([first]), [])]
    return names if "frame" in names and set(names) <= set(COLUMNS) | {""} else None


def read(path: Path, text: str) -> list[ParsedLog]:
    """Rows of the plain CSV; an unknown column is refused naming the known ones."""
    reader = csv.DictReader(io.StringIO(text.lstrip()))
    reader.fieldnames = [c.strip().lower() for c in reader.fieldnames or []]
    unknown = [c for c in reader.fieldnames if c and c not in COLUMNS]
    if "frame" not in reader.fieldnames or unknown:
        raise LogError(f"{path}, line 1: the header must name `frame` and only {', '.join(COLUMNS)}"
                       + (f" (unknown: {', '.join(unknown)})" if unknown else "") + ".")
    frames = []
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        shutter, secs = checked(path, line, parse_shutter, row.get("shutter"))
        lat, lon = checked(path, line, parse_position, row.get("lat"), row.get("lon"))
        frames.append(LogFrame(
            frame=checked(path, line, frame_label, row.get("frame")), line=line,
            shot_at=checked(path, line, parse_local_time, row.get("date")),
            aperture=checked(path, line, parse_aperture, row.get("aperture")), shutter=shutter, shutter_s=secs,
            focal_length=checked(path, line, parse_focal, row.get("focal_length")),
            lens=clean_text(row.get("lens")), lat=lat, lon=lon,
            place=clean_text(row.get("place")), note=clean_text(row.get("note")),
        ))
    if not frames:
        raise LogError(f"{path}: the CSV has a header but no frame rows; add one row per frame.")
    return [ParsedLog("plain-csv", LogRoll(), tuple(frames))]
