"""Ingest as stages (issue 13): frozen stage values, the EXIF read once per scan in planning,
the roll's EXIF scan date decided before apply, and the dry run's plan being the real run's."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from PIL import Image

import imagegen
from filmflow.catalog.models import Origin
from filmflow.ingest.exif import read_scanner_info
from filmflow.ingest.mode import IngestMode
from filmflow.ingest.plan import build_plan
from filmflow.ingest.delivery import open_source
from filmflow.opencatalog import open_catalog


def _plan(lib, folder, **options):
    db = open_catalog(lib)
    try:
        with open_source(lib, folder, dry_run=True) as units:
            return build_plan(lib, db, units[0], mode=IngestMode.COPY, options=options)
    finally:
        db.conn.close()


@pytest.fixture
def dated_roll(tmp_path):
    """No date in the name; the first scan has no EXIF date, the others do (the earliest is frame 3's)."""
    folder = tmp_path / "Portra400 R051"
    imagegen.make_scan(folder / "000001.jpg", seed=1)  # no EXIF at all
    imagegen.make_scan(folder / "000002.jpg", seed=2, exif=imagegen.scanner_exif(imagegen.NORITSU, "2023:06:09 10:00:00"))
    imagegen.make_scan(folder / "000003.jpg", seed=3, exif=imagegen.scanner_exif(imagegen.NORITSU, "2023:06:02 10:00:00"))
    return folder


def test_stage_values_are_frozen(library, dated_roll):
    plan = _plan(library, dated_roll)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.code = "R999"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.files[0].frame = "99"
    with pytest.raises(TypeError):
        plan.resolved.fields["scanned"] = "2020-01-01"  # a read-only view
    assert isinstance(plan.files, tuple)


def test_the_rolls_exif_scan_date_is_resolved_before_apply(cli, library, dated_roll):
    plan = _plan(library, dated_roll)
    assert plan.resolved.fields["scanned"] == "2023-06-02" and plan.resolved.sources["scanned"] == Origin.EXIF.value
    assert plan.resolved.fields["year"] == 2023
    dry = cli.json("ingest", "--dry-run", dated_roll)[0]["plan"]
    assert dry["fields"]["scanned"] == "2023-06-02" and dry["sources"]["scanned"] == "exif"
    cli("ingest", dated_roll)
    roll = cli.json("roll", "show", "R051")
    assert roll["scanned"] == "2023-06-02" and roll["sources"]["scanned"] == "exif"
    assert dry["path"] == roll["path"]  # the dry run's plan is the real run's: the same archive folder
    frames = {f["file"]: f["scanned"] for f in cli.json("frames")}
    assert frames["000001.jpg"] == "2023-06-02"  # a frame with no EXIF date takes its roll's
    assert frames["000003.jpg"].startswith("2023-06-02T10:00")


def test_each_file_plan_carries_its_one_exif_read(library, dated_roll):
    plan = _plan(library, dated_roll)
    by_name = {f.src.name: f.exif for f in plan.files}
    assert by_name["000002.jpg"] == read_scanner_info(dated_roll / "000002.jpg")
    assert by_name["000002.jpg"].scanner == "NORITSU KOKI EZ Controller"
    assert by_name["000001.jpg"].scanner is None and by_name["000001.jpg"].orientation == 0


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_ingest_reads_exif_once_and_tells_pillow_the_orientation(cli, library, tmp_path, monkeypatch, orientation):
    folder = tmp_path / "2023-05-01 Portra400 R042"
    exif = imagegen.scanner_exif(imagegen.NORITSU, Orientation=orientation)
    imagegen.make_scan(folder / "000001.jpg", (600, 400), exif=exif, seed=orientation)
    from filmflow.imaging import opening
    from filmflow.ingest import worker

    def no_second_read(*a, **k):
        raise AssertionError("EXIF read a second time")

    monkeypatch.setattr(opening, "_orientation", no_second_read)  # Pillow's getexif path
    monkeypatch.setattr(worker, "read_scanner_info", no_second_read)
    out = cli.json("ingest", folder)
    assert out[0]["added"] == 1 and out[0]["failed"] == []
    (frame,) = cli.json("frames")
    with Image.open(frame["thumbnail"]) as t:
        assert t.size == ((512, 341) if orientation == 1 else (341, 512))  # upright
    db = open_catalog(library)
    try:
        assert db.conn.execute("SELECT orientation FROM frames").fetchone()[0] == orientation
    finally:
        db.conn.close()


def test_an_xmp_orientation_is_still_honoured_when_exif_names_none(cli, library, tmp_path):
    folder = tmp_path / "2023-05-01 Portra400 R042"
    folder.mkdir()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    Image.new("RGB", (60, 40), "white").save(folder / "000001.jpg", xmp=xmp)
    cli("ingest", folder)
    (frame,) = cli.json("frames")
    with Image.open(frame["thumbnail"]) as t:
        assert t.size == (40, 60)


def test_a_broken_exif_block_is_a_warning_not_a_failed_frame(cli, library, tmp_path, caplog, monkeypatch):
    import exifread

    folder = tmp_path / "2023-05-01 Portra400 R042"
    imagegen.make_roll(folder, 2, seed=5)

    def broken(*a, **k):
        raise ValueError("bad IFD")

    monkeypatch.setattr(exifread, "process_file", broken)
    with caplog.at_level(logging.WARNING, logger="filmflow"):
        out = cli.json("ingest", folder)
    assert out[0]["added"] == 2 and out[0]["failed"] == []
    warned = [r.getMessage() for r in caplog.records if "unreadable EXIF block" in r.getMessage()]
    assert len(warned) == 2 and all(str(folder) in w for w in warned)


def test_dry_run_json_keeps_its_shape(cli, library, dated_roll):
    out = cli.json("ingest", "--dry-run", dated_roll)
    plan = out[0]["plan"]
    assert list(plan) == ["source", "roll", "new_roll", "mode", "fields", "sources", "path", "files"]
    assert json.loads(json.dumps(plan)) == plan
