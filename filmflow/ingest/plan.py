"""Plan the ingest of one roll of a source without touching the archive: the planning stages.

`build_plan` runs them over frozen values, as beets' importer runs its stages:

1. `survey`: the roll source's files (a zip read from its directory, or from our unpacked
   copy when applying), its roll.toml and folder name, the files catalogued before from the
   same path, and ONE EXIF read (exifread, headers only) of each new scan and the first;
2. `resolve_roll`: every precedence rule (ingest/resolve.py), the EXIF scan date included;
3. `match_roll`: the roll the files join (by code, else by source) or the next free code;
4. `number_files`: each file's frame number and destination, edits beside their frames;
5. the `IngestPlan`, which `--dry-run` reports (ingest/preview.py) and `apply` carries out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from filmflow import fsutil
from filmflow.catalog.frames import frames_in_roll, lookup_frames
from filmflow.catalog.models import Origin, Roll
from filmflow.ingest.mode import IngestMode
from filmflow.catalog.rolls import find_roll, find_roll_by_source, next_code
from filmflow.errors import ConfigError, InputError
from filmflow.ingest.delivery import (  # noqa: F401 - source_key and the source checks re-exported
    OWN_FOLDERS, RollSource, check_source_allowed, check_source_name, legacy_source_key, source_key)
from filmflow.ingest.discover import SIDECAR_NAME
from filmflow.ingest.exif import ScannerInfo
from filmflow.ingest.foldername import FolderInfo, parse_folder_name
from filmflow.ingest.resolve import Resolved, resolve
from filmflow.ingest.sidecar import load_sidecar
from filmflow.library import Library
from filmflow.query.refs import frame_number_from_name

from filmflow.ingest.versionsin import find_edits
from filmflow.ingest.recognise import EditMarks

log = logging.getLogger(__name__)

_ARCHIVE_FIELDS = ("year", "stock", "format", "title", "developed")


def parse_frame_number(file_name: str) -> tuple[str, int] | None:
    """A frame number from a file name's trailing number, or None (query/refs.py owns the grammar).

    >>> parse_frame_number("R042_0012.jpg"), parse_frame_number("000012.JPG")
    (('12', 12), ('12', 12))
    >>> parse_frame_number("12A.tif"), parse_frame_number("R042_00.jpg"), parse_frame_number("scan.tif")
    (('12A', 12), ('00', 0), None)
    """
    return frame_number_from_name(file_name)


@dataclass(frozen=True)
class FilePlan:
    """One file: where it is, its frame number, where it goes and what its EXIF said."""

    src: Path
    rel: str
    frame: str
    frame_num: int | None
    dest: Path
    already: dict[str, Any] | None = None  # catalogued before from this very path (same size)
    shown: str | None = None  # how messages name it when it came from a zip: 'delivery.zip!2023-05/000003.jpg'
    version_of: tuple[str, Any] | None = None  # an edit: ("frame", id) or ("label", a frame of this plan)
    exif: ScannerInfo | None = None  # the one EXIF read of this scan (the worker is handed it)

    @property
    def label(self) -> str:
        """The name a report gives this file: its zip entry, else its path in the roll."""
        return self.shown or self.rel


@dataclass(frozen=True)
class IngestPlan:
    """Everything an ingest of one roll will do: the last planning stage's value."""

    source: Path
    source_name: str
    source_key: str
    folder: Path
    mode: IngestMode
    code: str
    roll: Roll | None
    resolved: Resolved
    dest_dir: Path | None
    files: tuple[FilePlan, ...] = ()
    extracted: Path | None = None   # our own unzip folder, removed after the ingest
    tree: Any = None                # where the files are read from (delivery.FolderTree / ZipTree)
    in_zip: bool = False
    problems: tuple[dict[str, str], ...] = ()  # {file, error}: left behind, named
    source_ident: tuple[int, int, int, int] | None = None  # a zip's identity when it was extracted

    def to_json(self, lib: Library) -> dict[str, Any]:
        """What --dry-run --json prints."""
        return {
            "source": self.source_name, "roll": self.code, "new_roll": self.roll is None,
            "mode": self.mode.value, "fields": dict(self.resolved.fields), "sources": dict(self.resolved.sources),
            "path": str(self.dest_dir) if self.dest_dir else None,
            "files": [{"file": f.rel, "frame": f.frame, "dest": str(f.dest)} for f in self.files],
        }


