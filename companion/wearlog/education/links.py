"""Remember which topics were linked for a patient, when, and why.

Clinicians need to see what the patient was shown and which finding caused
it, so each fired finding's topics go to the `linked_topics` table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import LinkStoreError
from .evaluate import Finding

TABLE = "linked_topics"
_COLUMNS = {
    "id": int, "patient_id": str, "topic_id": str, "rule_id": str,
    "finding_text": str, "window_end": str, "linked_at": str,
}
# The same finding (same words, same window) linked again is not a new event.
_UNIQUE = ["patient_id", "topic_id", "rule_id", "window_end", "finding_text"]

DbLike = sqlite_utils.Database | sqlite3.Connection | str | PathLike[str]


def _database(db: DbLike) -> sqlite_utils.Database:
    if isinstance(db, sqlite_utils.Database):
        return db
    try:
        return sqlite_utils.Database(db if isinstance(db, sqlite3.Connection) else Path(db))
    except sqlite3.Error as exc:
        raise LinkStoreError(f"cannot open the database {db!r}: {exc}") from exc


def ensure_table(db: DbLike) -> sqlite_utils.Database:
    """Create `linked_topics` (and its unique index) if it is absent."""
    database = _database(db)
    table = database.table(TABLE)
    if not table.exists():
        # IF NOT EXISTS: two first views at once (dashboard workers) must not race.
        table.create(_COLUMNS, pk="id", not_null=set(_COLUMNS) - {"id"}, if_not_exists=True)
        table.create_index(_UNIQUE, unique=True, if_not_exists=True)
    return database


def record_links(
    db: DbLike,
    patient_id: str,
    findings: Iterable[Finding],
    *,
    now: dt.datetime | None = None,
) -> int:
    """Store one row per (fired finding, linked topic); returns rows added.

    Re-recording the same findings adds nothing, so calling this on every
    report is safe. `now` (UTC) is for tests; the default is the current time.
    """
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise LinkStoreError("patient_id must be the patient's non-empty pseudonymous id")
    if now is not None and now.utcoffset() is None:
        raise LinkStoreError("now must be timezone-aware (e.g. datetime.now(UTC))")
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    rows: list[dict[str, Any]] = []
    for f in findings:
        if not f.fired:
            continue
        if not f.window_end:
            raise LinkStoreError(
                f"finding {f.rule_id!r} has no window end; pass as_of= to evaluate()"
            )
        for topic_id in f.topic_ids:
            rows.append({
                "patient_id": patient_id, "topic_id": topic_id, "rule_id": f.rule_id,
                "finding_text": f.text, "window_end": f.window_end,
                "linked_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
            })
    database = ensure_table(db)
    table = database.table(TABLE)
    before = table.count
    if rows:
        try:
            table.insert_all(rows, ignore=True)
        except sqlite3.Error as exc:
            raise LinkStoreError(f"could not record linked topics: {exc}") from exc
    return table.count - before


def links_for_patient(db: DbLike, patient_id: str) -> list[dict[str, Any]]:
    """All rows for one patient, oldest first (what the clinician view lists)."""
    database = ensure_table(db)
    return list(
        database.table(TABLE).rows_where(
            "patient_id = ?", [patient_id], order_by="linked_at, window_end, rule_id, topic_id"
        )
    )
