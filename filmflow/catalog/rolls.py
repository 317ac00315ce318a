"""Reads and writes of rolls: lookup by code or source, next free code, insert and update."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


from filmflow.catalog.db import Catalog
from filmflow.catalog.models import Roll
from filmflow.errors import NotFoundError

# Columns of `rolls` that a caller may set.
WRITABLE = (
    "code", "title", "stock", "stock_key", "stock_iso", "ei", "push", "process", "format",
    "format_family", "camera", "lens", "developed", "shot_from", "shot_to", "scanned", "year",
    "lab", "developer", "scanner", "notes", "source", "source_key", "path", "mode",
)

ROLL_SELECT = """
SELECT r.*,
  (SELECT json_group_array(t.name) FROM roll_tags rt JOIN tags t ON t.id = rt.tag_id
    WHERE rt.roll_id = r.id) AS tag_list
FROM rolls r
"""


def now() -> str:
    """Local time as ISO 8601 seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _abs(root: Path | None, stored: str | None) -> str | None:
    if stored is None or root is None:
        return stored
    p = Path(stored)
    return str(p if p.is_absolute() else root / p)


def roll_from_row(row: dict[str, Any], root: Path | None = None) -> Roll:
    """Build a Roll from a ROLL_SELECT row (paths made absolute under `root`)."""
    return Roll(
        id=row["id"], code=row["code"], title=row["title"], stock=row["stock"],
        stock_key=row["stock_key"], stock_iso=row["stock_iso"], ei=row["ei"], push=row["push"],
        process=row["process"], format=row["format"], camera=row["camera"], lens=row["lens"],
        developed=row["developed"], shot_from=row["shot_from"], shot_to=row["shot_to"],
        scanned=row["scanned"], lab=row["lab"], developer=row["developer"], scanner=row["scanner"],
        notes=row["notes"], tags=tuple(sorted(json.loads(row.get("tag_list") or "[]"))),
        frames=row.get("n_frames") or 0, source=row["source"], path=_abs(root, row["path"]),
        mode=row["mode"], year=row["year"], sources=json.loads(row["sources"] or "{}"),
        source_key=row["source_key"],
    )


def _rows(db: Catalog, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    cur = db.conn.execute(sql, params)
    cols = [c[0] for c in cur.description]
    for r in cur:
        yield dict(zip(cols, r))


def find_roll(db: Catalog, code: str, root: Path | None = None) -> Roll | None:
    """The roll with this code (case-insensitive), or None."""
    for row in _rows(db, ROLL_SELECT + " WHERE r.code = ? COLLATE NOCASE", (code,)):
        return roll_from_row(row, root)
    return None


def get_roll(db: Catalog, code: str, root: Path | None = None) -> Roll:
    """The roll with this code, or NotFoundError naming it."""
    roll = find_roll(db, code, root)
    if roll is None:
        raise NotFoundError(f"no roll with code {code!r}; `filmflow rolls` lists the codes.")
    return roll


def find_roll_by_source(db: Catalog, source_key: str, root: Path | None = None) -> Roll | None:
    """The roll ingested from this source folder or zip, or None."""
    for row in _rows(db, ROLL_SELECT + " WHERE r.source_key = ? ORDER BY r.id LIMIT 1", (source_key,)):
        return roll_from_row(row, root)
    return None


def iter_rolls(db: Catalog, where: str = "", params: Sequence[Any] = (),
               order: str = "r.developed, r.code", limit: int | None = None,
               root: Path | None = None) -> Iterator[Roll]:
    """Rolls matching a WHERE clause (built only from parameterised query SQL)."""
    sql = ROLL_SELECT + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    for row in _rows(db, sql, params):
        yield roll_from_row(row, root)


def _template_pattern(template: str) -> re.Pattern[str]:
    """'R{n:03d}' → a pattern whose group 1 is the number of a code made from the template."""
    head, _, rest = template.partition("{")
    tail = rest.split("}", 1)[1] if "}" in rest else ""
    return re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + "$", re.I)


