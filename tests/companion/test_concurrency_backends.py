"""Concurrency drills on both backends (SQLite file, PostgreSQL server), through a real
HTTP server: many uploads at once, a long import while clinicians read, and syncs
(the store path a BLE sync takes) while clinicians read. 0 errors (a 503 is a polite
"again later" the clients follow), 0 records lost or stored twice."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import wearlog.store.store as store_module
from wearlog.accounts import Users
from wearlog.accounts.tokens import create_token
from wearlog.imports import import_epoch_csv
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app
from wearlog.web.live import live_server
from wlproto.records import Epoch

PW = "correct horse battery staple"
T0 = 1_790_000_000


@pytest.fixture
def clinic(db_location, monkeypatch):
    monkeypatch.setenv("WEARLOG_SECRET_KEY", "c" * 48)
    with Store(db_location) as s:
        make_patient(s, "P-1", 1, 3, seed=1)
        s.add_patient("P-UP")
        s.add_device(7, "P-UP")
        Users(s.conn).add("root", "admin", PW)
        token = create_token(s.conn, 7, "home")
    with live_server(create_app(db_location)) as url:
        yield db_location, url, token


def _with_retry(send) -> httpx.Response:
    for _ in range(100):
        r = send()
        if r.status_code != 503:
            return r
        time.sleep(float(r.headers.get("retry-after", "1")) / 10)
    return r


def _reader(url: str, stop: threading.Event, codes: list[int],
            ready: threading.Barrier) -> None:
    """A signed-in clinician reading the list and a summary until told to stop."""
    with httpx.Client(base_url=url, timeout=60) as c:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": "root", "password": PW, "csrf_token": csrf})
        ready.wait()
        while True:
            for path in ("/api/patients", "/api/patients/P-1/summary?days=14"):
                codes.append(c.get(path).status_code)
            if stop.is_set():
                return


def _start_readers(url: str, n: int = 3) -> tuple[threading.Event, list[int],
                                                  list[threading.Thread]]:
    stop, codes, ready = threading.Event(), [], threading.Barrier(n + 1)
    readers = [threading.Thread(target=_reader, args=(url, stop, codes, ready))
               for _ in range(n)]
    for t in readers:
        t.start()
    ready.wait()  # every reader signed in: the writing starts while they read
    return stop, codes, readers


def test_many_uploads_at_once_store_each_record_once(clinic) -> None:
    db, url, token = clinic
    # 24 uploads of 400 epochs, each overlapping the next by half, 8 at a time
    batches = [list(range(200 * i, 200 * i + 400)) for i in range(24)]

    def send(seqs: list[int]) -> int:
        body = {"device_id": 7, "epochs": [{"seq": q, "time": T0 + 30 * q, "enmo_dmg": q % 97}
                                           for q in seqs]}
        with httpx.Client(base_url=url, timeout=120) as c:
            return _with_retry(lambda: c.post(
                "/api/upload", json=body, headers={"Authorization": f"Bearer {token}"}
            )).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, batches))
    assert codes == [200] * len(batches)
    want = sorted({q for b in batches for q in b})
    with Store.reader(db) as s:
        got = [r[0] for r in s.conn.execute(
            "SELECT seq FROM epochs WHERE device_id=7 ORDER BY seq").fetchall()]
        added = s.conn.execute(
            "SELECT SUM(records_new) FROM syncs WHERE device_id=7").fetchone()[0]
    assert got == want  # none lost, none twice
    assert added == len(want)  # and the audit counts each new record exactly once


def test_long_import_while_clinicians_read(clinic, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db, url, _ = clinic
    monkeypatch.setattr(store_module, "INGEST_BATCH_ROWS", 2000)
    csv = tmp_path / "long.csv"
    n = 12_001
    csv.write_text("timestamp,enmo\n" + "".join(f"{T0 + 30 * i},{i % 90}\n" for i in range(n)))
    stop, codes, readers = _start_readers(url)
    try:
        with Store(db) as s:
            res = import_epoch_csv(s, "P-IMP", csv, tz="UTC")
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert res.new == n
    assert codes and set(codes) <= {200, 503} and codes.count(200) >= len(codes) // 2
    with Store.reader(db) as s:
        assert s.filed_counts("P-IMP")["epochs"] == n


def test_syncs_while_clinicians_read(clinic) -> None:
    db, url, _ = clinic
    stop, codes, readers = _start_readers(url)
    try:
        with Store(db) as s:
            for k in range(10):  # ten syncs of one hour each, the last re-sending one
                seqs = range(120 * k, 120 * (k + 1)) if k < 9 else range(0, 120)
                sid = s.begin_sync(1)
                s.ingest(1, [Epoch(10**6 + q, T0 + 30 * q, 0, q % 50) for q in seqs], sid)
                s.end_sync(sid)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert codes and set(codes) <= {200, 503}
    with Store.reader(db) as s:
        assert s.conn.execute("SELECT COUNT(*), COUNT(DISTINCT seq) FROM epochs WHERE "
                              "device_id=1 AND seq >= 1000000").fetchone() == (1080, 1080)
