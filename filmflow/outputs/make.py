"""From the catalog to what leaves it: contact sheets of a roll, a project or a year's
picks, and project exports. Builds the sheet/export inputs from catalog rows, so sheet.py
and export.py never read the catalog themselves."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


from filmflow.catalog.db import Catalog
from filmflow import fsutil
from filmflow.catalog.projects import get_project_info
from filmflow.catalog.rolls import get_roll
from filmflow.catalog.outputrows import frame_rows, project_frame_rows, project_frame_tags, roll_frame_rows  # noqa: F401
from filmflow.errors import InputError
from filmflow.library import Library
from filmflow.stocks import format_push
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


def edge_print(lib: Library, stock_key: str | None, stock: str | None) -> str | None:
    """The stock's edge print ("KODAK PORTRA 400"), else its name in capitals."""
    if not stock:
        return None
    found = lib.stocks.find(stock_key or stock) or lib.stocks.find(stock)
    return found.edge_print if found is not None and found.edge_print else stock.upper()


def film_summary(stock: str | None, ei: int | None, push: float | None) -> str | None:
    """'Kodak Portra 400 · EI 800 (+1)'."""
    if not stock:
        return None
    if ei:
        return f"{stock} · EI {ei}" + (f" ({format_push(push)})" if push else "")
    return stock


GAP_SPAN = 80  # a roll has at most 72 frames (half frame); wider number ranges are not one film's count


def with_gaps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A roll's rows with a placeholder (`gap`) for each frame number missing between the
    first and the last, so a proof shows where a scan failed (2, 2A, [3], 4)."""
    nums = [int(r["frame"]) for r in rows if str(r["frame"]).isdigit()]
    if not nums or max(nums) - min(nums) >= GAP_SPAN:
        return rows
    have, out = set(nums), []
    lengths = {len(str(r["frame"])) for r in rows if str(r["frame"]).isdigit()}
    width = lengths.pop() if len(lengths) == 1 else 0  # "01".."05" pad the gaps alike; "1".."10" do not
    first = rows[0]
    missing = iter(n for n in range(min(nums), max(nums) + 1) if n not in have)
    nxt = next(missing, None)
    for r in rows:
        num = int(r["frame"]) if str(r["frame"]).isdigit() else None
        while nxt is not None and num is not None and nxt < num:
            out.append({**first, "frame": str(nxt).zfill(width), "gap": True, "pick": "no", "rating": 0,
                        "caption": None, "project_caption": None})
            nxt = next(missing, None)
        out.append(r)
    return out


def render_frames(lib: Library, rows: list[dict[str, Any]], title: str, lines: Sequence[str], out: Path, *,
                  strip_labels: bool, paper: str | None = None, dpi: int | None = None,
                  style: str | None = None, force: bool = False,
                  claim: Callable[[list[Path]], object] | None = None):
    """Render catalog rows as a contact sheet (from cached thumbnails, rebuilt when missing).

    The sheet never replaces a file that is not one of our sheets unless `force`; an
    export passes its own `claim` (the manifest says what is ours).
    """
    from filmflow import imaging
    from filmflow.outputs import sheet

    s = lib.settings
    edges: dict[tuple, str | None] = {}
    frames = []
    for r in rows:
        key = (r["stock_key"], r["stock"])
        if key not in edges:
            edges[key] = edge_print(lib, *key)
        thumb = lib.resolve(r["thumbnail"] or lib.thumbnail_rel(r["sha256"]))
        gap = bool(r.get("gap"))
        frames.append(sheet.SheetFrame(
            thumbnail=thumb, source=None if gap else lib.resolve(r["path"]), label=r["frame"], roll=r["roll"],
            format=r["format"], edge_print=edges[key], pick=r["pick"], rating=r["rating"],
            caption=r.get("project_caption") or r["caption"], gap=gap))
    if claim is None and not force:
        claim = sheet.refuse_foreign

    def thumbnailer(source: Path, thumb: Path) -> object:
        return imaging.make_thumbnail(source, thumb, s.thumbnail_size)

    log = sheet.log_line([r.get("log_format") for r in rows if not r.get("gap")])
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
        rows = roll_frame_rows(db, roll.id)
    finally:
        db.conn.close()
    if not rows:
        raise InputError(f"roll {roll.code} has no frames to print; ingest its scans first.")
    rows = with_gaps(rows)
    title = f"{roll.code} · {roll.title}" if roll.title else roll.code
    dates = " · ".join(x for x in (roll.format, f"developed {roll.developed}" if roll.developed else None,
                                   f"shot {roll.shot_from}" + (f"..{roll.shot_to}" if roll.shot_to != roll.shot_from else "")
                                   if roll.shot_from else None) if x)
    lines = [film_summary(roll.stock, roll.ei, roll.push), dates,
             " · ".join(x for x in (roll.camera, roll.lens) if x),
             " · ".join(x for x in (f"Lab: {roll.lab}" if roll.lab else None, roll.developer,
                                    f"Scanner: {roll.scanner}" if roll.scanner else None) if x)]
    out, opts = _sheet_target(lib, out, roll.code, opts, keep_case=True)
    return render_frames(lib, rows, title, lines, out, strip_labels=False, **opts)


def _sheet_target(lib: Library, out: Path | None, name: str, opts: dict[str, Any], *,
                  keep_case: bool = False) -> tuple[Path, dict[str, Any]]:
    """The sheet's path: `-o` (checked, never into the library's own folders) or the default
    exports/sheets/<name>.pdf, which is filmflow's own and replaced freely (sheets made
    before sheets carried a mark included)."""
    if out is not None:
        check_target(lib, out, "-o")
        return out, opts
    return default_sheet_path(lib, name, keep_case=keep_case), {**opts, "force": True}


def project_rows(db: Catalog, name: str, version: str = "preferred") -> tuple[Any, list[dict[str, Any]]]:
    """A project's info and its frames in project order (`version`: see frame_rows)."""
    info = get_project_info(db.conn, name)
    rows = project_frame_rows(db, info.id, version)
    return info, rows


