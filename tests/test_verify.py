"""Fixity: missing, changed (bit rot) and unknown files; the unmounted archive; --rehash slices; --repair."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import time
from pathlib import Path

import pytest

from filmflow.fixity import verify
from filmflow.catalog.db import transaction
from filmflow.catalog.frames import insert_frames
from filmflow.catalog.rolls import insert_roll, now
from filmflow.opencatalog import open_catalog


def make_roll(lib, code: str, n: int = 4, *, folder: Path | None = None, source: Path | None = None,
              size: int = 3000) -> list[Path]:
    """Write `n` real files for a roll (in archive/2023/CODE, or `folder` for an in-place roll) and catalogue them.

    With `source`, identical copies are also written there and recorded as each frame's source_path.
    """
    folder = folder or lib.archive / "2023" / f"{code} Portra 400"
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for i in range(1, n + 1):
        data = (f"{code}-{i}:".encode() + os.urandom(size))
        p = folder / f"{code}_{i:04d}.jpg"
        p.write_bytes(data)
        src = None
        if source is not None:
            source.mkdir(parents=True, exist_ok=True)
            src = source / p.name
            src.write_bytes(data)
        paths.append(p)
        rows.append({"frame": str(i), "frame_num": i, "path": lib.rel(p), "file": p.name,
                     "source_path": str(src) if src else None, "sha256": hashlib.sha256(data).hexdigest(),
                     "bytes": len(data), "added_at": now()})
    db = open_catalog(lib)
    with transaction(db) as conn:
        rid = insert_roll(conn, {"code": code, "year": 2023, "path": lib.rel(folder)}, {})
        insert_frames(conn, [{**r, "roll_id": rid} for r in rows])
    db.conn.close()
    return paths


def flip_byte(p: Path, at: int = 100) -> None:
    data = bytearray(p.read_bytes())
    data[at] ^= 0x01
    p.write_bytes(bytes(data))


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def verified_at(lib) -> dict[str, str | None]:
    db = open_catalog(lib)
    out = {f"{c}/{f}": v for c, f, v in db.conn.execute(
        "SELECT r.code, f.frame, f.verified_at FROM frames f JOIN rolls r ON r.id = f.roll_id")}
    db.conn.close()
    return out


def test_clean_archive_passes(library, cli):
    make_roll(library, "R001", 5)
    make_roll(library, "R002", 3)
    doc = cli.json("verify")
    assert doc["checked"] == 8 and doc["ok"] == 8
    assert doc["missing"] == [] and doc["changed"] == [] and doc["unknown"] == []
    assert doc["archive_missing"] is False and doc["elapsed"] >= 0
    assert set(doc) >= {"checked", "ok", "missing", "changed", "unknown", "repaired", "archive_missing", "elapsed"}
    r = cli("verify")
    assert "checked 8 frames" in r.stdout and "missing 0" in r.stdout


def test_missing_file_found(library, cli):
    paths = make_roll(library, "R001", 4)
    paths[2].unlink()
    doc = cli.json("verify", code=1)
    assert doc["missing"] == [{"ref": "R001/3", "path": str(paths[2])}]
    assert doc["ok"] == 3 and doc["checked"] == 4
    r = cli("verify", code=1)
    assert "MISSING" in r.stdout and "R001/3" in r.stdout and "--repair" in r.stderr


def test_flipped_byte_found_by_rehash(library, cli):
    paths = make_roll(library, "R001", 4)
    want = hashlib.sha256(paths[1].read_bytes()).hexdigest()
    flip_byte(paths[1])
    assert cli.json("verify")["changed"] == []  # same size: the quick check cannot see it
    doc = cli.json("verify", "--rehash", code=1)
    assert doc["changed"] == [{
        "ref": "R001/2", "path": str(paths[1]), "expected": want,
        "actual": hashlib.sha256(paths[1].read_bytes()).hexdigest(),
        "expected_bytes": paths[1].stat().st_size, "actual_bytes": paths[1].stat().st_size}]
    assert doc["ok"] == 3 and doc["hashed"] == 4


def test_size_change_found_without_rehash(library, cli):
    paths = make_roll(library, "R001", 3)
    with open(paths[0], "ab") as f:
        f.write(b"x")
    doc = cli.json("verify", code=1)
    assert [c["ref"] for c in doc["changed"]] == ["R001/1"]
    assert doc["changed"][0]["actual"] == hashlib.sha256(paths[0].read_bytes()).hexdigest()


def test_unknown_files_found_ours_ignored(library, cli):
    paths = make_roll(library, "R001", 2)
    folder = paths[0].parent
    (folder / "stray scan.jpg").write_bytes(b"stray")
    (folder / "서울_0001.tif").write_bytes(b"stray2")
    (folder / ".DS_Store").write_bytes(b"mac")
    (folder / f".x.jpg{'.filmflow-tmp-'}abcd1234").write_bytes(b"temp")
    (library.archive / ".Trashes").mkdir()
    (library.archive / ".Trashes" / "old.jpg").write_bytes(b"old")
    doc = cli.json("verify", code=1)
    assert sorted(doc["unknown"]) == sorted([str(folder / "stray scan.jpg"), str(folder / "서울_0001.tif")])
    assert doc["missing"] == [] and doc["ok"] == 2


def test_nfd_name_on_disk_matches_nfc_catalog(library, cli):
    import unicodedata

    paths = make_roll(library, "R001", 1)
    nfc_name = "서울 산책_0001.jpg"
    nfd = paths[0].with_name(unicodedata.normalize("NFD", nfc_name))
    paths[0].rename(nfd)
    db = open_catalog(library)
    with transaction(db) as conn:
        conn.execute("UPDATE frames SET path = ?", (library.rel(paths[0].with_name(nfc_name)),))
    db.conn.close()
    doc = cli.json("verify", code=None)
    assert doc["unknown"] == []  # the same name, spelled as macOS writes it


@pytest.mark.parametrize("how", ["gone", "empty mount point"])
def test_unmounted_archive_reported_once(library, cli, how):
    make_roll(library, "R001", 30)
    make_roll(library, "R002", 30)
    shutil.rmtree(library.archive)
    if how == "empty mount point":
        library.archive.mkdir()
    doc = cli.json("verify", code=1)
    assert doc["archive_missing"] is True
    assert doc["missing"] == [] and doc["unknown"] == []
    r = cli("verify", "--rehash", "--repair", code=1)
    assert r.stderr.count("missing or empty") == 1 and "mounted" in r.stderr
    assert "60 catalogued frames" in r.stderr
    assert "MISSING" not in r.stdout
    assert not any(library.archive.iterdir()) if library.archive.exists() else True  # repair wrote nothing


def test_empty_catalog_and_empty_archive_is_fine(library, cli):
    doc = cli.json("verify")
    assert doc["checked"] == 0 and doc["archive_missing"] is False


def test_in_place_roll_outside_the_library(library, cli, tmp_path):
    paths = make_roll(library, "R001", 2, folder=tmp_path / "elsewhere" / "roll")
    db = open_catalog(library)
    assert all(Path(p).is_absolute() for (p,) in db.conn.execute("SELECT path FROM frames"))
    db.conn.close()
    assert cli.json("verify")["ok"] == 2
    paths[0].unlink()
    assert [m["path"] for m in cli.json("verify", code=1)["missing"]] == [str(paths[0])]


def test_rehash_records_time_oldest_first(library, cli):
    make_roll(library, "R001", 5)
    doc = cli.json("verify", "--rehash", "--limit", "2")
    assert doc["hashed"] == 2 and doc["checked"] == 5 and doc["budget_reached"] is True
    first = verified_at(library)
    assert sorted(k for k, v in first.items() if v) == ["R001/1", "R001/2"]
    cli.json("verify", "--rehash", "--limit", "2")
    second = verified_at(library)
    assert sorted(k for k, v in second.items() if v) == ["R001/1", "R001/2", "R001/3", "R001/4"]
    assert second["R001/1"] == first["R001/1"]  # not re-hashed while others were never verified
    cli.json("verify", "--rehash")
    assert all(verified_at(library).values())


def test_rehash_does_not_record_bad_frames(library, cli):
    paths = make_roll(library, "R001", 3)
    flip_byte(paths[0])
    paths[1].unlink()
    cli.json("verify", "--rehash", code=1)
    v = verified_at(library)
    assert v["R001/1"] is None and v["R001/2"] is None and v["R001/3"] is not None


def test_max_time_slice_still_finds_missing_files(library):
    paths = make_roll(library, "R001", 6)
    paths[5].unlink()
    ticks = itertools.count()
    report = verify.verify_library(library, rehash=True, max_time=3, clock=lambda: float(next(ticks)))
    assert report.budget_reached and 0 < report.hashed < 6
    assert report.checked == 6
    assert [m.ref for m in report.missing] == ["R001/6"]
    assert sum(1 for v in verified_at(library).values() if v) == report.hashed


def test_batched_updates(library, monkeypatch):
    make_roll(library, "R001", 7, size=200)
    monkeypatch.setattr(verify, "FLUSH_EVERY", 3)
    calls = []
    real = verify.transaction

    def counting(db):
        calls.append(1)
        return real(db)

    monkeypatch.setattr(verify, "transaction", counting)
    report = verify.verify_library(library, rehash=True)
    assert report.hashed == 7 and all(verified_at(library).values())
    assert len(calls) == 3  # 3 + 3 + 1, not one commit per frame


def test_fast_limit_stops_early(library, cli):
    make_roll(library, "R001", 5)
    doc = cli.json("verify", "--limit", "2")
    assert doc["checked"] == 2 and doc["not_checked"] == 3 and doc["budget_reached"] is True


def test_progress_callback_counts_bytes(library):
    paths = make_roll(library, "R001", 3)
    seen = []
    verify.verify_library(library, rehash=True, progress=lambda n, b: seen.append((n, b)))
    assert [n for n, _ in seen] == [1, 1, 1]
    assert sum(b for _, b in seen) == sum(p.stat().st_size for p in paths)
    assert verify.verify_totals(library) == (3, sum(p.stat().st_size for p in paths))
    assert verify.verify_totals(library, limit=1)[0] == 1


def test_verify_never_changes_a_file(library, cli):
    paths = make_roll(library, "R001", 3)
    flip_byte(paths[0])
    paths[1].unlink()
    (paths[0].parent / "stray.jpg").write_bytes(b"x")
    before = snapshot(library.archive)
    cli("verify", code=1)
    cli("verify", "--rehash", code=1)
    assert snapshot(library.archive) == before


def test_repair_missing_from_ingest_source(library, cli, tmp_path):
    paths = make_roll(library, "R001", 3, source=tmp_path / "inbox" / "roll")
    want = hashlib.sha256(paths[1].read_bytes()).hexdigest()
    paths[1].unlink()
    doc = cli.json("verify", "--repair")
    assert [r["ref"] for r in doc["repaired"]] == ["R001/2"]
    assert doc["repaired"][0]["was"] == "missing" and doc["repaired"][0]["from"].startswith(str(tmp_path / "inbox"))
    assert hashlib.sha256(paths[1].read_bytes()).hexdigest() == want
    assert cli.json("verify", "--rehash")["ok"] == 3


def test_repair_changed_from_backup_moves_bad_file_aside(library, cli, tmp_path):
    paths = make_roll(library, "R001", 3)
    backup = tmp_path / "backup"
    shutil.copytree(paths[0].parent, backup / "2023 copy")
    (backup / "decoy.jpg").write_bytes(b"z" * paths[0].stat().st_size)  # same size, other bytes
    want = hashlib.sha256(paths[0].read_bytes()).hexdigest()
    flip_byte(paths[0])
    rotten = paths[0].read_bytes()
    doc = cli.json("verify", "--rehash", "--repair", "--from", str(backup))
    assert doc["repaired"][0]["ref"] == "R001/1" and doc["repaired"][0]["was"] == "changed"
    assert hashlib.sha256(paths[0].read_bytes()).hexdigest() == want
    aside = Path(doc["repaired"][0]["moved_aside"])
    assert aside.parent == paths[0].parent and aside.name == f"{paths[0].name}.corrupt-{time.strftime('%Y%m%d')}"
    assert aside.read_bytes() == rotten  # kept, never deleted
    again = cli.json("verify", "--rehash")  # the set-aside file is listed, not an unknown failure
    assert again["unknown"] == [] and again["quarantined"] == [str(aside)] and again["ok"] == 3


def test_repair_without_a_copy_reports_and_fails(library, cli, tmp_path):
    paths = make_roll(library, "R001", 2)
    paths[0].unlink()
    (tmp_path / "empty").mkdir()
    doc = cli.json("verify", "--repair", "--from", str(tmp_path / "empty"), code=1)
    assert doc["repaired"] == [] and [u["ref"] for u in doc["unrepaired"]] == ["R001/1"]
    assert not paths[0].exists()
    r = cli("verify", "--repair", code=1)
    assert "NOT FIXED R001/1" in r.stdout and "--from" in r.stdout


def test_bad_options_exit_2(library, cli, tmp_path):
    assert "--repair" in cli("verify", "--from", str(tmp_path), code=2).stderr
    assert "--limit" in cli("verify", "--limit", "0", code=2).stderr
    assert "--max-time" in cli("verify", "--max-time", "-5", code=2).stderr
    assert "--max-time" in cli("verify", "--max-time", "nan", code=2).stderr
    cli("verify", "--repair", "--from", str(tmp_path / "nope"), code=2)


def test_hash_file_matches_hashlib(tmp_path):
    p = tmp_path / "f.bin"
    data = os.urandom(3 * (1 << 20) + 17)
    p.write_bytes(data)
    assert verify.hash_file(p) == (hashlib.sha256(data).hexdigest(), len(data))


def test_repair_from_library_relative_source(library, cli):
    paths = make_roll(library, "R001", 2, source=library.inbox / "roll")
    db = open_catalog(library)
    with transaction(db) as conn:  # ingest may store an inbox source relative to the library
        for (fid, src) in conn.execute("SELECT id, source_path FROM frames").fetchall():
            conn.execute("UPDATE frames SET source_path = ? WHERE id = ?", (library.rel(Path(src)), fid))
    db.conn.close()
    want = paths[0].read_bytes()
    paths[0].unlink()
    doc = cli.json("verify", "--repair")
    assert [r["ref"] for r in doc["repaired"]] == ["R001/1"] and paths[0].read_bytes() == want


def test_archived_sidecar_is_not_unknown(cli, library, tmp_path):
    import shutil

    from conftest import SAMPLES

    shutil.copytree(SAMPLES / "HP5 Plus 120 Mamiya", tmp_path / "in" / "HP5 Plus 120 Mamiya")
    cli("ingest", tmp_path / "in" / "HP5 Plus 120 Mamiya")
    assert list(library.archive.rglob("roll.toml"))
    doc = cli.json("verify")
    assert doc["unknown"] == [] and doc["ok"] == 10


def test_leftover_temp_files_are_reported_and_repair_removes_unowned_ones(library, cli, tmp_path):
    """What a killed `verify --repair` (or ingest) leaves: hidden temp copies named by fsutil."""
    import subprocess
    import sys

    from filmflow import fsutil

    paths = make_roll(library, "R001", 2)
    left = fsutil.temp_path_for(paths[0])
    left.write_bytes(paths[0].read_bytes()[:1000])
    held = fsutil.temp_path_for(paths[1])
    held.write_bytes(b"being written")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'ab'); "
                               "print('open', flush=True); time.sleep(600)", str(held)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        doc = cli.json("verify")  # reported, not a failure, nothing removed
        assert sorted(doc["temp_files"]) == sorted([str(left), str(held)]) and doc["unknown"] == []
        assert left.exists() and held.exists()
        text = cli("verify").stdout
        assert f"TEMP      {left}" in text and "verify --repair` removes" in text
        doc = cli.json("verify", "--repair")
        assert doc["removed_temp_files"] == [str(left)] and doc["temp_files"] == [str(held)]
        assert not left.exists() and held.read_bytes() == b"being written"  # a live process owns it
    finally:
        holder.kill()
        holder.wait()
    assert cli.json("verify", "--repair")["removed_temp_files"] == [str(held)]
    assert not held.exists() and all(p.exists() for p in paths)
    assert cli.json("verify")["temp_files"] == []