def _template_dir(lib: Library, fields: dict[str, Any], code: str) -> Path:
    year = fields.get("year")
    values = {
        "year": str(year) if year else "undated", "code": code, "stock": fields.get("stock") or "",
        "format": fields.get("format") or "", "title": fields.get("title") or "",
        "developed": fields.get("developed") or "", "source": (fields.get("source") or "").replace("/", " "),
    }
    try:
        text = lib.settings.archive_template.format(**values)
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigError(f"[archive] template {lib.settings.archive_template!r} is broken ({e}); "
                          "use fields {year} {code} {stock} {format} {title} {developed} {source}.") from None
    parts = [fsutil.safe_component(p) for p in text.split("/") if p.strip() and p.strip() not in (".", "..")]
    return fsutil.safe_join(lib.root, *parts)


def archive_dir_for(lib: Library, fields: dict[str, Any], code: str) -> Path:
    """The archive folder of a roll according to the template."""
    return _template_dir(lib, fields, code)


@dataclass(frozen=True)
class Survey:
    """What one roll source holds, read once (the first planning stage's value)."""

    listed: tuple[tuple[str, Path], ...]        # (path in the roll, path to read), in name order
    problems: tuple[dict[str, str], ...]        # what the listing could not take: {file, error}
    sidecar: Mapping[str, Any]                  # roll.toml
    folder: FolderInfo                          # what the roll's folder name says
    seen_before: Mapping[str, dict[str, Any]]   # catalogued before from this very path (same size)
    exif: Mapping[str, ScannerInfo]             # by str(path): the first file and every new one

    @property
    def first(self) -> ScannerInfo | None:
        """The EXIF of the roll's first file (whose scanner names the roll's)."""
        return self.exif.get(str(self.listed[0][1])) if self.listed else None


def build_plan(lib: Library, db, unit: RollSource, *, mode: IngestMode, options: dict[str, Any],
               reserved: frozenset[str] = frozenset()) -> IngestPlan:
    """Plan the ingest of one roll of a source (see delivery.open_source, which refuses the
    library's own folders and names that are not UTF-8) without writing anything."""
    if unit.in_zip and mode is IngestMode.IN_PLACE:
        log.warning("%s: a zip cannot be catalogued in place; copying it instead", unit.source.name)
        mode = IngestMode.COPY
    found = survey(lib, db, unit)
    resolved = resolve_roll(lib, unit, found, options)
    roll, resolved = match_roll(lib, db, unit, found, resolved, options, reserved)
    dest_dir = _dest_dir(lib, mode, roll, resolved)
    files = number_files(lib, db, unit, found, roll, dest_dir)
    return IngestPlan(source=unit.source, source_name=unit.display, source_key=unit.key, folder=unit.folder,
                      mode=mode, code=resolved.fields["code"] if roll is None else roll.code, roll=roll,
                      resolved=resolved, dest_dir=dest_dir, files=files, extracted=unit.extracted, tree=unit.tree,
                      in_zip=unit.in_zip, problems=found.problems, source_ident=unit.ident)


def survey(lib: Library, db, unit: RollSource) -> Survey:
    """Stage 1: list the roll's files and read each new scan's EXIF once (headers only).

    A file catalogued before from this very path is not read again (the watcher's idle
    promise), except the first file, whose scanner names the roll."""
    sidecar = unit.tree.sidecar()
    problems: list[dict[str, str]] = []
    listed = unit.tree.files(problems)
    files = [f for _rel, f in listed]
    folder_info = parse_folder_name(fsutil.nfc(unit.name), lib.stocks, lib.formats)
    seen_before = {} if unit.in_zip else catalogued_sources(db.conn, files)
    exif = {str(f): unit.tree.scanner_info(f) for i, f in enumerate(files) if i == 0 or str(f) not in seen_before}
    return Survey(listed=tuple(listed), problems=tuple(problems), sidecar=MappingProxyType(sidecar),
                  folder=folder_info, seen_before=MappingProxyType(seen_before), exif=MappingProxyType(exif))


def resolve_roll(lib: Library, unit: RollSource, found: Survey, options: dict[str, Any]) -> Resolved:
    """Stage 2: the roll's fields by precedence; its scan date is the earliest EXIF date of its new scans."""
    return resolve(options=options, sidecar=dict(found.sidecar), folder=found.folder, exif=found.first,
                   stocks=lib.stocks, formats=lib.formats, folder_date=lib.settings.folder_date,
                   scan_dates=[e.scanned for e in found.exif.values() if e.scanned], source=unit.display)


