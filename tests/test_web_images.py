"""Light-table images: previews made by export's imaging code (16-bit TIFF, Adobe RGB), the 100%
view of a TIFF as a full-size JPEG, and `[serve] previews = "ingest"` making previews at ingest."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageStat

from filmflow import imaging
from tests.imagegen import adobe_rgb_icc, make_roll
from tests.lighttable_env import Http, frames, running


def _ingest(library, cli, name, n=1, **kw):
    folder = library.root.parent / "scans" / name
    make_roll(folder, n, seed=5, **kw)
    return cli.json("ingest", str(folder))[0]["roll"]


def test_tiff16_adobe_rgb_preview_and_full_view_match_exports_rendering(library, cli, tmp_path):
    code = _ingest(library, cli, "2023-10-14 Portra160 home scan", pattern="scan_{n:04d}.tif",
                   size=(2400, 1600), bits=16, icc=adobe_rgb_icc(), scanner=None)
    f = frames(library, f"roll:{code}")[0]
    assert (f.bits, f.format) == (16, "TIFF")
    want = tmp_path / "export.jpg"
    imaging.export_jpeg(library.resolve(f.path), want, 2048, 85)
    with running(library) as server:
        http = Http(server)
        status, headers, body = http.get(f"/img/preview/{f.id}")
        assert status == 200 and headers["content-type"] == "image/jpeg"
        preview = Image.open(io.BytesIO(body))
        assert preview.size == (2048, 1365) and preview.mode == "RGB"
        diff = ImageStat.Stat(ImageChops.difference(preview.convert("RGB"), Image.open(want).convert("RGB")))
        assert max(diff.mean) < 1.0  # the same imaging code as export: sRGB from Adobe RGB, 16 -> 8 bits
        assert (library.cache / "previews" / f"{f.sha256}.jpg").read_bytes() == body
        status, _, body = http.get(f"/img/full/{f.id}")
        assert status == 200 and Image.open(io.BytesIO(body)).size == (2400, 1600)
        assert (library.cache / "full" / f"{f.sha256}.jpg").is_file()


def test_full_view_of_a_jpeg_is_the_archived_scan_itself(library, cli):
    code = _ingest(library, cli, "2023-05-01 Portra400", size=(900, 600))
    f = frames(library, f"roll:{code}")[0]
    with running(library) as server:
        status, _, body = Http(server).get(f"/img/full/{f.id}")
    assert status == 200 and body == library.resolve(f.path).read_bytes()
    assert not (library.cache / "full").exists()


def test_previews_at_ingest_when_configured(library, cli):
    toml = library.root / "filmflow.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[serve]\npreviews = "ingest"\n', encoding="utf-8")
    code = _ingest(library, cli, "2023-05-01 Portra400", n=2, size=(2400, 1600))
    for f in frames(library, f"roll:{code}"):
        p = library.cache / "previews" / f"{f.sha256}.jpg"
        assert p.is_file() and Image.open(p).size == (2048, 1365)


def test_previews_at_ingest_cover_versions_added_later(library, cli, tmp_path):
    toml = library.root / "filmflow.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[serve]\npreviews = "ingest"\n', encoding="utf-8")
    code = _ingest(library, cli, "2023-05-01 Portra400", n=1, size=(2400, 1600))
    edit = make_roll(tmp_path / "edits", 1, seed=11, size=(2400, 1600))[0]
    cli("version", "add", f"{code}/1", str(edit))
    (v1, v2) = cli.json("version", "list", f"{code}/1")[:2]
    for v in (v1, v2):  # the scan and the edit each have their loupe preview already
        p = library.cache / "previews" / f"{v['sha256']}.jpg"
        assert p.is_file() and Image.open(p).size == (2048, 1365)


def test_previews_off_by_default_and_a_bad_setting_is_one_clear_line(library, cli):
    code = _ingest(library, cli, "2023-05-01 Portra400", size=(900, 600))
    assert frames(library, f"roll:{code}") and not (library.cache / "previews").exists()
    toml = library.root / "filmflow.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[serve]\npreviews = "always"\n', encoding="utf-8")
    r = cli("rolls", code=2)
    assert "[serve] previews must be" in r.stderr and "Traceback" not in r.stderr
