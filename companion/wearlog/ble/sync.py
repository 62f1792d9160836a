"""Sync: copy a wearable's new records into the store, losing and doubling nothing.

An acknowledgement means "safely stored": each batch is committed to SQLite
(one transaction, idempotent on (device, seq)) before the device hears the
ack, and only acknowledged records may be dropped on the device. A frame
below the next expected sequence is a duplicate and is ignored; one above
it, a corrupt frame or a broken segment chain is a gap, and the stream is
asked for again from the next expected sequence. After any disconnect the
next sync resumes from the last stored sequence.

Three parts: `handshake` (authenticate, status, clock), the stream whose every
frame is judged by the pure `reconcile` (expected / duplicate / gap), and the
error boundary in `sync_device`, which turns any drop into a
TransferInterruptedError carrying `resume_from` and the partial result, so no
caller reads error messages to decide what happened.
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
from wearlog.ble.reconcile import Cursor, Verdict, reconcile, reconcile_end
from wearlog.store import Store, StoreError
from wlproto import const as C
from wlproto.errors import ProtocolError
from wlproto.frames import Status
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
    total: int = 0  # records the device offered when streaming began
    notes: list[str] = field(default_factory=list)


Progress = Callable[[int, int, int], None]  # (received, total, bytes)


# what a dropped or failing link raises, whatever bleak backend is underneath
LINK_DROPS = (ConnectionError, OSError, EOFError, BleakError)


@dataclass(frozen=True)
class Handshake:
    """What the device said before any record moved."""

    status: Status
    sync_id: int
    device_clock: int
    host_now: int
    clock_was_unset: bool


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
    hs = await handshake(link, store, device_id, secret, now)
    res, start = _plan(store, device_id, hs)
    stream = _Stream(link, store, res, start, window, stall_timeout, max_rerequests, progress)
    try:
        await stream.run()
    except TransferInterruptedError as e:
        _salvage(stream.commit)
        _close(store, res, stream.expected, "interrupted")
        if e.resume_from is None:  # a bare drop from the link: say where from
            raise _dropped(res, stream.expected) from e
        e.partial = res
        raise
    except StoreError as e:  # the database refused (busy, read-only): nothing acked past it
        _close(store, res, stream.expected, f"error: {e}")
        raise
    except LINK_DROPS as e:
        _salvage(stream.commit)
        _close(store, res, stream.expected, "interrupted")
        raise _dropped(res, stream.expected) from e
    except Exception as e:
        if not link.connected:  # whatever the backend raised, the link is gone: a drop
            _salvage(stream.commit)
            _close(store, res, stream.expected, "interrupted")
            raise _dropped(res, stream.expected) from e
        _close(store, res, stream.expected, f"error: {e}")
        raise
    res.next_seq = stream.expected
    res.bytes_in = link.bytes_in
    res.seconds = time.perf_counter() - t0
    store.end_sync(res.sync_id, "ok", "; ".join(res.notes) or None)
    return res


async def handshake(link: WearlogLink, store: Store, device_id: int, secret: bytes,
                    now: Callable[[], float] = time.time) -> Handshake:
    """Subscribe, authenticate, read the status and set the device clock; opens the
    sync's audit row. A drop here raises TransferInterruptedError with resume_from."""
    try:
        await link.start()
        await link.authenticate(secret)
        st = await link.status()
    except (TransferInterruptedError, *LINK_DROPS) as e:
        if isinstance(e, BleError) and not isinstance(e, TransferInterruptedError):
            raise
        last = store.last_seq(device_id)
        resume = 0 if last is None else last + 1
        raise TransferInterruptedError(
            "the connection dropped before any record was sent; the next sync resumes from "
            f"record {resume}", resume_from=resume) from e
    if st.device_id != device_id:
        raise DeviceRefusedError(
            f"this device is {st.device_id:#x}, the pairing is for {device_id:#x}")
    sync_id = store.begin_sync(device_id)
    host_now = int(now())
    try:
        prev, was_unset = await link.set_time(host_now)
    except (TransferInterruptedError, *LINK_DROPS) as e:
        store.end_sync(sync_id, "interrupted", "dropped while setting the clock")
        raise TransferInterruptedError(
            "the connection dropped while setting the clock; the next sync resumes where "
            "this one would have started", resume_from=_start_seq(store, device_id, st)) from e
    store.record_clock_sync(device_id, prev, host_now, uptime=was_unset, sync_id=sync_id)
    return Handshake(st, sync_id, prev, host_now, was_unset)


def _start_seq(store: Store, device_id: int, st: Status) -> int:
    """The first record this sync asks for: after the last stored one, never below the
    floor (a device lent on: the previous wearer's records are not fetched)."""
    last = store.last_seq(device_id)
    expected = st.oldest_seq if last is None else last + 1
    return max(expected, store.sync_floor(device_id))


