"""`wearlog db copy`: the demo clinic moves into PostgreSQL and back, verified, and the
dashboard served from PostgreSQL shows the same summary as from the SQLite file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from wearlog.accounts import Users
from wearlog.store import DatabaseUrl, Store, pg
from wearlog.store.copy import checksum, columns, tables_of
from wearlog.web import create_app

WEARLOG = Path(sys.executable).with_name("wearlog")
PW = "correct horse battery staple"


def wearlog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WEARLOG), *args], capture_output=True, text=True, timeout=600,
                          env=env or dict(os.environ, COLUMNS="200"))


def signed_in(db) -> TestClient:
    c = TestClient(create_app(db, secret="d" * 48), follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "root", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return c


def sums(db) -> dict[str, tuple[int, int]]:
    with Store(db) as s:
        return {t: checksum(s, t, columns(s, t)) for t in tables_of(s)}


def test_demo_database_moves_to_postgresql_and_back(tmp_path: Path, pg_server) -> None:
    r = wearlog("demo", "--no-serve", "--days", "3",
                env=dict(os.environ, COLUMNS="200", TMPDIR=str(tmp_path)))
    assert r.returncode == 0, r.stdout + r.stderr
    demo = Path(re.search(r"Working folder: (\S+)", r.stdout).group(1)) / "wearlog.db"
    with Store(demo) as s:
        Users(s.conn).add("root", "admin", PW)
        patient = s.patient_ids()[0]
    url = DatabaseUrl(pg_server.database())

    r = wearlog("db", "copy", str(demo), url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MISMATCH" not in r.stdout and "epochs" in r.stdout and "verified" in r.stdout
    want = sums(demo)
    assert sums(url) == want and want["epochs"][0] > 5000

    # the same summary, patient list and audit of it from either database
    for path in (f"/api/patients/{patient}/summary?days=14", "/api/patients"):
        lite, post = signed_in(demo).get(path), signed_in(url).get(path)
        assert lite.status_code == post.status_code == 200
        assert lite.json() == post.json(), path
    # a non-empty destination is refused, --merge adds nothing twice
    r = wearlog("db", "copy", str(demo), url)
    assert r.returncode == 1 and "--merge" in r.stderr and "Traceback" not in r.stderr
    pg.close_pools(url)
    r = wearlog("db", "copy", str(demo), url, "--merge")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^epochs\s+\d+ rows\s+0 copied", r.stdout, re.M), r.stdout

    # and back into a new SQLite file: the same rows again (sign-ins and their audit
    # entries grew on both sides meanwhile)
    back = tmp_path / "back.db"
    r = wearlog("db", "copy", url, str(back))
    assert r.returncode == 0, r.stdout + r.stderr
    again = sums(back)
    assert again == sums(url)
    grew = ("audit_log", "web_sessions")
    assert {t: v for t, v in again.items() if t not in grew} == \
        {t: v for t, v in want.items() if t not in grew}
    # numbering goes on after the copied rows (a new sync on PostgreSQL gets a new id)
    with Store(url) as s:
        assert s.begin_sync(s.devices_of(patient)[0]) > max(
            r[0] for r in s.conn.execute("SELECT sync_id FROM syncs WHERE status='ok'"))
    pg.close_pools(url)
