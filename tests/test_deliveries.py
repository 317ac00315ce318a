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


# ---- fixtures ---------------------------------------------------------------------------

def lab_order(root: Path, seed: int = 1) -> Path:
    """`Lab order 88231/` holding two rolls (2 frames each) and the lab's invoice."""
    order = root / "Lab order 88231"
    imagegen.make_roll(order / "2024-10-01 Portra 400", 2, seed=seed)
    imagegen.make_roll(order / "2024-10-02 HP5", 2, seed=seed + 1, mode="L")
    (order / "invoice.pdf").write_bytes(b"%PDF-1.4 lab invoice\n")
    return order


def zip_of(folder: Path, zip_path: Path, top: bool = True) -> Path:
    """A zip of `folder`'s files, under a top folder named like it (as labs zip) or not."""
    files = {(f"{folder.name}/" if top else "") + p.relative_to(folder).as_posix(): p
             for p in sorted(folder.rglob("*")) if p.is_file()}
    return imagegen.make_zip(zip_path, files)


def encrypt_flag(zip_path: Path) -> Path:
    """Mark every entry encrypted (general-purpose bit 0), as a password-protected zip has it."""
    data = bytearray(zip_path.read_bytes())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i != -1:
            data[i + off] |= 0x01
            i = data.find(sig, i + 4)
    zip_path.write_bytes(bytes(data))
    return zip_path


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def check_delivery(cli, out: list[dict], prefix: str = "Lab order 88231") -> None:
    assert [o["source"] for o in out] == [f"{prefix}/2024-10-01 Portra 400", f"{prefix}/2024-10-02 HP5"]
    assert [o["added"] for o in out] == [2, 2] and all(o["failed"] == [] for o in out)
    portra, hp5 = (cli.json("roll", "show", o["roll"]) for o in out)
    assert (portra["stock"], portra["developed"]) == ("Kodak Portra 400", "2024-10-01")
    assert (hp5["stock"], hp5["developed"]) == ("Ilford HP5 Plus", "2024-10-02")
    assert portra["source"] == f"{prefix}/2024-10-01 Portra 400"
    assert "/archive/2024/" in portra["path"] and "/archive/2024/" in hp5["path"]


# ---- 9. a delivery of several rolls ------------------------------------------------------

def test_folder_delivery_is_one_roll_per_child(cli, library, tmp_path):
    order = lab_order(tmp_path / "in")
    check_delivery(cli, cli.json("ingest", order))
    assert cli.json("ingest", order) and rows(library, "SELECT count(*) FROM rolls") == [(2,)]  # re-run: nothing new
    # files added later to one child join that child's roll
    imagegen.make_scan(order / "2024-10-02 HP5" / "000003.jpg", seed=777)
    out = cli.json("ingest", order)
    assert [(o["source"].split("/")[1], o["added"], o["duplicates"]) for o in out] == [
        ("2024-10-01 Portra 400", 0, 2), ("2024-10-02 HP5", 1, 2)]


def test_zip_delivery_is_one_roll_per_child(cli, library, tmp_path):
    order = lab_order(tmp_path / "src")
    check_delivery(cli, cli.json("ingest", zip_of(order, tmp_path / "in" / "Lab order 88231.zip")))
    flat = zip_of(lab_order(tmp_path / "src2", seed=5), tmp_path / "in" / "order 2.zip", top=False)
    check_delivery(cli, cli.json("ingest", flat), prefix="order 2")
    assert not any((library.cache / "unzip").rglob("*"))


def test_watcher_splits_folder_and_zip_deliveries(cli, library, tmp_path):
    lab_order(library.inbox)
    zip_of(lab_order(tmp_path / "src", seed=9), library.inbox / "Lab order 90001.zip")
    out = cli.json("watch", "--once", "--settle", "0")
    assert sorted(o["source"] for o in out) == [
        "Lab order 88231/2024-10-01 Portra 400", "Lab order 88231/2024-10-02 HP5",
        "Lab order 90001/2024-10-01 Portra 400",
        "Lab order 90001/2024-10-02 HP5"]
    assert all(o["added"] == 2 for o in out) and rows(library, "SELECT count(*) FROM rolls") == [(4,)]
    assert cli.json("watch", "--once", "--settle", "0") == []  # nothing changed: nothing re-read


def test_what_is_not_a_delivery_stays_one_roll(cli, library, tmp_path):
    formats = tmp_path / "in" / "2023-05-01 Portra400"            # one roll in two formats
    imagegen.make_roll(formats / "JPEG", 2, seed=21)
    imagegen.make_roll(formats / "TIFF", 2, seed=22, fmt="TIFF", pattern="{n:06d}.tif")
    loose = tmp_path / "in" / "2023-06-01 HP5"                    # scans beside dated sub-folders
    imagegen.make_roll(loose, 2, seed=23)
    imagegen.make_roll(loose / "2023-06-02 rescans", 1, seed=24)
    imagegen.make_roll(loose / "2023-06-03 extra", 1, seed=25)
    sidecar = lab_order(tmp_path / "side")                          # a roll.toml says: one roll
    (sidecar / "roll.toml").write_text('stock = "Gold 200"\n', encoding="utf-8")
    out = cli.json("ingest", formats, loose, sidecar)
    assert [(o["source"], o["added"]) for o in out] == [
        ("2023-05-01 Portra400", 4), ("2023-06-01 HP5", 4), ("Lab order 88231", 4)]


def test_move_mode_delivery_empties_the_inbox(cli, library, tmp_path):
    order = lab_order(tmp_path / "in")
    (order / "invoice.pdf").unlink()
    check_delivery(cli, cli.json("ingest", "--mode", "move", order))
    assert not order.exists()
    z = zip_of(lab_order(tmp_path / "src", seed=31), tmp_path / "in" / "Lab order 88231.zip")
    out = cli.json("ingest", "--mode", "move", z)
    assert [o["added"] for o in out] == [2, 2] and not z.exists()
