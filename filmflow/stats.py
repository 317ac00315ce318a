"""Year in review: the figures `filmflow stats` prints, the chart it draws, the year's picks.

Owns `parse_year` (`--year` text → a year or None for the whole archive), `year_stats`
(one grouped SELECT over the year's rolls, summed in Python: a year is at most a few
hundred rolls, the whole archive a few thousand), `render_chart` (matplotlib, the optional
`charts` extra, Agg backend) and `year_pick_frames` (rows for the year's contact sheet).

A roll belongs to the year in `rolls.year` (shot year, else developed, else scanned) and
to the month of the same date. Push/pull groups rolls by stops rounded to 1/3; a roll
with no push recorded counts as box speed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any


from filmflow.catalog.logs import capture_stats
from filmflow.catalog.db import Catalog
from filmflow.catalog.versions import edited_pick_count
from filmflow.catalog.outputrows import pick_frame_rows
from filmflow.catalog.yearstats import project_stat_rows, roll_stat_rows
from filmflow import fsutil
from filmflow.errors import InputError, MissingExtraError
from filmflow.stocks import format_push
from filmflow.wording import count

if TYPE_CHECKING:
    from filmflow.library import Library

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
CHART_EXTENSIONS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_YEAR_RE = re.compile(r"^\d{4}$")


def parse_year(text: str | int | None, today: dt.date | None = None) -> int | None:
    """`--year` text → a year, or None for the whole archive.

    Examples: "2023" → 2023; "all" / "ALL" → None; None → the current year;
    "20x3", "23", "-1", "" → InputError.
    """
    if text is None:
        return (today or dt.date.today()).year
    s = str(text).strip()
    if s.lower() == "all":
        return None
    if not _YEAR_RE.match(s) or not 1000 <= int(s) <= 9999:
        raise InputError(f"--year {text!r} is not a year; write four digits such as 2023, or `all`.")
    return int(s)


def push_label(push: float | None) -> str:
    """Push/pull stops as a photographer writes them: None or 0 → "0", 1.667 → "+1 2/3"."""
    return format_push(push) or "0"


def _push_sort_key(label: str) -> float:
    if label == "0":
        return 0.0
    sign = -1.0 if label.startswith("-") else 1.0
    total = 0.0
    for part in label[1:].split():
        if "/" in part:
            a, b = part.split("/")
            total += int(a) / int(b)
        else:
            total += int(part)
    return sign * total


def _date(text: str | None) -> dt.date | None:
    """The date at the start of an ISO 8601 value, or None."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _rate(picks: int, frames: int) -> float | None:
    return round(picks / frames, 4) if frames else None


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counts for one stock or camera: rolls, frames, picks and the keeper rate."""

    name: str
    rolls: int
    frames: int
    picks: int
    keeper_rate: float | None
    first: dict[str, str | None] | None = None   # {"code", "date"} of the first roll (stocks)
    last: dict[str, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON object; `first`/`last` only where known."""
        d: dict[str, Any] = {"name": self.name, "rolls": self.rolls, "frames": self.frames,
                             "picks": self.picks, "keeper_rate": self.keeper_rate}
        if self.first is not None:
            d["first"] = self.first
            d["last"] = self.last
        return d


@dataclass(frozen=True, slots=True)
class ProjectSize:
    """A project and how many of its frames it holds (in all, and from this year's rolls)."""

    name: str
    title: str | None
    frames: int
    frames_in_year: int


