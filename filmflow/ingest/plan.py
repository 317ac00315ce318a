"""Build an IngestPlan for one scan folder or zip without touching the archive.

The plan says which roll the files join (new or existing), its metadata with origins,
each file's frame number and destination. `--dry-run` prints it; `apply` carries it out.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.frames import frame_key, frames_in_roll, lookup_frames
from filmflow.catalog.models import IngestMode, Origin, Roll
from filmflow.catalog.rolls import find_roll, find_roll_by_source, next_code
from filmflow.errors import ConfigError, InputError
from filmflow.ingest.discover import SIDECAR_NAME, list_scan_files
from filmflow.ingest.exif import read_scanner_info
from filmflow.ingest.foldername import parse_folder_name
from filmflow.ingest.resolve import Resolved, resolve
from filmflow.ingest.sidecar import load_sidecar
from filmflow.ingest.unzip import extract_zip
from filmflow.library import Library

log = logging.getLogger(__name__)

_TRAILING = re.compile(r"(\d+)([A-Za-z]?)$")


def parse_frame_number(file_name: str) -> tuple[str, int] | None:
    """A frame number from a file name's trailing number, or None.

    >>> parse_frame_number("R042_0012.jpg"), parse_frame_number("000012.JPG")
    (('12', 12), ('12', 12))
    >>> parse_frame_number("12A.tif"), parse_frame_number("R042_00.jpg"), parse_frame_number("scan.tif")
    (('12A', 12), ('00', 0), None)
    """
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    m = _TRAILING.search(stem)
    if not m:
        return None
    digits, letter = m.group(1), m.group(2).upper()
    return frame_key(digits + letter), int(digits)


@dataclass
class FilePlan:
    """One file: where it is, its frame number and where it goes."""

    src: Path
    rel: str
    frame: str
    frame_num: int | None
    dest: Path
    already: dict[str, Any] | None = None  # catalogued before from this very path (same size)


@dataclass
class IngestPlan:
    """Everything an ingest of one source will do."""

    source: Path
    source_name: str
    source_key: str
    folder: Path
    mode: IngestMode
    code: str
    roll: Roll | None
    resolved: Resolved
    dest_dir: Path | None
    files: list[FilePlan] = field(default_factory=list)
    extracted: Path | None = None   # our own unzip folder, removed after the ingest
    problems: list[dict[str, str]] = field(default_factory=list)  # {file, error}: left behind, named
    source_ident: tuple[int, int, int, int] | None = None  # a zip's identity when it was extracted

    def to_json(self, lib: Library) -> dict[str, Any]:
        """What --dry-run --json prints."""
        return {
            "source": self.source_name, "roll": self.code, "new_roll": self.roll is None,
            "mode": self.mode.value, "fields": self.resolved.fields, "sources": self.resolved.sources,
            "path": str(self.dest_dir) if self.dest_dir else None,
            "files": [{"file": f.rel, "frame": f.frame, "dest": str(f.dest)} for f in self.files],
        }


def source_key(path: Path) -> str:
    """Identity of a scan source: its NFC absolute, resolved path (files added later join its roll)."""
    return fsutil.nfc(str(Path(path).resolve()))


def legacy_source_key(path: Path) -> str:
    """The key older versions stored: absolute but not resolved (`..` and links kept)."""
    return fsutil.nfc(str(Path(path).absolute()))


OWN_FOLDERS = {"archive": "the archive", "cache": "the thumbnail cache", "exports": "the exports folder",
               "logs": "the logs folder"}


def check_source_allowed(lib: Library, source: Path) -> None:
    """Refuse a source inside (or holding) the library's own folders; the inbox is fine.

    `ingest --mode move LIB/cache` would otherwise catalogue thumbnails as a roll and
    move them away.
    """
    src = Path(source).resolve()
    root = lib.root.resolve()
    if src == root or src in root.parents:
        raise InputError(f"{fsutil.display(source)} holds the filmflow library itself; ingest one scan "
                         f"folder (or the folders in {lib.inbox}) instead.")
    for attr, what in OWN_FOLDERS.items():
        own = getattr(lib, attr).resolve()
        if src == own or own in src.parents:
            raise InputError(f"{fsutil.display(source)} is inside {what} of the library ({own}), which "
                             f"filmflow manages itself; ingest scans from outside the library or from {lib.inbox}.")


def check_source_name(source: Path) -> None:
    """Refuse a source whose path is not valid UTF-8 (it could never be catalogued)."""
    try:
        str(Path(source).absolute()).encode("utf-8")
    except UnicodeEncodeError:
        from filmflow.ingest.discover import suggest_name

        raise InputError(f"{fsutil.display(source)}: the name is not valid UTF-8 text; rename it "
                         f"(e.g. to {suggest_name(Path(source).name)!r}) and ingest again.") from None


def _template_dir(lib: Library, fields: dict[str, Any], code: str) -> Path:
    year = fields.get("year")
    values = {
        "year": str(year) if year else "undated", "code": code, "stock": fields.get("stock") or "",
        "format": fields.get("format") or "", "title": fields.get("title") or "",
        "developed": fields.get("developed") or "", "source": fields.get("source") or "",
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


def build_plan(lib: Library, db, source: Path, *, mode: IngestMode, options: dict[str, Any],
               reserved: frozenset[str] = frozenset()) -> IngestPlan:
    """Plan the ingest of one scan folder or lab zip (extracting a zip into cache/)."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source} does not exist; give a scan folder or a lab .zip.")
    check_source_allowed(lib, source)
    check_source_name(source)
    given, source = source, source.resolve()  # stored paths are absolute: verify --repair finds them anywhere
    named = given if given.name not in ("", "..") else source  # a linked folder keeps the name it was given
    extracted: Path | None = None
    zip_ident = None
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise InputError(f"{source} is a file; ingest takes a scan folder or a lab .zip "
                             "(put loose scans in a folder named after the roll).")
        zip_ident = fsutil.identity(source)
        extracted = lib.cache / "unzip" / fsutil.slugify(source.stem + "-" + str(abs(hash(source_key(source)))))
        shutil.rmtree(extracted, ignore_errors=True)
        extract_zip(source, extracted, lib.settings.zip_max_bytes)
        folder = extracted
        # a delivery holding one top folder: that folder is the roll
        children = [c for c in folder.iterdir() if not c.name.startswith(".")]
        if len(children) == 1 and children[0].is_dir():
            folder = children[0]
        name = named.stem
        if mode is IngestMode.IN_PLACE:
            log.warning("%s: a zip cannot be catalogued in place; copying it instead", source.name)
            mode = IngestMode.COPY
    elif source.is_dir():
        folder, name = source, named.name
    else:
        raise InputError(f"{source} is neither a folder nor a zip file.")

    sidecar: dict[str, Any] = {}
    if (folder / SIDECAR_NAME).is_file():
        sidecar = load_sidecar(folder / SIDECAR_NAME)
    problems: list[dict[str, str]] = []
    files = list_scan_files(folder, problems)
    folder_info = parse_folder_name(fsutil.nfc(name), lib.stocks, lib.formats)
    exif = read_scanner_info(files[0]) if files else None
    resolved = resolve(options=options, sidecar=sidecar, folder=folder_info, exif=exif, stocks=lib.stocks,
                       formats=lib.formats, folder_date=lib.settings.folder_date)
    resolved.fields["source"] = name
    key = source_key(source)

    roll: Roll | None = None
    code = resolved.fields.get("code")
    if code:
        roll = find_roll(db, code, lib.root)
        origin = resolved.sources.get("code")
        if roll is not None and origin != Origin.OPTION.value and roll.source_key not in (None, key):
            # a code written in a sidecar or folder name joins a roll only from the same
            # source; merging two different folders silently would mix up two films
            raise InputError(
                f"{source}: roll code {roll.code} (from {'its roll.toml' if origin == 'sidecar' else 'the folder name'}) "
                f"is already used by "
                f"{roll.source!r}; change the code there, or pass --roll {roll.code} to add these scans to it.")
    if roll is None and not options.get("code"):
        by_source = find_roll_by_source(db, key, lib.root)
        if by_source is None and legacy_source_key(source) != key:
            by_source = find_roll_by_source(db, legacy_source_key(source), lib.root)
        if by_source is not None and (not code or resolved.sources.get("code") == Origin.FOLDER.value):
            roll = by_source
    if roll is not None:
        code = roll.code
    elif not code:
        code = next_code(db.conn, lib.settings.code_template, reserved)
        resolved.fields["code"] = code
        resolved.sources["code"] = Origin.DEFAULT.value

    if mode is IngestMode.IN_PLACE:
        dest_dir = None
    elif roll is not None and roll.path and roll.mode != IngestMode.IN_PLACE.value:
        dest_dir = Path(roll.path)
    else:
        dest_dir = archive_dir_for(lib, resolved.fields, code)

    existing = frames_in_roll(db.conn, roll.id) if roll else {}
    used = set(existing)
    plans: list[FilePlan] = []
    unnumbered: list[tuple[Path, str]] = []
    numbered: list[tuple[Path, str, str, int]] = []
    seen_before = {} if extracted else catalogued_sources(db.conn, files)
    for f in files:
        rel = f.relative_to(folder).as_posix()
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
        plans.append(FilePlan(src=f, rel=rel, frame=frame, frame_num=num, dest=dest))
    return IngestPlan(source=source, source_name=name, source_key=key, folder=folder, mode=mode, code=code,
                      roll=roll, resolved=resolved, dest_dir=dest_dir, files=plans, extracted=extracted,
                      problems=problems, source_ident=zip_ident)


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


def claimed_code(lib: Library, source: Path) -> str | None:
    """The roll code a source names itself (sidecar, else folder name), read cheaply.

    Sources ingested together reserve their own codes first, so a roll that gets the
    next free code never takes the code another folder's roll.toml asks for.
    """
    try:
        side = Path(source) / SIDECAR_NAME
        if side.is_file():
            code = load_sidecar(side).get("code")
            if code:
                return str(code)
        return parse_folder_name(fsutil.nfc(Path(source).stem if Path(source).is_file() else Path(source).name),
                                 lib.stocks, lib.formats).code
    except Exception:  # noqa: BLE001 - a bad source fails when it is planned, with its reason
        log.debug("cannot read the code %s names for itself", fsutil.display(source), exc_info=True)
        return None
