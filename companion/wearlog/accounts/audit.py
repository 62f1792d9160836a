"""Append-only audit log: who viewed, exported or uploaded which patient, and when."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from wearlog.store import accounts as q

# Entries that found the database busy (e.g. during a long import): written with the next
# entry that gets through, never dropped, and never the reason a view fails.
_pending: dict[str, list[tuple[int, str, str, str | None, str | None]]] = {}
_pending_lock = threading.Lock()
AUDIT_WAIT_MS = 250  # how long one entry waits for the write lock before it is deferred


def audit(
    conn: sqlite3.Connection, actor: str, action: str,
    patient_id: str | None = None, detail: str | None = None,
) -> None:
    """Record one access (autocommit: it lands even when the request only reads).

    If the database stays locked, the entry (with its own time) is kept in memory and
    written with the next one that can be; the request goes on. The lock below guards
    only the waiting entries, not the write: requests write their entries side by side
    (PostgreSQL takes them at once; SQLite's one writer queues them), instead of one
    request's round trips holding up every other request's audit.
    """
    db = q.database_file(conn)  # per database file
    with _pending_lock:
        waiting = _pending.setdefault(db, [])
        waiting.append((int(time.time()), actor, action, patient_id, detail))
        rows = list(waiting)
        waiting.clear()  # this call writes them, or puts them back
    try:
        q.add_audits(conn, rows, AUDIT_WAIT_MS)
    except BaseException as e:
        with _pending_lock:  # not written: first in line again, in their order
            _pending[db][:0] = rows
        if isinstance(e, sqlite3.OperationalError) and (
                "locked" in str(e) or "busy" in str(e)):
            return  # still pending: the next audit() writes it
        raise


def pending_audit() -> int:
    """Entries waiting for a database (0 when everything is written)."""
    with _pending_lock:
        return sum(len(v) for v in _pending.values())


def audit_entries(
    conn: sqlite3.Connection, patient_id: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    return q.audit_rows(conn, patient_id, limit)
