"""Open SQLite handles kept for reuse: a server's per-request handles.

Opening a handle costs a connect, its pragmas and a first read that parses the whole
schema (the version check): more than most dashboard requests' own work. A pool keeps
up to `keep` idle handles of one kind (read-only, or writable on a migrated database)
and hands one to each request. A handle comes back with no transaction open (anything
left open is rolled back), and one whose database schema changed since it was opened
(another program migrated it) is closed instead of reused, so the next request opens
a fresh one and its version check runs again.

PostgreSQL handles come from psycopg's own pool (wearlog.store.pg); this is SQLite only.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from wearlog.store.store import Store

KEEP = 32  # idle handles kept per kind (a request holds one of each while it runs)


class StorePool:
    """Handles on one SQLite database, all read-only or all writable."""

    def __init__(self, path: str | os.PathLike[str], readonly: bool, keep: int = KEEP
                 ) -> None:
        self.path, self.readonly, self.keep = path, readonly, keep
        self._idle: list[tuple[Store, int]] = []  # (handle, schema cookie when opened)
        self._cookies: dict[int, int] = {}  # id(handle) -> schema cookie, while lent
        self._lock = threading.Lock()
        self.opened = 0  # handles opened in all (a reused one is not counted again)

    def take(self) -> Store | None:
        """An idle handle whose schema is unchanged, or None (then `open` one).

        Cheap enough for the event loop: a list pop and one read of the schema cookie
        from the database header (a read-only handle never waits for a writer in WAL)."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                store, cookie = self._idle.pop()
            try:
                same = _schema_cookie(store.conn) == cookie
            except sqlite3.Error:
                same = False
            if same:
                with self._lock:
                    self._cookies[id(store)] = cookie
                return store
            store.close()

    def open(self) -> Store:
        """A new handle (it checks the schema version; it may wait on the disk)."""
        store = Store(self.path, readonly=self.readonly, migrated=True)
        cookie = _schema_cookie(store.conn)
        with self._lock:
            self.opened += 1
            self._cookies[id(store)] = cookie
        return store

    def give_back(self, store: Store) -> None:
        """Return a handle after its request: rolled back if it was left in a
        transaction, kept if there is room, else closed."""
        with self._lock:
            cookie = self._cookies.pop(id(store), None)
        try:
            if store.conn.in_transaction:
                store.conn.rollback()
        except sqlite3.Error:
            cookie = None
        with self._lock:
            if cookie is not None and len(self._idle) < self.keep:
                self._idle.append((store, cookie))
                return
        store.close()

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close every idle handle (a handle still lent out is closed when given back)."""
        with self._lock:
            idle, self._idle, self.keep = self._idle, [], 0
        for store, _ in idle:
            store.close()


def _schema_cookie(conn: sqlite3.Connection) -> int:
    """SQLite's schema cookie: it changes whenever any table, index or view changes."""
    return int(conn.execute("PRAGMA schema_version").fetchone()[0])
