"""`project export --post hugo|jekyll|plain`: the post is laid out as each site generator
needs, checked by building a minimal site with Debian's real `hugo` and `jekyll`
(skipped when they are missing), and dated from the shot dates, not the export day."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from filmflow.export import ExportSettings, export_project
from filmflow.outputs.gallery import post_date
from tests.test_export import _item
from tests.imagegen import make_scan


@pytest.fixture
def items(tmp_path):
    srcs = [make_scan(tmp_path / "scans" / f"{k}.jpg", (300, 200), seed=k, label=str(k)) for k in (1, 2, 3)]
    shots = ["2023-04-02", "2023-05-20", None]
    return [_item(k, p, shot=s, developed="2023-06-01", caption=f"Frame {k} {{{{ not liquid }}}}")
            for k, (p, s) in enumerate(zip(srcs, shots), 1)]


def _export(items, out, post):
    return export_project("Trip", "Spring trip", "Three frames", items, out,
                          ExportSettings(long_edge=200, workers=1, post=post))


@pytest.mark.parametrize("frames, day", [
    ([{"shot": "2023-04-02"}, {"shot": "2023-05-20", "developed": "2023-06-01"}], "2023-05-20"),
    ([{"shot": "2023-04"}, {"developed": "2024-01-03"}], "2023-04-01"),  # a shot date wins over developed
    ([{"developed": "2023-06-01"}, {"developed": "2023-02-11"}], "2023-06-01"),
    ([{"ref": "R1/1"}], None),
])
def test_post_is_dated_from_the_latest_shot_date(frames, day):
    assert post_date(frames) == day


def test_plain_post_is_post_md_dated_from_the_frames(tmp_path, items):
    rep = _export(items, tmp_path / "trip", "plain")
    text = rep.post.read_text("utf-8")
    assert rep.post.name == "post.md" and "\ndate: 2023-05-20\n" in text and "](./01_R042-1.jpg)" in text


def test_changing_the_layout_removes_our_old_post_only(tmp_path, items):
    out = tmp_path / "trip"
    _export(items, out, "plain")
    (out / "notes.md").write_text("mine")
    rep = _export(items, out, "hugo")
    assert "post.md" in rep.removed and not (out / "post.md").exists() and (out / "index.md").exists()
    rep = _export(items, out, "jekyll")
    assert "index.md" in rep.removed and (out / "_posts" / "2023-05-20-trip.md").exists()
    assert (out / "notes.md").read_text() == "mine"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert "_posts/2023-05-20-trip.md" in manifest["files"]


@pytest.mark.skipif(not shutil.which("hugo"), reason="hugo not installed (apt-get install hugo)")
def test_hugo_publishes_the_page_bundle_with_its_images(tmp_path, items):
    site = tmp_path / "site"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "http://example.org/"\ntitle = "t"\n')
    (site / "layouts" / "_default" / "single.html").write_text("<h1>{{ .Title }}</h1>{{ .Content }}")
    (site / "layouts" / "_default" / "list.html").write_text("{{ range .Pages }}{{ .Title }}{{ end }}")
    _export(items, site / "content" / "posts" / "trip", "hugo")
    r = subprocess.run(["hugo", "--quiet"], cwd=site, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    page = (site / "public" / "posts" / "trip" / "index.html").read_text("utf-8")
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert srcs == ["./01_R042-1.jpg", "./02_R042-2.jpg", "./03_R042-3.jpg"]
    for s in srcs:  # each image is published where the page points
        assert (site / "public" / "posts" / "trip" / s).is_file()
    assert "Spring trip" in page


@pytest.mark.skipif(not shutil.which("jekyll"), reason="jekyll not installed (apt-get install jekyll)")
def test_jekyll_reads_the_post_and_finds_its_images(tmp_path, items):
    site = tmp_path / "site"
    site.mkdir()
    (site / "_config.yml").write_text("title: t\n")
    _export(items, site / "trip", "jekyll")
    r = subprocess.run(["jekyll", "build", "-q"], cwd=site, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    posts = list((site / "_site").rglob("*trip.html"))
    assert len(posts) == 1 and "2023/05/20" in posts[0].as_posix()
    page = posts[0].read_text("utf-8")
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert srcs == ["/trip/01_R042-1.jpg", "/trip/02_R042-2.jpg", "/trip/03_R042-3.jpg"]
    for s in srcs:
        assert (site / "_site" / s.lstrip("/")).is_file()
    assert "{{ not liquid }}" in page.replace("&#123;", "{").replace("&#125;", "}")
