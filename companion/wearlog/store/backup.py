"""Backups through SQLite's online backup API, and an idempotent merge back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wearlog.store.columns import EPOCH_STORED, EVENT_COLS
from wearlog.store.errors import BackupError, NotWearlogDatabaseError
from wearlog.store.files import create_private, stored_version
from wearlog.store.queue import mark, mark_all_of_attached
from wlproto.fields import EPOCH_TABLE, EVENT_TABLE

if TYPE_CHECKING:
    from wearlog.store.store import Store


def backup(store: Store, dest: str | os.PathLike[str]) -> Path:
    """Write a consistent snapshot of the live database to dest (replacing it)."""
    if not isinstance(store.path, Path):
        raise BackupError(
            "this database is on PostgreSQL: back it up with PostgreSQL's own tools, e.g. "
            "pg_dump --format=custom --file=wearlog.dump DATABASE_URL (see docs/deploy.md), "
            "or copy it to a SQLite file with `wearlog db copy`")
    dest = Path(dest)
    if dest.resolve() == store.path.resolve():
        raise BackupError("backup destination is the live database itself: choose another path")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    if tmp.exists():
        tmp.unlink()
    create_private(tmp)  # health data and keys: owner-only, like the live file
    target = sqlite3.connect(tmp)
    try:
        store.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
    os.replace(tmp, dest)
    return dest


def restore(store: Store, src: str | os.PathLike[str],
            with_accounts: bool = False) -> dict[str, int]:
    """Merge a backup into store: adds missing rows, keeps every row already here.

    The backup file is not modified: a copy is migrated to the current schema
    first, so backups from any earlier Wearlog version restore too. Every row is
    checked first (one bad row: nothing is restored). Dashboard accounts, their
    patient assignments, upload tokens, pairing keys and the audit log come in only
    `with_accounts`: a backup file must not be able to add a working login or key.
    Returns rows added per table, and "skipped: TABLE" counts of rows held back.
    Derived nights/days are not copied: re-run analysis.
    """
    from wearlog.store.store import Store

    if not isinstance(store.path, Path):
        raise BackupError(
            "this database is on PostgreSQL: restore a pg_dump with pg_restore, or merge a "
            "Wearlog SQLite backup with `wearlog db copy BACKUP.db DATABASE_URL --merge`")
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"backup file {src} does not exist")
    if src.stat().st_size == 0:
        raise BackupError(f"{src} is empty, not a Wearlog backup: nothing was restored")
    try:
        version = stored_version(src)
    except NotWearlogDatabaseError as e:
        raise BackupError(f"{e}; nothing was restored") from e
    if version is None:
        raise BackupError(f"{src} is not a Wearlog backup (no Wearlog tables): "
                          "nothing was restored")
    with tempfile.TemporaryDirectory() as tmpdir:
        copy = Path(tmpdir) / "restore.db"
        shutil.copyfile(src, copy)
        try:
            Store(copy).close()  # migrate the copy
        except sqlite3.DatabaseError as e:
            raise BackupError(f"{src} is not a Wearlog database: {e}") from e
        problem = validate(copy, store)
        if problem:
            raise BackupError(f"{src} cannot be restored: {problem}; nothing was restored")
        return _merge(store, copy, with_accounts)


def _merge(store: Store, copy: Path, with_accounts: bool) -> dict[str, int]:
    c = store.conn
    c.execute("ATTACH DATABASE ? AS src", (str(copy),))
    added: dict[str, int] = {}
    try:
        c.execute("BEGIN IMMEDIATE")
        try:
            def run(name: str, sql: str) -> None:
                before = c.total_changes
                c.execute(sql)
                added[name] = c.total_changes - before

            run("patients", "INSERT OR IGNORE INTO patients SELECT patient_id, tz, clinician, "
                "created_utc FROM src.patients")
            run("devices", "INSERT OR IGNORE INTO devices (device_id, patient_id, name, added_utc, "
                "kind, epoch_s) SELECT device_id, patient_id, name, added_utc, kind, epoch_s "
                "FROM src.devices")
            run("syncs", "INSERT INTO syncs (device_id, started_utc, ended_utc, status, "
                "records_new, note, sync_uid) SELECT device_id, started_utc, ended_utc, status, "
                "records_new, note, sync_uid FROM src.syncs WHERE sync_uid NOT IN "
                "(SELECT sync_uid FROM main.syncs WHERE sync_uid IS NOT NULL)")
            # sync ids differ between files: map through the uid.
            c.execute("CREATE TEMP TABLE sync_map AS SELECT s.sync_id AS old, m.sync_id AS new "
                      "FROM src.syncs s JOIN main.syncs m ON m.sync_uid = s.sync_uid")
            for table, cols in (("epochs", EPOCH_STORED), ("events", EVENT_COLS)):
                rc = [c for c in cols if c != "sync_id"]  # the wire fields and more
                run(table, f"INSERT OR IGNORE INTO {table} ({', '.join(rc)}, sync_id) "
                    f"SELECT {', '.join('e.' + c for c in rc)}, sm.new "
                    f"FROM src.{table} e LEFT JOIN temp.sync_map sm ON sm.old = e.sync_id")
            run("clock_syncs", "INSERT OR IGNORE INTO clock_syncs (device_id, device_time, "
                "host_time, uptime, sync_id, last_seq_at) SELECT cs.device_id, cs.device_time, "
                "cs.host_time, cs.uptime, sm.new, cs.last_seq_at FROM src.clock_syncs cs "
                "LEFT JOIN temp.sync_map sm ON sm.old = cs.sync_id")
            c.execute("DROP TABLE temp.sync_map")
            # who wore a device when: taken from the backup only for devices new here
            run("device_assignments", "INSERT INTO device_assignments (device_id, patient_id, "
                "from_utc, to_utc, from_seq, to_seq) SELECT device_id, patient_id, from_utc, "
                "to_utc, from_seq, to_seq FROM src.device_assignments s WHERE NOT EXISTS "
                "(SELECT 1 FROM main.device_assignments m WHERE m.device_id = s.device_id) "
                "ORDER BY assignment_id")
            c.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                      "SELECT device_id, patient_id, 0 FROM devices d WHERE NOT EXISTS "
                      "(SELECT 1 FROM device_assignments a WHERE a.device_id = d.device_id)")
            # the wearer's own entries: the newer copy of each date wins, as on upload
            run("diary_entries", "INSERT INTO diary_entries SELECT * FROM src.diary_entries "
                "WHERE true ON CONFLICT(patient_id, day) DO UPDATE SET pain=excluded.pain, "
                "fatigue=excluded.fatigue, sleep_quality=excluded.sleep_quality, "
                "mood=excluded.mood, stiffness_min=excluded.stiffness_min, note=excluded.note, "
                "updated_utc=excluded.updated_utc "
                "WHERE excluded.updated_utc > diary_entries.updated_utc")
            run("night_corrections", "INSERT INTO night_corrections SELECT * FROM "
                "src.night_corrections WHERE true ON CONFLICT(patient_id, night) DO UPDATE SET "
                "bed_utc=excluded.bed_utc, up_utc=excluded.up_utc, removed=excluded.removed, "
                "updated_utc=excluded.updated_utc "
                "WHERE excluded.updated_utc > night_corrections.updated_utc")
            if added.get("night_corrections"):
                for (pid,) in c.execute("SELECT DISTINCT patient_id FROM src.night_corrections"
                                        ).fetchall():
                    mark(c, pid, None, None, full=True)
            if with_accounts:
                _merge_other_tables(c, run)
            else:
                for t in (*_KEYED, "audit_log"):
                    held = c.execute(f"SELECT COUNT(*) FROM src.{t}").fetchone()[0]
                    if held:
                        added[f"{SKIPPED}{t}"] = int(held)
            if added.get("epochs") or added.get("events"):
                mark_all_of_attached(c, "src")  # the refresh step re-analyses them
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
    finally:
        c.execute("DETACH DATABASE src")
    for (dev,) in c.execute("SELECT device_id FROM devices").fetchall():
        store.reanchor(dev)
    return added


SKIPPED = "skipped: "  # prefix of restore()'s counts of rows held back (no --with-accounts)

# Tables added by later migrations (dashboard accounts, BLE pairing keys): merged when
# both files have them, keeping rows already here. Upload marks (`uploads`) are not
# restored: the next upload starts from the beginning and the server ignores duplicates.
_KEYED = ("users", "assignments", "device_tokens", "device_keys")


def _merge_other_tables(c: sqlite3.Connection, run: Callable[[str, str], None]) -> None:
    def has(schema: str, table: str) -> bool:
        return c.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type='table' AND name=?",
                         (table,)).fetchone() is not None

    for t in _KEYED:
        if has("main", t) and has("src", t):
            run(t, f"INSERT OR IGNORE INTO main.{t} SELECT * FROM src.{t}")
    if has("main", "audit_log") and has("src", "audit_log"):
        # ids differ between files: an entry is the same when all its content is.
        run("audit_log", "INSERT INTO main.audit_log (at_utc, actor, action, patient_id, detail) "
            "SELECT at_utc, actor, action, patient_id, detail FROM src.audit_log s WHERE NOT "
            "EXISTS (SELECT 1 FROM main.audit_log m WHERE m.at_utc = s.at_utc AND "
            "m.actor = s.actor AND m.action = s.action AND m.patient_id IS s.patient_id AND "
            "m.detail IS s.detail)")


# --- validation of a backup's rows (each query: the first offending row, or none) --------
def _field_checks(table: tuple[tuple[Any, ...], ...]) -> str:
    """A record field outside its row's range (wlproto.fields), as SQL conditions."""
    return "".join(f"OR typeof({f[0]}) != 'integer' OR {f[0]} NOT BETWEEN {int(f[3])} AND "
                   f"{int(f[4])} " for f in table)


