"""Year in review: the figures `filmflow stats` prints and the year's picks (the chart it
draws is filmflow/outputs/chart.py).

Owns `parse_year` (`--year` text → a year or None for the whole archive), `year_stats`
(one grouped SELECT over the year's rolls, summed in Python: a year is at most a few
hundred rolls, the whole archive a few thousand) and `year_picks` (the year's picked
frames, typed, for its contact sheet; `year_pick_frames` is the same as plain dicts).

A roll belongs to the year in `rolls.year` (shot year, else developed, else scanned) and
to the month of the same date. Push/pull groups rolls by stops rounded to 1/3; a roll
with no push recorded counts as box speed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any


from filmflow.catalog.logs import capture_stats
from filmflow.catalog.db import Catalog
from filmflow.catalog.versions import edited_pick_count
from filmflow.catalog.yearstats import project_stat_rows, roll_stat_rows, year_picks  # noqa: F401 - year_picks is ours too
from filmflow.errors import InputError
from filmflow.stocks import edge_print, format_push

if TYPE_CHECKING:
    from filmflow.library import Library

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
CHART_EXTENSIONS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_YEAR_RE = re.compile(r"^\d{4}$")


def parse_year(text: str | int | None, today: dt.date | None = None) -> int | None:
    """`--year` text → a year, or None for the whole archive.

    Examples: "2023" → 2023; "all" / "ALL" → None; None → the current year;
    "20x3", "23", "-1", "" → InputError.
    """
    if text is None:
        return (today or dt.date.today()).year
    s = str(text).strip()
    if s.lower() == "all":
        return None
    if not _YEAR_RE.match(s) or not 1000 <= int(s) <= 9999:
        raise InputError(f"--year {text!r} is not a year; write four digits such as 2023, or `all`.")
    return int(s)


def push_label(push: float | None) -> str:
    """Push/pull stops as a photographer writes them: None or 0 → "0", 1.667 → "+1 2/3"."""
    return format_push(push) or "0"


def _push_sort_key(label: str) -> float:
    if label == "0":
        return 0.0
    sign = -1.0 if label.startswith("-") else 1.0
    total = 0.0
    for part in label[1:].split():
        if "/" in part:
            a, b = part.split("/")
            total += int(a) / int(b)
        else:
            total += int(part)
    return sign * total


def _date(text: str | None) -> dt.date | None:
    """The date at the start of an ISO 8601 value, or None."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _rate(picks: int, frames: int) -> float | None:
    return round(picks / frames, 4) if frames else None


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counts for one stock or camera: rolls, frames, picks and the keeper rate."""

    name: str
    rolls: int
    frames: int
    picks: int
    keeper_rate: float | None
    first: dict[str, str | None] | None = None   # {"code", "date"} of the first roll (stocks)
    last: dict[str, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON object; `first`/`last` only where known."""
        d: dict[str, Any] = {"name": self.name, "rolls": self.rolls, "frames": self.frames,
                             "picks": self.picks, "keeper_rate": self.keeper_rate}
        if self.first is not None:
            d["first"] = self.first
            d["last"] = self.last
        return d


@dataclass(frozen=True, slots=True)
class ProjectSize:
    """A project and how many of its frames it holds (in all, and from this year's rolls)."""

    name: str
    title: str | None
    frames: int
    frames_in_year: int


