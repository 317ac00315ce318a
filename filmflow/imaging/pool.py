"""The pool worker's start: every process pool that encodes images (ingest, export) watches its owner."""

from __future__ import annotations

import os
import signal
import threading
import time


def worker_init(owner: int) -> None:
    """Process-pool initializer: a worker must not outlive the process that owns the pool.

    The owner-watch of ingest's thumbnail pool, for every pool that encodes images:
    PR_SET_PDEATHSIG kills a forked worker with its parent; a forkserver's worker has the
    forkserver as parent, so a daemon thread also checks every 0.5 s that `owner` exists.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch_owner() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGKILL)
            except PermissionError:
                pass
            if os.getppid() == 1:  # re-parented to init: the owner (our parent) is gone
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch_owner, name="owner-watch", daemon=True).start()
