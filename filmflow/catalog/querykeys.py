"""Query keys as a table: one compiler per key, giving its SQL, its parameters and its `-v` sentence.

`COMPILERS` maps a term's key to a function (typed value, resolver) -> Pred. The
compiler (`catalog/querysql.py`) looks the key up and never tests key names itself, as
datasette's filters carry their SQL and their sentence together. A new key is one
entry here (its value parser is one entry in `query/parse.py`'s VALUES;
tests/test_query_keys.py checks the two tables name the same keys).

A Pred holds the term's SQL at frame level (aliases `f` frames, `r` rolls) and at roll
level (`r`; None: "rolls having such a frame", wrapped in EXISTS by the compiler). User
text only ever travels as `?` parameters.
"""

from __future__ import annotations

import itertools
import re
import json
from fractions import Fraction
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from filmflow.wording import noun
from filmflow.query.parse import PUSH_TOLERANCE, DateSpan, FrameRef, Interval

if TYPE_CHECKING:  # the protocol lives with the compiler; importing it here would be a cycle
    from filmflow.catalog.querysql import Resolver

@dataclass(frozen=True, slots=True)
class TextHits:
    """Where a bare word was found: roll ids (their text), frame ids (captions), frames reached."""

    rolls: tuple[int, ...]
    frames: tuple[int, ...]
    reach: int


# Above this many frames, a bare-word term is checked while walking frames in listing order
# (which stops after LIMIT rows); below, its frames are looked up by id and sorted.
WALK_ABOVE = 3000


# --- SQL fragments ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Pred:
    """One term's SQL at frame level (`f`, `r`) and at roll level (`r`)."""

    frame_sql: str
    roll_sql: str | None      # None: wrap frame_sql in EXISTS
    params: tuple[Any, ...]
    roll_params: tuple[Any, ...] | None = None
    description: str = ""
    cost: int = 0             # evaluation order: 0 column tests, 1 subqueries, 2 bare words


def _interval_sql(col: str, iv: Interval, tol: float = 0.0) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if iv.lo is not None and iv.hi is not None and iv.lo == iv.hi and not tol:
        return f"{col} = ?", [_num(iv.lo)]
    if iv.lo is not None:
        parts.append(f"{col} {'>' if iv.lo_open else '>='} ?")
        params.append(_num(iv.lo + tol if iv.lo_open else iv.lo - tol))
    if iv.hi is not None:
        parts.append(f"{col} {'<' if iv.hi_open else '<='} ?")
        params.append(_num(iv.hi - tol if iv.hi_open else iv.hi + tol))
    return " AND ".join(parts) or "1", params


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def _date_sql(col: str, span: DateSpan, end_col: str | None = None) -> tuple[str, list[Any]]:
    """[lo, hi) over ISO text; `col || '~'` lets a stored '2023-05' meet a day inside May."""
    parts: list[str] = [f"{col} IS NOT NULL"]
    params: list[Any] = []
    if span.hi is not None:
        parts.append(f"{col} < ?")
        params.append(span.hi)
    if span.lo is not None:
        parts.append(f"coalesce({end_col}, {col}) || '~' >= ?" if end_col else f"{col} || '~' >= ?")
        params.append(span.lo)
    return " AND ".join(parts), params


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pattern(text: str) -> tuple[str, str, bool]:
    """User text -> (LIKE pattern, wording, is_glob): '*' and '?' are wildcards, else a substring."""
    if "*" in text or "?" in text:
        pat = _like_escape(text).replace("*", "%").replace("?", "_")
        return pat, f"matches {text!r}", True
    return f"%{_like_escape(text)}%", f"contains {text!r}", False