def match_roll(lib: Library, db, unit: RollSource, found: Survey, resolved: Resolved, options: dict[str, Any],
               reserved: frozenset[str]) -> tuple[Roll | None, Resolved]:
    """Stage 3: the roll these files join (the code they name, else the roll of the same source), or
    the next free code. A code written in a sidecar or folder name joins a roll only from the same
    source: merging two different folders silently would mix up two films."""
    key = unit.key
    roll: Roll | None = None
    code = resolved.fields.get("code")
    if code:
        roll = find_roll(db, code, lib.root)
        origin = resolved.sources.get("code")
        if (roll is not None and origin != Origin.OPTION.value and roll.source_key not in (None, key)
                and not _only_edits_of(lib, db, roll, list(found.listed))):  # "R042 edits/": versions join
            where = unit.source if unit.in_zip else unit.folder
            raise InputError(
                f"{where}: roll code {roll.code} "
                f"(from {'its roll.toml' if origin == 'sidecar' else 'the folder name'}) "
                f"is already used by "
                f"{roll.source!r}; change the code there, or pass --roll {roll.code} to add these scans to it.")
    if roll is None and not options.get("code"):
        by_source = find_roll_by_source(db, key, lib.root)
        if by_source is None and unit.legacy_key not in (None, key):  # stored by an older version
            by_source = find_roll_by_source(db, unit.legacy_key, lib.root)
        if by_source is not None and (not code or resolved.sources.get("code") == Origin.FOLDER.value):
            roll = by_source
    if roll is None and not code:
        resolved = resolved.with_code(next_code(db.conn, lib.settings.code_template, reserved), Origin.DEFAULT)
    return roll, resolved


def _dest_dir(lib: Library, mode: IngestMode, roll: Roll | None, resolved: Resolved) -> Path | None:
    """Where the roll's files go: its archive folder (a roll's own, else by the template); None in place."""
    code = roll.code if roll is not None else resolved.fields["code"]
    if mode is IngestMode.IN_PLACE:
        return None
    if roll is not None and roll.path and roll.mode != IngestMode.IN_PLACE.value:
        return Path(roll.path)
    if roll is not None:  # a roll a film log made, scanned now: its own (log) fields outrank the folder's
        return archive_dir_for(lib, {**resolved.fields, **{k: getattr(roll, k) for k in _ARCHIVE_FIELDS
                                                            if getattr(roll, k)}}, code)
    return archive_dir_for(lib, dict(resolved.fields), code)


def number_files(lib: Library, db, unit: RollSource, found: Survey, roll: Roll | None,
                 dest_dir: Path | None) -> tuple[FilePlan, ...]:
    """Stage 4: each file's frame number and destination; edits numbered as versions of their frames."""
    used = set(frames_in_roll(db.conn, roll.id)) if roll else set()
    edits, listed = find_edits(EditMarks.load(lib.settings.edit_marks), db.conn, roll.id if roll else None,
                               list(found.listed))
    plans = _file_plans(unit, listed, found, used, dest_dir)
    plans += _edit_plans(unit, edits, plans, found, dest_dir)
    return tuple(plans)


def _file_plans(unit: RollSource, listed: list[tuple[str, Path]], found: Survey,
                used: set[str], dest_dir: Path | None) -> list[FilePlan]:
    """Each file's frame number (trailing number, else scan order after the highest) and destination."""
    seen_before = found.seen_before
    plans: list[FilePlan] = []
    unnumbered: list[tuple[Path, str]] = []
    numbered: list[tuple[Path, str, str, int]] = []
    for rel, f in listed:
        prior = seen_before.get(str(f))
        if prior is not None:
            # ingested before from this path: no re-read (the watcher's idle promise);
            # apply reports it as a duplicate, or finishes an interrupted move
            plans.append(FilePlan(src=f, rel=rel, frame=prior["frame"], frame_num=None, dest=f, already=prior))
            continue
        parsed = parse_frame_number(f.name)
        if parsed is None:
            unnumbered.append((f, rel))
        else:
            numbered.append((f, rel, *parsed))
    next_num = max([n for *_, n in numbered] + [_num(k) for k in used] + [0]) + 1
    for f, rel in unnumbered:
        numbered.append((f, rel, str(next_num), next_num))
        next_num += 1
    for f, rel, frame, num in numbered:
        frame = _unique(frame, used)
        used.add(frame)
        dest = f if dest_dir is None else fsutil.safe_join(dest_dir, *rel.split("/"))
        plans.append(FilePlan(src=f, rel=rel, frame=frame, frame_num=num, dest=dest, shown=unit.tree.shown(rel),
                              exif=found.exif.get(str(f))))
    return plans


