"""The export's values: what one frame is (ExportItem), how to export (ExportSettings,
validated once, when it is made) and what an export did (ExportReport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from filmflow.errors import InputError
from filmflow.outputs.gallery import POST_LAYOUTS

VERSIONS = ("preferred", "original")


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One frame of the project, as the catalog knows it."""

    position: int
    ref: str
    roll: str
    frame: str
    source: Path
    sha256: str
    caption: str | None
    stock: str | None
    ei: int | None
    push: float | None
    format: str | None
    camera: str | None
    lens: str | None
    roll_title: str | None
    developed: str | None
    shot: str | None
    scanner: str | None
    rating: int = 0
    pick: str = "no"
    tags: tuple[str, ...] = ()
    stock_key: str | None = None
    film_maker: str | None = None
    process: str | None = None
    developer: str | None = None
    lab: str | None = None
    scanned: str | None = None
    shot_at: str | None = None  # the frame's own shot time (film logs); wins over the roll's `shot`
    version: int = 1  # which version of the frame `source` is (1: the original scan)
    aperture: float | None = None  # film-log capture data (catalog/logs.py); `lens` is already the frame's
    shutter: str | None = None
    focal_length: float | None = None
    gps: tuple[float, float] | None = None  # (lat, lon) as logged: written only with keep_gps
    place: str | None = None


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """How to export (options of `project export` plus config); a bad value raises
    InputError naming the option when the settings are made."""

    long_edge: int = 2048
    quality: int = 90
    picks_only: bool = False
    min_rating: int = 0
    gallery: bool = True
    keep_gps: bool = False
    artist: str | None = None
    copyright: str | None = None
    grey_as_rgb: bool = False
    workers: int = 2
    language: str = "en"  # <html lang> of the gallery ([export] language)
    post: str = "plain"  # gallery.POST_LAYOUTS: plain, hugo, jekyll
    version: str = "preferred"  # the pixel source: each frame's preferred version, or "original"

    def __post_init__(self) -> None:
        if not isinstance(self.long_edge, int) or self.long_edge < 1:
            raise InputError(f"--long-edge {self.long_edge} must be a positive number of pixels, e.g. 2048.")
        if not isinstance(self.quality, int) or not 1 <= self.quality <= 100:
            raise InputError(f"--quality {self.quality} must be between 1 and 100.")
        if not isinstance(self.min_rating, int) or not 0 <= self.min_rating <= 5:
            raise InputError(f"--min-rating {self.min_rating} must be between 0 and 5.")
        if self.post not in POST_LAYOUTS:
            raise InputError(f"--post {self.post}: use one of {', '.join(POST_LAYOUTS)}.")
        if self.workers < 1:
            raise InputError(f"workers {self.workers}: must be at least 1.")
        if self.version not in VERSIONS:
            raise InputError(f"--version {self.version}: use preferred (each frame's preferred version) or original.")

    def wants(self, item: ExportItem) -> bool:
        """Whether the export takes this frame (--picks-only, --min-rating)."""
        return (not self.picks_only or item.pick == "yes") and item.rating >= self.min_rating


@dataclass
class ExportReport:
    """What an export did; `failed` non-empty means exit 1 (the rest was exported)."""

    out_dir: Path
    written: list[str]
    unchanged: list[str]
    removed: list[str]
    failed: list[dict]  # {"file": ..., "error": ..., "ref": ...}
    manifest: Path
    gallery: Path | None
    post: Path | None
    sheet: Path | None
    renamed: list[str] = field(default_factory=list)
