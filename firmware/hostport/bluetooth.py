"""Host port: MicroPython's `bluetooth` module on Google's bumble (CPython only).

The unchanged firmware BLE driver (firmware/drivers/ble_peripheral.py) calls
the MicroPython API below; this module carries those calls out on a real BLE
host stack (bumble: HCI, L2CAP, ATT, GATT, SMP) attached to a virtual
controller on a bumble LocalLink. Centrals reach it through another controller
on the same link (in-process, or over bumble's TCP HCI transport).

Covered: BLE.active/config/irq/gap_advertise/gap_disconnect,
gatts_register_services/read/write/set_buffer/notify/indicate, UUID, and the
IRQ events the firmware uses (connect, disconnect, write, MTU, encryption,
get/set secret for bond persistence). Semantics follow MicroPython's docs:
IRQs run synchronously in the event loop (like scheduled soft IRQs),
gatts_notify sends whether or not the central subscribed, and when the stack's
queue is full it raises OSError(ENOMEM) as NimBLE does.

Fault injection for drills (`Radio.channel`, `Radio.drop_after`) models the
air, which is outside our control; the stack itself is never replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import random
from collections.abc import Callable
from typing import Any

from bumble import gatt
from bumble.controller import Controller
from bumble.core import UUID as BumbleUUID
from bumble.device import Connection, Device
from bumble.hci import Address
from bumble.host import Host
from bumble.keys import KeyStore, PairingKeys
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000

NOTIFY_QUEUE = 8  # outstanding notifications before ENOMEM, like NimBLE's mbufs
DEFAULT_BUFFER = 20  # MicroPython's default characteristic value size


class UUID:
    def __init__(self, value: int | str | bytes) -> None:
        if isinstance(value, int):
            self._u = BumbleUUID.from_16_bits(value)
        else:
            self._u = BumbleUUID(value if isinstance(value, str) else value.hex())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UUID) and self._u == other._u

    def __hash__(self) -> int:
        return hash(self._u)

    def __repr__(self) -> str:
        return f"UUID({str(self._u)!r})"


class Radio:
    """The virtual air: one LocalLink the wearable's controller joins."""

    def __init__(self, link: LocalLink | None = None, address: str = "C0:57:1C:00:00:01"):
        self.link = link or LocalLink()
        self.address = address
        # A faulty channel for drills: payload -> what arrives (none, one, several).
        self.channel: FaultyChannel | None = None
        self.drop_after: int | None = None  # disconnect after this many notifications
        self.notified = 0


_radio: Radio | None = None
_instance: BLE | None = None


def attach(radio: Radio) -> None:
    """Host-port set-up: the next BLE() lives on this radio."""
    global _radio, _instance
    _radio = radio
    _instance = None


class _Bonds(KeyStore):
    """bumble's key store, persisted through the firmware's _IRQ_GET/SET_SECRET."""

    _SEC_TYPE = 1  # one type is enough: the value is the whole bond record

    def __init__(self, ble: BLE) -> None:
        self.ble = ble

    async def update(self, name: str, keys: PairingKeys) -> None:
        record = {"name": name, "keys": keys.to_dict()}
        self.ble._irq(_IRQ_SET_SECRET, (self._SEC_TYPE, name.encode(),
                                        json.dumps(record).encode()))

    async def get(self, name: str) -> PairingKeys | None:
        v = self.ble._irq(_IRQ_GET_SECRET, (self._SEC_TYPE, 0, name.encode()))
        return PairingKeys.from_dict(json.loads(bytes(v))["keys"]) if v else None

    async def delete(self, name: str) -> None:
        self.ble._irq(_IRQ_SET_SECRET, (self._SEC_TYPE, name.encode(), None))

    async def get_all(self) -> list[tuple[str, PairingKeys]]:
        out = []
        i = 0
        while True:
            v = self.ble._irq(_IRQ_GET_SECRET, (self._SEC_TYPE, i, None))
            if not v:
                return out
            record = json.loads(bytes(v))
            out.append((record["name"], PairingKeys.from_dict(record["keys"])))
            i += 1


