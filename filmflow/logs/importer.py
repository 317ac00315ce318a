"""`filmflow log import`: pair a parsed log with its roll and frames; write it in one transaction.

Stages: read (detect + reader) -> find the roll (`--roll`, else the code or name the log
carries, else a new roll with no scans yet) -> roll fields (origin `log`, between the sidecar
and the folder name) -> store the log's frames and pair them with the roll's scans by label.
A dry run stops before the write and reports the same pairing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmflow import fsutil
from filmflow.catalog.db import Catalog, transaction
from filmflow.catalog.logs import (
    find_roll_id_by_name, label_repeats, log_entries, pair_labels, pair_roll, roll_frame_labels, store_log,
)
from filmflow.catalog.models import Origin, Roll
from filmflow.catalog.rolls import find_roll, insert_roll, next_code, now, roll_code, update_roll
from filmflow.errors import InputError
from filmflow.ingest.foldername import parse_folder_name
from filmflow.library import Library
from filmflow.logs.detect import read_log
from filmflow.logs.model import LogError, LogFrame, LogRoll, ParsedLog
from filmflow.stocks import ei_for_push, push_stops
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)

# origins a log outranks (SPEC: option > sidecar > log > folder > exif > default)
_BELOW_LOG = {None, Origin.LOG.value, Origin.FOLDER.value, Origin.EXIF.value, Origin.DEFAULT.value}
_CODE_RE = re.compile(r"^[^\s/\\\x00]{1,40}$")


@dataclass
class LogReport:
    """What one log did (SPEC's `log import --json` object, plus a few keys)."""

    file: str
    format: str
    roll: str | None = None
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    created_roll: bool = False
    unscanned_frames: int = 0           # frames the log has that the roll has no scan of (same as unmatched)
    scans_without_log: list[str] = field(default_factory=list)
    roll_fields: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """SPEC keys first."""
        return {"file": self.file, "format": self.format, "roll": self.roll, "matched": self.matched,
                "unmatched": self.unmatched, "created_roll": self.created_roll,
                "scans_without_log": self.scans_without_log, "roll_fields": self.roll_fields,
                "changes": self.changes, "dry_run": self.dry_run}


def import_logs(lib: Library, paths: list[Path], *, roll: str | None = None,
                dry_run: bool = False) -> list[LogReport]:
    """Import each log file (LogError for the first file that cannot be read: nothing of it is written)."""
    parsed = [(Path(p), read_log(Path(p))) for p in paths]   # read all first: a bad file stops before any write
    if roll and sum(len(logs) for _, logs in parsed) > 1:
        raise InputError(f"--roll {roll} names one roll, but the logs hold {sum(len(x) for _, x in parsed)} rolls; "
                         "import them one at a time, or leave out --roll.")
    db = open_catalog(lib)
    try:
        return [import_one(lib, db, path, one, roll=roll, dry_run=dry_run) for path, logs in parsed for one in logs]
    finally:
        db.conn.close()


def _roll_code_from(lib: Library, parsed: LogRoll) -> tuple[str | None, str | None]:
    """(code, title) the log names for its roll: an explicit id, else one parsed from its name."""
    name = parsed.code or parsed.name
    if not name:
        return None, None
    info = parse_folder_name(fsutil.nfc(name), lib.stocks, lib.formats)
    if parsed.code and _CODE_RE.match(parsed.code):
        return info.code or parsed.code, info.title
    return info.code, info.title if info.code else (info.title or name)


def _find_roll(lib: Library, db: Catalog, path: Path, parsed: ParsedLog, code_opt: str | None
               ) -> tuple[Roll | None, str, str | None]:
    """(existing roll or None, the code to use, a title for a new roll)."""
    if code_opt:
        if not _CODE_RE.match(code_opt):
            raise InputError(f"--roll {code_opt!r} is not a roll code; use letters and digits such as R042.")
        return find_roll(db, code_opt, lib.root), code_opt, None
    code, title = _roll_code_from(lib, parsed.roll)
    if code:
        found = find_roll(db, code, lib.root)
        if found is not None:
            return found, found.code, None
    for name in (parsed.roll.name, parsed.roll.notes):
        if name:
            rid = find_roll_id_by_name(db.conn, fsutil.nfc(name))
            if rid is not None:
                found_code = roll_code(db.conn, rid)
                return find_roll(db, found_code, lib.root), found_code, None
    if not (parsed.roll.name or parsed.roll.code):
        raise LogError(f"{path}: the log names no roll; pass --roll CODE (e.g. --roll R042) to say which roll it is.")
    return None, code or next_code(db.conn, lib.settings.code_template), title


def roll_fields(lib: Library, parsed: LogRoll) -> dict[str, Any]:
    """Roll columns from a log (stock resolved through the stock catalog)."""
    out: dict[str, Any] = {}
    if parsed.stock:
        stock = lib.stocks.find(parsed.stock)
        if stock is not None:
            out.update(stock=stock.name, stock_key=stock.key, stock_iso=stock.iso, process=stock.process)
        else:
            out["stock"] = parsed.stock
    if parsed.ei:
        out["ei"] = parsed.ei
    iso = out.get("stock_iso")
    push = _push(parsed.push)
    if out.get("ei") and iso:
        out["push"] = push_stops(int(out["ei"]), int(iso))
    elif push is not None and iso:
        out["push"], out["ei"] = push, ei_for_push(int(iso), push)
    fmt = parsed.format
    if fmt and fmt in lib.formats:
        out["format"], out["format_family"] = fmt, lib.formats[fmt].family
    for key, value in (("camera", parsed.camera), ("shot_from", parsed.loaded), ("shot_to", parsed.unloaded),
                       ("developed", parsed.developed), ("developer", parsed.developer)):
        if value:
            out[key] = value
    if out.get("shot_from") and not out.get("shot_to"):
        out["shot_to"] = out["shot_from"]
    return out


def _push(text: str | None) -> float | None:
    m = re.fullmatch(r"\s*(?:push|pull)?\s*([+-]?\d+(?:\.\d+)?)\s*", text or "", re.I)
    if not m:
        return None
    v = float(m.group(1))
    return -abs(v) if text and "pull" in text.lower() else v


def _changed_fields(roll: Roll | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The log's fields that take effect: all for a new roll; those it outranks on an existing one."""
    if roll is None:
        return fields
    out = {}
    for k, v in fields.items():
        origin_key = "stock" if k in ("stock_key", "stock_iso", "process") else "format" if k == "format_family" else k
        if roll.sources.get(origin_key) in _BELOW_LOG and getattr(roll, k, None) != v:
            out[k] = v
    return out


def _year(fields: dict[str, Any], roll: Roll | None) -> int | None:
    for d in (fields.get("shot_from"), roll.shot_from if roll else None, fields.get("developed"),
              roll.developed if roll else None):
        if d and str(d)[:4].isdigit():
            return int(str(d)[:4])
    return None


def _frame_rows(frames: tuple[LogFrame, ...]) -> list[dict[str, Any]]:
    labels = label_repeats([f.frame for f in frames])
    return [{"frame": lb, "shot_at": f.shot_at, "aperture": f.aperture, "shutter": f.shutter,
             "shutter_s": f.shutter_s, "focal_length": f.focal_length, "lens": f.lens,
             "exposure_comp": f.exposure_comp, "lat": f.lat, "lon": f.lon, "place": f.place, "note": f.note,
             "flash": None if f.flash is None else int(f.flash), "light_source": f.light_source,
             "filters": f.filters, "exposures": f.exposures} for lb, f in zip(labels, frames)]


def import_one(lib: Library, db: Catalog, path: Path, parsed: ParsedLog, *, roll: str | None,
               dry_run: bool) -> LogReport:
    """Pair and (unless a dry run) write one roll's log."""
    existing, code, title = _find_roll(lib, db, path, parsed, roll)
    fields = roll_fields(lib, parsed.roll)
    rows = _frame_rows(parsed.frames)
    report = LogReport(file=str(path), format=parsed.format, roll=code, created_roll=existing is None,
                       dry_run=dry_run)
    changes = _changed_fields(existing, fields)
    report.roll_fields = {k: v for k, v in changes.items() if k not in ("stock_key", "format_family")}
    if dry_run:
        scans = roll_frame_labels(db.conn, existing.id) if existing else {}
        pairs = pair_labels(scans, [r["frame"] for r in rows])
        used = set(pairs.values())
        report.matched = len(pairs)
        report.unmatched = [r["frame"] for r in rows if r["frame"] not in used]
        report.scans_without_log = sorted(lb for lb in scans if lb not in pairs)
        old = log_entries(db.conn, existing.id) if existing else {}
        report.changes = {"added": sum(r["frame"] not in old for r in rows),
                          "replaced": sum(r["frame"] in old for r in rows)}
        return report
    with transaction(db) as conn:
        if existing is None:
            new = {"code": code, "title": title, **fields}
            new["year"] = _year(fields, None)
            roll_id = insert_roll(conn, new, {k: Origin.LOG.value for k in new if k not in ("stock_key", "format_family", "year")})
        else:
            roll_id = existing.id
            if changes:
                year = _year(changes, existing)
                if year and year != existing.year:
                    changes = {**changes, "year": year}
                origins = {("stock" if k in ("stock_key",) else k): Origin.LOG.value for k in changes
                           if k not in ("stock_key", "format_family", "year")}
                update_roll(conn, roll_id, changes, origins)
        report.changes = store_log(conn, roll_id, rows, path.name, parsed.format, now())
        report.matched, report.unmatched, report.scans_without_log = pair_roll(conn, roll_id)
    return report
