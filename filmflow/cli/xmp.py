"""CLI: `xmp write` / `xmp read` - XMP sidecars beside archived scans (SPEC "Metadata that travels")."""

from __future__ import annotations

import click

from filmflow.catalog.curation import frame_ids
from filmflow.cli import output
from filmflow.cli.listing import QUERY_HELP, compile_for, json_option


@click.group("xmp")
def xmp_group() -> None:
    """XMP sidecars for darktable, digiKam and Lightroom (R042_0012.jpg.xmp)."""


def _ids(ctx: click.Context, query: tuple[str, ...]):  # noqa: ANN202 - (library, ids)
    lib, db, compiled = compile_for(ctx, query, "frames")
    try:
        return lib, list(frame_ids(db, compiled))
    finally:
        db.conn.close()


def _show(report, verb: str, as_json: bool, dry_run: bool) -> None:  # noqa: ANN001 - XmpReport
    if as_json:
        output.emit_json(report.to_json(verb))
    else:
        would = "would be " if dry_run else ""
        n = getattr(report, verb)
        click.echo(f"{n} sidecar{'s' * (n != 1)} {would}{'written' if verb == 'written' else 'read'}"
                   f" ({report.unchanged} unchanged)")
        for c in report.changes:
            click.echo(f"  {c['ref']}: {c['field']} {c['old']!r} -> {c['new']!r}")
        for c in report.conflicts:
            click.echo(f"  conflict {c['ref']} {c['field']}: the {c['winner']} is newer and wins", err=True)
    for f in report.failed:
        click.echo(f"filmflow: {f['error']}", err=True)
    if report.failed:
        ctx = click.get_current_context()
        ctx.exit(1)


@xmp_group.command("write", epilog=QUERY_HELP)
@click.argument("query", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Count the sidecars that would change; write nothing.")
@json_option
@click.pass_context
def xmp_write(ctx: click.Context, query: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Write or update the XMP sidecar beside each matching frame's scan (all frames without QUERY).

    Rating (reject = -1), pick label, tags, caption and film data; properties of other
    programs in an existing sidecar are kept. The scan itself is never written.
    """
    from filmflow.metadata.sidecars import write_sidecars

    lib, ids = _ids(ctx, query)
    _show(write_sidecars(lib, ids, dry_run=dry_run), "written", as_json, dry_run)


@xmp_group.command("read", epilog=QUERY_HELP)
@click.argument("query", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Print the changes it would make; change nothing.")
@json_option
@click.pass_context
def xmp_read(ctx: click.Context, query: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Take in what another program changed in the sidecars of matching frames since filmflow wrote them.

    When both sides changed a field, the newer side wins and `conflicts` lists it.
    """
    from filmflow.metadata.sidecarread import read_sidecars

    lib, ids = _ids(ctx, query)
    _show(read_sidecars(lib, ids, dry_run=dry_run), "read", as_json, dry_run)


def register(root: click.Group) -> None:
    """Add the xmp group to the root group."""
    root.add_command(xmp_group)
