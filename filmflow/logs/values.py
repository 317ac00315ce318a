"""Parse the values film logs hold: f-numbers, shutter speeds, positions, local times.

Every parser takes the text as the app wrote it and returns a plain value, or raises
ValueError with a short reason (the reader adds the file and line). Empty text is None.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from fractions import Fraction

# standard shutter speeds, for turning seconds (Lightme's ExposureTime) into "1/250"
_SPEEDS = (8000, 6400, 5000, 4000, 3200, 2500, 2000, 1600, 1250, 1000, 800, 750, 640, 500, 400, 350,
           320, 250, 200, 180, 160, 125, 100, 90, 80, 60, 50, 45, 40, 30, 25, 20, 15, 13, 10, 8, 6, 5, 4, 3, 2)


def blank(text: object) -> bool:
    """True for None, '' and text that is only blank space or the word `null`."""
    return text is None or (isinstance(text, str) and text.strip().lower() in ("", "null"))


def parse_aperture(text: object) -> float | None:
    """An f-number: 'f8', 'f/2.8', '2.8', 8 -> 8.0, 2.8.

    >>> parse_aperture("f8"), parse_aperture("f/2.8"), parse_aperture(" 11 "), parse_aperture("")
    (8.0, 2.8, 11.0, None)
    """
    if blank(text):
        return None
    s = str(text).strip().lower().removeprefix("f").lstrip("/").strip()
    v = float(s)
    if not (0.5 <= v <= 256) or math.isnan(v):
        raise ValueError(f"aperture {text!r} is not an f-number (e.g. 8 or f2.8)")
    return v


def _speed_text(seconds: float) -> str:
    """Seconds as photographers write them: 1/250, 1/4, 2"."""
    if seconds >= 0.4:
        return f'{seconds:g}"'
    inv = 1 / seconds
    best = min(_SPEEDS, key=lambda s: abs(math.log(s / inv)))
    if abs(math.log(best / inv)) < 0.08:
        return f"1/{best}"
    return f"1/{round(inv)}"


def parse_shutter(text: object) -> tuple[str | None, float | None]:
    """A shutter speed as (text, seconds): '1/250', '2"', '30"', '0.5', 'B', 0.004.

    >>> parse_shutter("1/250"), parse_shutter('2"'), parse_shutter("B"), parse_shutter(0.004)
    (('1/250', 0.004), ('2"', 2.0), ('B', None), ('1/250', 0.004))
    """
    if blank(text):
        return None, None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        secs = float(text)
        if not (0 < secs <= 86400):
            raise ValueError(f"exposure time {text!r} is not a number of seconds")
        return _speed_text(secs), secs
    s = str(text).strip().replace("″", '"').replace("''", '"')
    if s.upper() in ("B", "BULB", "T"):
        return s.upper()[:1], None
    if s.endswith('"') or s.endswith("s"):
        secs = float(s[:-1])
        if not (0 < secs <= 86400):
            raise ValueError(f"shutter {text!r} is not a number of seconds")
        return f"{secs:g}\"", secs
    if "/" in s:
        num, _, den = s.partition("/")
        secs = float(Fraction(int(num.strip()), int(den.strip())))
        if not (0 < secs <= 86400):
            raise ValueError(f"shutter {text!r} is not a speed such as 1/250")
        return f"{int(num.strip())}/{int(den.strip())}", secs
    secs = float(s)
    if not (0 < secs <= 86400):
        raise ValueError(f"shutter {text!r} is not a speed such as 1/250, 2\" or B")
    return _speed_text(secs), secs


def parse_shutter_query(text: str) -> float:
    """A shutter value in a query ('1/250', '2', '2"') as seconds."""
    _, secs = parse_shutter(text)
    if secs is None:
        raise ValueError(f"shutter {text!r} has no duration (B); give e.g. 1/250")
    return secs


def parse_focal(text: object) -> float | None:
    """Millimetres: 50, '50', '50mm', '0' (unknown) -> 50.0 / None."""
    if blank(text):
        return None
    v = float(str(text).strip().lower().removesuffix("mm").strip())
    if v == 0:
        return None
    if not (1 <= v <= 5000):
        raise ValueError(f"focal length {text!r} is not a length in mm")
    return v


_DMS = re.compile(
    r"""^\s*(?P<deg>-?\d+(?:\.\d+)?)\s*(?:°|deg|d)?\s*
        (?:(?P<min>\d+(?:\.\d+)?)\s*(?:'|′|m)?\s*)?
        (?:(?P<sec>\d+(?:\.\d+)?)\s*(?:"|″|''|s)?\s*)?
        (?P<ref>[NSEW]|North|South|East|West)?\s*$""", re.I | re.X)


