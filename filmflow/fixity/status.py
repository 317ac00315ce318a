"""What `filmflow status` reports: catalog counts, watcher state, last roll, failures, roll edits under way."""

from __future__ import annotations

import json
from typing import Any

from filmflow.catalog.failures import count_failures, list_failures
from filmflow.catalog.refiles import RefileIntent, pending_refiles, roll_code_of
from filmflow.catalog.summary import last_roll_note, schema_version, status_counts
from filmflow.catalog.xmpstate import sidecar_summary
from filmflow.library import WATCH_LOCK, WATCH_STATE, Library, watcher_running  # noqa: F401 - re-exported
from filmflow.opencatalog import open_catalog


def library_status(lib: Library) -> dict[str, Any]:
    """A status summary (one query per figure; no per-frame work)."""
    db = open_catalog(lib)
    try:
        c = db.conn
        last = last_roll_note(c)
        failures = list_failures(c)
        st = {
            "library": str(lib.root),
            **status_counts(c),
            "failures": count_failures(c),
            "failed": failures,
            "schema": schema_version(c),
            "xmp": sidecar_summary(c),
            "refiling": [_refiling(lib, i, roll_code_of(c, i.roll_id)) for i in pending_refiles(c)],
        }
    finally:
        c.close()
    if last:
        code, at = (last.split("\t") + [""])[:2]
        st["last_roll"] = f"{code} at {at}"
    else:
        st["last_roll"] = None
    info = watcher_running(lib.logs / WATCH_LOCK)
    st["watcher"] = {"running": info is not None, **(info or {})}
    state: dict[str, Any] = {}
    if info is not None:
        try:
            state = json.loads((lib.logs / WATCH_STATE).read_text())
        except (OSError, ValueError):
            state = {}
    st["waiting"] = list(state.get("waiting", []))
    st["loose"] = list(state.get("loose", []))  # images in the inbox root, left alone
    st["held_back"] = [{"source": src, "waits_for": name} for src, name in dict(state.get("held", {})).items()]
    st["light_table"] = [i for p in sorted(lib.logs.glob("serve-*.lock")) if (i := watcher_running(p))]  # filmflow serve
    return st


def _refiling(lib: Library, intent: RefileIntent, code: str | None) -> dict[str, Any]:
    """A roll edit moving a roll to a new folder that has not finished: still running (its pid),
    or left by a stopped edit that the next writing command finishes or undoes."""
    return {"roll": code or intent.code, "from": str(lib.resolve(intent.old_dir)), "to": str(lib.resolve(intent.new_dir)), "state": intent.state,
            "files": len(intent.moves), "pid": intent.pid}
