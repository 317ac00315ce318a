"""CLI command `stats`: the year in review, its chart and a sheet of its picks.

Parses options, calls `filmflow.stats`, and prints: tables for
people, `--json` for scripts; progress goes to stderr and only when it is a terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from filmflow.catalog.models import Frame
from filmflow.outputs import chart as ch
from filmflow import stats as st
from filmflow.cli import output
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.wording import count, stops
from filmflow.opencatalog import open_catalog



def register(root: click.Group) -> None:
    """Add `stats` and `verify` to the root group."""
    root.add_command(stats_show)


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
    db = open_catalog(lib)
    try:
        figures = st.year_stats(db, year)
        picks = st.year_picks(db, year) if sheet is not None else []
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


def _render_sheet(lib: Library, figures: st.YearStats, picks: list[Frame], out: Path) -> Any:
    """The year's picks as a contact sheet (outputs.render_frames → filmflow.outputs.sheet)."""
    from filmflow.outputs.make import render_frames

    if not picks:
        raise InputError(f"{figures.label} has no picked frames to put on a sheet; "
                         "mark some with `filmflow pick QUERY` first.")
    rolls = len({p.roll for p in picks})
    stocks = sorted({p.roll_facts.stock for p in picks if p.roll_facts and p.roll_facts.stock})
    lines = [f"{count(len(picks), 'pick')} from {count(rolls, 'roll')}",
             f"{count(figures.rolls, 'roll')} · {count(figures.frames, 'frame')} shot"]
    if stocks:
        lines.append(" · ".join(stocks[:6]) + (f" and {len(stocks) - 6} more" if len(stocks) > 6 else ""))
    return render_frames(lib, picks, f"{figures.label} · picks", lines, out, strip_labels=True)
