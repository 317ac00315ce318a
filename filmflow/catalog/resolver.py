"""The catalog's answers to the query compiler's look-ups: `CatalogResolver`.

The compiler (catalog/querysql.py) names what it needs as the `Resolver` protocol; this class
answers it from an open catalog connection, the stock catalog and the format table, so
the query layer itself runs no SQL. Each look-up raises QueryError/NotFoundError on an
unknown name.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Mapping
from typing import Any, NoReturn

from filmflow.catalog.logs import frames_logged_where, logged_texts
from filmflow.errors import NotFoundError, QueryError
from filmflow.catalog.querykeys import TextHits, text_rowids
from filmflow.query.refs import DEFAULT_CODE_TEMPLATE, code_candidates
from filmflow.catalog.querysql import FRAME_TEXT_COLUMNS, ROLL_TEXT_COLUMNS, texts_matching
from filmflow.stockfamilies import StockChoice, choose_stocks
from filmflow.stocks import did_you_mean


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
            hint = did_you_mean(self.stocks, text)
        except Exception:  # noqa: BLE001 - suggestions are a nicety
            hint = ""
        raise QueryError(f"no film stock matches {text!r}{'; ' + hint if hint else ''} (`filmflow stocks` lists them).")

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

    def logged_texts(self, column: str, word: str) -> list[str]:
        """The distinct logged texts (`place`, `lens`) that contain `word` (case-folded, NFC; * ? globs)."""
        return texts_matching(logged_texts(self.conn, column), word)

    def logged_frames(self, cond: str, params: tuple[Any, ...], at_most: int) -> list[int] | None:
        """Frame ids whose log entry meets the compiler's `cond`; None when more than `at_most`."""
        return frames_logged_where(self.conn, cond, params, at_most)

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
