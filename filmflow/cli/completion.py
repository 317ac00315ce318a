"""Shell completion (click's `_FILMFLOW_COMPLETE`): roll codes, project names, query keys, sort fields.

Each callback reads the catalog without migrating it and returns nothing rather than
fail: a completion must never print an error into the user's prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from filmflow.query import KEYS
from filmflow.catalog.querysql import FRAME_SORTS, ROLL_SORTS


def _catalog_names(ctx: click.Context, read: Callable, prefix: str) -> list[str]:
    from filmflow.catalog.db import connect
    from filmflow.config import DB_NAME, find_library

    try:
        root = find_library(ctx.find_root().params.get("library"))
        db_path = Path(root) / DB_NAME
        if not db_path.is_file():
            return []
        db = connect(db_path, migrate=False)
        try:
            return read(db.conn, prefix)
        finally:
            db.conn.close()
    except Exception:  # noqa: BLE001 - a completion shows nothing rather than an error
        return []


def complete_roll_code(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Roll codes of the library starting with what is typed."""
    from filmflow.catalog.names import roll_codes_starting

    return [CompletionItem(c) for c in _catalog_names(ctx, roll_codes_starting, incomplete)]


def complete_project(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Project names of the library starting with what is typed."""
    from filmflow.catalog.names import project_names_starting

    return [CompletionItem(n) for n in _catalog_names(ctx, project_names_starting, incomplete)]


def complete_query(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`key:` terms (with their examples as help), and values for `roll:` and `project:`."""
    from filmflow.catalog.names import project_names_starting, roll_codes_starting

    neg = "^" if incomplete.startswith("^") else ""
    text = incomplete[len(neg):]
    if ":" in text:
        key, value = text.split(":", 1)
        read = {"roll": roll_codes_starting, "project": project_names_starting}.get(key)
        if read is None:
            return []
        return [CompletionItem(f"{neg}{key}:{v}") for v in _catalog_names(ctx, read, value)]
    return [CompletionItem(f"{neg}{k}:", help=example) for k, example in KEYS.items() if k.startswith(text)]


def complete_sort(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Sort fields of the command (`rolls` or `frames`), '-' prefix kept for descending."""
    sorts = ROLL_SORTS if ctx.command.name == "rolls" else FRAME_SORTS
    neg = "-" if incomplete.startswith("-") else ""
    return [CompletionItem(f"{neg}{f}") for f in sorts if f.startswith(incomplete[len(neg):])]
