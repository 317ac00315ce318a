"""The query compiler: Term nodes -> a parameterised WHERE clause plus a plain-English description.

User text only ever travels as `?` parameters; the SQL text is built from fixed
fragments. The clause refers to `f` (frames) and `r` (rolls) for a frame listing
(`FROM frames f JOIN rolls r ON r.id = f.roll_id`) and to `r` alone for a roll listing,
where a frame-level key means "rolls having such a frame" (EXISTS).

Names that need the catalog (a stock alias, a format alias, a project, a tag, a roll
code, a frame reference) are looked up through a `Resolver` before the SQL is built,
so an unknown project or frame is a QueryError/NotFoundError, not an empty result.
Bare words use the FTS5 trigram tables from schema migration m002 (`roll_text`,
`frame_text`); words shorter than 3 characters fall back to a scan of those (small)
tables' text in SQLite, never per-frame Python.
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, Protocol

from filmflow.errors import InputError, NotFoundError, QueryError
from filmflow.query.parse import PUSH_TOLERANCE, DateSpan, FrameRef, Interval, Query, Term, parse_query
from filmflow.query.refs import DEFAULT_CODE_TEMPLATE, code_candidates
from filmflow.stockfamilies import StockChoice, choose_stocks

log = logging.getLogger(__name__)

Target = Literal["frames", "rolls"]

ROLL_TEXT_COLUMNS = ("title", "notes", "stock", "source")  # roll_text, as created by schema m002
FRAME_TEXT_COLUMNS = ("caption",)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A WHERE clause (empty: everything), its parameters and what each term meant."""

    where: str
    params: tuple[Any, ...]
    descriptions: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """'rating ≥ 4 and stock is Kodak Portra 400', or 'everything'."""
        return " and ".join(self.descriptions) or "everything"

    def __bool__(self) -> bool:
        return bool(self.where)


class Resolver(Protocol):
    """Catalog look-ups the compiler needs; each raises QueryError/NotFoundError on unknown names."""

    def stock(self, text: str) -> tuple[str, str]: ...            # -> (stock key, canonical name)
    def stock_choice(self, text: str) -> StockChoice: ...         # -> one stock, a family or a maker
    def format(self, text: str) -> tuple[str, str]: ...           # -> ("format"|"format_family", value)
    def project(self, name: str) -> tuple[int, str]: ...          # -> (id, name)
    def tag_ids(self, name: str) -> list[int]: ...
    def roll(self, code: str) -> tuple[int, str]: ...             # -> (id, code)
    def frame(self, roll_id: int, frame: str) -> int: ...         # -> frame id
    def text(self, word: str) -> "TextHits": ...                  # bare-word search


