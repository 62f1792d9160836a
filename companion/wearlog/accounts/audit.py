"""Append-only audit log: who viewed, exported or uploaded which patient, and when."""

from __future__ import annotations

import sqlite3
from typing import Any

from wearlog.store import accounts as q


def audit(
    conn: sqlite3.Connection, actor: str, action: str,
    patient_id: str | None = None, detail: str | None = None,
) -> None:
    """Record one access (autocommit: it lands even when the request only reads)."""
    q.add_audit(conn, actor, action, patient_id, detail)


def audit_entries(
    conn: sqlite3.Connection, patient_id: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    return q.audit_rows(conn, patient_id, limit)
