"""Versioned schema migrations: each step upgrades version N-1 to N, in one transaction.

Never edit a released step; append a new one. tests/companion/test_store_migrations.py
builds a database at every earlier version and upgrades it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from wearlog.store.errors import SchemaTooNewError

Migration = Callable[[sqlite3.Connection], None]


def _v1(conn: sqlite3.Connection) -> None:
    """Patients, devices, raw records and the sync audit."""
    conn.executescript(
        """
        CREATE TABLE patients (
            patient_id TEXT PRIMARY KEY,
            tz TEXT NOT NULL DEFAULT 'UTC',
            clinician TEXT,
            created_utc INTEGER
        );
        CREATE TABLE devices (
            device_id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            name TEXT,
            added_utc INTEGER
        );
        CREATE TABLE syncs (
            sync_id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id INTEGER NOT NULL REFERENCES devices(device_id),
            started_utc INTEGER NOT NULL,
            ended_utc INTEGER,
            status TEXT,
            records_new INTEGER NOT NULL DEFAULT 0,
            note TEXT
        );
        CREATE TABLE epochs (
            device_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            time INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            enmo_dmg INTEGER NOT NULL,
            mad_dmg INTEGER NOT NULL,
            zangle_deg INTEGER NOT NULL,
            dangle_ddeg INTEGER NOT NULL,
            steps INTEGER NOT NULL,
            temp_hc INTEGER NOT NULL,
            sync_id INTEGER,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE events (
            device_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            time INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            etype INTEGER NOT NULL,
            value INTEGER NOT NULL,
            arg INTEGER NOT NULL,
            aux INTEGER NOT NULL,
            sync_id INTEGER,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX devices_patient ON devices(patient_id);
        """
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Re-anchored UTC next to device time, and the clock measurements taken at sync."""
    conn.executescript(
        """
        ALTER TABLE epochs ADD COLUMN utc INTEGER;
        ALTER TABLE events ADD COLUMN utc INTEGER;
        UPDATE epochs SET utc = time WHERE (flags & 2) = 0;
        UPDATE events SET utc = time WHERE (flags & 2) = 0;
        CREATE TABLE clock_syncs (
            device_id INTEGER NOT NULL,
            device_time INTEGER NOT NULL,
            host_time INTEGER NOT NULL,
            uptime INTEGER NOT NULL DEFAULT 0,
            sync_id INTEGER,
            last_seq_at INTEGER,
            PRIMARY KEY (device_id, host_time, device_time)
        );
        CREATE INDEX epochs_utc ON epochs(device_id, utc);
        CREATE INDEX events_utc ON events(device_id, utc);
        CREATE INDEX epochs_unanchored ON epochs(device_id) WHERE utc IS NULL;
        CREATE INDEX events_unanchored ON events(device_id) WHERE utc IS NULL;
        """
    )


def _v3(conn: sqlite3.Connection) -> None:
    """Derived nights and days, count-based imports, and a sync identity that survives restore."""
    conn.executescript(
        """
        ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'wearable';
        ALTER TABLE devices ADD COLUMN epoch_s INTEGER NOT NULL DEFAULT 30;
        ALTER TABLE epochs ADD COLUMN counts INTEGER;
        ALTER TABLE syncs ADD COLUMN sync_uid TEXT;
        UPDATE syncs SET sync_uid = lower(hex(randomblob(16))) WHERE sync_uid IS NULL;
        CREATE UNIQUE INDEX syncs_uid ON syncs(sync_uid);
        CREATE INDEX syncs_device ON syncs(device_id, started_utc);
        CREATE INDEX events_type ON events(etype, utc);
        CREATE TABLE nights (
            patient_id TEXT NOT NULL,
            night TEXT NOT NULL,
            onset_utc INTEGER,
            offset_utc INTEGER,
            tib_min REAL,
            tst_min REAL,
            sol_min REAL,
            waso_min REAL,
            se_pct REAL,
            awakenings INTEGER,
            midsleep_local REAL,
            source TEXT,
            valid INTEGER NOT NULL,
            PRIMARY KEY (patient_id, night)
        );
        CREATE TABLE days (
            patient_id TEXT NOT NULL,
            day TEXT NOT NULL,
            steps INTEGER,
            sedentary_min REAL,
            light_min REAL,
            moderate_min REAL,
            vigorous_min REAL,
            mvpa_min REAL,
            mvpa_bout_min REAL,
            longest_active_bout_min REAL,
            nap_min REAL,
            wear_min REAL,
            valid INTEGER NOT NULL,
            symptom_events INTEGER,
            high_severity_events INTEGER,
            max_severity INTEGER,
            PRIMARY KEY (patient_id, day)
        );
        """
    )


def _v4(conn: sqlite3.Connection) -> None:
    """Dashboard accounts: users, patient assignments, hashed device tokens, audit log."""
    conn.executescript(
        """
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('clinician', 'admin')),
            pw_hash TEXT NOT NULL,
            session_gen INTEGER NOT NULL DEFAULT 0,
            created_utc INTEGER NOT NULL
        );
        CREATE TABLE assignments (
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            patient_id TEXT NOT NULL,
            PRIMARY KEY (username, patient_id)
        );
        CREATE TABLE device_tokens (
            token_id TEXT PRIMARY KEY,
            device_id INTEGER NOT NULL,
            patient_id TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            label TEXT,
            created_utc INTEGER NOT NULL,
            revoked_utc INTEGER,
            last_used_utc INTEGER
        );
        CREATE TABLE audit_log (
            audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
            at_utc INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            patient_id TEXT,
            detail TEXT
        );
        CREATE INDEX assignments_patient ON assignments(patient_id);
        CREATE INDEX audit_patient ON audit_log(patient_id, at_utc)
        """
    )


def _v5(conn: sqlite3.Connection) -> None:
    """BLE pairing: the per-device secret agreed at `wearlog pair`, and how to reach it."""
    conn.executescript(
        """
        CREATE TABLE device_keys (
            device_id INTEGER PRIMARY KEY,
            secret_hex TEXT NOT NULL,
            address TEXT,
            transport TEXT,
            paired_utc INTEGER NOT NULL
        );
        """
    )


def _v6(conn: sqlite3.Connection) -> None:
    """Home uploads: per device and server, the sequence the next upload starts from."""
    conn.executescript(
        """
        CREATE TABLE uploads (
            device_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            next_seq INTEGER NOT NULL,
            at_utc INTEGER NOT NULL,
            PRIMARY KEY (device_id, url)
        );
        """
    )


def _v7(conn: sqlite3.Connection) -> None:
    """Dashboard sign-ins held server-side (absolute lifetime, revoked on sign-out or when
    the account goes), and accounts that must choose a new password first."""
    conn.executescript(
        """
        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            created_utc INTEGER NOT NULL,
            expires_utc INTEGER NOT NULL
        );
        CREATE INDEX web_sessions_user ON web_sessions(username);
        ALTER TABLE users ADD COLUMN must_change_pw INTEGER NOT NULL DEFAULT 0
        """
    )


# The views over the records (migration v8): filed_* hold every record, timed_* those
# with a UTC time. They select e.*, which PostgreSQL expands when a view is created, so
# a column added to epochs or events later (add_field_columns) recreates them from here;
# a migration that changes them must change this text, not copy it.
RECORD_VIEWS = ("timed_epochs", "timed_events", "filed_epochs", "filed_events")
_RECORD_VIEWS = """
        CREATE VIEW timed_epochs AS
            SELECT a.patient_id AS patient_id, a.assignment_id AS assignment_id, e.*
            FROM device_assignments a JOIN epochs e ON e.device_id = a.device_id
                AND e.utc >= IFNULL(a.from_utc, -4611686018427387904)
                AND e.utc < IFNULL(a.to_utc, 4611686018427387904);
        CREATE VIEW timed_events AS
            SELECT a.patient_id AS patient_id, a.assignment_id AS assignment_id, e.*
            FROM device_assignments a JOIN events e ON e.device_id = a.device_id
                AND e.utc >= IFNULL(a.from_utc, -4611686018427387904)
                AND e.utc < IFNULL(a.to_utc, 4611686018427387904);
        CREATE VIEW filed_epochs AS
            SELECT a.patient_id AS patient_id, a.assignment_id AS assignment_id, e.*
            FROM device_assignments a JOIN epochs e ON e.device_id = a.device_id
                AND e.utc >= IFNULL(a.from_utc, -4611686018427387904)
                AND e.utc < IFNULL(a.to_utc, 4611686018427387904)
            UNION ALL
            SELECT a.patient_id, a.assignment_id, e.*
            FROM device_assignments a JOIN epochs e ON e.device_id = a.device_id
                AND e.utc IS NULL AND e.seq >= a.from_seq
                AND e.seq < IFNULL(a.to_seq, 4611686018427387904);
        CREATE VIEW filed_events AS
            SELECT a.patient_id AS patient_id, a.assignment_id AS assignment_id, e.*
            FROM device_assignments a JOIN events e ON e.device_id = a.device_id
                AND e.utc >= IFNULL(a.from_utc, -4611686018427387904)
                AND e.utc < IFNULL(a.to_utc, 4611686018427387904)
            UNION ALL
            SELECT a.patient_id, a.assignment_id, e.*
            FROM device_assignments a JOIN events e ON e.device_id = a.device_id
                AND e.utc IS NULL AND e.seq >= a.from_seq
                AND e.seq < IFNULL(a.to_seq, 4611686018427387904)
"""


def _v8(conn: sqlite3.Connection) -> None:
    """Devices lent to successive patients: who wore a device when.

    A record belongs to the assignment whose [from_utc, to_utc) holds its UTC time
    (NULL bounds are open); a record without a UTC time yet, to the one whose
    [from_seq, to_seq) holds its sequence. Every existing device keeps its patient
    for all of its records. filed_* hold every record; timed_* only those with a UTC
    time (what the analysis and the dashboard read, by time range, through the index).
    """
    conn.executescript(
        """
        CREATE TABLE device_assignments (
            assignment_id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id INTEGER NOT NULL REFERENCES devices(device_id),
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            from_utc INTEGER,
            to_utc INTEGER,
            from_seq INTEGER NOT NULL DEFAULT 0,
            to_seq INTEGER,
            CHECK (from_utc IS NULL OR to_utc IS NULL OR to_utc > from_utc)
        );
        CREATE INDEX device_assignments_patient ON device_assignments(patient_id);
        CREATE INDEX device_assignments_device ON device_assignments(device_id, from_utc);
        INSERT INTO device_assignments (device_id, patient_id, from_seq)
            SELECT device_id, patient_id, 0 FROM devices ORDER BY device_id;
        """ + _RECORD_VIEWS
    )


def _v9(conn: sqlite3.Connection) -> None:
    """The refresh pipeline: what is waiting for analysis, per-day activity profiles, the
    stored per-range summaries the views read, and the education links (created by
    sqlite_utils on first use before, hence IF NOT EXISTS)."""
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS linked_topics (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL,
            topic_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            finding_text TEXT NOT NULL,
            window_end TEXT NOT NULL,
            linked_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS
            idx_linked_topics_patient_id_topic_id_rule_id_window_end_finding_text
            ON linked_topics (patient_id, topic_id, rule_id, window_end, finding_text);
        CREATE TABLE refresh_queue (
            patient_id TEXT PRIMARY KEY,
            from_utc INTEGER,
            to_utc INTEGER,
            full INTEGER NOT NULL DEFAULT 0,
            queued_utc INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            gen INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE TABLE day_profiles (
            patient_id TEXT NOT NULL,
            day TEXT NOT NULL,
            enmo BLOB NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (patient_id, day)
        ) WITHOUT ROWID;
        CREATE TABLE patient_analysis (
            patient_id TEXT PRIMARY KEY,
            refreshed_utc INTEGER NOT NULL,
            first_utc INTEGER,
            last_utc INTEGER,
            last_sync_utc INTEGER,
            wear_min_7d REAL,
            high_severity_7d INTEGER NOT NULL DEFAULT 0,
            sleep_worse INTEGER,
            rolling TEXT NOT NULL
        );
        CREATE TABLE summaries (
            patient_id TEXT NOT NULL,
            range_days INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (patient_id, range_days)
        ) WITHOUT ROWID;
        ALTER TABLE nights ADD COLUMN reason TEXT;
        INSERT INTO refresh_queue (patient_id, full, queued_utc)
            SELECT patient_id, 1, CAST(strftime('%s', 'now') AS INTEGER) FROM patients
        """
    )


def _v10(conn: sqlite3.Connection) -> None:
    """Nights and days a clinician excluded from the figures (one row while excluded; the
    audit log keeps who excluded or restored what, and when)."""
    conn.executescript(
        """
        CREATE TABLE exclusions (
            patient_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            day TEXT NOT NULL,
            excluded_by TEXT NOT NULL,
            excluded_utc INTEGER NOT NULL,
            reason TEXT,
            PRIMARY KEY (patient_id, kind, day)
        );
        """
    )


def _v11(conn: sqlite3.Connection) -> None:
    """The wearer's own words: a daily symptom diary and bed/up corrections of nights.

    Both are keyed by patient and date, so a re-upload replaces, never duplicates; a
    correction is undone by marking it removed (so the undo travels with an upload too).
    Device records are never touched: the analysis applies corrections when it reads.
    """
    conn.executescript(
        """
        CREATE TABLE diary_entries (
            patient_id TEXT NOT NULL,
            day TEXT NOT NULL,
            pain INTEGER NOT NULL,
            fatigue INTEGER NOT NULL,
            sleep_quality INTEGER NOT NULL,
            mood INTEGER NOT NULL,
            stiffness_min INTEGER,
            note TEXT,
            updated_utc INTEGER NOT NULL,
            PRIMARY KEY (patient_id, day)
        );
        CREATE TABLE night_corrections (
            patient_id TEXT NOT NULL,
            night TEXT NOT NULL,
            bed_utc INTEGER NOT NULL,
            up_utc INTEGER NOT NULL,
            removed INTEGER NOT NULL DEFAULT 0,
            updated_utc INTEGER NOT NULL,
            PRIMARY KEY (patient_id, night)
        )
        """
    )


def _v12(conn: sqlite3.Connection) -> None:
    """users.session_gen goes: sign-ins are server-side rows (web_sessions) that a password
    change deletes, so a counter in the account ended nothing."""
    conn.executescript("ALTER TABLE users DROP COLUMN session_gen")


def _v13(conn: sqlite3.Connection) -> None:
    """Failed sign-ins, kept in the database so every server process (`wearlog serve
    --workers N`) counts the same failures."""
    conn.executescript(
        """
        CREATE TABLE login_failures (
            limit_key TEXT NOT NULL,
            at_utc REAL NOT NULL
        );
        CREATE INDEX login_failures_key ON login_failures(limit_key, at_utc)
        """
    )


def _v14(conn: sqlite3.Connection) -> None:
    """The rolling figures (one JSON document per patient, tens of kB for a month of data)
    move to their own table: the patient list reads the narrow patient_analysis row of
    every patient it counts and orders, and a row carrying the document took a page or
    more each (10,000 patients: 55 ms per list page, 12 ms without the documents)."""
    conn.executescript(
        """
        CREATE TABLE patient_rolling (
            patient_id TEXT PRIMARY KEY,
            rolling TEXT NOT NULL
        );
        INSERT INTO patient_rolling (patient_id, rolling)
            SELECT patient_id, rolling FROM patient_analysis;
        ALTER TABLE patient_analysis DROP COLUMN rolling
        """
    )


def _v15(conn: sqlite3.Connection) -> None:
    """Epochs store their device time as its difference from `utc` (issue 13's database
    size): `time_off = time - IFNULL(utc, 0)`, 0 for every record written with the clock
    set, which SQLite keeps in the record header with no payload byte (4 bytes less per
    epoch); `time` becomes a generated column giving the same value back (VIRTUAL on
    SQLite, STORED on PostgreSQL). `utc` stays a plain column, so the epochs_utc index
    stays covering for the time-range reads. The record views expanded e.* on PostgreSQL:
    they are recreated (on SQLite too, as the rename would rewrite them)."""
    conn.executescript(
        "".join(f"DROP VIEW IF EXISTS {v};\n" for v in RECORD_VIEWS) + """
        ALTER TABLE epochs RENAME COLUMN time TO time_off;
        UPDATE epochs SET time_off = time_off - utc WHERE utc IS NOT NULL;
        ALTER TABLE epochs ADD COLUMN time INTEGER
            GENERATED ALWAYS AS (time_off + IFNULL(utc, 0)) VIRTUAL;
        """ + _RECORD_VIEWS
    )


def _v16(conn: sqlite3.Connection) -> None:
    """Each analysed night's HDCZA threshold inputs (wearlog.analysis.sleep.NightInputs):
    the distinct values of its signal over its worn epochs with an arm angle and their
    counts (float64 then uint32, little-endian), the smallest non-zero angle change, the
    present epochs without an arm angle, and the threshold the night was scored with. A
    refresh pools its nights' thresholds from these rather than from ten days of epochs.
    Nights analysed before this step have none: the next refresh of such a patient is a
    full one (wearlog.pipeline.refresh), which stores them. A rowid table: rows of about
    a kilobyte spill into overflow pages in a WITHOUT ROWID table (3x the pages)."""
    conn.executescript(
        """
        CREATE TABLE night_thresholds (
            patient_id TEXT NOT NULL,
            night TEXT NOT NULL,
            signal BLOB NOT NULL,
            step REAL NOT NULL,
            other INTEGER NOT NULL,
            thr REAL,
            PRIMARY KEY (patient_id, night)
        )
        """
    )


def _v17(conn: sqlite3.Connection) -> None:
    """The analysis method that made each patient's stored results
    (wearlog.analysis.config.method_id): '' (unknown) for results stored before, which
    the next refresh re-analyses in full, as it does results of any other method."""
    conn.executescript("ALTER TABLE patient_analysis ADD COLUMN method TEXT NOT NULL DEFAULT ''")


def _v18(conn: sqlite3.Connection) -> None:
    """The figures of imported activity counts (wearlog.imports.count_sleep), computed by
    the refresh step with the rest of a patient's results instead of by `wearlog report`
    when it prints them. Per patient and scoring method, whether the counts were scored
    (reason NULL) or why not (count_scoring); the minutes scored asleep per night
    (count_nights); IS, IV, RA, L5, M10 and their onsets over whole local days
    (partial_days 0) and over the whole recording (1), or why not (count_rhythm). A
    patient without counts has no row. Patients with an import device are queued for a
    full refresh, which stores them (as v9 queued every patient)."""
    conn.executescript(
        """
        CREATE TABLE count_scoring (
            patient_id TEXT NOT NULL,
            method TEXT NOT NULL,
            reason TEXT,
            PRIMARY KEY (patient_id, method)
        );
        CREATE TABLE count_nights (
            patient_id TEXT NOT NULL,
            method TEXT NOT NULL,
            night TEXT NOT NULL,
            sleep_min REAL NOT NULL,
            PRIMARY KEY (patient_id, method, night)
        );
        CREATE TABLE count_rhythm (
            patient_id TEXT NOT NULL,
            partial_days INTEGER NOT NULL,
            n_days REAL NOT NULL,
            interdaily_stability REAL,
            intradaily_variability REAL,
            relative_amplitude REAL,
            l5 REAL,
            m10 REAL,
            l5_onset REAL,
            m10_onset REAL,
            reason TEXT,
            PRIMARY KEY (patient_id, partial_days)
        );
        INSERT INTO refresh_queue (patient_id, full, queued_utc, gen)
            SELECT DISTINCT a.patient_id, 1, CAST(strftime('%s', 'now') AS INTEGER), 1
            FROM device_assignments a JOIN devices d ON d.device_id = a.device_id
            WHERE d.kind <> 'wearable'
            ON CONFLICT(patient_id) DO UPDATE SET full = 1, gen = refresh_queue.gen + 1
        """
    )


MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11,
                               _v12, _v13, _v14, _v15, _v16, _v17, _v18]
LATEST = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        from wearlog.store import pg

        return pg.version(conn)  # type: ignore[arg-type]
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if row is None:
        return 0
    v = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return int(v or 0)


def field_columns_ddl(conn: sqlite3.Connection) -> list[str]:
    """The statements that give epochs and events a column for every row of the field
    tables (wlproto.fields) they lack, each filled with its row's default; [] when none
    is missing. A field added to the protocol needs no numbered migration: this runs
    after them (migrate) whenever the tables have a row the database has not. On
    PostgreSQL the record views are recreated around it (they expanded e.* when made)."""
    from wlproto.fields import EPOCH_TABLE, EVENT_TABLE

    out = []
    for table, rows in (("epochs", EPOCH_TABLE), ("events", EVENT_TABLE)):
        have = {d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description or ()}
        for f in rows:
            if f[0] not in have:
                default = f[5] if f[5] is not None else f[3]  # v1 rows: never missing
                out.append(f"ALTER TABLE {table} ADD COLUMN {f[0]} INTEGER NOT NULL "
                           f"DEFAULT {int(default)}")
    if out and getattr(conn, "dialect", "sqlite") == "postgresql":
        out = ([f"DROP VIEW IF EXISTS {v}" for v in RECORD_VIEWS] + out
               + [s.strip() for s in _RECORD_VIEWS.split(";") if s.strip()])
    return out


_COMPLETE: set[str] = set()  # databases seen with every field column (this process)


def _db_key(conn: sqlite3.Connection) -> str | None:
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        return str(getattr(conn, "url", "")) or None
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else None  # "" for :memory:


def fields_complete(conn: sqlite3.Connection, cached: bool = False) -> bool:
    """True if epochs and events have a column for every field-table row. cached: a
    database once seen complete in this process is not asked again (the per-request
    handles; migrate always asks, as a file may have been replaced)."""
    key = _db_key(conn)
    if cached and key is not None and key in _COMPLETE:
        return True
    if field_columns_ddl(conn):
        return False
    if key is not None:
        _COMPLETE.add(key)
    return True


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the schema up to `target`; each step commits on its own. Returns the version.
    At LATEST, the record tables then get a column for each field-table row they lack
    (field_columns_ddl), in the last step's transaction or one of its own.

    Each step holds the write lock (several server processes may start at once; the
    version is read again under the lock, so a step runs once)."""
    version = current_version(conn)
    if version > LATEST:
        raise SchemaTooNewError(
            f"database schema v{version} is newer than this Wearlog (v{LATEST}): upgrade Wearlog"
        )
    if version >= target and (target < LATEST or fields_complete(conn)):
        return version  # up to date: no write lock taken
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                         "(version INTEGER PRIMARY KEY, applied_utc INTEGER)")
            version = current_version(conn)
            if version > LATEST:
                raise SchemaTooNewError(f"database schema v{version} is newer than this "
                                        f"Wearlog (v{LATEST}): upgrade Wearlog")
            if version >= target:
                if target >= LATEST:
                    for stmt in field_columns_ddl(conn):
                        conn.execute(stmt)
                conn.execute("COMMIT")
                return version
            for stmt in _statements(MIGRATIONS[version]):
                conn.execute(stmt)
            conn.execute(
                "INSERT INTO schema_version (version, applied_utc) VALUES (?, ?)",
                (version + 1, int(time.time())),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def all_ddl() -> str:
    """Every migration's SQL, in order (the PostgreSQL dialect reads its key columns)."""
    return ";\n".join(s for step in MIGRATIONS for s in _statements(step))


class _Recorder:
    """Collects the SQL a migration step would run, so the step runs in one transaction."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def executescript(self, script: str) -> None:
        self.sql.extend(s.strip() for s in script.split(";") if s.strip())


def _statements(step: Migration) -> list[str]:
    rec = _Recorder()
    step(rec)  # type: ignore[arg-type]
    return rec.sql


def check_version(conn: sqlite3.Connection) -> int:
    """The schema version of a database opened read-only (which cannot be migrated)."""
    from wearlog.store.errors import StoreError

    try:
        version = current_version(conn)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"not a Wearlog database ({e})") from e
    if version > LATEST:
        raise SchemaTooNewError(
            f"database schema v{version} is newer than this Wearlog (v{LATEST}): upgrade Wearlog"
        )
    if version < LATEST or not fields_complete(conn, cached=True):
        raise StoreError(f"database schema v{version} is older than this Wearlog (v{LATEST}"
                         f"{'' if version < LATEST else ' with its record fields'}): "
                         "run any wearlog command on it once to upgrade it")
    return version
