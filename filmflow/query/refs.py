"""The one grammar of roll codes and frame references (`R042`, `R042/12`, `R042/3..7`).

Everything that reads a code or a reference goes through here: the query parser (bare
references), the catalog (`get_frame`, project commands), ingest (frame numbers from file
names, codes from roll.toml, `--roll`) and `roll edit --code`. No I/O, no SQL.

Roll codes: 1-32 letters or digits (any script), with `-`, `_` or `.` between them, never
`..`, `/`, spaces, quotes or control characters:

    R042, 2023-014, 롤042, roll_7.b         valid
    R9/sub, .., R 42, "", 5,000 characters  refused with a sentence saying what a code may hold

Frame numbers (what ingest gives a scan, see `frame_number_from_name`): digits, an
optional letter, an optional `-N` for a rescan or second version. Numbers have at most
MAX_FRAME_DIGITS significant digits; a longer run (a timestamp such as 20240501123045 in
a file name) is not a frame number, and such scans are numbered in scan order.

    12 -> '12'    012 -> '12'    00 -> '00'    12a -> '12A'    12-2 -> '12-2'    6-02 -> '6-2'

Frame references (tests/test_query_refs.py uses the same table):

    R042/12          FrameRef('R042', '12')
    R042/12A         FrameRef('R042', '12A')
    R001/6-2         FrameRef('R001', '6-2')
    2023-014/00      FrameRef('2023-014', '00')
    R042/3..7        FrameRef('R042', None, Interval(3, 7))
    R042/4..         FrameRef('R042', None, Interval(4, None))
    R042/            QueryError: give the frame after the slash
    R042/1234567     QueryError: frame numbers have at most 6 digits

`R1/3` means `R001/3` when the code template is `R{n:03d}`: `code_candidates` gives the
spellings a catalog look-up tries (as written first, then as the template writes it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from string import Formatter

from filmflow.errors import InputError, QueryError

MAX_CODE_LENGTH = 32
MAX_FRAME_DIGITS = 6
MAX_FRAME_NUMBER = 10 ** MAX_FRAME_DIGITS - 1
DEFAULT_CODE_TEMPLATE = "R{n:03d}"
CODE_EXAMPLE = "R042 or 2023-014"

_CODE_RE = re.compile(r"^[^\W_](?:[\w.-]*[^\W_])?$")
_FRAME_RE = re.compile(r"^(?P<num>\d+)(?P<letter>[A-Za-z]?)(?:-(?P<version>\d+))?$")
_RANGE_RE = re.compile(r"^(?P<lo>\d*)\.\.(?P<hi>\d*)$")
# a file name's trailing number: digits (no longer run before them), an optional letter
_TRAILING_RE = re.compile(r"(?<!\d)(\d+)([A-Za-z]?)$")


@dataclass(frozen=True, slots=True)
class Interval:
    """A numeric interval; None is unbounded. `lo_open`/`hi_open` exclude the bound."""

    lo: float | None
    hi: float | None
    lo_open: bool = False
    hi_open: bool = False

    def describe(self, unit: str = "") -> str:
        """'4', '≥ 4', '3 to 5' ..."""
        def f(v: float) -> str:
            return fmt_num(v) + unit
        if self.lo is not None and self.hi is not None and self.lo == self.hi:
            return f(self.lo)
        if self.lo is not None and self.hi is not None:
            return f"{f(self.lo)} to {f(self.hi)}"
        if self.lo is not None:
            return ("> " if self.lo_open else "≥ ") + f(self.lo)
        if self.hi is not None:
            return ("< " if self.hi_open else "≤ ") + f(self.hi)
        return "any"


@dataclass(frozen=True, slots=True)
class FrameRef:
    """ROLL/FRAME (an exact frame) or ROLL/A..B (a range of frame numbers)."""

    roll: str
    frame: str | None
    span: Interval | None = None

    def describe(self) -> str:
        """'R042/12' or 'R042/3 to 7'."""
        if self.frame is not None:
            return f"{self.roll}/{self.frame}"
        assert self.span is not None
        return f"{self.roll}/{self.span.describe()}"


def fmt_num(v: float) -> str:
    """4.0 -> '4', 0.5 -> '0.5'."""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def frame_key(frame: str) -> str:
    """Canonical spelling of a frame name: '012' -> '12', '00' stays, '12a' -> '12A', '6-02' -> '6-2'."""
    m = _FRAME_RE.match(frame)
    if not m:
        return frame.upper()
    num, letter = m.group("num"), m.group("letter").upper()
    # '00' (a leader frame) keeps its spelling; '000A' is '0A', as ingest has always named it
    num = "00" if not letter and set(num) == {"0"} and len(num) > 1 else (num.lstrip("0") or "0")
    version = m.group("version")
    return num + letter + (f"-{version.lstrip('0') or '0'}" if version is not None else "")


def _check_digits(digits: str, what: str) -> int:
    if len(digits.lstrip("0")) > MAX_FRAME_DIGITS:
        raise QueryError(f"{what}: frame numbers have at most {MAX_FRAME_DIGITS} digits "
                         f"(0 to {MAX_FRAME_NUMBER}); check the number.")
    return int(digits.lstrip("0") or "0")


def parse_frame_number(text: str, raw: str | None = None) -> str:
    """A frame number as typed -> its canonical spelling: '012' -> '12', '12a' -> '12A', '6-2' -> '6-2'.

    QueryError (naming `raw`, default the text) for anything ingest cannot give a frame.
    """
    raw = text if raw is None else raw
    t = text.strip()
    m = _FRAME_RE.match(t)
    if not m:
        raise QueryError(f"{raw!r}: {t or 'nothing'!r} is not a frame number; write it like 12, 00, 12A or 12-2.")
    _check_digits(m.group("num"), repr(raw))
    if m.group("version") is not None:
        _check_digits(m.group("version"), repr(raw))
    return frame_key(t)


def frame_number_from_name(file_name: str) -> tuple[str, int] | None:
    """The frame number of a scan from its file name's trailing number, or None (scan order).

    >>> frame_number_from_name("R042_0012.jpg"), frame_number_from_name("000012.JPG")
    (('12', 12), ('12', 12))
    >>> frame_number_from_name("12A.tif"), frame_number_from_name("R042_00.jpg"), frame_number_from_name("scan.tif")
    (('12A', 12), ('00', 0), None)
    >>> frame_number_from_name("IMG_20240501123045123456.jpg") is None   # a timestamp, not a frame
    True
    """
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    m = _TRAILING_RE.search(stem)
    if not m:
        return None
    digits, letter = m.group(1), m.group(2).upper()
    if len(digits.lstrip("0")) > MAX_FRAME_DIGITS:
        return None
    return frame_key(digits + letter), int(digits.lstrip("0") or "0")


def parse_roll_code(text: object, where: str = "roll code") -> str:
    """A roll code as given (option, roll.toml, query) -> the code (NFC, trimmed); InputError otherwise.

    `where` names the source in the message ("--roll", "roll.toml [code]").
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise InputError(f"{where}: a roll code is text such as {CODE_EXAMPLE}, not {type(text).__name__} "
                         f"{text!r}; write it as quoted text, e.g. \"R042\".")
    code = unicodedata.normalize("NFC", str(text).strip())
    shown = code if len(code) <= 40 else code[:40] + "…"
    if len(code) > MAX_CODE_LENGTH:
        raise InputError(f"{where}: roll code {shown!r} is {len(code)} characters long; use at most "
                         f"{MAX_CODE_LENGTH}, e.g. {CODE_EXAMPLE}.")
    if not _CODE_RE.match(code) or ".." in code:
        raise InputError(f"{where}: {shown!r} is not a roll code; use letters and digits, with '-', '_' or '.' "
                         f"between them (no '/', '..', spaces or quotes), e.g. {CODE_EXAMPLE}.")
    return code


