"""What labs and shooters really send: multi-roll deliveries, lab zips, dry runs, roll codes.

Deliveries of several rolls (folders and zips, ingest and watcher), zip entries that clash
or cannot be unpacked, dry runs that match the real run and write nothing, deterministic
extraction folders and their clean-up, and automatic roll numbering.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import imagegen
from test_ingest_apply import rows
from test_ingest_apply import tree_hashes as tree
from filmflow.opencatalog import open_catalog


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
    db = open_catalog(library)
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


def test_roll_option_on_a_delivery_is_refused_before_anything_is_touched(cli, library, tmp_path):
    order = lab_order(tmp_path / "in")
    single = tmp_path / "in" / "2024-10-05 Gold 200"
    imagegen.make_roll(single, 2, seed=9)
    for src in (order, zip_of(order, tmp_path / "z" / "Lab order 88231.zip")):
        r = cli("ingest", single, src, "--roll", "R042", code=2)
        assert "holds 2 rolls (2024-10-01 Portra 400, 2024-10-02 HP5)" in r.stderr
        assert "--roll R042 would put them all into one roll" in r.stderr and "Traceback" not in r.stderr
        assert rows(library, "SELECT count(*) FROM rolls") == [(0,)]  # not even the single folder
        assert not any((library.cache / "unzip").rglob("*")) and not list(library.archive.rglob("*.jpg"))
    out = cli.json("ingest", single, "--roll", "R042")  # one roll: --roll works as before
    assert [o["roll"] for o in out] == ["R042"]
    check_delivery(cli, cli.json("ingest", order))  # and without --roll each roll gets its own code


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


def test_half_named_delivery_is_one_roll_with_a_warning(cli, library, tmp_path):
    order = lab_order(tmp_path / "in")
    imagegen.make_roll(order / "extras", 1, seed=26)
    r = cli("ingest", order, "--json")
    import json

    assert [o["added"] for o in json.loads(r.stdout)] == [5]
    assert "'extras'" in r.stderr and "ONE roll" in r.stderr
    formats = imagegen.make_roll(tmp_path / "in" / "2023-05-01 Portra400" / "JPEG", 1, seed=27)[0].parent.parent
    imagegen.make_roll(formats / "TIFF", 1, seed=28)
    assert "ONE roll" not in cli("ingest", formats).stderr  # nothing there looks like a roll: no noise


def test_move_mode_delivery_empties_the_inbox(cli, library, tmp_path):
    order = lab_order(tmp_path / "in")
    (order / "invoice.pdf").unlink()
    check_delivery(cli, cli.json("ingest", "--mode", "move", order))
    assert not order.exists()
    z = zip_of(lab_order(tmp_path / "src", seed=31), tmp_path / "in" / "Lab order 88231.zip")
    out = cli.json("ingest", "--mode", "move", z)
    assert [o["added"] for o in out] == [2, 2] and not z.exists()


# ---- issue 12: zips that clash or cannot be unpacked -----------------------------------

def test_two_scans_under_one_entry_name_are_both_archived(cli, library, tmp_path):
    a = imagegen.make_scan(tmp_path / "a.jpg", seed=41)
    b = imagegen.make_scan(tmp_path / "b.jpg", seed=42)
    z = tmp_path / "in" / "2023-05-05 Gold200.zip"
    z.parent.mkdir(parents=True)
    import zipfile
    import warnings

    with zipfile.ZipFile(z, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        zf.writestr("2023-05-05 Gold200/000003.jpg", a.read_bytes())
        zf.writestr("2023-05-05 Gold200/000003.jpg", b.read_bytes())
        zf.writestr("2023-05-05 Gold200/000004.jpg", imagegen.make_scan(tmp_path / "c.jpg", seed=43).read_bytes())
    out = cli.json("ingest", "--mode", "move", z)[0]
    assert out["added"] == 3 and out["failed"] == []
    frames = {f["frame"]: f for f in cli.json("frames")}
    assert sorted(frames) == ["3", "3-2", "4"]
    assert {frames["3"]["sha256"], frames["3-2"]["sha256"]} == {tree(tmp_path)["a.jpg"], tree(tmp_path)["b.jpg"]}
    assert frames["3-2"]["file"] == "dup2_000003.jpg"
    assert all(Path(f["path"]).is_file() for f in frames.values())
    assert not z.exists()  # removed only because both scans are now in the archive


def _hostile_zips(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name → (zip, words its failure must hold)."""
    scan = imagegen.make_scan(tmp_path / "h.jpg", seed=61)
    enc = encrypt_flag(imagegen.make_zip(tmp_path / "in" / "secret.zip", {"roll/000001.jpg": scan}))
    clash = imagegen.make_zip(tmp_path / "in" / "clash.zip", {"roll/a": b"not a folder", "roll/a/000001.jpg": scan})
    long = imagegen.make_zip(tmp_path / "in" / "long.zip", {"roll/" + "x" * 300 + ".jpg": scan})
    corrupt = imagegen.make_zip(tmp_path / "in" / "corrupt.zip", {"roll/000001.jpg": scan})
    data = bytearray(corrupt.read_bytes())
    for k in range(200, 260):  # damage the compressed data (a download cut and patched)
        data[k] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    deep = imagegen.make_zip(tmp_path / "in" / "deep.zip", {"roll/" + "d/" * 2000 + "000001.jpg": scan})
    return {"secret.zip": (enc, "encrypted"), "clash.zip": (clash, "both a file and a folder"),
            "long.zip": (long, "bytes"), "deep.zip": (deep, "2001 folders deep"),
            "corrupt.zip": (corrupt, "download the zip again")}


