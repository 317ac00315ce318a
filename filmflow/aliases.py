"""Folding names for comparison, and finding a known name inside free text.

`normalize_alias` is the one way film-stock aliases (and families, makers, formats) are
compared: "Portra 400" == "portra_400" == "PORTRA-400", "HP5+" == "hp5 plus", decomposed
macOS Hangul == composed. `find_longest_alias` finds the longest known alias in a folder
name or caption as a whole word, with its span in the original text. The stock catalog
(filmflow.stocks) indexes stocks by these folded forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


# Characters that separate words without ending a name: "Portra 400", "portra_400", "Tri-X".
_SOFT = frozenset(" \t\n\r\f\v-_.·・‐‑‒–—―'’\u3000\u00a0")
_SPELLED = {"+": "plus", "×": "x", "✕": "x", "✖": "x"}
_ASCII_DROP = re.compile(r"[^a-z0-9]+")
_BARRIER = "\x00"  # stands for hard punctuation in a folded text; no alias contains it


def _fold(text: str) -> str:
    """Fold one piece of text: NFKC, casefold, '+' spelled out, everything but letters/digits/marks dropped."""
    if text.isascii():  # the common case, ~10x faster; same result as the general path below
        return _ASCII_DROP.sub("", text.lower().replace("+", "plus"))
    t = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())
    out = []
    for ch in t:
        spelled = _SPELLED.get(ch)
        if spelled is not None:
            out.append(spelled)
        elif unicodedata.category(ch)[0] in "LNM":
            out.append(ch)
    return "".join(out)


def normalize_alias(text: str) -> str:
    """The form aliases are compared in: "Portra 400" == "portra_400" == "PORTRA-400"; "HP5+" == "hp5 plus".

    NFKC + NFC (so decomposed macOS Hangul equals its composed form, full-width equals ASCII),
    casefold, '+' becomes 'plus', '×' becomes 'x', and spaces and punctuation are dropped.
    """
    return _fold(text)


def _script(ch: str) -> str | None:
    """The 'script' of a letter or digit for word-boundary checks: 'digit', 'LATIN', 'HANGUL', ...; None otherwise."""
    ch = unicodedata.normalize("NFKC", ch)[:1]
    if not ch:
        return None
    cat = unicodedata.category(ch)
    if cat[0] == "N":
        return "digit"
    if cat[0] != "L":
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("KATAKANA-HIRAGANA"):
        return "KATAKANA"
    return name.split(" ", 1)[0] or "?"


def _is_continuation(ch: str) -> bool:
    """True for a code point that belongs to the character before it (combining mark, Hangul medial/final jamo)."""
    o = ord(ch)
    return (unicodedata.category(ch)[0] == "M" or 0x1160 <= o <= 0x11FF or 0xD7B0 <= o <= 0xD7FF
            or o in (0x200D, 0xFF9E, 0xFF9F))  # ZWJ, half-width katakana (semi-)voiced marks


class _FoldedText:
    """A text folded like normalize_alias, remembering which original characters each folded character came from."""

    __slots__ = ("text", "starts", "ends", "folded", "owner", "first", "last")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []  # per cluster: start offset in `text`
        self.ends: list[int] = []
        i, n = 0, len(text)
        while i < n:
            j = i + 1
            while j < n and _is_continuation(text[j]):
                j += 1
            self.starts.append(i)
            self.ends.append(j)
            i = j
        chars: list[str] = []
        self.owner: list[int] = []  # per folded char: its cluster
        self.first: list[bool] = []  # folded char is the first of its cluster
        self.last: list[bool] = []
        for ci, (s, e) in enumerate(zip(self.starts, self.ends)):
            cluster = text[s:e]
            # "+" before a digit is a push ("HP5 +1"), not the "plus" of "HP5+"
            f = _BARRIER if cluster in ("+", "＋") and e < n and text[e].isdigit() else _fold(cluster)
            if not f:
                if all(c in _SOFT or unicodedata.category(c)[0] == "Z" for c in cluster):
                    continue
                f = _BARRIER
            for k, c in enumerate(f):
                chars.append(c)
                self.owner.append(ci)
                self.first.append(k == 0)
                self.last.append(k == len(f) - 1)
        self.folded = "".join(chars)

    def boundary_ok(self, c_first: int, c_last: int) -> bool:
        """A match over clusters c_first..c_last must not continue a word or number of the same script."""
        inner_l = _script(self.text[self.starts[c_first]])
        if c_first > 0 and inner_l is not None and _script(self.text[self.starts[c_first - 1]]) == inner_l:
            return False
        inner_r = _script(self.text[self.starts[c_last]])
        if c_last + 1 < len(self.starts) and inner_r is not None:
            return _script(self.text[self.starts[c_last + 1]]) != inner_r
        return True

    def longest(self, index: Mapping[str, T], max_len: int) -> tuple[T, int, int] | None:
        """The longest folded key of `index` found at word boundaries: (value, start, end) in the original text."""
        best: tuple[int, int, T, int, int] | None = None  # (-length, start, value, s, e)
        f, n = self.folded, len(self.folded)
        for i in range(n):
            if not self.first[i] or f[i] == _BARRIER:
                continue
            if best is not None and n - i < -best[0]:
                break
            for length in range(min(max_len, n - i), 0, -1):
                if best is not None and length <= -best[0]:
                    break
                j = i + length - 1
                if not self.last[j]:
                    continue
                value = index.get(f[i:j + 1])
                if value is None:
                    continue
                c1, c2 = self.owner[i], self.owner[j]
                if self.boundary_ok(c1, c2):
                    best = (-length, i, value, self.starts[c1], self.ends[c2])
                    break
        if best is None:
            return None
        return best[2], best[3], best[4]


def find_longest_alias(text: str, index: Mapping[str, T], *, max_len: int | None = None) -> tuple[T, int, int] | None:
    """The longest key of `index` (keys already normalize_alias-ed) found in `text` as a whole word.

    Separator- and case-insensitive ("portra_400", "Portra 400"), never across hard
    punctuation such as '@', '#', '(', ',' or a control character, and never inside a larger
    word or number of the same script ("Gold200" matches "gold200", "Golden" does not match
    "gold"; "포트라400 서울" matches "포트라400"). Returns (value, start, end) with start:end
    the span in `text` as given, so the caller can cut it out. `max_len`, the longest key,
    saves measuring the index on each call.
    """
    if not index or not text:
        return None
    if max_len is None:
        max_len = max(len(k) for k in index)
    return _FoldedText(text).longest(index, max_len)