def check_epoch_len(device_id: int, reported: int, stored: int | None) -> int:
    """The device's reported epoch length, refused when out of range or unlike the one its
    stored records were paired with (they would be filed at the wrong times)."""
    if not 1 <= reported <= 86400:
        raise DeviceRefusedError(f"{device_id:#06x} reports an epoch length of {reported} s; "
                                 "its firmware is misconfigured (1 to 86400 s)")
    if stored is not None and reported != stored:
        raise DeviceRefusedError(
            f"{device_id:#06x} now records {reported} s epochs but was paired recording "
            f"{stored} s epochs; set its epoch length back to {stored} s (tools/flash.py) "
            "to keep syncing it here")
    return reported


def _plan(store: Store, device_id: int, hs: Handshake) -> tuple[SyncResult, int]:
    """Where streaming starts, with notes on the clock and on records the device dropped."""
    st = hs.status
    try:
        check_epoch_len(device_id, st.epoch_len, store.device(device_id)["epoch_s"])
    except DeviceRefusedError:
        store.end_sync(hs.sync_id, "error", "epoch length changed")
        raise
    expected = _start_seq(store, device_id, st)
    res = SyncResult(device_id, hs.sync_id, expected, st.next_seq,
                     clock_was_unset=hs.clock_was_unset)
    if not hs.clock_was_unset:
        res.clock_offset_s = hs.device_clock - hs.host_now
        if abs(res.clock_offset_s) > CLOCK_WARN_S:
            res.notes.append(f"device clock was {res.clock_offset_s:+d} s off (corrected)")
    if expected > st.next_seq:
        store.end_sync(hs.sync_id, "error", "device sequence went backwards")
        raise DeviceRefusedError(
            f"the device holds records up to {st.next_seq - 1} but {expected - 1} are stored: "
            "it was reset or replaced; pair it again as a new device")
    if expected < st.oldest_seq:
        res.dropped_on_device = st.oldest_seq - expected
        res.notes.append(
            f"records {expected}..{st.oldest_seq - 1} were dropped on the device "
            "(its memory filled before a sync)")
        expected = st.oldest_seq
    res.total = st.next_seq - expected
    return res, expected


class _Stream:
    """The transfer: frames in, verdicts from reconcile(), commits before acks."""

    def __init__(self, link: WearlogLink, store: Store, res: SyncResult, start: int,
                 window: int,
                 stall_timeout: float, max_rerequests: int, progress: Progress | None) -> None:
        self.link, self.store, self.res = link, store, res
        self.window, self.stall_timeout = window, stall_timeout
        self.max_rerequests, self.progress = max_rerequests, progress
        self.cursor = Cursor(start)
        self.batch: list[Epoch | Event] = []
        self.ack_every = max(1, window // 2)

    @property
    def expected(self) -> int:
        return self.cursor.expected

    def commit(self) -> None:
        if self.batch:
            self.res.new_records += self.store.ingest(self.res.device_id, self.batch,
                                                      sync_id=self.res.sync_id)
            self.batch = []

    async def request(self) -> None:
        r = await self.link.read(self.expected, self.window)
        if r.status == C.ST_BUSY:
            raise DeviceBusyError("another computer is syncing this device; try again later")
        if r.status != C.ST_OK:
            raise DeviceRefusedError(f"read refused: {STATUS_TEXT.get(r.status, r.status)}")

    async def ask_again(self) -> None:
        self.res.rerequests += 1
        self.commit()
        await self.request()
        self.cursor = self.cursor.rerequested()

    async def run(self) -> None:
        res = self.res
        await self.request()
        while True:
            item = await self.link.next_frame(self.stall_timeout)
            if item is None or isinstance(item, ProtocolError):
                if item is None:
                    note = "stalled"
                else:
                    res.corrupt += 1
                    note = f"corrupt: {item}"
                if res.rerequests + 1 > self.max_rerequests:
                    res.rerequests += 1
                    raise TransferInterruptedError(
                        f"too many damaged or missing frames ({note}); what arrived is stored "
                        f"and the next sync resumes from record {self.expected}",
                        resume_from=self.expected)
                self.commit()
                await self.link.ack(self.expected)
                await self.ask_again()
                continue
            if item.ftype == C.FT_END:
                step = reconcile_end(self.cursor, item.first_seq)
                if step.verdict is Verdict.EXPECTED:
                    break
                if step.verdict is Verdict.GAP:
                    await self.ask_again()
                continue  # a stale END from before our re-request
            step = reconcile(self.cursor, item.first_seq, item.next_seq)
            if step.verdict is Verdict.DUPLICATE:
                res.duplicates += 1
                self.cursor = step.cursor
                continue
            if step.verdict is Verdict.GAP:  # a frame went missing: ask again
                await self.ask_again()
                continue
            recs = item.records[step.take:]
            self.batch.extend(recs)
            res.received += len(recs)
            self.cursor = step.cursor
            if len(self.batch) >= self.ack_every:
                self.commit()
                await self.link.ack(self.expected)
            if self.progress:
                self.progress(res.received, res.total, self.link.bytes_in)
        self.commit()
        await self.link.ack(self.expected)


def _dropped(res: SyncResult, expected: int) -> TransferInterruptedError:
    return TransferInterruptedError(
        f"the connection dropped after {res.received} records; they are stored and the "
        f"next sync resumes from record {expected}", resume_from=expected, partial=res)


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