def project_sheet(lib: Library, name: str, out: Path | None, **opts: Any):
    """A project's contact sheet, a strip per roll run, in project order."""
    db = open_catalog(lib)
    try:
        info, rows = project_rows(db, name)
    finally:
        db.conn.close()
    if not rows:
        raise InputError(f"project {info.name!r} has no frames; add some with `filmflow project add {info.name} QUERY`.")
    out, opts = _sheet_target(lib, out, info.name, opts)
    rolls = sorted({r["roll"] for r in rows})
    lines = [info.description, f"{len(rows)} frames from {len(rolls)} roll{'s' * (len(rolls) != 1)}: "
             + ", ".join(rolls[:12]) + (" ..." if len(rolls) > 12 else "")]
    return render_frames(lib, rows, info.title or info.name, lines, out, strip_labels=True, **opts)


def _maker(lib: Library, stock_key: str | None) -> str | None:
    found = lib.stocks.find(stock_key) if stock_key else None
    return found.manufacturer if found is not None else None


def export(lib: Library, name: str, to: Path | None, settings: Any):
    """Export a project (export.py does the work; this feeds it catalog rows)."""
    from filmflow import export as exp

    db = open_catalog(lib)
    try:
        info, rows = project_rows(db, name, settings.version)
        tags = project_frame_tags(db, info.id)
    finally:
        db.conn.close()
    items = [exp.ExportItem(
        position=r["position"], ref=f"{r['roll']}/{r['frame']}", roll=r["roll"], frame=r["frame"],
        source=lib.resolve(r["path"]), sha256=r["sha256"], caption=r["project_caption"] or r["caption"],
        stock=r["stock"], ei=r["ei"], push=r["push"], format=r["format"], camera=r["camera"],
        lens=r["log_lens"] or r["lens"],
        roll_title=r["roll_title"], developed=r["developed"], shot=r["shot_from"], scanner=r["scanner"],
        rating=r["rating"], pick=r["pick"], tags=tuple(sorted(tags.get(r["id"], ()))),
        stock_key=r["stock_key"], film_maker=_maker(lib, r["stock_key"]), process=r["process"], lab=r["lab"],
        developer=r["developer"], version=r["version"], shot_at=r["shot_at"], aperture=r["aperture"], shutter=r["shutter"],
        focal_length=r["focal_length"], place=r["place"],
        gps=(r["lat"], r["lon"]) if r["lat"] is not None and r["lon"] is not None else None,
    ) for r in rows]
    out_dir = Path(to) if to else exp.export_dir_for(lib.exports, info.name)

    def make_sheet(path: Path, claim: Callable[[list[Path]], object] | None = None) -> object:
        picked = {i.ref for i in items if settings.wants(i)}
        chosen = [r for r in rows if f"{r['roll']}/{r['frame']}" in picked]
        return render_frames(lib, chosen, info.title or info.name, [info.description], path, strip_labels=True,
                             claim=claim, force=claim is None)

    return exp.export_project(info.name, info.title, info.description, items, out_dir, settings,
                              forbidden_roots=own_folders(lib), make_sheet=make_sheet)
