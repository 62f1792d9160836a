"""Sync over a real BLE stack: the unchanged firmware on the host port, bumble on a
virtual controller, the companion through bleak's API with the bumble backend."""

from __future__ import annotations

import asyncio
import itertools
import struct
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bleak import BleakClient
from bleak.exc import BleakError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.companion.conftest import reboot_copy
from wearlog.ble.bumble_backend import BumbleClient
from wearlog.ble.errors import (
    AuthFailedError,
    DeviceBusyError,
    DeviceRefusedError,
    ProtocolMismatchError,
    TransferInterruptedError,
)
from wearlog.ble.link import WearlogLink
from wearlog.ble.ops import Bluetooth
from wearlog.ble.pairing import load_pairing
from wearlog.ble.radio import CentralRadio
from wearlog.store import Store
from wearlog.virtual.air import Air
from wearlog.virtual.ble_wearable import BleWearable
from wearlog.virtual.hostport import HostRun
from wlproto import const as C
from wlproto import frames
from wlproto.records import Epoch

_addr = itertools.count(1)


def device_records(app: Any) -> dict[int, tuple]:
    out = {}
    buf = bytearray(64 * C.RECORD_SIZE)
    seq = app.log.oldest_seq
    from wlproto.records import unpack_record

    while True:
        first, n, base = app.log.read_into(seq, buf, 64)
        if n == 0:
            return out
        for k in range(n):
            r = unpack_record(buf, k * C.RECORD_SIZE, first + k, base)
            out[r.seq] = r.fields()
        seq = first + n


def stored_records(store: Store, device_id: int) -> dict[int, tuple]:
    out: dict[int, tuple] = {}
    for r in store.conn.execute(
        "SELECT seq, time, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps, temp_hc "
        "FROM epochs WHERE device_id=?", (device_id,)):
        out[r[0]] = Epoch(*r).fields()
    for r in store.conn.execute(
        "SELECT seq, time, flags, etype, value, arg, aux FROM events WHERE device_id=?",
        (device_id,)):
        out[r[0]] = (r[0], r[1], r[2], r[3], r[4], r[5], r[6])
    return out


class Rig:
    """One virtual wearable on the air, and the companion's radio, store and Bluetooth."""

    def __init__(self, app: Any, tmp: Path, secure: bool = True) -> None:
        self.app = app
        self.air = Air()
        self.wearable = BleWearable(app, tmp / "radio", self.air, secure=secure,
                                    address=f"C0:57:1C:00:01:{next(_addr) % 250:02X}")
        self.central = CentralRadio(link=self.air.link)
        self.bt = Bluetooth(self.central, reply_timeout=1.0)
        self.store = Store(tmp / "wearlog.db")

    async def __aenter__(self) -> Rig:
        await self.wearable.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.wearable.stop()
        await self.central.close()
        self.store.close()

    async def pair(self, patient: str = "P-001") -> int:
        found = await self.bt.find(None, timeout=10.0)
        return await self.bt.pair(self.store, found, patient)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def app(short_recording: HostRun, tmp_path: Path) -> Any:
    """A device booted from its own copy of the recording."""
    return reboot_copy(short_recording, tmp_path / "log")


@pytest.fixture
async def rig(app: Any, tmp_path: Path) -> AsyncIterator[Rig]:
    async with Rig(app, tmp_path) as r:
        yield r


async def test_scan_shows_name_battery_and_unsynced(app: Any, rig: Rig) -> None:
    found = await rig.bt.scan(timeout=1.0)
    assert [f.name for f in found] == [f"WL-{app.device_id & 0xFFFF:04X}"]
    assert found[0].battery_pct == app.battery_pct()
    assert found[0].unsynced == app.log.next_seq - app.log.acked_seq > 0


