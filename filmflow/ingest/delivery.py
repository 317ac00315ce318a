"""What one source holds: one roll, or a delivery of several rolls (one per child folder).

A source is a scan folder or a lab .zip. It is a **delivery of several rolls** when

- it has no `roll.toml` of its own (a sidecar says "this folder is one roll"),
- no scan lies directly in it (a scan beside the folders makes the folders part of one
  roll, e.g. `rescans/`), and
- it has two or more child folders holding scans, and every one of them is named like a
  roll: its name gives a date, a film stock or a roll code (`2024-10-01 Portra 400`,
  `HP5 R012`). Sub-folders such as `JPEG/` and `TIFF/` say nothing of a roll, so a roll
  delivered in two formats stays one roll.

Documents (an invoice `.pdf`, a `.txt`) beside the folders do not matter. Each child is
then one roll, parsed from its own name, reported as `Lab order 88231/2024-10-01 Portra 400`.
A zip whose only top entry is a folder is read from inside that folder.

A `Tree` lists a roll's scan files and reads them: `FolderTree` on disk (a folder, or a
zip unpacked into our cache), `ZipTree` straight from the zip's directory for a dry run,
which unpacks nothing.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from filmflow import fsutil
from filmflow.errors import FilmflowError, InputError
from filmflow.ingest import unzip
from filmflow.ingest.discover import NON_SCAN_SUFFIXES, SIDECAR_NAME, _natural_key, list_scan_files
from filmflow.ingest.exif import ScannerInfo, read_scanner_info
from filmflow.ingest.foldername import parse_folder_name
from filmflow.ingest.sidecar import load_sidecar

log = logging.getLogger(__name__)


@dataclass
class FolderTree:
    """A roll's files on disk; `shown` names a file in messages (a zip entry for an unpacked zip)."""

    root: Path
    label: str | None = None                 # "delivery.zip!" for an unpacked zip
    entries: dict[str, str] = field(default_factory=dict)  # unpacked rel (from the zip root) → entry
    base: str = ""                           # root's path from the zip root ("" or "top/")
    listing: list[Path] | None = None        # list_scan_files(root), when already walked
    problems: list[dict[str, str]] = field(default_factory=list)  # found when walked: {file, error}

    def files(self, problems: list[dict[str, str]] | None = None) -> list[tuple[str, Path]]:
        """(path relative to the roll, path to read) for every candidate scan, in name order.

        What cannot be taken (an unreadable or too deep folder, a FIFO or device, a name
        that is not UTF-8) is appended to `problems` as {file, error}."""
        sink = problems if problems is not None else []
        sink.extend(self.problems)
        found = self.listing if self.listing is not None else list_scan_files(self.root, sink)
        return [(f.relative_to(self.root).as_posix(), f) for f in found]

    def sidecar(self) -> dict[str, Any]:
        side = self.root / SIDECAR_NAME
        return load_sidecar(side) if side.is_file() else {}

    def scanner_info(self, src: Path) -> ScannerInfo:
        """The scan's one EXIF read (a broken EXIF block is a warning, the frame goes on unrotated)."""
        return read_scanner_info(src, warn=True)

    def sha256(self, src: Path) -> tuple[str, int]:
        return fsutil.sha256_file(src), src.stat().st_size

    def shown(self, rel: str) -> str | None:
        """'delivery.zip!2023-05/000003.jpg' for a file of a zip, None for a folder's file."""
        if self.label is None:
            return None
        return self.label + self.entries.get(self.base + rel, self.base + rel)


