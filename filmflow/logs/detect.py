"""Recognise a film log by its content (never its file name) and hand it to its reader."""

from __future__ import annotations

from pathlib import Path

from filmflow.logs import exifnotes, filmrolls, lightme, plaincsv
from filmflow.logs.model import LogError, ParsedLog
from filmflow.logs.text import load_text


def read_log(path: Path) -> list[ParsedLog]:
    """Every roll a log file holds (Film Rolls files may hold several; the others one)."""
    text = load_text(path).lstrip("\ufeff")
    head = text.lstrip()
    if head.startswith("<"):
        root = filmrolls.parse_xml(path, head)
        if filmrolls.is_filmrolls(root):
            return filmrolls.read(path, root)
        raise LogError(f"{path}: an XML file that is not a Film Rolls export; give the app's export file.")
    if head.startswith("[") or head.startswith("{"):
        data = exifnotes.load_json(path, head)
        if lightme.is_lightme(data):
            return lightme.read(path, data)
        if isinstance(data, dict) and isinstance(data.get("frames"), list) and all(
                isinstance(f, dict) and "count" in f for f in data["frames"]):
            return exifnotes.read_json(path, data)
        raise LogError(f"{path}: valid JSON, but neither an Exif Notes roll nor a Lightme Logbook export; "
                       "give the log the app exported.")
    if head.startswith("exiftool "):
        raise LogError(f"{path} is Exif Notes' ExifTool command list, not a log; export the roll as CSV or JSON "
                       "from Exif Notes and import that.")
    if head.startswith("Roll name: ") or exifnotes.CSV_HEADER in head[:20000]:
        return exifnotes.read_csv(path, head)
    if plaincsv.header_of(head) is not None:
        return plaincsv.read(path, head)
    raise LogError(f"{path}, line 1: not a film log filmflow reads (Exif Notes CSV/JSON, Lightme Logbook JSON, "
                   "Film Rolls XML, or a CSV whose header starts with `frame`); see README \"Film logs\".")
