"""Read a log file's bytes as text: UTF-8 (with or without BOM), UTF-16, CP949; a size cap."""

from __future__ import annotations

import codecs
from pathlib import Path

from filmflow.logs.model import LogError

MAX_BYTES = 20 * 1024 * 1024   # a 1,000-frame log is ~200 KB; anything this big is not a log


def load_text(path: Path) -> str:
    """The file's text, decoded by its BOM, else as UTF-8, else UTF-16 (NULs), else CP949."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LogError(f"{path}: {size // (1024 * 1024)} MB is far larger than any film log "
                           f"(limit {MAX_BYTES // (1024 * 1024)} MB); export the log again from the app.")
        if not path.is_file():
            raise LogError(f"{path} is not a file; give the log file the app exported.")
        data = path.read_bytes()
    except OSError as e:
        raise LogError(f"{path}: cannot read it ({e.strerror or e}); check the path and its permissions.") from None
    if not data.strip():
        raise LogError(f"{path} is empty; export the log again from the app.")
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    """Decode log bytes, refusing what is none of the encodings logs come in (naming the line)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _strict(data[len(bom):], enc, path)
    if b"\x00" in data[:200]:
        enc = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return _strict(data, enc, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise LogError(f"{path}, line {line}: the text is neither UTF-8, UTF-16 nor CP949; "
                       "save the log as UTF-8 and import it again.") from None


def _strict(data: bytes, enc: str, path: Path) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise LogError(f"{path}, line {line}: not valid {enc.upper()} text; "
                       "save the log as UTF-8 and import it again.") from None
