"""Film logs written the way each app writes them (../shared/formats/film-logs.md), for tests.

Each writer takes a roll name and frames as dicts with keys: n (frame number), date
("2024-10-03 10:02" local), aperture, shutter ("1/250", '2"'), focal, lens, lat, lon,
place, note; a missing key is a value the app did not log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEOUL = [
    {"n": 1, "date": "2024-10-03 10:02", "aperture": 8, "shutter": "1/250", "focal": 50,
     "lens": "Nikon Nikkor 50mm f/1.8 AI-S", "lat": 37.5759, "lon": 126.9768, "place": "서울 종로구 세종로",
     "note": "Gwanghwamun gate"},
    {"n": 2, "date": "2024-10-03 19:40", "aperture": 11, "shutter": '2"', "focal": 50,
     "lens": "Nikon Nikkor 50mm f/1.8 AI-S", "lat": 37.5696, "lon": 126.9784, "place": "청계천로, 중구",
     "note": "Stream at dusk, tripod"},
    {"n": 4, "date": "2024-10-04 11:15", "aperture": 5.6, "shutter": "1/125", "note": "double exposure"},
]


def _dms(v: float, pos: str, neg: str, deg: str = "°") -> str:
    ref = pos if v >= 0 else neg
    v = abs(v)
    total = round(v * 3600, 2)
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    d, m = int(d), int(m)
    return f"{d}{deg} {m}' {s:.2f}\" {ref}" if deg == "°" else f"{d}deg {m}' {s:.0f}\" {ref}"


def _csv_cell(v: Any) -> str:
    s = "" if v is None else str(v)
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s


def exif_notes_csv(path: Path, name: str, frames: list[dict], *, preamble: bool = True, iso: int = 800,
                   stock: str = "Ilford HP5 Plus", camera: str = "Nikon FM2") -> Path:
    """`<roll>_csv.txt`: the 13-line preamble (unless cut off), then the frame table."""
    lines = []
    if preamble:
        lines += [f"Roll name: {name}", "Loaded on: 2024-10-03 09:10", "Unloaded on: 2024-10-05 18:40",
                  "Developed on: ", f"Film stock: {stock}", f"ISO: {iso}", "Format: 35 mm", "Push/pull: +1",
                  f"Camera: {camera}", "Serial number: ", "Notes: first line", "second line of the note",
                  "Artist name: ", "Copyright: "]
    lines.append("Frame Count,Date,Lens,Lens serial number,Shutter,Aperture,Focal length,Exposure compensation,"
                 "Notes,No of exposures,Filter,Location,Address,Flash,Light source")
    for f in frames:
        loc = (f"{_dms(f['lat'], 'N', 'S')} {_dms(f['lon'], 'E', 'W')}" if "lat" in f else "")
        cells = [str(f["n"]), f.get("date", ""), _csv_cell(f.get("lens")), "", f.get("shutter", ""),
                 f"f{f['aperture']}" if "aperture" in f else "", str(f.get("focal", "")), "",
                 _csv_cell(f.get("note")), "2" if "double" in f.get("note", "") else "1", "", _csv_cell(loc),
                 _csv_cell(f.get("place")), "false", "Daylight"]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def exif_notes_json(path: Path, name: str, frames: list[dict], *, old_enums: bool = False) -> Path:
    """`<roll>.json`: one roll object; null/default keys omitted as kotlinx does."""
    out = []
    for f in frames:
        fr: dict[str, Any] = {"id": 500 + f["n"], "count": f["n"], "noOfExposures": 1, "flashUsed": False,
                              "lightSource": "DAYLIGHT" if old_enums else "Daylight"}
        if "date" in f:
            fr["date"] = f["date"].replace(" ", "T")
        if "shutter" in f:
            fr["shutter"] = f["shutter"]
        if "aperture" in f:
            fr["aperture"] = str(f["aperture"])
        if "focal" in f:
            fr["focalLength"] = f["focal"]
        if "lat" in f:
            fr["location"] = {"latitude": f["lat"], "longitude": f["lon"]}
        if "place" in f:
            fr["formattedAddress"] = f["place"]
        if "note" in f:
            fr["note"] = f["note"]
        if "lens" in f:
            make, _, model = f["lens"].partition(" ")
            fr["lens"] = {"id": 5, "make": make, "model": model}
        out.append(fr)
    roll = {"id": 42, "name": name, "date": "2024-10-03T09:10", "iso": 800, "pushPull": "+1",
            "camera": {"id": 3, "make": "Nikon", "model": "FM2"},
            "format": "MM35", "archived": False, "favorite": False,
            "filmStock": {"id": 17, "make": "Ilford", "model": "HP5 Plus", "iso": 400,
                          "type": "BW_NEGATIVE" if old_enums else "BWNegative"},
            "frames": out}
    path.write_text(json.dumps(roll, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


def _seconds(shutter: str) -> float:
    if shutter.endswith('"'):
        return float(shutter[:-1])
    a, _, b = shutter.partition("/")
    return int(a) / int(b)


def lightme_json(path: Path, reel: str, frames: list[dict], *, gps: bool = True) -> Path:
    """An exiftool import array, one object per frame, roll data repeated, `/` escaped."""
    out = []
    for f in frames:
        o: dict[str, Any] = {"SourceFile": f"./{f['n']}.", "ImageNumber": f["n"], "ReelName": reel,
                             "ImageUniqueId": f"{reel}_{f['n']}", "DocumentName": "Ilford HP5 Plus",
                             "Description": "Ilford HP5 Plus (135)", "ISO": 800, "Make": "Nikon",
                             "Model": "FM2 (Nikon)", "Notes": f.get("place", ""), "FileSource": 1,
                             "Software": "Lightme - Logbook 2.2.3",
                             "UserComment": "roll_notes:\n \ndev_notes:\nDD-X 1+4\nload_date:\n3 Oct 2024 at 09:10"
                                            "\nunload_date:\n5 Oct 2024 at 18:40"}
        if "date" in f:
            o["DateTimeOriginal"] = f["date"].replace("-", ":") + ":00"
        if "shutter" in f:
            o["ExposureTime"] = _seconds(f["shutter"])
        if "aperture" in f:
            o["FNumber"] = f["aperture"]
        if "focal" in f:
            o["FocalLength"] = f["focal"]
        if "lens" in f:
            o["LensModel"] = f["lens"] + f" ({f.get('focal', 50)}mm)"
        if gps and "lat" in f:
            o.update(GPSLatitude=_dms(f["lat"], "N", "S", "deg"), GPSLatitudeRef="North",
                     GPSLongitude=_dms(f["lon"], "E", "W", "deg"), GPSLongitudeRef="East")
        out.append(o)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1).replace("/", "\\/"), encoding="utf-8")
    return path


def film_rolls_xml(path: Path, note: str, frames: list[dict], *, utc_offset_h: int = 9) -> Path:
    """Film Rolls XML in the w3schools namespace; times as UTC instants (local - offset)."""
    import datetime as dt

    def utc(local: str) -> str:
        t = dt.datetime.strptime(local, "%Y-%m-%d %H:%M") - dt.timedelta(hours=utc_offset_h)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    fx = []
    for f in frames:
        parts = [f"<lens>{f.get('lens', '')}</lens>", f"<aperture>{f.get('aperture', '')}</aperture>",
                 f"<shutterSpeed>{f.get('shutter', '')}</shutterSpeed>", "<compensation></compensation>",
                 "<accessory></accessory>", f"<number>{f['n']}</number>"]
        if "date" in f:
            parts.append(f"<date>{utc(f['date'])}</date>")
        if "lat" in f:
            parts.append(f"<latitude>{f['lat']}</latitude><longitude>{f['lon']}</longitude>")
        parts.append(f"<note>{f.get('place', '')}</note>")
        fx.append("<frame>" + "".join(parts) + "</frame>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<data xmlns="http://www.w3schools.com">'
           "<cameras><camera>Nikon FM2</camera></cameras><filmRolls><filmRoll>"
           "<title>Ilford HP5 Plus</title><speed>800</speed><camera>Nikon FM2</camera>"
           "<load>2024-10-03T00:10:00Z</load><unload>2024-10-05T09:40:00Z</unload>"
           f"<note>{note}</note><frames>{''.join(fx)}</frames></filmRoll></filmRolls></data>")
    path.write_text(xml, encoding="utf-8")
    return path


def plain_csv(path: Path, frames: list[dict], *, encoding: str = "utf-8", columns: tuple[str, ...] = (
        "frame", "date", "aperture", "shutter", "focal_length", "lens", "lat", "lon", "place", "note")) -> Path:
    """filmflow's plain CSV with these columns (in this order)."""
    key = {"frame": "n", "focal_length": "focal"}
    rows = [",".join(columns)]
    for f in frames:
        cells = []
        for c in columns:
            v = f.get(key.get(c, c))
            if c == "date" and v:
                v = v.replace(" ", "T")
            cells.append(_csv_cell(v))
        rows.append(",".join(cells))
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path
