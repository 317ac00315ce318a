"""Shared fixtures: an initialised library in tmp_path, a CLI runner bound to it, catalog factories."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from filmflow.library import Library
from filmflow.opencatalog import open_catalog

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_scans"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import imagegen`


def make_library(root: Path, **settings: str) -> Library:
    """Initialise a library; `settings` replace `key = value` lines of filmflow.toml.

    Tests run thumbnails inline (workers = 1) unless they ask for the process pool.
    """
    Library.init(root)
    toml = root / "filmflow.toml"
    text = toml.read_text(encoding="utf-8")
    for key, value in {"workers": "1", **settings}.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    toml.write_text(text, encoding="utf-8")
    return Library.open(root)


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """A freshly initialised library (thumbnails inline)."""
    return make_library(tmp_path / "lib")


class Cli:
    """Runs `filmflow --library LIB ...` in-process and returns click's Result."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int | None = 0):
        from filmflow.cli import cli

        result = self.runner.invoke(cli, ["--library", str(self.lib.root), *map(str, args)], input=input,
                                    catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (
                f"exit {result.exit_code} != {code}\nstdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def json(self, *args: str, code: int | None = 0) -> Any:
        r = self(*args, "--json", code=code)
        return json.loads(r.stdout)


@pytest.fixture
def cli(library: Library) -> Cli:
    """CLI runner bound to the test library."""
    return Cli(library)


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `pred` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {pred}")
        time.sleep(interval)


def add_roll(lib: Library, code: str, n_frames: int = 3, **fields: Any) -> int:
    """Insert a roll with `n_frames` frame rows straight into the catalog (no files)."""
    from filmflow.catalog.db import transaction
    from filmflow.catalog.frames import insert_frames
    from filmflow.catalog.rolls import insert_roll, now

    db = open_catalog(lib)
    with transaction(db) as conn:
        rid = insert_roll(conn, {"code": code, **fields}, {k: "option" for k in fields})
        insert_frames(conn, [
            {"roll_id": rid, "frame": str(i), "frame_num": i, "path": f"archive/{code}/{i:06d}.jpg",
             "file": f"{i:06d}.jpg", "sha256": f"{code}-{i}".encode().hex().ljust(64, "0")[:64],
             "bytes": 1000 + i, "width": 600, "height": 400, "bits": 8, "format": "JPEG",
             "added_at": now()}
            for i in range(1, n_frames + 1)
        ])
    db.conn.close()
    return rid
