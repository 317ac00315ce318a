"""Opening the catalog: schema version, migrations on demand."""

from __future__ import annotations


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

    code = ("import sys; from filmflow.library import Library; "
            f"Library.open({str(library.root)!r}).db().conn.close(); print('sqlite_utils' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