async def test_pair_then_sync_stores_exactly_the_device_records(app: Any, rig: Rig) -> None:
    dev = await rig.pair()
    assert dev == app.device_id
    secret, _addr, _t = load_pairing(rig.store, dev)
    assert secret == rig.wearable.secrets.get()
    res = await rig.bt.sync(rig.store, dev)
    assert res.received == app.log.next_seq - app.log.oldest_seq
    assert stored_records(rig.store, dev) == device_records(app)
    assert app.log.acked_seq == app.log.next_seq  # only now deletable
    again = await rig.bt.sync(rig.store, dev)  # nothing new: nothing doubled
    assert again.new_records <= 1  # the second sync's own EV_CLOCK_SET
    assert stored_records(rig.store, dev) == device_records(app)
    audit = list(rig.store.conn.execute("SELECT status FROM syncs ORDER BY sync_id"))
    assert [a[0] for a in audit] == ["ok", "ok"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cut=st.integers(min_value=1, max_value=400), mtu=st.sampled_from([23, 64, 247]),
       window=st.sampled_from([16, 128, 512]))
def test_disconnect_anywhere_then_resync_loses_and_doubles_nothing(
    short_recording: HostRun, cut: int, mtu: int, window: int
) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        app = reboot_copy(short_recording, tmp / "log")

        async def go() -> None:
            async with Rig(app, tmp) as rig:
                rig.central.mtu = mtu
                dev = await rig.pair()
                secret, _a, _t = load_pairing(rig.store, dev)
                rig.wearable.radio.notified = 0
                rig.wearable.radio.drop_after = cut
                found = await rig.bt.find(None, timeout=10.0)
                try:
                    async with rig.bt.connect(found.device) as link:
                        from wearlog.ble.sync import sync_device

                        await sync_device(link, rig.store, dev, secret, window=window,
                                          stall_timeout=1.0)
                except TransferInterruptedError as e:
                    assert "next sync resumes" in str(e)  # the wearer's message is kept
                    assert e.resume_from is not None and e.retry_later
                    # it resumes right after what is stored (nothing skipped)
                    last = rig.store.last_seq(dev)
                    assert e.resume_from >= (0 if last is None else last + 1)
                # Whatever was stored is a prefix of the device's records: no gaps.
                part = stored_records(rig.store, dev)
                if part:
                    assert sorted(part) == list(range(min(part), max(part) + 1))
                    assert app.log.acked_seq <= max(part) + 1  # never acked beyond stored
                rig.wearable.radio.drop_after = None
                await rig.bt.sync(rig.store, dev)
                assert stored_records(rig.store, dev) == device_records(app)

        run(go())


@pytest.mark.parametrize("faults", [
    {"flip": 0.05}, {"duplicate": 0.08}, {"swap": 0.08}, {"drop": 0.03},
    {"flip": 0.02, "duplicate": 0.03, "swap": 0.03, "drop": 0.01},
])
async def test_corrupt_duplicated_reordered_and_lost_notifications(
    app: Any, rig: Rig, faults: dict[str, float]
) -> None:
    import bluetooth  # the host port's (on the path once BleWearable set it up)

    dev = await rig.pair()
    rig.wearable.radio.channel = bluetooth.FaultyChannel(seed=11, **faults)
    res = await rig.bt.sync(rig.store, dev, stall_timeout=0.5)
    assert stored_records(rig.store, dev) == device_records(app)
    assert res.duplicates + res.corrupt + res.rerequests > 0  # the faults were seen
    if faults == {"flip": 0.05}:  # damaged frames: detected, then asked for again
        assert res.corrupt > 0 and res.rerequests >= res.corrupt
    assert app.log.acked_seq == app.log.next_seq


