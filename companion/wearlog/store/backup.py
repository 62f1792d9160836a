"""Backups through SQLite's online backup API, and an idempotent merge back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wearlog.store.errors import BackupError, NotWearlogDatabaseError
from wearlog.store.files import create_private, stored_version

if TYPE_CHECKING:
    from wearlog.store.store import Store


def backup(store: Store, dest: str | os.PathLike[str]) -> Path:
    """Write a consistent snapshot of the live database to dest (replacing it)."""
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


def restore(store: Store, src: str | os.PathLike[str]) -> dict[str, int]:
    """Merge a backup into store: adds missing rows, keeps every row already here.

    The backup file is not modified: a copy is migrated to the current schema
    first, so backups from any earlier Wearlog version restore too.
    Returns rows added per table. Derived nights/days are not copied: re-run analysis.
    """
    from wearlog.store.store import Store

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
        return _merge(store, copy)


def _merge(store: Store, copy: Path) -> dict[str, int]:
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
            run("epochs", "INSERT OR IGNORE INTO epochs (device_id, seq, time, utc, flags, "
                "enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps, temp_hc, counts, sync_id) "
                "SELECT e.device_id, e.seq, e.time, e.utc, e.flags, e.enmo_dmg, e.mad_dmg, "
                "e.zangle_deg, e.dangle_ddeg, e.steps, e.temp_hc, e.counts, sm.new "
                "FROM src.epochs e LEFT JOIN temp.sync_map sm ON sm.old = e.sync_id")
            run("events", "INSERT OR IGNORE INTO events (device_id, seq, time, utc, flags, etype, "
                "value, arg, aux, sync_id) SELECT e.device_id, e.seq, e.time, e.utc, e.flags, "
                "e.etype, e.value, e.arg, e.aux, sm.new FROM src.events e "
                "LEFT JOIN temp.sync_map sm ON sm.old = e.sync_id")
            run("clock_syncs", "INSERT OR IGNORE INTO clock_syncs (device_id, device_time, "
                "host_time, uptime, sync_id, last_seq_at) SELECT cs.device_id, cs.device_time, "
                "cs.host_time, cs.uptime, sm.new, cs.last_seq_at FROM src.clock_syncs cs "
                "LEFT JOIN temp.sync_map sm ON sm.old = cs.sync_id")
            c.execute("DROP TABLE temp.sync_map")
            _merge_other_tables(c, run)
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
    finally:
        c.execute("DETACH DATABASE src")
    for (dev,) in c.execute("SELECT device_id FROM devices").fetchall():
        store.reanchor(dev)
    return added


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
