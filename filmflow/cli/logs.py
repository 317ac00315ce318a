"""`filmflow log import`: film logs from phone apps onto rolls and frames."""

from __future__ import annotations

from pathlib import Path

import click

from filmflow.cli import output


@click.group("log")
def log_group() -> None:
    """Film logs from phone apps (Exif Notes, Lightme Logbook, Film Rolls, plain CSV)."""


@log_group.command("import", short_help="Pair film-log files with their rolls and frames.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--roll", "roll", metavar="CODE", help="The roll the log belongs to (else the code or name in the log).")
@click.option("--dry-run", is_flag=True, help="Print the pairing and what stays unmatched; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="One object per log: file, format, roll, matched, unmatched, created_roll.")
@click.pass_obj
def log_import(app, files: tuple[Path, ...], roll: str | None, dry_run: bool, as_json: bool) -> None:
    """Import film logs: each frame's time, aperture, shutter, lens, focal length, place and note.

    The format is read from the content: Exif Notes CSV (`*_csv.txt`) and JSON, Lightme
    Logbook JSON, Film Rolls XML, or a CSV whose header names `frame`. A log joins the roll
    `--roll` names, else the roll its code or name matches, else a new roll with no scans
    yet, which scans join when they arrive under its code. Importing again replaces the log.
    """
    from filmflow.logs.importer import import_logs

    reports = import_logs(app.library(), list(files), roll=roll, dry_run=dry_run)
    if as_json:
        output.emit_json([r.to_json() for r in reports])
        return
    for r in reports:
        verb = "would pair" if dry_run else "paired"
        made = " (a new roll with no scans yet)" if r.created_roll else ""
        click.echo(f"{r.file}: {r.format} -> {r.roll}{made}: {verb} {r.matched} frame{'s' if r.matched != 1 else ''}")
        if r.roll_fields:
            click.echo("  roll: " + ", ".join(f"{k} {v}" for k, v in r.roll_fields.items()))
        if r.unmatched:
            click.echo(f"  logged but not scanned ({len(r.unmatched)}): {' '.join(r.unmatched)}"
                       + ("" if r.created_roll else " (kept; scans that arrive later take them)"))
        if r.scans_without_log:
            click.echo(f"  scanned but not logged ({len(r.scans_without_log)}): {' '.join(r.scans_without_log)}")


def register(root: click.Group) -> None:
    """Add `log` to the root group."""
    root.add_command(log_group)
