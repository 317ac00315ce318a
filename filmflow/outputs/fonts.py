"""Finding a font that can draw a given text (Hangul, kana/kanji, accented Latin) and loading it.

Owns the font search order used by contact sheets and charts: the font set in
filmflow.toml first, then Noto Sans/Serif CJK (found by path or `fc-list :lang=..`),
then DejaVu Sans, then any other font fontconfig knows. Coverage is decided from the
font's own `cmap` table (TrueType/OpenType, .ttc collections included), so "covers"
means the font really has a glyph for every character, not that it draws a .notdef box.
When nothing covers the text, ONE warning is logged and Pillow's built-in font is used.

Results are cached per process with `functools.lru_cache` (fonts do not change while
we run).
"""

from __future__ import annotations

import functools
import logging
import shutil
import struct
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import ImageFont

log = logging.getLogger(__name__)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_NOTO = Path("/usr/share/fonts/opentype/noto")
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Known places, most wanted first. Regular / bold variants.
_KNOWN_REGULAR: tuple[Path, ...] = (
    _NOTO / "NotoSansCJK-Regular.ttc",
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    _NOTO / "NotoSerifCJK-Regular.ttc",
    _DEJAVU / "DejaVuSans.ttf",
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/System/Library/Fonts/AppleSDGothicNeo.ttc"),
    Path("/System/Library/Fonts/Hiragino Sans GB.ttc"),
    Path("/Library/Fonts/Arial Unicode.ttf"),
    Path("C:/Windows/Fonts/malgun.ttf"),
    Path("C:/Windows/Fonts/YuGothM.ttc"),
    Path("C:/Windows/Fonts/arial.ttf"),
)
_KNOWN_BOLD: tuple[Path, ...] = (
    _NOTO / "NotoSansCJK-Bold.ttc",
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
    _NOTO / "NotoSerifCJK-Bold.ttc",
    _DEJAVU / "DejaVuSans-Bold.ttf",
    Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    Path("C:/Windows/Fonts/malgunbd.ttf"),
    Path("C:/Windows/Fonts/arialbd.ttf"),
)