@dataclass(frozen=True, slots=True)
class Turnaround:
    """Lab turnaround in days, from the last shot date to the developed date."""

    rolls: int
    median_days: float
    mean_days: float
    min_days: int
    max_days: int
    slowest: dict[str, Any]
    by_lab: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class YearStats:
    """Everything `stats` reports for one year (or the whole archive when `year` is None)."""

    year: int | None
    rolls: int = 0
    frames: int = 0
    picks: int = 0
    rejects: int = 0
    by_stock: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    by_format: dict[str, int] = field(default_factory=dict)
    by_camera: dict[str, int] = field(default_factory=dict)
    push_pull: dict[str, int] = field(default_factory=dict)
    by_process: dict[str, int] = field(default_factory=dict)
    projects: tuple[ProjectSize, ...] = ()
    stocks: tuple[GroupStats, ...] = ()
    cameras: tuple[GroupStats, ...] = ()
    turnaround: Turnaround | None = None
    lenses: tuple[GroupStats, ...] = ()          # a frame's own lens (film log), else its roll's
    by_aperture: dict[str, int] = field(default_factory=dict)
    by_focal_length: dict[str, int] = field(default_factory=dict)
    edited_picks: int = 0                        # picks with an edit version (issue 17)

    @property
    def keeper_rate(self) -> float | None:
        """Picks per frame over the whole period."""
        return _rate(self.picks, self.frames)

    @property
    def label(self) -> str:
        """"2023" or "all years"."""
        return str(self.year) if self.year is not None else "all years"

    def to_json(self) -> dict[str, Any]:
        """SPEC's `stats --json` keys first, then the added figures."""
        t = self.turnaround
        return {
            "year": self.year if self.year is not None else "all",
            "rolls": self.rolls,
            "frames": self.frames,
            "picks": self.picks,
            "by_stock": dict(self.by_stock),
            "by_month": dict(self.by_month),
            "by_format": dict(self.by_format),
            "by_camera": dict(self.by_camera),
            "push_pull": dict(self.push_pull),
            "projects": [{"name": p.name, "title": p.title, "frames": p.frames,
                          "frames_in_year": p.frames_in_year} for p in self.projects],
            "rejects": self.rejects,
            "keeper_rate": self.keeper_rate,
            "edited_picks": self.edited_picks,
            "by_process": dict(self.by_process),
            "stocks": [s.to_json() for s in self.stocks],
            "cameras": [c.to_json() for c in self.cameras],
            "lenses": [g.to_json() for g in self.lenses],
            "by_aperture": dict(self.by_aperture),
            "by_focal_length": dict(self.by_focal_length),
            "turnaround": None if t is None else {
                "rolls": t.rolls, "median_days": t.median_days, "mean_days": t.mean_days,
                "min_days": t.min_days, "max_days": t.max_days, "slowest": t.slowest, "by_lab": t.by_lab,
            },
        }


def _roll_date(row: dict[str, Any]) -> dt.date | None:
    """The date that put the roll in its year: shot, else developed, else scanned."""
    dates = [_date(row["shot_from"]), _date(row["developed"]), _date(row["scanned"])]
    for d in dates:
        if d is not None and (row["year"] is None or d.year == row["year"]):
            return d
    return next((d for d in dates if d is not None), None)


def _groups(rolls: list[dict[str, Any]], key: str, with_span: bool) -> tuple[GroupStats, ...]:
    acc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rolls:
        acc[r[key] or UNKNOWN].append(r)
    out = []
    for name, rs in acc.items():
        frames = sum(r["n_frames"] for r in rs)
        picks = sum(r["n_picks"] for r in rs)
        first = last = None
        if with_span:
            ordered = sorted(rs, key=lambda r: (r["_date"] or dt.date.max, r["code"]))
            first = {"code": ordered[0]["code"], "date": ordered[0]["_date"] and ordered[0]["_date"].isoformat()}
            last = {"code": ordered[-1]["code"], "date": ordered[-1]["_date"] and ordered[-1]["_date"].isoformat()}
        out.append(GroupStats(name, len(rs), frames, picks, _rate(picks, frames), first, last))
    out.sort(key=lambda g: (g.name == UNKNOWN, -g.rolls, -g.frames, g.name.casefold()))
    return tuple(out)


def _counts(values: Sequence[str]) -> dict[str, int]:
    """Counts, most common first, `unknown` last."""
    c = Counter(values)
    return dict(sorted(c.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], kv[0].casefold())))


def _turnaround(rolls: list[dict[str, Any]]) -> Turnaround | None:
    samples: list[tuple[int, dict[str, Any]]] = []
    for r in rolls:
        shot = _date(r["shot_to"]) or _date(r["shot_from"])
        dev = _date(r["developed"])
        if shot is None or dev is None:
            continue
        days = (dev - shot).days
        if days < 0:  # a date typed wrong; a lab cannot develop before the last frame is shot
            log.debug("roll %s developed %s before its last shot date %s; left out of turnaround",
                      r["code"], dev, shot)
            continue
        samples.append((days, r))
    if not samples:
        return None
    days = [d for d, _ in samples]
    slow_days, slow = max(samples, key=lambda s: (s[0], s[1]["code"]))
    labs: dict[str, list[int]] = defaultdict(list)
    for d, r in samples:
        labs[r["lab"] or UNKNOWN].append(d)
    by_lab = {lab: {"rolls": len(ds), "median_days": float(statistics.median(ds))}
              for lab, ds in sorted(labs.items(), key=lambda kv: (kv[0] == UNKNOWN, -len(kv[1]), kv[0]))}
    return Turnaround(
        rolls=len(days), median_days=float(statistics.median(days)), mean_days=round(statistics.fmean(days), 1),
        min_days=min(days), max_days=max(days), slowest={"code": slow["code"], "days": slow_days},
        by_lab=by_lab,
    )


