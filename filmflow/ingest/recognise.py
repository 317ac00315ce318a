"""Recognising versions of a frame: edits by name, re-scans by look.

- `EditMarks`: config/edit_marks.toml plus `[versions] edit_marks`; `edit_of(name, stems)`
  finds the frame a file is an edit of (`R042_0012-edit.tif` -> the frame of `R042_0012.jpg`).
- `dhash`: a 256-bit difference hash of a thumbnail; `looks_alike` compares two within
  `[versions] match_distance` (README "Versions" says how the default was measured).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from filmflow.errors import InputError
from filmflow.stocks import builtin_edit_marks


@dataclass(frozen=True)
class EditMarks:
    """The edit-mark patterns, compiled into one expression matching one or more marks."""

    pattern: re.Pattern[str]

    @classmethod
    def load(cls, extra: tuple[str, ...] = ()) -> EditMarks:
        """Built-in marks (config/edit_marks.toml) plus the user's."""
        marks = [*builtin_edit_marks(), *extra]
        for m in marks:
            try:
                re.compile(m)
            except re.error as e:
                raise InputError(f"edit mark {m!r} is not a regular expression ({e}); fix it in filmflow.toml "
                                 "[versions] edit_marks.") from None
        return cls(re.compile("(?:" + "|".join(f"(?:{m})" for m in marks) + ")+", re.I))

    def edit_of(self, file_name: str, stems: dict[str, Any]) -> Any | None:
        """The value `stems` holds for the frame this file is an edit of, or None.

        `stems` maps an original file's stem (NFC, casefolded) to anything (a frame id, a ref).
        The longest stem that the name starts with and whose rest is all marks wins.
        """
        stem = unicodedata.normalize("NFC", file_name.rsplit(".", 1)[0] if "." in file_name else file_name)
        folded = stem.casefold()
        best = None
        for i in range(len(folded) - 1, 0, -1):
            head, rest = folded[:i], stem[i:]
            if head in stems and self.pattern.fullmatch(rest):
                best = stems[head]
                break
        return best


HASH_SIDE = 16   # 16x16 difference hash: 256 bits (8x8 confused unrelated frames of one scene too often)


def dhash(thumbnail: Path) -> str:
    """A 256-bit difference hash (hex) of an image: 17x16 greyscale, each pixel against its right neighbour."""
    n = HASH_SIDE
    with Image.open(thumbnail) as im:
        im.draft("L", (4 * n, 4 * n))
        small = im.convert("L").resize((n + 1, n), Image.Resampling.BOX)
    px = small.tobytes()
    bits = 0
    for row in range(n):
        for col in range(n):
            bits = (bits << 1) | (px[row * (n + 1) + col] > px[row * (n + 1) + col + 1])
    return f"{bits:0{n * n // 4}x}"


def distance(a: str, b: str) -> float:
    """The share of bits that differ (0.0 identical .. about 0.5 unrelated)."""
    return (int(a, 16) ^ int(b, 16)).bit_count() / (len(a) * 4)


def looks_alike(a: str | None, b: str | None, match_distance: float) -> bool:
    """Two hashes of equal length within `match_distance` (unknown hashes never match)."""
    return a is not None and b is not None and len(a) == len(b) and distance(a, b) <= match_distance