def _needs_glyph(ch: str) -> bool:
    """Characters that must have a glyph (whitespace and controls need none)."""
    return not (ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"})


def has_hangul(text: str) -> bool:
    """True when `text` holds Hangul syllables or jamo."""
    return any(
        "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f" for c in text
    )


def has_cjk(text: str) -> bool:
    """True when `text` holds kana, CJK ideographs or Hangul."""
    return has_hangul(text) or any(
        "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text
    )


# --- cmap reading (no fontTools) ------------------------------------------------------


def _sfnt_offsets(data_head: bytes, read: Callable[[int, int], bytes]) -> list[int]:
    """Offsets of the font faces in a .ttf/.otf (one) or .ttc (several)."""
    if data_head[:4] == b"ttcf":
        n = struct.unpack(">I", read(8, 4))[0]
        return list(struct.unpack(f">{n}I", read(12, 4 * n)))
    return [0]


def _cmap_codepoints(f: BinaryIO, face_offset: int) -> frozenset[int]:
    """All code points mapped by the best Unicode cmap subtable of one face."""

    def read(off: int, n: int) -> bytes:
        f.seek(off)
        b = f.read(n)
        if len(b) != n:
            raise ValueError("truncated font")
        return b

    off = _unicode_subtable(read, face_offset)
    fmt = struct.unpack(">H", read(off, 2))[0]
    return _format12_codepoints(read, off) if fmt == 12 else _format4_codepoints(read, off)


def _unicode_subtable(read: Callable[[int, int], bytes], face_offset: int) -> int:
    """Offset of the face's best Unicode cmap subtable (format 12 over 4); ValueError when there is none."""
    num_tables = struct.unpack(">H", read(face_offset + 4, 2))[0]
    cmap_off = None
    for i in range(num_tables):
        tag, _sum, off, _len = struct.unpack(">4sIII", read(face_offset + 12 + 16 * i, 16))
        if tag == b"cmap":
            cmap_off = off
            break
    if cmap_off is None:
        raise ValueError("no cmap table")
    n_sub = struct.unpack(">H", read(cmap_off + 2, 2))[0]
    best: tuple[int, int] | None = None  # (rank, offset)
    for i in range(n_sub):
        pid, eid, off = struct.unpack(">HHI", read(cmap_off + 4 + 8 * i, 8))
        fmt = struct.unpack(">H", read(cmap_off + off, 2))[0]
        if fmt not in (4, 12):
            continue
        rank = 2 if fmt == 12 else 1
        if pid == 3 and eid in (1, 10) or pid == 0:
            if best is None or rank > best[0]:
                best = (rank, cmap_off + off)
    if best is None:
        raise ValueError("no Unicode cmap")
    return best[1]


def _format12_codepoints(read: Callable[[int, int], bytes], off: int) -> frozenset[int]:
    """Code points of a format 12 subtable (groups of sequential code points)."""
    cps: set[int] = set()
    n_groups = struct.unpack(">I", read(off + 12, 4))[0]
    raw = read(off + 16, 12 * n_groups)
    for g in range(n_groups):
        start, end, gid = struct.unpack_from(">III", raw, 12 * g)
        if gid or start != end:
            cps.update(range(start, end + 1))
    return frozenset(cps)


def _format4_codepoints(read: Callable[[int, int], bytes], off: int) -> frozenset[int]:
    """Code points of a format 4 subtable (BMP segments), leaving out those mapped to glyph 0."""
    cps: set[int] = set()
    seg_x2 = struct.unpack(">H", read(off + 6, 2))[0]
    segs = seg_x2 // 2
    body = read(off + 14, seg_x2 * 4 + 2)
    ends = struct.unpack_from(f">{segs}H", body, 0)
    starts = struct.unpack_from(f">{segs}H", body, seg_x2 + 2)
    deltas = struct.unpack_from(f">{segs}h", body, 2 * seg_x2 + 2)
    range_offs = struct.unpack_from(f">{segs}H", body, 3 * seg_x2 + 2)
    ro_base = off + 14 + 3 * seg_x2 + 2
    for s in range(segs):
        start, end = starts[s], ends[s]
        if start == 0xFFFF:
            continue
        if range_offs[s] == 0:
            cps.update(c for c in range(start, end + 1) if (c + deltas[s]) & 0xFFFF)
        else:
            addr = ro_base + 2 * s + range_offs[s]
            glyphs = struct.unpack(f">{end - start + 1}H", read(addr, 2 * (end - start + 1)))
            cps.update(start + k for k, g in enumerate(glyphs) if g)
    return frozenset(cps)


@functools.lru_cache(maxsize=64)
def _face_codepoints(path: Path, index: int) -> frozenset[int] | None:
    """Code points of face `index` in `path`, or None when the file cannot be parsed."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)

            def read(off: int, n: int) -> bytes:
                f.seek(off)
                return f.read(n)

            offsets = _sfnt_offsets(head, read)
            if index >= len(offsets):
                return None
            return _cmap_codepoints(f, offsets[index])
    except (OSError, ValueError, struct.error):
        return None


@functools.lru_cache(maxsize=64)
def _face_count(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"ttcf":
                return 1
            f.seek(8)
            return struct.unpack(">I", f.read(4))[0]
    except (OSError, struct.error):
        return 1


def _covers_by_mask(path: Path, index: int, chars: set[str]) -> bool:
    """Fallback coverage check for fonts whose cmap we cannot read: compare each glyph to .notdef."""
    try:
        font = ImageFont.truetype(str(path), 24, index=index)
    except OSError:
        return False
    notdef = bytes(font.getmask("\U0010fffd"))  # a private-use code point: no font maps it
    return all(bytes(font.getmask(c)) != notdef for c in chars)


def covers(path: Path, text: str, index: int = 0) -> bool:
    """True when face `index` of the font at `path` has a glyph for every visible char of `text`."""
    chars = {c for c in text if _needs_glyph(c)}
    if not chars:
        return True
    cps = _face_codepoints(Path(path), index)
    if cps is None:
        return _covers_by_mask(Path(path), index, chars)
    return all(ord(c) in cps for c in chars)


@functools.lru_cache(maxsize=64)
def _face_names(path: Path) -> tuple[str, ...]:
    names = []
    for i in range(_face_count(path)):
        try:
            names.append(" ".join(ImageFont.truetype(str(path), 12, index=i).getname() or ()))
        except OSError:
            names.append("")
    return tuple(names)


@functools.lru_cache(maxsize=256)
def face_index(path: Path, text: str = "") -> int:
    """The face of a .ttc to use for `text`: the Korean face for Hangul, Japanese otherwise.

    NotoSansCJK-*.ttc holds JP, KR, SC, TC, HK (in that order); other collections are
    searched for the first face covering `text`. A plain .ttf/.otf is always 0.
    """
    path = Path(path)
    n = _face_count(path)
    if n <= 1:
        return 0
    names = _face_names(path)
    want = (" KR", "Korean", "Gothic Neo") if has_hangul(text) else (" JP", "Japanese", "Hiragino")
    for i, name in enumerate(names):
        if any(w in name for w in want) and covers(path, text, i):
            return i
    for i in range(n):
        if covers(path, text, i):
            return i
    return 0


@functools.lru_cache(maxsize=16)
def _fc_list(lang: str | None) -> tuple[Path, ...]:
    """Font files fontconfig lists (for one language when `lang` is set); [] without fc-list."""
    exe = shutil.which("fc-list")
    if not exe:
        return ()
    pattern = f":lang={lang}" if lang else ":"
    try:
        out = subprocess.run([exe, pattern, "file"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    paths = []
    for line in out.splitlines():
        p = line.split(":")[0].strip()
        if p.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            paths.append(Path(p))
    return tuple(sorted(set(paths), key=lambda p: ("bold" in p.name.lower(), "cjk" not in p.name.lower(), str(p))))


def _candidates(text: str, bold: bool) -> list[Path]:
    known = list(_KNOWN_BOLD + _KNOWN_REGULAR) if bold else list(_KNOWN_REGULAR)
    fc: tuple[Path, ...] = ()
    if has_hangul(text):
        fc = _fc_list("ko")
    elif has_cjk(text):
        fc = _fc_list("ja") + _fc_list("zh-cn")
    cjk_first = [p for p in fc if "cjk" in p.name.lower()]
    if bold:
        cjk_first.sort(key=lambda p: "bold" not in p.name.lower())
    seen: set[Path] = set()
    ordered: list[Path] = []
    for p in [*cjk_first, *known, *fc, *_fc_list(None)]:
        if p not in seen:
            seen.add(p)
            ordered.append(p)
    return ordered


@functools.lru_cache(maxsize=128)
def find_font(text: str, configured: Path | None = None, bold: bool = False) -> Path | None:
    """A font file with a glyph for every character of `text`, or None (logged once).

    Order: `configured` (filmflow.toml), Noto Sans/Serif CJK, DejaVu Sans, then any
    font fontconfig lists. With `bold`, bold faces are tried before regular ones.
    """
    if configured is not None:
        cfg = Path(configured).expanduser()
        if not cfg.is_file():
            log.warning("font %s set in filmflow.toml does not exist; looking for another font", cfg)
        elif covers(cfg, text, face_index(cfg, text)):
            return cfg
        else:
            log.warning("font %s has no glyphs for some of %r; looking for another font", cfg, text[:40])
    for p in _candidates(text, bold):
        if p.is_file() and covers(p, text, face_index(p, text)):
            return p
    _warn_uncovered("".join(sorted({c for c in text if _needs_glyph(c) and ord(c) > 127}))[:20] or text[:20])
    return None


@functools.lru_cache(maxsize=32)
def _warn_uncovered(chars: str) -> None:
    """Warn once per process (per set of characters) that no font can draw them."""
    log.warning(
        "no installed font covers %r; text will show boxes (install fonts-noto-cjk or set font in filmflow.toml)",
        chars,
    )


@functools.lru_cache(maxsize=256)
def _load(path: Path | None, index: int, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size)
    try:
        return ImageFont.truetype(str(path), size, index=index)
    except OSError:
        log.warning("font %s could not be loaded; using Pillow's built-in font", path)
        return ImageFont.load_default(size)


def load_font(text: str, size: int, configured: Path | None = None, bold: bool = False) -> Font:
    """A Pillow font of `size` px that can draw `text` (Pillow's default font when none can)."""
    path = find_font(text, configured, bold)
    return _load(path, face_index(path, text) if path else 0, max(1, int(size)))
