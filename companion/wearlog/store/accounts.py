"""Named queries for dashboard accounts, device tokens and the audit log.

They take the connection the caller holds (the web app's per-request one, or a Store's),
so wearlog.accounts keeps its API; every statement lives here, in the gateway.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from wearlog.store.web_sessions import end_user_sessions


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All statements land, or none (BEGIN IMMEDIATE takes the write lock up front)."""
    if conn.in_transaction:  # already inside a caller's transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- users and assignments ------------------------------------------------------------
def insert_user(conn: sqlite3.Connection, username: str, role: str, pw_hash: str,
                must_change: bool = False) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO users (username, role, pw_hash, created_utc, must_change_pw) "
            "VALUES (?,?,?,?,?)",
            (username, role, pw_hash, int(time.time()), int(must_change)))


def user_row(conn: sqlite3.Connection, username: str) -> tuple[str, str, bool] | None:
    row = conn.execute(
        "SELECT username, role, must_change_pw FROM users WHERE username=?",
        (username,)).fetchone()
    return None if row is None else (row[0], row[1], bool(row[2]))


def user_rows(conn: sqlite3.Connection) -> list[tuple[str, str, int, str | None]]:
    """(username, role, created_utc, comma-joined patient ids) of every user."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT u.username, u.role, u.created_utc, "
        "(SELECT group_concat(patient_id, ',') FROM "
        " (SELECT patient_id FROM assignments a WHERE a.username=u.username "
        "  ORDER BY patient_id) AS t) FROM users u ORDER BY u.username")]


def delete_user(conn: sqlite3.Connection, username: str) -> None:
    """The account, its assignments and every sign-in it holds, in one transaction."""
    with transaction(conn):
        conn.execute("DELETE FROM assignments WHERE username=?", (username,))
        conn.execute("DELETE FROM users WHERE username=?", (username,))
        end_user_sessions(conn, username)


def set_password_hash(conn: sqlite3.Connection, username: str, pw_hash: str,
                      end_sessions: bool = True, one_time: bool = False) -> None:
    """New hash; end_sessions ends every sign-in of the user (a rehash at sign-in keeps
    them); one_time: the user must replace it at the next sign-in."""
    with transaction(conn):
        if end_sessions:
            conn.execute(
                "UPDATE users SET pw_hash=?, must_change_pw=? "
                "WHERE username=?", (pw_hash, int(one_time), username))
            end_user_sessions(conn, username)
        else:
            conn.execute("UPDATE users SET pw_hash=? WHERE username=?", (pw_hash, username))


def password_hash(conn: sqlite3.Connection, username: str) -> str | None:
    row = conn.execute("SELECT pw_hash FROM users WHERE username=?", (username,)).fetchone()
    return None if row is None else str(row[0])


def patient_exists(conn: sqlite3.Connection, patient_id: str) -> bool:
    return conn.execute("SELECT 1 FROM patients WHERE patient_id=?",
                        (patient_id,)).fetchone() is not None


def assign(conn: sqlite3.Connection, username: str, patient_id: str) -> None:
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO assignments (username, patient_id) VALUES (?,?)",
                     (username, patient_id))


def unassign(conn: sqlite3.Connection, username: str, patient_id: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM assignments WHERE username=? AND patient_id=?",
                            (username, patient_id)).rowcount > 0


def all_patient_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT patient_id FROM patients ORDER BY patient_id")]


def assigned_patient_ids(conn: sqlite3.Connection, username: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT a.patient_id FROM assignments a JOIN patients p USING (patient_id) "
        "WHERE a.username=? ORDER BY a.patient_id", (username,))]


def is_assigned(conn: sqlite3.Connection, username: str, patient_id: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM assignments a JOIN patients p USING (patient_id) "
        "WHERE a.username=? AND a.patient_id=?", (username, patient_id)).fetchone() is not None


# --- device tokens --------------------------------------------------------------------
def device_owner(conn: sqlite3.Connection, device_id: int) -> str | None:
    row = conn.execute("SELECT patient_id FROM devices WHERE device_id=?",
                       (device_id,)).fetchone()
    return None if row is None else str(row[0])


def insert_token(conn: sqlite3.Connection, token_id: str, device_id: int, patient_id: str,
                 token_hash: str, label: str | None) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO device_tokens (token_id, device_id, patient_id, token_hash, label, "
            "created_utc) VALUES (?,?,?,?,?,?)",
            (token_id, device_id, patient_id, token_hash, label, int(time.time())))


def token_row(conn: sqlite3.Connection, token_id: str
              ) -> tuple[int, str, str, int | None] | None:
    """(device_id, patient_id, token_hash, revoked_utc) of a token."""
    row = conn.execute(
        "SELECT device_id, patient_id, token_hash, revoked_utc FROM device_tokens "
        "WHERE token_id=?", (token_id,)).fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


def token_used(conn: sqlite3.Connection, token_id: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE device_tokens SET last_used_utc=? WHERE token_id=?",
                     (int(time.time()), token_id))


def revoke_token(conn: sqlite3.Connection, token_id: str) -> bool | None:
    """True: revoked now; False: it was revoked before; None: no such token."""
    with transaction(conn):
        n = conn.execute(
            "UPDATE device_tokens SET revoked_utc=? WHERE token_id=? AND revoked_utc IS NULL",
            (int(time.time()), token_id)).rowcount
    if n:
        return True
    exists = conn.execute("SELECT 1 FROM device_tokens WHERE token_id=?",
                          (token_id,)).fetchone()
    return False if exists else None


TOKEN_COLS = ("token_id", "device_id", "patient_id", "label", "created_utc", "revoked_utc",
              "last_used_utc")


def token_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(zip(TOKEN_COLS, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(TOKEN_COLS)} FROM device_tokens ORDER BY created_utc")]


# --- audit log --------------------------------------------------------------------------
AUDIT_COLS = ("audit_id", "at_utc", "actor", "action", "patient_id", "detail")


def add_audits(conn: sqlite3.Connection,
               rows: list[tuple[int, str, str, str | None, str | None]],
               wait_ms: int) -> None:
    """Several entries (at_utc, actor, action, patient_id, detail) in one transaction,
    waiting at most wait_ms for the write lock (sqlite3.OperationalError if still locked).

    PostgreSQL: one multi-row INSERT, atomic on its own. Appending rows takes no lock
    that another writer holds (not Wearlog's advisory write lock, which keeps SQLite's
    one-writer order for records and results), so there is no lock wait to set either:
    one round trip instead of six. Only a schema change of audit_log could make it wait
    (the connection's lock timeout)."""
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        marks = ",".join(["(?,?,?,?,?)"] * len(rows))
        conn.execute("INSERT INTO audit_log (at_utc, actor, action, patient_id, detail) "
                     f"VALUES {marks}", [v for r in rows for v in r])
        return
    (was,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {min(int(was), int(wait_ms))}")
    try:
        with transaction(conn):
            conn.executemany(
                "INSERT INTO audit_log (at_utc, actor, action, patient_id, detail) "
                "VALUES (?,?,?,?,?)", rows)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(was)}")


def database_file(conn: sqlite3.Connection) -> str:
    """The file behind a connection (keys per-database state such as deferred audit rows)."""
    return str(conn.execute("PRAGMA database_list").fetchone()[2])


def audit_rows(conn: sqlite3.Connection, patient_id: str | None, limit: int
               ) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(AUDIT_COLS)} FROM audit_log"
    args: tuple[Any, ...] = ()
    if patient_id is not None:
        sql += " WHERE patient_id=?"
        args = (patient_id,)
    sql += " ORDER BY audit_id DESC LIMIT ?"
    return [dict(zip(AUDIT_COLS, r, strict=True)) for r in conn.execute(sql, (*args, limit))]
