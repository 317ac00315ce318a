"""What labs and shooters really send: multi-roll deliveries, lab zips, dry runs, roll codes.

Deliveries of several rolls (folders and zips, ingest and watcher), zip entries that clash
or cannot be unpacked, dry runs that match the real run and write nothing, deterministic
extraction folders and their clean-up, and automatic roll numbering.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import imagegen


def rows(lib, sql, *params):
    db = lib.db()
    try:
        return db.conn.execute(sql, params).fetchall()
    finally:
        db.conn.close()


def codes(lib) -> list[str]:
    return [c for (c,) in rows(lib, "SELECT code FROM rolls ORDER BY id")]


# ---- automatic roll codes -------------------------------------------------------------

def test_auto_codes_follow_filmflows_own_counter(cli, library, tmp_path):
    def ingest(name: str, seed: int) -> str:
        folder = imagegen.make_roll(tmp_path / "in" / name, 1, seed=seed)[0].parent
        return cli.json("ingest", folder)[0]["roll"]

    assert ingest("walk", 1) == "R001"
    assert ingest("Portra400 R042", 2) == "R042"        # a code the photographer wrote
    assert ingest("beach", 3) == "R002"                 # ... does not make the counter jump
    cli("roll", "edit", "R002", "--code", "R050")
    assert ingest("park", 4) == "R003"                  # an edited code does not either
    cli("roll", "edit", "R003", "--code", "R060")
    assert ingest("night", 5) == "R004"                 # and R003, once given, is never reused


def test_counter_skips_codes_in_use_and_reads_old_catalogs(library):
    from conftest import add_roll
    from filmflow.catalog.rolls import next_code, record_auto_code

    add_roll(library, "R001", 1)
    add_roll(library, "R002", 1)
    db = library.db()
    try:
        db.conn.execute("UPDATE rolls SET sources = '{\"code\": \"default\"}' WHERE code = 'R001'")
        assert next_code(db.conn, "R{n:03d}") == "R003"  # R001 was auto (counter 1), R002 is taken
        record_auto_code(db.conn, "R{n:03d}", "R041")
        assert next_code(db.conn, "R{n:03d}", frozenset({"R043"})) == "R042"
        add_roll(library, "R042", 1)
        assert next_code(db.conn, "R{n:03d}", frozenset({"r043"})) == "R044"
        assert next_code(db.conn, "{n:04d}-roll") == "0042-roll"
    finally:
        db.conn.close()
