"""Online backup and idempotent merge-restore."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from wearlog.store import BackupError, Store
from wearlog.store.migrations import migrate
from wlproto.const import EV_SYMPTOM
from wlproto.records import Epoch, Event


def make(path: Path, seqs: range, device: int = 1) -> Store:
    s = Store(path)
    s.add_patient("P-7", "America/New_York")
    s.add_device(device, "P-7")
    sid = s.begin_sync(device)
    s.ingest(device, [Epoch(q, 1_780_000_000 + 30 * q, 0, q % 300) for q in seqs], sync_id=sid)
    s.ingest(device, [Event(100_000 + q, 1_780_000_000 + q, EV_SYMPTOM, 3) for q in seqs[:2]],
             sync_id=sid)
    s.end_sync(sid)
    return s


def table(s: Store, name: str, cols: str) -> list[tuple]:
    return s.conn.execute(f"SELECT {cols} FROM {name} ORDER BY 1, 2").fetchall()


def test_backup_is_a_consistent_standalone_copy(tmp_path: Path) -> None:
    s = make(tmp_path / "live.db", range(500))
    out = s.backup(tmp_path / "bk" / "copy.db")
    copy = sqlite3.connect(out)
    assert copy.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 500
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file to carry
    copy.close()
    with pytest.raises(BackupError, match="live database"):
        s.backup(tmp_path / "live.db")
    s.close()


def test_backup_while_another_connection_writes(tmp_path: Path) -> None:
    s = make(tmp_path / "live.db", range(100))
    writer = Store(tmp_path / "live.db")
    stop = threading.Event()

    def write() -> None:
        q = 1000
        while not stop.is_set():
            writer.ingest(1, [Epoch(q + i, 1_790_000_000 + 30 * (q + i)) for i in range(64)])
            q += 64

    th = threading.Thread(target=write)
    th.start()
    try:
        for k in range(5):
            out = s.backup(tmp_path / f"b{k}.db")
            c = sqlite3.connect(out)
            n = c.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
            c.close()
            assert (n - 100) % 64 == 0  # only whole batches, never half of one
    finally:
        stop.set()
        th.join()
    writer.close()
    s.close()


def test_restore_merges_without_duplicates_or_overwrites(tmp_path: Path) -> None:
    a = make(tmp_path / "a.db", range(0, 300))
    a.backup(tmp_path / "a-backup.db")
    # the live database moves on: more records, and one stored row differs from the backup
    a.ingest(1, [Epoch(q, 1_780_000_000 + 30 * q) for q in range(300, 400)])
    a.conn.execute("UPDATE epochs SET enmo_dmg = 4242 WHERE seq = 5")
    added = a.restore(tmp_path / "a-backup.db")
    assert added["epochs"] == 0 and added["events"] == 0 and added["syncs"] == 0
    assert a.counts()["epochs"] == 400
    assert a.conn.execute("SELECT enmo_dmg FROM epochs WHERE seq=5").fetchone()[0] == 4242

    # into an empty database: everything comes back, and again adds nothing
    b = Store(tmp_path / "b.db")
    added = b.restore(tmp_path / "a-backup.db")
    assert added["epochs"] == 300 and added["events"] == 2 and added["patients"] == 1
    bk = sqlite3.connect(tmp_path / "a-backup.db")
    cols = "device_id, seq, time, utc, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps"
    want = bk.execute(f"SELECT {cols} FROM epochs ORDER BY 1, 2").fetchall()
    assert len(want) == 300
    assert table(b, "epochs", cols) == want
    bk.close()
    assert b.restore(tmp_path / "a-backup.db") == {k: 0 for k in added}
    # every record still points at its sync audit row
    assert b.conn.execute(
        "SELECT COUNT(*) FROM epochs e JOIN syncs s ON s.sync_id = e.sync_id"
    ).fetchone()[0] == 300
    a.close()
    b.close()


def test_restore_two_devices_merges_both(tmp_path: Path) -> None:
    a = make(tmp_path / "a.db", range(50), device=1)
    b = make(tmp_path / "b.db", range(70), device=2)
    b.backup(tmp_path / "b-bk.db")
    a.restore(tmp_path / "b-bk.db")
    assert a.counts()["epochs"] == 120 and a.counts()["syncs"] == 2
    a.close()
    b.close()


def test_restore_from_an_older_schema_backup(tmp_path: Path) -> None:
    old = tmp_path / "v1.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, target=1)
    conn.execute("INSERT INTO patients VALUES ('P-1', 'UTC', NULL, 0)")
    conn.execute("INSERT INTO devices (device_id, patient_id) VALUES (9, 'P-1')")
    conn.execute("INSERT INTO epochs (device_id, seq, time, flags, enmo_dmg, mad_dmg, "
                 "zangle_deg, dangle_ddeg, steps, temp_hc) VALUES (9, 0, 1780000000, 0, 1, 1, "
                 "0, 0, 0, 0)")
    conn.close()
    before = old.read_bytes()
    s = Store(tmp_path / "new.db")
    assert s.restore(old)["epochs"] == 1
    assert s.conn.execute("SELECT utc FROM epochs").fetchone()[0] == 1_780_000_000
    assert old.read_bytes() == before  # the backup file itself is never modified
    s.close()


def test_restore_refuses_bad_sources(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.db")
    with pytest.raises(BackupError, match="does not exist"):
        s.restore(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackupError, match="not a Wearlog database"):
        s.restore(junk)
    assert s.counts()["epochs"] == 0
    s.close()


def test_restore_brings_back_pairing_keys_without_replacing_newer_ones(tmp_path: Path) -> None:
    a = make(tmp_path / "a.db", range(10))
    a.conn.execute("INSERT INTO device_keys (device_id, secret_hex, paired_utc) "
                   "VALUES (1, 'aa', 1), (2, 'bb', 1)")
    a.backup(tmp_path / "bk.db")
    b = Store(tmp_path / "b.db")
    b.add_patient("P-7")
    b.add_device(2, "P-7")
    b.conn.execute("INSERT INTO device_keys (device_id, secret_hex, paired_utc) "
                   "VALUES (2, 'new', 5)")
    held = b.restore(tmp_path / "bk.db")  # not without --with-accounts
    assert held.get("device_keys", 0) == 0 and held["skipped: device_keys"] == 2
    assert b.restore(tmp_path / "bk.db", with_accounts=True)["device_keys"] == 1
    keys = dict(b.conn.execute("SELECT device_id, secret_hex FROM device_keys").fetchall())
    assert keys == {1: "aa", 2: "new"}
    a.close()
    b.close()


def crafted(tmp_path: Path, *sql: str) -> Path:
    """A backup someone else made: valid records, plus whatever `sql` adds to it."""
    s = make(tmp_path / "other.db", range(20))
    out = s.backup(tmp_path / "crafted.db")
    s.close()
    conn = sqlite3.connect(out)
    conn.execute("INSERT INTO users (username, role, pw_hash, created_utc) "
                 "VALUES ('mallory', 'admin', 'x', 0)")
    conn.execute("INSERT INTO assignments VALUES ('mallory', 'P-7')")
    conn.execute("INSERT INTO device_tokens (token_id, device_id, patient_id, token_hash, "
                 "created_utc) VALUES ('t1', 1, 'P-7', 'h', 0)")
    conn.execute("INSERT INTO device_keys (device_id, secret_hex, paired_utc) VALUES (1, 'aa', 0)")
    for q in sql:
        conn.execute(q)
    conn.commit()
    conn.close()
    return out


def test_restore_brings_no_accounts_tokens_or_keys_unless_asked(tmp_path: Path) -> None:
    bk = crafted(tmp_path)
    s = Store(tmp_path / "live.db")
    added = s.restore(bk)
    assert added["epochs"] == 20
    for t in ("users", "assignments", "device_tokens", "device_keys"):
        assert s.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] == 0, t
        assert added[f"skipped: {t}"] == 1
    s.close()
    from click.testing import CliRunner

    from wearlog.cli import main

    res = CliRunner().invoke(main, ["restore", str(bk), "--db", str(tmp_path / "cli.db")])
    assert res.exit_code == 0
    assert "restored: " in res.output and "20 epochs" in res.output
    assert "not restored" in res.output and "1 users" in res.output
    assert "--with-accounts" in res.output
    res = CliRunner().invoke(main, ["restore", str(bk), "--with-accounts",
                                    "--db", str(tmp_path / "cli.db")])
    assert res.exit_code == 0 and "1 users" in res.output and "not restored" not in res.output


@pytest.mark.parametrize(("sql", "why"), [
    ("UPDATE patients SET tz = 'Mars/Olympus'", "unknown time zone"),
    ("INSERT INTO patients VALUES ('P-8\nx', 'UTC', NULL, 0)", "not a valid"),
    ("INSERT INTO patients VALUES ('', 'UTC', NULL, 0)", "not a valid"),
    ("UPDATE epochs SET zangle_deg = 500 WHERE seq = 3", "epochs"),
    ("UPDATE epochs SET enmo_dmg = -1 WHERE seq = 4", "epochs"),
    ("UPDATE epochs SET seq = 'x' WHERE seq = 5", "epochs"),
    ("UPDATE events SET value = 9", "events"),
    ("INSERT INTO epochs (device_id, seq, time_off, flags, enmo_dmg, mad_dmg, zangle_deg, "
     "dangle_ddeg, steps, temp_hc) VALUES (99, 0, 1, 0, 0, 0, 0, 0, 0, 0)", "epochs"),
    ("INSERT INTO devices (device_id, patient_id) VALUES (5, 'P-nobody')", "P-nobody"),
])
def test_restore_checks_every_row_and_adds_nothing_on_a_bad_one(tmp_path: Path, sql: str,
                                                                why: str) -> None:
    bk = crafted(tmp_path, sql)
    s = Store(tmp_path / "live.db")
    with pytest.raises(BackupError, match=why):
        s.restore(bk, with_accounts=True)
    assert s.counts()["epochs"] == 0 and s.counts()["patients"] == 0
    assert s.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
    s.close()
