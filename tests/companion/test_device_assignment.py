"""A device lent to successive patients: each record is filed under whoever wore it then.

Over the real BLE stack (the unchanged firmware on the host port, bumble, bleak's API),
through the same pair/unpair/sync code the CLI runs.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.companion.conftest import reboot_copy
from tests.companion.test_ble_sync import Rig, device_records, stored_records
from wearlog.accounts.users import User
from wearlog.ble.errors import UnsyncedRecordsError
from wearlog.ble.pairing import forget_pairing, load_pairing
from wearlog.export.csv_tables import write_csv
from wearlog.store import Store
from wearlog.virtual.hostport import HostRun
from wlproto import const as C

FIVE_MIN_MS = 300_000


def filed(store: Store, patient_id: str, table: str = "epochs") -> set[int]:
    """Sequences the patient's CSV export holds (what a clinician would receive)."""
    out = io.StringIO()
    write_csv(store, patient_id, table, out)
    return {int(r["seq"]) for r in csv.DictReader(io.StringIO(out.getvalue()))}


def all_filed(store: Store, patient_id: str) -> set[int]:
    return filed(store, patient_id, "epochs") | filed(store, patient_id, "events")


class HostClock:
    """The host's UTC clock, running with the simulated device's time (days pass in
    seconds), so records and the moment a device changes hands are in one time line."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.t0 = 1_790_000_000
        self.ms0 = app.clock.now_ms

    def __call__(self) -> float:
        return self.t0 + (self.app.clock.now_ms - self.ms0) / 1000


def rig_for(app: Any, tmp: Path) -> Rig:
    rig = Rig(app, tmp)
    rig.bt.now = HostClock(app)
    return rig


def record_times(store: Store, dev: int) -> dict[int, int]:
    return dict(store.conn.execute(
        "SELECT seq, utc FROM epochs WHERE device_id=?1 UNION ALL "
        "SELECT seq, utc FROM events WHERE device_id=?1", (dev,)).fetchall())


def check_filing(store: Store, dev: int) -> tuple[set[int], set[int]]:
    """Every stored record filed exactly once, under whoever wore the device when it
    started (an epoch under way at the hand-over is the earlier wearer's)."""
    times = record_times(store, dev)
    p1, p2 = all_filed(store, "P-1"), all_filed(store, "P-2")
    assert not p1 & p2 and p1 | p2 == set(times)
    handover = store.assignments(dev)[1]["from_utc"]
    assert p2 == {s for s, t in times.items() if t >= handover}
    return p1, p2


async def pair(rig: Rig, patient: str, **kw: Any) -> int:
    found = await rig.bt.find(None, timeout=1.0)
    return await rig.bt.pair(rig.store, found, patient, **kw)


async def forget_on_device(rig: Rig, dev: int) -> None:
    """What `wearlog unpair` did before it checked for unsynced records."""
    secret, _a, _t = load_pairing(rig.store, dev)
    found = await rig.bt.find(None, timeout=1.0)
    async with rig.bt.connect(found.device) as link:
        await link.authenticate(secret)
        await link.checked(C.OP_FORGET)
    forget_pairing(rig.store, dev)


@pytest.fixture
def app(short_recording: HostRun, tmp_path: Path) -> Any:
    return reboot_copy(short_recording, tmp_path / "log")


async def test_repairing_files_the_next_wearers_records_under_them(app: Any,
                                                                   tmp_path: Path) -> None:
    async with rig_for(app, tmp_path) as rig:
        dev = await pair(rig, "P-1")
        await rig.bt.sync(rig.store, dev)
        app.run_for(FIVE_MIN_MS)  # P-1 wears it a little longer; not synced yet
        with pytest.raises(UnsyncedRecordsError, match="wearlog sync"):
            await rig.bt.unpair(rig.store, dev)
        await rig.bt.sync(rig.store, dev)
        first = set(stored_records(rig.store, dev))
        await rig.bt.unpair(rig.store, dev)
        dev2 = await pair(rig, "P-2")
        assert dev2 == dev
        app.run_for(FIVE_MIN_MS)  # now P-2 wears it
        await rig.bt.sync(rig.store, dev)
        assert stored_records(rig.store, dev) == device_records(app)
        everything = set(stored_records(rig.store, dev))
        second = everything - first
        assert second, "P-2 recorded something"
        p1, p2 = check_filing(rig.store, dev)  # before the fix: P-2 had nothing
        assert first <= p1
        assert len(second - p2) <= 1  # at most the epoch under way at the hand-over
        a = rig.store.assignments(dev)
        assert [x["patient_id"] for x in a] == ["P-1", "P-2"]
        assert a[0]["to_utc"] == a[1]["from_utc"] is not None and a[1]["to_utc"] is None


async def test_pairing_over_a_previous_wearers_unsynced_records_is_refused(
    app: Any, tmp_path: Path
) -> None:
    async with rig_for(app, tmp_path) as rig:
        dev = await pair(rig, "P-1")
        await rig.bt.sync(rig.store, dev)
        app.run_for(FIVE_MIN_MS)
        waiting = app.log.next_seq - app.log.acked_seq
        assert waiting > 0
        await forget_on_device(rig, dev)  # unpaired without syncing first
        with pytest.raises(UnsyncedRecordsError, match=f"{waiting} records of P-1"):
            await pair(rig, "P-2")
        # refused means unchanged: still P-1's, and the device is back in pairing mode
        assert [x["patient_id"] for x in rig.store.assignments(dev)] == ["P-1"]
        assert rig.wearable.secrets.get() is None
        # the way out the message names: pair for P-1 again, sync, then lend it on
        await pair(rig, "P-1")
        await rig.bt.sync(rig.store, dev)
        held = set(stored_records(rig.store, dev))
        await rig.bt.unpair(rig.store, dev)
        await pair(rig, "P-2")
        assert all_filed(rig.store, "P-1") == held and all_filed(rig.store, "P-2") == set()


async def test_discarding_unsynced_records_drops_them_and_files_nothing_wrongly(
    app: Any, tmp_path: Path
) -> None:
    async with rig_for(app, tmp_path) as rig:
        dev = await pair(rig, "P-1")
        await rig.bt.sync(rig.store, dev)
        before = set(stored_records(rig.store, dev))
        app.run_for(FIVE_MIN_MS)
        dropped = set(range(app.log.acked_seq, app.log.next_seq))
        await rig.bt.unpair(rig.store, dev, discard_unsynced=True)
        await pair(rig, "P-2", discard_unsynced=True)
        app.run_for(FIVE_MIN_MS)
        await rig.bt.sync(rig.store, dev)
        stored = set(stored_records(rig.store, dev))
        assert not stored & dropped
        p1, p2 = check_filing(rig.store, dev)
        assert before <= p1 and len(stored - before - p2) <= 1
        assert app.log.acked_seq == app.log.next_seq


async def test_used_device_on_a_new_computer_brings_no_earlier_wearers_records(
    app: Any, tmp_path: Path
) -> None:
    async with rig_for(app, tmp_path / "clinic") as clinic:
        dev = await pair(clinic, "P-1")
        await clinic.bt.sync(clinic.store, dev)
        await clinic.bt.unpair(clinic.store, dev)
    (tmp_path / "home").mkdir()
    async with rig_for(app, tmp_path / "home") as home:
        await pair(home, "P-2")
        app.run_for(FIVE_MIN_MS)
        await home.bt.sync(home.store, dev)
        got = set(stored_records(home.store, dev))
        assert got and min(got) >= home.store.assignments(dev)[0]["from_seq"] > 0
        assert all_filed(home.store, "P-2") == got


def test_every_reader_follows_the_assignment(tmp_path: Path) -> None:
    """Analysis, dashboard rows and exports: each patient sees only their own time."""
    import datetime as dt

    from wearlog.analysis.timeline import load_timeline
    from wearlog.pipeline import refresh
    from wearlog.web import data
    from wlproto.const import EV_SYMPTOM
    from wlproto.records import Epoch, Event

    t0 = 1_790_000_040
    s = Store(tmp_path / "w.db")
    s.add_patient("P-1")
    s.add_patient("P-2")
    s.add_device(1, "P-1")
    s.ingest(1, [Epoch(q, t0 + 30 * q, enmo_dmg=10) for q in range(50)]
             + [Event(50, t0 + 30 * 49 + 5, EV_SYMPTOM, 4)])
    s.assign_device(1, "P-2", at_utc=t0 + 30 * 50, from_seq=51)
    s.ingest(1, [Epoch(q, t0 + 30 * (q - 1), enmo_dmg=20) for q in range(51, 101)]
             + [Event(101, t0 + 30 * 99 + 5, EV_SYMPTOM, 2)])
    for pid, enmo in (("P-1", 1.0), ("P-2", 2.0)):
        tl = load_timeline(s, pid)
        assert tl is not None and int(tl.present.sum()) == 50
        assert set(tl.enmo[tl.present]) == {enmo}
        assert [e[2] for e in tl.events] == [4 if pid == "P-1" else 2]
        day = dt.datetime.fromtimestamp(t0, dt.UTC).date()
        rows = data.epoch_rows(s, pid, 1, day)
        assert len(rows) == 50 and {r[1] for r in rows} == {int(enmo * 10)}
        assert [e["severity"] for e in s.symptoms_between(pid, EV_SYMPTOM, t0 - 86400,
                                                           t0 + 2 * 86400)] == \
            [4 if pid == "P-1" else 2]
        refresh(s, pid)  # the patient list reads what the refresh step stored
    admin = User("t.admin", "admin")
    listed = {r["patient_id"]: r for r in data.patient_page(s, admin, now=t0 + 86400).rows}
    assert listed["P-1"]["last_data_utc"] == t0 + 30 * 49
    assert listed["P-2"]["last_data_utc"] == t0 + 30 * 99
    assert filed(s, "P-1") == set(range(50)) and filed(s, "P-2") == set(range(51, 101))
    s.close()
