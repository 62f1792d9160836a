"""Store: idempotent ingest keyed by (device, seq), one transaction per call, sync audit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.store import (
    BadRecordError,
    Store,
    StoreError,
    UnknownDeviceError,
    UnknownPatientError,
    UnknownSyncError,
    resolve_db_path,
)
from wlproto.const import EV_SYMPTOM, FLAG_NONWEAR
from wlproto.records import Epoch, Event


@pytest.fixture
def store(db_location: Path) -> Store:
    """A store on each backend (SQLite file, PostgreSQL server)."""
    s = Store(db_location)
    s.add_patient("P-001", "Europe/Berlin")
    s.add_device(0x1A2B, "P-001", name="WL-1A2B")
    yield s
    s.close()


def epochs(seqs: range | list[int], t0: int = 1_780_000_000) -> list[Epoch]:
    return [Epoch(s, t0 + 30 * s, 0, 100 + s % 50, 20, -10, 12, s % 7, 50) for s in seqs]


def stored_rows(s: Store) -> list[tuple]:
    return s.conn.execute("SELECT * FROM epochs ORDER BY device_id, seq").fetchall()


def test_database_file_is_wal_and_survives_reopen(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "w.db"
    s = Store(p)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.add_patient("P-9")
    s.add_device(9, "P-9")
    assert s.ingest(9, epochs(range(5))) == 5
    s.close()
    s2 = Store(p)
    assert s2.last_seq(9) == 4
    assert s2.counts()["epochs"] == 5
    s2.close()


def test_reingest_adds_nothing_and_overlap_adds_only_new(store: Store) -> None:
    assert store.ingest(0x1A2B, epochs(range(100))) == 100
    assert store.ingest(0x1A2B, epochs(range(100))) == 0
    assert store.ingest(0x1A2B, epochs(range(90, 130))) == 30
    assert store.counts()["epochs"] == 130
    assert store.last_seq(0x1A2B) == 129


def test_ingest_never_overwrites_a_stored_row(store: Store) -> None:
    store.ingest(0x1A2B, epochs(range(3)))
    before = stored_rows(store)
    forged = Epoch(1, 5, FLAG_NONWEAR, 9999, 9999, 80, 255, 255, 0)
    assert store.ingest(0x1A2B, [forged]) == 0
    assert stored_rows(store) == before


def test_events_and_epochs_share_the_sequence(store: Store) -> None:
    recs = [*epochs(range(3)), Event(3, 1_780_000_100, EV_SYMPTOM, 4)]
    assert store.ingest(0x1A2B, recs) == 4
    assert store.last_seq(0x1A2B) == 3
    row = store.conn.execute("SELECT etype, value, utc FROM events").fetchone()
    assert row == (EV_SYMPTOM, 4, 1_780_000_100)


def test_one_transaction_per_call_nothing_half_stored(store: Store) -> None:
    store.ingest(0x1A2B, epochs(range(10)))
    # the 3rd new record cannot be stored (time does not fit SQLite's integer):
    bad = epochs(range(10, 20))
    bad[2] = Epoch(12, 2**70)
    with pytest.raises(OverflowError):
        store.ingest(0x1A2B, bad)
    assert store.counts()["epochs"] == 10
    with pytest.raises(BadRecordError, match="Epoch/Event"):
        store.ingest(0x1A2B, [*epochs(range(20, 25)), ("not", "a record")])  # type: ignore[list-item]
    with pytest.raises(BadRecordError, match="seq"):
        store.ingest(0x1A2B, [Epoch(-1, 0)])
    assert store.counts()["epochs"] == 10


def test_unknown_ids_give_specific_errors(store: Store) -> None:
    with pytest.raises(UnknownDeviceError, match="wearlog pair") as dev:
        store.ingest(77, epochs(range(1)))
    with pytest.raises(UnknownPatientError, match="no patient 'nobody'") as pat:
        store.add_device(5, "nobody")
    # messages are for people: no internal function names (issue 14 item 19)
    assert "add_device" not in str(dev.value) and "add_patient" not in str(pat.value)
    with pytest.raises(StoreError, match="IANA"):
        store.add_patient("P-2", "Mars/Olympus")
    with pytest.raises(StoreError, match="not allowed"):
        store.add_patient("  ")
    with pytest.raises(UnknownSyncError):
        store.end_sync(12345)
    with pytest.raises(UnknownSyncError, match="begin_sync"):
        store.ingest(0x1A2B, epochs(range(1)), sync_id=999)
    assert store.counts()["epochs"] == 0  # the failed call left nothing behind


def test_sync_audit_counts_new_records(store: Store) -> None:
    sid = store.begin_sync(0x1A2B, note="ble")
    store.ingest(0x1A2B, epochs(range(64)), sync_id=sid)
    store.ingest(0x1A2B, epochs(range(32, 100)), sync_id=sid)
    store.end_sync(sid, status="ok")
    row = store.sync(sid)
    assert row["records_new"] == 100
    assert row["status"] == "ok" and row["ended_utc"] >= row["started_utc"]
    assert store.conn.execute(
        "SELECT COUNT(*) FROM epochs WHERE sync_id=?", (sid,)
    ).fetchone()[0] == 100


def test_db_path_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WEARLOG_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "x.db") == tmp_path / "x.db"
    monkeypatch.delenv("WEARLOG_DB")
    default = resolve_db_path(None)
    assert default.name == "wearlog.db" and "wearlog" in str(default.parent).lower()


batches = st.lists(st.lists(st.integers(0, 300), max_size=80), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=batches)
def test_any_order_of_overlapping_batches_stores_each_record_once(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[int]]
) -> None:
    s = Store(tmp_path_factory.mktemp("h") / "h.db")
    s.add_patient("P")
    s.add_device(1, "P")
    total_new = 0
    for b in batches:
        total_new += s.ingest(1, epochs(b))
    want = sorted({q for b in batches for q in b})
    got = [r[0] for r in s.conn.execute("SELECT seq FROM epochs ORDER BY seq")]
    assert got == want
    assert total_new == len(want)
    # and a replay of everything adds nothing
    assert sum(s.ingest(1, epochs(b)) for b in batches) == 0
    s.close()


def test_concurrent_reader_sees_only_whole_batches(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.db")
    s.add_patient("P")
    s.add_device(1, "P")
    reader = sqlite3.connect(tmp_path / "c.db")
    for k in range(5):
        s.ingest(1, epochs(range(k * 64, (k + 1) * 64)))
        n = reader.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
        assert n % 64 == 0 and n == (k + 1) * 64
    reader.close()
    s.close()
