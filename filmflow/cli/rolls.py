"""`filmflow roll show|edit|sheet`: one roll, why it is tagged as it is, and fixing it."""

from __future__ import annotations

import click

from filmflow.metadata import sidecars
from filmflow.catalog.logs import roll_log_summary
from filmflow.catalog.rolls import get_roll
from filmflow.catalog.versions import roll_version_counts
from filmflow.cli import output
from filmflow.cli.completion import complete_roll_code
from filmflow.cli.options import parse_date_option
from filmflow.cli.sheets import roll_sheet
from filmflow.wording import count
from filmflow.opencatalog import open_catalog

SHOW_FIELDS = ("code", "title", "stock", "stock_iso", "ei", "push", "process", "format", "camera", "lens",
               "developed", "shot_from", "shot_to", "scanned", "lab", "developer", "scanner", "notes")


@click.group("roll")
def roll_group() -> None:
    """Show, edit or print a contact sheet of one roll."""


@roll_group.command("show")
@click.argument("code", shell_complete=complete_roll_code)
@click.option("--json", "as_json", is_flag=True, help="Print the roll as a JSON object (code, stock, ei, push, developed, frames, path...) with `sources`: where each field came from.")
@click.pass_obj
def roll_show(app, code: str, as_json: bool) -> None:
    """Show a roll and where each field came from."""
    lib = app.library()
    db = open_catalog(lib)
    roll = get_roll(db, code, lib.root)
    film_log = roll_log_summary(db.conn, roll.id)
    versions = roll_version_counts(db.conn, roll.id)
    db.conn.close()
    if as_json:
        output.emit_json({**roll.to_json(with_sources=True), "log": film_log, "versions": versions})
        return
    pairs = []
    for f in SHOW_FIELDS:
        v = getattr(roll, f)
        if v is None or v == "":
            continue
        if f == "push":
            v = f"{v:+g}" if v else "0"
        origin = roll.sources.get(f)
        pairs.append((f, f"{v}" + (f"   ({origin})" if origin else "")))
    pairs += [("tags", ", ".join(roll.tags) or "-"), ("frames", roll.frames), ("source", roll.source),
              ("path", roll.path)]
    if film_log:
        pairs.append(("log", f"{film_log['file']} ({film_log['format']}): {film_log['frames']} frames logged, "
                             f"{film_log['paired']} scans paired"))
    if versions["edit"] or versions["scan"]:
        pairs.append(("versions", ", ".join(count(n, what) for n, what in
                                            ((versions["edit"], "edit"), (versions["scan"], "re-scan")) if n)))
    output.kv(pairs)


@roll_group.command("edit")
@click.argument("code", shell_complete=complete_roll_code)
@click.option("--code", "new_code", help="New roll code (re-files the roll's files by verified move).")
@click.option("--stock", help="Film stock by name or alias.")
@click.option("--ei", type=click.IntRange(1, 100_000), help="Exposure index.")
@click.option("--format", "fmt", help="135, 120, 645, 6x6, 6x7, 6x9, 4x5 ...")
@click.option("--camera")
@click.option("--lens")
@click.option("--developed", help="YYYY-MM-DD")
@click.option("--shot", help="YYYY-MM-DD or FROM..TO")
@click.option("--lab")
@click.option("--developer", help="Chemistry, e.g. 'HC-110 B 7min'.")
@click.option("--notes")
@click.option("--title")
@click.option("--json", "as_json", is_flag=True, help="Print the roll afterwards as JSON.")
@click.pass_obj
def roll_edit(app, code, new_code, stock, ei, fmt, camera, lens, developed, shot, lab, developer, notes, title,
              as_json) -> None:
    """Change a roll's metadata (origin becomes `option`)."""
    lib = app.library()
    changes = {"code": new_code, "stock": stock, "ei": ei, "format": fmt, "camera": camera, "lens": lens,
               "developed": parse_date_option(developed), "shot": shot, "lab": lab, "developer": developer,
               "notes": notes, "title": title}
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise click.UsageError("nothing to change; give at least one option such as --stock or --camera.")
    from filmflow.rolledit import edit_roll

    roll, moved = edit_roll(lib, code, changes)
    sidecars.sync_roll(lib, roll.code)  # [xmp] sidecars = "auto"
    if as_json:
        output.emit_json(roll.to_json(with_sources=True))
    else:
        click.echo(f"{roll.code}: updated {', '.join(changes)}" + (f"; {count(moved, 'file')} re-filed to {roll.path}" if moved else ""))


roll_group.add_command(roll_sheet)


def register(root: click.Group) -> None:
    """Add the `roll` group."""
    root.add_command(roll_group)
