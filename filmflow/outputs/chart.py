"""The year-in-review chart: `filmflow stats --chart FILE` draws a YearStats as PNG/SVG/PDF.

matplotlib is the optional `charts` extra: `require_matplotlib` names it when missing.
The figures come from filmflow.stats; this module only draws them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.errors import InputError, MissingExtraError
from filmflow.stats import CHART_EXTENSIONS, UNKNOWN, YearStats, _push_sort_key
from filmflow.wording import count

log = logging.getLogger(__name__)

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
    Japanese names); None looks one up with `filmflow.outputs.fonts.find_font` when that module
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
        from filmflow.outputs.fonts import find_font  # written alongside; optional here
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
