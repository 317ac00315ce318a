"""Editing a roll: new metadata with origin `option`; an edit that changes the roll's archive
folder (its code, stock, year, ... as the archive template uses them) re-files its files.

Re-filing is a verified move through a recorded intent (filmflow/refile.py): safe to kill
at any instant, finished or undone by the next command. Edits of one roll are serialised
by the roll's lock. In-place rolls are never moved (their files are the user's to place).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from filmflow.catalog.db import Catalog, read_only_message, transaction
from filmflow.catalog.models import Roll
from filmflow.catalog.refiles import refile_conflict
from filmflow.catalog.rolls import find_roll, get_roll, update_roll
from filmflow.errors import InputError, NotFoundError, ReadOnlyLibraryError
from filmflow.ingest.plan import archive_dir_for
from filmflow.ingest.resolve import match_format
from filmflow.ingest.sidecar import parse_shot
from filmflow.library import Library
from filmflow.refile import recover_roll, refile_roll, roll_lock
from filmflow.stocks import push_stops
from filmflow.query.refs import parse_roll_code
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


def edit_roll(lib: Library, code: str, changes: dict[str, Any]) -> tuple[Roll, int]:
    """Apply `changes` to roll `code`; returns (updated roll, number of files re-filed)."""
    db = open_catalog(lib, durable=True)
    try:
        if db.readonly:
            raise ReadOnlyLibraryError(read_only_message(lib.db_path))
        roll = get_roll(db, code, lib.root)
        with roll_lock(lib, roll.id):
            # another edit may have run (or died) while we waited for the lock: work on what it left
            recover_roll(lib, db, roll.id)
            roll = find_roll(db, code, lib.root)
            if roll is None:
                raise NotFoundError(f"no roll with code {code!r} any more (another edit changed it); "
                                    "`filmflow rolls` lists the codes.")
            fields, sources = _fields(lib, db, roll, changes)
            moved = 0
            new_dir = _new_archive_dir(lib, roll, fields)
            if new_dir is not None:
                moved = refile_roll(lib, db, roll, new_dir, fields, sources)
            elif fields:
                with transaction(db) as conn:
                    update_roll(conn, roll.id, fields, sources)
            return get_roll(db, fields.get("code", roll.code), lib.root), moved
    finally:
        db.conn.close()


def _fields(lib: Library, db: Catalog, roll: Roll, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The roll columns `changes` set, and their origins."""
    fields: dict[str, Any] = {}
    for k in ("camera", "lens", "developed", "lab", "developer", "notes", "title", "ei"):
        if k in changes:
            fields[k] = changes[k]
    if "code" in changes:
        new = parse_roll_code(changes["code"], "--code")
        why = refile_conflict(db.conn, roll.id, new, "")
        if why:
            raise InputError(why)
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
    return fields, sources


def _new_archive_dir(lib: Library, roll: Roll, fields: dict[str, Any]) -> Path | None:
    """The folder the roll must move to, or None when the edit changes nothing the archive template uses.

    Comparing the template's folder before and after the edit (not the roll's current
    folder) keeps a roll filed under an older template where it is until a field the
    template uses changes.
    """
    if roll.mode == "in-place" or not roll.path:
        return None
    before = {**roll.to_json(), "year": roll.year}
    after = {**before, **fields}
    new_dir = archive_dir_for(lib, after, after["code"])
    if new_dir == archive_dir_for(lib, before, roll.code) or new_dir == Path(roll.path).resolve():
        return None
    return new_dir
