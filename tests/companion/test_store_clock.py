"""Re-anchoring records written before the clock was set (FLAG_CLOCK_UNSET, uptime)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wearlog.store import Store
from wlproto.const import EV_BOOT, EV_CLOCK_SET, FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

UTC0 = 1_790_000_000  # when the companion first set the clock


@pytest.fixture
def store(db_location: Path) -> Store:
    s = Store(db_location)
    s.add_patient("P")
    s.add_device(1, "P")
    yield s
    s.close()


def utc_of(s: Store, table: str, seq: int) -> int | None:
    return s.conn.execute(f"SELECT utc FROM {table} WHERE seq=?", (seq,)).fetchone()[0]


def test_clock_set_event_reanchors_its_boot_only(store: Store) -> None:
    recs = [
        Event(0, 2, EV_BOOT, 0, 1, flags=FLAG_CLOCK_UNSET),
        *[Epoch(1 + i, 30 * (i + 1), FLAG_CLOCK_UNSET) for i in range(10)],  # uptime 30..300
        Event(11, UTC0, EV_CLOCK_SET, 1, 310),  # device time before the set was 310 s
        *[Epoch(12 + i, UTC0 + 30 * (i + 1)) for i in range(3)],
        Event(15, 3, EV_BOOT, 0, 2, flags=FLAG_CLOCK_UNSET),  # reboot: clock lost again
        *[Epoch(16 + i, 30 * (i + 1), FLAG_CLOCK_UNSET) for i in range(4)],
    ]
    # the set arrives in a later batch than the records it anchors
    store.ingest(1, recs[:11])
    assert utc_of(store, "epochs", 1) is None
    store.ingest(1, recs[11:])
    fixed = store.reanchor(1)
    offset = UTC0 - 310
    assert utc_of(store, "epochs", 1) == 30 + offset
    assert utc_of(store, "epochs", 10) == 300 + offset
    assert utc_of(store, "events", 0) == 2 + offset
    assert utc_of(store, "epochs", 12) == UTC0 + 30  # already UTC: untouched
    # second boot has no anchor yet: kept, not guessed
    assert all(utc_of(store, "epochs", q) is None for q in range(16, 20))
    assert fixed == 11
    # raw device time is never rewritten
    assert store.conn.execute("SELECT time FROM epochs WHERE seq=1").fetchone()[0] == 30


def test_sync_measurement_anchors_a_boot_still_on_uptime(store: Store) -> None:
    sid = store.begin_sync(1)
    store.record_clock_sync(1, device_time=5000, host_time=UTC0, uptime=True, sync_id=sid)
    store.ingest(1, [Event(0, 1, EV_BOOT, 0, 7, flags=FLAG_CLOCK_UNSET)]
                 + [Epoch(1 + i, 4000 + 30 * i, FLAG_CLOCK_UNSET) for i in range(20)], sync_id=sid)
    store.end_sync(sid)
    assert utc_of(store, "epochs", 1) == 4000 + UTC0 - 5000
    assert utc_of(store, "epochs", 20) == 4000 + 30 * 19 + UTC0 - 5000


def test_clock_set_event_wins_over_sync_measurement(store: Store) -> None:
    store.ingest(1, [Event(0, 1, EV_BOOT, 0, 1, flags=FLAG_CLOCK_UNSET),
                     Epoch(1, 100, FLAG_CLOCK_UNSET)])
    store.record_clock_sync(1, device_time=200, host_time=UTC0 + 7, uptime=True)
    store.ingest(1, [Event(2, UTC0, EV_CLOCK_SET, 1, 200)])
    # unanchored again (v15: epochs keep time as time_off = time - utc, so both change)
    store.conn.execute("UPDATE epochs SET time_off=time, utc=NULL WHERE seq=1")
    store.reanchor(1)
    assert utc_of(store, "epochs", 1) == 100 + UTC0 - 200


def test_drift_measurements_of_a_set_clock_are_kept(store: Store) -> None:
    store.record_clock_sync(1, device_time=UTC0 + 3, host_time=UTC0)
    store.record_clock_sync(1, device_time=UTC0 + 3, host_time=UTC0)  # same pair twice
    rows = store.conn.execute("SELECT device_time - host_time, uptime FROM clock_syncs").fetchall()
    assert rows == [(3, 0)]
