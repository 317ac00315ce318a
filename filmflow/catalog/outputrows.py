"""The frame rows contact sheets and exports print: each frame with its roll's fields.

A row is a dict (`frame_rows`); "preferred" rows carry the preferred version's path,
thumbnail and hash (see catalog/versions.py), "original" rows the frame's own scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from filmflow.catalog.db import Catalog
from filmflow.catalog.versions import shown_versions

FRAME_SQL = """
SELECT f.id, r.code AS roll, f.frame, f.path, f.thumbnail, f.sha256, f.rating, f.pick, f.caption, f.scanner,
       r.format, r.stock, r.stock_key, r.ei, r.push, r.camera, r.lens, r.title AS roll_title,
       r.developed, r.shot_from, r.scanned, r.process, r.lab, r.developer,
       lf.shot_at, lf.aperture, lf.shutter, lf.focal_length, lf.lens AS log_lens, lf.lat, lf.lon, lf.place,
       lf.log_format {extra}
FROM frames f JOIN rolls r ON r.id = f.roll_id LEFT JOIN log_frames lf ON lf.id = f.log_id {join}
WHERE {where}
ORDER BY {order}
"""


def frame_rows(db: Catalog, where: str, params: Sequence[Any], order: str,
               extra: str = "", join: str = "", version: str = "preferred") -> list[dict[str, Any]]:
    """Rows with what a sheet or an export needs about each frame and its roll.

    `version` "preferred" (what people see): `path`, `thumbnail` and `sha256` are the
    preferred version's and `version` its number; "original": the frame's own scan (1).
    """
    cur = db.conn.execute(FRAME_SQL.format(where=where, order=order, extra=extra, join=join), params)
    cols = [c[0] for c in cur.description]
    rows = [{**dict(zip(cols, r)), "version": 1} for r in cur]
    if version == "preferred":
        shown = shown_versions(db.conn, [r["id"] for r in rows])
        for r in rows:
            v = shown.get(r["id"])
            if v is not None:
                r.update(path=v["path"], thumbnail=v["thumbnail"], sha256=v["sha256"], version=v["n"])
    return rows


def roll_frame_rows(db: Catalog, roll_id: int) -> list[dict[str, Any]]:
    """A roll's frames in frame order."""
    return frame_rows(db, "f.roll_id = ?", (roll_id,), "f.frame_num, f.frame")


def project_frame_rows(db: Catalog, project_id: int, version: str = "preferred") -> list[dict[str, Any]]:
    """A project's frames in project order, with `position` and `project_caption`."""
    return frame_rows(db, "pf.project_id = ?", (project_id,), "pf.position",
                      extra=", pf.position, pf.caption AS project_caption",
                      join="JOIN project_frames pf ON pf.frame_id = f.id", version=version)


def pick_frame_rows(db: Catalog, year: int | None) -> list[dict[str, Any]]:
    """The picked frames of `year` (None: of every year) in shooting order."""
    where = "f.pick = 'yes'" + (" AND r.year = ?" if year is not None else "")
    return frame_rows(db, where, [year] if year is not None else [],
                      "coalesce(r.shot_from, r.developed, r.scanned), r.code, f.frame_num, f.frame")


def project_frame_tags(db: Catalog, project_id: int) -> dict[int, tuple[str, ...]]:
    """The tags of each of a project's frames, by frame id (frames without tags left out)."""
    tags: dict[int, tuple[str, ...]] = {}
    for fid, tag in db.conn.execute(
            "SELECT ft.frame_id, t.name FROM frame_tags ft JOIN tags t ON t.id = ft.tag_id "
            "JOIN project_frames pf ON pf.frame_id = ft.frame_id WHERE pf.project_id = ?", (project_id,)):
        tags[fid] = tags.get(fid, ()) + (tag,)
    return tags
