"""The light table's guard: Host check, access token -> cookie, CSRF and Origin on POST, read-only.

A pure ASGI middleware in front of every route, so no handler can forget a check:

- a Host header other than the bound address:port is refused (DNS rebinding);
- `?token=...` (the one printed on stdout) is exchanged for an HttpOnly, SameSite=Strict
  cookie and the browser is redirected to the same URL without it;
- without the token or that cookie every request is 403;
- a change is a POST with `Content-Type: application/json`, the page's CSRF token in
  `X-Filmflow-CSRF` and, when the browser sends one, an Origin equal to ours;
- `--read-only` refuses every POST with 403.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

log = logging.getLogger(__name__)

CSRF_HEADER = "x-filmflow-csrf"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class Guard:
    """What the middleware checks against."""

    token: str
    host: str
    port: int
    read_only: bool = False

    @property
    def cookie_name(self) -> str:
        return f"filmflow_lt_{self.port}"

    @property
    def csrf(self) -> str:
        """The token the page sends with every change (derived: it never leaves the page)."""
        return hmac.new(self.token.encode(), b"filmflow-csrf", hashlib.sha256).hexdigest()

    def allowed_hosts(self) -> set[str]:
        """Host header values we answer to."""
        hosts = {self.host}
        if self.host in LOOPBACK:
            hosts |= {"127.0.0.1", "localhost"}
        out = set()
        for h in hosts:
            name = f"[{h}]" if ":" in h else h
            out.add(f"{name}:{self.port}".lower())
        return out

    def origins(self) -> set[str]:
        """Origin header values of our own page."""
        return {f"http://{h}" for h in self.allowed_hosts()}


def _headers(scope: dict) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _send(send, status: int, body: bytes, ctype: str, extra: list[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *extra]})
    await send({"type": "http.response.body", "body": body})


async def refuse(scope: dict, send, status: int, message: str) -> None:
    """403/404 as JSON for the API, as a one-line page otherwise."""
    if scope.get("path", "").startswith("/api/"):
        await _send(send, status, json.dumps({"error": message}).encode(), "application/json")
    else:
        import html

        page = (f"<!doctype html><meta charset=utf-8><title>{status}</title>"
                f"<p>{html.escape(message)}</p>").encode()
        await _send(send, status, page, "text/html; charset=utf-8")


class GuardMiddleware:
    """Wraps the Starlette app; see the module docstring for the rules."""

    def __init__(self, app, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return
        g = self.guard
        h = _headers(scope)
        if h.get("host", "").lower() not in g.allowed_hosts():
            await refuse(scope, send, 403, "this light table answers only to its own address; "
                                           "open the URL filmflow serve printed.")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True)
        given = [v for k, v in pairs if k == "token"]
        if given:
            if scope["method"] in ("GET", "HEAD") and hmac.compare_digest(given[0].encode(), g.token.encode()):
                rest = urlencode([(k, v) for k, v in pairs if k != "token"])
                path = scope.get("raw_path") or scope["path"].encode()
                location = "/" + path.decode("latin-1").lstrip("/") + (f"?{rest}" if rest else "")  # never //host
                cookie = (f"{g.cookie_name}={g.token}; HttpOnly; SameSite=Strict; Path=/").encode()
                await _send(send, 303, b"", "text/plain", [(b"location", location.encode()), (b"set-cookie", cookie)])
                return
            await refuse(scope, send, 403, "wrong access token; open the URL filmflow serve printed.")
            return
        jar = SimpleCookie()
        try:
            jar.load(h.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is simply no cookie
            jar = SimpleCookie()
        morsel = jar.get(g.cookie_name)
        if morsel is None or not hmac.compare_digest(morsel.value.encode(), g.token.encode()):
            await refuse(scope, send, 403, "no access token; open the URL filmflow serve printed "
                                           "(http://...?token=...).")
            return
        method = scope["method"]
        if method in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if method != "POST":
            await refuse(scope, send, 405, f"{method} is not used here.")
            return
        if g.read_only:
            await refuse(scope, send, 403, "the light table runs with --read-only; restart "
                                           "filmflow serve without it to make changes.")
            return
        origin = h.get("origin")
        if origin is not None and origin.lower() not in g.origins():
            await refuse(scope, send, 403, f"a change from {origin} is refused; use the light table's own page.")
            return
        if not hmac.compare_digest(h.get(CSRF_HEADER, "").encode(), g.csrf.encode()):
            await refuse(scope, send, 403, "a change needs the page's CSRF token; reload the page.")
            return
        if not h.get("content-type", "").startswith("application/json"):
            await refuse(scope, send, 403, "a change must be sent as JSON by the light table's page.")
            return
        await self.app(scope, receive, send)
