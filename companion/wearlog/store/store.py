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
from typing import TYPE_CHECKING, Any, cast

from wearlog.store import clock, files, queue
from wearlog.store.columns import EPOCH_STORED, EVENT_COLS, insert_sql, stored_epoch
from wearlog.store.derived import DerivedResults
from wearlog.store.errors import (
    BadRecordError,
    StoreBusyError,
    StoreError,
    StoreReadOnlyError,
    UnknownDeviceError,
    UnknownPatientError,
    UnknownSyncError,
)
from wearlog.store.exclusions import Exclusions
from wearlog.store.migrations import LATEST, check_version, migrate
from wearlog.store.paths import is_database_url, location
from wearlog.store.patients import check_patient_id, check_timezone
from wearlog.store.reads import Reads
from wearlog.store.wearer import WearerEntries
from wlproto.const import EPOCH_S

if TYPE_CHECKING:
    from wearlog.store.imports import ImportBatch
from wlproto.const import FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

# rows in EPOCH_STORED order (columns.stored_epoch of an EPOCH_COLS row)
_INSERT_EPOCH = insert_sql("epochs", EPOCH_STORED, "INSERT OR IGNORE")
_INSERT_EVENT = insert_sql("events", EVENT_COLS, "INSERT OR IGNORE")
# Rows per transaction for long imports: well under a second of writing on a slow machine,
# far below the 5-s busy timeout other writers wait.
INGEST_BATCH_ROWS = 20_000


