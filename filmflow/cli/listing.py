"""CLI: the listings `rolls` and `frames`, and what every query command shares (compiling a
query, --json, the query help); curation over a query is cli/curation.py.

Commands parse options, compile the query through `filmflow.query` and read through
`filmflow.catalog`; results go to stdout, what the query meant to stderr with -v.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from filmflow.catalog import curation
from filmflow.catalog.frames import read_frames
from filmflow.catalog.models import Frame, Roll
from filmflow.cli import output
from filmflow.cli.completion import complete_query, complete_sort
from filmflow.cli.options import verbose_option
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import FRAME_SORTS, ROLL_SORTS, Compiled, compile_args, order_by
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)

QUERY_HELP = ("QUERY terms are AND-ed: key:value (rating:>=4, stock:portra400, developed:2023-05, "
              "tag:print, project:NAME ...), bare words (searched in titles, notes, captions, stock and "
              "folder names), frame references (R042/12); a leading ^ negates a term (^tag:print).")


def compile_for(ctx: click.Context, query: Sequence[str], target: str = "frames") -> tuple[Any, Any, Compiled]:
    """Open the library and compile QUERY for `target`; returns (library, db, compiled)."""
    lib = ctx.obj.library()
    db = open_catalog(lib)
    resolver = CatalogResolver(db.conn, lib.stocks, lib.formats, lib.settings.code_template)
    compiled = compile_args(query, resolver, target)  # type: ignore[arg-type]
    log.info("%s matching: %s", target, compiled.description)
    return lib, db, compiled


def _check_sort(sort: str | None, target: str) -> None:
    order_by(sort, target)  # type: ignore[arg-type]  # InputError naming the fields before any work


def _echo_lines(lines: Iterable[str], chunk: int = 1000) -> None:
    """One item per line, written in chunks (a per-line echo dominates a 200k-path listing)."""
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= chunk:
            click.echo("\n".join(buf))
            buf = []
    if buf:
        click.echo("\n".join(buf))


def _stars(n: int) -> str:
    return "*" * n if n else "-"


def _frame_row(f: Frame, sort: str | None = None) -> list[Any]:
    w, h = f.display_size  # as the scan is shown (EXIF orientation applied)
    size = f"{w}x{h}" if w and h else None
    pick = {"yes": "pick", "reject": "reject"}.get(f.pick)
    return [f.ref, _stars(f.rating), pick, size, f.tags, f.projects, f.caption or f.file]


def _date_column(sort: str | None) -> str:
    """The rolls table shows the date it is sorted by: SHOT for --sort shot, else DEVELOPED."""
    return "SHOT" if (sort or "").strip().lstrip("-+").lower() == "shot" else "DEVELOPED"


def _roll_row(r: Roll, sort: str | None = None) -> list[Any]:
    push = None if r.push in (None, 0) else r.push
    date = r.shot_from if _date_column(sort) == "SHOT" else r.developed
    return [r.code, date, r.stock, r.ei or r.stock_iso, push, r.format, r.camera,
            r.frames, r.title]


# per listing target: paths, objects, table row, table headers, right-aligned columns
_LISTINGS = {
    "frames": (curation.frame_paths, read_frames, _frame_row,
               ["REF", "RATING", "PICK", "SIZE", "TAGS", "PROJECTS", "CAPTION/FILE"], ()),
    "rolls": (curation.roll_paths, curation.list_rolls, _roll_row,
              ["CODE", "{date}", "STOCK", "EI", "PUSH", "FORMAT", "CAMERA", "FRAMES", "TITLE"], (3, 7)),
}


def _listing(ctx: click.Context, target: str, query: tuple[str, ...], sort: str | None, limit: int | None,
             as_json: bool, paths: bool) -> None:
    """`frames` and `rolls`: --paths lines, streamed --json, or an aligned table."""
    list_paths, list_items, row, headers, right = _LISTINGS[target]
    _check_sort(sort, target)
    lib, db, compiled = compile_for(ctx, query, target)
    if paths:
        _echo_lines(list_paths(db, compiled, sort, limit, lib.root))
        return
    items = list_items(db, compiled, sort, limit, lib.root)
    if as_json:
        output.emit_json_stream(i.to_json() for i in items)
        return
    rows = [row(i, sort) for i in items]
    if not rows:
        click.echo(f"no {target} match ({compiled.description}).", err=True)
        return
    output.table(rows, [h.format(date=_date_column(sort)) for h in headers], right=right)


sort_option = click.option("--sort", "sort", metavar="FIELD", shell_complete=complete_sort,
                           help="Sort field; prefix '-' for descending.")
# SQLite's LIMIT is a 64-bit integer: a larger N is bad input (exit 2), not an internal error
limit_option = click.option("--limit", type=click.IntRange(min=0, max=2 ** 63 - 1), metavar="N",
                            help="At most N results.")
# what --json prints, by the command function it decorates (one decorator for every listing and change)
JSON_HELP = {
    "frames_list": "Print a JSON array of frame objects (ref, roll, frame, path, sha256, rating, pick, tags...), "
                   "streamed.",
    "rolls_list": "Print a JSON array of roll objects (code, title, stock, ei, push, developed, frames, path...), "
                  "streamed.",
    "project_create": "Print the new project as JSON (name, title, description, frames: its size).",
    "project_list": "Print a JSON array of projects (name, title, description, frames: each one's size).",
    "project_show": "Print the project as JSON: name, title, description and its frames in order, each with "
                    "position and caption.",
    "project_add": 'Print {"matched", "added", "frames"} as JSON: frames the query matched, added, now in the '
                   "project.",
    "project_remove": 'Print {"removed", "frames"} as JSON: frames removed, left in the project.',
}
CHANGE_JSON_HELP = 'Print {"matched", "changed"} as JSON: frames the query matched, and changed.'


def json_option(f: Callable) -> Callable:
    """--json, with a help text saying what that command's JSON is."""
    return click.option("--json", "as_json", is_flag=True,
                        help=JSON_HELP.get(f.__name__, CHANGE_JSON_HELP))(f)
