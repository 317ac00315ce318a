"""Helpers for the light-table tests: a library with real ingested rolls and a running server."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from filmflow.catalog.frames import read_frames
from filmflow.catalog.projects import get_project
from filmflow.library import Library
from filmflow.catalog.resolver import CatalogResolver
from filmflow.catalog.querysql import compile_args
from filmflow.web.server import Server, make_server
from filmflow.opencatalog import open_catalog
from tests.imagegen import make_roll


def ingest_roll(lib: Library, cli, name: str, n: int, seed: int, **kw: Any) -> str:
    """Write `n` scans into a folder named `name`, ingest it, return the roll code."""
    folder = lib.root.parent / "scans" / name
    make_roll(folder, n, seed=seed, **kw)
    out = cli.json("ingest", str(folder))
    return out[0]["roll"]


def frames(lib: Library, *query: str) -> list[Any]:
    """Frames matching the query, read through the catalog's functions."""
    db = open_catalog(lib)
    try:
        compiled = compile_args(query, CatalogResolver(db.conn, lib.stocks, lib.formats), "frames")
        return list(read_frames(db, compiled))
    finally:
        db.conn.close()


def project_order(lib: Library, name: str) -> list[tuple[int, str, str | None]]:
    """(position, ref, project caption) of each frame in the project."""
    db = open_catalog(lib)
    try:
        return [(e.position, e.frame.ref, e.caption) for e in get_project(db, name).entries]
    finally:
        db.conn.close()


@contextlib.contextmanager
def running(lib: Library, **kw: Any) -> Iterator[Server]:
    """A light table on 127.0.0.1 and a free port, in a thread, for the block."""
    server = make_server(lib, "127.0.0.1", 0, **kw)
    thread = server.start_thread()
    try:
        yield server
    finally:
        server.stop(thread)


class Http:
    """Raw HTTP to the server (http.client, so the Host header is ours to set)."""

    def __init__(self, server: Server) -> None:
        u = urlsplit(server.url)
        self.host, self.port = u.hostname, u.port
        self.token = dict(p.split("=", 1) for p in u.query.split("&"))["token"]
        self.cookie = f"filmflow_lt_{self.port}={self.token}"
        self.csrf = server.state.guard.csrf

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                cookie: bool = True, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = {"Host": host or f"{self.host}:{self.port}"}
        if cookie:
            h["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.update(headers or {})
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        r = conn.getresponse()
        out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        conn.close()
        return out

    def get(self, path: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, csrf: bool = True, headers: dict[str, str] | None = None,
             **kw: Any) -> tuple[int, dict[str, str], bytes]:
        h = {"Content-Type": "application/json", "Origin": f"http://{self.host}:{self.port}"}
        if csrf:
            h["X-Filmflow-CSRF"] = self.csrf
        h.update(headers or {})
        return self.request("POST", path, body, headers=h, **kw)
