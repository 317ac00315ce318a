"""The inbox watcher: native or polling events, a settle timer, catch-up on start.

A scan source (a direct child folder of the inbox, or a .zip there) is ingested once it
has been quiet for `settle` seconds, holds no partial download, and its file sizes are
stable. What was ingested is remembered by a stat signature (cache/watch-seen.json), so
an idle watcher over thousands of ingested files reads none of them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filmflow import fsutil
from filmflow.ingest.mode import IngestMode
from filmflow.errors import InputError
from filmflow.ingest.apply import IngestInterrupted, IngestReport, Ingester
from filmflow.ingest.discover import IMAGE_SUFFIXES, is_ignored, is_partial, scan_inbox
from filmflow.ingest import unzip
from filmflow.ingest.run import ingest_sources
from filmflow.library import WATCH_LOCK, WATCH_STATE, Library, WatcherLock

log = logging.getLogger(__name__)

SEEN_FILE = "watch-seen.json"


@dataclass(frozen=True, slots=True)
class Signature:
    """A cheap stat summary of a source: what changed, whether it is partial, its newest mtime."""

    digest: str
    partials: tuple[tuple[str, float], ...]   # (path in the source, mtime) of each partial file
    newest: float
    files: int

    @property
    def partial(self) -> bool:
        """Whether a partial or temporary file lies in the source."""
        return bool(self.partials)


def signature(source: Path) -> Signature | None:
    """Stat every file of a source (no reads); None when the source is gone."""
    h = hashlib.sha1()
    partials: list[tuple[str, float]] = []
    newest = 0.0
    n = 0
    try:
        if source.is_file():
            st = source.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
            return Signature(h.hexdigest(), (), st.st_mtime, 1)
        newest = source.stat().st_mtime
        for dirpath, dirs, files in _walk(source):
            dirs.sort()
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except FileNotFoundError:
                    continue
                if is_partial(name) or fsutil.is_temp_name(name):
                    partials.append((os.path.relpath(os.path.join(dirpath, name), source), st.st_mtime))
                if is_ignored(name):
                    continue
                h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
                newest = max(newest, st.st_mtime)
                n += 1
    except FileNotFoundError:
        return None
    return Signature(h.hexdigest(), tuple(partials), newest, n)


def load_seen(path: Path) -> dict[str, str]:
    """cache/watch-seen.json as {source: signature}; anything else (a list, null, a number,
    broken JSON) is treated as empty, with a warning: the watcher then re-checks the inbox
    (ingest skips what is catalogued), it never refuses to start."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s cannot be read (%s); starting with an empty list of ingested folders", path, e)
        return {}
    if not isinstance(data, dict):
        log.warning("%s holds %s, not a table of ingested folders; starting with an empty one",
                    path, type(data).__name__)
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _walk(top: Path, max_depth: int = 64):
    """os.walk without recursion (2,000 nested folders must not crash the watcher), to
    `max_depth` levels; unreadable folders are skipped here (ingest names them)."""
    stack = [(str(top), 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError:
            continue
        dirs = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        files = [e.name for e in entries if e.name not in dirs]
        yield here, dirs, files
        if depth < max_depth:
            stack.extend((os.path.join(here, d), depth + 1) for d in sorted(dirs, reverse=True))


def _seen_key(src: Path) -> str:
    """watch-seen.json key of a source (printable even when its name is not UTF-8)."""
    return fsutil.display(src)


@dataclass
class _Pending:
    since: float                     # monotonic time of the last event / change seen
    last_sig: Signature | None = None
    checked_at: float = 0.0


@dataclass
class Watcher:
    """Watches one inbox and ingests what settles. Thread-safe `stop()`."""

    lib: Library
    inbox: Path
    settle: float
    mode: IngestMode
    polling: bool = False
    on_report: Callable[[IngestReport], None] | None = None
    workers: int | None = None
    tick: float = 0.2
    abandon_partial: float | None = None   # None: the library's [watch] abandon_partial
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: dict[Path, _Pending] = field(default_factory=dict)
    _seen: dict[str, str] = field(default_factory=dict)
    _warned_loose: set[Path] = field(default_factory=set)
    _held: dict[Path, str] = field(default_factory=dict)       # source -> the partial file it waits for
    _warned_partial: set[tuple[Path, str]] = field(default_factory=set)
    _archive_new: dict[str, float] = field(default_factory=dict)  # archive files written by others: last event

    def __post_init__(self) -> None:
        if not self.inbox.is_dir():
            raise InputError(f"inbox {self.inbox} does not exist or is not a folder; create it or pass another INBOX.")
        if not os.access(self.inbox, os.R_OK | os.X_OK):
            raise InputError(f"inbox {self.inbox} is not readable; fix its permissions.")
        if self.abandon_partial is None:
            self.abandon_partial = self.lib.settings.abandon_partial
        self._seen_path = self.lib.cache / SEEN_FILE
        self._seen = load_seen(self._seen_path)

    # -- events --------------------------------------------------------------------------
    def _top(self, path: str) -> Path | None:
        try:
            rel = Path(path).relative_to(self.inbox)
        except ValueError:
            return None
        if not rel.parts:
            return None
        return self.inbox / rel.parts[0]

    def touch(self, path: str) -> None:
        """An event under the inbox: (re)start its source's settle timer."""
        top = self._top(path)
        if top is None or is_ignored(top.name) and not is_partial(top.name):
            return
        with self._lock:
            p = self._pending.get(top)
            if p is None:
                self._pending[top] = _Pending(since=time.monotonic())
            else:
                p.since = time.monotonic()

    def catch_up(self) -> None:
        """Queue every source already in the inbox (the watcher was not running when it came)."""
        scan = scan_inbox(self.inbox)
        for loose in scan.loose:
            self._warn_loose(loose)
        with self._lock:
            for src in scan.sources:
                self._pending.setdefault(src, _Pending(since=0.0))

    def _warn_loose(self, path: Path) -> None:
        """Once per file: a loose image in the inbox root is left alone; say where it should go."""
        if path in self._warned_loose:
            return
        self._warned_loose.add(path)
        log.warning("%s is a loose image in the inbox root; put it in a folder named after its roll "
                    "(e.g. '2023-05-01 Portra400') and it will be ingested", fsutil.display(path.name))

    # -- readiness -----------------------------------------------------------------------
    def _ready(self, now_mono: float) -> list[Path]:
        ready: list[Path] = []
        with self._lock:
            items = list(self._pending.items())
        wall = time.time()
        for src, p in items:
            if now_mono - p.since < self.settle:
                continue
            if is_ignored(src.name) or not (src.is_dir() or src.suffix.lower() == ".zip"):
                if src.is_file() and src.name.lower().endswith(IMAGE_SUFFIXES) and not is_ignored(src.name):
                    self._warn_loose(src)
                self._drop(src)
                continue
            try:
                sig = signature(src)
            except Exception as e:  # noqa: BLE001 - one odd source never stops the watcher
                log.warning("%s cannot be examined (%s); it is skipped until it changes", fsutil.display(src), e)
                log.debug("signature of %s", fsutil.display(src), exc_info=True)
                self._drop(src)
                continue
            if sig is None:
                self._drop(src)  # renamed or deleted while it settled
                continue
            if self._seen.get(_seen_key(src)) == sig.digest:
                self._drop(src)  # ingested before, unchanged: read nothing
                continue
            settled_by_mtime = p.last_sig is None and wall - sig.newest >= self.settle
            if p.last_sig is None or p.last_sig.digest != sig.digest:
                with self._lock:  # new or changed: the stability clock starts now
                    p.last_sig, p.checked_at = sig, now_mono
                settled_by_compare = False
            else:
                settled_by_compare = now_mono - p.checked_at >= self.settle
            held = self._held_back(src, sig, wall)  # first: a folder still downloading says what it waits for
            if held or not (settled_by_mtime or settled_by_compare):
                continue
            if sig.files == 0 and src.is_dir():
                self._drop(src)
                continue
            ready.append(src)
        return ready

    def _held_back(self, src: Path, sig: Signature, wall: float) -> bool:
        """A partial file still changing holds its source back; one unchanged for
        `abandon_partial` seconds is left out (with a warning naming it) and the rest goes on."""
        fresh = [(name, m) for name, m in sig.partials if wall - m < self.abandon_partial]
        with self._lock:
            if fresh:
                self._held[src] = fresh[0][0]
            else:
                self._held.pop(src, None)
        if fresh:
            name, mtime = fresh[0]
            if (src, name) not in self._warned_partial:
                self._warned_partial.add((src, name))
                log.info("%s is held back: %s is still arriving (changed %.0f s ago); it is left out if it stays "
                         "unchanged for %g s", fsutil.display(src.name), fsutil.display(name), max(0.0, wall - mtime),
                         self.abandon_partial)
            return True
        for name, mtime in sig.partials:
            if (src, f"abandoned:{name}") not in self._warned_partial:
                self._warned_partial.add((src, f"abandoned:{name}"))
                log.warning("%s: %s has not changed for %.0f s (a download that died?); it is left out and the "
                            "rest of the folder is ingested. Download it again, or delete it.",
                            fsutil.display(src.name), fsutil.display(name), wall - mtime)
        return False

    def _drop(self, src: Path) -> None:
        with self._lock:
            self._pending.pop(src, None)
            self._held.pop(src, None)

    def waiting(self) -> list[str]:
        """Names of sources waiting to settle."""
        with self._lock:
            return sorted(fsutil.display(p.name) for p in self._pending)

    def held(self) -> dict[str, str]:
        """Sources held back by a partial file: name -> the file it waits for."""
        with self._lock:
            return {fsutil.display(src.name): fsutil.display(name) for src, name in sorted(self._held.items())}

    def archive_touch(self, path: str) -> None:
        """A file appeared or changed in the archive (an edit saved next to its scan, perhaps)."""
        name = os.path.basename(path)
        if fsutil.is_temp_name(name) or is_ignored(name) or name.lower().endswith(".xmp"):
            return
        with self._lock:
            self._archive_new[path] = time.monotonic()

    def _adopt_ready(self, now_mono: float) -> None:
        """Edits saved into a roll's archive folder, quiet for `settle`, become versions where they lie."""
        with self._lock:
            ready = [p for p, t in self._archive_new.items() if now_mono - t >= self.settle]
            for p in ready:
                del self._archive_new[p]
        files = [Path(p) for p in ready if os.path.isfile(p)]
        if not files:
            return
        from filmflow.versions import adopt_archive_edits

        try:
            adopted, _rest = adopt_archive_edits(self.lib, files, settled=self.settle)
        except Exception as e:  # noqa: BLE001 - never stops the watcher; verify looks again
            log.warning("could not look at new files in the archive (%s); `filmflow verify` will", e)
            return
        for ref, path in adopted:
            log.info("%s: an edit saved into the archive, now %s", fsutil.display(path), ref)

    # -- work ----------------------------------------------------------------------------
    def _ingest(self, ingester: Ingester, src: Path) -> list[IngestReport]:
        """Ingest one inbox source: one report per roll (a delivery of several rolls gives several)."""
        try:
            sig_before = signature(src)
            reports, _ = ingest_sources(self.lib, [src], mode=self.mode, options={}, ingester=ingester,
                                        neighbours=scan_inbox(self.inbox).sources)
        except IngestInterrupted:
            log.info("stopped while ingesting %s; nothing of it was committed", fsutil.display(src.name))
            return []
        except Exception as e:  # noqa: BLE001 - a source that vanished or cannot be read: go on
            log.error("%s: cannot be ingested (%s); the watcher goes on", fsutil.display(src), e)
            log.debug("ingest of %s", fsutil.display(src), exc_info=True)
            self._drop(src)
            return []
        self._drop(src)
        try:
            after = signature(src)
        except Exception:  # noqa: BLE001 - it is looked at again when it changes
            after = None
        if after is not None and sig_before is not None and after.digest == sig_before.digest:
            self._seen[_seen_key(src)] = after.digest
            self._save_seen()
        elif after is not None:
            self.touch(str(src))  # it changed while we worked: look again later
        for report in reports:
            for f in report.failed:
                log.error("%s: %s", fsutil.display(report.source), f["error"])
            log.info("ingested %s → %s: %d added, %d duplicates, %d failed", fsutil.display(report.source),
                     report.roll or "-", len(report.added), len(report.duplicates), len(report.failed))
            if self.on_report:
                self.on_report(report)
        return reports

    def _save_seen(self) -> None:
        try:
            fsutil.atomic_write_text(self._seen_path, json.dumps(self._seen, ensure_ascii=False))
        except OSError as e:  # a full disk: the sources are looked at again (ingest skips what is catalogued)
            log.warning("cannot write %s (%s); ingested folders will be checked again", self._seen_path, e)

    def _write_state(self, last: dict) -> dict:
        loose = sorted(fsutil.display(p.name) for p in self._warned_loose if p.exists())
        now = {"waiting": self.waiting(), "held": self.held(), "loose": loose}
        if now != last:
            try:
                fsutil.atomic_write_text(self.lib.logs / WATCH_STATE, json.dumps(now, ensure_ascii=False))
            except OSError as e:  # a full disk must not stop the watcher; `status` is stale until it is written
                log.warning("cannot write %s (%s); `filmflow status` shows old waiting folders until it can",
                            self.lib.logs / WATCH_STATE, e)
                return last
        return now

    def run_once(self) -> list[IngestReport]:
        """Ingest what is ready now and return (for --once and cron)."""
        self.catch_up()
        out: list[IngestReport] = []
        with Ingester(self.lib, self.workers, should_stop=self._stop.is_set) as ing:
            for src in self._ready(time.monotonic() + self.settle):
                out += self._ingest(ing, src)
        return out

    def stop(self) -> None:
        """Ask the loop to finish the file in hand and return."""
        self._stop.set()

    def run(self) -> None:
        """Watch until stop(): events (or polling) → settle → ingest."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):  # noqa: D102 - watchdog API
                if event.event_type in ("opened", "closed_no_write"):
                    return
                watcher.touch(event.src_path)
                dest = getattr(event, "dest_path", "")
                if dest:
                    watcher.touch(dest)

        # watchdog registers a new nested folder twice (its parent's walk, then the folder's own
        # IN_CREATE) and warns ~3 KB each time; the second registration is harmless
        warnings.filterwarnings("ignore", message=r"Callback with id .* already exists for watch",
                                category=RuntimeWarning, module=r"watchdog\.")
        class ArchiveHandler(FileSystemEventHandler):
            def on_any_event(self, event):  # noqa: D102 - watchdog API
                if event.is_directory or event.event_type in ("opened", "closed_no_write", "deleted"):
                    return
                watcher.archive_touch(getattr(event, "dest_path", "") or event.src_path)

        observer = PollingObserver(timeout=max(0.5, min(self.settle / 2, 5.0))) if self.polling else Observer()
        observer.schedule(Handler(), str(self.inbox), recursive=True)
        if not self.polling and self.lib.archive.is_dir():  # polling a large archive would read it all
            observer.schedule(ArchiveHandler(), str(self.lib.archive), recursive=True)
        observer.start()
        state: dict = {}
        try:
            self.catch_up()
            with Ingester(self.lib, self.workers, should_stop=self._stop.is_set) as ing:
                while not self._stop.is_set():
                    for src in self._ready(time.monotonic()):
                        if self._stop.is_set():
                            break
                        self._ingest(ing, src)
                    self._adopt_ready(time.monotonic())
                    state = self._write_state(state)
                    self._stop.wait(self.tick)
        finally:
            observer.stop()
            observer.join(timeout=5)


def start_file_log(lib: Library) -> logging.Handler:
    """A rotating log in logs/watch.log (1 MB x 5): a line per roll ingested and per failure."""
    lib.logs.mkdir(exist_ok=True)
    h = logging.handlers.RotatingFileHandler(lib.logs / "watch.log", maxBytes=1 << 20, backupCount=5,
                                             encoding="utf-8")
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    h.setLevel(logging.INFO)
    logging.getLogger("filmflow").addHandler(h)
    if logging.getLogger("filmflow").getEffectiveLevel() > logging.INFO:
        logging.getLogger("filmflow").setLevel(logging.INFO)
    return h


def take_lock(lib: Library, inbox: Path) -> WatcherLock:
    """The one-watcher-per-library lock (LibraryLockedError naming the holder's pid)."""
    lock = WatcherLock(lib.logs / WATCH_LOCK)
    lock.acquire(inbox)
    return lock


def clean_leftovers(lib: Library) -> int:
    """Remove our temp files and zip extractions left by a killed run (archive, cache, exports, logs)."""
    stale = unzip.clean_stale(lib.cache)  # only extraction folders no running process owns
    return stale + sum(fsutil.clean_temp_files(p) for p in (lib.archive, lib.cache, lib.exports, lib.logs))
