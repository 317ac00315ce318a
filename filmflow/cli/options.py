"""Option values shared by several commands (parsed here so each command module stays light)."""

from __future__ import annotations

import datetime as dt

import click

from filmflow.errors import InputError
from filmflow.query.refs import parse_roll_code


def parse_date_option(value: str | None, name: str = "--developed") -> str | None:
    """A YYYY-MM-DD option value, or InputError naming it."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def parse_code_option(value: str | None, name: str = "--roll") -> str | None:
    """A roll code option value (query/refs.py's grammar), or InputError naming the option and the fix."""
    if value is None:
        return None
    return parse_roll_code(value, name)


def _more_verbose(ctx: click.Context, _param: click.Parameter, count: int) -> None:
    if count:
        from filmflow.cli import AppContext, setup_logging

        app = ctx.find_object(AppContext)
        setup_logging(count, bool(app and app.debug))


# `filmflow rolls -v stock:portra` means the same as `filmflow -v rolls stock:portra`
verbose_option = click.option("-v", "--verbose", count=True, expose_value=False, callback=_more_verbose,
                              help="Say what the query meant (as the global -v does).")