@dataclass(frozen=True, slots=True)
class Turnaround:
    """Lab turnaround in days, from the last shot date to the developed date."""

    rolls: int
    median_days: float
    mean_days: float
    min_days: int
    max_days: int
    slowest: dict[str, Any]
    by_lab: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class YearStats:
    """Everything `stats` reports for one year (or the whole archive when `year` is None)."""

    year: int | None
    rolls: int = 0
    frames: int = 0
    picks: int = 0
    rejects: int = 0
    by_stock: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    by_format: dict[str, int] = field(default_factory=dict)
    by_camera: dict[str, int] = field(default_factory=dict)
    push_pull: dict[str, int] = field(default_factory=dict)
    by_process: dict[str, int] = field(default_factory=dict)
    projects: tuple[ProjectSize, ...] = ()
    stocks: tuple[GroupStats, ...] = ()
    cameras: tuple[GroupStats, ...] = ()
    turnaround: Turnaround | None = None
    lenses: tuple[GroupStats, ...] = ()          # a frame's own lens (film log), else its roll's
    by_aperture: dict[str, int] = field(default_factory=dict)
    by_focal_length: dict[str, int] = field(default_factory=dict)
    edited_picks: int = 0                        # picks with an edit version (issue 17)

    @property
    def keeper_rate(self) -> float | None:
        """Picks per frame over the whole period."""
        return _rate(self.picks, self.frames)

    @property
    def label(self) -> str:
        """"2023" or "all years"."""
        return str(self.year) if self.year is not None else "all years"

    def to_json(self) -> dict[str, Any]:
        """SPEC's `stats --json` keys first, then the added figures."""
        t = self.turnaround
        return {
            "year": self.year if self.year is not None else "all",
            "rolls": self.rolls,
            "frames": self.frames,
            "picks": self.picks,
            "by_stock": dict(self.by_stock),
            "by_month": dict(self.by_month),
            "by_format": dict(self.by_format),
            "by_camera": dict(self.by_camera),
            "push_pull": dict(self.push_pull),
            "projects": [{"name": p.name, "title": p.title, "frames": p.frames,
                          "frames_in_year": p.frames_in_year} for p in self.projects],
            "rejects": self.rejects,
            "keeper_rate": self.keeper_rate,
            "edited_picks": self.edited_picks,
            "by_process": dict(self.by_process),
            "stocks": [s.to_json() for s in self.stocks],
            "cameras": [c.to_json() for c in self.cameras],
            "lenses": [g.to_json() for g in self.lenses],
            "by_aperture": dict(self.by_aperture),
            "by_focal_length": dict(self.by_focal_length),
            "turnaround": None if t is None else {
                "rolls": t.rolls, "median_days": t.median_days, "mean_days": t.mean_days,
                "min_days": t.min_days, "max_days": t.max_days, "slowest": t.slowest, "by_lab": t.by_lab,
            },
        }


def _roll_date(row: dict[str, Any]) -> dt.date | None:
    """The date that put the roll in its year: shot, else developed, else scanned."""
    dates = [_date(row["shot_from"]), _date(row["developed"]), _date(row["scanned"])]
    for d in dates:
        if d is not None and (row["year"] is None or d.year == row["year"]):
            return d
    return next((d for d in dates if d is not None), None)


def _groups(rolls: list[dict[str, Any]], key: str, with_span: bool) -> tuple[GroupStats, ...]:
    acc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rolls:
        acc[r[key] or UNKNOWN].append(r)
    out = []
    for name, rs in acc.items():
        frames = sum(r["n_frames"] for r in rs)
        picks = sum(r["n_picks"] for r in rs)
        first = last = None
        if with_span:
            ordered = sorted(rs, key=lambda r: (r["_date"] or dt.date.max, r["code"]))
            first = {"code": ordered[0]["code"], "date": ordered[0]["_date"] and ordered[0]["_date"].isoformat()}
            last = {"code": ordered[-1]["code"], "date": ordered[-1]["_date"] and ordered[-1]["_date"].isoformat()}
        out.append(GroupStats(name, len(rs), frames, picks, _rate(picks, frames), first, last))
    out.sort(key=lambda g: (g.name == UNKNOWN, -g.rolls, -g.frames, g.name.casefold()))
    return tuple(out)


def _counts(values: Sequence[str]) -> dict[str, int]:
    """Counts, most common first, `unknown` last."""
    c = Counter(values)
    return dict(sorted(c.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], kv[0].casefold())))


def _turnaround(rolls: list[dict[str, Any]]) -> Turnaround | None:
    samples: list[tuple[int, dict[str, Any]]] = []
    for r in rolls:
        shot = _date(r["shot_to"]) or _date(r["shot_from"])
        dev = _date(r["developed"])
        if shot is None or dev is None:
            continue
        days = (dev - shot).days
        if days < 0:  # a date typed wrong; a lab cannot develop before the last frame is shot
            log.debug("roll %s developed %s before its last shot date %s; left out of turnaround",
                      r["code"], dev, shot)
            continue
        samples.append((days, r))
    if not samples:
        return None
    days = [d for d, _ in samples]
    slow_days, slow = max(samples, key=lambda s: (s[0], s[1]["code"]))
    labs: dict[str, list[int]] = defaultdict(list)
    for d, r in samples:
        labs[r["lab"] or UNKNOWN].append(d)
    by_lab = {lab: {"rolls": len(ds), "median_days": float(statistics.median(ds))}
              for lab, ds in sorted(labs.items(), key=lambda kv: (kv[0] == UNKNOWN, -len(kv[1]), kv[0]))}
    return Turnaround(
        rolls=len(days), median_days=float(statistics.median(days)), mean_days=round(statistics.fmean(days), 1),
        min_days=min(days), max_days=max(days), slowest={"code": slow["code"], "days": slow_days},
        by_lab=by_lab,
    )


