"""Scan-folder names → roll metadata: date, film stock, EI/push, format, roll code, title.

`parse_folder_name` reads what photographers and labs write in folder names (SPEC "Where roll
metadata comes from", item 3). It does no I/O and never raises, whatever the text.

How a name is read, in this order; each piece found is cut out of the name, so a number
that belongs to a date, a stock alias (Portra 400, Gold200, 엑타100) or an EI is never
also taken as a format, code or push:

1. ``.zip`` at the end is dropped; the name is NFC-normalised (macOS writes Hangul decomposed).
2. Dates: ``YYYY-MM-DD``, ``YYYY.MM.DD``, ``YYYY_MM_DD``, ``YYYYMMDD``, ``2023년 5월 1일`` /
   ``2023年5月1日``, and year + month alone (``2023.05``, ``2023-05``, ``2023년 5월``) as
   ``YYYY-MM``. Only real calendar dates from 1900 to 2100 count; "20231345" is not a date.
   The first date is the roll's date; every valid date is cut from the title.
   When the name holds none of these, a standalone six-digit ``YYMMDD`` (``250412_Gold200``,
   common with labs and Korean shooters) is a date in 20YY if it is a real calendar date
   that is not in the future; ``00MMDD`` is a zero-padded lab counter, never a date.
3. Stock: the longest alias of the stock catalog anywhere in the name, case- and
   separator-insensitive, never inside a larger word ("Golden Gate" is not Kodak Gold).
4. Roll code: ``R042``/``r42`` (R and 2-5 digits, so camera names like "Leica R6" are not
   codes), ``Roll 42``, ``roll-042``, ``Roll #42``, ``#42``, ``롤 42``, ``ロール42`` →
   ``R042`` (zero-padded to 3 digits); ``Roll 2023-014`` or a bare ``2023-014`` (a year and a
   3-digit number) → ``2023-014`` as written.
5. EI: ``EI1600``, ``EI 1600``, ``@1600``, ``ISO1600``/``ASA 1600``, ``pushed to 1600``,
   ``1600 push``.
6. Push/pull: ``+1``, ``-1``, ``+1.5``, ``+2/3``, ``push1``, ``push 2``, ``push+1``,
   ``pull1``, ``+1 stop``, ``1 stop push``, ``+1증감``, ``2段増感``, ``1段減感``.
   EI wins: with a stock and an EI, push = log2(EI / box ISO) rounded to 1/3 stop (two
   decimals: +1.33); with a stock and only a push, EI = box ISO x 2**push on the nearest
   standard speed (Portra 160 +1 → 320). Without a stock, what was written is kept.
7. Format: the aliases of config/formats.toml ("135", "35mm", "half", "120", "645",
   "6x4.5", "6x6", "6x7", "6×7", "6X7", "6x9", "4x5", "중형", "ブローニー", ...).
8. A leading number of 5 or more digits that is not a date is a lab order number
   (Noritsu/Frontier folders: ``000123_Portra400_35mm``) and is dropped.
9. Title: the words left over, each piece stripped of separators, underscores read as
   spaces, empty brackets removed ("서울 산책"); None when nothing is left.

Worked examples (tests/test_foldername.py checks these and many more):

====================================  ==========  ===============  ====  ====  ====  ====  ===============
name                                  date        stock            ei    push  fmt   code  title
====================================  ==========  ===============  ====  ====  ====  ====  ===============
000123_Portra400_35mm                 -           Portra 400       -     -     135   -     -
R042_2023-05-01_HP5+_EI1600           2023-05-01  HP5 Plus         1600  2.0   -     R042  -
Roll 42 - Tri-X @1600 (push 2)        -           Tri-X 400        1600  2.0   -     R042  -
2023.07.02_포트라400_+1               2023-07-02  Portra 400       800   1.0   -     -     -
2023-03-10 ポートラ400 京都           2023-03-10  Portra 400       -     -     -     -     京都
2023-06-10 Ektar100 Côte d'Azur       2023-06-10  Ektar 100        -     -     -     -     Côte d'Azur
Café Lisboa - Superia 400 - 135       -           Superia X-TRA    -     -     135   -     Café Lisboa
20230501                              2023-05-01  -                -     -     -     -     -
CineStill 800T @1600 Tokyo night      -           CineStill 800T   1600  1.0   -     -     Tokyo night
#42 kodak gold 200                    -           Gold 200         -     -     -     R042  -
2023.05 Seoul                         2023-05     -                -     -     -     -     Seoul
Portra 160 +1 6x7                     -           Portra 160       320   1.0   6x7   -     -
250412_Gold200_135                    2025-04-12  Gold 200         -     -     135   -     -
====================================  ==========  ===============  ====  ====  ====  ====  ===============
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from filmflow.stocks import (
    FilmFormat,
    Stock,
    StockCatalog,
    ei_for_push,
    find_longest_alias,
    normalize_alias,
    push_stops,
)

log = logging.getLogger(__name__)

_Cut = Callable[[int, int], None]  # replaces text[start:end] of the working copy with _CUT

_CUT = "\x00"  # what a consumed piece of the name is replaced by (a hard barrier for later steps)
_NB = r"(?<![^\W_])"  # not preceded by a letter or digit (any script)
_NA = r"(?![^\W_])"  # not followed by a letter or digit

# config/formats.toml's aliases, for callers that pass no formats (the parser does no I/O);
# pass load_formats() to honour a user's own formats.
_DEFAULT_FORMAT_ALIASES = {
    "135": ("135", "35mm", "35미리", "35밀리", "35ミリ"), "half": ("half", "halfframe", "하프", "ハーフ"),
    "120": ("120", "중형", "中判", "브로니", "ブローニー"), "645": ("645", "6x4.5"), "6x6": ("6x6",),
    "6x7": ("6x7",), "6x9": ("6x9",), "4x5": ("4x5", "대형", "大判"),
}

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(\d{4})\s*[년年]\s*(\d{1,2})\s*[월月](?:\s*(\d{1,2})\s*[일日])?"),
    re.compile(r"(?<![\d.])(\d{4})([-._])(\d{1,2})\2(\d{1,2})(?!\d)(?!\.\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(?<![\d.])(\d{4})[-._](\d{1,2})(?![\d])(?![-._]\d)"),
)

_YYMMDD = re.compile(_NB + r"(\d{2})(\d{2})(\d{2})" + _NA)

_CODE_YEAR_SEQ = re.compile(_NB + r"(?:(?:roll|롤|ロール)[\s_\-.#:]*)?((?:19|20)\d{2})[-_](\d{3})(?!\d)" + _NA, re.I)
_CODE_ROLL = re.compile(_NB + r"(?:roll|롤|ロール)[\s_\-.:]*(?:#|no\.?)?\s*(\d{1,5})(?!\d)" + _NA, re.I)
_CODE_R = re.compile(_NB + r"r(\d{2,5})" + _NA, re.I)
_CODE_HASH = re.compile(r"#\s*(\d{1,5})(?!\d)")

_PUSH_WORDS = r"push(?:ed)?|pull(?:ed)?|푸시|푸쉬|증감|감감|増感|減感|プッシュ"
_STOPS = r"(?:\s*(?:stops?|스탑|스톱|단|段|ev))?"
_NUM = r"(\d(?:[.,]\d{1,2})?(?:/3)?)"
_EI_PATTERNS = (
    re.compile(_NB + r"(?:ei|iso|asa)\s*[:=_\-]?\s*(\d{1,6})(?!\d)", re.I),
    re.compile(r"@\s*(?:ei|iso)?\s*(\d{1,6})(?!\d)", re.I),
    re.compile(_NB + r"(?:" + _PUSH_WORDS + r")\s*(?:to|@|->|→|에|で)?\s*(\d{2,6})(?!\d)" + _NA, re.I),
    re.compile(_NB + r"(\d{2,6})\s*(?:" + _PUSH_WORDS + r")" + _NA, re.I),
)
_PUSH_PATTERNS = (
    re.compile(_NB + r"(?P<w>" + _PUSH_WORDS + r")\s*[:=]?\s*(?P<sign>[+-])?\s*" + _NUM.replace("(", "(?P<n>", 1)
               + _STOPS + _NA, re.I),
    re.compile(_NB + r"(?P<sign>[+-])?" + _NUM.replace("(", "(?P<n>", 1) + _STOPS + r"\s*(?P<w>" + _PUSH_WORDS + r")"
               + _NA, re.I),
    re.compile(_NB + r"(?P<sign>[+-])" + _NUM.replace("(", "(?P<n>", 1) + _STOPS + _NA, re.I),
)
_LAB_ORDER = re.compile(r"^[\s\x00_\-.]*(\d{5,})(?=[\s\x00_\-.]|$)")
_EMPTY_BRACKETS = re.compile(r"[(\[{（【「『]" + r"[\s\x00_\-.,·~:;|+]*" + r"[)\]}）】」』]")
_STRIP = " \t\n\r\x00_-.,·~:;|+@#&=/\\\u3000、。"


@dataclass(frozen=True, slots=True)
class FolderInfo:
    """What a scan folder's name says about its roll (every field None when the name does not say)."""

    date: str | None  # "YYYY-MM-DD", or "YYYY-MM" when only year and month are written
    stock: Stock | None
    ei: int | None  # exposure index, stated or derived from a push
    push: float | None  # stops (+ push, - pull); derived ones rounded to 1/3 stop
    format: str | None  # a key of load_formats(): "135", "half", "120", "645", "6x6", "6x7", "6x9", "4x5"
    code: str | None  # "R042", or "2023-014" for a year-sequence code
    title: str | None  # the words left over


