"""`filmflow verify`: is every archived file there, whole and unchanged (and `--repair`).

Parses options, calls `filmflow.fixity.verify`, prints the report or its JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from filmflow.cli import output
from filmflow.errors import InputError
from filmflow.fixity import verify as vf
from filmflow.library import Library

SHOW_MAX = 50  # problem lines printed per kind before "... and N more" (--json has them all)


def register(root: click.Group) -> None:
    """Add `verify` to the root group."""
    root.add_command(verify_run)


@click.command("verify")
@click.option("--rehash", is_flag=True,
              help="Recompute each file's SHA-256 (oldest-verified first) instead of checking sizes only.")
@click.option("--limit", type=int, metavar="N",
              help="Re-hash at most N frames this run (without --rehash: check at most N frames).")
@click.option("--max-time", "max_time", type=float, metavar="SECONDS",
              help="Stop re-hashing after this many seconds (a slice per night); sizes are still checked.")
@click.option("--repair", is_flag=True,
              help="Restore a missing or changed file from an identical copy (its ingest source or --from).")
@click.option("--from", "from_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="A folder holding copies of your scans (a backup) for --repair; may be repeated.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def verify_run(app: Any, rehash: bool, limit: int | None, max_time: float | None, repair: bool,
               from_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Check that every catalogued file is in the archive, whole and unchanged.

    Reports missing files, changed files (bit rot) and files in archive/ the catalog does
    not know; exits 1 when anything is wrong. verify never changes a file, except that
    --repair restores one by verified copy (a changed file is first moved aside to
    NAME.corrupt-YYYYMMDD, never deleted).
    """
    vf.check_options(limit, max_time, from_dirs)
    if from_dirs and not repair:
        raise InputError("--from is only used with --repair; add --repair or drop --from.")
    lib: Library = app.library()
    with _progress(lib, rehash, limit) as progress:
        report = vf.verify_library(lib, rehash=rehash, limit=limit, max_time=max_time, repair=repair,
                                   from_dirs=from_dirs, progress=progress)
    if as_json:
        output.emit_json(report.to_json())
    else:
        _print_verify(report)
    if report.failed:
        raise click.exceptions.Exit(1)


@contextmanager
def _progress(lib: Library, rehash: bool, limit: int | None) -> Iterator[vf.ProgressFn | None]:
    """A click progress bar on stderr when it is a terminal (bytes when hashing, else frames)."""
    if not sys.stderr.isatty():
        yield None
        return
    frames, nbytes = vf.verify_totals(lib, limit=limit)
    by_bytes = rehash and nbytes > 0
    bar = click.progressbar(length=(nbytes if by_bytes else frames) or 1, file=sys.stderr,
                            label="re-hashing" if rehash else "checking", show_eta=True, show_percent=True)
    with bar:
        def advance(n_frames: int, n_bytes: int) -> None:
            bar.update(n_bytes if by_bytes else n_frames)

        yield advance


def _print_verify(r: vf.VerifyReport) -> None:
    err = lambda text: click.echo(text, err=True)  # noqa: E731
    if r.archive_missing:
        err(f"filmflow: the archive folder {r.archive} is missing or empty: is its disk mounted? "
            f"{r.not_checked:,} catalogued frames there were not checked.")
    if r.rehash:
        how = f"re-hashed {r.hashed:,}, {r.hashed_bytes / 1e9:.2f} GB" + (
            f"; size-checked {r.checked - r.hashed:,}" if r.checked > r.hashed else "")
    else:
        how = "size check; --rehash recomputes SHA-256"
    click.echo(f"checked {r.checked:,} frames in {r.elapsed:.1f} s ({how})")
    if r.budget_reached:
        if r.rehash:
            click.echo(f"stopped re-hashing at the --limit/--max-time budget; "
                       f"{r.checked - r.hashed:,} frames wait for the next run")
        else:
            click.echo(f"stopped at the --limit/--max-time budget; {r.not_checked:,} frames not checked")
    fixed = {x.ref for x in r.repaired}

    def show(kind: str, lines: list[str]) -> None:
        for line in lines[:SHOW_MAX]:
            click.echo(f"{kind:<10}{line}")
        if len(lines) > SHOW_MAX:
            click.echo(f"{'':<10}... and {len(lines) - SHOW_MAX:,} more (--json lists them all)")

    show("MISSING", [f"{m.ref}  {m.path}" + ("  (repaired)" if m.ref in fixed else "") for m in r.missing])
    show("CHANGED", [f"{c.ref}  {c.path}  sha256 {(c.actual or '?')[:12]}… ≠ catalogued {c.expected[:12]}…"
                     + (f", {c.actual_bytes:,} bytes ≠ {c.expected_bytes:,}" if c.actual_bytes != c.expected_bytes
                        else "") + ("  (repaired)" if c.ref in fixed else "") for c in r.changed])
    show("UNREAD", [f"{u.ref}  {u.path}  ({u.error})" for u in r.unreadable])
    show("UNKNOWN", [str(p) for p in r.unknown])
    show("VERSION", [f"{ref}  {p}  (an edit saved into the archive: now a version of its frame)"
                     for ref, p in r.adopted])
    show("REPAIRED", [f"{x.ref}  from {x.source}" + (f"; the changed file is kept as {x.moved_aside.name}"
                                                     if x.moved_aside else "") for x in r.repaired])
    show("NOT FIXED", [f"{u.ref}  {u.reason}" for u in r.unrepaired])
    show("TEMP", [f"{p}  (left by an interrupted filmflow)" for p in r.temp_files])
    show("REMOVED", [f"{p}  (a leftover temporary file)" for p in r.removed_temp_files])
    if r.temp_files:
        click.echo(f"{len(r.temp_files):,} temporary file(s) of an interrupted filmflow are in the archive; "
                   "`filmflow verify --repair` removes those no running filmflow still writes.")
    if r.quarantined:
        click.echo(f"{len(r.quarantined):,} file(s) set aside by an earlier --repair (*.corrupt-*) are in the "
                   "archive; delete them once you have looked at them.")
    problems = len(r.missing) + len(r.changed) + len(r.unreadable)
    summary = (f"ok {r.ok:,} · missing {len(r.missing):,} · changed {len(r.changed):,} · "
               f"unknown {len(r.unknown):,}" + (f" · repaired {len(r.repaired):,}" if r.repaired else ""))
    click.echo(summary)
    if problems and not r.repaired and not r.archive_missing:
        err("filmflow: some catalogued files are missing or changed; run `filmflow verify --repair` "
            "(with --from BACKUP_DIR) to restore them from identical copies.")