def _template_parts(template: str) -> tuple[str, str] | None:
    """'R{n:03d}' -> ('R', ''); None when the template is not prefix + {n...} + suffix."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return None
    fields = [p for p in parts if p[1] is not None]
    if len(fields) != 1 or fields[0][1] != "n":
        return None
    prefix = "".join(p[0] for p in parts[:parts.index(fields[0]) + 1])
    suffix = "".join(p[0] for p in parts[parts.index(fields[0]) + 1:])
    return prefix, suffix


def code_candidates(code: str, template: str = DEFAULT_CODE_TEMPLATE) -> tuple[str, ...]:
    """The spellings a look-up of `code` tries: as written, then as `template` writes its number.

    >>> code_candidates("R1"), code_candidates("r0042"), code_candidates("2023-014")
    (('R1', 'R001'), ('r0042', 'R042'), ('2023-014',))
    """
    out = [code]
    parts = _template_parts(template)
    if parts is not None:
        prefix, suffix = parts
        m = re.fullmatch(re.escape(prefix) + r"(\d{1,9})" + re.escape(suffix), code, re.IGNORECASE)
        if m:
            try:
                alt = template.format(n=int(m.group(1)))
            except (ValueError, IndexError, KeyError):
                alt = code
            if alt.casefold() != code.casefold():
                out.append(alt)
    return tuple(out)


def looks_like_ref(text: str) -> bool:
    """Whether a bare term is meant as a frame reference: ROLL/ then a digit, '..' or nothing."""
    roll, slash, frame = text.partition("/")
    if not slash or not roll or "/" in frame or any(c.isspace() or c in "\"':^" for c in roll):
        return False
    return not frame or frame[0].isdigit() or frame.startswith("..")


def _parse_range(roll: str, m: re.Match[str], raw: str) -> FrameRef:
    lo = _check_digits(m.group("lo"), repr(raw)) if m.group("lo") else None
    hi = _check_digits(m.group("hi"), repr(raw)) if m.group("hi") else None
    if lo is None and hi is None:
        raise QueryError(f"{raw!r}: a frame range needs at least one end, e.g. {roll}/3..7.")
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"{raw!r}: the frame range runs backwards; write {roll}/{hi}..{lo}.")
    return FrameRef(roll, None, Interval(lo, hi))


def parse_frame_ref(text: str, *, ranges: bool = True) -> FrameRef:
    """'R042/12', 'R001/6-2', 'R042/3..7' -> FrameRef (see the module docstring); QueryError otherwise.

    With `ranges=False` (a command taking one FRAME) a range is refused too.
    """
    raw = text
    t = unicodedata.normalize("NFC", text.strip())
    roll, slash, frame = t.partition("/")
    if not slash or not roll:
        raise QueryError(f"{raw!r} is not a frame reference; write it as ROLL/FRAME, e.g. R042/12.")
    try:
        roll = parse_roll_code(roll, repr(raw))
    except InputError as e:
        raise QueryError(e.message) from None
    frame = frame.strip()
    if not frame:
        raise QueryError(f"{raw!r} names no frame; give one after the slash ({roll}/12), a range ({roll}/3..7), "
                         f"or use roll:{roll} for the whole roll.")
    m = _RANGE_RE.match(frame)
    if m:
        if not ranges:
            raise QueryError(f"{raw!r} is a range; give one frame, e.g. {roll}/12.")
        return _parse_range(roll, m, raw)
    return FrameRef(roll, parse_frame_number(frame, raw))
