"""Project exports started from the light table: the same export the CLI's `project export`
runs (filmflow.export.source.export_from_catalog with the library's [export] settings), in a background thread,
with progress the page polls (`/api/jobs/<id>`).

Progress counts the output JPEGs written since the job started; the result is the export
report (folder, written, unchanged, removed, failed).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from filmflow.errors import FilmflowError
from filmflow.library import Library
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)


class ExportJobs:
    """Export jobs by id; one running export per project at a time."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.jobs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def start(self, name: str) -> dict[str, Any]:
        """Start exporting project `name` (or return its running job)."""
        from filmflow.catalog.projects import get_project
        from filmflow.export import export_dir_for

        with self.lock:
            for jid, job in self.jobs.items():
                if job["project"] == name and job["state"] == "running":
                    return self._public(jid)
            db = open_catalog(self.lib)
            try:
                total = len(get_project(db, name).entries)
            finally:
                db.conn.close()
            jid = secrets.token_hex(8)
            out = export_dir_for(self.lib.exports, name)
            self.jobs[jid] = {"project": name, "state": "running", "total": total, "started": time.time(),
                              "out": out, "result": None, "error": None}
        threading.Thread(target=self._run, args=(jid, name), name=f"export-{jid}", daemon=True).start()
        return self._public(jid)

    def _run(self, jid: str, name: str) -> None:
        from filmflow.export import ExportSettings
        from filmflow.export.source import export_from_catalog as export

        s = self.lib.settings
        job = self.jobs[jid]
        try:  # the settings check their values: a bad one fails the job like any export error
            settings = ExportSettings(long_edge=s.long_edge, quality=s.quality, artist=s.artist or None,
                                      copyright=s.copyright or None, workers=s.workers or 2)
            r = export(self.lib, name, None, settings)
            job["result"] = {"to": str(r.out_dir), "written": len(r.written), "unchanged": len(r.unchanged),
                             "removed": len(r.removed), "failed": r.failed}
            job["state"] = "failed" if r.failed else "done"
        except FilmflowError as e:
            job["error"], job["state"] = e.message, "failed"
        except Exception as e:  # noqa: BLE001 - reported to the page, logged with its traceback
            log.exception("export of %s failed", name)
            job["error"], job["state"] = f"internal error ({type(e).__name__}: {e})", "failed"

    def _written(self, job: dict[str, Any]) -> int:
        out: Path = job["out"]
        try:
            # frame files (01_R042-7.jpg), not the contact sheet
            return sum(1 for p in out.glob("[0-9]*_*.jpg") if p.stat().st_mtime >= job["started"] - 1)
        except OSError:
            return 0

    def _public(self, jid: str) -> dict[str, Any]:
        job = self.jobs[jid]
        return {"id": jid, "project": job["project"], "state": job["state"], "total": job["total"],
                "written": self._written(job) if job["state"] == "running" else
                (job["result"] or {}).get("written", 0), "result": job["result"], "error": job["error"]}

    def status(self, jid: str) -> dict[str, Any] | None:
        """The job's state, progress and result, or None when unknown."""
        return self._public(jid) if jid in self.jobs else None