def test_unpackable_zips_fail_alone_with_one_clear_line(cli, library, tmp_path):
    hostile = _hostile_zips(tmp_path)
    good = imagegen.make_roll(tmp_path / "in" / "2023-05-01 Portra400", 2, seed=62)[0].parent
    r = cli("ingest", *(z for z, _ in hostile.values()), good, "--json", code=1)
    import json

    out = {o["source"]: o for o in json.loads(r.stdout)}
    assert out["2023-05-01 Portra400"]["added"] == 2  # the next source went on
    for name, (z, words) in hostile.items():
        (fail,) = out[name[:-4]]["failed"]
        assert words in fail["error"] and str(z) in fail["error"] and "\n" not in fail["error"], fail
        assert len(fail["error"]) < 400
        assert z.exists()
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not any((library.cache / "unzip").rglob("*"))


def test_watcher_records_unpackable_zips_and_goes_on(cli, library, tmp_path):
    for z, _ in _hostile_zips(tmp_path).values():
        z.rename(library.inbox / z.name)
    imagegen.make_roll(library.inbox / "2023-05-01 Portra400", 2, seed=63)
    r = cli("watch", "--once", "--settle", "0", "--json", code=1)
    import json

    out = json.loads(r.stdout)
    assert sum(o["added"] for o in out) == 2 and sum(len(o["failed"]) for o in out) == 5
    log = (library.logs / "watch.log").read_text(encoding="utf-8")
    for words in ("is encrypted", "is both a file and a folder", "longer than a file system allows",
                  "folders deep"):
        assert words in log  # each zip's failure is recorded with its reason
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_bad_scan_in_a_zip_is_named_by_its_entry_and_the_cache_is_cleaned(cli, library, tmp_path):
    good = imagegen.make_roll(tmp_path / "z", 2, seed=71)
    z = imagegen.make_zip(tmp_path / "in" / "delivery.zip", {
        "2023-05/000001.jpg": good[0], "2023-05/000002.jpg": good[1],
        "2023-05/000003.jpg": imagegen.make_truncated(tmp_path / "bad.jpg", seed=72)})
    r = cli("ingest", z, "--json", code=1)
    import json

    (out,) = json.loads(r.stdout)
    assert out["added"] == 2
    (fail,) = out["failed"]
    assert fail["file"] == "delivery.zip!2023-05/000003.jpg"
    assert "delivery.zip!2023-05/000003.jpg" in fail["error"] and "cache" not in fail["error"]
    assert "cache" not in r.stderr
    assert not any((library.cache / "unzip").rglob("*"))
    (where,) = rows(library, "SELECT source_path FROM failures")
    assert where[0] == str(z.parent / "delivery.zip!2023-05/000003.jpg")
    # the lab sends the scan again: the failure is cleared by the success
    imagegen.make_zip(z, {"2023-05/000001.jpg": good[0], "2023-05/000002.jpg": good[1],
                          "2023-05/000003.jpg": imagegen.make_scan(tmp_path / "ok.jpg", seed=73)})
    out = cli.json("ingest", z)[0]
    assert (out["added"], out["duplicates"], out["failed"]) == (1, 2, [])
    assert rows(library, "SELECT count(*) FROM failures") == [(0,)]


# ---- 14. a dry run is the plan the real run carries out, and writes nothing ---------------

