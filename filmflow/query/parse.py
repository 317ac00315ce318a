"""The query language's parser: command-line terms -> typed Term nodes (no I/O, no SQL).

One argument is one term. Terms are AND-ed by the compiler (`query/sql.py`).

Worked examples (tests/test_query_parse.py uses the same table):

    rating:4                 Term('rating', Interval(4, 4))
    rating:>=4               Term('rating', Interval(4, None))
    rating:3..5              Term('rating', Interval(3, 5))
    frame:3..7               Term('frame', Interval(3, 7))
    frame:12A                Term('frame', '12A')                  exact frame name
    frame:6-2                Term('frame', '6-2')                  a rescan's frame name
    push:+1                  Term('push', Interval(1.0, 1.0))
    push:+1..+2              Term('push', Interval(1.0, 2.0))
    developed:2023-05        Term('developed', DateSpan('2023-05', '2023-06'))
    shot:2023-05-01..2023-07-31  Term('shot', DateSpan('2023-05-01', '2023-08-01'))
    process:c41              Term('process', 'C-41')
    pick:yes                 Term('pick', 'yes')
    camera:"Nikon FM2"       Term('camera', 'Nikon FM2')
    aperture:<=2.8           Term('aperture', Interval(None, 2.8))
    shutter:>=1/60           Term('shutter', Interval(1/60, None))   seconds: 1/60 s or longer
    gps:yes                  Term('gps', 'yes')
    ^tag:print               Term('tag', 'print', negate=True)
    R042/12                  Term('ref', FrameRef('R042', '12'))
    R001/6-2                 Term('ref', FrameRef('R001', '6-2'))
    R042/3..7                Term('ref', FrameRef('R042', None, Interval(3, 7)))
    R042/                    QueryError: names no frame (the grammar is query/refs.py's)
    서울                      Term('text', '서울')                   a bare word
    "seoul night"            Term('text', 'seoul night')           a quoted phrase

Errors are QueryError (exit 2) naming the term and what would be valid.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from filmflow.errors import QueryError
# FrameRef, Interval and frame_key are re-exported: they were born here and callers import them from here
from filmflow.query.refs import (MAX_FRAME_NUMBER, FrameRef, Interval, fmt_num, frame_key,  # noqa: F401
                                 looks_like_ref, parse_frame_number, parse_frame_ref)

log = logging.getLogger(__name__)

NEGATE = "^"


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A half-open span of ISO dates [lo, hi); None is unbounded. Strings compare as ISO text."""

    lo: str | None
    hi: str | None
    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed query term: key, typed value, negation, and the text as typed."""

    key: str
    value: object
    negate: bool = False
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Query:
    """An AND of terms (empty: everything)."""

    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __len__(self) -> int:
        return len(self.terms)


ROLL_KEYS = frozenset({"roll", "stock", "iso", "ei", "push", "format", "process", "camera", "lens", "lab",
                       "developed", "shot", "year"})
FRAME_KEYS = frozenset({"frame", "rating", "pick", "project", "path", "scanned", "tag", "ref", "version",
                        "aperture", "shutter", "focal", "place", "gps", "lens", "shot"})  # lens, shot: both

PROCESSES = {"c41": "C-41", "e6": "E-6", "bw": "B&W", "ecn2": "ECN-2",
             "blackandwhite": "B&W", "blackwhite": "B&W", "bnw": "B&W", "sw": "B&W"}
VERSION_KINDS = {"edit": "edit", "edits": "edit", "edited": "edit", "scan": "scan", "scans": "scan",
                 "rescan": "scan", "re-scan": "scan"}
PICKS = {"yes": "yes", "y": "yes", "picked": "yes", "pick": "yes", "true": "yes",
         "no": "no", "n": "no", "none": "no", "unflagged": "no", "false": "no",
         "reject": "reject", "rejected": "reject", "x": "reject"}
YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no", "none": "no", "false": "no"}

_KEY_RE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_-]*):(?P<value>.*)$", re.S)
_FRAME_NAME_RE = re.compile(r"^\d+[A-Za-z]?(-\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(/\d+)?$")
_CMP_RE = re.compile(r"^(>=|<=|>|<|=)(.*)$", re.S)

# every numeric key has bounds (parse_interval), so no number reaching SQL overflows its integers
MAX_SPEED = 1_000_000  # iso:/ei: above any film speed
PUSH_TOLERANCE = 0.05  # push is stored rounded to 1/3 stop (0.33, 0.333.. or 1/3)


def valid_keys() -> str:
    """The keys, comma-separated, for error messages."""
    return ", ".join(KEYS)


_fmt_num = fmt_num


def _unquote(text: str, raw: str) -> str:
    """Strip one pair of surrounding quotes; QueryError on an unbalanced or stray quote."""
    if text[:1] in ('"', "'"):
        q = text[0]
        if len(text) < 2 or not text.endswith(q) or q in text[1:-1]:
            raise QueryError(f"unbalanced quote in {raw!r}; close the quote ({q}...{q}) or remove it.")
        return text[1:-1]
    if '"' in text:
        raise QueryError(f"stray quote in {raw!r}; quote the whole value, e.g. camera:\"Nikon FM2\".")
    return text


def _bad(raw: str, key: str, why: str) -> QueryError:
    return QueryError(f"{raw!r}: {why}; write it like {KEYS[key]}.")


def _parse_number(text: str, raw: str, key: str, integer: bool) -> float:
    t = text.strip()
    if not _NUM_RE.match(t):
        raise _bad(raw, key, f"{t or 'nothing'!r} is not a number")
    if len(t) > 30:  # far beyond any ISO, rating or frame number (and SQLite's 64-bit integers)
        raise _bad(raw, key, f"{t[:20]}… is out of range")
    try:
        v = float(Fraction(t.lstrip("+")))
    except (ValueError, ZeroDivisionError):
        raise _bad(raw, key, f"{t!r} is not a number") from None
    except OverflowError:
        raise _bad(raw, key, f"{t!r} is out of range") from None
    if integer and not v.is_integer():
        raise _bad(raw, key, f"{t!r} is not a whole number")
    return v


def parse_interval(text: str, raw: str, key: str, *, integer: bool = True,
                   bounds: tuple[float | None, float | None] = (None, None)) -> Interval:
    """'4', '>=4', '<3', '3..5', '3..', '..5', '+1..+2' -> Interval, checked against `bounds`."""
    m = _CMP_RE.match(text)
    if m:
        op, v = m.group(1), _parse_number(m.group(2), raw, key, integer)
        iv = {">=": Interval(v, None), ">": Interval(v, None, lo_open=True), "<=": Interval(None, v),
              "<": Interval(None, v, hi_open=True), "=": Interval(v, v)}[op]
        if integer and iv.lo_open:
            iv = Interval(v + 1, None)
        if integer and iv.hi_open:
            iv = Interval(None, v - 1)
    elif ".." in text:
        a, _, b = text.partition("..")
        if not a and not b:
            raise _bad(raw, key, "a range needs at least one end")
        lo = _parse_number(a, raw, key, integer) if a else None
        hi = _parse_number(b, raw, key, integer) if b else None
        if lo is not None and hi is not None and lo > hi:
            raise _bad(raw, key, f"the range runs backwards (did you mean {key}:{b.strip()}..{a.strip()}?)")
        iv = Interval(lo, hi)
    else:
        v = _parse_number(text, raw, key, integer)
        iv = Interval(v, v)
    bmin, bmax = bounds
    for v in (iv.lo, iv.hi):
        if v is not None and ((bmin is not None and v < bmin) or (bmax is not None and v > bmax)):
            rng = f"{_fmt_num(bmin)} to {_fmt_num(bmax)}" if bmin is not None and bmax is not None else (
                f"at least {_fmt_num(bmin)}" if bmin is not None else f"at most {_fmt_num(bmax)}")
            raise _bad(raw, key, f"{key} must be {rng}")
    lo = iv.lo if iv.lo is None or bmin is None else max(iv.lo, bmin)
    hi = iv.hi if iv.hi is None or bmax is None else min(iv.hi, bmax)
    if lo is not None and hi is not None and lo > hi:
        raise _bad(raw, key, "nothing can match that")
    return iv


def _date_bounds(text: str, raw: str, key: str) -> tuple[str, str]:
    """'2023' -> ('2023', '2024'); '2023-05' -> ('2023-05', '2023-06'); a day -> (day, next day)."""
    m = _DATE_RE.match(text.strip())
    if not m:
        raise _bad(raw, key, f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            return f"{y:04d}", f"{y + 1:04d}"
        month = int(mo)
        if d is None:
            _dt.date(y, month, 1)
            ny, nm = (y + 1, 1) if month == 12 else (y, month + 1)
            return f"{y:04d}-{month:02d}", f"{ny:04d}-{nm:02d}"
        day = _dt.date(y, month, int(d))
        return day.isoformat(), (day + _dt.timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        raise _bad(raw, key, f"{text!r} is not a real date") from None


def parse_date_span(text: str, raw: str, key: str) -> DateSpan:
    """'2023', '2023-05', '2023-05-01..2023-07-31', '2023..', '..2023-06', '>=2023-05' -> DateSpan."""
    m = _CMP_RE.match(text)
    if m:
        op, rest = m.group(1), m.group(2)
        lo, hi = _date_bounds(rest, raw, key)
        span = {">=": (lo, None), ">": (hi, None), "<": (None, lo), "<=": (None, hi), "=": (lo, hi)}[op]
        return DateSpan(span[0], span[1], text)
    if ".." in text:
        a, _, b = text.partition("..")
        if not a and not b:
            raise _bad(raw, key, "a range needs at least one end")
        lo = _date_bounds(a, raw, key)[0] if a else None
        hi = _date_bounds(b, raw, key)[1] if b else None
        if lo is not None and hi is not None and lo >= hi:
            raise _bad(raw, key, f"the range runs backwards (did you mean {key}:{b}..{a}?)")
        return DateSpan(lo, hi, text)
    lo, hi = _date_bounds(text, raw, key)
    return DateSpan(lo, hi, text)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


ValueParser = Callable[[str, str, str], object]  # (value text, the term as typed, key) -> typed value


def _frame_value(value: str, raw: str, key: str) -> object:
    if _FRAME_NAME_RE.match(value) and not value.isdigit():
        return parse_frame_number(value, raw)  # 12A, 12-2: that exact frame
    return parse_interval(value, raw, key, bounds=(0, MAX_FRAME_NUMBER))


def _numbers(lo: float, hi: float, integer: bool = True) -> ValueParser:
    def parse_numbers(value: str, raw: str, key: str) -> Interval:
        return parse_interval(value, raw, key, integer=integer, bounds=(lo, hi))
    return parse_numbers


def _choice(table: dict[str, str], fold: Callable[[str], str], what: str) -> ValueParser:
    def parse_choice(value: str, raw: str, key: str) -> str:
        found = table.get(fold(value))
        if found is None:
            raise _bad(raw, key, f"{value!r} is not {what}")
        return found
    return parse_choice


def _dates(value: str, raw: str, key: str) -> DateSpan:
    return parse_date_span(value, raw, key)


def _text(value: str, raw: str, key: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


_SECONDS_RE = re.compile(r"(?<=\d)\s*(s|sec)$", re.I)
MAX_SHUTTER_S = 86400  # a day: above any logged exposure (logs/values.py refuses longer)


def _stripped(pattern: str, lo: float, hi: float) -> ValueParser:
    """Numbers that may carry their unit as photographers write it: 'f/2.8', 'f8', '50mm'."""
    unit = re.compile(pattern, re.I)

    def parse_stripped(value: str, raw: str, key: str) -> Interval:
        return parse_interval(unit.sub("", value), raw, key, integer=False, bounds=(lo, hi))
    return parse_stripped


def _shutter(value: str, raw: str, key: str) -> Interval:
    """An exposure time in seconds: '1/250', '2', '2s', '>=1/60' (that long or longer), '1/500..1/125'."""
    text = "..".join(_SECONDS_RE.sub("", part.strip()) for part in value.split(".."))
    return parse_interval(text, raw, key, integer=False, bounds=(0, MAX_SHUTTER_S))


@dataclass(frozen=True, slots=True)
class KeyValue:
    """How one key's value text becomes its typed value, and the example error messages show."""

    example: str
    parse: ValueParser


