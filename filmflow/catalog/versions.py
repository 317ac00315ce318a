"""Version rows: re-scans and edits of a frame, which one is preferred, and versions in frame JSON.

Version 1 is the frame's own scan (the `frames` row); versions 2, 3, ... live in
`frame_versions`. The preferred version is `frames.preferred` when the user chose one
(`version prefer`), else the newest edit, else the largest scan (the original on a tie).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from filmflow.catalog.models import Frame

VERSION_COLUMNS = ("frame_id", "n", "kind", "path", "file", "source_path", "sha256", "bytes", "width", "height",
                   "bits", "format", "mode", "thumbnail", "dhash", "added_at")


def insert_version(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    """Add a version as the frame's next number; returns that number."""
    n = conn.execute("SELECT coalesce(max(n), 1) + 1 FROM frame_versions WHERE frame_id = ?",
                     (row["frame_id"],)).fetchone()[0]
    row = {**row, "n": n}
    conn.execute(f"INSERT INTO frame_versions ({', '.join(VERSION_COLUMNS)}) "
                 f"VALUES ({', '.join('?' for _ in VERSION_COLUMNS)})", [row.get(c) for c in VERSION_COLUMNS])
    return int(n)


def set_preferred(conn: sqlite3.Connection, frame_id: int, n: int | None) -> None:
    """Record the version a user prefers (None: back to the default rule)."""
    conn.execute("UPDATE frames SET preferred = ? WHERE id = ?", (n, frame_id))


