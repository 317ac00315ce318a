"""CLI: the `project` group (create, list, show, add, remove, move, caption, rename, delete).

`project_group` is exported so other CLI modules can add `project sheet` / `project export`.
"""

from __future__ import annotations

import logging

import click

from filmflow.metadata import sidecars
from filmflow.catalog import projects as core
from filmflow.cli import output
from filmflow.cli.completion import complete_project, complete_query
from filmflow.cli.export import project_export
from filmflow.cli.sheets import project_sheet
from filmflow.cli.curation import all_option, require_query
from filmflow.cli.listing import QUERY_HELP, compile_for, json_option
from filmflow.wording import count
from filmflow.cli.options import verbose_option
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


@click.group("project")
def project_group() -> None:
    """Named, ordered sets of frames with captions."""


def _db(ctx: click.Context):  # noqa: ANN202 - Catalog
    return open_catalog(ctx.obj.library())


@project_group.command("create")
@click.argument("name")
@click.option("--title", help="A display title (defaults to NAME where one is needed).")
@click.option("--description", help="A longer description.")
@json_option
@click.pass_context
def project_create(ctx: click.Context, name: str, title: str | None, description: str | None, as_json: bool) -> None:
    """Create an empty project NAME (any Unicode)."""
    info = core.create_project(_db(ctx), name, title, description)
    if as_json:
        output.emit_json(info.to_json())
    else:
        click.echo(f"created project {info.name}")


@project_group.command("list")
@json_option
@click.pass_context
def project_list(ctx: click.Context, as_json: bool) -> None:
    """List projects and how many frames each holds."""
    infos = core.list_projects(_db(ctx))
    if as_json:
        output.emit_json([i.to_json() for i in infos])
        return
    if not infos:
        click.echo("no projects yet; `filmflow project create NAME` makes one.", err=True)
        return
    output.table([[i.name, i.size, i.title, i.updated_at] for i in infos], ["NAME", "FRAMES", "TITLE", "UPDATED"],
                 right=(1,))


@project_group.command("show")
@click.argument("name", shell_complete=complete_project)
@json_option
@click.pass_context
def project_show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show project NAME's frames in order, with captions."""
    lib = ctx.obj.library()
    project = core.get_project(open_catalog(lib), name, lib.root)
    if as_json:
        output.emit_json(project.to_json())
        return
    info = project.info
    output.kv([("project", info.name), ("title", info.title), ("description", info.description),
               ("frames", info.size)])
    if project.entries:
        click.echo()
        output.table([[e.position, e.frame.ref, "*" * e.frame.rating or "-",
                       {"yes": "pick", "reject": "reject"}.get(e.frame.pick), e.text]
                      for e in project.entries], ["#", "REF", "RATING", "PICK", "CAPTION"], right=(0,))


@project_group.command("add", epilog=QUERY_HELP)
@click.argument("name", shell_complete=complete_project)
@click.argument("query", nargs=-1, shell_complete=complete_query)
@all_option
@json_option
@verbose_option
@click.pass_context
def project_add(ctx: click.Context, name: str, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
    """Append the frames matching QUERY to project NAME (frames already in it stay where they are)."""
    require_query(query, all_, "project add")
    _, db, compiled = compile_for(ctx, query, "frames")
    change = core.add_frames(db, name, compiled)
    info = core.get_project_info(db.conn, name)
    if as_json:
        output.emit_json({"matched": change.matched, "added": change.changed, "frames": info.size})
        return
    already = change.matched - change.changed
    click.echo(f"added {count(change.changed, 'frame')} to {info.name}"
               + (f" ({already} already in it)" if already else "") + f"; it holds {info.size}")
    if not change.matched:
        click.echo("no frames matched the query.", err=True)


@project_group.command("remove", epilog=QUERY_HELP)
@click.argument("name", shell_complete=complete_project)
@click.argument("query", nargs=-1, shell_complete=complete_query)
@all_option
@json_option
@verbose_option
@click.pass_context
def project_remove(ctx: click.Context, name: str, query: tuple[str, ...], all_: bool, as_json: bool) -> None:
    """Take the frames matching QUERY out of project NAME (the frames stay in the catalog)."""
    require_query(query, all_, "project remove")
    _, db, compiled = compile_for(ctx, query, "frames")
    change = core.remove_frames(db, name, compiled)
    info = core.get_project_info(db.conn, name)
    if as_json:
        output.emit_json({"removed": change.changed, "frames": info.size})
        return
    click.echo(f"removed {count(change.changed, 'frame')} from {info.name}; "
               f"it holds {info.size}")


@project_group.command("move", short_help="Move FRAME to POSITION (1-based) in project NAME.")
@click.argument("name", shell_complete=complete_project)
@click.argument("frame")
@click.argument("position", type=int)
@click.pass_context
def project_move(ctx: click.Context, name: str, frame: str, position: int) -> None:
    """Move FRAME (e.g. R042/12) to POSITION (1-based) in project NAME."""
    template = ctx.obj.library().settings.code_template  # R1/3 is R001/3
    old, new = core.move_frame(_db(ctx), name, frame, position, template)
    click.echo(f"moved {frame} from position {old} to {new}")


@project_group.command("caption")
@click.argument("name", shell_complete=complete_project)
@click.argument("frame")
@click.argument("text")
@click.pass_context
def project_caption(ctx: click.Context, name: str, frame: str, text: str) -> None:
    """Set project NAME's caption for FRAME to TEXT ("" clears it)."""
    lib = ctx.obj.library()
    db = _db(ctx)
    _, canon = core.frame_id(db.conn, frame, lib.settings.code_template)  # R1/3 is R001/3
    stored = core.set_caption(db, name, canon, text)
    sidecars.sync_refs(lib, [canon])  # [xmp] sidecars = "auto"
    click.echo(f"captioned {canon}" if stored is not None else f"cleared the caption of {canon}")


@project_group.command("rename")
@click.argument("name", shell_complete=complete_project)
@click.argument("new")
@click.pass_context
def project_rename(ctx: click.Context, name: str, new: str) -> None:
    """Rename project NAME to NEW."""
    info = core.rename_project(_db(ctx), name, new)
    click.echo(f"renamed project {name} to {info.name}")


@project_group.command("delete")
@click.argument("name", shell_complete=complete_project)
@click.pass_context
def project_delete(ctx: click.Context, name: str) -> None:
    """Delete project NAME (its frames, files and tags are not touched)."""
    info = core.delete_project(_db(ctx), name)
    click.echo(f"deleted project {info.name} ({count(info.size, 'frame')} left in the catalog)")


project_group.add_command(project_sheet)
project_group.add_command(project_export)


def register(root: click.Group) -> None:
    """Add this module's commands to the root group."""
    root.add_command(project_group)
