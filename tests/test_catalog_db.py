"""Opening the catalog: schema version, migrations on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from filmflow.opencatalog import open_catalog


def test_a_catalog_from_a_newer_filmflow_is_refused(cli, library):
    import sqlite3

    conn = sqlite3.connect(library.db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    r = cli("rolls", code=2)
    assert "newer filmflow" in r.stderr and "Traceback" not in r.stderr


def test_an_up_to_date_catalog_opens_without_sqlite_utils(library):
    import subprocess
    import sys

    code = ("import sys; from filmflow.library import Library; from filmflow.opencatalog import open_catalog; "
            f"open_catalog(Library.open({str(library.root)!r})).conn.close(); print('sqlite_utils' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- transaction(): the real error, not "cannot rollback" -----------------------------------


def test_an_error_sqlite_already_rolled_back_is_raised_as_it_is(library):
    import sqlite3

    import pytest

    from filmflow.catalog.db import transaction

    db = open_catalog(library)
    try:
        db.conn.execute("CREATE TEMP TRIGGER forced BEFORE INSERT ON meta WHEN new.key <> 'outer' BEGIN "
                        "SELECT RAISE(ROLLBACK, 'forced failure'); END")
        with pytest.raises(sqlite3.IntegrityError, match="forced failure"):
            with transaction(db) as conn:
                conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        assert not db.conn.in_transaction
        # nested: the savepoint went with the transaction SQLite rolled back
        with pytest.raises(sqlite3.IntegrityError, match="forced failure"):
            with transaction(db) as conn:
                conn.execute("INSERT INTO meta (key, value) VALUES ('outer', '0')")
                with transaction(db) as inner:
                    inner.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
        assert not db.conn.in_transaction
        assert db.conn.execute("SELECT count(*) FROM meta WHERE key = 'outer'").fetchone()[0] == 0
        with transaction(db) as conn:  # the connection is still usable
            conn.execute("DROP TRIGGER forced")
            conn.execute("INSERT INTO meta (key, value) VALUES ('c', '3')")
        assert db.conn.execute("SELECT value FROM meta WHERE key = 'c'").fetchone()[0] == "3"
    finally:
        db.conn.close()


# --- a catalog that vanished, is damaged, or cannot be written -------------------------------


def _archive_file(library):
    f = library.archive / "2023" / "R001" / "000001.jpg"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"a scan")
    return f


def test_a_deleted_or_emptied_catalog_is_an_error_naming_the_fix(cli, library):
    from conftest import add_roll

    add_roll(library, "R001")
    scan = _archive_file(library)
    for damage in ("delete", "truncate"):
        if damage == "delete":
            library.db_path.unlink()
        else:
            library.db_path.write_bytes(b"")
        for args in (("rolls",), ("status",), ("rate", "3", "R001/1")):
            r = cli(*args, code=2)
            assert "filmflow init" in r.stderr and "backup" in r.stderr and "untouched" in r.stderr, r.stderr
            assert str(library.db_path) in r.stderr and "Traceback" not in r.stderr
        # no new, empty catalog was made behind the user's back
        assert not library.db_path.exists() if damage == "delete" else library.db_path.stat().st_size == 0
        assert scan.read_bytes() == b"a scan"
        library.db_path.unlink(missing_ok=True)
    assert "created" in cli("init", library.root).stdout  # only init starts a new catalog
    assert cli.json("rolls") == []


def _corrupt_pages(path, table=None):
    """Scribble over every page but the header page, or over the pages of one table only."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))] if table else None
    conn.close()
    data = bytearray(path.read_bytes())
    for off in range(2 * page, len(data), page):
        if pages is None or off // page + 1 in pages:
            data[off:off + page] = bytes((i * 37 + 11) % 256 for i in range(page))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("table", [None, "frames"])  # the whole file, or pages read only mid-command
def test_a_damaged_catalog_says_so_and_how_to_check_it(cli, library, table):
    from conftest import add_roll

    for i in range(1, 40):
        add_roll(library, f"R{i:03d}", n_frames=20, title="x" * 200)
    scan = _archive_file(library)
    _corrupt_pages(library.db_path, table)
    for args in (("frames",), ("rate", "3", "R001/1")):
        r = cli(*args, code=1)
        assert "damaged" in r.stderr and "PRAGMA integrity_check" in r.stderr, r.stderr
        assert "untouched" in r.stderr and "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert scan.read_bytes() == b"a scan"


READ_ONLY_SCRIPT = """
import subprocess, sys
for args in (["rolls"], ["roll", "show", "R001"], ["frames"], ["status"],
             ["rate", "3", "R001/1"], ["roll", "edit", "R001", "--title", "x"], ["tag", "add", "t", "R001/1"]):
    r = subprocess.run([sys.executable, "-m", "filmflow", "--library", sys.argv[1], *args],
                       capture_output=True, text=True)
    print(repr((args[0] if args[0] != "roll" else " ".join(args[:2]), r.returncode, r.stdout, r.stderr)))
"""


def test_a_read_only_library_reads_and_refuses_writes_by_name(tmp_path):
    """Root ignores file modes, so the library is bind-mounted read-only in a private mount
    namespace (`unshare --mount`): the mount vanishes with the process."""
    import ast
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    from conftest import add_roll, make_library

    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("NOT RUN: a read-only mount needs root and unshare(1) (CI runs as root)")
    lib = make_library(tmp_path / "lib")
    add_roll(lib, "R001")
    before = lib.db_path.read_bytes()
    mount = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3" "$1"'
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
                          str(lib.root), sys.executable, READ_ONLY_SCRIPT], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        pytest.skip(f"NOT RUN: cannot mount the library read-only here ({out.stderr.strip()[-200:]})")
    results = {name: (rc, so, se) for name, rc, so, se in map(ast.literal_eval, out.stdout.splitlines())}
    for name in ("rolls", "roll show", "frames", "status"):
        rc, so, se = results[name]
        assert rc == 0 and "R001" in so.replace(str(lib.root), "") or name == "status", (name, rc, so, se)
        assert rc == 0 and "not a filmflow catalog" not in se, (name, rc, so, se)
    for name in ("rate", "roll edit", "tag"):
        rc, so, se = results[name]
        assert rc == 1 and "read-only" in se and str(lib.root) in se, (name, rc, se)
        assert "move it aside" not in se and "Traceback" not in se
    assert lib.db_path.read_bytes() == before
