"""manifest.json: reading the previous export's record, what it owns, the diff of that
record against the plan (keep, rename, encode), the intent log written before anything is
touched (with checkpoints as frames finish) and the final record.

An export killed midway leaves an in-progress manifest listing every name it was about to
write, so the next run still owns what it half did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from filmflow import __version__, fsutil, imaging, metadata
from filmflow.errors import InputError
from filmflow.export.encode import SMALL_EDGE, Job, small_name
from filmflow.export.files import MANIFEST, META_FILES, intact, is_plain_name, size_of
from filmflow.export.plan import FramePlan
from filmflow.export.settings import ExportSettings

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1


def load_manifest(out: Path) -> dict:
    """The previous manifest, or {} when there is none or it is not ours / unreadable."""
    p = out / MANIFEST
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s is unreadable (%s); no earlier export file will be removed", p, e)
        return {}
    if not isinstance(data, dict) or data.get("generator", "").split(" ")[0] != "filmflow":
        log.warning("%s was not written by filmflow; no earlier export file will be removed", p)
        return {}
    return data


def check_project(out: Path, old: dict, name: str) -> None:
    """Refuse a folder that holds another project's export."""
    if old and old.get("project") != name:
        raise InputError(
            f"{out} holds the export of project {old.get('project')!r}, not {name!r}; "
            "choose another --to so neither export removes the other's files."
        )


def owned_files(old: dict) -> tuple[dict[str, dict], set[str]]:
    """(frame entries by output name, every file name a previous export recorded)."""
    frames: dict[str, dict] = {}
    for e in old.get("frames", []) or []:
        if isinstance(e, dict) and is_plain_name(e.get("file")):
            frames[e["file"]] = e
    names = set(frames)
    for key in ("files", "pending"):
        names.update(n for n in old.get(key, []) or [] if is_plain_name(n))
    return frames, names


def check_foreign(out: Path, old: dict, owned: set[str], wanted: set[str]) -> None:
    """Refuse to overwrite files in `out` that no filmflow export of this project wrote."""
    targets = wanted | set(META_FILES) | ({MANIFEST} if not old else set())
    foreign = sorted(n for n in targets - owned if (out / n).exists() or (out / n).is_symlink())
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InputError(
            f"{out} already holds {shown}, not written by a filmflow export of this project; "
            "choose an empty --to folder or move those files away."
        )


