"""Dashboard sign-ins, held server-side so that sign-out, password changes and account
removal end them, and so that their lifetime counts from sign-in, whatever the cookie says.

The cookie carries a random token; only its SHA-256 is stored (a copy of the database
does not hand out working sessions).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(conn: sqlite3.Connection, username: str, now: int, lifetime_s: int) -> str:
    """A new sign-in for username, valid until now + lifetime_s; returns the cookie token."""
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM web_sessions WHERE expires_utc <= ?", (now,))
    conn.execute(
        "INSERT INTO web_sessions (token_hash, username, created_utc, expires_utc) "
        "VALUES (?,?,?,?)", (_digest(token), username, now, now + lifetime_s),
    )
    return token


def session_username(conn: sqlite3.Connection, token: str, now: int) -> str | None:
    """The account a live session token belongs to, or None (unknown, ended or expired)."""
    row = conn.execute(
        "SELECT username FROM web_sessions WHERE token_hash=? AND expires_utc > ?",
        (_digest(token), now),
    ).fetchone()
    return None if row is None else str(row[0])


def end_session(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM web_sessions WHERE token_hash=?", (_digest(token),))


def end_user_sessions(conn: sqlite3.Connection, username: str) -> None:
    """Every sign-in of one account (password changed, account removed)."""
    conn.execute("DELETE FROM web_sessions WHERE username=?", (username,))
