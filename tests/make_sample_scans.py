"""Regenerate the shipped demo inbox `sample_scans/` deterministically.

    .venv/bin/python tests/make_sample_scans.py            # rewrites ./sample_scans
    .venv/bin/python tests/make_sample_scans.py --out DIR  # writes somewhere else

Same code + same Pillow gives the same bytes (fixed seeds, fixed zip timestamps).
Every frame is unique byte for byte across the whole tree (ingest deduplicates by
SHA-256). Keep the total under 8 MB (`du -sh sample_scans`).
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imagegen as g  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LAB = (900, 600)
SMALL = (600, 400)
Q = 85

R042 = "2023-05-01 Portra400 EI800 R042"
HP5 = "HP5 Plus 120 Mamiya"
SEOUL = "포트라400 서울 산책 2023-07-02"
HOME = "2023-10-14 Portra160 6x6 home scan"
GOLD_ZIP = "2023-08-15_Gold200_135.zip"
BAD = "2023-11-20 Ultramax400 bad"
KYOTO = "2023-03-10 ポートラ400 京都"
LISBOA = "Café Lisboa - Superia 400 - 135"

ROLL_TOML = """\
# Sidecar: beats the folder name and EXIF for every key it sets.
code = "R043"
stock = "HP5 Plus"
ei = 1600
format = "6x7"
camera = "Mamiya RB67 Pro SD"
lens = "Sekor C 90mm f/3.8"
developed = 2023-06-12
shot = "2023-06-01..2023-06-05"
lab = "home"
developer = "HC-110 B 9min"
notes = "Pushed two stops for the night market."
tags = ["night", "market"]
"""

# Finder's .DS_Store starts "\\0\\0\\0\\1Bud1"; Thumbs.db is an OLE2 compound file.
DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(2036)
THUMBS_DB = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(1016)
# An AppleDouble resource fork as macOS's Archive Utility puts under __MACOSX/.
APPLEDOUBLE = bytes.fromhex("00051607") + bytes.fromhex("00020000") + bytes(74)

README = """\
# sample_scans — a demo inbox (and test fixture)

