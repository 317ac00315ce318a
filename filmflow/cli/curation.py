"""CLI: curation over a query: `rate`, `pick`, `reject`, `unflag`, `tag add`, `tag remove`.

Each compiles its query (cli/listing.compile_for), changes the frames through
`filmflow.catalog.curation` and keeps XMP sidecars in step ([xmp] sidecars = "auto").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from filmflow.catalog import curation
from filmflow.catalog.curation import Change
from filmflow.cli import output
from filmflow.cli.completion import complete_query
from filmflow.cli.listing import QUERY_HELP, compile_for, json_option
from filmflow.cli.options import verbose_option
from filmflow.errors import InputError
from filmflow.metadata.sidecars import kept_in_step
from filmflow.catalog.querysql import Compiled

all_option = click.option("--all", "all_", is_flag=True, help="Allow an empty QUERY to mean every frame.")


def require_query(query: Sequence[str], all_: bool, verb: str) -> None:
    """Refuse an empty query unless --all was given (a slip must not touch every frame)."""
    if not query and not all_:
        raise InputError(f"{verb} needs a QUERY naming the frames (e.g. roll:R042 or R042/12); "
                         "pass --all to mean every frame.")


def _report(change: Change, done: str, as_json: bool) -> None:
    if as_json:
        output.emit_json({"matched": change.matched, "changed": change.changed})
    else:
        unchanged = change.matched - change.changed
        tail = f" ({unchanged} already were)" if unchanged > 0 else ""
        noun = "frame" if change.changed == 1 else "frames"
        click.echo(f"{done.format(n=change.changed, frames=noun)}{tail}")
        if not change.matched:
            click.echo("no frames matched the query.", err=True)
    if change.note:
        click.echo(f"filmflow: {change.note}", err=True)


def _run(ctx: click.Context, query: Sequence[str], all_: bool, verb: str,
         action: Callable[[Any, Compiled], Change], done: str, as_json: bool) -> None:
    require_query(query, all_, verb)
    lib, db, compiled = compile_for(ctx, query, "frames")
    with kept_in_step(lib, db, compiled):  # [xmp] sidecars = "auto"
        change = action(db, compiled)
    _report(change, done, as_json)


@click.command("rate", epilog=QUERY_HELP)
@click.argument("stars", type=click.IntRange(0, 5))
@click.argument("query", nargs=-1, shell_complete=complete_query)
@all_option
@json_option
@verbose_option
@click.pass_context
def rate(ctx: click.Context, stars: int, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
    """Give STARS (0-5) to every frame matching QUERY."""
    _run(ctx, query, all_, "rate", lambda db, c: curation.rate_frames(db, c, stars),
         f"rated {{n}} {{frames}} {stars}", as_json)


def _pick_command(name: str, state: str, doc: str, done: str) -> click.Command:
    @click.command(name, epilog=QUERY_HELP, help=doc)
    @click.argument("query", nargs=-1, shell_complete=complete_query)
    @all_option
    @json_option
    @verbose_option
    @click.pass_context
    def command(ctx: click.Context, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
        _run(ctx, query, all_, name, lambda db, c: curation.pick_frames(db, c, state), done, as_json)

    return command


pick = _pick_command("pick", "yes", "Mark the frames matching QUERY as picks.", "picked {n} {frames}")
reject = _pick_command("reject", "reject", "Mark the frames matching QUERY as rejects.", "rejected {n} {frames}")
unflag = _pick_command("unflag", "no", "Clear the pick/reject mark of the frames matching QUERY.",
                       "unflagged {n} {frames}")


@click.group("tag")
def tag_group() -> None:
    """Add or remove a frame tag over a query."""


@tag_group.command("add", epilog=QUERY_HELP)
@click.argument("tag")
@click.argument("query", nargs=-1, shell_complete=complete_query)
@all_option
@json_option
@verbose_option
@click.pass_context
def tag_add(ctx: click.Context, tag: str, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
    """Tag every frame matching QUERY with TAG."""
    _run(ctx, query, all_, "tag add", lambda db, c: curation.tag_frames(db, c, tag),
         f"tagged {{n}} {{frames}} {tag!r}", as_json)


@tag_group.command("remove", epilog=QUERY_HELP)
@click.argument("tag")
@click.argument("query", nargs=-1, shell_complete=complete_query)
@all_option
@json_option
@verbose_option
@click.pass_context
def tag_remove(ctx: click.Context, tag: str, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
    """Remove TAG from every frame matching QUERY."""
    _run(ctx, query, all_, "tag remove", lambda db, c: curation.untag_frames(db, c, tag),
         f"removed {tag!r} from {{n}} {{frames}}", as_json)


def register(root: click.Group) -> None:
    """Add the curation commands to the root group."""
    for cmd in (rate, pick, reject, unflag, tag_group):
        root.add_command(cmd)
