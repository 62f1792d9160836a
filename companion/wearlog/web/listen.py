"""Claim the dashboard's port before anything else, then serve on that very socket.

Checking a port and binding it later leaves a gap in which another server can take it,
and then the URL we print would lead there. Holding the listening socket from the check
to the serving closes that gap.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI


class PortInUseError(Exception):
    """Another program listens on the requested port."""


def claim_port(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or PortInUseError naming the port and the fix."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # Reuse a port left in TIME_WAIT by an earlier run; Linux still refuses a live listener.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "is in use by another program" if e.errno == errno.EADDRINUSE else \
                "needs privileges"
            raise PortInUseError(
                f"port {port} on {host} {why}: choose another with --port, "
                f"e.g. --port {port + 1 if port < 65535 else 8000}") from None
        raise
    return sock


def serve_on(app: FastAPI, sock: socket.socket,
             on_started: Callable[[], None] | None = None) -> None:
    """Serve `app` on an already listening socket until Ctrl-C; on_started runs once it answers."""
    import uvicorn

    from wearlog.web.app import UVICORN_OPTIONS

    config = uvicorn.Config(app, log_level="warning", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    if on_started is not None:
        def wait_then_call() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                on_started()

        threading.Thread(target=wait_then_call, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its clean shutdown
        pass


def serve_in_thread(app: FastAPI, sock: socket.socket) -> Callable[[], None]:
    """Serve `app` on `sock` in a background thread (a second app beside serve_on's);
    returns the function that stops it."""
    import uvicorn

    from wearlog.web.app import UVICORN_OPTIONS

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **UVICORN_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return stop