def _case_variants(word: str) -> list[str]:
    choices = [sorted({c, c.lower(), c.upper()}) for c in word]
    return sorted({"".join(p) for p in itertools.product(*choices)})


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def text_rowids(table: str, n_columns: int, word: str) -> tuple[str, list[Any]]:
    """SQL selecting the rowids of an FTS table whose text contains `word` (Unicode case-folded).

    The trigram index answers words of 3+ characters; shorter ones (서울, 東京 in NFC, 'é')
    scan the table's stored text (`<table>_content`, columns c0..) with instr() against each
    case variant. Both the NFC and the NFD spelling are searched, so decomposed Hangul or
    accents in folder names are found.
    """
    forms = _unique(unicodedata.normalize(n, word) for n in ("NFC", "NFD"))
    selects: list[str] = []
    params: list[Any] = []
    long = [f for f in forms if len(f) >= 3]
    if long:
        params.append(" OR ".join('"' + f.replace('"', '""') + '"' for f in long))
        selects.append(f"SELECT rowid FROM {table} WHERE {table} MATCH ?{len(params)}")
    short = _unique(v for f in forms if len(f) < 3 for v in _case_variants(f))
    if short:
        tests = []
        for v in short:
            params.append(v)
            tests.extend(f"instr(c{i}, ?{len(params)}) > 0" for i in range(n_columns))
        selects.append(f"SELECT id FROM {table}_content WHERE " + " OR ".join(tests))
    return " UNION ".join(selects), params


# --- one compiler per key ---------------------------------------------------------------------

Compiler = Callable[[Any, "Resolver"], Pred]


def _text(v: str, res: Resolver) -> Pred:
    """A bare word: roll text (titles, notes, stock, folder) or frame captions, via FTS."""
    hits = res.text(v)
    if not hits.rolls and not hits.frames:
        return Pred("0", "0", (), None, f"text contains {v!r}")
    rolls, frames = json.dumps(hits.rolls), json.dumps(hits.frames)
    in_rolls = "r.id IN (SELECT value FROM json_each(?))"
    roll_sql = (f"({in_rolls} OR r.id IN (SELECT roll_id FROM frames WHERE id IN (SELECT value FROM json_each(?))))"
                if hits.frames else in_rolls)
    if not hits.frames:
        # a roll-level test: a listing prunes whole rolls before it looks at their frames
        return Pred(in_rolls, roll_sql, (rolls,), None, f"text contains {v!r}", 2)
    # '+' keeps SQLite from driving the query from the id lists when they reach many frames:
    # walking frames in listing order then stops after LIMIT rows
    plus = "+" if hits.reach > WALK_ABOVE else ""
    frame_sql = (f"({plus}f.id IN (SELECT value FROM json_each(?)) OR {plus}f.roll_id IN (SELECT value FROM json_each(?)))"
                 if hits.rolls else f"{plus}f.id IN (SELECT value FROM json_each(?))")
    fparams = (frames, rolls) if hits.rolls else (frames,)
    return Pred(frame_sql, roll_sql, fparams, (rolls, frames) if hits.frames else (rolls,),
                f"text contains {v!r}", 2)


def _ref(v: FrameRef, res: Resolver) -> Pred:
    """ROLL/FRAME (one frame) or ROLL/A..B (frame numbers of a roll)."""
    roll_id, code = res.roll(v.roll)
    if v.frame is not None:
        fid = res.frame(roll_id, v.frame)
        return Pred("f.id = ?", None, (fid,), None, f"frame {code}/{v.frame}")
    assert v.span is not None
    isql, ip = _interval_sql("f.frame_num", v.span)
    return Pred(f"f.roll_id = ? AND {isql}", None, (roll_id, *ip), None, f"frames {v.span.describe()} of roll {code}")


def _roll(v: str, res: Resolver) -> Pred:
    if "*" in v or "?" in v:
        pat, words, _ = _pattern(v)
        return Pred("r.code LIKE ? ESCAPE '\\'", "r.code LIKE ? ESCAPE '\\'", (pat,), None, f"roll {words}")
    roll_id, code = res.roll(v)
    return Pred("f.roll_id = ?", "r.id = ?", (roll_id,), None, f"roll is {code}")


