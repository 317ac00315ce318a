"""From the catalog to an export: a library's project read as typed frames (`ProjectEntry`s with
their `RollFacts`, catalog/frames.py) becomes `ExportItem`s, and `export_project` does the rest;
the contact sheet comes from outputs/make.render_frames. The export's other modules never read
the catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from filmflow.catalog.models import RollFacts
from filmflow.catalog.projects import ProjectEntry
from filmflow.export import export_dir_for, export_project
from filmflow.export.settings import ExportItem, ExportReport, ExportSettings
from filmflow.library import Library
from filmflow.outputs.make import own_folders, read_project, render_frames

NO_FACTS = RollFacts()


def _maker(lib: Library, stock_key: str | None) -> str | None:
    found = lib.stocks.find(stock_key) if stock_key else None
    return found.manufacturer if found is not None else None


def export_item(lib: Library, entry: ProjectEntry, version: str) -> ExportItem:
    """What export.py needs about one project frame (`version`: see Frame.shown_file)."""
    f = entry.frame
    r = f.roll_facts or NO_FACTS
    path, _, sha, n = f.shown_file(version)
    return ExportItem(
        position=entry.position, ref=f"{f.roll}/{f.frame}", roll=f.roll, frame=f.frame,
        source=lib.resolve(path), sha256=sha, caption=entry.caption or f.caption,
        stock=r.stock, ei=r.ei, push=r.push, format=r.format, camera=r.camera, lens=f.lens or r.lens,
        roll_title=r.title, developed=r.developed, shot=r.shot_from, scanner=f.scanner,
        rating=f.rating, pick=f.pick, tags=f.tags,
        stock_key=r.stock_key, film_maker=_maker(lib, r.stock_key), process=r.process, lab=r.lab,
        developer=r.developer, version=n, shot_at=f.shot_at, aperture=f.aperture, shutter=f.shutter,
        focal_length=f.focal_length, place=f.place,
        gps=(f.gps["lat"], f.gps["lon"]) if f.gps else None,
    )


def export_from_catalog(lib: Library, name: str, to: Path | None, settings: ExportSettings) -> ExportReport:
    """Export a library's project: its frames read from the catalog, exported by export_project."""
    project = read_project(lib, name)
    info, entries = project.info, project.entries
    items = [export_item(lib, e, settings.version) for e in entries]
    out_dir = Path(to) if to else export_dir_for(lib.exports, info.name)

    def make_sheet(path: Path, claim: Callable[[list[Path]], object] | None = None) -> object:
        picked = {i.ref for i in items if settings.wants(i)}
        chosen = [e for e in entries if f"{e.frame.roll}/{e.frame.frame}" in picked]
        return render_frames(lib, chosen, info.title or info.name, [info.description], path, strip_labels=True,
                             version=settings.version, claim=claim, force=claim is None)

    return export_project(info.name, info.title, info.description, items, out_dir, settings,
                              forbidden_roots=own_folders(lib), make_sheet=make_sheet)
