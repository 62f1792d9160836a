"""A bleak backend on bumble, for virtual wearables.

The companion's sync code talks to devices through bleak's public API
(BleakScanner, BleakClient). For a virtual wearable, these two classes are
passed as bleak's `backend=`: they implement bleak's BaseBleakScanner and
BaseBleakClient on a bumble host whose controller sits on the same virtual
radio as the wearable's. For a real board, no backend is passed and bleak
picks BlueZ, CoreBluetooth or WinRT; the sync code is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from bleak.assigned_numbers import gatt_char_props_to_strs as properties_from_bits
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble.att import ATT_Error
from bumble.core import AdvertisingData
from bumble.core import BaseBumbleError as BumbleCoreError
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address

from wearlog.ble.radio import CentralRadio


def _uuid(u: Any) -> str:
    return str(u.to_hex_str("-") if hasattr(u, "to_hex_str") else u).lower()


def _full_uuid(u: Any) -> str:
    s = _uuid(u)
    return f"0000{s}-0000-1000-8000-00805f9b34fb" if len(s) == 4 else s


def _adv_data(adv: Advertisement) -> AdvertisementData:
    d = adv.data
    name = d.get(AdvertisingData.COMPLETE_LOCAL_NAME) or d.get(AdvertisingData.SHORTENED_LOCAL_NAME)
    uuids: list[str] = []
    for t in (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
              AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
              AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS):
        for u in d.get(t) or []:
            uuids.append(_full_uuid(u))
    mfr: dict[int, bytes] = {}
    raw = d.get(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
    if raw:
        company, value = raw if isinstance(raw, tuple) else (int.from_bytes(raw[:2], "little"),
                                                             raw[2:])
        mfr[int(company)] = bytes(value)
    return AdvertisementData(
        local_name=str(name) if name else None, manufacturer_data=mfr, service_data={},
        service_uuids=uuids, tx_power=None, rssi=adv.rssi, platform_data=(adv,),
    )


@contextlib.contextmanager
def _as_bleak_error(client: BumbleClient) -> Any:
    """bleak's contract: GATT failures surface as BleakError, whatever the backend."""
    try:
        yield
    except ATT_Error as e:
        raise BleakError(f"ATT error {e.error_name}") from e
    except (TimeoutError, BumbleCoreError) as e:
        raise BleakError(str(e)) from e
    except asyncio.CancelledError:
        # bumble cancels pending ATT requests when the link drops: that is a
        # disconnect, not a cancellation of our task.
        if client._conn is None or client._dropped:
            raise BleakError("disconnected during a GATT request") from None
        raise


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend: advertisements heard by the virtual radio."""

    def __init__(self, detection_callback: Any = None, service_uuids: list[str] | None = None,
                 scanning_mode: str = "active", *, radio: CentralRadio | None = None,
                 **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        if radio is None:
            raise BleakError("BumbleScanner needs radio=CentralRadio(...)")
        self.radio = radio
        self._unlisten: Callable[[], None] | None = None

    async def start(self) -> None:
        device = await self.radio.open()
        self.seen_devices = {}

        def on_adv(adv: Advertisement) -> None:
            data = _adv_data(adv)
            if not self.is_allowed_uuid(data.service_uuids):
                return
            addr = str(adv.address).replace("/P", "")
            dev = self.create_or_update_device(addr, addr, data.local_name, adv, data)
            self.call_detection_callbacks(dev, data)

        device.on(device.EVENT_ADVERTISEMENT, on_adv)
        self._unlisten = lambda: device.remove_listener(device.EVENT_ADVERTISEMENT, on_adv)
        await device.start_scanning(active=True, filter_duplicates=False)

    async def stop(self) -> None:
        device = await self.radio.open()
        with contextlib.suppress(Exception):
            await device.stop_scanning()
        if self._unlisten:
            self._unlisten()
            self._unlisten = None

    def set_scanning_filter(self, **kwargs: Any) -> None:  # pragma: no cover - bleak API
        pass


class BumbleClient(BaseBleakClient):
    """bleak client backend: GATT over a bumble connection on the virtual radio."""

    def __init__(self, address_or_ble_device: BLEDevice | str, *,
                 radio: CentralRadio | None = None, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device,
                         disconnected_callback=kwargs.pop("disconnected_callback", None),
                         timeout=kwargs.pop("timeout", 10.0))
        if radio is None:
            raise BleakError("BumbleClient needs radio=CentralRadio(...)")
        self.radio = radio
        self._conn: Connection | None = None
        self._peer: Peer | None = None
        self._chars: dict[int, Any] = {}
        self._subs: dict[int, Callable[[bytes], None]] = {}
        self._dropped = False

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._conn.att_mtu if self._conn is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        device: Device = await self.radio.open()
        try:
            conn = await asyncio.wait_for(device.connect(Address(self.address)), self._timeout)
        except TimeoutError as e:
            raise BleakError(f"device {self.address} was not found") from e
        self._conn = conn

        def on_disconnect(*_: Any) -> None:
            self._conn = None
            self._dropped = True
            if self._disconnected_callback is not None:
                self._disconnected_callback()

        conn.on(conn.EVENT_DISCONNECTION, on_disconnect)
        peer = Peer(conn)
        self._peer = peer
        await peer.request_mtu(self.radio.mtu)
        if pair:
            await self.pair()
        elif await self.radio.is_bonded(self.address):
            # Re-encrypt with the stored bond, as an OS stack does for a known device.
            with contextlib.suppress(Exception):
                await conn.encrypt()
        await self._discover()

    async def _discover(self) -> None:
        assert self._peer is not None
        peer = self._peer
        await peer.discover_services()
        coll = BleakGATTServiceCollection()
        for s in peer.services:
            await s.discover_characteristics()
            svc = BleakGATTService(s, s.handle, _full_uuid(s.uuid))
            coll.add_service(svc)
            for c in s.characteristics:
                props = list(properties_from_bits(int(c.properties)))
                ch = BleakGATTCharacteristic(c, c.handle, _full_uuid(c.uuid), props,
                                             lambda: self.mtu_size - 3, svc)
                coll.add_characteristic(ch)  # also adds it to its service
                self._chars[c.handle] = c
                await c.discover_descriptors()
                for d in c.descriptors:
                    desc = BleakGATTDescriptor(d, d.handle, _full_uuid(d.type), ch)
                    coll.add_descriptor(desc)  # also adds it to its characteristic
        self.services = coll

    async def disconnect(self) -> None:
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.disconnect()
        self._conn = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        if self._conn is None:
            raise BleakError("not connected")
        with _as_bleak_error(self):
            await self._conn.pair()

    async def unpair(self) -> None:
        await self.radio.forget_bond(self.address)

    def _need(self) -> Peer:
        if self._peer is None or self._conn is None:
            raise BleakError("not connected")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *,
                             use_cached: bool = False, **kwargs: Any) -> bytearray:
        peer = self._need()
        with _as_bleak_error(self):
            return bytearray(await peer.read_value(characteristic.handle))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *,
                                   use_cached: bool = False, **kwargs: Any) -> bytearray:
        peer = self._need()
        with _as_bleak_error(self):
            return bytearray(await peer.read_value(descriptor.handle))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any,
                              response: bool) -> None:
        peer = self._need()
        with _as_bleak_error(self):
            await peer.write_value(characteristic.handle, bytes(data), with_response=response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._need()
        with _as_bleak_error(self):
            await peer.write_value(descriptor.handle, bytes(data), with_response=True)

    async def start_notify(self, characteristic: BleakGATTCharacteristic,
                           callback: NotifyCallback, **kwargs: Any) -> None:
        peer = self._need()
        c = self._chars[characteristic.handle]

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subs[characteristic.handle] = deliver
        await peer.subscribe(c, deliver)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._need()
        fn = self._subs.pop(characteristic.handle, None)
        await peer.unsubscribe(self._chars[characteristic.handle], fn)
