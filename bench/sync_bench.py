"""Sync figures on the shared host-port recording (14 days; --quick: 6 hours).

1. The device's real sync engine (wlfw.sync_server) streamed to a scripted central at
   MTU 23 and 247, with no radio: notification sizes (payload efficiency, the air-time
   model's input) and the CPU time of protocol + store alone (the baseline for 2).
2. The same over the virtual BLE link (the firmware's BLE driver on bumble, the companion
   through bleak's API, wearlog.ble.ops.Bluetooth.sync): CPU time of this process.
3. Modelled air time at the 1M PHY (bench/airtime.py) from the sizes of 1.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import airtime
from bench.figures import figure
from bench.recording import DAYS, QUICK_DAYS, Recording, device_copy, recording
from wearlog.store import Store
from wlfw.auth import SecretStore
from wlfw.sync_server import CONTROL, SyncServer
from wlproto import auth, frames
from wlproto import const as C
from wlproto.segments import Reassembler

WINDOW = 512  # as wearlog.ble.sync.sync_device: read window, ack every half
SECRET = b"bench-secret-16b"
MTUS = (23, 247)


class _Central:
    """The companion's side of the protocol without a radio: reassemble, decode, store."""

    def __init__(self, server: SyncServer, mtu: int) -> None:
        self.server = server
        server.connected(1)
        server.mtu_changed(1, mtu)
        self.asm = (Reassembler(), Reassembler())
        self.values: list[int] = []  # notification value sizes, in order
        self.writes = 0
        self.record_bytes = 0
        self.replies: list[Any] = []
        self.frames: list[Any] = []

    def pump(self) -> None:
        while (nxt := self.server.peek(1)) is not None:
            which, seg = nxt
            self.values.append(len(seg))
            msg = self.asm[which].feed(bytes(seg))
            self.server.sent(1, which)
            if msg is not None:
                m = frames.decode_message(msg)
                (self.replies if which == CONTROL else self.frames).append(m)

    def call(self, op: int, payload: bytes = b"") -> Any:
        self.writes += 1
        self.server.command(1, frames.encode_command(op, payload))
        self.pump()
        return self.replies.pop(0)

    def authenticate(self) -> None:
        cn = b"C" * 16
        r = self.call(C.OP_AUTH_BEGIN, cn)
        dn = r.payload[:16]
        r = self.call(C.OP_AUTH_PROVE, auth.central_proof(SECRET, cn, dn))
        assert r.status == C.ST_OK, r

    def sync(self, store: Store, device_id: int) -> int:
        expected = 0
        batch: list[Any] = []
        got = 0
        assert self.call(C.OP_READ, frames.read_payload(0, WINDOW)).status == C.ST_OK
        while True:
            if not self.frames:
                raise RuntimeError(f"stream stalled at record {expected}")
            f = self.frames.pop(0)
            if f.ftype == C.FT_END:
                break
            batch += f.records
            self.record_bytes += C.RECORD_SIZE * len(f.records)
            expected = f.next_seq
            if len(batch) >= WINDOW // 2 or not self.frames:
                got += store.ingest(device_id, batch)
                batch = []
                self.call(C.OP_ACK, frames.u32_payload(expected))
        got += store.ingest(device_id, batch)
        self.call(C.OP_ACK, frames.u32_payload(expected))
        return got


def _protocol_pass(rec: Recording, tmp: Path, mtu: int) -> dict[str, Any]:
    app = device_copy(rec, tmp / f"log{mtu}")
    secrets = SecretStore(str(tmp / f"log{mtu}"), app.fs)
    secrets.set(SECRET)
    server = SyncServer(app, secrets, lambda n: b"\x5a" * n)
    store = Store(tmp / f"proto{mtu}.db")
    store.add_patient("P-BENCH")
    store.add_device(app.device_id, "P-BENCH")
    c0, t0 = time.process_time(), time.perf_counter()
    c = _Central(server, mtu)
    c.authenticate()
    c.call(C.OP_STATUS)
    c.call(C.OP_SET_TIME, frames.u32_payload(int(time.time())))  # as every sync does
    stored = c.sync(store, app.device_id)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    store.close()
    if app.log.acked_seq != app.log.next_seq:
        raise RuntimeError(f"MTU {mtu}: device acked {app.log.acked_seq} of {app.log.next_seq}")
    return {"mtu": mtu, "records": stored, "record_bytes": c.record_bytes, "values": c.values,
            "writes": c.writes, "frames": server.frames_sent, "cpu_s": cpu, "wall_s": wall}