async def test_unpaired_central_cannot_read_ack_or_erase(app: Any, rig: Rig) -> None:
    dev = await rig.pair()
    secret = rig.wearable.secrets.get()
    acked = app.log.acked_seq
    stranger = CentralRadio(link=rig.air.link)
    client = BleakClient(rig.wearable.address, backend=BumbleClient, radio=stranger)
    await client.connect()
    # No bond: the link is not encrypted, so the control point refuses writes.
    with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION|ncrypt"):
        await client.write_gatt_char(C.CONTROL_UUID, frames.encode_command(C.OP_STATUS),
                                     response=True)
    with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION|ncrypt"):
        await client.read_gatt_char(C.STATUS_UUID)
    # Device Information and Battery stay readable to anyone.
    assert (await client.read_gatt_char("00002a19-0000-1000-8000-00805f9b34fb"))[0] \
        == app.battery_pct()
    # A link-layer bond (Just Works) is not the app pairing: no secret, no data.
    await client.pair()
    link = WearlogLink(client)
    await link.start()
    with pytest.raises(AuthFailedError):
        await link.authenticate(b"\x00" * 16)
    for op, payload in ((C.OP_READ, frames.read_payload(0, 64)),
                        (C.OP_ACK, frames.u32_payload(app.log.next_seq)),
                        (C.OP_FORGET, b""),
                        (C.OP_SET_TIME, frames.u32_payload(1))):
        r = await link.command(op, payload)
        assert r.status == C.ST_NOT_AUTHENTICATED, op
    assert link.frames.empty()
    assert app.log.acked_seq == acked
    assert rig.wearable.secrets.get() == secret
    await client.disconnect()
    await stranger.close()
    assert dev == app.device_id


async def test_version_mismatch_gives_a_clear_error(app: Any, rig: Rig) -> None:
    from wlproto.crc import crc32

    dev = await rig.pair()
    server = rig.wearable.server
    plain = server._reply

    def future_firmware_reply(s: Any, op: int, status: int, payload: bytes = b"") -> None:
        # A device on protocol v2: same framing invariants, another version byte.
        plain(s, op, status, payload)
        body = bytearray(s.replies[-1][:-4])
        body[0] = 2
        s.replies[-1] = bytes(body) + struct.pack("<I", crc32(bytes(body)))

    server._reply = future_firmware_reply
    with pytest.raises(ProtocolMismatchError, match="v2.*v1.*update the companion"):
        await rig.bt.sync(rig.store, dev)


async def test_never_acking_central_holds_only_a_window_and_blocks_nothing_forever(
    app: Any, rig: Rig
) -> None:
    dev = await rig.pair()
    secret, _a, _t = load_pairing(rig.store, dev)
    found = await rig.bt.find(None, timeout=10.0)
    other = Bluetooth(CentralRadio(link=rig.air.link))
    async with rig.bt.connect(found.device) as greedy:
        await greedy.authenticate(secret)
        r = await greedy.read(0, 40)
        assert r.status == C.ST_OK
        got = 0

        async def drain() -> None:
            nonlocal got
            while not greedy.frames.empty():
                got += len(getattr(greedy.frames.get_nowait(), "records", []))

        # Wait for the window however busy the machine is, then give more a chance to come.
        for _ in range(600):
            await drain()
            if got >= 40:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        await drain()
        assert got == 40  # the window, and no more without an ack
        assert app.log.acked_seq == 0  # nothing deletable
        with pytest.raises(DeviceBusyError):
            await other.sync(rig.store, dev, attempts=1, timeout=1.0)
    # Once the greedy central is gone, the other one syncs everything.
    await other.sync(rig.store, dev, timeout=1.0)
    assert stored_records(rig.store, dev) == device_records(app)
    await other.radio.close()  # type: ignore[union-attr]


async def generic_read(rig: Rig, *u16s: int) -> list[bytes]:
    """Read standard characteristics with bumble's own GATT client (none of our code)."""
    from bumble.core import UUID
    from bumble.device import Peer
    from bumble.hci import Address

    device = await rig.central.open()
    conn = await device.connect(Address(rig.wearable.address))
    peer = Peer(conn)
    await peer.discover_services()
    chars = []
    for s in peer.services:
        await s.discover_characteristics()
        chars += s.characteristics
    out = []
    for u16 in u16s:
        c = next(c for c in chars if c.uuid == UUID.from_16_bits(u16))
        out.append(bytes(await peer.read_value(c)))
    await conn.disconnect()
    return out


def cts_utc(value: bytes) -> int:
    import datetime as dt

    y, mo, d, h, mi, s = struct.unpack("<HBBBBB", value[:7])
    return int(dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.UTC).timestamp())