def parse_coordinate(text: object, ref: str | None = None) -> float:
    """One coordinate, decimal or DMS: '37.5759', '37° 34\\' 33.24" N', '126deg 58\\' 36" E'.

    `ref` (N/S/E/W or the words) negates for S and W when the text carries none.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        v = float(text)
    else:
        m = _DMS.match(str(text))
        if not m:
            raise ValueError(f"position {text!r} is neither decimal degrees nor degrees/minutes/seconds")
        if float(m.group("min") or 0) >= 60 or float(m.group("sec") or 0) > 60:  # 60.00: an app's rounding
            raise ValueError(f"position {text!r} has minutes or seconds of 60 or more")
        v = float(m.group("deg"))
        sign = -1 if v < 0 or m.group("deg").startswith("-") else 1
        v = abs(v) + float(m.group("min") or 0) / 60 + float(m.group("sec") or 0) / 3600
        v *= sign
        ref = m.group("ref") or ref
    if ref and ref.strip()[:1].upper() in ("S", "W"):
        v = -abs(v)
    return v


_DMS_PAIR = re.compile(r"^(?P<lat>.+?[NS])\s*,?\s*(?P<lon>.+?[EW])\s*$", re.I)


def parse_position(lat: object, lon: object, lat_ref: str | None = None,
                   lon_ref: str | None = None) -> tuple[float | None, float | None]:
    """A (lat, lon) pair in decimal degrees, checked for range; (None, None) when not logged."""
    if blank(lat) and blank(lon):
        return None, None
    if blank(lat) or blank(lon):
        raise ValueError("position has a latitude or a longitude but not both")
    la, lo = parse_coordinate(lat, lat_ref), parse_coordinate(lon, lon_ref)
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        raise ValueError(f"position {la:g}, {lo:g} is off the globe")
    return round(la, 7), round(lo, 7)


def parse_dms_pair(text: object) -> tuple[float | None, float | None]:
    """Exif Notes' Location cell: '37° 34\\' 33.24" N 126° 58\\' 36.48" E'."""
    if blank(text):
        return None, None
    m = _DMS_PAIR.match(str(text).strip())
    if not m:
        raise ValueError(f"location {text!r} is not 'DD° MM' SS\" N DDD° MM' SS\" E'")
    return parse_position(m.group("lat"), m.group("lon"))


_FORMS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
          "%Y-%m-%d %H:%M", "%Y:%m:%d %H:%M:%S", "%Y-%m-%d", "%d %b %Y at %H:%M")


def parse_local_time(text: object, *, allow_date: bool = True, now: dt.datetime | None = None) -> str | None:
    """A local wall-clock time as ISO text without a zone ('2024-10-03T10:02', '2024-10-03').

    Refuses an offset (the formats hold local time), an impossible date and one in the future.
    """
    if blank(text):
        return None
    s = str(text).strip()
    if re.search(r"(Z|[+-]\d\d:?\d\d)$", s) and re.search(r"\d[T ]\d", s):
        raise ValueError(f"date {s!r} carries a time zone; the log holds local time, write it without one")
    s2 = re.sub(r"^(\d{4})-(\d{1,2})-(\d{1,2})", lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", s)
    s2 = re.sub(r"([T ])(\d):", r"\g<1>0\2:", s2)
    for form in _FORMS:
        try:
            value = dt.datetime.strptime(s2, form)
        except ValueError:
            continue
        if value > (now or dt.datetime.now()) + dt.timedelta(days=1):
            raise ValueError(f"date {s!r} is in the future")
        if form == "%Y-%m-%d":
            if not allow_date:
                break
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if value.second or value.microsecond else "minutes")
    raise ValueError(f"date {s!r} is not a date such as 2024-10-03 or 2024-10-03T10:02")


def parse_utc_instant(text: object) -> str | None:
    """A UTC instant ('2016-05-13T14:12:40Z') kept as such, with its Z; zone-less text is local."""
    if blank(text):
        return None
    s = str(text).strip()
    if s.endswith("Z"):
        value = dt.datetime.strptime(s[:-1].split(".")[0], "%Y-%m-%dT%H:%M:%S")
        if value > dt.datetime.utcnow() + dt.timedelta(days=1):
            raise ValueError(f"date {s!r} is in the future")
        return value.isoformat(timespec="seconds") + "Z"
    return parse_local_time(s)


def frame_label(text: object) -> str:
    """A logged frame number as a frame label: 1 -> '1', '012' -> '12', '00', '12a' -> '12A'."""
    if isinstance(text, bool) or blank(text):
        raise ValueError("frame number is empty")
    if isinstance(text, float):
        if not text.is_integer():
            raise ValueError(f"frame number {text!r} is not a whole number")
        text = int(text)
    s = str(text).strip()
    if not re.fullmatch(r"\d{1,4}[A-Za-z]?", s):
        raise ValueError(f"frame number {s!r} is not a frame label such as 12, 00 or 12A")
    if set(s) == {"0"} and len(s) > 1:
        return "00"
    m = re.fullmatch(r"0*(\d+)([A-Za-z]?)", s)
    return m.group(1) + m.group(2).upper()


def parse_int(text: object, what: str) -> int | None:
    """A whole number (None when empty)."""
    if blank(text):
        return None
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a whole number") from None


def clean_text(text: object) -> str | None:
    """Stripped text, None when empty or the word `null`."""
    return None if blank(text) else str(text).strip()
