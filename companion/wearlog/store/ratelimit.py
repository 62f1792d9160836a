"""Named queries of the login rate limit: failed sign-ins per key (user:NAME, ip:ADDRESS).

In the database, not in a process, so that with several server processes a limit
holds whichever process a request reaches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from wearlog.store.accounts import transaction


def oldest_recent(conn: sqlite3.Connection, keys: Sequence[str], since: float
                  ) -> list[tuple[str, int, float]]:
    """(key, failures since `since`, the oldest of them) for each key that has any."""
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    return [(r[0], int(r[1]), float(r[2])) for r in conn.execute(
        "SELECT limit_key, COUNT(*), MIN(at_utc) FROM login_failures "
        f"WHERE limit_key IN ({marks}) AND at_utc > ? GROUP BY limit_key",
        (*keys, since)).fetchall()]


def add_failure(conn: sqlite3.Connection, keys: Sequence[str], now: float,
                forget_before: float) -> None:
    """One failed attempt under each key; failures older than the window are dropped."""
    with transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE at_utc <= ?", (forget_before,))
        conn.executemany("INSERT INTO login_failures (limit_key, at_utc) VALUES (?,?)",
                         [(k, now) for k in keys])


def clear_failures(conn: sqlite3.Connection, key: str) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE limit_key=?", (key,))
