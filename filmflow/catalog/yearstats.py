"""The catalog rows `filmflow stats` sums: each roll with its frame and pick counts, each project's size;
and the year's picked frames (typed Frames with their roll's facts, read by catalog.frames.read_frames)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from filmflow.catalog.db import Catalog
from filmflow.catalog.frames import read_frames
from filmflow.catalog.models import Frame
from filmflow.catalog.querysql import Compiled

_ROLL_SQL = """
SELECT r.id, r.code, r.stock, r.format, r.camera, r.push, r.process, r.lab, r.year,
       r.developed, r.shot_from, r.shot_to, r.scanned,
       count(f.id) AS n_frames,
       coalesce(sum(f.pick = 'yes'), 0) AS n_picks,
       coalesce(sum(f.pick = 'reject'), 0) AS n_rejects
FROM rolls r LEFT JOIN frames f ON f.roll_id = r.id
{where}
GROUP BY r.id
"""

_PROJECT_SQL = """
SELECT p.name, p.title, substr(p.created_at, 1, 4) AS created_year,
       count(pf.frame_id) AS n_frames,
       coalesce(sum(CASE WHEN pf.frame_id IS NOT NULL AND (? IS NULL OR r.year = ?) THEN 1 ELSE 0 END), 0)
         AS n_in_year
FROM projects p
LEFT JOIN project_frames pf ON pf.project_id = p.id
LEFT JOIN frames f ON f.id = pf.frame_id
LEFT JOIN rolls r ON r.id = f.roll_id
GROUP BY p.id
ORDER BY n_in_year DESC, p.name
"""


def _rows(db: Catalog, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    cur = db.conn.execute(sql, params)
    cols = [c[0] for c in cur.description]
    for r in cur:
        yield dict(zip(cols, r))


def roll_stat_rows(db: Catalog, year: int | None) -> list[dict[str, Any]]:
    """One dict per roll of `year` (None: every roll) with its dates and frame/pick/reject counts."""
    where, params = ("WHERE r.year = ?", [year]) if year is not None else ("", [])
    return list(_rows(db, _ROLL_SQL.format(where=where), params))


def project_stat_rows(db: Catalog, year: int | None) -> Iterator[dict[str, Any]]:
    """Each project's size and how many of its frames are from `year`, largest share first."""
    return _rows(db, _PROJECT_SQL, [year, year])


def year_picks(db: Catalog, year: int | None) -> list[Frame]:
    """The picked frames of `year` (None: of every year) in shooting order, each with `roll_facts`
    (paths as stored)."""
    where = "f.pick = 'yes'" + (" AND r.year = ?" if year is not None else "")
    picks = Compiled(where, (year,) if year is not None else ())
    return list(read_frames(db, picks, order="shooting", with_roll=True))