def year_stats(db: Catalog, year: int | None) -> YearStats:
    """The figures for one year's rolls (`None`: every roll in the catalog)."""
    rolls = roll_stat_rows(db, year)
    for r in rolls:
        r["_date"] = _roll_date(r)

    months: list[str] = []
    if year is not None:
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
    by_month: dict[str, int] = dict.fromkeys(months, 0)
    for r in sorted(rolls, key=lambda r: r["_date"] or dt.date.max):
        d = r["_date"]
        key = d.strftime("%Y-%m") if d is not None and (year is None or d.year == year) else UNKNOWN
        by_month[key] = by_month.get(key, 0) + 1
    if year is None:
        by_month = dict(sorted(by_month.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0])))

    pushes = Counter(push_label(r["push"]) for r in rolls)
    projects = tuple(
        ProjectSize(p["name"], p["title"], p["n_frames"], p["n_in_year"])
        for p in project_stat_rows(db, year)
        if year is None or p["n_in_year"] > 0 or p["created_year"] == str(year)
    )
    capture = capture_stats(db.conn, year)
    return YearStats(
        year=year,
        rolls=len(rolls),
        frames=sum(r["n_frames"] for r in rolls),
        picks=sum(r["n_picks"] for r in rolls),
        rejects=sum(r["n_rejects"] for r in rolls),
        by_stock=_counts([r["stock"] or UNKNOWN for r in rolls]),
        by_month=by_month,
        by_format=_counts([r["format"] or UNKNOWN for r in rolls]),
        by_camera=_counts([r["camera"] or UNKNOWN for r in rolls]),
        push_pull=dict(sorted(pushes.items(), key=lambda kv: _push_sort_key(kv[0]))),
        by_process=_counts([r["process"] or UNKNOWN for r in rolls]),
        projects=projects,
        stocks=_groups(rolls, "stock", with_span=True),
        cameras=_groups(rolls, "camera", with_span=False),
        turnaround=_turnaround(rolls),
        lenses=tuple(GroupStats(name, n_rolls, n, picks, _rate(picks, n))
                     for name, n_rolls, n, picks in capture["lenses"]),
        by_aperture=capture["by_aperture"], by_focal_length=capture["by_focal_length"],
        edited_picks=edited_pick_count(db.conn, year),
    )


# --- the year's picks, for a contact sheet ---------------------------------------------

def year_pick_frames(lib: Library, db: Catalog, year: int | None) -> list[dict[str, Any]]:
    """The year's picked frames in shooting order, for a contact sheet.

    Each row has catalog.outputrows.frame_rows' keys plus ref, and path / thumbnail made absolute
    (the thumbnail is the cache path by content hash when none is stored) and edge_print.
    """
    from filmflow.outputs import edge_print

    rows = pick_frame_rows(db, year)
    edges: dict[tuple[str | None, str | None], str | None] = {}
    for r in rows:
        k = (r["stock_key"], r["stock"])
        if k not in edges:
            edges[k] = edge_print(lib, *k)
        r.update(ref=f"{r['roll']}/{r['frame']}", path=lib.resolve(r["path"]), edge_print=edges[k],
                 thumbnail=lib.resolve(r["thumbnail"] or lib.thumbnail_rel(r["sha256"])))
    return rows


# --- chart --------------------------------------------------------------------------

MISSING_MATPLOTLIB = ("drawing a chart needs matplotlib, which is not installed; "
                      "install the charts extra with `pip install 'filmflow[charts]'`.")


def check_chart_path(out: Path) -> str:
    """The output format for a chart path (png/svg/pdf); InputError for a bad extension or folder."""
    out = Path(out)
    fmt = CHART_EXTENSIONS.get(out.suffix.lower())
    if fmt is None:
        raise InputError(f"chart file {out} has an unknown extension; use .png, .svg or .pdf.")
    if not out.parent.is_dir():
        raise InputError(f"the folder {out.parent} for chart {out.name} does not exist; create it first.")
    return fmt