def _ble_pass(rec: Recording, tmp: Path, mtu: int) -> dict[str, Any]:
    from wearlog.ble.ops import Bluetooth
    from wearlog.ble.radio import CentralRadio
    from wearlog.virtual.air import Air
    from wearlog.virtual.ble_wearable import BleWearable

    app = device_copy(rec, tmp / f"blelog{mtu}")
    store = Store(tmp / f"ble{mtu}.db")

    async def go() -> dict[str, Any]:
        air = Air()
        wearable = BleWearable(app, tmp / f"radio{mtu}", air, address=f"C0:57:1C:00:02:{mtu:02X}")
        central = CentralRadio(link=air.link, mtu=mtu)
        bt = Bluetooth(central)
        await wearable.start()
        try:
            found = await bt.find(None, timeout=2.0)
            dev = await bt.pair(store, found, "P-BENCH")
            c0, t0 = time.process_time(), time.perf_counter()
            res = await bt.sync(store, dev, timeout=2.0)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        finally:
            await wearable.stop()
            await central.close()
        return {"records": res.received, "bytes_in": res.bytes_in, "cpu_s": cpu, "wall_s": wall,
                "corrupt": res.corrupt, "rerequests": res.rerequests}

    try:
        out = asyncio.run(go())
    finally:
        store.close()
    if app.log.acked_seq != app.log.next_seq:
        raise RuntimeError(f"BLE MTU {mtu}: device acked {app.log.acked_seq} of "
                           f"{app.log.next_seq}")
    return out


def run(quick: bool = False) -> dict[str, Any]:
    rec = recording(QUICK_DAYS if quick else DAYS)
    days = rec.run.simulated_s / 86400
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {"days": days}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proto = {mtu: _protocol_pass(rec, tmp, mtu) for mtu in MTUS}
        ble = {mtu: _ble_pass(rec, tmp, mtu) for mtu in MTUS}
    for mtu in MTUS:
        p = proto[mtu]
        sent = sum(p["values"])
        att = sent + 3 * len(p["values"])
        rows.append(figure(f"MTU {mtu}: payload efficiency (record bytes / notification values)",
                           100 * p["record_bytes"] / sent, "%",
                           note=f"{len(p['values'])} notifications, {p['frames']} frames, "
                                f"{p['records']} records"))
        rows.append(figure(f"MTU {mtu}: record bytes / ATT PDU bytes",
                           100 * p["record_bytes"] / att, "%"))
    for mtu in MTUS:
        b, p = ble[mtu], proto[mtu]
        if b["records"] != p["records"]:
            raise RuntimeError(f"MTU {mtu}: BLE sync stored {b['records']} records, "
                               f"the protocol pass {p['records']}")
        rows.append(figure(f"MTU {mtu}: CPU time, {days:g} days over the virtual BLE link",
                           b["cpu_s"], "s", p["cpu_s"], "same sync engine + store, no radio",
                           note=f"wall {b['wall_s']:.1f} s; both ends and bumble in this process"))
    rows.append(figure(f"MTU 247 vs 23: BLE CPU time for {days:g} days", ble[247]["cpu_s"], "s",
                       ble[23]["cpu_s"], "MTU 23"))
    for mtu, dle, ll_max in ((23, "no DLE", 27), (247, "DLE 251", 251), (247, "no DLE", 27)):
        p = proto[mtu]
        bare_s = p["record_bytes"] * airtime.US_PER_BYTE / 1e6
        for n in (4, 6):
            m = airtime.model(p["values"], p["writes"], ll_max, n)
            rows.append(figure(f"MTU {mtu} ({dle}), {n} packets/event: transfer time",
                               m.transfer_s, "s", note=f"{m.ll_packets} LL packets, 30 ms "
                               "interval"))
        rows.append(figure(f"MTU {mtu} ({dle}): radio time on air", m.radio_us / 1e6, "s",
                           bare_s, "record bytes alone at 1 Mbit/s",
                           note=f"{m.bytes_on_air} bytes on air incl. empty acks"))
    raw.update({f"protocol_{k}": {kk: vv for kk, vv in v.items() if kk != "values"}
                for k, v in proto.items()})
    raw.update({f"ble_{k}": v for k, v in ble.items()})
    return {"figures": rows, "raw": raw}
