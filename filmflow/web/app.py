"""The light table's Starlette application: routes, pages, image files, errors as JSON.

Pages are one HTML shell (static/page.html) that the ES modules fill from the JSON API;
the shell carries the CSRF token in a meta tag. Images are served by frame id only
(`/img/thumb/12`, `/img/preview/12`, `/img/full/12`: the frame's preferred version), or by
frame id and the SHA-256 of one of its versions (`/img/preview/12/<sha256>`, which the
catalog must know as that frame's): no route takes a file path.
Every handler runs on the event loop with the app's one catalog connection; image work
goes to the ImageWorker's process pool and exports to a thread (jobs.py).
"""

from __future__ import annotations

import html
import logging
import re
import traceback
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from filmflow.catalog import lighttable, projects
from filmflow.catalog.rolls import get_roll
from filmflow.errors import FilmflowError, NotFoundError
from filmflow.library import Library
from filmflow.web import api, images, jobs
from filmflow.web.security import Guard, GuardMiddleware
from filmflow.opencatalog import open_catalog

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SHA256 = re.compile(r"[0-9a-f]{64}")
STATIC_FILES = {"app.js": "text/javascript", "grid.js": "text/javascript", "loupe.js": "text/javascript",
                "project.js": "text/javascript", "style.css": "text/css", "placeholder.svg": "image/svg+xml"}


def static_dir() -> Path:
    """The shipped static files (a folder inside the package, checkout or wheel alike)."""
    return Path(str(resources.files("filmflow.web") / "static"))


class LightTable:
    """What the handlers share: library, open catalog, image worker, export jobs, guard."""

    def __init__(self, lib: Library, guard: Guard, workers: int = 1) -> None:
        self.lib = lib
        self.guard = guard
        self.db = open_catalog(lib)
        self.images = images.ImageWorker(workers)
        self.jobs = jobs.ExportJobs(lib)
        self.shell = (static_dir() / "page.html").read_text(encoding="utf-8")

    def close(self) -> None:
        """Stop workers, close the catalog."""
        self.images.close()
        self.db.conn.close()


def _error(e: Exception) -> JSONResponse:
    if isinstance(e, NotFoundError):
        return JSONResponse({"error": e.message}, 404)
    if isinstance(e, FilmflowError):
        return JSONResponse({"error": e.message}, 400 if int(e.exit_code) == 2 else 500)
    log.error("internal error: %s", "".join(traceback.format_exception(e)))
    return JSONResponse({"error": f"internal error ({type(e).__name__}: {e}); see the server's log."}, 500)


def _page(lt: LightTable, kind: str, arg: str, title: str, status: int = 200) -> HTMLResponse:
    meta = {"kind": kind, "arg": arg, "csrf": lt.guard.csrf, "readonly": "1" if lt.guard.read_only else "0"}
    text = lt.shell.replace("{{title}}", html.escape(title))
    for k, v in meta.items():
        text = text.replace("{{%s}}" % k, html.escape(v, quote=True))
    return HTMLResponse(text, status, headers={"cache-control": "no-store",
                                               "content-security-policy": "default-src 'self'; img-src 'self' blob:; "
                                                                          "style-src 'self'; frame-ancestors 'none'"})


def _not_found(title: str, message: str) -> HTMLResponse:
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<link rel=stylesheet href=/static/style.css><body class=notfound><main><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(message)}</p><p><a href=/>All rolls</a></p></main></body></html>")
    return HTMLResponse(body, 404, headers={"cache-control": "no-store"})


def _getter(lt: LightTable, func, *names: str):  # noqa: ANN001, ANN202 - route factory
    """A GET handler calling api.func(lib, db, *values of `names` from the path or query)."""
    async def handler(request: Request) -> Response:
        try:
            args = [request.path_params.get(n, request.query_params.get(n, "")) for n in names]
            return JSONResponse(func(lt.lib, lt.db, *args))
        except Exception as e:  # noqa: BLE001 - every error is JSON
            return _error(e)
    return handler


def _poster(lt: LightTable, func):  # noqa: ANN001, ANN202 - route factory
    """A POST handler calling api.func(db, body) with the JSON object the page sent."""
    async def handler(request: Request) -> Response:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "the request body is not JSON; reload the page."}, 400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the request body must be a JSON object."}, 400)
        try:
            return JSONResponse(func(lt.db, body))
        except Exception as e:  # noqa: BLE001 - every error is JSON
            return _error(e)
    return handler


def page_routes(lt: LightTable) -> list[Route]:
    """The HTML pages, static files and images."""

    async def rolls_page(request: Request) -> Response:
        return _page(lt, "rolls", request.query_params.get("q", ""), "filmflow · rolls")

    async def roll_page(request: Request) -> Response:
        code = request.path_params["code"]
        try:
            roll = get_roll(lt.db, code)
        except NotFoundError as e:
            return _not_found(f"No roll {code}", e.message)
        return _page(lt, "roll", roll.code, f"{roll.code} · filmflow")

    async def project_page(request: Request) -> Response:
        name = request.path_params["name"]
        info = projects.find_project(lt.db.conn, name)
        if info is None:
            return _not_found(f"No project {name}", f"no project named {name!r}; "
                                                    "`filmflow project create NAME` makes one.")
        return _page(lt, "project", info.name, f"{info.name} · filmflow")

    async def frames_page(request: Request) -> Response:
        q = request.query_params.get("q", "")
        return _page(lt, "frames", q, f"{q or 'all frames'} · filmflow")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return Response("not found", 404)
        return FileResponse(static_dir() / name, media_type=STATIC_FILES[name], headers={"cache-control": "no-cache"})

    async def image(request: Request) -> Response:
        return await serve_image(lt, request, request.path_params["kind"], request.path_params["fid"])

    async def version_image(request: Request) -> Response:
        sha = request.path_params["sha"]
        if not SHA256.fullmatch(sha):
            return Response("not found", 404)
        return await serve_image(lt, request, request.path_params["kind"], request.path_params["fid"], sha)

    return [
        Route("/", rolls_page), Route("/roll/{code:path}", roll_page), Route("/project/{name:path}", project_page),
        Route("/frames", frames_page), Route("/static/{name}", static),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/img/{kind}/{fid:int}", image), Route("/img/{kind}/{fid:int}/{sha}", version_image),
    ]