def version_rows(conn: sqlite3.Connection, frame_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Versions 2.. of these frames, by frame id, in number order."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not frame_ids:
        return out
    cur = conn.execute("SELECT * FROM frame_versions WHERE frame_id IN (SELECT value FROM json_each(?)) "
                       "ORDER BY frame_id, n", (json.dumps(list(frame_ids)),))
    cols = [c[0] for c in cur.description]
    for r in cur:
        d = dict(zip(cols, r))
        out.setdefault(d["frame_id"], []).append(d)
    return out


def preferred_n(original: dict[str, Any], extra: list[dict[str, Any]], chosen: int | None) -> int:
    """The preferred version's number: the chosen one, else the newest edit, else the largest scan."""
    if chosen is not None and (chosen == 1 or any(v["n"] == chosen for v in extra)):
        return chosen
    edits = [v for v in extra if v["kind"] == "edit"]
    if edits:
        return max(v["n"] for v in edits)
    best, best_px = 1, (original.get("width") or 0) * (original.get("height") or 0)
    for v in extra:
        px = (v.get("width") or 0) * (v.get("height") or 0)
        if px > best_px:
            best, best_px = v["n"], px
    return best


def _abs(root: str, p: str | None) -> str | None:
    if p is None or not root or p[:1] == "/":
        return p
    return root + p


def fill_versions(conn: sqlite3.Connection, frames: Sequence[Frame], root: str = "") -> None:
    """Set `versions` (SPEC shape, version 1 included) and the preferred version's path on these frames."""
    if not frames:
        return
    ids = [f.id for f in frames]
    extra = version_rows(conn, ids)
    chosen: dict[int, int] = {}
    if extra:
        chosen = dict(conn.execute("SELECT id, preferred FROM frames WHERE id IN (SELECT value FROM json_each(?)) "
                                   "AND preferred IS NOT NULL", (json.dumps([i for i in ids if i in extra]),)))
    prefix = root.rstrip("/") + "/" if root else ""
    for f in frames:
        original = {"n": 1, "kind": "original", "file": f.file, "path": f.path, "sha256": f.sha256,
                    "width": f.width, "height": f.height, "bits": f.bits}
        more = extra.get(f.id, [])
        pref = preferred_n(original, more, chosen.get(f.id)) if more else 1
        versions = [{**original, "preferred": pref == 1}]
        for v in more:
            versions.append({"n": v["n"], "kind": v["kind"], "file": v["file"], "path": _abs(prefix, v["path"]),
                             "sha256": v["sha256"], "width": v["width"], "height": v["height"], "bits": v["bits"],
                             "preferred": pref == v["n"]})
            if pref == v["n"]:
                f.shown = {"path": _abs(prefix, v["path"]), "thumbnail": _abs(prefix, v["thumbnail"]),
                           "sha256": v["sha256"], "width": v["width"], "height": v["height"], "n": v["n"]}
        f.versions = tuple(versions)


def known_version_hashes(conn: sqlite3.Connection, shas: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Versions whose content is one of these hashes: sha -> {ref, path} (duplicates at ingest)."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(shas), 500):
        chunk = list(shas[i:i + 500])
        for sha, code, frame, n, path in conn.execute(
                "SELECT v.sha256, r.code, f.frame, v.n, v.path FROM frame_versions v JOIN frames f ON f.id = v.frame_id "
                "JOIN rolls r ON r.id = f.roll_id WHERE v.sha256 IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk),)):
            out[sha] = {"ref": f"{code}/{frame}", "n": n, "path": path}
    return out


def frame_file_stems(conn: sqlite3.Connection, roll_id: int) -> dict[str, tuple[int, str]]:
    """The roll's frames by their original file's stem (NFC, casefolded): stem -> (frame id, label)."""
    import unicodedata

    out = {}
    for fid, frame, file in conn.execute("SELECT id, frame, file FROM frames WHERE roll_id = ?", (roll_id,)):
        stem = file.rsplit(".", 1)[0] if "." in file else file
        out[unicodedata.normalize("NFC", stem).casefold()] = (fid, frame)
    return out


def versions_of(conn: sqlite3.Connection, frame_id: int) -> list[dict[str, Any]]:
    """One frame's versions 2.. (all columns)."""
    return version_rows(conn, [frame_id]).get(frame_id, [])


def version_paths(conn: sqlite3.Connection) -> list[tuple[int, str, str, int]]:
    """Every version's (id, path, sha256, bytes), for verify."""
    return conn.execute("SELECT id, path, sha256, bytes FROM frame_versions ORDER BY id").fetchall()


def roll_version_rows(conn: sqlite3.Connection, roll_id: int) -> list[tuple[str, str, int]]:
    """(path, sha256, bytes) of every version of a roll's frames (re-filing moves them too)."""
    return conn.execute("SELECT v.path, v.sha256, v.bytes FROM frame_versions v JOIN frames f ON f.id = v.frame_id "
                        "WHERE f.roll_id = ? ORDER BY v.id", (roll_id,)).fetchall()


def shown_versions(conn: sqlite3.Connection, frame_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The preferred version of each of these frames whose preferred version is not the original:
    frame id -> {n, kind, path, thumbnail, sha256, width, height} (paths as stored)."""
    extra = version_rows(conn, frame_ids)
    if not extra:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for fid, width, height, chosen in conn.execute(
            "SELECT id, width, height, preferred FROM frames WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(extra)),)):
        n = preferred_n({"width": width, "height": height}, extra[fid], chosen)
        for v in extra[fid]:
            if v["n"] == n:
                out[fid] = {k: v[k] for k in ("n", "kind", "path", "thumbnail", "sha256", "width", "height")}
    return out


def roll_version_counts(conn: sqlite3.Connection, roll_id: int) -> dict[str, int]:
    """How many versions 2.. a roll's frames have, by kind: {"edit": n, "scan": m}."""
    counts = {"edit": 0, "scan": 0}
    for kind, n in conn.execute("SELECT v.kind, count(*) FROM frame_versions v JOIN frames f ON f.id = v.frame_id "
                                "WHERE f.roll_id = ? GROUP BY v.kind", (roll_id,)):
        counts[kind] = n
    return counts


def edited_pick_count(conn: sqlite3.Connection, year: int | None) -> int:
    """Picked frames (of the year's rolls; None: all) that have at least one edit version."""
    return conn.execute(
        "SELECT count(*) FROM frames f JOIN rolls r ON r.id = f.roll_id WHERE f.pick = 'yes' "
        "AND (? IS NULL OR r.year = ?) AND f.id IN (SELECT frame_id FROM frame_versions WHERE kind = 'edit')",
        (year, year)).fetchone()[0]


def frames_in_folder(conn: sqlite3.Connection, folder: str) -> list[tuple[int, str]]:
    """(frame id, file name) of the frames whose file lies directly in this library-relative folder."""
    lo = folder.rstrip("/") + "/"
    rows = conn.execute("SELECT id, path FROM frames WHERE path >= ? AND path < ?", (lo, lo[:-1] + "0")).fetchall()
    return [(fid, p[len(lo):]) for fid, p in rows if "/" not in p[len(lo):]]