A small, deliberately unkind inbox: lab JPEG rolls, a sidecar-tagged 120 roll, a home
scan with 16-bit Adobe RGB TIFFs, a lab `.zip`, a roll with a broken file, and folder
names in Korean, Japanese and accented Latin. Try it:

    filmflow init /tmp/fflib
    filmflow --library /tmp/fflib ingest sample_scans/*      # or: cp -r sample_scans/* inbox/ && filmflow watch --once

Every image is generated (`tests/make_sample_scans.py`; regenerate with
`.venv/bin/python tests/make_sample_scans.py`), carries scanner EXIF
(Make/Model/Software = the *scanner*, DateTime = the scan date) and is unique byte for
byte (ingest deduplicates by SHA-256). Do not edit the files by hand; change the script.

| Folder | Contents | Demonstrates |
|---|---|---|
| `2023-05-01 Portra400 EI800 R042/` | 12 lab JPEGs `000001.jpg`..`000012.jpg`, 900x600 (frame 7 is a 600x900 portrait), Noritsu EXIF, sRGB ICC on odd frames, scanned 2023-05-01 | folder name → developed 2023-05-01, stock Kodak Portra 400, EI 800 (push +1), code R042 |
| `HP5 Plus 120 Mamiya/` | 10 greyscale JPEGs `HP5_120_01.jpg`..`HP5_120_10.jpg`, 700x560 (6x7), Epson EXIF, scanned 2023-06-13; `roll.toml` | the sidecar wins: code R043, HP5 Plus @ EI 1600 (+2), 6x7, camera/lens, developed 2023-06-12, shot 2023-06-01..05, lab, developer, notes, tags. The folder has no date. |
| `포트라400 서울 산책 2023-07-02/` | 8 Frontier JPEGs `IMG_0001.JPG`..`IMG_0008.JPG` (sRGB ICC) and `extra/IMG_0009.JPG`; junk `.DS_Store`, `Thumbs.db` (also inside `extra/`) | Korean stock alias (포트라400 → Portra 400), date at the end, title "서울 산책", nested folder = same roll (9 frames), upper-case `.JPG`, system junk ignored |
| `2023-10-14 Portra160 6x6 home scan/` | 3 uncompressed 48-bit RGB TIFFs `scan_0001.tif`..`scan_0003.tif`, 360x360, Epson/SilverFast EXIF, embedded Adobe RGB (1998)-compatible ICC | 16-bit home scans (bits = 16 from TIFF tag 258), colour management to sRGB on export, format 6x6 |
| `2023-08-15_Gold200_135.zip` | a lab delivery: `2023-08-15_Gold200_135/000001.jpg`..`000006.jpg` (Frontier, deflated) plus a `__MACOSX/` AppleDouble entry | zip ingest; underscores as separators; Gold 200, 135; `__MACOSX` ignored |
| `2023-11-20 Ultramax400 bad/` | 4 good Noritsu JPEGs `000001,2,4,5.jpg` and `000003.jpg`, a real JPEG cut in half | one failed file (truncated) is reported, the other 4 frames are ingested, exit status 1 |
| `2023-03-10 ポートラ400 京都/` | 3 small (600x400) Frontier JPEGs `000001.jpg`..`000003.jpg` | Japanese stock alias (ポートラ400 → Portra 400), title "京都" |
| `Café Lisboa - Superia 400 - 135/` | 3 small Noritsu JPEGs `CL_01.jpg`..`CL_03.jpg`, scanned 2023-09-04 | accented name (compare after NFC); no date in the name, so developed stays unknown unless given (EXIF scan date 2023-09-04); Fujicolor Superia 400, 135 |

Scan dates (EXIF DateTime) are on or after each folder's development date. No file
holds GPS or serial numbers; tests that need them generate their own with
`tests/imagegen.py`.
"""


def _jpeg_bytes(size: tuple[int, int], *, seed: int, label: str, scanner: dict, when: str,
                icc: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    img = g.scan_image(size, seed=seed, label=label)
    params: dict[str, object] = {"quality": Q, "exif": g.scanner_exif(scanner, when)}
    if icc:
        params["icc_profile"] = icc
    img.save(buf, "JPEG", **params)
    return buf.getvalue()


def build(out: Path) -> Path:
    """Write the whole sample inbox into `out` (emptied first); return it."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    # 1. a lab roll, code and EI in the folder name, one portrait frame
    for k in range(1, 13):
        g.make_scan(out / R042 / f"{k:06d}.jpg", (600, 900) if k == 7 else LAB,
                    exif=g.scanner_exif(g.NORITSU, f"2023:05:01 16:{k:02d}:10"),
                    icc=g.srgb_icc() if k % 2 else None,
                    seed=4200 + k, label=str(k), quality=Q)

    # 2. a home-developed 120 roll described by its sidecar
    for k in range(1, 11):
        g.make_scan(out / HP5 / f"HP5_120_{k:02d}.jpg", (700, 560), mode="L",
                    exif=g.scanner_exif(g.EPSON, f"2023:06:13 21:{k:02d}:40"),
                    seed=4300 + k, label=str(k), quality=Q)
    (out / HP5 / "roll.toml").write_text(ROLL_TOML, encoding="utf-8")

    # 3. Korean folder name, upper-case names, a nested folder, system junk
    seoul = out / SEOUL
    for k in range(1, 10):
        folder = seoul / "extra" if k == 9 else seoul
        g.make_scan(folder / f"IMG_{k:04d}.JPG", LAB,
                    exif=g.scanner_exif(g.FRONTIER, f"2023:07:03 10:{k:02d}:05"),
                    icc=g.srgb_icc(), seed=4400 + k, label=str(k), quality=Q)
    for folder in (seoul, seoul / "extra"):
        (folder / ".DS_Store").write_bytes(DS_STORE)
    (seoul / "Thumbs.db").write_bytes(THUMBS_DB)

    # 4. 16-bit RGB home scans with an Adobe RGB profile
    for k in range(1, 4):
        g.make_scan(out / HOME / f"scan_{k:04d}.tif", (360, 360), bits=16,
                    exif=g.scanner_exif(g.EPSON, f"2023:10:15 19:{k:02d}:00"),
                    icc=g.adobe_rgb_icc(), seed=4500 + k, label=str(k))

    # 5. a lab delivery as a zip
    inner = GOLD_ZIP.removesuffix(".zip")
    files: dict[str, bytes | Path] = {
        f"{inner}/{k:06d}.jpg": _jpeg_bytes(LAB, seed=4600 + k, label=str(k), scanner=g.FRONTIER,
                                            when=f"2023:08:15 17:{k:02d}:30", icc=g.srgb_icc())
        for k in range(1, 7)
    }
    files[f"__MACOSX/{inner}/._000001.jpg"] = APPLEDOUBLE
    g.make_zip(out / GOLD_ZIP, files)

    # 6. a roll with one truncated file
    for k in (1, 2, 4, 5):
        g.make_scan(out / BAD / f"{k:06d}.jpg", LAB,
                    exif=g.scanner_exif(g.NORITSU, f"2023:11:20 12:{k:02d}:00"),
                    seed=4700 + k, label=str(k), quality=Q)
    g.make_truncated(out / BAD / "000003.jpg", LAB, seed=4703, label="3",
                     when="2023:11:20 12:03:00")

    # 7. Japanese and accented folder names
    for k in range(1, 4):
        g.make_scan(out / KYOTO / f"{k:06d}.jpg", SMALL,
                    exif=g.scanner_exif(g.FRONTIER, f"2023:03:10 15:{k:02d}:00"),
                    seed=4800 + k, label=str(k), quality=Q)
        g.make_scan(out / LISBOA / f"CL_{k:02d}.jpg", SMALL,
                    exif=g.scanner_exif(g.NORITSU, f"2023:09:04 11:{k:02d}:00"),
                    seed=4900 + k, label=str(k), quality=Q)

    (out / "README.md").write_text(README, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "sample_scans")
    args = parser.parse_args(argv)
    out = build(args.out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