class Store(DerivedResults, Reads, Exclusions, WearerEntries):
    """Opens (creating and migrating as needed) one Wearlog database file.

    The one way into the database: every SQL statement lives in wearlog.store behind a
    named method. `Store.reader(path)` opens the read-only handle the views use.
    """

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False,
                 migrated: bool = False, recent_version: bool = False) -> None:
        self.readonly = readonly
        self._owns_conn = True
        if is_database_url(path):  # PostgreSQL: a pooled connection (wearlog.store.pg)
            from wearlog.store import pg

            self.path = location(path)
            self.dialect = "postgresql"
            pgconn = pg.connect(str(path), readonly=readonly)
            # the sqlite3.Connection surface the named queries use (see pg.PgConnection)
            self.conn = cast(sqlite3.Connection, pgconn)
            try:
                if recent_version and (readonly or migrated):  # a server's request handle
                    self.version = pg.checked_version(pgconn, check_version)
                elif readonly or migrated:
                    self.version = check_version(self.conn)
                else:
                    self.version = migrate(self.conn)
            except BaseException:
                pgconn.close()
                raise
            return
        self.path = Path(path)
        self.dialect = "sqlite"
        if readonly or migrated:
            if not self.path.exists():
                raise StoreError(f"no database at {self.path}: sync or import data first")
            mode = "ro" if readonly else "rw"
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode={mode}", uri=True,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            if not readonly:
                conn.execute("PRAGMA synchronous = NORMAL")
            self.conn = conn
            self.version = check_version(conn)
            return
        if str(path) != ":memory:":
            files.check_version(self.path, LATEST)  # before anything can change the file
            files.create_private(self.path)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        self.conn = conn
        self.version = migrate(conn)

    @classmethod
    def session(cls, path: str | os.PathLike[str]) -> Store:
        """A writable handle on a database already migrated (a server's per-request one;
        on PostgreSQL its version check is one the process made within the last second,
        see pg.checked_version)."""
        return cls(path, migrated=True, recent_version=True)

    @classmethod
    def reader(cls, path: str | os.PathLike[str]) -> Store:
        """A read-only handle (what views use: they never write, audit aside)."""
        return cls(path, readonly=True)

    @classmethod
    def over(cls, conn: sqlite3.Connection, path: str | os.PathLike[str],
             readonly: bool = True) -> Store:
        """A handle over a connection the caller holds and closes (a request's one pooled
        connection: two per request could exhaust the PostgreSQL pool under load)."""
        store = cls.__new__(cls)
        store.path, store.readonly, store._owns_conn = location(path), readonly, False
        store.dialect = getattr(conn, "dialect", "sqlite")
        store.conn, store.version = conn, LATEST
        return store

    @classmethod
    def memory(cls) -> Store:
        """A throwaway database (not for durability tests)."""
        return cls(":memory:")

    def close(self) -> None:
        if self._owns_conn:
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
            old = c.execute("SELECT tz FROM patients WHERE patient_id=?",
                            (patient_id,)).fetchone()
            if old is not None and old[0] != tz:  # nights and days are cut in local time
                queue.mark(c, patient_id, None, None, full=True)
            c.execute(
                "INSERT INTO patients (patient_id, tz, clinician, created_utc) VALUES (?,?,?,?) "
                "ON CONFLICT(patient_id) DO UPDATE SET tz=excluded.tz, "
                "clinician=COALESCE(excluded.clinician, patients.clinician)",
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
        epoch_s: int = EPOCH_S,
        from_seq: int = 0,
    ) -> None:
        """Register a device for a patient; a known device given to another patient is
        re-assigned from now on (its earlier records stay with the earlier patient).

        from_seq: for a new device, the first sequence its syncs fetch (a used device
        seen here first: the records before it were its earlier wearer's)."""
        if not isinstance(device_id, int) or isinstance(device_id, bool):
            raise StoreError(f"device_id must be an integer, got {device_id!r}")
        self.patient(patient_id)
        row = self.conn.execute(
            "SELECT patient_id FROM devices WHERE device_id=?", (device_id,)).fetchone()
        if row is not None and row[0] != patient_id:
            self.assign_device(device_id, patient_id)
        with self.transaction() as c:
            old = c.execute("SELECT patient_id FROM devices WHERE device_id=?",
                            (device_id,)).fetchone()
            if old is not None and old[0] != patient_id:  # both patients' results change
                queue.mark(c, old[0], None, None, full=True)
                queue.mark(c, patient_id, None, None, full=True)
            c.execute(
                "INSERT INTO devices (device_id, patient_id, name, added_utc, kind, epoch_s) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "name=COALESCE(excluded.name, devices.name)",
                (device_id, patient_id, name, int(time.time()), kind, epoch_s),
            )
            if row is None:
                c.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                          "VALUES (?,?,?)", (device_id, patient_id, int(from_seq)))

    def set_device_epoch_s(self, device_id: int, epoch_s: int) -> None:
        """Correct the epoch length a device was enrolled with, while none of its records
        is stored (after that, the stored epochs are read at the length they came with)."""
        self.device(device_id)
        if not 1 <= int(epoch_s) <= 86400:
            raise StoreError(f"an epoch length must be 1 to 86400 s, got {epoch_s}")
        with self.transaction() as c:
            held = c.execute("SELECT EXISTS (SELECT 1 FROM epochs WHERE device_id=?1) OR "
                             "EXISTS (SELECT 1 FROM events WHERE device_id=?1)",
                             (device_id,)).fetchone()[0]
            if held:
                raise StoreError(f"device {device_id} already has records stored at its "
                                 "enrolled epoch length: it cannot change now")
            c.execute("UPDATE devices SET epoch_s=? WHERE device_id=?", (int(epoch_s), device_id))

    def assign_device(self, device_id: int, patient_id: str, at_utc: int | None = None,
                      from_seq: int | None = None) -> None:
        """Lend a known device to `patient_id` from `at_utc` (default now) on.

        Closes the open assignment and opens a new one. Records already stored stay with
        the patient they were filed under (the new one starts after the latest of them);
        `from_seq` is the first device sequence the new wearer's syncs fetch.
        """
        self.patient(patient_id)
        cur = self.open_assignment(device_id)
        if cur["patient_id"] == patient_id:
            return
        at = int(time.time()) if at_utc is None else int(at_utc)
        last_utc = self.conn.execute(
            "SELECT MAX(m) FROM (SELECT MAX(utc) m FROM epochs WHERE device_id=?1 "
            "UNION ALL SELECT MAX(utc) FROM events WHERE device_id=?1) AS t", (device_id,),
        ).fetchone()[0]
        if last_utc is not None and last_utc >= at:
            at = int(last_utc) + 1
        if cur["from_utc"] is not None and at <= cur["from_utc"]:
            raise StoreError(
                f"device {device_id:#06x} was assigned to {cur['patient_id']} only from "
                f"{cur['from_utc']}: a new assignment must start later")
        last = self.last_seq(device_id)
        seq = (0 if last is None else last + 1) if from_seq is None else int(from_seq)
        seq = max(seq, cur["from_seq"])
        with self.transaction() as c:
            c.execute("UPDATE device_assignments SET to_utc=?, to_seq=? WHERE assignment_id=?",
                      (at, seq, cur["assignment_id"]))
            c.execute("INSERT INTO device_assignments (device_id, patient_id, from_utc, "
                      "from_seq) VALUES (?,?,?,?)", (device_id, patient_id, at, seq))
            c.execute("UPDATE devices SET patient_id=? WHERE device_id=?",
                      (patient_id, device_id))

    def open_assignment(self, device_id: int) -> dict[str, Any]:
        """The device's current assignment (who wears it now)."""
        rows = self.assignments(device_id)
        if not rows:
            raise UnknownDeviceError(f"no device {device_id}: pair it or add it with add_device")
        return rows[-1]

    def assignments(self, device_id: int) -> list[dict[str, Any]]:
        """Who wore the device when, oldest first."""
        cur = self.conn.execute(
            "SELECT assignment_id, patient_id, from_utc, to_utc, from_seq, to_seq "
            "FROM device_assignments WHERE device_id=? ORDER BY assignment_id", (device_id,))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def patient_at(self, device_id: int, utc: int | None, seq: int) -> str | None:
        """The patient a record of this device is filed under (by its time, else its seq)."""
        return self.patients_at(device_id, [(utc, seq)])[0]

    def patients_at(self, device_id: int,
                    keys: Iterable[tuple[int | None, int]]) -> list[str | None]:
        """patient_at for many (utc, seq) keys of one device, reading assignments once.

        The same rule as the filed_epochs/filed_events views of migration v8."""
        spans = self.assignments(device_id)

        def one(utc: int | None, seq: int) -> str | None:
            for a in spans:
                if utc is not None:
                    if (a["from_utc"] is None or utc >= a["from_utc"]) and \
                            (a["to_utc"] is None or utc < a["to_utc"]):
                        return str(a["patient_id"])
                elif seq >= a["from_seq"] and (a["to_seq"] is None or seq < a["to_seq"]):
                    return str(a["patient_id"])
            return None

        return [one(u, q) for u, q in keys]

    def sync_floor(self, device_id: int) -> int:
        """The first sequence the current wearer's syncs may fetch (earlier ones were the
        previous wearer's, synced or discarded at pairing)."""
        return int(self.open_assignment(device_id)["from_seq"])

    def device(self, device_id: int) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT device_id, patient_id, name, kind, epoch_s FROM devices WHERE device_id=?",
            (device_id,),
        ).fetchone()
        if row is None:
            raise UnknownDeviceError(
                f"no device {device_id} in this database: pair it first with `wearlog pair`")
        return dict(zip(("device_id", "patient_id", "name", "kind", "epoch_s"), row, strict=True))

    def patient_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT patient_id FROM patients ORDER BY patient_id")]

    def devices_of(self, patient_id: str) -> list[int]:
        """Every device the patient wore at some time."""
        rows = self.conn.execute(
            "SELECT DISTINCT device_id FROM device_assignments WHERE patient_id=? "
            "ORDER BY device_id", (patient_id,)
        )
        return [r[0] for r in rows]

    # --- BLE pairing keys ----------------------------------------------------------
    def save_device_key(self, device_id: int, secret_hex: str, address: str | None,
                        transport: str | None) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO device_keys (device_id, secret_hex, address, transport, "
                "paired_utc) VALUES (?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "secret_hex=excluded.secret_hex, address=excluded.address, "
                "transport=excluded.transport, paired_utc=excluded.paired_utc",
                (device_id, secret_hex, address, transport, int(time.time())),
            )

    def device_key(self, device_id: int) -> tuple[str, str | None, str | None] | None:
        row = self.conn.execute(
            "SELECT secret_hex, address, transport FROM device_keys WHERE device_id=?",
            (device_id,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def device_keys(self) -> list[tuple[int, str | None, str | None]]:
        return [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT device_id, address, transport FROM device_keys ORDER BY device_id")]

    def forget_device_key(self, device_id: int) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM device_keys WHERE device_id=?", (device_id,))

    # --- home uploads --------------------------------------------------------------
    def upload_mark(self, device_id: int, url: str) -> int:
        """The sequence the next upload of this device to this server starts from."""
        row = self.conn.execute("SELECT next_seq FROM uploads WHERE device_id=? AND url=?",
                                (device_id, url)).fetchone()
        return int(row[0]) if row else 0

    def set_upload_mark(self, device_id: int, url: str, next_seq: int) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO uploads (device_id, url, next_seq, at_utc) VALUES (?,?,?,?) "
                      "ON CONFLICT(device_id, url) DO UPDATE SET next_seq=excluded.next_seq, "
                      "at_utc=excluded.at_utc", (device_id, url, next_seq, int(time.time())))

    def filed_counts(self, patient_id: str) -> dict[str, int]:
        """Epochs and events filed under the patient (through the device assignments)."""
        return {t: int(self.conn.execute(
            f"SELECT COUNT(*) FROM filed_{t} WHERE patient_id=?", (patient_id,)).fetchone()[0])
            for t in ("epochs", "events")}

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

    def set_sync_records(self, sync_id: int, new: int) -> None:
        """How many new records a sync (or upload) brought."""
        with self.transaction() as c:
            c.execute("UPDATE syncs SET records_new=? WHERE sync_id=?", (new, sync_id))

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
        activity count) carries count-based imports from other actigraphs. (Long
        researcher imports go through save_import, in bounded transactions.)
        """
        self.device(device_id)
        ep_rows: list[tuple[Any, ...]] = []
        ev_rows: list[tuple[Any, ...]] = []
        for r in records:
            if isinstance(r, Epoch):
                _check_seq(r)
                utc = None if r.flags & FLAG_CLOCK_UNSET else r.time
                ep_rows.append(stored_epoch((
                    device_id, *r.fields(), utc, counts.get(r.seq) if counts else None, sync_id,
                )))
            elif isinstance(r, Event):
                _check_seq(r)
                utc = None if r.flags & FLAG_CLOCK_UNSET else r.time
                ev_rows.append((device_id, *r.fields(), utc, sync_id))
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
            if new:  # the refresh step analyses the span these records fall in
                # each patient the device was lent to, over the span of their records
                keys = [(row[-3], row[1]) for row in ep_rows] + \
                    [(row[-2], row[1]) for row in ev_rows]
                spans: dict[str, list[int]] = {}
                for (utc, _), pid in zip(keys, self.patients_at(device_id, keys), strict=True):
                    if utc is not None and pid is not None:
                        spans.setdefault(pid, []).append(utc)
                for pid, placed in spans.items():
                    queue.mark(c, pid, min(placed), max(placed) + 30)
            if sync_id is not None and new:
                cur = c.execute(
                    "UPDATE syncs SET records_new = records_new + ? WHERE sync_id=?",
                    (new, sync_id),
                )
                if cur.rowcount == 0:
                    raise UnknownSyncError(f"no sync {sync_id}: call begin_sync first")
        return new

    def save_import(self, batch: ImportBatch, batch_rows: int | None = None) -> int:
        """Store one researcher import (patient, device, audit row, epochs).

        At most `batch_rows` (default INGEST_BATCH_ROWS) epochs per transaction; the first
        also holds patient, device and audit row, so a short import is all-or-nothing."""
        from wearlog.store.imports import (
            PartialImportError,
            begin_import,
            finish_import,
            insert_epochs,
        )

        step = INGEST_BATCH_ROWS if batch_rows is None else batch_rows
        if step < 1:
            raise StoreError(f"batch_rows must be at least 1, got {step}")
        recs = batch.records
        with self.transaction() as c:
            sync_id = begin_import(c, batch)
            new = insert_epochs(c, batch, recs[:step], sync_id)
            finish_import(c, sync_id, new)
        for i in range(step, len(recs), step):
            try:
                with self.transaction() as c:
                    new += insert_epochs(c, batch, recs[i:i + step], sync_id)
                    finish_import(c, sync_id, new)
            except StoreError as e:
                raise PartialImportError(
                    f"{e}: {i} of {len(recs)} epochs were stored before that; run the same "
                    "import again to add the rest (nothing is stored twice)") from e
        return new

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
            "UNION ALL SELECT MAX(seq) FROM events WHERE device_id=?) AS t",
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

    def table_names(self) -> list[str]:
        if self.dialect == "postgresql":
            from wearlog.store import pg

            return pg.table_names(cast(pg.PgConnection, self.conn))
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]

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

    def compact(self) -> tuple[int, int]:
        """Give free pages back to the disk (SQLite VACUUM): (bytes before, bytes after)."""
        from wearlog.store.compact import compact

        return compact(self)

    def restore(self, src: str | os.PathLike[str], with_accounts: bool = False) -> dict[str, int]:
        """Merge a checked backup back in; idempotent, never overwrites rows already here.

        Accounts, tokens, pairing keys and the audit log only `with_accounts`."""
        from wearlog.store.backup import restore

        return restore(self, src, with_accounts=with_accounts)


def valid_patient_id(patient_id: object) -> bool:
    """Whether the id follows the documented pattern (store.patients.check_patient_id)."""
    try:
        check_patient_id(patient_id)
    except StoreError:
        return False
    return True


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
