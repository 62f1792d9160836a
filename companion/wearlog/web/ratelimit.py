"""Login rate limiting: N failures per key in a sliding window, kept in the database.

Every server process (`wearlog serve --workers N`, or several servers behind a proxy)
reads and writes the same failures, so a limit holds whichever process answers.
"""

from __future__ import annotations

import sqlite3
import time

from wearlog.store import ratelimit as q


class LoginLimiter:
    def __init__(self, max_failures: int, window_s: int) -> None:
        self.max_failures = max_failures
        self.window_s = window_s

    def retry_after(self, conn: sqlite3.Connection, *keys: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.time()
        waits = [int(oldest + self.window_s - now) + 1
                 for _key, n, oldest in q.oldest_recent(conn, keys, now - self.window_s)
                 if n >= self.max_failures]
        return max(waits, default=0)

    def failed(self, conn: sqlite3.Connection, *keys: str) -> None:
        now = time.time()
        q.add_failure(conn, keys, now, now - self.window_s)

    def succeeded(self, conn: sqlite3.Connection, key: str) -> None:
        q.clear_failures(conn, key)
