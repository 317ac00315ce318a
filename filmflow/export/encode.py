"""Encoding the frames: one plain-data job per frame, the worker that writes it (and its
small copy) with fresh metadata, and the process pool that runs the jobs. Each frame's
failure, whatever it is, is that frame's alone (as in ingest)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from filmflow import imaging
from filmflow.metadata import xmpio
from filmflow.errors import FilmflowError

log = logging.getLogger(__name__)

# A frame exported larger than this also gets a copy this size, for phones (srcset).
SMALL_EDGE = 1024

Result = tuple[str, tuple[int, int] | None, str | None]  # (name, size, None) or (name, None, error)


@dataclass(frozen=True, slots=True)
class Job:
    """One frame to encode; plain data so it pickles into a worker process."""

    name: str
    source: Path
    dst: Path
    long_edge: int
    quality: int
    grey_as_rgb: bool
    keep_gps: bool
    exif: tuple[tuple[str, str], ...]
    xmp: bytes


def small_name(name: str) -> str:
    """'03_R042-12.jpg' -> '03_R042-12@1024.jpg' (no frame name holds an @)."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}@{SMALL_EDGE}.{ext}" if dot else f"{name}@{SMALL_EDGE}"


def _finish(job: Job, jpeg: bytes, size: tuple[int, int]) -> bytes:
    exif = dict(job.exif)
    exif["Exif.Photo.PixelXDimension"], exif["Exif.Photo.PixelYDimension"] = str(size[0]), str(size[1])
    # a logged position (already in exif) wins over a GPS block the scan may carry
    copy_gps = job.keep_gps and "Exif.GPSInfo.GPSLatitude" not in exif
    return xmpio.embed_jpeg(jpeg, exif, job.xmp, gps_from=job.source if copy_gps else None)


def _encode(job: Job) -> Result:
    """Worker: write one frame (and its small copy when it is larger than SMALL_EDGE);
    return (name, size, None) or (name, None, error sentence)."""
    try:
        size = imaging.export_jpeg(
            job.source, job.dst, job.long_edge, job.quality,
            grey_as_rgb=job.grey_as_rgb, finish=functools.partial(_finish, job),
        )
        if max(size) > SMALL_EDGE:
            try:  # from the export just written: already upright sRGB, decoded DCT-scaled
                imaging.export_jpeg(job.dst, job.dst.with_name(small_name(job.name)), SMALL_EDGE, job.quality,
                                    finish=functools.partial(_finish, job))
            except BaseException:
                with contextlib.suppress(OSError):
                    job.dst.unlink()  # ours, just written: a frame is whole (both sizes) or absent
                raise
        return job.name, size, None
    except FilmflowError as e:
        return job.name, None, str(e)
    except OSError as e:
        return job.name, None, f"{job.dst}: cannot be written ({e.strerror or e}); check free space and permissions."
    except Exception as e:  # noqa: BLE001 - one odd scan (a Pillow or exiv2 error) fails alone, as in ingest
        log.debug("export of %s failed", job.source, exc_info=True)
        return job.name, None, (f"{job.source}: cannot be exported ({type(e).__name__}: {e}); the other frames "
                                "were; rerun with --debug for details.")


def run_jobs(jobs: list[Job], workers: int) -> Iterator[Result]:
    """Encode `jobs`, yielding results as they finish (in a process pool when workers > 1)."""
    if not jobs:
        return
    n = min(workers, len(jobs))
    if n <= 1:
        for j in jobs:
            yield _encode(j)
        return
    # Big frames first so the workers finish together.
    order = sorted(jobs, key=lambda j: _size_hint(j.source), reverse=True)
    # Workers die with a killed (or SIGTERMed) export instead of encoding on for ever.
    with ProcessPoolExecutor(max_workers=n, initializer=imaging.worker_init, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_encode, j) for j in order]
        for fut in as_completed(futures):
            yield fut.result()


def _size_hint(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0
