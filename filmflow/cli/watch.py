"""`filmflow watch`: the watcher in the foreground (systemd/launchd run it): takes the
watcher lock, logs to logs/watch.log, ingests each scan folder or lab zip once it settles."""

from __future__ import annotations

from pathlib import Path

import click

from filmflow.cli.ingest import MODES, show_reports
from filmflow.ingest.mode import IngestMode


@click.command("watch")
@click.argument("inbox", required=False, type=click.Path(path_type=Path))
@click.option("--once", is_flag=True, help="Ingest what is ready now, then exit (for cron and tests).")
@click.option("--settle", type=click.FloatRange(0, 86400), default=None,
              help="Seconds a folder must stay quiet before ingest (default from filmflow.toml: 10).")
@click.option("--polling", is_flag=True, help="Poll instead of native events (network shares).")
@click.option("--mode", type=MODES, default=None, help="copy (default), move (verified) or in-place.")
@click.option("--json", "as_json", is_flag=True, help="With --once: one JSON object per scan folder.")
@click.pass_obj
def watch(app, inbox, once, settle, polling, mode, as_json) -> None:
    """Watch the inbox and ingest each scan folder or lab zip once it settles."""
    import logging
    import signal

    from filmflow import watch as watchmod

    lib = app.library()
    inbox = Path(inbox) if inbox else lib.inbox
    lock = watchmod.take_lock(lib, inbox.absolute())
    handler = watchmod.start_file_log(lib)
    for h in logging.getLogger().handlers:
        if getattr(h, "_filmflow", False) and h.level > logging.INFO and not as_json:
            h.setLevel(logging.INFO)
    try:
        cleaned = watchmod.clean_leftovers(lib)
        if cleaned:
            logging.getLogger("filmflow.watch").info("removed %d temporary files left by an interrupted run", cleaned)
        w = watchmod.Watcher(lib, inbox.absolute(), settle if settle is not None else lib.settings.settle,
                             IngestMode(mode or lib.settings.mode), polling=polling)
        if once:
            reports = w.run_once()
            show_reports(reports, as_json, name_failures=False)  # the watcher logged them
            return
        prev = {s: signal.signal(s, lambda *_: w.stop()) for s in (signal.SIGINT, signal.SIGTERM)}
        logging.getLogger("filmflow.watch").info("watching %s (settle %gs, %s, %s mode); Ctrl-C stops",
                                                 inbox, w.settle, "polling" if polling else "native events",
                                                 w.mode.value)
        try:
            w.run()
        finally:
            for s, h in prev.items():
                signal.signal(s, h)
        logging.getLogger("filmflow.watch").info("watcher stopped")
    finally:
        lock.release()
        logging.getLogger("filmflow").removeHandler(handler)
        handler.close()


def register(root: click.Group) -> None:
    """Add `watch`."""
    root.add_command(watch)