def _frame(v: str | Interval, res: Resolver) -> Pred:
    if isinstance(v, str):
        return Pred("f.frame = ? COLLATE NOCASE", None, (v,), None, f"frame is {v}")
    sql, p = _interval_sql("f.frame_num", v)
    return Pred(sql, None, tuple(p), None, f"frame number {v.describe()}")


def _stock(v: str, res: Resolver) -> Pred:
    choice = res.stock_choice(v)
    keys = choice.keys
    sql = "r.stock_key = ?" if len(keys) == 1 else f"r.stock_key IN ({', '.join('?' * len(keys))})"
    return Pred(sql, sql, keys, None, choice.describe())


def _roll_range(col: str, label: str, tol: float = 0.0, unit: str = "", also: str = "") -> Compiler:
    """A numeric roll column (iso, ei, push, year) against an Interval; `also` is an extra condition."""
    def compile_range(v: Interval, res: Resolver) -> Pred:
        sql, p = _interval_sql(col, v, tol)
        sql += also
        if not unit:
            return Pred(sql, sql, tuple(p), None, f"{label} {v.describe()}")
        bounds = {b for b in (v.lo, v.hi) if b is not None}   # "push 1 stop", "push 1 to 2 stops"
        return Pred(sql, sql, tuple(p), None,
                    f"{label} {v.describe()} {noun(bounds.pop() if len(bounds) == 1 else 2, unit)}")
    return compile_range


def _format(v: str, res: Resolver) -> Pred:
    col, val = res.format(v)
    what = f"format family {val}" if col == "format_family" else f"format {val}"
    return Pred(f"r.{col} = ?", f"r.{col} = ?", (val,), None, what)


def _process(v: str, res: Resolver) -> Pred:
    return Pred("r.process = ?", "r.process = ?", (v,), None, f"process {v}")


def _roll_text(column: str) -> Compiler:
    """camera, lens, lab: the roll column contains the text (or matches a * ? glob)."""
    def compile_like(v: str, res: Resolver) -> Pred:
        pat, words, _ = _pattern(v)
        sql = f"r.{column} LIKE ? ESCAPE '\\'"
        return Pred(sql, sql, (pat,), None, f"{column} {words}")
    return compile_like


def _roll_dates(col: str, label: str, end_col: str | None = None) -> Compiler:
    """developed, shot: the roll's date (or from-to span) overlaps the DateSpan."""
    def compile_dates(v: DateSpan, res: Resolver) -> Pred:
        sql, p = _date_sql(col, v, end_col=end_col)
        return Pred(sql, sql, tuple(p), None, f"{label} {v.describe()}")
    return compile_dates


def _scanned(v: DateSpan, res: Resolver) -> Pred:
    # a plain range on f.scanned (full EXIF date-times; ingest gives a frame without one its
    # roll's scan date) so SQLite can use frames_scanned instead of walking every frame
    sql, p = _span_sql("f.scanned", v)
    return Pred(sql, None, p, None, f"scanned {v.describe()}")


def _span_sql(col: str, v: DateSpan) -> tuple[str, tuple[Any, ...]]:
    """A plain [lo, hi) range on a full date-time column (an index answers it)."""
    parts, p = [f"{col} IS NOT NULL"], []
    if v.hi is not None:
        parts.append(f"{col} < ?")
        p.append(v.hi)
    if v.lo is not None:
        parts.append(f"{col} >= ?")
        p.append(v.lo)
    return " AND ".join(parts), tuple(p)


def _rating(v: Interval, res: Resolver) -> Pred:
    sql, p = _interval_sql("f.rating", v)
    return Pred(sql, None, tuple(p), None, f"rating {v.describe()}")


def _pick(v: str, res: Resolver) -> Pred:
    return Pred("f.pick = ?", None, (v,), None, f"pick is {v}")


def _project(v: str, res: Resolver) -> Pred:
    pid, name = res.project(v)
    return Pred("f.id IN (SELECT frame_id FROM project_frames WHERE project_id = ?)",
                "r.id IN (SELECT f.roll_id FROM project_frames pf JOIN frames f ON f.id = pf.frame_id "
                "WHERE pf.project_id = ?)", (pid,), None, f"in project {name!r}", 1)


