"""The light table's images: cached thumbnails, loupe previews and 100% views, made in a worker process.

- thumbnail: the ingest cache (`cache/thumbs/ab/<sha256>.jpg`), remade from the scan when missing;
- preview: `cache/previews/<sha256>.jpg`, long edge PREVIEW_EDGE, by export's imaging code
  (16-bit, ICC and CMYK scans converted to sRGB), made on first use;
- full: the archived scan itself for a JPEG, else `cache/full/<sha256>.jpg` at full size.

Every file is written atomically (imaging writes through fsutil.atomic_write). Work runs in a
ProcessPoolExecutor so a 6000x4000 decode never blocks the server; concurrent requests for
the same image share one job.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
from pathlib import Path

from filmflow import imaging
from filmflow.library import Library

log = logging.getLogger(__name__)

PREVIEW_EDGE = 2048
PREVIEW_QUALITY = 85
FULL_QUALITY = 92
KINDS = ("thumb", "preview", "full")


def preview_path(lib: Library, sha256: str) -> Path:
    """cache/previews/<sha256>.jpg."""
    return lib.cache / "previews" / f"{sha256}.jpg"


def full_path(lib: Library, sha256: str) -> Path:
    """cache/full/<sha256>.jpg (full-size JPEG of a non-JPEG scan)."""
    return lib.cache / "full" / f"{sha256}.jpg"


def make_preview(src: str, dst: str, long_edge: int = PREVIEW_EDGE, quality: int = PREVIEW_QUALITY) -> str:
    """Worker: an sRGB JPEG of `src` with `long_edge` (never upscaled) at `dst`; returns dst."""
    if not Path(dst).exists():
        imaging.export_jpeg(Path(src), Path(dst), long_edge, quality)
    return dst


def make_thumb(src: str, dst: str, long_edge: int) -> str:
    """Worker: the ingest thumbnail of `src` at `dst`; returns dst."""
    if not Path(dst).exists():
        imaging.make_thumbnail(Path(src), Path(dst), long_edge)
    return dst


class ImageWorker:
    """Makes missing thumbnails/previews/full views in a process pool, one job per file."""

    def __init__(self, workers: int = 1) -> None:
        # the server runs threads: never fork; the forkserver does not re-import __main__
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["filmflow.web.images"])
        self.pool = concurrent.futures.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx)
        self.jobs: dict[str, asyncio.Future] = {}

    async def ensure(self, dst: Path, func, *args) -> Path:  # noqa: ANN001 - a worker function
        """`dst` once it exists (made by `func(*args)` in the pool if needed)."""
        if dst.exists():
            return dst
        key = str(dst)
        fut = self.jobs.get(key)
        if fut is None:
            loop = asyncio.get_running_loop()
            fut = asyncio.ensure_future(loop.run_in_executor(self.pool, func, *args))
            self.jobs[key] = fut
            fut.add_done_callback(lambda _f: self.jobs.pop(key, None))
        await asyncio.shield(fut)
        return dst

    def close(self) -> None:
        """Stop the workers (running jobs finish: their writes are atomic either way)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
