"""Append-only audit log: who viewed, exported or uploaded which patient, and when."""

from __future__ import annotations

import sqlite3
import time
from typing import Any


def audit(
    conn: sqlite3.Connection, actor: str, action: str,
    patient_id: str | None = None, detail: str | None = None,
) -> None:
    """Record one access (autocommit: it lands even when the request only reads)."""
    conn.execute(
        "INSERT INTO audit_log (at_utc, actor, action, patient_id, detail) VALUES (?,?,?,?,?)",
        (int(time.time()), actor, action, patient_id, detail),
    )


def audit_entries(
    conn: sqlite3.Connection, patient_id: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    sql = "SELECT audit_id, at_utc, actor, action, patient_id, detail FROM audit_log"
    args: tuple[Any, ...] = ()
    if patient_id is not None:
        sql += " WHERE patient_id=?"
        args = (patient_id,)
    sql += " ORDER BY audit_id DESC LIMIT ?"
    cols = ("audit_id", "at_utc", "actor", "action", "patient_id", "detail")
    return [dict(zip(cols, r, strict=True)) for r in conn.execute(sql, (*args, limit))]