def _tag(v: str, res: Resolver) -> Pred:
    ids = res.tag_ids(v)
    if not ids:
        return Pred("0", "0", (), None, f"tagged {v!r}")
    marks = ", ".join("?" * len(ids))
    return Pred(
        f"(f.id IN (SELECT frame_id FROM frame_tags WHERE tag_id IN ({marks})) "
        f"OR f.roll_id IN (SELECT roll_id FROM roll_tags WHERE tag_id IN ({marks})))",
        f"(r.id IN (SELECT roll_id FROM roll_tags WHERE tag_id IN ({marks})) "
        f"OR r.id IN (SELECT f.roll_id FROM frame_tags ft JOIN frames f ON f.id = ft.frame_id "
        f"WHERE ft.tag_id IN ({marks})))",
        (*ids, *ids), None, f"tagged {v!r}", 1)


def _path(v: str, res: Resolver) -> Pred:
    pat, words, is_glob = _pattern(v)
    if not is_glob and len(v) >= 3:  # a substring: the trigram index (m004) finds it
        phrase = '"' + v.replace('"', '""') + '"'
        return Pred("f.id IN (SELECT rowid FROM path_text WHERE path_text MATCH ?)", None, (phrase,), None,
                    f"path {words}", 1)
    # the subquery reads only the (path, id) index, not the wide frames table
    if is_glob and not pat.startswith("%"):
        return Pred("f.id IN (SELECT id FROM frames WHERE path LIKE ? ESCAPE '\\' OR path LIKE ? ESCAPE '\\')",
                    None, (pat, "%/" + pat), None, f"path {words}", 1)
    return Pred("f.id IN (SELECT id FROM frames WHERE path LIKE ? ESCAPE '\\')", None, (pat,), None,
                f"path {words}", 1)


def _version(v: str, res: Resolver) -> Pred:
    """Frames having a version of this kind (an edit, another scan); rolls having such a frame."""
    return Pred("f.id IN (SELECT frame_id FROM frame_versions WHERE kind = ?)",
                "r.id IN (SELECT f.roll_id FROM frame_versions v JOIN frames f ON f.id = v.frame_id "
                "WHERE v.kind = ?)", (v,), None, "having an edit" if v == "edit" else "having another scan", 1)


# --- film-log keys (catalog/logs.py): a frame's logged capture data, via frames.log_id -------

def _logged(cond: str, params: tuple[Any, ...], words: str, res: Resolver) -> Pred:
    """Frames whose log entry (`lf`) meets `cond`, and rolls having such a frame.

    Few frames (at most WALK_ABOVE): their ids, looked up through log_frames' own index and
    frames_log, then sorted. Many: tested while walking frames in listing order (the walk
    stops after LIMIT rows; frames_walk carries log_id, schema m016), by primary key.
    """
    ids = res.logged_frames(cond, params, WALK_ABOVE)
    if ids is not None:
        if not ids:
            return Pred("0", "0", (), None, words)
        in_ids = "IN (SELECT value FROM json_each(?))"
        return Pred(f"f.id {in_ids}", f"r.id IN (SELECT roll_id FROM frames WHERE id {in_ids})",
                    (json.dumps(ids),), None, words, 1)
    test = f"EXISTS (SELECT 1 FROM log_frames lf WHERE lf.id = f.log_id AND {cond})"
    # a roll: its own log entries (by roll_id), one that meets cond and has a scan
    rolls = (f"EXISTS (SELECT 1 FROM log_frames lf JOIN frames f ON f.log_id = lf.id "
             f"WHERE lf.roll_id = r.id AND {_by_roll(cond)})")
    return Pred(test, rolls, params, None, words, 1)


def _by_roll(cond: str) -> str:
    """`cond` over log_frames `lf` for a per-roll EXISTS: `+lf.col` keeps SQLite on the roll_id index.

    Without it SQLite drove each roll's EXISTS from log_frames_lens / _aperture (every logged
    frame with that lens, for each of 6,000 rolls: `rolls lens:Nikkor` took 5 s at 200k frames).
    """
    return re.sub(r"(?<![+\w])lf\.", "+lf.", cond)


