"""`filmflow ingest`: scan folders and lab zips become rolls (progress bar on a terminal).

Its report printing (`show_reports`) serves `watch --once` too (cli/watch.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from filmflow.ingest.mode import IngestMode
from filmflow.cli import output
from filmflow.cli.completion import complete_roll_code
from filmflow.cli.options import parse_code_option, parse_date_option
from filmflow.errors import ExitStatus
from filmflow.ingest.run import ingest_sources

MODES = click.Choice([m.value for m in IngestMode])


def report_lines(reports) -> None:
    """One line per scan folder, for people."""
    for r in reports:
        what = "would add" if r.dry_run else "added"
        parts = [f"{len(r.added)} {what}"]
        if r.duplicates:
            parts.append(f"{len(r.duplicates)} duplicate{'s' if len(r.duplicates) != 1 else ''}")
        if r.failed:
            parts.append(f"{len(r.failed)} failed")
        roll = r.roll or "-"
        click.echo(f"{roll:<8} {r.source}: {', '.join(parts)}" + (f"  → {r.path}" if r.path and r.added else ""))
        for f in r.failed:
            click.echo(f"    failed: {f['error']}", err=True)


def show_reports(reports, as_json: bool, name_failures: bool = True) -> None:
    """JSON on stdout (failures still named on stderr) or lines for people; exit 1 on failures."""
    if as_json:
        output.emit_json([r.to_json() for r in reports])
        for r in reports if name_failures else ():
            for f in r.failed:
                click.echo(f"filmflow: {f['error']}", err=True)
    else:
        report_lines(reports)
    if any(r.failed for r in reports):
        sys.exit(ExitStatus.FAILED)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--mode", type=MODES, default=None, help="copy (default), move (verified) or in-place.")
@click.option("--roll", "code", shell_complete=complete_roll_code, help="Roll code for these scans (an existing code joins that roll).")
@click.option("--stock", help="Film stock, by name or alias (e.g. portra400, 'HP5+', 포트라400).")
@click.option("--ei", type=click.IntRange(1, 100_000), help="Exposure index the film was shot at.")
@click.option("--developed", help="Development date, YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per scan folder.")
@click.pass_obj
def ingest(app, paths, mode, code, stock, ei, developed, dry_run, as_json) -> None:
    """Ingest scan folders or lab .zip files, one roll each."""
    lib = app.library()
    options = {"code": parse_code_option(code, "--roll"), "stock": stock, "ei": ei, "developed": parse_date_option(developed)}
    options = {k: v for k, v in options.items() if v is not None}
    mode_enum = IngestMode(mode or lib.settings.mode)
    show_bar = not as_json and sys.stderr.isatty()
    bars = []

    def progress(plan):
        if not show_bar or not plan.files:
            return None
        bar = click.progressbar(length=len(plan.files), label=f"{plan.code} {plan.source_name}"[:40],
                                file=sys.stderr, show_pos=True)
        bar.__enter__()
        bars.append(bar)

        def step(n: int) -> None:
            bar.update(n)
            if bar.pos >= bar.length:
                bar.__exit__(None, None, None)
        return step

    import signal

    def stop(*_):  # SIGTERM stops like Ctrl-C: the ingest removes its temp copies, exit 130
        raise KeyboardInterrupt

    prev = signal.signal(signal.SIGTERM, stop)
    try:
        reports, plans = ingest_sources(lib, list(paths), mode=mode_enum, options=options, dry_run=dry_run,
                                        progress=progress)
    finally:
        signal.signal(signal.SIGTERM, prev)
    show_reports(reports, as_json)




def register(root: click.Group) -> None:
    """Add `ingest`."""
    root.add_command(ingest)
