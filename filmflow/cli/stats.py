"""CLI commands `stats` (year in review, chart, picks sheet) and `verify` (fixity, repair).

Parses options, calls `filmflow.stats` / `filmflow.verify`, and prints: tables for
people, `--json` for scripts; progress goes to stderr and only when it is a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from filmflow import chart as ch
from filmflow import stats as st
from filmflow import verify as vf
from filmflow.cli import output
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.wording import count, stops

SHOW_MAX = 50  # problem lines printed per kind before "... and N more" (--json has them all)


def register(root: click.Group) -> None:
    """Add `stats` and `verify` to the root group."""
    root.add_command(stats_show)
    root.add_command(verify_run)


# --- stats ----------------------------------------------------------------------------


@click.command("stats")
@click.option("--year", "year_text", metavar="YYYY|all",
              help="The year to sum up (default: the current one); `all` for the whole archive.")
@click.option("--chart", type=click.Path(path_type=Path, dir_okay=False),
              help="Draw the year as a chart: .png, .svg or .pdf (needs `pip install 'filmflow[charts]'`).")
@click.option("--sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Render the year's picks as a contact sheet (.jpg, .png or .pdf).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_obj
def stats_show(app: Any, year_text: str | None, chart: Path | None, sheet: Path | None, as_json: bool) -> None:
    """Year in review: rolls, frames, picks, stocks, formats, cameras, push/pull, projects.

    Also the keeper rate (picks per frame) per stock and camera, each stock's first and
    last roll, and the lab turnaround (last shot date to developed date).
    """
    year = st.parse_year(year_text)
    if chart is not None:
        ch.check_chart_path(chart)
        ch.require_matplotlib()
    if sheet is not None and not sheet.absolute().parent.is_dir():
        raise InputError(f"the folder {sheet.absolute().parent} for sheet {sheet.name} does not exist; "
                         "create it first.")
    lib: Library = app.library()
    db = lib.db()
    try:
        figures = st.year_stats(db, year)
        picks = st.year_pick_frames(lib, db, year) if sheet is not None else []
    finally:
        db.conn.close()

    if chart is not None:
        font = Path(lib.settings.font).expanduser() if lib.settings.font else None
        ch.render_chart(figures, chart, font=font if font and font.is_file() else None)
    sheet_result = _render_sheet(lib, figures, picks, sheet) if sheet is not None else None

    if as_json:
        doc = figures.to_json()
        if chart is not None:
            doc["chart"] = str(chart)
        if sheet_result is not None:
            doc["sheet"] = {"path": str(sheet_result.path), "pages": sheet_result.pages,
                            "frames": sheet_result.frames}
        output.emit_json(doc)
        return
    _print_stats(figures)
    if chart is not None:
        click.echo(f"\nchart: {chart}")
    if sheet_result is not None:
        pages = f", {sheet_result.pages} pages" if sheet_result.pages > 1 else ""
        click.echo(f"sheet: {sheet_result.path} ({count(sheet_result.frames, 'pick')}{pages})")


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _print_stats(s: st.YearStats) -> None:
    head = f"{s.label}: {count(s.rolls, 'roll')} · {count(s.frames, 'frame')} · {count(s.picks, 'pick')}"
    if s.keeper_rate is not None:
        head += f" ({_pct(s.keeper_rate)} keepers)"
    if s.edited_picks:
        head += f" · {count(s.edited_picks, 'edited pick')}"
    if s.rejects:
        head += f" · {count(s.rejects, 'reject')}"
    click.echo(head)
    if not s.rolls:
        click.echo(f"no rolls in {s.label}; `filmflow stats --year all` sums up the whole archive.")
        return

    click.echo("\nBy stock")
    output.table(
        [(g.name, g.rolls, g.frames, g.picks, _pct(g.keeper_rate),
          f"{g.first['code']} {g.first['date'] or ''}".strip() if g.first else None,
          f"{g.last['code']} {g.last['date'] or ''}".strip() if g.last else None)
         for g in s.stocks],
        ["stock", "rolls", "frames", "picks", "keepers", "first roll", "last roll"], right=(1, 2, 3, 4))

    click.echo("\nBy camera")
    output.table([(g.name, g.rolls, g.frames, g.picks, _pct(g.keeper_rate)) for g in s.cameras],
                 ["camera", "rolls", "frames", "picks", "keepers"], right=(1, 2, 3, 4))

    if s.lenses:
        click.echo("\nBy lens")
        output.table([(g.name, g.rolls, g.frames, g.picks, _pct(g.keeper_rate)) for g in s.lenses],
                     ["lens", "rolls", "frames", "picks", "keepers"], right=(1, 2, 3, 4))
    if s.by_aperture or s.by_focal_length:
        click.echo("\nApertures (logged frames): " + ", ".join(f"{k} {n}" for k, n in s.by_aperture.items()))
        click.echo("Focal lengths (logged frames): " + ", ".join(f"{k} {n}" for k, n in s.by_focal_length.items()))

    click.echo("\nRolls per month")
    peak = max(s.by_month.values(), default=0) or 1
    output.table([(m, n, "█" * round(20 * n / peak)) for m, n in s.by_month.items()],
                 ["month", "rolls", ""], right=(1,))

    click.echo("\nBy format")
    output.table(list(s.by_format.items()), ["format", "rolls"], right=(1,))
    click.echo("\nPush / pull")
    output.table([("box speed" if k == "0" else stops(k), n) for k, n in s.push_pull.items()],
                 ["stops", "rolls"], right=(1,))
    if s.by_process and set(s.by_process) != {st.UNKNOWN}:
        click.echo("\nBy process")
        output.table(list(s.by_process.items()), ["process", "rolls"], right=(1,))

    if s.projects:
        click.echo("\nProjects")
        output.table([(p.name, p.title, p.frames, p.frames_in_year) for p in s.projects],
                     ["project", "title", "frames", f"from {s.label}"], right=(2, 3))

    t = s.turnaround
    if t is not None:
        click.echo(f"\nLab turnaround (last shot → developed, {count(t.rolls, 'roll')}): median "
                   f"{count(t.median_days, 'day')}, mean {t.mean_days:g}, range {t.min_days}–{t.max_days}; "
                   f"slowest {t.slowest['code']} ({count(t.slowest['days'], 'day')})")
        if len(t.by_lab) > 1 or st.UNKNOWN not in t.by_lab:
            output.table([(lab, v["rolls"], f"{v['median_days']:g}") for lab, v in t.by_lab.items()],
                         ["lab", "rolls", "median days"], right=(1, 2))


def _render_sheet(lib: Library, figures: st.YearStats, picks: list[dict[str, Any]], out: Path) -> Any:
    """The year's picks as a contact sheet (outputs.render_frames → filmflow.sheet)."""
    from filmflow.outputs import render_frames

    if not picks:
        raise InputError(f"{figures.label} has no picked frames to put on a sheet; "
                         "mark some with `filmflow pick QUERY` first.")
    rolls = len({p["roll"] for p in picks})
    stocks = sorted({p["stock"] for p in picks if p["stock"]})
    lines = [f"{count(len(picks), 'pick')} from {count(rolls, 'roll')}",
             f"{count(figures.rolls, 'roll')} · {count(figures.frames, 'frame')} shot"]
    if stocks:
        lines.append(" · ".join(stocks[:6]) + (f" and {len(stocks) - 6} more" if len(stocks) > 6 else ""))
    return render_frames(lib, picks, f"{figures.label} · picks", lines, out, strip_labels=True)


# --- verify ---------------------------------------------------------------------------


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
