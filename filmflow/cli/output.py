"""The only code that formats results: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click


def dumps(obj: Any) -> str:
    """JSON as filmflow prints it (UTF-8, not ASCII-escaped)."""
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def emit_json(obj: Any) -> None:
    """Print one JSON document to stdout."""
    click.echo(dumps(obj))


def emit_json_stream(items: Iterable[dict[str, Any]]) -> int:
    """Print a JSON array one element at a time (memory does not grow); returns the count."""
    out = sys.stdout
    n = 0
    out.write("[")
    for item in items:
        out.write(",\n  " if n else "\n  ")
        out.write(json.dumps(item, ensure_ascii=False, default=str))
        n += 1
    out.write("\n]\n" if n else "]\n")
    out.flush()
    return n


def width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def pad(text: str, w: int, right: bool = False) -> str:
    """Pad to display width `w`."""
    fill = " " * max(0, w - width(text))
    return fill + text if right else text + fill


def cell(v: Any) -> str:
    """A value as a table cell."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:+g}" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v)) or "-"
    return str(v)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: Sequence[int] = ()) -> None:
    """Print an aligned table (Unicode-width aware)."""
    body = [[cell(v) for v in r] for r in rows]
    widths = [max([width(h)] + [width(r[i]) for r in body]) for i, h in enumerate(headers)]
    click.echo("  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip())
    for r in body:
        click.echo("  ".join(pad(v, widths[i], i in right) for i, v in enumerate(r)).rstrip())


def kv(pairs: Sequence[tuple[str, Any]]) -> None:
    """Print `key: value` lines, keys aligned."""
    w = max((width(k) for k, _ in pairs), default=0)
    for k, v in pairs:
        click.echo(f"{pad(k, w)}  {cell(v)}")
