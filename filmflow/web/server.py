"""Start the light table: bind the socket (default port with a fallback), build the guarded app,
run uvicorn until stopped.

`bind(host, port)` binds first so the printed URL carries the real port: the default
DEFAULT_PORT falls back to a free port when taken; `--port 0` always picks a free one; an
explicit busy port is an InputError.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import ipaddress
import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from typing import Any

from filmflow.errors import FilmflowError, InputError
from filmflow.library import Library, WatcherLock
from filmflow.web.security import Guard

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int | None) -> socket.socket:
    """A listening socket on host:port (port None: DEFAULT_PORT, else any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in ([DEFAULT_PORT, 0] if port is None else [port]):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted sockets inherit it: headers and body leave at once, no 40 ms Nagle/delayed-ACK stall
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, candidate))
        except OSError as e:
            sock.close()
            if port is None and e.errno == errno.EADDRINUSE:
                continue
            if e.errno == errno.EADDRINUSE:
                raise InputError(f"port {port} on {host} is taken; pass another --port, "
                                 "or --port 0 for any free one.") from None
            raise InputError(f"cannot listen on {host}:{candidate} ({e.strerror}); "
                             "pass another --host or --port.") from None
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise InputError("no free port; pass --port N.")  # pragma: no cover - port 0 always binds


@dataclass
class Server:
    """A bound, not yet running light table."""

    url: str
    sock: socket.socket
    uvicorn: Any
    state: Any

    def run(self) -> None:
        """Serve until Ctrl-C / SIGTERM (uvicorn's handlers), then close; `filmflow status` sees it meanwhile."""
        lock = self._announce()
        try:
            self.uvicorn.run(sockets=[self.sock])
        finally:
            self.state.close()
            self.sock.close()
            if lock is not None:
                lock.release()
                with contextlib.suppress(OSError):
                    lock.path.unlink()

    def _announce(self) -> WatcherLock | None:
        """Hold logs/serve-PORT.lock (an flock the kernel drops if we die) naming pid, address, mode."""
        g = self.state.guard
        lock = WatcherLock(self.state.lib.logs / f"serve-{g.port}.lock")
        try:
            lock.acquire(self.state.lib.root)
            os.ftruncate(lock.fd, 0)
            os.pwrite(lock.fd, json.dumps({"pid": os.getpid(), "host": g.host, "port": g.port,
                                           "read_only": g.read_only}).encode(), 0)
        except (OSError, FilmflowError) as e:
            log.warning("cannot write %s (%s); filmflow status will not list this light table", lock.path, e)
            return None
        return lock

    def start_thread(self) -> threading.Thread:
        """Serve in a daemon thread (tests, benchmarks, screenshots); returns once it accepts."""
        self.uvicorn.config.install_signal_handlers = False  # only the main thread may
        t = threading.Thread(target=self.run, daemon=True, name="lighttable")
        t.start()
        while not self.uvicorn.started and t.is_alive():
            threading.Event().wait(0.02)
        return t

    def stop(self, thread: threading.Thread | None = None) -> None:
        """Ask uvicorn to stop; wait for the thread when given."""
        self.uvicorn.should_exit = True
        if thread is not None:
            thread.join(timeout=30)


def make_server(lib: Library, host: str = "127.0.0.1", port: int | None = None, read_only: bool = False,
                token: str | None = None, workers: int = 1) -> Server:
    """Bind and build everything; `url` is the address to open (with the token)."""
    import uvicorn

    from filmflow.web.app import create_app

    sock = bind(host, port)
    real_port = sock.getsockname()[1]
    token = token or secrets.token_urlsafe(24)
    guard = Guard(token=token, host=host, port=real_port, read_only=read_only)
    app, state = create_app(lib, guard, workers)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=3)
    name = f"[{host}]" if ":" in host else host
    return Server(f"http://{name}:{real_port}/?token={token}", sock, uvicorn.Server(config), state)