_ROW_CHECKS: tuple[tuple[str, str], ...] = (
    ("devices", "SELECT device_id FROM devices WHERE typeof(device_id) != 'integer' "
     "OR device_id < 0 OR typeof(epoch_s) != 'integer' OR epoch_s NOT BETWEEN 1 AND 86400 "
     "OR typeof(kind) != 'text' LIMIT 1"),
    ("epochs", "SELECT device_id || '/' || seq FROM epochs WHERE "
     "device_id NOT IN (SELECT device_id FROM devices) "
     "OR typeof(seq) != 'integer' OR seq < 0 OR typeof(time) != 'integer' "
     "OR (utc IS NOT NULL AND typeof(utc) != 'integer') "
     "OR typeof(flags) != 'integer' OR flags NOT BETWEEN 0 AND {flag_all} "
     + _field_checks(EPOCH_TABLE) +
     "OR (counts IS NOT NULL AND (typeof(counts) != 'integer' OR counts < 0)) LIMIT 1"),
    ("events", "SELECT device_id || '/' || seq FROM events WHERE "
     "device_id NOT IN (SELECT device_id FROM devices) "
     "OR typeof(seq) != 'integer' OR seq < 0 OR typeof(time) != 'integer' "
     "OR (utc IS NOT NULL AND typeof(utc) != 'integer') "
     "OR typeof(flags) != 'integer' OR flags NOT BETWEEN 0 AND {flag_all} "
     + _field_checks(EVENT_TABLE) +
     "OR etype NOT IN ({etypes}) "
     "OR (etype = {symptom} AND value NOT BETWEEN {sev_min} AND {sev_max}) LIMIT 1"),
    ("syncs", "SELECT sync_id FROM syncs WHERE device_id NOT IN "
     "(SELECT device_id FROM devices) OR typeof(started_utc) != 'integer' "
     "OR typeof(records_new) != 'integer' OR records_new < 0 LIMIT 1"),
    ("clock_syncs", "SELECT device_id FROM clock_syncs WHERE device_id NOT IN "
     "(SELECT device_id FROM devices) OR typeof(device_time) != 'integer' "
     "OR typeof(host_time) != 'integer' OR uptime NOT IN (0, 1) LIMIT 1"),
    ("diary_entries", "SELECT patient_id || ' ' || day FROM diary_entries WHERE "
     "typeof(day) != 'text' OR length(day) != 10 "
     "OR typeof(pain) != 'integer' OR pain NOT BETWEEN 0 AND 10 "
     "OR typeof(fatigue) != 'integer' OR fatigue NOT BETWEEN 0 AND 10 "
     "OR typeof(sleep_quality) != 'integer' OR sleep_quality NOT BETWEEN 0 AND 10 "
     "OR typeof(mood) != 'integer' OR mood NOT BETWEEN 0 AND 10 "
     "OR (stiffness_min IS NOT NULL AND (typeof(stiffness_min) != 'integer' "
     "OR stiffness_min NOT BETWEEN 0 AND 1440)) "
     "OR (note IS NOT NULL AND (typeof(note) != 'text' OR length(note) > 500)) "
     "OR typeof(updated_utc) != 'integer' LIMIT 1"),
    ("night_corrections", "SELECT patient_id || ' ' || night FROM night_corrections WHERE "
     "typeof(night) != 'text' OR length(night) != 10 OR typeof(bed_utc) != 'integer' "
     "OR typeof(up_utc) != 'integer' OR up_utc <= bed_utc OR up_utc - bed_utc > 72000 "
     "OR removed NOT IN (0, 1) OR typeof(updated_utc) != 'integer' LIMIT 1"),
    ("device_assignments", "SELECT assignment_id FROM device_assignments WHERE "
     "device_id NOT IN (SELECT device_id FROM devices) OR typeof(from_seq) != 'integer' "
     "OR from_seq < 0 OR (from_utc IS NOT NULL AND typeof(from_utc) != 'integer') "
     "OR (to_utc IS NOT NULL AND typeof(to_utc) != 'integer') LIMIT 1"),
)


