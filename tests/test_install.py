"""A regular (non-editable) install works: the wheel ships config/, and the CLI runs from ~/Pictures.

The wheel is built from a copy of the checkout (nothing is written into the repository),
installed with --no-deps into a fresh venv whose dependencies come from this test
environment (a .pth line: no network), and run from a folder outside the checkout that
holds the library folder `filmflow/` (the default `~/Pictures/filmflow` layout).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import imagegen
from conftest import REPO, wait_until

SHIPPED = ["filmflow", "config", "pyproject.toml", "README.md", "LICENSE"]


def build_wheel(tmp: Path) -> Path:
    """`pip wheel --no-deps --no-build-isolation` of a copy of the checkout; returns the .whl."""
    src = tmp / "src"
    src.mkdir()
    for name in SHIPPED:
        p = REPO / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(p, src / name)
    out = tmp / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "-w", str(out), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    (whl,) = out.glob("filmflow-*.whl")
    return whl


def fresh_venv(tmp: Path, whl: Path) -> Path:
    """A new venv holding only the wheel; returns its bin/ folder."""
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                        "--no-index", str(whl)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # appended after the venv's own site-packages: click, Pillow... come from here, filmflow never does
    Path(site, "zz_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return env_dir / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("install")
    whl = build_wheel(tmp)
    names = zipfile.ZipFile(whl).namelist()
    for data in ("film_stocks.toml", "formats.toml", "filmflow-watch.service", "com.filmflow.watch.plist"):
        assert f"filmflow/_config/{data}" in names, f"{data} missing from the wheel"
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    return fresh_venv(tmp, whl)


def run(bindir: Path, cwd: Path, *args: str, code: int | None = 0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FILMFLOW_LIBRARY", "PYTHONPATH")}
    r = subprocess.run([str(bindir / "filmflow"), *args], cwd=cwd, capture_output=True, text=True, env=env,
                       timeout=300)
    if code is not None:
        assert r.returncode == code, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def pictures_with_library(tmp: Path) -> Path:
    """~/Pictures holding the library folder `filmflow/` (workers = 2: the process pool is used)."""
    pictures = tmp / "Pictures"
    pictures.mkdir()
    return pictures


def test_wheel_install_runs_from_outside_the_checkout(installed, tmp_path):
    pictures = pictures_with_library(tmp_path)
    out = subprocess.run([str(installed / "python"), "-c", "import filmflow; print(filmflow.__file__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(installed.parent) in out and str(REPO) not in out   # the wheel, not the checkout
    run(installed, pictures, "--library", "filmflow", "init")
    r = run(installed, pictures, "--library", "filmflow", "stocks", "hp5")
    assert "HP5" in r.stdout
    r = run(installed, pictures, "--library", "filmflow", "watch", str(REPO / "sample_scans"), "--once",
            "--settle", "0", "--json", code=1)                    # the truncated sample fails on purpose
    reports = json.loads(r.stdout) if r.stdout.lstrip().startswith("[") else [
        json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert sum(x["added"] for x in reports) == 50
    assert "Traceback" not in r.stderr
    rolls = run(installed, pictures, "--library", "filmflow", "rolls", "--json")
    assert len(json.loads(rolls.stdout)) == len(reports)


def watch_until_ingested(filmflow: list[str], pictures: Path, n: int) -> None:
    """A real watcher (its pool runs under forkserver: the observer thread is up) ingests `n` frames."""
    lib = pictures / "filmflow"
    env = {k: v for k, v in os.environ.items() if k not in ("FILMFLOW_LIBRARY", "PYTHONPATH")}
    p = subprocess.Popen([*filmflow, "--library", "filmflow", "watch", "--settle", "0"], cwd=pictures,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def frames() -> int:
        if p.poll() is not None:
            return -1
        try:
            with sqlite3.connect(lib / "filmflow.db", timeout=5) as c:
                return c.execute("SELECT count(*) FROM frames").fetchone()[0]
        except sqlite3.Error:
            return 0

    try:
        got = wait_until(lambda: frames() == n or p.poll() is not None, timeout=120, interval=0.2)
        assert got and p.poll() is None, p.communicate(timeout=30)[1][-3000:]
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err[-3000:]
        assert "Traceback" not in err and "BrokenProcessPool" not in err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def library_in_pictures(pictures: Path, bindir_filmflow: list[str]) -> None:
    subprocess.run([*bindir_filmflow, "--library", "filmflow", "init"], cwd=pictures, check=True,
                   capture_output=True)
    toml = pictures / "filmflow" / "filmflow.toml"
    toml.write_text(toml.read_text().replace("workers = 0", "workers = 2"))
    imagegen.make_roll(pictures / "filmflow" / "inbox" / "2023-05-01 Portra400", 4, seed=41)


def test_wheel_watcher_from_the_folder_holding_the_library(installed, tmp_path):
    pictures = pictures_with_library(tmp_path)
    library_in_pictures(pictures, [str(installed / "filmflow")])
    watch_until_ingested([str(installed / "filmflow")], pictures, 4)
    once_from_pictures([str(installed / "filmflow")], pictures)


def test_editable_watcher_from_the_folder_holding_the_library(tmp_path):
    pictures = pictures_with_library(tmp_path)
    filmflow = [str(Path(sys.executable).parent / "filmflow")]
    if not Path(filmflow[0]).exists():
        pytest.skip("no filmflow console script beside this interpreter")
    library_in_pictures(pictures, filmflow)
    watch_until_ingested(filmflow, pictures, 4)
    once_from_pictures(filmflow, pictures)


def once_from_pictures(filmflow: list[str], pictures: Path) -> None:
    """`watch --once` from the same folder ingests a second roll with its pool too."""
    imagegen.make_roll(pictures / "filmflow" / "inbox" / "2023-05-02 HP5", 3, seed=42)
    env = {k: v for k, v in os.environ.items() if k not in ("FILMFLOW_LIBRARY", "PYTHONPATH")}
    r = subprocess.run([*filmflow, "--library", "filmflow", "watch", "--once", "--settle", "0", "--json"],
                       cwd=pictures, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [x["added"] for x in json.loads(r.stdout)] == [3]


def test_lost_data_files_are_one_clear_error(monkeypatch, tmp_path):
    from filmflow import stocks
    from filmflow.errors import ConfigError

    monkeypatch.setattr(stocks, "__file__", str(tmp_path / "filmflow" / "stocks.py"))
    monkeypatch.setattr(stocks.resources, "files", lambda name: tmp_path / "site-packages" / "filmflow" / "_config")
    with pytest.raises(ConfigError, match="reinstall filmflow"):
        stocks.config_dir()


def test_every_package_folder_is_in_the_wheels_package_list():
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "filmflow").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "filmflow._config" in listed