# key -> its value parser; its SQL is the same key's entry in query/keys.py COMPILERS
VALUES: dict[str, KeyValue] = {
    "roll": KeyValue("roll:R042", _text),
    "frame": KeyValue("frame:12, frame:3..7, frame:12A, frame:12-2", _frame_value),
    "stock": KeyValue("stock:portra400, stock:portra, stock:kodak", _text),
    "iso": KeyValue("iso:400, iso:>=800", _numbers(1, MAX_SPEED)),
    "ei": KeyValue("ei:1600", _numbers(1, MAX_SPEED)),
    "push": KeyValue("push:+1, push:-1, push:0, push:+1..+2", _numbers(-10, 10, integer=False)),
    "format": KeyValue("format:120, format:6x7, format:35mm", _text),
    "process": KeyValue("process:c41, process:e6, process:bw, process:ecn2",
                        _choice(PROCESSES, _squash, "a process (C-41, E-6, B&W, ECN-2)")),
    "camera": KeyValue('camera:"Nikon FM2"', _text),
    "lens": KeyValue("lens:50mm, lens:Nikkor", _text),
    "lab": KeyValue("lab:mono", _text),
    "developed": KeyValue("developed:2023, developed:2023-05, developed:2023-05-01..2023-07-31", _dates),
    "shot": KeyValue("shot:2023-05, shot:2024-10-03", _dates),
    "scanned": KeyValue("scanned:2024", _dates),
    "year": KeyValue("year:2023, year:2021..2023", _numbers(1000, 9999)),
    "rating": KeyValue("rating:4, rating:>=4, rating:3..5", _numbers(0, 5)),
    "pick": KeyValue("pick:yes, pick:no, pick:reject",
                     _choice(PICKS, lambda v: v.strip().casefold(), "a pick state (yes, no, reject)")),
    "project": KeyValue('project:"Seoul 2023"', _text),
    "tag": KeyValue("tag:print", _text),
    "path": KeyValue("path:2023/R042, path:*.tif", _text),
    "version": KeyValue("version:edit, version:scan",
                        _choice(VERSION_KINDS, lambda v: v.strip().casefold(), "a version kind (edit, scan)")),
    # film-log capture data (catalog/logs.py): a frame's own logged values
    "aperture": KeyValue("aperture:8, aperture:<=2.8, aperture:2..4", _stripped(r"\bf/?(?=[\d.])", 0.5, 256)),
    "shutter": KeyValue("shutter:1/250, shutter:>=1/60, shutter:1/500..1/125, shutter:2s", _shutter),
    "focal": KeyValue("focal:50, focal:28..35", _stripped(r"(?<=[\d.])\s*mm\b", 1, 5000)),
    "place": KeyValue("place:종로, place:Lisboa", _text),
    "gps": KeyValue("gps:yes, gps:no", _choice(YES_NO, lambda v: v.strip().casefold(), "yes or no")),
}