def test_dry_run_of_an_ingested_folder_reports_duplicates(cli, library, tmp_path):
    folder = imagegen.make_roll(tmp_path / "in" / "2023-05-01 Portra400 R042", 3, seed=81)[0].parent
    real = cli.json("ingest", folder)[0]
    copy = tmp_path / "in" / "copy of it"
    import shutil

    shutil.copytree(folder, copy)  # same bytes, another path: found by hashing
    before = tree(library.root)
    dry = cli.json("ingest", "--dry-run", folder, copy)
    assert (dry[0]["added"], dry[0]["duplicates"]) == (0, 3) and dry[0]["roll"] == "R042"
    assert (dry[1]["added"], dry[1]["duplicates"], dry[1]["roll"]) == (0, 3, None)
    assert tree(library.root) == before
    again = cli.json("ingest", folder, copy)
    assert [(o["added"], o["duplicates"]) for o in again] == [(0, 3), (0, 3)]
    assert real["added"] == 3
    line = cli("ingest", "--dry-run", folder).stdout
    assert "0 would add, 3 duplicates" in line


def test_dry_run_of_a_zip_unpacks_nothing_and_matches_the_real_run(cli, library, tmp_path, monkeypatch):
    order = lab_order(tmp_path / "src")
    z = zip_of(order, tmp_path / "in" / "Lab order 88231.zip")
    imagegen.make_roll(tmp_path / "in" / "walk", 1, seed=82)
    from filmflow.ingest import unzip

    def no_extract(*a, **k):
        raise AssertionError("a dry run unpacked the zip")

    before = tree(library.root)
    with monkeypatch.context() as m:
        m.setattr(unzip, "extract_zip", no_extract)
        dry = cli.json("ingest", "--dry-run", z, tmp_path / "in" / "walk")
    assert tree(library.root) == before and not (library.cache / "unzip").exists()
    real = cli.json("ingest", z, tmp_path / "in" / "walk")
    keys = ("source", "roll", "added", "duplicates", "frames")
    assert [{k: o[k] for k in keys} for o in dry] == [{k: o[k] for k in keys} for o in real]
    assert [o["roll"] for o in real] == ["R001", "R002", "R003"]  # each roll of a dry run its own code
    dry2 = cli.json("ingest", "--dry-run", z)
    assert [(o["added"], o["duplicates"]) for o in dry2] == [(0, 2), (0, 2)]  # streamed and hashed
    for rel in dry[0]["plan"]["files"]:
        assert rel["dest"].startswith(str(library.archive))


