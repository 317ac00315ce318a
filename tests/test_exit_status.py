"""Every exit status filmflow gives, pinned in one table (as httpie's tests/test_exit_status.py).

0 success; 1 the command ran but something failed (including an internal error, which
also logs its traceback to logs/errors.log); 2 bad usage or bad input; 130 interrupted.
A damaged catalog is 1 (nothing the user typed is wrong); a vanished catalog is 2, like a
library that was never initialised; a write to a read-only library is 1
(tests/test_catalog_db.py runs that one under a read-only mount).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from conftest import add_roll, wait_until
from filmflow.errors import ExitStatus
from filmflow.opencatalog import open_catalog


def _missing_frame_file(lib) -> None:
    add_roll(lib, "R001", 1)  # catalogued, but no file on disk


def _damaged_catalog(lib) -> None:
    for i in range(1, 30):
        add_roll(lib, f"R{i:03d}", 20)
    data = bytearray(lib.db_path.read_bytes())
    page = 4096
    for off in range(2 * page, len(data), page):
        data[off:off + page] = bytes((i * 37 + 11) % 256 for i in range(page))
    lib.db_path.write_bytes(bytes(data))


def _no_catalog(lib) -> None:
    lib.db_path.unlink()


def _internal_error(lib, monkeypatch) -> None:
    import filmflow.fixity.status

    def boom(_lib):
        raise RuntimeError("boom from a test")

    monkeypatch.setattr(filmflow.fixity.status, "library_status", boom)


NON_UTF8 = os.fsdecode(b"R\xff")

# (id, args, setup, exit status, words stderr must hold)
CASES: list[tuple[str, tuple[str, ...], Callable | None, int, tuple[str, ...]]] = [
    ("ok", ("rolls",), None, ExitStatus.OK, ()),
    ("ok-listing", ("stocks", "portra"), None, ExitStatus.OK, ()),
    ("verify-found-a-problem", ("verify",), _missing_frame_file, ExitStatus.FAILED, ("missing",)),
    ("damaged-catalog", ("rolls",), _damaged_catalog, ExitStatus.FAILED, ("damaged", "PRAGMA integrity_check")),
    ("internal-error", ("status",), _internal_error, ExitStatus.FAILED, ("internal error", "--debug")),
    ("usage-unknown-option", ("rolls", "--nope"), None, ExitStatus.BAD_INPUT, ("No such option",)),
    ("usage-nothing-to-change", ("roll", "edit", "R001"), _missing_frame_file, ExitStatus.BAD_INPUT,
     ("nothing to change",)),
    ("bad-query", ("frames", "rating:lots"), None, ExitStatus.BAD_INPUT, ("rating",)),
    ("unknown-roll", ("roll", "show", "R999"), None, ExitStatus.BAD_INPUT, ("R999",)),
    ("bad-date", ("roll", "edit", "R001", "--developed", "2023-13-45"), _missing_frame_file,
     ExitStatus.BAD_INPUT, ("not a date",)),
    ("bad-number-nan", ("verify", "--max-time", "nan"), None, ExitStatus.BAD_INPUT, ("--max-time",)),
    ("number-beyond-64-bits", ("rolls", "--limit", str(2**70)), None, ExitStatus.BAD_INPUT, ()),
    ("query-number-beyond-64-bits", ("frames", f"frame:{2**70}"), None, ExitStatus.BAD_INPUT, ()),
    ("text-not-utf8", ("roll", "show", NON_UTF8), None, ExitStatus.BAD_INPUT, ("UTF-8",)),
    ("catalog-vanished", ("rolls",), _no_catalog, ExitStatus.BAD_INPUT, ("filmflow init", "backup")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_exit_status(cli, library, monkeypatch, case):
    name, args, setup, status, words = case
    if setup is _internal_error:
        setup(library, monkeypatch)
    elif setup is not None:
        setup(library)
    r = cli(*args, code=None)
    assert r.exit_code == status, (r.exit_code, r.stdout, r.stderr)
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert "Traceback" not in r.stderr
    if status != ExitStatus.OK:
        assert r.stderr.strip(), "a failure always says why"


def test_an_internal_error_logs_its_traceback(cli, library, monkeypatch):
    _internal_error(library, monkeypatch)
    r = cli("status", code=ExitStatus.FAILED)
    assert r.stderr.count("\n") == 1 and "RuntimeError: boom from a test" in r.stderr
    log = (library.logs / "errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "RuntimeError: boom from a test" in log


def test_a_library_that_was_never_initialised_is_bad_input(tmp_path):
    from conftest import Cli
    from filmflow.library import Library

    r = Cli(Library(root=tmp_path / "nowhere"))("rolls", code=None)
    assert r.exit_code == ExitStatus.BAD_INPUT and "filmflow init" in r.stderr


def test_sigint_exits_130_and_undoes_the_half_done_work(cli, library, tmp_path):
    """Ctrl-C of a `roll edit` paused mid-re-filing (tests/test_refile.py's hook): 130, roll unmoved."""
    add_roll(library, "R001", 0, stock="Kodak Portra 400", year=2023)
    folder = library.archive / "2023" / "R001"
    folder.mkdir(parents=True)
    (folder / "roll.toml").write_text("camera = 'FM2'\n", encoding="utf-8")
    db = open_catalog(library)
    db.conn.execute("UPDATE rolls SET path = 'archive/2023/R001', mode = 'copy'")
    db.conn.close()
    marker = tmp_path / "paused"
    env = {**os.environ, "FILMFLOW_TEST_PAUSE_AT": f"copied:{marker}"}
    p = subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(library.root), "roll", "edit", "R001",
                          "--code", "R002"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(marker.exists, timeout=60)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == ExitStatus.INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    assert cli.json("roll", "show", "R001")["path"].endswith("archive/2023/R001")
    assert sorted(p.relative_to(library.archive).as_posix() for p in library.archive.rglob("*") if p.is_file()) \
        == ["2023/R001/roll.toml"]


def test_low_level_errors_that_bad_input_causes_are_input_errors():
    from filmflow.errors import InputError, input_error

    try:
        NON_UTF8.encode("utf-8")
    except UnicodeEncodeError as e:
        err = input_error(e)
    assert isinstance(err, InputError) and "ff" in err.message and "UTF-8" in err.message
    err = input_error(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert isinstance(err, InputError) and err.exit_code == ExitStatus.BAD_INPUT
    assert input_error(ValueError("a bug")) is None and input_error(KeyError("x")) is None
