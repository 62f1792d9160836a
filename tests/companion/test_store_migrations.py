"""Every earlier schema version upgrades to the current one without losing a row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wearlog.store import LATEST, SchemaTooNewError, Store
from wearlog.store.migrations import current_version, migrate
from wlproto.records import Epoch


def seed(conn: sqlite3.Connection, version: int) -> None:
    """Rows as the Wearlog of that schema version wrote them."""
    if version == 0:
        return
    conn.execute("INSERT INTO patients VALUES ('P-old', 'Europe/Berlin', NULL, 1)")
    conn.execute("INSERT INTO devices (device_id, patient_id, name, added_utc) "
                 "VALUES (3, 'P-old', 'WL-0003', 1)")
    if version >= 8:  # from v8 on, pairing opened the device's assignment too
        conn.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                     "VALUES (3, 'P-old', 0)")
    conn.execute("INSERT INTO syncs (device_id, started_utc, status, records_new) "
                 "VALUES (3, 10, 'ok', 3)")
    if version >= 3:  # from v3 on, every sync got a uid at begin_sync
        conn.execute("UPDATE syncs SET sync_uid='0f0e'")
    for seq, flags in ((0, 0), (1, 2), (2, 0)):  # seq 1 was written before the clock was set
        cols = "device_id, seq, time, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, " \
               "steps, temp_hc, sync_id"
        t = 1_780_000_000 + 30 * seq if flags == 0 else 77
        if version >= 15:  # from v15 on, the device time is stored as its offset from utc
            conn.execute(f"INSERT INTO epochs ({cols.replace('time', 'time_off')}, utc) "
                         "VALUES (3, ?, ?, ?, 50, 5, 10, 3, 2, 40, 1, ?)",
                         (seq, 77 if flags else 0, flags, None if flags else t))
            continue
        conn.execute(f"INSERT INTO epochs ({cols}) VALUES (3, ?, ?, ?, 50, 5, 10, 3, 2, 40, 1)",
                     (seq, t, flags))
        if version >= 2:  # from v2 on, Wearlog wrote the UTC column at ingest
            conn.execute("UPDATE epochs SET utc=? WHERE seq=?", (None if flags else t, seq))
    conn.execute("INSERT INTO events (device_id, seq, time, flags, etype, value, arg, aux, "
                 "sync_id) VALUES (3, 3, 1780000100, 0, 1, 5, 0, 0, 1)")
    if 9 <= version < 14:  # v9..v13 kept the rolling figures in patient_analysis
        conn.execute("INSERT INTO patient_analysis (patient_id, refreshed_utc, last_utc, "
                     "wear_min_7d, high_severity_7d, sleep_worse, rolling) "
                     "VALUES ('P-old', 5, 1780000060, 120.5, 2, 1, '{\"trends\": [1]}')")
    conn.commit()


@pytest.mark.parametrize("from_version", range(LATEST))
def test_upgrade_from_every_earlier_version(tmp_path: Path, from_version: int) -> None:
    p = tmp_path / f"v{from_version}.db"
    conn = sqlite3.connect(p, isolation_level=None)
    assert migrate(conn, target=from_version) == from_version
    seed(conn, from_version)
    conn.close()

    s = Store(p)
    assert s.version == LATEST == current_version(s.conn)
    tables = set(s.table_names())
    assert {"patients", "devices", "epochs", "events", "syncs", "nights", "days",
            "schema_version", "clock_syncs", "night_thresholds", "count_scoring",
            "count_nights", "count_rhythm"} <= tables
    if from_version:
        assert s.counts()["epochs"] == 3 and s.counts()["events"] == 1
        assert s.device(3)["patient_id"] == "P-old"
        assert s.device(3)["epoch_s"] == 30
        utc = dict(s.conn.execute("SELECT seq, utc FROM epochs").fetchall())
        # the clock-unset one is left for re-anchoring
        assert utc == {0: 1_780_000_000, 1: None, 2: 1_780_000_060}
        assert s.conn.execute("SELECT sync_uid FROM syncs").fetchone()[0]
        # v8: the device keeps its patient for all of its records, timed or not
        a = s.assignments(3)
        assert [(x["patient_id"], x["from_utc"], x["to_utc"]) for x in a] == [
            ("P-old", None, None)]
        assert s.filed_counts("P-old") == {"epochs": 3, "events": 1}
    if 9 <= from_version < 14:  # v14: the rolling figures moved to their own table
        state = s.analysis_state("P-old")
        assert (state["refreshed_utc"], state["last_utc"], state["rolling"]) == (
            5, 1780000060, '{"trends": [1]}')
        assert s.conn.execute("SELECT wear_min_7d, high_severity_7d, sleep_worse FROM "
                              "patient_analysis").fetchall() == [(120.5, 2, 1)]
    # the upgraded file works like a new one
    s.add_patient("P-new")
    s.add_device(4, "P-new")
    assert s.ingest(4, [Epoch(0, 1_780_000_000)]) == 1
    assert s.ingest(4, [Epoch(0, 1_780_000_000)]) == 0
    s.close()
    # reopening does not migrate twice
    s2 = Store(p)
    assert s2.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST
    s2.close()


def test_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    p = tmp_path / "future.db"
    Store(p).close()
    conn = sqlite3.connect(p)
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (LATEST + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="upgrade Wearlog"):
        Store(p)


def test_failed_step_leaves_previous_version_intact(tmp_path: Path) -> None:
    p = tmp_path / "half.db"
    conn = sqlite3.connect(p, isolation_level=None)
    migrate(conn, target=1)
    conn.execute("CREATE TABLE clock_syncs (x INTEGER)")  # makes step 2 fail half-way
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn)
    assert current_version(conn) == 1
    cols = [r[1] for r in conn.execute("PRAGMA table_info(epochs)")]
    assert "utc" not in cols  # the ALTER before the failure was rolled back
    conn.close()
