"""The server's pool of open SQLite handles (store/pool.py): reuse, no transaction
carried from one request to the next, a changed schema reopens, and the dashboard's
requests take their handles from it and give them back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wearlog.accounts import Users
from wearlog.store import Store, StoreReadOnlyError
from wearlog.store.pool import StorePool
from wearlog.testing.database import make_patient
from wearlog.web import create_app

PW = "correct horse battery staple"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pool.db"
    with Store(path) as s:
        s.add_patient("P-1")
    return path


def test_a_handle_given_back_is_lent_again(db: Path) -> None:
    pool = StorePool(db, readonly=True)
    assert pool.take() is None  # nothing idle yet: the caller opens one
    a = pool.open()
    pool.give_back(a)
    assert pool.take() is a
    assert pool.opened == 1
    pool.give_back(a)
    pool.close()
    assert pool.idle() == 0


def test_a_transaction_left_open_is_rolled_back_not_lent_on(db: Path) -> None:
    pool = StorePool(db, readonly=False)
    w = pool.open()
    w.conn.execute("BEGIN IMMEDIATE")
    w.conn.execute("INSERT INTO patients (patient_id, tz) VALUES ('P-HALF', 'UTC')")
    pool.give_back(w)  # a request that failed halfway
    again = pool.take()
    assert again is w and not again.conn.in_transaction
    with Store(db) as s:
        assert "P-HALF" not in s.patient_ids()
        s.add_patient("P-2")  # the write lock was released
    pool.give_back(again)
    pool.close()


def test_a_changed_schema_is_not_reused(db: Path) -> None:
    """Another program changed the schema (a newer Wearlog migrated it): the kept handle
    is closed and the next request opens a new one, whose version check runs again
    (checked here on every take; the server checks at most once a second)."""
    pool = StorePool(db, readonly=True, check_every_s=0)
    kept = pool.open()
    pool.give_back(kept)
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE zz_added_by_another_program (x INTEGER)")
    other.commit()
    other.close()
    assert pool.take() is None
    with pytest.raises(sqlite3.ProgrammingError):  # closed, not merely dropped
        kept.conn.execute("SELECT 1")
    fresh = pool.open()
    pool.give_back(fresh)
    assert pool.take() is fresh  # the new schema's handles are reused again
    pool.give_back(fresh)
    pool.close()


def test_a_handle_opened_on_a_new_schema_retires_the_older_ones(db: Path) -> None:
    pool = StorePool(db, readonly=True)  # default: the cookie is read at most once a second
    old = pool.open()
    pool.give_back(old)
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE zz_added_by_another_program (x INTEGER)")
    other.commit()
    other.close()
    new = pool.open()  # e.g. the pool was empty for a moment under load
    assert pool.idle() == 0
    with pytest.raises(sqlite3.ProgrammingError):
        old.conn.execute("SELECT 1")
    pool.give_back(new)
    pool.close()


def test_the_pool_keeps_at_most_keep_idle(db: Path) -> None:
    pool = StorePool(db, readonly=True, keep=2)
    lent = [pool.open() for _ in range(3)]
    for s in lent:
        pool.give_back(s)
    assert pool.idle() == 2
    with pytest.raises(sqlite3.ProgrammingError):
        lent[2].conn.execute("SELECT 1")
    pool.close()


def test_read_only_handles_stay_read_only(db: Path) -> None:
    pool = StorePool(db, readonly=True)
    r = pool.open()
    with pytest.raises((sqlite3.OperationalError, StoreReadOnlyError)):
        r.conn.execute("INSERT INTO patients (patient_id, tz) VALUES ('P-X', 'UTC')")
    pool.give_back(r)
    pool.close()


def test_dashboard_requests_reuse_pooled_handles(tmp_path: Path) -> None:
    """Many GETs open a handful of handles, every one comes back, and each view's audit
    entry is written (a reused connection commits as a new one did)."""
    path = tmp_path / "web.db"
    with Store(path) as s:
        make_patient(s, "P-1", 1, 3, seed=1)
        Users(s.conn).add("dr", "clinician", PW)
        Users(s.conn).assign("dr", "P-1")
    app = create_app(path, secret="k" * 48)
    with TestClient(app) as c:
        page = c.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert c.post("/login", data={"username": "dr", "password": PW, "csrf_token": csrf},
                      follow_redirects=False).status_code == 303
        for _ in range(20):
            assert c.get("/api/patients/P-1/summary?days=14").status_code == 200
            assert c.get("/patients/P-1?days=14").status_code == 200
            assert c.get("/api/patients/P-NOT-MINE/summary").status_code == 404
        assert app.state.readers.opened <= 2 and app.state.writers.opened <= 3
        assert app.state.readers.idle() == app.state.readers.opened
        assert app.state.writers.idle() == app.state.writers.opened
    assert app.state.readers.idle() == 0  # closed at shutdown
    with Store(path) as s:
        (views,) = s.conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE actor='dr' AND action='view'").fetchone()
        (refused,) = s.conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE actor='dr' AND action='refused'").fetchone()
    assert (views, refused) == (40, 20)


def test_postgresql_request_handles_reset_what_they_set_and_audit_in_one_insert(
        pg_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a pooled connection that ran a SET (the audit's lock wait before, the
    read-only flag) is reset before it is lent again; one that did not is lent as it is.
    Audit entries land in one INSERT, all of them; the version check of a request handle
    is reused within a second, and a newer schema is still refused after it."""
    from wearlog.accounts.audit import audit, audit_entries
    from wearlog.store import DatabaseUrl, SchemaTooNewError, pg

    url = DatabaseUrl(pg_server.database())
    monkeypatch.setattr(pg, "POOL_MAX", 1)  # one connection: every handle reuses it
    try:
        with Store(url) as s:
            s.add_patient("P-1")
        pg.close_pools(url)
        with Store.session(url) as s:
            s.conn.execute("PRAGMA busy_timeout = 100")
            assert s.conn.execute("SHOW lock_timeout").fetchone()[0] == "100ms"
        with Store.session(url) as s:  # the same connection, reset
            assert s.conn.execute("SHOW lock_timeout").fetchone()[0] == "5s"
            statements: list[str] = []
            real = pg.PgConnection.execute

            def spy(self, sql, params=()):  # type: ignore[no-untyped-def]
                statements.append(" ".join(sql.split()[:2]).upper())
                return real(self, sql, params)

            monkeypatch.setattr(pg.PgConnection, "execute", spy)
            audit(s.conn, "dr", "view", "P-1", "one")
            monkeypatch.setattr(pg.PgConnection, "execute", real)
            # which database (answered without a round trip), then the one statement
            assert statements == ["PRAGMA DATABASE_LIST", "INSERT INTO"]
            assert [e["detail"] for e in audit_entries(s.conn, "P-1")] == ["one"]
        checks = []
        from wearlog.store import migrations

        real_version = migrations.check_version

        def counted(conn):  # type: ignore[no-untyped-def]
            checks.append(1)
            return real_version(conn)

        monkeypatch.setattr("wearlog.store.store.check_version", counted)
        pg._versions.clear()
        for _ in range(5):
            Store.session(url).close()
        assert len(checks) == 1
        with Store(url) as s:
            s.conn.execute("INSERT INTO schema_version (version, applied_utc) VALUES (?, 0)",
                           (migrations.LATEST + 1,))
        monkeypatch.setattr(pg, "VERSION_RECHECK_S", 0.0)
        with pytest.raises(SchemaTooNewError):
            Store.session(url)
    finally:
        pg.close_pools(url)


