"""The light table in real headless Chromium (Playwright + Debian's chromium): keys land in the
catalog, multi-select, auto-advance, loupe and 100% zoom, compare in step, project reorder by drag
and Alt+arrows, captions, tags, target project, export, and live updates from an ingest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import wait_until
from tests.lighttable_env import frames, ingest_roll, project_order, running

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("FILMFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install chromium): "
                                                     "the light-table browser tests are SKIPPED")
WAIT = 30_000  # ms: generous, the machine is shared


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def roll(library, cli):
    return ingest_roll(library, cli, "2023-05-01 Portra400 R042", 5, seed=3, size=(900, 600))


def _open(browser, server, path: str):
    # Playwright's wait_for_function evaluates strings, which the page's CSP forbids
    page = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url)  # the token becomes a cookie
    base = server.url.split("/?")[0]
    page.goto(base + path)
    page.wait_for_selector("body[data-ready='1']", timeout=WAIT)
    page.errors = errors
    return page


def _state(lib, ref: str):
    f = frames(lib, ref)[0]
    return f.rating, f.pick


def _until(lib, ref: str, want, page=None) -> None:
    try:
        wait_until(lambda: _state(lib, ref) == want, timeout=30)
    except AssertionError:
        if page is not None:
            print("STATUS", page.inner_text("#status"), "ERROR", page.inner_text("#error"), page.errors)
        raise


def _current(page) -> int:
    return int(page.evaluate("document.querySelector('.cell.current').dataset.index"))


def _wait_current(page, i: int) -> None:
    page.wait_for_function(f"document.querySelector('.cell.current').dataset.index === '{i}'", timeout=WAIT)


def _wait_count(page, selector: str, n: int) -> None:
    page.wait_for_function(f"document.querySelectorAll({selector!r}).length === {n}", timeout=WAIT)


def test_keys_change_the_catalog_and_ctrl_z_undoes(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        assert page.locator(".cell").count() == 5
        assert _current(page) == 0  # a grid opens with its first frame selected
        page.keyboard.press("5")
        _until(library, f"{roll}/1", (5, "no"))
        page.keyboard.press("p")
        _until(library, f"{roll}/1", (5, "yes"))
        page.wait_for_selector(".cell[data-index='0'] .flag.yes", timeout=WAIT)
        page.keyboard.press("x")
        _until(library, f"{roll}/1", (5, "reject"))
        page.keyboard.press("u")
        _until(library, f"{roll}/1", (5, "no"))
        page.keyboard.press("ArrowRight")
        _wait_current(page, 1)
        page.keyboard.press("3")
        _until(library, f"{roll}/2", (3, "no"))
        page.keyboard.press("Control+z")
        _until(library, f"{roll}/2", (0, "no"))
        page.keyboard.press("Control+z")  # the `u`: back to reject
        _until(library, f"{roll}/1", (5, "reject"), page)
        page.keyboard.press("Control+z")
        _until(library, f"{roll}/1", (5, "yes"))
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1'] img.fit", timeout=WAIT)
        assert page.locator("#info h2").inner_text() == f"{roll}/1"
        assert "Kodak Portra 400" in page.locator("#info").inner_text()
        page.keyboard.press("ArrowRight")  # left/right keep working in the loupe
        page.wait_for_function("document.querySelector('#info h2').textContent.endsWith('/2')", timeout=WAIT)
        page.keyboard.press("4")
        _until(library, f"{roll}/2", (4, "no"))
        page.mouse.move(300, 300)
        page.keyboard.press("z")
        page.wait_for_selector("#stage[data-loaded='1'] img.full", timeout=WAIT)
        w = page.evaluate("(() => { const i = document.querySelector('#stage img.full');"
                          " return [i.naturalWidth, i.getBoundingClientRect().width]; })()")
        assert w == [900, 900]  # 100%: the scan's own pixels, one per screen pixel
        page.keyboard.press("g")
        assert page.locator("#loupe").is_hidden()
        page.keyboard.press("c")
        page.wait_for_selector("#compare .pane[data-loaded='1']", timeout=WAIT)
        assert page.locator("#compare .pane").count() == 2
        assert page.errors == []


def test_shift_arrows_select_three_and_one_key_rates_them_all(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        _wait_count(page, ".cell.selected", 3)
        page.keyboard.press("4")
        for k in (1, 2, 3):
            _until(library, f"{roll}/{k}", (4, "no"))
        assert _state(library, f"{roll}/4") == (0, "no")
        page.locator(".cell[data-index='4']").click(modifiers=["Control"])
        _wait_count(page, ".cell.selected", 4)
        page.keyboard.press("x")
        _until(library, f"{roll}/5", (0, "reject"))
        page.keyboard.press("Control+z")  # one undo puts back all four frames
        _until(library, f"{roll}/5", (0, "no"))
        assert all(f.pick == "no" for f in frames(library, f"roll:{roll}"))


def test_auto_advance_moves_to_the_next_frame_after_a_rating(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.check("#advance")
        page.keyboard.press("2")
        _until(library, f"{roll}/1", (2, "no"))
        page.wait_for_function("document.querySelector('.cell.current').dataset.index === '1'", timeout=WAIT)
        page.keyboard.press("p")
        _until(library, f"{roll}/2", (0, "yes"))
        page.wait_for_function("document.querySelector('.cell.current').dataset.index === '2'", timeout=WAIT)


def test_tag_and_add_to_target_project(browser, library, cli, roll):
    cli("project", "create", "Seoul")
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("t")
        page.fill("#ask-input", "print")
        page.keyboard.press("Enter")
        wait_until(lambda: frames(library, f"{roll}/1")[0].tags == ("print",), timeout=30)
        page.keyboard.press("Control+z")
        wait_until(lambda: frames(library, f"{roll}/1")[0].tags == (), timeout=30)
        page.keyboard.press("t")
        page.fill("#ask-input", "print")
        page.keyboard.press("Enter")
        wait_until(lambda: frames(library, f"{roll}/1")[0].tags == ("print",), timeout=30)
        page.select_option("#target", "Seoul")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("b")
        wait_until(lambda: [r for _, r, _ in project_order(library, "Seoul")] == [f"{roll}/2"], timeout=30)
        page.keyboard.press("Control+z")
        wait_until(lambda: project_order(library, "Seoul") == [], timeout=30)


def test_project_reorder_by_drag_and_alt_arrows_captions_remove_export(browser, library, cli, roll):
    cli("project", "create", "Seoul")
    cli("project", "add", "Seoul", f"roll:{roll}")
    refs = [f"{roll}/{k}" for k in range(1, 6)]
    with running(library) as server:
        page = _open(browser, server, "/project/Seoul")
        assert page.locator(".cell").count() == 5
        page.drag_and_drop(".cell[data-index='0']", ".cell[data-index='2']")
        want = [refs[1], refs[2], refs[0], refs[3], refs[4]]
        wait_until(lambda: [r for _, r, _ in project_order(library, "Seoul")] == want, timeout=30)
        page.wait_for_function(f"document.querySelector('.cell[data-index=\"2\"]').dataset.id === "
                               f"'{frames(library, refs[0])[0].id}'", timeout=WAIT)
        # the moved frame stays current: Alt+Right moves it once more
        page.keyboard.press("Alt+ArrowRight")
        want = [refs[1], refs[2], refs[3], refs[0], refs[4]]
        wait_until(lambda: [r for _, r, _ in project_order(library, "Seoul")] == want, timeout=30)
        page.keyboard.press("Control+z")
        want = [refs[1], refs[2], refs[0], refs[3], refs[4]]
        wait_until(lambda: [r for _, r, _ in project_order(library, "Seoul")] == want, timeout=30)
        cap = page.locator(".cell[data-index='0'] textarea.cap")
        cap.fill("새벽 광장시장 <b>")
        cap.press("Enter")
        wait_until(lambda: project_order(library, "Seoul")[0][2] == "새벽 광장시장 <b>", timeout=30)
        page.locator(".cell[data-index='4']").click()
        page.keyboard.press("Delete")
        wait_until(lambda: len(project_order(library, "Seoul")) == 4, timeout=30)
        page.click("#export")
        page.wait_for_function("document.getElementById('status').textContent.startsWith('exported to')",
                               timeout=120_000)
        out = library.exports / "seoul"
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert [f["ref"] for f in manifest["frames"]] == [r for _, r, _ in project_order(library, "Seoul")]
        assert page.errors == []


def test_loupe_caption_edits_the_frames_own_caption(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("e")
        page.wait_for_selector("#caption", timeout=WAIT)
        page.fill("#caption", "Rain & neon, 을지로")
        page.keyboard.press("Enter")
        wait_until(lambda: frames(library, f"{roll}/1")[0].caption == "Rain & neon, 을지로", timeout=30)
        page.keyboard.press("5")  # keys work again once the caption is left
        _until(library, f"{roll}/1", (5, "no"))
        page.keyboard.press("Control+z")
        _until(library, f"{roll}/1", (0, "no"))
        page.keyboard.press("Control+z")  # the caption goes back to none
        wait_until(lambda: frames(library, f"{roll}/1")[0].caption is None, timeout=30)


def test_compare_shows_two_frames_at_100_percent_panned_in_step(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("c")
        page.wait_for_selector("#compare .pane[data-loaded='1'] + .pane[data-loaded='1'], "
                               "#compare .pane:nth-child(2)[data-loaded='1']", timeout=WAIT)
        page.wait_for_function("[...document.querySelectorAll('#compare .pane')].every(p => p.dataset.loaded === '1')",
                               timeout=WAIT)
        page.mouse.move(200, 300)
        page.keyboard.press("z")
        page.wait_for_function("[...document.querySelectorAll('#compare .pane img.full')].length === 2 && "
                               "[...document.querySelectorAll('#compare .pane')].every(p => p.dataset.loaded === '1')",
                               timeout=WAIT)
        sizes = page.evaluate("[...document.querySelectorAll('#compare .pane img.full')]"
                              ".map(i => [i.naturalWidth, i.getBoundingClientRect().width])")
        assert sizes == [[900, 900], [900, 900]]
        before = page.evaluate("[...document.querySelectorAll('#compare .pane')].map(p => [p.scrollLeft, p.scrollTop])")
        box = page.locator("#compare .pane").first.bounding_box()
        page.mouse.move(box["x"] + 300, box["y"] + 300)
        page.mouse.down()
        page.mouse.move(box["x"] + 200, box["y"] + 250, steps=5)
        page.mouse.up()
        after = page.evaluate("[...document.querySelectorAll('#compare .pane')].map(p => [p.scrollLeft, p.scrollTop])")
        assert after[0] == after[1] and after != before  # both panes panned, in step
        assert after[0][0] - before[0][0] == pytest.approx(100, abs=2)


def test_a_roll_ingested_meanwhile_appears_on_the_rolls_page(browser, library, roll, tmp_path):
    from tests.imagegen import make_roll

    with running(library) as server:
        page = _open(browser, server, "/")
        page.wait_for_selector(f"section.roll[data-code='{roll}']", timeout=WAIT)
        folder = tmp_path / "scans" / "2024-02-02 HP5 R077"
        make_roll(folder, 2, seed=9)
        subprocess.run([sys.executable, "-m", "filmflow", "--library", str(library.root), "ingest", str(folder)],
                       check=True, capture_output=True, timeout=120)
        page.wait_for_selector("section.roll[data-code='R077'] .strip img", timeout=WAIT)
        assert page.locator("section.roll").count() == 2


def test_unknown_roll_is_a_404_page_and_a_bad_query_shows_the_clis_words(browser, library, cli, roll):
    msg = cli("frames", "rating:9", code=2).stderr.strip().removeprefix("filmflow: ")
    with running(library) as server:
        page = browser.new_page()
        page.goto(server.url)
        base = server.url.split("/?")[0]
        r = page.goto(base + "/roll/R999")
        assert r.status == 404 and "R999" in page.inner_text("body")
        page.goto(base + "/frames?q=rating%3A9")
        page.wait_for_selector("#error:not([hidden])", timeout=WAIT)
        assert page.inner_text("#error") == msg


def test_a_rating_made_in_the_cli_shows_on_the_open_page(browser, library, cli, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1']", timeout=WAIT)
        cli("rate", "3", f"{roll}/1")
        cli("pick", f"{roll}/2")
        page.wait_for_selector("#info .v-rating:text('★★★')", timeout=WAIT)
        page.keyboard.press("g")
        page.wait_for_selector(".cell[data-index='1'][data-pick='yes']", timeout=WAIT)
        assert page.locator(".cell[data-index='0']").get_attribute("data-rating") == "3"


def test_compare_labels_follow_a_rating_made_in_compare(browser, library, roll):
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("c")
        page.wait_for_selector("#compare .pane .label", timeout=WAIT)
        page.keyboard.press("5")
        page.keyboard.press("x")
        _until(library, f"{roll}/2", (5, "reject"))
        page.wait_for_function("[...document.querySelectorAll('#compare .label')].every(l => "
                               "l.textContent.endsWith('★★★★★ reject'))", timeout=WAIT)
        assert _state(library, f"{roll}/1") == (5, "reject")
