"""One write transaction on a connection in autocommit mode (as the Store opens it)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


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


def connect(path: str) -> sqlite3.Connection:
    """A connection set up like the Store's (autocommit, WAL, busy timeout)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn
