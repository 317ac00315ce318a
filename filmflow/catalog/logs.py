"""Film-log rows: a roll's logged frames, their pairing with scans, and capture data for frames.

A roll keeps one log: importing a log replaces the roll's entries (unchanged ones keep their
ids). Pairing is by frame label (`pair_labels`) and runs after every import and every ingest
into the roll, so scans that arrive after their log take its data.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from filmflow.catalog.models import Frame

# log_frames columns a reader fills (the LogFrame fields, in order)
LOG_COLUMNS = ("frame", "shot_at", "aperture", "shutter", "shutter_s", "focal_length", "lens", "exposure_comp",
               "lat", "lon", "place", "note", "flash", "light_source", "filters", "exposures")


def label_repeats(labels: Sequence[str]) -> list[str]:
    """Repeated labels as ingest names a second file of one number: 12, 12 -> 12, 12-2."""
    used: set[str] = set()
    out = []
    for lb in labels:
        name, i = lb, 2
        while name in used:
            name, i = f"{lb}-{i}", i + 1
        used.add(name)
        out.append(name)
    return out


def _zero(label: str) -> str:
    return "0" if label == "00" else "00" if label == "0" else label


def pair_labels(scans: Iterable[str], logged: Iterable[str]) -> dict[str, str]:
    """Scan label -> log label: the same label; frame 0 and 00 alike; `12-2` (a rescan) takes 12's.

    >>> sorted(pair_labels(["1", "00", "12-2", "5"], ["1", "0", "12"]).items())
    [('00', '0'), ('1', '1'), ('12-2', '12')]
    """
    logged = set(logged)
    out = {}
    for s in scans:
        for cand in (s, _zero(s), re.sub(r"-\d+$", "", s)):
            if cand in logged:
                out[s] = cand
                break
    return out


def log_entries(conn: sqlite3.Connection, roll_id: int) -> dict[str, dict[str, Any]]:
    """The roll's log entries by label, with their ids."""
    cur = conn.execute(f"SELECT id, {', '.join(LOG_COLUMNS)} FROM log_frames WHERE roll_id = ?", (roll_id,))
    cols = [c[0] for c in cur.description]
    return {r[1]: dict(zip(cols, r)) for r in cur}


def store_log(conn: sqlite3.Connection, roll_id: int, rows: Sequence[dict[str, Any]], log_file: str,
              log_format: str, at: str) -> dict[str, int]:
    """Replace the roll's log with these rows (upsert by label, delete the rest): counts of each."""
    old = log_entries(conn, roll_id)
    counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
    for row in rows:
        prior = old.pop(row["frame"], None)
        values = [row.get(c) for c in LOG_COLUMNS]
        if prior is None:
            conn.execute(f"INSERT INTO log_frames (roll_id, {', '.join(LOG_COLUMNS)}, log_file, log_format, imported_at) "
                         f"VALUES (?, {', '.join('?' for _ in LOG_COLUMNS)}, ?, ?, ?)",
                         [roll_id, *values, log_file, log_format, at])
            counts["added"] += 1
        elif [prior[c] for c in LOG_COLUMNS] != values:
            conn.execute(f"UPDATE log_frames SET {', '.join(f'{c} = ?' for c in LOG_COLUMNS)}, log_file = ?, "
                         "log_format = ?, imported_at = ? WHERE id = ?", [*values, log_file, log_format, at, prior["id"]])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    for gone in old.values():
        conn.execute("DELETE FROM log_frames WHERE id = ?", (gone["id"],))
        counts["removed"] += 1
    return counts


def roll_frame_labels(conn: sqlite3.Connection, roll_id: int) -> dict[str, int]:
    """The roll's scanned frames: label -> frame id."""
    return {fr: fid for fid, fr in conn.execute("SELECT id, frame FROM frames WHERE roll_id = ?", (roll_id,))}


def pair_roll(conn: sqlite3.Connection, roll_id: int) -> tuple[int, list[str], list[str]]:
    """Set frames.log_id for the roll: (frames paired, log labels with no scan, scan labels with no log)."""
    entries = {lb: e["id"] for lb, e in log_entries(conn, roll_id).items()} if _has_log(conn, roll_id) else {}
    scans = roll_frame_labels(conn, roll_id)
    if not entries:
        if scans:
            conn.execute("UPDATE frames SET log_id = NULL WHERE roll_id = ? AND log_id IS NOT NULL", (roll_id,))
        return 0, [], []
    pairs = pair_labels(scans, entries)
    conn.executemany("UPDATE frames SET log_id = ? WHERE id = ? AND log_id IS NOT ?",
                     [(entries.get(pairs.get(lb, ""), None), fid, entries.get(pairs.get(lb, ""), None))
                      for lb, fid in scans.items()])
    used = set(pairs.values())
    return len(pairs), sorted((lb for lb in entries if lb not in used), key=_order), \
        sorted((lb for lb in scans if lb not in pairs), key=_order)


def _order(label: str) -> tuple[int, str]:
    m = re.match(r"\d+", label)
    return (int(m.group(0)) if m else 1 << 30, label)


def _has_log(conn: sqlite3.Connection, roll_id: int) -> bool:
    return conn.execute("SELECT 1 FROM log_frames WHERE roll_id = ? LIMIT 1", (roll_id,)).fetchone() is not None


def roll_log_summary(conn: sqlite3.Connection, roll_id: int) -> dict[str, Any] | None:
    """What `roll show` says of the roll's log: file, format, frames logged and paired."""
    row = conn.execute("SELECT log_file, log_format, count(*), max(imported_at) FROM log_frames WHERE roll_id = ?",
                       (roll_id,)).fetchone()
    if not row or not row[2]:
        return None
    paired = conn.execute("SELECT count(*) FROM frames WHERE roll_id = ? AND log_id IS NOT NULL", (roll_id,)).fetchone()[0]
    return {"file": row[0], "format": row[1], "frames": row[2], "paired": paired, "imported": row[3]}


def frames_logged_where(conn: sqlite3.Connection, cond: str, params: Sequence[Any],
                        at_most: int) -> list[int] | None:
    """Ids of the scanned frames whose log entry (`lf`) meets `cond`; None when more than `at_most`.

    `cond` is a fixed SQL fragment of the query compiler (catalog/querykeys.py) over `lf.` columns;
    user values only ever come as `params`.
    """
    ids = [fid for (fid,) in conn.execute(
        f"SELECT f.id FROM log_frames lf JOIN frames f ON f.log_id = lf.id WHERE {cond} LIMIT ?",
        (*params, at_most + 1))]
    return None if len(ids) > at_most else ids


# one spelling per text (lens: per ASCII case, as its NOCASE index and the query's IN compare);
# both read only their index, skipping from one distinct value to the next
_DISTINCT_SQL = {
    "place": "SELECT DISTINCT place FROM log_frames WHERE place > ''",
    "lens": "SELECT DISTINCT lens COLLATE NOCASE FROM log_frames WHERE lens COLLATE NOCASE > ''",
}


def logged_texts(conn: sqlite3.Connection, column: str) -> list[str]:
    """Every distinct place (or lens) text the logs hold (a query folds and matches them)."""
    sql = _DISTINCT_SQL.get(column)
    if sql is None:
        raise ValueError(f"log_frames.{column} is not a text a query matches")
    return [t for (t,) in conn.execute(sql)]


def find_roll_id_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    """A roll whose title or source folder name is this name (case-insensitive), if exactly one."""
    rows = conn.execute("SELECT id FROM rolls WHERE title = ? COLLATE NOCASE OR source = ? COLLATE NOCASE LIMIT 2",
                        (name, name)).fetchall()
    return rows[0][0] if len(rows) == 1 else None


_CAPTURE_SQL = """SELECT f.id, lf.shot_at, lf.aperture, lf.shutter, lf.focal_length, lf.lens, lf.lat, lf.lon,
  lf.place, lf.note, lf.log_format FROM frames f JOIN log_frames lf ON lf.id = f.log_id
WHERE f.id IN (SELECT value FROM json_each(?))"""


def fill_capture(conn: sqlite3.Connection, frames: Sequence[Frame]) -> None:
    """Set the film-log fields of these frames (one query for the batch)."""
    if not frames:
        return
    by_id = {f.id: f for f in frames}
    for fid, shot, ap, sh, focal, lens, lat, lon, place, note, log_format in conn.execute(
            _CAPTURE_SQL, (json.dumps(list(by_id)),)):
        f = by_id[fid]
        f.shot_at, f.aperture, f.shutter, f.focal_length, f.lens = shot, ap, sh, focal, lens
        f.gps = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
        f.place, f.note, f.log_format = place, note, log_format


_LENS_SQL = """SELECT coalesce(lf.lens, r.lens) AS lens, count(DISTINCT f.roll_id), count(*), sum(f.pick = 'yes')
FROM frames f JOIN rolls r ON r.id = f.roll_id LEFT JOIN log_frames lf ON lf.id = f.log_id
WHERE coalesce(lf.lens, r.lens) IS NOT NULL {year}
GROUP BY coalesce(lf.lens, r.lens) COLLATE NOCASE ORDER BY count(*) DESC"""

_VALUE_SQL = """SELECT lf.{col}, count(*) FROM frames f JOIN rolls r ON r.id = f.roll_id
JOIN log_frames lf ON lf.id = f.log_id WHERE lf.{col} IS NOT NULL {year} GROUP BY lf.{col} ORDER BY lf.{col}"""


def capture_stats(conn: sqlite3.Connection, year: int | None) -> dict[str, Any]:
    """Lenses (rolls, frames, picks), apertures and focal lengths used: the year's (None: all) frames."""
    cond, params = ("AND r.year = ?", (year,)) if year is not None else ("", ())
    lenses = conn.execute(_LENS_SQL.format(year=cond), params).fetchall()
    values = {col: conn.execute(_VALUE_SQL.format(col=col, year=cond), params).fetchall()
              for col in ("aperture", "focal_length")}
    return {"lenses": [(name, rolls, frames, picks or 0) for name, rolls, frames, picks in lenses],
            "by_aperture": {f"f/{a:g}": n for a, n in values["aperture"]},
            "by_focal_length": {f"{fl:g}mm": n for fl, n in values["focal_length"]}}