paths_option = click.option("--paths", is_flag=True, help="One file path per line, for piping.")


@click.command("frames", epilog=QUERY_HELP)
@click.argument("query", nargs=-1, shell_complete=complete_query)
@sort_option
@limit_option
@json_option
@paths_option
@verbose_option
@click.pass_context
def frames_list(ctx: click.Context, query: tuple[str, ...], sort: str | None, limit: int | None,
                as_json: bool, paths: bool) -> None:
    """List frames matching QUERY (all frames without one)."""
    _listing(ctx, "frames", query, sort, limit, as_json, paths)


frames_list.help = (f"List frames matching QUERY (all frames without one).\n\n"
                    f"Sort fields: {', '.join(FRAME_SORTS)} (prefix '-' for descending; default ref).")


@click.command("rolls", epilog=QUERY_HELP)
@click.argument("query", nargs=-1, shell_complete=complete_query)
@sort_option
@limit_option
@json_option
@paths_option
@verbose_option
@click.pass_context
def rolls_list(ctx: click.Context, query: tuple[str, ...], sort: str | None, limit: int | None,
               as_json: bool, paths: bool) -> None:
    """List rolls matching QUERY."""
    _listing(ctx, "rolls", query, sort, limit, as_json, paths)


rolls_list.help = (f"List rolls matching QUERY; a frame key (rating:5) means rolls having such a frame.\n\n"
                   f"Sort fields: {', '.join(ROLL_SORTS)} (prefix '-' for descending; default developed).")


def register(root: click.Group) -> None:
    """Add this module's commands to the root group."""
    for cmd in (rolls_list, frames_list):
        root.add_command(cmd)
