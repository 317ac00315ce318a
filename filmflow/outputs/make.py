"""From the catalog to contact sheets of a roll, a project or a year's picks (export/source.py
does the same for project exports). Builds `sheet.SheetFrame`s from typed catalog values, so
sheet.py never reads the catalog itself: `Frame`s read with their `RollFacts` (catalog/frames.py), a project's
frames as `ProjectEntry`s (position and project caption), and the shown file of each
(`Frame.shown_file`: the preferred version's, or the original scan's)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from filmflow import fsutil
from filmflow.catalog.frames import read_frames, select_roll
from filmflow.catalog.models import Frame, RollFacts
from filmflow.catalog.projects import Project, ProjectEntry, get_project
from filmflow.catalog.rolls import get_roll
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.stocks import edge_print as stocks_edge_print
from filmflow.stocks import format_push
from filmflow.opencatalog import open_catalog

if TYPE_CHECKING:
    from filmflow.outputs.sheet import SheetFrame

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_FACTS = RollFacts()


def edge_print(lib: Library, stock_key: str | None, stock: str | None) -> str | None:
    """The stock's edge print ("KODAK PORTRA 400"), else its name in capitals (stocks.edge_print)."""
    return stocks_edge_print(lib.stocks, stock_key, stock)


def film_summary(stock: str | None, ei: int | None, push: float | None) -> str | None:
    """'Kodak Portra 400 · EI 800 (+1)'."""
    if not stock:
        return None
    if ei:
        return f"{stock} · EI {ei}" + (f" ({format_push(push)})" if push else "")
    return stock


GAP_SPAN = 80  # a roll has at most 72 frames (half frame); wider number ranges are not one film's count


def _row_label(row: Any) -> str:
    return str(row["frame"])


def _gap_row(first: dict[str, Any], label: str) -> dict[str, Any]:
    return {**first, "frame": label, "gap": True, "pick": "no", "rating": 0, "caption": None, "project_caption": None}


def with_gaps(rows: Sequence[T], label: Callable[[T], str] = _row_label,
              gap: Callable[[T, str], T] = _gap_row) -> list[T]:
    """A roll's items with a placeholder (`gap(first item, number)`) for each frame number
    missing between the first and the last, so a proof shows where a scan failed (2, 2A, [3], 4).

    Items are sheet frames (`roll_sheet`) or, by default, rows as mappings with a "frame" label.
    """
    labels = [label(r) for r in rows]
    nums = [int(lb) for lb in labels if lb.isdigit()]
    if not nums or max(nums) - min(nums) >= GAP_SPAN:
        return list(rows)
    have, out = set(nums), []
    lengths = {len(lb) for lb in labels if lb.isdigit()}
    width = lengths.pop() if len(lengths) == 1 else 0  # "01".."05" pad the gaps alike; "1".."10" do not
    first = rows[0]
    missing = iter(n for n in range(min(nums), max(nums) + 1) if n not in have)
    nxt = next(missing, None)
    for r, lb in zip(rows, labels):
        num = int(lb) if lb.isdigit() else None
        while nxt is not None and num is not None and nxt < num:
            out.append(gap(first, str(nxt).zfill(width)))
            nxt = next(missing, None)
        out.append(r)
    return out


def _sheet_gap(first: SheetFrame, label: str) -> SheetFrame:
    """A frame number with no scan: the roll's first frame's cell, empty, with that label."""
    return dataclasses.replace(first, label=label, source=None, pick="no", rating=0, caption=None, gap=True)


def sheet_frames(lib: Library, items: Sequence[Frame | ProjectEntry], version: str = "preferred") -> list[SheetFrame]:
    """Sheet cells for catalog frames (read `with_roll`) or project entries, in the same order: the
    shown file's thumbnail (the cache path by content hash when none is stored) and the caption
    to print (a project's own caption, else the frame's)."""
    from filmflow.outputs import sheet

    edges: dict[tuple, str | None] = {}
    out = []
    for item in items:
        f, caption = (item.frame, item.caption or item.frame.caption) if isinstance(item, ProjectEntry) \
            else (item, item.caption)
        facts = f.roll_facts or NO_FACTS
        key = (facts.stock_key, facts.stock)
        if key not in edges:
            edges[key] = edge_print(lib, *key)
        path, thumb, sha, _ = f.shown_file(version)
        out.append(sheet.SheetFrame(
            thumbnail=lib.resolve(thumb or lib.thumbnail_rel(sha)), source=lib.resolve(path), label=f.frame,
            roll=f.roll, format=facts.format, edge_print=edges[key], pick=f.pick, rating=f.rating, caption=caption))
    return out


