"""`wearlog demo` claims its port before it records anything (issue 14, item 20).

With another server on the port it stops at once with one line that names the port and
--port, and it never prints a URL where that other server answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wearlog.web.listen import PortInUseError, claim_port

WEARLOG = Path(sys.executable).with_name("wearlog")


class _Other(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"someone else's server")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_server() -> Iterator[int]:
    """A real HTTP server, not ours, answering on a port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_busy_port_stops_the_demo_before_it_records(tmp_path: Path, other_server: int) -> None:
    port = other_server
    env = dict(os.environ, COLUMNS="200", TMPDIR=str(tmp_path))
    r = subprocess.run([str(WEARLOG), "demo", "--days", "1", "--port", str(port)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is in use by another program: choose another with "
        f"--port, e.g. --port {port + 1}"], r.stderr
    assert "Traceback" not in r.stderr
    assert f":{port}" not in r.stdout  # no URL where the other server answers
    assert "Recording" not in r.stdout  # nothing recorded, nothing created
    assert list(tmp_path.iterdir()) == []


def test_a_claimed_port_cannot_be_taken_until_released() -> None:
    sock = claim_port("127.0.0.1", 0)
    port = sock.getsockname()[1]
    try:
        with pytest.raises(PortInUseError, match=f"port {port} .*--port"):
            claim_port("127.0.0.1", port)
        other = socket.socket()
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
        other.close()
    finally:
        sock.close()
    claim_port("127.0.0.1", port).close()  # free again once released