@dataclass
class ZipTree:
    """A roll's files read from a zip's directory without unpacking (the dry run)."""

    zip_path: Path
    members: list[unzip.Member]
    base: str                                # "top/child/" within the zip
    max_bytes: int
    _index: dict[str, unzip.Member] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.base)  # {path relative to this roll: member} for the entries under `base`
        self._index = {m.rel.as_posix()[n:]: m for m in self.members if m.rel.as_posix().startswith(self.base)}

    def _mine(self) -> dict[str, unzip.Member]:
        return self._index

    def files(self, problems: list[dict[str, str]] | None = None) -> list[tuple[str, Path]]:
        out = [(rel, self.zip_path / rel) for rel in self._mine() if _is_scan(rel)]
        return sorted(out, key=lambda t: _natural_key(t[0]))

    def _member(self, src: Path) -> unzip.Member:
        return self._index[src.relative_to(self.zip_path).as_posix()]

    def sidecar(self) -> dict[str, Any]:
        m = self._mine().get(SIDECAR_NAME)
        if m is None:
            return {}
        text = unzip.read_member(self.zip_path, m).decode("utf-8", "replace")
        return load_sidecar(Path(f"{self.zip_path}!{m.entry}"), text=text)

    def scanner_info(self, src: Path) -> ScannerInfo:
        """The EXIF in the entry's first 4 MiB (a dry run's: it decodes no pixels, so it warns of nothing)."""
        try:
            head = unzip.read_member(self.zip_path, self._member(src), 4 << 20)
        except FilmflowError:
            return ScannerInfo()  # EXIF is a hint; the entry's own failure is reported when hashed
        return read_scanner_info(io.BytesIO(head))

    def sha256(self, src: Path) -> tuple[str, int]:
        return unzip.hash_member(self.zip_path, self._member(src), self.max_bytes)

    def shown(self, rel: str) -> str | None:
        m = self._mine().get(rel)
        return f"{self.zip_path.name}!{m.entry if m else self.base + rel}"


def _is_scan(rel: str) -> bool:
    low = PurePosixPath(rel).name.lower()
    return low != SIDECAR_NAME and not low.endswith(NON_SCAN_SUFFIXES)


def names_a_roll(name: str, stocks, formats) -> bool:
    """True when a folder name says something of a roll: a date, a stock or a roll code."""
    info = parse_folder_name(fsutil.nfc(name), stocks, formats)
    return bool(info.date or info.stock or info.code)


def delivery_children(rels: list[str], has_sidecar: bool, stocks, formats, where: str = "") -> list[str]:
    """The child folders that are rolls of their own (see module docstring), else [].

    `rels` are the candidate scan files, relative to the source, POSIX.
    """
    if has_sidecar:
        return []
    children: set[str] = set()
    for rel in rels:
        head, sep, _rest = rel.partition("/")
        if not sep:
            return []  # a scan beside the folders: one roll
        children.add(head)
    if len(children) < 2:
        return []
    named = [c for c in children if names_a_roll(c, stocks, formats)]
    if len(named) < len(children):
        if named:  # some look like rolls, some not: say why they were not split
            odd = sorted(set(children) - set(named), key=_natural_key)
            log.warning("%s holds folders named like rolls (%s) beside %s, whose name gives no date, stock or "
                        "roll code: read as ONE roll; give each folder a date, stock or code (or ingest each "
                        "folder on its own) to make them rolls of their own", where or "a delivery",
                        ", ".join(sorted(named)[:3]), ", ".join(repr(o) for o in odd[:3]))
        return []
    return sorted(children, key=_natural_key)


@dataclass
class RollSource:
    """One roll's worth of a source: a scan folder, a lab zip, or one roll of a delivery."""

    source: Path                 # the folder or zip as given (or as found in the inbox)
    name: str                    # the name its metadata is parsed from (the roll's own folder)
    display: str                 # what reports say: 'Lab order 88231/2024-10-01 Portra 400'
    key: str                     # identity: files added later join its roll
    tree: FolderTree | ZipTree
    folder: Path                 # where its files lie (the zip itself for a dry run)
    in_zip: bool = False
    extracted: Path | None = None  # our unpacked copy (removed when the source is done)
    legacy_key: str | None = None  # the key older versions stored (absolute, not resolved)
    ident: tuple[int, int, int, int] | None = None  # a zip's identity when it was extracted


def source_key(path: Path) -> str:
    """Identity of a scan source: its NFC absolute, resolved path (files added later join its roll)."""
    return fsutil.nfc(str(Path(path).resolve()))


def legacy_source_key(path: Path) -> str:
    """The key older versions stored: absolute but not resolved (`..` and links kept)."""
    return fsutil.nfc(str(Path(path).absolute()))


OWN_FOLDERS = {"archive": "the archive", "cache": "the thumbnail cache", "exports": "the exports folder",
               "logs": "the logs folder"}


def check_source_allowed(lib, source: Path) -> None:
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