def render_frames(lib: Library, items: Sequence[Frame | ProjectEntry], title: str, lines: Sequence[str], out: Path,
                  *, strip_labels: bool, gaps: bool = False, version: str = "preferred", paper: str | None = None,
                  dpi: int | None = None, style: str | None = None, force: bool = False,
                  claim: Callable[[list[Path]], object] | None = None):
    """Render catalog frames (read `with_roll`) or project entries as a contact sheet (from cached
    thumbnails, rebuilt when missing); `gaps`: a placeholder for each missing frame number.

    The sheet never replaces a file that is not one of our sheets unless `force`; an
    export passes its own `claim` (the manifest says what is ours).
    """
    from filmflow import imaging
    from filmflow.outputs import sheet

    s = lib.settings
    frames = sheet_frames(lib, items, version)
    if gaps:
        frames = with_gaps(frames, lambda c: c.label, _sheet_gap)
    if claim is None and not force:
        claim = sheet.refuse_foreign

    def thumbnailer(source: Path, thumb: Path) -> object:
        return imaging.make_thumbnail(source, thumb, s.thumbnail_size)

    log = sheet.log_line([(i.frame if isinstance(i, ProjectEntry) else i).log_format for i in items])
    header = sheet.SheetHeader(title=title, lines=tuple(x for x in (*lines, log) if x), strip_labels=strip_labels)
    font = Path(s.font).expanduser() if s.font else None
    return sheet.render_sheet(frames, header, Path(out), paper=paper or s.paper, dpi=dpi or s.dpi,
                              style=style or s.style, font=font, formats=lib.formats, thumbnailer=thumbnailer,
                              claim=claim)


def default_sheet_path(lib: Library, name: str, *, keep_case: bool = False) -> Path:
    """exports/sheets/<slug>.pdf (created); a roll keeps its code as written (R042.pdf)."""
    d = lib.exports / "sheets"
    d.mkdir(parents=True, exist_ok=True)
    stem = fsutil.safe_component(name, 80) if keep_case else fsutil.slugify(name)
    return d / f"{stem}.pdf"


def own_folders(lib: Library, *, inbox: bool = True) -> list[Path]:
    """The library folders no sheet or export may write into (the watcher would ingest an
    export put in the inbox; the archive, cache and logs are filmflow's alone)."""
    return [lib.archive, lib.cache, lib.logs] + ([lib.inbox] if inbox else [])


def check_target(lib: Library, target: Path, what: str) -> None:
    """Refuse a sheet or export target inside the library's own folders, naming the fix."""
    t = Path(target).expanduser().resolve()
    for root in own_folders(lib):
        r = Path(root).expanduser().resolve()
        if t == r or r in t.parents:
            raise InputError(f"{what} {target} is inside the library's {r.name}/ folder; "
                             f"choose a folder outside it, e.g. {lib.exports}.")


def roll_sheet(lib: Library, code: str, out: Path | None, **opts: Any):
    """A roll's contact sheet; the header says what the roll is."""
    db = open_catalog(lib)
    try:
        roll = get_roll(db, code, lib.root)
        frames = list(read_frames(db, select_roll(roll.id), "frame", with_roll=True))
    finally:
        db.conn.close()
    if not frames:
        raise InputError(f"roll {roll.code} has no frames to print; ingest its scans first.")
    title = f"{roll.code} · {roll.title}" if roll.title else roll.code
    dates = " · ".join(x for x in (roll.format, f"developed {roll.developed}" if roll.developed else None,
                                   f"shot {roll.shot_from}" + (f"..{roll.shot_to}" if roll.shot_to != roll.shot_from else "")
                                   if roll.shot_from else None) if x)
    lines = [film_summary(roll.stock, roll.ei, roll.push), dates,
             " · ".join(x for x in (roll.camera, roll.lens) if x),
             " · ".join(x for x in (f"Lab: {roll.lab}" if roll.lab else None, roll.developer,
                                    f"Scanner: {roll.scanner}" if roll.scanner else None) if x)]
    out, opts = _sheet_target(lib, out, roll.code, opts, keep_case=True)
    return render_frames(lib, frames, title, lines, out, strip_labels=False, gaps=True, **opts)


def _sheet_target(lib: Library, out: Path | None, name: str, opts: dict[str, Any], *,
                  keep_case: bool = False) -> tuple[Path, dict[str, Any]]:
    """The sheet's path: `-o` (checked, never into the library's own folders) or the default
    exports/sheets/<name>.pdf, which is filmflow's own and replaced freely (sheets made
    before sheets carried a mark included)."""
    if out is not None:
        check_target(lib, out, "-o")
        return out, opts
    return default_sheet_path(lib, name, keep_case=keep_case), {**opts, "force": True}


def read_project(lib: Library, name: str) -> Project:
    """A project with its frames in order, each with its roll's facts (what sheets and exports print)."""
    db = open_catalog(lib)
    try:
        return get_project(db, name, with_roll=True)
    finally:
        db.conn.close()


def project_sheet(lib: Library, name: str, out: Path | None, **opts: Any):
    """A project's contact sheet, a strip per roll run, in project order."""
    project = read_project(lib, name)
    info, entries = project.info, project.entries
    if not entries:
        raise InputError(f"project {info.name!r} has no frames; add some with `filmflow project add {info.name} QUERY`.")
    out, opts = _sheet_target(lib, out, info.name, opts)
    rolls = sorted({e.frame.roll for e in entries})
    lines = [info.description, f"{len(entries)} frames from {len(rolls)} roll{'s' * (len(rolls) != 1)}: "
             + ", ".join(rolls[:12]) + (" ..." if len(rolls) > 12 else "")]
    return render_frames(lib, entries, info.title or info.name, lines, out, strip_labels=True, **opts)