def parse_folder_name(name: str, stocks: StockCatalog, formats: dict[str, FilmFormat] | None = None, *,
                      today: dt.date | None = None) -> FolderInfo:
    """Read date, stock, EI/push, format, roll code and title from a scan folder's name (see module docstring).

    `today` bounds six-digit YYMMDD dates (none may be in the future); default: the local date.
    """
    text = unicodedata.normalize("NFC", str(name))
    if text.casefold().endswith(".zip"):
        text = text[:-4]
    buf = [text]  # the working copy; consumed pieces become _CUT

    def cut(start: int, end: int) -> None:
        buf[0] = buf[0][:start] + _CUT * (end - start) + buf[0][end:]

    date = _take_date(buf, cut) or _take_yymmdd(buf, cut, today or dt.date.today())
    stock = None
    found = stocks.find_in_text(buf[0])
    if found is not None:
        stock, s, e = found
        cut(s, e)
    code = _take_code(buf, cut)
    ei = _take_ei(buf, cut)
    push = _take_push(buf, cut)
    fmt = _take_format(buf, cut, formats)
    m = _LAB_ORDER.match(buf[0])
    if m:
        log.debug("folder %r: %s read as a lab order number", text, m.group(1))
        cut(m.start(1), m.end(1))

    if stock is not None and ei is not None:
        push = push_stops(ei, stock.iso)
    elif stock is not None and push is not None:
        ei = ei_for_push(stock.iso, push)
    return FolderInfo(date=date, stock=stock, ei=ei, push=push, format=fmt, code=code, title=_title(buf[0]))


