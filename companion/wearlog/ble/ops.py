"""Scan, pair and sync, as the CLI and the demo use them.

`Bluetooth` decides how devices are reached: the platform's stack through
bleak (BlueZ, CoreBluetooth, WinRT), or a virtual wearable's radio through
the bumble backend (`virtual="127.0.0.1:9100"` or an in-process link). The
code above it is the same either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from wearlog.ble.bumble_backend import BumbleClient, BumbleScanner
from wearlog.ble.errors import (
    BluetoothUnavailableError,
    DeviceNotFoundError,
    DeviceRefusedError,
    TransferInterruptedError,
    UnsyncedRecordsError,
)
from wearlog.ble.link import WearlogLink
from wearlog.ble.pairing import forget_pairing, load_pairing, save_pairing
from wearlog.ble.radio import CentralRadio
from wearlog.ble.sync import Progress, SyncResult, check_epoch_len, sync_device
from wearlog.store import Store, UnknownDeviceError, UnknownPatientError
from wlproto import advert
from wlproto import const as C
from wlproto.frames import Status


@dataclass
class Found:
    address: str
    name: str
    battery_pct: int | None
    unsynced: int | None
    rssi: int | None
    device: BLEDevice


class Bluetooth:
    def __init__(self, radio: CentralRadio | None = None, reply_timeout: float = 5.0,
                 now: Callable[[], float] = time.time) -> None:
        self.radio = radio
        self.reply_timeout = reply_timeout
        self.now = now  # the host's UTC clock: set on the device, and when it changes hands

    @classmethod
    def virtual(cls, hostport: str) -> Bluetooth:
        host, _, port = hostport.rpartition(":")
        return cls(CentralRadio(transport=f"tcp-client:{host or '127.0.0.1'}:{port}"))

    @property
    def transport(self) -> str | None:
        return self.radio.transport_spec if self.radio else None

    async def scan(self, timeout: float = 5.0, want: str | None = None,
                   stop_at_first: bool = False) -> list[Found]:
        """Wearlog devices heard within `timeout` s (sooner once `want` is heard)."""
        found: dict[str, Found] = {}
        done = asyncio.Event()

        def seen(d: BLEDevice, a: AdvertisementData) -> None:
            if not advert.is_wearlog_name(a.local_name) and C.SERVICE_UUID not in a.service_uuids:
                return
            batt = unsynced = None
            mfr = a.manufacturer_data.get(advert.COMPANY_ID)
            if mfr is not None:
                with contextlib.suppress(ValueError):
                    _v, batt, unsynced = advert.parse_manufacturer(
                        advert.COMPANY_ID.to_bytes(2, "little") + mfr)
            f = Found(d.address, a.local_name or d.address, batt, unsynced, a.rssi, d)
            found[d.address] = f
            if stop_at_first and want in (None, f.address, f.name):
                done.set()

        try:
            if self.radio is not None:
                scanner = BleakScanner(seen, backend=BumbleScanner, radio=self.radio)
            else:
                scanner = BleakScanner(seen)
            async with scanner:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), timeout)
        except BluetoothUnavailableError:
            raise
        except (BleakError, OSError) as e:
            raise BluetoothUnavailableError(
                f"Bluetooth is off or missing ({e}); switch it on, or use --virtual") from e
        return sorted(found.values(), key=lambda f: f.name)

    async def find(self, address_or_name: str | None, timeout: float = 5.0) -> Found:
        for _ in range(2):  # a second look: advertising is slow to save power
            for f in await self.scan(timeout, want=address_or_name, stop_at_first=True):
                if address_or_name in (None, f.address, f.name):
                    return f
        what = address_or_name or "a Wearlog device"
        raise DeviceNotFoundError(
            f"{what} was not found: is it charged, near, and not connected to another "
            "computer? Press its button to wake the radio and try again")

    @contextlib.asynccontextmanager
    async def connect(self, target: BLEDevice | str, pair: bool = False,
                      attempts: int = 3) -> AsyncIterator[WearlogLink]:
        """A connected, subscribed WearlogLink; transient failures are retried."""
        client: BleakClient | None = None
        last: Exception | None = None
        for i in range(attempts):
            try:
                if self.radio is not None:
                    client = BleakClient(target, backend=BumbleClient, radio=self.radio)
                else:
                    client = BleakClient(target)
                await client.connect()
                if self.radio is not None and not await self.radio.is_bonded(client.address):
                    pair = True  # what BlueZ and CoreBluetooth do on first encrypted access
                if pair:
                    # Link-layer bond where the board supports it; the Pico W's stack
                    # cannot bond (NotImplementedError on some OS backends, BleakError on
                    # others) and relies on the app-level authentication instead.
                    with contextlib.suppress(BleakError, NotImplementedError):
                        await client.pair()
                break
            except (TimeoutError, BleakError, OSError) as e:
                last = e
                client = None
                await asyncio.sleep(0.5 * (i + 1))
        if client is None:
            raise DeviceNotFoundError(f"could not connect to {target}: {last}") from last
        link = WearlogLink(client, reply_timeout=self.reply_timeout)
        try:
            await link.start()
            yield link
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def pair(self, store: Store, found: Found, patient_id: str, tz: str = "UTC",
                   discard_unsynced: bool = False) -> int:
        """Pair: give the device a secret, remember it, assign the device to a patient.

        A device lent on to another patient is re-assigned from now on: its earlier
        records stay with the earlier patient. If it still holds records of the previous
        wearer that were never synced, pairing is refused (and the device left in pairing
        mode) unless `discard_unsynced`: then the new wearer's syncs skip them.
        """
        async with self.connect(found.device, pair=True) as link:
            st = await link.status()  # before authentication: flags and id only
            device_id = st.device_id
            if not (st.flags & C.STATUS_FLAG_PAIRING_MODE):
                raise DeviceRefusedError(
                    f"{found.name} is already paired with another computer; on that computer "
                    f"run `wearlog unpair {device_id:#06x}`, then pair again")
            secret = await link.pair()
            await link.authenticate(secret)
            full = await link.status()
            try:
                epoch_s = check_epoch_len(device_id, full.epoch_len, _paired_epoch_s(
                    store, device_id))
                from_seq = _first_seq_for(store, device_id, patient_id, full, discard_unsynced)
            except (UnsyncedRecordsError, DeviceRefusedError):
                await link.checked(C.OP_FORGET)  # refused: back to pairing mode, as found
                raise
        try:
            store.patient(patient_id)
        except UnknownPatientError:
            store.add_patient(patient_id, tz=tz)
        try:
            store.device(device_id)
        except UnknownDeviceError:
            store.add_device(device_id, patient_id, name=found.name, epoch_s=epoch_s,
                             from_seq=from_seq)
        else:
            store.assign_device(device_id, patient_id, at_utc=int(self.now()),
                                from_seq=from_seq)
        save_pairing(store, device_id, secret, found.address, self.transport)
        return device_id

    async def unpair(self, store: Store, device_id: int, discard_unsynced: bool = False) -> None:
        """Forget the device here and on the device; refused while it holds unsynced records."""
        secret, address, _t = load_pairing(store, device_id)
        found = await self.find(address)
        async with self.connect(found.device) as link:
            await link.authenticate(secret)
            st = await link.status()
            waiting = _unsynced(store, device_id, st)
            if waiting and not discard_unsynced:
                raise UnsyncedRecordsError(
                    f"{device_id:#06x} still holds {waiting} records not synced yet: run "
                    f"`wearlog sync {device_id:#06x}` first, or pass --discard-unsynced "
                    "to drop them", waiting=waiting)
            await link.checked(C.OP_FORGET)
        forget_pairing(store, device_id)

    async def sync(self, store: Store, device_id: int, progress: Progress | None = None,
                   attempts: int = 3, timeout: float = 5.0,
                   stall_timeout: float = 3.0) -> SyncResult:
        """Sync one paired device; an interrupted transfer is resumed up to `attempts` times."""
        secret, address, _transport = load_pairing(store, device_id)
        last: TransferInterruptedError | None = None
        earlier: list[SyncResult] = []
        for _ in range(attempts):
            found = await self.find(advert.device_name(device_id) if address is None else address,
                                    timeout)
            try:
                async with self.connect(found.device) as link:
                    res = await sync_device(link, store, device_id, secret, progress=progress,
                                            stall_timeout=stall_timeout, now=self.now)
            except TransferInterruptedError as e:
                last = e
                if isinstance(e.partial, SyncResult):
                    earlier.append(e.partial)
                continue
            res = _with_earlier(res, earlier, interruptions=len(earlier) if last else 0)
            res.notes += _refresh(store, device_id)
            return res
        assert last is not None
        _refresh(store, device_id)  # what the interrupted attempts stored is analysed too
        raise last


@contextlib.asynccontextmanager
async def bluetooth(virtual: str | None = None) -> AsyncIterator[Bluetooth]:
    """The platform's Bluetooth, or a virtual radio at host:port; its radio closed after
    (what every CLI command and the wearer app's Device page use)."""
    bt = Bluetooth.virtual(virtual) if virtual else Bluetooth()
    try:
        yield bt
    finally:
        if bt.radio:
            await bt.radio.close()


async def find_and_pair(bt: Bluetooth, store: Store, address: str | None, patient_id: str,
                        tz: str, discard_unsynced: bool = False,
                        say: Callable[[str], None] = lambda _m: None) -> int:
    """`wearlog pair` and the Device page: find the device in pairing mode, pair it."""
    say("Looking for the device (keep it close)…")
    found = await bt.find(address)
    say(f"Found {found.name}; pairing…")
    return await bt.pair(store, found, patient_id, tz, discard_unsynced=discard_unsynced)


def _refresh(store: Store, device_id: int) -> list[str]:
    """The refresh step after a sync's records are stored; a failure is a note, not an
    error: the records are kept and the next sync or `wearlog refresh` retries it."""
    from wearlog.pipeline import refresh

    patient_id = store.device(device_id)["patient_id"]
    return [f"analysis failed ({r.error}); the records are stored and it is retried at the "
            "next sync or with `wearlog refresh`" for r in refresh(store, patient_id) if not r.ok]


def _unsynced(store: Store, device_id: int, st: Status) -> int:
    """Records on the device that neither it (acked) nor this store (stored) holds as synced."""
    last = store.last_seq(device_id) if _known(store, device_id) else None
    done = max(st.acked_seq, 0 if last is None else last + 1)
    return max(st.next_seq - done, 0)


def _paired_epoch_s(store: Store, device_id: int) -> int | None:
    """The epoch length a known device's stored records have (None: a new device)."""
    return int(store.device(device_id)["epoch_s"]) if _known(store, device_id) else None


def _known(store: Store, device_id: int) -> bool:
    try:
        store.device(device_id)
    except UnknownDeviceError:
        return False
    return True


def _first_seq_for(store: Store, device_id: int, patient_id: str, st: Status,
                   discard: bool) -> int:
    """First record the new wearer's syncs fetch; refuses over a previous wearer's records."""
    if _known(store, device_id):
        previous = store.open_assignment(device_id)["patient_id"]
        if previous == patient_id:
            return store.sync_floor(device_id)  # the same wearer, paired again
        how = f"pair it again with --patient {previous} and run `wearlog sync`"
    elif st.acked_seq == 0:
        return 0  # a new device: what it recorded is the new wearer's
    else:
        previous = "its previous wearer"
        how = "sync them on the computer it was paired with"
    waiting = _unsynced(store, device_id, st)
    if waiting and not discard:
        raise UnsyncedRecordsError(
            f"{device_id:#06x} still holds {waiting} records of {previous} that were never "
            f"synced: {how}, or pass --discard-unsynced to drop them; nothing was changed",
            waiting=waiting)
    return int(st.next_seq)


def _with_earlier(res: SyncResult, earlier: list[SyncResult], interruptions: int) -> SyncResult:
    """One result for the whole sync, interrupted attempts included."""
    for p in earlier:
        res.first_seq = min(res.first_seq, p.first_seq)
        res.new_records += p.new_records
        res.received += p.received
        res.duplicates += p.duplicates
        res.corrupt += p.corrupt
        res.rerequests += p.rerequests
        res.bytes_in += p.bytes_in
    if interruptions:
        res.notes.append(f"the transfer was interrupted {interruptions} time(s) and resumed")
    return res