def year_stats(db: Catalog, year: int | None) -> YearStats:
    """The figures for one year's rolls (`None`: every roll in the catalog)."""
    rolls = roll_stat_rows(db, year)
    for r in rolls:
        r["_date"] = _roll_date(r)

    months: list[str] = []
    if year is not None:
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
    by_month: dict[str, int] = dict.fromkeys(months, 0)
    for r in sorted(rolls, key=lambda r: r["_date"] or dt.date.max):
        d = r["_date"]
        key = d.strftime("%Y-%m") if d is not None and (year is None or d.year == year) else UNKNOWN
        by_month[key] = by_month.get(key, 0) + 1
    if year is None:
        by_month = dict(sorted(by_month.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0])))

    pushes = Counter(push_label(r["push"]) for r in rolls)
    projects = tuple(
        ProjectSize(p["name"], p["title"], p["n_frames"], p["n_in_year"])
        for p in project_stat_rows(db, year)
        if year is None or p["n_in_year"] > 0 or p["created_year"] == str(year)
    )
    capture = capture_stats(db.conn, year)
    return YearStats(
        year=year,
        rolls=len(rolls),
        frames=sum(r["n_frames"] for r in rolls),
        picks=sum(r["n_picks"] for r in rolls),
        rejects=sum(r["n_rejects"] for r in rolls),
        by_stock=_counts([r["stock"] or UNKNOWN for r in rolls]),
        by_month=by_month,
        by_format=_counts([r["format"] or UNKNOWN for r in rolls]),
        by_camera=_counts([r["camera"] or UNKNOWN for r in rolls]),
        push_pull=dict(sorted(pushes.items(), key=lambda kv: _push_sort_key(kv[0]))),
        by_process=_counts([r["process"] or UNKNOWN for r in rolls]),
        projects=projects,
        stocks=_groups(rolls, "stock", with_span=True),
        cameras=_groups(rolls, "camera", with_span=False),
        turnaround=_turnaround(rolls),
        lenses=tuple(GroupStats(name, n_rolls, n, picks, _rate(picks, n))
                     for name, n_rolls, n, picks in capture["lenses"]),
        by_aperture=capture["by_aperture"], by_focal_length=capture["by_focal_length"],
        edited_picks=edited_pick_count(db.conn, year),
    )


# --- the year's picks, for a contact sheet ---------------------------------------------

def year_pick_frames(lib: Library, db: Catalog, year: int | None) -> list[dict[str, Any]]:
    """The year's picked frames in shooting order (`year_picks`) as plain dicts: the frame's ref,
    roll, frame, rating, pick, caption and scanner, the shown version's path, thumbnail (the cache
    path by content hash when none is stored; both absolute), sha256 and version, its roll's
    facts (`roll_title` for the roll's title), film-log data and the stock's edge_print."""
    rows = []
    edges: dict[tuple[str | None, str | None], str | None] = {}
    for f in year_picks(db, year):
        path, thumb, sha, n = f.shown_file()
        facts = dataclasses.asdict(f.roll_facts) if f.roll_facts else {}
        facts["roll_title"] = facts.pop("title", None)
        k = (facts.get("stock_key"), facts.get("stock"))
        if k not in edges:
            edges[k] = edge_print(lib.stocks, *k)
        gps = f.gps or {}
        rows.append({"id": f.id, "ref": f.ref, "roll": f.roll, "frame": f.frame, "rating": f.rating, "pick": f.pick,
                     "caption": f.caption, "scanner": f.scanner, **facts,
                     "path": lib.resolve(path), "thumbnail": lib.resolve(thumb or lib.thumbnail_rel(sha)),
                     "sha256": sha, "version": n, "shot_at": f.shot_at, "aperture": f.aperture,
                     "shutter": f.shutter, "focal_length": f.focal_length, "log_lens": f.lens,
                     "lat": gps.get("lat"), "lon": gps.get("lon"), "place": f.place,
                     "log_format": f.log_format, "edge_print": edges[k]})
    return rows
