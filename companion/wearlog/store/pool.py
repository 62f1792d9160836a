"""Open SQLite handles kept for reuse: a server's per-request handles.

Opening a handle costs a connect, its pragmas and a first read that parses the whole
schema (the version check): more than most dashboard requests' own work. A pool keeps
up to `keep` idle handles of one kind (read-only, or writable on a migrated database)
and hands one to each request. A handle comes back with no transaction open (anything
left open is rolled back). When the database schema changed since the handles were
opened (another program migrated it; noticed within CHECK_EVERY_S), they are closed
instead of reused, so the next request opens a fresh one and its version check runs
again.

A request must be done with its handle when it gives it back: read everything before
returning (as the exports do), never stream from a cursor afterwards. An unfinished
cursor holds its read snapshot, and the next request lent the handle would read that
old snapshot.

PostgreSQL handles come from psycopg's own pool (wearlog.store.pg); this is SQLite only.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from wearlog.store.store import Store

KEEP = 32  # idle handles kept per kind (a request holds one of each while it runs)
CHECK_EVERY_S = 1.0  # how often a lent handle's schema cookie is read again


class StorePool:
    """Handles on one SQLite database, all read-only or all writable."""

    def __init__(self, path: str | os.PathLike[str], readonly: bool, keep: int = KEEP,
                 check_every_s: float = CHECK_EVERY_S) -> None:
        self.path, self.readonly, self.keep = path, readonly, keep
        self.check_every_s = check_every_s
        self._idle: list[Store] = []
        self._cookie: int | None = None  # the schema cookie the idle handles were opened on
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.opened = 0  # handles opened in all (a reused one is not counted again)

    def take(self) -> Store | None:
        """An idle handle, or None (then `open` one).

        Cheap enough for the event loop: a list pop. At most once per check_every_s the
        handle's schema cookie is read (a call into SQLite, which lets other threads
        take the interpreter lock; done on every take it cost a busy event loop more
        than the rest of the request's own work); if the schema changed, every idle
        handle is closed and the caller opens a new one, which checks the version."""
        with self._lock:
            if not self._idle:
                return None
            store = self._idle.pop()
            now = time.monotonic()
            check = now - self._checked >= self.check_every_s
            if check:
                self._checked = now
            cookie = self._cookie
        if not check:
            return store
        try:
            same = _schema_cookie(store.conn) == cookie
        except sqlite3.Error:
            same = False
        if same:
            return store
        with self._lock:
            stale, self._idle = [store, *self._idle], []
        for s in stale:
            s.close()
        return None

    def open(self) -> Store:
        """A new handle (it checks the schema version; it may wait on the disk)."""
        store = Store(self.path, readonly=self.readonly, migrated=True)
        cookie = _schema_cookie(store.conn)
        with self._lock:
            self.opened += 1
            if cookie != self._cookie:  # the first, or the schema changed: a new epoch
                stale, self._idle, self._cookie = self._idle, [], cookie
            else:
                stale = []
        for s in stale:
            s.close()
        return store

    def give_back(self, store: Store) -> None:
        """Return a handle after its request: rolled back if it was left in a
        transaction, kept if there is room, else closed."""
        ok = True
        try:
            if store.conn.in_transaction:
                store.conn.rollback()
        except sqlite3.Error:
            ok = False
        with self._lock:
            if ok and len(self._idle) < self.keep:
                self._idle.append(store)
                return
        store.close()

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close every idle handle (a handle still lent out is closed when given back)."""
        with self._lock:
            idle, self._idle, self.keep = self._idle, [], 0
        for store in idle:
            store.close()


def _schema_cookie(conn: sqlite3.Connection) -> int:
    """SQLite's schema cookie: it changes whenever any table, index or view changes."""
    return int(conn.execute("PRAGMA schema_version").fetchone()[0])
