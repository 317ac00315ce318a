"""Film Rolls (iOS) XML exports: rolls of frames in the `http://www.w3schools.com` namespace.

Times there are UTC instants; they are kept as such (ending in `Z`), never relabelled local.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from filmflow.logs.common import checked
from filmflow.logs.model import LogError, LogFrame, LogRoll, ParsedLog
from filmflow.logs.values import clean_text, frame_label, parse_aperture, parse_position, parse_shutter, parse_utc_instant

NS = "{http://www.w3schools.com}"


def parse_xml(path: Path, text: str) -> ET.Element:
    """The XML root, refusing document types and entities (no entity expansion, no bombs)."""
    if re.search(r"<!(DOCTYPE|ENTITY)", text[:4096], re.I):
        raise LogError(f"{path}: an XML log with a document type or entities is refused; "
                       "export it again from Film Rolls.")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise LogError(f"{path}, line {e.position[0]}: not well-formed XML; export the log again.") from None


def is_filmrolls(root: ET.Element) -> bool:
    """Root `data` in the Film Rolls namespace, with `filmRolls`."""
    return root.tag == NS + "data" and root.find(NS + "filmRolls") is not None


def _text(el: ET.Element, name: str) -> str | None:
    child = el.find(NS + name)
    return clean_text(child.text) if child is not None else None


def read(path: Path, root: ET.Element) -> list[ParsedLog]:
    """Every roll of the file; frames with no number take the one after the previous."""
    out = []
    for roll_el in root.iter(NS + "filmRoll"):
        speed = _text(roll_el, "speed")
        note = _text(roll_el, "note")
        loaded = checked(path, None, parse_utc_instant, _text(roll_el, "load"))
        unloaded = checked(path, None, parse_utc_instant, _text(roll_el, "unload"))
        roll = LogRoll(name=note, stock=_text(roll_el, "title"),
                       ei=int(speed) if speed and speed.isdigit() and int(speed) > 0 else None,
                       camera=_text(roll_el, "camera"), loaded=loaded[:10] if loaded else None,
                       unloaded=unloaded[:10] if unloaded else None, notes=note)
        frames = []
        last = 0
        for fr in roll_el.iter(NS + "frame"):
            num = _text(fr, "number")
            label = checked(path, None, frame_label, num if num else str(last + 1), frame=num)
            m = re.match(r"\d+", label)
            last = int(m.group(0)) if m else last + 1
            shutter, secs = checked(path, None, parse_shutter, _text(fr, "shutterSpeed"), frame=label)
            lat, lon = checked(path, None, parse_position, _text(fr, "latitude"), _text(fr, "longitude"), frame=label)
            frames.append(LogFrame(
                frame=label, shot_at=checked(path, None, parse_utc_instant, _text(fr, "date"), frame=label),
                aperture=checked(path, None, parse_aperture, _text(fr, "aperture"), frame=label),
                shutter=shutter, shutter_s=secs, lens=_text(fr, "lens"),
                exposure_comp=_text(fr, "compensation"), lat=lat, lon=lon, note=_text(fr, "note"),
                filters=_text(fr, "accessory"),
            ))
        out.append(ParsedLog("film-rolls-xml", roll, tuple(frames)))
    if not out:
        raise LogError(f"{path}: a Film Rolls file with no roll; export the roll again.")
    return out
