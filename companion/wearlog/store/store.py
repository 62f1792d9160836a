"""The one SQLite file behind Wearlog: patients, devices, records, syncs, nights, days.

Ingest is idempotent on (device_id, seq): INSERT OR IGNORE, never REPLACE, so a
re-sync, re-import or restore can add what is missing but never overwrite rows.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from wearlog.store import clock
from wearlog.store.errors import (
    BadRecordError,
    StoreBusyError,
    StoreError,
    StoreReadOnlyError,
    UnknownDeviceError,
    UnknownPatientError,
    UnknownSyncError,
)
from wearlog.store.migrations import LATEST, migrate
from wearlog.store.patients import check_patient_id, check_timezone

if TYPE_CHECKING:
    from wearlog.store.imports import ImportBatch
from wlproto.const import FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

EPOCH_COLS = (
    "device_id, seq, time, utc, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps, "
    "temp_hc, counts, sync_id"
)
EVENT_COLS = "device_id, seq, time, utc, flags, etype, value, arg, aux, sync_id"
_INSERT_EPOCH = f"INSERT OR IGNORE INTO epochs ({EPOCH_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_EVENT = f"INSERT OR IGNORE INTO events ({EVENT_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)"


class Store:
    """Opens (creating and migrating as needed) one Wearlog database file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        self.conn = conn
        self.version = migrate(conn)
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def memory(cls) -> Store:
        """A throwaway database (not for durability tests)."""
        return cls(":memory:")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _write_error(self.path, e) from e
        try:
            yield self.conn
        except sqlite3.OperationalError as e:
            self.conn.execute("ROLLBACK")
            raise _write_error(self.path, e) from e
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self.conn.execute("ROLLBACK")
            raise _write_error(self.path, e) from e

    # --- patients and devices -------------------------------------------------
    def add_patient(self, patient_id: str, tz: str = "UTC", clinician: str | None = None) -> None:
        """Add or update a pseudonymous patient (the one place patients are created);
        the id must follow PATIENT_ID_PATTERN, tz is an IANA zone name."""
        check_patient_id(patient_id)
        check_timezone(tz)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO patients (patient_id, tz, clinician, created_utc) VALUES (?,?,?,?) "
                "ON CONFLICT(patient_id) DO UPDATE SET tz=excluded.tz, "
                "clinician=COALESCE(excluded.clinician, clinician)",
                (patient_id, tz, clinician, int(time.time())),
            )

    def patient(self, patient_id: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT patient_id, tz, clinician FROM patients WHERE patient_id=?", (patient_id,)
        ).fetchone()
        if row is None:
            raise UnknownPatientError(
                f"no patient {patient_id!r} in this database: check the id "
                "(patients are created by `wearlog pair --patient` or `wearlog import --tz`)")
        return {"patient_id": row[0], "tz": row[1], "clinician": row[2]}

    def add_device(
        self,
        device_id: int,
        patient_id: str,
        name: str | None = None,
        kind: str = "wearable",
        epoch_s: int = 30,
    ) -> None:
        """Assign a device to a patient (re-assigning moves future analysis with it)."""
        if not isinstance(device_id, int) or isinstance(device_id, bool):
            raise StoreError(f"device_id must be an integer, got {device_id!r}")
        self.patient(patient_id)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO devices (device_id, patient_id, name, added_utc, kind, epoch_s) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "patient_id=excluded.patient_id, name=COALESCE(excluded.name, name)",
                (device_id, patient_id, name, int(time.time()), kind, epoch_s),
            )

    def device(self, device_id: int) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT device_id, patient_id, name, kind, epoch_s FROM devices WHERE device_id=?",
            (device_id,),
        ).fetchone()
        if row is None:
            raise UnknownDeviceError(
                f"no device {device_id} in this database: pair it first with `wearlog pair`")
        return dict(zip(("device_id", "patient_id", "name", "kind", "epoch_s"), row, strict=True))

    def devices_of(self, patient_id: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT device_id FROM devices WHERE patient_id=? ORDER BY device_id", (patient_id,)
        )
        return [r[0] for r in rows]

    # --- syncs ---------------------------------------------------------------
    def begin_sync(self, device_id: int, note: str | None = None) -> int:
        """Open an audit row for one sync; returns its sync_id."""
        self.device(device_id)
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO syncs (device_id, started_utc, status, note, sync_uid) "
                "VALUES (?,?,?,?,?)",
                (device_id, int(time.time()), "running", note, uuid.uuid4().hex),
            )
            return int(cur.lastrowid or 0)

    def end_sync(self, sync_id: int, status: str = "ok", note: str | None = None) -> None:
        """Close the audit row (status 'ok', 'interrupted', 'error: ...') and re-anchor clocks."""
        row = self.conn.execute(
            "SELECT device_id FROM syncs WHERE sync_id=?", (sync_id,)
        ).fetchone()
        if row is None:
            raise UnknownSyncError(f"no sync {sync_id}: begin_sync did not create it")
        with self.transaction() as c:
            c.execute(
                "UPDATE syncs SET ended_utc=?, status=?, note=COALESCE(?, note) WHERE sync_id=?",
                (int(time.time()), status, note, sync_id),
            )
        self.reanchor(row[0])

    def sync(self, sync_id: int) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM syncs WHERE sync_id=?", (sync_id,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}

    # --- records -------------------------------------------------------------
    def ingest(
        self, device_id: int, records: Iterable[Epoch | Event], sync_id: int | None = None,
        counts: dict[int, int] | None = None,
    ) -> int:
        """Store records in ONE transaction; returns how many were new.

        Already-stored (device_id, seq) keys are left untouched. `counts` (seq ->
        activity count) carries count-based imports from other actigraphs.
        """
        self.device(device_id)
        ep_rows: list[tuple[Any, ...]] = []
        ev_rows: list[tuple[Any, ...]] = []
        for r in records:
            if isinstance(r, Epoch):
                _check_seq(r)
                utc = None if r.flags & FLAG_CLOCK_UNSET else r.time
                ep_rows.append((
                    device_id, r.seq, r.time, utc, r.flags, r.enmo_dmg, r.mad_dmg,
                    r.zangle_deg, r.dangle_ddeg, r.steps, r.temp_hc,
                    counts.get(r.seq) if counts else None, sync_id,
                ))
            elif isinstance(r, Event):
                _check_seq(r)
                utc = None if r.flags & FLAG_CLOCK_UNSET else r.time
                ev_rows.append((
                    device_id, r.seq, r.time, utc, r.flags, r.etype, r.value, r.arg, r.aux,
                    sync_id,
                ))
            else:
                raise BadRecordError(
                    f"ingest takes wlproto Epoch/Event records, got {type(r).__name__}"
                )
        with self.transaction() as c:
            before = c.total_changes
            if ep_rows:
                c.executemany(_INSERT_EPOCH, ep_rows)
            if ev_rows:
                c.executemany(_INSERT_EVENT, ev_rows)
            new = c.total_changes - before
            if sync_id is not None and new:
                cur = c.execute(
                    "UPDATE syncs SET records_new = records_new + ? WHERE sync_id=?",
                    (new, sync_id),
                )
                if cur.rowcount == 0:
                    raise UnknownSyncError(f"no sync {sync_id}: call begin_sync first")
        return new

    def save_import(self, batch: ImportBatch) -> int:
        """Store one researcher import (patient, device, audit row, epochs) all-or-nothing."""
        from wearlog.store.imports import store_import

        with self.transaction() as c:
            return store_import(c, batch)

    def existing_import_device(self, patient_id: str, kind: str, epoch_s: int) -> int | None:
        """The patient's import device for this kind of data and epoch length, if any."""
        from wearlog.store.imports import existing_import_device

        return existing_import_device(self.conn, patient_id, kind, epoch_s)

    def counts_series(self, patient_id: str) -> list[tuple[int, int, int]]:
        """(utc, counts, epoch_s) of a patient's epochs that carry activity counts."""
        from wearlog.store.imports import counts_series

        return counts_series(self.conn, patient_id)

    def last_seq(self, device_id: int) -> int | None:
        """Highest stored sequence of this device (None if nothing yet)."""
        row = self.conn.execute(
            "SELECT MAX(m) FROM (SELECT MAX(seq) m FROM epochs WHERE device_id=? "
            "UNION ALL SELECT MAX(seq) FROM events WHERE device_id=?)",
            (device_id, device_id),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def record_clock_sync(
        self, device_id: int, device_time: int, host_time: int,
        uptime: bool = False, sync_id: int | None = None,
    ) -> None:
        """Remember one (device clock, host clock) pair taken at sync.

        uptime=True when the device clock was never set (device_time is seconds
        since boot): such a pair re-anchors that boot's records to UTC.
        """
        self.device(device_id)
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO clock_syncs (device_id, device_time, host_time, uptime, "
                "sync_id, last_seq_at) VALUES (?,?,?,?,?,?)",
                (device_id, int(device_time), int(host_time), int(uptime), sync_id,
                 self.last_seq(device_id)),
            )
        if uptime:
            self.reanchor(device_id)

    def reanchor(self, device_id: int) -> int:
        """Give clock-unset records a UTC time where the evidence allows; returns rows fixed."""
        return clock.reanchor(self.conn, device_id)

    def counts(self) -> dict[str, int]:
        return {
            t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("patients", "devices", "epochs", "events", "syncs", "nights", "days")
        }

    # --- backup --------------------------------------------------------------
    def backup(self, dest: str | os.PathLike[str]) -> Path:
        """Consistent copy through SQLite's online backup (safe while syncs run)."""
        from wearlog.store.backup import backup

        return backup(self, dest)

    def restore(self, src: str | os.PathLike[str]) -> dict[str, int]:
        """Merge a backup back in; idempotent, never overwrites rows already here."""
        from wearlog.store.backup import restore

        return restore(self, src)


def _write_error(path: Any, e: sqlite3.OperationalError) -> StoreError:
    """A write that could not happen, said so a user can act; nothing was written."""
    msg = str(e).lower()
    if "locked" in msg or "busy" in msg:
        return StoreBusyError(
            f"{path} is busy: another Wearlog program is writing to it. Nothing was written; "
            "try again when it has finished")
    if "readonly" in msg or "read-only" in msg or "permission" in msg:
        return StoreReadOnlyError(
            f"{path} cannot be written (read-only file, folder or disk). Nothing was written; "
            "choose a writable --db")
    return StoreError(f"{path}: the write failed ({e}); nothing was written")


def _check_seq(r: Epoch | Event) -> None:
    if not isinstance(r.seq, int) or r.seq < 0 or not isinstance(r.time, int):
        raise BadRecordError(f"record needs integer seq >= 0 and integer time: {r!r}")


__all__ = ["Store", "LATEST"]
