"""export/settings.py: ExportSettings checks its values once, when it is made (the CLI and the
core share the sentences); `wants` is the one picks/rating filter; manifest.diff_manifest
says what a re-export keeps, renames and encodes."""

from __future__ import annotations

import dataclasses

import pytest

from filmflow.errors import InputError
from filmflow.export import ExportSettings, export_project
from filmflow.export.manifest import diff_manifest, load_manifest, owned_files
from filmflow.export.plan import plan_frames
from tests.imagegen import make_scan
from tests.test_export import _item

BAD = [
    (dict(long_edge=0), "--long-edge 0 must be a positive number of pixels, e.g. 2048."),
    (dict(long_edge=-5), "--long-edge -5 must be a positive number of pixels, e.g. 2048."),
    (dict(long_edge="big"), "--long-edge big must be a positive number of pixels, e.g. 2048."),
    (dict(quality=0), "--quality 0 must be between 1 and 100."),
    (dict(quality=101), "--quality 101 must be between 1 and 100."),
    (dict(min_rating=6), "--min-rating 6 must be between 0 and 5."),
    (dict(min_rating=-1), "--min-rating -1 must be between 0 and 5."),
    (dict(post="wordpress"), "--post wordpress: use one of plain, hugo, jekyll."),
    (dict(workers=0), "workers 0: must be at least 1."),
    (dict(version="newest"), "--version newest: use preferred (each frame's preferred version) or original."),
]


@pytest.mark.parametrize(("kw", "message"), BAD)
def test_bad_settings_raise_when_made(kw, message):
    with pytest.raises(InputError) as e:
        ExportSettings(**kw)
    assert str(e.value) == message
    with pytest.raises(InputError):
        dataclasses.replace(ExportSettings(), **kw)


def test_good_settings_pass():
    s = ExportSettings(long_edge=1, quality=100, min_rating=5, post="jekyll", workers=1, version="original")
    assert s.long_edge == 1 and s.version == "original"


@pytest.mark.parametrize(("args", "message"), [
    (("--long-edge", "0"), "--long-edge 0 must be a positive number of pixels, e.g. 2048."),
    (("--quality", "0"), "--quality 0 must be between 1 and 100."),
    (("--min-rating", "7"), "--min-rating 7 must be between 0 and 5."),
])
def test_cli_reports_the_settings_sentence_before_looking_up_the_project(cli, args, message):
    r = cli("project", "export", "no such project", *args, code=2)
    assert message in r.stderr


def test_wants_is_the_picks_and_rating_filter(tmp_path):
    src = tmp_path / "a.jpg"
    pick4, pick1 = _item(1, src, pick="yes", rating=4), _item(2, src, pick="yes", rating=1)
    plain5, plain0 = _item(3, src, rating=5), _item(4, src)
    everything = ExportSettings()
    assert all(everything.wants(i) for i in (pick4, pick1, plain5, plain0))
    picks = ExportSettings(picks_only=True)
    assert [picks.wants(i) for i in (pick4, pick1, plain5, plain0)] == [True, True, False, False]
    four = ExportSettings(min_rating=4)
    assert [four.wants(i) for i in (pick4, pick1, plain5, plain0)] == [True, False, True, False]
    both = ExportSettings(picks_only=True, min_rating=4)
    assert [both.wants(i) for i in (pick4, pick1, plain5, plain0)] == [True, False, False, False]


def test_diff_of_the_old_manifest_against_the_plan(tmp_path):
    srcs = [make_scan(tmp_path / f"{k}.jpg", (300, 200), seed=k, label=str(k)) for k in (1, 2, 3)]
    items = [_item(i, p) for i, p in enumerate(srcs, 1)]
    out, settings = tmp_path / "out", ExportSettings(long_edge=100, workers=1)
    export_project("p", None, None, items, out, settings)
    old_frames, _ = owned_files(load_manifest(out))

    same = diff_manifest(out, old_frames, plan_frames(items, out, settings))
    assert same.unchanged == ("01_R042-1.jpg", "02_R042-2.jpg", "03_R042-3.jpg") and not same.moves
    assert not same.encode

    swapped = [dataclasses.replace(items[0], position=2), dataclasses.replace(items[1], position=1), items[2]]
    swapped.sort(key=lambda i: i.position)
    moved = diff_manifest(out, old_frames, plan_frames(swapped, out, settings))
    assert moved.unchanged == ("03_R042-3.jpg",)
    assert moved.moves == (("02_R042-2.jpg", "01_R042-2.jpg"), ("01_R042-1.jpg", "02_R042-1.jpg"))
    assert not moved.encode

    bigger = dataclasses.replace(settings, long_edge=120)
    redo = diff_manifest(out, old_frames, plan_frames(items, out, bigger))
    assert not redo.unchanged and not redo.moves and [j.name for j in redo.encode] == [
        "01_R042-1.jpg", "02_R042-2.jpg", "03_R042-3.jpg"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        redo.unchanged = ()  # type: ignore[misc]


def test_a_bad_config_value_fails_the_light_tables_export_job(tmp_path):
    """The web job makes its settings inside its error handling: a bad [export] value ends
    the job as failed with the settings' sentence instead of leaving it running."""
    from conftest import Cli, make_library, wait_until
    from filmflow.web.jobs import ExportJobs

    lib = make_library(tmp_path / "lib", long_edge="0")
    Cli(lib)("project", "create", "P")
    jobs = ExportJobs(lib)
    jid = jobs.start("P")["id"]
    job = wait_until(lambda: (s := jobs.status(jid)) and s["state"] != "running" and s)
    assert job["state"] == "failed" and job["error"].startswith("--long-edge 0 must be a positive number")
