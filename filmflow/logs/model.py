"""The values a film-log reader hands out: a roll's data and its frames, as logged."""

from __future__ import annotations

from dataclasses import dataclass, field

from filmflow.errors import InputError


class LogError(InputError):
    """A log file that cannot be read (exit 2); names the file and, where it can, the line."""


@dataclass(frozen=True, slots=True)
class LogFrame:
    """One logged exposure. `frame` is the label as logged ("1", "00", "12A")."""

    frame: str
    line: int = 0                    # where it stood in the file (for messages)
    shot_at: str | None = None       # local ISO date-time, or a UTC instant ending in "Z" (Film Rolls)
    aperture: float | None = None
    shutter: str | None = None       # "1/250", "2\"" as text people read; "B" for bulb
    shutter_s: float | None = None   # the same in seconds (None for bulb)
    focal_length: float | None = None
    lens: str | None = None
    exposure_comp: str | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None
    note: str | None = None
    flash: bool | None = None
    light_source: str | None = None
    filters: str | None = None
    exposures: int | None = None     # above 1: a multiple exposure on one frame


@dataclass(frozen=True, slots=True)
class LogRoll:
    """What a log says of its roll (all optional)."""

    name: str | None = None          # the roll's name in the app (carries the code, often)
    code: str | None = None          # an explicit roll id (Lightme ReelName)
    stock: str | None = None
    ei: int | None = None
    push: str | None = None
    format: str | None = None
    camera: str | None = None
    loaded: str | None = None        # ISO date
    unloaded: str | None = None
    developed: str | None = None
    developer: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedLog:
    """A whole log file: its format, its roll and its frames, in file order."""

    format: str
    roll: LogRoll
    frames: tuple[LogFrame, ...] = field(default=())