def _take_date(buf: list[str], cut: _Cut) -> str | None:
    """_Cut every valid date; return the first one (by position)."""
    found: list[tuple[int, int, str]] = []
    for rx in _DATE_PATTERNS:
        for m in rx.finditer(buf[0]):
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            g = [x for x in m.groups() if x is not None and x not in "-._"]
            value = _valid_date(g[0], g[1], g[2] if len(g) > 2 else None)
            if value is not None:
                found.append((m.start(), m.end(), value))
    for s, e, _ in found:
        cut(s, e)
    return min(found)[2] if found else None


def _take_yymmdd(buf: list[str], cut: _Cut, today: dt.date) -> str | None:
    """_Cut the first standalone YYMMDD that is a real, not-future date in 20YY; return it.

    '00' as the year is a zero-padded lab counter (000123), so it never reads as a date.
    """
    for m in _YYMMDD.finditer(buf[0]):
        if m.group(1) == "00":
            continue
        value = _valid_date("20" + m.group(1), m.group(2), m.group(3))
        if value is not None and value <= today.isoformat():
            cut(m.start(), m.end())
            return value
    return None


def _valid_date(year: str, month: str, day: str | None) -> str | None:
    try:
        y, mo = int(year), int(month)
        if not 1900 <= y <= 2100:
            return None
        if day is None:
            return f"{y:04d}-{mo:02d}" if 1 <= mo <= 12 else None
        return dt.date(y, mo, int(day)).isoformat()
    except ValueError:
        return None


