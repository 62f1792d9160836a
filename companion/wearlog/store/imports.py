"""Storing one researcher import: patient, device, audit row and records.

A file that parses is stored in one transaction, or, when long, in transactions of
INGEST_BATCH_ROWS epochs (the first with the patient, device and audit row), so the
write lock is never held for long; if the database refuses part-way, what landed is
kept and running the import again adds the rest (nothing is stored twice).

An import is recorded as a sync of its import device whose sync_uid is
"import:<fingerprint of the file's content>", so the same data under another file
name is recognised, and the same naive-time data under another time zone is refused
instead of being stored twice, shifted.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wearlog.store import queue
from wearlog.store.columns import EPOCH_STORED, insert_sql, stored_epoch
from wearlog.store.errors import StoreError
from wearlog.store.patients import check_patient_id, check_timezone
from wlproto.records import Epoch

_INSERT_EPOCH = insert_sql("epochs", EPOCH_STORED, "INSERT OR IGNORE")


class PartialImportError(StoreError):
    """A long import stopped between two of its transactions; running it again completes it."""


class AlreadyImportedError(StoreError):
    """The same content was imported before with times that now land elsewhere."""


@dataclass(frozen=True)
class ImportBatch:
    """Everything one import stores; built only after the whole file parsed cleanly."""

    patient_id: str
    tz: str | None  # set/overwrite the patient's zone (None: patient must exist)
    device_id: int
    device_name: str
    kind: str
    epoch_s: int
    records: Sequence[Epoch]
    counts: dict[int, int] | None
    fingerprint: str
    first_utc: int
    note: dict[str, Any]


def previous_import(conn: sqlite3.Connection, fingerprint: str) -> dict[str, Any] | None:
    """The audit note of an earlier import of the same content, if any."""
    row = conn.execute("SELECT note FROM syncs WHERE sync_uid=?",
                       (f"import:{fingerprint}",)).fetchone()
    if row is None:
        return None
    try:
        note = json.loads(row[0] or "{}")
    except ValueError:
        note = {}
    return note if isinstance(note, dict) else {}


def begin_import(conn: sqlite3.Connection, b: ImportBatch) -> int | None:
    """Patient, device (and its assignment) and the import's audit row; returns its sync id
    (None when the same content was imported before)."""
    if b.tz is not None:
        check_timezone(b.tz)
        check_patient_id(b.patient_id)  # the import may create the patient
        was = conn.execute("SELECT tz FROM patients WHERE patient_id=?",
                           (b.patient_id,)).fetchone()
        if was is not None and was[0] != b.tz:
            # every local night and day moves: the refresh step re-analyses all of them
            queue.mark(conn, b.patient_id, None, None, full=True)
        conn.execute(
            "INSERT INTO patients (patient_id, tz, created_utc) VALUES (?,?,?) "
            "ON CONFLICT(patient_id) DO UPDATE SET tz=excluded.tz",
            (b.patient_id, b.tz, int(time.time())))
    elif conn.execute("SELECT 1 FROM patients WHERE patient_id=?",
                      (b.patient_id,)).fetchone() is None:
        raise StoreError(f"no patient {b.patient_id!r}: pass a time zone to create it")
    row = conn.execute("SELECT patient_id, kind, epoch_s FROM devices WHERE device_id=?",
                       (b.device_id,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO devices (device_id, patient_id, name, added_utc, kind, epoch_s) "
            "VALUES (?,?,?,?,?,?)",
            (b.device_id, b.patient_id, b.device_name, int(time.time()), b.kind, b.epoch_s))
        conn.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                     "VALUES (?,?,0)", (b.device_id, b.patient_id))
    elif tuple(row) != (b.patient_id, b.kind, b.epoch_s):
        raise StoreError(f"import device {b.device_id} already holds {row[1]} data at "
                         f"{row[2]}-s epochs for {row[0]}; nothing was imported")
    prev = previous_import(conn, b.fingerprint)
    if prev is not None and prev.get("first_utc") not in (None, b.first_utc):
        raise AlreadyImportedError(
            f"this data was already imported (as {prev.get('file')!r}, time zone "
            f"{prev.get('tz')}); with the times read in another zone it would be stored "
            "twice, shifted. Nothing was imported")
    if prev is not None:
        return None
    now = int(time.time())
    note = json.dumps({**b.note, "first_utc": b.first_utc})
    cur = conn.execute(
        "INSERT INTO syncs (device_id, started_utc, ended_utc, status, note, sync_uid) "
        "VALUES (?,?,?,?,?,?)",
        (b.device_id, now, now, "ok", note, f"import:{b.fingerprint}"))
    return cur.lastrowid


def insert_epochs(conn: sqlite3.Connection, b: ImportBatch, records: Sequence[Epoch],
                  sync_id: int | None) -> int:
    """Insert some of an import's epochs (keys already held are kept); returns how many new."""
    before = conn.total_changes
    conn.executemany(_INSERT_EPOCH, [stored_epoch(
        (b.device_id, *r.fields(), r.time, b.counts.get(r.seq) if b.counts else None, sync_id))
        for r in records])
    new = conn.total_changes - before
    if new and records:  # the refresh step analyses the span, in this same transaction
        times = [r.time for r in records]
        queue.mark(conn, b.patient_id, min(times), max(times) + b.epoch_s)
    return new


def finish_import(conn: sqlite3.Connection, sync_id: int | None, new: int) -> None:
    if sync_id is not None:
        conn.execute("UPDATE syncs SET records_new=? WHERE sync_id=?", (new, sync_id))


def existing_import_device(conn: sqlite3.Connection, patient_id: str, kind: str,
                           epoch_s: int) -> int | None:
    """The patient's import device for this kind and epoch, if one exists (databases from
    before imports were keyed on content had one per file name: reuse the first)."""
    row = conn.execute(
        "SELECT MIN(device_id) FROM devices WHERE patient_id=? AND kind=? AND epoch_s=? "
        "AND device_id < 0", (patient_id, kind, epoch_s)).fetchone()
    return None if row[0] is None else int(row[0])


def counts_series(conn: sqlite3.Connection, patient_id: str) -> list[tuple[int, int, int]]:
    """(utc, counts, epoch_s) of every anchored epoch that carries an activity count."""
    if conn.execute(  # only imports carry counts: skip the scan for wearables alone
            "SELECT 1 FROM device_assignments a JOIN devices d USING (device_id) "
            "WHERE a.patient_id=? AND d.kind <> 'wearable' LIMIT 1",
            (patient_id,)).fetchone() is None:
        return []
    return [tuple(r) for r in conn.execute(
        "SELECT e.utc, e.counts, d.epoch_s FROM timed_epochs e JOIN devices d USING(device_id) "
        "WHERE e.patient_id=? AND e.counts IS NOT NULL ORDER BY e.utc",
        (patient_id,))]
