"""The package imports on a system without `fcntl` (issue 13): locks import it when they lock.

Each check runs in a fresh interpreter where `import fcntl` fails (`sys.modules['fcntl'] =
None`, as on Windows), imports every module of filmflow, and reports which failed and from
which file the ImportError came.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "filmflow"

# Files that may still import fcntl at module level (none: every lock takes it through
# fsutil.posix_locks() when it locks).
STILL_NEEDS_FCNTL: set[str] = set()

_PROBE = r"""
import importlib, json, sys, traceback
sys.modules["fcntl"] = None
out = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as e:
        frames = [f.filename for f in traceback.extract_tb(e.__traceback__) if "filmflow" in f.filename]
        out[name] = frames[-1] if frames else repr(e)
print(json.dumps(out))
"""


def _modules() -> list[str]:
    names = []
    for p in sorted(PKG.rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_every_module_imports_without_fcntl():
    names = _modules()
    assert len(names) > 60
    done = _run(_PROBE, *names)
    assert done.returncode == 0, done.stderr
    failed = json.loads(done.stdout)
    culprits = {Path(f).resolve().relative_to(ROOT).as_posix() if f.endswith(".py") else f
                for f in failed.values()}
    assert culprits <= STILL_NEEDS_FCNTL, failed
    # and so do the modules that lock (the watcher, roll edits, zip and source locks of ingest)
    assert not {"filmflow.fsutil", "filmflow.library", "filmflow.fixity.status", "filmflow.refile", "filmflow.watch",
                "filmflow.ingest.run", "filmflow.ingest.unzip", "filmflow.cli",
                "filmflow.catalog.db", "filmflow.query", "filmflow.fixity.verify"} & set(failed)


def test_the_allow_list_still_needs_fcntl():
    import ast

    for name in STILL_NEEDS_FCNTL:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        top = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
        assert "fcntl" in top, f"{name} no longer imports fcntl at module level; drop it from STILL_NEEDS_FCNTL"


@pytest.mark.parametrize("call", [
    "WatcherLock(lib.logs / 'watch.lock').acquire(lib.inbox)",
    "watcher_running(lib.logs / 'watch.lock')",
])
def test_a_lock_without_fcntl_is_one_clear_filmflow_error(tmp_path, call):
    code = f"""
import sys
sys.modules["fcntl"] = None
from pathlib import Path
from filmflow.errors import OperationError
from filmflow.library import Library, WatcherLock, watcher_running
lib, _ = Library.init(Path(sys.argv[1]))
(lib.logs / "watch.lock").parent.mkdir(parents=True, exist_ok=True)
(lib.logs / "watch.lock").write_text("")
try:
    {call}
except OperationError as e:
    print("ERR", e.exit_code, e)
"""
    done = _run(code, str(tmp_path / "lib"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ERR 1 this system has no POSIX file locks (Python's fcntl module)"), done.stdout