def require_matplotlib() -> None:
    """MissingExtraError naming the `charts` extra when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtraError(MISSING_MATPLOTLIB) from None


def render_chart(stats: YearStats, out: Path, *, font: Path | None = None, dpi: int = 150) -> Path:
    """Draw the year as a PNG/SVG/PDF (by extension) fit for a blog post; returns `out`.

    `font`: a font file covering the stock and camera names (a CJK font for Korean or
    Japanese names); None looks one up with `filmflow.fonts.find_font` when that module
    is there, else matplotlib's default is used.
    """
    fmt = check_chart_path(out)
    require_matplotlib()
    if font is None:
        font = _find_font_for(stats)
    with fsutil.atomic_write(Path(out)) as f:
        _draw(stats, font, f, fmt, dpi)
    log.info("chart written to %s", out)
    return Path(out)


def _find_font_for(stats: YearStats) -> Path | None:
    text = " ".join([*stats.by_stock, *stats.by_camera, *stats.by_format, stats.label])
    try:
        from filmflow.fonts import find_font  # written alongside; optional here
    except ImportError:
        return None
    try:
        return find_font(text)
    except Exception as e:  # noqa: BLE001 - a font problem must not stop the chart
        log.debug("font lookup failed: %s", e)
        return None


# Colours of a year on film: paper, ink, and a palette after the film boxes.
_PAPER, _INK, _MUTED, _GRID = "#f7f3ec", "#2b2622", "#8a8178", "#e4ddd2"
_ACCENT, _ACCENT_DARK = "#d9822b", "#a85a14"
_PALETTE = ("#d9822b", "#2f6f8f", "#c44536", "#6a994e", "#e3b23c", "#7b5e7b", "#4a4e69",
            "#bc8a5f", "#3d9a9b")
_OTHER = "#cfc7bb"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _top(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    """The `n` largest entries, the rest summed as "other"."""
    items = [(k, v) for k, v in counts.items() if v]
    if len(items) <= n:
        return items
    head = items[: n - 1]
    return [*head, (f"{len(items) - len(head)} others", sum(v for _, v in items[n - 1:]))]


def _style_axes(ax: Any, title: str) -> None:
    ax.set_facecolor(_PAPER)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(_MUTED)
    ax.tick_params(colors=_INK, length=0, labelsize=10)
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold", color=_INK, pad=12)


def _empty(ax: Any, title: str) -> None:
    _style_axes(ax, title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines["bottom"].set_visible(False)
    ax.text(0.5, 0.5, "no rolls", ha="center", va="center", color=_MUTED, fontsize=12,
            transform=ax.transAxes)


def _months_panel(ax: Any, stats: YearStats) -> None:
    if stats.year is not None:
        labels = list(_MONTHS)
        values = [stats.by_month.get(f"{stats.year}-{m:02d}", 0) for m in range(1, 13)]
        title = "Rolls per month"
    else:
        per_year: Counter[str] = Counter()
        for k, v in stats.by_month.items():
            if k != UNKNOWN:
                per_year[k[:4]] += v
        labels = sorted(per_year)
        values = [per_year[y] for y in labels]
        title = "Rolls per year"
    if not any(values):
        _empty(ax, title)
        return
    _style_axes(ax, title)
    peak = max(values)
    colours = [_ACCENT_DARK if v == peak else _ACCENT for v in values]
    bars = ax.bar(range(len(values)), values, color=colours, width=0.72, zorder=3)
    ax.set_xticks(range(len(values)), labels)
    ax.set_yticks([])
    ax.set_ylim(0, peak * 1.22)
    for b, v in zip(bars, values):
        if v:
            ax.text(b.get_x() + b.get_width() / 2, v + peak * 0.03, str(v), ha="center", va="bottom",
                    fontsize=10, color=_INK, fontweight="bold")
    ax.grid(axis="y", color=_GRID, zorder=0)


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _stock_panel(ax: Any, lax: Any, stats: YearStats) -> None:
    title = "Stock share"
    lax.axis("off")
    items = _top(stats.by_stock, 8)
    if not items:
        _empty(ax, title)
        return
    colours = [_OTHER if (k == UNKNOWN or k.endswith(" others")) else _PALETTE[i % len(_PALETTE)]
               for i, (k, _) in enumerate(items)]
    total = sum(v for _, v in items)
    wedges, *_ = ax.pie([v for _, v in items], colors=colours, startangle=90, counterclock=False,
           wedgeprops={"width": 0.36, "edgecolor": _PAPER, "linewidth": 2})
    ax.set_aspect("equal")
    ax.set_anchor("NW")  # keep the title level with the other panels'
    n_stocks = len([k for k in stats.by_stock if k != UNKNOWN])
    ax.text(0, 0.08, str(n_stocks), ha="center", va="center", fontsize=26, fontweight="bold", color=_INK)
    ax.text(0, -0.22, "stock" if n_stocks == 1 else "stocks", ha="center", va="center", fontsize=11,
            color=_MUTED)
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold", color=_INK, pad=12)
    labels = [f"{_short(k)}  {v} ({v / total:.0%})" for k, v in items]
    lax.legend(wedges, labels, loc="center left", bbox_to_anchor=(-0.05, 0.5), frameon=False, fontsize=10,
               labelcolor=_INK, handlelength=1.0, handleheight=1.0, labelspacing=0.7)


def _hbar_panel(ax: Any, title: str, counts: dict[str, int], colour: str) -> None:
    items = _top(counts, 7)
    if not items:
        _empty(ax, title)
        return
    _style_axes(ax, title)
    ax.spines["bottom"].set_visible(False)
    items = items[::-1]
    values = [v for _, v in items]
    peak = max(values)
    ax.barh(range(len(items)), values, color=[_OTHER if k == UNKNOWN else colour for k, _ in items],
            height=0.62, zorder=3)
    ax.set_yticks(range(len(items)), [k for k, _ in items])
    ax.set_xticks([])
    ax.set_xlim(0, peak * 1.25)
    for i, v in enumerate(values):
        ax.text(v + peak * 0.03, i, str(v), va="center", fontsize=10, color=_INK, fontweight="bold")


def _push_panel(ax: Any, stats: YearStats) -> None:
    title = "Push / pull (stops)"
    items = [(k, v) for k, v in stats.push_pull.items() if v]
    if not items:
        _empty(ax, title)
        return
    _style_axes(ax, title)

    def colour(label: str) -> str:
        s = _push_sort_key(label)
        return "#9a938a" if s == 0 else "#2f6f8f" if s < 0 else "#c44536" if s >= 2 else _ACCENT

    values = [v for _, v in items]
    peak = max(values)
    bars = ax.bar(range(len(items)), values, color=[colour(k) for k, _ in items], width=0.62, zorder=3)
    ax.set_xticks(range(len(items)), ["box" if k == "0" else k for k, _ in items])
    ax.set_yticks([])
    ax.set_ylim(0, peak * 1.25)
    for b, v in zip(bars, values):
        ax.text(b.get_x() + b.get_width() / 2, v + peak * 0.03, str(v), ha="center", va="bottom",
                fontsize=10, color=_INK, fontweight="bold")


def _subtitle(stats: YearStats) -> str:
    parts = [count(stats.rolls, "roll"), count(stats.frames, "frame"), count(stats.picks, "pick")]
    if stats.keeper_rate is not None:
        parts.append(f"{stats.keeper_rate:.1%} keepers")
    cameras = len([c for c in stats.by_camera if c != UNKNOWN])
    if cameras:
        parts.append(count(cameras, "camera"))
    if stats.turnaround is not None:
        parts.append(f"lab turnaround {count(stats.turnaround.median_days, 'day')} (median)")
    return "  ·  ".join(parts)


def _draw(stats: YearStats, font: Path | None, out: Any, fmt: str, dpi: int) -> None:
    """Draw the chart and save it to the open file `out` (Agg canvas, no pyplot global state)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager, rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = ["DejaVu Sans"]
    if font is not None:
        try:
            font_manager.fontManager.addfont(str(font))
            families.insert(0, font_manager.FontProperties(fname=str(font)).get_name())
        except (OSError, RuntimeError, ValueError) as e:
            log.warning("font %s could not be used for the chart (%s); using matplotlib's default", font, e)
    with rc_context({"font.family": families, "svg.fonttype": "none", "axes.unicode_minus": False}):
        fig = Figure(figsize=(12, 8.4), facecolor=_PAPER)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(2, 4, height_ratios=[1.0, 1.1], width_ratios=[0.75, 0.85, 0.8, 0.8],
                                hspace=0.5, wspace=0.3, left=0.06, right=0.97, top=0.80, bottom=0.08)
        title = f"{stats.year} on film" if stats.year is not None else "All years on film"
        fig.text(0.06, 0.94, title, fontsize=26, fontweight="bold", color=_INK, va="center")
        fig.text(0.06, 0.885, _subtitle(stats), fontsize=12, color=_MUTED, va="center")
        _months_panel(fig.add_subplot(grid[0, :]), stats)
        _stock_panel(fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1]), stats)
        _hbar_panel(fig.add_subplot(grid[1, 2]), "Formats", stats.by_format, "#2f6f8f")
        _push_panel(fig.add_subplot(grid[1, 3]), stats)
        fig.text(0.97, 0.02, "filmflow", fontsize=9, color=_MUTED, ha="right", va="bottom")
        fig.savefig(out, format=fmt, dpi=dpi, facecolor=_PAPER)