# key -> example shown in error messages
KEYS: dict[str, str] = {key: v.example for key, v in VALUES.items()}


def parse_term(arg: str) -> Term:
    """One command-line argument -> Term (see the module docstring for examples)."""
    raw = arg
    text = arg.strip()
    negate = False
    if text.startswith(NEGATE):
        negate, text = True, text[1:].lstrip()
        if not text:
            raise QueryError(f"{raw!r}: '^' negates the term after it, e.g. ^tag:print.")
    if not text:
        raise QueryError("an empty query term; remove it or give a value such as rating:4.")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise QueryError(f"{raw!r} holds a control character; remove it.")
    m = _KEY_RE.match(text)
    if m:
        key = m.group("key").lower()
        if key not in KEYS:
            raise QueryError(f"unknown query key {m.group('key')!r} in {raw!r}; valid keys: {valid_keys()}.")
        value = _unquote(m.group("value"), raw).strip()
        if not value:
            raise QueryError(f"{raw!r} has no value; write it like {KEYS[key]}.")
        return Term(key, VALUES[key].parse(value, raw, key), negate, raw)
    if looks_like_ref(text):
        return Term("ref", parse_frame_ref(text), negate, raw)
    word = unicodedata.normalize("NFC", _unquote(text, raw).strip())
    if not word:
        raise QueryError(f"{raw!r} is an empty phrase; put words between the quotes.")
    return Term("text", word, negate, raw)


def parse_query(args: Iterable[str]) -> Query:
    """Command-line arguments -> Query; QueryError names the first bad term."""
    return Query(tuple(parse_term(a) for a in args))