def _describe(iv: Interval, show: Callable[[float], str], longer: str = "or more", shorter: str = "or less") -> str:
    """'f/8', 'f/2 to f/4', '1/60 s or longer', '1/500 s or faster'."""
    if iv.lo is not None and iv.hi is not None:
        return show(iv.lo) if iv.lo == iv.hi else f"{show(iv.lo)} to {show(iv.hi)}"
    if iv.lo is not None:
        return f"{show(iv.lo)} {longer}" + (" (not equal)" if iv.lo_open else "")
    return f"{show(iv.hi)} {shorter}" + (" (not equal)" if iv.hi_open else "") if iv.hi is not None else "any"


def _logged_range(col: str, label: str, show: Callable[[float], str], tol: float) -> Compiler:
    """aperture, focal: a log_frames number column against an Interval (± tol for stored decimals)."""
    def compile_logged(v: Interval, res: Resolver) -> Pred:
        cond, p = _interval_sql(f"lf.{col}", v, tol)
        return _logged(cond, tuple(p), f"{label} {_describe(v, show)}", res)
    return compile_logged


SHUTTER_REL = 0.01  # stored seconds may be a rounded decimal (0.0167 for 1/60): 1% either side


def _seconds(v: float) -> str:
    """0.004 -> '1/250 s', 2.0 -> '2 s'."""
    if v >= 1 or v <= 0:
        return f"{_num(v)} s"
    frac = Fraction(v).limit_denominator(100000)
    return f"1/{_num(round(1 / v, 1))} s" if frac.numerator != 1 else f"1/{frac.denominator} s"


def _shutter(v: Interval, res: Resolver) -> Pred:
    """The exposure time in seconds (log_frames.shutter_s): `>=1/60` is 1/60 s or longer."""
    parts, p = [], []
    if v.lo is not None:
        parts.append("lf.shutter_s > ?" if v.lo_open else "lf.shutter_s >= ?")
        p.append(v.lo * (1 + SHUTTER_REL) if v.lo_open else v.lo * (1 - SHUTTER_REL))
    if v.hi is not None:
        parts.append("lf.shutter_s < ?" if v.hi_open else "lf.shutter_s <= ?")
        p.append(v.hi * (1 - SHUTTER_REL) if v.hi_open else v.hi * (1 + SHUTTER_REL))
    cond = " AND ".join(parts) or "lf.shutter_s IS NOT NULL"
    return _logged(cond, tuple(p), f"shutter {_describe(v, _seconds, 'or longer', 'or faster')}", res)


INLINE_TEXTS = 64  # up to this many matching texts travel as parameters (`IN (?, ?)`), more as JSON


def _among(col: str, texts: list[str]) -> tuple[str, tuple[Any, ...]]:
    """`col` is one of these texts (NOCASE: the lens index is)."""
    if len(texts) <= INLINE_TEXTS:
        return f"{col} COLLATE NOCASE IN ({', '.join('?' * len(texts))})", tuple(texts)
    return f"{col} COLLATE NOCASE IN (SELECT value FROM json_each(?))", (json.dumps(texts, ensure_ascii=False),)


def _place(v: str, res: Resolver) -> Pred:
    """The logged place text contains the word (Unicode case-folded, NFC or NFD; * ? globs)."""
    places = res.logged_texts("place", v)
    words = f"place {_pattern(v)[1]}"
    if not places:
        return Pred("0", "0", (), None, words)
    return _logged(*_among("lf.place", places), words, res)


def _gps(v: str, res: Resolver) -> Pred:
    """A logged position (lat and lon come together: log readers set both or neither)."""
    if v == "yes":
        return _logged("lf.lat IS NOT NULL", (), "GPS position logged", res)
    no = "NOT EXISTS (SELECT 1 FROM log_frames lf WHERE lf.id = f.log_id AND lf.lat IS NOT NULL)"
    return Pred(no, f"EXISTS (SELECT 1 FROM frames f WHERE f.roll_id = r.id AND {no})", (), None,
                "no GPS position logged", 1)


