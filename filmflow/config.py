"""Find the library and read its filmflow.toml into typed Settings.

Library resolution (SPEC): `--library DIR` > `$FILMFLOW_LIBRARY` > the nearest parent of
the working directory holding filmflow.toml > `~/Pictures/filmflow`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmflow.errors import ConfigError

CONFIG_NAME = "filmflow.toml"
DB_NAME = "filmflow.db"

DEFAULT_TOML = '''\
# filmflow library settings. Every key is optional; the values shown are the defaults.

[archive]
# Where ingested rolls are filed, relative to the library folder.
# Fields: {year} {code} {stock} {format} {title} {developed} {source}
# Empty fields collapse ("R042 " becomes "R042"); a roll with no date files under "undated".
template = "archive/{year}/{code} {stock}"
# Roll code for a roll that names none: {n} is the next free number.
code_template = "R{n:03d}"
# What a date in a folder name means: "developed" or "shot".
folder_date = "developed"

[ingest]
# copy (verify, never touch the source), move (verified move), in-place (catalogue where it lies)
mode = "copy"
# Thumbnail long edge in pixels (contact sheets are built from these).
thumbnail_size = 512
# Processes used for thumbnails (0 = one per core).
workers = 0
# A zip delivery is refused past this many extracted bytes (zip-bomb guard).
zip_max_bytes = 68719476736

[watch]
# Seconds a scan folder must stay quiet (no new or growing files) before ingest.
settle = 10
# Seconds a partial download (.part, .crdownload, ...) may stay unchanged before it is left
# out with a warning and the rest of its folder is ingested; a changing one holds the folder back.
abandon_partial = 600

[export]
artist = ""
copyright = ""
long_edge = 2048
quality = 90
# The gallery's language (<html lang>): en, ko, ja, pt-BR ...
language = "en"

[xmp]
# "auto": keep an XMP sidecar beside each archived scan in step with every curation change
# (rate, pick, tag, caption, roll edit); "off": write them only on `filmflow xmp write`.
sidecars = "off"
# "append": R042_0012.jpg.xmp (darktable, digiKam); "replace": R042_0012.xmp (Lightroom's form).
sidecar_name = "append"

[sheet]
# A font file covering your languages (Korean, Japanese ...); empty = search the system.
font = ""
paper = "A4"
dpi = 300
style = "dark"

[versions]
# Your own edit marks (regular expressions), added to config/edit_marks.toml's:
# a file named like a frame's file plus a mark becomes an edit of that frame.
edit_marks = []
# The share of the 256 bits of two thumbnails' perceptual hashes that may differ for a second
# scan with a frame's number to count as a re-scan of that frame (a `scan` version).
match_distance = 0.2

# Your own film stocks, or overrides of built-in ones (see config/film_stocks.toml):
# [stocks.my-bulk-roll]
# name = "Kodak Double-X 5222 (bulk)"
# manufacturer = "Kodak"
# iso = 250
# process = "B&W"
# aliases = ["my xx", "내 벌크 XX"]
'''


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed view of filmflow.toml."""

    archive_template: str = "archive/{year}/{code} {stock}"
    code_template: str = "R{n:03d}"
    folder_date: str = "developed"
    mode: str = "copy"
    thumbnail_size: int = 512
    workers: int = 0
    zip_max_bytes: int = 64 << 30
    settle: float = 10.0
    abandon_partial: float = 600.0
    artist: str = ""
    copyright: str = ""
    long_edge: int = 2048
    quality: int = 90
    language: str = "en"
    font: str = ""
    paper: str = "A4"
    dpi: int = 300
    style: str = "dark"
    xmp_sidecars: str = "off"
    xmp_sidecar_name: str = "append"
    edit_marks: tuple[str, ...] = ()
    match_distance: float = 0.2
    serve_previews: str = "off"
    stocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats: dict[str, dict[str, Any]] = field(default_factory=dict)


