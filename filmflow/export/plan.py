"""What the export will write, before anything is touched: each chosen frame's output
name, film line, metadata (EXIF values, XMP packet) and the key that changes whenever
those bytes would; the export folder's default place."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filmflow import fsutil, metadata
from filmflow.metadata import xmpio
from filmflow.export.encode import Job, small_name
from filmflow.export.settings import ExportItem, ExportSettings

# Bump when the pixel pipeline or the metadata written changes: every frame is redone.
PIPELINE_VERSION = 3  # 2: a smaller copy for the gallery's srcset; 3: metadata through exiv2 (issue 15)


@dataclass(frozen=True, slots=True)
class FramePlan:
    """One chosen frame: the catalog's item, the job that would write it, its key and film line."""

    item: ExportItem
    job: Job
    key: str
    description: str

    @property
    def name(self) -> str:
        return self.job.name


def export_dir_for(exports_root: Path, name: str) -> Path:
    """exports/<slug>: any project name (Unicode, ../, slashes, CON, very long) stays inside."""
    return fsutil.safe_join(Path(exports_root), fsutil.slugify(name))


def frame_meta(item: ExportItem, settings: ExportSettings | None = None) -> metadata.FrameMeta:
    """The frame as `filmflow.metadata` describes it (artist and copyright from the settings)."""
    return metadata.FrameMeta(
        ref=item.ref, roll=item.roll, frame=item.frame, rating=item.rating, pick=item.pick, tags=item.tags,
        caption=item.caption, title=item.ref, stock=item.stock, stock_key=item.stock_key,
        film_maker=item.film_maker, format=item.format, process=item.process, developer=item.developer,
        lab=item.lab, scanner=item.scanner, ei=item.ei, push=item.push, camera=item.camera, lens=item.lens,
        shot=item.shot_at or item.shot, scanned=item.scanned,
        artist=settings.artist if settings else None, copyright=settings.copyright if settings else None,
        aperture=item.aperture, shutter=item.shutter, focal_length=item.focal_length, gps=item.gps, place=item.place)


def film_line(item: ExportItem) -> str:
    """'Kodak Portra 400 @ EI 800 (+1) · 120 6x7 · Mamiya RB67 · R042/12'."""
    return metadata.film_line(frame_meta(item))


def output_name(index: int, count: int, item: ExportItem) -> str:
    """'03_R042-12.jpg': sorts in project order and says which frame it is."""
    width = max(2, len(str(count)))
    roll = fsutil.safe_component(item.roll, 60).replace(" ", "_")
    frame = fsutil.safe_component(item.frame, 30).replace(" ", "_")
    return f"{index:0{width}d}_{roll}-{frame}.jpg"


def xmp_packet(item: ExportItem, description: str, settings: ExportSettings) -> bytes:
    """The export's XMP (metadata.xmp_values): curation, caption (else the film line), film data."""
    values = metadata.xmp_values(frame_meta(item, settings), export=True)
    values.setdefault("Xmp.dc.description", ("alt", description))
    return xmpio.encode(values)


def frame_key(item: ExportItem, job: Job) -> str:
    """Changes whenever the bytes we would write change: source, settings or metadata."""
    blob = json.dumps(
        [PIPELINE_VERSION, item.sha256, job.long_edge, job.quality, job.grey_as_rgb, job.keep_gps,
         [list(kv) for kv in job.exif],
         job.xmp.hex()],
        ensure_ascii=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def plan_frames(chosen: Sequence[ExportItem], out: Path, settings: ExportSettings) -> tuple[FramePlan, ...]:
    """The chosen frames (in project order) as plans, numbered 01, 02, ..."""
    plans = []
    for idx, item in enumerate(chosen, 1):
        fname = output_name(idx, len(chosen), item)
        desc = film_line(item)
        job = Job(
            name=fname, source=Path(item.source), dst=out / fname, long_edge=settings.long_edge,
            quality=settings.quality, grey_as_rgb=settings.grey_as_rgb, keep_gps=settings.keep_gps,
            exif=tuple(metadata.exif_values(frame_meta(item, settings), gps=settings.keep_gps).items()),
            xmp=xmp_packet(item, desc, settings),
        )
        plans.append(FramePlan(item, job, frame_key(item, job), desc))
    return tuple(plans)


def wanted_names(plans: Sequence[FramePlan], post_file: str) -> set[str]:
    """Every file name the plan will write: frames, their small copies, the post."""
    return {p.name for p in plans} | {small_name(p.name) for p in plans} | {post_file}