def test_extraction_folder_is_deterministic_across_processes(library, tmp_path):
    import os
    import subprocess
    import sys

    z = imagegen.make_zip(tmp_path / "in" / "2023-08-15 Gold200.zip", {"a/000001.jpg": b"x"})
    code = ("import sys; from pathlib import Path; from filmflow.ingest.unzip import extraction_dir; "
            "print(extraction_dir(Path(sys.argv[1]), Path(sys.argv[2])))")
    got = {subprocess.run([sys.executable, "-c", code, str(library.cache), str(z)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout.strip()
           for seed in ("1", "2", "3")}
    assert len(got) == 1
    name = Path(got.pop()).name
    assert name.startswith("2023-08-15-gold200-") and len(name.rsplit("-", 1)[1]) == 16


def test_stale_extractions_are_cleaned_but_never_a_running_ones(cli, library, tmp_path):
    import fcntl
    import os

    from filmflow.ingest.unzip import extraction_dir

    z = imagegen.make_zip(tmp_path / "in" / "2023-08-15 Gold200.zip",
                          {"000001.jpg": imagegen.make_scan(tmp_path / "s.jpg", seed=91)})
    stale = extraction_dir(library.cache, z)  # what a kill -9 mid-ingest leaves
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "000001.jpg").write_bytes(b"half")
    (stale.parent / "old-0123456789abcdef.lock").write_text("4242")
    owned = stale.parent / "running-fedcba9876543210"
    owned.mkdir()
    (owned / "000009.jpg").write_bytes(b"in use")
    fd = os.open(owned.with_name(owned.name + ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another filmflow process owns it
    try:
        imagegen.make_roll(tmp_path / "in" / "walk", 1, seed=92)
        cli("ingest", tmp_path / "in" / "walk")
        assert not stale.exists() and not (stale.parent / "old-0123456789abcdef.lock").exists()
        assert (owned / "000009.jpg").read_bytes() == b"in use"
        assert cli.json("ingest", z)[0]["added"] == 1  # the same zip unpacks to the same folder, cleanly
        assert sorted(p.name for p in stale.parent.iterdir()) == [owned.name, owned.name + ".lock"]
    finally:
        os.close(fd)


def test_watcher_start_cleans_a_killed_runs_extraction(cli, library, tmp_path):
    from filmflow.ingest.unzip import extraction_dir

    z = imagegen.make_zip(tmp_path / "2023-08-15 Gold200.zip", {"000001.jpg": b"x"})
    stale = extraction_dir(library.cache, z)
    stale.mkdir(parents=True)
    (stale / "000001.jpg").write_bytes(b"half")
    assert cli.json("watch", "--once", "--settle", "0") == []  # an empty inbox
    assert not stale.exists()


def test_a_zip_another_process_is_unpacking_waits_its_turn(cli, library, tmp_path):
    import fcntl
    import os

    from filmflow.ingest.unzip import extraction_dir

    z = imagegen.make_zip(tmp_path / "in" / "2023-08-15 Gold200.zip",
                          {"000001.jpg": imagegen.make_scan(tmp_path / "s.jpg", seed=95)})
    theirs = extraction_dir(library.cache, z)
    theirs.mkdir(parents=True)
    (theirs / "000001.jpg").write_bytes(b"being written by them")
    fd = os.open(theirs.with_name(theirs.name + ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        r = cli("ingest", z, code=1)
        assert "being unpacked by another filmflow process" in r.stderr
        assert (theirs / "000001.jpg").read_bytes() == b"being written by them"
    finally:
        os.close(fd)
    assert cli.json("ingest", z)[0]["added"] == 1 and not theirs.exists()


def test_zip_entry_names_never_escape_and_never_crash(tmp_path_factory):
    import warnings
    import zipfile

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from filmflow.errors import InputError
    from filmflow.ingest.unzip import extract_zip

    piece = st.sampled_from(["a", "b", ".", "..", "/", "\\", ":", "~", " ", "한", "ö", "C:", "000001.jpg"])
    name = st.lists(piece, min_size=1, max_size=8).map("".join)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(name, min_size=1, max_size=4))
    def check(names):
        root = tmp_path_factory.mktemp("z")
        z = root / "x.zip"
        with zipfile.ZipFile(z, "w") as zf, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, name in enumerate(names):
                zf.writestr(name, f"entry {i}".encode())
        dest = root / "cache" / "unzip" / "x"
        try:
            extracted = extract_zip(z, dest, 1 << 20)
        except InputError as e:
            assert "x.zip" in e.message and "\n" not in e.message
            assert not dest.exists()
            return
        for rel in extracted:
            p = (dest / rel).resolve()
            assert p.is_relative_to(dest.resolve()) and p.is_file()
        assert all(p.resolve().is_relative_to(root) for p in root.rglob("*"))

    check()


def test_kill_9_during_a_zip_delivery_then_restart(tmp_path):
    """Kill a move-mode ingest of a two-roll lab zip while it unpacks, then after its first roll
    is committed; the re-run ends with every scan catalogued once, the zip gone, the cache clean."""
    import os
    import subprocess
    import sys

    from conftest import make_library, wait_until

    lib = make_library(tmp_path / "lib")
    src = tmp_path / "src" / "Lab order 88231"
    scans = imagegen.make_roll(src / "2024-10-01 Portra 400", 8, seed=301, size=(1200, 800))
    scans += imagegen.make_roll(src / "2024-10-02 HP5", 8, seed=302, size=(1200, 800))
    z = zip_of(src, lib.inbox / "Lab order 88231.zip")
    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in scans}

    def run():
        return subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(lib.root), "ingest",
                                 "--mode", "move", "--json", str(z)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def frames() -> int:
        return rows(lib, "SELECT count(*) FROM frames")[0][0]

    unzip_dir = lib.cache / "unzip"
    kills = 0
    for reached in (lambda: any(unzip_dir.rglob("*.jpg")),  # unpacking
                    lambda: frames() >= 8):                 # first roll committed, second not yet
        p = run()
        wait_until(lambda: p.poll() is not None or reached(), timeout=60, interval=0.005)
        if p.poll() is None:
            p.kill()
            kills += 1
        p.communicate()
    assert kills >= 1  # at least one run died mid-way (on a fast machine the unpacking may finish first)
    p = run()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    got = rows(lib, "SELECT sha256, path FROM frames")
    assert len(got) == 16 and {s for s, _ in got} == expected
    for sha, path in got:
        assert hashlib.sha256((lib.root / path).read_bytes()).hexdigest() == sha
    assert rows(lib, "SELECT count(*) FROM rolls") == [(2,)]
    assert not z.exists() and not any(unzip_dir.iterdir())