def _get(data: dict[str, Any], section: str, key: str, default: Any, kind: type, path: Path) -> Any:
    value = data.get(section, {}).get(key, default)
    if kind is float and isinstance(value, int):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: [{section}] {key} must be a {kind.__name__}, not {value!r}; fix it in {CONFIG_NAME}.")
    return value


def load_settings(path: Path) -> Settings:
    """Read filmflow.toml; a missing file gives the defaults, a broken one a ConfigError."""
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid TOML ({e}); fix it and run again.") from None
    d = Settings()
    s = Settings(
        archive_template=_get(data, "archive", "template", d.archive_template, str, path),
        code_template=_get(data, "archive", "code_template", d.code_template, str, path),
        folder_date=_get(data, "archive", "folder_date", d.folder_date, str, path),
        mode=_get(data, "ingest", "mode", d.mode, str, path),
        thumbnail_size=_get(data, "ingest", "thumbnail_size", d.thumbnail_size, int, path),
        workers=_get(data, "ingest", "workers", d.workers, int, path),
        zip_max_bytes=_get(data, "ingest", "zip_max_bytes", d.zip_max_bytes, int, path),
        settle=_get(data, "watch", "settle", d.settle, float, path),
        abandon_partial=_get(data, "watch", "abandon_partial", d.abandon_partial, float, path),
        artist=_get(data, "export", "artist", d.artist, str, path),
        copyright=_get(data, "export", "copyright", d.copyright, str, path),
        long_edge=_get(data, "export", "long_edge", d.long_edge, int, path),
        quality=_get(data, "export", "quality", d.quality, int, path),
        language=_get(data, "export", "language", d.language, str, path),
        font=_get(data, "sheet", "font", d.font, str, path),
        paper=_get(data, "sheet", "paper", d.paper, str, path),
        dpi=_get(data, "sheet", "dpi", d.dpi, int, path),
        style=_get(data, "sheet", "style", d.style, str, path),
        xmp_sidecars=_get(data, "xmp", "sidecars", d.xmp_sidecars, str, path),
        xmp_sidecar_name=_get(data, "xmp", "sidecar_name", d.xmp_sidecar_name, str, path),
        edit_marks=tuple(str(m) for m in _get(data, "versions", "edit_marks", [], list, path)),
        match_distance=_get(data, "versions", "match_distance", d.match_distance, float, path),
        serve_previews=_get(data, "serve", "previews", d.serve_previews, str, path),
        stocks=dict(data.get("stocks", {})),
        formats=dict(data.get("formats", {})),
    )
    if s.folder_date not in ("developed", "shot"):
        raise ConfigError(f"{path}: [archive] folder_date must be \"developed\" or \"shot\", not {s.folder_date!r}.")
    if s.serve_previews not in ("off", "ingest"):
        raise ConfigError(f"{path}: [serve] previews must be \"off\" or \"ingest\", not {s.serve_previews!r}.")
    if s.mode not in ("copy", "move", "in-place"):
        raise ConfigError(f"{path}: [ingest] mode must be copy, move or in-place, not {s.mode!r}.")
    if s.xmp_sidecars not in ("auto", "off"):
        raise ConfigError(f"{path}: [xmp] sidecars must be \"auto\" or \"off\", not {s.xmp_sidecars!r}.")
    if s.xmp_sidecar_name not in ("append", "replace"):
        raise ConfigError(f"{path}: [xmp] sidecar_name must be \"append\" or \"replace\", not {s.xmp_sidecar_name!r}.")
    return s


def default_library() -> Path:
    """~/Pictures/filmflow."""
    return Path.home() / "Pictures" / "filmflow"


def find_library(explicit: Path | None = None, cwd: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Resolve the library folder in SPEC's order (no check that it exists)."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ if env is None else env
    if env.get("FILMFLOW_LIBRARY"):
        return Path(env["FILMFLOW_LIBRARY"]).expanduser()
    here = (cwd or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / CONFIG_NAME).is_file():
            return p
    return default_library()