@pytest.mark.parametrize("threads", [1, 4])
def test_views_run_on_the_set_number_of_threads_without_waiting_on_each_other(
        tmp_path: Path, threads: int) -> None:
    """Settings.request_threads caps the worker threads of the server's event loop (few,
    so they do not spend the CPU handing the interpreter lock round); even one thread
    serves concurrent views, each with its yield dependencies and audit, to the end."""
    from concurrent.futures import ThreadPoolExecutor

    from anyio import to_thread

    path = tmp_path / "web.db"
    with Store(path) as s:
        make_patient(s, "P-1", 1, 3, seed=1)
        Users(s.conn).add("dr", "clinician", PW)
        Users(s.conn).assign("dr", "P-1")
    app = create_app(path, secret="k" * 48, request_threads=threads)
    with TestClient(app) as c:
        assert c.portal is not None
        limiter = c.portal.call(to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == threads
        page = c.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert c.post("/login", data={"username": "dr", "password": PW, "csrf_token": csrf},
                      follow_redirects=False).status_code == 303
        paths = ["/patients/P-1?days=14", "/api/patients/P-1/summary?days=14", "/"] * 8
        with ThreadPoolExecutor(12) as ex:
            codes = list(ex.map(lambda p: c.get(p).status_code, paths))
        assert codes == [200] * len(paths)
    with Store(path) as s:
        (views,) = s.conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE actor='dr' AND action IN ('view', 'list')"
        ).fetchone()
    assert views == len(paths)
