"""Versions found by themselves at ingest: edits by name, re-scans by look.

- Before numbering (`find_edits`): a file named like a frame's file plus edit marks
  (config/edit_marks.toml) is an edit of that frame — a frame already in the roll, or a scan
  arriving in the same folder. It gets no frame number of its own.
- After the thumbnails (`split_versions`): a scan whose frame number was taken (it would be
  `12-2`) and whose thumbnail looks like frame 12's (ingest/recognise.looks_alike) is a
  re-scan: a `scan` version of 12, not a new frame.
- In the commit (`insert_versions`): the version rows, numbered in arrival order.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

from filmflow.catalog.frames import frame_ids_in_roll, frame_thumbs_in_roll
from filmflow.catalog.rolls import roll_code
from filmflow.catalog.versions import frame_file_stems, insert_version
from filmflow.ingest.recognise import EditMarks, dhash, looks_alike

log = logging.getLogger(__name__)

_WORDY_MARK = re.compile(r"[-_ ](edit(ed)?|copy)\b", re.I)   # a mark that says "edit" (worth a warning)


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return unicodedata.normalize("NFC", stem).casefold()


def find_edits(marks: EditMarks, conn, roll_id: int | None, listed: list[tuple[str, Path]]
               ) -> tuple[dict[str, tuple[str, Any, Path]], list[tuple[str, Path]]]:
    """Split a roll's files into edits and the rest.

    Returns ({rel of an edit: ("frame", frame id, path) | ("file", rel of its original in this
    folder, path)}, the other files). An edit of an edit (`-edit-edit`) belongs to the original.
    """
    stems: dict[str, tuple[str, Any]] = {}
    if roll_id is not None:
        stems.update({s: ("frame", fid) for s, (fid, _label) in frame_file_stems(conn, roll_id).items()})
    here = {_stem(Path(rel).name): ("file", rel) for rel, _ in listed}
    edits: dict[str, tuple[str, Any, Path]] = {}
    rest: list[tuple[str, Path]] = []
    for rel, f in listed:
        target = marks.edit_of(f.name, {**here, **stems})
        if target is not None and target != ("file", rel):
            edits[rel] = (*target, f)
        else:
            if _WORDY_MARK.search(Path(rel).stem):
                log.warning("%s is named like an edit but no frame of this roll has the file name it extends; "
                            "it is kept as a new frame (`filmflow version add` makes it a version)", f)
            rest.append((rel, f))
    # an "original" that is itself an edit of something here is resolved to that first one
    for rel, (kind, value, path) in list(edits.items()):
        seen = {rel}
        while kind == "file" and value in edits and value not in seen:
            seen.add(value)
            kind, value, _ = edits[value]
        edits[rel] = (kind, value, path)
    return edits, rest


def split_versions(conn, roll_id: int | None, rows: list[tuple[Any, dict]], match_distance: float,
                   root: Path) -> tuple[list[tuple[Any, dict]], list[tuple[Any, dict, tuple[str, Any], str]]]:
    """(frame rows, version rows): edits planned as such, and re-scans that look like their frame.

    A version row is (file plan, result, ("frame", id) | ("label", frame label in this commit), kind).
    """
    frames, versions = [], []
    by_label = {f.frame: r for f, r in rows if getattr(f, "version_of", None) is None}
    existing: dict[str, tuple[int, str | None]] | None = None
    for f, r in rows:
        target = getattr(f, "version_of", None)
        if target is not None:
            kind, value = target
            versions.append((f, r, ("frame", value) if kind == "frame" else ("label", value), "edit"))
            continue
        base = re.sub(r"-\d+$", "", f.frame)
        if base == f.frame:
            frames.append((f, r))
            continue
        # a second scan of a number: the same negative when it looks like that frame
        if existing is None:
            existing = _roll_thumbs(conn, roll_id)
        twin = by_label.get(base)
        other = twin.get("thumbnail") if twin is not None else (existing.get(base) or (None, None))[1]
        other_path = None if other is None else (Path(other) if Path(other).is_absolute() else root / other)
        if other_path is not None and other_path.exists() and looks_alike(dhash(Path(r["thumbnail"])),
                                                                         dhash(other_path), match_distance):
            target = ("label", base) if twin is not None else ("frame", existing[base][0])
            versions.append((f, r, target, "scan"))
        else:
            frames.append((f, r))
    return frames, versions


def _roll_thumbs(conn, roll_id: int | None) -> dict[str, tuple[int, str | None]]:
    if roll_id is None:
        return {}
    return frame_thumbs_in_roll(conn, roll_id)


def insert_versions(conn, roll_id: int, versions: list[tuple[Any, dict, tuple[str, Any], str]],
                    rel: Any, ts: str, extracted: bool) -> list[str]:
    """Insert the version rows (after the frames, so a label names a committed frame); their refs."""
    if not versions:
        return []
    ids = frame_ids_in_roll(conn, roll_id)
    code = roll_code(conn, roll_id)
    labels = {fid: label for label, fid in ids.items()}
    out = []
    for f, r, (kind, value), vkind in versions:
        fid = value if kind == "frame" else ids.get(value)
        if fid is None:  # its original failed: it stays out (reported with that failure)
            continue
        n = insert_version(conn, {
            "frame_id": fid, "kind": vkind, "path": rel(r["dest"]), "file": f.src.name,
            "source_path": None if extracted else str(f.src), "sha256": r["sha"], "bytes": r["bytes"],
            "width": r["width"], "height": r["height"], "bits": r["bits"], "format": r["format"], "mode": r["mode"],
            "thumbnail": rel(Path(r["thumbnail"])), "dhash": dhash(Path(r["thumbnail"])), "added_at": ts})
        out.append(f"{code}/{labels[fid]} version {n}")
    return out