def _take_code(buf: list[str], cut: _Cut) -> str | None:
    m = _CODE_YEAR_SEQ.search(buf[0])
    if m:
        cut(m.start(), m.end())
        return f"{m.group(1)}-{m.group(2)}"
    for rx in (_CODE_ROLL, _CODE_R, _CODE_HASH):
        m = rx.search(buf[0])
        if m:
            cut(m.start(), m.end())
            return f"R{int(m.group(1)):03d}"
    return None


def _take_ei(buf: list[str], cut: _Cut) -> int | None:
    for rx in _EI_PATTERNS:
        m = rx.search(buf[0])
        if m:
            value = int(m.group(1))
            if 1 <= value <= 409600 and (rx is _EI_PATTERNS[0] or rx is _EI_PATTERNS[1] or value >= 10):
                cut(m.start(), m.end())
                return value
    return None


def _take_push(buf: list[str], cut: _Cut) -> float | None:
    for rx in _PUSH_PATTERNS:
        for m in rx.finditer(buf[0]):
            n = m.group("n").replace(",", ".")
            try:
                stops = int(n[0]) / 3 if n.endswith("/3") else float(n)
            except ValueError:
                continue
            if stops > 5:
                continue
            word = (m.groupdict().get("w") or "").casefold()
            if m.group("sign") == "-" or word.startswith("pull") or word in ("감감", "減感"):
                stops = -stops
            cut(m.start(), m.end())
            return round(stops, 2) + 0.0
    return None


def _format_index(formats: dict[str, FilmFormat] | None) -> dict[str, str]:
    index: dict[str, str] = {}
    items = ((k, (k, *f.aliases)) for k, f in formats.items()) if formats else _DEFAULT_FORMAT_ALIASES.items()
    for key, aliases in items:
        for alias in aliases:
            folded = normalize_alias(str(alias))
            if folded and folded not in index:
                index[folded] = key
    return index


def _take_format(buf: list[str], cut: _Cut, formats: dict[str, FilmFormat] | None) -> str | None:
    """_Cut every format mention; a frame size beats its bare film ("6x7 중형" → 6x7, "135 half" → half)."""
    index = _format_index(formats)
    found: list[str] = []
    for _ in range(4):
        hit = find_longest_alias(buf[0], index)
        if hit is None:
            break
        key, s, e = hit
        cut(s, e)
        found.append(key)
    if not found:
        return None
    generic = {k for k, f in formats.items() if f.family == k} if formats else {"135", "120"}
    specific = [k for k in found if k not in generic]
    return (specific or found)[0]


def _title(rest: str) -> str | None:
    """The words left over: empty brackets removed, each piece stripped of separators, '_' read as a space."""
    prev = None
    while prev != rest:
        prev, rest = rest, _EMPTY_BRACKETS.sub(_CUT, rest)
    pieces = []
    for piece in re.split(r"\x00+", rest):
        piece = re.sub(r"\s+", " ", piece.replace("_", " ")).strip(_STRIP)
        if piece:
            pieces.append(piece)
    title = " ".join(pieces)
    return title or None
