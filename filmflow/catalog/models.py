"""Value types the catalog hands out: Roll, Frame, RollFacts (a frame's roll, for sheets and exports)
and field origins (ProjectEntry and Project live in catalog/projects.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any


class Origin(str, Enum):
    """Where a roll field's value came from (highest first)."""

    OPTION = "option"
    SIDECAR = "sidecar"
    LOG = "log"            # a film log (filmflow log import): between the sidecar and the folder name
    FOLDER = "folder"
    EXIF = "exif"
    DEFAULT = "default"


class Pick(str, Enum):
    """A frame's pick state."""

    YES = "yes"
    NO = "no"
    REJECT = "reject"


# Roll fields that carry an origin, in SPEC's JSON order.
ROLL_FIELDS = (
    "code", "title", "stock", "stock_iso", "ei", "push", "process", "format", "camera", "lens",
    "developed", "shot_from", "shot_to", "scanned", "lab", "developer", "scanner", "notes",
)


@dataclass(frozen=True, slots=True)
class RollFacts:
    """What a contact sheet or an export prints about a frame's roll (`read_frames(..., with_roll=True)`).

    `format` is the roll's film format (135, 6x7), not the scan's file format (Frame.format).
    """

    format: str | None = None
    stock: str | None = None
    stock_key: str | None = None
    ei: int | None = None
    push: float | None = None
    camera: str | None = None
    lens: str | None = None
    title: str | None = None
    developed: str | None = None
    shot_from: str | None = None
    scanned: str | None = None
    process: str | None = None
    lab: str | None = None
    developer: str | None = None


# Roll and Frame are not frozen: a frozen dataclass's __init__ costs ~4x more (6.7 vs 1.6 µs
# for a Frame), and listings build thousands of them. Treat them as values all the same.
@dataclass(slots=True)
class Roll:
    """One developed film."""

    id: int
    code: str
    title: str | None = None
    stock: str | None = None
    stock_key: str | None = None
    stock_iso: int | None = None
    ei: int | None = None
    push: float | None = None
    process: str | None = None
    format: str | None = None
    camera: str | None = None
    lens: str | None = None
    developed: str | None = None
    shot_from: str | None = None
    shot_to: str | None = None
    scanned: str | None = None
    lab: str | None = None
    developer: str | None = None
    scanner: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    frames: int = 0
    source: str | None = None
    path: str | None = None
    mode: str | None = None
    year: int | None = None
    sources: dict[str, str] = field(default_factory=dict)
    source_key: str | None = None

    def to_json(self, *, with_sources: bool = False) -> dict[str, Any]:
        """SPEC's roll shape (`sources` only in `roll show`)."""
        d = {f: getattr(self, f) for f in _ROLL_JSON}  # not asdict(): it deep-copies, 5x slower
        d["tags"] = list(self.tags)
        if with_sources:
            d["sources"] = dict(self.sources)
        return d


@dataclass(slots=True)
class Frame:
    """One scan file of a roll."""

    id: int
    ref: str
    roll: str
    frame: str
    path: str
    file: str
    sha256: str
    bytes: int
    width: int | None = None
    height: int | None = None
    bits: int | None = None
    format: str | None = None
    rating: int = 0
    pick: str = "no"
    caption: str | None = None
    tags: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    scanner: str | None = None
    scanned: str | None = None
    thumbnail: str | None = None
    # capture data from a film log (null when unknown): catalog.logs fills them
    shot_at: str | None = None
    aperture: float | None = None
    shutter: str | None = None
    focal_length: float | None = None
    lens: str | None = None
    gps: dict[str, float] | None = None
    place: str | None = None
    note: str | None = None
    # versions (SPEC shape, version 1 = this scan) and, when another version is preferred,
    # what to show instead: {path, thumbnail, sha256, width, height, n} (catalog.versions fills them)
    versions: tuple[dict[str, Any], ...] = ()
    shown: dict[str, Any] | None = None
    orientation: int | None = None   # EXIF orientation of the scan (5-8: shown turned a quarter)
    # not in the frame JSON: the film log's format (catalog.logs fills it) and, when asked for, the roll's facts
    log_format: str | None = None
    roll_facts: RollFacts | None = None

    @property
    def display_size(self) -> tuple[int | None, int | None]:
        """(width, height) as the scan is shown, its EXIF orientation applied."""
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height

    @property
    def display_path(self) -> str:
        """The file sheets, export and the light table show: the preferred version's."""
        return self.shown["path"] if self.shown else self.path

    @property
    def display_thumbnail(self) -> str | None:
        """The preferred version's thumbnail."""
        return self.shown["thumbnail"] if self.shown else self.thumbnail

    def shown_file(self, version: str = "preferred") -> tuple[str, str | None, str, int]:
        """(path, thumbnail, sha256, version number) of the file sheets and exports show:
        "preferred" the preferred version's (see catalog/versions.py), "original" the frame's own scan."""
        if version == "preferred" and self.shown:
            s = self.shown
            return s["path"], s["thumbnail"], s["sha256"], s["n"]
        return self.path, self.thumbnail, self.sha256, 1

    def to_json(self) -> dict[str, Any]:
        """SPEC's frame shape."""
        d = {f: getattr(self, f) for f in _FRAME_JSON}
        d["tags"] = list(self.tags)
        d["projects"] = list(self.projects)
        d["versions"] = list(self.versions) or [{"n": 1, "kind": "original", "file": self.file, "path": self.path,
                                                 "sha256": self.sha256, "width": self.width, "height": self.height,
                                                 "bits": self.bits, "preferred": True}]
        return d


_ROLL_JSON = tuple(f.name for f in fields(Roll) if f.name not in ("id", "source_key", "sources"))
_FRAME_JSON = tuple(f.name for f in fields(Frame) if f.name not in ("id", "shown", "log_format", "roll_facts"))
