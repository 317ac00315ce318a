"""Editing a roll: new metadata with origin `option`; a new code or stock re-files its files.

Re-filing is a verified move: every file is copied to the new folder and verified, the
catalog paths are updated in one transaction, and only then are the old files removed.
In-place rolls are never moved (their files are the user's to place).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.db import transaction
from filmflow.catalog.models import Roll
from filmflow.catalog.rolls import get_roll, update_roll
from filmflow.catalog.xmpstate import move_sidecar_path, sidecar_states
from filmflow.errors import InputError
from filmflow.ingest.plan import archive_dir_for
from filmflow.ingest.resolve import match_format
from filmflow.stocks import push_stops
from filmflow.ingest.sidecar import parse_shot
from filmflow.library import Library

log = logging.getLogger(__name__)


def edit_roll(lib: Library, code: str, changes: dict[str, Any]) -> tuple[Roll, int]:
    """Apply `changes` to roll `code`; returns (updated roll, number of files re-filed)."""
    db = lib.db(durable=True)
    try:
        roll = get_roll(db, code, lib.root)
        fields: dict[str, Any] = {}
        for k in ("camera", "lens", "developed", "lab", "developer", "notes", "title", "ei"):
            if k in changes:
                fields[k] = changes[k]
        if "code" in changes:
            new = changes["code"].strip()
            if not new or "/" in new or any(c.isspace() for c in new):
                raise InputError(f"roll code {new!r} is not valid; use letters, digits and dashes, e.g. R042.")
            other = db.conn.execute("SELECT 1 FROM rolls WHERE code = ? COLLATE NOCASE AND id != ?",
                                    (new, roll.id)).fetchone()
            if other:
                raise InputError(f"roll code {new} is already taken; pick another.")
            fields["code"] = new
        iso = roll.stock_iso
        if "stock" in changes:
            stock = lib.stocks.get(changes["stock"])
            fields.update(stock=stock.name, stock_key=stock.key, stock_iso=stock.iso, process=stock.process)
            iso = stock.iso
        if "format" in changes:
            f = match_format(changes["format"], lib.formats)
            if f is None:
                raise InputError(f"format {changes['format']!r} is unknown; use one of {', '.join(lib.formats)}.")
            fields.update(format=f.name, format_family=f.family)
        if "shot" in changes:
            fields["shot_from"], fields["shot_to"] = parse_shot(changes["shot"], "--shot")
        ei = fields.get("ei", roll.ei)
        if iso and ei and ("ei" in fields or "stock" in changes):
            fields["push"] = push_stops(int(ei), int(iso))
        shot_from = fields.get("shot_from", roll.shot_from)
        developed = fields.get("developed", roll.developed)
        for d in (shot_from, developed, roll.scanned):
            if d:
                fields["year"] = int(d[:4])
                break
        sources = {k: "option" for k in fields if k not in ("stock_key", "format_family", "year")}
        moved = 0
        refile = ("code" in fields or "stock" in fields) and roll.mode != "in-place" and roll.path
        if refile:
            merged = {**roll.to_json(), **fields}
            new_dir = archive_dir_for(lib, merged, merged["code"])
            if new_dir != Path(roll.path):
                moved = _refile(lib, db, roll, new_dir, fields, sources)
                fields = {}
        if fields:
            with transaction(db) as conn:
                update_roll(conn, roll.id, fields, sources)
        return get_roll(db, fields.get("code") or changes.get("code") or roll.code, lib.root), moved
    finally:
        db.conn.close()


def _copy_sidecars(lib: Library, db, moves: list[tuple[int, Path, Path]]) -> list[tuple[int, Path, Path]]:
    """XMP sidecars travel with their scans (verified copies; the old ones go with the old scans)."""
    states = sidecar_states(db.conn, [fid for fid, _, _ in moves])
    out = []
    for fid, src, dst in moves:
        stored = states.get(fid, {}).get("path")
        old = lib.resolve(stored) if stored else None
        if old is None or not old.is_file():
            continue
        new = dst.parent / (dst.name + old.name[len(src.name):] if old.name.startswith(src.name) else old.name)
        fsutil.copy_verified(old, new)
        out.append((fid, old, new))
    return out


def _refile(lib: Library, db, roll: Roll, new_dir: Path, fields: dict[str, Any], sources: dict[str, str]) -> int:
    old_dir = Path(roll.path)
    rows = db.conn.execute("SELECT id, path, sha256 FROM frames WHERE roll_id = ?", (roll.id,)).fetchall()
    moves: list[tuple[int, Path, Path]] = []
    for fid, stored, sha in rows:
        src = lib.resolve(stored)
        try:
            rel = src.relative_to(old_dir)
        except ValueError:
            rel = Path(src.name)
        dst = fsutil.safe_join(new_dir, *rel.parts)
        fsutil.copy_verified(src, dst, expect_sha=sha)
        moves.append((fid, src, dst))
    extra = [p for p in old_dir.glob("roll*.toml")] if old_dir.exists() else []
    for p in extra:
        fsutil.copy_verified(p, new_dir / p.name)
    sidecars = _copy_sidecars(lib, db, moves)
    with transaction(db) as conn:
        update_roll(conn, roll.id, {**fields, "path": lib.rel(new_dir)}, sources)
        conn.executemany("UPDATE frames SET path = ? WHERE id = ?", [(lib.rel(d), fid) for fid, _, d in moves])
        for fid, _old, new in sidecars:
            move_sidecar_path(conn, fid, lib.rel(new))
    extra += [old for _fid, old, _new in sidecars]
    for _, src, _ in moves + [(0, p, p) for p in extra]:
        with contextlib.suppress(FileNotFoundError):
            src.unlink()
    for dirpath, _d, _f in sorted(os.walk(old_dir), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)
    return len(moves)
