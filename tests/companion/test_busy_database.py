"""While something else writes (a long import, another program), nothing answers 500:
imports commit in bounded transactions, views go on when their audit row must wait,
and a request that cannot write is told to retry (503 + Retry-After)."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.accounts import Users
from wearlog.accounts.audit import pending_audit
from wearlog.accounts.tokens import create_token
from wearlog.imports import import_epoch_csv
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app

PW = "correct horse battery staple"
T0 = 1_780_000_000


def test_long_import_commits_in_bounded_transactions(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import wearlog.store.store as store_module

    monkeypatch.setattr(store_module, "INGEST_BATCH_ROWS", 1000)
    csv = tmp_path / "long.csv"
    csv.write_text("timestamp,enmo\n" + "".join(f"{T0 + 30 * i},{i % 90}\n"
                                                 for i in range(2501)))
    store = Store(tmp_path / "w.db")
    store.add_patient("P-1")
    txns: list[int] = []  # epoch rows written by each write transaction
    current: list[int] = []

    def trace(sql: str) -> None:
        s = sql.strip().upper()
        if s.startswith("BEGIN"):
            current[:] = [0]
        elif s.startswith("INSERT OR IGNORE INTO EPOCHS") and current:
            current[0] += 1
        elif s.startswith("COMMIT") and current:
            txns.append(current[0])
            current.clear()

    store.conn.set_trace_callback(trace)
    res = import_epoch_csv(store, "P-1", csv)
    store.conn.set_trace_callback(None)
    assert res.new == 2501 and store.counts()["epochs"] == 2501
    writing = [n for n in txns if n]
    assert len(writing) == 3  # 1000 + 1000 + 501: the lock is let go between batches
    # and the import is still one import: the same file again adds nothing
    assert import_epoch_csv(store, "P-1", csv).new == 0


def test_import_stopped_between_batches_is_completed_by_running_it_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wearlog.store.store as store_module
    from wearlog.store.imports import PartialImportError

    monkeypatch.setattr(store_module, "INGEST_BATCH_ROWS", 1000)
    csv = tmp_path / "long.csv"
    csv.write_text("timestamp,enmo\n" + "".join(f"{T0 + 30 * i},{i % 90}\n"
                                                 for i in range(2501)))
    db = tmp_path / "w.db"
    store = Store(db)
    store.add_patient("P-1")
    store.conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(db, isolation_level=None)
    begins = []

    def trace(sql: str) -> None:  # another program takes the lock before the 2nd batch
        if sql.strip().upper().startswith("BEGIN"):
            begins.append(sql)
            if len(begins) == 2:
                other.execute("BEGIN IMMEDIATE")

    store.conn.set_trace_callback(trace)
    with pytest.raises(PartialImportError, match="1000 of 2501 epochs.*again"):
        import_epoch_csv(store, "P-1", csv)
    store.conn.set_trace_callback(None)
    other.execute("ROLLBACK")
    other.close()
    assert store.counts()["epochs"] == 1000  # the first batch, with its device and audit row
    res = import_epoch_csv(store, "P-1", csv)
    assert res.new == 1501 and store.counts()["epochs"] == 2501  # nothing lost, none twice
    assert store.filed_counts("P-1")["epochs"] == 2501
    store.close()


@pytest.fixture
def server(tmp_path: Path):
    db = tmp_path / "server.db"
    with Store(db) as s:
        make_patient(s, "P-1", 1, 3, seed=1)
        Users(s.conn).add("root", "admin", PW)
        token = create_token(s.conn, 1, "home")
    c = TestClient(create_app(db, secret="s" * 40), follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "root", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return db, c, token


def audit_count(db: Path, action: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM audit_log WHERE action=?",
                                (action,)).fetchone()[0])
    finally:
        conn.close()


def test_views_go_on_and_writers_get_503_while_the_database_is_locked(server) -> None:
    db, c, token = server
    views_before = audit_count(db, "view")
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        page = c.get("/patients/P-1", headers={"accept": "text/html"})
        assert page.status_code == 200  # before: 500 "database is locked" from the audit row
        assert c.get("/api/patients/P-1/summary").status_code == 200
        assert pending_audit() >= 2  # kept, not lost
        up = c.post("/api/upload", json={"device_id": 1, "epochs": [
            {"seq": 10**6, "time": T0}]}, headers={"Authorization": f"Bearer {token}"})
        assert up.status_code == 503, up.text
        assert up.headers["Retry-After"].isdigit()
        assert "busy" in up.json()["detail"]
    finally:
        locker.execute("COMMIT")
        locker.close()
    # once the lock is gone, the waiting audit rows land with the next one
    assert c.get("/api/patients/P-1/summary").status_code == 200
    assert pending_audit() == 0
    assert audit_count(db, "view") == views_before + 3
    up = c.post("/api/upload", json={"device_id": 1, "epochs": [{"seq": 10**6, "time": T0}]},
                headers={"Authorization": f"Bearer {token}"})
    assert up.status_code == 200 and up.json()["new"] == 1


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(threads=st.integers(2, 6), each=st.integers(1, 6),
       locked_for=st.sampled_from([0.0, 0.05, 0.3]))
def test_audit_from_many_threads_loses_and_repeats_nothing(
        tmp_path: Path, threads: int, each: int, locked_for: float) -> None:
    """Requests audit side by side (the write is outside the list's lock): with or without
    another program holding the write lock meanwhile, every entry lands exactly once, the
    ones that met the lock with a later entry."""
    from concurrent.futures import ThreadPoolExecutor

    from wearlog.accounts.audit import AUDIT_WAIT_MS, audit

    db = tmp_path / f"audit-{threads}-{each}-{int(locked_for * 100)}.db"
    with Store(db) as s:
        s.add_patient("P-1")
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    if not locked_for:
        locker.execute("COMMIT")

    def one(t: int) -> None:
        store = Store.session(db)
        try:
            for k in range(each):
                audit(store.conn, f"u{t}", "view", "P-1", f"{t}:{k}")
        finally:
            store.close()

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(one, t) for t in range(threads)]
        if locked_for:
            time.sleep(locked_for)
            locker.execute("COMMIT")
        for f in futures:
            f.result()
    locker.close()
    with Store.session(db) as s:
        audit(s.conn, "last", "view", "P-1", "after")  # writes whatever still waits
    assert pending_audit() == 0
    conn = sqlite3.connect(db)
    details = sorted(r[0] for r in conn.execute("SELECT detail FROM audit_log"))
    conn.close()
    assert details == sorted([f"{t}:{k}" for t in range(threads) for k in range(each)]
                             + ["after"])
    assert AUDIT_WAIT_MS < 1000  # a locked entry waits this long, then is deferred