_OWN = "(SELECT lf.{col} FROM log_frames lf WHERE lf.id = f.log_id)"


def _own_or_roll(col: str, roll_cond: str, roll_params: tuple[Any, ...], own: Pred | None,
                 log_cond: str | None, log_params: tuple[Any, ...], words: str) -> Pred:
    """lens, shot: the frame's logged value meets the term (`own`), or it has none and its roll's
    does. A roll: its own value, or a logged frame's (`log_cond` over log_frames `lf`)."""
    unlogged = f"(({roll_cond}) AND (f.log_id IS NULL OR {_OWN.format(col=col)} IS NULL))"
    frame_sql, params = (f"({unlogged} OR {own.frame_sql})", (*roll_params, *own.params)) if own else \
        (unlogged, roll_params)
    logged = f"EXISTS (SELECT 1 FROM log_frames lf WHERE lf.roll_id = r.id AND {_by_roll(log_cond)})" if log_cond else ""
    roll_sql, rparams = (f"(({roll_cond}) OR {logged})", (*roll_params, *log_params)) if log_cond else \
        (f"({roll_cond})", roll_params)
    return Pred(frame_sql, roll_sql, params, rparams, words, 1)


def _lens(v: str, res: Resolver) -> Pred:
    """The frame's logged lens, else its roll's; a roll: its own lens or a logged frame's."""
    pat, words, _ = _pattern(v)
    lenses = res.logged_texts("lens", v)
    log_cond, log_params = _among("lf.lens", lenses) if lenses else (None, ())
    own = _logged(log_cond, log_params, "", res) if log_cond else None
    return _own_or_roll("lens", "r.lens LIKE ? ESCAPE '\\'", (pat,), own, log_cond, log_params, f"lens {words}")


def _shot(v: DateSpan, res: Resolver) -> Pred:
    """The frame's logged shot time, else its roll's shot dates; a roll: either overlaps the span."""
    roll_cond, rp = _date_sql("r.shot_from", v, end_col="r.shot_to")
    log_cond, lp = _span_sql("lf.shot_at", v)
    own = _logged(log_cond, lp, "", res)
    return _own_or_roll("shot_at", roll_cond, tuple(rp), own, log_cond, lp, f"shot {v.describe()}")


# key -> compiler; "text" (bare words) and "ref" (ROLL/FRAME) are the parser's keyless terms
COMPILERS: dict[str, Compiler] = {
    "text": _text,
    "ref": _ref,
    "roll": _roll,
    "frame": _frame,
    "stock": _stock,
    "iso": _roll_range("r.stock_iso", "box ISO"),
    "ei": _roll_range("coalesce(r.ei, r.stock_iso)", "EI"),
    "push": _roll_range("coalesce(r.push, 0)", "push", PUSH_TOLERANCE, "stop"),
    # SPEC: shot year, else developed year; r.year (indexed) also falls back to the scan year
    # for the archive folder, which a query must not count
    "year": _roll_range("r.year", "year", also=" AND coalesce(r.shot_from, r.developed) IS NOT NULL"),
    "format": _format,
    "process": _process,
    "camera": _roll_text("camera"),
    "lens": _lens,
    "lab": _roll_text("lab"),
    "developed": _roll_dates("r.developed", "developed"),
    "shot": _shot,
    "scanned": _scanned,
    "rating": _rating,
    "pick": _pick,
    "project": _project,
    "tag": _tag,
    "path": _path,
    "version": _version,
    "aperture": _logged_range("aperture", "aperture", lambda x: f"f/{_num(x)}", 0.01),
    "shutter": _shutter,
    "focal": _logged_range("focal_length", "focal length", lambda x: f"{_num(x)}mm", 0.01),
    "place": _place,
    "gps": _gps,
}