def manifest_bytes(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class ManifestDiff:
    """The previous export against the plan: frames kept as they are, frames that only
    moved (old name, new name), and jobs to encode."""

    unchanged: tuple[str, ...]
    moves: tuple[tuple[str, str], ...]
    encode: tuple[Job, ...]


def diff_manifest(out: Path, old_frames: dict[str, dict], plans: Sequence[FramePlan]) -> ManifestDiff:
    """Which planned frames are already there whole, which a previous export wrote under
    another name (same key), and which must be encoded."""
    old_by_key = {e.get("key"): n for n, e in old_frames.items() if e.get("key") and (out / n).is_file()}
    unchanged = []
    for p in plans:
        prev = old_frames.get(p.name)
        if prev and prev.get("key") == p.key and intact(p.job.dst, prev) and (
                not prev.get("small") or (out / prev["small"]).is_file()):
            unchanged.append(p.name)
    kept = set(unchanged)
    moves: list[tuple[str, str]] = []
    encode: list[Job] = []
    for p in plans:
        if p.name in kept:
            continue
        src_name = old_by_key.get(p.key)
        if src_name and src_name != p.name and src_name not in kept and src_name not in {m[0] for m in moves}:
            moves.append((src_name, p.name))
        else:
            encode.append(p.job)
    return ManifestDiff(tuple(unchanged), tuple(moves), tuple(encode))


def known_sizes(old_frames: dict[str, dict], plans: Sequence[FramePlan], unchanged: Sequence[str],
                renamed: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(width, height) of the frames kept or renamed, as the previous manifest recorded them."""
    key_of = {p.name: p.key for p in plans}
    sizes = {n: (old_frames[n].get("width"), old_frames[n].get("height")) for n in unchanged}
    for n in renamed:
        prev = next((e for e in old_frames.values() if e.get("key") == key_of[n]), None) or {}
        sizes[n] = (prev.get("width"), prev.get("height"))
    return sizes


# --------------------------------------------------------------------------- entries


def frame_entry(plan: FramePlan, size: tuple) -> dict:
    """The manifest entry of one exported frame."""
    item, job = plan.item, plan.job
    return {
        "ref": item.ref, "roll": item.roll, "frame": item.frame,
        "file": job.name, "sha256": item.sha256, "source": str(item.source), "version": item.version,
        "stock": item.stock, "ei": item.ei, "push": item.push, "format": item.format,
        "camera": item.camera, "lens": item.lens, "roll_title": item.roll_title,
        "developed": item.developed, "shot": item.shot, "scanner": item.scanner,
        "shot_at": item.shot_at, "place": item.place,
        "exposure": metadata.exposure_line(item.aperture, item.shutter, item.focal_length) or None,
        "caption": item.caption, "rating": item.rating, "pick": item.pick, "tags": list(item.tags),
        "description": plan.description, "width": size[0], "height": size[1], "key": plan.key,
        "bytes": size_of(job.dst), **_small_entry(job, size),
    }


def _small_entry(job: Job, size: tuple) -> dict:
    """The small copy's manifest fields (none for a frame no larger than SMALL_EDGE)."""
    if not size[0] or not size[1] or max(size) <= SMALL_EDGE:
        return {}
    w, h = imaging.target_size((int(size[0]), int(size[1])), SMALL_EDGE)
    return {"small": small_name(job.name), "small_width": w, "small_height": h}


def frame_entries(plans: Sequence[FramePlan], sizes: dict[str, tuple], old_frames: dict[str, dict]) -> list[dict]:
    """Frame entries, in order; a failed frame keeps its previous output (marked stale) if any."""
    frames_doc: list[dict] = []
    for p in plans:
        if p.name not in sizes:
            prev = old_frames.get(p.name)
            if prev and p.job.dst.is_file():
                frames_doc.append({**prev, "position": len(frames_doc) + 1, "stale": True})
            continue
        frames_doc.append({"position": len(frames_doc) + 1, **frame_entry(p, sizes[p.name])})
    return frames_doc


def set_key(frames_doc: Sequence[dict]) -> str:
    """Changes whenever the set of frames (or any frame) changes: the contact sheet is redone."""
    return hashlib.sha256(json.dumps([[e["file"], e["key"]] for e in frames_doc]).encode()).hexdigest()[:32]


# --------------------------------------------------------------------------- intent log


class IntentLog:
    """The in-progress manifest: written before anything is touched, listing every name
    about to be written as "pending" (ours, possibly stale), and rewritten now and then as
    frames finish, so a killed export keeps them on the next run. `sizes` holds the
    (width, height) of every frame done so far: kept, renamed or written."""

    def __init__(self, out: Path, name: str, plans: Sequence[FramePlan], old_frames: dict[str, dict],
                 unchanged: Sequence[str], pending: set[str], every: float) -> None:
        entries_by_name = {e["file"]: e for e in (old_frames.get(n) for n in unchanged) if e}
        self.out, self.every, self.last = out, every, time.monotonic()
        self.plans = {p.name: p for p in plans}
        self.doc = {
            "generator": f"filmflow {__version__}",
            "format": MANIFEST_FORMAT,
            "complete": False,
            "project": name,
            "frames": [entries_by_name[n] for n in unchanged],
            "files": sorted(unchanged),
            "pending": sorted(pending - set(unchanged)),
        }
        self.sizes: dict[str, tuple] = {}

    def write(self) -> None:
        """Write the intent log as it stands (before the first change to the folder)."""
        fsutil.atomic_write_bytes(self.out / MANIFEST, manifest_bytes(self.doc))

    def checkpoint(self, force: bool = False) -> None:
        """Record the frames finished so far (at most once per `every` seconds unless `force`)."""
        if not force and time.monotonic() - self.last < self.every:
            return
        done = [n for n in self.plans if n in self.sizes]
        doc = {**self.doc,
               "frames": [frame_entry(self.plans[n], self.sizes[n]) for n in done],
               "files": sorted(done),
               "pending": sorted(set(self.doc["pending"]) - set(done))}
        fsutil.atomic_write_bytes(self.out / MANIFEST, manifest_bytes(doc))
        self.last = time.monotonic()

    def claim(self, names: Sequence[str]) -> None:
        """Record `names` as about to be written (ours), now."""
        self.doc["pending"] = sorted(set(self.doc["pending"]) | set(names))
        self.checkpoint(True)


# --------------------------------------------------------------------------- final record


def final_manifest(name: str, title: str | None, description: str | None, created: str,
                   settings: ExportSettings, key: str, frames_doc: list[dict], files: list[str],
                   pages: list[str], failed: list[dict]) -> dict:
    """The complete manifest of a finished export."""
    return {
        "generator": f"filmflow {__version__}",
        "format": MANIFEST_FORMAT,
        "complete": True,
        "project": name,
        "title": title,
        "description": description,
        "created": created,
        "settings": {
            "long_edge": settings.long_edge, "quality": settings.quality,
            "picks_only": settings.picks_only, "min_rating": settings.min_rating,
            "gallery": settings.gallery, "keep_gps": settings.keep_gps,
            "grey_as_rgb": settings.grey_as_rgb, "artist": settings.artist,
            "copyright": settings.copyright,
        },
        "set_key": key,
        "frames": frames_doc,
        "files": sorted(set(files)),
        "sheet_pages": pages,
        "pending": [],
        "failed": failed,
    }


def created_date(old: dict) -> str:
    """The day the export was first made (kept across re-exports)."""
    return old.get("created") or date.today().isoformat()