def validate(copy: Path, store: Store) -> str | None:
    """The first thing wrong with a (migrated) backup's rows, said for a person; None: ok."""
    from wearlog.store.store import valid_patient_id
    from wlproto.const import EV_SYMPTOM, EVENT_TYPES, FLAG_ALL, SEVERITY_MAX, SEVERITY_MIN

    known = {r[0] for r in store.conn.execute("SELECT patient_id FROM patients")}
    c = sqlite3.connect(copy)
    try:
        for pid, tz in c.execute("SELECT patient_id, tz FROM patients"):
            if not valid_patient_id(pid):
                return f"patient id {pid!r} is not a valid pseudonymous id"
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                return f"patient {pid!r} has an unknown time zone {tz!r}"
            known.add(pid)
        for table in ("devices", "device_assignments", "diary_entries", "night_corrections"):
            for (pid,) in c.execute(f"SELECT DISTINCT patient_id FROM {table}"):
                if pid not in known:
                    return f"a row of {table} names patient {pid!r}, who is in neither file"
        for table, sql in _ROW_CHECKS:
            bad = c.execute(sql.format(
                etypes=",".join(str(int(e)) for e in EVENT_TYPES), flag_all=int(FLAG_ALL),
                symptom=int(EV_SYMPTOM), sev_min=int(SEVERITY_MIN), sev_max=int(SEVERITY_MAX),
            )).fetchone()
            if bad is not None:
                return f"a row of {table} ({bad[0]}) holds an impossible value"
        return None
    finally:
        c.close()