def _only_edits_of(lib: Library, db, roll: Roll, listed: list[tuple[str, Path]]) -> bool:
    """True when every file is an edit of one of the roll's frames (a folder of edits named for the roll)."""
    edits, rest = find_edits(EditMarks.load(lib.settings.edit_marks), db.conn, roll.id, listed)
    return bool(edits) and not rest and all(kind == "frame" for kind, _, _ in edits.values())


def _edit_plans(unit: RollSource, edits: dict[str, tuple[str, Any, Path]], plans: list[FilePlan],
                found: Survey, dest_dir: Path | None) -> list[FilePlan]:
    """Edits: archived beside their frames, no frame number of their own."""
    seen_before = found.seen_before
    labels = {p.rel: p.frame for p in plans}
    out = []
    for rel, (kind, value, src) in sorted(edits.items()):
        prior = seen_before.get(str(src))
        if prior is not None:  # ingested before from this very path: a duplicate (or a move to finish)
            out.append(FilePlan(src=src, rel=rel, frame=prior["frame"], frame_num=None, dest=src, already=prior))
            continue
        # ("file", rel): its original arrives in this folder too (it is in `plans`, numbered or already ingested)
        target = ("frame", value) if kind == "frame" else ("label", labels[value])
        dest = src if dest_dir is None else fsutil.safe_join(dest_dir, *rel.split("/"))
        out.append(FilePlan(src=src, rel=rel, frame=str(target[1]), frame_num=None, dest=dest,
                            shown=unit.tree.shown(rel), version_of=target, exif=found.exif.get(str(src))))
    return out


def catalogued_sources(conn, files: list[Path]) -> dict[str, dict[str, Any]]:
    """Files of this folder already catalogued from the same path with the same size."""
    out: dict[str, dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    for f in files:
        try:
            sizes[str(f)] = f.stat().st_size
        except OSError:
            continue
    for r in lookup_frames(conn, "source_path", sizes):
        if sizes.get(r["key"]) == r["bytes"]:
            out[r["key"]] = r
    return out


def _num(frame: str) -> int:
    m = re.match(r"\d+", frame)
    return int(m.group(0)) if m else 0


def _unique(frame: str, used: set[str]) -> str:
    """'12' if free, else '12-2', '12-3', ... (a rescan or a second format of one frame)."""
    if frame not in used:
        return frame
    i = 2
    while f"{frame}-{i}" in used:
        i += 1
    return f"{frame}-{i}"


def claimed_code(lib: Library, unit: RollSource) -> str | None:
    """The roll code a roll source names itself (sidecar, else folder name), read cheaply.

    Sources ingested together reserve their own codes first, so a roll that gets the
    next free code never takes the code another folder's roll.toml asks for.
    """
    try:
        code = unit.tree.sidecar().get("code")
        if code:
            return str(code)
        return parse_folder_name(fsutil.nfc(unit.name), lib.stocks, lib.formats).code
    except Exception:  # noqa: BLE001 - a bad roll fails when it is planned, with its reason
        log.debug("cannot read the code %s names for itself", fsutil.display(unit.display), exc_info=True)
        return None


def claimed_name_code(lib: Library, source: Path) -> str | None:
    """The roll code a source's own name (or its roll.toml) claims, without opening a zip."""
    try:
        side = Path(source) / SIDECAR_NAME
        if side.is_file():
            code = load_sidecar(side, warn=False).get("code")
            if code:
                return str(code)
        return parse_folder_name(fsutil.nfc(Path(source).stem if Path(source).is_file() else Path(source).name),
                                 lib.stocks, lib.formats).code
    except Exception:  # noqa: BLE001 - a bad source fails when it is planned, with its reason
        log.debug("cannot read the code %s names for itself", fsutil.display(source), exc_info=True)
        return None
