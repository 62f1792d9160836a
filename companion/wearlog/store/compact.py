"""Give a SQLite database's free pages back to the disk (`wearlog db compact`).

A Wearlog database only grows in normal use, and the space freed by rewriting rows (the
v15 upgrade of the epochs table, derived results replaced at each refresh) is reused by
later records, so the file does not shrink by itself. VACUUM rewrites it packed: one
transaction (a power cut leaves the old file), every row kept, the same file and so the
same owner-only permissions. PostgreSQL reclaims space itself (autovacuum)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from wearlog.store.errors import StoreBusyError, StoreError

if TYPE_CHECKING:
    from wearlog.store.store import Store


def on_disk(path: Path) -> int:
    """Bytes of the database file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compact(store: Store) -> tuple[int, int]:
    """VACUUM the database; (bytes before, bytes after), write-ahead log included."""
    if not isinstance(store.path, Path):
        raise StoreError(
            "this database is on PostgreSQL, which reclaims space itself (autovacuum); a "
            "full rewrite is VACUUM FULL, run by its administrator in a maintenance window")
    if store.readonly:
        raise StoreError("this handle is read-only: compacting rewrites the file")
    before = on_disk(store.path)
    try:
        store.conn.execute("VACUUM")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as e:
        msg = str(e).lower()
        if "locked" in msg or "busy" in msg:
            raise StoreBusyError(
                f"{store.path} is in use by another Wearlog program (a sync, the app or "
                "the dashboard): nothing was changed; close it and run the command again"
            ) from e
        raise StoreError(f"{store.path}: compacting failed ({e}); the file is unchanged") from e
    return before, on_disk(store.path)