def _zip_base(rels: list[str]) -> str:
    """'top/' when every entry lies in one top folder (that folder is the delivery), else ''."""
    heads = {r.partition("/")[0] for r in rels}
    if len(heads) == 1 and all("/" in r for r in rels):
        return heads.pop() + "/"
    return ""


def _folder_sources(lib, source: Path, given: Path, name: str) -> list[RollSource]:
    """`source` resolved; `given` as the user spelled it; `name` the one its metadata is read from."""
    problems: list[dict[str, str]] = []
    listing = list_scan_files(source, problems)
    files = [f.relative_to(source).as_posix() for f in listing]
    children = delivery_children(files, (source / SIDECAR_NAME).is_file(), lib.stocks, lib.formats, str(source))
    if not children:  # one roll: its files were just listed, so the plan does not walk them again
        tree = FolderTree(source, listing=listing, problems=problems)
        return [RollSource(source, name, name, source_key(source), tree, source,
                           legacy_key=legacy_source_key(given))]
    units = [RollSource(source, c, f"{name}/{c}", source_key(source / c), FolderTree(source / c), source / c,
                        legacy_key=legacy_source_key(given / c)) for c in children]
    # a child's own problems are found again when it is listed; the rest (beside the rolls) go with the first
    beside = [p for p in problems if not any(p["file"].startswith(c + "/") for c in children)]
    units[0].tree.problems.extend(beside)
    return units


def _zip_sources(lib, source: Path, members: list[unzip.Member], dest: Path | None,
                 entries: dict[str, str], given: Path | None = None,
                 ident: tuple[int, int, int, int] | None = None) -> list[RollSource]:
    rels = [m.rel.as_posix() for m in members]
    base = _zip_base(rels)
    inside = [r[len(base):] for r in rels if r.startswith(base)]
    scans = [r for r in inside if _is_scan(r)]
    children = delivery_children(scans, SIDECAR_NAME in inside, lib.stocks, lib.formats, str(source))
    given = given if given is not None else source
    named = given if given.name not in ("", "..") else source
    key, legacy = source_key(source), legacy_source_key(given)
    parts = [(f"{base}{c}/", c, f"{named.stem}/{c}", f"{key}!{base}{c}", f"{legacy}!{base}{c}")
             for c in children] or [(base, named.stem, named.stem, key, legacy)]
    out = []
    for b, name, display, k, old in parts:
        if dest is None:
            tree: FolderTree | ZipTree = ZipTree(source, members, b, lib.settings.zip_max_bytes)
            folder = source
        else:
            folder = dest.joinpath(*PurePosixPath(b).parts) if b else dest
            tree = FolderTree(folder, label=f"{source.name}!", entries=entries, base=b)
        out.append(RollSource(source, name, display, k, tree, folder, in_zip=True, extracted=dest,
                              legacy_key=old, ident=ident))
    return out


@contextlib.contextmanager
def open_source(lib, source: Path, *, dry_run: bool = False) -> Iterator[list[RollSource]]:
    """The rolls a folder or zip holds; a zip is unpacked (unless `dry_run`) for the block only.

    The library's own folders and names that are not UTF-8 are refused; the rolls' paths
    are resolved (stored absolute: verify --repair finds them from anywhere), a linked
    folder keeping the name it was given.
    """
    given = Path(source)
    if not given.exists():
        raise InputError(f"{given} does not exist; give a scan folder or a lab .zip.")
    check_source_allowed(lib, given)
    check_source_name(given)
    source = given.resolve()
    named = given if given.name not in ("", "..") else source
    if source.is_dir():
        yield _folder_sources(lib, source, given, named.name)
        return
    if not source.is_file():
        raise InputError(f"{source} is neither a folder nor a zip file.")
    if source.suffix.lower() != ".zip":
        raise InputError(f"{source} is a file; ingest takes a scan folder or a lab .zip "
                         "(put loose scans in a folder named after the roll).")
    ident = fsutil.identity(source)  # move mode removes the zip only if it is still this one
    members = unzip.list_members(source)
    if dry_run:
        yield _zip_sources(lib, source, members, None, {}, given, ident)
        return
    with unzip.owned_extraction(lib.cache, source) as dest:
        entries = unzip.extract_zip(source, dest, lib.settings.zip_max_bytes)
        yield _zip_sources(lib, source, members, dest, entries, given, ident)
