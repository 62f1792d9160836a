"""Sync: copy a wearable's new records into the store, losing and doubling nothing.

An acknowledgement means "safely stored": each batch is committed to SQLite
(one transaction, idempotent on (device, seq)) before the device hears the
ack, and only acknowledged records may be dropped on the device. A frame
below the next expected sequence is a duplicate and is ignored; one above
it, a corrupt frame or a broken segment chain is a gap, and the stream is
asked for again from the next expected sequence. After any disconnect the
next sync resumes from the last stored sequence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bleak.exc import BleakError

from wearlog.ble.errors import (
    BleError,
    DeviceBusyError,
    DeviceRefusedError,
    TransferInterruptedError,
)
from wearlog.ble.link import STATUS_TEXT, WearlogLink
from wearlog.store import Store, StoreError
from wlproto import const as C
from wlproto.errors import ProtocolError
from wlproto.records import Epoch, Event

CLOCK_WARN_S = 60


@dataclass
class SyncResult:
    device_id: int
    sync_id: int
    first_seq: int
    next_seq: int
    new_records: int = 0
    received: int = 0
    duplicates: int = 0
    corrupt: int = 0
    rerequests: int = 0
    dropped_on_device: int = 0
    clock_offset_s: int | None = None
    clock_was_unset: bool = False
    bytes_in: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


Progress = Callable[[int, int, int], None]  # (received, total, bytes)


async def sync_device(
    link: WearlogLink,
    store: Store,
    device_id: int,
    secret: bytes,
    *,
    window: int = 512,
    stall_timeout: float = 3.0,
    max_rerequests: int = 50,
    progress: Progress | None = None,
    now: Callable[[], float] = time.time,
) -> SyncResult:
    """Authenticate, set the clock, stream every record not yet stored, ack as stored."""
    t0 = time.perf_counter()
    try:
        await link.start()
        await link.authenticate(secret)
        st = await link.status()
    except (TransferInterruptedError, BleakError, ConnectionError, OSError) as e:
        if isinstance(e, BleError) and not isinstance(e, TransferInterruptedError):
            raise
        last = store.last_seq(device_id)
        raise TransferInterruptedError(
            "the connection dropped before any record was sent; the next sync resumes from "
            f"record {0 if last is None else last + 1}") from e
    if st.device_id != device_id:
        raise DeviceRefusedError(
            f"this device is {st.device_id:#x}, the pairing is for {device_id:#x}")
    sync_id = store.begin_sync(device_id)
    host_now = int(now())
    try:
        prev, was_unset = await link.set_time(host_now)
    except (TransferInterruptedError, BleakError, ConnectionError, OSError) as e:
        store.end_sync(sync_id, "interrupted", "dropped while setting the clock")
        raise TransferInterruptedError(
            "the connection dropped while setting the clock; the next sync resumes where "
            "this one would have started") from e
    store.record_clock_sync(device_id, prev, host_now, uptime=was_unset, sync_id=sync_id)
    last = store.last_seq(device_id)
    expected = st.oldest_seq if last is None else last + 1
    # a device lent on: the previous wearer's records (before the floor) are not fetched
    expected = max(expected, store.sync_floor(device_id))
    res = SyncResult(device_id, sync_id, expected, st.next_seq, clock_was_unset=was_unset)
    if not was_unset:
        res.clock_offset_s = prev - host_now
        if abs(res.clock_offset_s) > CLOCK_WARN_S:
            res.notes.append(f"device clock was {res.clock_offset_s:+d} s off (corrected)")
    if expected > st.next_seq:
        store.end_sync(sync_id, "error", "device sequence went backwards")
        raise DeviceRefusedError(
            f"the device holds records up to {st.next_seq - 1} but {expected - 1} are stored: "
            "it was reset or replaced; pair it again as a new device")
    if expected < st.oldest_seq:
        res.dropped_on_device = st.oldest_seq - expected
        res.notes.append(
            f"records {expected}..{st.oldest_seq - 1} were dropped on the device "
            "(its memory filled before a sync)")
        expected = st.oldest_seq
    total = st.next_seq - expected
    batch: list[Epoch | Event] = []
    ack_every = max(1, window // 2)

    def commit() -> None:
        nonlocal batch
        if batch:
            res.new_records += store.ingest(device_id, batch, sync_id=sync_id)
            batch = []

    async def request(from_seq: int) -> None:
        r = await link.read(from_seq, window)
        if r.status == C.ST_BUSY:
            raise DeviceBusyError("another computer is syncing this device; try again later")
        if r.status != C.ST_OK:
            raise DeviceRefusedError(f"read refused: {STATUS_TEXT.get(r.status, r.status)}")

    try:
        await request(expected)
        resyncing = False
        while True:
            item = await link.next_frame(stall_timeout)
            if item is None or isinstance(item, ProtocolError):
                if item is None:
                    note = "stalled"
                else:
                    res.corrupt += 1
                    note = f"corrupt: {item}"
                res.rerequests += 1
                if res.rerequests > max_rerequests:
                    raise TransferInterruptedError(
                        f"too many damaged or missing frames ({note}); what arrived is stored "
                        f"and the next sync resumes from record {expected}")
                commit()
                await link.ack(expected)
                await request(expected)
                resyncing = True
                continue
            if item.ftype == C.FT_END:
                if resyncing:
                    continue  # an END from before our re-request
                if item.first_seq > expected:  # frames before the end went missing
                    res.rerequests += 1
                    commit()
                    await request(expected)
                    resyncing = True
                    continue
                break
            if resyncing:
                if item.first_seq != expected:
                    res.duplicates += 1
                    continue
                resyncing = False
            if item.next_seq <= expected:
                res.duplicates += 1
                continue
            if item.first_seq > expected:  # a frame went missing: ask again
                res.rerequests += 1
                commit()
                await request(expected)
                resyncing = True
                continue
            recs = item.records[expected - item.first_seq:]
            batch.extend(recs)
            res.received += len(recs)
            expected = item.next_seq
            if len(batch) >= ack_every:
                commit()
                await link.ack(expected)
            if progress:
                progress(res.received, total, link.bytes_in)
        commit()
        await link.ack(expected)
    except TransferInterruptedError as e:
        _salvage(commit)
        _close(store, res, expected, "interrupted")
        if "next sync resumes" not in str(e):  # a bare drop from the link: say where from
            raise _dropped(res, expected) from e
        e.partial = res
        raise
    except StoreError as e:  # the database refused (busy, read-only): nothing acked past it
        _close(store, res, expected, f"error: {e}")
        raise
    except (ConnectionError, OSError, EOFError, BleakError) as e:
        _salvage(commit)
        _close(store, res, expected, "interrupted")
        raise _dropped(res, expected) from e
    except Exception as e:
        if _is_disconnect(e):
            _salvage(commit)
            _close(store, res, expected, "interrupted")
            raise _dropped(res, expected) from e
        _close(store, res, expected, f"error: {e}")
        raise
    res.next_seq = expected
    res.bytes_in = link.bytes_in
    res.seconds = time.perf_counter() - t0
    store.end_sync(sync_id, "ok", "; ".join(res.notes) or None)
    return res


def _dropped(res: SyncResult, expected: int) -> TransferInterruptedError:
    e = TransferInterruptedError(
        f"the connection dropped after {res.received} records; they are stored and the "
        f"next sync resumes from record {expected}")
    e.partial = res
    return e


def _salvage(commit: Callable[[], None]) -> None:
    """Store what arrived intact before the drop; it was never acked, so the device keeps it."""
    try:
        commit()
    except Exception:  # noqa: BLE001 - the interruption is the error to report
        pass


def _close(store: Store, res: SyncResult, expected: int, status: str) -> None:
    res.next_seq = expected
    try:
        store.end_sync(res.sync_id, status, f"resume from {expected}")
    except Exception:  # noqa: BLE001 - the sync audit must not hide the real error
        pass


def _is_disconnect(e: BaseException) -> bool:
    text = f"{type(e).__name__} {e}".lower()
    return any(w in text for w in ("disconnect", "not connected", "connection"))
