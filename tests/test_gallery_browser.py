"""The exported index.html in real headless Chromium: offline from file://, images load, arrow keys move.

Needs the `playwright` Python package (driver only; no browser download) and Debian's
`chromium`. Skips when either is missing. Set FILMFLOW_GALLERY_SCREENSHOT=docs/gallery.png
to also save the screenshot for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from filmflow.export import ExportItem, ExportSettings, export_project
from tests.imagegen import NORITSU, make_scan, scanner_exif

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("FILMFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install chromium)")


def _items(tmp_path: Path) -> list[ExportItem]:
    folder = tmp_path / "archive" / "R042"
    captions = ["Night market, 광장시장", 'Rain & neon <"Euljiro">', None, "Last train home", "새벽"]
    out = []
    for k, cap in enumerate(captions, 1):
        size = (900, 600) if k != 3 else (600, 900)  # one portrait frame
        src = make_scan(folder / f"{k:06d}.jpg", size, seed=k, label=str(k), exif=scanner_exif(NORITSU))
        out.append(ExportItem(
            position=k, ref=f"R042/{k}", roll="R042", frame=str(k), source=src, sha256=f"{k:064x}",
            caption=cap, stock="Kodak Portra 400", ei=800, push=1.0, format="120 6x7", camera="Mamiya RB67",
            lens="Sekor C 90mm", roll_title="Seoul nights", developed="2023-05-02", shot="2023-04",
            scanner="Noritsu", tags=("seoul", "night"),
        ))
    return out


def test_gallery_offline_images_load_and_arrow_keys_navigate(tmp_path):
    out = tmp_path / "exports" / "seoul"
    items = _items(tmp_path)
    settings = ExportSettings(long_edge=800, quality=85, artist="Kim", workers=1)
    export_project("Seoul", "Seoul at night", "Five frames <from> a roll", items, out, settings)
    url = (out / "index.html").as_uri()

    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            assert page.title() == "Seoul at night"
            assert page.locator("figure.frame").count() == 5
            assert page.evaluate("document.querySelector('figure.current').id") == "f1"
            # opened without a #fragment the page stays at its title (no jump past the header)
            page.wait_for_load_state("load")
            assert page.evaluate("location.hash") == "" and page.evaluate("window.scrollY") == 0
            # Step with the arrow keys; each frame in turn is current and its image has loaded.
            for i in range(1, 6):
                assert page.evaluate("document.querySelector('figure.current').id") == f"f{i}"
                page.wait_for_function(
                    "() => { const im = document.querySelector('figure.current img');"
                    " return im.complete && im.naturalWidth > 0; }", timeout=10_000)
                if i < 5:
                    page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")  # past the end stays on the last frame
            assert page.evaluate("document.querySelector('figure.current').id") == "f5"
            assert page.evaluate("location.hash") == "#f5"
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
            assert page.evaluate("document.querySelector('figure.current').id") == "f3"
            # Every image loaded, at its real size (portrait frame 3 is 533x800).
            sizes = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            assert all(c and w > 0 for c, w, _ in sizes) and sizes[2][1:] == [533, 800]
            # Captions arrive as text, escaped, with the film data under each frame.
            assert page.locator("#f2 .caption").inner_text() == 'Rain & neon <"Euljiro">'
            assert "Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/2" in page.locator(
                "#f2 .film").inner_text()
            # Enter shows one frame at a time; Escape goes back.
            page.keyboard.press("Enter")
            assert page.evaluate("document.body.classList.contains('single')")
            assert page.locator("figure.frame:visible").count() == 1
            page.keyboard.press("Escape")
            assert page.locator("figure.frame:visible").count() == 5
            # Responsive: on a phone-sized viewport nothing overflows sideways.
            page.set_viewport_size({"width": 390, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.keyboard.press("Home")
            page.evaluate("window.scrollTo(0, 0)")
            shot = tmp_path / "gallery.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            target = os.environ.get("FILMFLOW_GALLERY_SCREENSHOT")
            if target:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, target)
            assert errors == []
        finally:
            browser.close()
    # Offline: nothing but file:// was ever requested.
    assert requests and all(u.startswith("file://") for u in requests), requests


def test_gallery_hash_opens_at_that_frame(tmp_path):
    out = tmp_path / "o"
    items = _items(tmp_path)[:3]
    export_project("S", None, None, items, out, ExportSettings(long_edge=300, workers=1))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((out / "index.html").as_uri() + "#f2")
            assert page.evaluate("document.querySelector('figure.current').id") == "f2"
            page.keyboard.press("ArrowRight")
            assert page.evaluate("location.hash") == "#f3"
        finally:
            browser.close()


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])


def test_gallery_language_tab_focus_and_keys_hint_only_with_javascript(tmp_path):
    out = tmp_path / "o"
    export_project("S", None, None, _items(tmp_path)[:3], out,
                   ExportSettings(long_edge=300, workers=1, language="ko"))
    with sync_api.sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page()
            page.goto((out / "index.html").as_uri())
            assert page.evaluate("document.documentElement.lang") == "ko"
            assert page.locator("#keys").is_visible()
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "f1"
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "f2"
            assert page.evaluate("document.querySelector('figure.current').id") == "f2"
            assert page.evaluate("getComputedStyle(document.activeElement.querySelector('img')).outlineStyle") \
                == "solid"  # a visible focus ring
            page.keyboard.press("ArrowRight")  # the keys and Tab agree on where we are
            assert page.evaluate("document.activeElement.id") == "f3"
            no_js = browser.new_context(java_script_enabled=False).new_page()
            no_js.goto((out / "index.html").as_uri())
            assert not no_js.locator("#keys").is_visible()  # no arrow keys advertised without JS
            assert "3 frames" in no_js.locator(".help").inner_text()
        finally:
            browser.close()


def test_gallery_reserves_each_frame_box_before_its_image_arrives(tmp_path):
    out = tmp_path / "o"
    export_project("S", None, None, _items(tmp_path), out, ExportSettings(long_edge=800, workers=1))
    bare = tmp_path / "bare"  # the same page, images not there yet
    bare.mkdir()
    shutil.copyfile(out / "index.html", bare / "index.html")
    heights = []
    with sync_api.sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for folder in (bare, out):
                page.goto((folder / "index.html").as_uri())
                page.wait_for_load_state("load")
                if folder == out:  # scrolled through, so every lazy image loads
                    for k in range(1, 6):
                        page.locator(f"#f{k}").scroll_into_view_if_needed()
                    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)",
                                           timeout=20_000)
                heights.append(page.evaluate("document.documentElement.scrollHeight"))
                boxes = page.evaluate("[...document.images].map(i => i.getBoundingClientRect().height)")
                assert all(h > 300 for h in boxes), boxes
        finally:
            browser.close()
    assert abs(heights[0] - heights[1]) <= 2, heights


def test_gallery_srcset_sends_phones_the_small_copy(tmp_path):
    out = tmp_path / "o"
    items = _items(tmp_path)
    for it in items:  # sources larger than the small copy
        make_scan(it.source, (1500, 1000), seed=it.position, label=it.frame)
    export_project("S", None, None, items, out, ExportSettings(long_edge=1500, workers=1))
    with sync_api.sync_playwright() as p:
        browser = _browser(p)
        try:
            phone = browser.new_page(viewport={"width": 390, "height": 800}, device_scale_factor=2)
            phone.goto((out / "index.html").as_uri())
            phone.wait_for_function("() => document.images[0].complete && document.images[0].naturalWidth > 0")
            assert phone.evaluate("document.images[0].currentSrc").endswith("01_R042-1%401024.jpg")
            from PIL import Image
            with Image.open(out / "01_R042-1@1024.jpg") as im:
                assert im.size == (1024, 683)
            desk = browser.new_page(viewport={"width": 1600, "height": 1000}, device_scale_factor=2)
            desk.goto((out / "index.html").as_uri())
            desk.wait_for_function("() => document.images[0].complete && document.images[0].naturalWidth > 0")
            assert desk.evaluate("document.images[0].currentSrc").endswith("01_R042-1.jpg")
        finally:
            browser.close()
