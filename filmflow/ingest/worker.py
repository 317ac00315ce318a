"""The per-file work of an ingest, run in a process pool: verified copy, hash, thumbnail.

The scan's EXIF was read once while planning (ingest/exif.py, exifread): the worker is
handed it, and tells imaging the orientation, so Pillow only decodes pixels.

A worker never raises (an error is data, one sentence naming the user's file), never
outlives the ingest that started it, and names its temp copies by that ingest's pid.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

from filmflow import fsutil, imaging
from filmflow.errors import ArchiveError, FilmflowError
from filmflow.ingest.exif import ScannerInfo, read_scanner_info


def _error_text(src: Path, e: BaseException) -> str:
    if isinstance(e, FilmflowError):
        return e.message
    if isinstance(e, FileNotFoundError):
        return f"{src} vanished during ingest; nothing of it was archived (ingest again once it is back)."
    if isinstance(e, PermissionError):
        return f"{src} cannot be read (permission denied); fix its permissions (chmod +r) and ingest again."
    if fsutil.is_disk_full(e):
        return (f"the disk is full while archiving {fsutil.display(src)}; the copy was removed, "
                "free some space and ingest again.")
    if isinstance(e, OSError):
        return f"{src}: {e.strerror or e}; the file was left untouched."
    return f"{src}: {type(e).__name__}: {e}"


PREVIEW_EDGE = 2048  # the light table's loupe preview (filmflow/web/images.py names the same file)


def process_file(src: str, dest: str | None, thumb: str, thumb_size: int, owner: int | None = None,
                 preview: str | None = None, exif: ScannerInfo | None = None) -> dict[str, Any]:
    """Worker: verified copy to a temp name beside `dest` (or just hash), thumbnail; `exif` is
    what the plan read of the scan (read here when None).

    Runs in a process pool; returns plain data. Never raises: an error is data too. The
    temp name carries `owner`'s pid (the ingest, not this worker), so a sweep by another
    process leaves it alone while the ingest runs. `ident` is the source's (size, mtime,
    inode, device) when it was copied: move mode removes only that very file.
    """
    s = Path(src)
    tmp: Path | None = None
    try:
        ident = fsutil.identity(s)
        if dest is not None:
            d = Path(dest)
            d.parent.mkdir(parents=True, exist_ok=True)
            tmp = fsutil.temp_path_for(d, owner)
            with open(tmp, "xb") as out:
                sha, size = fsutil.copy_hashing(s, out)
                out.flush()
                os.fsync(out.fileno())
            if fsutil.sha256_file(tmp) != sha:
                raise ArchiveError(f"the archive copy of {s} does not match its source; check the archive disk.")
            if fsutil.identity(s) != ident or size != ident[0]:
                raise ArchiveError(f"{s} changed while it was being copied; ingest again once it is stable.")
            st = s.stat()
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
            readable = tmp
        else:
            sha, size = fsutil.sha256_file(s), s.stat().st_size
            readable = s
        ex = exif if exif is not None else read_scanner_info(readable, warn=True)
        thumb_path = Path(thumb.replace("{sha}", sha).replace("{sh}", sha[:2]))
        if thumb_path.exists():
            info = imaging.read_scan_info(readable, shown=s, orientation=ex.orientation)
        else:
            info = imaging.make_thumbnail(readable, thumb_path, thumb_size, shown=s, orientation=ex.orientation)
        if preview and not (pv := Path(preview.replace("{sha}", sha))).exists():  # [serve] previews = "ingest"
            imaging.export_jpeg(readable, pv, PREVIEW_EDGE, 85)
        return {"ok": True, "sha": sha, "bytes": size, "tmp": str(tmp) if tmp else None, "ident": ident,
                "width": info.width, "height": info.height, "bits": info.bits, "format": info.format,
                "mode": info.mode, "orientation": info.orientation, "scanner": ex.scanner, "scanned": ex.scanned,
                "thumbnail": str(thumb_path)}
    except BaseException as e:  # noqa: BLE001 - reported per file
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(e, KeyboardInterrupt):
            raise
        text = _error_text(s, e)
        if tmp is not None:  # the image was read from our verified copy: name the user's file
            text = text.replace(str(tmp), str(s))
        return {"ok": False, "error": text}


def worker_init(owner: int) -> None:
    """Pool initializer: a worker must not outlive a killed ingest (and leave temp files behind).

    The owner-watch is imaging.worker_init's (the export pool uses it too). Ctrl-C reaches
    the whole process group: the ingest stops and removes the temp copies in hand, which a
    worker killed mid-copy would leave behind, so workers ignore SIGINT. (SIGTERM stays
    default: the pool uses it to end workers of a broken pool.)
    """
    imaging.worker_init(owner)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def pool_context() -> multiprocessing.context.BaseContext:
    """fork when we are single-threaded (workers start in ~20 ms: the CLI ingest); forkserver
    when threads run (the watcher's observer), where fork could copy a held lock. The
    watcher builds its pool once, so the forkserver's ~0.5 s start is paid once."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["filmflow.ingest.worker"])
    _start_forkserver_with_safe_path()
    return ctx


def _start_forkserver_with_safe_path() -> None:
    """Start the forkserver so that it never imports from the working folder.

    The forkserver runs `python -c ...`, which puts the working folder first on sys.path
    (Python 3.11 ignores the parent's sys.path it is handed). Run from ~/Pictures, whose
    library folder is `filmflow/`, it imported that folder as the package and every worker
    died. PYTHONSAFEPATH (-P) keeps the working folder off sys.path in the forkserver and
    so in every worker it forks; the parent's environment is restored at once.
    """
    from multiprocessing import forkserver

    old = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = old
