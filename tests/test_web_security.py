"""`filmflow serve` over real HTTP: token -> cookie, 403 without it, Host check, CSRF/Origin on POST,
path tricks, --read-only, JSON errors with the CLI's words, placeholders, caching headers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import add_roll, wait_until
from tests.lighttable_env import Http, frames, ingest_roll, running


@pytest.fixture
def roll(library, cli):
    return ingest_roll(library, cli, "2023-05-01 Portra400 R042", 3, seed=1)


def _rating(lib, ref: str) -> int:
    return next(f.rating for f in frames(lib, ref))


def test_token_is_exchanged_for_a_strict_httponly_cookie(library, roll):
    with running(library) as server:
        http = Http(server)
        status, headers, _ = http.get(f"/roll/{roll}?token={http.token}&x=1", cookie=False)
        assert status == 303
        assert headers["location"] == f"/roll/{roll}?x=1"
        cookie = headers["set-cookie"]
        assert cookie.startswith(f"filmflow_lt_{http.port}={http.token}")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        status, _, body = http.get(f"/roll/{roll}")
        assert status == 200 and http.csrf.encode() in body
        # a redirect never leaves the server, even for a path that looks like //host
        status, headers, _ = http.get(f"//evil.example/?token={http.token}", cookie=False)
        assert status == 303 and headers["location"].startswith("/evil.example")


@pytest.mark.parametrize("path", ["/", "/roll/R042", "/api/rolls", "/api/frames?q=", "/img/thumb/1",
                                  "/static/app.js", "/api/changes", "/favicon.ico"])
def test_without_token_or_cookie_every_request_is_403(library, roll, path):
    with running(library) as server:
        http = Http(server)
        assert http.get(path, cookie=False)[0] == 403
        assert http.get(path, cookie=False, headers={"Cookie": f"filmflow_lt_{http.port}=wrong"})[0] == 403
        assert http.get(path + ("&" if "?" in path else "?") + "token=wrong", cookie=False)[0] == 403


def test_wrong_host_is_refused_dns_rebinding(library, roll):
    with running(library) as server:
        http = Http(server)
        assert http.get("/api/rolls")[0] == 200
        for host in ("evil.example", f"evil.example:{http.port}", f"127.0.0.1:{http.port + 1}", "127.0.0.1"):
            assert http.get("/api/rolls", host=host)[0] == 403
        assert http.post("/api/rate", {"ids": [1], "rating": 5}, host="evil.example")[0] == 403
    assert _rating(library, f"{roll}/1") == 0


def test_a_change_needs_the_pages_csrf_token_its_origin_and_json(library, roll):
    fid = frames(library, f"{roll}/1")[0].id
    with running(library) as server:
        http = Http(server)
        body = {"ids": [fid], "rating": 5}
        assert http.post("/api/rate", body, csrf=False)[0] == 403
        assert http.post("/api/rate", body, headers={"X-Filmflow-CSRF": "guess"})[0] == 403
        assert http.post("/api/rate", body, headers={"Origin": "http://evil.example"})[0] == 403
        # a cross-site form can only send form encodings
        assert http.post("/api/rate", b"ids=1&rating=5",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
        assert http.request("PUT", "/api/rate", body)[0] == 405
        assert http.get("/api/rate")[0] == 405
        assert _rating(library, f"{roll}/1") == 0
        status, _, out = http.post("/api/rate", body)
        assert status == 200, out
        assert json.loads(out)["previous"] == [{"id": fid, "rating": 0, "pick": "no", "tags": []}]
    assert _rating(library, f"{roll}/1") == 5


@pytest.mark.parametrize("path", [
    "/img/thumb/../../filmflow.db", "/img/thumb/%2e%2e%2f%2e%2e%2ffilmflow.db", "/img/full/..%2Ffilmflow.toml",
    "/img/full//etc/passwd", "/img/preview/1%00.jpg", "/img/thumb/-1", "/img/thumb/abc", "/img/other/1",
    "/static/..%2Fapp.py", "/static/%2Fetc%2Fpasswd", "/static/page.html%00", "/static/../web/app.py",
    "/static/style.css%2F..%2F..%2Fserver.py", "/api/frame/%2e%2e", "/cache/thumbs", "/archive/",
])
def test_path_tricks_are_404_and_never_serve_a_file(library, roll, path):
    with running(library) as server:
        http = Http(server)
        status, _, body = http.get(path)
        assert status in (404, 405), (path, status)
        assert b"SQLite" not in body and b"root:" not in body and b"import" not in body


def test_path_tricks_in_roll_and_project_names_are_404_pages_naming_them(library, roll):
    with running(library) as server:
        http = Http(server)
        for path, name in (("/roll/..%2F..%2Fetc", "../../etc"), ("/roll/NOPE", "NOPE"),
                           ("/project/%2e%2e", ".."), ("/project/Seoul%00", "Seoul\x00")):
            status, headers, body = http.get(path)
            assert status == 404 and headers["content-type"].startswith("text/html"), path
            assert "filmflow" in body.decode() and "No " in body.decode()
        status, headers, body = http.get("/api/roll/NOPE")
        assert status == 404 and json.loads(body) == {
            "error": "no roll with code 'NOPE'; `filmflow rolls` lists the codes."}


def test_read_only_refuses_every_change(library, cli, roll):
    fid = frames(library, f"{roll}/1")[0].id
    with running(library, read_only=True) as server:
        http = Http(server)
        assert http.get("/api/rolls")[0] == 200
        for path, body in (("/api/rate", {"ids": [fid], "rating": 5}), ("/api/pick", {"ids": [fid], "pick": "yes"}),
                           ("/api/tag", {"ids": [fid], "tag": "print"}),
                           ("/api/projects/create", {"name": "X"}), ("/api/caption", {"id": fid, "text": "t"})):
            status, _, out = http.post(path, body)
            assert status == 403 and "read-only" in json.loads(out)["error"]
    f = frames(library, f"{roll}/1")[0]
    assert (f.rating, f.pick, f.tags, f.caption) == (0, "no", (), None)
    assert cli.json("project", "list") == []


def test_malformed_query_gives_the_clis_message_as_json(library, cli, roll):
    cli_msg = cli("frames", "rating:9", code=2).stderr.strip().removeprefix("filmflow: ")
    with running(library) as server:
        http = Http(server)
        status, headers, body = http.get("/api/frames?q=rating%3A9")
        assert status == 400 and headers["content-type"] == "application/json"
        assert json.loads(body) == {"error": cli_msg}
        status, _, body = http.post("/api/rate", {"ids": [1], "rating": 9})
        assert status == 400 and "0 to 5" in json.loads(body)["error"]
        status, _, body = http.post("/api/rate", b"{not json")
        assert status == 400 and "error" in json.loads(body)


def test_images_cached_by_content_hash_and_a_missing_scan_is_a_placeholder(library, roll):
    f = frames(library, f"{roll}/1")[0]
    add_roll(library, "R900", 1)  # catalogued, but no file anywhere
    missing = frames(library, "R900/1")[0]
    with running(library) as server:
        http = Http(server)
        for kind in ("thumb", "preview", "full"):
            status, headers, body = http.get(f"/img/{kind}/{f.id}")
            assert status == 200 and body[:2] == b"\xff\xd8", kind
            assert headers["cache-control"] == "public, max-age=31536000, immutable"
            assert f.sha256 in headers["etag"]
            status, _, body = http.get(f"/img/{kind}/{f.id}", headers={"If-None-Match": headers["etag"]})
            assert status == 304 and body == b""
        assert (library.cache / "previews" / f"{f.sha256}.jpg").is_file()
        status, headers, body = http.get(f"/img/preview/{missing.id}")
        assert status == 200 and headers["content-type"].startswith("image/svg+xml") and b"missing" in body
        assert http.get("/img/thumb/999999")[0] == 404


def _serve(library, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "filmflow", "--library", str(library.root), "serve", "--no-browser",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_cli_serve_prints_one_url_line_and_warns_off_loopback(library, roll):
    proc = _serve(library, "--port", "0")
    try:
        line = proc.stdout.readline()
        assert line.startswith("http://127.0.0.1:") and "/?token=" in line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.stdout.read() == ""
    proc = _serve(library, "--port", "0", "--host", "0.0.0.0")
    try:
        assert proc.stdout.readline().startswith("http://0.0.0.0:")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "anyone on that network" in err and "can change the catalog" in err
    assert "Traceback" not in err


def test_missing_static_files_ship_in_the_package():
    static = Path(__file__).resolve().parent.parent / "filmflow" / "web" / "static"
    from filmflow.web.app import STATIC_FILES

    assert sorted(p.name for p in static.iterdir() if p.name != "page.html") == sorted(STATIC_FILES)


def test_default_port_falls_back_and_an_explicit_busy_port_is_one_clear_line(library):
    import socket

    from filmflow.web.server import DEFAULT_PORT, bind

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", DEFAULT_PORT))
        holder.listen(1)
    except OSError:
        pass  # someone else holds it already: just as good
    try:
        sock = bind("127.0.0.1", None)
        assert sock.getsockname()[1] != DEFAULT_PORT
        sock.close()
        r = subprocess.run([sys.executable, "-m", "filmflow", "--library", str(library.root), "serve", "--no-browser",
                            "--port", str(DEFAULT_PORT)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.strip() == (f"filmflow: port {DEFAULT_PORT} on 127.0.0.1 is taken; pass another --port, "
                                    "or --port 0 for any free one.")
    finally:
        holder.close()


def test_rolls_page_shows_the_newest_rolls_first_and_says_when_there_are_more(library, cli):
    for k in range(1, 5):
        add_roll(library, f"R10{k}", 1, developed=f"2023-0{k}-01")
    with running(library) as server:
        http = Http(server)
        page = json.loads(http.get("/api/rolls?limit=3")[2])
        assert [r["code"] for r in page["rolls"]] == ["R104", "R103", "R102"] and page["more"] is True
        page = json.loads(http.get("/api/rolls")[2])
        assert len(page["rolls"]) == 4 and page["more"] is False
        assert [s["frame"] for s in page["rolls"][0]["strip"]] == ["1"]


def test_a_running_light_table_shows_in_status(library, cli):
    assert cli.json("status")["light_table"] == []
    with running(library, read_only=True) as server:
        port = Http(server).port
        tables = wait_until(lambda: [t for t in cli.json("status")["light_table"] if "port" in t], timeout=30)
        assert tables == [{"pid": os.getpid(), "host": "127.0.0.1", "port": port, "read_only": True}]
        assert f"http://127.0.0.1:{port} (pid {os.getpid()}, read-only)" in cli("status").stdout
    assert cli.json("status")["light_table"] == []
    assert "not running" in cli("status").stdout.split("light table")[1].splitlines()[0]
