"""`filmflow version add|list|prefer`: edits and re-scans of a frame, and which one is shown."""

from __future__ import annotations

from pathlib import Path

import click

from filmflow.cli import output
from filmflow.opencatalog import open_catalog


@click.group("version")
def version_group() -> None:
    """Versions of a frame: its scan, re-scans and edits; the preferred one is shown."""


def _frame(lib, ref: str):
    from filmflow.catalog.frames import get_frame

    db = open_catalog(lib)
    try:
        return get_frame(db, ref, lib.root)
    finally:
        db.conn.close()


@version_group.command("add", short_help="Add an edit or a re-scan to a frame.")
@click.argument("frame")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--kind", type=click.Choice(["edit", "scan"]), default="edit", show_default=True,
              help="edit: derived from a scan (darktable, Lightroom, GIMP); scan: another scan of the negative.")
@click.option("--prefer", is_flag=True, help="Show this version from now on (sheets, export, light table).")
@click.pass_obj
def version_add(app, frame: str, file: Path, kind: str, prefer: bool) -> None:
    """Archive FILE beside FRAME's scan (verified copy; FILE is never touched) as its next version."""
    from filmflow.versions import add_version

    lib = app.library()
    fr = _frame(lib, frame)
    n = add_version(lib, fr, file, kind=kind, prefer=prefer)
    click.echo(f"{fr.ref}: version {n} ({kind}) <- {file}" + (" (preferred)" if prefer else ""))


@version_group.command("list", short_help="List a frame's versions.")
@click.argument("frame")
@click.option("--json", "as_json", is_flag=True, help="The frame's `versions` list (n, kind, file, path, sha256, "
                                                      "width, height, bits, preferred).")
@click.pass_obj
def version_list(app, frame: str, as_json: bool) -> None:
    """List FRAME's versions; * marks the one shown."""
    fr = _frame(app.library(), frame)
    versions = fr.to_json()["versions"]
    if as_json:
        output.emit_json(versions)
        return
    output.table([("*" if v["preferred"] else "", v["n"], v["kind"], v["file"],
                   f"{v['width']}x{v['height']}" if v["width"] else "", v["bits"], v["path"]) for v in versions],
                 ["", "N", "KIND", "FILE", "SIZE", "BITS", "PATH"], right=(1, 5))


@version_group.command("prefer", short_help="Choose the version a frame shows.")
@click.argument("frame")
@click.argument("n", type=click.IntRange(1, 10_000))
@click.pass_obj
def version_prefer(app, frame: str, n: int) -> None:
    """Show version N of FRAME in sheets, export, the gallery and the light table (1 = the scan)."""
    from filmflow.versions import prefer_version

    lib = app.library()
    fr = _frame(lib, frame)
    prefer_version(lib, fr, n)
    click.echo(f"{fr.ref}: version {n} is shown")


def register(root: click.Group) -> None:
    """Add `version` to the root group."""
    root.add_command(version_group)