def api_routes(lt: LightTable) -> list[Route]:
    """The JSON API: reads (GET) and changes (POST)."""

    async def projects_list(request: Request) -> Response:
        return JSONResponse(api.project_list(lt.db))

    async def changes(request: Request) -> Response:
        return JSONResponse({"marker": lighttable.change_marker(lt.db)})

    async def export_start(request: Request) -> Response:
        try:
            body = await request.json()
            name = projects.get_project_info(lt.db.conn, str(body.get("name") or "")).name
            return JSONResponse(lt.jobs.start(name))
        except Exception as e:  # noqa: BLE001
            return _error(e if not isinstance(e, ValueError) else FilmflowError("the request body is not JSON."))

    async def export_status(request: Request) -> Response:
        job = lt.jobs.status(request.path_params["jid"])
        return JSONResponse(job) if job else JSONResponse({"error": "no such export; start it again."}, 404)

    posts = {"rate": api.rate, "pick": api.pick, "tag": api.tag, "restore": api.restore, "caption": api.caption,
             "projects/create": api.project_create, "projects/add": api.project_add,
             "projects/remove": api.project_remove, "projects/move": api.project_move,
             "projects/restore": api.project_restore,
             "versions/prefer": lambda db, body: api.prefer_version(lt.lib, db, body)}
    return [
        Route("/api/rolls", _getter(lt, api.rolls_page, "q", "limit")),
        Route("/api/roll/{code:path}", _getter(lt, api.roll_frames, "code")),
        Route("/api/frames", _getter(lt, api.query_frames, "q")),
        Route("/api/project/{name:path}", _getter(lt, api.project_frames, "name")),
        Route("/api/projects", projects_list), Route("/api/changes", changes),
        *[Route(f"/api/{path}", _poster(lt, func), methods=["POST"]) for path, func in posts.items()],
        Route("/api/projects/export", export_start, methods=["POST"]),
        Route("/api/jobs/{jid}", export_status),
    ]


def build_routes(lt: LightTable) -> list[Route]:
    """Every route of the light table."""
    return page_routes(lt) + api_routes(lt)


def _placeholder() -> Response:
    return FileResponse(static_dir() / "placeholder.svg", media_type="image/svg+xml",
                        headers={"cache-control": "no-store", "x-filmflow-missing": "1"})


async def serve_image(lt: LightTable, request: Request, kind: str, fid: int, sha: str | None = None) -> Response:
    """A frame's thumbnail, preview or 100% view of its preferred version (or of its version with
    SHA-256 `sha`); a placeholder when that file is missing."""
    if kind not in images.KINDS:
        return Response("not found", 404)
    try:
        ff = lighttable.shown_files(lt.db, fid, sha)
    except NotFoundError:
        return Response("not found", 404)
    etag = f'"{ff.sha256}-{kind}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag, "cache-control": IMMUTABLE})
    lib = lt.lib
    src = lib.resolve(ff.path)
    try:
        if kind == "thumb":
            path = lib.resolve(ff.thumbnail or lib.thumbnail_rel(ff.sha256))
            if not path.exists():
                if not src.exists():
                    return _placeholder()
                await lt.images.ensure(path, images.make_thumb, str(src), str(path), lib.settings.thumbnail_size)
        elif kind == "full" and (ff.format or "").upper() == "JPEG":
            path = src
        else:
            path = images.preview_path(lib, ff.sha256) if kind == "preview" else images.full_path(lib, ff.sha256)
            if not path.exists():
                if not src.exists():
                    return _placeholder()
                edge = images.PREVIEW_EDGE if kind == "preview" else max(ff.width or 1, ff.height or 1, 1)
                quality = images.PREVIEW_QUALITY if kind == "preview" else images.FULL_QUALITY
                await lt.images.ensure(path, images.make_preview, str(src), str(path), edge, quality)
    except Exception as e:  # noqa: BLE001 - an unreadable scan shows as the placeholder
        log.warning("frame %s: cannot make its %s (%s)", fid, kind, e)
        return _placeholder()
    if not path.exists():
        return _placeholder()
    headers = {"cache-control": IMMUTABLE, "etag": etag}
    if kind == "full":  # may be a 300 MP scan: streamed
        return FileResponse(path, media_type="image/jpeg", headers=headers)
    # thumbnails and previews are small: one read, one write (no per-chunk thread hops)
    return Response(path.read_bytes(), media_type="image/jpeg", headers=headers)


def create_app(lib: Library, guard: Guard, workers: int = 1) -> tuple[Any, LightTable]:
    """The ASGI app (guarded) and its shared state (close it when the server stops)."""
    lt = LightTable(lib, guard, workers)
    app = Starlette(routes=build_routes(lt))
    return GuardMiddleware(app, guard), lt