def test_generic_gatt_client_reads_standard_services(
    short_recording: HostRun, tmp_path: Path
) -> None:
    """bumble's own GATT client, none of our code on the central side."""
    app = reboot_copy(short_recording, tmp_path / "log")
    app.set_time(1_780_000_000)

    async def go() -> None:
        async with Rig(app, tmp_path) as rig:
            mfr, serial, fw, batt, now = await generic_read(
                rig, 0x2A29, 0x2A25, 0x2A26, 0x2A19, 0x2A2B)
            assert mfr == b"Wearlog project"
            assert serial == f"{app.device_id:08X}".encode()
            assert fw.decode().count(".") == 2
            assert batt[0] == app.battery_pct()
            assert abs(cts_utc(now) - app.device_time()) <= 2

    run(go())


async def test_current_time_and_battery_follow_a_sync(app: Any, rig: Rig) -> None:
    """Issue 14.15: the standard values were written once at boot and never again."""
    import time

    boot_value = rig.wearable.ble.gatts_read(rig.wearable.periph.h_time)
    assert abs(cts_utc(boot_value) - time.time()) > 86400  # the clock was not set at boot
    dev = await rig.pair()
    await rig.bt.sync(rig.store, dev)  # sets the device clock to the computer's
    assert app.clock_set
    batt, now = await generic_read(rig, 0x2A19, 0x2A2B)
    assert abs(cts_utc(now) - app.device_time()) <= 2
    assert abs(cts_utc(now) - time.time()) <= 60
    assert batt[0] == app.battery_pct()


async def test_locked_database_stops_the_sync_with_a_clear_error_and_no_ack(
    app: Any, rig: Rig, tmp_path: Path
) -> None:
    import sqlite3

    from wearlog.store import StoreBusyError

    dev = await rig.pair()
    rig.store.conn.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(tmp_path / "wearlog.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program is writing
    with pytest.raises(StoreBusyError, match="another Wearlog program"):
        await rig.bt.sync(rig.store, dev)
    assert app.log.acked_seq == 0  # nothing acknowledged that was not stored
    other.execute("ROLLBACK")
    other.close()
    await rig.bt.sync(rig.store, dev)
    assert stored_records(rig.store, dev) == device_records(app)


async def test_auth_only_board_syncs_and_still_refuses_strangers(app: Any, tmp_path: Path) -> None:
    """A Pico W-style board (no bonding): no link encryption, the HMAC auth alone guards."""
    async with Rig(app, tmp_path, secure=False) as rig:
        stranger = CentralRadio(link=rig.air.link)
        client = BleakClient(rig.wearable.address, backend=BumbleClient, radio=stranger)
        await client.connect()
        link = WearlogLink(client)
        await link.start()  # no bond needed to talk...
        r = await link.command(C.OP_READ, frames.read_payload(0, 64))
        assert r.status == C.ST_NOT_AUTHENTICATED  # ...but no data without the secret
        await client.disconnect()
        await stranger.close()
        dev = await rig.pair()
        await rig.bt.sync(rig.store, dev)
        assert stored_records(rig.store, dev) == device_records(app)


def test_epoch_length_is_checked_against_the_pairing():
    from wearlog.ble.sync import check_epoch_len

    assert check_epoch_len(1, 10, None) == 10  # a new device: its own length is kept
    assert check_epoch_len(1, 30, 30) == 30
    with pytest.raises(DeviceRefusedError, match="now records 10 s epochs.*paired.*30 s"):
        check_epoch_len(1, 10, 30)
    with pytest.raises(DeviceRefusedError, match="misconfigured"):
        check_epoch_len(1, 0, None)


async def test_pairing_stores_the_device_epoch_length_and_sync_refuses_a_changed_one(
    app: Any, rig: Rig
) -> None:
    """The epoch length the device reports is what its records are filed with; a device
    whose length changed after pairing is refused before any record is stored."""
    app.epoch_len = 15  # what the status reports (the records are not read here)
    dev = await rig.pair()
    assert rig.store.device(dev)["epoch_s"] == 15
    app.epoch_len = 30
    with pytest.raises(DeviceRefusedError, match="now records 30 s epochs") as e:
        await rig.bt.sync(rig.store, dev)
    assert not e.value.retry_later
    assert rig.store.last_seq(dev) is None and app.log.acked_seq == 0
    audit = list(rig.store.conn.execute("SELECT status FROM syncs"))
    assert [a[0] for a in audit] == ["error"]