def _squash(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


class CatalogResolver:
    """Resolver over an open catalog connection, the stock catalog and the format table."""

    def __init__(self, conn: sqlite3.Connection, stocks: Any = None, formats: Mapping[str, Any] | None = None,
                 code_template: str = DEFAULT_CODE_TEMPLATE) -> None:
        self.conn = conn
        self.stocks = stocks
        self.formats = formats or {}
        self.code_template = code_template

    def stock(self, text: str) -> tuple[str, str]:
        """The one stock an exact alias names (key, name); QueryError otherwise."""
        found = self.stocks.find(text) if self.stocks is not None else None
        if found is None:
            self._no_stock(text)
        return found.key, found.name

    def stock_choice(self, text: str) -> StockChoice:
        """What `stock:TEXT` means: one stock, a family or a maker (filmflow/stockfamilies.py)."""
        found = choose_stocks(self.stocks, text) if self.stocks is not None else None
        if found is None:
            self._no_stock(text)
        return found

    def _no_stock(self, text: str) -> NoReturn:
        if self.stocks is None:
            raise QueryError(f"stock:{text} needs the film stock catalog, which is not available.")
        try:
            close = [getattr(s, "name", str(s)) for s in self.stocks.closest(text)]
        except Exception:  # noqa: BLE001 - suggestions are a nicety
            close = []
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QueryError(f"no film stock matches {text!r}{hint} (`filmflow stocks` lists them).")

    def format(self, text: str) -> tuple[str, str]:
        want = _squash(text)
        families = {getattr(f, "family", "") for f in self.formats.values()}
        for name, f in self.formats.items():
            if want in {_squash(name), *(_squash(a) for a in getattr(f, "aliases", ()))}:
                return ("format_family", name) if name in families else ("format", name)
        for fam in families:
            if fam and want == _squash(fam):
                return "format_family", fam
        known = ", ".join(sorted(self.formats)) or "135, 120, 6x7"
        raise QueryError(f"format:{text} is not a film format; known formats: {known}.")

    def project(self, name: str) -> tuple[int, str]:
        rows = self.conn.execute("SELECT id, name FROM projects").fetchall()
        want = unicodedata.normalize("NFC", name).casefold()
        for pid, pname in rows:
            if unicodedata.normalize("NFC", pname).casefold() == want:
                return int(pid), pname
        names = ", ".join(sorted(n for _, n in rows)[:10]) or "none yet"
        raise NotFoundError(f"no project named {name!r}; projects: {names} (`filmflow project create` makes one).")

    def tag_ids(self, name: str) -> list[int]:
        want = unicodedata.normalize("NFC", name).casefold()
        return [int(i) for i, n in self.conn.execute("SELECT id, name FROM tags")
                if unicodedata.normalize("NFC", n).casefold() == want]

    def roll(self, code: str) -> tuple[int, str]:
        for spelling in code_candidates(code, self.code_template):  # R1 is R001 under R{n:03d}
            row = self.conn.execute("SELECT id, code FROM rolls WHERE code = ? COLLATE NOCASE",
                                    (spelling,)).fetchone()
            if row is not None:
                return int(row[0]), row[1]
        raise NotFoundError(f"no roll with code {code!r}; `filmflow rolls` lists the codes.")

    def frame(self, roll_id: int, frame: str) -> int:
        row = self.conn.execute("SELECT id FROM frames WHERE roll_id = ? AND frame = ? COLLATE NOCASE",
                                (roll_id, frame)).fetchone()
        if row is None:
            code = self.conn.execute("SELECT code FROM rolls WHERE id = ?", (roll_id,)).fetchone()[0]
            raise NotFoundError(f"no frame {code}/{frame}; `filmflow frames roll:{code}` lists that roll's frames.")
        return int(row[0])


    def text(self, word: str) -> TextHits:
        rsql, rp = text_rowids("roll_text", len(ROLL_TEXT_COLUMNS), word)
        fsql, fp = text_rowids("frame_text", len(FRAME_TEXT_COLUMNS), word)
        rolls = [r for (r,) in self.conn.execute(rsql, rp)]
        frames = [f for (f,) in self.conn.execute(fsql, fp)]
        n = len(frames)
        if rolls:
            n += self.conn.execute("SELECT count(*) FROM frames WHERE roll_id IN (SELECT value FROM json_each(?))",
                                   (json.dumps(rolls),)).fetchone()[0]
        return TextHits(tuple(rolls), tuple(frames), n)


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
class _Pred:
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


def _frame_exists(sql: str) -> str:
    return f"EXISTS (SELECT 1 FROM frames f WHERE f.roll_id = r.id AND ({sql}))"


def _predicate(term: Term, res: Resolver) -> _Pred:
    key, v = term.key, term.value
    if key == "text":
        assert isinstance(v, str)
        hits = res.text(v)
        if not hits.rolls and not hits.frames:
            return _Pred("0", "0", (), None, f"text contains {v!r}")
        rolls, frames = json.dumps(hits.rolls), json.dumps(hits.frames)
        in_rolls = "r.id IN (SELECT value FROM json_each(?))"
        roll_sql = (f"({in_rolls} OR r.id IN (SELECT roll_id FROM frames WHERE id IN (SELECT value FROM json_each(?))))"
                    if hits.frames else in_rolls)
        if not hits.frames:
            # a roll-level test: a listing prunes whole rolls before it looks at their frames
            return _Pred(in_rolls, roll_sql, (rolls,), None, f"text contains {v!r}", 2)
        # '+' keeps SQLite from driving the query from the id lists when they reach many frames:
        # walking frames in listing order then stops after LIMIT rows
        plus = "+" if hits.reach > WALK_ABOVE else ""
        frame_sql = (f"({plus}f.id IN (SELECT value FROM json_each(?)) OR {plus}f.roll_id IN (SELECT value FROM json_each(?)))"
                     if hits.rolls else f"{plus}f.id IN (SELECT value FROM json_each(?))")
        fparams = (frames, rolls) if hits.rolls else (frames,)
        return _Pred(frame_sql, roll_sql, fparams, (rolls, frames) if hits.frames else (rolls,),
                     f"text contains {v!r}", 2)
    if key == "ref":
        assert isinstance(v, FrameRef)
        roll_id, code = res.roll(v.roll)
        if v.frame is not None:
            fid = res.frame(roll_id, v.frame)
            return _Pred("f.id = ?", None, (fid,), None, f"frame {code}/{v.frame}")
        assert v.span is not None
        isql, ip = _interval_sql("f.frame_num", v.span)
        return _Pred(f"f.roll_id = ? AND {isql}", None, (roll_id, *ip), None,
                     f"frames {v.span.describe()} of roll {code}")
    if key == "roll":
        assert isinstance(v, str)
        if "*" in v or "?" in v:
            pat, words, _ = _pattern(v)
            return _Pred("r.code LIKE ? ESCAPE '\\'", "r.code LIKE ? ESCAPE '\\'", (pat,), None, f"roll {words}")
        roll_id, code = res.roll(v)
        return _Pred("f.roll_id = ?", "r.id = ?", (roll_id,), None, f"roll is {code}")
    if key == "frame":
        if isinstance(v, str):
            return _Pred("f.frame = ? COLLATE NOCASE", None, (v,), None, f"frame is {v}")
        assert isinstance(v, Interval)
        sql, p = _interval_sql("f.frame_num", v)
        return _Pred(sql, None, tuple(p), None, f"frame number {v.describe()}")
    if key == "stock":
        choice = res.stock_choice(str(v))
        keys = choice.keys
        sql = "r.stock_key = ?" if len(keys) == 1 else f"r.stock_key IN ({', '.join('?' * len(keys))})"
        return _Pred(sql, sql, keys, None, choice.describe())
    if key in ("iso", "ei", "push", "year"):
        assert isinstance(v, Interval)
        col = {"iso": "r.stock_iso", "ei": "coalesce(r.ei, r.stock_iso)", "push": "coalesce(r.push, 0)",
               "year": "r.year"}[key]
        sql, p = _interval_sql(col, v, PUSH_TOLERANCE if key == "push" else 0.0)
        if key == "year":
            # SPEC: shot year, else developed year; r.year (indexed) also falls back to the scan
            # year for the archive folder, which a query must not count
            sql = f"{sql} AND coalesce(r.shot_from, r.developed) IS NOT NULL"
        label = {"iso": "box ISO", "ei": "EI", "push": "push", "year": "year"}[key]
        return _Pred(sql, sql, tuple(p), None, f"{label} {v.describe(' stops' if key == 'push' else '')}")
    if key == "format":
        col, val = res.format(str(v))
        what = f"format family {val}" if col == "format_family" else f"format {val}"
        return _Pred(f"r.{col} = ?", f"r.{col} = ?", (val,), None, what)
    if key == "process":
        return _Pred("r.process = ?", "r.process = ?", (v,), None, f"process {v}")
    if key in ("camera", "lens", "lab"):
        pat, words, _ = _pattern(str(v))
        sql = f"r.{key} LIKE ? ESCAPE '\\'"
        return _Pred(sql, sql, (pat,), None, f"{key} {words}")
    if key in ("developed", "shot"):
        assert isinstance(v, DateSpan)
        if key == "shot":
            sql, p = _date_sql("r.shot_from", v, end_col="r.shot_to")
        else:
            sql, p = _date_sql("r.developed", v)
        return _Pred(sql, sql, tuple(p), None, f"{key} {v.describe()}")
    if key == "scanned":
        assert isinstance(v, DateSpan)
        # a plain range on f.scanned (full EXIF date-times; ingest gives a frame without one its
        # roll's scan date) so SQLite can use frames_scanned instead of walking every frame
        parts, p = ["f.scanned IS NOT NULL"], []
        if v.hi is not None:
            parts.append("f.scanned < ?")
            p.append(v.hi)
        if v.lo is not None:
            parts.append("f.scanned >= ?")
            p.append(v.lo)
        return _Pred(" AND ".join(parts), None, tuple(p), None, f"scanned {v.describe()}")
    if key == "rating":
        assert isinstance(v, Interval)
        sql, p = _interval_sql("f.rating", v)
        return _Pred(sql, None, tuple(p), None, f"rating {v.describe()}")
    if key == "pick":
        return _Pred("f.pick = ?", None, (v,), None, f"pick is {v}")
    if key == "project":
        pid, name = res.project(str(v))
        return _Pred("f.id IN (SELECT frame_id FROM project_frames WHERE project_id = ?)",
                     "r.id IN (SELECT f.roll_id FROM project_frames pf JOIN frames f ON f.id = pf.frame_id "
                     "WHERE pf.project_id = ?)", (pid,), None, f"in project {name!r}", 1)
    if key == "tag":
        ids = res.tag_ids(str(v))
        if not ids:
            return _Pred("0", "0", (), None, f"tagged {v!r}")
        marks = ", ".join("?" * len(ids))
        return _Pred(
            f"(f.id IN (SELECT frame_id FROM frame_tags WHERE tag_id IN ({marks})) "
            f"OR f.roll_id IN (SELECT roll_id FROM roll_tags WHERE tag_id IN ({marks})))",
            f"(r.id IN (SELECT roll_id FROM roll_tags WHERE tag_id IN ({marks})) "
            f"OR r.id IN (SELECT f.roll_id FROM frame_tags ft JOIN frames f ON f.id = ft.frame_id "
            f"WHERE ft.tag_id IN ({marks})))",
            (*ids, *ids), None, f"tagged {v!r}", 1)
    if key == "path":
        pat, words, is_glob = _pattern(str(v))
        if not is_glob and len(str(v)) >= 3:  # a substring: the trigram index (m004) finds it
            phrase = '"' + str(v).replace('"', '""') + '"'
            return _Pred("f.id IN (SELECT rowid FROM path_text WHERE path_text MATCH ?)", None, (phrase,), None,
                         f"path {words}", 1)
        # the subquery reads only the (path, id) index, not the wide frames table
        if is_glob and not pat.startswith("%"):
            return _Pred("f.id IN (SELECT id FROM frames WHERE path LIKE ? ESCAPE '\\' OR path LIKE ? ESCAPE '\\')",
                         None, (pat, "%/" + pat), None, f"path {words}", 1)
        return _Pred("f.id IN (SELECT id FROM frames WHERE path LIKE ? ESCAPE '\\')", None, (pat,), None,
                     f"path {words}", 1)
    raise QueryError(f"query key {key!r} is not supported here.")  # pragma: no cover - parse checks keys


def compile_query(query: Query, resolver: Resolver, target: Target = "frames") -> Compiled:
    """Query -> Compiled WHERE clause for a frame listing (`f`, `r`) or a roll listing (`r`).

    Terms are AND-ed, except that several (non-negated) frame references form one list:
    `R042/12 R042/15` selects both frames. Cheap column tests are placed before subqueries
    and bare words, since SQLite evaluates the remaining terms in the order written.
    """
    parts: list[tuple[int, str, tuple[Any, ...]]] = []
    words: list[str] = []
    refs: list[tuple[str, tuple[Any, ...], str]] = []
    for term in query.terms:
        p = _predicate(term, resolver)
        cost = p.cost
        if target == "frames":
            sql, ps = p.frame_sql, p.params
        elif p.roll_sql is not None:
            sql, ps = p.roll_sql, p.roll_params if p.roll_params is not None else p.params
        else:
            sql, ps, cost = _frame_exists(p.frame_sql), p.params, max(cost, 1)
            p = _Pred(p.frame_sql, None, p.params, None, "has a frame with " + p.description)
        if term.key == "ref" and not term.negate:
            if not refs:
                words.append("")
            refs.append((sql, tuple(ps), p.description))
            continue
        if term.negate:
            sql = f"NOT ifnull(({sql}), 0)"
        parts.append((cost, f"({sql})", tuple(ps)))
        words.append(("not " if term.negate else "") + p.description)
    if refs:
        parts.insert(0, (0, "(" + " OR ".join(f"({sql})" for sql, _, _ in refs) + ")",
                         tuple(x for _, ps, _ in refs for x in ps)))
        words[words.index("")] = " or ".join(d for _, _, d in refs)
    parts.sort(key=lambda t: t[0])
    return Compiled(" AND ".join(sql for _, sql, _ in parts), tuple(x for _, _, ps in parts for x in ps),
                    tuple(words))


def compile_args(args: Iterable[str], resolver: Resolver, target: Target = "frames") -> Compiled:
    """Parse command-line terms and compile them (QueryError on the first bad term)."""
    return compile_query(parse_query(args), resolver, target)


# --- sorting -------------------------------------------------------------------------------------

_FRAME_TIE = ("r.code", "f.frame_num", "f.frame", "f.id")
FRAME_SORTS: dict[str, tuple[str, ...]] = {
    "ref": ("r.code", "f.frame_num", "f.frame"),
    "roll": ("r.code", "f.frame_num", "f.frame"),
    "frame": ("f.frame_num", "f.frame"),
    "rating": ("f.rating",),
    "pick": ("CASE f.pick WHEN 'yes' THEN 0 WHEN 'no' THEN 1 ELSE 2 END",),
    "developed": ("r.developed IS NULL", "r.developed"),
    "shot": ("r.shot_from IS NULL", "r.shot_from"),
    "scanned": ("f.scanned IS NULL", "f.scanned"),
    "added": ("f.added_at",),
    "stock": ("r.stock IS NULL", "r.stock"),
    "bytes": ("f.bytes",),
}
_ROLL_TIE = ("r.code",)
ROLL_SORTS: dict[str, tuple[str, ...]] = {
    "code": ("r.code",),
    "developed": ("r.developed IS NULL", "r.developed"),
    "shot": ("r.shot_from IS NULL", "r.shot_from"),
    "stock": ("r.stock IS NULL", "r.stock"),
    "frames": ("n_frames",),
    "added": ("r.created_at",),
    "ei": ("coalesce(r.ei, r.stock_iso) IS NULL", "coalesce(r.ei, r.stock_iso)"),
}


def order_by(sort: str | None, target: Target = "frames") -> str:
    """'-rating' -> 'f.rating DESC, r.code, ...'; InputError naming the valid fields."""
    table, tie = (FRAME_SORTS, _FRAME_TIE) if target == "frames" else (ROLL_SORTS, _ROLL_TIE)
    if not sort:
        sort = "ref" if target == "frames" else "developed"
    name = sort.strip()
    desc = name.startswith("-")
    name = name.lstrip("-+").lower()
    if name not in table:
        raise InputError(f"cannot sort {target} by {sort!r}; sort by one of: {', '.join(table)} "
                         "(prefix '-' for descending).")
    cols = [f"{c} DESC" if desc and not c.endswith("IS NULL") else c for c in table[name]]
    cols += [c for c in tie if c not in table[name]]
    return ", ".join(cols)