def _code_counter(conn: sqlite3.Connection, pat: re.Pattern[str]) -> int:
    """The highest number filmflow itself has given (meta 'code_counter').

    A catalog from before the counter existed: the highest code whose origin is `default`.
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'code_counter'").fetchone()
    if row is not None and str(row[0]).isdigit():
        return int(row[0])
    best = 0
    for (code,) in conn.execute("SELECT code FROM rolls WHERE json_extract(sources, '$.code') = 'default'"):
        m = pat.match(code or "")
        if m:
            best = max(best, int(m.group(1)))
    return best


def next_code(conn: sqlite3.Connection, template: str, reserved: frozenset[str] = frozenset()) -> str:
    """The code for a roll that names none: the lowest free number above filmflow's own counter.

    The counter is the highest number filmflow ever gave automatically (`record_auto_code`).
    Codes a photographer gives (folder name, roll.toml, --roll, roll edit) do not move it, so
    one hand-named R042 does not make every later roll skip R005..R041; a number filmflow once
    gave is never handed out again, even after that roll was renamed (its sleeve may say so).
    Codes in use or `reserved` (claimed by folders ingested together) are skipped.
    """
    n = _code_counter(conn, _template_pattern(template)) + 1
    taken = {r.casefold() for r in reserved}
    while True:
        code = template.format(n=n)
        if code.casefold() not in taken and conn.execute(
                "SELECT 1 FROM rolls WHERE code = ? COLLATE NOCASE", (code,)).fetchone() is None:
            return code
        n += 1


def record_auto_code(conn: sqlite3.Connection, template: str, code: str) -> None:
    """Note that filmflow gave `code` automatically: the counter never goes back below it."""
    m = _template_pattern(template).match(code)
    if m is None:
        return
    n = max(int(m.group(1)), _code_counter(conn, _template_pattern(template)))
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('code_counter', ?)", (str(n),))


def insert_roll(conn: sqlite3.Connection, fields: dict[str, Any], sources: dict[str, str]) -> int:
    """Insert a roll; returns its id."""
    cols = [c for c in WRITABLE if c in fields]
    ts = now()
    cur = conn.execute(
        f"INSERT INTO rolls ({', '.join(cols)}, sources, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in cols)}, ?, ?, ?)",
        [fields[c] for c in cols] + [json.dumps(sources, sort_keys=True), ts, ts],
    )
    return int(cur.lastrowid)


def update_roll(conn: sqlite3.Connection, roll_id: int, fields: dict[str, Any],
                sources: dict[str, str] | None = None) -> None:
    """Update some columns of a roll (and merge field origins)."""
    cols = [c for c in WRITABLE if c in fields]
    sets = [f"{c} = ?" for c in cols]
    params: list[Any] = [fields[c] for c in cols]
    if sources:
        old = conn.execute("SELECT sources FROM rolls WHERE id = ?", (roll_id,)).fetchone()
        merged = {**json.loads(old[0] or "{}"), **sources}
        sets.append("sources = ?")
        params.append(json.dumps(merged, sort_keys=True))
    sets.append("updated_at = ?")
    params.append(now())
    conn.execute(f"UPDATE rolls SET {', '.join(sets)} WHERE id = ?", [*params, roll_id])


def ensure_tag(conn: sqlite3.Connection, name: str) -> int:
    """The id of a tag, creating it."""
    conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
    return int(conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()[0])


def set_roll_tags(conn: sqlite3.Connection, roll_id: int, tags: Sequence[str]) -> None:
    """Add tags to a roll (existing ones stay)."""
    for t in tags:
        conn.execute("INSERT OR IGNORE INTO roll_tags (roll_id, tag_id) VALUES (?, ?)", (roll_id, ensure_tag(conn, t)))


def roll_code(conn: sqlite3.Connection, roll_id: int) -> str:
    """The code of the roll with this id (the roll must exist)."""
    return conn.execute("SELECT code FROM rolls WHERE id = ?", (roll_id,)).fetchone()[0]
