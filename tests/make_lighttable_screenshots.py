"""Make the README's light-table screenshots with filmflow's own commands from sample_scans/.

    .venv/bin/python tests/make_lighttable_screenshots.py [--out docs]

Ingests every sample roll into a temporary library, curates a little with the CLI (R042/7
gets an edit version and R042 a film log, for the loupe), starts
`filmflow serve --no-browser --port 0`, and saves docs/lighttable-{rolls,grid,loupe,compare,project}.png
from headless Chromium.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_scans"


def ff(lib: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "filmflow", "--library", str(lib), *args], capture_output=True,
                          text=True, check=check)


def prepare(lib: Path) -> None:
    ff(lib.parent, "init", str(lib), check=True)
    for p in sorted(SAMPLES.iterdir()):
        if p.is_dir() or p.suffix == ".zip":
            r = ff(lib, "ingest", str(p))
            if "already used" in r.stderr:
                ff(lib, "ingest", str(p), "--roll", "R050")
    ff(lib, "rate", "5", "R042/3", "R042/7")
    ff(lib, "rate", "4", "R042/2", "R042/8", "R042/11")
    ff(lib, "rate", "3", "R042/5")
    ff(lib, "pick", "R042/3", "R042/7", "R042/8")
    ff(lib, "reject", "R042/6")
    ff(lib, "tag", "add", "print", "R042/3", "R042/7")
    ff(lib, "project", "create", "서울 2023", "--title", "Seoul, summer 2023")
    ff(lib, "project", "add", "서울 2023", "roll:R046")
    ff(lib, "project", "add", "서울 2023", "R042/3", "R042/7")
    ff(lib, "project", "caption", "서울 2023", "R046/1", "광장시장, early morning")
    ff(lib, "project", "caption", "서울 2023", "R042/7", "Rain & neon, 을지로")
    add_edit_and_log(lib)


def add_edit_and_log(lib: Path) -> None:
    """R042/7 gets a levelled, cropped edit (version 2, preferred); R042 a plain-CSV film log."""
    from PIL import Image, ImageOps

    scan = Path(json.loads(ff(lib, "frames", "R042/7", "--json", check=True).stdout)[0]["path"])
    edit = lib.parent / "R042_0007-edit.jpg"
    with Image.open(scan) as im:
        w, h = im.size
        ImageOps.autocontrast(im.convert("RGB").crop((w // 20, h // 20, w - w // 20, h - h // 20)),
                              cutoff=1).save(edit, quality=92)
    ff(lib, "version", "add", "R042/7", str(edit), check=True)
    log = lib.parent / "R042 log.csv"
    log.write_text("frame,date,aperture,shutter,focal_length,lens,lat,lon,place,note\n"
                   "6,2023-04-22T18:05,5.6,1/125,50,Nikkor 50mm f/1.8,37.5665,126.978,서울 중구 을지로,\n"
                   "7,2023-04-22T19:40,2.8,1/60,50,Nikkor 50mm f/1.8,37.5663,126.9911,을지로3가,Rain & neon\n",
                   encoding="utf-8")
    ff(lib, "log", "import", str(log), "--roll", "R042", check=True)


def shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    base = url.split("/?")[0]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_context(bypass_csp=True, viewport={"width": 1400, "height": 860}).new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        page.screenshot(path=str(out / "lighttable-rolls.png"))
        page.goto(base + "/roll/R042")
        page.wait_for_selector("body[data-ready='1']")
        for key in ("ArrowRight", "ArrowRight", "Shift+ArrowRight"):
            page.keyboard.press(key)
        page.wait_for_function("[...document.images].every(i => i.complete)")
        page.screenshot(path=str(out / "lighttable-grid.png"))
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1']", timeout=60_000)
        page.screenshot(path=str(out / "lighttable-loupe.png"))
        page.keyboard.press("g")
        for key in ("ArrowLeft",) * 4 + ("Shift+ArrowLeft",):  # R042/2 and R042/3
            page.keyboard.press(key)
        page.keyboard.press("c")
        page.wait_for_function("[...document.querySelectorAll('#compare .pane')].every(p => p.dataset.loaded === '1')",
                               timeout=60_000)
        page.screenshot(path=str(out / "lighttable-compare.png"))
        page.goto(base + "/project/" + "%EC%84%9C%EC%9A%B8%202023")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        page.screenshot(path=str(out / "lighttable-project.png"))
        b.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ff-shots-"))
    try:
        lib = tmp / "lib"
        prepare(lib)
        proc = subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(lib), "serve", "--no-browser",
                                 "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            url = proc.stdout.readline().strip()
            shoot(url, args.out)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
