"""The refresh queue: which patients' stored results are behind their records.

Marked inside the transaction that stores records (so a crash cannot store records
without marking them), cleared by the refresh step once its results are stored.
Every mark bumps `gen`: a refresh clears only the generation it computed, so records
arriving during a refresh are analysed by the next one.
"""

from __future__ import annotations

import sqlite3
import time

# two-argument MIN/MAX as CASE: portable to PostgreSQL (whose are LEAST/GREATEST)
_MARK = (
    "INSERT INTO refresh_queue (patient_id, from_utc, to_utc, full, queued_utc, gen) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT(patient_id) DO UPDATE SET "
    "from_utc = CASE WHEN refresh_queue.from_utc IS NULL THEN excluded.from_utc "
    "WHEN excluded.from_utc IS NULL OR refresh_queue.from_utc <= excluded.from_utc "
    "THEN refresh_queue.from_utc ELSE excluded.from_utc END, "
    "to_utc = CASE WHEN refresh_queue.to_utc IS NULL THEN excluded.to_utc "
    "WHEN excluded.to_utc IS NULL OR refresh_queue.to_utc >= excluded.to_utc "
    "THEN refresh_queue.to_utc ELSE excluded.to_utc END, "
    "full = CASE WHEN refresh_queue.full >= excluded.full THEN refresh_queue.full "
    "ELSE excluded.full END, queued_utc = excluded.queued_utc, "
    "gen = refresh_queue.gen + 1"
)


def mark(conn: sqlite3.Connection, patient_id: str, lo: int | None, hi: int | None,
         full: bool = False) -> None:
    """Record that [lo, hi] (UTC s) of this patient changed; full = everything did."""
    if not full and lo is None:
        return
    conn.execute(_MARK, (patient_id, lo, hi, int(full), int(time.time())))


def mark_device(conn: sqlite3.Connection, device_id: int, lo: int | None, hi: int | None,
                full: bool = False) -> None:
    """Every patient who wore the device at some time (its records may be theirs)."""
    for (pid,) in conn.execute(
            "SELECT DISTINCT patient_id FROM device_assignments WHERE device_id=?",
            (device_id,)).fetchall():
        mark(conn, pid, lo, hi, full)


def mark_all_of_attached(conn: sqlite3.Connection, schema: str) -> None:
    """After a restore: every patient owning a device with records in `schema`."""
    for (pid,) in conn.execute(
        f"SELECT DISTINCT patient_id FROM main.device_assignments WHERE device_id IN "
        f"(SELECT device_id FROM {schema}.epochs UNION SELECT device_id FROM {schema}.events)"
    ).fetchall():
        mark(conn, pid, None, None, full=True)
