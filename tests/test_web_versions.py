"""The light table shows versions and film-log data: the preferred version's pixels in the grid,
the loupe, 100% and compare; `v` switches versions in the loupe, Shift+V / "prefer" changes
`frames.preferred` through versions.prefer_version (CSRF, --read-only); compare puts an edit
beside its original; the loupe shows a frame's film-log line (`f/8 · 1/250 · 50mm`) and place."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageStat

from tests import logfixtures as lf
from tests.conftest import wait_until
from tests.lighttable_env import Http, frames, ingest_roll, running

RED = (220, 30, 30)
WAIT = 30_000  # ms: generous, the machine is shared


@pytest.fixture
def roll(library, cli):
    return ingest_roll(library, cli, "2023-05-01 Portra400 R042", 3, seed=3, size=(900, 600))


@pytest.fixture
def edited(library, cli, roll, tmp_path):
    """R042/2 gets an edit whose pixels are plain red (the newest edit: preferred by default)."""
    edit = tmp_path / "R042_0002-edit.jpg"
    Image.new("RGB", (840, 560), RED).save(edit, quality=95)
    cli("version", "add", f"{roll}/2", str(edit))
    f = frames(library, f"{roll}/2")[0]
    assert [v["n"] for v in f.versions] == [1, 2] and f.versions[1]["preferred"]
    return f


def _mean(data: bytes) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(Image.open(io.BytesIO(data)).convert("RGB")).mean)


def _is_red(rgb) -> bool:
    return abs(rgb[0] - RED[0]) < 25 and abs(rgb[1] - RED[1]) < 25 and abs(rgb[2] - RED[2]) < 25


def _preferred(cli, ref: str) -> int:
    return next(v["n"] for v in cli.json("version", "list", ref) if v["preferred"])


# --- over HTTP -------------------------------------------------------------------------------------

def test_images_are_the_preferred_versions_and_a_version_is_named_by_a_known_sha(library, roll, edited):
    edit_sha, orig_sha = edited.versions[1]["sha256"], edited.versions[0]["sha256"]
    other = frames(library, f"{roll}/1")[0]
    with running(library) as server:
        http = Http(server)
        for kind in ("thumb", "preview", "full"):
            status, headers, body = http.get(f"/img/{kind}/{edited.id}")
            assert status == 200 and _is_red(_mean(body)), kind
            assert headers["etag"] == f'"{edit_sha}-{kind}"'
            status, _, body = http.get(f"/img/{kind}/{edited.id}/{orig_sha}")
            assert status == 200 and not _is_red(_mean(body)), kind
            status, _, body = http.get(f"/img/{kind}/{edited.id}/{edit_sha}")
            assert status == 200 and _is_red(_mean(body)), kind
        # the edit's preview is cached under its own SHA-256
        assert _is_red(_mean((library.cache / "previews" / f"{edit_sha}.jpg").read_bytes()))
        # a SHA-256 the catalog knows for another frame, an unknown one, or junk: 404
        for sha in (other.sha256, "0" * 64, "../../filmflow.db", "%2e%2e%2ffilmflow.db", edit_sha.upper()):
            assert http.get(f"/img/preview/{edited.id}/{sha}")[0] == 404, sha
        # the page learns the versions, never their paths; the rolls page strip names the edit
        data = json.loads(http.get(f"/api/roll/{roll}")[2])
        fj = next(f for f in data["frames"] if f["id"] == edited.id)
        assert [(v["n"], v["kind"], v["preferred"]) for v in fj["versions"]] == [(1, "original", False),
                                                                                 (2, "edit", True)]
        assert all("path" not in v for v in fj["versions"])
        strip = json.loads(http.get("/api/rolls")[2])["rolls"][0]["strip"]
        assert [s["sha256"] for s in strip] == [f.sha256 if f.id != edited.id else edit_sha
                                                for f in frames(library, f"roll:{roll}")]


def test_prefer_post_needs_csrf_is_refused_read_only_and_goes_through_prefer_version(library, cli, roll, edited):
    body = {"id": edited.id, "n": 1}
    with running(library, read_only=True) as server:
        assert Http(server).post("/api/versions/prefer", body)[0] == 403
    assert _preferred(cli, f"{roll}/2") == 2
    with running(library) as server:
        http = Http(server)
        assert http.post("/api/versions/prefer", body, csrf=False)[0] == 403
        assert http.post("/api/versions/prefer", body, headers={"Origin": "http://evil.example"})[0] == 403
        assert _preferred(cli, f"{roll}/2") == 2
        status, _, out = http.post("/api/versions/prefer", {"id": edited.id, "n": 7})
        assert status == 400 and json.loads(out)["error"] == (
            f"{roll}/2 has no version 7; `filmflow version list {roll}/2` lists 1, 2.")
        assert http.post("/api/versions/prefer", {"id": edited.id, "n": "1"})[0] == 400
        status, _, out = http.post("/api/versions/prefer", body)
        assert status == 200, out
        assert json.loads(out)["previous"] == 2
        assert _preferred(cli, f"{roll}/2") == 1
        assert not _is_red(_mean(http.get(f"/img/preview/{edited.id}")[2]))


# --- in Chromium -----------------------------------------------------------------------------------

sync_api = pytest.importorskip("playwright.sync_api")
from tests.test_web_browser import CHROMIUM, _open, browser  # noqa: E402,F401 - the same browser fixture

browser_only = pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install chromium): "
                                                       "the light-table browser tests are SKIPPED")


def _shot_mean(page, selector: str) -> tuple[float, ...]:
    """Mean colour of the middle of an element, from a screenshot (what is on screen)."""
    box = page.locator(selector).bounding_box()
    clip = {"x": box["x"] + box["width"] / 4, "y": box["y"] + box["height"] / 4,
            "width": box["width"] / 2, "height": box["height"] / 2}
    return _mean(page.screenshot(clip=clip))


def _loaded(page, selector: str) -> None:
    page.wait_for_function(f"(() => {{ const i = document.querySelector({selector!r});"
                           " return i && i.complete && i.naturalWidth > 0; })()", timeout=WAIT)


@browser_only
def test_grid_loupe_v_prefer_and_compare_show_the_versions(browser, library, cli, roll, edited):  # noqa: F811
    edit_sha, orig_sha = edited.versions[1]["sha256"], edited.versions[0]["sha256"]
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        cell = ".cell[data-index='1'] .img img"
        _loaded(page, cell)
        assert page.locator(cell).get_attribute("src") == f"/img/thumb/{edited.id}/{edit_sha}"
        assert _is_red(_shot_mean(page, cell))
        assert not _is_red(_shot_mean(page, ".cell[data-index='0'] .img img"))
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1'][data-n='2'] img.fit", timeout=WAIT)
        assert _is_red(_shot_mean(page, "#stage img.fit"))
        assert page.locator("#versions").inner_text() == "1 scan · 2 edit*"
        assert page.locator("#versions .shown").inner_text() == "2 edit*"
        assert page.locator("#info .v-size").inner_text() == "840×560 · 8-bit JPEG"  # the version shown
        assert page.locator("#info .v-file").inner_text() == "R042_0002-edit.jpg"
        page.keyboard.press("v")  # to the original
        page.wait_for_selector("#stage[data-loaded='1'][data-n='1'] img.fit", timeout=WAIT)
        assert page.locator("#stage").get_attribute("data-sha") == orig_sha
        assert not _is_red(_shot_mean(page, "#stage img.fit"))
        assert page.locator("#info .v-size").inner_text() == "900×600 · 8-bit JPEG"
        page.keyboard.press("v")  # and back
        page.wait_for_selector("#stage[data-loaded='1'][data-n='2'] img.fit", timeout=WAIT)
        assert _is_red(_shot_mean(page, "#stage img.fit"))
        assert _preferred(cli, f"{roll}/2") == 2  # looking changes nothing
        page.keyboard.press("v")
        page.wait_for_selector("#stage[data-loaded='1'][data-n='1']", timeout=WAIT)
        page.keyboard.press("Shift+V")  # the original becomes the preferred version
        wait_until(lambda: _preferred(cli, f"{roll}/2") == 1, timeout=30)
        page.wait_for_function("document.querySelector('#versions').innerText === '1 scan* · 2 edit'", timeout=WAIT)
        page.keyboard.press("Control+z")
        wait_until(lambda: _preferred(cli, f"{roll}/2") == 2, timeout=30)
        page.wait_for_function("document.querySelector('#versions').innerText === '1 scan · 2 edit*'", timeout=WAIT)
        page.locator("#versions .version[data-n='1']").click()
        page.wait_for_selector("#stage[data-loaded='1'][data-n='1']", timeout=WAIT)
        page.locator("#prefer").click()
        wait_until(lambda: _preferred(cli, f"{roll}/2") == 1, timeout=30)
        page.keyboard.press("g")  # the grid now shows the original's thumbnail
        page.wait_for_function(f"document.querySelector({cell!r}).getAttribute('src').endsWith('{orig_sha}')",
                               timeout=WAIT)
        _loaded(page, cell)
        assert not _is_red(_shot_mean(page, cell))
        cli("version", "prefer", f"{roll}/2", "2")  # the CLI's choice shows once the page sees the change
        page.wait_for_function(f"document.querySelector({cell!r}).getAttribute('src').endsWith('{edit_sha}')",
                               timeout=WAIT)
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1'][data-n='2']", timeout=WAIT)
        page.keyboard.press("c")  # in the loupe: the original beside the edit
        page.wait_for_function("[...document.querySelectorAll('#compare .pane')].length === 2 && "
                               "[...document.querySelectorAll('#compare .pane')].every(p => p.dataset.loaded === '1')",
                               timeout=WAIT)
        panes = page.evaluate("[...document.querySelectorAll('#compare .pane')].map(p => [+p.dataset.id, "
                              "+p.dataset.n, p.dataset.sha])")
        assert panes == [[edited.id, 1, orig_sha], [edited.id, 2, edit_sha]]
        assert not _is_red(_shot_mean(page, "#compare .pane:nth-child(1) img"))
        assert _is_red(_shot_mean(page, "#compare .pane:nth-child(2) img"))
        assert "v2 edit*" in page.locator("#compare .pane:nth-child(2) .label").inner_text()
        page.keyboard.press("z")  # 100% of each version, in step
        page.wait_for_function("[...document.querySelectorAll('#compare .pane img.full')].length === 2 && "
                               "[...document.querySelectorAll('#compare .pane')].every(p => p.dataset.loaded === '1')",
                               timeout=WAIT)
        srcs = page.evaluate("[...document.querySelectorAll('#compare .pane img.full')].map(i => i.getAttribute('src'))")
        assert srcs == [f"/img/full/{edited.id}/{orig_sha}", f"/img/full/{edited.id}/{edit_sha}"]
        page.keyboard.press("?")
        assert "make the version shown the preferred one" in page.locator("#help").inner_text()
        assert page.errors == []


@browser_only
def test_loupe_shows_the_film_log_and_nothing_extra_without_one(browser, library, cli, roll, tmp_path):  # noqa: F811
    log = lf.plain_csv(tmp_path / "seoul.csv", lf.SEOUL[:1])
    cli("log", "import", str(log), "--roll", roll)
    with running(library) as server:
        page = _open(browser, server, f"/roll/{roll}")
        page.keyboard.press("Enter")
        page.wait_for_selector("#stage[data-loaded='1'] img.fit", timeout=WAIT)
        info = page.locator("#info")
        assert info.locator(".v-exposure").inner_text() == "f/8 · 1/250 · 50mm"
        assert info.locator(".v-place").inner_text() == "서울 종로구 세종로"
        assert info.locator(".v-lens").inner_text() == "Nikon Nikkor 50mm f/1.8 AI-S"
        assert info.locator(".v-shot").inner_text() == "2024-10-03 10:02"
        assert info.locator(".v-gps").inner_text() == "37.57590, 126.97680"
        assert info.locator(".v-note").inner_text() == "Gwanghwamun gate"
        assert info.locator("#versions").count() == 0  # one version: no list
        page.keyboard.press("ArrowRight")  # frame 2 has no log line
        page.wait_for_function("document.querySelector('#info h2').textContent.endsWith('/2')", timeout=WAIT)
        for k in ("exposure", "place", "gps", "note"):
            assert info.locator(f".v-{k}").count() == 0, k
        assert "Kodak Portra 400" in info.inner_text()
        assert page.errors == []
