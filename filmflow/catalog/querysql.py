"""The query compiler: Term nodes -> a parameterised WHERE clause plus a plain-English description.

User text only ever travels as `?` parameters; the SQL text is built from fixed
fragments. The clause refers to `f` (frames) and `r` (rolls) for a frame listing
(`FROM frames f JOIN rolls r ON r.id = f.roll_id`) and to `r` alone for a roll listing,
where a frame-level key means "rolls having such a frame" (EXISTS).

Names that need the catalog (a stock alias, a format alias, a project, a tag, a roll
code, a frame reference) are looked up through a `Resolver` (the catalog's is
`filmflow.catalog.resolver.CatalogResolver`) before the SQL is built,
so an unknown project or frame is a QueryError/NotFoundError, not an empty result.
Bare words use the FTS5 trigram tables from schema migration m002 (`roll_text`,
`frame_text`); words shorter than 3 characters fall back to a scan of those (small)
tables' text in SQLite, never per-frame Python.
"""

from __future__ import annotations

import fnmatch
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from filmflow.errors import InputError, QueryError
from filmflow.catalog.querykeys import COMPILERS, Pred, TextHits
from filmflow.query.parse import Query, Term, parse_query
from filmflow.stockfamilies import StockChoice

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
    def logged_texts(self, column: str, word: str) -> list[str]: ...  # logged places/lenses containing it
    def logged_frames(self, cond: str, params: tuple[Any, ...], at_most: int) -> list[int] | None: ...


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def texts_matching(texts: Iterable[str], word: str) -> list[str]:
    """The texts that contain `word`, or match it as a * ? glob, Unicode case-folded.

    >>> texts_matching(["서울 종로구", "Lisboa, Alfama", "Évora"], "éVORA")
    ['Évora']
    """
    want = _fold(word)
    if "*" in want or "?" in want:
        return [t for t in texts if fnmatch.fnmatchcase(_fold(t), want)]
    return [t for t in texts if want in _fold(t)]


def _frame_exists(sql: str) -> str:
    return f"EXISTS (SELECT 1 FROM frames f WHERE f.roll_id = r.id AND ({sql}))"


def _predicate(term: Term, res: Resolver) -> Pred:
    """The term's SQL, parameters and sentence, from its key's compiler (catalog/querykeys.py)."""
    compiler = COMPILERS.get(term.key)
    if compiler is None:  # pragma: no cover - the parser only makes terms of known keys
        raise QueryError(f"query key {term.key!r} is not supported here.")
    return compiler(term.value, res)


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
            p = Pred(p.frame_sql, None, p.params, None, "has a frame with " + p.description)
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
