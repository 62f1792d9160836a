"""`wearlog serve --workers 2` on each backend: two server processes, one login limit and
one set of sign-ins (a sign-out on one process holds on the other)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from wearlog.accounts import Users
from wearlog.store import Store

WEARLOG = Path(sys.executable).with_name("wearlog")
PW = "clinic passphrase long enough"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        out.update(int(k) for k in kids)
    return out


def _get(base: str, path: str, cookies: dict[str, str] | None = None) -> httpx.Response:
    """A new connection per request, so the kernel spreads them over the workers."""
    with httpx.Client(base_url=base, follow_redirects=False, cookies=cookies) as c:
        return c.get(path)


def _attempt(base: str, password: str) -> int:
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    with httpx.Client(base_url=base, follow_redirects=False, cookies=c.cookies) as c2:
        return c2.post("/login", data={"username": "dr.w", "password": password,
                                       "csrf_token": csrf}).status_code


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_workers_share_limits_and_sign_outs(backend: str, tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
    db = str(tmp_path / "w.db") if backend == "sqlite" else \
        request.getfixturevalue("pg_server").database()
    with Store(db) as s:
        Users(s.conn).add("dr.w", "clinician", PW)
    port = _free_port()
    env = dict(os.environ, WEARLOG_SECRET_KEY="w" * 48)
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(WEARLOG), "serve", "--db", db, "--port", str(port),
                                 "--workers", "2"], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if _get(base, "/login").status_code == 200 and len(_children(proc.pid)) >= 2:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        # sign in, then sign out through fresh connections: the cookie is dead everywhere
        with httpx.Client(base_url=base, follow_redirects=False) as c:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                             c.get("/login").text).group(1)
            assert c.post("/login", data={"username": "dr.w", "password": PW,
                                          "csrf_token": csrf}).status_code == 303
            cookies = dict(c.cookies)
            assert all(_get(base, "/api/patients", cookies=cookies).status_code == 200
                       for _ in range(12))
            page = c.get("/").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert c.post("/logout", data={"csrf_token": csrf}).status_code == 303
        assert [_get(base, "/api/patients", cookies=cookies).status_code
                for _ in range(12)] == [401] * 12
        # five failures, spread over the workers, lock the account on every worker
        assert [_attempt(base, f"wrong guess {i}!!") for i in range(5)] == [401] * 5
        assert [_attempt(base, PW) for _ in range(6)] == [429] * 6
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text()
