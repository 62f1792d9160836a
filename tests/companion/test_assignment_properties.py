"""Nothing misfiled, nothing lost: whatever the order of lending, recording and syncing,
every record is filed under exactly the patient who wore the device when it was recorded."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.store import Store
from wlproto.const import EV_SYMPTOM, FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

PATIENTS = ("P-0", "P-1", "P-2")
DEV = 7

ops = st.lists(st.one_of(
    st.tuples(st.just("record"), st.integers(1, 900), st.booleans(), st.booleans()),
    st.tuples(st.just("lend"), st.sampled_from(PATIENTS)),
    st.tuples(st.just("sync")),
), max_size=40)


def filed(store: Store) -> dict[tuple[str, int], list[str]]:
    out: dict[tuple[str, int], list[str]] = {}
    for table in ("epochs", "events"):
        for pid, seq in store.conn.execute(f"SELECT patient_id, seq FROM filed_{table}"):
            out.setdefault((table, seq), []).append(pid)
    return out


@settings(max_examples=150, deadline=None)
@given(ops=ops)
def test_every_record_is_filed_under_the_wearer_at_its_time(ops: list[tuple[Any, ...]]) -> None:
    store = Store.memory()
    for p in PATIENTS:
        store.add_patient(p)
    store.add_device(DEV, "P-0")
    now, seq, wearer = 1_790_000_000, 0, "P-0"
    pending: list[Epoch | Event] = []
    expected: dict[tuple[str, int], str] = {}
    for op in ops:
        if op[0] == "record":
            _, dt, timed, is_event = op
            now += dt
            t = now if timed else now - 1_780_000_000  # an unset clock counts uptime
            flags = 0 if timed else FLAG_CLOCK_UNSET
            rec: Epoch | Event = (Event(seq, t, EV_SYMPTOM, 3, flags=flags) if is_event
                                  else Epoch(seq, t, flags=flags, enmo_dmg=seq % 50))
            pending.append(rec)
            expected[("events" if is_event else "epochs", seq)] = wearer
            seq += 1
        elif op[0] == "lend":
            now += 1
            # as at pairing: the device's next sequence is where the new wearer starts
            store.assign_device(DEV, op[1], at_utc=now, from_seq=seq)
            wearer = op[1]
        else:
            store.ingest(DEV, pending)
            pending = []
    store.ingest(DEV, pending)
    got = filed(store)
    assert set(got) == set(expected)  # none lost
    for key, who in expected.items():
        assert got[key] == [who], key  # exactly once, under the right patient
    for (table, s), who in expected.items():
        utc = store.conn.execute(f"SELECT utc FROM {table} WHERE device_id=? AND seq=?",
                                 (DEV, s)).fetchone()[0]
        assert store.patient_at(DEV, utc, s) == who
    for p in PATIENTS:
        n = sum(1 for who in expected.values() if who == p)
        assert sum(store.filed_counts(p).values()) == n
    store.close()