class BLE:
    """MicroPython's bluetooth.BLE, one per process like on a board."""

    def __new__(cls) -> BLE:
        global _instance
        if _instance is None:
            if _radio is None:
                raise OSError(errno.ENODEV, "no virtual radio attached (hostport.attach)")
            _instance = super().__new__(cls)
            _instance._setup(_radio)
        return _instance

    def _setup(self, radio: Radio) -> None:
        self.radio = radio
        self.controller = Controller("wearable", link=radio.link,
                                     public_address=Address(radio.address))
        self.device = Device(address=Address(radio.address),
                             host=Host(self.controller, AsyncPipeSink(self.controller)))
        self.device.keystore = _Bonds(self)
        self._handler: Callable[[int, tuple], Any] | None = None
        self._active = False
        self._values: dict[int, bytearray] = {}
        self._chars: dict[int, gatt.Characteristic] = {}
        self._conns: dict[int, Connection] = {}
        self._queues: dict[int, asyncio.Queue[tuple[gatt.Characteristic, bytes, bool]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._config: dict[str, Any] = {"gap_name": "MPY", "mtu": 23, "bond": False,
                                        "le_secure": False, "mitm": False, "io": 3}
        self._adv_lock = asyncio.Lock()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    # --- life cycle ---------------------------------------------------------------
    def active(self, state: bool | None = None) -> bool:
        if state is None:
            return self._active
        if state and not self._active:
            self._active = True
            self._spawn(self._power_on())
        elif not state and self._active:
            self._active = False
            self._spawn(self.device.power_off())
        return self._active

    async def _power_on(self) -> None:
        await self.device.power_on()
        if not self.ready.done():
            self.ready.set_result(None)

    def _spawn(self, coro: Any) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    def config(self, *args: str, **kw: Any) -> Any:
        if args:
            if args[0] == "mac":
                return (0, bytes(self.device.public_address))
            return self._config[args[0]]
        for k, v in kw.items():
            if k not in self._config:
                raise ValueError("unknown config param")
            self._config[k] = v
        if "gap_name" in kw:
            self.device.name = kw["gap_name"]
        if {"bond", "le_secure", "mitm", "io"} & kw.keys():
            c = self._config
            self.device.pairing_config_factory = lambda _conn: PairingConfig(
                sc=c["le_secure"], mitm=c["mitm"], bonding=c["bond"],
                delegate=PairingDelegate(io_capability=c["io"]),
                # Bonds are keyed by the address centrals connect to (our static random one).
                identity_address_type=PairingConfig.AddressType.RANDOM,
            )
        return None

    def irq(self, handler: Callable[[int, tuple], Any]) -> None:
        self._handler = handler

    def _irq(self, event: int, data: tuple) -> Any:
        return self._handler(event, data) if self._handler else None

    # --- GAP --------------------------------------------------------------------------
    def gap_advertise(self, interval_us: int | None, adv_data: bytes | None = None, *,
                      resp_data: bytes | None = None, connectable: bool = True) -> None:
        if interval_us is None:
            async def stop() -> None:
                async with self._adv_lock:
                    if self.device.is_advertising:
                        with contextlib.suppress(Exception):
                            await self.device.stop_advertising()
            self._spawn(stop())
            return
        from bumble.device import AdvertisingType
        kind = (AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE if connectable
                else AdvertisingType.UNDIRECTED_SCANNABLE)

        async def go() -> None:
            await self.ready
            async with self._adv_lock:  # one HCI advertising change at a time
                if self.device.is_advertising:
                    # bumble may already have stopped it for a new connection
                    with contextlib.suppress(Exception):
                        await self.device.stop_advertising()
                await self._start_advertising(kind, adv_data, resp_data, interval_us)
        self._spawn(go())

    async def _start_advertising(self, kind: Any, adv_data: bytes | None,
                                 resp_data: bytes | None, interval_us: int) -> None:
        await self.device.start_advertising(
            advertising_type=kind, advertising_data=bytes(adv_data or b""),
            scan_response_data=bytes(resp_data or b""),
            advertising_interval_min=max(20.0, interval_us / 1000),
            advertising_interval_max=max(20.0, interval_us / 1000),
        )

    def gap_disconnect(self, conn_handle: int) -> bool:
        conn = self._conns.get(conn_handle)
        if conn is None:
            return False
        self._spawn(conn.disconnect())
        return True

    def _on_connection(self, conn: Connection) -> None:
        h = conn.handle
        self._conns[h] = conn
        q: asyncio.Queue[tuple[gatt.Characteristic, bytes, bool]] = asyncio.Queue()
        self._queues[h] = q
        self._spawn(self._sender(conn, q))
        conn.on(conn.EVENT_DISCONNECTION, lambda *_: self._on_disconnection(h))
        conn.on(conn.EVENT_CONNECTION_ATT_MTU_UPDATE,
                lambda *_: self._irq(_IRQ_MTU_EXCHANGED, (h, conn.att_mtu)))
        conn.on(conn.EVENT_CONNECTION_ENCRYPTION_CHANGE,
                lambda *_: self._irq(_IRQ_ENCRYPTION_UPDATE, (
                    h, bool(conn.is_encrypted), bool(conn.authenticated),
                    bool(self._config["bond"]), 16)))
        addr = conn.peer_address
        self._irq(_IRQ_CENTRAL_CONNECT, (h, addr.address_type, bytes(addr)))

    def _on_disconnection(self, h: int) -> None:
        self._conns.pop(h, None)
        q = self._queues.pop(h, None)
        if q is not None:
            q.put_nowait((None, b"", False))  # type: ignore[arg-type]  # stops the sender
        self._irq(_IRQ_CENTRAL_DISCONNECT, (h, 0, b""))

    # --- GATT server -------------------------------------------------------------------
    def gatts_register_services(self, services: tuple) -> tuple:
        out = []
        defs = []
        for svc_uuid, chars in services:
            made = []
            for c in chars:
                uuid, flags = c[0], c[1]
                made.append(self._make_char(uuid, flags))
            svc = gatt.Service(svc_uuid._u, made)
            defs.append((svc, made))
            self.device.add_service(svc)
        for _svc, made in defs:
            handles = []
            for ch in made:
                self._chars[ch.handle] = ch
                self._values[ch.handle] = bytearray(DEFAULT_BUFFER)
                handles.append(ch.handle)
            out.append(tuple(handles))
        return tuple(out)

    def _make_char(self, uuid: UUID, flags: int) -> gatt.Characteristic:
        P = gatt.Characteristic.Properties
        props = P(0)
        perms = gatt.Characteristic.Permissions(0)
        if flags & FLAG_READ:
            props |= P.READ
            perms |= gatt.Characteristic.READABLE
            if flags & (FLAG_READ_ENCRYPTED | FLAG_READ_AUTHENTICATED):
                perms |= gatt.Characteristic.READ_REQUIRES_ENCRYPTION
        if flags & FLAG_WRITE:
            props |= P.WRITE
        if flags & FLAG_WRITE_NO_RESPONSE:
            props |= P.WRITE_WITHOUT_RESPONSE
        if flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE):
            perms |= gatt.Characteristic.WRITEABLE
            if flags & (FLAG_WRITE_ENCRYPTED | FLAG_WRITE_AUTHENTICATED):
                perms |= gatt.Characteristic.WRITE_REQUIRES_ENCRYPTION
        if flags & FLAG_NOTIFY:
            props |= P.NOTIFY
        if flags & FLAG_INDICATE:
            props |= P.INDICATE
        holder: dict[str, gatt.Characteristic] = {}

        def read(_conn: Connection | None) -> bytes:
            return bytes(self._values[holder["c"].handle])

        def write(conn: Connection | None, value: bytes) -> None:
            self._values[holder["c"].handle] = bytearray(value)
            if conn is not None:
                self._irq(_IRQ_GATTS_WRITE, (conn.handle, holder["c"].handle))

        ch = gatt.Characteristic(uuid._u, props, perms, gatt.CharacteristicValue(read, write))
        holder["c"] = ch
        return ch

    def gatts_read(self, value_handle: int) -> bytes:
        return bytes(self._values[value_handle])

    def gatts_write(self, value_handle: int, data: bytes, send_update: bool = False) -> None:
        self._values[value_handle] = bytearray(data)
        if send_update:
            for h in list(self._conns):
                self._queue(h, value_handle, bytes(data), False)

    def gatts_set_buffer(self, value_handle: int, length: int, append: bool = False) -> None:
        self._values.setdefault(value_handle, bytearray(length))

    def gatts_notify(self, conn_handle: int, value_handle: int, data: Any = None) -> None:
        payload = bytes(data) if data is not None else bytes(self._values[value_handle])
        self._queue(conn_handle, value_handle, payload, False)

    def gatts_indicate(self, conn_handle: int, value_handle: int, data: Any = None) -> None:
        payload = bytes(data) if data is not None else bytes(self._values[value_handle])
        self._queue(conn_handle, value_handle, payload, True)

    def _queue(self, conn_handle: int, value_handle: int, payload: bytes, indicate: bool) -> None:
        q = self._queues.get(conn_handle)
        if q is None:
            raise OSError(errno.ENOTCONN, "not connected")
        if q.qsize() >= NOTIFY_QUEUE:
            raise OSError(errno.ENOMEM, "notification queue full")
        q.put_nowait((self._chars[value_handle], payload, indicate))

    async def _sender(self, conn: Connection, q: asyncio.Queue) -> None:
        radio = self.radio
        while True:
            ch, payload, indicate = await q.get()
            if ch is None:
                return
            arriving = radio.channel(payload) if radio.channel is not None else [payload]
            if radio.channel is not None and q.empty():
                arriving += radio.channel.flush()  # a reordered one still arrives
            try:
                for p in arriving:
                    if indicate:
                        await self.device.indicate_subscriber(conn, ch, p, force=True)
                    else:
                        await self.device.notify_subscriber(conn, ch, p, force=True)
            except Exception:  # noqa: BLE001 - the link went away mid-send
                return
            radio.notified += 1
            if radio.drop_after is not None and radio.notified >= radio.drop_after:
                radio.drop_after = None
                await conn.disconnect()
                return

    def pending(self, conn_handle: int) -> int:
        """Host-port extra (not in MicroPython): notifications still queued."""
        q = self._queues.get(conn_handle)
        return q.qsize() if q is not None else 0


class FaultyChannel:
    """A misbehaving channel for drills. Each notification, with the given chances:
    gets one bit flipped, is delivered twice, is held back and delivered after the
    next one (reordered; released anyway when nothing else is queued), or is lost."""

    def __init__(self, flip: float = 0.0, duplicate: float = 0.0, swap: float = 0.0,
                 drop: float = 0.0, seed: int = 0) -> None:
        self.flip, self.duplicate, self.swap, self.drop = flip, duplicate, swap, drop
        self.rnd = random.Random(seed)
        self.held: list[bytes] = []

    def __call__(self, b: bytes) -> list[bytes]:
        rnd = self.rnd
        if b and rnd.random() < self.flip:
            a = bytearray(b)
            a[rnd.randrange(len(a))] ^= 1 << rnd.randrange(8)
            b = bytes(a)
        if rnd.random() < self.drop:
            return []
        out = [b, b] if rnd.random() < self.duplicate else [b]
        if self.held:
            out += [self.held.pop()]
        elif rnd.random() < self.swap:
            self.held.append(out.pop())
        return out

    def flush(self) -> list[bytes]:
        out, self.held = self.held, []
        return out

