"""Option values shared by several commands (parsed here so each command module stays light)."""

from __future__ import annotations

import datetime as dt

from filmflow.errors import InputError


def parse_date_option(value: str | None, name: str = "--developed") -> str | None:
    """A YYYY-MM-DD option value, or InputError naming it."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD.") from None
