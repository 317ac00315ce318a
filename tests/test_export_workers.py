"""An export's worker processes die with it (issue 12 item 19): kill -9 or SIGTERM of
`project export` must not leave encoders running. Only descendants of the export under
test are counted; every wait is on a condition with a generous deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli, make_library, wait_until
from tests import imagegen


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.update(int(x) for x in f.read().split())
    except OSError:
        pass
    return out


def _descendants(pid: int) -> set[int]:
    seen, todo = set(), [pid]
    while todo:
        for c in _children(todo.pop()):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"  # a zombie has exited
    except OSError:
        return False


@pytest.fixture
def big_project(tmp_path):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to follow the export's worker processes")
    lib = make_library(tmp_path / "lib", workers="2")
    cli = Cli(lib)
    folder = tmp_path / "in" / "2023-05-01 Portra400 R001"
    imagegen.make_roll(folder, 16, size=(2400, 1600), grain=2, quality=80)
    cli("ingest", folder)
    cli("project", "create", "p")
    cli("project", "add", "p", "roll:R001")
    return lib


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_export_leaves_no_worker_running(big_project, tmp_path, sig):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "filmflow", "--library", str(big_project.root), "project", "export", "p",
         "--to", str(tmp_path / "out"), "--long-edge", "1600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path,
    )
    workers: set[int] = set()
    try:
        workers = wait_until(lambda: _descendants(proc.pid) if len(_descendants(proc.pid)) >= 2 else None,
                             timeout=60)
        assert len(workers) >= 2                                   # the pool was seen...
        proc.send_signal(sig)
        proc.wait(timeout=30)
        wait_until(lambda: not any(_alive(w) for w in workers), timeout=15)
        assert not [w for w in workers if _alive(w)]               # ...and none of it outlives the export
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:  # never leave a leaked worker behind, whatever the outcome
            if _alive(w):
                os.kill(w, signal.SIGKILL)
